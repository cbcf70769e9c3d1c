import Foundation
import XCTest

/// SPEC §6: read-only methods can be pointed at a hot standby (MEETINGLEDGER_READ_DATABASE_URL),
/// and libpq multi-host connection strings carry meetingd through a failover. Each test runs a
/// primary and a real streaming standby of its own (scripts/db start, scripts/db standby); a
/// standby cut off from its primary (no WAL streams to it) shows which server answered.
final class StandbyReadTests: EndToEndTestCase {
    private var clusters: [String] = []
    private var primaryURL = ""
    private var standbyURL = ""

    override func tearDownWithError() throws {
        try super.tearDownWithError()  // kills the meetingd processes first
        for name in clusters.reversed() { _ = try scriptsDB(["destroy", "--name", name]) }
    }

    private func scriptsDB(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
        try runTool("/bin/bash", [TestEnvironment.repoRoot + "/scripts/db"] + arguments, environment: environment, timeout: 180)
    }

    /// A migrated primary and its hot standby, both this test's own. Not `--fast`: the standby
    /// streams what the primary has flushed.
    private func startPrimaryAndStandby(migrations: String? = nil) throws {
        let tag = TestEnvironment.uniqueTag()
        let primary = "primary-\(tag)", standby = "standby-\(tag)"
        clusters.append(primary)
        let started = try scriptsDB(["start", "--name", primary])
        guard started.succeeded, let url = started.stdout.split(separator: "\n").last.map(String.init) else {
            throw HarnessError("scripts/db start --name \(primary) failed: \(started.stderr)")
        }
        primaryURL = url
        var environment = ["DATABASE_URL": primaryURL]
        if let migrations { environment["MEETINGLEDGER_MIGRATIONS"] = migrations }
        let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: environment)
        guard migrate.succeeded else { throw HarnessError("meetingd migrate failed: \(migrate.stderr)") }
        clusters.append(standby)
        let follows = try scriptsDB(["standby", "--name", standby, "--of", primary])
        guard follows.succeeded, let url = follows.stdout.split(separator: "\n").last.map(String.init) else {
            throw HarnessError("scripts/db standby --name \(standby) --of \(primary) failed: \(follows.stderr)")
        }
        standbyURL = url
    }

    private func sql(_ url: String, _ statement: String) throws -> String {
        let run = try runTool(Psql.path, ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement])
        guard run.succeeded else { throw HarnessError("psql failed on \(statement): \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `query` on the standby (or on `url`) until it says `expected`; fails with
    /// `failure` after 30 s.
    private func waitFor(_ query: String, toSay expected: String, _ failure: String, on url: String? = nil) throws {
        try Psql.waitFor(url ?? standbyURL, query, toSay: [expected], failure)
    }

    /// Waits until the standby has replayed everything the primary has written so far.
    private func waitForReplay() throws {
        let lsn = try sql(primaryURL, "SELECT pg_current_wal_lsn()")
        try waitFor("SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn", toSay: "t", "the standby did not replay up to \(lsn) within 30 s")
    }

    /// Cuts the standby off from its primary (no WAL streams to it; what it has is all replayed),
    /// as a network partition would: it answers from a frozen state that looks current. Returns
    /// how to reconnect it.
    private func cutStandbyOff() throws -> () throws -> Void {
        let conninfo = try sql(standbyURL, "SHOW primary_conninfo")
        XCTAssertFalse(conninfo.isEmpty)
        _ = try sql(standbyURL, "ALTER SYSTEM SET primary_conninfo = ''")
        _ = try sql(standbyURL, "SELECT pg_reload_conf()")
        try waitFor("SELECT count(*) FROM pg_stat_wal_receiver", toSay: "0", "the standby's WAL receiver did not stop")
        return {
            _ = try self.sql(self.standbyURL, "ALTER SYSTEM SET primary_conninfo = '\(conninfo.replacingOccurrences(of: "'", with: "''"))'")
            _ = try self.sql(self.standbyURL, "SELECT pg_reload_conf()")
        }
    }

    /// The sessions of `applicationName` on a server.
    private func sessions(_ url: String, _ applicationName: String) throws -> Int {
        Int(try sql(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(applicationName)'")) ?? -1
    }

    private func emails(_ meetingd: Meetingd, _ community: TestCommunity) throws -> Set<String> {
        Set(try community.people(on: meetingd).compactMap { $0["email"]?.string })
    }

    private func readingMeetingd(_ environment: [String: String] = [:]) throws -> Meetingd {
        try startMeetingd(environment: ["DATABASE_URL": primaryURL, "MEETINGLEDGER_READ_DATABASE_URL": standbyURL].merging(environment) { $1 })
    }

    /// A reading meetingd whose sessions on both servers are named `prefix-…` (`sessions`
    /// counts them); returns it and the name.
    private func namedReadingMeetingd(_ prefix: String) throws -> (meetingd: Meetingd, name: String) {
        let name = "\(prefix)-\(TestEnvironment.uniqueTag())"
        return (try startMeetingd(environment: [
            "DATABASE_URL": primaryURL + " application_name=\(name)", "MEETINGLEDGER_READ_DATABASE_URL": standbyURL + " application_name=\(name)",
        ]), name)
    }

    /// Reads go to the standby: a process that only reads never opens a session on the primary.
    func testAReaderIsAnsweredByTheStandbyAlone() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-reader", databaseURL: primaryURL)
        try waitForReplay()
        let (reader, name) = try namedReadingMeetingd("reader")
        for _ in 0..<5 { XCTAssertEqual(try emails(reader, community).count, 1) }
        XCTAssertEqual(try sessions(standbyURL, name), 1, "the reads' session is on the standby")
        XCTAssertEqual(try sessions(primaryURL, name), 0, "and none on the primary")
        // system.ping asks the primary too.
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "ok")
        XCTAssertEqual(try sessions(primaryURL, name), 1)
    }

    /// The meeting lists' cursors hold the server's snapshot, which a standby's does not show
    /// whole (it lists no transaction in progress: a change still open when the first page was
    /// read counted as seen, and its meeting could be skipped): they are the primary's to answer.
    func testTheMeetingListsAreAnsweredByThePrimary() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-lists", databaseURL: primaryURL)
        try waitForReplay()
        let (reader, name) = try namedReadingMeetingd("lists")
        XCTAssertEqual(try emails(reader, community).count, 1)
        XCTAssertEqual(try sessions(primaryURL, name), 0, "other reads stay on the standby")
        XCTAssertEqual(try reader.result("meeting.list", as: community.adminId)["items"]?.array?.count, 0)
        XCTAssertEqual(try sessions(primaryURL, name), 1, "meeting.list is read on the primary")
        // meeting.waiting as the first read of another process.
        let (second, office) = try namedReadingMeetingd("office")
        XCTAssertEqual(try second.result("meeting.waiting", as: community.adminId)["items"]?.array?.count, 0)
        XCTAssertEqual(try sessions(primaryURL, office), 1, "meeting.waiting is read on the primary")
        XCTAssertEqual(try sessions(standbyURL, office), 0, "and not on the standby")
    }

    /// A standby cut off from its primary answers from a frozen state: a process that wrote still
    /// reads its own writes (from the primary, as the standby lacks them), while a process that
    /// did not reads the frozen standby.
    func testReadsGoToTheStandbyAndEachProcessReadsItsOwnWrites() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby", databaseURL: primaryURL)
        let writer = try readingMeetingd(), reader = try readingMeetingd()
        XCTAssertEqual(try writer.call("system.ping")["result"]?["read_database"], "ok")
        try waitForReplay()
        let before = try emails(reader, community)
        XCTAssertEqual(before.count, 1, "the admin")

        let reconnect = try cutStandbyOff()
        let one = try community.createPerson(on: writer, roles: ["user"])
        XCTAssertEqual(try emails(writer, community), before.union([one["email"]!.string!]), "the writer reads its own write")
        XCTAssertEqual(try emails(reader, community), before, "the other process reads the frozen standby, which lacks the write")
        XCTAssertEqual(
            try reader.result("person.get", as: community.adminId, ["person_id": one["id"]!])["email"], one["email"],
            "a row the standby lacks is not reported missing: the primary answers")
        // A keyed write (its response stored in the same statement) is read back the same way.
        var keyedParams = TestCommunity.personParams(roles: ["expert"])
        keyedParams["idempotency_key"] = "keyed-while-cut-off"
        let keyed = try writer.result("person.create", as: community.adminId, keyedParams)
        XCTAssertTrue(try emails(writer, community).contains(keyed["email"]!.string!), "the writer reads its own keyed write")
        XCTAssertFalse(try emails(reader, community).contains(keyed["email"]!.string!))

        // A batch's writes commit in any order across its connections: each one is waited for.
        let batch = (0..<6).map { i -> String in
            var params = TestCommunity.personParams(roles: ["user"])
            params["actor"] = .string(community.adminId)
            return JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(100 + i)), "method": "person.create", "params": .object(params)]).serialized
        }
        let answers = try writer.exchange("[" + batch.joined(separator: ",") + "]")
        let created = try XCTUnwrap(answers.array).compactMap { $0["result"]?["email"]?.string }
        XCTAssertEqual(created.count, 6, "\(answers)")
        XCTAssertEqual(try emails(writer, community), before.union([one["email"]!.string!, keyed["email"]!.string!]).union(created))
        XCTAssertEqual(try emails(reader, community), before)

        try reconnect()
        try waitForReplay()
        XCTAssertEqual(try emails(reader, community).count, 9, "reconnected, the standby shows every write")
        XCTAssertEqual(try writer.call("system.ping")["result"]?["database"], "ok")

        // meetctl passes the setting to the meetingd it starts, and its ping shows the standby.
        var meetctl = try Meetctl()
        meetctl.environment["DATABASE_URL"] = primaryURL
        meetctl.environment["MEETINGLEDGER_READ_DATABASE_URL"] = standbyURL
        let ping = try meetctl.run(["ping"])
        XCTAssertTrue(ping.succeeded, ping.stderr)
        XCTAssertTrue(ping.stdout.contains("; database ok; read database ok; service time"), ping.stdout)
    }

    /// A write whose commit the standby has not replayed is not read there, even when a later
    /// transaction's commit has been replayed: on a standby, the snapshot lists no transaction in
    /// progress, so comparing against it (pg_visible_in_snapshot) took such a write for done.
    /// Here the writer's insert waits, its transaction id taken, on a row another session holds;
    /// a later transaction commits and is replayed; the standby is cut off; then the write commits.
    func testAWriteWhoseCommitTheStandbyHasNotReplayedIsReadFromThePrimary() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-in-progress", databaseURL: primaryURL)
        let (writer, name) = try namedReadingMeetingd("writer")
        XCTAssertEqual(try emails(writer, community).count, 1)
        var params = TestCommunity.personParams(roles: ["user"])
        let email = params["email"]!.string!

        // Another session holds an uncommitted row with the same e-mail: the writer's insert waits on it.
        let holder = try PsqlSession(primaryURL)
        try holder.query("""
            BEGIN; INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone)
            SELECT community_id, 'per_' || md5(\(Psql.literal(email))), \(Psql.literal(email)), 'Held', 'Row', '{user}', 'UTC'
            FROM people WHERE id = \(Psql.literal(community.adminId));
            """)
        params["actor"] = .string(community.adminId)
        try writer.send(JSONValue.object(["jsonrpc": "2.0", "id": 7, "method": "person.create", "params": .object(params)]).serialized)
        let deadline = Date().addingTimeInterval(30)
        var waiting = ""
        while waiting.isEmpty {
            guard Date() < deadline else { throw HarnessError("the writer's insert never waited on the held row") }
            usleep(20_000)
            waiting = try sql(primaryURL, "SELECT coalesce(backend_xid::text, '') FROM pg_stat_activity WHERE application_name = '\(name)' AND wait_event_type = 'Lock'")
        }
        let later = try sql(primaryURL, "SELECT pg_current_xact_id()")
        XCTAssertLessThan(UInt64(waiting) ?? .max, UInt64(later) ?? 0, "the writer's transaction id comes before the later one's")
        try waitForReplay()
        let reconnect = try cutStandbyOff()
        _ = try holder.query("ROLLBACK;")
        let created = try writer.readResponse(timeout: 30)
        XCTAssertEqual(created["result"]?["email"]?.string, email, "\(created)")

        XCTAssertTrue(try emails(writer, community).contains(email), "the writer reads its own write: the primary answers")
        try reconnect()
        try waitForReplay()
        XCTAssertTrue(try emails(writer, community).contains(email))
    }

    /// A database whose default isolation is REPEATABLE READ changes nothing: meetingd's sessions
    /// run READ COMMITTED. Under REPEATABLE READ a read on the standby kept the snapshot of its
    /// first statement, which could predate the replay of the commit that statement's check
    /// then found: with another client writing all the while, about one read in twenty after a
    /// grant missed it. Here 800 grants, each read back, while two psql sessions insert without pause.
    func testAReaderOnADatabaseDefaultingToRepeatableReadStillReadsItsOwnWrites() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-repeatable-read", databaseURL: primaryURL)
        _ = try sql(primaryURL, """
            DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(), 'repeatable read'); END $$;
            CREATE TABLE background_load (n int);
            """)
        try waitForReplay()
        XCTAssertEqual(try sql(standbyURL, "SHOW default_transaction_isolation"), "repeatable read", "the standby's sessions default to it too")
        let writer = try readingMeetingd()
        let finance = try community.createPersonId(on: writer, roles: ["finance"])
        let user = try community.createPersonId(on: writer, roles: ["user"])
        let loads = (0..<2).map { _ in Process() }
        for load in loads {
            load.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            load.arguments = ["120", "/bin/bash", "-c", #"yes 'INSERT INTO background_load VALUES (1);' | "$0" -X -q -d "$1" >/dev/null 2>&1"#, Psql.path, primaryURL]
            try load.run()
        }
        defer { loads.forEach { $0.terminate() } }
        var stale: [String] = []
        for n in 1...800 {
            _ = try writer.result("credits.grant", as: finance, ["user_id": .string(user), "credits": 1, "reference": .string("rr-\(n)")])
            let posted = try writer.result("ledger.balance", as: finance, ["person_id": .string(user)])["posted"]?.int
            if posted != Int64(n) { stale.append("\(n): \(posted.map(String.init) ?? "none")") }
        }
        XCTAssertEqual(stale, [], "each read shows the grant before it")
        XCTAssertGreaterThan(Int(try sql(primaryURL, "SELECT count(*) FROM background_load")) ?? 0, 400, "the other clients wrote all the while")
    }

    /// MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY: a write is made only where the commit waits
    /// for a synchronous standby. A primary with synchronous replication off (what
    /// pg_auto_failover's monitor set on a primary it was failing over, which then acknowledged
    /// writes the promoted standby never had) refuses it with the retryable 5030, nothing
    /// written; the same call with its key takes effect once the standby is synchronous.
    func testWritesOnlyWhereASynchronousStandbyConfirmsThem() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("synchronous-only", databaseURL: primaryURL)
        let guarded = try startMeetingd(environment: ["DATABASE_URL": primaryURL, "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY": "1"])
        let plain = try startMeetingd(environment: ["DATABASE_URL": primaryURL])
        let finance = try community.createPersonId(on: plain, roles: ["finance"])
        let user = try community.createPersonId(on: plain, roles: ["user"])
        func posted() throws -> Int64? { try plain.result("ledger.balance", as: finance, ["person_id": .string(user)])["posted"]?.int }
        let grant: [String: JSONValue] = ["user_id": .string(user), "credits": 5, "reference": "sync-1", "idempotency_key": "sync-1"]

        XCTAssertEqual(try sql(primaryURL, "SHOW synchronous_standby_names"), "", "asynchronous, as the cluster starts")
        let refused = try guarded.call("credits.grant", as: finance, grant)
        XCTAssertEqual(refused["error"]?["code"], 5030, "\(refused)")
        XCTAssertEqual(refused["error"]?["data"]?["retryable"], true)
        XCTAssertTrue(refused["error"]?["message"]?.string?.contains("synchronous standby") ?? false,
                      "the caller is told why, not of an outage ping does not show: \(refused)")
        XCTAssertEqual(try guarded.call("system.ping")["result"]?["database"], "ok")
        XCTAssertEqual(try posted(), 0, "nothing written")
        let person = try guarded.call("person.create", as: community.adminId, TestCommunity.personParams(roles: ["user"]))
        XCTAssertEqual(person["error"]?["code"], 5030, "every write: \(person)")
        let expert = try community.createPersonId(on: plain, roles: ["expert"])
        let block: [String: JSONValue] = ["expert_id": .string(expert), "start": "2030-03-05T09:00:00Z", "end": "2030-03-05T10:00:00Z"]
        let blocked = try guarded.call("availability.block", as: community.adminId, block)
        XCTAssertEqual(blocked["error"]?["code"], 5030, "a write of several statements too: \(blocked)")
        XCTAssertEqual(try sql(primaryURL, "SELECT count(*) FROM availability_periods WHERE expert_id = '\(expert)'"), "0")
        // A read made the same way (several statements in one transaction) writes nothing, and answers.
        XCTAssertNotNil(
            try guarded.result("availability.get", as: community.adminId, ["expert_id": .string(expert), "from": "2030-03-04T00:00:00Z", "to": "2030-03-11T00:00:00Z"])["periods"],
            "a read is not refused")
        // meetingd bootstrap writes a community: held to it too.
        let communities = try sql(primaryURL, "SELECT count(*) FROM communities")
        let boot = try runTool(TestEnvironment.meetingdPath, [
            "bootstrap", "--community", "Refused \(TestEnvironment.uniqueTag())", "--short-name", "R", "--admin-email", "r-\(TestEnvironment.uniqueTag())@example.test",
            "--admin-first", "Ren", "--admin-last", "Ro",
        ], environment: ["DATABASE_URL": primaryURL, "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY": "1"])
        XCTAssertEqual(boot.termination, .exited(1), boot.stdout + boot.stderr)
        XCTAssertTrue(boot.stderr.contains("no synchronous standby"), boot.stderr)
        XCTAssertEqual(try sql(primaryURL, "SELECT count(*) FROM communities"), communities, "no community written")
        try guarded.waitForLog("the refusal's warning") {
            $0["level"] == "warning" && ($0["message"]?.string ?? "").contains("MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY")
        }
        _ = try plain.result("credits.grant", as: finance, ["user_id": .string(user), "credits": 1, "reference": "async-1"])
        XCTAssertEqual(try posted(), 1, "without the setting, writes go on")

        _ = try sql(primaryURL, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        _ = try sql(primaryURL, "SELECT pg_reload_conf()")
        try waitFor(
            "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')", toSay: "1", "the standby never became synchronous",
            on: primaryURL)
        _ = try guarded.result("credits.grant", as: finance, grant)
        XCTAssertEqual(try posted(), 6, "the retry with its key, the standby synchronous")
        XCTAssertNotNil(try guarded.result("person.create", as: community.adminId, TestCommunity.personParams(roles: ["user"]))["id"])
        _ = try guarded.result("availability.block", as: community.adminId, block)
        XCTAssertEqual(try sql(primaryURL, "SELECT count(*) FROM availability_periods WHERE expert_id = '\(expert)'"), "1")

        // A commit that would not wait for the standby (synchronous_commit local) is refused too.
        _ = try sql(primaryURL, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = local', current_database()); END $$")
        let local = try startMeetingd(environment: ["DATABASE_URL": primaryURL, "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY": "true"])
        let refusedLocal = try local.call("credits.grant", as: finance, ["user_id": .string(user), "credits": 1, "reference": "sync-2"])
        XCTAssertEqual(refusedLocal["error"]?["code"], 5030, "\(refusedLocal)")
        XCTAssertEqual(try posted(), 6, "still the unguarded grant and the retried one alone")

        let wrong = try runTool(TestEnvironment.meetingdPath, [], environment: ["DATABASE_URL": primaryURL, "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY": "yes please"])
        XCTAssertEqual(wrong.termination, .exited(2), wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY must be 1 or true"), wrong.stderr)
    }

    /// A standby behind what it has received (replay paused, delayed or slow) answers nobody:
    /// finance's "as of now" must not be an older state. Reads go to the primary until it has
    /// replayed what it received.
    func testAStandbyBehindWhatItReceivedIsNotRead() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-behind", databaseURL: primaryURL)
        try waitForReplay()
        let writer = try readingMeetingd(), reader = try readingMeetingd()
        XCTAssertEqual(try emails(reader, community).count, 1)
        _ = try sql(standbyURL, "SELECT pg_wal_replay_pause()")
        let one = try community.createPerson(on: writer, roles: ["user"])
        let received = try sql(primaryURL, "SELECT pg_current_wal_lsn()")
        try waitFor("SELECT pg_last_wal_receive_lsn() >= '\(received)'::pg_lsn", toSay: "t", "the standby did not receive the write")
        usleep(1_100_000)  // past the second a replay in progress is trusted for
        XCTAssertTrue(try emails(reader, community).contains(one["email"]!.string!), "the primary answers while the standby is behind")
        _ = try sql(standbyURL, "SELECT pg_wal_replay_resume()")
    }

    /// A keyed call answered from its stored response may have committed in a transaction this
    /// process never saw (its first answer was lost): reads go to the primary until it writes again.
    func testAReplayedKeyedCallIsReadBackFromThePrimary() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-key", databaseURL: primaryURL)
        var params = TestCommunity.personParams(roles: ["user"])
        params["idempotency_key"] = "create-once"
        let first = try readingMeetingd()
        let made = try first.result("person.create", as: community.adminId, params)
        try waitForReplay()
        let reconnect = try cutStandbyOff()
        // Made by another process while the standby was cut off, then retried here with its key.
        var other = TestCommunity.personParams(roles: ["expert"])
        other["idempotency_key"] = "made-elsewhere"
        let elsewhere = try startMeetingd(environment: ["DATABASE_URL": primaryURL])
        let madeElsewhere = try elsewhere.result("person.create", as: community.adminId, other)
        let retrying = try readingMeetingd()
        XCTAssertEqual(try retrying.result("person.create", as: community.adminId, other), madeElsewhere, "the stored answer")
        XCTAssertTrue(try emails(retrying, community).contains(other["email"]!.string!), "read back from the primary")
        XCTAssertFalse(try emails(first, community).contains(other["email"]!.string!), "another process still reads the frozen standby")
        XCTAssertTrue(try emails(first, community).contains(made["email"]!.string!))
        try reconnect()
    }

    /// A standby that is away costs no call anything but a warning: reads go to the primary.
    func testAStandbyThatIsAwayLeavesReadsToThePrimary() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-away", databaseURL: primaryURL)
        let meetingd = try readingMeetingd()
        try community.createPerson(on: meetingd, roles: ["user"])
        XCTAssertTrue(try scriptsDB(["stop", "--name", clusters[1]]).succeeded)
        let started = Date()
        XCTAssertEqual(try emails(meetingd, community).count, 2)
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["read_database"], "unavailable")
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
        XCTAssertEqual(try emails(meetingd, community).count, 2)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "no call waits for the standby")
        try meetingd.waitForLog("the standby's warning") {
            $0["level"] == "warning" && ($0["message"]?.string ?? "").contains("MEETINGLEDGER_READ_DATABASE_URL")
        }
    }

    /// A standby not on this meetingd's schema (a migration not replayed yet, or another
    /// release's) answers nothing: reads go to the primary.
    func testAStandbyOnAnotherSchemaIsNotRead() throws {
        // The primary made by the release before (every migration but the newest), its standby
        // paused there; this meetingd then migrates the primary.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-migrations-\(TestEnvironment.uniqueTag())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: TestEnvironment.repoRoot + "/sql/migrations", toPath: folder.path)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let newest = try XCTUnwrap(files.last), before = files[files.count - 2]
        try FileManager.default.removeItem(at: folder.appendingPathComponent(newest))
        try startPrimaryAndStandby(migrations: folder.path)
        try waitForReplay()
        _ = try sql(standbyURL, "SELECT pg_wal_replay_pause()")
        let meetingd = try readingMeetingd()
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["read_database"], "unavailable")
        let (older, version) = (Int(before.prefix(4))!, Int(newest.prefix(4))!)
        try meetingd.waitForLog("the schema warning") { ($0["message"]?.string ?? "").contains("has schema \(older), not \(version)") }
        let community = try TestCommunity.bootstrap("standby-schema", databaseURL: primaryURL)
        try community.createPerson(on: meetingd, roles: ["user"])
        XCTAssertEqual(try emails(meetingd, community).count, 2, "the primary answers")
        _ = try sql(standbyURL, "SELECT pg_wal_replay_resume()")
    }

    /// A standby whose replay holds a lock on what reads need (a table locked or altered on the
    /// primary, its commit not applied yet) costs one read a short wait, not every read: it is
    /// set aside with a warning, and system.ping says so.
    func testAStandbyHoldingAReplayedLockIsSetAside() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-lock", databaseURL: primaryURL)
        try waitForReplay()
        // The standby applies commits ten minutes late; the lock record before one, at once.
        _ = try sql(standbyURL, "ALTER SYSTEM SET recovery_min_apply_delay = '10min'")
        _ = try sql(standbyURL, "SELECT pg_reload_conf()")
        try waitFor("SHOW recovery_min_apply_delay", toSay: "10min", "the standby did not reload its settings")
        _ = try sql(primaryURL, "BEGIN; LOCK TABLE people IN ACCESS EXCLUSIVE MODE; COMMIT;")
        try waitFor("SELECT count(*) FROM pg_locks WHERE relation = 'people'::regclass AND mode = 'AccessExclusiveLock'", toSay: "1", "the standby never replayed the lock")
        let reader = try readingMeetingd()
        let started = Date()
        for _ in 0..<5 { XCTAssertEqual(try emails(reader, community).count, 1, "the primary answers") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "one read waits a second at most, the others not at all")
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "unavailable")
        try reader.waitForLog("the standby's warning") {
            $0["level"] == "warning" && ($0["message"]?.string ?? "").contains("MEETINGLEDGER_READ_DATABASE_URL")
        }
        _ = try sql(standbyURL, "ALTER SYSTEM RESET recovery_min_apply_delay")
        _ = try sql(standbyURL, "SELECT pg_reload_conf()")
    }

    /// A read URL that leads to a database without MeetingLedger's schema (a wrong dbname) is
    /// set aside at its first use, and stays aside: one warning, not one error per read.
    func testAReadDatabaseWithoutTheSchemaIsSetAside() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-dbname", databaseURL: primaryURL)
        let wrongDatabase = standbyURL.replacingOccurrences(of: "dbname=meetingledger", with: "dbname=postgres")
        XCTAssertNotEqual(wrongDatabase, standbyURL)
        let reader = try readingMeetingd(["MEETINGLEDGER_READ_DATABASE_URL": wrongDatabase])
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "unavailable")
        for _ in 0..<5 { XCTAssertEqual(try emails(reader, community).count, 1) }
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "unavailable", "still set aside")
        try reader.finish()  // its whole log read
        let warnings = reader.stderrText.split(separator: "\n").filter { $0.contains("MEETINGLEDGER_READ_DATABASE_URL") }
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
    }

    /// A read database that is not a hot standby of the primary answers nothing, whatever it
    /// holds: here a restored copy of the primary's database beside it (a primary itself, not in
    /// recovery), whose transaction ids the primary's writes also reach, so each looks replayed
    /// there. Its stale balance is never read, the process reads its own grant, and the log and
    /// system.ping say the read database is set aside.
    func testARestoredCopyIsNotTakenForAStandby() throws {
        let community = try TestCommunity.bootstrap("standby-restored-copy")
        let plain = try startMeetingd(environment: ["DATABASE_URL": databaseURL])
        let user = try community.createPersonId(on: plain, roles: ["user"])
        func grant(_ md: Meetingd, _ credits: Int64) throws {
            _ = try md.result("credits.grant", as: community.adminId, [
                "user_id": .string(user), "credits": .int(credits), "reference": .string("copy-\(TestEnvironment.uniqueTag())"),
            ])
        }
        func posted(_ md: Meetingd) throws -> Int64? { try md.result("ledger.balance", as: user, ["person_id": .string(user)])["accounts"]?[0]?["posted"]?.int }
        try grant(plain, 7)
        let copy = try restoredCopy(of: databaseURL, name: "restored_copy")

        let reader = try startMeetingd(environment: ["DATABASE_URL": databaseURL, "MEETINGLEDGER_READ_DATABASE_URL": copy])
        try grant(reader, 5)
        XCTAssertEqual(try posted(reader), 12, "the process reads its own grant: the primary answers, not the copy (7)")
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "unavailable")
        try reader.waitForLog("the read database's warning") {
            $0["level"] == "warning" && ($0["message"]?.string ?? "").contains("MEETINGLEDGER_READ_DATABASE_URL")
                && ($0["message"]?.string ?? "").contains("not a hot standby")
        }
    }

    /// A hot standby of another cluster (another service's, or a restored copy's) is no
    /// standby of this primary: its transaction ids are another count, so it is set aside.
    func testAStandbyOfAnotherClusterIsNotRead() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("standby-other-cluster")
        let reader = try startMeetingd(environment: ["DATABASE_URL": databaseURL, "MEETINGLEDGER_READ_DATABASE_URL": standbyURL])
        XCTAssertEqual(try reader.call("system.ping")["result"]?["read_database"], "unavailable")
        try community.createPerson(on: reader, roles: ["user"])
        XCTAssertEqual(try emails(reader, community).count, 2, "the primary answers")
        try reader.waitForLog("the read database's warning") {
            $0["level"] == "warning" && ($0["message"]?.string ?? "").contains("another cluster")
        }
    }

    /// A failover: the primary stops, its standby is promoted. With both hosts in DATABASE_URL
    /// and target_session_attrs=read-write, the call that meets the lost connection is retryable
    /// and the retry (same idempotency_key) runs on the new primary, once.
    func testAFailoverToThePromotedStandby() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("failover", databaseURL: primaryURL)
        let both = try hosts(primaryURL, standbyURL) + " target_session_attrs=read-write"
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": both])
        try community.createPerson(on: meetingd, roles: ["user"])
        try waitForReplay()

        XCTAssertTrue(try scriptsDB(["stop", "--name", clusters[0]]).succeeded)
        XCTAssertTrue(try scriptsDB(["promote", "--name", clusters[1]]).succeeded)
        var params = TestCommunity.personParams(roles: ["expert"])
        params["idempotency_key"] = "after-failover"
        let firstTry = try meetingd.call("person.create", as: community.adminId, params)
        if let error = firstTry["error"] { XCTAssertEqual(error["data"]?["retryable"], true, "\(firstTry)") }
        let retried = try meetingd.result("person.create", as: community.adminId, params)
        if let first = firstTry["result"] { XCTAssertEqual(retried, first) }
        XCTAssertEqual(try emails(meetingd, community).count, 3)
        XCTAssertEqual(try sql(standbyURL, "SELECT count(*) FROM people WHERE email = '\(params["email"]!.string!)'"), "1", "written once, on the new primary")
    }

    /// A session whose server turned read-only under it (a primary demoted in a failover) gives
    /// the retryable 5030 naming the fix, and the next call connects afresh.
    func testAWriteOnAServerThatTurnedReadOnlyIsRetryable() throws {
        try startPrimaryAndStandby()
        let community = try TestCommunity.bootstrap("read-only", databaseURL: primaryURL)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": primaryURL])
        try community.createPerson(on: meetingd, roles: ["user"])
        _ = try sql(primaryURL, "ALTER SYSTEM SET default_transaction_read_only = on")
        _ = try sql(primaryURL, "SELECT pg_reload_conf()")
        // A new session shows it once the server has reloaded and told its sessions to.
        try waitFor("SHOW default_transaction_read_only", toSay: "on", "the primary did not reload its settings", on: primaryURL)
        let refused = try meetingd.error("person.create", as: community.adminId, TestCommunity.personParams(roles: ["user"]), code: 5030)
        XCTAssertEqual(refused["data"]?["retryable"], true)
        try meetingd.waitForLog("the read-only warning") { ($0["message"]?.string ?? "").contains("target_session_attrs=read-write") }
        _ = try sql(primaryURL, "ALTER SYSTEM RESET default_transaction_read_only")
        _ = try sql(primaryURL, "SELECT pg_reload_conf()")
        try waitFor("SHOW default_transaction_read_only", toSay: "off", "the primary did not reload its settings", on: primaryURL)
        try community.createPerson(on: meetingd, roles: ["user"])
        XCTAssertEqual(try emails(meetingd, community).count, 3)
    }

    /// Set but empty is a mistake (a template left unfilled), not "no standby": meetingd stops.
    func testAnEmptyReadDatabaseURLStopsMeetingd() throws {
        for value in ["", "  "] {
            let run = try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_READ_DATABASE_URL": value])
            XCTAssertEqual(run.termination, .exited(2), "\(value.debugDescription): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("MEETINGLEDGER_READ_DATABASE_URL is set but empty"), run.stderr)
        }
    }

    /// Both clusters' hosts in one libpq string: "host=A,B port=P,P dbname=… user=…".
    private func hosts(_ first: String, _ second: String) throws -> String {
        func fields(_ url: String) -> [String: String] {
            Dictionary(uniqueKeysWithValues: url.split(separator: " ").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            })
        }
        let a = fields(first), b = fields(second)
        guard let hostA = a["host"], let hostB = b["host"], let db = a["dbname"], let user = a["user"] else {
            throw HarnessError("not keyword/value strings: \(first), \(second)")
        }
        return "host=\(hostA),\(hostB) port=\(a["port"] ?? "5432"),\(b["port"] ?? "5432") dbname=\(db) user=\(user)"
    }
}
