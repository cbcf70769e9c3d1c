#!/usr/bin/env python3
"""Independent reference for ZoneClock: Python's zoneinfo (standard library).

Reads queries from argv (one query) or stdin (one per line), answers one line each:
  local ZONE YYYY-MM-DD HH:MM  ->  the UTC instant, YYYY-MM-DDTHH:MM:SSZ, resolved with fold=0
                                   (24:00 is the next day's midnight)
  utc ZONE YYYY-MM-DDTHH:MM:SSZ ->  the local reading: YYYY-MM-DD HH:MM OFFSET_SECONDS
"""
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def answer(query):
    kind, zone_name, *rest = query.split()
    zone = ZoneInfo(zone_name)
    if kind == "local":
        date_text, time_text = rest
        hours, minutes = (int(part) for part in time_text.split(":"))
        day = datetime.strptime(date_text, "%Y-%m-%d").date() + timedelta(days=hours // 24)
        wall = datetime(day.year, day.month, day.day, hours % 24, minutes, tzinfo=zone, fold=0)
        return wall.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "utc":
        (instant_text,) = rest
        instant = datetime.strptime(instant_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        local = instant.astimezone(zone)
        return f"{local:%Y-%m-%d %H:%M} {int(local.utcoffset().total_seconds())}"
    raise ValueError(f"unknown query kind {kind!r}: use 'local' or 'utc'")


def main():
    queries = [" ".join(sys.argv[1:])] if len(sys.argv) > 1 else [line for line in sys.stdin if line.strip()]
    for query in queries:
        print(answer(query))


if __name__ == "__main__":
    main()
