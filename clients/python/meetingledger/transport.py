"""One `meetingd` process and the pipe to it: requests written as JSON lines on its standard input,
answers read from its standard output by a reader thread and matched to their requests by id.

meetingd answers each pipe in order, so the client keeps one request in flight (`max_in_flight=1`);
answers are matched by id all the same, so a meetingd that answers out of order only needs a
larger `max_in_flight`.
"""
from __future__ import annotations

import collections
import datetime
import itertools
import json
import logging
import os
import shutil
import subprocess
import threading
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence

from .errors import MeetingdExited, MeetingdUnavailable, ProtocolError, RequestTimeout

log = logging.getLogger("meetingledger")
meetingd_log = logging.getLogger("meetingledger.meetingd")

STDERR_TAIL_LINES = 40
# The log's first lines are kept too: a meetingd that refuses to start says why first, then its
# usage (more than the tail's lines).
STDERR_HEAD_LINES = 10
# meetingd's own exit statuses for a fault only an operator can fix (1) and bad settings (2).
REFUSED_TO_START_STATUSES = (1, 2)
CLOSE_GRACE_SECONDS = 10.0
PIPE_BUFFER_BYTES = 1 << 16


class _Pending:
    """A request waiting for its answer."""

    __slots__ = ("done", "response", "failure")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: Optional[Dict[str, Any]] = None
        self.failure: Optional[BaseException] = None


