import Foundation
import XCTest

/// An installed `meetingd` (README, "Giving an expert access": `/usr/local/bin/meetingd`) finds
/// its migrations in `../share/meetingledger/migrations` beside its `bin` folder, whatever the
/// working directory; without them it says where to put them.
final class InstallLayoutTests: EndToEndTestCase {
    func testAnInstalledMeetingdFindsItsMigrationsBesideItsBinFolder() throws {
        let fm = FileManager.default
        let prefix = fm.temporaryDirectory.appendingPathComponent("meetingledger-install-\(TestEnvironment.uniqueTag())")
        defer { try? fm.removeItem(at: prefix) }
        let bin = prefix.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        let installed = bin.appendingPathComponent("meetingd").path
        try fm.copyItem(atPath: TestEnvironment.meetingdPath, toPath: installed)

        // Run from / with no MEETINGLEDGER_MIGRATIONS: only the installation can provide them.
        func migrate() throws -> ToolResult {
            try runTool("/bin/sh", ["-c", "unset MEETINGLEDGER_MIGRATIONS; cd / && exec \"$0\" migrate", installed],
                        environment: ["DATABASE_URL": databaseURL])
        }
        let missing = try migrate()
        XCTAssertEqual(missing.termination, .exited(1), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("share/meetingledger/migrations"), "the error says where they go: \(missing.stderr)")

        let share = prefix.appendingPathComponent("share/meetingledger")
        try fm.createDirectory(at: share, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: TestEnvironment.repoRoot).appendingPathComponent("sql/migrations")
        try fm.copyItem(at: source, to: share.appendingPathComponent("migrations"))
        let found = try migrate()
        XCTAssertTrue(found.succeeded, "\(found.termination): \(found.stderr)")
    }

