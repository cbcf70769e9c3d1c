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

    /// Starts a fresh cluster of this test's own, migrated; returns its conninfo. Not `--fast`:
    /// with synchronous_commit off, an immediate restart loses the last commits, and the test
    /// would see data vanish that meetingd had rightly reported as committed.
    private func startOwnCluster() throws -> String {
        let name = "restart-\(TestEnvironment.uniqueTag())"
        clusterName = name
        let start = try scriptsDB(["start", "--name", name])
        guard start.succeeded, let url = start.stdout.split(separator: "\n").last.map(String.init), !url.isEmpty else {
            throw HarnessError("scripts/db start --name \(name) failed (\(start.termination)): \(start.stderr)")
        }
        let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        guard migrate.succeeded else { throw HarnessError("meetingd migrate failed: \(migrate.stderr)") }
        return url
    }

    private func keyedCreate(_ params: [String: JSONValue], key: String) -> [String: JSONValue] {
        var all = params
        all["idempotency_key"] = .string(key)
        return all
    }

    /// The answer to a keyed create when the database may just have gone: success, or the
    /// retryable database_unavailable with nothing created.
    private func assertSuccessOrRetryable(
        _ response: JSONValue, email: JSONValue?, community: TestCommunity, on meetingd: Meetingd, _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard let error = response["error"] else { return }
        XCTAssertEqual(error["code"], 5030, "\(context): either success or database_unavailable: \(response)", file: file, line: line)
        XCTAssertEqual(error["data"]?["code"], "database_unavailable", file: file, line: line)
        XCTAssertEqual(error["data"]?["retryable"], true, file: file, line: line)
        let created = try community.people(on: meetingd).filter { $0["email"] == email }
        XCTAssertEqual(created, [], "a failed request left no effect", file: file, line: line)
    }

    /// Restarts PostgreSQL under a serving meetingd, both abruptly (immediate: connections are
    /// cut) and politely (fast: backends are told to terminate).
    func testPostgresRestartUnderneath() throws {
        let url = try startOwnCluster()
        let community = try TestCommunity.bootstrap("restart", databaseURL: url)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        try community.createPerson(on: meetingd, roles: ["user"])

        for (round, mode) in ["immediate", "fast"].enumerated() {
            let restart = try scriptsDB(["restart", "--name", clusterName!], environment: ["MODE": mode])
            XCTAssertTrue(restart.succeeded, "scripts/db restart (\(mode)): \(restart.stderr)")

            let params = TestCommunity.personParams(roles: ["expert"])
            let key = "after-\(mode)-restart-\(TestEnvironment.uniqueTag())"
            let firstTry = try meetingd.call("person.create", as: community.adminId, keyedCreate(params, key: key))
            try assertSuccessOrRetryable(firstTry, email: params["email"], community: community, on: meetingd, "after a \(mode) restart")

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
}
