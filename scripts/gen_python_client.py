#!/usr/bin/env python3
"""Generates the Python client's typed part (clients/python/meetingledger/_generated.py) from the
OpenRPC document that `meetingd discover` prints:

    meetingd discover | scripts/gen_python_client.py > clients/python/meetingledger/_generated.py

One dataclass per object schema (the shared ones under components.schemas by their names, a
method's own result as <Method>Result), one exception class per error `data.code`, and one
namespace per method-name prefix with a typed method per method (`meeting.request` is
`client.meeting.request(...)`). Nothing here is written per method: a method added to meetingd
appears once this is run again. The client's tests regenerate the file and compare, so it cannot
drift from what meetingd publishes.

Fails (exit 1, naming it) on a document a Python client cannot be generated from: a method name
whose parts are not identifiers (`import.csv` would need `client.import`), or two names that
would become the same Python name.
"""
import json
import keyword
import textwrap
import re
import sys

REF_PREFIX = "#/components/schemas/"
ERROR_REF_PREFIX = "#/components/errors/"
# Attributes of Client itself, which a namespace must not hide.
CLIENT_ATTRIBUTES = {"actor", "as_actor", "call", "close", "iterate", "pages", "retry", "timeout_seconds", "meetingd_starts", "meetingd_pid"}
EXTRA = "extra"


class GenerationError(Exception):
    pass


def camel(name):
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def error_class(data_code):
    name = camel(data_code)
    return name if name.endswith("Error") else name + "Error"


