#!/usr/bin/env python3
"""MeetingLedger's benchmark: meetingd's throughput and latency beside PostgreSQL's own.

Every figure is measured in this run, and each is printed beside a baseline measured in the same
run with pgbench against the same server, with the ratio between them. The report goes to
stdout and to docs/BENCHMARKS.md; progress goes to stderr. scripts/bench builds a release
meetingd, starts the durable embedded cluster and calls this driver:

    scripts/bench [--quick] [--only SECTION[,SECTION…]]

Sections: 1 ping (one request at a time), 2 ledger (grants and hold→capture cycles),
3 balance (ledger.balance at ledger sizes), 4 lifecycle, 5 search, 6 batch.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = {1: "ping", 2: "ledger", 3: "balance", 4: "lifecycle", 5: "search", 6: "batch"}
TITLES = {
    1: "One request at a time",
    2: "Ledger throughput",
    3: "ledger.balance at ledger sizes",
    4: "Meeting lifecycles",
    5: "availability.search by number of experts",
    6: "Batch throughput",
}
# The test clock's "now" for every community that uses one: a Monday, far from any DST change
# in the zones below for the next four weeks.
CLOCK_START = datetime.datetime(2031, 1, 6, tzinfo=datetime.timezone.utc)
EXPERT_ZONES = ["UTC", "Europe/Prague", "America/New_York", "Asia/Kolkata"]
BATCH_SIZE = 100
# Made anew on the server for each run and dropped at its end, so runs start alike and leave
# nothing behind.
SERVICE_DATABASE = "meetingledger_bench"
PGBENCH_DATABASE = "meetingledger_pgbench"
# How long parallel streams wait for each other at a starting line before giving up (one of
# them failed).
BARRIER_SECONDS = 300


class BenchError(Exception):
    pass


@dataclass
class Plan:
    """How much each section does: a full run, or a quick smoke test."""

    quick: bool
    seconds: float  # each timed throughput run (meetingd and pgbench alike)
    warmup_requests: int
    # meeting.request's untimed requests before its statistics are gathered: as many as the
    # timed run makes, so the statistics describe the meetings table the run meets (see
    # measure_requests).
    request_warmup_requests: int
    cycles_one_process: int
    cycles_per_process_of_four: int
    transfer_sizes: tuple
    balance_calls: int
    expert_counts: tuple
    searches: int
    pgbench_scale: int

    @staticmethod
    def make(quick):
        if quick:
            return Plan(quick=True, seconds=2, warmup_requests=20, request_warmup_requests=40, cycles_one_process=40, cycles_per_process_of_four=20,
                        transfer_sizes=(1_000, 10_000), balance_calls=100, expert_counts=(10, 40, 160), searches=3,
                        pgbench_scale=4)
        return Plan(quick=False, seconds=6, warmup_requests=100, request_warmup_requests=3000, cycles_one_process=300, cycles_per_process_of_four=200,
                    transfer_sizes=(1_000, 1_000_000), balance_calls=500, expert_counts=(50, 200, 800), searches=5,
                    pgbench_scale=10)


def progress(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# MARK: figures


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def median(values):
    return percentile(values, 50)


def rate(n):
    return f"{n:,.0f}" if n >= 100 else f"{n:,.1f}"


def ms(seconds):
    value = seconds * 1000
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "—"


def verdict(measured, baseline, target):
    return f"≥ {target}×: **{'met' if measured >= target * baseline else 'not met'}**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def script_block(title, text):
    return ["<details><summary>" + title + "</summary>", "", "```sql", text.strip(), "```", "", "</details>", ""]


# MARK: PostgreSQL


def with_dbname(url, name):
    """The same server with another database, for a URI or a key=value connection string."""
    if url.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))
    return f"{url} dbname={name}"  # libpq keeps the last value of a repeated keyword


class Postgres:
    def __init__(self, pg_bin, workdir):
        self.bin = Path(pg_bin) if pg_bin else None
        self.workdir = workdir

    def program(self, name):
        if self.bin and (self.bin / name).exists():
            return str(self.bin / name)
        found = shutil.which(name)
        if not found:
            raise BenchError(f"{name} is not installed (Debian: postgresql-client)")
        return found

    def psql(self, url, sql, variables=None):
        """Runs SQL (psql variables as :'name'); returns the unaligned, tuples-only output."""
        command = [self.program("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url]
        for key, value in (variables or {}).items():
            command += ["-v", f"{key}={value}"]
        done = subprocess.run(command, input=sql, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def pgbench(self, url, options, seconds, script=None, defines=None, latencies=False):
        """One pgbench run for `seconds`: tps, mean latency, and with `latencies` p50/p99 from
        its per-transaction log."""
        command = [self.program("pgbench"), "-T", str(max(1, round(seconds))), *options]
        if script is not None:
            path = Path(tempfile.mkstemp(suffix=".sql", dir=self.workdir)[1])
            path.write_text(script)
            command += ["-n", "-f", str(path)]
        for key, value in (defines or {}).items():
            command += ["-D", f"{key}={value}"]
        log_dir = None
        if latencies:
            log_dir = Path(tempfile.mkdtemp(prefix="pgbench-log-", dir=self.workdir))
            command += ["-l", f"--log-prefix={log_dir}/tx"]
        command += [url]
        done = subprocess.run(command, capture_output=True, text=True)
        found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
        if done.returncode != 0 or not found:
            raise BenchError(f"pgbench {' '.join(options)} failed: {(done.stderr or done.stdout).strip()[-800:]}")
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        if failed and int(failed.group(1)) > 0:
            raise BenchError(f"pgbench {' '.join(options)}: {failed.group(1)} failed transactions")
        result = PgbenchResult(
            tps=float(found.group(1)),
            latency_ms=float(re.search(r"latency average = ([0-9.]+) ms", done.stdout).group(1)),
            transactions=int(re.search(r"number of transactions actually processed: (\d+)", done.stdout).group(1)))
        if log_dir:
            micros = [int(line.split()[2]) for f in log_dir.iterdir() for line in f.read_text().splitlines() if line]
            result.p50 = percentile(micros, 50) / 1e6
            result.p99 = percentile(micros, 99) / 1e6
        return result

    def pgbench_processes(self, url, seconds, script, defines_each):
        """Several single-client pgbench processes at once (one per set of defines): total tps."""
        with concurrent.futures.ThreadPoolExecutor(len(defines_each)) as pool:
            runs = list(pool.map(lambda d: self.pgbench(url, ["-c", "1"], seconds, script=script, defines=d), defines_each))
        return sum(r.tps for r in runs)


@dataclass
class PgbenchResult:
    tps: float
    latency_ms: float
    transactions: int
    p50: float = 0.0
    p99: float = 0.0


# MARK: meetingd


class Meetingd:
    """One meetingd process spoken to over its pipes, one message in flight."""

    def __init__(self, bench, name, test_clock=False, batch_workers=None, command=None):
        if command:  # another program in meetingd's place, to measure the driver and the pipes alone
            self.start(bench, name, command)
            return
        command = [bench.meetingd]
        if test_clock:
            command.append("--test-clock")
        if batch_workers:
            command += ["--batch-workers", str(batch_workers)]
        self.start(bench, name, command)
        self.exchange(b'{"jsonrpc":"2.0","id":0,"method":"system.ping"}\n')

    def start(self, bench, name, command):
        self.log_path = bench.workdir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=dict(os.environ, DATABASE_URL=bench.service_url))
        self.next_id = 0

    def exchange(self, line):
        """Sends one message (bytes ending in a newline) and returns the response line."""
        self.proc.stdin.write(line)
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise BenchError(f"meetingd exited with {self.proc.wait()}; see {self.log_path}")
        return reply

    def call(self, method, **params):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        return result_of(json.loads(self.exchange((json.dumps(request, separators=(",", ":")) + "\n").encode())), method)

    def batch(self, calls):
        """Runs (method, params) pairs as JSON-RPC batches of BATCH_SIZE; the results in order."""
        results = []
        for first in range(0, len(calls), BATCH_SIZE):
            chunk = calls[first:first + BATCH_SIZE]
            ids, entries = [], []
            for method, params in chunk:
                self.next_id += 1
                ids.append(self.next_id)
                entries.append({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
            replies = json.loads(self.exchange((json.dumps(entries, separators=(",", ":")) + "\n").encode()))
            results += match_batch(replies, ids, chunk[0][0])
        return results

    def logged_durations(self):
        """duration_ms of each request id, from meetingd's JSON log lines."""
        durations = {}
        for line in self.log_path.read_text().splitlines():
            entry = json.loads(line)
            if "duration_ms" in entry:
                durations[entry.get("id")] = entry["duration_ms"]
        return durations

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def result_of(reply, method):
    if "error" in reply:
        raise BenchError(f"{method} failed: {json.dumps(reply['error'])[:500]}")
    return reply["result"]


