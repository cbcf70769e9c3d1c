import Foundation
import XCTest

/// README "Backups and restores": `pg_dump` carries everything meetingd needs, and a restored
/// database serves as it did: nothing left to migrate, every read the same, and each
/// community's numbers go on from where they were (its counters are restored with their values,
/// and a community made after the restore gets its own).
final class BackupRestoreTests: EndToEndTestCase {
    func testARestoredDatabaseServesAsItDidAndGoesOnCounting() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "dumped")
        func community(_ name: String, _ env: [String: String]) throws -> (admin: String, user: String, meetingd: Meetingd) {
            let tag = TestEnvironment.uniqueTag()
            let boot = try runTool(TestEnvironment.meetingdPath, [
                "bootstrap", "--community", "\(name) \(tag)", "--short-name", "E2E", "--admin-email", "admin-\(tag)@example.test",
                "--admin-first", "Ada", "--admin-last", "Admin",
            ], environment: env)
            let admin = try XCTUnwrap(try JSONValue.parse(boot.stdout)["admin_id"]?.string, boot.stderr)
            let meetingd = try startMeetingd([], environment: env)
            let user = try MeetingWorld.id(of: meetingd.result("person.create", as: admin, TestCommunity.personParams(roles: ["user"])))
            return (admin, user, meetingd)
        }
        func grant(_ md: Meetingd, _ admin: String, _ user: String) throws -> Int64 {
            try XCTUnwrap(try md.result("credits.grant", as: admin, [
                "user_id": .string(user), "credits": 7, "reference": .string("restore-\(TestEnvironment.uniqueTag())"),
            ])["seq"]?.int)
        }
        func statement(_ md: Meetingd, _ user: String) throws -> [JSONValue] {
            let wallet = try XCTUnwrap(md.result("ledger.balance", as: user, ["person_id": .string(user)])["accounts"]?[0]?["account_id"]?.string)
            return try md.allPages("ledger.statement", as: user, ["account_id": .string(wallet)])
        }
        let (admin, user, before) = try community("Dumped", environment)
        var last: Int64 = 0
        for _ in 0..<3 { last = try grant(before, admin, user) }
        let written = try statement(before, user)
        try before.finish()

        // As README says: pg_dump of the database, restored into an empty one.
        let restored = try restoredCopy(of: url, name: "restored")

        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": restored])
        XCTAssertTrue(migrated.succeeded, migrated.stderr)
        XCTAssertFalse(migrated.stderr.contains("applied migrations"), "nothing is left to migrate: \(migrated.stderr)")
        let after = try startMeetingd([], environment: ["DATABASE_URL": restored])
        XCTAssertEqual(try statement(after, user), written, "every entry reads as it did")
        XCTAssertEqual(try grant(after, admin, user), last + 1, "the community's transfers go on from its last number")

        // A community made after the restore counts from its own start.
        let (newAdmin, newUser, _) = try community("Restored", ["DATABASE_URL": restored])
        XCTAssertEqual(try grant(after, newAdmin, newUser), 1)
        XCTAssertEqual(try grant(after, admin, user), last + 2, "and not in the older community's")
    }
}
