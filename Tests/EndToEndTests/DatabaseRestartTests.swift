import Foundation
import XCTest

/// SPEC §3.1: a lost database connection is re-established on the next request; the request
/// that found it lost gets a retryable error, never a half-done effect. Each test runs its own
/// PostgreSQL cluster, because restarting the shared one would break the tests running beside it.
final class DatabaseRestartTests: EndToEndTestCase {
    private var clusterName: String?

    override func tearDownWithError() throws {
        try super.tearDownWithError()  // kills the meetingd processes first
        if let clusterName { _ = try scriptsDB(["destroy", "--name", clusterName]) }
    }

    private func scriptsDB(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
        try runTool("/bin/bash", [TestEnvironment.repoRoot + "/scripts/db"] + arguments, environment: environment, timeout: 180)
    }

    /// Starts a fresh cluster of this test's own, migrated unless told not to; returns its
    /// conninfo. Not `--fast`: with synchronous_commit off, an immediate restart loses the last
    /// commits, and the test would see data vanish that meetingd had rightly reported as committed.
    private func startOwnCluster(migrated: Bool = true) throws -> String {
        let name = "restart-\(TestEnvironment.uniqueTag())"
        clusterName = name
        let start = try scriptsDB(["start", "--name", name])
        guard start.succeeded, let url = start.stdout.split(separator: "\n").last.map(String.init), !url.isEmpty else {
            throw HarnessError("scripts/db start --name \(name) failed (\(start.termination)): \(start.stderr)")
        }
        guard migrated else { return url }
        let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        guard migrate.succeeded else { throw HarnessError("meetingd migrate failed: \(migrate.stderr)") }
        return url
    }

    private func keyedCreate(_ params: [String: JSONValue], key: String) -> [String: JSONValue] {
        var all = params
        all["idempotency_key"] = .string(key)
        return all
    }

