import Foundation
import XCTest

/// The method reference in docs/ is generated from the registry; regenerating it must give
/// the committed file, so the docs never drift from what meetingd dispatches.
final class DocsTests: XCTestCase {
    func testMethodReferenceMatchesTheRegistry() throws {
        let root = TestEnvironment.repoRoot
        let result = try runTool(
            "/bin/bash", ["-c", "\"$0\" discover | python3 \"$1/scripts/gen_method_docs.py\"", TestEnvironment.meetingdPath, root])
        XCTAssertTrue(result.succeeded, result.stderr)
        let committed = try String(contentsOfFile: root + "/docs/METHODS.md", encoding: .utf8)
        XCTAssertEqual(result.stdout, committed, "docs/METHODS.md is stale: run `meetingd discover | scripts/gen_method_docs.py > docs/METHODS.md`")
        XCTAssertTrue(committed.contains("## meeting.request"))
    }

    /// `system.ping` answers the number of the newest migration applied; its published example
    /// must show the newest one in sql/migrations, not the one current when it was written. It
    /// shows the release's own (Release.schemaVersion), which meetingd checks a migrations
    /// folder against: this keeps the two one.
    func testPingExampleShowsTheNewestMigration() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.repoRoot + "/sql/migrations")
        let numbers = files.filter { $0.hasSuffix(".sql") }.compactMap { Int($0.prefix { $0.isNumber }) }
        let newest = try XCTUnwrap(numbers.max(), "no migrations in sql/migrations")
        let ping = try XCTUnwrap(try discoverDocument().methods.first { $0["name"] as? String == "system.ping" }, "system.ping is not published")
        let examples = try XCTUnwrap(ping["examples"] as? [[String: Any]])
        XCTAssertFalse(examples.isEmpty)
        for example in examples {
            let result = try XCTUnwrap((example["result"] as? [String: Any])?["value"] as? [String: Any])
            XCTAssertEqual(result["build_schema_version"] as? Int, newest, "Release.schemaVersion (Sources/Core/Release.swift), which system.ping's examples show, is not the newest migration")
            if let read = result["schema_version"] { XCTAssertEqual(read as? Int, newest, "a database migrated by this release is on its newest migration") }
        }
    }

    /// Every `meetingd X.Y.Z` README.md shows (meetctl ping's line, for one) is this release's
    /// version, the one `rpc.discover` and `system.ping` answer.
    func testReadmeShowsThisVersion() throws {
        let version = try XCTUnwrap(try discoverDocument().info["version"] as? String)
        let readme = try String(contentsOfFile: TestEnvironment.repoRoot + "/README.md", encoding: .utf8)
        let mention = try NSRegularExpression(pattern: #"meetingd (\d+\.\d+\.\d+)"#)
        let shown = mention.matches(in: readme, range: NSRange(readme.startIndex..., in: readme)).map { match in
            String(readme[Range(match.range(at: 1), in: readme)!])
        }
        for other in shown where other != version {
            XCTFail("README.md shows meetingd \(other); this release is \(version)")
        }
    }

    private func discoverDocument() throws -> (info: [String: Any], methods: [[String: Any]]) {
        let result = try runTool(TestEnvironment.meetingdPath, ["discover"])
        XCTAssertTrue(result.succeeded, result.stderr)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (try XCTUnwrap(document["info"] as? [String: Any]), try XCTUnwrap(document["methods"] as? [[String: Any]]))
    }
}