def match_batch(replies, ids, method):
    """Each entry's result by its id: every id answered exactly once, none failed."""
    if not isinstance(replies, list) or len(replies) != len(ids):
        raise BenchError(f"a batch of {len(ids)} {method} got {len(replies) if isinstance(replies, list) else 'no'} responses")
    by_id = {}
    for reply in replies:
        if reply.get("id") in by_id:
            raise BenchError(f"batch response id {reply.get('id')} answered twice")
        by_id[reply.get("id")] = reply
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise BenchError(f"batch entries {missing[:5]} got no response")
    return [result_of(by_id[i], method) for i in ids]


def timed_requests(md, make_line, seconds, warmup, after_warmup=None):
    """Requests one at a time for `seconds` after `warmup` untimed ones: (count, elapsed,
    latencies). `make_line(i)` gives request i; every response is checked after the run.
    `after_warmup` lets parallel streams start their timed runs together."""
    for i in range(warmup):
        check_reply(md.exchange(make_line(i)), "warm-up")
    if after_warmup:
        after_warmup()
    latencies, replies = [], []
    clock = time.perf_counter
    start = clock()
    deadline = start + seconds
    i = warmup
    while True:
        line = make_line(i)
        sent = clock()
        replies.append(md.exchange(line))
        done = clock()
        latencies.append(done - sent)
        i += 1
        if done >= deadline:
            break
    elapsed = clock() - start
    for reply in replies:
        check_reply(reply, "timed run")
    return len(latencies), elapsed, latencies


def check_reply(line, what):
    reply = json.loads(line)
    if "result" not in reply:
        raise BenchError(f"{what}: {line[:500]!r}")
    return reply["result"]


def in_parallel(functions):
    """Runs the functions on threads at once, started together; their results in order."""
    barrier = threading.Barrier(len(functions), timeout=BARRIER_SECONDS)

    def run(f):
        barrier.wait()
        return f()

    with concurrent.futures.ThreadPoolExecutor(len(functions)) as pool:
        return list(pool.map(run, functions))


# MARK: the run


