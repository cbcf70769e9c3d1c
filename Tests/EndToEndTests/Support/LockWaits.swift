import Foundation
import XCTest

/// Which session waits for which: the tests that hold a lock in a session of their own and
/// check that a call waits behind it.
extension EndToEndTestCase {
    /// The backend pid of `session`.
    func backendPid(_ session: PsqlSession) throws -> String {
        try XCTUnwrap(try session.run("SELECT pg_backend_pid();").output.first)
    }

    /// Waits until a backend of the database waits for `pid`; returns its pid.
    @discardableResult
    func backend(waitingFor pid: String, _ failure: String) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let waiting = try Psql.query(databaseURL, "SELECT pid FROM pg_stat_activity WHERE \(pid) = ANY (pg_blocking_pids(pid))")
            if let first = waiting.first, !first.isEmpty { return first }
            guard Date() < deadline else { throw HarnessError(failure) }
            usleep(20_000)
        }
    }
}
