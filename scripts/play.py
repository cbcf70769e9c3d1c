#!/usr/bin/env python3
"""Plays a JSON-RPC script (NDJSON) through one meetingd and prints each response.

Each line is a JSON-RPC request. Before it is sent, "{{name}}" placeholders are replaced:
{{community_id}} and {{admin_id}} come from the bootstrap, and {{ID.path}} reads a field of
the result of the earlier request whose "id" was ID (for example {{expert.id}}). Lines that
are empty or start with "#" are printed as comments.
"""
import argparse
import json
import re
import subprocess
import sys


def lookup(saved, dotted):
    head, *path = dotted.split(".")
    value = saved[head]
    for part in path:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="{}", help="JSON object of initial placeholders")
    parser.add_argument("command", nargs="+", help="the meetingd command line")
    args = parser.parse_args()
    saved = json.loads(args.bootstrap)
    proc = subprocess.Popen(args.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    failures = 0
    for raw in sys.stdin:
        line = raw.strip()
        if not line or line.startswith("#"):
            print(line)
            continue
        try:
            line = re.sub(r"\{\{([A-Za-z0-9_.\-]+)\}\}", lambda m: str(lookup(saved, m.group(1))), line)
        except (KeyError, IndexError, TypeError) as e:
            print(f"# cannot fill placeholder {e} in: {line}", file=sys.stderr)
            failures += 1
            continue
        request = json.loads(line)
        print(">>> " + line)
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        if isinstance(request, dict) and "id" not in request:
            continue
        response = proc.stdout.readline()
        print("<<< " + response.rstrip())
        reply = json.loads(response)
        if isinstance(reply, dict):
            if "result" in reply and isinstance(request.get("id"), str):
                saved[request["id"]] = reply["result"]
            if "error" in reply and not request.get("id", "").startswith("expect-error"):
                failures += 1
    proc.stdin.close()
    proc.wait()
    if failures:
        print(f"# {failures} request(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
