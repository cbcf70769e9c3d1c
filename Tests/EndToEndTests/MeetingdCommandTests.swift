import Foundation
import XCTest

/// `meetingd`'s one-shot commands as an operator meets them (README, "Configuration"): a
/// command given what it does not take does nothing and says so (exit status 2, the usage).
final class MeetingdCommandTests: EndToEndTestCase {
    /// An empty database of the test's own: a command refused must leave it empty.
    private func emptyDatabase(_ name: String) throws -> String {
        let database = "\(name)_\(TestEnvironment.uniqueTag())"
        _ = try Psql.query(databaseURL, "CREATE DATABASE \(database)")
        addTeardownBlock { [databaseURL] in _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(database) WITH (FORCE)"]) }
        return Psql.conninfo(databaseURL, "dbname", database)
    }

    private func meetingd(_ arguments: [String], _ environment: [String: String]) throws -> ToolResult {
        try runTool(TestEnvironment.meetingdPath, arguments, environment: environment)
    }

    func testEveryCommandRefusesWhatItDoesNotTake() throws {
        let url = try emptyDatabase("unknown_arguments")
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
}
