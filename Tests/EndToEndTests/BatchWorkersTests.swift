import Foundation
import XCTest

/// `--batch-workers N`: a batch's entries run on N connections at once, whatever the number of
/// CPUs (README: "connections that run one batch's entries at once").
final class BatchWorkersTests: EndToEndTestCase {
    /// Six grants of a batch wait together behind the community's issuance account, held by
    /// another session: six workers, each with its own connection, on a machine of fewer CPUs
    /// (they ran about one per CPU, the rest starting once the batch was drained). Released, every
    /// entry is answered and granted once.
    func testEveryWorkerRunsAnEntryAtOnce() throws {
        // A database of its own: every session waiting for a lock in it is one of the batch's.
        let (url, environment) = try databaseMigrated(before: "9999", name: "batchworkers")
        let meetingd = try startMeetingd(["--batch-workers", "6"], environment: environment)
        let ledger = try LedgerCommunity.make(on: meetingd, #function, databaseURL: url)
        let users = try (0..<6).map { _ in try ledger.person(on: meetingd, ["user"]) }
        let c = Psql.literal(ledger.community.id)
        let holder = try PsqlSession(url)
        defer { holder.close() }
        try holder.run("BEGIN; SELECT 1 FROM accounts WHERE community_id = \(c) AND kind = 'issuance' FOR NO KEY UPDATE;")
        let batch: [JSONValue] = users.enumerated().map { i, user in
            .object(["jsonrpc": "2.0", "id": .int(Int64(i)), "method": "credits.grant", "params": .object([
                "actor": .string(ledger.financeId), "user_id": .string(user), "credits": 5, "reference": .string("batch-\(i)-\(TestEnvironment.uniqueTag())"),
            ])])
        }
        try meetingd.send(JSONValue.array(batch).serialized)
        let deadline = Date().addingTimeInterval(20)
        var waiting = ""
        while waiting != "6" {
            // The first waits for the holder, the others for the row's next turn after it.
            waiting = try Psql.query(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").first ?? ""
            guard Date() < deadline else { return XCTFail("\(waiting) of the batch's six entries waited at once") }
            usleep(20_000)
        }
        try holder.run("COMMIT;")
        let answers = try XCTUnwrap(JSONValue.parse(try meetingd.readLine()).array)
        XCTAssertEqual(answers.count, 6)
        XCTAssertTrue(answers.allSatisfy { $0["result"]?["id"]?.string != nil }, "\(answers)")
        for user in users {
            let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: ledger.financeId)
            XCTAssertEqual(try meetingd.balance(account: wallet, as: ledger.financeId)["posted"], 5)
        }
    }
}