class Bench:
    def __init__(self, args):
        self.plan = Plan.make(args.quick)
        self.meetingd = args.meetingd
        self.workdir = Path(tempfile.mkdtemp(prefix="meetingledger-bench-"))
        self.pg = Postgres(args.pg_bin, self.workdir)
        self.server_url = args.database_url
        self.service_url = with_dbname(args.database_url, SERVICE_DATABASE)
        self.pgbench_url = with_dbname(args.database_url, PGBENCH_DATABASE)
        self.communities = 0
        self.cache = {}
        self.scratch_ready = False
        self.extra_databases = []  # copies a run makes for a measurement, dropped with the rest

    # Set-up

    def prepare_databases(self):
        maintenance = with_dbname(self.server_url, "postgres")
        progress(f"creating the service database {SERVICE_DATABASE}")
        self.pg.psql(maintenance, f"DROP DATABASE IF EXISTS {SERVICE_DATABASE} WITH (FORCE)")
        self.pg.psql(maintenance, f"CREATE DATABASE {SERVICE_DATABASE}")
        migrated = subprocess.run([self.meetingd, "migrate"], env=dict(os.environ, DATABASE_URL=self.service_url),
                                  capture_output=True, text=True)
        if migrated.returncode != 0:
            raise BenchError(f"meetingd migrate failed: {migrated.stderr.strip()}")
        progress(f"initializing pgbench tables (scale {self.plan.pgbench_scale}) in {PGBENCH_DATABASE}")
        self.pg.psql(maintenance, f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE)")
        self.pg.psql(maintenance, f"CREATE DATABASE {PGBENCH_DATABASE}")
        done = subprocess.run([self.pg.program("pgbench"), "-i", "-q", "-s", str(self.plan.pgbench_scale), self.pgbench_url],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"pgbench -i failed: {done.stderr.strip()[-800:]}")

    def cleanup(self):
        """Both databases go at the end: transfers cannot be deleted, so nothing a run writes stays."""
        maintenance = with_dbname(self.server_url, "postgres")
        for database in (SERVICE_DATABASE, PGBENCH_DATABASE, *self.extra_databases):
            self.pg.psql(maintenance, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def bootstrap(self, label):
        """A new community and its admin, as `meetingd bootstrap` makes them."""
        self.communities += 1
        slug = f"{label}-{self.communities}"
        done = subprocess.run(
            [self.meetingd, "bootstrap", "--community", f"Bench {slug}", "--short-name", "BENCH",
             "--admin-email", f"admin@{slug}.bench.example", "--admin-first", "Bench", "--admin-last", "Admin"],
            env=dict(os.environ, DATABASE_URL=self.service_url), capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"bootstrap failed: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def people(self, md, admin, roles, count, prefix, zone="UTC"):
        return [p["id"] for p in md.batch([
            ("person.create", {"actor": admin, "email": f"{prefix}{i}@people.bench.example", "first_name": "Bench",
                               "last_name": f"{prefix.title()} {i}", "roles": roles, "time_zone": zone})
            for i in range(count)])]

    def grant_community(self, md, label):
        """A community with finance staff and one user: what a stream of grants needs."""
        admin = self.bootstrap(label)["admin_id"]
        finance = self.people(md, admin, ["finance"], 1, "finance")[0]
        user = self.people(md, admin, ["user"], 1, "user")[0]
        return {"community": md.call("community.get", actor=admin)["id"], "admin": admin, "finance": finance, "user": user}

    def meeting_community(self, md, label):
        """A community on the test clock with one user (credits granted), one expert free every
        day and all day, and a 30-minute service."""
        admin = self.bootstrap(label)["admin_id"]
        md.call("clock.set", actor=admin, now=iso(CLOCK_START))
        location = md.call("location.create", actor=admin, name="Video call", kind="virtual")["id"]
        user = self.people(md, admin, ["user"], 1, "user")[0]
        expert = self.people(md, admin, ["expert"], 1, "expert")[0]
        service = md.call("service.create", actor=admin, name="Bench session", kind="generic", default_length_minutes=30,
                          price_credits=10)["id"]
        md.call("service.certify", actor=admin, service_id=service, expert_id=expert)
        md.call("availability.set_weekly", actor=admin, expert_id=expert, time_zone="UTC",
                rules=[{"weekday": d, "start": "00:00", "end": "24:00", "location_ids": [location]} for d in range(1, 8)])
        md.call("credits.grant", actor=admin, user_id=user, credits=10**9, reference="opening")
        return {"community": md.call("community.get", actor=admin)["id"], "admin": admin, "user": user, "expert": expert,
                "service": service, "location": location}

    def settle(self):
        """Statistics on the service database's tables, as autovacuum gathers them within a minute
        on a running service (and as pgbench -i does for the baseline's tables). Without them,
        PostgreSQL plans the foreign-key checks of a new database's tables blind: seen here, the
        check that a meeting exists scanned every meeting of the community through
        meetings_expert. The statistics invalidate the plans cached so far, so the meetingd
        processes already running plan again with them."""
        self.pg.psql(self.service_url, "ANALYZE")

    # Baselines shared by sections

    def pgbench_tpcb_like(self, clients):
        """pgbench -N (TPC-B-like without the branch and teller updates): the median of the runs
        made so far in this run (one is made when there is none yet)."""
        samples = self.cache.get(("pgbench -N", clients)) or [self.tpcb_sample(clients)]
        return statistics.median(samples)

    def tpcb_sample(self, clients):
        """One pgbench -N run now, kept with the run's others. This machine's throughput drifts
        within minutes, so a figure is best compared with runs made just before and after it."""
        progress(f"pgbench -N -c {clients}")
        options = ["-N", "-c", str(clients), "-j", str(clients)]
        if ("pgbench -N warm", clients) not in self.cache:
            # The first run over freshly loaded tables is slower (hint bits, first touches of
            # every page): a warm-up run, not counted, so the baseline is not understated.
            self.pg.pgbench(self.pgbench_url, options, self.plan.seconds)
            self.cache[("pgbench -N warm", clients)] = True
        tps = self.pg.pgbench(self.pgbench_url, options, self.plan.seconds).tps
        self.cache.setdefault(("pgbench -N", clients), []).append(tps)
        return tps

    def tpcb_runs(self, clients):
        """Every pgbench -N run of this many clients so far, as text."""
        return ", ".join(rate(t) for t in self.cache.get(("pgbench -N", clients), []))

    def ensure_scratch_tables(self):
        if not self.scratch_ready:
            self.pg.psql(self.service_url, SCRATCH_SCHEMA)
            self.scratch_ready = True

    # Reporting

    def header(self, sections):
        meminfo = Path("/proc/meminfo").read_text()
        memory_gib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / 1024 / 1024
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        settings = self.pg.psql(self.service_url, """
            SELECT version(), current_setting('fsync'), current_setting('synchronous_commit'),
                   current_setting('shared_buffers'), current_setting('wal_sync_method'), current_setting('max_wal_size')""").split("|")
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", ".", ":!docs/BENCHMARKS.md"],
                                 capture_output=True, text=True).stdout.strip()
        if commit and changed:
            commit += " with uncommitted changes"
        kind = "QUICK smoke test (small sizes, short runs: not for comparison)" if self.plan.quick else "full run"
        if len(sections) < len(SECTIONS):
            kind += ", sections " + ", ".join(f"{n} {SECTIONS[n]}" for n in sections) + " only"
        lines = [
            "# MeetingLedger benchmarks",
            "",
            f"Generated by `scripts/bench{' --quick' if self.plan.quick else ''}` — **{kind}** — on "
            f"{datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}, commit `{commit or 'unknown'}`. "
            "Every figure is measured in this run; each baseline is pgbench against the same server in the same run.",
            "",
            "| machine | |",
            "|---|---|",
            f"| CPUs (nproc) | {os.cpu_count()} |",
            f"| CPU model | {cpu.group(1).strip() if cpu else platform.processor() or 'unknown'} |",
            f"| memory | {memory_gib:.1f} GiB |",
            f"| kernel | {platform.release()} |",
            f"| load average at start | {' '.join(Path('/proc/loadavg').read_text().split()[:3])} |",
            f"| PostgreSQL | {settings[0].split(' on ')[0]} |",
            f"| fsync / synchronous_commit | {settings[1]} / {settings[2]} |",
            f"| shared_buffers / wal_sync_method / max_wal_size | {settings[3]} / {settings[4]} / {settings[5]} |",
            "",
            "meetingd is the release build, each process with its own connection (batches: `--batch-workers`), logging at its "
            "default level to a file. The driver is Python on the same machine, so both sides share the CPUs with it; pgbench "
            f"uses the simple query protocol, tables at scale {self.plan.pgbench_scale} in their own database; every "
            "throughput run lasts "
            f"{self.plan.seconds:g} s. The timed meetingd runs start after untimed warm-up requests and an ANALYZE of the "
            "service database, so both sides run on tables with statistics (autovacuum gathers them within a minute on a "
            "running service; pgbench -i gathers the baseline's).",
            "",
        ]
        if self.plan.quick:
            lines += ["> **A quick run:** small sizes and short runs, to see that every section works. Its figures are not "
                      "for comparison; `scripts/bench` without `--quick` measures the real ones.", ""]
        if settings[1] != "on" or settings[2] not in ("on", "remote_apply", "remote_write"):
            lines += ["**Warning:** commits are not durable on this server, so commit costs are not what production pays.", ""]
        return lines


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# MARK: 1. one request at a time

PERSON_INSERT_SQL = """
BEGIN;
INSERT INTO bench_people (id, community_id, email, first_name, last_name, roles, time_zone)
VALUES ('per_' || md5(random()::text), 'com_bench', md5(random()::text) || '@people.bench.example', 'Bench', 'Person', '{user}', 'UTC');
COMMIT;
"""


def section_ping(b):
    plan = b.plan
    lines = ["One meetingd over its pipes, one request in flight at a time (latency: write to response line). "
             "Beside pgbench with 1 client running `SELECT 1`, and a one-row insert transaction into a scratch table "
             "with a primary key and a unique index (person.create writes the person and opens their wallet: more rows "
             "and more reads than the baseline).", ""]
    b.pg.psql(b.pgbench_url, """
        DROP TABLE IF EXISTS bench_people;
        CREATE TABLE bench_people (id text PRIMARY KEY, community_id text NOT NULL, email text NOT NULL, first_name text NOT NULL,
            last_name text NOT NULL, roles text[] NOT NULL, time_zone text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
        CREATE UNIQUE INDEX bench_people_email ON bench_people (community_id, lower(email));""")
    md = Meetingd(b, "ping")
    try:
        admin = b.bootstrap("people")["admin_id"]
        progress("system.ping, one at a time")
        ping = timed_requests(md, lambda i: b'{"jsonrpc":"2.0","id":%d,"method":"system.ping"}\n' % i, plan.seconds,
                              plan.warmup_requests)
        progress("person.create, one at a time")

        def person_line(i):
            params = {"actor": admin, "email": f"p{i}@people.bench.example", "first_name": "Bench",
                      "last_name": f"Person {i}", "roles": ["user"], "time_zone": "UTC"}
            return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "person.create", "params": params}) + "\n").encode()

        person = timed_requests(md, person_line, plan.seconds, plan.warmup_requests)
    finally:
        md.close()
    progress("the driver alone: a response line echoed by cat")
    echo = Meetingd(b, "cat", command=["cat"])
    try:
        floor = timed_requests(echo, lambda i: b'{"jsonrpc":"2.0","id":%d,"result":{}}\n' % i, 2, plan.warmup_requests)
    finally:
        echo.close()
    progress("pgbench SELECT 1 and one-row insert, 1 client")
    select1 = b.pg.pgbench(b.pgbench_url, ["-c", "1"], plan.seconds, script="SELECT 1;\n", latencies=True)
    insert = b.pg.pgbench(b.pgbench_url, ["-c", "1"], plan.seconds, script=PERSON_INSERT_SQL, latencies=True)
    rows = []
    for name, (count, elapsed, lat), baseline_name, baseline in (
            ("system.ping", ping, "`SELECT 1`", select1),
            ("person.create", person, "one-row insert transaction", insert)):
        rows.append([f"`{name}`", rate(count / elapsed), ms(percentile(lat, 50)), ms(percentile(lat, 99)),
                     baseline_name, rate(baseline.tps), ms(baseline.p50), ms(baseline.p99), ratio(count / elapsed, baseline.tps)])
    count, elapsed, lat = floor
    rows.append(["(the driver and pipes alone: `cat` echoing a response line)", rate(count / elapsed), ms(percentile(lat, 50)),
                 ms(percentile(lat, 99)), "", "", "", "", ""])
    lines += table(["meetingd method", "requests/s", "p50 ms", "p99 ms", "pgbench, 1 client", "tps", "p50 ms", "p99 ms",
                    "throughput ratio"], rows)
    lines += [""] + script_block("the one-row insert script", PERSON_INSERT_SQL)
    return lines


