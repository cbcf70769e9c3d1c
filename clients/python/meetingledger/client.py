"""The client: supervises one meetingd (starting it, and starting it again when it dies), sends each
call with an idempotency key when the method changes something, and retries what may be retried.

    from meetingledger import Client
    with Client(meetingd="/usr/local/bin/meetingd", env={"DATABASE_URL": "..."}) as ml:
        meeting = ml.meeting.request(actor=user_id, service_id=..., expert_id=..., start=..., location_id=...)

The typed namespaces (`ml.meeting`, `ml.ledger`, …) are generated from `rpc.discover` into
`_generated.py` by scripts/gen_python_client.py; `Client.call` reaches any method by name.
"""
from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Type, TypeVar

from . import _generated
from .errors import MeetingdExited, MeetingdUnavailable, MeetingLedgerError, ProtocolError, ServiceError
from .transport import MeetingdProcess, meetingd_command

T = TypeVar("T")

# JSON-RPC's own refusals: the request itself was wrong, so no retry can help.
PROTOCOL_CODES = {-32700: "parse error", -32600: "invalid request", -32601: "method not found"}
# Where a paged answer says its next page starts, and the param that asks for it.
PAGE_MEMBERS = (("next_cursor", "cursor"), ("next_from", "from_"))


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried when meetingd answers a retryable error or dies: at most `attempts`
    tries in all, waiting a random time up to base × 2^(try−1) (capped at `max_delay_seconds`)
    between them, and none that would start after `deadline_seconds` (counted from the call's
    start; the default leaves room for a try that hung for the client's default 180-second
    timeout to be tried again)."""

    attempts: int = 6
    base_delay_seconds: float = 0.05
    max_delay_seconds: float = 2.0
    deadline_seconds: float = 400.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay_seconds, self.base_delay_seconds * (2 ** (attempt - 1))))


class _Supervisor:
    """Owns the meetingd process: starts it on first use and again after it dies."""

    def __init__(self, command: Sequence[str], env: Optional[Mapping[str, str]], max_in_flight: int, first_id: int):
        self.command = list(command)
        self.env = dict(env) if env is not None else None
        self.max_in_flight = max_in_flight
        self._ids = itertools.count(first_id)
        self._lock = threading.Lock()
        self._process: Optional[MeetingdProcess] = None
        self._closed = False
        self.starts = 0
        self._finalizer = weakref.finalize(self, _Supervisor._kill, [None])

    @staticmethod
    def _kill(holder: list) -> None:
        process = holder[0]
        if process is not None and process.alive:
            process.kill("the client was discarded")

    def process(self) -> MeetingdProcess:
        with self._lock:
            if self._closed:
                raise MeetingdUnavailable("the client is closed")
            if self._process is None or not self._process.alive:
                self._process = MeetingdProcess(self.command, self.env, self.max_in_flight, self._ids)
                self._finalizer.detach()
                self._finalizer = weakref.finalize(self, _Supervisor._kill, [self._process])
                self.starts += 1
            return self._process

    def close(self) -> Optional[int]:
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
        self._finalizer.detach()
        return process.close() if process is not None else None


class Client(_generated.Namespaces):
    """A meetingd reached over its pipes, with a typed method for each method it publishes.

    - `meetingd`: the program (default: $MEETINGD_PATH, else `meetingd` on PATH); `args` are given
      to it (`["--test-clock"]`, `["--pin-actor", person_id]`); `env` is its whole environment
      (default: this process's), which is where `DATABASE_URL` goes.
    - `actor`: the person calls act for when a call does not name one (`as_actor` makes a client
      acting for someone else over the same meetingd).
    - `timeout_seconds`: how long one try waits for its answer before meetingd is taken to be stuck,
      stopped and started again (longer than meetingd's own statement timeout, 120 s by default).
    - `retry`: see `RetryPolicy`. `max_in_flight`: requests sent before their answers are read
      (meetingd answers in order: keep 1).
    """

    def __init__(
        self,
        meetingd: Optional[str] = None,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        *,
        actor: Optional[str] = None,
        timeout_seconds: float = 180.0,
        retry: RetryPolicy = RetryPolicy(),
        max_in_flight: int = 1,
        first_id: int = 1,
    ):
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._supervisor = _Supervisor(meetingd_command(meetingd, args), env, max_in_flight, first_id)
        self.actor = actor
        self.timeout_seconds = timeout_seconds
        self.retry = retry
        self._owns_meetingd = True
        super().__init__(self)

    def as_actor(self, actor: str) -> "Client":
        """A client over the same meetingd whose calls act for `actor` unless they name another.
        The view does not own that meetingd: its `close()` (and leaving its `with` block) leaves it
        running for the client and its other views; closing the client closes it for all."""
        view = object.__new__(type(self))
        view.__dict__.update({key: value for key, value in self.__dict__.items()})
        view.actor = actor
        view._owns_meetingd = False
        _generated.Namespaces.__init__(view, view)
        return view

    def pages(self, method: Callable[..., T], **params: Any) -> Iterator[T]:
        """Each page of a paged method's answer, from the first to the last: `method` (a typed
        method, such as `ml.person.list` or a view's) is called with `params`, then again with the
        same params and `cursor=` the page's `next_cursor` until that is None. A method that pages
        by `next_from` instead (availability.get, whose answer stops there when `truncated`) is
        called again with `from_=` it. Each page is one call, retried as any call is."""
        name = getattr(method, "__qualname__", repr(method))
        while True:
            page = method(**params)
            paged_by = next(((member, param) for member, param in PAGE_MEMBERS if hasattr(page, member)), None)
            if paged_by is None:
                raise TypeError(f"{name}: its answers are not paged (they have no {' or '.join(m for m, _ in PAGE_MEMBERS)})")
            yield page
            member, param = paged_by
            after = getattr(page, member)
            if not after:  # None (or empty): this was the last page
                return
            if after == params.get(param):
                raise ProtocolError(f"{name}: the next page was said to start where this one did ({after!r})")
            params = dict(params, **{param: after})

    def iterate(self, method: Callable[..., Any], **params: Any) -> Iterator[Any]:
        """Each item of a paged method's answer across all its pages (`pages`): the `items` of each
        page in turn, as `for person in ml.iterate(ml.as_actor(admin).person.list, role="user"):`. meeting.list and
        meeting.waiting list a meeting that changed while they were paged again, as it is now: it
        comes each time (keep the last of each id). For an answer with no `items`
        (availability.search's slots, catalog.export_csv's rows), use `pages`."""
        for page in self.pages(method, **params):
            if not hasattr(page, "items"):
                raise TypeError(f"{getattr(method, '__qualname__', repr(method))}: its pages have no items; use pages()")
            yield from page.items

    @property
    def meetingd_starts(self) -> int:
        """How many times meetingd was started (1 + the restarts after it died or hung)."""
        return self._supervisor.starts

    @property
    def meetingd_pid(self) -> Optional[int]:
        process = self._supervisor._process
        return process.pid if process is not None and process.alive else None

    def close(self) -> Optional[int]:
        """Lets meetingd finish and exit (closing its input); returns its exit status. On a view made
        by `as_actor`, does nothing and returns None: the meetingd is the client's."""
        return self._supervisor.close() if self._owns_meetingd else None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None, *, mutating: Optional[bool] = None) -> Any:
        """Calls any method by name and returns its result as JSON. `mutating` (default: what
        rpc.discover said when this client was generated) adds an idempotency key."""
        if mutating is None:
            mutating = method in _generated.MUTATING_METHODS
        return self._call(method, dict(params or {}), mutating)

    def _call(self, method: str, params: Dict[str, Any], mutating: bool, result_type: Optional[Callable[[Any], T]] = None) -> Any:
        params = {name: value for name, value in params.items() if value is not _generated.UNSET}
        if params.get("actor") is None:
            params.pop("actor", None)
            if self.actor is not None and method not in _generated.OPEN_METHODS:
                params["actor"] = self.actor
        if mutating and params.get("idempotency_key") is None:
            # One key for the call, whatever the retries: the first try that takes effect is the only one.
            params["idempotency_key"] = "py-" + uuid.uuid4().hex
        try:
            result = self._send(method, params)
        except MeetingLedgerError as failure:
            # Its outcome may be unknown (a timeout, a process that died): the key lets the
            # caller try it again, later, without doing it twice.
            failure.idempotency_key = params.get("idempotency_key")
            raise
        return result_type(result) if result_type is not None else result

    def _send(self, method: str, params: Dict[str, Any]) -> Any:
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._supervisor.process().request(method, params, self.timeout_seconds)
                return self._result(method, response)
            except (ServiceError, MeetingdExited) as failure:
                if not failure.retryable or attempt >= policy.attempts:
                    raise
                delay = policy.delay(attempt)
                if time.monotonic() - started + delay > policy.deadline_seconds:
                    raise
                time.sleep(delay)

    @staticmethod
    def _result(method: str, response: Dict[str, Any]) -> Any:
        if response.get("jsonrpc") != "2.0":
            raise ProtocolError(f"{method}: the answer is not JSON-RPC 2.0: {str(response)[:200]}")
        if "result" in response:
            return response["result"]
        error = response.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            raise ProtocolError(f"{method}: the answer has neither a result nor an error: {str(response)[:200]}")
        code, message, data = error["code"], str(error.get("message", "")), error.get("data")
        if code in PROTOCOL_CODES:
            raise ProtocolError(f"{method}: meetingd refused the request ({PROTOCOL_CODES[code]}): {message}", code,
                                service_message=message, data=data, method=method)
        data_code = data.get("code") if isinstance(data, dict) else None
        error_class: Type[ServiceError] = _generated.ERRORS.get(data_code, ServiceError)
        raise error_class(code, message, data, method)
