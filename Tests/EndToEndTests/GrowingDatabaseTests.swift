import Foundation
import XCTest

/// meetingd's sessions live long, and the database beside them may grow faster than autovacuum
/// analyzes it (a fresh cluster filling up, an import). A read that scans all of a community's
/// rows is planned for the rows there are when it runs, not kept as planned for the tables as
/// they were: ledger.reconcile, planned once while the tables were nearly empty, took 95 s for a
/// community of 841 meetings (its meeting check joined every hold again for each meeting), and
/// a finance caller's answer never came.
final class GrowingDatabaseTests: EndToEndTestCase {
    func testReadsOfACommunityGrownSinceTheSessionFirstMadeThemStayQuick() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "growing")
        // No ANALYZE during the test (a plan made for the empty tables would be replaced then).
        _ = try Psql.query(url, ["transfers", "meetings", "accounts", "outbox", "meeting_events"].map {
            "ALTER TABLE \($0) SET (autovacuum_enabled = false);"
        }.joined(separator: " "))
        let meetingd = try startMeetingd(["--test-clock"], environment: environment)
        let ledger = try LedgerCommunity.make(on: meetingd, #function, databaseURL: url)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let offer = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 1)
        let user = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let finance = ledger.financeId, admin = ledger.adminId
        let week = ["from": JSONValue.string(rfc3339(ledgerEpoch)), "to": .string(rfc3339(ledgerEpoch.addingTimeInterval(7 * 86_400)))]
        let reads: [(method: String, actor: String, params: [String: JSONValue])] = [
            ("ledger.reconcile", finance, [:]),
            ("ledger.trial_balance", finance, [:]),
            ("ledger.accounts", finance, [:]),
            ("ledger.balance", finance, ["person_id": .string(user)]),
            ("ledger.statement", finance, ["account_id": .string(wallet), "limit": 500]),
            ("report.credits_outstanding", finance, [:]),
            ("report.earnings_due", finance, [:]),
            ("meeting.list", offer.expertId, ["limit": 500]),
            ("meeting.list", user, ["limit": 500]),
            ("meeting.waiting", admin, [:]),
            ("availability.search", user, week.merging(["service_id": .string(offer.serviceId)]) { $1 }),
            ("person.list", admin, [:]),
            ("outbox.dead_letters", admin, [:]),
        ]
        // Each read made while the community has nothing yet: the session keeps their plans.
        for read in reads {
            for _ in 0..<8 { XCTAssertNotNil(try meetingd.call(read.method, as: read.actor, read.params)["result"], read.method) }
        }

        try ledger.grant(on: meetingd, 10_000, to: user)
        // 500 requests, then 400 of them declined (a hold and its release each), each set as one batch.
        let meetings = 500
        let requested = try meetingd.batch((0..<meetings).map { slot in
            ("meeting.request", .object(offer.requestParams(start: ledgerEpoch.addingTimeInterval(Double(slot + 4) * 1_800)).merging(["actor": .string(user)]) { $1 }))
        })
        let ids = requested.compactMap { $0["id"]?.string }
        XCTAssertEqual(ids.count, meetings, "every request was booked")
        let declined = try meetingd.batch(ids.prefix(400).map {
            ("meeting.decline", ["actor": .string(offer.expertId), "meeting_id": .string($0), "reason_code": "schedule_conflict"])
        })
        XCTAssertEqual(declined.filter { $0["credit_status"] == "returned" }.count, 400, "every decline released its hold")

        var timings: [String] = []
        for read in reads {
            let started = Date()
            let answer = try meetingd.call(read.method, as: read.actor, read.params, timeout: 150)
            let seconds = Date().timeIntervalSince(started)
            timings.append("\(read.method) \(String(format: "%.3f", seconds)) s")
            XCTAssertNotNil(answer["result"], "\(read.method): \(answer)")
            XCTAssertLessThan(seconds, 5, "\(read.method) was planned for the empty tables")
            if read.method == "ledger.reconcile" { XCTAssertEqual(answer["result"]?["ok"], true, "\(answer)") }
        }
        print("GrowingDatabaseTests: after \(meetings) meetings (400 declined): \(timings.joined(separator: ", "))")
    }
}
