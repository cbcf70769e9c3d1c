import Foundation
import XCTest

/// `meetctl cancel` inside the cancellation window (48 hours by default): the service asks for
/// confirm_late and says what it costs; meetctl asks on a terminal, goes ahead with --yes, and
/// otherwise cancels nothing (exit status 1).
final class MeetctlCancellationTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// A community with one agreed meeting on Monday 18 March 10:00 New York time, and the
    /// service clock a day before it (inside the window).
    func lateMeeting(_ label: String) throws -> (MeetctlCommunity, String) {
        let c = try MeetctlCommunity.make(label)
        let id = try c.agreedMeeting(start: "2030-03-18 10:00")
        try c.admin.ok(["clock", "set", "2030-03-17T14:00:00Z"])
        return (c, id)
    }

    func testWithoutATerminalNothingIsCancelled() throws {
        let (c, id) = try lateMeeting(#function)
        let result = try (try c.expert).fails(["cancel", id, "--reason", "illness"], status: 1)
        XCTAssertTrue(result.stderr.contains("error 4013: late_cancellation_requires_confirmation"), result.stderr)
        XCTAssertTrue(result.stderr.contains("consequences: The user's credits will be returned"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--yes"), "says how to go ahead: \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("[y/N]"), "no question without a terminal")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["status"], "agreed")
    }

    /// meeting show of a cancelled meeting says who cancelled it and for what, by the reason's
    /// label, as a declined one says its reason.
    func testMeetingShowSaysWhoCancelledItAndWhy() throws {
        let c = try MeetctlCommunity.make(#function)
        let id = try c.agreedMeeting(start: "2030-03-25 10:00")
        try (try c.expert).ok(["cancel", id, "--reason", "illness"])
        let shown = try c.admin.ok(["meeting", "show", id])
        let lines = shown.split(separator: "\n")
        let status = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Status ") }, shown)
        XCTAssertTrue(lines[status].hasSuffix(" cancelled"), shown)
        let said = lines[status + 1]
        XCTAssertTrue(said.hasPrefix("  cancelled by "), "beside the status: \(shown)")
        XCTAssertEqual(said.dropFirst("  cancelled by ".count).trimmingCharacters(in: .whitespaces), "Talia Kim (expert) for Illness", shown)

        // A proposal withdrawn by the expert who made it is cancelled too: its show says by whom.
        let proposal = try (try c.expert).json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-26 10:00", "--length", "60", "--price", "100", "--location", "Video call",
        ])
        let proposed = try XCTUnwrap(proposal["id"]?.string)
        try (try c.expert).ok(["withdraw", proposed])
        let withdrawn = try c.admin.ok(["meeting", "show", proposed])
        XCTAssertTrue(withdrawn.contains("\n  withdrawn by  Talia Kim (expert)\n"), withdrawn)

        // An expired request says whose answer it waited for; an expired proposal, the user's.
        let request = try (try c.user).json(["book", "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-27 16:00", "--location", "Video call"])
        let requested = try XCTUnwrap(request["id"]?.string)
        let unanswered = try XCTUnwrap(try (try c.expert).json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-27 12:00", "--length", "60", "--price", "100", "--location", "Video call",
        ])["id"]?.string)
        try c.admin.ok(["clock", "set", "2030-03-28T00:00:00Z"])
        try c.admin.ok(["jobs", "run"])
        let expired = try c.admin.ok(["meeting", "show", requested])
        XCTAssertTrue(expired.contains("\n  unanswered  Talia Kim (expert) before it started\n"), expired)
        XCTAssertTrue(try c.admin.ok(["meeting", "show", unanswered]).contains("  unanswered  Sam Lee (user) before it started"))
    }

    func testYesCancelsLateAndTheUserIsCharged() throws {
        let (c, id) = try lateMeeting(#function)
        let user = try c.user
        let result = try user.run(["cancel", id, "--reason", "illness", "--note", "Fever", "--yes", "--json"])
        XCTAssertEqual(result.termination, .exited(0), result.stderr)
        XCTAssertTrue(
            result.stderr.contains("Cancelled within the cancellation window: 100 of its 100 credits were charged."),
            "what --yes agreed to is said: \(result.stderr)")
        let cancelled = try JSONValue.parse(result.stdout)
        XCTAssertEqual(cancelled["status"], "cancelled")
        XCTAssertEqual(cancelled["credit_status"], "paid", "a user's late cancellation is charged")
        XCTAssertEqual(try user.json(["balance"])["posted"], 400)
        let events = try user.json(["meeting", "show", id])["timeline"]?.array?.compactMap { $0["kind"]?.string } ?? []
        XCTAssertEqual(events.last, "cancelled_by_user")
    }

    /// README: "run the same command (the same options) with the same key again after a lost
    /// answer; it is made at most once, and the second run shows the first one's answer" — a late
    /// cancellation with --yes too (its retry was refused as cancelling a cancelled meeting).
    func testALateCancellationRunAgainWithItsKeyShowsTheFirstAnswer() throws {
        let (c, id) = try lateMeeting(#function)
        let user = try c.user
        let command = ["cancel", id, "--reason", "illness", "--yes", "--idempotency-key", "cancel-\(c.tag)", "--json"]
        let first = try JSONValue.parse(try user.ok(command))
        let again = try user.run(command)
        XCTAssertEqual(again.termination, .exited(0), again.stderr)
        XCTAssertEqual(try JSONValue.parse(again.stdout), first, "the first answer, shown again")
        XCTAssertEqual(first["credit_status"], "paid")
        XCTAssertEqual(try user.json(["balance"])["posted"], 400, "charged once")
    }

    /// The same on a terminal: the run again is answered with the first run's cancellation and
    /// its charge, without asking again (it asked, then failed on a cancelled meeting: the
    /// confirmed call had gone under another key).
    func testOnATerminalARunAgainWithItsKeyShowsTheFirstAnswer() throws {
        let (c, id) = try lateMeeting(#function)
        let user = try c.user
        let command = ["cancel", id, "--reason", "illness", "--idempotency-key", "asked-\(c.tag)"]
        let first = try user.onTerminal(command, answering: "y")
        XCTAssertEqual(first.termination, .exited(0), first.stdout)
        XCTAssertTrue(first.stdout.contains("Cancel anyway? [y/N]"), first.stdout)
        let again = try user.onTerminal(command, answering: "y")
        XCTAssertEqual(again.termination, .exited(0), again.stdout)
        XCTAssertFalse(again.stdout.contains("Cancel anyway?"), "nothing to ask: it is done: \(again.stdout)")
        XCTAssertTrue(again.stdout.contains("Status    cancelled"), again.stdout)
        XCTAssertTrue(again.stdout.contains("Cancelled within the cancellation window: 100 of its 100 credits were charged."), again.stdout)
        XCTAssertEqual(try user.json(["balance"])["posted"], 400, "charged once")
        // Outside the window too: the run again may add --yes.
        let early = try c.agreedMeeting(start: "2030-03-25 10:00")
        let once = try JSONValue.parse(try user.ok(["cancel", early, "--reason", "illness", "--idempotency-key", "early-\(c.tag)", "--json"]))
        let withYes = try JSONValue.parse(try user.ok(["cancel", early, "--reason", "illness", "--idempotency-key", "early-\(c.tag)", "--json", "--yes"]))
        XCTAssertEqual(withYes, once)
    }

    /// A retry key longer than the service takes is a usage mistake meetctl tells itself (exit 2,
    /// nothing sent), as an empty one is; it was the service's -32602 (exit 1).
    func testAKeyTooLongIsAUsageMistake() throws {
        let (c, id) = try lateMeeting(#function)
        let tooLong = String(repeating: "k", count: 201)
        let refused = try (try c.user).fails(["cancel", id, "--reason", "illness", "--yes", "--idempotency-key", tooLong], status: 2)
        XCTAssertTrue(refused.stderr.contains("--idempotency-key: must have at most 200 characters, got 201"), refused.stderr)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["status"], "agreed", "nothing was sent")
        let setting = try c.admin.fails(["settings", "set", "horizon_days=30", "--idempotency-key", tooLong], status: 2)
        XCTAssertTrue(setting.stderr.contains("at most 200 characters"), setting.stderr)
        let longest = try JSONValue.parse(try (try c.user).ok(["cancel", id, "--reason", "illness", "--yes", "--idempotency-key", String(tooLong.dropFirst()), "--json"]))
        XCTAssertEqual(longest["status"], "cancelled", "200 characters are taken")
    }

    /// A row number names whatever the last listing put there: the same command with the same
    /// key after a new listing may name another meeting, and the refusal (4090) says so.
    func testAKeyReusedThroughARowNumberSaysTheRowMayNameAnotherMeeting() throws {
        let c = try MeetctlCommunity.make(#function)
        let user = try c.user, expert = try c.expert
        for start in ["2030-03-11T14:00:00Z", "2030-03-12T14:00:00Z"] {
            try user.ok(["book", "--expert", c.expertId, "--service", c.serviceId, "--start", start, "--location", "Room 101"])
        }
        _ = try expert.ok(["meetings"])
        try expert.ok(["confirm", "1", "--idempotency-key", "confirm-\(c.tag)"])
        _ = try expert.ok(["meetings"])
        let refused = try expert.fails(["confirm", "1", "--idempotency-key", "confirm-\(c.tag)"], status: 1)
        XCTAssertTrue(refused.stderr.contains("error 4090: idempotency_key_reused"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("the key was first used with other options, or for another meeting: row 1 is the meeting in the last listing"), refused.stderr)
    }

    /// With half the price charged, the meeting shows what was paid, not the whole price.
    func testAPartialChargeShowsWhatWasPaid() throws {
        let (c, id) = try lateMeeting(#function)
        try c.admin.ok(["settings", "set", "user_late_cancel_charge_percent=50"])
        let user = try c.user
        let cancelled = try user.json(["cancel", id, "--reason", "illness", "--yes"])
        XCTAssertEqual(cancelled["credit_status"], "paid")
        XCTAssertEqual(cancelled["charged_credits"], 50, "the cancellation's answer says what was charged")
        XCTAssertEqual(try user.json(["balance"])["posted"], 450)
        XCTAssertEqual(cancelled["returned_credits"], 50, "and what went back")
        let read = try user.json(["meeting", "show", id])["meeting"]
        XCTAssertEqual([read?["charged_credits"], read?["returned_credits"]], [50, 50], "and so does the meeting read back")
        let shown = try user.ok(["meeting", "show", id])
        XCTAssertTrue(shown.split(separator: "\n").contains { $0.hasSuffix("100 (50 paid, 50 returned)") }, shown)
        let listed = try user.ok(["meetings", "--status", "cancelled"])
        XCTAssertTrue(listed.contains("100 (50 paid, 50 returned)"), listed)
        let csv = try user.ok(["meetings", "--status", "cancelled", "--csv"])
        XCTAssertTrue(csv.contains(",price_credits,held_credits,charged_credits,credit_status,"), csv)
        XCTAssertTrue(csv.contains(",100,0,50,paid,"), csv)
    }

    func testOnATerminalItAsks() throws {
        let (c, id) = try lateMeeting(#function)
        let expert = try c.expert
        let no = try expert.onTerminal(["cancel", id, "--reason", "illness"], answering: "n")
        XCTAssertEqual(no.termination, .exited(1), no.stdout)
        XCTAssertTrue(no.stdout.contains("This meeting starts within the 48-hour cancellation window."), no.stdout)
        XCTAssertTrue(no.stdout.contains("Cancel anyway? [y/N]"), no.stdout)
        XCTAssertTrue(no.stdout.contains("Not cancelled"), no.stdout)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["status"], "agreed")

        let yes = try expert.onTerminal(["cancel", id, "--reason", "illness"], answering: "y")
        XCTAssertEqual(yes.termination, .exited(0), yes.stdout)
        XCTAssertTrue(yes.stdout.contains("Status    cancelled"), yes.stdout)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["credit_status"], "returned", "an expert's cancellation returns the credits")
    }

    /// Logging a no-show may suspend the user (seed 000: "make sure you really mean it!"): on a
    /// terminal meetctl asks first; "n" logs nothing, "y" logs it.
    func testANoShowIsAskedAboutOnATerminal() throws {
        let c = try MeetctlCommunity.make(#function)
        let id = try c.agreedMeeting(start: "2030-03-18 10:00")
        try c.admin.ok(["clock", "set", "2030-03-18T15:30:00Z"])
        let expert = try c.expert
        let no = try expert.onTerminal(["log", id, "--attendance", "no_show"], answering: "n")
        XCTAssertEqual(no.termination, .exited(1), no.stdout)
        XCTAssertTrue(no.stdout.contains("may suspend the user") && no.stdout.contains("Log the user as a no-show? [y/N]"), no.stdout)
        XCTAssertTrue(no.stdout.contains("Not logged"), no.stdout)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["status"], "agreed")
        let command = ["log", id, "--attendance", "no_show", "--idempotency-key", "noshow-\(c.tag)"]
        let yes = try expert.onTerminal(command, answering: "y")
        XCTAssertEqual(yes.termination, .exited(0), yes.stdout)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["attendance"], "no_show")
        // Run again with its key, it shows the first answer and asks nothing (it asked again, and
        // "n" said "Not logged" of a no-show logged).
        let again = try expert.onTerminal(command, answering: "n")
        XCTAssertEqual(again.termination, .exited(0), again.stdout)
        XCTAssertFalse(again.stdout.contains("Log the user as a no-show?"), again.stdout)
        XCTAssertTrue(again.stdout.contains("no_show"), again.stdout)
        // A meeting that is no longer agreed is the service's to refuse, not a question.
        let other = try c.agreedMeeting(start: "2030-03-25 10:00")
        try expert.ok(["cancel", other, "--reason", "illness"])
        let ended = try expert.onTerminal(["log", other, "--attendance", "no_show"], answering: "n")
        XCTAssertEqual(ended.termination, .exited(1), ended.stdout)
        XCTAssertFalse(ended.stdout.contains("Log the user as a no-show?"), ended.stdout)
        XCTAssertTrue(ended.stdout.contains("error 4009"), ended.stdout)
    }

    func testOutsideTheWindowNoQuestion() throws {
        let c = try MeetctlCommunity.make(#function)
        let id = try c.agreedMeeting(start: "2030-03-18 10:00")
        let cancelled = try (try c.expert).json(["cancel", id, "--reason", "schedule_conflict"])
        XCTAssertEqual(cancelled["status"], "cancelled")
        XCTAssertEqual(cancelled["credit_status"], "returned")
    }
}
