import Foundation
import XCTest

/// meetingd behind a real PgBouncer in transaction mode, the pooler mode operators use most,
/// where one server session serves many clients in turn (README: "Behind a connection pooler").
final class PoolerTests: EndToEndTestCase {
    /// Told so (MEETINGLEDGER_POOLER=transaction), meetingd keeps nothing in a session: two
    /// processes sharing one server session through PgBouncer migrate, book, confirm, grant and
    /// replay a keyed call in turn, and the ledger reconciles.
    func testTwoProcessesShareOneServerSessionOfATransactionModePooler() throws {
        let w = try MeetingWorld(self, label: "pooled transaction mode")
        let pooler = try PgBouncer(before: databaseURL, mode: "transaction", poolSize: 1)
        defer { pooler.stop() }
        let pooled = ["DATABASE_URL": pooler.url, "MEETINGLEDGER_POOLER": "transaction"]
        for round in 1...2 {
            let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: pooled)
            XCTAssertTrue(migrate.succeeded, "migrate \(round) through the pooler: \(migrate.stderr)")
        }
        let a = try startMeetingd(["--test-clock"], environment: pooled)
        let b = try startMeetingd(["--test-clock"], environment: pooled)
        XCTAssertEqual(try a.call("system.ping")["result"]?["database"], "ok")
        XCTAssertEqual(try b.call("system.ping")["result"]?["database"], "ok")

        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        params["idempotency_key"] = "pooled-request"
        let booked = try a.result("meeting.request", as: w.user, params)
        let meetingId = try MeetingWorld.id(of: booked)
        XCTAssertEqual(try b.result("meeting.confirm", as: w.expert, ["meeting_id": .string(meetingId)])["status"], "agreed")
        XCTAssertEqual(try b.result("meeting.request", as: w.user, params), booked, "the keyed call replayed from the other process")
        try b.result("credits.grant", as: w.finance, ["user_id": .string(w.user), "credits": 7, "reference": .string("pooled-\(TestEnvironment.uniqueTag())")])
        for process in [a, b, a, b] {
            let balance = try process.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])
            XCTAssertEqual(balance["available"], .int(MeetingWorld.granted + 7 - MeetingWorld.price), "\(balance)")
        }
        XCTAssertEqual(try a.result("ledger.reconcile", as: w.finance, [:])["ok"], true)
        XCTAssertGreaterThanOrEqual(pooler.log.components(separatedBy: "login attempt: db=").count - 1, 4, "the migrations and both processes went through PgBouncer: \(pooler.log.suffix(800))")
    }

    /// Not told so, meetingd prepares statements under names that are its session's alone, so
    /// another client's statement is never run in place of its own: when another client of the
    /// shared server session discards them (or the pooler hands meetingd another session), the
    /// call gets 5035, system.ping says refused, and the log names the setting, where it said
    /// unavailable and internal_error, or ran another client's statement of the same name.
    func testAPoolerMeetingdWasNotToldOfIsAnOperatorsMatterNamedInTheLog() throws {
        let community = try bootstrap()
        let pooler = try PgBouncer(before: databaseURL, mode: "transaction", poolSize: 1)
        defer { pooler.stop() }
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": pooler.url])
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok")
        let read: [String: JSONValue] = ["person_id": .string(community.adminId)]
        XCTAssertNotNil(try meetingd.call("person.get", as: community.adminId, read)["result"])
        let discarded = try runTool(Psql.path, ["-X", "-q", "-d", pooler.url, "-c", "DISCARD ALL"])
        XCTAssertTrue(discarded.succeeded, discarded.stderr)

        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "refused")
        let refused = try meetingd.call("person.get", as: community.adminId, read)
        XCTAssertEqual(refused["error"]?["code"], 5035, "\(refused)")
        XCTAssertEqual(refused["error"]?["data"]?["retryable"], false)
        // The log line is read from stderr as meetingd writes it: waited for, not raced.
        XCTAssertNoThrow(try meetingd.waitForLog("the log says what to set", where: { $0["message"]?.string?.contains("MEETINGLEDGER_POOLER=transaction") == true }))
    }

    /// Not told so either, processes started together behind such a pooler each serve: the
    /// start-up's migration check that finds its statements gone (the pooler handed the process
    /// another server session between two of them) is the operator's matter later calls meet, said
    /// in the log and answered 5035 with what to set, not a migration fault: it stopped some of
    /// the processes (exit 1) and not others, as the pooler happened to hand out sessions.
    func testProcessesStartedTogetherBehindAPoolerTheyWereNotToldOfEachServe() throws {
        let community = try bootstrap()
        let pooler = try PgBouncer(before: databaseURL, mode: "transaction", poolSize: 3)
        defer { pooler.stop() }
        let read: [String: JSONValue] = ["person_id": .string(community.adminId)]
        var refusedAtStart = 0
        // Rounds until a start-up met it (each process checks every migration in statements of
        // its own, which three processes at once get from the pooler's three sessions in turn).
        for _ in 1...10 where refusedAtStart == 0 {
            let processes = try (0..<3).map { _ in try startMeetingd(environment: ["DATABASE_URL": pooler.url]) }
            let answers = try processes.map { meetingd in
                (ping: try meetingd.call("system.ping")["result"]?["database"], call: try meetingd.call("person.get", as: community.adminId, read))
            }
            for (meetingd, answer) in zip(processes, answers) {
                XCTAssertTrue(answer.call["result"] != nil || answer.call["error"]?["code"] == 5035, "never the retryable 5030: \(answer.call)")
                try meetingd.finish()
                if meetingd.stderrText.contains("the database refused at start-up") {
                    refusedAtStart += 1
                    XCTAssertTrue(meetingd.stderrText.contains("MEETINGLEDGER_POOLER=transaction"), meetingd.stderrTail)
                    XCTAssertEqual(answer.ping, "refused", "a process that met it at start-up says so")
                    if answer.call["error"] != nil {
                        XCTAssertTrue(answer.call["error"]?["message"]?.string?.contains("MEETINGLEDGER_POOLER=transaction") == true, "\(answer.call)")
                    }
                } else {
                    XCTAssertTrue(answer.ping == "ok" || answer.ping == "refused", "\(answer.ping ?? .null)")
                }
            }
        }
        XCTAssertGreaterThan(refusedAtStart, 0, "no start-up met a session without its statements in ten rounds")
    }

    /// With several server sessions, the pooler replacing them (RECONNECT) gets the next call
    /// refused while ping's own plain query passes on a fresh session: ping still says refused,
    /// as the calls are (it said ok, and a health check saw a healthy meetingd).
    func testPingSaysRefusedWhileCallsAre() throws {
        let community = try bootstrap()
        let pooler = try PgBouncer(before: databaseURL, mode: "transaction", poolSize: 4)
        defer { pooler.stop() }
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": pooler.url])
        let read: [String: JSONValue] = ["person_id": .string(community.adminId)]
        XCTAssertNotNil(try meetingd.call("person.get", as: community.adminId, read)["result"])
        try pooler.admin("RECONNECT \(pooler.dbname)")
        let refused = try meetingd.call("person.get", as: community.adminId, read)
        XCTAssertEqual(refused["error"]?["code"], 5035, "\(refused)")
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "refused")
    }
}
