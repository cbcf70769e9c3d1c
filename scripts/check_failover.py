"""A failover under load, with the engine operators run: pg_auto_failover (Debian's package).

A monitor and two PostgreSQL nodes (a primary and its hot standby) on 127.0.0.1, each on a port
of its own, under pg_autoctl as the postgres user, in a folder of the system's temporary
directory. One meetingd is given the formation's URI (every host, target_session_attrs=read-write)
as DATABASE_URL, the same hosts with target_session_attrs=prefer-standby as
MEETINGLEDGER_READ_DATABASE_URL, and MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY=1. It grants one
credit at a time, each with its idempotency key, and reads the wallet's balance after each
grant; every fourth grant it also books a meeting (a one-credit hold) with its key and reads the
meeting back; all while `pg_autoctl perform failover` swaps the nodes twice. Checked:

- every grant and every booking took effect exactly once: retried with its key after a
  retryable error, the wallet's posted and blocked credits, the grant transfers, the meetings
  and their holds equal the grants and bookings made;
- every read after a write shows it (each process reads its own writes, from the standby or
  the primary, across both failovers);
- only retryable errors were met, and the service answered again within a bound;
- both failovers happened (the nodes' roles swapped and swapped back), reads went to a standby,
  and came back to one after the failovers (the read connection, promoted with its server,
  reconnects), and ledger.reconcile finds nothing wrong at the end.

Beside meetingd, a sentinel (a plain libpq client, one autocommit INSERT at a time into a
database of its own, through the same URI) keeps the numbers the formation acknowledged. When a
check fails and the final primary also lacks some of the sentinel's acknowledged commits, the
formation itself lost commits it had acknowledged to any client: that run cannot judge meetingd,
and the whole check runs once more on a new formation (both runs are printed). When a check
fails, what explains it is printed: the grants missing on the final primary, each node second
by second, the monitor's last events and the last lines of each log.

Everything started here stops at the end, and a watchdog stops it if this process dies.
"""
import argparse
import ctypes
import ctypes.util
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PG_BIN = "/usr/lib/postgresql/15/bin"
# The check's grants, as the SQL below reads them from a node.
GRANTS = "transfers WHERE kind = 'grant' AND reference LIKE 'failover-%'"


