#!/usr/bin/env python3
"""The SQL a request sends, replayed by pgbench without meetingd, beside meetingd itself and
pgbench -N, all in one run on one cluster: where a request's time goes (the database's own work
for its statements, or the service around them).

  scripts/bench_sql_alone.py --meetingd RELEASE_MEETINGD --database-url URL --server-log CSVLOG

It captures one `meeting.request` and one `credits.grant` exactly as meetingd sends them (the
server's log with log_statement = all, for a moment), then replays their statements with fresh
ids and times under pgbench: as meetingd sends them (BEGIN, the locks, the context read, the
apply, COMMIT), all in one autocommit statement, and the apply alone. The figures are ratios to
pgbench -N measured in the same run. The run makes and drops the same two databases as
scripts/bench."""

import argparse
import csv
import datetime
import io
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402


def captured_statements(log_path, mark):
    """(statement text, {n: parameter text}) of every statement logged after byte `mark`."""
    text = Path(log_path).read_text(errors="replace")[mark:]
    out = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 15 or not row[13].startswith("execute "):
            continue
        sql = row[13].split(": ", 1)[1]
        params = {}
        if row[14].startswith("parameters: "):
            for m in re.finditer(r"\$(\d+) = (NULL|'((?:[^']|'')*)')", row[14]):
                params[int(m.group(1))] = None if m.group(2) == "NULL" else m.group(3).replace("''", "'")
        out.append((sql, params))
    return out


def literal(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def bind(sql, params):
    """The statement with its parameters written in as literals (highest number first)."""
    for n in sorted(params, reverse=True):
        sql = re.sub(r"\$%d(?![0-9])" % n, lambda _: literal(params[n]), sql)
    return sql


def fresh_ids(text, prefixes):
    """Every id with one of `prefixes` in `text` keeps its prefix and gets a placeholder for its
    32 hex digits, numbered by first sight: (text, how many)."""
    seen = {}

    def swap(m):
        seen.setdefault(m.group(0), len(seen))
        return f"{m.group(1)}_@ID{seen[m.group(0)]}@"
    return re.sub(r"(" + "|".join(prefixes) + r")_[0-9a-f]{32}", swap, text), len(seen)


def numbered(text, count):
    """SQL of `text` (a dollar-quoted literal) with each placeholder replaced by :k in hex and
    the placeholder's number: ids unique to each replay."""
    out = "$t$" + text + "$t$"
    for i in range(count):
        out = f"replace({out}, '@ID{i}@', lpad(to_hex(:k), 30, '0') || lpad(to_hex({i}), 2, '0'))"
    return out


GUARDED_TABLES = ("meetings", "meeting_events", "outbox", "transfers", "accounts")


def without_guards(b, maintenance, kinds):
    """A copy of the service database whose request tables lack the constraints of `kinds`
    (pg_constraint.contype letters); its URL. The copy goes with the run's cleanup."""
    name = f"{B.SERVICE_DATABASE}_no_{kinds}"
    b.pg.psql(maintenance, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    b.pg.psql(maintenance, f"CREATE DATABASE {name} TEMPLATE {B.SERVICE_DATABASE}")
    b.extra_databases.append(name)
    url = B.with_dbname(b.service_url, name)
    tables = ", ".join(f"'{t}'" for t in GUARDED_TABLES)
    b.pg.psql(url, f"""DO $$ DECLARE c record; BEGIN
        FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
                 WHERE contype = ANY (string_to_array('{",".join(kinds)}', ',')) AND conrelid::regclass::text IN ({tables})
        LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I CASCADE', c.t, c.conname); END LOOP; END $$""")
    return url


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetingd", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--server-log", required=True, help="the cluster's csvlog file (logging_collector on, csvlog)")
    parser.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--keep", metavar="DIR", help="write the replay scripts to DIR and keep the databases, to try "
                        "changes to the SQL by hand (pgbench -f DIR/NAME.sql against the service database)")
    a = parser.parse_args()
    args = argparse.Namespace(quick=False, meetingd=a.meetingd, pg_bin=a.pg_bin, database_url=a.database_url)
    b = B.Bench(args)
    try:
        b.prepare_databases()
        run(b, a)
    finally:
        if not a.keep:
            b.cleanup()


