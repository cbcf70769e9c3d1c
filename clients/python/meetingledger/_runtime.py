"""What the generated code builds on: the marker of a param left out, and turning a result's JSON
into the generated dataclasses."""
from __future__ import annotations

import datetime
import os
import sys
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .errors import MissingMemberWarning, ProtocolError


class _Unset:
    """The default of an optional param: left out of the request. None is sent as null where a
    param may be null (read as "clear this", such as community.update_settings'
    weekly_usage_limit) and leaves the param out elsewhere: the service refuses null for a param
    whose schema does not allow it."""

    _instance = None

    def __new__(cls) -> "_Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()

def date_only(name: str, value: Any) -> Any:
    """A date param's value as given, but not a datetime (a `date` to a type checker): which day
    an instant falls on depends on the time zone meant, so the caller says (`.date()`, or
    `.astimezone(zone).date()`)."""
    for item in value if isinstance(value, (list, tuple)) else (value,):
        if isinstance(item, datetime.datetime):
            raise TypeError(f"{name}: the datetime {item.isoformat()} is not a date; meetingd needs the day alone "
                            "(a datetime.date or YYYY-MM-DD): pass its .date() in the time zone you mean")
    return value


def time_only(name: str, value: Any) -> Any:
    """A time param's value as given, but not a date alone (a `date` passes for a `datetime` to
    no type checker, yet is easily given): a day is no instant, so the caller says which time of
    it, in which zone (a time zone-aware `datetime`, or RFC 3339 text)."""
    for item in value if isinstance(value, (list, tuple)) else (value,):
        if isinstance(item, datetime.date) and not isinstance(item, datetime.datetime):
            raise TypeError(f"{name}: the date {item.isoformat()} is not a time; meetingd needs an instant "
                            "(a time zone-aware datetime, or RFC 3339 text such as 2030-03-11T00:00:00Z)")
    return value


Converter = Callable[[Any], Any]
# (JSON name, attribute name, converter or None, required)
FieldSpec = Tuple[str, str, Optional[Converter], bool]


def list_of(convert: Converter) -> Converter:
    def converted(value: Any) -> List[Any]:
        if not isinstance(value, list):
            raise ProtocolError(f"expected a list, got {type(value).__name__}")
        return [convert(item) for item in value]
    return converted


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _callers_level() -> int:
    """The `stacklevel` of the first frame outside this package, for the function that calls
    this: a warning points at the caller's line, however deep in the client it was raised."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE:
        level, frame = level + 1, frame.f_back
    return level


def decode(cls: Any, value: Any, fields: Sequence[FieldSpec]) -> Any:
    """`cls` built from a JSON object: each declared member converted, members the schema does not
    declare (a newer meetingd's) kept in `extra`."""
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{cls.__name__}: expected an object, got {type(value).__name__}")
    known: Dict[str, Any] = {}
    for json_name, attribute, convert, required in fields:
        if json_name not in value:
            if required:
                # An older meetingd than this client: the call has taken effect, so the answer
                # is read as far as it goes rather than reported as a failure.
                warnings.warn(
                    f"{cls.__name__}: the answer lacks {json_name!r}, which this client expects (is meetingd older than the client?); it reads as None",
                    MissingMemberWarning, stacklevel=_callers_level())
            known[attribute] = None
            continue
        member = value[json_name]
        known[attribute] = convert(member) if convert is not None and member is not None else member
    declared = {spec[0] for spec in fields}
    known["extra"] = {name: member for name, member in value.items() if name not in declared}
    return cls(**known)
