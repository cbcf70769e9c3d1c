import Foundation
import XCTest

@testable import Postgres

/// Against the real PostgreSQL that scripts/test starts (DATABASE_URL, already migrated);
/// skipped without one.
final class MigrationGateTests: XCTestCase {
    func migrations() throws -> String {
        guard let root = ProcessInfo.processInfo.environment["MEETINGLEDGER_ROOT"] else { throw XCTSkip("MEETINGLEDGER_ROOT is not set") }
        return root + "/sql/migrations"
    }

    func connect() throws -> Connection {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        return try Connection(conninfo: url, settings: .standard)
    }

    /// A session whose prepared statements vanish under it (a pooler in transaction mode that
    /// nobody told meetingd of hands it another server session) fails the migrations' check with
    /// the pooler's words, and the gate stays usable: it is not a broken migration, which would
    /// stop meetingd (two of three processes started together behind such a pooler exited 1),
    /// and the next session that keeps its statements opens the gate.
    func testStatementsVanishingUnderTheSessionAreNoBrokenMigration() throws {
        let gate = MigrationGate(migrator: try Migrator(directory: try migrations()))
        let c = try connect()
        try Migrator(directory: try migrations()).apply(on: c)
        _ = try c.query("DEALLOCATE ALL", plannedEachCall: true)
        XCTAssertThrowsError(try gate.ensureMigrated(on: c)) { error in
            XCTAssertEqual((error as? PostgresError)?.code, .configuration, "\(error)")
            XCTAssertTrue("\(error)".contains("MEETINGLEDGER_POOLER=transaction"), "\(error)")
        }
        XCTAssertNil(gate.broken, "not a migration fault")
        XCTAssertFalse(gate.isOpen)
        try gate.ensureMigrated(on: try connect())
        XCTAssertTrue(gate.isOpen)
    }
}