def run(b, a):
    md = B.Meetingd(b, "sql-alone", test_clock=True)
    c = b.meeting_community(md, "sql-alone")
    md.call("community.update_settings", actor=c["admin"], horizon_days=730)
    g = b.grant_community(md, "sql-alone-grants")
    first = B.CLOCK_START + datetime.timedelta(hours=1)

    def request(i):
        return md.call("meeting.request", actor=c["user"], service_id=c["service"], expert_id=c["expert"], location_id=c["location"],
                       start=B.iso(first + datetime.timedelta(minutes=30 * i)))
    for i in range(3):
        request(i)
    maintenance = B.with_dbname(a.database_url, "postgres")
    b.pg.psql(maintenance, "ALTER SYSTEM SET log_statement = 'all'")
    b.pg.psql(maintenance, "SELECT pg_reload_conf()")
    time.sleep(0.3)
    mark = Path(a.server_log).stat().st_size
    request(3)
    md.call("credits.grant", actor=g["finance"], user_id=g["user"], credits=1, reference="captured")
    time.sleep(0.5)
    b.pg.psql(maintenance, "ALTER SYSTEM RESET log_statement")
    b.pg.psql(maintenance, "SELECT pg_reload_conf()")
    md.close()
    statements = captured_statements(a.server_log, mark)
    lock = next(s for s in statements if "ml_lock_parties" in s[0])
    context = next(s for s in statements if "ml_booking_context" in s[0])
    apply = next(s for s in statements if "ml_apply(" in s[0])
    transfer = next(s for s in statements if "ml_apply_transfer" in s[0])
    grant_auth = statements[statements.index(transfer) - 1]

    # The captured request booked slot 3 (from `first`); replays book slot 100 + k.
    captured_start = first + datetime.timedelta(minutes=90)
    times = {B.iso(captured_start): "@START@", B.iso(captured_start + datetime.timedelta(minutes=30)): "@END@"}
    decision = apply[1][1]
    for text, marker in times.items():
        decision = decision.replace(text, marker)
    decision, ids = fresh_ids(decision, ["mtg", "trf", "evt", "out"])
    slot = "(timestamptz '%s' + (100 + :k) * interval '30 minutes')" % B.iso(first)

    def rfc3339(moment):
        return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    end = "(" + slot + " + interval '30 minutes')"
    expr = f"replace(replace({numbered(decision, ids)}, '@START@', {rfc3339(slot)}), '@END@', {rfc3339(end)})"
    apply_statement = f"SELECT ml_apply(({expr})::jsonb)"
    # The context's from and to: ml_booking_context's 8th and 9th arguments (their numbers
    # follow the actor's params, however many those are).
    arguments = re.findall(r"\$([0-9]+)", context[0][context[0].index("ml_booking_context("):])
    from_n, to_n = int(arguments[7]), int(arguments[8])
    context_sql = bind(context[0], {n: v for n, v in context[1].items() if n not in (from_n, to_n)})
    context_sql = re.sub(r"\$%d(?![0-9])" % from_n, slot, context_sql)
    # The end as captured: none (the service's length) or the same distance after the start.
    captured_to = context[1].get(to_n)
    to = "NULL" if captured_to is None else (
        f"({slot} + (timestamptz {literal(captured_to)} - timestamptz {literal(context[1][from_n])}))")
    context_sql = re.sub(r"\$%d(?![0-9])" % to_n, to, context_sql)
    lock_sql = bind(lock[0], lock[1])
    b.pg.psql(b.service_url, "CREATE SEQUENCE sql_alone_slot")
    next_k = "SELECT nextval('sql_alone_slot') AS k \\gset\n"
    as_sent = next_k + "BEGIN;\n" + lock_sql + ";\n" + context_sql.replace("\n", " ") + ";\n" + apply_statement + ";\nCOMMIT;\n"
    # The read side alone: what a request costs before it writes anything.
    read_side = next_k + "BEGIN;\n" + lock_sql + ";\n" + context_sql.replace("\n", " ") + ";\nCOMMIT;\n"
    flat_context = context_sql.replace("\n", " ")
    one = (next_k + f"SELECT ({lock_sql[len('SELECT '):]}) IS NULL, (SELECT x.context IS NOT NULL FROM ({flat_context}) x), "
           f"({apply_statement}) IS NOT NULL;\n")
    apply_only = next_k + apply_statement + ";\n"

    grant_json = json.loads(transfer[1][1])
    grant_json["reference"] = "alone-@ID1@"  # placeholder 1: the transfer id is 0, so at least 2
    grant_text, grant_ids = fresh_ids(json.dumps(grant_json), ["trf"])
    grant_apply = f"SELECT ml_apply_transfer(({numbered(grant_text, max(grant_ids, 2))})::jsonb)"
    grant_as_sent = (next_k + "BEGIN;\n" + bind(grant_auth[0], grant_auth[1]).replace("\n", " ") + ";\n" + grant_apply + ";\nCOMMIT;\n")
    grant_only = next_k + grant_apply + ";\n"

    if a.keep:
        keep = Path(a.keep)
        keep.mkdir(parents=True, exist_ok=True)
        scripts = {"request_as_sent": as_sent, "request_read_side": read_side, "request_one": one, "request_apply": apply_only,
                   "grant_as_sent": grant_as_sent, "grant_apply": grant_only}
        for name, script in scripts.items():
            (keep / f"{name}.sql").write_text(script)
        (keep / "service_url").write_text(b.service_url + "\n")
    # This machine's throughput drifts within minutes, so pgbench -N runs before every
    # measurement and after the last, and each figure is compared with the mean of the baseline
    # runs just before and just after it.
    results = []
    baselines = []
    b.settle()  # statistics, as a running service has them (see Bench.settle)

    def baseline():
        r = b.pg.pgbench(b.pgbench_url, ["-N", "-c", "1"], a.seconds)
        baselines.append(r.tps)
        B.progress(f"pgbench -N, 1 client: {r.tps:.0f} tps")

    def measured(label, run):
        baseline()
        tps, ms = run()
        results.append((label, tps, ms, len(baselines) - 1))
        B.progress(f"{label}: {tps:.0f} per second")

    def pgbench(label, script):
        def run():
            r = b.pg.pgbench(b.service_url, ["-c", "1"], a.seconds, script=script)
            return r.tps, r.latency_ms
        measured(label, run)

    # The nextval that numbers each replay is one extra statement meetingd does not send; its
    # own cost is measured too, so it can be set aside.
    pgbench("numbering alone (nextval)", next_k)
    pgbench("meeting.request SQL as meetingd sends it (BEGIN, locks, context, apply, COMMIT)", as_sent)
    pgbench("meeting.request's read side alone (BEGIN, locks, context, COMMIT: nothing written)", read_side)
    pgbench("meeting.request SQL in one autocommit statement", one)
    pgbench("meeting.request apply alone (ml_apply, autocommit)", apply_only)
    pgbench("credits.grant SQL as meetingd sends it (BEGIN, actor, apply, COMMIT)", grant_as_sent)
    pgbench("credits.grant apply alone (ml_apply_transfer, autocommit)", grant_only)

    # What the database's guards on the request's tables cost: the same apply on copies of the
    # service database without their CHECK constraints, without their foreign keys, without both.
    # (PostgreSQL compiles a table's CHECK constraints from their stored text for every statement
    # that writes it, and checks each foreign key with a query of its own.)
    for label, kinds in (("CHECK constraints", "c"), ("foreign keys", "f"), ("CHECK constraints and foreign keys", "cf")):
        url = without_guards(b, maintenance, kinds)
        def run(url=url):
            r = b.pg.pgbench(url, ["-c", "1"], a.seconds, script=apply_only)
            return r.tps, r.latency_ms
        measured(f"meeting.request apply alone, its tables without {label} (a copy of the database)", run)

    md = B.Meetingd(b, "sql-alone-stream", test_clock=True)
    grants = B.Meetingd(b, "sql-alone-grants")
    try:
        # A community of its own: the replays above book slots 100 + k of the first one's expert,
        # k counting every replay of every script (tens of thousands, however fast they ran),
        # where a stream in the same calendar met them (4011).
        s = b.meeting_community(md, "sql-alone-stream")
        md.call("community.update_settings", actor=s["admin"], horizon_days=730)
        base = {"actor": s["user"], "service_id": s["service"], "expert_id": s["expert"], "location_id": s["location"]}
        offset = 2  # an hour after the community's clock: past the minimum notice

        def line(i):
            params = dict(base, start=B.iso(first + datetime.timedelta(minutes=30 * (offset + i))))
            return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "meeting.request", "params": params}) + "\n").encode()

        def requests():
            n, elapsed, _ = B.timed_requests(md, line, a.seconds, 20, after_warmup=b.settle)
            return n / elapsed, elapsed / n * 1000
        measured("meeting.request through meetingd (1 process, --test-clock)", requests)

        def grant_line(i):
            params = {"actor": g["finance"], "user_id": g["user"], "credits": 1, "reference": f"stream-{i}"}
            return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "credits.grant", "params": params}) + "\n").encode()

        def granted():
            n, elapsed, _ = B.timed_requests(grants, grant_line, a.seconds, 20, after_warmup=b.settle)
            return n / elapsed, elapsed / n * 1000
        measured("credits.grant through meetingd (1 process)", granted)
        baseline()
    finally:
        md.close()
        grants.close()
    print("| what | per second | mean ms | pgbench -N before / after | ratio to their mean |")
    print("|---|---|---|---|---|")
    for label, tps, ms, i in results:
        before, after = baselines[i], baselines[i + 1]
        print(f"| {label} | {tps:,.0f} | {ms:.3f} | {before:,.0f} / {after:,.0f} | {tps / ((before + after) / 2):.2f}× |")
    print(f"\nload average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
