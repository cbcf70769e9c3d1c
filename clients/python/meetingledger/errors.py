"""The exceptions the client raises. Every error `meetingd` answers with a `data.code` is raised as
the class generated for that code (`meetingledger.NotFoundError` for `not_found`), a subclass of
`ServiceError`; a code this client does not know yet is raised as `ServiceError` itself."""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class MeetingLedgerError(Exception):
    """Every exception this client raises. `retryable`: whether trying again may succeed (the
    client has already retried as its `RetryPolicy` allows). `idempotency_key`: the key a
    mutating call was sent with (the caller's or one the client made), to try it again safely
    with the same key when its outcome is unknown; None for reads."""

    retryable: bool = False
    idempotency_key: Optional[str] = None


class ServiceError(MeetingLedgerError):
    """An error answer from meetingd: `code` (the JSON-RPC number), `data_code` (the stable name
    to branch on), `retryable` (a retry may succeed; the client retries these itself), and the
    error's details in `data` (`data["field"]` names a bad param, `data["available"]`…)."""

    data_code: str = ""

    def __init__(self, code: int, message: str, data: Optional[Dict[str, Any]] = None, method: str = ""):
        super().__init__(f"{method}: {message}" if method else message)
        self.code = code
        self.message = message
        self.data: Dict[str, Any] = data if isinstance(data, dict) else {}
        self.method = method
        self.data_code = str(self.data.get("code", type(self).data_code))
        # The answer says; an error built without one is as retryable as its kind.
        self.retryable = bool(self.data.get("retryable", type(self).retryable))


class ProtocolError(MeetingLedgerError):
    """meetingd refused the request as a whole (-32700 parse error, -32600 invalid request, such as
    one over its size bound: a catalog.import_csv too large to send at once; -32601 unknown
    method), or answered something that is not a JSON-RPC response to it (a bug on one side).
    Not retryable: the same request would be refused again. Its attributes are a
    `ServiceError`'s, for handlers of either: `code` (None when meetingd's answer was not an
    error), `message` (meetingd's, else the client's account of the answer), `data` (the error's
    details; {} when it has none), `data_code` (None unless they name one) and `method`."""

    def __init__(self, message: str, code: Optional[int] = None, *, service_message: Optional[str] = None,
                 data: Optional[Dict[str, Any]] = None, method: str = ""):
        super().__init__(message)
        self.code = code
        self.message = service_message if service_message is not None else message
        self.data: Dict[str, Any] = data if isinstance(data, dict) else {}
        self.data_code: Optional[str] = str(self.data["code"]) if "code" in self.data else None
        self.method = method


class MeetingdUnavailable(MeetingLedgerError):
    """meetingd could not be started, or kept dying or hanging through every retry. `stderr_tail`
    holds its log's lines: its first ones (where a meetingd that refused to start says why) and
    its last ones, with a line saying how many were left out between them."""

    def __init__(self, message: str, stderr_tail: Optional[List[str]] = None):
        tail = "\n".join(stderr_tail or [])
        super().__init__(message + (f"\nmeetingd's log:\n{tail}" if tail else ""))
        self.stderr_tail = list(stderr_tail or [])


class MeetingdExited(MeetingdUnavailable):
    """The meetingd process ended (or was ended after a timeout) while a request was in flight.
    Retried by the client: a mutating call carries its idempotency key, so the retry takes effect
    at most once. Not retryable (`retryable` False, `exit_status` 1 or 2) when meetingd stopped
    by itself before answering anything: it refused to start (its settings, the database's
    login, a migration fault), says what to fix in `stderr_tail`, and would stop again."""

    retryable = True

    def __init__(self, message: str, stderr_tail: Optional[List[str]] = None, exit_status: Optional[int] = None,
                 refused_to_start: bool = False):
        super().__init__(message, stderr_tail)
        self.exit_status = exit_status
        if refused_to_start:
            self.retryable = False


class RequestTimeout(MeetingdExited):
    """No answer within the client's `timeout_seconds`: the process was taken to be stuck, ended
    and restarted."""


class MissingMemberWarning(UserWarning):
    """An answer lacked a member this client's schema calls required: a meetingd older than the
    client. The member reads as None; upgrade meetingd, or use a client generated from it."""