def log(message):
    print(f"[failover] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formation:
    """The monitor and two nodes under pg_autoctl, as the postgres user when run as root."""

    def __init__(self, folder, lifetime_seconds):
        self.folder = folder
        self.ports = {name: free_port() for name in ("monitor", "node_1", "node_2")}
        self.env = dict(PATH=f"{PG_BIN}:/usr/bin:/bin", XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"),
                        XDG_RUNTIME_DIR=str(folder / "run"), TMPDIR=str(folder), HOME=str(folder), LANG="C.UTF-8")
        # pg_autoctl keeps a runtime file per node under /tmp/pg_autoctl/<its data folder> whatever
        # it is told: removed with the rest.
        self.runtime = Path("/tmp/pg_autoctl") / str(folder).lstrip("/")
        self.services = []
        self.watchdog = subprocess.Popen(
            ["/bin/bash", "-c", f"""
                # Stops the formation once the check is gone, or after {lifetime_seconds} s in any case.
                end=$((SECONDS + {lifetime_seconds}))
                while kill -0 {os.getpid()} 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 1; done
                pkill -f 'pg_autoctl.*{folder}' ; sleep 2
                for d in node_1 node_2 monitor; do {self.runner_text()} {PG_BIN}/pg_ctl -D '{folder}/'$d -m immediate stop >/dev/null 2>&1; done
                rm -rf '{folder}' '/tmp/pg_autoctl/{str(folder).lstrip("/")}'
            """], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    @staticmethod
    def as_root():
        return os.geteuid() == 0

    def runner(self):
        return ["runuser", "-u", "postgres", "--"] if self.as_root() else []

    def runner_text(self):
        return "runuser -u postgres --" if self.as_root() else ""

    def autoctl(self, *arguments, check=True, timeout=120):
        done = subprocess.run(self.runner() + ["env", "-i"] + [f"{k}={v}" for k, v in self.env.items()] + ["pg_autoctl", *arguments],
                              capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if check and done.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(arguments)} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done

    def run_service(self, name):
        log_file = open(self.folder / f"{name}.log", "w")
        self.services.append(subprocess.Popen(
            self.runner() + ["env", "-i"] + [f"{k}={v}" for k, v in self.env.items()] + ["pg_autoctl", "run", "--pgdata", str(self.folder / name)],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, cwd=self.folder))

    @property
    def monitor_uri(self):
        return f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}/pg_auto_failover?sslmode=require"

    def node_url(self, name, database="meetingledger"):
        return f"host=127.0.0.1 port={self.ports[name]} dbname={database} user=postgres sslmode=require"

    def start(self):
        common = ["--auth", "trust", "--ssl-self-signed", "--pgctl", f"{PG_BIN}/pg_ctl", "--hostname", "127.0.0.1"]
        log("creating the monitor")
        self.autoctl("create", "monitor", "--pgdata", str(self.folder / "monitor"), "--pgport", str(self.ports["monitor"]), *common)
        # The monitor takes no --listen: it is set before it first runs, so it listens on loopback only.
        self.autoctl("config", "set", "--pgdata", str(self.folder / "monitor"), "postgresql.listen_addresses", "127.0.0.1")
        self.run_service("monitor")
        self.wait(lambda: self.sql(self.node_url("monitor", "pg_auto_failover"), "SELECT 1") == "1", "the monitor answers", 60)
        for name in ("node_1", "node_2"):
            log(f"creating {name}")
            self.autoctl("create", "postgres", "--pgdata", str(self.folder / name), "--pgport", str(self.ports[name]), "--listen", "127.0.0.1",
                         "--dbname", "meetingledger", "--name", name, "--monitor", self.monitor_uri, *common, timeout=180)
            self.run_service(name)
            # pg_basebackup waits for a spread checkpoint on the primary; one is asked for at once.
            self.wait(lambda name=name: self.settled(name), f"{name} joins the formation", 150, nudge=self.checkpoint)

    def state(self):
        done = self.autoctl("show", "state", "--pgdata", str(self.folder / "monitor"), "--json", check=False)
        try:
            return {node["nodename"]: node for node in json.loads(done.stdout)}
        except (json.JSONDecodeError, KeyError, TypeError):
            return {}

    def roles(self):
        """Node name → primary or secondary, once both have reached those states."""
        state = self.state()
        return {name: node.get("current_group_state") for name, node in state.items()
                if node.get("current_group_state") == node.get("assigned_group_state") and node.get("current_group_state") in ("primary", "secondary")}

    def settled(self, joined):
        roles = self.roles()
        if joined == "node_1":
            return self.state().get("node_1", {}).get("current_group_state") in ("single", "wait_primary", "primary")
        return sorted(roles.values()) == ["primary", "secondary"]

    def checkpoint(self):
        for name in ("node_1", "node_2"):
            self.sql(self.node_url(name), "CHECKPOINT", check=False)

    def sql(self, url, statement, check=True):
        done = subprocess.run([f"{PG_BIN}/psql", "-X", "-A", "-t", "-d", url, "-c", statement], capture_output=True, text=True, timeout=30)
        if check and done.returncode != 0:
            return None
        return done.stdout.strip()

    def nodes_seen(self):
        """Each node as it answers now: standby or not, timeline, the grants it holds, and what
        its commits wait for (synchronous_standby_names, the standbys it streams to)."""
        seen = {}
        for name in ("node_1", "node_2"):
            seen[name] = self.sql(self.node_url(name), f"""
                SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END
                    || ' timeline ' || (SELECT timeline_id FROM pg_control_checkpoint())
                    || ' grants ' || (SELECT count(*) FROM {GRANTS})
                    || ' sync ' || quote_literal(current_setting('synchronous_standby_names'))
                    || ' streams ' || coalesce((SELECT string_agg(application_name || ':' || state || ':' || sync_state, ',')
                                                FROM pg_stat_replication), '-')""")
        return seen

    def events(self, count=40):
        done = self.autoctl("show", "events", "--count", str(count), "--pgdata", str(self.folder / "monitor"), check=False)
        return done.stdout

    def uri(self):
        done = self.autoctl("show", "uri", "--pgdata", str(self.folder / "monitor"), "--formation", "default")
        return done.stdout.strip()

    @staticmethod
    def wait(condition, what, seconds, nudge=None):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {seconds} s waiting for: {what}")
            if nudge:
                nudge()
            time.sleep(1)

    def stop(self):
        for name in ("node_2", "node_1", "monitor"):
            self.autoctl("stop", "--pgdata", str(self.folder / name), check=False, timeout=60)
        for service in self.services:
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
        self.watchdog.terminate()
        shutil.rmtree(self.runtime, ignore_errors=True)
        for parent in self.runtime.parents:  # the folders above it too, when nothing else is there
            if parent == Path("/tmp"):
                break
            try:
                parent.rmdir()
            except OSError:
                break


class Sentinel:
    """A plain libpq client beside meetingd: one autocommit INSERT at a time into a database of
    its own on the formation, through the same URI, reconnecting after any error, and the
    numbers the server acknowledged. When the final primary lacks some of them, the formation
    lost commits it had acknowledged to any client, and meetingd's checks of that run say
    nothing about meetingd."""

    def __init__(self, conninfo):
        self.libpq = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        for name, result, arguments in (("PQconnectdb", ctypes.c_void_p, [ctypes.c_char_p]), ("PQstatus", ctypes.c_int, [ctypes.c_void_p]),
                                        ("PQexec", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
                                        ("PQresultStatus", ctypes.c_int, [ctypes.c_void_p]), ("PQclear", None, [ctypes.c_void_p]),
                                        ("PQfinish", None, [ctypes.c_void_p])):
            function = getattr(self.libpq, name)
            function.restype, function.argtypes = result, arguments
        self.conninfo = conninfo.encode()
        self.acknowledged = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.write, daemon=True)
        self.thread.start()

    def write(self):
        connection, n = None, 0
        while not self.stopping.wait(0.01):
            if connection is None:
                connection = self.libpq.PQconnectdb(self.conninfo)
                if self.libpq.PQstatus(connection) != 0:  # CONNECTION_OK
                    self.libpq.PQfinish(connection)
                    connection = None
                    continue
            result = self.libpq.PQexec(connection, f"INSERT INTO acknowledged VALUES ({n})".encode())
            if self.libpq.PQresultStatus(result) == 1:  # PGRES_COMMAND_OK: committed
                self.acknowledged.append(n)
            else:
                self.libpq.PQfinish(connection)
                connection = None
            self.libpq.PQclear(result)
            n += 1
        if connection is not None:
            self.libpq.PQfinish(connection)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=30)


