#!/usr/bin/env python3
"""A bounded, self-stopping chaos run in the spirit of Jepsen's bank test.

Several meetingd processes are driven at once with a random mix of the whole lifecycle on a
few hot users and experts; every mutating call carries an idempotency key and is retried as a
real client would (same key) when its process dies, the database restarts, or the answer is
retryable. Meanwhile random meetingd processes are killed with SIGKILL and PostgreSQL is
restarted in immediate mode a few times. The community's clock (--test-clock) moves forward
so meetings start, end and fall inside or outside the cancellation window.

At the end it checks and prints: ledger.reconcile clean; credits conserved; no balance ever
negative; every hold resolved at most once; every meeting's credit_status consistent with its
trail; no expert with overlapping agreed meetings; every acknowledged call's effect present
exactly once; every outbox notification of each event present once.

    scripts/chaos [--seconds N] [--seed N] [--processes N]

scripts/chaos starts a cluster of its own and passes --database-url and --restart-command.
A failing run prints its seed.
"""
import argparse
import json
import os
import random
import select
import subprocess
import sys
import threading
import time
import uuid

SERVICE_PRICE = 20
TERMINAL_EVENT_PREFIXES = ("rejected_by_", "withdrawn_by_", "cancelled_by_", "session_logged", "expert_no_show_reported", "expired")
NOTIFYING_FIRST_EVENTS = ("requested_by_user", "rejected_by_", "withdrawn_by_", "cancelled_by_", "alternative_date_selected_by_",
                          "alternative_date_approved_by_", "alternative_date_rejected_by_", "alternative_date_cancelled_by_",
                          "session_logged", "expert_no_show_reported", "expired")


class Died(Exception):
    pass