def escaped(text):
    """Text for inside a docstring: a backslash stays a backslash (the service's texts write
    escapes, such as "\\;"), and quotes cannot end the docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def attribute(name):
    """A JSON member or param name as a Python name: a keyword gets a trailing underscore."""
    if not name.isidentifier():
        raise GenerationError(f"{name!r} is not a Python identifier")
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def method_parts(name):
    parts = name.split(".")
    for part in parts:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", part) or keyword.iskeyword(part) or keyword.issoftkeyword(part):
            raise GenerationError(
                f"method {name!r}: {part!r} cannot be a Python attribute (client.{'.'.join(parts)}); rename the method")
    return parts


class Generator:
    def __init__(self, document):
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})
        self.classes = {}  # class name -> schema
        self.order = []
        self.inputs = {}  # TypedDict name -> (schema, [(member, annotation)]), in definition order

    # -- types -----------------------------------------------------------------------------------

    def resolve(self, schema):
        ref = schema.get("$ref")
        if ref is None:
            return schema
        if not ref.startswith(REF_PREFIX) or ref[len(REF_PREFIX):] not in self.components:
            raise GenerationError(f"unresolvable $ref {ref!r}")
        return self.components[ref[len(REF_PREFIX):]]

    def class_for(self, schema, suggested):
        """The dataclass for an object schema: a shared one under its component name, an inline
        one under `suggested`."""
        ref = schema.get("$ref")
        name = camel(ref[len(REF_PREFIX):]) if ref else suggested
        target = self.resolve(schema)
        if name in self.classes:
            if self.classes[name] is not target:
                raise GenerationError(f"two different schemas would both be the class {name}")
            return name
        self.classes[name] = target
        self.order.append(name)
        for member, member_schema in target.get("properties", {}).items():
            self.result_type(member_schema, name + camel(member))
        return name

    def non_null(self, schema):
        """(the schema without its null alternative, whether null is allowed)."""
        if "oneOf" in schema:
            branches = [b for b in schema["oneOf"] if b.get("type") != "null"]
            nullable = len(branches) < len(schema["oneOf"])
            if len(branches) == 1:
                return branches[0], nullable
            return {"type": "any"}, nullable
        kind = schema.get("type")
        if isinstance(kind, list):
            rest = [k for k in kind if k != "null"]
            stripped = dict(schema, type=rest[0] if len(rest) == 1 else rest)
            if "enum" in stripped:
                stripped["enum"] = [v for v in stripped["enum"] if v is not None]
            return stripped, "null" in kind
        return schema, False

    def result_type(self, schema, suggested):
        """(Python annotation, converter expression or None) for a value of `schema`."""
        inner, nullable = self.non_null(schema)
        annotation, convert = self.plain_type(inner, suggested)
        return (f"Optional[{annotation}]" if nullable else annotation), convert

    def plain_type(self, schema, suggested):
        resolved = self.resolve(schema)
        kind = resolved.get("type")
        if kind == "object" and resolved.get("properties"):
            name = self.class_for(schema, suggested)
            return name, f"{name}.from_json"
        if kind == "array":
            item, convert = self.result_type(resolved.get("items", {}), suggested + "Item")
            return f"List[{item}]", (f"list_of({convert})" if convert else None)
        return self.scalar(resolved), None

    @staticmethod
    def scalar(schema):
        kind = schema.get("type")
        if "enum" in schema and kind == "string":
            return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
        return {"string": "str", "integer": "int", "boolean": "bool", "number": "float", "object": "Dict[str, Any]"}.get(kind, "Any")

    def hint(self, schema):
        """What a param's schema says beyond its Python type, for the docstring."""
        inner, _ = self.non_null(schema)
        resolved = self.resolve(inner)
        notes = []
        if resolved.get("format"):
            notes.append(resolved["format"])
        pattern = resolved.get("pattern", "")
        if re.fullmatch(r"\^[a-z]{3}_\[0-9a-f\]\{32\}\$", pattern):
            notes.append(f"{pattern[1:4]}_… id")
        if "minimum" in resolved and "maximum" in resolved and abs(resolved["maximum"]) < 2 ** 62:
            notes.append(f"{resolved['minimum']}…{resolved['maximum']}" + (f" in steps of {resolved['multipleOf']}" if "multipleOf" in resolved else ""))
        if resolved.get("type") == "array" and "items" in resolved:
            item = self.hint(resolved["items"]).strip(" ()")
            if item:
                notes.append(f"items: {item}")
        return f" ({', '.join(notes)})" if notes else ""

    def is_date(self, schema, format="date"):
        """Whether a param's value is a date (format date), or a list of dates; with `format`
        date-time, a time or a list of times."""
        resolved = self.resolve(self.non_null(schema)[0])
        if resolved.get("type") == "array":
            resolved = self.resolve(self.non_null(resolved.get("items", {}))[0])
        return resolved.get("type") == "string" and resolved.get("format") == format

    def param_type(self, schema, suggested):
        inner, nullable = self.non_null(schema)
        resolved = self.resolve(inner)
        kind = resolved.get("type")
        if kind == "object" and resolved.get("properties"):
            annotation = self.input_for(inner, suggested)
        elif kind == "object":
            annotation = "Mapping[str, Any]"
        elif kind == "array":
            annotation = f"Sequence[{self.param_type(resolved.get('items', {}), suggested + 'Item')}]"
        else:
            # A time or a date may be given as the client's README says: an aware datetime, a date.
            annotation = self.PARAM_FORMATS.get(resolved.get("format"), self.scalar(resolved)) if kind == "string" else self.scalar(resolved)
        return f"Optional[{annotation}]" if nullable else annotation

    PARAM_FORMATS = {"date-time": "Union[str, datetime.datetime]", "date": "Union[str, datetime.date]"}

    def input_for(self, schema, suggested):
        """The TypedDict an object param is typed with: a shared shape's `<Name>Input`, an inline
        one's `<Method><Param>Input`. Defined after the TypedDicts its members use."""
        ref = schema.get("$ref")
        name = (camel(ref[len(REF_PREFIX):]) if ref else suggested) + "Input"
        target = self.resolve(schema)
        if name in self.inputs:
            if self.inputs[name][0] is not target:
                raise GenerationError(f"two different schemas would both be the TypedDict {name}")
            return name
        members = [(member, self.param_type(member_schema, name[:-len("Input")] + camel(member)))
                   for member, member_schema in target.get("properties", {}).items()]
        self.inputs[name] = (target, members)
        return name

    # -- output ----------------------------------------------------------------------------------

    def errors(self):
        codes = {}
        for key, error in sorted(self.document.get("components", {}).get("errors", {}).items()):
            data_code = (error.get("data") or {}).get("code") or key
            codes[data_code] = error
        lines = []
        for data_code, error in codes.items():
            name = error_class(data_code)
            retry = " Retryable: the client retries it itself." if (error.get("data") or {}).get("retryable") else ""
            lines += [
                f"class {name}(ServiceError):",
                f'    """{error["code"]} `{data_code}`.{retry}"""',
                "",
                f"    data_code = {json.dumps(data_code)}",
            ] + (["    retryable = True"] if retry else []) + [
                "",
                "",
            ]
        lines.append("ERRORS: Dict[str, Type[ServiceError]] = {")
        lines += [f"    {json.dumps(code)}: {error_class(code)}," for code in codes]
        lines += ["}", "", ""]
        return lines, codes

    def dataclass(self, name):
        schema = self.classes[name]
        required = set(schema.get("required", []))
        members = list(schema.get("properties", {}).items())
        attributes = [attribute(member) for member, _ in members]
        if EXTRA in attributes or len(set(attributes)) != len(attributes):
            raise GenerationError(f"class {name}: its members cannot all become distinct Python attributes")
        lines = ["@dataclass", f"class {name}:"]
        description = schema.get("description") or f"The {name} object as meetingd answers it."
        lines += [f'    """{escaped(description)}', "", f'    Members meetingd adds after this client was generated are kept in `{EXTRA}`."""', ""]
        specs = []
        ordered = [m for m in members if m[0] in required] + [m for m in members if m[0] not in required]
        for member, member_schema in ordered:
            annotation, convert = self.result_type(member_schema, name + camel(member))
            if member in required:
                lines.append(f"    {attribute(member)}: {annotation}")
            else:
                lines.append(f"    {attribute(member)}: Optional[{annotation}] = None" if not annotation.startswith("Optional[")
                             else f"    {attribute(member)}: {annotation} = None")
            specs.append(f"({json.dumps(member)}, {json.dumps(attribute(member))}, {convert or 'None'}, {member in required})")
        lines += [f"    {EXTRA}: Dict[str, Any] = field(default_factory=dict, repr=False)", ""]
        lines += [
            "    @classmethod",
            f"    def from_json(cls, value: Any) -> \"{name}\":",
            f"        return decode(cls, value, _{name}_FIELDS)",
            "",
            "",
        ]
        table = [f"_{name}_FIELDS: Tuple[FieldSpec, ...] = ("] + [f"    {spec}," for spec in specs] + [")", ""]
        return lines, table

    def typed_dict(self, name, schema, members):
        """An object param's TypedDict: its required members required, the others optional. The
        functional form, as a member may be a keyword (`class`); with both kinds, a total one of
        the required and a total=False one of the others, and the TypedDict both of them."""
        required = [(m, t) for m, t in members if m in schema.get("required", [])]
        optional = [(m, t) for m, t in members if m not in schema.get("required", [])]
        listed = ", ".join(f"`{m}`" for m in schema.get("required", []))
        lines = [f"# An object param's members{' (' + listed + ' required)' if listed else ''}; a plain dict of them will do."]

        def member(m, t):
            # What the member means (its description and bounds) beside it, as a param's docstring says.
            spec = schema.get("properties", {}).get(m, {})
            text = (self.hint(spec).strip() + " " + (spec.get("description") or "")).strip()
            return f"    {json.dumps(m)}: {t}," + (f"  # {text}" if text else "")

        def functional(class_name, of, total):
            return ([f"{class_name} = TypedDict({json.dumps(class_name)}, {{"] + [member(m, t) for m, t in of]
                    + ["})" if total else "}, total=False)"])

        if not optional or not required:
            return lines + functional(name, members, total=bool(required)) + ["", ""]
        lines += functional(f"_{name}Required", required, total=True) + functional(f"_{name}Optional", optional, total=False)
        return lines + [f"class {name}(_{name}Required, _{name}Optional):", f'    """{escaped(lines[0][2:])}"""', "", ""]

    def method(self, method, mutating):
        parts = method_parts(method["name"])
        result_annotation, convert = self.result_type(method["result"]["schema"], camel(method["name"]) + "Result")
        params = method.get("params", [])
        names = [attribute(p["name"]) for p in params]
        if len(set(names)) != len(names) or "self" in names:
            raise GenerationError(f"method {method['name']}: its params cannot all become distinct Python names")
        required = [p for p in params if p.get("required") and p["name"] != "actor"]
        optional = [p for p in params if not p.get("required") or p["name"] == "actor"]
        signature = ["self", "*"] if params else ["self"]
        for p in required:
            signature.append(f"{attribute(p['name'])}: {self.param_type(p['schema'], camel(method['name']) + camel(p['name']))}")
        for p in optional:
            annotation = self.param_type(p["schema"], camel(method["name"]) + camel(p["name"]))
            annotation = annotation if annotation.startswith("Optional[") else f"Optional[{annotation}]"
            default = "None" if p["name"] in ("actor", "idempotency_key") else "UNSET"
            signature.append(f"{attribute(p['name'])}: {annotation} = {default}")
        doc = [method.get("summary", "").rstrip(".") + ".", ""]
        if method.get("description"):
            doc += [method["description"], ""]
        for p in params:
            text = p.get("description") or p["schema"].get("description", "")
            line = f"{attribute(p['name'])}{self.hint(p['schema'])}" + (f": {text}" if text else "")
            doc += textwrap.wrap(line, 100, subsequent_indent="    ")
        errors = [error_class(e["$ref"][len(ERROR_REF_PREFIX):] if "$ref" in e else e["message"]) for e in method.get("errors", [])]
        if errors:
            doc += [""] + textwrap.wrap("Raises " + ", ".join(errors) + ".", 100)
        def value(p):
            # None for a param that may not be null leaves it out, as the service refuses null
            # where the schema does not allow it.
            nullable = isinstance(p["schema"].get("type"), list) and "null" in p["schema"]["type"]
            leave_out = not p.get("required") and not nullable and p["name"] not in ("actor", "idempotency_key")
            given = f"UNSET if {attribute(p['name'])} is None else {attribute(p['name'])}" if leave_out else attribute(p["name"])
            # A datetime passes for a date with a type checker: a date param refuses it here, and a
            # time param a date alone.
            if self.is_date(p["schema"]):
                return f"date_only({json.dumps(p['name'])}, {given})"
            if self.is_date(p["schema"], "date-time"):
                return f"time_only({json.dumps(p['name'])}, {given})"
            return given

        body = ", ".join(f"{json.dumps(p['name'])}: {value(p)}" for p in params)
        call = f"self._client._call({json.dumps(method['name'])}, {{{body}}}, {mutating}"
        call += f", {convert})" if convert else ")"
        lines = [f"    def {parts[-1]}(", *[f"        {s}," for s in signature], f"    ) -> {result_annotation}:"]
        doc = [escaped(line) for line in doc]
        lines += ['        """' + doc[0]] + [("        " + line) if line else "" for line in doc[1:]] + ['        """']
        lines += [f"        return {call}", ""]
        return parts, lines

    def generate(self):
        methods = self.document["methods"]
        info = self.document["info"]
        out = [
            f"# Generated by scripts/gen_python_client.py from rpc.discover ({info['title']} {info['version']}).",
            "# Do not edit: run `meetingd discover | scripts/gen_python_client.py > clients/python/meetingledger/_generated.py`.",
            "# flake8: noqa",
            "from __future__ import annotations",
            "",
            "import datetime",
            "from dataclasses import dataclass, field",
            "from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Type, TypedDict, Union",
            "",
            "from ._runtime import UNSET, FieldSpec, date_only, decode, list_of, time_only",
            "from .errors import ServiceError",
            "",
            f"VERSION = {json.dumps(info['version'])}",
            "",
        ]
        open_methods = sorted(m["name"] for m in methods if not any(p["name"] == "actor" for p in m.get("params", [])))
        mutating = sorted(m["name"] for m in methods if any(p["name"] == "idempotency_key" for p in m.get("params", [])))
        aliases = {a["name"]: m["name"] for m in methods for a in m.get("x-aliases", [])}
        out += ["# Methods that take no actor.", "OPEN_METHODS = frozenset({"] + [f"    {json.dumps(n)}," for n in open_methods] + ["})", ""]
        out += ["# Methods that change something: each call gets an idempotency key.", "MUTATING_METHODS = frozenset({"]
        out += [f"    {json.dumps(n)}," for n in mutating + sorted(a for a, m in aliases.items() if m in mutating)] + ["})", ""]
        out += ["# Earlier names meetingd still answers to, and the method each now is.", "ALIASES = {"]
        out += [f"    {json.dumps(a)}: {json.dumps(m)}," for a, m in sorted(aliases.items())] + ["}", "", ""]
        error_lines, codes = self.errors()
        out += error_lines

        namespaces = {}  # path tuple -> list of method lines
        for m in methods:
            parts, lines = self.method(m, m["name"] in mutating)
            namespaces.setdefault(tuple(parts[:-1]), []).append((parts[-1], lines))
        for path in list(namespaces):
            for depth in range(len(path)):
                namespaces.setdefault(path[:depth], [])
        for name, (schema, members) in self.inputs.items():
            out += self.typed_dict(name, schema, members)
        for name in self.order:
            class_lines, _ = self.dataclass(name)
            out += class_lines
        for name in self.order:
            _, table = self.dataclass(name)
            out += table
        out.append("")

        exported = ["VERSION", "OPEN_METHODS", "MUTATING_METHODS", "ALIASES", "ERRORS", *(error_class(c) for c in codes), *self.inputs, *self.order]
        out += ["# What `from meetingledger import *` gives: the result and input types and the error classes.", "__all__ = ["]
        out += [f"    {json.dumps(name)}," for name in exported] + ["]", "", ""]
        for path in sorted(namespaces, key=lambda p: (-len(p), p)):
            children = sorted(p[-1] for p in namespaces if len(p) == len(path) + 1 and p[:len(path)] == path)
            members = [name for name, _ in namespaces[path]]
            if len(set(members + children)) != len(members) + len(children):
                raise GenerationError(f"namespace {'.'.join(path) or '(top)'}: a method and a namespace share a name")
            if not path and CLIENT_ATTRIBUTES & set(members + children):
                raise GenerationError(f"{sorted(CLIENT_ATTRIBUTES & set(members + children))} would hide the client's own attributes")
            class_name = "Namespaces" if not path else camel("_".join(path)) + "Namespace"
            title = "The methods, by the first part of their names." if not path else f"The `{'.'.join(path)}.*` methods."
            out += [f"class {class_name}:", f'    """{escaped(title)}"""', "", "    def __init__(self, client: Any) -> None:",
                    "        self._client = client"]
            out += [f"        self.{c} = {camel('_'.join(path + (c,)))}Namespace(client)" for c in children]
            out.append("")
            for _, lines in sorted(namespaces[path]):
                out += lines
            out.append("")
        return "\n".join(out).rstrip("\n") + "\n"


def main():
    try:
        document = json.load(sys.stdin)
        sys.stdout.write(Generator(document).generate())
    except GenerationError as error:
        print(f"gen_python_client: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
