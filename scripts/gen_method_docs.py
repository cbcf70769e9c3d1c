#!/usr/bin/env python3
"""Renders docs/METHODS.md from the OpenRPC document that `meetingd discover` prints.

    scripts/gen_method_docs.py < discover.json > docs/METHODS.md

The end-to-end tests regenerate it and compare, so the reference cannot drift from the registry.
"""
import json
import sys


def describe(schema):
    if not isinstance(schema, dict):
        return ""
    if "oneOf" in schema:
        return " or ".join(describe(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        text = f"array of {describe(schema.get('items', {}))}"
    elif "enum" in schema:
        text = " \\| ".join(f"`{v}`" for v in schema["enum"])
    else:
        text = kind
    if schema.get("format"):
        text += f" ({schema['format']})"
    if "pattern" in schema and schema["pattern"].startswith("^") and "_[0-9a-f]" in schema["pattern"]:
        text += f" id `{schema['pattern'][1:4]}_…`"
    if "minimum" in schema and "maximum" in schema:
        text += f" {schema['minimum']}…{schema['maximum']}"
    if "maxLength" in schema and kind == "string" and "enum" not in schema and "pattern" not in schema:
        text += f" ≤ {schema['maxLength']} chars"
    return text


def main():
    doc = json.load(sys.stdin)
    out = [
        "# MeetingLedger methods",
        "",
        f"Generated from `meetingd discover` (OpenRPC {doc['openrpc']}, service {doc['info']['version']}) by",
        "`scripts/gen_method_docs.py`; a test regenerates it, so it matches what `meetingd` dispatches.",
        "Every call except `rpc.discover` and `system.ping` takes `actor`; mutating calls take `idempotency_key`.",
        "A `meetingd --pin-actor PERSON` acts as PERSON alone: `actor` may be left out, and naming anyone else",
        "is refused with 4003 `forbidden`; `system.ping` answers `pinned_actor`.",
        "",
        "| method | summary |",
        "|---|---|",
    ]
    for m in doc["methods"]:
        out.append(f"| [`{m['name']}`](#{m['name'].replace('.', '')}) | {m['summary']} |")
    for m in doc["methods"]:
        out += ["", f"## {m['name']}", "", m["summary"] + ".", "", m.get("description", ""), ""]
        if m["params"]:
            out += ["| param | required | type | notes |", "|---|---|---|---|"]
            for p in m["params"]:
                notes = p.get("description") or p["schema"].get("description", "")
                out.append(f"| `{p['name']}` | {'yes' if p['required'] else ''} | {describe(p['schema'])} | {notes} |")
        else:
            out.append("No params.")
        result = m["result"]["schema"]
        fields = ", ".join(f"`{k}`" for k in result.get("properties", {}))
        out += ["", "Result: " + (fields if fields else result.get("description", describe(result)))]
        errors = [f"{e['code']} `{e['message']}`" for e in m.get("errors", [])]
        if errors:
            out += ["", "Errors: " + ", ".join(errors)]
    print("\n".join(out))


if __name__ == "__main__":
    main()