class Process:
    """One meetingd over pipes; any failure to answer marks it dead."""

    def __init__(self, meetingd, env):
        self.proc = subprocess.Popen([meetingd, "--test-clock", "--log-level", "error"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.buffer = b""

    def call(self, request, timeout=20.0):
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise Died(str(e))
        deadline = time.time() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.time()
            if left <= 0:
                raise Died("timeout")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise Died("eof")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def kill(self):
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except Exception:
            self.kill()


class Client:
    """A front end: owns one process, restarts it when it dies, retries with the same key."""

    MAX_ATTEMPTS = 40

    def __init__(self, run, name):
        self.run = run
        self.name = name
        self.lock = threading.Lock()
        self.process = Process(run.meetingd, run.env)

    def kill(self):
        self.process.kill()

    def call(self, method, params, mutating=True):
        params = dict(params)
        if mutating:
            params["idempotency_key"] = str(uuid.uuid4())
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        for attempt in range(self.MAX_ATTEMPTS):
            with self.lock:
                try:
                    reply = self.process.call(request)
                except Died:
                    self.run.count("process_restarts")
                    self.process.kill()
                    self.process = Process(self.run.meetingd, self.run.env)
                    time.sleep(0.05)
                    continue
            error = reply.get("error")
            if error and (error.get("data") or {}).get("retryable"):
                self.run.count("retryable_errors")
                time.sleep(0.05 * (attempt + 1))
                continue
            return reply
        self.run.count("gave_up")
        return None


class Run:
    def __init__(self, args):
        self.args = args
        self.meetingd = args.meetingd
        self.env = dict(os.environ, DATABASE_URL=args.database_url)
        self.rng = random.Random(args.seed)
        self.rng_lock = threading.Lock()
        self.counts = {}
        self.counts_lock = threading.Lock()
        self.stop = threading.Event()
        self.meetings = []
        self.meetings_lock = threading.Lock()
        self.acknowledged = []
        self.ack_lock = threading.Lock()
        self.unknown = []

    def count(self, key, n=1):
        with self.counts_lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def random(self):
        with self.rng_lock:
            return random.Random(self.rng.random())

    def setup(self):
        out = subprocess.run([self.meetingd, "bootstrap", "--community", f"Chaos {self.args.seed} {time.time()}", "--short-name", "CH",
                              "--admin-email", "admin@chaos.example", "--admin-first", "Ada", "--admin-last", "Admin"],
                             capture_output=True, text=True, env=self.env)
        if out.returncode != 0:
            raise SystemExit(f"bootstrap failed: {out.stderr.strip()}")
        boot = json.loads(out.stdout)
        self.admin = boot["admin_id"]
        self.community = boot["community_id"]
        c = Client(self, "setup")

        def ok(method, params):
            reply = c.call(method, params)
            if reply is None or "error" in reply:
                raise SystemExit(f"setup {method} failed: {reply}")
            return reply["result"]

        ok("clock.set", {"actor": self.admin, "now": "2031-01-06T08:00:00Z"})
        ok("community.update_settings", {"actor": self.admin, "horizon_days": 365, "platform_fee_percent": 15,
                                         "user_late_cancel_charge_percent": 50})
        self.location = ok("location.create", {"actor": self.admin, "name": "Room", "kind": "in_person"})["id"]

        def person(name, roles, tz):
            return ok("person.create", {"actor": self.admin, "email": f"{name}@chaos.example", "first_name": name, "last_name": "C",
                                        "roles": roles, "time_zone": tz})["id"]

        self.finance = person("fiona", ["finance"], "UTC")
        self.experts = [person(f"expert{i}", ["expert"], tz) for i, tz in enumerate(["America/New_York", "Europe/Prague"])]
        self.users = [person(f"user{i}", ["user"], "UTC") for i in range(4)]
        self.service = ok("service.create", {"actor": self.admin, "name": "Tutoring", "kind": "generic", "default_length_minutes": 60,
                                             "price_credits": SERVICE_PRICE})["id"]
        for e in self.experts:
            ok("service.certify", {"actor": self.admin, "service_id": self.service, "expert_id": e})
            ok("availability.set_weekly", {"actor": e, "expert_id": e, "time_zone": "UTC", "rules": [
                {"weekday": d, "start": "00:00", "end": "24:00", "location_ids": [self.location]} for d in range(1, 8)]})
        for u in self.users:
            reply = ok("credits.grant", {"actor": self.finance, "user_id": u, "credits": 200, "reference": f"seed-{u}"})
            self.record("credits.grant", {"credits": 200}, reply)
        c.process.close()
        self.now_minutes = 0

    def record(self, method, params, result):
        with self.ack_lock:
            self.acknowledged.append((method, params, result))

    def start_time(self, rng):
        # Somewhere from 1 to 120 hours after the community's current time, on the half hour.
        base = 1_925_279_200 + self.now_minutes * 60  # 2031-01-06T08:00:00Z
        t = base + rng.randrange(2, 240) * 1800
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    def pick_meeting(self, rng):
        with self.meetings_lock:
            return rng.choice(self.meetings) if self.meetings else None

    def operation(self, client, rng):
        op = rng.choices(
            ["grant", "request", "propose", "confirm", "decline", "withdraw", "reschedule", "confirm_alternate", "reject_alternate",
             "withdraw_alternate", "cancel", "log", "no_show", "payout", "read"],
            weights=[6, 14, 5, 14, 5, 3, 6, 5, 2, 2, 8, 8, 2, 4, 4])[0]
        user, expert = rng.choice(self.users), rng.choice(self.experts)
        m = self.pick_meeting(rng)
        if op in ("confirm", "decline", "withdraw", "reschedule", "confirm_alternate", "reject_alternate", "withdraw_alternate",
                  "cancel", "log", "no_show") and m is None:
            op = "request"
        if op == "grant":
            method, params = "credits.grant", {"actor": self.finance, "user_id": user, "credits": rng.randrange(10, 60),
                                               "reference": f"order-{uuid.uuid4()}"}
        elif op == "request":
            method, params = "meeting.request", {"actor": user, "service_id": self.service, "expert_id": expert,
                                                 "start": self.start_time(rng), "location_id": self.location}
        elif op == "propose":
            method, params = "meeting.propose", {"actor": expert, "user_id": user, "service_id": self.service, "start": self.start_time(rng),
                                                 "length_minutes": 60, "price_credits": SERVICE_PRICE}
        elif op == "payout":
            method, params = "payout.create", {"actor": self.finance, "expert_id": expert, "credits": rng.randrange(1, 30),
                                               "reference": f"payout-{uuid.uuid4()}"}
        elif op == "read":
            method, params = "ledger.balance", {"actor": self.finance, "person_id": rng.choice(self.users + self.experts)}
        else:
            party = rng.choice([m["user_id"], m["expert_id"]])
            base = {"actor": party, "meeting_id": m["id"]}
            method, extra = {
                "confirm": ("meeting.confirm", {}),
                "decline": ("meeting.decline", {"reason_code": "schedule_conflict"}),
                "withdraw": ("meeting.withdraw", {}),
                # Sometimes another length: the price follows, and a hold made stays until the user answers.
                "reschedule": ("meeting.reschedule", {"start": self.start_time(rng), "length_minutes": rng.choice([60, 60, 30, 90])}),
                "confirm_alternate": ("meeting.confirm_alternate", {}),
                "reject_alternate": ("meeting.reject_alternate", {"reason_code": "other"}),
                "withdraw_alternate": ("meeting.withdraw_alternate", {}),
                "cancel": ("meeting.cancel", {"reason_code": "illness", "confirm_late": rng.random() < 0.6}),
                "log": ("meeting.log_session", {"attendance": rng.choice(["attended", "attended", "no_show"])}),
                "no_show": ("meeting.report_no_show", {}),
            }[op]
            if op == "log":
                base["actor"] = m["expert_id"]
            if op == "no_show":
                base["actor"] = m["user_id"]
            params = dict(base, **extra)
        mutating = op != "read"
        reply = client.call(method, params, mutating=mutating)
        self.count(f"op:{op}")
        if reply is None:
            with self.ack_lock:
                self.unknown.append((method, params))
            return
        if "error" in reply:
            self.count(f"refused:{reply['error'].get('data', {}).get('code', reply['error']['code'])}")
            return
        self.count("acknowledged")
        result = reply["result"]
        if method == "ledger.balance":
            for account in result.get("accounts", []):
                if account["kind"] != "issuance" and account["available"] < 0:
                    self.count("negative_balance_seen")
            return
        self.record(method, params, result)
        if method in ("meeting.request", "meeting.propose"):
            with self.meetings_lock:
                self.meetings.append({"id": result["id"], "user_id": result["user_id"], "expert_id": result["expert_id"]})

    def worker(self, client, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            self.operation(client, rng)

    def clock(self):
        client = Client(self, "clock")
        rng = self.random()
        while not self.stop.wait(0.4):
            minutes = rng.choice([15, 30, 45, 60])
            reply = client.call("clock.advance", {"actor": self.admin, "minutes": minutes})
            if reply and "result" in reply:
                self.now_minutes += minutes
                self.count("clock_minutes", minutes)
        client.process.close()

    def killer(self, clients):
        rng = self.random()
        while not self.stop.wait(rng.uniform(0.8, 2.5)):
            rng.choice(clients).kill()
            self.count("sigkills")

    def restarter(self):
        restarts = max(1, min(3, int(self.args.seconds // 20)))
        for i in range(restarts):
            if self.stop.wait(self.args.seconds * (i + 1) / (restarts + 1) - (self.args.seconds * i / (restarts + 1) if i else 0)):
                return
            subprocess.run(self.args.restart_command, shell=True, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.count("postgres_restarts")

    def go(self):
        self.setup()
        clients = [Client(self, f"p{i}") for i in range(self.args.processes)]
        threads = [threading.Thread(target=self.worker, args=(c, self.args.seed * 100 + i)) for i, c in enumerate(clients)]
        threads += [threading.Thread(target=self.clock), threading.Thread(target=self.killer, args=(clients,)),
                    threading.Thread(target=self.restarter)]
        for t in threads:
            t.start()
        time.sleep(self.args.seconds)
        self.stop.set()
        for t in threads:
            t.join()
        for c in clients:
            c.process.close()
        return self.check()

    # MARK: checks

    def sql(self, query):
        # On standard input: a long run's id lists do not fit on a command line.
        out = subprocess.run(["psql", self.args.database_url, "-tAq", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=query,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"psql failed: {out.stderr}")
        return [line.split("|") for line in out.stdout.splitlines() if line]

    def check(self):
        problems = []
        client = Client(self, "check")
        reconcile = client.call("ledger.reconcile", {"actor": self.finance}, mutating=False)["result"]
        trial = client.call("ledger.trial_balance", {"actor": self.finance}, mutating=False)["result"]
        client.process.close()
        c = self.community
        checks = []

        def check(name, ok, detail=""):
            checks.append((name, ok, detail))
            if not ok:
                problems.append(f"{name}: {detail}")

        check("ledger.reconcile clean", reconcile["ok"], json.dumps(reconcile["problems"][:5]))
        granted = sum(p["credits"] for m, p, _ in self.acknowledged if m == "credits.grant")
        issuance = -next(k["posted"] for k in trial["kinds"] if k["kind"] == "issuance")
        unknown_grants = sum(p["credits"] for m, p in self.unknown if m == "credits.grant")
        check("credits conserved (trial balance 0, pending 0)", trial["total"] == 0 and trial["pending_total"] == 0,
              f"total {trial['total']}, pending {trial['pending_total']}")
        check("every acknowledged grant applied exactly once", granted <= issuance <= granted + unknown_grants,
              f"acknowledged {granted}, issued {issuance}, unknown {unknown_grants}")
        negative = self.sql(f"""
            SELECT count(*) FROM transfers t JOIN accounts d ON d.community_id = t.community_id AND d.id = t.debit_account_id
            JOIN accounts cr ON cr.community_id = t.community_id AND cr.id = t.credit_account_id
            WHERE t.community_id = '{c}' AND (
              (d.kind <> 'issuance' AND t.debit_credits_posted - t.debit_debits_posted - t.debit_debits_pending < 0) OR
              (cr.kind <> 'issuance' AND t.credit_credits_posted - t.credit_debits_posted - t.credit_debits_pending < 0))""")[0][0]
        check("no balance ever negative", negative == "0" and self.counts.get("negative_balance_seen", 0) == 0,
              f"{negative} transfers left a negative balance; {self.counts.get('negative_balance_seen', 0)} negative reads")
        twice = self.sql(f"SELECT count(*) FROM (SELECT pending_id FROM transfers WHERE community_id = '{c}' AND pending_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x")[0][0]
        check("every hold resolved at most once", twice == "0", f"{twice} holds resolved twice")
        mismatched = self.sql(f"SELECT count(*) FROM meeting_problems('{c}')")[0][0]
        check("every meeting's credit_status matches its trail", mismatched == "0", f"{mismatched} meetings")
        overlaps = self.sql(f"""
            SELECT count(*) FROM meetings a JOIN meetings b ON a.community_id = b.community_id AND a.expert_id = b.expert_id AND a.id < b.id
            WHERE a.community_id = '{c}' AND a.status = 'agreed' AND b.status = 'agreed' AND NOT a.conflict_accepted AND NOT b.conflict_accepted
              AND tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at, b.end_at)""")[0][0]
        check("no expert with overlapping agreed meetings", overlaps == "0", f"{overlaps} overlapping pairs")
        created = [r["id"] for m, _, r in self.acknowledged if m in ("meeting.request", "meeting.propose")]
        unknown_created = sum(1 for m, _ in self.unknown if m in ("meeting.request", "meeting.propose"))
        in_db = int(self.sql(f"SELECT count(*) FROM meetings WHERE community_id = '{c}'")[0][0])
        present = int(self.sql(f"SELECT count(*) FROM meetings WHERE community_id = '{c}' AND id IN ({','.join(repr(i) for i in created) or 'NULL'})")[0][0])
        check("every acknowledged meeting present exactly once", present == len(created) and len(created) <= in_db <= len(created) + unknown_created,
              f"acknowledged {len(created)}, present {present}, in database {in_db}, unknown {unknown_created}")
        payouts = sum(p["credits"] for m, p, _ in self.acknowledged if m == "payout.create")
        paid_out = next(k["posted"] for k in trial["kinds"] if k["kind"] == "payouts")
        unknown_payouts = sum(p["credits"] for m, p in self.unknown if m == "payout.create")
        check("every acknowledged payout applied exactly once", payouts <= paid_out <= payouts + unknown_payouts,
              f"acknowledged {payouts}, paid out {paid_out}")
        # A rejected meeting may come back with a new date (alternative_date_selected_by_*) and end
        # again; two endings with no revival between them mean one action applied twice.
        ending = " OR ".join(f"kind LIKE '{k}%'" for k in TERMINAL_EVENT_PREFIXES)
        double_end = self.sql(f"""
            SELECT count(*) FROM (
                SELECT ({ending}) AS ends, lag({ending}) OVER (PARTITION BY meeting_id ORDER BY seq) AS previous_ends
                FROM meeting_events WHERE community_id = '{c}' AND (({ending}) OR kind LIKE 'alternative_date_selected_by_%')
            ) x WHERE ends AND previous_ends""")[0][0]
        check("no meeting ended twice", double_end == "0", f"{double_end} endings right after an ending")
        action_events = {"meeting.cancel": "cancelled_by_", "meeting.decline": "rejected_by_", "meeting.withdraw": "withdrawn_by_",
                          "meeting.log_session": "session_logged", "meeting.report_no_show": "expert_no_show_reported",
                          "meeting.confirm_alternate": "alternative_date_approved_by_", "meeting.reschedule": "alternative_date_selected_by_"}
        expected = [(params["meeting_id"], action_events[method]) for method, params, _ in self.acknowledged if method in action_events]
        missing = "0"
        if expected:
            values = ",".join(f"('{m}', '{k}')" for m, k in expected)
            missing = self.sql(f"""
                SELECT count(*) FROM (VALUES {values}) AS a(meeting_id, prefix)
                WHERE NOT EXISTS (SELECT 1 FROM meeting_events e WHERE e.community_id = '{c}' AND e.meeting_id = a.meeting_id
                                  AND e.kind LIKE a.prefix || '%')""")[0][0]
        check("every acknowledged meeting action on the timeline", missing == "0", f"{missing} of {len(expected)} missing")
        duplicate_messages = self.sql(f"""
            SELECT count(*) FROM (SELECT event_id, kind, recipient_id FROM outbox WHERE community_id = '{c}' AND event_id IS NOT NULL
            GROUP BY 1, 2, 3 HAVING count(*) > 1) x""")[0][0]
        unnotified = self.sql(f"""
            SELECT count(*) FROM meeting_events e WHERE e.community_id = '{c}' AND ({' OR '.join(f"e.kind LIKE '{k}%'" for k in NOTIFYING_FIRST_EVENTS)})
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.community_id = e.community_id AND o.event_id = e.id AND o.channel = 'notification')""")[0][0]
        check("every event's notifications present exactly once", duplicate_messages == "0" and unnotified == "0",
              f"{duplicate_messages} duplicated, {unnotified} events without their notification")
        return checks, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--meetingd", default=os.environ.get("MEETINGD_PATH", "meetingd"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--restart-command", required=True, help="restarts PostgreSQL in immediate mode")
    args = parser.parse_args()
    run = Run(args)
    started = time.time()
    checks, problems = run.go()
    print(f"chaos: seed {args.seed}, {time.time() - started:.0f}s, {args.processes} processes")
    print("chaos: " + ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())))
    print(f"chaos: {len(run.acknowledged)} acknowledged calls, {len(run.unknown)} given up, {len(run.meetings)} meetings")
    for name, ok, detail in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f" — {detail}"))
    if problems:
        print(f"chaos: FAILED (replay with --seed {args.seed})")
        sys.exit(1)
    print(f"chaos: {len(checks)} passed, 0 failed")


if __name__ == "__main__":
    main()
