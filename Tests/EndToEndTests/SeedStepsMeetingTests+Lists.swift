import Foundation
import XCTest

/// The steps of seeds 000, 001 and 004 about weekly cancels, declined appointments, pending
/// requests for the same time, the expert's common list, and what a request may name — each
/// through meetingd's pipes.
final class SeedStepsMeetingListTests: EndToEndTestCase {
    func createSeries(_ w: MeetingWorld, weeks: Int64 = 4) throws -> JSONValue {
        try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 9)),
            "location_id": .string(w.locationId), "weeks": .int(weeks),
        ])
    }

    // MARK: 6. Weekly cancels

    /// Seeds 000 and 001: "NOTE: Canceling a weekly appointment will cancel all future weekly
    /// appointments as well." Cancelling the second occurrence cancels it, the third and the
    /// fourth, and the series; the first stays. Each is released like a single cancel.
    func testCancelingAWeeklyAppointmentCancelsAllFutureWeeklyAppointments() throws {
        let w = try MeetingWorld(self, label: #function)
        let series = try createSeries(w)
        let occurrences = (series["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        XCTAssertEqual(occurrences.count, 4)
        for id in occurrences { try w.act("meeting.confirm", as: w.expert, id) }
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 400))
        _ = try w.drainOutbox()

        let cancelled = try w.act("meeting.cancel", as: w.user, occurrences[1], ["reason_code": "schedule_conflict"])
        assertMeeting(cancelled, status: "cancelled", credit: "returned")
        XCTAssertEqual(cancelled["cancelled_occurrences"]?.array?.compactMap(\.string), Array(occurrences[2...]))
        XCTAssertEqual(cancelled["series_status"], "cancelled")
        assertMeeting(try w.meeting(occurrences[0]), status: "agreed", credit: "blocked", "the earlier one stays")
        for id in occurrences[1...] {
            assertMeeting(try w.meeting(id), status: "cancelled", credit: "returned")
            XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        }
        XCTAssertEqual(try w.series(MeetingWorld.id(of: series))["status"], "cancelled")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100))
        let told = try w.drainedSummary().filter { $0.hasPrefix("cancellation_by_user") }
        XCTAssertEqual(told, ["cancellation_by_user→expert", "cancellation_by_user→user"],
                       "both sides are told once, of the appointment and the later ones with it")

        // meetctl says the series and its later dates went with it.
        let other = try MeetingWorld.id(of: try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 8, hour: 15)),
            "location_id": .string(w.locationId), "weeks": 2,
        ]))
        let otherOccurrences = (try w.series(other)["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        for id in otherOccurrences { try w.act("meeting.confirm", as: w.expert, id) }
        let run = try Meetctl(actor: w.user).run(["--test-clock", "cancel", otherOccurrences[0], "--reason", "other"])
        XCTAssertEqual(run.termination, .exited(0), run.stderr)
        XCTAssertTrue(run.stderr.contains("The weekly series is cancelled too, with its later dates: \(otherOccurrences[1])"), run.stderr)

        // No more are booked for it.
        try w.setClock(MeetingTime.at(day: 40, hour: 0))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["series_occurrences_created"], 0)
        try w.assertReconciled()
    }

    /// A weekly appointment still pending (the expert has not confirmed it) is cancelled as an
    /// agreed one is, with every later one and the series: it was refused "withdraw it instead",
    /// and withdrawing dropped that date alone while the series went on.
    func testCancelingAPendingWeeklyAppointmentCancelsTheSeriesToo() throws {
        let w = try MeetingWorld(self, label: #function)
        let series = try createSeries(w, weeks: 3)
        let occurrences = (series["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        try w.act("meeting.confirm", as: w.expert, occurrences[2])
        let cancelled = try w.act("meeting.cancel", as: w.user, occurrences[1], ["reason_code": "schedule_conflict"])
        assertMeeting(cancelled, status: "cancelled", credit: "returned")
        XCTAssertEqual(cancelled["cancelled_occurrences"]?.array?.compactMap(\.string), [occurrences[2]])
        XCTAssertEqual(cancelled["series_status"], "cancelled")
        assertMeeting(try w.meeting(occurrences[0]), status: "awaiting_approval", credit: "blocked", "the earlier one stays")
        assertMeeting(try w.meeting(occurrences[2]), status: "cancelled", credit: "returned", "the later agreed one goes with it")
        XCTAssertEqual(try w.series(MeetingWorld.id(of: series))["status"], "cancelled")
        try w.assertReconciled()
    }

    /// A weekly date still pending that its user withdraws drops that date alone, and the series
    /// lists it among its skip dates, as series.skip would (it was listed nowhere).
    func testWithdrawingAPendingWeeklyDateListsItAsASkip() throws {
        let w = try MeetingWorld(self, label: #function)
        let series = try createSeries(w, weeks: 3)
        let id = try MeetingWorld.id(of: series)
        let occurrences = (series["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        let second = try XCTUnwrap((series["occurrences"]?.array ?? []).dropFirst().first?["date"]?.string)
        assertMeeting(try w.act("meeting.withdraw", as: w.user, occurrences[1]), status: "cancelled", credit: "returned")
        let after = try w.series(id)
        XCTAssertEqual(after["status"], "active", "the series goes on")
        XCTAssertEqual(after["skip_dates"]?.array?.map { "\($0["date"]?.string ?? "") \($0["reason"]?.string ?? "")" }, ["\(second) withdrawn by user"])
        assertMeeting(try w.meeting(occurrences[2]), status: "awaiting_approval", credit: "blocked", "the later date stays")
        try w.assertReconciled()
    }

    /// Inside the 48-hour window the first cancel needs confirm_late and is charged as one; the
    /// rest are released. series.skip stays the way to drop one date.
    func testALateWeeklyCancelIsChargedOnceAndSkippingDropsOneDate() throws {
        let w = try MeetingWorld(self, label: #function)
        let series = try createSeries(w, weeks: 3)
        let occurrences = (series["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        for id in occurrences { try w.act("meeting.confirm", as: w.expert, id) }
        let skipped = try w.meetingd.result("series.skip", as: w.user, ["series_id": .string(MeetingWorld.id(of: series)), "date": "2030-03-18"])
        XCTAssertEqual(skipped["status"], "active", "a skip drops one date only")
        assertMeeting(try w.meeting(occurrences[1]), status: "cancelled", credit: "returned")

        try w.setClock(MeetingTime.at(day: 6, hour: 12))
        let late = try w.refuse("meeting.cancel", as: w.user, occurrences[0], ["reason_code": "other"], code: 4013)
        XCTAssertEqual(late["data"]?["code"], "late_cancellation_requires_confirmation")
        XCTAssertTrue(late["data"]?["consequences"]?.string?.hasSuffix("The weekly series is cancelled with it, and so is its 1 later date.") ?? false,
                      "the confirmation says all it does: \(late)")
        assertMeeting(try w.meeting(occurrences[2]), status: "agreed", credit: "blocked", "a refused cancel changes nothing")
        let cancelled = try w.act("meeting.cancel", as: w.user, occurrences[0], ["reason_code": "other", "confirm_late": true])
        assertMeeting(cancelled, status: "cancelled", credit: "paid")
        XCTAssertEqual(cancelled["cancelled_occurrences"]?.array?.compactMap(\.string), [occurrences[2]])
        assertMeeting(try w.meeting(occurrences[2]), status: "cancelled", credit: "returned")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        try w.assertReconciled()
    }

    /// A weekly cancel and the expert's confirmation of a later occurrence, sent at the same
    /// instant through two processes: whichever goes first, every later occurrence ends
    /// cancelled with its credits returned, once, and the ledger reconciles.
    func testAWeeklyCancelRacingAConfirmationLeavesNoOccurrenceBehind() throws {
        let w = try MeetingWorld(self, label: #function)
        let second = try startMeetingd(["--test-clock"])
        let series = try createSeries(w, weeks: 3)
        let occurrences = (series["occurrences"]?.array ?? []).compactMap { $0["meeting_id"]?.string }
        try w.act("meeting.confirm", as: w.expert, occurrences[0])
        let (user, expert, world) = (w.user, w.expert, Unchecked(w))
        let other = Unchecked(second)
        let (cancelled, confirmed) = try race(
            { try world.value.meetingd.call("meeting.cancel", as: user, ["meeting_id": .string(occurrences[0]), "reason_code": "other"]) },
            { try other.value.call("meeting.confirm", as: expert, ["meeting_id": .string(occurrences[2])]) })
        XCTAssertNotNil(cancelled["result"], "the cancel goes through: \(cancelled)")
        XCTAssertTrue(confirmed["result"] != nil || confirmed["error"]?["code"] == 4009, "the confirmation is done first or refused: \(confirmed)")
        for id in occurrences {
            assertMeeting(try w.meeting(id), status: "cancelled", credit: "returned")
            XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        }
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet())
        try w.assertReconciled()
    }

    // MARK: 7. Declined appointments

    /// A decline's note stays with the expert's side once the meeting moves on: given a new date
    /// after the decline, the meeting no longer hid its timeline, and the user read the note
    /// the expert (or the office) wrote for their own side.
    func testADeclinesNoteStaysPrivateAfterANewDate() throws {
        let w = try MeetingWorld(self, label: #function)
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "illness", "note": "PRIVATE: not this one"])
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 8, hour: 10)), "note": "How about Thursday?"])
        let forUser = try w.meetingd.allPages("meeting.timeline", as: w.user, ["meeting_id": .string(id)])
        let declined = try XCTUnwrap(forUser.first { $0["kind"] == "rejected_by_expert" })
        XCTAssertEqual(declined["note"], .null, "\(forUser)")
        XCTAssertEqual(declined["reason_code"], "illness", "the public reason stays")
        XCTAssertTrue(forUser.contains { $0["note"] == "How about Thursday?" }, "the note written for the user is theirs: \(forUser)")
        let forExpert = try w.meetingd.allPages("meeting.timeline", as: w.expert, ["meeting_id": .string(id)])
        XCTAssertEqual(forExpert.first { $0["kind"] == "rejected_by_expert" }?["note"], "PRIVATE: not this one")

        // The new date held nothing, so its withdrawal returns nothing and does not say it does.
        // Answered as an alternate, it is pulled back as one too (withdraw_alternate answered
        // 4009 "no open alternate"), by its proposer only.
        _ = try w.drainOutbox()
        let notTheirs = try w.refuse("meeting.withdraw_alternate", as: w.user, id, code: 4009)
        XCTAssertTrue(notTheirs["message"]?.string?.contains("answer it with confirm_alternate or reject_alternate") ?? false, "\(notTheirs)")
        try w.act("meeting.withdraw_alternate", as: w.expert, id)
        let told = try XCTUnwrap(try w.drainRaw().first { $0["recipient_id"]?.string == w.user && $0["kind"]?.string?.hasPrefix("meeting_withdrawn") == true })
        let text = try XCTUnwrap(told["rendered"]?["text"]?.string)
        XCTAssertTrue(text.contains("withdrew the meeting"), text)
        XCTAssertFalse(text.contains("credits held for it are returned"), text)
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(), "nothing held, nothing moved")
    }

    /// Seed 000: "Although you will not be notified via email of a declined session, it will be
    /// visible on your Learn Screen. When you click into a declined session, no session details
    /// will be shown."
    func testADeclinedSessionIsVisibleWithoutDetailsAndNotEmailed() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["email_user_on_decline": false])
        let id = try MeetingWorld.id(of: w.requestWith(start: MeetingTime.at(day: 7, hour: 10), ["topic": "Moles", "agenda_answers": []]))
        _ = try w.drainOutbox()
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "illness", "note": "private: flu"])
        XCTAssertEqual(try w.drainedSummary(), [], "no message to the user")

        let seen = try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": .string(id)])
        XCTAssertEqual(seen["status"], "rejected")
        XCTAssertEqual(seen["details_hidden"], true)
        for key in ["start", "end", "length_minutes", "location_id", "video_url", "topic", "note"] {
            XCTAssertEqual(seen[key], .null, "\(key) is hidden")
        }
        XCTAssertEqual(seen["expert_name"], try w.meeting(id)["expert_name"], "with whom")
        XCTAssertEqual(seen["decline_reason"]?["code"], "illness")
        XCTAssertEqual(seen["decline_reason"]?["label"], "Illness")
        let listed = try w.meetingd.result("meeting.list", as: w.user, ["role": "user", "status": "rejected"])["items"]?.array ?? []
        XCTAssertEqual(listed.first?["details_hidden"], true, "visible on the list, without details")
        let timeline = try w.meetingd.allPages("meeting.timeline", as: w.user, ["meeting_id": .string(id)])
        XCTAssertFalse(timeline.contains { $0["note"] != .null }, "no notes")
        try w.meetingd.error("meeting.calendar", as: w.user, ["meeting_id": .string(id)], code: 4009)
        // Its credits are the user's to see, its time is not (it was, through the trail).
        let trail = try w.meetingd.result("ledger.meeting_trail", as: w.user, ["meeting_id": .string(id)])
        XCTAssertEqual(trail["start"], .null)
        XCTAssertEqual(trail["length_minutes"], .null)
        XCTAssertEqual(trail["transfers"]?.array?.count, 2, "the hold and its release: \(trail)")
        XCTAssertEqual(try w.meetingd.result("ledger.meeting_trail", as: w.finance, ["meeting_id": .string(id)])["start"]?.string,
                       MeetingTime.at(day: 7, hour: 10), "finance reads the whole trail")

        let forExpert = try w.meetingd.result("meeting.get", as: w.expert, ["meeting_id": .string(id)])
        XCTAssertEqual(forExpert["details_hidden"], false)
        XCTAssertEqual(forExpert["start"]?.string, MeetingTime.at(day: 7, hour: 10))

        // Where the community e-mails declines (the default), the user is told.
        try w.updateSettings(["email_user_on_decline": true])
        let second = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        _ = try w.drainOutbox()
        try w.act("meeting.decline", as: w.expert, second, ["reason_code": "other", "note": "private: schedule"])
        let told = try w.drainRaw()
        XCTAssertEqual(told.compactMap { $0["kind"]?.string }, ["meeting_rejected_by_expert"])
        // The message itself carries only what the user may read: the meeting without its
        // details, no note; beside it the date the mail names (the date asked for, as it was
        // when declined).
        let payload = told.first?["payload"] ?? .null
        XCTAssertEqual(payload["details_hidden"], true)
        XCTAssertEqual(payload["note"], .null, "\(payload)")
        XCTAssertEqual(payload["meeting"]?["start"], .null, "\(payload)")
        XCTAssertEqual(payload["start"]?.string, MeetingTime.at(day: 8, hour: 10), "\(payload)")
        XCTAssertEqual(payload["meeting"]?["details_hidden"], true)
        XCTAssertEqual(payload["meeting"]?["decline_reason"]?["code"], "other")
    }

    // MARK: 8. Pending requests and the same time

    /// Seed 004: "If the expert already has a confirmed appointment with an overlapping time,
    /// the expert will be notified in the confirmation dialog that he already has another
    /// appointment at the given time." With pending_holds_slot off, two users ask for the same
    /// time; confirming the second warns the expert, who alone may accept it.
    func testTheExpertIsWarnedOfAnOverlapWhenConfirmingASecondRequest() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["pending_holds_slot": false])
        let other = try w.addUser(name: "other user")
        let start = MeetingTime.at(day: 7, hour: 10)
        let first = try MeetingWorld.id(of: w.request(start: start))
        let second = try MeetingWorld.id(of: w.request(start: start, by: other))
        XCTAssertEqual(try w.wallet(other), MeetingWorld.wallet(blocked: 100), "each request holds its credits")

        try w.act("meeting.confirm", as: w.expert, first)
        let warned = try w.refuse("meeting.confirm", as: w.expert, second, code: 4010)
        XCTAssertEqual(warned["data"]?["meeting_ids"], [.string(first)])
        try w.refuse("meeting.confirm", as: w.expert, second, ["accept_conflicts": true, "expected_version": 99], code: 4009)
        assertMeeting(try w.act("meeting.confirm", as: w.expert, second, ["accept_conflicts": true]), status: "agreed", credit: "blocked")
        XCTAssertEqual(try w.meeting(second)["conflict_accepted"], true)

        // Once agreed, the time is taken: a third request is refused.
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: start), code: 4011)
        // Today's behaviour is the default: a pending request holds its slot.
        try w.updateSettings(["pending_holds_slot": true])
        let later = MeetingTime.at(day: 8, hour: 10)
        try w.request(start: later)
        try w.meetingd.error("meeting.request", as: other, w.requestParams(start: later), code: 4011)
        try w.assertReconciled()
    }

    /// Two overlapping requests confirmed at the same instant through two processes: one is
    /// agreed, the other gets the warning; the expert never holds two overlapping agreed
    /// meetings without accepting it.
    func testTwoOverlappingRequestsConfirmedAtOnceNeverBothAgree() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["pending_holds_slot": false])
        let second = try startMeetingd(["--test-clock"])
        let other = try w.addUser(name: "other user")
        let start = MeetingTime.at(day: 7, hour: 10)
        let a = try MeetingWorld.id(of: w.request(start: start))
        let b = try MeetingWorld.id(of: w.request(start: MeetingTime.shifted(start, minutes: 30), by: other))
        let (expert, world, process) = (w.expert, Unchecked(w), Unchecked(second))
        let (first, then) = try race(
            { try world.value.meetingd.call("meeting.confirm", as: expert, ["meeting_id": .string(a)]) },
            { try process.value.call("meeting.confirm", as: expert, ["meeting_id": .string(b)]) })
        let outcomes = [first, then].map { $0["result"]?["status"]?.string ?? "error \($0["error"]?["code"] ?? .null)" }.sorted()
        XCTAssertEqual(outcomes, ["agreed", "error 4010"])
        let statuses = try [a, b].map { try w.meeting($0)["status"]?.string ?? "" }.sorted()
        XCTAssertEqual(statuses, ["agreed", "awaiting_approval"])
        try w.assertReconciled()
    }

    /// Only the expert's side accepts an overlap: a user confirming the expert's proposal into
    /// another agreed meeting is refused and not told whose it is.
    func testOnlyTheExpertMayAcceptTheOverlap() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["pending_holds_slot": false])
        let start = MeetingTime.at(day: 7, hour: 10)
        // Proposed before the other meeting was agreed: an overlap the expert never accepted.
        let proposal = try MeetingWorld.id(of: w.propose(start: start))
        _ = try w.agreed(start: start)
        let refused = try w.refuse("meeting.confirm", as: w.user, proposal, ["accept_conflicts": true], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "accept_conflicts")
        XCTAssertEqual(try w.refuse("meeting.confirm", as: w.user, proposal, code: 4010)["data"]?["meeting_ids"], [])
    }

    // MARK: 9. The expert's common list

    /// Seed 004: "An expert can view a list of meetings he is assigned to that have not yet
    /// taken place within the common list of meetings he is in as a user or expert."
    func testTheExpertsCommonListOfMeetingsAsUserOrExpert() throws {
        let w = try MeetingWorld(self, label: #function)
        let both = try w.addUser(name: "expert who learns", roles: ["user", "expert"])
        try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(w.serviceId), "expert_id": .string(both)])
        let rules: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(w.locationId)]] }
        try w.meetingd.result("availability.set_weekly", as: w.admin, ["expert_id": .string(both), "time_zone": "UTC", "rules": .array(rules)])
        let asUser = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10), by: both))
        let asExpert = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10), expert: both))

        let common = try w.meetingd.allPages("meeting.list", as: both)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: common.map { ($0["id"]?.string ?? "", $0["side"]?.string ?? "") }),
                       [asUser: "user", asExpert: "expert"])
        XCTAssertEqual(common.first?["id"]?.string, asExpert, "the request awaiting their answer first")
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: both, ["role": "expert"]).map { $0["id"]?.string ?? "" }, [asExpert])
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: both, ["role": "user"]).map { $0["side"]?.string ?? "" }, ["user"])
        let paged = try w.meetingd.allPages("meeting.list", as: both, ["limit": 1])
        XCTAssertEqual(paged.count, 2, "pages by keyset across both sides")
    }

    // MARK: 10. Skills and agenda answers

    /// Seed 004: a proposal names a "Skill" of the "Selected expert service"; seed 002: "Students
    /// will fill out the topic screen based on the questions you have added". Wrong skills and
    /// answers that do not match the questions are refused, naming the field; nothing changes.
    func testASkillMustBeTheServicesAndAnswersMustAnswerItsQuestions() throws {
        let w = try MeetingWorld(self, label: #function)
        let service = try w.addService("Essays", agendaQuestions: ["What is your thesis?", "Which style guide?"])
        try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(service), "expert_id": .string(w.expert)])
        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        params["service_id"] = .string(service)
        params["agenda_answers"] = ["Cats rule"]
        let short = try w.meetingd.error("meeting.request", as: w.user, params, code: -32602)
        XCTAssertEqual(short["data"]?["field"], "agenda_answers")
        XCTAssertTrue(short["data"]?["reason"]?.string?.contains("1. What is your thesis? 2. Which style guide?") ?? false, "\(short)")
        params["agenda_answers"] = ["Cats rule", "APA"]
        params["skill"] = "Titration"
        XCTAssertEqual(try w.meetingd.error("meeting.request", as: w.user, params, code: -32602)["data"]?["field"], "skill")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(), "refused requests hold nothing")
        params["skill"] = nil
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: w.user, params)["agenda_answers"], ["Cats rule", "APA"])

        let wrongSkill = try w.meetingd.error("meeting.propose", as: w.expert, [
            "user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 8, hour: 10)),
            "length_minutes": 60, "price_credits": 100, "skill": "Knitting",
        ], code: -32602)
        XCTAssertEqual(wrongSkill["data"]?["field"], "skill")
        XCTAssertTrue(wrongSkill["data"]?["reason"]?.string?.contains("Titration, Stoichiometry") ?? false, "\(wrongSkill)")
        XCTAssertEqual(try w.propose(start: MeetingTime.at(day: 8, hour: 10), extra: ["skill": "Titration"])["skill"], "Titration")
    }
}
