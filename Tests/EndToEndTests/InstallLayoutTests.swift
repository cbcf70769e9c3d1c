import Foundation
import XCTest

/// An installed `meetingd` (README, "Giving an expert access": `/usr/local/bin/meetingd`) finds
/// its migrations in `../share/meetingledger/migrations` beside its `bin` folder, whatever the
/// working directory; without them it says where to put them.
final class InstallLayoutTests: EndToEndTestCase {
    func testAnInstalledMeetingdFindsItsMigrationsBesideItsBinFolder() throws {
        let fm = FileManager.default
        let prefix = fm.temporaryDirectory.appendingPathComponent("meetingledger-install-\(TestEnvironment.uniqueTag())")
        defer { try? fm.removeItem(at: prefix) }
        let bin = prefix.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        let installed = bin.appendingPathComponent("meetingd").path
        try fm.copyItem(atPath: TestEnvironment.meetingdPath, toPath: installed)

        // Run from / with no MEETINGLEDGER_MIGRATIONS: only the installation can provide them.
        func migrate() throws -> ToolResult {
            try runTool("/bin/sh", ["-c", "unset MEETINGLEDGER_MIGRATIONS; cd / && exec \"$0\" migrate", installed],
                        environment: ["DATABASE_URL": databaseURL])
        }
        let missing = try migrate()
        XCTAssertEqual(missing.termination, .exited(1), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("share/meetingledger/migrations"), "the error says where they go: \(missing.stderr)")

        let share = prefix.appendingPathComponent("share/meetingledger")
        try fm.createDirectory(at: share, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: TestEnvironment.repoRoot).appendingPathComponent("sql/migrations")
        try fm.copyItem(at: source, to: share.appendingPathComponent("migrations"))
        let found = try migrate()
        XCTAssertTrue(found.succeeded, "\(found.termination): \(found.stderr)")
    }
}
