#!/usr/bin/env python3
"""Stands in for meetingd to show what the client does when meetingd dies at the worst moment:
runs the real one (the arguments) and passes messages both ways, but the first time an answer
to the method named in $CRASH_AFTER_METHOD comes back (the file $CRASH_FLAG not existing yet), it
creates that file, kills meetingd and exits without passing the answer on, as if meetingd had
died right after committing."""
import json
import os
import pathlib
import subprocess
import sys
import threading

method = os.environ["CRASH_AFTER_METHOD"]
flag = pathlib.Path(os.environ["CRASH_FLAG"])
real = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
methods = {}


def forward_requests():
    for line in iter(sys.stdin.buffer.readline, b""):
        request = json.loads(line)
        methods[request.get("id")] = request.get("method")
        real.stdin.write(line)
    real.stdin.close()


threading.Thread(target=forward_requests, daemon=True).start()
for line in iter(real.stdout.readline, b""):
    answer = json.loads(line)
    if methods.get(answer.get("id")) == method and not flag.exists():
        flag.write_text("crashed once\n")
        real.kill()
        os._exit(3)
    sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
sys.exit(real.wait())
