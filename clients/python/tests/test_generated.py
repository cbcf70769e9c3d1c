"""The typed part of the client is generated from rpc.discover and cannot drift from it; and the
generator refuses a document it cannot make a usable client of."""
from __future__ import annotations

import copy
import inspect
import keyword
import typing
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import venv

from support import ROOT, discover, meetingd_path

GENERATOR = ROOT / "scripts" / "gen_python_client.py"
COMMITTED = ROOT / "clients" / "python" / "meetingledger" / "_generated.py"


def generate(document):
    return subprocess.run([sys.executable, str(GENERATOR)], input=json.dumps(document), capture_output=True, text=True, timeout=60)


def python_name(param):
    """A param's keyword in the typed method: a Python keyword gets a trailing underscore."""
    return param + "_" if keyword.iskeyword(param) or keyword.issoftkeyword(param) else param


def typed_methods(document):
    """(method, its typed method, the typed method's type hints) for every method of `document`."""
    import meetingledger
    from meetingledger import Client
    client = Client.__new__(Client)
    meetingledger._generated.Namespaces.__init__(client, client)
    for method in document["methods"]:
        target = client
        for part in method["name"].split("."):
            target = getattr(target, part)
        yield method, target, typing.get_type_hints(target)  # every annotation names a type that exists


class GeneratedClientTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.document = discover()

    def test_the_generated_client_compiles_with_warnings_as_errors(self):
        # A service text with a backslash (catalog.import_csv's escapes) was copied into a
        # docstring as an invalid escape: a SyntaxWarning on Python 3.12, an error to come.
        import warnings
        source = COMMITTED.read_text()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(source, str(COMMITTED), "exec")
        self.assertIn(r"written \\; or \\\\;", source, "the service's words, each backslash kept")

    def test_the_committed_client_is_what_rpc_discover_generates(self):
        generated = generate(self.document)
        self.assertEqual(generated.returncode, 0, generated.stderr)
        self.assertTrue(generated.stdout == COMMITTED.read_text(),
                        "clients/python/meetingledger/_generated.py is stale: run "
                        "`meetingd discover | scripts/gen_python_client.py > clients/python/meetingledger/_generated.py`")
        pyproject = (ROOT / "clients" / "python" / "pyproject.toml").read_text()
        self.assertIn(f'version = "{self.document["info"]["version"]}"', pyproject, "the package's version is meetingd's")

    def test_every_method_has_its_typed_method(self):
        import meetingledger
        from meetingledger import Client
        client = Client.__new__(Client)
        meetingledger._generated.Namespaces.__init__(client, client)
        for method, target, hints in typed_methods(self.document):
            self.assertTrue(callable(target), method["name"])
            required = {p["name"] for p in method["params"] if p.get("required") and p["name"] != "actor"}
            self.assertEqual({n for n, p in inspect.signature(target).parameters.items() if p.default is inspect.Parameter.empty},
                             {python_name(n) for n in required}, method["name"])
            self.assertIn("return", hints)
        errors = {e.get("data", {}).get("code"): e for e in self.document["components"]["errors"].values()}
        for code, cls in meetingledger.ERRORS.items():
            self.assertTrue(issubclass(cls, meetingledger.ServiceError))
            # Built without data (by a caller's own code), an error is as retryable as its kind.
            self.assertEqual(cls(0, "x", None).retryable, bool(errors[code].get("data", {}).get("retryable")), code)
        for name in ("Meeting", "Transfer", "Series", "AccountBalance", "OutboxMessage"):
            self.assertIn("extra", typing.get_type_hints(getattr(meetingledger, name)))
        rules = typing.get_type_hints(client.availability.set_weekly)["rules"]
        self.assertEqual(rules, typing.Sequence[meetingledger._generated.WeeklyRuleInput], "object params are TypedDicts")
        self.assertEqual(typing.get_type_hints(meetingledger.Meeting)["alternate"], typing.Optional[meetingledger.Alternate])

    def test_an_object_param_requires_the_members_its_schema_requires(self):
        """A TypedDict's required keys are the schema's `required`, the rest may be left out: a rule
        without its weekday is a type error, not a refusal from meetingd."""
        if sys.version_info < (3, 9):
            self.skipTest("TypedDict keeps __required_keys__ from Python 3.9")
        components = self.document["components"]["schemas"]

        def resolved(schema):
            schema = components[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
            branches = [b for b in schema.get("oneOf", [schema]) if b.get("type") != "null"]
            return resolved(branches[0]) if len(branches) == 1 and branches[0] is not schema else schema

        def typed_dict(annotation):
            if isinstance(annotation, type) and issubclass(annotation, dict) and hasattr(annotation, "__total__"):
                return annotation
            found = [t for t in map(typed_dict, typing.get_args(annotation)) if t is not None]
            return found[0] if found else None

        checked = {}

        def check(annotation, schema, where):
            schema = resolved(schema)
            if schema.get("type") == "array":
                return check(annotation, schema.get("items", {}), where)
            if schema.get("type") != "object" or not schema.get("properties"):
                return
            cls = typed_dict(annotation)
            self.assertIsNotNone(cls, where)
            required = set(schema.get("required", []))
            self.assertEqual(set(cls.__required_keys__), required, f"{where}: {cls.__name__}")
            self.assertEqual(set(cls.__optional_keys__), set(schema["properties"]) - required, f"{where}: {cls.__name__}")
            checked[cls.__name__] = required
            hints = typing.get_type_hints(cls)
            for member, member_schema in schema["properties"].items():
                check(hints[member], member_schema, f"{where}.{member}")

        for method, _, hints in typed_methods(self.document):
            for param in method["params"]:
                name = python_name(param["name"])
                check(hints[name], param["schema"], f"{method['name']} {name}")
        self.assertEqual(checked["WeeklyRuleInput"], {"weekday", "start", "end", "location_ids"})
        self.assertEqual(checked["FeedbackAnswerInput"], {"question", "answer"})
        self.assertEqual(checked["CommunityUpdateSettingsLabelsInput"], set(), "all optional, one of them the keyword `class`")

    def test_mypy_strict_refuses_an_object_param_without_a_required_member(self):
        """Where mypy is installed: a rule without its weekday does not type-check; a whole one does."""
        try:
            from mypy import api as mypy
        except ImportError:
            self.skipTest("mypy is not installed")
        program = ("from typing import List\n"
                   "from meetingledger import FeedbackAnswerInput, WeeklyRuleInput\n"
                   "whole: List[WeeklyRuleInput] = [{'weekday': 1, 'start': '09:00', 'end': '12:00', 'location_ids': ['loc_1']}]\n"
                   "also: List[WeeklyRuleInput] = [{'weekday': 1, 'start': '09:00', 'end': '12:00', 'location_ids': [], 'service_ids': None}]\n"
                   "answer: FeedbackAnswerInput = {'question': 'q', 'answer': 'a'}\n")
        missing = "rules: List[WeeklyRuleInput] = [{'start': '09:00'}]\n"
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "uses.py")
            config = os.path.join(folder, "mypy.ini")
            with open(config, "w") as f:
                f.write(f"[mypy]\nmypy_path = {ROOT / 'clients' / 'python'}\n# As where it is installed: the client's own modules are read, not reported on.\nfollow_imports = silent\n")
            for source, clean in ((program, True), (program + missing, False)):
                with open(path, "w") as f:
                    f.write(source)
                out, err, status = mypy.run(["--strict", "--config-file", config, "--no-incremental", "--cache-dir", os.path.join(folder, "cache"), path])
                if clean:
                    self.assertEqual(status, 0, out + err)
                else:
                    self.assertEqual(status, 1, out + err)
                    self.assertRegex(out, r'uses\.py:6: error: Missing keys \("end", "location_ids", "weekday"\) for TypedDict "WeeklyRuleInput"', err)
                    self.assertEqual(out.count(": error:"), 1, out)

    def test_the_readme_names_every_renamed_param_and_member(self):
        """A param or result member named by a Python keyword gets a trailing underscore (`from`
        is `from_`): the README says so of each one rpc.discover has."""
        readme = (ROOT / "clients" / "python" / "README.md").read_text()
        renamed = {p["name"] for m in self.document["methods"] for p in m["params"] if python_name(p["name"]) != p["name"]}

        def members(schema):
            if isinstance(schema, dict):
                renamed.update(n for n in schema.get("properties", {}) if python_name(n) != n)
                for value in schema.values():
                    members(value)
            elif isinstance(schema, list):
                for value in schema:
                    members(value)

        members([m["result"] for m in self.document["methods"]])
        members(self.document["components"]["schemas"])
        self.assertTrue({"from", "as", "class"} <= renamed, renamed)
        for name in renamed:
            self.assertIn(f"`{name}` is `{name}_`", readme)

    def test_times_and_dates_are_typed_as_the_readme_says_they_may_be_given(self):
        """A time param takes an aware datetime and a date param a date (README), so a type checker
        accepts them: every date-time and date param's annotation admits them beside the text."""
        import datetime
        formats = {"date-time": datetime.datetime, "date": datetime.date}
        components = self.document["components"]["schemas"]
        checked = set()
        for method, _, hints in typed_methods(self.document):
            for param in method["params"]:
                schema = param["schema"]
                schema = components[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
                branches = [b for b in schema.get("oneOf", [schema]) if b.get("type") != "null"]
                accepted = formats.get(branches[0].get("format")) if len(branches) == 1 else None
                if accepted is None:
                    continue
                name = python_name(param["name"])
                admitted = set(typing.get_args(hints[name]))
                admitted |= {a for union in admitted for a in typing.get_args(union)}
                self.assertIn(accepted, admitted, f"{method['name']} {name}: {hints[name]}")
                self.assertIn(str, admitted, f"{method['name']} {name}: {hints[name]}")
                checked.add(f"{method['name']} {name}")
        self.assertIn("availability.search from_", checked)
        self.assertIn("series.skip date", checked)

    def test_the_generators_run_as_the_readme_says(self):
        """`meetingd discover | scripts/gen_python_client.py > …` runs the script itself: it must be
        executable, with its interpreter named on its first line (and gen_method_docs.py too)."""
        for script in (GENERATOR, ROOT / "scripts" / "gen_method_docs.py"):
            self.assertTrue(os.access(script, os.X_OK), f"{script.name} is not executable")
            self.assertEqual(script.read_text().splitlines()[0], "#!/usr/bin/env python3", script.name)
            tracked = subprocess.run(["git", "ls-files", "-s", str(script.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
            if tracked.returncode == 0 and tracked.stdout:
                self.assertTrue(tracked.stdout.startswith("100755 "), f"git has {script.name} as {tracked.stdout.split()[0]}")
        ran = subprocess.run([str(GENERATOR)], input=json.dumps(self.document), capture_output=True, text=True, timeout=60)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertEqual(ran.stdout, COMMITTED.read_text())

    def test_a_method_name_a_client_cannot_call_is_refused(self):
        """Issue 14: "method names that generate valid identifiers (import.csv gives self.import)"."""
        document = copy.deepcopy(self.document)
        document["methods"][0]["name"] = "import.csv"
        refused = generate(document)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("'import' cannot be a Python attribute", refused.stderr)
        document = copy.deepcopy(self.document)
        document["methods"][0]["name"] = "meeting"
        refused = generate(document)
        self.assertEqual(refused.returncode, 1, "a method and a namespace of the same name")
        self.assertIn("share a name", refused.stderr)

    def test_pip_install_from_the_repository_folder(self):
        """`pip install clients/python` from the repo folder, then the installed client talks to meetingd.
        (From a copy of the folder: setuptools writes build/ and *.egg-info beside the sources.)"""
        with tempfile.TemporaryDirectory() as folder:
            venv.create(folder, with_pip=True)
            python = os.path.join(folder, "bin", "python")
            repo = os.path.join(folder, "repo")
            shutil.copytree(ROOT / "clients" / "python", os.path.join(repo, "clients", "python"),
                            ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            installed = subprocess.run([python, "-m", "pip", "install", "-q", "clients/python"], cwd=repo, capture_output=True, text=True,
                                       timeout=600)
            self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
            script = ("import meetingledger, sys\n"
                      "assert 'site-packages' in meetingledger.__file__, meetingledger.__file__\n"
                      "with meetingledger.Client(sys.argv[1]) as ml:\n"
                      "    print(ml.system.ping().database)\n")
            ran = subprocess.run([python, "-c", script, meetingd_path()], cwd=folder, capture_output=True, text=True, timeout=120)
            self.assertEqual((ran.returncode, ran.stdout), (0, "ok\n"), ran.stderr)


if __name__ == "__main__":
    unittest.main()
