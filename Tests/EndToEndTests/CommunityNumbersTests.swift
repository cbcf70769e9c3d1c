import Foundation
import XCTest

/// SPEC §6: "no call sees or touches another community". The numbers answers show (`seq` of
/// transfers, timeline events and chat messages; of outbox messages too) are each community's
/// own, so the gaps between one community's numbers never count another community's writes.
final class CommunityNumbersTests: EndToEndTestCase {
    func testACommunitysNumbersDoNotCountAnothersWrites() throws {
        let a = try MeetingWorld(self, label: "numbers A")
        let b = try MeetingWorld(self, label: "numbers B")
        func grant(_ w: MeetingWorld) throws -> Int64 {
            let transfer = try w.meetingd.result("credits.grant", as: w.finance, [
                "user_id": .string(w.user), "credits": 1, "reference": .string("numbers-\(TestEnvironment.uniqueTag())"),
            ])
            return try XCTUnwrap(transfer["seq"]?.int, "\(transfer)")
        }
        func post(_ w: MeetingWorld, _ meetingId: String) throws -> Int64 {
            let message = try w.meetingd.result("meeting.message.post", as: w.user, ["meeting_id": .string(meetingId), "text": "hello"])
            return try XCTUnwrap(message["seq"]?.int, "\(message)")
        }
        func events(_ w: MeetingWorld, _ meetingId: String) throws -> [Int64] { try w.timelineEvents(meetingId).compactMap { $0["seq"]?.int } }

        // Transfers: five grants in A between two in B leave no gap in B.
        let first = try grant(b)
        for _ in 0..<5 { _ = try grant(a) }
        XCTAssertEqual(try grant(b), first + 1)

        // Timeline events: meetings in A between two in B.
        let earlier = try b.agreed(start: MeetingTime.at(day: 7, hour: 10))
        for day in 7...9 { _ = try a.agreed(start: MeetingTime.at(day: day, hour: 12)) }
        let later = try b.agreed(start: MeetingTime.at(day: 8, hour: 10))
        let (before, after) = (try events(b, earlier), try events(b, later))
        XCTAssertFalse(before.isEmpty)
        XCTAssertEqual(after.count, before.count, "the same story: \(before) \(after)")
        XCTAssertEqual(after, after.indices.map { (before.last ?? 0) + 1 + Int64($0) }, "the next meeting's events follow the community's last ones")

        // Chat messages.
        let inA = try a.agreed(start: MeetingTime.at(day: 10, hour: 12))
        let message = try post(b, earlier)
        for _ in 0..<3 { _ = try post(a, inA) }
        XCTAssertEqual(try post(b, earlier), message + 1)

        // Outbox messages (their numbers show in outbox.dead_letters): B's, in the order written,
        // have no gap although A wrote its own between them.
        let outbox = try Psql.query(try TestEnvironment.databaseURL(), """
            SELECT seq FROM outbox WHERE community_id = \(Psql.literal(b.community.id)) ORDER BY seq
            """).compactMap { Int64($0) }
        XCTAssertGreaterThan(outbox.count, 4, "B's meetings and messages told people")
        XCTAssertEqual(outbox, Array((outbox.first ?? 0)...(outbox.last ?? -1)), "B's outbox numbers have no gap")
    }

    /// A database numbered before counters were per community: after the migration every new
    /// number is above every earlier one (cursors in flight and the ledger's time-order check
    /// compare with them), and from then on each community counts its own.
    func testNumbersWrittenBeforeStayBelowEveryNewOne() throws {
        let tag = TestEnvironment.uniqueTag()
        let (url, before) = try databaseMigrated(before: "0085", name: "numbers")
        func community(_ name: String) throws -> (admin: String, user: String) {
            let boot = try runTool(TestEnvironment.meetingdPath, [
                "bootstrap", "--community", "\(name) \(tag)", "--short-name", "E2E", "--admin-email", "admin-\(name)-\(tag)@example.test",
                "--admin-first", "Ada", "--admin-last", "Admin",
            ], environment: before)
            let admin = try XCTUnwrap(try JSONValue.parse(boot.stdout)["admin_id"]?.string, boot.stderr)
            return (admin, "")
        }
        var (a, b) = (try community("A"), try community("B"))
        let earlier = try startMeetingd([], environment: before)
        for i in [0, 1] {
            let person = try earlier.result("person.create", as: i == 0 ? a.admin : b.admin, TestCommunity.personParams(roles: ["user"]))
            if i == 0 { a.user = try MeetingWorld.id(of: person) } else { b.user = try MeetingWorld.id(of: person) }
        }
        func grant(_ md: Meetingd, _ c: (admin: String, user: String)) throws -> Int64 {
            try XCTUnwrap(try md.result("credits.grant", as: c.admin, [
                "user_id": .string(c.user), "credits": 1, "reference": .string("numbers-\(TestEnvironment.uniqueTag())"),
            ])["seq"]?.int)
        }
        var last: Int64 = 0
        for _ in 0..<3 { last = max(try grant(earlier, a), try grant(earlier, b)) }
        try earlier.finish()

        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        XCTAssertTrue(migrated.succeeded, migrated.stderr)
        let now = try startMeetingd([], environment: ["DATABASE_URL": url])
        let firstOfB = try grant(now, b)
        XCTAssertGreaterThan(firstOfB, last, "a new number is above every earlier one")
        for _ in 0..<4 { XCTAssertGreaterThan(try grant(now, a), last) }
        XCTAssertEqual(try grant(now, b), firstOfB + 1, "A's grants are not counted in B")
        let wallet = try XCTUnwrap(now.result("ledger.balance", as: b.user, ["person_id": .string(b.user)])["accounts"]?[0]?["account_id"]?.string)
        let statement = try now.allPages("ledger.statement", as: b.user, ["account_id": .string(wallet)])
        let numbers = statement.compactMap { $0["seq"]?.int }
        XCTAssertEqual(numbers.count, 5)
        XCTAssertEqual(numbers, numbers.sorted(), "the statement's order is the numbers' order, across the migration")
    }
}
