import Core
import Foundation
import XCTest

/// `meetingd`'s one-shot commands as an operator meets them (README, "Configuration"): a
/// command given what it does not take does nothing and says so (exit status 2, the usage); a
/// migration that cannot finish says why and what to do, a passing hindrance (exit status 75,
/// run it again) told apart from a fault to fix (exit status 1).
final class MeetingdCommandTests: EndToEndTestCase {
    private func meetingd(_ arguments: [String], _ environment: [String: String]) throws -> ToolResult {
        try runTool(TestEnvironment.meetingdPath, arguments, environment: environment)
    }

    func testEveryCommandRefusesWhatItDoesNotTake() throws {
        // A command refused must leave the database as it was: empty.
        let url = try emptyDatabase("unknown_arguments").url
        let tag = TestEnvironment.uniqueTag()
        let bootstrap = [
            "bootstrap", "--community", "Args \(tag)", "--short-name", "ARG", "--admin-email", "admin-\(tag)@example.test", "--admin-first", "Ada",
            "--admin-last", "Admin",
        ]
        let refused: [[String]] = [
            ["migrate", "--dry-run"], ["migrate", "now"], ["migrate", "--test-clock"], ["migrate", "--batch-workers", "2"],
            ["discover", "bogus", "--what"], ["discover", "--test-clock"],
            bootstrap + ["--bogus"], bootstrap + ["extra"], bootstrap + ["--batch-workers", "2"],
        ]
        for arguments in refused {
            let run = try meetingd(arguments, ["DATABASE_URL": url])
            let line = "meetingd \(arguments.joined(separator: " "))"
            XCTAssertEqual(run.termination, .exited(2), "\(line): \(run.stderr)")
            XCTAssertTrue(run.stdout.isEmpty, "\(line) printed \(run.stdout.prefix(200))")
            XCTAssertTrue(run.stderr.hasPrefix("unknown arguments: ") || run.stderr.contains("goes only with serve"), "\(line): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("usage: meetingd"), "\(line): \(run.stderr)")
        }
        XCTAssertEqual(try Psql.query(url, "SELECT to_regclass('schema_migrations') IS NULL"), ["t"], "nothing was migrated")

        // What every command takes: the log level and the memory cap.
        XCTAssertEqual(try meetingd(["migrate", "--log-level", "warning"], ["DATABASE_URL": url]).termination, .exited(0))
        XCTAssertEqual(try meetingd(["discover", "--max-memory-mb", "2048"], [:]).termination, .exited(0))
        let made = try meetingd(bootstrap + ["--log-level", "error"], ["DATABASE_URL": url])
        XCTAssertEqual(made.termination, .exited(0), made.stderr)
    }

    /// `--version` of meetingd and of meetctl says the release and the schema version it expects
    /// (the newest migration), reads no database (DATABASE_URL names none that answers), and
    /// each `--help` offers it: there was none, and meetctl's said 0.1.0 of another release.
    func testVersionSaysTheReleaseAndTheSchemaItExpects() throws {
        let migrations = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.repoRoot + "/sql/migrations")
        let newest = try XCTUnwrap(migrations.filter { $0.hasSuffix(".sql") }.compactMap { Int($0.prefix { $0.isNumber }) }.max())
        let discover = try JSONValue.parse(try meetingd(["discover"], [:]).stdout)
        let release = try XCTUnwrap(discover["info"]?["version"]?.string)
        let nowhere = ["DATABASE_URL": "host=/nonexistent-\(TestEnvironment.uniqueTag()) dbname=x connect_timeout=1"]
        for (program, path) in [("meetingd", TestEnvironment.meetingdPath), ("meetctl", Meetctl.path)] {
            let run = try runTool(path, ["--version"], environment: nowhere)
            XCTAssertEqual(run.termination, .exited(0), "\(program) --version: \(run.stderr)")
            XCTAssertEqual(run.stdout, "\(program) \(release) (schema version \(newest))\n", run.stderr)
            XCTAssertEqual(run.stderr, "", "\(program) --version")
            XCTAssertTrue(try runTool(path, ["--help"], environment: nowhere).stdout.contains("--version"), "\(program) --help offers --version")
        }
    }