# MARK: 2. ledger

def grant_script():
    """What a credits.grant runs, as pgbench SQL: the actor's row, then the transfer, in one
    transaction. Variables: community, actor (finance staff), user."""
    return """
BEGIN;
SELECT p.roles, p.time_zone, ml_now(p.community_id, false) AS now
FROM people p WHERE p.community_id = ':community' AND p.id = ':actor';
SELECT ml_apply_transfer(jsonb_build_object('community_id', ':community', 'id', 'trf_' || md5(random()::text), 'credits', 1,
    'kind', 'grant', 'reference', 'pgbench-' || md5(random()::text), 'actor_id', ':actor',
    'debit_kind', 'issuance', 'credit_kind', 'user_wallet', 'credit_owner', ':user'));
COMMIT;
"""


def grant_stream(b, md, community, seconds, idempotent=False, after_warmup=None):
    """credits.grant of 1 credit to one user, one request at a time, each with a new reference."""
    base = {"actor": community["finance"], "user_id": community["user"], "credits": 1}
    label = f"{community['community'][-8:]}{'k' if idempotent else ''}"

    def line(i):
        params = dict(base, reference=f"grant-{label}-{i}")
        if idempotent:
            params["idempotency_key"] = f"grant-{label}-{i}"
        return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "credits.grant", "params": params}) + "\n").encode()

    return timed_requests(md, line, seconds, b.plan.warmup_requests, after_warmup)


def measure_grants(b, processes):
    key = ("grants", processes)
    if key in b.cache:
        return b.cache[key]
    mds = [Meetingd(b, f"grants-{processes}-{i}") for i in range(processes)]
    try:
        communities = [b.grant_community(md, "grants") for md in mds]
        progress(f"credits.grant through {processes} meetingd process{'es' if processes > 1 else ''}")
        warmed_up = threading.Barrier(processes, action=b.settle, timeout=BARRIER_SECONDS)
        runs = in_parallel([lambda md=md, c=c: grant_stream(b, md, c, b.plan.seconds, after_warmup=warmed_up.wait)
                            for md, c in zip(mds, communities)])
        keyed = (grant_stream(b, mds[0], communities[0], b.plan.seconds, idempotent=True, after_warmup=b.settle)
                 if processes == 1 else None)
    finally:
        for md in mds:
            md.close()
    total = sum(r[0] for r in runs) / max(r[1] for r in runs)
    latencies = [x for r in runs for x in r[2]]
    b.cache[key] = (total, latencies, keyed)
    return b.cache[key]


def measure_requests(b):
    """meeting.request, one at a time through one meetingd: each a new 30-minute slot of the
    same expert for the same user (the horizon set to two years so a run never runs out)."""
    key = ("requests",)
    if key in b.cache:
        return b.cache[key]
    md = Meetingd(b, "requests", test_clock=True)
    try:
        c = b.meeting_community(md, "requests")
        md.call("community.update_settings", actor=c["admin"], horizon_days=730)
        first = CLOCK_START + datetime.timedelta(hours=1)
        base = {"actor": c["user"], "service_id": c["service"], "expert_id": c["expert"], "location_id": c["location"]}

        def line(i):
            params = dict(base, start=iso(first + datetime.timedelta(minutes=30 * i)))
            return (json.dumps({"jsonrpc": "2.0", "id": i, "method": "meeting.request", "params": params}) + "\n").encode()

        progress("meeting.request through 1 meetingd process")
        # The statistics are gathered once the meetings table holds about as many rows as the
        # timed run adds, as autovacuum keeps them on a running service (it analyzes a table once
        # a tenth of it changed). Gathered after 100 requests, they described a table of 100
        # meetings while the run added some 3,500, and the plans made for the small table (the
        # foreign-key checks' scans of every meeting) slowed each request as the table grew:
        # seen, the median 0.99 ms over the first 500 requests and 1.81 ms over the sixth 500,
        # flat at 0.95 ms after an ANALYZE half-way.
        count, elapsed, latencies = timed_requests(md, line, b.plan.seconds, b.plan.request_warmup_requests, after_warmup=b.settle)
    finally:
        md.close()
    b.cache[key] = (count / elapsed, latencies)
    return b.cache[key]


def pgbench_grant_communities(b, count):
    key = ("grant communities", count)
    if key not in b.cache:
        md = Meetingd(b, "pgbench-grants-setup")
        try:
            b.cache[key] = [b.grant_community(md, "pgbench-grants") for _ in range(count)]
        finally:
            md.close()
    return b.cache[key]


def run_lifecycles(b, md, community, path, count, first=None):
    """`count` meetings through request → confirm → log_session (path "log": the hold captured
    after the start, under the test clock) or request → confirm → cancel by the user outside the
    cancellation window (path "cancel": the hold released), the first starting at `first`.
    Returns the seconds taken."""
    first = first or CLOCK_START + datetime.timedelta(hours=1 if path == "log" else 72)
    starts = [first + datetime.timedelta(minutes=30 * k) for k in range(count)]
    user, expert, admin = community["user"], community["expert"], community["admin"]
    started = time.perf_counter()
    meetings = []
    for start in starts:
        meeting = md.call("meeting.request", actor=user, service_id=community["service"], expert_id=expert, start=iso(start),
                          location_id=community["location"])
        if meeting["credit_status"] != "blocked":
            raise BenchError(f"meeting.request left credit_status {meeting['credit_status']}")
        md.call("meeting.confirm", actor=expert, meeting_id=meeting["id"])
        meetings.append(meeting["id"])
    if path == "log":
        md.call("clock.set", actor=admin, now=iso(starts[-1] + datetime.timedelta(minutes=31)))
        for meeting in meetings:
            done = md.call("meeting.log_session", actor=expert, meeting_id=meeting, attendance="attended")
            if done["credit_status"] != "paid":
                raise BenchError(f"meeting.log_session left credit_status {done['credit_status']}")
    else:
        for meeting in meetings:
            done = md.call("meeting.cancel", actor=user, meeting_id=meeting, reason_code="schedule_conflict")
            if done["credit_status"] != "returned":
                raise BenchError(f"meeting.cancel left credit_status {done['credit_status']}")
    return time.perf_counter() - started


