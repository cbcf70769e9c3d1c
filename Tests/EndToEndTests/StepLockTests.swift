import Foundation
import XCTest

/// A step locks the rows it will change as an UPDATE of them does (FOR NO KEY UPDATE), so a
/// row that only refers to them (an outbox message, an event) is written beside it without
/// waiting: jobs.run_due and a meeting's own step never wait on each other in a circle.
final class StepLockTests: EndToEndTestCase {
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

        func waiting() throws -> Int {
            Int(try Psql.query(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").first ?? "") ?? -1
        }
        func waitUntil(_ sessions: Int, _ what: String) throws {
            let deadline = Date().addingTimeInterval(20)
            while try waiting() < sessions {
                guard Date() < deadline else { throw HarnessError("\(what) never waited for the earnings row") }
                usleep(20_000)
            }
        }
        // The earnings row held, run_due waits for it first, then the cancel (whose meeting is locked).
        let holder = try PsqlSession(url)
        defer { holder.close() }
        try holder.run("BEGIN; SELECT 1 FROM accounts WHERE id = \(Psql.literal(earnings)) FOR NO KEY UPDATE;")
        try jobs.send(#"{"jsonrpc":"2.0","id":1,"method":"jobs.run_due","params":{"actor":"\#(ledger.adminId)"}}"#)
        try waitUntil(1, "jobs.run_due")
        let cancel: JSONValue = .object(["actor": .string(offer.expertId), "meeting_id": .string(meeting), "reason_code": "illness", "confirm_late": true])
        try canceller.send(#"{"jsonrpc":"2.0","id":2,"method":"meeting.cancel","params":\#(cancel.serialized)}"#)
        try waitUntil(2, "meeting.cancel")
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
}
