#!/usr/bin/env python3
"""Prints 'swift test: N passed, M failed' from an xUnit report, listing the failures and the slowest tests."""
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as error:
    print(f"no test report ({error})")
    sys.exit(1)
cases = list(root.iter("testcase"))
passed = failed = skipped = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
        print(f"FAILED {case.get('classname')}.{case.get('name')}")
    elif case.find("skipped") is not None:
        skipped += 1
    else:
        passed += 1

def seconds(case):
    try:
        return float(case.get("time") or 0)
    except ValueError:
        return 0.0


slowest = sorted(cases, key=seconds, reverse=True)[:8]
if slowest:
    print("slowest: " + ", ".join(f"{c.get('classname')}.{c.get('name')} {seconds(c):.1f} s" for c in slowest))
print(f"swift test: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)