def measure_lifecycles(b, path, processes):
    """Lifecycles per second through `processes` meetingd at once, each its own community."""
    key = ("lifecycles", path, processes)
    if key in b.cache:
        return b.cache[key]
    count = b.plan.cycles_one_process if processes == 1 else b.plan.cycles_per_process_of_four
    mds = [Meetingd(b, f"lifecycle-{path}-{processes}-{i}", test_clock=True) for i in range(processes)]
    try:
        communities = [b.meeting_community(md, f"lifecycle-{path}") for md in mds]
        # Untimed cycles first (cancelled, three weeks after the timed ones), so the timed cycles
        # meet tables with rows and statistics, as on a running service.
        warm_start = CLOCK_START + datetime.timedelta(days=21)
        in_parallel([lambda md=md, c=c: run_lifecycles(b, md, c, "cancel", b.plan.warmup_requests // 2, first=warm_start)
                     for md, c in zip(mds, communities)])
        b.settle()
        progress(f"{count} request → confirm → {'log_session' if path == 'log' else 'cancel'} lifecycles through "
                 f"{processes} meetingd process{'es' if processes > 1 else ''}")
        seconds = in_parallel([lambda md=md, c=c: run_lifecycles(b, md, c, path, count) for md, c in zip(mds, communities)])
    finally:
        for md in mds:
            md.close()
    b.cache[key] = count * processes / max(seconds)
    return b.cache[key]


def section_ledger(b):
    plan = b.plan
    lines = ["`credits.grant` of 1 credit from the community's issuance account to a user's wallet, one request at a time "
             "per process, each process with its own community (so no two share an account). Hold→capture cycles run "
             "under `--test-clock`: `meeting.request` (holds the price), `meeting.confirm`, then the community's clock "
             "is moved past the starts and `meeting.log_session` captures (plus the platform's fee): cycles per second "
             "of the whole run, three commits each. `meeting.request` books consecutive 30-minute slots of one expert for one "
             "user. The ledger_transfer script runs the SQL a grant runs (the actor's row and the transfer, one transaction), so it separates the ledger's own cost (script against pgbench -N) from "
             "the service's (meetingd against the script).", ""]
    # Each one-process figure between two pgbench -N runs: grants, requests, cycles.
    around = [b.tpcb_sample(1)]
    one, one_latencies, keyed = measure_grants(b, 1)
    around.append(b.tpcb_sample(1))
    requests, request_latencies = measure_requests(b)
    around.append(b.tpcb_sample(1))
    cycles_1 = measure_lifecycles(b, "log", 1)
    around.append(b.tpcb_sample(1))
    tpcb_grants, tpcb_requests, tpcb_cycles = [(around[i] + around[i + 1]) / 2 for i in range(3)]
    four, _, _ = measure_grants(b, 4)
    tpcb_4 = b.pgbench_tpcb_like(4)
    communities = pgbench_grant_communities(b, 4)
    progress("pgbench ledger_transfer script, 1 client and 4 processes")
    defines = [{"community": c["community"], "actor": c["finance"], "user": c["user"]} for c in communities]
    script_1 = b.pg.pgbench(b.service_url, ["-c", "1"], plan.seconds, script=grant_script(), defines=defines[0]).tps
    script_4 = b.pg.pgbench_processes(b.service_url, plan.seconds, grant_script(), defines)
    cycles_4 = measure_lifecycles(b, "log", 4)
    keyed_rate = keyed[0] / keyed[1]
    adjacent = "pgbench -N, 1 client, just before and after"
    rows = [
        ["`credits.grant`, 1 process", rate(one), adjacent, rate(tpcb_grants), ratio(one, tpcb_grants), verdict(one, tpcb_grants, 0.9)],
        ["`credits.grant`, 4 processes", rate(four), "pgbench -N -c 4 -j 4", rate(tpcb_4), ratio(four, tpcb_4),
         verdict(four, tpcb_4, 0.9)],
        ["`credits.grant`, 1 process", rate(one), "ledger_transfer script, 1 client", rate(script_1), ratio(one, script_1), ""],
        ["`credits.grant`, 4 processes", rate(four), "ledger_transfer script, 4 pgbench processes", rate(script_4),
         ratio(four, script_4), ""],
        ["`credits.grant` with `idempotency_key`, 1 process", rate(keyed_rate), adjacent, rate(tpcb_grants),
         ratio(keyed_rate, tpcb_grants), ""],
        ["`meeting.request`, 1 process", rate(requests), adjacent, rate(tpcb_requests), ratio(requests, tpcb_requests),
         verdict(requests, tpcb_requests, 0.6)],
        [f"hold→capture cycles, 1 process ({plan.cycles_one_process})", f"{rate(cycles_1)} cycles/s = {rate(3 * cycles_1)} commits/s",
         adjacent, rate(tpcb_cycles), ratio(3 * cycles_1, tpcb_cycles) + " (commits/tps)", verdict(3 * cycles_1, tpcb_cycles, 0.5)],
        [f"hold→capture cycles, 4 processes ({plan.cycles_per_process_of_four} each)",
         f"{rate(cycles_4)} cycles/s = {rate(3 * cycles_4)} commits/s", "pgbench -N -c 4 -j 4", rate(tpcb_4),
         ratio(3 * cycles_4, tpcb_4) + " (commits/tps)", ""],
    ]
    lines += table(["meetingd", "per second", "baseline", "tps", "ratio", "target"], rows)
    lines += ["", f"This machine's throughput drifts within minutes, so pgbench -N with 1 client ran before, between and "
                  f"after the one-process runs ({b.tpcb_runs(1)} tps, in that order) and each one-process figure is compared "
                  f"with the mean of the runs just before and after it."]
    lines += ["", f"Sequential `credits.grant` latency: p50 {ms(percentile(one_latencies, 50))} ms, "
                  f"p99 {ms(percentile(one_latencies, 99))} ms; with an idempotency key p50 {ms(percentile(keyed[2], 50))} ms, "
                  f"p99 {ms(percentile(keyed[2], 99))} ms. Sequential `meeting.request` latency: p50 "
                  f"{ms(percentile(request_latencies, 50))} ms, p99 {ms(percentile(request_latencies, 99))} ms.", ""]
    lines += script_block("the ledger_transfer script (per process: its own community, finance actor and user)", grant_script())
    return lines


# MARK: 3. balances at ledger sizes

BULK_TRANSFERS_SQL = """
SELECT set_config('bench.community', :'community', false), set_config('bench.actor', :'actor', false),
       set_config('bench.count', :'count', false), set_config('bench.skip_owner', :'skip_owner', false);
SET synchronous_commit = off;
DO $$
DECLARE
    community text := current_setting('bench.community');
    total int := current_setting('bench.count')::int;
    issuance text := ledger_account(community, 'issuance', NULL);
    wallets text[] := ARRAY(SELECT id FROM accounts WHERE community_id = community AND kind = 'user_wallet'
                            AND owner_id <> current_setting('bench.skip_owner') ORDER BY id);
BEGIN
    FOR i IN 1..total LOOP
        PERFORM ledger_transfer(community, 'trf_' || md5(random()::text || i), issuance,
            wallets[1 + i % array_length(wallets, 1)], 1, 'grant', 'posted', NULL, 'bulk-' || i, NULL,
            current_setting('bench.actor'), NULL);
        -- Short transactions: one transaction updating the issuance row a million times would
        -- leave a million row versions to walk past.
        IF i % 100 = 0 THEN COMMIT; END IF;
    END LOOP;
END $$;
"""


def ledger_of_size(b, md, transfers):
    """A community whose issuance account has `transfers` grants (to 50 wallets) plus a wallet
    with 3 grants of its own; the moment half of the bulk had been written; creation seconds."""
    admin = b.bootstrap(f"ledger-{transfers}")["admin_id"]
    community = md.call("community.get", actor=admin)["id"]
    finance = b.people(md, admin, ["finance"], 1, "finance")[0]
    quiet_user = b.people(md, admin, ["user"], 1, "quiet")[0]
    b.people(md, admin, ["user"], 50, "busy")
    for i in range(3):
        md.call("credits.grant", actor=finance, user_id=quiet_user, credits=5, reference=f"quiet-{i}")
    progress(f"creating {transfers:,} transfers server-side")
    started = time.perf_counter()
    b.pg.psql(b.service_url, BULK_TRANSFERS_SQL,
              {"community": community, "actor": finance, "count": transfers, "skip_owner": quiet_user})
    created_seconds = time.perf_counter() - started
    progress(f"{transfers:,} transfers in {created_seconds:.1f} s; VACUUM ANALYZE")
    b.pg.psql(b.service_url, "VACUUM ANALYZE accounts; VACUUM ANALYZE transfers;")
    middle = b.pg.psql(b.service_url, """
        SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM transfers
        WHERE community_id = :'community' AND kind = 'grant' AND reference = :'reference'
        """, {"community": community, "reference": f"bulk-{transfers // 2}"})
    quiet_wallet = md.call("ledger.balance", actor=finance, person_id=quiet_user)["account_id"]
    issuance = b.pg.psql(b.service_url, "SELECT ledger_account(:'community', 'issuance', NULL)", {"community": community})
    return {"finance": finance, "quiet": quiet_wallet, "issuance": issuance, "middle": middle,
            "created_seconds": created_seconds, "issued": transfers + 15}


def balance_latencies(b, md, ledger, account, as_of):
    params = {"actor": ledger["finance"], "account_id": account}
    if as_of:
        params["as_of"] = ledger["middle"]
    line = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ledger.balance", "params": params}) + "\n").encode()
    for _ in range(b.plan.warmup_requests):
        md.exchange(line)
    latencies = []
    for _ in range(b.plan.balance_calls):
        sent = time.perf_counter()
        reply = md.exchange(line)
        latencies.append(time.perf_counter() - sent)
    result = check_reply(reply, "ledger.balance")
    if account == ledger["issuance"] and not as_of and result["posted"] != -ledger["issued"]:
        raise BenchError(f"issuance posted {result['posted']}, expected {-ledger['issued']}")
    return latencies


def section_balance(b):
    small, large = b.plan.transfer_sizes
    md = Meetingd(b, "balance")
    try:
        ledgers = {size: ledger_of_size(b, md, size) for size in (small, large)}
        progress(f"{b.plan.balance_calls} ledger.balance calls per account, now and as_of, at both sizes")
        figures = {}
        for size, ledger in ledgers.items():
            for who in ("quiet", "issuance"):
                for as_of in (False, True):
                    figures[size, who, as_of] = balance_latencies(b, md, ledger, ledger[who], as_of)
    finally:
        md.close()
    lines = [f"Two communities whose issuance accounts have {small:,} and {large:,} grants, written server-side "
             "(a DO block calling `ledger_transfer` in a loop, a commit every 100 transfers, `synchronous_commit = off` for "
             "the load only, then `VACUUM ANALYZE` as autovacuum would). Then "
             f"{b.plan.balance_calls} `ledger.balance` calls through one meetingd for each account: a wallet with 3 transfers, "
             "and the issuance account that has every transfer; `as_of` is the moment half of the bulk had been written.",
             "",
             f"Creating the transfers took {ledgers[small]['created_seconds']:.1f} s for {small:,} and "
             f"{ledgers[large]['created_seconds']:.1f} s for {large:,} "
             f"({large / ledgers[large]['created_seconds']:,.0f} transfers/s).", ""]
    rows = []
    for who, label in (("quiet", "wallet (3 transfers)"), ("issuance", "issuance (every transfer)")):
        for as_of in (False, True):
            a, z = figures[small, who, as_of], figures[large, who, as_of]
            rows.append([label, "as_of" if as_of else "now", f"{ms(percentile(a, 50))} / {ms(percentile(a, 99))}",
                         f"{ms(percentile(z, 50))} / {ms(percentile(z, 99))}", ratio(percentile(z, 50), percentile(a, 50))])
    lines += table(["account", "balance", f"{small:,} transfers: p50 / p99 ms", f"{large:,} transfers: p50 / p99 ms",
                    "p50 ratio (large / small)"], rows)
    lines += ["", "A ratio near 1.00× means the balance does not grow with the ledger (SPEC §6: O(1) at any size).", ""]
    return lines


# MARK: 4. lifecycles

SCRATCH_SCHEMA = """
DROP SCHEMA IF EXISTS bench_scratch CASCADE;
CREATE SCHEMA bench_scratch;
CREATE TABLE bench_scratch.meetings (
    community_id text NOT NULL, id text NOT NULL, user_id text NOT NULL, expert_id text NOT NULL,
    start_at timestamptz NOT NULL, end_at timestamptz NOT NULL, length_minutes int NOT NULL, price_credits bigint NOT NULL,
    status text NOT NULL, credit_status text NOT NULL, hold_transfer_id text, expert_approved boolean NOT NULL,
    user_approved boolean NOT NULL, version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, id));
CREATE INDEX ON bench_scratch.meetings (community_id, user_id, start_at);
CREATE INDEX ON bench_scratch.meetings (community_id, expert_id, start_at);
CREATE TABLE bench_scratch.events (
    community_id text NOT NULL, id text NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY, meeting_id text NOT NULL,
    kind text NOT NULL, actor_id text, details jsonb NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (community_id, id));
CREATE INDEX ON bench_scratch.events (community_id, meeting_id, seq);
CREATE TABLE bench_scratch.outbox (
    community_id text NOT NULL, id text NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY, kind text NOT NULL,
    channel text NOT NULL, recipient_id text, meeting_id text, payload jsonb NOT NULL, status text NOT NULL,
    available_at timestamptz NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (community_id, id));
CREATE INDEX ON bench_scratch.outbox (community_id, available_at, seq) WHERE status IN ('pending', 'leased');
CREATE INDEX ON bench_scratch.outbox (community_id, meeting_id);
"""


def lifecycle_script(path):
    """Three transactions like meetingd's request, confirm and log_session (or cancel): the
    actor lookup, the meeting row (scratch table), the ledger's own functions on a real bench
    community's accounts, a timeline event and an outbox message each. The ledger's movements
    name the community's one real meeting, `anchor` (a transfer's meeting must exist, and a fee
    names one). Variables: community, user, expert, anchor."""
    actor = """SELECT p.community_id, p.roles, p.time_zone, now() AS now,
       (SELECT t.now FROM test_clocks t WHERE t.community_id = p.community_id) AS test_now
FROM people p WHERE p.id = ':{who}';"""
    load = "SELECT * FROM bench_scratch.meetings WHERE community_id = ':community' AND id = ':mtg' FOR UPDATE;"

    def record(kind, who, recipient):
        return f"""INSERT INTO bench_scratch.events (community_id, id, meeting_id, kind, actor_id, details, created_at)
VALUES (':community', 'evt_' || md5(random()::text), ':mtg', '{kind}', ':{who}', '{{"price_credits": 10}}', now());
INSERT INTO bench_scratch.outbox (community_id, id, kind, channel, recipient_id, meeting_id, payload, status, available_at, created_at)
SELECT ':community', 'out_' || md5(random()::text), 'meeting_{kind}', 'notification', ':{recipient}', ':mtg',
       jsonb_build_object('meeting', to_jsonb(m), 'recipient_role', '{recipient}'), 'pending', now(), now()
FROM bench_scratch.meetings m WHERE m.community_id = ':community' AND m.id = ':mtg';"""

    request = f"""-- meeting.request: the meeting, the hold, the event, the message
BEGIN;
{actor.format(who='user')}
SELECT 'mtg_' || md5(random()::text) AS mtg \\gset
INSERT INTO bench_scratch.meetings (community_id, id, user_id, expert_id, start_at, end_at, length_minutes, price_credits,
    status, credit_status, expert_approved, user_approved, version, created_at, updated_at)
VALUES (':community', ':mtg', ':user', ':expert', now() + interval '3 days', now() + interval '3 days 30 minutes', 30, 10,
    'awaiting_approval', 'none', false, true, 1, now(), now());
SELECT transfer_id AS hold FROM ledger_transfer(':community', 'trf_' || md5(random()::text),
    ledger_account(':community', 'user_wallet', ':user'), ledger_account(':community', 'expert_earnings', ':expert'),
    10, 'hold', 'pending', ':anchor', NULL, NULL, ':user', NULL) \\gset
UPDATE bench_scratch.meetings SET credit_status = 'blocked', hold_transfer_id = ':hold', version = version + 1, updated_at = now()
WHERE community_id = ':community' AND id = ':mtg';
{record('requested', 'user', 'expert')}
COMMIT;"""
    confirm = f"""-- meeting.confirm: the row, the event, the message
BEGIN;
{actor.format(who='expert')}
{load}
UPDATE bench_scratch.meetings SET status = 'agreed', expert_approved = true, version = version + 1, updated_at = now()
WHERE community_id = ':community' AND id = ':mtg';
{record('confirmed', 'expert', 'user')}
COMMIT;"""
    if path == "log":
        finish = f"""-- meeting.log_session: capture the hold, the platform's fee, the row, the event, the message
BEGIN;
{actor.format(who='expert')}
{load}
SELECT * FROM ledger_resolve(':community', 'trf_' || md5(random()::text), ':hold', true, NULL, ':expert', 'session_logged', NULL);
SELECT * FROM ledger_transfer(':community', 'trf_' || md5(random()::text),
    ledger_account(':community', 'expert_earnings', ':expert'), ledger_account(':community', 'platform_revenue', NULL),
    1, 'fee', 'posted', ':anchor', NULL, 'platform fee 10%', ':expert', NULL);
UPDATE bench_scratch.meetings SET status = 'completed', credit_status = 'paid', hold_transfer_id = NULL, version = version + 1,
    updated_at = now() WHERE community_id = ':community' AND id = ':mtg';
{record('session_logged', 'expert', 'user')}
COMMIT;"""
    else:
        finish = f"""-- meeting.cancel: release the hold, the row, the event, the message
BEGIN;
{actor.format(who='user')}
{load}
SELECT * FROM ledger_resolve(':community', 'trf_' || md5(random()::text), ':hold', false, NULL, ':user', 'cancelled_by_user', NULL);
UPDATE bench_scratch.meetings SET status = 'cancelled', credit_status = 'returned', hold_transfer_id = NULL, version = version + 1,
    updated_at = now() WHERE community_id = ':community' AND id = ':mtg';
{record('cancelled_by_user', 'user', 'expert')}
COMMIT;"""
    return "\n".join([request, confirm, finish]) + "\n"


def pgbench_meeting_communities(b, count):
    key = ("meeting communities", count)
    if key not in b.cache:
        md = Meetingd(b, "pgbench-meetings-setup", test_clock=True)
        try:
            communities = [b.meeting_community(md, "pgbench-lifecycle") for _ in range(count)]
            # The meeting the script's transfers name (the scratch meetings are not in `meetings`).
            for c in communities:
                c["anchor"] = md.call("meeting.request", actor=c["user"], service_id=c["service"], expert_id=c["expert"],
                                      location_id=c["location"], start=iso(CLOCK_START + datetime.timedelta(days=10)))["id"]
            b.cache[key] = communities
        finally:
            md.close()
    return b.cache[key]


def section_lifecycle(b):
    plan = b.plan
    lines = ["Whole meetings through meetingd (`--test-clock`), one request at a time per process, each process with its "
             "own community: request → confirm → log_session (after the clock is moved past the starts; the hold is "
             "captured and the fee paid), and request → confirm → cancel by the user three days ahead (outside the "
             "48-hour window; the hold is released). "
             f"{plan.cycles_one_process} meetings through 1 process, {plan.cycles_per_process_of_four} through each of 4. "
             "Beside a pgbench script of three transactions per lifecycle with similar statements (the actor lookup, "
             "a meeting row in a scratch table, the real `ledger_transfer` / `ledger_resolve` on a bench community's "
             "accounts (naming one real meeting of the community, as a transfer's meeting must exist), an event and an outbox message with the meeting as payload). meetingd does more per request than "
             "the script: settings, service, certification, location and person reads, the expert's calendar lock, the "
             "availability check and the overlap check.", ""]
    b.ensure_scratch_tables()
    communities = pgbench_meeting_communities(b, 4)
    defines = [{"community": c["community"], "user": c["user"], "expert": c["expert"], "anchor": c["anchor"]} for c in communities]
    rows = []
    for path, name in (("log", "request → confirm → log_session"), ("cancel", "request → confirm → cancel")):
        for processes in (1, 4):
            measured = measure_lifecycles(b, path, processes)
            progress(f"pgbench lifecycle script ({path}), {processes} process{'es' if processes > 1 else ''}")
            if processes == 1:
                baseline = b.pg.pgbench(b.service_url, ["-c", "1"], plan.seconds, script=lifecycle_script(path),
                                        defines=defines[0]).tps
            else:
                baseline = b.pg.pgbench_processes(b.service_url, plan.seconds, lifecycle_script(path), defines)
            rows.append([name, processes, rate(measured), rate(baseline), ratio(measured, baseline)])
    lines += table(["lifecycle", "processes", "meetingd lifecycles/s", "pgbench script lifecycles/s", "ratio"], rows)
    lines += [""] + script_block("the log_session lifecycle script", lifecycle_script("log"))
    lines += script_block("the cancel lifecycle script", lifecycle_script("cancel"))
    return lines


# MARK: 5. search

def local_start(zone, day, hour, minute=0):
    local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone))
    return iso(local)