    /// The working directory never chooses the SQL run as the database owner: a sql/migrations
    /// folder there is not read. A folder without migration files, or an empty setting, is
    /// refused with what to do.
    func testTheWorkingDirectoryNeverSuppliesMigrationsAndAnEmptyFolderIsRefused() throws {
        let fm = FileManager.default
        let place = fm.temporaryDirectory.appendingPathComponent("meetingledger-cwd-\(TestEnvironment.uniqueTag())")
        defer { try? fm.removeItem(at: place) }
        let bin = place.appendingPathComponent("bin"), work = place.appendingPathComponent("work")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        try fm.createDirectory(at: work.appendingPathComponent("sql/migrations"), withIntermediateDirectories: true)
        try "CREATE TABLE planted_from_cwd (x int);".write(to: work.appendingPathComponent("sql/migrations/0999_planted.sql"), atomically: true, encoding: .utf8)
        let installed = bin.appendingPathComponent("meetingd").path
        try fm.copyItem(atPath: TestEnvironment.meetingdPath, toPath: installed)
        let fromWork = try runTool("/bin/sh", ["-c", "unset MEETINGLEDGER_MIGRATIONS; cd \"$1\" && exec \"$0\" migrate", installed, work.path],
                                   environment: ["DATABASE_URL": databaseURL])
        XCTAssertEqual(fromWork.termination, .exited(1), fromWork.stderr)
        XCTAssertTrue(fromWork.stderr.contains("cannot find the migrations"), fromWork.stderr)

        let empty = place.appendingPathComponent("empty")
        try fm.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": databaseURL, "MEETINGLEDGER_MIGRATIONS": empty.path])
        XCTAssertEqual(none.termination, .exited(1), none.stderr)
        XCTAssertTrue(none.stderr.contains("holds no NNNN_name.sql migration files"), none.stderr)
        // A folder that is not there is said in words, not as Foundation's dump of its error.
        let missing = try runTool(
            TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": databaseURL, "MEETINGLEDGER_MIGRATIONS": place.appendingPathComponent("gone").path])
        XCTAssertEqual(missing.termination, .exited(1), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("there is no folder there") && !missing.stderr.contains("NSCocoaErrorDomain"), missing.stderr)
        let blank = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": databaseURL, "MEETINGLEDGER_MIGRATIONS": ""])
        XCTAssertTrue(blank.succeeded, "an empty setting is no setting: the build's migrations are found: \(blank.stderr)")
        let planted = try Psql.run(databaseURL, ["SELECT to_regclass('planted_from_cwd') IS NULL"])
        XCTAssertEqual(planted.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "t", "nothing from the working directory ran")
    }

    /// A migrations folder of a later release (a binary and folder installed apart, one of
    /// them updated) is refused before anything is applied: it was applied, and ping then
    /// answered the folder's schema_version for SQL written for an earlier one.
    func testAFolderOfALaterReleaseIsRefused() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "later_folder")
        let folder = try XCTUnwrap(environment["MEETINGLEDGER_MIGRATIONS"])
        let newest = try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { Int($0.prefix { $0.isNumber }) }.max() ?? 0
        let later = String(format: "%04d", newest + 1) + "_of_a_later_release.sql"
        try "CREATE TABLE later_release_marker (x int);".write(toFile: folder + "/" + later, atomically: true, encoding: .utf8)
        for arguments in [["migrate"], []] {
            let refused = try runTool(TestEnvironment.meetingdPath, arguments, environment: environment)
            XCTAssertEqual(refused.termination, .exited(1), "\(arguments): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("newer than this meetingd") && refused.stderr.contains(later.replacingOccurrences(of: ".sql", with: "")),
                          refused.stderr)
            XCTAssertEqual(refused.stdout, "", "nothing served")
        }
        let marker = try Psql.run(url, ["SELECT to_regclass('later_release_marker') IS NULL"])
        XCTAssertEqual(marker.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "t", "nothing applied")
    }

    /// An earlier release's folder is served by nothing: its schema lacks what this meetingd's
    /// SQL reads (ping said ok, and calls failed one by one with internal errors). `meetingd
    /// migrate` alone applies it, which is how an earlier release's database is made.
    func testAFolderOfAnEarlierReleaseIsMigratedButNeverServed() throws {
        let all = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.repoRoot + "/sql/migrations").filter { $0.hasSuffix(".sql") }.sorted()
        let newest = try XCTUnwrap(all.last)
        var (url, environment) = try databaseMigrated(before: newest, name: "earlier_folder")
        environment["MEETINGLEDGER_SERVE_EARLIER_SCHEMA"] = nil
        let applied = try Psql.run(url, ["SELECT max(version) FROM schema_migrations"])
        XCTAssertEqual(Int(applied.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), Int(all[all.count - 2].prefix(4)), "migrate applied the earlier folder")
        for arguments in [[], ["bootstrap", "--community", "Early", "--short-name", "E", "--admin-email", "e@example.test", "--admin-first", "E",
                                "--admin-last", "Arly"]] {
            let refused = try runTool(TestEnvironment.meetingdPath, arguments, environment: environment)
            XCTAssertEqual(refused.termination, .exited(1), "\(arguments): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("older than this meetingd"), refused.stderr)
            XCTAssertEqual(refused.stdout, "", "nothing served or created")
        }
        environment["MEETINGLEDGER_SERVE_EARLIER_SCHEMA"] = "1"
        let told = try runTool(TestEnvironment.meetingdPath, [], environment: environment)
        XCTAssertTrue(told.succeeded && told.stdout.isEmpty, "told to, it serves the earlier schema (for tests): \(told.stderr)")
        let upgraded = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        XCTAssertTrue(upgraded.succeeded, "this release's folder upgrades it: \(upgraded.stderr)")
    }

    /// A `meetingd migrate` that meets another process applying the migrations past the lock
    /// timeout says so, and what to do (exit status 75: run it again). The lock is held on a database of the test's own: on the
    /// shared one it would hold up every meetingd other tests start meanwhile.
    func testMigrateWhileAnotherProcessMigratesSaysSo() throws {
        let (url, _) = try databaseMigrated(before: "9999", name: "migrate_lock")
        let holder = try PsqlSession(url)
        defer { holder.close() }
        try holder.query("SELECT pg_advisory_lock(7710001);")
        let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url, "MEETINGLEDGER_LOCK_TIMEOUT_MS": "500"])
        XCTAssertEqual(migrate.termination, .exited(75), "a passing failure: \(migrate.stderr)")
        XCTAssertTrue(migrate.stderr.contains("another process is applying the migrations") && migrate.stderr.contains("MEETINGLEDGER_LOCK_TIMEOUT_MS"),
                      migrate.stderr)
        try holder.query("SELECT pg_advisory_unlock(7710001);")
        XCTAssertTrue(try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url]).succeeded, "once the lock is free")
    }
}
