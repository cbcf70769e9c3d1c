#!/usr/bin/env python3
"""Validates an OpenRPC document (the result of rpc.discover) against the OpenRPC meta-schema.

    scripts/validate_openrpc.py DOCUMENT.json      ("-" reads the document from stdin)
        [--meta-schema docs/openrpc-meta-schema.json]

Prints "valid" and exits 0, or prints each problem as "path: message" and exits 1. Besides
the meta-schema (JSON Schema draft-07, which also checks every param and result schema
against the draft-07 meta-schema), it checks what a schema cannot say:
- method names are unique, and param names are unique within a method;
- every part of a method name is an identifier in the languages clients are generated for
  (not a Python, JavaScript or TypeScript keyword: `import.csv` would need `client.import`),
  and no alias under `x-aliases` is also a method's name;
- every schema anywhere (params, results, components.schemas, at any depth) has a `type` or a
  `$ref`, and every `$ref` resolves;
- every example's params are the method's (its required ones included) and each example's
  params and result validate against the method's schemas.
Works offline: the draft-07 meta-schema the OpenRPC one refers to is the copy bundled with
`jsonschema`.
"""
import argparse
import json
import keyword
import pathlib
import re
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


# Words no generated client may use as an attribute: Python's keywords and JavaScript's and
# TypeScript's reserved words.
RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | {
    "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
    "export", "extends", "false", "finally", "for", "function", "if", "implements", "import", "in", "instanceof", "interface",
    "let", "new", "null", "package", "private", "protected", "public", "return", "static", "super", "switch", "this", "throw",
    "true", "try", "typeof", "var", "void", "while", "with", "yield",
}


def name_problems(methods):
    names = {m.get("name") for m in methods if isinstance(m, dict)}
    for i, method in enumerate(methods):
        if not isinstance(method, dict):
            continue
        name = str(method.get("name", ""))
        for part in name.split("."):
            if not re.fullmatch(r"[a-z][a-z0-9_]*", part):
                yield f"methods/{i}: {name!r}: {part!r} is not an identifier (lower case letters, digits and _)"
            elif part in RESERVED:
                yield f"methods/{i}: {name!r}: {part!r} is a reserved word in Python or JavaScript; a generated client cannot name it"
        for j, alias in enumerate(method.get("x-aliases", [])):
            if alias.get("name") in names:
                yield f"methods/{i}/x-aliases/{j}: {alias.get('name')!r} is also a method's name"


def schema_problems(schema, path, components):
    """Schemas with neither a type nor a $ref, and $refs that lead nowhere, at any depth."""
    if not isinstance(schema, dict):
        yield f"{path}: not a schema"
        return
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/components/schemas/") or ref.rsplit("/", 1)[1] not in components:
            yield f"{path}: $ref {ref!r} does not resolve"
        return
    if "type" not in schema:
        yield f"{path}: a schema without a type or $ref ({json.dumps(schema)[:120]})"
    for key in ("oneOf", "anyOf", "allOf"):
        for i, branch in enumerate(schema.get(key, [])):
            yield from schema_problems(branch, f"{path}/{key}/{i}", components)
    for name, member in schema.get("properties", {}).items():
        yield from schema_problems(member, f"{path}/properties/{name}", components)
    if "items" in schema:
        yield from schema_problems(schema["items"], f"{path}/items", components)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from schema_problems(schema["additionalProperties"], f"{path}/additionalProperties", components)


def inline(schema, components):
    """The schema with every $ref replaced by what it refers to (the document's schemas do not
    refer to themselves)."""
    if isinstance(schema, list):
        return [inline(s, components) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema and schema["$ref"].rsplit("/", 1)[1] in components:
        return inline(components[schema["$ref"].rsplit("/", 1)[1]], components)
    return {key: inline(value, components) for key, value in schema.items()}


def example_problems(method, i, components):
    params = {p.get("name"): p for p in method.get("params", []) if isinstance(p, dict)}
    for j, example in enumerate(method.get("examples", [])):
        where = f"methods/{i}/examples/{j}"
        given = {p.get("name"): p.get("value") for p in example.get("params", [])}
        for name in given.keys() - params.keys():
            yield f"{where}: param {name!r} is not one of {method.get('name')!r}'s"
        for name, param in params.items():
            if param.get("required") and name not in given:
                yield f"{where}: the required param {name!r} is missing"
            if name in given:
                for error in jsonschema.Draft7Validator(inline(param["schema"], components)).iter_errors(given[name]):
                    yield f"{where}/params/{name}: {error.message[:200]}"
        if "result" in example:
            schema = inline(method.get("result", {}).get("schema", {}), components)
            for error in jsonschema.Draft7Validator(schema).iter_errors(example["result"].get("value")):
                path = "/".join(str(p) for p in error.absolute_path)
                yield f"{where}/result/{path}: {error.message[:200]}"


def contract_problems(document):
    if not isinstance(document, dict):
        return
    components = document.get("components", {}).get("schemas", {})
    methods = [m for m in document.get("methods", []) if isinstance(m, dict)]
    yield from name_problems(methods)
    for name, schema in components.items():
        yield from schema_problems(schema, f"components/schemas/{name}", components)
    for i, method in enumerate(methods):
        for j, param in enumerate(method.get("params", [])):
            if isinstance(param, dict) and "schema" in param:
                yield from schema_problems(param["schema"], f"methods/{i}/params/{j}/schema", components)
        if isinstance(method.get("result"), dict) and "schema" in method["result"]:
            yield from schema_problems(method["result"]["schema"], f"methods/{i}/result/schema", components)
        yield from example_problems(method, i, components)
        for j, error in enumerate(method.get("errors", [])):
            ref = error.get("$ref", "") if isinstance(error, dict) else ""
            if ref and ref.rsplit("/", 1)[1] not in document.get("components", {}).get("errors", {}):
                yield f"methods/{i}/errors/{j}: $ref {ref!r} does not resolve"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("document", help="the OpenRPC document (JSON), or - for stdin")
    parser.add_argument("--meta-schema", default=str(ROOT / "docs" / "openrpc-meta-schema.json"))
    args = parser.parse_args()
    text = sys.stdin.read() if args.document == "-" else pathlib.Path(args.document).read_text()
    document = json.loads(text)
    meta_schema = json.loads(pathlib.Path(args.meta_schema).read_text())
    found = list(problems(document, meta_schema)) + list(contract_problems(document))
    for problem in found:
        print(problem)
    if found:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