def section_search(b):
    plan = b.plan
    counts = plan.expert_counts
    largest = counts[-1]
    md = Meetingd(b, "search", test_clock=True)
    try:
        admin = b.bootstrap("search")["admin_id"]
        md.call("clock.set", actor=admin, now=iso(CLOCK_START))
        location = md.call("location.create", actor=admin, name="Video call", kind="virtual")["id"]
        services = {n: md.call("service.create", actor=admin, name=f"Search {n}", kind="generic", default_length_minutes=30,
                               price_credits=10)["id"] for n in counts}
        progress(f"creating {largest} experts with weekday hours, certifications and bookings")
        started = time.perf_counter()
        experts = []
        for zone_index, zone in enumerate(EXPERT_ZONES):
            share = [i for i in range(largest) if i % len(EXPERT_ZONES) == zone_index]
            made = b.people(md, admin, ["expert"], len(share), f"expert-{zone_index}-", zone=zone)
            experts += list(zip(share, made, [zone] * len(share)))
        experts.sort()
        users = b.people(md, admin, ["user"], 8, "searcher")
        md.batch([("credits.grant", {"actor": admin, "user_id": u, "credits": 10**6, "reference": f"opening-{u}"}) for u in users])
        md.batch([("service.certify", {"actor": admin, "service_id": services[n], "expert_id": e})
                  for i, e, _ in experts for n in counts if i < n])
        md.batch([("availability.set_weekly", {"actor": admin, "expert_id": e, "time_zone": zone, "rules": [
            {"weekday": d, "start": "09:00", "end": "17:00", "location_ids": [location]} for d in range(1, 6)]})
            for _, e, zone in experts])
        # Three bookings per expert in their own working hours, on different days of the four weeks.
        first_day = CLOCK_START.date()
        bookings = []
        for i, e, zone in experts:
            for k in range(3):
                day = first_day + datetime.timedelta(days=7 * k + (i + k) % 5)
                bookings.append(("meeting.request", {
                    "actor": users[(i * 3 + k) % len(users)], "service_id": services[largest], "expert_id": e,
                    "start": local_start(zone, day, 10 + (i + 2 * k) % 6, 30 * (i % 2)), "location_id": location}))
        requested = md.batch(bookings)
        md.batch([("meeting.confirm", {"actor": m["expert_id"], "meeting_id": m["id"]}) for m in requested])
        setup_seconds = time.perf_counter() - started
        progress(f"set up in {setup_seconds:.1f} s; searching")
        window = {"from": iso(CLOCK_START), "to": iso(CLOCK_START + datetime.timedelta(days=28))}
        figures = []
        for n in counts:
            def search_all(tag):
                """Every page of the search: its slots, the bytes answered and each page's request id."""
                slots, size, ids, cursor = [], 0, [], None
                while True:
                    ids.append(f"{tag}-{len(ids)}")
                    params = dict(window, actor=users[0], service_id=services[n], limit=2000)
                    if cursor:
                        params["cursor"] = cursor
                    reply = md.exchange((json.dumps({"jsonrpc": "2.0", "id": ids[-1], "method": "availability.search",
                                                     "params": params}) + "\n").encode())
                    page = check_reply(reply, "availability.search")
                    slots += page["slots"]
                    size += len(reply)
                    cursor = page["next_cursor"]
                    if not cursor:
                        return slots, size, ids
            slots, size, _ = search_all(f"warm-{n}")  # warm-up, and the answer checked
            times, ids = [], []
            for k in range(plan.searches):
                sent = time.perf_counter()
                ids.append(search_all(f"search-{n}-{k}")[2])
                times.append(time.perf_counter() - sent)
            listed = {x["expert_id"] for s in slots for x in s["experts"]}
            if len(listed) != n:
                raise BenchError(f"search over {n} certified experts listed {len(listed)}")
            figures.append((n, len(slots), sum(len(s["experts"]) for s in slots), size, times, ids))
    finally:
        md.close()
    handler_ms = md.logged_durations()
    lines = [f"One service with {', '.join(str(n) for n in counts)} certified experts (the experts in four time zones, "
             "Monday–Friday 09:00–17:00 in their own zone, 30-minute slots, three confirmed bookings each), searched over 4 weeks "
             f"by a user through one meetingd: median of {plan.searches} searches, each every page of the answer (pages of at "
             "most 2,000 slots and 10,000 expert-location listings; write to the last byte of the last page; together the pages "
             "list every expert free at each start; the time in the handler, from meetingd's log, leaves out writing the "
             "responses). "
             f"Setting up {largest} experts with batched requests took {setup_seconds:.1f} s.", ""]
    rows = []
    previous = None
    for n, slot_count, entries, size, times, ids in figures:
        scale = ""
        if previous:
            scale = f"{median(times) / median(previous[4]):.2f}× for {n / previous[0]:g}× the experts"
        in_handler = [sum(handler_ms[i] for i in pages) for pages in ids if all(i in handler_ms for i in pages)]
        rows.append([n, f"{slot_count:,}", f"{entries:,}", f"{size / 1024:,.0f}", ms(median(times)), ms(min(times)),
                     ms(max(times)), f"{median(in_handler):.2f}" if in_handler else "—", scale])
        previous = (n, slot_count, entries, size, times)
    lines += table(["experts", "slot starts", "expert-slots listed", "response KiB", "median ms", "min ms", "max ms",
                    "median ms in the handler", "growth from previous size"], rows)
    lines += ["", "Growth at or below the experts' ratio is linear or better (SPEC §6: linear in experts × days).", ""]
    return lines


