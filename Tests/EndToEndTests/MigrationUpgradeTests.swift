import Foundation
import XCTest

/// `meetingd migrate` on a database another release made: an applied migration's earlier text
/// listed in `earlier_versions.txt` is accepted (its later migrations restate what changed), any
/// other text is refused with what to do, a retired migration listed there is accepted, and a
/// database that applied a migration this release does not have is refused as made by a newer one.
/// Each test uses a database and a folder of toy migrations of its own.
final class MigrationUpgradeTests: EndToEndTestCase {
    struct Scratch {
        let folder: URL
        let url: String

        func write(_ files: [String: String]) throws {
            let fm = FileManager.default
            for name in try fm.contentsOfDirectory(atPath: folder.path) { try fm.removeItem(at: folder.appendingPathComponent(name)) }
            for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        }

        func migrate() throws -> ToolResult {
            try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url, "MEETINGLEDGER_MIGRATIONS": folder.path])
        }
    }

    func scratch() throws -> Scratch {
        let tag = "mig_\(TestEnvironment.uniqueTag())".lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetingledger-\(tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard try Psql.run(databaseURL, ["CREATE DATABASE \(tag)"]).succeeded else { throw HarnessError("cannot create database \(tag)") }
        addTeardownBlock { [databaseURL] in
            try? FileManager.default.removeItem(at: folder)
            _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(tag) WITH (FORCE)"])
        }
        return Scratch(folder: folder, url: Psql.conninfo(databaseURL, "dbname", tag))
    }

    static func sha256(_ text: String) throws -> String {
        let sum = try runTool("/bin/sh", ["-c", "printf '%s' \"$0\" | sha256sum", text])
        return String(sum.stdout.prefix(64))
    }

    func tables(_ s: Scratch) throws -> [String] {
        try Psql.query(s.url, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
    }

    func testAnEarlierTextListedBesideTheMigrationsIsAcceptedAndAnyOtherIsRefused() throws {
        let s = try scratch()
        let first = "CREATE TABLE toy_a (x int);\n"
        try s.write(["0001_toy.sql": first])
        XCTAssertTrue(try s.migrate().succeeded)

        // The released text was edited later and a migration restates the change.
        let edited = "CREATE TABLE toy_a (x int, y int);\n"
        let restating = "ALTER TABLE toy_a ADD COLUMN IF NOT EXISTS y int;\n"
        try s.write(["0001_toy.sql": edited, "0002_restate.sql": restating])
        let refused = try s.migrate()
        XCTAssertEqual(refused.termination, .exited(1), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("0001") || refused.stderr.contains("migration 1_toy"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("earlier_versions.txt"), "the refusal says where earlier texts are listed: \(refused.stderr)")
        XCTAssertEqual(try Psql.query(s.url, "SELECT count(*) FROM schema_migrations"), ["1"], "nothing applied past the refusal")

        try s.write([
            "0001_toy.sql": edited, "0002_restate.sql": restating,
            "earlier_versions.txt": "# texts released and edited later\n0001 \(try Self.sha256(first)) 0001_toy.sql\n",
        ])
        let upgraded = try s.migrate()
        XCTAssertTrue(upgraded.succeeded, upgraded.stderr)
        XCTAssertEqual(try Psql.query(s.url, "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'toy_a'"), ["x,y"])
        XCTAssertTrue(try s.migrate().succeeded, "a second run applies nothing and still accepts the earlier text")
    }

    func testARetiredMigrationListedBesideTheMigrationsIsAcceptedAndOneNotListedIsTakenForANewerRelease() throws {
        let s = try scratch()
        let retired = "CREATE TABLE toy_retired (x int);\n"
        try s.write(["0001_toy.sql": "CREATE TABLE toy_a (x int);\n", "0002_retired.sql": retired])
        XCTAssertTrue(try s.migrate().succeeded)

        try s.write(["0001_toy.sql": "CREATE TABLE toy_a (x int);\n", "0003_undo.sql": "DROP TABLE IF EXISTS toy_retired;\n"])
        let newer = try s.migrate()
        XCTAssertEqual(newer.termination, .exited(1), newer.stderr)
        XCTAssertTrue(newer.stderr.contains("0002_retired") && newer.stderr.contains("newer (or another) release"), newer.stderr)
        // The folder may be what is behind (an earlier release's): the message names what it
        // holds and says so, where it blamed the database alone.
        XCTAssertTrue(newer.stderr.contains("(they go up to 0003_undo)") && newer.stderr.contains("or the folder is an earlier release's (MEETINGLEDGER_MIGRATIONS)"), newer.stderr)
        XCTAssertEqual(try tables(s), ["schema_migrations,toy_a,toy_retired"], "nothing ran")

        try s.write([
            "0001_toy.sql": "CREATE TABLE toy_a (x int);\n", "0003_undo.sql": "DROP TABLE IF EXISTS toy_retired;\n",
            "earlier_versions.txt": "0002 \(try Self.sha256(retired)) 0002_retired.sql\n",
        ])
        let upgraded = try s.migrate()
        XCTAssertTrue(upgraded.succeeded, upgraded.stderr)
        XCTAssertEqual(try tables(s), ["schema_migrations,toy_a"])
    }

    func testAMalformedListOfEarlierTextsStopsTheMigrationNamingItsLine() throws {
        let s = try scratch()
        try s.write(["0001_toy.sql": "CREATE TABLE toy_a (x int);\n", "earlier_versions.txt": "# fine\n\n0001 ABCDEF\n"])
        let refused = try s.migrate()
        XCTAssertEqual(refused.termination, .exited(1), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("earlier_versions.txt line 3"), refused.stderr)
        XCTAssertEqual(try tables(s), [], "nothing ran")
    }

    /// system.ping tells two releases' schemas apart: the newest migration this meetingd applies.
    func testPingSaysTheNewestMigrationThisMeetingdApplies() throws {
        let folder = URL(fileURLWithPath: TestEnvironment.repoRoot).appendingPathComponent("sql/migrations")
        let newest = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted().last
        let version = try XCTUnwrap(newest.flatMap { Int($0.prefix(4)) })
        let meetingd = try startMeetingd()
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["schema_version"], .int(Int64(version)))
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["build_schema_version"], .int(Int64(version)))
    }

    /// While the database does not answer, ping claims no schema version of it (it answered this
    /// meetingd's own as the database's): it says the one this meetingd is written for, as such.
    func testPingWithTheDatabaseDownClaimsNoSchemaVersionOfIt() throws {
        let newest = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.repoRoot + "/sql/migrations").compactMap { Int($0.prefix { $0.isNumber }) }.max())
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": "host=/nonexistent-\(TestEnvironment.uniqueTag()) dbname=x connect_timeout=1"])
        let ping = try XCTUnwrap(try meetingd.call("system.ping")["result"])
        XCTAssertEqual(ping["database"], "unavailable", "\(ping)")
        XCTAssertNil(ping["schema_version"], "no schema version of a database that did not answer: \(ping)")
        XCTAssertEqual(ping["build_schema_version"], .int(Int64(newest)), "\(ping)")
    }
}
