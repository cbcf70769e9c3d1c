"""A Python client for MeetingLedger's meetingd (JSON-RPC 2.0 over a pipe), standard library only.

    from meetingledger import Client, NotFoundError
    with Client(env={"DATABASE_URL": "postgresql://…"}) as ml:
        print(ml.system.ping().version)

Typed methods, result dataclasses and one exception class per error `data.code` are generated
from `rpc.discover` (see scripts/gen_python_client.py in the MeetingLedger repository).
"""
from ._generated import *  # noqa: F401,F403  (the result classes and error classes)
from ._generated import ALIASES, ERRORS, MUTATING_METHODS, OPEN_METHODS, VERSION
from ._runtime import UNSET
from .client import Client, RetryPolicy
from .errors import MeetingdExited, MeetingdUnavailable, MeetingLedgerError, ProtocolError, RequestTimeout, ServiceError

__all__ = [
    "ALIASES", "Client", "ERRORS", "MUTATING_METHODS", "MeetingLedgerError", "MeetingdExited", "MeetingdUnavailable", "OPEN_METHODS",
    "ProtocolError", "RequestTimeout", "RetryPolicy", "ServiceError", "UNSET", "VERSION",
] + [error.__name__ for error in ERRORS.values()]
