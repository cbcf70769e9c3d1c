"""What the client's tests share: the meetingd under test ($MEETINGD_PATH, with $DATABASE_URL), a
community of its own per test, and a client that records every result it receives."""
from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys
import uuid
from typing import Any, Dict, List, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))

from meetingledger import Client  # noqa: E402


def meetingd_path() -> str:
    path = os.environ.get("MEETINGD_PATH")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set MEETINGD_PATH to the built meetingd (scripts/test does) and DATABASE_URL to its database")
    return path


def run_meetingd(*args: str, env: Dict[str, str] = None) -> str:
    done = subprocess.run([meetingd_path(), *args], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"meetingd {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def discover() -> Dict[str, Any]:
    return json.loads(run_meetingd("discover"))


def bootstrap(time_zone: str = "UTC") -> Dict[str, str]:
    """A community of the test's own, and its admin."""
    tag = uuid.uuid4().hex[:10]
    out = run_meetingd("bootstrap", "--community", f"Python client {tag}", "--short-name", "PY", "--admin-email", f"admin-{tag}@py.example",
                       "--admin-first", "Ada", "--admin-last", "Admin", "--time-zone", time_zone)
    return json.loads(out)


class RecordingClient(Client):
    """A client that keeps every (method, result) it received, as JSON."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.results: List[Tuple[str, Any]] = []

    def _send(self, method: str, params: Dict[str, Any]) -> Any:
        result = super()._send(method, params)
        self.results.append((method, result))
        return result


def strict_result_schemas(document: Dict[str, Any]) -> Dict[str, Any]:
    """Each method's result schema with every $ref resolved and every object with declared members
    closed (additionalProperties false): a member the document does not declare fails it."""
    components = document.get("components", {}).get("schemas", {})

    def close(schema: Any) -> Any:
        if isinstance(schema, list):
            return [close(s) for s in schema]
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            return close(components[schema["$ref"].rsplit("/", 1)[1]])
        out = {key: close(value) for key, value in schema.items() if key not in ("properties",)}
        if "properties" in schema:
            out["properties"] = {name: close(value) for name, value in schema["properties"].items()}
            out["additionalProperties"] = False
        return out

    return {m["name"]: close(copy.deepcopy(m["result"]["schema"])) for m in document["methods"]}