class Meetingd:
    def __init__(self, binary, env, log_path):
        self.process = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log_path, "w"),
                                        env=dict(os.environ, **env), text=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"meetingd exited with {self.process.wait()}")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetingd", required=True)
    parser.add_argument("--seconds-between", type=float, default=8, help="load before, between and after the two failovers")
    parser.add_argument("--answer-within", type=float, default=60, help="the longest a call may go unanswered by a retry")
    args = parser.parse_args()
    failures, lost = run_once(args)
    if failures and lost:
        log(f"the formation lost {len(lost)} commits it had acknowledged to a plain libpq client ({ranges(lost)}), "
            "not meetingd's doing: this run says nothing about meetingd; once more, on a new formation")
        failures, lost = run_once(args)
    log("passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def ranges(numbers):
    """3 4 5 9 → '3..5, 9..9'."""
    numbers, runs, first = sorted(numbers), [], None
    for i, n in enumerate(numbers):
        if first is None:
            first = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            runs.append(f"{first}..{n}")
            first = None
    return ", ".join(runs) or "none"


def run_once(args):
    """One formation, two failovers: the checks that failed, and the numbers the formation
    acknowledged to the sentinel and then lost."""
    folder = Path(tempfile.mkdtemp(prefix="meetingledger-failover-"))
    os.chmod(folder, 0o755)
    if Formation.as_root():
        shutil.chown(folder, "postgres", "postgres")
    formation = Formation(folder, lifetime_seconds=600)
    failures, lost = [], []
    meetingd = sentinel = None
    # What each node was, second by second: printed when a check fails.
    timeline, sampling = [], threading.Event()
    try:
        formation.start()
        uri = formation.uri()
        log(f"formation up: {uri}")
        # The formation's URI as pg_autoctl prints it, the postgres role added; reads prefer the standby.
        primary_url = uri.replace("postgres://", "postgres://postgres@", 1)
        read_url = primary_url.replace("target_session_attrs=read-write", "target_session_attrs=prefer-standby")
        # Writes only where a synchronous standby confirms them: a primary the monitor left
        # writable without one (README: Failover) acknowledges none of meetingd's writes.
        env = {"DATABASE_URL": primary_url, "MEETINGLEDGER_READ_DATABASE_URL": read_url, "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY": "1"}
        migrated = subprocess.run([args.meetingd, "migrate"], env=dict(os.environ, **env), capture_output=True, text=True)
        if migrated.returncode != 0:
            raise RuntimeError(f"meetingd migrate: {migrated.stderr}")
        boot = subprocess.run([args.meetingd, "bootstrap", "--community", "Failover check", "--short-name", "FO", "--admin-email",
                               "admin@failover.example", "--admin-first", "Ada", "--admin-last", "Admin"],
                              env=dict(os.environ, **env), capture_output=True, text=True)
        if boot.returncode != 0:
            raise RuntimeError(f"meetingd bootstrap: {boot.stderr}")
        admin = json.loads(boot.stdout)["admin_id"]
        meetingd = Meetingd(args.meetingd, env, folder / "meetingd.log")

        def result(reply, what):
            if "result" not in reply:
                raise RuntimeError(f"{what}: {reply}")
            return reply["result"]

        user = result(meetingd.call("person.create", actor=admin, email="sam@failover.example", first_name="Sam", last_name="Lee",
                                    roles=["user"], time_zone="UTC"), "person.create")["id"]
        finance = result(meetingd.call("person.create", actor=admin, email="fin@failover.example", first_name="Fin", last_name="Ance",
                                       roles=["finance"], time_zone="UTC"), "person.create")["id"]
        # An expert free all day every day, for a booking (a hold on the wallet) every few grants.
        expert = result(meetingd.call("person.create", actor=admin, email="exp@failover.example", first_name="Ex", last_name="Pert",
                                      roles=["expert"], time_zone="UTC"), "person.create")["id"]
        location = result(meetingd.call("location.create", actor=admin, name="Video call", kind="virtual"), "location.create")["id"]
        service = result(meetingd.call("service.create", actor=admin, name="Session", kind="generic", default_length_minutes=30,
                                       price_credits=1), "service.create")["id"]
        result(meetingd.call("service.certify", actor=admin, service_id=service, expert_id=expert), "service.certify")
        result(meetingd.call("availability.set_weekly", actor=admin, expert_id=expert, time_zone="UTC",
                             rules=[{"weekday": d, "start": "00:00", "end": "24:00", "location_ids": [location]} for d in range(1, 8)]),
               "availability.set_weekly")
        result(meetingd.call("community.update_settings", actor=admin, horizon_days=730), "community.update_settings")
        first_slot = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        booked = []
        granted = 0
        errors = {}
        stale_reads = []
        longest_gap = 0.0
        roles_seen = [formation.roles()]

        def grant_and_read(n):
            nonlocal granted, longest_gap
            started = time.monotonic()
            while True:
                reply = meetingd.call("credits.grant", actor=finance, user_id=user, credits=1, reference=f"failover-{n}",
                                      idempotency_key=f"grant-{n}")
                if "result" in reply:
                    break
                error = reply["error"]
                errors[error["code"]] = errors.get(error["code"], 0) + 1
                if not error.get("data", {}).get("retryable"):
                    raise RuntimeError(f"grant {n}: a refusal that is not retryable: {reply}")
                if time.monotonic() - started > args.answer_within:
                    raise RuntimeError(f"grant {n}: no answer within {args.answer_within} s: {reply}")
                time.sleep(0.2)
            granted += 1
            while True:
                reply = meetingd.call("ledger.balance", actor=user, person_id=user)
                if "result" in reply:
                    break
                error = reply["error"]
                errors[f"read {error['code']}"] = errors.get(f"read {error['code']}", 0) + 1
                if not error.get("data", {}).get("retryable") or time.monotonic() - started > args.answer_within:
                    raise RuntimeError(f"balance after grant {n}: {reply}")
                time.sleep(0.2)
            if reply["result"]["posted"] != granted or reply["result"]["blocked"] != len(booked):
                stale_reads.append((n, granted, len(booked), reply["result"]["posted"], reply["result"]["blocked"]))
            if n % 4 == 3:
                # A booking, with its key, and the booking read back.
                start = first_slot + datetime.timedelta(minutes=30 * len(booked))
                meeting = call_until_answered(f"booking {len(booked)}", started, "meeting.request", actor=user, service_id=service,
                                              expert_id=expert, location_id=location, start=start.isoformat().replace("+00:00", "Z"),
                                              idempotency_key=f"book-{len(booked)}")
                booked.append(meeting["id"])
                shown = call_until_answered(f"meeting {meeting['id']}", started, "meeting.get", actor=user, meeting_id=meeting["id"])
                if shown["credit_status"] != "blocked":
                    stale_reads.append((n, "meeting", meeting["id"], shown["credit_status"]))
            longest_gap = max(longest_gap, time.monotonic() - started)

        def call_until_answered(what, started, method, **params):
            while True:
                reply = meetingd.call(method, **params)
                if "result" in reply:
                    return reply["result"]
                error = reply["error"]
                errors[f"{method} {error['code']}"] = errors.get(f"{method} {error['code']}", 0) + 1
                if not error.get("data", {}).get("retryable") or time.monotonic() - started > args.answer_within:
                    raise RuntimeError(f"{what}: {reply}")
                time.sleep(0.2)

        def load(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                grant_and_read(granted)

        def standby_connections():
            """meetingd's sessions on the current secondary: reads it answered there."""
            secondary = next((n for n, r in formation.roles().items() if r == "secondary"), None)
            if not secondary:
                return 0
            count = formation.sql(formation.node_url(secondary), "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'meetingd'")
            return int(count or 0)

        def sample():
            started = time.monotonic()
            while not sampling.wait(1):
                states = {name: f"{node.get('current_group_state')}/{node.get('assigned_group_state')}"
                          for name, node in formation.state().items()}
                timeline.append(f"{time.monotonic() - started:5.0f} s, {granted} grants made: {states} {formation.nodes_seen()}")

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        first_primary = next(n for n, r in roles_seen[0].items() if r == "primary")
        formation.sql(formation.node_url(first_primary, "postgres"), "CREATE DATABASE failover_sentinel")
        formation.sql(formation.node_url(first_primary, "failover_sentinel"), "CREATE TABLE acknowledged (n int PRIMARY KEY)")
        sentinel = Sentinel(primary_url.replace("/meetingledger?", "/failover_sentinel?connect_timeout=5&"))
        load(args.seconds_between)
        standby_sessions = standby_connections()
        for turn in (1, 2):
            before = formation.roles()
            log(f"failover {turn}: {before}; grants made {granted}; nodes {formation.nodes_seen()}")
            for attempt in range(1, 4):
                failover = subprocess.Popen(
                    formation.runner() + ["env", "-i"] + [f"{k}={v}" for k, v in formation.env.items()]
                    + ["pg_autoctl", "perform", "failover", "--pgdata", str(folder / "monitor")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=folder)
                while failover.poll() is None:
                    grant_and_read(granted)
                if failover.returncode == 0:
                    break
                refusal = failover.stderr.read()
                # The monitor's own functions can deadlock with a node reporting its state at the
                # same moment (seen: perform_failover's UPDATE of pgautofailover.node against a
                # node_active call's advisory lock); PostgreSQL cancels one and nothing changed, so
                # the operator's remedy is to ask again. Anything else is a failure.
                if "deadlock detected" not in refusal or formation.roles() != before or attempt == 3:
                    raise RuntimeError(f"pg_autoctl perform failover: {refusal[-1000:]}")
                log(f"failover {turn}: the monitor deadlocked with a node's report (nothing changed); asking again")
                time.sleep(2)
            formation.wait(lambda: formation.roles() not in ({}, before) and len(formation.roles()) == 2, "the nodes swap roles", 120,
                           nudge=lambda: grant_and_read(granted))
            roles_seen.append(formation.roles())
            log(f"after failover {turn}: {roles_seen[-1]}; grants made {granted}; nodes {formation.nodes_seen()}")
            load(args.seconds_between)
            standby_sessions = max(standby_sessions, standby_connections())
            if turn == 1:
                # The read connection was on the standby, which the failover promoted: it stays
                # with its server, now the primary, until it has found a primary for a while;
                # then it reconnects, and prefer-standby finds the new standby (the old primary).
                returned = time.monotonic()
                formation.wait(lambda: standby_connections() > 0, "reads return to a standby after the failover", 90, nudge=lambda: load(1))
                returned = time.monotonic() - returned

        sampling.set()
        sampler.join()
        sentinel.stop()
        reconcile = result(meetingd.call("ledger.reconcile", actor=finance), "ledger.reconcile")
        balance = result(meetingd.call("ledger.balance", actor=finance, person_id=user), "ledger.balance")
        primary = next(n for n, r in formation.roles().items() if r == "primary")
        transfers = formation.sql(formation.node_url(primary), f"SELECT count(*) FROM {GRANTS}")
        meetings = formation.sql(formation.node_url(primary), "SELECT count(*) || ' ' || count(*) FILTER (WHERE credit_status = 'blocked') FROM meetings")
        holds = formation.sql(formation.node_url(primary), "SELECT count(*) FROM transfers WHERE kind = 'hold'")
        kept = formation.sql(formation.node_url(primary, "failover_sentinel"), "SELECT string_agg(n::text, ' ') FROM acknowledged")
        lost = sorted(set(sentinel.acknowledged) - {int(n) for n in (kept or "").split()})
        log(f"the sentinel's commits: {len(sentinel.acknowledged)} acknowledged, {len(lost)} of them lost ({ranges(lost)})")

        def check(ok, what):
            log(("ok: " if ok else "FAILED: ") + what)
            if not ok:
                failures.append(what)

        log(f"{granted} grants, {len(booked)} bookings, errors met {errors or 'none'}, longest wait for an answer {longest_gap:.1f} s, roles {roles_seen}")
        check(balance["posted"] == granted, f"the wallet holds exactly the grants made ({balance['posted']} of {granted})")
        check(transfers == str(granted), f"one grant transfer per grant made ({transfers} of {granted})")
        check(balance["blocked"] == len(booked), f"the wallet holds one credit blocked per booking ({balance['blocked']} of {len(booked)})")
        check(meetings == f"{len(booked)} {len(booked)}" and holds == str(len(booked)),
              f"one meeting and one hold per booking (meetings, of them blocked: {meetings}; holds {holds}; bookings {len(booked)})")
        check(not stale_reads, f"every read after a write showed it ({len(stale_reads)} did not: {stale_reads[:5]})")
        check(roles_seen[0] != roles_seen[1] and roles_seen[1] != roles_seen[2] and roles_seen[0] == roles_seen[2],
              f"two failovers: the nodes swapped and swapped back ({roles_seen})")
        check(standby_sessions > 0, f"reads were answered by a standby ({standby_sessions} meetingd sessions on it)")
        log(f"reads were back on a standby {returned:.0f} s after the first failover's load")
        check(reconcile["ok"], f"ledger.reconcile finds nothing wrong ({reconcile['problems']})")
        check(all(str(code).endswith("5030") for code in errors), f"only the retryable 5030 was met ({errors})")
        if failures:
            present = formation.sql(formation.node_url(primary),
                                    f"SELECT string_agg(substr(reference, 10), ' ') FROM {GRANTS}")
            missing = set(range(granted)) - {int(n) for n in (present or "").split()}
            log(f"grants made but missing on the primary: {ranges(missing)}; nodes now {formation.nodes_seen()}")
            log("--- the nodes, second by second ---\n" + "\n".join(timeline))
    except Exception as error:
        failures.append(str(error))
        log(f"FAILED: {error}")
    finally:
        if failures:
            log("--- the monitor's last events ---\n" + formation.events())
            for name in ("monitor", "node_1", "node_2", "meetingd"):
                path = folder / f"{name}.log"
                if path.exists():
                    log(f"--- last lines of {name}.log ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        sampling.set()
        if sentinel:
            sentinel.stop()
        if meetingd:
            try:
                meetingd.close()
            except Exception:
                meetingd.process.kill()
        formation.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return failures, lost


if __name__ == "__main__":
    sys.exit(main())