    /// A database that answers but takes no writes (a standby, a primary set read-only) is not
    /// healthy: ping says read_only, where it said ok while every change was refused. On a
    /// cluster of its own: turning the shared one read-only refused the writes of the tests
    /// running beside it.
    func testPingSaysReadOnlyWhereChangesAreRefused() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("read-only", databaseURL: url)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
        // The server turns read-only under the running meetingd (its session stays open).
        func readOnly(_ on: Bool) throws {
            let change = on ? "ALTER SYSTEM SET default_transaction_read_only = on" : "ALTER SYSTEM RESET default_transaction_read_only"
            XCTAssertTrue(try Psql.run(url, [change, "SELECT pg_reload_conf()"]).succeeded)
            try Psql.waitFor(url, "SHOW default_transaction_read_only", toSay: [on ? "on" : "off"], "the server did not reload")
        }
        try readOnly(true)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "read_only")
        let refused = try meetingd.call("community.update_settings", as: community.adminId, ["horizon_days": 30])["error"]
        XCTAssertEqual(refused?["code"], 5030)
        XCTAssertEqual(refused?["data"]?["retryable"], true)
        // Nothing was written, and the caller reads so: not the lost connection's "may have been made".
        XCTAssertTrue(refused?["message"]?.string?.hasPrefix("Not written: the database takes no changes now") == true, "\(String(describing: refused))")
        // The log names this case and its remedy too, not only a failover's (DATABASE_URL).
        try meetingd.waitForLog("the refusal's warning names a primary set read-only, and the call it met") {
            ($0["message"]?.string ?? "").contains("a primary set read-only (default_transaction_read_only")
                && $0["method"] == "community.update_settings" && $0["id"] != nil
        }
        // A meetingd started now (meetctl starts one per command) reads the current schema
        // without writing and says the same, and reads are served: it said unavailable and
        // refused every call, its start-up's write refused.
        let fresh = try startMeetingd(environment: ["DATABASE_URL": url])
        XCTAssertEqual(try fresh.call("system.ping")["result"]?["database"], "read_only")
        XCTAssertEqual(try fresh.result("community.get", as: community.adminId)["id"], .string(community.id))
        let refusedAtStart = try fresh.call("community.update_settings", as: community.adminId, ["horizon_days": 30])["error"]
        XCTAssertEqual(refusedAtStart?["code"], 5030)
        XCTAssertTrue(refusedAtStart?["message"]?.string?.hasPrefix("Not written") == true, "\(String(describing: refusedAtStart))")
        try readOnly(false)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
    }

    /// A write refused by a database that takes none is logged as that, the database read-only,
    /// with its remedy: it was logged as a lost connection. (meetingd's sessions alone are made
    /// read-only here, as a standby's or a primary's set so would be: the shared cluster serves on.)
    func testAWriteRefusedByAReadOnlyDatabaseIsLoggedAsSuch() throws {
        let community = try TestCommunity.bootstrap("read-only log")
        let setting = "-cdefault_transaction_read_only" + (databaseURL.contains("://") ? "%3Don" : "=on")
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": Psql.conninfo(databaseURL, "options", setting)])
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "read_only")
        XCTAssertEqual(try meetingd.call("community.update_settings", as: community.adminId, ["horizon_days": 30])["error"]?["code"], 5030)
        try meetingd.waitForLog("the refusal's line") { $0["method"] == "community.update_settings" && $0["level"] == "warning" }
        let logged = meetingd.stderrLines.compactMap { try? JSONValue.parse($0) }.filter { $0["method"] == "community.update_settings" && $0["level"] == "warning" }
        XCTAssertEqual(logged.count, 1, "\(logged)")
        let message = logged.first?["message"]?.string ?? ""
        XCTAssertTrue(message.hasPrefix("the database is read-only, a write refused: read_only [25006]"), message)
        XCTAssertTrue(message.contains("target_session_attrs=read-write"), "with its remedy: \(message)")
        XCTAssertFalse(message.contains("connection lost") || message.contains("connection_lost"), message)
    }

    /// A server that stops answering without closing the connection (its backend stopped, or
    /// a stalled proxy) does not hold a call for ever: past the statement timeout and 5 s the
    /// call fails as retryable and changes nothing, and the next call, the server back,
    /// reconnects.
    func testAServerThatStopsAnsweringFailsTheCallInsteadOfHangingIt() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("stalled", databaseURL: url)
        let name = "stalled-\(TestEnvironment.uniqueTag())"
        let meetingd = try startMeetingd(environment: [
            "DATABASE_URL": Psql.conninfo(url, "application_name", name), "MEETINGLEDGER_STATEMENT_TIMEOUT_MS": "1000",
        ])
        try community.createPerson(on: meetingd, roles: ["user"])
        let found = try Psql.run(url, ["SELECT pid FROM pg_stat_activity WHERE application_name = '\(name)'"])
        let pid = try XCTUnwrap(Int32(found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "the backend of meetingd: \(found.stdout) \(found.stderr)")
        XCTAssertEqual(kill(pid, SIGSTOP), 0)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        let params = TestCommunity.personParams(roles: ["expert"])
        let started = Date()
        let stalled = try meetingd.call("person.create", as: community.adminId, params)
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(stalled["error"]?["code"], 5030, "\(stalled)")
        XCTAssertEqual(stalled["error"]?["data"]?["retryable"], true)
        XCTAssertGreaterThan(waited, 5.5, "not before the statement timeout and 5 s")
        XCTAssertLessThan(waited, 30, "the call was not held for ever: \(waited) s")
        kill(pid, SIGCONT)
        resumed = true
        XCTAssertEqual(try community.people(on: meetingd).filter { $0["email"] == params["email"] }, [], "nothing of the stalled call")
        try meetingd.result("person.create", as: community.adminId, params)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
    }

    /// Restarts PostgreSQL under a serving meetingd, both abruptly (immediate: connections are
    /// cut) and politely (fast: backends are told to terminate). The session the server ended
    /// while meetingd was idle is opened again before the next call's first statement: once the
    /// restart is over, the first ping says the database is there and the first change is made
    /// (they were answered "unavailable" and 5030, the database back).
    func testPostgresRestartUnderneath() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("restart", databaseURL: url)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        try community.createPerson(on: meetingd, roles: ["user"])

        for (round, mode) in ["immediate", "fast"].enumerated() {
            let restart = try scriptsDB(["restart", "--name", clusterName!], environment: ["MODE": mode])
            XCTAssertTrue(restart.succeeded, "scripts/db restart (\(mode)): \(restart.stderr)")

            XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok", "the first ping after a \(mode) restart")
            let params = TestCommunity.personParams(roles: ["expert"])
            let key = "after-\(mode)-restart-\(TestEnvironment.uniqueTag())"
            let firstTry = try meetingd.call("person.create", as: community.adminId, keyedCreate(params, key: key))
            XCTAssertNotNil(firstTry["result"], "the first change after a \(mode) restart: \(firstTry)")

            let retried = try meetingd.result("person.create", as: community.adminId, keyedCreate(params, key: key))
            if let first = firstTry["result"] { XCTAssertEqual(retried, first, "the retry returns the first response") }
            XCTAssertEqual(try community.people(on: meetingd).filter { $0["email"] == params["email"] }.count, 1, "exactly one effect")
            XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
            XCTAssertEqual(try meetingd.result("community.get", as: community.adminId)["id"], .string(community.id))
            XCTAssertEqual(try community.people(on: meetingd).count, 3 + round)
        }
    }

    func testDatabaseDownThenBack() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("down", databaseURL: url)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        try community.createPerson(on: meetingd, roles: ["user"])

        let stop = try scriptsDB(["stop", "--name", clusterName!])
        XCTAssertTrue(stop.succeeded, "scripts/db stop: \(stop.stderr)")

        let params = TestCommunity.personParams(roles: ["user"])
        let key = "while-down-\(TestEnvironment.uniqueTag())"
        for _ in 0..<2 {
            let error = try meetingd.error("person.create", as: community.adminId, keyedCreate(params, key: key), code: 5030)
            XCTAssertEqual(error["data"]?["retryable"], true)
        }
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "unavailable", "ping reports the database")

        let start = try scriptsDB(["start", "--name", clusterName!])
        XCTAssertTrue(start.succeeded, "scripts/db start: \(start.stderr)")
        try meetingd.result("person.create", as: community.adminId, keyedCreate(params, key: key))
        XCTAssertEqual(try community.people(on: meetingd).filter { $0["email"] == params["email"] }.count, 1)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
    }

    /// The retryable answer every call but system.ping and rpc.discover gets while the
    /// database cannot be used.
    private func assertUnavailable(_ meetingd: Meetingd, as actor: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "unavailable", file: file, line: line)
        let error = try meetingd.error("community.get", as: actor, code: 5030)
        XCTAssertEqual(error["data"]?["code"], "database_unavailable", file: file, line: line)
        XCTAssertEqual(error["data"]?["retryable"], true, file: file, line: line)
        XCTAssertNotNil(try meetingd.call("rpc.discover")["result"], "what needs no database is answered", file: file, line: line)
    }

    /// Started while PostgreSQL is down, meetingd serves errors instead of exiting, and migrates
    /// the (still empty) database and serves as soon as PostgreSQL is back.
    func testStartedWhileTheDatabaseIsDownItMigratesOnceItIsBack() throws {
        let url = try startOwnCluster(migrated: false)
        XCTAssertTrue(try scriptsDB(["stop", "--name", clusterName!]).succeeded)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        try assertUnavailable(meetingd, as: "per_" + String(repeating: "0", count: 32))
        XCTAssertTrue(meetingd.isRunning)
        XCTAssertTrue(meetingd.stderrEventuallyContains("unavailable at start-up"), meetingd.stderrTail)

        XCTAssertTrue(try scriptsDB(["start", "--name", clusterName!]).succeeded)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
        let files = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.repoRoot + "/sql/migrations")
        let latest = files.compactMap { Int($0.prefix(4)) }.max() ?? 0
        XCTAssertEqual(try Psql.query(url, "SELECT max(version) FROM schema_migrations"), ["\(latest)"], "meetingd migrated the database it found")
        let community = try TestCommunity.bootstrap("after start", databaseURL: url)
        XCTAssertEqual(try meetingd.result("community.get", as: community.adminId)["id"], .string(community.id))
    }

    /// Started while every connection slot is taken, meetingd serves errors instead of exiting,
    /// and serves as soon as a slot is free.
    func testStartedWhileTheDatabaseIsFullItServesOnceASlotIsFree() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("full", databaseURL: url)
        _ = try Psql.query(url, "ALTER SYSTEM SET max_connections = 6")
        XCTAssertTrue(try scriptsDB(["restart", "--name", clusterName!], environment: ["MODE": "fast"]).succeeded)
        var sessions: [PsqlSession] = []
        while sessions.count < 20, let session = try? PsqlSession(url), (try? session.query("SELECT 1;", timeout: 10)) == ["1"] {
            sessions.append(session)
        }
        let refused = try Psql.run(url, ["SELECT 1"])
        XCTAssertTrue(refused.stderr.contains("too many clients"), "the cluster is full (\(sessions.count) sessions): \(refused.stderr)")

        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        try assertUnavailable(meetingd, as: community.adminId)
        XCTAssertTrue(meetingd.isRunning)

        sessions.removeLast().close()
        let deadline = Date().addingTimeInterval(15)
        while try meetingd.call("system.ping")["result"]?["database"] != "ok" && Date() < deadline { usleep(100_000) }
        XCTAssertEqual(try meetingd.result("community.get", as: community.adminId)["id"], .string(community.id))
        sessions.forEach { $0.close() }
    }

    /// A database that refuses the login for good (no such database or role, a setting's value
    /// libpq refuses as it connects) stops the start with what to fix; it was taken for a
    /// database that is down, and answered the retryable 5030 for ever.
    func testALoginTheDatabaseRefusesStopsTheStart() throws {
        // Words appended to a keyword/value string (a URI takes none).
        let unreadable = databaseURL.hasPrefix("postgres") ? [] : [(databaseURL + " sslmode=bogus", "invalid sslmode value")]
        for (url, says) in [("dbname", "no_such_db_\(TestEnvironment.uniqueTag())", "does not exist"),
                            ("user", "no_such_role_\(TestEnvironment.uniqueTag())", "does not exist"), ("port", "abc", "invalid integer value")]
            .map({ keyword, value, says in (Psql.conninfo(databaseURL, keyword, value), says) }) + unreadable {
            for command in [["serve"], ["migrate"]] {
                let run = try runTool(TestEnvironment.meetingdPath, command, environment: ["DATABASE_URL": url], timeout: 30)
                XCTAssertEqual(run.termination, .exited(1), "\(command) with \(url): \(run.stderr)")
                XCTAssertTrue(run.stderr.contains("the database refuses meetingd's login") && run.stderr.contains(says), run.stderr)
                // Said as a log line, as everything else meetingd logs (it was plain text).
                let last = try JSONValue.parse(String(run.stderr.split(separator: "\n").last ?? ""))
                XCTAssertEqual(last["level"], "error", run.stderr)
                XCTAssertEqual(last["message"]?.string?.hasPrefix("the database refuses meetingd's login"), true, run.stderr)
                XCTAssertTrue(run.stderr.contains("fix DATABASE_URL"), run.stderr)
            }
        }
    }

    /// A DATABASE_URL (or MEETINGLEDGER_READ_DATABASE_URL) libpq cannot parse is a mistake in the
    /// configuration, told as one with libpq's words and exit status 2 before anything is tried:
    /// it was told as a login the database refused (exit status 1).
    func testAConnectionStringLibpqCannotParseIsToldAsSuch() throws {
        let tag = TestEnvironment.uniqueTag()
        let bootstrap = ["bootstrap", "--community", "Unparsed \(tag)", "--short-name", "UP", "--admin-email", "up-\(tag)@example.test",
                         "--admin-first", "U", "--admin-last", "P"]
        for (url, says) in [("host=/nonexistent dbname='meetingledger", "unterminated quoted string"), ("postgresql://%zz", "invalid percent-encoded token"),
                            ("host=/nonexistent dbnmae=x", "invalid connection option \"dbnmae\"")] {
            for (command, environment) in [(["serve"], ["DATABASE_URL": url]), (["migrate"], ["DATABASE_URL": url]), (bootstrap, ["DATABASE_URL": url]),
                                           (["serve"], ["DATABASE_URL": databaseURL, "MEETINGLEDGER_READ_DATABASE_URL": url])] {
                let variable = environment.count == 1 ? "DATABASE_URL" : "MEETINGLEDGER_READ_DATABASE_URL"
                let run = try runTool(TestEnvironment.meetingdPath, command, environment: environment, timeout: 30)
                XCTAssertEqual(run.termination, .exited(2), "\(command) with \(variable) \(url): \(run.stderr)")
                XCTAssertTrue(run.stderr.hasPrefix("\(variable) cannot be parsed as a connection string: ") && run.stderr.contains(says), run.stderr)
                XCTAssertFalse(run.stderr.contains("refuses meetingd's login"), run.stderr)
                XCTAssertFalse(run.stderr.contains("usage:"), "the mistake and its remedy, not the whole usage (meetctl shows it too): \(run.stderr)")
                XCTAssertEqual(run.stdout, "", "nothing served or created")
            }
        }
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT count(*) FROM communities WHERE name = 'Unparsed \(tag)'"), ["0"])
    }

    /// Met after start-up (the database was down then), a refused login is told apart from a
    /// database that is down: ping says "refused" and calls get 5035, not retryable.
    func testARefusedLoginMetAfterStartUpIsNotRetryable() throws {
        let url = try startOwnCluster()
        XCTAssertTrue(try scriptsDB(["stop", "--name", clusterName!]).succeeded)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": Psql.conninfo(url, "dbname", "no_such_db")])
        try assertUnavailable(meetingd, as: "per_" + String(repeating: "0", count: 32))
        XCTAssertTrue(try scriptsDB(["start", "--name", clusterName!]).succeeded)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "refused")
        let refused = try meetingd.error("community.get", as: "per_" + String(repeating: "0", count: 32), code: 5035)
        XCTAssertEqual(refused["data"]?["code"], "database_refused")
        XCTAssertEqual(refused["data"]?["retryable"], false)
        XCTAssertTrue(meetingd.stderrEventuallyContains("does not exist"), "the log says why: \(meetingd.stderrTail)")
        XCTAssertTrue(meetingd.isRunning, "it serves on: an operator may create the database")
    }

    /// Pinned to a person the database does not have, while the database was down at start-up
    /// (so the pin could not be checked): once it is back, a call that named nobody is told the
    /// pinned person is unknown and whom to ask, not that "actor" named nobody.
    func testAPinToNobodyMetAfterStartUpSaysSo() throws {
        let url = try startOwnCluster()
        XCTAssertTrue(try scriptsDB(["stop", "--name", clusterName!]).succeeded)
        let nobody = "per_" + String(repeating: "0", count: 32)
        let meetingd = try startMeetingd(["--pin-actor", nobody], environment: ["DATABASE_URL": url])
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "unavailable")
        XCTAssertTrue(try scriptsDB(["start", "--name", clusterName!]).succeeded)
        let refused = try meetingd.call("community.get", .object([:]))
        XCTAssertEqual(refused["error"]?["code"], 4001, "\(refused)")
        let message = refused["error"]?["message"]?.string ?? ""
        XCTAssertTrue(message.contains("this meetingd acts for \(nobody) (--pin-actor), whom its database does not have"), message)
        XCTAssertFalse(message.contains("given in \"actor\""), message)
    }

    /// Met after start-up (the database was down then), a migration that cannot be applied stops
    /// meetingd, as it does at start-up; it answered 5030 for ever.
    func testABrokenMigrationMetAfterStartUpStopsMeetingd() throws {
        let url = try startOwnCluster(migrated: false)
        XCTAssertTrue(try scriptsDB(["stop", "--name", clusterName!]).succeeded)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(TestEnvironment.uniqueTag())")
        try FileManager.default.copyItem(atPath: TestEnvironment.repoRoot + "/sql/migrations", toPath: folder.path)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The newest migration broken (a folder with one newer than meetingd is refused at once).
        let newest = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted().last)
        try "SELECT * FROM no_such_table;\n".write(to: folder.appendingPathComponent(newest), atomically: true, encoding: .utf8)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url, "MEETINGLEDGER_MIGRATIONS": folder.path])
        try assertUnavailable(meetingd, as: "per_" + String(repeating: "0", count: 32))
        XCTAssertTrue(try scriptsDB(["start", "--name", clusterName!]).succeeded)
        let answer = try meetingd.call("system.ping")
        XCTAssertEqual(answer["result"]?["database"], "unavailable", "the call that met it is answered: \(answer)")
        XCTAssertEqual(try meetingd.waitForExit(), .exited(1))
        XCTAssertTrue(meetingd.stderrText.contains(newest.replacingOccurrences(of: ".sql", with: "") + " failed") && meetingd.stderrText.contains("stopping"), meetingd.stderrTail)
    }
}
