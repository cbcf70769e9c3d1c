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
}
