#!/usr/bin/env python3
"""Renders docs/METHODS.md from the OpenRPC document that `meetingd discover` prints.

    scripts/gen_method_docs.py < discover.json > docs/METHODS.md

The end-to-end tests regenerate it and compare, so the reference cannot drift from the registry.
"""
import json
import sys


REF = "#/components/schemas/"


def shape_link(ref):
    name = ref[len(REF):]
    return f"[`{name}`](#{name.lower()})"


def describe(schema):
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return shape_link(schema["$ref"])
    if "oneOf" in schema:
        return " or ".join(describe(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        inner = dict(schema, type=rest[0] if len(rest) == 1 else rest)
        if "enum" in inner:
            inner["enum"] = [v for v in inner["enum"] if v is not None]
        return describe(inner) + (" or null" if "null" in kind else "")
    if kind == "array":
        text = f"array of {describe(schema.get('items', {}))}"
        if "maxItems" in schema:
            text += f", at most {schema['maxItems']:,} items"
    elif "enum" in schema:
        text = " \\| ".join(f"`{v}`" for v in schema["enum"])
    elif kind == "object" and schema.get("properties"):
        # Its members in the cell, so a param such as no_show_policy says what it holds.
        required = set(schema.get("required", []))
        parts = []
        for name, member in schema["properties"].items():
            part = f"`{name}`{' (required)' if name in required else ''}: {describe(member)}"
            if member.get("description"):
                part += f" — {member['description']}"
            parts.append(part)
        text = "object of " + "; ".join(parts)
    else:
        text = kind
    if schema.get("format"):
        text += f" ({schema['format']})"
    is_id = "pattern" in schema and schema["pattern"].startswith("^") and "_[0-9a-f]" in schema["pattern"]
    if is_id:
        text += f" id `{schema['pattern'][1:4]}_…`"
    # A month: the shape its pattern checks.
    if schema.get("pattern") == "^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$":
        text += ", a month `YYYY-MM`"
    # A text of one line (no control or reordering characters): its pattern says only that.
    one_line = "pattern" in schema and schema["pattern"].startswith("^[^\\x00-\\x1f")
    if one_line:
        text += ", one line"
    # Any text without a rule of its own: its pattern says only that it holds no NUL. A pattern
    # of an e-mail address or a web address is said in words in the notes.
    no_nul = schema.get("pattern") == "^[^\\x00]*$"
    said = schema.get("pattern", "").startswith(("^[\\x21", "^(?=[^@]{1,64}@)", "^[Hh][Tt][Tt][Pp][Ss]://"))
    if "not" in schema and "const" in schema["not"]:
        text += f", not {schema['not']['const']}"
    if "minimum" in schema and "maximum" in schema:
        text += f" {schema['minimum']}…{schema['maximum']}"
    if "multipleOf" in schema:
        text += f" in steps of {schema['multipleOf']}"
    if "maxLength" in schema and kind == "string" and "enum" not in schema and ("pattern" not in schema or one_line or no_nul or said):
        text += f" ≤ {schema['maxLength']} chars"
    return text


def bounds(b):
    """The bounds section, from the document's info.x-bounds (the values of the meetingd that
    printed it: with no settings, the defaults)."""
    if not b:
        return []
    return [
        "## Bounds",
        "",
        "Everything a caller can make `meetingd` do is bounded. The figures are those of the `meetingd` that printed",
        "the document (with no settings: the defaults); `meetingd --help` says how to change them.",
        "",
        f"- **Requests:** a message at most {b['max_message_bytes']:,} bytes (`MEETINGLEDGER_MAX_MESSAGE_BYTES`), a batch at most "
        f"{b['max_batch_entries']:,} entries (`MEETINGLEDGER_MAX_BATCH`), a string at most {b['max_string_length']:,} characters "
        f"unless its param says otherwise (`MEETINGLEDGER_MAX_STRING` is the bound of a string whose param states none, and lowers a stated bound of up to 10,000 that is above it, down to 36; it raises no stated bound: a bio's 2,000 characters stay 2,000, and an import's whole file keeps its own), a list at most {b['max_list_items']:,} items, JSON nested at "
        f"most {b['max_nesting_depth']} levels deep (deeper: -32700, as the parser stops there), a whole number written with at most "
        f"{b['max_integer_text_length']} characters (`5`, `5.0` and `5e0` are the same number).",
        f"- **Answers:** one call's answer, or one batch's, at most {b['max_answer_bytes']:,} bytes (`MEETINGLEDGER_MAX_ANSWER_BYTES`). "
        "A read-only call whose answer alone would pass it gets error 4130 `answer_too_large` (ask for less). Once a batch's "
        "answer has reached it, or an answer in it would have passed what is left of it, that answer and each entry not yet "
        "answered get error 4131 `batch_answer_full` (retryable: nothing was done for it; send it again, in another batch). Room for those errors is kept from the start (each as long as its entry's "
        "id makes it), so a batch whose errors alone would not fit is refused whole with -32600 before any entry runs "
        "(send fewer entries per batch). An entry whose mutating method ran always gets its own answer, whatever "
        "its size, and notifications still run. A call's error answer that passes the bound only because of the id it "
        "echoes (an id is bounded by the message limit alone) goes as it is: its 4130 would be as long.",
        f"- **Time:** a batch's entries are started for at most {b['max_batch_seconds']:,} seconds from when it was read "
        "(`MEETINGLEDGER_MAX_BATCH_SECONDS`); past that, each request not started yet gets error 4132 `batch_time_up` "
        "(retryable: nothing was done for it; send it again, in another batch) and each notification not started is "
        "dropped and logged; an entry that is no valid request still gets its own error. An entry already running finishes. Each statement, lock wait and idle transaction is "
        "bounded by the session's timeouts (`meetingd --help`).",
        f"- **Lists** page with `limit` (default {b['page_limit_default']}, at most {b['page_limit_max']}) and `cursor`; "
        "an answer's `next_cursor` continues it, sent back to the same method with the same other params "
        "(`limit` may change, and `format` where a method takes it: one page as JSON, the next as CSV); a cursor sent with other params or to another method is refused (-32602, field `cursor`). "
        "A cursor of `meeting.list` or `meeting.waiting` carries the primary's snapshots (which transactions its first page "
        "and its latest saw): a few hundred characters as a rule, at most 420,000 with 5,000 transactions open at once, "
        "which `MEETINGLEDGER_MAX_MESSAGE_BYTES` must leave room for. Past 5,000 open at once it keeps the first 5,000: a "
        "pass never skips a meeting, but may give unchanged ones again, and may not end while that many stay open.",
        f"- **`availability.search`** covers at most {b['range_days_max']} days and answers one page: `limit` slots "
        f"(default {b['search_slots_default']:,}, at most {b['search_slots_max']:,}), ending earlier rather than list more than "
        f"{b['search_listings_max']:,} expert-location pairs (a page holds its first slot whatever that slot lists: every free expert at each location), and it stops working once the page is full. `truncated` says the "
        "answer stopped before the end of the range: ask again with `cursor: next_cursor` (the last page may be empty). "
        f"One search checks at most {b['search_expert_start_times_max']:,} expert × start-time pairs (certified experts times the "
        "grid's start times in the range); past that it is refused on `to` (-32602): search a shorter range or filter by expert.",
        f"- **`availability.get`** covers at most {b['range_days_max']} days and lists at most {b['availability_periods_max']:,} "
        "periods (free, blocked and one-off together); past that it says `truncated` and answers for `from`…`next_from` "
        "exactly: ask again from `next_from`.",
        f"- **Memory:** a process holds at most {b['max_memory_mb']:,} MiB of heap and stacks (`--max-memory-mb`, "
        "`MEETINGLEDGER_MAX_MEMORY_MB`); one that would pass it stops (SIGABRT) rather than starve the machine.",
        "",
    ]


def text_rules():
    """How text params are read and stored: the rules a schema's pattern cannot say whole."""
    return [
        "## Text",
        "",
        "Text comes back as it was sent (topics, notes, agenda and feedback answers, chat messages: every character "
        "kept, line breaks included), except where a param says otherwise:",
        "",
        "- **No NUL** (U+0000) in any text: every string param's schema says so (a pattern `^[^\\x00]*$` where it has "
        "no pattern of its own); it is refused -32602 on the param.",
        "- **One line** (the schema's pattern): no control characters (C0, DEL, C1), line or paragraph separators, "
        "or marks that reorder text (U+200E/F, U+061C, U+202A…U+202E, U+2066…U+2069).",
        "- **Names** (of people, services, skills, places; a profile's display name): one line, stored without the "
        "white space around it and in Unicode NFC (`e` and a combining acute accent are stored as `é`), and never blank: "
        "a name needs a character that can be seen. Invisible characters inside a name (zero-width spaces, soft "
        "hyphens, byte order marks, tag characters, Hangul fillers) are refused, as they make one name pass for "
        "another; a joiner or a variation selector that shapes what is shown (inside an emoji, between letters of a "
        "joining script, a flag's tags) is kept. These are refused -32602 on the param.",
        "- **A profile's bio:** plain text; line feeds and tabs are kept, a CR LF is stored as LF; other control "
        "characters, a CR alone and reordering marks are refused.",
        "- **Ledger texts:** a movement's `reference` is one line of visible characters, trimmed, and stored (and "
        "compared) in Unicode NFKC; an adjustment's `reason` is trimmed and never blank.",
        "",
    ]


def error_data(doc):
    """What each error's data holds beyond code and retryable, from info.x-error-data (the
    error's data under components.errors shows an example value of each)."""
    described = doc["info"].get("x-error-data")
    if not described:
        return []
    errors = doc.get("components", {}).get("errors", {})
    out = ["## Error data", "",
           "Every error a method answers (every application error, -32602 and -32603 included) has in its `data` `code` (stable, to branch on) and `retryable`; "
           "the protocol errors a message gets before any method runs (-32700 parse error, -32600 invalid request, -32601 method not found) carry no `data`. "
           "These carry more:", "",
           "| error | data member | holds |", "|---|---|---|"]
    for code in sorted(described, key=lambda c: (errors.get(c, {}).get("code", 0), c)):
        for name, about in sorted(described[code].items()):
            out.append(f"| {errors.get(code, {}).get('code', '')} `{code}` | `{name}` | {about.replace('|', chr(92) + '|')} |")
    return out + [""]


def booking_rules(rules):
    """The booking rules as published in `info.x-booking-rules`: which path each is checked on."""
    if not rules:
        return []
    paths = rules["paths"]
    out = [
        "## Prices and booking rules",
        "",
        rules["price"],
        "",
        "Every path that creates, accepts or moves a meeting is decided by one set of booking rules; this table says",
        "which rule is checked on which path (✓). `conflicts` is checked where the meeting becomes agreed, `credits` where",
        "a hold is made. Only the expert's side may accept a conflict (`accept_conflicts`); a user is told of one without",
        "the other meeting's id.",
        "",
        "The `time_conflict` warning (4010): confirming a meeting (or an alternate date) that overlaps a meeting the expert",
        "already has agreed is refused with `data.meeting_ids` listing those meetings (to the expert's side; a user gets an",
        "empty list), as the confirmation dialog's warning. The expert, or the office for them, confirms anyway with",
        "`accept_conflicts: true`; the meeting then records `conflict_accepted`, and the database's no-double-booking",
        "constraint lets it overlap the other. Like every agreed meeting it takes its time out of the expert's",
        "availability: nobody can book that time from the calendar, even after the meeting it overlapped is cancelled.",
        "`meeting.conflicts` shows the overlaps beforehand. Where a community sets `pending_holds_slot` to false, a request",
        "does not take the expert's time until it is agreed, so several users may request the same time and the expert",
        "meets this warning when confirming the second.",
        "",
        "The expert's side meets the same warning when proposing a time (a proposal, a counter-offer, a new date for a",
        "declined or an agreed meeting) over their agreed meetings; proposing it anyway (`accept_conflicts`) accepts",
        "those meetings, by id, and the user's yes then stands against them, though not against one agreed since. A",
        "meeting that accepted an overlap still takes its own time from every other booking. No time another request",
        "holds (its credits held where `pending_holds_slot` is on) may be proposed or moved into (`heldTime`): no",
        "acceptance overrides it. A user's new date for a request or a declined meeting holds its time at once, so it is",
        "free of the expert's meetings as a request is; one for an agreed meeting waits for the expert, warned then.",
        "",
        "A period the expert blocked (`availability.block`) is kept on every path (`blockedPeriod`): nobody books,",
        "proposes, agrees or moves a meeting into it, the expert's side included (outside a block the expert may propose",
        "any time); a meeting waiting for an answer there can be declined or moved to another time, and the expert lifts",
        "the block with `availability.remove`. A meeting for a student is accepted or moved, by either side, only while",
        "its customer acts for the student (`studentLink`); after `student.unlink` it can still be declined, withdrawn,",
        "cancelled or logged.",
        "",
        "The `insufficient_credits` error (4020): `data.required` is the credits the hold takes from the wallet (the price;",
        "for a meeting that already holds credits, only what it holds more), not the shortfall: that is `required` less",
        "`available`. The wallet's owner (the user, or the customer booking for their student) is also told",
        "`data.available` (the wallet's available credits, as `ledger.balance` shows them) and, where the meeting already",
        "holds credits, `data.already_held`; the expert's side (an expert confirming the user's longer new date) and staff",
        "booking for a user (an admin, the office) are told only `required`: a user's balance is theirs. So is the balance",
        "a weekly date not booked for want of credits names: the series' user alone reads it in `series.get` (whoever booked",
        "the series), and in their mail unless someone is copied on it (the office).",
        "",
        "A meeting priced at 0 credits holds nothing: its `credit_status` stays `none` from request to end (there is no",
        "transfer of 0), and as a request it does not take the expert's time (`pending_holds_slot` concerns requests",
        "holding credits): several users may request that time, and the expert meets `time_conflict` confirming the second.",
        "",
        "| rule | " + " | ".join(f"`{p}`" for p in paths) + " |",
        "|---|" + "---|" * len(paths),
    ]
    for r in rules["rules"]:
        out.append(f"| `{r['rule']}` | " + " | ".join("✓" if p in r["paths"] else "" for p in paths) + " |")
    return out + [""]


def members(schema):
    """A table of an object schema's members."""
    required = set(schema.get("required", []))
    out = ["| member | always | type | notes |", "|---|---|---|---|"]
    for name, member in schema.get("properties", {}).items():
        out.append(f"| `{name}` | {'yes' if name in required else ''} | {describe(member)} | {member.get('description', '')} |")
    return out


def shapes(components):
    """The shapes several methods share, published once under components.schemas."""
    if not components:
        return []
    out = ["## Shared shapes", "", "Results refer to these by name (`$ref` in the OpenRPC document). An answer may carry members",
           "added after a client was written: clients should keep or ignore what they do not know.", ""]
    for name in sorted(components):
        schema = components[name]
        out += [f"### {name}", ""]
        out += members(schema) if schema.get("properties") else [describe(schema)]
        out.append("")
    return out


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def main():
    doc = json.load(sys.stdin)
    errors_by_ref = {f"#/components/errors/{k}": v for k, v in doc.get("components", {}).get("errors", {}).items()}
    out = [
        "# MeetingLedger methods",
        "",
        f"Generated from `meetingd discover` (OpenRPC {doc['openrpc']}, service {doc['info']['version']}) by",
        "`scripts/gen_method_docs.py`; a test regenerates it, so it matches what `meetingd` dispatches.",
        "Every call except `rpc.discover` and `system.ping` takes `actor`; mutating calls take `idempotency_key`.",
        "A `meetingd --pin-actor PERSON` acts as PERSON alone: `actor` may be left out, and naming anyone else",
        "is refused with 4003 `forbidden`; `system.ping` answers `pinned_actor`.",
        "",
        *bounds(doc["info"].get("x-bounds")),
        *text_rules(),
        *error_data(doc),
        *booking_rules(doc["info"].get("x-booking-rules")),
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
                # A rule's own words may hold a | (what a URL may not): escaped, as in a cell.
                notes = ". ".join(filter(None, [p.get("description"), p["schema"].get("description")])).replace("|", "\\|")
                out.append(f"| `{p['name']}` | {'yes' if p['required'] else ''} | {describe(p['schema'])} | {notes} |")
        else:
            out.append("No params.")
        result = m["result"]["schema"]
        fields = ", ".join(f"`{k}` ({describe(v)})" if "$ref" in v or "$ref" in v.get("items", {}) else f"`{k}`"
                           for k, v in result.get("properties", {}).items())
        out += ["", "Result: " + (describe(result) if "$ref" in result else fields if fields else result.get("description", describe(result)))]
        errors = [errors_by_ref.get(e.get("$ref"), e) for e in m.get("errors", [])]
        if errors:
            out += ["", "Errors: " + ", ".join(f"{e['code']} `{e['message']}`" for e in errors)]
        for alias in m.get("x-aliases", []):
            out += ["", f"Also answers to its earlier name `{alias['name']}` (deprecated: no longer answered from {alias['removed_in']})."]
        for example in m.get("examples", []):
            params = {p["name"]: p["value"] for p in example.get("params", [])}
            out += ["", f"Example — {example['name']}:", "", "```json", "params: " + compact(params)]
            if "result" in example:
                out.append("result: " + compact(example["result"]["value"]))
            out.append("```")
    out += ["", *shapes(doc.get("components", {}).get("schemas", {}))]
    print("\n".join(out).rstrip("\n"))


if __name__ == "__main__":
    main()
