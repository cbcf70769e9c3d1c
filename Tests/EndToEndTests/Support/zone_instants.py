#!/usr/bin/env python3
"""Converts local wall-clock times to UTC instants with Python's zoneinfo, the reference the
end-to-end tests check meetingd's time-zone arithmetic against.

Argument: a JSON array of [zone, "YYYY-MM-DD", "HH:MM"] triples. Prints a JSON array of RFC 3339
UTC instants ("2026-03-09T13:00:00Z"), one per triple, in order. A time inside a
spring-forward gap or a fall-back overlap resolves with fold=0 (the earlier offset).
"""
import json
import sys
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def instant(zone, day, hhmm):
    hours, minutes = (int(part) for part in hhmm.split(":"))
    local_day = date.fromisoformat(day)
    if hours == 24:  # 24:00 ends the day: the next day's midnight
        local_day, hours = local_day + timedelta(days=1), 0
    local = datetime.combine(local_day, time(hours, minutes), tzinfo=ZoneInfo(zone))
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    queries = json.loads(sys.argv[1])
    print(json.dumps([instant(zone, day, hhmm) for zone, day, hhmm in queries]))


if __name__ == "__main__":
    main()
