#!/usr/bin/env python3
"""Parses iCalendar invitations with the `icalendar` package (pip install icalendar) and prints
the fields the end-to-end tests check, so meetingd's .ics output is read by an independent
parser rather than by string matching.

Arguments: one or more .ics texts. Prints a JSON array with one object per text: method,
prodid, version, and the single VEVENT's uid, sequence, status, summary, description,
location, url, dtstart / dtend / dtstamp (RFC 3339 UTC), organizer and attendees (mailto
addresses, with their CN).
"""
import json
import sys
from datetime import timezone

from icalendar import Calendar


def utc(prop):
    if prop is None:
        return None
    value = prop.dt
    if value.tzinfo is None:
        raise ValueError(f"floating time {value!r}: invitations must use UTC or a zone")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(prop):
    return None if prop is None else str(prop)


def address(prop):
    return {"address": str(prop), "cn": prop.params.get("CN")}


def fields(ics):
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    if len(events) != 1:
        raise ValueError(f"expected one VEVENT, found {len(events)}")
    event = events[0]
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    sequence = event.get("SEQUENCE")
    return {
        "method": text(calendar.get("METHOD")),
        "prodid": text(calendar.get("PRODID")),
        "version": text(calendar.get("VERSION")),
        "uid": text(event.get("UID")),
        "sequence": None if sequence is None else int(sequence),
        "status": text(event.get("STATUS")),
        "summary": text(event.get("SUMMARY")),
        "description": text(event.get("DESCRIPTION")),
        "location": text(event.get("LOCATION")),
        "url": text(event.get("URL")),
        "dtstart": utc(event.get("DTSTART")),
        "dtend": utc(event.get("DTEND")),
        "dtstamp": utc(event.get("DTSTAMP")),
        "organizer": None if event.get("ORGANIZER") is None else address(event.get("ORGANIZER")),
        "attendees": [address(a) for a in attendees],
    }


def main():
    print(json.dumps([fields(ics) for ics in sys.argv[1:]]))


if __name__ == "__main__":
    main()
