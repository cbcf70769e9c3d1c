import Core
import Foundation
import XCTest

@testable import Postgres

/// Against the real PostgreSQL that scripts/test starts (DATABASE_URL); skipped without one.
final class ConnectionTests: XCTestCase {
    func connect() throws -> Connection {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        return try Connection(conninfo: url)
    }

    func testBoundParametersAndTypedRows() throws {
        let c = try connect()
        let hostile = "'; DROP TABLE people; --"
        let row = try XCTUnwrap(try c.query(
            "SELECT $1::text AS t, $2::bigint AS i, $3::boolean AS b, $4::timestamptz AS at, $5::jsonb AS j, $6::text AS n, $7::text[] AS a",
            [hostile, Int64.max, true, try Instant(rfc3339: "2026-03-08T09:00:00.5-05:00"), JSON.object(["k": [1, "x"]]), String?.none,
             PostgresTextArray(["a,b", "c\"d", "é"])]
        ).first)
        XCTAssertEqual(try row.string("t"), hostile, "a value is never part of the SQL text")
        XCTAssertEqual(try row.int("i"), Int64.max)
        XCTAssertTrue(try row.bool("b"))
        XCTAssertEqual(try row.instant("at").rfc3339, "2026-03-08T14:00:00.500000Z")
        XCTAssertEqual(try row.json("j"), ["k": [1, "x"]])
        XCTAssertTrue(try row.isNull("n"))
        XCTAssertNil(try row.optionalString("n"))
        XCTAssertEqual(try row.stringArray("a"), ["a,b", "c\"d", "é"])
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
}
