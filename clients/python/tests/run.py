#!/usr/bin/env python3
"""Runs the Python client's tests against the meetingd in $MEETINGD_PATH (on $DATABASE_URL) and
ends with one line scripts/test reads: `python client: N passed, M failed`."""
import pathlib
import sys
import unittest

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here))
suite = unittest.defaultTestLoader.discover(str(here), pattern="test_*.py")
result = unittest.TextTestRunner(verbosity=2, buffer=True).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
print(f"python client: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed")
sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
