"""The client against a real meetingd: the README's walkthrough through the typed methods, every
answer checked against what rpc.discover publishes for it."""
from __future__ import annotations

import unittest

import jsonschema

from support import RecordingClient, bootstrap, discover, meetingd_path, strict_result_schemas

import meetingledger
from meetingledger import (
    AccountBalance, CalendarInvitation, InsufficientCreditsError, InvalidParamsError, LateCancellationRequiresConfirmationError,
    Meeting, NotFoundError, Series, ServiceError, Transfer,
)


class WalkthroughTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.document = discover()
        cls.strict = strict_result_schemas(cls.document)

    def setUp(self):
        self.ids = bootstrap(time_zone="America/New_York")
        self.ml = RecordingClient(meetingd_path(), ["--test-clock"], actor=self.ids["admin_id"])
        self.addCleanup(self.ml.close)

    def assert_every_answer_matches_its_published_schema(self):
        """Every member of every answer is declared, with its type: a front end generated from
        rpc.discover sees all of it, typed."""
        self.assertGreater(len(self.ml.results), 20)
        problems = sorted({f"{method} {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                           for method, result in self.ml.results
                           for e in jsonschema.Draft7Validator(self.strict[method]).iter_errors(result)})
        self.assertEqual(problems, [], "answers with members rpc.discover does not declare (or of another type)")

    def community(self):
        """Seed 001's setting: a tutor with weekly hours, a student with credits, finance staff."""
        ml = self.ml
        ml.clock.set(now="2030-03-04T12:00:00Z")
        ml.community.update_settings(labels={"provider": "Tutor", "class": "Course"}, time_zone="America/New_York", platform_fee_percent=20)
        room = ml.location.create(name="Library Room 101", kind="in_person")
        video = ml.location.create(name="Video call", kind="virtual")
        talia = ml.person.create(email="talia@demo.example", first_name="Talia", last_name="Kim", roles=["expert"], time_zone="America/New_York")
        sam = ml.person.create(email="sam@demo.example", first_name="Sam", last_name="Lee", roles=["user"], time_zone="Europe/Prague")
        fiona = ml.person.create(email="fiona@demo.example", first_name="Fiona", last_name="Fox", roles=["finance"], time_zone="America/New_York")
        chem = ml.service.create(name="CHEM101", kind="generic", default_length_minutes=60, price_credits=100,
                                 agenda_questions=["What do you want to work on?"], skills=["stoichiometry"])
        ml.service.certify(service_id=chem.id, expert_id=talia.id)
        ml.as_actor(talia.id).availability.set_weekly(expert_id=talia.id, time_zone="America/New_York", rules=[
            {"weekday": 1, "start": "09:00", "end": "12:00", "location_ids": [room.id, video.id]},
            {"weekday": 3, "start": "13:00", "end": "17:00", "location_ids": [video.id]},
        ])
        grant = ml.as_actor(fiona.id).credits.grant(user_id=sam.id, credits=500, reference="order-1001")
        self.assertIsInstance(grant, Transfer)
        self.assertEqual((grant.kind, grant.credits), ("grant", 500))
        return room, video, talia, sam, fiona, chem

    def test_request_confirm_move_log_and_late_cancel_through_typed_methods(self):
        room, video, talia, sam, fiona, chem = self.community()
        as_sam, as_talia, as_fiona = self.ml.as_actor(sam.id), self.ml.as_actor(talia.id), self.ml.as_actor(fiona.id)

        search = as_sam.availability.search(service_id=chem.id, from_="2030-03-11T00:00:00-04:00", to="2030-03-12T00:00:00-04:00")
        self.assertEqual([e.expert_id for e in search.slots[0].experts], [talia.id])

        # Seed 000: "The user will be blocked from the required amount of meeting credits and the
        # "Credit Payment Status" will be set to "Blocked"."
        meeting = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start=search.slots[2].start, location_id=room.id,
                                         topic="Stoichiometry", agenda_answers=["Balancing equations"])
        self.assertIsInstance(meeting, Meeting)
        self.assertEqual((meeting.status, meeting.credit_status, meeting.awaiting_action_by), ("awaiting_approval", "blocked", "expert"))
        self.assertIsNone(meeting.alternate)
        balance = as_sam.ledger.balance(person_id=sam.id)
        self.assertEqual((balance.posted, balance.blocked, balance.available), (500, 100, 400))
        self.assertIsInstance(balance.accounts[0], AccountBalance)

        # Seed 001: "After you have confirmed the session you will receive a calendar invite."
        agreed = as_talia.meeting.confirm(meeting_id=meeting.id)
        self.assertEqual(agreed.status, "agreed")
        invite = as_sam.meeting.calendar(meeting_id=meeting.id)
        self.assertIsInstance(invite, CalendarInvitation)
        self.assertEqual((invite.method, invite.sequence), ("REQUEST", 0))
        self.assertIn("Sam and Talia - PY", invite.ics)

        # Seed 003: "Press Propose New Date and time to counter offer." (here the user proposes; the
        # original date holds until the expert approves).
        moved = as_sam.meeting.reschedule(meeting_id=meeting.id, start="2030-03-13T14:00:00-04:00", note="Can we do Wednesday?")
        self.assertEqual((moved.alternate.start, moved.alternate.proposed_by, moved.alternate.note),
                         ("2030-03-13T18:00:00Z", "user", "Can we do Wednesday?"))
        approved = as_talia.meeting.confirm_alternate(meeting_id=meeting.id)
        self.assertEqual((approved.start, approved.calendar_sequence), ("2030-03-13T18:00:00Z", 1))
        as_sam.meeting.message.post(meeting_id=meeting.id, text="See you Wednesday")
        self.assertEqual([m.text for m in as_talia.meeting.message.list(meeting_id=meeting.id).items], ["See you Wednesday"])

        self.ml.clock.set(now="2030-03-13T19:05:00Z")
        logged = as_talia.meeting.log_session(meeting_id=meeting.id, attendance="attended", duration_adjust_minutes=5,
                                              feedback=[{"question": "How did it go?", "answer": "Well"}])
        self.assertEqual((logged.status, logged.credit_status, logged.feedback[0].answer), ("completed", "paid", "Well"))
        trail = as_fiona.ledger.meeting_trail(meeting_id=meeting.id)
        self.assertEqual([(t.kind, t.credits) for t in trail.transfers], [("hold", 100), ("capture", 100), ("fee", 20)])
        self.assertEqual([e.kind for e in as_sam.meeting.timeline(meeting_id=meeting.id).items][:2], ["requested_by_user", "user_approval"])

        # Seed 000: a cancellation inside the 48 hours needs the user's confirmation, and is charged.
        second = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-18T10:00:00-04:00", location_id=video.id)
        as_talia.meeting.confirm(meeting_id=second.id)
        self.ml.clock.set(now="2030-03-17T14:00:00Z")
        with self.assertRaises(LateCancellationRequiresConfirmationError) as late:
            as_sam.meeting.cancel(meeting_id=second.id, reason_code="illness")
        self.assertEqual(late.exception.data["window_hours"], 48)
        self.assertFalse(late.exception.retryable)
        cancelled = as_sam.meeting.cancel(meeting_id=second.id, reason_code="illness", confirm_late=True)
        self.assertEqual((cancelled.status, cancelled.credit_status), ("cancelled", "paid"))

        self.assertEqual(as_sam.ledger.balance(person_id=sam.id).available, 300)
        self.assertEqual(as_fiona.ledger.trial_balance().total, 0)
        self.assertTrue(as_fiona.ledger.reconcile().ok)
        entries = as_fiona.ledger.statement(account_id=balance.account_id)
        self.assertEqual(entries.items[0].credits, 500)
        messages = self.ml.outbox.claim(consumer="py-test", limit=5, channel="notification").messages
        self.assertTrue(messages[0].rendered.subject)
        self.assertEqual(self.ml.community.get().settings.labels.provider, "Tutor")
        self.assertEqual(self.ml.person.find_by_email(email="sam@demo.example").id, sam.id)
        self.assertEqual(self.ml.rpc.discover()["openrpc"], "1.2.6")
        self.assert_every_answer_matches_its_published_schema()

    def test_weekly_series_and_availability_answers_are_typed(self):
        room, video, talia, sam, fiona, chem = self.community()
        as_sam, as_talia = self.ml.as_actor(sam.id), self.ml.as_actor(talia.id)
        # Seed 001: "a user books a weekly series; each occurrence is a meeting".
        series = as_sam.series.create(service_id=chem.id, expert_id=talia.id, first_start="2030-03-11T09:00:00-04:00", location_id=room.id, weeks=3)
        self.assertIsInstance(series, Series)
        self.assertEqual(len(series.occurrences), 3)
        skipped = as_sam.series.skip(series_id=series.id, date="2030-03-18")
        self.assertEqual([s.date for s in skipped.skip_dates], ["2030-03-18"])
        self.assertEqual(as_sam.series.get(series_id=series.id).next_occurrence.date, "2030-03-11")
        free = as_talia.availability.add_free(expert_id=talia.id, start="2030-03-12T09:00:00-04:00", end="2030-03-12T11:00:00-04:00",
                                              location_ids=[video.id])
        as_talia.availability.block(expert_id=talia.id, start="2030-03-11T11:00:00-04:00", end="2030-03-11T12:00:00-04:00")
        week = as_talia.availability.get(expert_id=talia.id, from_="2030-03-11T00:00:00-04:00", to="2030-03-14T00:00:00-04:00")
        self.assertEqual(week.weekly[0].weekday, 1)
        self.assertIn(free.id, [p.id for p in week.periods])
        self.assertTrue(week.free and week.blocked)
        self.assertEqual(as_talia.meeting.conflicts(start="2030-03-11T09:00:00-04:00", length_minutes=60).meetings, [])
        self.assertEqual(len(as_sam.meeting.list(role="user").items), 3)
        self.assertEqual(self.ml.person.list().items[0].roles, ["admin"])
        self.assertEqual(len(self.ml.service.list().items), 1)
        self.assertEqual(len(self.ml.location.list().items), 2)
        self.assertEqual(self.ml.enrollment.assign(user_id=sam.id, expert_id=talia.id).enrolled, True)
        self.assertEqual(self.ml.catalog.import_csv(kind="services", csv="name,kind,default_length_minutes,price_credits\nBIO,generic,30,40\n").created, 1)
        self.assertEqual(self.ml.jobs.run_due().reminders_queued, 0)
        self.assert_every_answer_matches_its_published_schema()

    def test_every_other_step_answers_what_is_published(self):
        room, video, talia, sam, fiona, chem = self.community()
        as_sam, as_talia, as_fiona = self.ml.as_actor(sam.id), self.ml.as_actor(talia.id), self.ml.as_actor(fiona.id)
        self.assertEqual(self.ml.system.ping().database, "ok")
        self.assertEqual(self.ml.person.get(person_id=sam.id).email, "sam@demo.example")
        # Seed 004: the expert proposes; the user declines with a reason, or the expert withdraws.
        proposal = as_talia.meeting.propose(user_id=sam.id, service_id=chem.id, start="2030-03-11T09:00:00-04:00", length_minutes=60, price_credits=80)
        self.assertEqual(as_sam.meeting.decline(meeting_id=proposal.id, reason_code="schedule_conflict").status, "rejected")
        proposal = as_talia.meeting.propose(user_id=sam.id, service_id=chem.id, start="2030-03-11T10:00:00-04:00", length_minutes=60, price_credits=80)
        self.assertEqual(as_talia.meeting.withdraw(meeting_id=proposal.id).status, "cancelled")
        # An agreed meeting: the expert proposes new dates; the user rejects one, the expert withdraws another.
        meeting = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-11T09:00:00-04:00", location_id=video.id)
        as_talia.meeting.confirm(meeting_id=meeting.id)
        as_talia.meeting.reschedule(meeting_id=meeting.id, start="2030-03-13T13:00:00-04:00")
        self.assertIsNone(as_sam.meeting.reject_alternate(meeting_id=meeting.id, reason_code="schedule_conflict").alternate)
        as_talia.meeting.reschedule(meeting_id=meeting.id, start="2030-03-13T14:00:00-04:00")
        self.assertIsNone(as_talia.meeting.withdraw_alternate(meeting_id=meeting.id).alternate)
        self.assertEqual(self.ml.meeting.set_video_link(meeting_id=meeting.id, url="https://video.example/abc").video_url, "https://video.example/abc")
        self.ml.clock.advance(minutes=60 * 24 * 8)
        self.assertEqual(as_sam.meeting.report_no_show(meeting_id=meeting.id).attendance, "expert_no_show")
        series = as_sam.series.create(service_id=chem.id, expert_id=talia.id, first_start="2030-03-25T09:00:00-04:00", location_id=room.id, weeks=2)
        self.assertEqual(as_sam.series.cancel(series_id=series.id, reason_code="other").status, "cancelled")
        self.assertFalse(self.ml.service.decertify(service_id=chem.id, expert_id=talia.id).certified)
        self.ml.enrollment.assign(user_id=sam.id, service_id=chem.id)
        self.assertFalse(self.ml.enrollment.remove(user_id=sam.id, service_id=chem.id).enrolled)
        wallet = as_sam.ledger.balance(person_id=sam.id).account_id
        self.assertEqual(as_fiona.credits.adjust(account_id=wallet, credits=-10, reason="correction").kind, "adjustment")
        self.assertIn("transfer_id", as_fiona.ledger.statement(account_id=wallet, format="csv").csv)
        self.assertEqual(as_talia.availability.remove(expert_id=talia.id, start="2030-04-01T00:00:00Z", end="2030-04-02T00:00:00Z").removed, 0)
        claimed = self.ml.outbox.claim(consumer="py-test", limit=2).messages
        self.assertEqual(self.ml.outbox.ack(ids=[claimed[0].id]).acked, [claimed[0].id])
        self.assertEqual(self.ml.outbox.fail(id=claimed[1].id, error="smtp down").status, "pending")
        self.assertIsNone(self.ml.person.unsuspend(person_id=sam.id).suspended_until)
        self.assert_every_answer_matches_its_published_schema()

    def logged_meeting(self, talia, sam, chem, room):
        """A meeting Sam booked, Talia confirmed and logged: a hold, its capture and the fee."""
        as_sam, as_talia = self.ml.as_actor(sam.id), self.ml.as_actor(talia.id)
        meeting = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-11T10:00:00-04:00", location_id=room.id)
        as_talia.meeting.confirm(meeting_id=meeting.id)
        self.ml.clock.set(now="2030-03-11T15:05:00Z")
        as_talia.meeting.log_session(meeting_id=meeting.id, attendance="attended")
        return meeting

    def test_finance_reads_and_dead_letters_answer_what_is_published(self):
        """ledger.accounts, the report.* methods, format csv on every finance read, and the outbox's
        dead letters put back in the queue."""
        room, video, talia, sam, fiona, chem = self.community()
        as_fiona = self.ml.as_actor(fiona.id)
        meeting = self.logged_meeting(talia, sam, chem, room)

        accounts = as_fiona.ledger.accounts()
        self.assertIn((sam.id, "user_wallet", 400), [(a.owner_id, a.kind, a.posted) for a in accounts.items])
        self.assertEqual({a.kind for a in as_fiona.ledger.accounts(kind="expert_earnings").items}, {"expert_earnings"})
        as_csv = as_fiona.ledger.accounts(format="csv")
        self.assertEqual((as_csv.format, as_csv.items), ("csv", None))
        self.assertIn("account_kind", as_csv.csv)
        balance = as_fiona.ledger.balance(person_id=sam.id, format="csv")
        self.assertEqual((balance.available, balance.accounts, balance.format), (400, None, "csv"))
        self.assertEqual(as_fiona.ledger.trial_balance(format="csv").total, 0)
        trail = as_fiona.ledger.meeting_trail(meeting_id=meeting.id, format="csv")
        self.assertEqual((trail.credit_status, trail.transfers), ("paid", None))
        self.assertIn("transfer_id", trail.csv)
        wallet = as_fiona.ledger.balance(person_id=sam.id).account_id
        statement = as_fiona.ledger.statement(account_id=wallet, from_="2030-03-05T00:00:00Z", to="2030-03-12T00:00:00Z")
        self.assertEqual((statement.opening.posted, statement.closing.posted, statement.change.posted), (500, 400, -100))
        self.assertEqual(sum(e.posted_change for e in statement.items), statement.change.posted)
        self.assertIn("opening_balance", as_fiona.ledger.statement(account_id=wallet, format="csv").csv)

        outstanding = as_fiona.report.credits_outstanding()
        self.assertEqual((outstanding.wallets, outstanding.posted), (1, 400))
        self.assertEqual(as_fiona.report.credits_outstanding(format="csv").format, "csv")
        revenue = as_fiona.report.revenue_by_month(from_month="2030-02", to_month="2030-03")
        self.assertEqual([(m.month, m.fees) for m in revenue.months], [("2030-02", 0), ("2030-03", 20)])
        self.assertEqual((revenue.totals.month, revenue.totals.fees), ("total", 20))
        settlements = as_fiona.report.settlements_by_month(from_month="2030-03", to_month="2030-03")
        self.assertEqual((settlements.months[0].held, settlements.months[0].captured), (100, 100))
        self.assertIn("returned_on_capture", as_fiona.report.settlements_by_month(from_month="2030-03", to_month="2030-03", format="csv").csv)
        due = as_fiona.report.earnings_due(include_zero=True)
        self.assertEqual([(e.owner_id, e.due) for e in due.items], [(talia.id, 80)])
        self.assertEqual((due.totals.experts, due.totals.due), (1, 80))

        # A notification that fails eight times is set aside as dead, and put back by outbox.retry.
        pending = [m.id for m in self.ml.outbox.claim(consumer="py-test", limit=500, channel="notification").messages]
        failing, others = pending[0], pending[1:]
        self.ml.outbox.ack(ids=others)
        for attempt in range(1, 9):
            failed = self.ml.outbox.fail(id=failing, error=f"smtp refused ({attempt})")
            if attempt < 8:
                self.ml.clock.advance(minutes=120)
                again = [m.id for m in self.ml.outbox.claim(consumer="py-test", limit=500, channel="notification").messages]
                self.assertIn(failing, again)
                if len(again) > 1:
                    self.ml.outbox.ack(ids=[i for i in again if i != failing])
        self.assertEqual(failed.status, "dead")
        dead = self.ml.outbox.dead_letters().items
        self.assertEqual([(d.id, d.attempts, d.last_error) for d in dead], [(failing, 8, "smtp refused (8)")])
        retried = self.ml.outbox.retry(ids=[failing])
        self.assertEqual((retried.retried, retried.not_dead), ([failing], []))
        self.assertEqual(self.ml.outbox.dead_letters().items, [])
        self.assert_every_answer_matches_its_published_schema()

    def test_profiles_conversations_imports_and_enrolments_answer_what_is_published(self):
        """The people, catalog and chat methods: profiles, chat before booking, the CSV loop and
        enrolment lists."""
        room, video, talia, sam, fiona, chem = self.community()
        as_sam, as_talia = self.ml.as_actor(sam.id), self.ml.as_actor(talia.id)

        profile = as_talia.person.set_profile(person_id=talia.id, display_name="Dr. Talia Kim", bio="Chemistry, patiently.", languages=["en", "ko"])
        self.assertEqual((profile.display_name, profile.photo_url), ("Dr. Talia Kim", None))
        self.assertEqual(as_sam.person.profile(person_id=talia.id).bio, "Chemistry, patiently.")
        self.assertEqual([p.person_id for p in as_sam.person.profiles(service_id=chem.id).items], [talia.id])
        search = as_sam.availability.search(service_id=chem.id, from_="2030-03-11T00:00:00-04:00", to="2030-03-12T00:00:00-04:00")
        self.assertEqual([(e.person_id, e.languages) for e in search.experts], [(talia.id, ["en", "ko"])])

        # Seed 000: "You can chat with providers at this step if you want to ask them questions first".
        started = as_sam.conversation.start(person_id=talia.id, text="Do you cover titration?")
        self.assertEqual((started.started, started.conversation.expert_id, started.message.meeting_id), (True, talia.id, None))
        reply = as_talia.conversation.post(conversation_id=started.conversation.id, text="Yes, book a slot")
        self.assertEqual((reply.seq > started.message.seq, reply.author_name), (True, "Dr. Talia Kim"))
        listed = as_sam.conversation.list().items
        self.assertEqual([(c.id, c.message_count) for c in listed], [(started.conversation.id, 2)])
        self.assertIsNotNone(listed[0].active_at)
        self.assertEqual([m.text for m in as_talia.conversation.messages(conversation_id=started.conversation.id).items],
                         ["Do you cover titration?", "Yes, book a slot"])
        self.assertFalse(as_sam.conversation.start(person_id=talia.id).started)

        # Seed 002: "download, fill in, upload".
        people = "email,first_name,last_name,roles,time_zone\nnoor@demo.example,Noor,Haddad,user,Europe/Prague\n"
        dry = self.ml.catalog.import_csv(kind="people", csv=people, dry_run=True)
        self.assertEqual((dry.dry_run, dry.created, [(c.line, c.action) for c in dry.changes]), (True, 1, [(2, "create")]))
        self.assertEqual(self.ml.catalog.import_csv(kind="people", csv=people).created, 1)
        exported = self.ml.catalog.export_csv(kind="people")
        self.assertIn("noor@demo.example", exported.csv)
        self.assertEqual(self.ml.catalog.import_csv(kind="people", csv=exported.csv, dry_run=True).created, 0)

        self.ml.enrollment.assign(user_id=sam.id, service_id=chem.id)
        self.ml.enrollment.assign(user_id=sam.id, expert_id=talia.id)
        mine = as_sam.enrollment.list(user_id=sam.id).items
        self.assertEqual({(e.service_name, e.expert_name) for e in mine}, {(None, "Dr. Talia Kim"), ("CHEM101", None)})
        self.assertEqual([e.user_id for e in self.ml.enrollment.list(service_id=chem.id).items], [sam.id])
        self.assert_every_answer_matches_its_published_schema()

    def test_students_the_office_declines_and_weekly_cancels_answer_what_is_published(self):
        """The meeting core's seed steps: a customer booking for a student, the office making the
        session, the tutor processing an accepted new date, a declined meeting as its user sees it,
        a weekly cancel, and the invitations and copies they send."""
        room, video, talia, sam, fiona, chem = self.community()
        ml = self.ml
        as_sam, as_talia = ml.as_actor(sam.id), ml.as_actor(talia.id)
        ml.as_actor(fiona.id).credits.grant(user_id=sam.id, credits=1000, reference="order-1002")
        settings = ml.community.update_settings(
            office_email="office@demo.example", session_types=["Tutoring", "Assessment"], require_confirm_details=True,
            experts_may_propose=True, email_user_on_decline=True, pending_holds_slot=True).settings
        self.assertEqual((settings.require_confirm_details, settings.experts_may_propose, settings.pending_holds_slot), (True, True, True))
        noa = ml.person.create(email="noa@demo.example", first_name="Noa", last_name="Lee", roles=["user"], time_zone="Europe/Prague")
        olga = ml.person.create(email="olga@demo.example", first_name="Olga", last_name="Office", roles=["office"], time_zone="America/New_York")
        as_noa, as_olga = ml.as_actor(noa.id), ml.as_actor(olga.id)

        # Seed 003: "it will come from the customer associated with a student assigned to you".
        linked = as_olga.student.link(customer_id=sam.id, student_id=noa.id)
        self.assertEqual((linked.customer_id, linked.student_id, linked.linked), (sam.id, noa.id, True))
        links = as_sam.student.list(customer_id=sam.id).items
        self.assertEqual([(k.student_id, k.student_name) for k in links], [(noa.id, "Noa Lee")])
        self.assertEqual([k.customer_name for k in as_noa.student.list(student_id=noa.id).items], ["Sam Lee"])
        search = as_sam.availability.search(service_id=chem.id, from_="2030-03-11T00:00:00-04:00", to="2030-03-12T00:00:00-04:00",
                                            student_id=noa.id)
        self.assertEqual(search.slots[0].start, "2030-03-11T13:00:00Z")
        for_noa = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-11T09:00:00-04:00", location_id=room.id,
                                         student_id=noa.id, skill="stoichiometry", agenda_answers=["Moles"])
        self.assertEqual((for_noa.user_id, for_noa.student_id, for_noa.student_name, for_noa.pending_holds_slot), (sam.id, noa.id, "Noa Lee", True))
        self.assertEqual([(m.id, m.side) for m in as_noa.meeting.list().items], [(for_noa.id, "user")])

        # "This request can go to the office": the office makes the session, named in the timeline.
        made = as_olga.meeting.confirm(meeting_id=for_noa.id, session_type="Tutoring", location_id=room.id)
        self.assertEqual((made.status, made.session_type), ("agreed", "Tutoring"))
        approval = as_noa.meeting.timeline(meeting_id=for_noa.id).items[-1]
        self.assertEqual((approval.kind, approval.actor_role, approval.actor_id), ("expert_approval", "office", olga.id))
        self.assertEqual(as_noa.meeting.calendar(meeting_id=for_noa.id).title, "Noa and Talia - PY")

        # Seed 003: the customer accepts the tutor's new date; the tutor then processes it.
        moved = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-11T11:00:00-04:00", location_id=video.id)
        as_talia.meeting.reschedule(meeting_id=moved.id, start="2030-03-13T14:00:00-04:00", note="Wednesday?")
        accepted = as_sam.meeting.confirm(meeting_id=moved.id)
        self.assertEqual((accepted.status, accepted.awaiting_processing, accepted.awaiting_action_by), ("awaiting_approval", True, "expert"))
        processed = as_talia.meeting.confirm(meeting_id=moved.id, session_type="Assessment", location_id=video.id)
        self.assertEqual((processed.status, processed.awaiting_processing), ("agreed", False))

        # Seed 004: a proposal for the student with its session type, accepted by the customer.
        proposal = as_talia.meeting.propose(user_id=sam.id, service_id=chem.id, start="2030-03-13T15:00:00-04:00", length_minutes=60,
                                            price_credits=80, location_id=video.id, student_id=noa.id, session_type="Tutoring")
        self.assertEqual(as_sam.meeting.confirm(meeting_id=proposal.id).status, "agreed")
        # Seed 000: an admin books for a user.
        booked = ml.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-13T13:00:00-04:00", location_id=video.id,
                                    user_id=sam.id)
        self.assertEqual((booked.user_id, booked.status), (sam.id, "awaiting_approval"))

        # Seed 000: "When you click into a declined session, no session details will be shown".
        declined = as_sam.meeting.request(service_id=chem.id, expert_id=talia.id, start="2030-03-11T10:00:00-04:00", location_id=room.id,
                                          topic="Titration")
        as_talia.meeting.decline(meeting_id=declined.id, reason_code="schedule_conflict", note="Fully booked that morning")
        seen = as_sam.meeting.get(meeting_id=declined.id)
        self.assertEqual((seen.status, seen.details_hidden, seen.start, seen.length_minutes, seen.topic), ("rejected", True, None, None, None))
        self.assertEqual((seen.decline_reason.code, seen.decline_reason.label), ("schedule_conflict", "Schedule conflict"))
        self.assertEqual(as_talia.meeting.get(meeting_id=declined.id).topic, "Titration")
        self.assertTrue(all(e.note is None for e in as_sam.meeting.timeline(meeting_id=declined.id).items))
        self.assertIn(declined.id, [m.id for m in as_sam.meeting.list(role="user", status="rejected").items])
        with self.assertRaises(meetingledger.InvalidStateError):
            as_sam.meeting.calendar(meeting_id=declined.id)

        # Seeds 000 and 001: "Canceling a weekly appointment will cancel all future weekly appointments as well."
        series = as_sam.series.create(service_id=chem.id, expert_id=talia.id, first_start="2030-03-18T09:00:00-04:00", location_id=room.id,
                                      weeks=3, student_id=noa.id)
        self.assertEqual((series.student_id, len(series.occurrences)), (noa.id, 3))
        first = series.occurrences[0].meeting_id
        as_talia.meeting.confirm(meeting_id=first, session_type="Tutoring", location_id=room.id)
        cancelled = as_sam.meeting.cancel(meeting_id=first, reason_code="other")
        self.assertEqual((cancelled.status, cancelled.series_status), ("cancelled", "cancelled"))
        self.assertEqual(cancelled.cancelled_occurrences, [o.meeting_id for o in series.occurrences[1:]])
        self.assertEqual(as_sam.series.get(series_id=series.id).status, "cancelled")

        self.assertFalse(as_olga.student.unlink(customer_id=sam.id, student_id=noa.id).linked)
        invites = ml.outbox.claim(consumer="py-test", limit=100, channel="calendar").messages
        self.assertTrue(invites and all(m.rendered.subject and m.recipient.email for m in invites))
        notes = ml.outbox.claim(consumer="py-test", limit=200, channel="notification").messages
        update = next(m for m in notes if m.kind == "counter_offer_by_expert")
        self.assertEqual(update.cc, ["talia@demo.example", "office@demo.example"])
        self.assertEqual(ml.jobs.run_due().reminders_queued, 0)
        # Held: the student's meeting, the processed one, the proposal and the admin's booking.
        self.assertEqual(ml.as_actor(fiona.id).ledger.balance(person_id=sam.id).available, 1500 - 100 - 100 - 80 - 100)
        self.assert_every_answer_matches_its_published_schema()

    def test_errors_raise_the_class_of_their_data_code(self):
        room, video, talia, sam, fiona, chem = self.community()
        with self.assertRaises(NotFoundError) as missing:
            self.ml.meeting.get(meeting_id="mtg_" + "0" * 32)
        self.assertEqual((missing.exception.code, missing.exception.data_code, missing.exception.data["kind"]), (4004, "not_found", "meeting"))
        self.assertIsInstance(missing.exception, ServiceError)
        with self.assertRaises(InvalidParamsError) as bad:
            self.ml.person.create(email="not an address", first_name="X", last_name="Y", roles=["user"], time_zone="UTC")
        self.assertEqual(bad.exception.data["field"], "email")
        with self.assertRaises(InsufficientCreditsError) as poor:
            self.ml.as_actor(fiona.id).payout.create(expert_id=talia.id, credits=5, reference="p-1")
        self.assertEqual((poor.exception.data["available"], poor.exception.data["required"]), (0, 5))
        # Every code rpc.discover publishes has its class, and the classes are the library's.
        codes = {e["data"]["code"] for e in self.document["components"]["errors"].values()}
        self.assertEqual(set(meetingledger.ERRORS), codes)
        self.assertIs(meetingledger.ERRORS["not_found"], NotFoundError)


if __name__ == "__main__":
    unittest.main()
