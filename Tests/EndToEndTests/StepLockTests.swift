import Foundation
import XCTest

/// A step locks the rows it will change as an UPDATE of them does (FOR NO KEY UPDATE), so a
/// row that only refers to them (an outbox message, an event) is written beside it without
/// waiting: jobs.run_due and a meeting's own step never wait on each other in a circle.
final class StepLockTests: EndToEndTestCase {
    /// Holds `lock` (statements run in a transaction left open) in a session of its own, sends
    /// jobs.run_due to `jobs`, and returns the session once run_due waits for it.
    func runDue(on jobs: Meetingd, as admin: String, waitingBehind lock: String, url: String? = nil) throws -> PsqlSession {
        let url = url ?? databaseURL
        let holder = try PsqlSession(url)
        let pid = try XCTUnwrap(try holder.run("SELECT pg_backend_pid();").output.first)
        try holder.run("BEGIN; " + lock)
        try jobs.send(#"{"jsonrpc":"2.0","id":1,"method":"jobs.run_due","params":{"actor":"\#(admin)"}}"#)
        let deadline = Date().addingTimeInterval(20)
        while try Psql.query(url, "SELECT count(*) FROM pg_stat_activity WHERE \(pid) = ANY (pg_blocking_pids(pid))") != ["1"] {
            guard Date() < deadline else { throw HarnessError("jobs.run_due never waited behind: \(lock)") }
            usleep(20_000)
        }
        return holder
    }

    /// run_due releases one request's hold (taking the expert's earnings row) and then queues a
    /// reminder for another meeting of the expert, which the expert is cancelling: the cancel
    /// locked that meeting and waits for the earnings row. The reminder no longer waits for the
    /// cancel's lock: run_due commits, the cancel follows and withdraws the reminder. With the
    /// meeting locked FOR UPDATE each waited for the other until PostgreSQL's deadlock check
    /// aborted one (here made 10 s, PostgreSQL's default being 1 s).
    func testRunDueAndACancelOfTheSameExpertDoNotDeadlock() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "steplocks")
        let database = try XCTUnwrap(try Psql.query(url, "SELECT current_database()").first)
        _ = try Psql.query(url, "ALTER DATABASE \(database) SET deadlock_timeout = '10s'")
        let jobs = try startMeetingd(["--test-clock"], environment: environment)
        let canceller = try startMeetingd(["--test-clock"], environment: environment)
        let ledger = try LedgerCommunity.make(on: jobs, #function, databaseURL: url)
        try ledger.pinClock(on: jobs, at: ledgerEpoch)
        let offer = try BookableExpert.make(on: jobs, ledger.community, priceCredits: 10)
        let expiring = try ledger.person(on: jobs, ["user"]), reminded = try ledger.person(on: jobs, ["user"])
        try ledger.grant(on: jobs, 100, to: expiring)
        try ledger.grant(on: jobs, 100, to: reminded)
        try offer.request(on: jobs, by: expiring, start: ledgerEpoch.addingTimeInterval(3_600))
        let meeting = try XCTUnwrap(try offer.request(on: jobs, by: reminded, start: ledgerEpoch.addingTimeInterval(3 * 3_600))["id"]?.string)
        try jobs.result("meeting.confirm", as: offer.expertId, ["meeting_id": .string(meeting)])
        // The first request's start has passed unanswered; the agreed meeting is due a reminder.
        try ledger.advanceClock(on: jobs, minutes: 90)
        let earnings = try jobs.accountId(of: offer.expertId, kind: "expert_earnings", as: ledger.financeId)

        // The earnings row held, run_due waits for it first, then the cancel (whose meeting is locked).
        let holder = try runDue(
            on: jobs, as: ledger.adminId, waitingBehind: "SELECT 1 FROM accounts WHERE id = \(Psql.literal(earnings)) FOR NO KEY UPDATE;", url: url)
        defer { holder.close() }
        let cancel: JSONValue = .object(["actor": .string(offer.expertId), "meeting_id": .string(meeting), "reason_code": "illness", "confirm_late": true])
        try canceller.send(#"{"jsonrpc":"2.0","id":2,"method":"meeting.cancel","params":\#(cancel.serialized)}"#)
        let deadline = Date().addingTimeInterval(20)
        while try Psql.query(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") != ["2"] {
            guard Date() < deadline else { return XCTFail("the cancel never waited for the earnings row") }
            usleep(20_000)
        }
        let released = Date()
        try holder.run("ROLLBACK;")
        let ran = try jobs.readResponse(timeout: 60), cancelled = try canceller.readResponse(timeout: 60)
        let seconds = Date().timeIntervalSince(released)
        print("StepLockTests: run_due and the cancel answered \(String(format: "%.3f", seconds)) s after the earnings row was free")

        XCTAssertEqual(ran["result"]?["requests_expired"], 1, "\(ran)")
        XCTAssertEqual(ran["result"]?["reminders_queued"], 1, "\(ran)")
        XCTAssertEqual(cancelled["result"]?["status"], "cancelled", "\(cancelled)")
        XCTAssertLessThan(seconds, 5, "the two waited for each other until the deadlock check")
        XCTAssertEqual(try Psql.query(url, "SELECT status FROM outbox WHERE meeting_id = \(Psql.literal(meeting)) AND kind = 'meeting_reminder'"),
                       ["cancelled"], "the cancel withdrew the reminder run_due queued")
        XCTAssertEqual(try jobs.result("ledger.reconcile", as: ledger.financeId)["ok"], true)
    }

    /// run_due expires only the requests of the users its lock step locked, as of the time that
    /// step read: its context, read by a later statement, took the clock and the meetings afresh,
    /// and expired a request that fell due in between without its user's lock (whose release then
    /// deadlocked with that user's own step). Here the lock step waits for the first user's lock
    /// while the clock moves on past a second user's request: that request waits for the next run.
    func testRunDueExpiresOnlyTheRequestsOfTheUsersItLocked() throws {
        let setup = try startMeetingd(["--test-clock"]), jobs = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: setup, #function)
        try ledger.pinClock(on: setup, at: ledgerEpoch)
        let offer = try BookableExpert.make(on: setup, ledger.community, priceCredits: 10)
        let first = try ledger.person(on: setup, ["user"]), second = try ledger.person(on: setup, ["user"])
        try ledger.grant(on: setup, 100, to: first)
        try ledger.grant(on: setup, 100, to: second)
        let due = try XCTUnwrap(try offer.request(on: setup, by: first, start: ledgerEpoch.addingTimeInterval(3_600))["id"]?.string)
        let later = try XCTUnwrap(try offer.request(on: setup, by: second, start: ledgerEpoch.addingTimeInterval(3 * 3_600))["id"]?.string)
        try ledger.advanceClock(on: setup, minutes: 120)

        let holder = try runDue(
            on: jobs, as: ledger.adminId, waitingBehind: "SELECT ml_lock(\(Psql.literal(ledger.community.id)), \(Psql.literal(first)), 2);")
        defer { holder.close() }
        // The second request falls due while run_due waits.
        try ledger.advanceClock(on: setup, minutes: 120)
        try holder.run("ROLLBACK;")
        let ran = try jobs.readResponse(timeout: 60)
        XCTAssertEqual(ran["result"]?["requests_expired"], 1, "\(ran)")
        XCTAssertEqual(try setup.result("meeting.get", as: ledger.adminId, ["meeting_id": .string(due)])["status"], "expired")
        XCTAssertEqual(try setup.result("meeting.get", as: ledger.adminId, ["meeting_id": .string(later)])["status"], "awaiting_approval",
                       "expired by a run that had not locked its user")
        XCTAssertEqual(try jobs.result("jobs.run_due", as: ledger.adminId)["requests_expired"], 1, "the next run expires it")
        XCTAssertEqual(try setup.result("meeting.get", as: ledger.adminId, ["meeting_id": .string(later)])["credit_status"], "returned")
    }

    /// A reminder run_due queued for a meeting cancelled while it ran (its context read the
    /// meeting agreed; the cancel committed, withdrawing the reminders already queued, before
    /// run_due wrote this one) is withdrawn when a deliverer claims it, never delivered.
    func testAReminderQueuedForAMeetingCancelledMeanwhileIsNeverDelivered() throws {
        let setup = try startMeetingd(["--test-clock"]), jobs = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: setup, #function)
        try ledger.pinClock(on: setup, at: ledgerEpoch)
        let reminding = try BookableExpert.make(on: setup, ledger.community, priceCredits: 10)
        let expiring = try BookableExpert.make(on: setup, ledger.community, priceCredits: 10)
        let late = try ledger.person(on: setup, ["user"]), booked = try ledger.person(on: setup, ["user"])
        try ledger.grant(on: setup, 100, to: late)
        try ledger.grant(on: setup, 100, to: booked)
        try expiring.request(on: setup, by: late, start: ledgerEpoch.addingTimeInterval(3_600))
        let meeting = try XCTUnwrap(try reminding.request(on: setup, by: booked, start: ledgerEpoch.addingTimeInterval(3 * 3_600))["id"]?.string)
        try setup.result("meeting.confirm", as: reminding.expertId, ["meeting_id": .string(meeting)])
        try ledger.advanceClock(on: setup, minutes: 90)
        let wallet = try setup.accountId(of: late, kind: "user_wallet", as: ledger.financeId)

        // run_due has read the meeting agreed and waits (releasing the expired request's hold)
        // while the meeting is cancelled.
        let holder = try runDue(on: jobs, as: ledger.adminId, waitingBehind: "SELECT 1 FROM accounts WHERE id = \(Psql.literal(wallet)) FOR NO KEY UPDATE;")
        defer { holder.close() }
        let cancelled = try setup.result("meeting.cancel", as: reminding.expertId, [
            "meeting_id": .string(meeting), "reason_code": "illness", "confirm_late": true,
        ])
        XCTAssertEqual(cancelled["status"], "cancelled")
        try holder.run("ROLLBACK;")
        let ran = try jobs.readResponse(timeout: 60)
        XCTAssertEqual(ran["result"]?["reminders_queued"], 1, "run_due queued the reminder it had read due: \(ran)")

        let claimed = try setup.result("outbox.claim", as: ledger.adminId, ["consumer": "mailer", "limit": 100])["messages"]?.array ?? []
        XCTAssertEqual(claimed.filter { $0["meeting_id"]?.string == meeting && $0["kind"] == "meeting_reminder" }, [],
                       "a reminder for a cancelled meeting was handed to the deliverer")
        XCTAssertTrue(claimed.contains { $0["meeting_id"]?.string == meeting && $0["kind"] == "cancellation_by_expert" }, "\(claimed)")
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT status FROM outbox WHERE meeting_id = \(Psql.literal(meeting)) AND kind = 'meeting_reminder'"),
                       ["cancelled"])
    }
}