    /// bootstrap run again (a provisioning script's retry) answers the community it made: the
    /// same ids, `created: false`, nothing made twice, also when two runs go at once.
    func testBootstrapRunAgainFindsTheCommunityItMade() throws {
        let url = try emptyDatabase("bootstrap_again").url
        let tag = TestEnvironment.uniqueTag()
        let first = try bootstrapped(try meetingd(bootstrap("Again \(tag)", "ada-\(tag)@example.test"), ["DATABASE_URL": url]))
        XCTAssertEqual(first["created"], true)
        let again = try bootstrapped(try meetingd(bootstrap("Again \(tag)", "ADA-\(tag)@example.test"), ["DATABASE_URL": url]))
        XCTAssertEqual(again["created"], false)
        XCTAssertEqual(again["community_id"], first["community_id"])
        XCTAssertEqual(again["admin_id"], first["admin_id"])
        // Two at once: one makes it, the other finds it.
        let twice = bootstrap("Twice \(tag)", "cy-\(tag)@example.test")
        let runs = try twoAtOnce([twice, twice], url).map(bootstrapped)
        XCTAssertEqual(runs.compactMap { $0["created"]?.bool }.sorted { !$0 && $1 }, [false, true], "one made it, the other found it")
        XCTAssertEqual(runs[0]["community_id"], runs[1]["community_id"])
        XCTAssertEqual(try Psql.query(url, "SELECT count(*) FROM communities"), ["2"])
    }

    /// A second community of a name one has already (whatever its case, Unicode form and spaces),
    /// for another admin, is refused naming the one there is, nothing created, also when the two
    /// runs go at once: two communities of one name were made, which nobody could tell apart.
    func testBootstrapRefusesANameAnotherCommunityHas() throws {
        let url = try emptyDatabase("bootstrap_name_taken").url
        let tag = TestEnvironment.uniqueTag()
        let first = try bootstrapped(try meetingd(bootstrap("Taken Academy \(tag)", "ada-\(tag)@example.test"), ["DATABASE_URL": url]))
        let firstId = try XCTUnwrap(first["community_id"]?.string)
        for name in ["Taken Academy \(tag)", "  taken ACADEMY \(tag) "] {
            let refused = try meetingd(bootstrap(name, "bo-\(tag)@example.test"), ["DATABASE_URL": url])
            XCTAssertEqual(refused.termination, .exited(1), refused.stderr)
            XCTAssertEqual(refused.stdout, "", "nothing printed as made")
            let message = try loggedMessage(refused)
            for words in ["--community is already the name of community \"Taken Academy \(tag)\" (\(firstId))", "bo-\(tag)@example.test is none of its admins",
                          "nothing was created", "another name"] {
                XCTAssertTrue(message.contains(words), "\(words): \(message)")
            }
        }
        // Two at once for one name and two admins: one makes it, the other is refused naming it.
        let runs = try twoAtOnce([bootstrap("Race \(tag)", "one-\(tag)@example.test"), bootstrap("Race \(tag)", "two-\(tag)@example.test")], url)
        XCTAssertEqual(runs.map(\.termination).filter { $0 == .exited(0) }.count, 1, "\(runs.map(\.stderr))")
        let made = try bootstrapped(try XCTUnwrap(runs.first { $0.termination == .exited(0) }))
        let loser = try XCTUnwrap(runs.first { $0.termination != .exited(0) })
        XCTAssertEqual(loser.termination, .exited(1), loser.stderr)
        XCTAssertTrue(try loggedMessage(loser).contains("(\(made["community_id"]?.string ?? "?"))"), "names the one made: \(loser.stderr)")
        XCTAssertEqual(try Psql.query(url, "SELECT count(*) FROM communities"), ["2"], "nothing else was made")
        XCTAssertEqual(try Psql.query(url, "SELECT count(*) FROM people"), ["2"], "nor any admin")
    }

    private func bootstrap(_ community: String, _ email: String) -> [String] {
        ["bootstrap", "--community", community, "--short-name", "AG", "--admin-email", email, "--admin-first", "Ada", "--admin-last", "Admin"]
    }

