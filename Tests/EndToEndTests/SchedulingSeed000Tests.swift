import Foundation
import XCTest

/// Seed 000 ("Appointment Introduction", the expert's article), after the meeting: logging
/// attendance, duration (±5 / ±10 steps) and feedback; communities requiring the log before
/// the expert does anything else; no-shows suspending users; the weekly usage limit (counting
/// meetings that were not declined). The fixture's clock stands at Monday 2030-03-04 12:00 UTC.
final class SchedulingSeed000Tests: EndToEndTestCase {
    static let questions = ["How did the session go?", "What should the student practise next?"]

    @discardableResult
    func log(_ w: MeetingWorld, _ id: String, _ attendance: String, adjust: Int64? = nil, feedback: [(String, String)]? = nil) throws -> JSONValue {
        var params: [String: JSONValue] = ["attendance": .string(attendance)]
        if let adjust { params["duration_adjust_minutes"] = .int(adjust) }
        if let feedback { params["feedback"] = .array(feedback.map { ["question": .string($0.0), "answer": .string($0.1)] }) }
        return try w.act("meeting.log_session", as: w.expert, id, params)
    }

    // MARK: Logging the session

    /// "Select who attended the session or 'No one showed up' [...] Add or subtract time, by
    /// clicking -10, -5, +5 or +10 [...] Answer any feedback questions and click submit."
    func testLoggingAttendanceDurationAndFeedback() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["feedback_questions": .array(Self.questions.map { .string($0) })])
        try w.grant(w.user, MeetingWorld.granted)
        let ids = try [10, 12, 14, 16].map { try w.agreed(start: MeetingTime.at(day: 1, hour: $0)) }
        let tomorrow = try w.agreed(start: MeetingTime.at(day: 2, hour: 10))
        try w.setClock(MeetingTime.at(day: 1, hour: 17, minute: 5))
        _ = try w.drainOutbox()

        try w.refuse("meeting.log_session", as: w.expert, tomorrow, ["attendance": "attended"], code: 4009)
        for bad: Int64 in [7, -3, 1] {
            let error = try w.refuse("meeting.log_session", as: w.expert, ids[0], ["attendance": "attended", "duration_adjust_minutes": .int(bad)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "duration_adjust_minutes", "\(bad) is not a step of 5")
        }
        try w.refuse("meeting.log_session", as: w.expert, ids[0], ["attendance": "attended", "duration_adjust_minutes": 245], code: -32602)
        let unknown = try w.refuse("meeting.log_session", as: w.expert, ids[0], [
            "attendance": "attended", "feedback": [["question": "Was the room warm?", "answer": "Yes"]],
        ], code: -32602)
        XCTAssertEqual(unknown["data"]?["field"], "feedback[0].question", "feedback must answer the community's questions")
        XCTAssertTrue(unknown["data"]?["reason"]?.string?.contains("\"\(Self.questions[0])\"") ?? false, "the questions are listed: \(unknown)")
        let twice = try w.refuse("meeting.log_session", as: w.expert, ids[0], [
            "attendance": "attended", "feedback": [["question": .string(Self.questions[0]), "answer": "Yes"], ["question": .string(Self.questions[0]), "answer": "No"]],
        ], code: -32602)
        XCTAssertEqual(twice["data"]?["field"], "feedback[1].question", "one answer per question")
        // Bounded together, as a meeting carries it into every read (50 answers of 10,000
        // characters made meetings of half a megabyte).
        let long = try w.refuse("meeting.log_session", as: w.expert, ids[0], [
            "attendance": "attended",
            "feedback": [["question": .string(Self.questions[0]), "answer": .string(String(repeating: "a", count: 6_000))],
                         ["question": .string(Self.questions[1]), "answer": .string(String(repeating: "b", count: 6_000))]],
        ], code: -32602)
        XCTAssertEqual(long["data"]?["field"], "feedback", "\(long)")
        try w.refuse("meeting.log_session", as: w.expert, ids[0], ["attendance": "expert_no_show"], code: -32602)
        try w.refuse("meeting.log_session", as: w.user, ids[0], ["attendance": "attended"], code: 4003)
        assertMeeting(try w.meeting(ids[0]), status: "agreed", credit: "blocked", "refused logs change nothing")

        let answers = [(Self.questions[0], "Good progress on titration"), (Self.questions[1], "Molar mass, chapter 4")]
        for (id, adjust, expected) in [(ids[0], Int64(-10), Int64(50)), (ids[1], -5, 55), (ids[2], 5, 65)] {
            let logged = try log(w, id, "attended", adjust: adjust, feedback: answers)
            assertMeeting(logged, status: "completed", credit: "paid")
            XCTAssertEqual(logged["attendance"], "attended")
            XCTAssertEqual(logged["duration_minutes"]?.int, expected, "60 \(adjust) minutes")
            XCTAssertEqual(logged["feedback"], .array(answers.map { ["question": .string($0.0), "answer": .string($0.1)] }))
            XCTAssertEqual(try w.trail(id), ["hold pending 100", "capture post_pending 100", "fee posted 10"])
            let event = try w.timelineEvents(id).last
            XCTAssertEqual(event?["kind"], "session_logged")
            XCTAssertEqual(event?["details"]?["duration_minutes"]?.int, expected)
        }
        XCTAssertEqual(try log(w, ids[3], "attended", adjust: 10)["duration_minutes"], 70)
        try w.refuse("meeting.log_session", as: w.expert, ids[3], ["attendance": "attended"], code: 4009)
        XCTAssertEqual(try w.drainedSummary(), Array(repeating: "session_logged→user", count: 4))

        // "No one showed up": the user is charged and told.
        let missed = try w.agreed(start: MeetingTime.at(day: 2, hour: 14))
        try w.setClock(MeetingTime.at(day: 2, hour: 15, minute: 5))
        _ = try w.drainOutbox()
        let noShow = try log(w, missed, "no_show")
        assertMeeting(noShow, status: "completed", credit: "paid")
        XCTAssertEqual(noShow["attendance"], "no_show")
        XCTAssertEqual(noShow["duration_minutes"], 0)
        XCTAssertEqual(try w.drainedSummary(), ["user_no_show→user"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100, spent: 500, granted: 2 * MeetingWorld.granted), "four sessions and a no-show paid; tomorrow's held")
        try w.assertReconciled()
    }

    // MARK: Logging required

    /// "When it is required, until you fill out the feedback/attendance log for the completed
    /// appointments, you will not be able to do anything else": an expert with an ended,
    /// unlogged meeting gets 4024 session_log_required (listing it) on confirm, decline,
    /// reschedule, propose and every availability change, can still read, and is free again
    /// once it is logged. The user and admins are not held up; a meeting still running does
    /// not count; communities that do not require the log do not block.
    func testRequiredLoggingBlocksTheExpertUntilLogged() throws {
        let w = try MeetingWorld(self, label: #function)
        let past = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        let pending = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 5, hour: 10)))
        let expert = w.expert
        let block: [String: JSONValue] = ["expert_id": .string(expert), "start": .string(MeetingTime.at(day: 20, hour: 6)), "end": .string(MeetingTime.at(day: 20, hour: 7))]

        try w.setClock(MeetingTime.at(day: 1, hour: 11, minute: 5))
        try w.meetingd.result("availability.block", as: expert, block)  // not required yet
        try w.updateSettings(["require_session_log": true])
        try w.setClock(MeetingTime.at(day: 1, hour: 10, minute: 30))
        try w.meetingd.result("availability.block", as: expert, block)  // the meeting has not ended
        try w.setClock(MeetingTime.at(day: 1, hour: 11, minute: 5))

        let calls: [(String, [String: JSONValue])] = [
            ("meeting.confirm", ["meeting_id": .string(pending)]),
            ("meeting.decline", ["meeting_id": .string(pending), "reason_code": "illness"]),
            ("meeting.reschedule", ["meeting_id": .string(pending), "start": .string(MeetingTime.at(day: 5, hour: 14))]),
            ("meeting.propose", ["user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 6, hour: 10)),
                                 "length_minutes": 60, "price_credits": 100]),
            ("availability.set_weekly", ["expert_id": .string(expert), "time_zone": "UTC", "rules": []]),
            ("availability.add_free", ["expert_id": .string(expert), "start": .string(MeetingTime.at(day: 21, hour: 6)),
                                       "end": .string(MeetingTime.at(day: 21, hour: 7)), "location_ids": [.string(w.locationId)]]),
            ("availability.block", block),
            ("availability.remove", ["expert_id": .string(expert), "start": .string(MeetingTime.at(day: 20, hour: 0)), "end": .string(MeetingTime.at(day: 21, hour: 0))]),
        ]
        for (method, params) in calls {
            let error = try w.meetingd.error(method, as: expert, params, code: 4024)
            XCTAssertEqual(error["data"]?["code"], "session_log_required", method)
            XCTAssertEqual(error["data"]?["meeting_ids"], [.string(past)], "\(method) names the meeting to log")
        }
        assertMeeting(try w.meeting(pending), status: "awaiting_approval", credit: "blocked", start: MeetingTime.at(day: 5, hour: 10), "nothing changed")
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: expert, ["role": "expert"]).map { $0["id"] }, [.string(past), .string(pending)],
                       "reading still works, the session to log first")
        try w.meetingd.result("availability.get", as: expert, ["expert_id": .string(expert), "from": .string(MeetingTime.at(day: 5, hour: 0)),
                                                              "to": .string(MeetingTime.at(day: 6, hour: 0))])
        try w.request(start: MeetingTime.at(day: 5, hour: 14))
        try w.meetingd.result("availability.block", as: w.admin, block.merging(["start": .string(MeetingTime.at(day: 22, hour: 6)),
                                                                                 "end": .string(MeetingTime.at(day: 22, hour: 7))]) { _, given in given })

        assertMeeting(try w.act("meeting.log_session", as: expert, past, ["attendance": "attended"]), status: "completed", credit: "paid")
        assertMeeting(try w.act("meeting.confirm", as: expert, pending), status: "agreed", credit: "blocked")
        try w.meetingd.result("availability.block", as: expert, block)
        try w.assertReconciled()
    }

    /// "You will not be able to do anything else": chatting and skipping a weekly session are
    /// things too.
    func testRequiredLoggingAlsoBlocksChatAndSkips() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["require_session_log": true, "horizon_days": 14])
        let past = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        let series = try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 3, hour: 10)),
            "location_id": .string(w.locationId),
        ])
        try w.setClock(MeetingTime.at(day: 1, hour: 11, minute: 5))
        let chat = try w.meetingd.call("meeting.message.post", as: w.expert, ["meeting_id": .string(past), "text": "Thanks for today!"])
        XCTAssertEqual(chat["error"]?["code"], 4024, "chat is refused until the session is logged: \(chat)")
        let skip = try w.meetingd.call("series.skip", as: w.expert, ["series_id": series["id"] ?? .null, "date": .string(String(MeetingTime.at(day: 3, hour: 10).prefix(10)))])
        XCTAssertEqual(skip["error"]?["code"], 4024, "skipping a session is refused until the session is logged: \(skip)")
    }

    // MARK: No-shows

    /// "Marking students as Absent ('No one showed up') may incur suspensions": with a policy of
    /// A suspension ends on a whole minute, so the notice that tells its end to the minute tells
    /// it exactly: one from a no-show logged at 15:05:59 ended at 15:05:59 and was told as
    /// "until … 15:05", a time the user was still refused at.
    func testASuspensionEndsOnTheWholeMinuteItsNoticeTells() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["no_show_policy": ["max_no_shows": 1, "window_days": 30, "suspension_days": 14]])
        let id = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        try w.setClock(MeetingTime.shifted(MeetingTime.at(day: 1, hour: 15, minute: 5), seconds: 59))
        _ = try w.drainOutbox()
        try log(w, id, "no_show")
        let until = MeetingTime.shifted(MeetingTime.at(day: 1, hour: 15, minute: 6), seconds: 14 * 24 * 3600)
        XCTAssertEqual(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])["suspended_until"], .string(until))
        let notice = try XCTUnwrap(try w.drainOutbox().first { $0.kind == "user_suspended" })
        XCTAssertEqual(notice.raw["payload"]?["until"], .string(until))
        XCTAssertTrue(notice.raw["rendered"]?["text"]?.string?.contains("15:06") ?? false, "\(notice.raw)")
    }

    /// 2 no-shows in 30 days → 14 days' suspension, the second no-show suspends the user, who
    /// then gets 4023 suspended (with data.until) when booking, until an admin lifts it.
    func testNoShowsSuspendTheUserUntilAnAdminLiftsIt() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["no_show_policy": ["max_no_shows": 2, "window_days": 30, "suspension_days": 14]])
        let ids = try [10, 12, 14].map { try w.agreed(start: MeetingTime.at(day: 1, hour: $0)) }
        let logTime = MeetingTime.at(day: 1, hour: 15, minute: 5)
        try w.setClock(logTime)
        _ = try w.drainOutbox()
        func suspendedUntil() throws -> JSONValue? { try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])["suspended_until"] }

        try log(w, ids[0], "no_show")
        XCTAssertEqual(try suspendedUntil(), .null, "one no-show is not enough")
        try log(w, ids[1], "attended")
        XCTAssertEqual(try suspendedUntil(), .null, "attended sessions do not count")
        try log(w, ids[2], "no_show")
        let until = MeetingTime.shifted(logTime, minutes: 14 * 24 * 60)
        XCTAssertEqual(try suspendedUntil(), .string(until), "the second no-show suspends for 14 days")
        let told = try w.drainOutbox()
        XCTAssertEqual(w.summary(told).sorted(), ["session_logged→user", "user_no_show→user", "user_no_show→user", "user_suspended→user"])
        XCTAssertEqual(told.first { $0.kind == "user_suspended" }?.raw["payload"]?["until"], .string(until))

        let refused = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 7, hour: 10)), code: 4023)
        XCTAssertEqual(refused["data"]?["code"], "suspended")
        XCTAssertEqual(refused["data"]?["until"], .string(until))
        // Any date is refused until then, not only dates before it, and who lifts it is named.
        let said = refused["message"]?.string ?? ""
        XCTAssertTrue(said.contains("no meeting is booked for them, and they accept or move none, until then, whatever its date (their requests and new dates given before stay for the expert to answer, and the expert may still propose one)") && said.contains("person.unsuspend"), said)
        try w.meetingd.error("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId),
        ], code: 4023)
        // Searching, the user is told at once, not shown times every request would refuse.
        let search = try w.meetingd.error("availability.search", as: w.user, w.searchParams(
            service: w.serviceId, from: MeetingTime.at(day: 7, hour: 0), to: MeetingTime.at(day: 8, hour: 0), [:]), code: 4023)
        XCTAssertEqual(search["data"]?["until"], .string(until))
        let before = try w.wallet()

        try w.meetingd.error("person.unsuspend", as: w.expert, ["person_id": .string(w.user)], code: 4003)
        try w.meetingd.error("person.unsuspend", as: w.user, ["person_id": .string(w.user)], code: 4003)
        // The admin lifts it with meetctl, as they see it in meetctl people.
        let admin = try Meetctl(actor: w.admin)
        _ = try w.drainOutbox()
        XCTAssertEqual(try admin.json(["person", "unsuspend", w.user])["suspended_until"], .null)
        XCTAssertEqual(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])["suspended_until"], .null)
        // The user is told they can book again, with the end the suspension had.
        let lifted = try w.drainOutbox()
        XCTAssertEqual(w.summary(lifted), ["user_unsuspended→user"])
        XCTAssertEqual(lifted.first?.raw["payload"]?["suspended_until"], .string(until))
        XCTAssertEqual(lifted.first?.raw["rendered"]?["text"]?.string?.contains("An admin lifted your suspension: you can book again."), true,
                       "\(lifted.first?.raw ?? .null)")
        // Lifting again finds nothing to lift: the person is answered as they are, no one is told.
        XCTAssertEqual(try w.meetingd.result("person.unsuspend", as: w.admin, ["person_id": .string(w.user)])["suspended_until"], .null)
        XCTAssertEqual(try w.drainOutbox().count, 0)
        XCTAssertFalse(try w.search(as: w.user, from: MeetingTime.at(day: 7, hour: 0), to: MeetingTime.at(day: 8, hour: 0)).isEmpty, "lifted: times again")
        try w.request(start: MeetingTime.at(day: 7, hour: 10))
        XCTAssertEqual(try w.wallet().blocked, before.blocked + 100)
        try w.assertReconciled()
    }

    /// Only no-shows inside the window count, and a suspension ends by itself.
    func testNoShowsOutsideTheWindowDoNotCountAndSuspensionsEnd() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["no_show_policy": ["max_no_shows": 2, "window_days": 7, "suspension_days": 3]])
        let first = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        let second = try w.agreed(start: MeetingTime.at(day: 10, hour: 10))
        let third = try w.agreed(start: MeetingTime.at(day: 11, hour: 10))
        func suspendedUntil() throws -> JSONValue? { try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])["suspended_until"] }
        try w.setClock(MeetingTime.at(day: 1, hour: 11))
        try log(w, first, "no_show")
        try w.setClock(MeetingTime.at(day: 10, hour: 11))
        try log(w, second, "no_show")
        XCTAssertEqual(try suspendedUntil(), .null, "the first no-show is nine days old, outside the 7-day window")
        try w.setClock(MeetingTime.at(day: 11, hour: 11))
        try log(w, third, "no_show")
        let until = MeetingTime.at(day: 14, hour: 11)
        XCTAssertEqual(try suspendedUntil(), .string(until), "two no-shows within 7 days")
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 20, hour: 10)), code: 4023)
        try w.setClock(MeetingTime.at(day: 14, hour: 11, minute: 1))
        try w.request(start: MeetingTime.at(day: 20, hour: 10))
        try w.assertReconciled()
    }

    // MARK: Usage limit

    /// A weekly usage limit counts the user's meetings in the community's week (Monday to
    /// Sunday in its zone), except declined ones ("Declined appointments will not affect your
    /// session usage limits", seed 001).
    func testTheWeeklyUsageLimitCountsMeetingsThatWereNotDeclined() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["weekly_usage_limit": 2, "time_zone": "America/New_York"])
        try w.setWeekly(w.expert, timeZone: "UTC", dailyRules("00:00", "24:00", at: [w.locationId]))
        let tuesday = try MeetingWorld.id(of: w.request(start: "2030-03-12T14:00:00Z"))
        _ = try w.agreed(start: "2030-03-13T14:00:00Z")
        let limit = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-14T14:00:00Z"), code: 4022)
        XCTAssertEqual(limit["data"]?["code"], "usage_limit_reached")
        XCTAssertEqual(limit["data"]?["limit"], 2)

        try w.act("meeting.decline", as: w.expert, tuesday, ["reason_code": "schedule_conflict"])
        try w.request(start: "2030-03-14T14:00:00Z")
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-15T14:00:00Z"), code: 4022)

        // Sunday 23:00 in New York is still that week; Monday 01:00 there starts the next.
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-18T03:00:00Z"), code: 4022)
        try w.request(start: "2030-03-18T05:00:00Z")
        try w.request(start: "2030-03-19T14:00:00Z")
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-20T14:00:00Z"), code: 4022)

        let other = try w.addUser(name: "other")
        try w.request(start: "2030-03-14T16:00:00Z", by: other)
        try w.assertReconciled()
    }

    /// A search shows the user no time in a week their weekly limit has filled, where a request
    /// would be refused 4022; the week shows again once a meeting in it is declined. Another
    /// user sees every time, and weeks follow the community's clock.
    func testASearchShowsNoTimeInAWeekTheUsersLimitHasFilled() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["weekly_usage_limit": 2, "time_zone": "America/New_York"])
        try w.setWeekly(w.expert, timeZone: "UTC", dailyRules("00:00", "24:00", at: [w.locationId]))
        let tuesday = try MeetingWorld.id(of: w.request(start: "2030-03-12T14:00:00Z"))
        _ = try w.agreed(start: "2030-03-13T14:00:00Z")
        let (from, to) = ("2030-03-11T00:00:00Z", "2030-03-25T00:00:00Z")
        // The week of Monday 11 March on New York's clock (EDT since the 10th).
        let week = (MeetingTime.date("2030-03-11T04:00:00Z"), MeetingTime.date("2030-03-18T04:00:00Z"))
        func inWeek(_ slots: [FoundSlot]) -> Int { slots.filter { (week.0..<week.1).contains(MeetingTime.date($0.start)) }.count }
        let refused = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-14T14:00:00Z"), code: 4022)
        XCTAssertEqual(refused["data"]?["week_start"]?.string.map(MeetingTime.date), week.0)

        let full = try w.search(from: from, to: to)
        XCTAssertEqual(inWeek(full), 0, "the full week shows no time: \(full.prefix(3))")
        // The answer says why: the week it left out.
        let answer = try w.meetingd.result("availability.search", as: w.user, w.searchParams(service: nil, from: from, to: to, [:]))
        XCTAssertEqual(answer["full_weeks"], [["start": "2030-03-11T04:00:00Z", "end": "2030-03-18T04:00:00Z"]])
        XCTAssertTrue(full.contains { $0.start == "2030-03-18T04:00:00Z" }, "the next week starts at Monday 00:00 in New York: \(full.prefix(3))")
        XCTAssertFalse(full.contains { $0.start == "2030-03-18T03:30:00Z" }, "Sunday 23:30 in New York is still the full week")
        let other = try w.addUser(name: "other")
        XCTAssertGreaterThan(inWeek(try w.search(as: other, from: from, to: to)), 0, "another user sees the week")
        XCTAssertEqual(try w.meetingd.result("availability.search", as: other, w.searchParams(service: nil, from: from, to: to, [:]))["full_weeks"], [])

        try w.act("meeting.decline", as: w.expert, tuesday, ["reason_code": "schedule_conflict"])
        XCTAssertGreaterThan(inWeek(try w.search(from: from, to: to)), 0, "a declined meeting does not count: the week has room again")
        try w.request(start: "2030-03-14T14:00:00Z")
        XCTAssertEqual(inWeek(try w.search(from: from, to: to)), 0)
    }
}
