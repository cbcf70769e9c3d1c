"""What the client itself promises, against a real meetingd: one pipe matched by id, an idempotency
key on every mutating call reused by its retries, meetingd restarted when it dies or hangs, and
retryable errors retried with bounded back-off."""
from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

from support import ROOT, bootstrap, discover, meetingd_path

import meetingledger
from meetingledger import (
    Client, DatabaseUnavailableError, MeetingdExited, MeetingdUnavailable, ProtocolError, RequestTimeout, RetryPolicy,
)
from meetingledger.transport import MeetingdProcess

HERE = os.path.dirname(os.path.abspath(__file__))
FAST_RETRY = RetryPolicy(attempts=20, base_delay_seconds=0.02, max_delay_seconds=0.3, deadline_seconds=20)


class RequestLog:
    """Every try the client sends (method, params), through the real transport."""

    def __init__(self):
        self.sent = []
        self._real = MeetingdProcess.request

    def __enter__(self):
        log = self

        def request(process, method, params, timeout_seconds):
            log.sent.append((method, dict(params)))
            return log._real(process, method, params, timeout_seconds)

        self._patch = mock.patch.object(MeetingdProcess, "request", request)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()

    def tries(self, method):
        return [params for m, params in self.sent if m == method]


class ClientTests(unittest.TestCase):
    def setUp(self):
        self.ids = bootstrap()
        self.admin = self.ids["admin_id"]

    def client(self, *args, **kwargs):
        kwargs.setdefault("actor", self.admin)
        ml = Client(meetingd_path(), *args, **kwargs)
        self.addCleanup(ml.close)
        return ml

    def people(self, ml):
        sam = ml.person.create(email="sam@py.example", first_name="Sam", last_name="Lee", roles=["user"], time_zone="UTC")
        fiona = ml.person.create(email="fiona@py.example", first_name="Fiona", last_name="Fox", roles=["finance"], time_zone="UTC")
        return sam, fiona

    def test_mutating_calls_get_an_idempotency_key_and_reads_none(self):
        ml = self.client()
        with RequestLog() as log:
            sam, _ = self.people(ml)
            ml.person.get(person_id=sam.id)
            ml.person.create(email="given@py.example", first_name="G", last_name="K", roles=["user"], time_zone="UTC", idempotency_key="mine-1")
        created = log.tries("person.create")
        self.assertTrue(created[0]["idempotency_key"].startswith("py-"))
        self.assertNotEqual(created[0]["idempotency_key"], created[1]["idempotency_key"], "each call has its own key")
        self.assertEqual(created[2]["idempotency_key"], "mine-1", "a key the caller gives is kept")
        self.assertNotIn("idempotency_key", log.tries("person.get")[0])
        self.assertEqual(log.tries("person.get")[0]["actor"], self.admin, "the client's actor is sent")

    def test_meetingd_dying_after_commit_is_restarted_and_the_retry_takes_effect_once(self):
        """SPEC §6: "a retried request with its idempotency key has exactly-once effect"."""
        sam, fiona = self.people(self.client())
        with tempfile.TemporaryDirectory() as folder:
            env = dict(os.environ, CRASH_AFTER_METHOD="credits.grant", CRASH_FLAG=os.path.join(folder, "crashed"))
            ml = Client(sys.executable, [os.path.join(HERE, "crashing_meetingd.py"), meetingd_path()], env=env, actor=fiona.id, retry=FAST_RETRY)
            self.addCleanup(ml.close)
            with RequestLog() as log:
                grant = ml.credits.grant(user_id=sam.id, credits=500, reference="order-py-1")
            self.assertTrue(os.path.exists(env["CRASH_FLAG"]), "meetingd died once, after the grant committed")
        self.assertEqual(ml.meetingd_starts, 2, "meetingd was started again")
        tries = log.tries("credits.grant")
        self.assertEqual(len(tries), 2)
        self.assertEqual(tries[0]["idempotency_key"], tries[1]["idempotency_key"], "the retry reuses the call's key")
        self.assertEqual(grant.credits, 500)
        self.assertEqual(ml.ledger.balance(person_id=sam.id).posted, 500, "granted once, not twice")

    def test_meetingd_killed_between_calls_is_started_again(self):
        ml = self.client()
        ml.system.ping()
        first = ml.meetingd_pid
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        self.assertEqual(ml.system.ping().database, "ok")
        self.assertNotEqual(ml.meetingd_pid, first)
        self.assertEqual(ml.meetingd_starts, 2)

    def test_a_lock_timeout_is_retried_with_back_off_until_the_lock_is_free(self):
        """A retryable error (5032 lock_timeout) is retried, with the same key, until it goes through."""
        env = dict(os.environ, MEETINGLEDGER_LOCK_TIMEOUT_MS="200")
        ml = self.client(env=env, retry=FAST_RETRY)
        sam, fiona = self.people(ml)
        wallet = ml.as_actor(fiona.id).ledger.balance(person_id=sam.id).account_id
        name = f"lock-holder-{os.getpid()}-{time.monotonic_ns()}"
        holder = subprocess.Popen(
            ["psql", os.environ["DATABASE_URL"], "-v", "ON_ERROR_STOP=1", "-q", "-c",
             f"BEGIN; SELECT 1 FROM accounts WHERE id = '{wallet}' FOR UPDATE; SELECT pg_sleep(1.5); COMMIT;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PGAPPNAME=name))
        self.addCleanup(holder.kill)
        # The row is locked once the holder's transaction has an id (FOR UPDATE gives it one).
        deadline = time.monotonic() + 20
        while subprocess.run(
                ["psql", os.environ["DATABASE_URL"], "-X", "-A", "-t", "-c",
                 f"SELECT 1 FROM pg_stat_activity WHERE application_name = '{name}' AND backend_xid IS NOT NULL"],
                capture_output=True, text=True, check=True).stdout.strip() != "1":
            self.assertLess(time.monotonic(), deadline, "the holder locked the wallet")
            time.sleep(0.02)
        with RequestLog() as log:
            ml.as_actor(fiona.id).credits.grant(user_id=sam.id, credits=70, reference="order-py-2")
        tries = log.tries("credits.grant")
        self.assertGreater(len(tries), 1, "the first try met the held lock")
        self.assertEqual(len({t["idempotency_key"] for t in tries}), 1)
        _, problems = holder.communicate(timeout=30)
        self.assertEqual(holder.returncode, 0, problems)
        self.assertEqual(ml.as_actor(fiona.id).ledger.balance(person_id=sam.id).posted, 70)

    def test_retries_are_bounded(self):
        """A database that never comes back: the retryable 5030 is tried `attempts` times, then raised."""
        env = dict(os.environ, DATABASE_URL="host=/nonexistent-socket-folder port=1 dbname=none connect_timeout=1")
        policy = RetryPolicy(attempts=3, base_delay_seconds=0.01, max_delay_seconds=0.05)
        ml = self.client(env=env, retry=policy)
        with RequestLog() as log, self.assertRaises(DatabaseUnavailableError) as down:
            ml.person.get(person_id=self.admin)
        self.assertTrue(down.exception.retryable)
        self.assertEqual(len(log.tries("person.get")), 3)
        self.assertEqual(ml.meetingd_starts, 1, "a retryable answer needs no restart")

    def test_a_hanging_meetingd_is_stopped_and_the_call_fails_after_its_tries(self):
        hang = Client(sys.executable, ["-c", "import time; time.sleep(60)"], timeout_seconds=0.5,
                      retry=RetryPolicy(attempts=2, base_delay_seconds=0.01))
        self.addCleanup(hang.close)
        started = time.monotonic()
        with self.assertRaises(RequestTimeout):
            hang.system.ping()
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(hang.meetingd_starts, 2)

    def test_a_failed_change_carries_its_key_and_every_failure_says_if_it_may_be_retried(self):
        hang = Client(sys.executable, ["-c", "import time; time.sleep(60)"], timeout_seconds=0.3,
                      retry=RetryPolicy(attempts=2, base_delay_seconds=0.01))
        self.addCleanup(hang.close)
        with self.assertRaises(RequestTimeout) as raised:
            hang.credits.grant(actor="per_" + "0" * 32, user_id="per_" + "1" * 32, credits=5, reference="r-1")
        self.assertTrue(raised.exception.idempotency_key.startswith("py-"), "the key to try it again with")
        self.assertTrue(raised.exception.retryable)
        with self.assertRaises(RequestTimeout) as read:
            hang.system.ping()
        self.assertIsNone(read.exception.idempotency_key, "a read has no key")
        self.assertFalse(ProtocolError("x").retryable)

    def test_the_default_retry_policy_tries_a_hung_meetingd_again(self):
        ml = self.client()
        self.assertGreater(RetryPolicy().deadline_seconds, 2 * ml.timeout_seconds, "a try that waited the whole default timeout is tried again")

    def test_an_answer_from_an_older_meetingd_without_a_member_is_read_with_a_warning(self):
        from meetingledger import MissingMemberWarning
        from meetingledger._generated import Transfer
        answer = {"id": "trf_" + "0" * 32, "kind": "grant", "credits": 5, "debit_account_id": "acc_" + "0" * 32,
                  "credit_account_id": "acc_" + "1" * 32, "created_at": "2030-01-01T00:00:00Z"}
        with self.assertWarns(MissingMemberWarning):
            transfer = Transfer.from_json(answer)
        self.assertIsNone(transfer.seq)
        self.assertEqual(transfer.credits, 5)

    def test_a_meetingd_that_cannot_start_is_reported_with_its_log(self):
        with self.assertRaises(MeetingdUnavailable) as absent:
            Client("/nonexistent/meetingd").system.ping()
        self.assertIn("/nonexistent/meetingd", str(absent.exception))
        broken = Client(sys.executable, ["-c", "import sys; sys.stderr.write('migration failed: checksum of 0003 changed\\n'); sys.exit(1)"],
                        retry=RetryPolicy(attempts=3, base_delay_seconds=0.01))
        self.addCleanup(broken.close)
        with self.assertRaises(MeetingdExited) as exited:
            broken.system.ping()
        self.assertIn("migration failed: checksum of 0003 changed", exited.exception.stderr_tail)
        self.assertEqual(broken.meetingd_starts, 1, "a meetingd that refused to start is not started again for the same call")
        self.assertFalse(exited.exception.retryable)
        self.assertEqual(exited.exception.exit_status, 1)

        # The database refusing the login: meetingd stops at start-up and says what to fix.
        env = dict(os.environ, DATABASE_URL=os.environ["DATABASE_URL"] + " user=no_such_role_for_this_test")
        refused = Client(meetingd_path(), env=env, retry=RetryPolicy(attempts=3, base_delay_seconds=0.01))
        self.addCleanup(refused.close)
        with self.assertRaises(MeetingdExited) as login:
            refused.system.ping()
        self.assertFalse(login.exception.retryable, str(login.exception))
        self.assertIn("fix DATABASE_URL", str(login.exception))
        self.assertEqual(refused.meetingd_starts, 1)

        # A mistaken argument: meetingd says so on its first line, then prints its usage (some
        # 60 lines); the first line is kept with the last ones.
        mistaken = Client(meetingd_path(), ["--no-such-option"], retry=RetryPolicy(attempts=3, base_delay_seconds=0.01))
        self.addCleanup(mistaken.close)
        with self.assertRaises(MeetingdExited) as usage:
            mistaken.system.ping()
        self.assertEqual(usage.exception.exit_status, 2)
        self.assertIn("--no-such-option", usage.exception.stderr_tail[0], usage.exception.stderr_tail[:3])
        self.assertIn("--no-such-option", str(usage.exception))
        self.assertTrue(any(line.startswith("… (") and "left out" in line for line in usage.exception.stderr_tail), usage.exception.stderr_tail)

        # A meetingd that dies otherwise (here: status 3) is started again, within the policy.
        dying = Client(sys.executable, ["-c", "import sys; sys.exit(3)"], retry=RetryPolicy(attempts=3, base_delay_seconds=0.01))
        self.addCleanup(dying.close)
        with self.assertRaises(MeetingdExited) as died:
            dying.system.ping()
        self.assertTrue(died.exception.retryable)
        self.assertEqual(dying.meetingd_starts, 3, "restarts are bounded by the retry policy")

    def test_a_meetingd_that_exits_at_once_is_started_once_and_reported_without_a_thread_traceback(self):
        """Exiting before its log was being read, or before a request's write met the closed pipe,
        raced the client: a reader thread joined one not started yet (a traceback on stderr), and a
        write refused before the exit status was known made the call retryable (started twice)."""
        runs = 60
        script = (
            "import sys\n"
            f"sys.path.insert(0, {str(ROOT / 'clients' / 'python')!r})\n"
            "from meetingledger import Client, MeetingdExited, RetryPolicy\n"
            "outcomes = set()\n"
            f"for _ in range({runs}):\n"
            "    ml = Client('/bin/sh', args=['-c', \"echo 'bad DATABASE_URL' >&2; exit 2\"], retry=RetryPolicy(base_delay_seconds=0.001))\n"
            "    try:\n"
            "        ml.system.ping()\n"
            "    except MeetingdExited as e:\n"
            "        outcomes.add((ml.meetingd_starts, e.retryable, e.exit_status, 'bad DATABASE_URL' in e.stderr_tail))\n"
            "    ml.close()\n"
            "print(sorted(outcomes))\n")
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
        self.assertEqual((ran.returncode, ran.stderr), (0, ""))
        self.assertEqual(ran.stdout, "[(1, False, 2, True)]\n", "each started once, refused to start, with its log")

    def test_ids_come_back_exactly_as_sent(self):
        """Issue 14: "Ids are echoed exactly as sent (today 12345678901234567890 comes back as 1.2345678901234567e+19)"."""
        raw = subprocess.run([meetingd_path()], input='{"jsonrpc":"2.0","id":12345678901234567890,"method":"system.ping"}\n',
                             capture_output=True, text=True, timeout=60)
        self.assertIn('"id":12345678901234567890', raw.stdout)
        ml = self.client(first_id=12345678901234567890)
        self.assertEqual(ml.system.ping().database, "ok")
        self.assertEqual(ml.system.ping().database, "ok", "and the next id, 12345678901234567891, too")
        # A server that rounds the id is caught: the answer matches no request.
        rounding = Client(sys.executable, ["-c", (
            "import json, sys\n"
            "for line in sys.stdin:\n"
            "    r = json.loads(line)\n"
            "    print(json.dumps({'jsonrpc': '2.0', 'id': float(r['id']), 'result': {}}), flush=True)\n")],
            first_id=12345678901234567890, retry=RetryPolicy(attempts=1))
        self.addCleanup(rounding.close)
        with self.assertRaises(ProtocolError) as rounded, self.assertLogs("meetingledger", "ERROR"):
            rounding.call("system.ping")
        self.assertIn("1.2345678901234567e+19", str(rounded.exception))

    def test_threads_share_one_pipe_and_each_gets_its_own_answer(self):
        for in_flight in (1, 4):
            ml = self.client(max_in_flight=in_flight)
            people = [ml.person.create(email=f"p{i}-{in_flight}@py.example", first_name=f"P{i}", last_name="T", roles=["user"], time_zone="UTC")
                      for i in range(6)]
            wrong = []

            def read(person):
                for _ in range(10):
                    if ml.person.get(person_id=person.id).first_name != person.first_name:
                        wrong.append(person.id)

            threads = [threading.Thread(target=read, args=(p,)) for p in people]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(wrong, [], f"max_in_flight={in_flight}")
            self.assertEqual(ml.meetingd_starts, 1)

    def test_a_pinned_meetingd_needs_no_actor(self):
        sam, _ = self.people(self.client())
        pinned = Client(meetingd_path(), ["--pin-actor", sam.id])
        self.addCleanup(pinned.close)
        self.assertEqual(pinned.system.ping().pinned_actor, sam.id)
        self.assertEqual(pinned.ledger.balance(person_id=sam.id).posted, 0)

    def test_the_old_names_import_csv_and_import_export_still_answer_for_one_release(self):
        document = discover()
        names = {m["name"] for m in document["methods"]}
        self.assertNotIn("import.csv", names, "generators would make client.import of it")
        importer = next(m for m in document["methods"] if m["name"] == "catalog.import_csv")
        self.assertEqual([(a["name"], a["deprecated"]) for a in importer["x-aliases"]], [("import.csv", True)])
        self.assertEqual(meetingledger.ALIASES, {"import.csv": "catalog.import_csv", "import.export": "catalog.export_csv"})
        ml = self.client()
        answer = ml.call("import.csv", {"kind": "services", "csv": "name,kind,default_length_minutes,price_credits\nOld name,generic,30,10\n"})
        self.assertEqual(answer["created"], 1)
        self.assertEqual([s.name for s in ml.service.list().items], ["Old name"])
        self.assertEqual(ml.call("import.export", {"kind": "services"})["csv"], ml.catalog.export_csv(kind="services").csv)

    def test_times_may_be_given_as_aware_datetimes_and_bad_params_change_nothing(self):
        ml = self.client(["--test-clock"])
        moved = ml.clock.set(now=datetime.datetime(2030, 3, 4, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))))
        self.assertEqual(moved.now, "2030-03-04T12:00:00Z")
        # An offset with seconds (RFC 3339 has none) goes as the same instant in UTC: it was
        # sent as +00:00:30 and refused.
        odd = datetime.timezone(datetime.timedelta(seconds=30))
        moved = ml.clock.set(now=datetime.datetime(2030, 3, 4, 12, 0, 30, tzinfo=odd))
        self.assertEqual(moved.now, "2030-03-04T12:00:00Z")
        with self.assertRaises(TypeError) as naive:
            ml.clock.set(now=datetime.datetime(2030, 3, 4, 7, 0))
        self.assertIn("has no time zone", str(naive.exception))
        with self.assertRaises(TypeError):
            ml.person.create(email="o@py.example", first_name="O", last_name="B", roles={"user"}, time_zone="UTC")
        # A day alone is no instant: refused before it is sent, as a naive datetime is.
        with RequestLog() as log:
            with self.assertRaises(TypeError) as day:
                ml.clock.set(now=datetime.date(2030, 3, 4))
            self.assertEqual(log.tries("clock.set"), [], "refused before it is sent")
        self.assertIn("now: the date 2030-03-04 is not a time", str(day.exception))
        # A datetime is a date to a type checker, but a date param wants the day alone: which day
        # an aware datetime falls on depends on the time zone meant, so it is refused, not cut.
        series = "ser_" + "0" * 32
        with RequestLog() as log:
            with self.assertRaises(TypeError) as timed:
                ml.series.skip(series_id=series, date=datetime.datetime(2030, 3, 11, 9, 0, tzinfo=datetime.timezone.utc))
            self.assertEqual(log.tries("series.skip"), [], "refused before it is sent")
            self.assertIn("date: the datetime 2030-03-11T09:00:00+00:00 is not a date", str(timed.exception))
            with self.assertRaises(meetingledger.NotFoundError):
                ml.series.skip(series_id=series, date=datetime.date(2030, 3, 11))
            with self.assertRaises(meetingledger.NotFoundError):
                ml.series.skip(series_id=series, date="2030-03-11")
        self.assertEqual([t["date"] for t in log.tries("series.skip")], [datetime.date(2030, 3, 11), "2030-03-11"])
        with self.assertRaises(meetingledger.InvalidParamsError) as unknown:
            ml.call("person.get", {"person_id": self.admin, "colour": "red"})
        self.assertEqual(unknown.exception.data["field"], "colour")
        self.assertEqual(ml.person.get(person_id=self.admin).id, self.admin, "the client goes on, on the same meetingd")
        self.assertEqual(ml.meetingd_starts, 1)

    def test_a_large_answer_is_read_in_blocks_not_a_byte_at_a_time(self):
        """Answers may be megabytes (MEETINGLEDGER_MAX_ANSWER_BYTES): the pipe is read through a
        buffer, so the read system calls this process makes grow with blocks, not with bytes."""
        ml = self.client()
        ml.system.ping()

        def reads():
            with open("/proc/self/io") as io:
                return int(next(line for line in io if line.startswith("syscr:")).split()[1])

        before = reads()
        document = ml.call("rpc.discover", {})
        made = reads() - before
        size = len(json.dumps(document))
        self.assertGreater(size, 100_000, "rpc.discover is a large answer")
        self.assertLess(made, size // 100, f"{made} read calls for an answer of {size} bytes")

    def test_a_view_for_another_actor_leaves_the_shared_meetingd_open(self):
        """`with ml.as_actor(x) as a:` ends the view, not the meetingd the client and its other views
        share; closing the client closes it for every view."""
        ml = Client(meetingd_path(), actor=self.admin)
        self.addCleanup(ml.close)
        other = ml.as_actor(self.admin)
        with ml.as_actor(self.admin) as view:
            self.assertEqual(view.system.ping().database, "ok")
        self.assertIsNone(view.close(), "a view has no meetingd of its own to close")
        self.assertEqual(ml.system.ping().database, "ok")
        self.assertEqual(other.person.get(person_id=self.admin).id, self.admin)
        self.assertEqual(view.system.ping().database, "ok", "a view left is still a view of the open client")
        self.assertEqual(ml.meetingd_starts, 1)
        self.assertEqual(ml.close(), 0)
        with self.assertRaises(MeetingdUnavailable):
            other.system.ping()

    def test_paging_yields_each_item_once_across_pages_sending_the_same_params(self):
        ml = self.client()
        for i in range(4):
            ml.person.create(email=f"page{i}@py.example", first_name=f"Page{i}", last_name="P", roles=["user"], time_zone="UTC")
        everyone = [p.id for p in ml.person.list().items]
        self.assertEqual(len(everyone), 5, "the admin and four users")
        with RequestLog() as log:
            pages = list(ml.pages(ml.person.list, limit=2))
            ids = [p.id for p in ml.iterate(ml.person.list, limit=2)]
        self.assertEqual([len(p.items) for p in pages], [2, 2, 1])
        self.assertIsNone(pages[-1].next_cursor)
        self.assertEqual(ids, everyone, "each item once, in order")
        tries = log.tries("person.list")
        self.assertEqual(len(tries), 6)
        self.assertEqual([t.get("cursor") for t in tries[:3]], [None, pages[0].next_cursor, pages[1].next_cursor])
        self.assertEqual({t["limit"] for t in tries}, {2})
        self.assertEqual([p.email for p in ml.iterate(ml.person.list, role="user", limit=3)], [f"page{i}@py.example" for i in range(4)],
                         "other params are sent with every page")
        # A view's typed method pages as that view's actor.
        self.assertEqual([p.id for p in ml.iterate(ml.as_actor(self.admin).person.list, limit=4)], everyone)
        with self.assertRaises(TypeError) as unpaged:
            list(ml.pages(ml.system.ping))
        self.assertIn("not paged", str(unpaged.exception))
        with self.assertRaises(TypeError) as itemless:
            list(ml.iterate(ml.catalog.export_csv, kind="services"))
        self.assertIn("no items", str(itemless.exception))

    def test_paging_by_next_from_asks_again_from_there(self):
        """availability.get stops at next_from (truncated) rather than at a cursor: the next page
        is asked for with from_ moved there."""
        from types import SimpleNamespace
        asked = []
        answers = {"2030-01-01T00:00:00Z": SimpleNamespace(free=[1, 2], truncated=True, next_from="2030-01-05T00:00:00Z"),
                   "2030-01-05T00:00:00Z": SimpleNamespace(free=[3], truncated=False, next_from=None)}

        def get(**params):
            asked.append(params)
            return answers[params["from_"]]

        ml = Client.__new__(Client)
        pages = list(Client.pages(ml, get, expert_id="per_x", from_="2030-01-01T00:00:00Z", to="2030-02-01T00:00:00Z"))
        self.assertEqual([p.free for p in pages], [[1, 2], [3]])
        self.assertEqual(asked, [{"expert_id": "per_x", "from_": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00Z"},
                                 {"expert_id": "per_x", "from_": "2030-01-05T00:00:00Z", "to": "2030-02-01T00:00:00Z"}])

    def test_a_refused_request_has_the_attributes_of_every_other_error(self):
        """A request over meetingd's size bound (here a large catalog.import_csv) is refused as a
        whole (-32600): a ProtocolError, with code, message, data and data_code as a ServiceError has."""
        ml = self.client()
        csv = "name,kind,default_length_minutes,price_credits\n" + "Service,generic,30,10\n" * 60000
        with self.assertRaises(ProtocolError) as refused:
            ml.catalog.import_csv(kind="services", csv=csv)
        error = refused.exception
        self.assertEqual((error.code, error.data_code, error.data, error.method), (-32600, None, {}, "catalog.import_csv"))
        self.assertIn("at most", error.message)
        self.assertIn(error.message, str(error))
        self.assertFalse(error.retryable)
        self.assertTrue(error.idempotency_key.startswith("py-"))
        bare = ProtocolError("x")
        self.assertEqual((bare.code, bare.message, bare.data, bare.data_code, bare.method), (None, "x", {}, None, ""))
        for failure in (error, meetingledger.NotFoundError(-32004, "gone", {"code": "not_found"}, "person.get")):
            self.assertIsInstance(failure.data, dict)
            failure.data_code, failure.message, failure.code  # what a handler of either reads

    def test_a_missing_member_warning_points_at_the_callers_line(self):
        from meetingledger import MissingMemberWarning
        older = Client(sys.executable, ["-c", (
            "import json, sys\n"
            "for line in sys.stdin:\n"
            "    r = json.loads(line)\n"
            "    print(json.dumps({'jsonrpc': '2.0', 'id': r['id'], 'result': {'database': 'ok'}}), flush=True)\n")])
        self.addCleanup(older.close)
        with self.assertWarns(MissingMemberWarning) as warned:
            line = sys._getframe().f_lineno + 1
            pong = older.system.ping()
        self.assertEqual(pong.database, "ok")
        self.assertEqual((warned.filename, warned.lineno), (__file__, line), str(warned.warning))

    def test_close_lets_meetingd_finish_and_exit_0(self):
        ml = Client(meetingd_path())
        ml.system.ping()
        self.assertEqual(ml.close(), 0)
        with self.assertRaises(MeetingdUnavailable):
            ml.system.ping()


if __name__ == "__main__":
    unittest.main()
