#!/usr/bin/env python3
"""Validates an OpenRPC document (the result of rpc.discover) against the OpenRPC meta-schema.

    scripts/validate_openrpc.py DOCUMENT.json      ("-" reads the document from stdin)
        [--meta-schema docs/openrpc-meta-schema.json]

Prints "valid" and exits 0, or prints each problem as "path: message" and exits 1. Besides
the meta-schema (JSON Schema draft-07, which also checks every param and result schema
against the draft-07 meta-schema), it checks what a schema cannot say: method names are
unique, and param names are unique within a method. Works offline: the draft-07
meta-schema the OpenRPC one refers to is the copy bundled with `jsonschema`.
"""
import argparse
import json
import pathlib
import sys

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT7

ROOT = pathlib.Path(__file__).resolve().parent.parent


def leaves(error):
    """The errors that say what is wrong: a value failing a oneOf ("a method or a reference")
    is explained by every error of the alternative that got furthest into the document."""
    if not error.context:
        yield error
        return
    branches = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = max(branches.values(), key=lambda errors: max(len(e.absolute_path) for e in errors))
    for sub in closest:
        yield from leaves(sub)


def problems(document, meta_schema):
    draft7 = DRAFT7.create_resource(jsonschema.Draft7Validator.META_SCHEMA)
    registry = Registry().with_resource("http://json-schema.org/draft-07/schema", draft7)
    validator = jsonschema.Draft7Validator(meta_schema, registry=registry)
    for top in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        for error in leaves(top):
            path = "/".join(str(p) for p in error.absolute_path) or "(document)"
            yield f"{path}: {error.message[:300]}"
    methods = document.get("methods", []) if isinstance(document, dict) else []
    seen = set()
    for i, method in enumerate(methods):
        name = method.get("name") if isinstance(method, dict) else None
        if name in seen:
            yield f"methods/{i}: method {name!r} is listed twice"
        seen.add(name)
        params = method.get("params", []) if isinstance(method, dict) else []
        names = [p.get("name") for p in params if isinstance(p, dict)]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            yield f"methods/{i}/params: param {duplicate!r} of {name!r} is listed twice"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("document", help="the OpenRPC document (JSON), or - for stdin")
    parser.add_argument("--meta-schema", default=str(ROOT / "docs" / "openrpc-meta-schema.json"))
    args = parser.parse_args()
    text = sys.stdin.read() if args.document == "-" else pathlib.Path(args.document).read_text()
    document = json.loads(text)
    meta_schema = json.loads(pathlib.Path(args.meta_schema).read_text())
    found = list(problems(document, meta_schema))
    for problem in found:
        print(problem)
    if found:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
