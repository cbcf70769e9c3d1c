import Foundation
import XCTest

/// Experts (and users) managing meetings with meetctl, end to end: proposals, confirmations,
/// declines, new dates, logging, conflicts, timelines, and times on each person's own clock.
final class MeetctlMeetingTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// A user confirming a proposal whose time the expert has since agreed to another meeting is
    /// refused (time_conflict) and told nothing of the expert's meetings: the service sends an
    /// empty meeting_ids, which meetctl printed as a line of its own, `meeting_ids: -`.
    func testAUsersConflictNamesNoMeetingsNotEvenAnEmptyList() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        func propose(_ start: String) throws -> String {
            try XCTUnwrap(try expert.json([
                "propose", "--user", c.userId, "--service", c.serviceId, "--start", start, "--length", "1h", "--price", "10", "--location", "Room 101",
            ])["id"]?.string)
        }
        let first = try propose("2030-03-11 10:00"), second = try propose("2030-03-11 10:30")
        XCTAssertEqual(try user.json(["confirm", first])["status"], "agreed")
        let refused = try user.fails(["confirm", second], status: 1)
        XCTAssertTrue(refused.stderr.contains("error 4010: time_conflict"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("meeting_ids"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("--accept-conflicts"), "only the expert's side may accept one: \(refused.stderr)")
    }

    func testAMeetingFromProposalToLog() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        try c.admin.ok(["settings", "set", #"feedback_questions=["Was the user prepared?"]"#])

        // 10:00 on the expert's clock (New York, EDT after 10 March) is 14:00 UTC.
        let proposed = try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
            "--location", "Room 101", "--note", "Stoichiometry?",
        ])
        let id = try XCTUnwrap(proposed["id"]?.string)
        XCTAssertEqual(proposed["start"], "2030-03-11T14:00:00Z")
        XCTAssertEqual(proposed["location_id"]?.string, c.roomId, "the location was found by name")
        XCTAssertEqual(proposed["status"], "awaiting_approval")

        // The user sees it first, marked as awaiting them, on their own clock (Prague, CET).
        let userList = try user.ok(["meetings"])
        XCTAssertTrue(userList.contains("*  Mon 11 Mar 2030 15:00 CET"), userList)
        XCTAssertTrue(userList.contains("awaiting your action"), userList)
        let listed = try user.json(["meetings"])
        XCTAssertEqual(listed["role"], "all", "the one list of both sides")
        XCTAssertEqual(listed["items"]?.array?.map { $0["id"] }, [.string(id)])
        XCTAssertEqual(listed["items"]?.array?.map { $0["side"] }, ["user"], "a person who is only a user is on the user's side")
        XCTAssertEqual(try expert.json(["meetings"])["items"]?.array?.map { $0["side"] }, ["expert"], "an expert on the expert's")
        XCTAssertFalse(try expert.ok(["meetings"]).contains("*"), "nothing awaits the expert")

        XCTAssertEqual(try user.json(["confirm", id])["status"], "agreed")
        XCTAssertEqual(try expert.ok(["conflicts", id]), "No agreed meetings overlap.\n")

        // A second proposal at the same time: the expert is warned of their agreed meeting
        // (time_conflict, seed 004); `conflicts` shows it; proposed anyway, the user declines.
        let secondArguments = ["propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11T10:30:00-04:00", "--length", "30", "--price", "50"]
        let conflict = try expert.fails(secondArguments, status: 1)
        XCTAssertTrue(conflict.stderr.contains("error 4010: time_conflict"), conflict.stderr)
        XCTAssertTrue(conflict.stderr.contains(id), "the expert sees which meeting: \(conflict.stderr)")
        XCTAssertTrue(conflict.stderr.contains("run the command again with --accept-conflicts"), "in meetctl's words: \(conflict.stderr)")
        let second = try XCTUnwrap(try expert.json(secondArguments + ["--accept-conflicts"])["id"]?.string)
        XCTAssertEqual(try expert.json(["conflicts", second])["meetings"]?[0]?["id"]?.string, id)
        let conflicts = try expert.ok(["conflicts", "--start", "2030-03-11 10:15", "--length", "15"])
        XCTAssertTrue(conflicts.contains(id) && conflicts.contains("Sam Lee"), "the user by name: \(conflicts)")
        let declined = try user.json(["decline", second, "--reason", "schedule_conflict", "--note", "Already booked then"])
        XCTAssertEqual(declined["status"], "rejected")

        // New dates: rejected, withdrawn, then one the expert approves.
        XCTAssertNotEqual(try expert.json(["reschedule", id, "--start", "2030-03-12 11:00", "--note", "Tuesday instead?"])["alternate"], .null)
        XCTAssertTrue(try user.ok(["meetings"]).contains("*  "), "the new date awaits the user")
        XCTAssertEqual(try user.json(["alternate", "reject", id, "--reason", "schedule_conflict"])["alternate"], .null)
        XCTAssertNotEqual(try expert.json(["reschedule", id, "--start", "2030-03-12 12:00"])["alternate"], .null)
        XCTAssertEqual(try expert.json(["alternate", "withdraw", id])["alternate"], .null)
        // A new date of another length shows what it comes with (the record showed its date alone).
        let longer = try expert.ok(["reschedule", id, "--start", "2030-03-12 12:00", "--length", "90"])
        XCTAssertTrue(longer.contains("  length") && longer.contains("90 min") && longer.contains("  credits"), longer)
        XCTAssertEqual(try expert.json(["alternate", "withdraw", id])["alternate"], .null)
        // The user types 19:00 on their clock (Prague): 14:00 in New York, 18:00 UTC.
        let moved = try user.json(["reschedule", id, "--start", "2030-03-13 19:00", "--note", "Can we do Wednesday?"])
        XCTAssertEqual(moved["alternate"]?["start"], "2030-03-13T18:00:00Z")
        // A second new date while one is open: what to do first, in meetctl's words for each side.
        let again = try user.fails(["reschedule", id, "--start", "2030-03-13 20:00"], status: 1)
        XCTAssertTrue(again.stderr.contains("withdraw yours first (meetctl alternate withdraw), then propose the new one"), again.stderr)
        let answerFirst = try expert.fails(["reschedule", id, "--start", "2030-03-13 15:00"], status: 1)
        XCTAssertTrue(answerFirst.stderr.contains("answer it first (meetctl alternate confirm or meetctl alternate reject)"), answerFirst.stderr)
        let expertList = try expert.ok(["meetings"])
        XCTAssertTrue(expertList.contains("*  Mon 11 Mar 2030 10:00 EDT"), "the expert must answer the new date: \(expertList)")
        XCTAssertTrue(expertList.contains("Sam Lee"), "the expert sees whom they meet by name: \(expertList)")
        XCTAssertTrue(userList.contains("Talia Kim"), "and so does the user: \(userList)")
        let approved = try expert.json(["alternate", "confirm", id])
        XCTAssertEqual(approved["start"], "2030-03-13T18:00:00Z")

        // A proposal withdrawn, and a counter-offer the expert declines.
        let third = try XCTUnwrap(try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-14 09:00", "--length", "45", "--price", "75",
        ])["id"]?.string)
        XCTAssertEqual(try expert.json(["withdraw", third, "--note", "Sorry, wrong date"])["status"], "cancelled")
        let fourth = try XCTUnwrap(try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-14 11:00", "--length", "45", "--price", "75",
        ])["id"]?.string)
        XCTAssertEqual(try user.json(["reschedule", fourth, "--start", "2030-03-14 18:00", "--note", "Later?"])["expert_approved"], false)
        XCTAssertEqual(try expert.json(["decline", fourth, "--reason", "not_my_expertise"])["status"], "rejected")

        // Too early to log: the start the service names is read on the expert's clock.
        let early = try expert.fails(["log", id, "--attendance", "attended"], status: 1)
        XCTAssertTrue(early.stderr.contains("has not started yet (Wed 13 Mar 2030 14:00 EDT)"), early.stderr)

        // After the meeting the expert logs it: paid.
        try c.admin.ok(["clock", "set", "2030-03-13 15:05"])
        let logged = try expert.json(["log", id, "--attendance", "attended", "--adjust", "5", "--feedback", "Was the user prepared?=Yes, very"])
        XCTAssertEqual(logged["status"], "completed")
        XCTAssertEqual(logged["credit_status"], "paid")
        XCTAssertEqual(logged["duration_minutes"], 65)
        XCTAssertEqual(logged["feedback"]?[0]?["answer"], "Yes, very")

        let shown = try user.json(["meeting", "show", id])
        XCTAssertEqual(shown["meeting"]?["status"], "completed")
        let kinds = shown["timeline"]?.array?.compactMap { $0["kind"]?.string } ?? []
        XCTAssertEqual(kinds.first, "expert_approval")
        XCTAssertTrue(kinds.contains("session_logged"), "\(kinds)")
        let userView = try user.ok(["meeting", "show", id])
        XCTAssertTrue(userView.contains("Wed 13 Mar 2030 19:00 CET"), userView)
        XCTAssertTrue(userView.contains("Timeline:"), userView)
        XCTAssertTrue(userView.contains("\"Can we do Wednesday?\""), "the timeline shows notes: \(userView)")
        let sessionLogged = userView.split(separator: "\n").first { $0.contains("session_logged") } ?? ""
        XCTAssertTrue(sessionLogged.contains("Talia Kim (expert)"), "who acted, by name: \(userView)")
        XCTAssertTrue(try expert.ok(["meeting", "show", id]).contains("Wed 13 Mar 2030 14:00 EDT"))

        let ics = try expert.ok(["calendar", id])
        XCTAssertTrue(ics.hasPrefix("BEGIN:VCALENDAR\r\n"), "written as the service made it, CRLF line ends: \(ics.debugDescription)")
        XCTAssertTrue(ics.contains("DTSTART:20300313T180000Z"), ics)

        let trail = try c.finance.json(["trail", id])
        XCTAssertEqual(trail["transfers"]?.array?.compactMap { $0["kind"]?.string }, ["hold", "capture", "fee"])
        XCTAssertTrue(try c.finance.ok(["trail", id]).contains("capture"))
    }

    /// A temporary refusal of a change (the wallet locked past the lock timeout) says how to try
    /// again safely: with --idempotency-key; with a key given, the plain note.
    /// A counter-offer of another length leaves the user's hold as they made it: meetctl shows
    /// the new price beside what is held ("150 (100 blocked)"), the CSV both columns.
    /// --expected-version: a step taken on what the person read is refused (4009) once someone
    /// else changed the meeting (the office answering while the expert does), and changes nothing.
    /// Seed 000: "You are responsible for logging sessions". A session that has ended waits for
    /// its log: the expert's list says so beside its status, and `meeting show` gives the
    /// command, as for every other step (it said a bare "agreed"); the office, who does not
    /// log sessions, is given no such step.
    func testASessionThatEndedTellsTheExpertToLogIt() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        XCTAssertFalse(try expert.ok(["meeting", "show", id]).contains("Next step"), "before it starts, nothing waits")
        try c.admin.ok(["clock", "set", "2030-03-11T15:30:00Z"])
        let list = try expert.ok(["meetings"])
        XCTAssertTrue(list.contains("agreed (log the session)"), list)
        // The user's list shows it too while it holds their credits, saying what it waits for.
        let users = try (try c.user).ok(["meetings"])
        XCTAssertTrue(users.contains("agreed (ended, to be logged)") && users.contains("100 (blocked)"), users)
        let shown = try expert.ok(["meeting", "show", id])
        XCTAssertTrue(shown.contains("log the session: meetctl log \(id) --attendance attended (or no_show)"), shown)
        XCTAssertFalse(try c.admin.ok(["meeting", "show", id]).contains("log the session"), "the office does not log sessions")
        try expert.ok(["log", id, "--attendance", "attended"])
        XCTAssertFalse(try expert.ok(["meetings"]).contains("log the session"), "logged: nothing waits")
        XCTAssertEqual(try (try c.user).ok(["meetings"]), "No meetings.\n", "logged, it has ended for the user too")
    }

    /// An expert who did not come is not pointed at a no-show of the user, which pays them and
    /// counts toward the user's suspension: a log that would leave an attended session no time
    /// says whose absence no_show records, and the user or an admin reports the expert's with
    /// `meetctl report-no-show`, which returns the credits (meetctl had no command for it).
    func testAnExpertWhoDidNotComeIsReportedNotLoggedAsTheUsersNoShow() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        try c.admin.ok(["clock", "set", "2030-03-11T15:30:00Z"])
        let noTime = try expert.fails(["log", id, "--attendance", "attended", "--adjust", "-60"], status: 1)
        XCTAssertTrue(
            noTime.stderr.contains("log no_show only if the user did not come; if the expert did not, the user or an admin reports it (meetctl report-no-show)"),
            noTime.stderr)
        let late = try expert.fails(["cancel", id, "--reason", "illness", "--yes"], status: 1)
        XCTAssertTrue(late.stderr.contains("the user may report that the expert did not come (meetctl report-no-show)"), late.stderr)
        XCTAssertEqual(try expert.fails(["report-no-show", id], status: 1).stderr.contains("error 4003"), true, "not the expert's to report")
        let reported = try c.admin.json(["report-no-show", id])
        XCTAssertEqual(reported["status"], "completed")
        XCTAssertEqual(reported["attendance"], "expert_no_show")
        XCTAssertEqual(reported["credit_status"], "returned")
        XCTAssertEqual(try c.finance.json(["trail", id])["transfers"]?.array?.compactMap { $0["kind"]?.string }, ["hold", "release"])
        XCTAssertTrue(try user.ok(["meeting", "show", id]).contains("completed"))
    }

    /// A new date left unanswered until the meeting started can no longer be taken, but it was
    /// shown as one to answer until the scheduler closed it: the service marks it lapsed as read
    /// (alternate.lapsed), the lists leave it out of NEW DATE? and say "new date lapsed", and
    /// `meeting show` says so beside it; the scheduler's run closes it as before.
    func testANewDateThatLapsedIsNotShownAsOneToAnswer() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        let proposed = try expert.json(["reschedule", id, "--start", "2030-03-12 11:00"])
        XCTAssertEqual(proposed["alternate"]?["lapsed"], false, "open while nothing has passed")
        XCTAssertTrue(try user.ok(["meetings"]).contains("Tue 12 Mar 2030"), "the new date to answer, on the user's clock")
        try c.admin.ok(["clock", "set", "2030-03-11T14:10:00Z"])  // 10:10 in New York: the meeting has started
        XCTAssertEqual(try user.json(["meeting", "show", id])["meeting"]?["alternate"]?["lapsed"], true)
        let list = try user.ok(["meetings"])
        XCTAssertTrue(list.contains("agreed (new date lapsed)"), list)
        XCTAssertFalse(list.contains("Tue 12 Mar 2030"), "not shown as a date to answer: \(list)")
        let shown = try user.ok(["meeting", "show", id])
        XCTAssertTrue(shown.contains("  lapsed") && shown.contains("it can no longer be taken"), shown)
        try c.admin.ok(["jobs", "run"])
        let closed = try user.json(["meeting", "show", id])
        XCTAssertEqual(closed["meeting"]?["alternate"], .null)
        XCTAssertTrue(closed["timeline"]?.array?.contains { $0["kind"] == "alternative_date_expired" } ?? false)

        // A new date before the meeting's own, whose time passes first: it lapses then, and
        // nobody is waited for (the expert was still starred to "answer the new date").
        let later = try c.agreedMeeting(start: "2030-03-15 10:00")
        let nine = try c.agreedMeeting(start: "2030-03-15 09:00")
        _ = try user.json(["reschedule", later, "--start", "2030-03-14 20:00"])  // 15:00 in New York on the 14th
        XCTAssertEqual(try expert.json(["meeting", "show", later])["meeting"]?["awaiting_action_by"], "expert")
        try c.admin.ok(["clock", "set", "2030-03-14T19:30:00Z"])
        let passed = try expert.json(["meeting", "show", later])["meeting"]
        XCTAssertEqual(passed?["alternate"]?["lapsed"], true)
        XCTAssertEqual(passed?["awaiting_action_by"], .null, "no one answers a date that has passed")
        let overlapping = try expert.json(["conflicts", "--start", "2030-03-15 10:00", "--length", "30"])["meetings"]?.array ?? []
        XCTAssertEqual(overlapping.map { $0["alternate"]?["lapsed"] }, [true], "conflicts read the meetings as of now too")
        // Listed by start among what waits for nobody, not first as awaiting the expert.
        XCTAssertEqual(try expert.json(["meetings"])["items"]?.array?.compactMap { $0["id"]?.string }, [id, nine, later])
        XCTAssertFalse(try c.admin.ok(["waiting"]).contains(String(later.suffix(6))), "nor on the office's list of what waits for the expert's side")
        let expertsList = try expert.ok(["meetings"])
        XCTAssertTrue(expertsList.contains("agreed (new date lapsed)") && !expertsList.contains("answer the new date"), expertsList)
        XCTAssertFalse(try expert.ok(["meeting", "show", later]).contains("Next step"))
    }

    /// A param the service names in a message is the command's option only where the refusal is
    /// of that call's own params: elsewhere it may be the other side's. The user confirming a
    /// proposal at a place retired since was sent to `--location`, which the user may not give.
    func testAnotherSidesParamInAMessageIsNotMadeThisCommandsOption() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let proposed = try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "60", "--price", "100", "--location", "Room 101",
        ])
        let id = try XCTUnwrap(proposed["id"]?.string)
        try c.admin.ok(["location", "set", "--location", c.roomId, "--retire"])
        let refused = try user.fails(["confirm", id], status: 1).stderr
        XCTAssertTrue(refused.contains("the expert's side confirms it at another location (location_id)"), refused)
        XCTAssertFalse(refused.contains("(--location)"), refused)
    }

    func testAStepOnAStaleVersionIsRefused() throws {
        let c = try MeetctlCommunity.make(#function)
        let id = try c.agreedMeeting(start: "2030-03-18 10:00")
        let expert = try c.expert
        let read = try XCTUnwrap(try expert.json(["meeting", "show", id])["meeting"]?["version"]?.int)
        // Meanwhile a new date is proposed (by the expert's side: here the expert themself).
        try expert.ok(["reschedule", id, "--start", "2030-03-19 10:00"])
        let stale = try expert.fails(["alternate", "withdraw", id, "--expected-version", String(read)], status: 1)
        XCTAssertTrue(stale.stderr.contains("4009"), stale.stderr)
        XCTAssertTrue(stale.stderr.contains("shows what changed and its Version now"), stale.stderr)
        // A version ahead of the meeting's was never read: the hint says no change.
        let ahead = try expert.fails(["alternate", "withdraw", id, "--expected-version", String(read + 5)], status: 1)
        XCTAssertTrue(ahead.stderr.contains("has never had version \(read + 5)"), ahead.stderr)
        XCTAssertTrue(ahead.stderr.contains("shows its Version; run the command again with that --expected-version"), ahead.stderr)
        XCTAssertFalse(ahead.stderr.contains("what changed"), ahead.stderr)
        let now = try XCTUnwrap(try expert.json(["meeting", "show", id])["meeting"])
        XCTAssertEqual(now["version"]?.int, read + 1, "unchanged by the refused step")
        XCTAssertNotEqual(now["alternate"], .null, "the new date stays proposed")
        let current = try XCTUnwrap(now["version"]?.int)
        XCTAssertEqual(try expert.json(["alternate", "withdraw", id, "--expected-version", String(current)])["version"]?.int, current + 1)
    }

    func testACounterOfferShowsWhatStaysHeld() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let proposed = try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
        ])
        let id = try XCTUnwrap(proposed["id"]?.string)
        let usersDate = try user.json(["reschedule", id, "--start", "2030-03-12 16:00"])
        XCTAssertEqual(usersDate["credit_status"], "blocked", "the user's own new date is their approval: 100 held")
        XCTAssertEqual(usersDate["held_credits"], 100)
        let longer = try expert.json(["reschedule", id, "--start", "2030-03-12 11:00", "--length", "90"])
        XCTAssertEqual(longer["price_credits"], 150)
        XCTAssertEqual(longer["held_credits"], 100)
        XCTAssertTrue(try user.ok(["meeting", "show", id]).split(separator: "\n").contains { $0.hasSuffix("150 (100 blocked)") })
        let csv = try user.ok(["meetings", "--csv"])
        XCTAssertTrue(csv.contains(",price_credits,held_credits,charged_credits,credit_status,"), csv)
        XCTAssertTrue(csv.contains(",150,100,,blocked,"), csv)
        let declined = try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-14 10:00", "--length", "1h", "--price", "100",
        ])
        let declinedId = try XCTUnwrap(declined["id"]?.string)
        try user.ok(["reschedule", declinedId, "--start", "2030-03-14 16:00"])
        try expert.ok(["reschedule", declinedId, "--start", "2030-03-14 11:00", "--length", "120"])
        let declinedAnswer = try user.json(["decline", declinedId, "--reason", "schedule_conflict"])
        XCTAssertEqual(declinedAnswer["returned_credits"], 100)
        let label = try XCTUnwrap(declinedAnswer["decline_reason"]?["label"]?.string)
        XCTAssertTrue(try user.ok(["meeting", "show", declinedId]).split(separator: "\n").contains { $0.hasPrefix("  declined for") && $0.hasSuffix(label) },
                      "the reason under the status")
        XCTAssertTrue(try user.ok(["meeting", "show", declinedId]).split(separator: "\n").contains { $0.hasSuffix("200 (100 returned)") },
                      "what came back, not the new price")
        XCTAssertEqual(try user.json(["confirm", id])["held_credits"], 150)
        XCTAssertTrue(try user.ok(["meeting", "show", id]).split(separator: "\n").contains { $0.hasSuffix("150 (blocked)") })
    }

    /// A meeting a customer's student comes to names the student in the table, `--csv` and
    /// `--json` alike (seed 003: the tutor sees "the customer making the request and the student
    /// wanting the session"); the CSV had the customer alone.
    func testAMeetingForAStudentNamesTheStudentInEveryOutput() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let student = try c.admin.json([
            "person", "add", "--email", "student-\(c.tag)@example.test", "--first", "Alex", "--last", "Young", "--roles", "user", "--tz", "Europe/Prague",
        ])
        let studentId = try XCTUnwrap(student["id"]?.string)
        // Linked with meetctl (it took JSON-RPC: meetctl had no command for it).
        XCTAssertEqual(try c.admin.ok(["student", "link", "--customer", c.userId, "--student", studentId]), "Sam Lee (\(c.userEmail)) acts for Alex Young (student-\(c.tag)@example.test).\n")
        let links = try c.admin.ok(["students", "--customer", c.userId])
        XCTAssertTrue(links.contains("CUSTOMER") && links.contains("Sam Lee") && links.contains("Alex Young"), links)
        // The customer and the student each list their own links without naming themselves.
        for own in [try c.user.ok(["students"]), try c.admin.acting(as: studentId).ok(["students"])] {
            XCTAssertTrue(own.contains("Sam Lee") && own.contains("Alex Young"), own)
        }
        let id = try XCTUnwrap(try expert.json([
            "propose", "--user", c.userId, "--student", studentId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
        ])["id"]?.string)
        XCTAssertTrue(try expert.ok(["meetings"]).contains("Sam Lee for Alex Young"), "the table")
        let listed = try expert.json(["meetings"])["items"]?.array ?? []
        XCTAssertEqual(listed.first { $0["id"]?.string == id }?["student_name"], "Alex Young", "--json")
        let csv = try expert.ok(["meetings", "--csv"]).components(separatedBy: "\r\n")
        XCTAssertTrue(csv.first?.contains(",user_id,user_name,student_id,student_name,expert_id,expert_name,") ?? false, "the CSV's columns: \(csv)")
        XCTAssertTrue(csv.contains { $0.hasPrefix(id + ",") && $0.contains(",\(c.userId),Sam Lee,\(studentId),Alex Young,\(c.expertId),") }, "--csv: \(csv)")
        // The proposal waits for the customer: marked in the customer's list, not in the
        // student's, who reads it but does not act on it.
        let customers = try c.user.ok(["meetings"])
        XCTAssertTrue(customers.contains("* awaiting your action"), customers)
        let students = try c.admin.acting(as: studentId).ok(["meetings"])
        XCTAssertTrue(students.contains("Alex Young") || students.contains(id.suffix(4)), students)
        XCTAssertFalse(students.contains("*"), "nothing waits for the student: \(students)")
        XCTAssertEqual(try c.user.json(["confirm", id])["status"], "agreed")
        let overlapping = try expert.ok(["conflicts", "--start", "2030-03-11 10:30", "--length", "30"])
        XCTAssertTrue(overlapping.contains("Sam Lee") && overlapping.contains("Alex Young"), "conflicts: \(overlapping)")
        // A weekly series the customer booked for the student names the student too; the
        // customer names the student by e-mail, as they know them.
        try c.user.ok([
            "series", "create", "--student", "student-\(c.tag)@example.test", "--service", c.serviceId, "--expert", c.expertId, "--start", "2030-03-12T14:00:00Z",
            "--location", c.roomId, "--weeks", "2",
        ])
        let series = try expert.ok(["series"])
        XCTAssertTrue(series.contains("FOR") && series.contains("Alex Young"), "the series table: \(series)")
        // Ending the link leaves the meetings as they are.
        XCTAssertEqual(try c.admin.ok(["student", "link", "--customer", c.userId, "--student", studentId, "--remove"]), "Sam Lee (\(c.userEmail)) no longer acts for Alex Young (student-\(c.tag)@example.test).\n")
        XCTAssertEqual(try c.admin.ok(["students", "--customer", c.userId]), "No students.\n")
        XCTAssertEqual(try expert.json(["meeting", "show", id])["meeting"]?["student_name"], "Alex Young")
    }

    /// Admins and the office book for a user from meetctl: `slots --user` shows the times as the
    /// user would see them, `book --user` requests one from the user's wallet (they could only
    /// through the API).
    func testAdminsSearchAndBookForAUser() throws {
        let c = try MeetctlCommunity.make(#function)
        let times = try c.admin.ok(["slots", "--service", c.serviceId, "--from", "2030-03-11", "--to", "2030-03-12", "--user", c.userId])
        XCTAssertTrue(times.contains("START") && times.contains("EXPERTS") && times.contains("Mon 11 Mar 2030 09:00"), times)
        XCTAssertTrue(times.contains("Room 101"), "where: \(times)")
        // One page at a time: the cursor it prints gives the next.
        let first = try c.admin.ok(["slots", "--service", c.serviceId, "--from", "2030-03-11", "--to", "2030-03-12", "--user", c.userId, "--limit", "1"])
        let cursor = try XCTUnwrap(first.components(separatedBy: "--cursor ").last?.trimmingCharacters(in: .whitespacesAndNewlines), first)
        let second = try c.admin.ok(["slots", "--service", c.serviceId, "--from", "2030-03-11", "--to", "2030-03-12", "--user", c.userId, "--limit", "1", "--cursor", cursor])
        XCTAssertTrue(first.contains("Mon 11 Mar 2030 09:00") && second.contains("Mon 11 Mar 2030 09:30"), "\(first)\n\(second)")
        let booked = try c.admin.json([
            "book", "--user", c.userId, "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-11 09:00", "--location", "Room 101",
        ])
        XCTAssertEqual(booked["status"], "awaiting_approval")
        XCTAssertEqual(booked["user_id"]?.string, c.userId)
        let after = try c.admin.ok(["slots", "--service", c.serviceId, "--from", "2030-03-11 09:00", "--to", "2030-03-11 10:00", "--user", c.userId])
        XCTAssertFalse(after.contains("Mon 11 Mar 2030 09:00"), "the time is taken: \(after)")
        let refused = try (try c.expert).fails(["book", "--user", c.userId, "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-12 09:00", "--location", "Room 101"], status: 1)
        XCTAssertTrue(refused.stderr.contains("4003"), refused.stderr)
        // Where enrolment is required, an empty calendar says whom the user is not assigned to.
        try c.admin.ok(["settings", "set", "require_enrollment=true"])
        let unassigned = try c.admin.ok(["slots", "--service", c.serviceId, "--from", "2030-03-12", "--to", "2030-03-13", "--user", c.userId])
        XCTAssertTrue(unassigned.contains("No bookable times in that range.\n1 expert of this service is not assigned to them: their times are not shown"), unassigned)
        let own = try (try c.user).ok(["slots", "--service", c.serviceId, "--from", "2030-03-12", "--to", "2030-03-13"])
        XCTAssertTrue(own.contains("1 expert of this service is not assigned to you"), own)
        // New hours that leave the booked request outside them say so; the request stays.
        let hours = try (try c.expert).ok(["availability", "set", "--rule", "Sat 10:00-12:00 @Video call"])
        let bookedId = try XCTUnwrap(booked["id"]?.string)
        XCTAssertTrue(hours.contains("1 meeting already outside these hours stays as it is (new hours stop new bookings only):\n  \(bookedId)\n"), hours)
    }

    /// A weekly series is booked from meetctl too (the office for a user, or a user for
    /// themself): it had only skip and cancel, and a series could be made only over JSON-RPC.
    func testTheOfficeBooksAWeeklySeriesForAUser() throws {
        let c = try MeetctlCommunity.make(#function)
        let shown = try c.admin.ok([
            "series", "create", "--user", c.userId, "--expert", c.expertId, "--service", "CHEM101", "--start", "2030-03-11 09:00", "--location", "Room 101",
            "--weeks", "3",
        ])
        XCTAssertTrue(shown.contains("Weekday  Mon") && shown.contains("Weeks    3") && shown.contains("ser_"), shown)
        let listed = try c.user.json(["series"])
        let series = try XCTUnwrap(listed["items"]?.array?.first, "\(listed)")
        XCTAssertEqual(series["weeks"]?.int, 3)
        XCTAssertEqual(series["user_id"]?.string, c.userId)
        XCTAssertEqual(series["occurrences"]?.array?.count, 3, "its dates within the horizon are booked")
        let refused = try c.user.fails(["series", "create", "--expert", c.expertId, "--service", "CHEM101", "--start", "2030-03-11 09:00", "--location", "Room 101"], status: 1)
        XCTAssertTrue(refused.stderr.contains("slot_unavailable") || refused.stderr.contains("time_conflict"), "the time is taken: \(refused.stderr)")
        // A change of the grid that leaves the series' 09:00 (New York, 13:00 UTC: 18:45 in Kathmandu) off it names the series.
        let moved = try c.admin.ok(["settings", "set", "time_zone=Asia/Kathmandu"])
        XCTAssertTrue(moved.contains("1 weekly series now starts off the new grid: none of their dates is booked again"), moved)
        XCTAssertTrue(moved.contains("  \(series["id"]?.string ?? "?")\n"), moved)
        XCTAssertFalse(try c.admin.ok(["settings", "set", "time_zone=America/New_York"]).contains("off the new grid"), "back on it")
    }

    /// Seed 004: "From the details of the meeting, the expert can switch to the chat or start a
    /// chat with the user." `chat send` and `chat show` take the meeting (its id, its end or a row
    /// number) as well as a conversation; before, a meeting id was refused as a malformed
    /// conversation id.
    func testAMeetingsChatIsReachedFromTheMeeting() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        XCTAssertTrue(try expert.ok(["chat", "send", id, "Bring your lab notes"]).hasPrefix("Sent msg_"))
        XCTAssertTrue(try user.ok(["chat", "show", String(id.suffix(8))]).contains("Bring your lab notes"), "the user reads it from the meeting")
        _ = try expert.ok(["meetings"])
        XCTAssertTrue(try expert.ok(["chat", "show", "1"]).contains("Talia Kim"), "by the row number of the listing")
        let conversations = try expert.json(["chats"])["items"]?.array ?? []
        XCTAssertEqual(conversations.count, 1, "the meeting's chat is the two people's conversation")
        let conversation = try XCTUnwrap(conversations.first?["id"]?.string)
        XCTAssertTrue(try user.ok(["chat", "send", conversation, "Will do"]).hasPrefix("Sent msg_"))
        // After "--" a word is the text, even one that reads like an option (it printed the help).
        XCTAssertTrue(try user.ok(["chat", "send", conversation, "--", "--help"]).hasPrefix("Sent msg_"))
        let messages = try expert.json(["chat", "show", id])["items"]?.array ?? []
        XCTAssertEqual(messages.compactMap { $0["text"]?.string }, ["Bring your lab notes", "Will do", "--help"])
        XCTAssertEqual(messages.first?["meeting_id"]?.string, id, "written from the meeting, it says so")
        let bad = try expert.fails(["chat", "show", "per_0"], status: 2)
        XCTAssertTrue(bad.stderr.contains("expects a conversation id cnv_…, or a meeting"), bad.stderr)
    }

    /// Where the community requires session details, the expert makes a declined meeting's new
    /// date with `alternate confirm --session-type --location`, as with `confirm`.
    func testADeclinedMeetingsNewDateIsMadeWithAlternateConfirm() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        try c.admin.ok(["settings", "set", "require_confirm_details=true"])
        let id = try XCTUnwrap(try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
        ])["id"]?.string)
        XCTAssertEqual(try user.json(["decline", id, "--reason", "schedule_conflict"])["status"], "rejected")
        try user.ok(["reschedule", id, "--start", "2030-03-12 16:00"])
        let missing = try expert.fails(["alternate", "confirm", id], status: 1)
        XCTAssertTrue(missing.stderr.contains("session"), missing.stderr)
        let made = try expert.json(["alternate", "confirm", id, "--session-type", "online", "--location", "Video call"])
        XCTAssertEqual(made["status"], "agreed")
        XCTAssertEqual(made["session_type"], "online")
        XCTAssertEqual(made["location_id"]?.string, c.videoId)
    }

    /// Where sessions must be logged, a refusal for an unlogged one says how, in meetctl's words.
    func testASessionToLogFirstIsNamedWithTheCommandThatLogsIt() throws {
        let c = try MeetctlCommunity.make(#function)
        try c.admin.ok(["settings", "set", "require_session_log=true"])
        let id = try c.agreedMeeting(start: "2030-03-18 10:00")
        try c.admin.ok(["clock", "set", "2030-03-18T16:00:00Z"])
        let refused = try (try c.expert).fails([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-25 10:00", "--length", "60", "--price", "100",
        ], status: 1)
        XCTAssertTrue(refused.stderr.contains("error 4024: session_log_required"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains(id), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("meetctl log MEETING --attendance attended"), refused.stderr)
        XCTAssertTrue(try (try c.expert).ok(["log", id, "--attendance", "attended"]).contains("completed"))
    }

    /// A refusal that names the service's method, or asks to read the meeting again, says which
    /// meetctl command does it.
    func testRefusalsNameTheCommandThatDoesWhatTheyAsk() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        try c.admin.ok(["settings", "set", "experts_may_propose=false"])
        let refused = try expert.fails([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-12 10:00", "--length", "60", "--price", "100",
        ], status: 1)
        XCTAssertTrue(refused.stderr.contains("error 4003: forbidden"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("meetctl reschedule MEETING --start TIME"), "in meetctl's words: \(refused.stderr)")
        let reference = String(id.suffix(8))
        let stale = try expert.fails(["reschedule", reference, "--start", "2030-03-12 11:00", "--expected-version", "1"], status: 1)
        XCTAssertTrue(stale.stderr.contains("error 4009: invalid_state"), stale.stderr)
        XCTAssertTrue(stale.stderr.contains("meetctl meeting show \(reference)"), "says how to read it again: \(stale.stderr)")
    }

    func testATemporaryRefusalSaysHowToRetrySafely() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let wallet = try XCTUnwrap(try finance.json(["balance", "--person", c.userId])["account_id"]?.string)
        // The wallet stays locked until both grants have met the lock (a session held open, not a
        // timed sleep that a slow machine outlasts).
        let holder = try PsqlSession(try TestEnvironment.databaseURL())
        defer { holder.close() }
        try holder.query("BEGIN; SELECT 1 FROM accounts WHERE id = '\(wallet)' FOR UPDATE;")
        let timeout = ["MEETINGLEDGER_LOCK_TIMEOUT_MS": "300"]
        let keyless = try finance.run(["grant", "--user", c.userId, "--credits", "5", "--reference", "locked-1"], environment: timeout)
        XCTAssertEqual(keyless.termination, .exited(1), keyless.stderr)
        XCTAssertTrue(keyless.stderr.contains("error 5032: lock_timeout"), keyless.stderr)
        XCTAssertTrue(keyless.stderr.contains("run it with --idempotency-key KEY"), keyless.stderr)
        let keyed = try finance.run(["grant", "--user", c.userId, "--credits", "5", "--reference", "locked-2", "--idempotency-key", "k-2"], environment: timeout)
        XCTAssertTrue(keyed.stderr.contains("(temporary: trying again may succeed)"), keyed.stderr)
        try holder.query("ROLLBACK;")
    }

    /// Where the community requires session details, a new date the user accepted waits for the
    /// expert to make the session: `meetings` and `meeting show` say so, as `waiting` does.
    func testANewDateTheUserAcceptedTellsTheExpertToMakeTheSession() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        try c.admin.ok(["settings", "set", "require_confirm_details=true"])
        let id = try XCTUnwrap(try user.json([
            "book", "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-11T14:00:00Z", "--location", "Room 101",
        ])["id"]?.string)
        try expert.ok(["reschedule", id, "--start", "2030-03-12 10:00"])
        XCTAssertEqual(try user.json(["confirm", id])["awaiting_processing"], true)

        let table = try expert.ok(["meetings"])
        let row = try XCTUnwrap(table.split(separator: "\n").first { $0.contains(id) }, table)
        XCTAssertTrue(row.contains("make the session"), "the row says the next step: \(table)")
        XCTAssertTrue(table.contains("meetctl confirm MEETING --session-type TYPE --location LOC"), table)
        let shown = try expert.ok(["meeting", "show", id])
        let step = try XCTUnwrap(shown.split(separator: "\n").first { $0.hasPrefix("Next step ") }, shown)
        XCTAssertTrue(step.hasSuffix("  make the session: meetctl confirm \(id) --session-type TYPE --location LOC"), shown)
        // The step is the expert's: the user reads no step of theirs.
        XCTAssertFalse(try user.ok(["meeting", "show", id]).contains("Next step"))
        XCTAssertFalse(try user.ok(["meetings"]).contains("make the session"))

        XCTAssertEqual(try expert.json(["confirm", id, "--session-type", "online", "--location", "Video call"])["status"], "agreed")
        XCTAssertFalse(try expert.ok(["meeting", "show", id]).contains("Next step"), "nothing waits once it is made")
    }

    /// Where the community requires session details, a request's next step says to give them
    /// with the confirm: the command it prints is one that works as printed.
    func testARequestsNextStepGivesTheSessionDetailsTheCommunityRequires() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let book = ["book", "--expert", c.expertId, "--service", c.serviceId, "--location", "Room 101", "--start"]
        let plain = try XCTUnwrap(try user.json(book + ["2030-03-11T14:00:00Z"])["id"]?.string)
        let said = try expert.ok(["meeting", "show", plain])
        XCTAssertTrue(said.contains("confirm or decline: meetctl confirm \(plain), or meetctl decline \(plain) --reason CODE"), said)

        try c.admin.ok(["settings", "set", "require_confirm_details=true"])
        let id = try XCTUnwrap(try user.json(book + ["2030-03-12T14:00:00Z"])["id"]?.string)
        let shown = try expert.ok(["meeting", "show", id])
        let step = try XCTUnwrap(shown.split(separator: "\n").first { $0.hasPrefix("Next step ") }, shown)
        XCTAssertTrue(step.hasSuffix("confirm or decline: meetctl confirm \(id) --session-type TYPE --location LOC, or meetctl decline \(id) --reason CODE"), shown)
        XCTAssertEqual(try expert.json(["confirm", id, "--session-type", "online", "--location", "Video call"])["status"], "agreed")
    }

    func testServiceErrorsExitOneWithTheirCode() throws {
        let c = try MeetctlCommunity.make(#function)
        let missing = try c.admin.fails(["meeting", "show", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50"], status: 1)
        XCTAssertTrue(missing.stderr.contains("error 4004: not_found"), missing.stderr)
        XCTAssertEqual(missing.stdout, "")
        let forbidden = try (try c.user).fails(["grant", "--user", c.userId, "--credits", "5", "--reference", "self-service"], status: 1)
        XCTAssertTrue(forbidden.stderr.contains("error 4003: forbidden"), forbidden.stderr)
        let badZone = try (try c.expert).fails(["availability", "set", "--tz", "Mars/Olympus", "--rule", "Mon 09:00-10:00 @Room 101"], status: 1)
        XCTAssertTrue(badZone.stderr.contains("error -32602: invalid_params"), badZone.stderr)
        XCTAssertTrue(badZone.stderr.contains("field: time_zone"), badZone.stderr)
        XCTAssertTrue(badZone.stderr.hasPrefix("meetctl: --tz: is not an IANA time zone name"), "the option given is named: \(badZone.stderr)")
        let unknownPlace = try (try c.expert).fails(["availability", "set", "--rule", "Mon 09:00-10:00 @Moon base"], status: 2)
        XCTAssertTrue(unknownPlace.stderr.contains("no location called \"Moon base\""), unknownPlace.stderr)
        XCTAssertTrue(unknownPlace.stderr.contains("hint: locations: Room 101, Video call"), unknownPlace.stderr)
    }

    func testAvailabilityCommands() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let week = try expert.json(["availability", "show", "--from", "2030-03-11", "--to", "2030-03-18"])
        XCTAssertEqual(week["weekly"]?.array?.count, 6, "Mon-Fri and Sat: \(week)")
        XCTAssertEqual(week["free"]?[0]?["start"], "2030-03-11T13:00:00Z", "09:00 EDT on Monday")
        let table = try expert.ok(["availability", "show", "--from", "2030-03-11"])
        XCTAssertTrue(table.contains("Mon  09:00  17:00  Room 101, Video call"), table)
        XCTAssertTrue(table.contains("Sat 16 Mar 2030 10:00 EDT  Sat 16 Mar 2030 12:00 EDT  Video call"), table)

        // 02:30 on 10 March 2030 does not exist in New York (summer time begins): refused, not moved.
        let skipped = try expert.fails(["availability", "block", "--start", "2030-03-10 02:30", "--end", "2030-03-10 04:00"], status: 2)
        XCTAssertTrue(skipped.stderr.contains("2030-03-10 02:30 does not exist on your clock (America/New_York)"), skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("03:30"), "says what it would have been: \(skipped.stderr)")
        // 01:30 on 3 November 2030 happens twice (summer time ends): asked again with its offset.
        let twice = try expert.fails(["availability", "block", "--start", "2030-11-03 01:30", "--end", "2030-11-03 04:00"], status: 2)
        XCTAssertTrue(twice.stderr.contains("2030-11-03 01:30 happens twice on your clock (America/New_York)"), twice.stderr)
        XCTAssertTrue(twice.stderr.contains("2030-11-03T01:30:00-04:00") && twice.stderr.contains("2030-11-03T01:30:00-05:00"), twice.stderr)
        let second = try expert.json(["availability", "block", "--start", "2030-11-03T01:30:00-05:00", "--end", "2030-11-03 04:00"])
        XCTAssertEqual(second["start"], "2030-11-03T06:30:00Z", "the second 01:30, as given")
        let free = try expert.json(["availability", "free", "--start", "2030-03-17 13:00", "--end", "2030-03-17 15:00", "--location", "Room 101,Video call"])
        let freeId = try XCTUnwrap(free["id"]?.string)
        XCTAssertEqual(free["location_ids"]?.array?.count, 2)
        XCTAssertTrue(try expert.ok(["availability", "free", "--start", "2030-03-18 13:00", "--end", "2030-03-18 14:00", "--location", "Room 101"])
            .contains("\nLocations  Room 101\n"), "the place by name")
        let blocked = try expert.json(["availability", "block", "--start", "2030-03-12 08:00", "--end", "2030-03-12 12:00"])
        XCTAssertEqual(blocked["start"], "2030-03-12T12:00:00Z")
        let after = try expert.json(["availability", "show", "--from", "2030-03-11", "--to", "2030-03-18"])
        XCTAssertTrue(after["free"]?.array?.contains { $0["start"] == "2030-03-17T17:00:00Z" } ?? false, "the Sunday period is free: \(after)")
        XCTAssertTrue(try expert.ok(["availability", "show", "--from", "2030-03-11"]).contains("Blocked:"))
        // Nothing named, or half a range: a usage mistake (exit 2), told before anything is sent.
        for words in [["availability", "remove"], ["availability", "remove", "--start", "2030-03-12"],
                      ["availability", "remove", "--period", freeId, "--start", "2030-03-12", "--end", "2030-03-13"]] {
            let refused = try expert.fails(words, status: 2)
            XCTAssertTrue(refused.stderr.contains("--period PERIOD, or --start and --end"), refused.stderr)
        }
        XCTAssertEqual(try expert.ok(["availability", "remove", "--period", freeId]), "Removed 1 period.\n")
        XCTAssertEqual(try expert.json(["availability", "remove", "--start", "2030-03-12", "--end", "2030-03-13"])["removed"], 1)

        let replaced = try expert.json(["availability", "set", "--tz", "Europe/Prague", "--rule", "Tue,Thu 08:00-10:00 @Room 101"])
        XCTAssertEqual(replaced["time_zone"], "Europe/Prague")
        XCTAssertEqual(replaced["rules"]?.array?.map { $0["weekday"] }, [2, 4])
        XCTAssertTrue(try expert.ok(["availability", "set", "--rule", "Wed 13:00-15:00 @Video call"]).contains("Weekly hours (America/New_York):"),
                      "--tz defaults to the expert's own zone")
        // An admin looks at the expert's calendar.
        XCTAssertEqual(try c.admin.json(["availability", "show", "--expert", c.expertId, "--from", "2030-03-11"])["weekly"]?.array?.count, 1)

        // A date is the start of its day, also where the clocks skip midnight (Havana, 9 March
        // 2031: 00:00 becomes 01:00) or show it twice (2 November 2031): it was refused as a
        // time that does not exist or happens twice.
        _ = try c.admin.ok(["person", "set", c.expertId, "--tz", "America/Havana"])
        let skippedMidnight = try expert.ok(["availability", "show", "--from", "2031-03-09"])
        XCTAssertTrue(skippedMidnight.contains("from Sun 9 Mar 2031 01:00 CDT to Sun 16 Mar 2031 00:00 CDT"), skippedMidnight)
        let toSkipped = try expert.ok(["availability", "show", "--from", "2031-03-08", "--to", "2031-03-09"])
        XCTAssertTrue(toSkipped.contains("from Sat 8 Mar 2031 00:00 CST to Sun 9 Mar 2031 01:00 CDT"), toSkipped)
        let twiceMidnight = try expert.ok(["availability", "show", "--from", "2031-11-02", "--to", "2031-11-03"])
        XCTAssertTrue(twiceMidnight.contains("from Sun 2 Nov 2031 00:00 CDT to Mon 3 Nov 2031 00:00 CST"), twiceMidnight)
    }

    func testActingByEmail() throws {
        let c = try MeetctlCommunity.make(#function)
        // Someone of the community in MEETINGLEDGER_ACTOR lets --as and person options take emails.
        let asFinance = try c.admin.json(["--as", c.financeEmail, "balance", "--person", c.userEmail])
        XCTAssertEqual(asFinance["owner_id"]?.string, c.userId)
        XCTAssertEqual(asFinance["posted"], 500)
        let me = try c.admin.json(["person", "show", "--as", c.expertEmail])
        XCTAssertEqual(me["id"]?.string, c.expertId)
        let unknown = try c.admin.fails(["--as", "nobody-\(c.tag)@example.test", "meetings"], status: 1)
        XCTAssertTrue(unknown.stderr.contains("nobody you may look up has the e-mail"), unknown.stderr)
        // Experts and users look people up too (MeetctlLookupTests).
    }
}
