"""A Python client for MeetingLedger's meetingd (JSON-RPC 2.0 over a pipe), standard library only.

    from meetingledger import Client, NotFoundError
    with Client(env={"DATABASE_URL": "postgresql://…"}) as ml:
        print(ml.system.ping().version)

Typed methods, result dataclasses and one exception class per error `data.code` are generated
from `rpc.discover` (see scripts/gen_python_client.py in the MeetingLedger repository).
"""
from ._generated import *  # noqa: F401,F403  (the result and input types and the error classes)
from ._generated import __all__ as _generated_names
from ._runtime import UNSET
from .client import Client, RetryPolicy
from .errors import MeetingdExited, MeetingdUnavailable, MeetingLedgerError, MissingMemberWarning, ProtocolError, RequestTimeout, ServiceError

__all__ = [
    "Client", "MeetingLedgerError", "MeetingdExited", "MeetingdUnavailable", "MissingMemberWarning", "ProtocolError", "RequestTimeout", "RetryPolicy",
    "ServiceError",
    "UNSET", *_generated_names,
]
