import Core
import Foundation
import XCTest

@testable import Postgres

/// Against the real PostgreSQL that scripts/test starts (DATABASE_URL); skipped without one.
final class ConnectionTests: XCTestCase {
    func databaseURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        return url
    }

    func connect(_ settings: SessionSettings = .standard) throws -> Connection {
        try Connection(conninfo: try databaseURL(), settings: settings)
    }

    /// Two sessions never prepare a statement under the same name: where a pooler in
    /// transaction mode shares one server session between clients, one client's name is never
    /// taken for another's statement (run silently with the wrong SQL); it is missing instead.
    func testTwoSessionsPrepareUnderNamesOfTheirOwn() throws {
        func names(_ c: Connection) throws -> Set<String> {
            _ = try c.query("SELECT $1::int + 1 AS n", [1])
            _ = try c.pipeline([Statement("SELECT $1::text AS t", ["x"]), Statement("SELECT 2 AS two")])
            return Set(try c.query("SELECT name FROM pg_prepared_statements").map { try $0.string("name") })
        }
        let a = try names(try connect()), b = try names(try connect())
        XCTAssertEqual(a.count, 4, "the three statements and the catalog read: \(a)")
        XCTAssertTrue(a.isDisjoint(with: b), "\(a) and \(b)")
    }

    /// A statement planned at each call is never kept prepared, alone or in a pipeline, and
    /// answers as a prepared one does; the statements around it are prepared as before.
    func testAStatementPlannedEachCallIsNeverKeptPrepared() throws {
        let c = try connect()
        let each = Statement("SELECT $1::int * 2 AS n", [21], plannedEachCall: true)
        for _ in 0..<3 {
            XCTAssertEqual(try c.query(each).one().int("n"), 42)
            let rows = try c.pipeline([Statement("SELECT $1::int + 1 AS n", [1]), each])
            XCTAssertEqual(try rows[0].one().int("n"), 2)
            XCTAssertEqual(try rows[1].one().int("n"), 42)
        }
        let kept = try c.query("SELECT statement FROM pg_prepared_statements").map { try $0.string("statement") }
        XCTAssertFalse(kept.contains(each.sql), "\(kept)")
        XCTAssertTrue(kept.contains("SELECT $1::int + 1 AS n"), "\(kept)")
    }

    func testBoundParametersAndTypedRows() throws {
        let c = try connect()
        let hostile = "'; DROP TABLE people; --"
        let row = try XCTUnwrap(try c.query(
            "SELECT $1::text AS t, $2::bigint AS i, $3::boolean AS b, $4::timestamptz AS at, $5::jsonb AS j, $6::text AS n, $7::text[] AS a",
            [hostile, Int64.max, true, try Instant(rfc3339: "2026-03-08T09:00:00.5-05:00"), JSON.object(["k": [1, "x"]]), String?.none,
             PostgresTextArray(["a,b", "c\"d", "é", "back\\slash\\\"", "{x}", "", "NULL", "line\r\nbreak"])]
        ).first)
        XCTAssertEqual(try row.string("t"), hostile, "a value is never part of the SQL text")
        XCTAssertEqual(try row.int("i"), Int64.max)
        XCTAssertTrue(try row.bool("b"))
        XCTAssertEqual(try row.instant("at").rfc3339, "2026-03-08T14:00:00.500000Z")
        XCTAssertEqual(try row.json("j"), ["k": [1, "x"]])
        XCTAssertTrue(try row.isNull("n"))
        XCTAssertNil(try row.optionalString("n"))
        XCTAssertEqual(try row.stringArray("a"), ["a,b", "c\"d", "é", "back\\slash\\\"", "{x}", "", "NULL", "line\r\nbreak"])
        XCTAssertThrowsError(try row.int("t"), "a wrong type is a decoding error, not a crash")
        XCTAssertThrowsError(try row.string("missing"))
    }

    /// PostgreSQL keeps years up to 294276 and before Christ; the decoder reads 0001–9999 only.
    /// So a time outside that range is never written, and one read back is a clear error.
    func testTimesOutsideTheSupportedRangeAreNeverWrittenAndClearlyRefusedWhenRead() throws {
        let c = try connect()
        for outside in [Instant(microseconds: Instant.latestSupported.microseconds + 1), Instant(microseconds: Instant.earliestSupported.microseconds - 1)] {
            XCTAssertThrowsError(try c.query("SELECT $1::timestamptz AS at", [outside]), outside.rfc3339) {
                XCTAssertEqual(($0 as? PostgresError)?.code, .decoding)
            }
        }
        for edge in [Instant.earliestSupported, Instant.latestSupported] {
            XCTAssertEqual(try c.query("SELECT $1::timestamptz AS at", [edge]).first?.instant("at"), edge, "the edges themselves round-trip")
        }
        for text in ["10000-01-01 00:00:00+00", "0001-12-31 23:00:00+00 BC"] {
            let row = try XCTUnwrap(try c.query("SELECT $1::timestamptz AS at", [text]).first)
            XCTAssertThrowsError(try row.instant("at"), text) { XCTAssertTrue("\($0)".contains(Instant.supportedRangeText), "\($0)") }
        }
    }

    func testErrorsCarryTheirSQLSTATE() throws {
        let c = try connect()
        XCTAssertThrowsError(try c.query("SELECT 1/0")) { XCTAssertEqual(($0 as? PostgresError)?.sqlState, "22012") }
        XCTAssertThrowsError(try c.query("SELECT nope FROM nowhere")) { XCTAssertEqual(($0 as? PostgresError)?.sqlState, "42P01") }
        XCTAssertEqual(try c.query("SELECT 2 AS two").first?.int("two"), 2, "the connection is usable after an error")
    }

    func testTransactionsRollBackAndRetrySerializationFailures() throws {
        let c = try connect()
        try c.simpleExecute("CREATE TEMP TABLE t (v int)")
        XCTAssertThrowsError(try c.transaction { c in
            try c.query("INSERT INTO t VALUES (1)")
            throw AppError.forbidden("no")
        })
        XCTAssertEqual(try c.query("SELECT count(*) AS n FROM t").first?.int("n"), 0, "the failed transaction left nothing")
        var attempts = 0
        let value: Int = try c.transaction { c in
            attempts += 1
            try c.query("INSERT INTO t VALUES ($1)", [attempts])
            if attempts < 3 {
                // What a serialization failure looks like to the caller.
                try c.simpleExecute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
            }
            return attempts
        }
        XCTAssertEqual(value, 3)
        XCTAssertEqual(try c.query("SELECT array_agg(v) AS vs FROM t").first?.string("vs"), "{3}", "only the last attempt committed")
    }

    func testSavepointUndoesOnlyItsOwnWork() throws {
        let c = try connect()
        try c.simpleExecute("CREATE TEMP TABLE s (v int)")
        try c.transaction { c in
            try c.query("INSERT INTO s VALUES (1)")
            XCTAssertThrowsError(try c.savepoint {
                try c.query("INSERT INTO s VALUES (2)")
                try c.query("SELECT 1/0")
            })
            try c.query("INSERT INTO s VALUES (3)")
        }
        XCTAssertEqual(try c.query("SELECT array_agg(v ORDER BY v) AS vs FROM s").first?.string("vs"), "{1,3}")
    }

    func testAConnectionKilledByTheServerIsReestablished() throws {
        let c = try connect()
        let other = try connect()
        let pid = try XCTUnwrap(try c.query("SELECT pg_backend_pid() AS pid").first?.int("pid"))
        try other.query("SELECT pg_terminate_backend($1::int)", [pid])
        XCTAssertThrowsError(try c.query("SELECT 1")) { XCTAssertTrue(($0 as? PostgresError)?.isConnectionProblem ?? false, "\($0)") }
        try c.ensureConnected()
        XCTAssertEqual(try c.query("SELECT 1 AS one").first?.int("one"), 1)
    }

    func testEverySessionIsBoundedAndNamed() throws {
        let settings = SessionSettings(applicationName: "meetingd-test", statementTimeoutMs: 65_000, lockTimeoutMs: 1_234, idleInTransactionTimeoutMs: 4_321)
        let c = try connect(settings)
        let row = try XCTUnwrap(try c.query("""
            SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                   current_setting('idle_in_transaction_session_timeout') AS idle,
                   (SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS name
            """).first)
        XCTAssertEqual(try row.string("statement"), "65s")
        XCTAssertEqual(try row.string("lock"), "1234ms")
        XCTAssertEqual(try row.string("idle"), "4321ms")
        XCTAssertEqual(try row.string("name"), "meetingd-test")

        let url = try databaseURL()
        let named = try Connection(conninfo: url.contains("://") ? url + (url.contains("?") ? "&" : "?") + "application_name=chosen" : url + " application_name=chosen")
        XCTAssertEqual(try named.query("SELECT current_setting('application_name') AS name").first?.string("name"), "chosen",
                       "the connection string's own application_name wins")
    }

    func testAWaitPastTheLockTimeoutIsReported() throws {
        let holder = try connect()
        let c = try connect(SessionSettings(applicationName: "meetingd-test", statementTimeoutMs: 60_000, lockTimeoutMs: 200, idleInTransactionTimeoutMs: 60_000))
        let key = Int64.random(in: 1...Int64.max)
        try holder.query("SELECT pg_advisory_lock($1)", [key])
        let started = Date()
        XCTAssertThrowsError(try c.transaction { try $0.query("SELECT pg_advisory_xact_lock($1)", [key]) }) { error in
            let e = error as? PostgresError
            XCTAssertTrue(e?.isLockTimeout ?? false, "\(error)")
            XCTAssertFalse(e?.isConnectionProblem ?? true, "the session survives a lock timeout")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(try c.query("SELECT 1 AS one").first?.int("one"), 1)
        try holder.query("SELECT pg_advisory_unlock($1)", [key])
    }

    func testATransactionLeftIdleIsEndedByTheServerAndTheConnectionComesBack() throws {
        let c = try connect(SessionSettings(applicationName: "meetingd-test", statementTimeoutMs: 60_000, lockTimeoutMs: 1_000, idleInTransactionTimeoutMs: 200))
        let watcher = try connect(SessionSettings(applicationName: "meetingd-test-watcher", statementTimeoutMs: 60_000, lockTimeoutMs: 1_000, idleInTransactionTimeoutMs: 60_000))
        XCTAssertThrowsError(try c.transaction { c in
            let pid = try c.query("SELECT pg_backend_pid() AS pid").one().int("pid")
            // Idle, as a stopped process would be, until the server has ended the session.
            let deadline = Date().addingTimeInterval(20)
            while try watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1", [pid]).one().int("n") > 0, Date() < deadline {
                usleep(20_000)
            }
            try c.query("SELECT 2")
        }) { error in
            let e = error as? PostgresError
            XCTAssertTrue(e?.isConnectionProblem ?? false, "\(error)")
            XCTAssertTrue(e?.isIdleInTransactionTimeout ?? false, "the server said why: \(error)")
        }
        try c.ensureConnected()
        XCTAssertEqual(try c.query("SELECT 3 AS three").first?.int("three"), 3)
    }

    func testSessionBoundsFromTheEnvironment() throws {
        XCTAssertEqual(try SessionSettings.fromEnvironment { _ in nil }, .standard)
        let set = try SessionSettings.fromEnvironment {
            ["MEETINGLEDGER_LOCK_TIMEOUT_MS": "250", "MEETINGLEDGER_STATEMENT_TIMEOUT_MS": "9000",
             "MEETINGLEDGER_IDLE_IN_TRANSACTION_TIMEOUT_MS": "1500"][$0]
        }
        XCTAssertEqual(set.lockTimeoutMs, 250)
        XCTAssertEqual(set.statementTimeoutMs, 9_000)
        XCTAssertEqual(set.idleInTransactionTimeoutMs, 1_500)
        // Set but empty is refused too, as every other number meetingd reads (it was the default).
        for bad in ["0", "-5", "1s", "86400001", " 10", "1e3", ""] {
            XCTAssertThrowsError(try SessionSettings.fromEnvironment { $0 == "MEETINGLEDGER_LOCK_TIMEOUT_MS" ? bad : nil }) { error in
                XCTAssertTrue("\(error)".contains("MEETINGLEDGER_LOCK_TIMEOUT_MS"), "the error names the variable: \(error)")
            }
        }
        XCTAssertLessThan(SessionSettings.standard.lockTimeoutMs, SessionSettings.standard.statementTimeoutMs)
    }
}