class MeetingdProcess:
    """A running meetingd and its pipes. Ends when it exits or is closed; then every request in
    flight fails with `MeetingdExited` and the process cannot be used again (start a new one)."""

    def __init__(self, command: Sequence[str], env: Optional[Mapping[str, str]], max_in_flight: int, ids: "itertools.count[int]"):
        self.command = list(command)
        self._ids = ids
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._pending: Dict[Any, _Pending] = {}
        self._ended: Optional[str] = None
        self._answered = False
        self.stderr_head: List[str] = []
        self.stderr_tail: Deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_lines = 0
        try:
            self._proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                # Buffered: a line of an answer is read in blocks (readline on an unbuffered pipe
                # reads a byte per system call); each request is flushed as it is written.
                env=dict(env) if env is not None else None, bufsize=PIPE_BUFFER_BYTES)
        except OSError as error:
            raise MeetingdUnavailable(f"cannot start {self.command[0]}: {error}") from error
        self._stdout_done = threading.Event()
        self._reader = threading.Thread(target=self._read_answers, name="meetingd-stdout", daemon=True)
        self._stderr_reader = threading.Thread(target=self._read_log, name="meetingd-stderr", daemon=True)
        # The log's reader first: a meetingd that exits at once ends the answers' reader, which
        # joins the log's reader to report its last lines.
        self._stderr_reader.start()
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._ended is None and self._proc.poll() is None

    def request(self, method: str, params: Mapping[str, Any], timeout_seconds: float) -> Dict[str, Any]:
        """Sends one request and returns meetingd's answer (a response object with `result` or
        `error`). Raises `MeetingdExited` if the process ends first, `RequestTimeout` (after
        ending the process) if no answer comes in time."""
        # Written before an id is taken, so params that are not JSON leave nothing behind.
        body = json.dumps({"method": method, "params": dict(params)}, ensure_ascii=True, separators=(",", ":"), default=_json_value)
        with self._slots:
            pending = _Pending()
            with self._state_lock:
                if self._ended is not None:
                    raise self._exited()
                request_id = next(self._ids)
                self._pending[request_id] = pending
            line = '{"jsonrpc":"2.0","id":' + json.dumps(request_id) + "," + body[1:] + "\n"
            try:
                with self._write_lock:
                    self._proc.stdin.write(line.encode("ascii"))
                    self._proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                # It closed its input by exiting, most likely: its exit status (1 or 2 before any
                # answer: it refused to start) decides whether a retry can help, so wait for it.
                try:
                    self._proc.wait(timeout=CLOSE_GRACE_SECONDS)
                    self._end("its standard input closed")
                except subprocess.TimeoutExpired:
                    self.kill(f"it closed its standard input but had not exited {CLOSE_GRACE_SECONDS:g} seconds later")
            if not pending.done.wait(timeout_seconds):
                with self._state_lock:
                    self._pending.pop(request_id, None)
                self.kill(f"no answer to {method} within {timeout_seconds:g} seconds")
                raise RequestTimeout(f"meetingd gave no answer to {method} within {timeout_seconds:g} seconds; it was stopped",
                                     self.log_lines())
            if pending.failure is not None:
                raise pending.failure
            assert pending.response is not None
            return pending.response

    def _read_answers(self) -> None:
        stdout = self._proc.stdout
        try:
            for raw in iter(stdout.readline, b""):
                self._deliver(raw)
        except (OSError, ValueError):
            pass
        finally:
            stdout.close()
            self._stdout_done.set()
            code = self._proc.wait()
            self._end(f"it exited with status {code}")

    def _deliver(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            response = json.loads(text)
        except ValueError:
            log.error("meetingd wrote a line that is not JSON: %.200s", text)
            return
        if not isinstance(response, dict) or "id" not in response:
            log.error("meetingd wrote something that is not a response: %.200s", text)
            return
        response_id = response["id"]
        # A float id never equals the integer sent (12345678901234567890 is not 1.2345678901234567e+19):
        # only an id echoed exactly finds its request.
        key = response_id if isinstance(response_id, (int, str)) and not isinstance(response_id, bool) else None
        with self._state_lock:
            pending = self._pending.pop(key, None) if key is not None else None
            if pending is None and response_id is None and len(self._pending) == 1:
                # An error about the request as a whole (it could not be parsed) carries id null.
                pending = self._pending.pop(next(iter(self._pending)))
        if pending is None:
            log.error("meetingd answered an id no request is waiting for: %.200s", text)
            if response_id is not None:
                self._fail_all(ProtocolError(f"meetingd answered the id {response_id!r}, which was never sent (ids must come back exactly as sent)"))
            return
        self._answered = True
        pending.response = response
        pending.done.set()

    def _read_log(self) -> None:
        try:
            for raw in iter(self._proc.stderr.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self._stderr_lines += 1
                if len(self.stderr_head) < STDERR_HEAD_LINES:
                    self.stderr_head.append(line)
                else:
                    self.stderr_tail.append(line)
                meetingd_log.debug("%s", line)
        except (OSError, ValueError):
            pass
        finally:
            self._proc.stderr.close()

    def _fail_all(self, failure: BaseException) -> None:
        with self._state_lock:
            waiting = list(self._pending.values())
            self._pending.clear()
        for pending in waiting:
            pending.failure = failure
            pending.done.set()

    def _exited(self) -> MeetingdExited:
        self._stderr_reader.join(timeout=1.0)
        status = self._proc.poll()
        if status in REFUSED_TO_START_STATUSES and not self._answered:
            return MeetingdExited(f"meetingd refused to start (exit status {status}): fix what its log says; "
                                  "starting it again would stop the same way", self.log_lines(), status, refused_to_start=True)
        return MeetingdExited(f"meetingd ended: {self._ended}", self.log_lines(), status)

    def log_lines(self) -> List[str]:
        """The log's first lines and its last ones, with a line saying how many were left out
        between them, if any were."""
        tail = list(self.stderr_tail)
        left_out = self._stderr_lines - len(self.stderr_head) - len(tail)
        return self.stderr_head + ([f"… ({left_out} lines of the log left out)"] if left_out > 0 else []) + tail

    def _end(self, why: str) -> None:
        with self._state_lock:
            if self._ended is not None:
                return
            self._ended = why
        try:
            with self._write_lock:
                self._proc.stdin.close()
        except OSError:
            pass
        self._fail_all(self._exited())

    def kill(self, why: str) -> None:
        """Ends the process at once (it is stuck, or the client is being torn down)."""
        try:
            self._proc.kill()
        except OSError:
            pass
        self._proc.wait()
        self._stdout_done.wait(timeout=CLOSE_GRACE_SECONDS)
        self._end(why)

    def close(self, grace_seconds: float = CLOSE_GRACE_SECONDS) -> Optional[int]:
        """Closes meetingd's standard input, which makes it finish what is in flight and exit 0;
        kills it if it has not exited after `grace_seconds`. Returns its exit status."""
        try:
            with self._write_lock:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            code = self._proc.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            self.kill(f"it did not exit within {grace_seconds:g} seconds of its input closing")
            code = self._proc.returncode
        self._stdout_done.wait(timeout=grace_seconds)
        self._end(f"it was closed (status {code})")
        self._stderr_reader.join(timeout=grace_seconds)
        return code


def _json_value(value: Any) -> Any:
    """Params beyond plain JSON: a time zone-aware datetime as RFC 3339, a date as YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"the datetime {value.isoformat()} has no time zone; meetingd needs times with an offset")
        # RFC 3339 offsets are whole minutes: one with seconds (a zone's local mean time before
        # about 1900, a custom tzinfo) is sent as the same instant in UTC.
        if value.utcoffset() % datetime.timedelta(minutes=1):
            value = value.astimezone(datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"a param of type {type(value).__name__} cannot be sent as JSON")


def meetingd_command(path: Optional[str], args: Sequence[str]) -> List[str]:
    """The command line: `path`, else $MEETINGD_PATH, else `meetingd` on this process's PATH (found
    here, so an `env` given to the client without PATH still starts it), then `args`."""
    return [path or os.environ.get("MEETINGD_PATH") or shutil.which("meetingd") or "meetingd", *args]