# MARK: 6. batch

def batch_stream(b, md, communities, seconds, label):
    """Batches of BATCH_SIZE credits.grant, entry j for communities[j % len]: grants per second."""
    sent_batches = 0
    counter = 0

    def make_batch():
        nonlocal counter
        entries = []
        for j in range(BATCH_SIZE):
            counter += 1
            c = communities[j % len(communities)]
            entries.append({"jsonrpc": "2.0", "id": counter, "method": "credits.grant",
                            "params": {"actor": c["finance"], "user_id": c["user"], "credits": 1,
                                       "reference": f"batch-{label}-{counter}"}})
        return entries

    def send(entries):
        replies = json.loads(md.exchange((json.dumps(entries, separators=(",", ":")) + "\n").encode()))
        for entry, result in zip(entries, match_batch(replies, [e["id"] for e in entries], "credits.grant")):
            if result["credits"] != 1 or result["kind"] != "grant":
                raise BenchError(f"entry {entry['id']} answered with {result}")

    for _ in range(max(1, b.plan.warmup_requests // BATCH_SIZE)):
        send(make_batch())
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        send(make_batch())
        sent_batches += 1
        if time.perf_counter() >= deadline:
            break
    return sent_batches * BATCH_SIZE / (time.perf_counter() - start)


def section_batch(b):
    plan = b.plan
    md = Meetingd(b, "batch", batch_workers=4)
    try:
        communities = [b.grant_community(md, "batch") for _ in range(4)]
        progress("batches of 100 credits.grant over 4 communities")
        spread = batch_stream(b, md, communities, plan.seconds, "spread")
        progress("batches of 100 credits.grant in one community")
        single = batch_stream(b, md, communities[:1], plan.seconds, "single")
    finally:
        md.close()
    tpcb_4 = b.pgbench_tpcb_like(4)
    lines = [f"One meetingd with `--batch-workers 4` fed JSON-RPC batches of {BATCH_SIZE} independent `credits.grant` "
             "entries, one batch in flight; every response matched to its entry's id and checked. Entries spread over "
             "4 communities touch disjoint accounts (like pgbench's random rows); entries of one community all debit "
             "its one issuance account, so they wait for each other's commit.", ""]
    lines += table(["batches", "grants/s", "baseline", "tps", "ratio", "target"], [
        ["entries over 4 communities", rate(spread), "pgbench -N -c 4 -j 4", rate(tpcb_4), ratio(spread, tpcb_4),
         verdict(spread, tpcb_4, 0.8)],
        ["entries all in one community", rate(single), "pgbench -N -c 4 -j 4", rate(tpcb_4), ratio(single, tpcb_4), ""],
    ])
    return lines + [""]


RUNNERS = {1: section_ping, 2: section_ledger, 3: section_balance, 4: section_lifecycle, 5: section_search, 6: section_batch}


def parse_sections(text):
    if not text:
        return list(SECTIONS)
    chosen = []
    for part in text.split(","):
        part = part.strip().lower()
        number = int(part) if part.isdigit() else next((n for n, name in SECTIONS.items() if name == part), None)
        if number not in SECTIONS:
            raise SystemExit(f"unknown section {part!r}: choose from " + ", ".join(f"{n} {s}" for n, s in SECTIONS.items()))
        chosen.append(number)
    return sorted(set(chosen))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetingd", required=True, help="the release meetingd binary")
    parser.add_argument("--database-url", required=True,
                        help=f"any database on the server (libpq conninfo or URI); the run makes {SERVICE_DATABASE} and "
                             f"{PGBENCH_DATABASE} there and drops them at the end")
    parser.add_argument("--pg-bin", help="folder of psql and pgbench matching the server")
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, for smoke tests")
    parser.add_argument("--only", help="sections to run: numbers or names (" + ", ".join(SECTIONS.values()) + ")")
    parser.add_argument("--output", help="where the markdown report goes (default docs/BENCHMARKS.md; a run with "
                        "--only writes no file unless given one, so a partial report never replaces a whole one)")
    args = parser.parse_args()
    sections = parse_sections(args.only)
    bench = Bench(args)
    started = time.perf_counter()
    failures = 0
    try:
        bench.prepare_databases()
        report = bench.header(sections)
        # The million-transfer load (section 3) runs last: its WAL and checkpoints would slow
        # whatever ran after it. The report keeps the sections in their numbered order.
        bodies = {}
        for number in sorted(sections, key=lambda n: (n == 3, n)):
            progress(f"section {number}: {TITLES[number]}")
            try:
                bodies[number] = RUNNERS[number](bench)
            except (BenchError, subprocess.SubprocessError, OSError, KeyError, ValueError, threading.BrokenBarrierError) as error:
                failures += 1
                progress(f"section {number} failed: {error}")
                bodies[number] = [f"**This section failed and has no figures:** {error}", ""]
        for number in sections:
            report += [f"## {number}. {TITLES[number]}", ""] + bodies[number]
        report += [f"Load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
                   f"the run took {time.perf_counter() - started:.0f} s.", ""]
    finally:
        bench.cleanup()
    text = "\n".join(report)
    print(text)
    output = args.output or (None if args.only else str(ROOT / "docs" / "BENCHMARKS.md"))
    if output:
        Path(output).write_text(text)
        progress(f"report written to {output}")
    else:
        progress("a partial run: docs/BENCHMARKS.md left as it was (give --output to write this report)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