    /// What a bootstrap that succeeded printed.
    private func bootstrapped(_ run: ToolResult) throws -> JSONValue {
        XCTAssertEqual(run.termination, .exited(0), run.stderr)
        return try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The message of the log line meetingd stopped with (its last line on stderr).
    private func loggedMessage(_ run: ToolResult) throws -> String {
        try JSONValue.parse(String(run.stderr.split(separator: "\n").last ?? ""))["message"]?.string ?? ""
    }

    /// Runs the two commands at the same time on `url`, in the order given.
    private func twoAtOnce(_ commands: [[String]], _ url: String) throws -> [ToolResult] {
        let results = Locked<[Int: ToolResult]>([:]), path = TestEnvironment.meetingdPath
        DispatchQueue.concurrentPerform(iterations: commands.count) { i in
            if let run = try? runTool(path, commands[i], environment: ["DATABASE_URL": url]) { results.withLock { $0[i] = run } }
        }
        let runs = results.withLock { $0 }
        guard runs.count == commands.count else { throw HarnessError("not every run answered: \(runs)") }
        return commands.indices.compactMap { runs[$0] }
    }

    /// A server that cannot be reached is a passing hindrance: exit status 75, run it again.
    func testAnUnreachableDatabaseIsToldAsTemporary() throws {
        let socketless = "host=/nonexistent-\(TestEnvironment.uniqueTag()) dbname=meetingledger connect_timeout=2"
        let tag = TestEnvironment.uniqueTag()
        for (arguments, command) in [
            (["migrate"], "meetingd migrate"),
            (["bootstrap", "--community", "U \(tag)", "--short-name", "U", "--admin-email", "u-\(tag)@example.test", "--admin-first", "U",
              "--admin-last", "U"], "meetingd bootstrap"),
        ] {
            let run = try meetingd(arguments, ["DATABASE_URL": socketless])
            XCTAssertEqual(run.termination, .exited(75), run.stderr)
            XCTAssertTrue(run.stderr.contains("cannot reach the database"), run.stderr)
            XCTAssertTrue(run.stderr.contains("run \(command) again"), run.stderr)
            XCTAssertFalse(run.stderr.contains("migration failed"), run.stderr)
        }
    }

    /// A table the migrations read, locked by another session past the lock timeout: the lock is
    /// named and running it again is the remedy (exit status 75).
    func testATableLockedPastTheLockTimeoutIsToldAsTemporary() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "migrate_table_lock")
        let holder = try PsqlSession(url)
        defer { holder.close() }
        try holder.query("BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE;")
        let run = try meetingd(["migrate"], environment.merging(["MEETINGLEDGER_LOCK_TIMEOUT_MS": "500"]) { $1 })
        XCTAssertEqual(run.termination, .exited(75), run.stderr)
        for words in ["schema_migrations", "locked by another session", "run meetingd migrate again", "MEETINGLEDGER_LOCK_TIMEOUT_MS"] {
            XCTAssertTrue(run.stderr.contains(words), "\(words): \(run.stderr)")
        }
        try holder.query("ROLLBACK;")
        XCTAssertEqual(try meetingd(["migrate"], environment).termination, .exited(0), "once the lock is free")

        // bootstrap, its migrations done, stopped by a table its transaction must write.
        try holder.query("BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;")
        let bootstrap = ["bootstrap", "--community", "Locked", "--short-name", "LK", "--admin-email", "lk@locked.example", "--admin-first", "A", "--admin-last", "B"]
        let stopped = try meetingd(bootstrap, environment.merging(["MEETINGLEDGER_LOCK_TIMEOUT_MS": "500"]) { $1 })
        XCTAssertEqual(stopped.termination, .exited(75), stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("nothing created") && stopped.stderr.contains("run meetingd bootstrap again"), stopped.stderr)
        try holder.query("ROLLBACK;")
        XCTAssertEqual(try Psql.query(url, "SELECT count(*) FROM people WHERE email = 'lk@locked.example'"), ["0"], "nothing was created")
        XCTAssertEqual(try meetingd(bootstrap, environment).termination, .exited(0), "once the lock is free")
    }

    /// A role that does not own the database cannot migrate it, and is told so (a fault to fix:
    /// exit status 1); so is a migration file changed after it was applied.
    func testFaultsSayWhatToFix() throws {
        let (url, environment) = try databaseMigrated(before: "9999", name: "migrate_faults")
        let role = "not_owner_\(TestEnvironment.uniqueTag())"
        _ = try Psql.query(databaseURL, "CREATE ROLE \(role) LOGIN")
        addTeardownBlock { [databaseURL] in _ = try? Psql.run(databaseURL, ["DROP ROLE IF EXISTS \(role)"]) }
        let stranger = try meetingd(["migrate"], environment.merging(["DATABASE_URL": Psql.conninfo(url, user: role)]) { $1 })
        XCTAssertEqual(stranger.termination, .exited(1), stranger.stderr)
        XCTAssertTrue(stranger.stderr.contains("must own the database"), stranger.stderr)

        let folder = try XCTUnwrap(environment["MEETINGLEDGER_MIGRATIONS"])
        let first = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted().first)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: folder + "/" + first))
        handle.seekToEndOfFile()
        handle.write(Data("\n-- edited after it was applied\n".utf8))
        handle.closeFile()
        let changed = try meetingd(["migrate"], environment)
        XCTAssertEqual(changed.termination, .exited(1), changed.stderr)
        XCTAssertTrue(changed.stderr.contains("was changed after it was applied"), changed.stderr)
    }
}
