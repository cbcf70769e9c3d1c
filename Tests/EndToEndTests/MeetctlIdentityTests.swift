import Foundation
import XCTest

/// A saved default identity (`meetctl use --as`, kept under $XDG_CONFIG_HOME/meetingledger/),
/// `meetctl whoami`, and an expert's session at a real terminal (a pseudo-terminal) with
/// e-mails, service names and row numbers in place of ids.
final class MeetctlIdentityTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// The same meetctl (same config and state folders) with nobody in MEETINGLEDGER_ACTOR.
    func withoutActor(_ m: Meetctl) -> Meetctl {
        var copy = m
        copy.actor = nil
        copy.environment["MEETINGLEDGER_ACTOR"] = ""
        return copy
    }

    func testUseSavesWhoActsAndWhoamiSaysSo() throws {
        let c = try MeetctlCommunity.make(#function)
        let nobody = withoutActor(c.admin)
        let before = try nobody.fails(["whoami"], status: 2)
        XCTAssertTrue(before.stderr.contains("meetctl use --as PERSON"), "the error names the way to save one: \(before.stderr)")

        // The admin, acting through MEETINGLEDGER_ACTOR, saves the expert by e-mail.
        let saved = try c.admin.ok(["use", "--as", c.expertEmail])
        let config = try XCTUnwrap(nobody.environment["XDG_CONFIG_HOME"]) + "/meetingledger/meetctl.json"
        XCTAssertEqual(saved, "meetctl acts as Talia Kim <\(c.expertEmail)> (\(c.expertId)) from now on (saved in \(config)).\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: config)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "the file is its owner's alone")

        let me = try nobody.ok(["whoami"])
        for line in ["Person     \(c.expertId)", "Name       Talia Kim", "Email      \(c.expertEmail)", "Roles      expert", "Time zone  America/New_York",
                     "Acting by  meetctl use (saved in \(config))"] {
            XCTAssertTrue(me.contains(line + "\n"), "whoami shows \"\(line)\": \(me)")
        }
        XCTAssertTrue(me.contains("Community  Meetctl testUseSavesWhoActsAndWhoamiSaysSo"), me)
        XCTAssertEqual(try nobody.json(["whoami"])["source"]?.string, "meetctl use (saved in \(config))")
        XCTAssertEqual(try c.admin.json(["whoami"])["person"]?["id"]?.string, c.adminId, "MEETINGLEDGER_ACTOR goes first")
        XCTAssertEqual(try nobody.json(["--as", c.userEmail, "whoami"])["person"]?["id"]?.string, c.userId,
                       "--as goes first, its e-mail looked up as the saved person")

        // Bad input changes nothing.
        let unknown = try nobody.fails(["use", "--as", "nobody@example.test"], status: 1)
        XCTAssertTrue(unknown.stderr.contains("nobody you may look up has the e-mail nobody@example.test"), unknown.stderr)
        let noAs = try nobody.fails(["use"], status: 2)
        XCTAssertTrue(noAs.stderr.contains("use needs --as PERSON"), noAs.stderr)
        // An id of nobody is named by where it was given, not by the service's "actor".
        let ghost = "per_" + String(repeating: "0", count: 32)
        let notAPerson = try nobody.fails(["--as", ghost, "meetings"], status: 1)
        XCTAssertTrue(notAPerson.stderr.hasPrefix("meetctl: --as: no person has the id \(ghost)"), notAPerson.stderr)
        XCTAssertFalse(notAPerson.stderr.contains("\"actor\""), notAPerson.stderr)
        var ghostInEnvironment = nobody
        ghostInEnvironment.environment["MEETINGLEDGER_ACTOR"] = ghost
        let fromEnvironment = try ghostInEnvironment.fails(["meetings"], status: 1)
        XCTAssertTrue(fromEnvironment.stderr.hasPrefix("meetctl: MEETINGLEDGER_ACTOR: no person has the id"), fromEnvironment.stderr)
        XCTAssertEqual(try nobody.json(["whoami"])["person"]?["id"]?.string, c.expertId)

        try FileManager.default.createDirectory(atPath: (config as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertEqual(try nobody.ok(["use", "--clear"]), "Forgot the saved identity (\(config)).\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: config))
        _ = try nobody.fails(["whoami"], status: 2)

        try "{not json".write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try nobody.fails(["whoami"], status: 1)
        XCTAssertTrue(broken.stderr.contains("\(config) is not what meetctl wrote there"), broken.stderr)
    }

    /// Seed 004, "Canceling a scheduled meeting … less than 48 hours before the start … the
    /// expert must confirm the form": an expert at a terminal, who saved themselves once, proposes
    /// to a user by e-mail and a service by name, lists the meetings, and cancels by row number,
    /// answering the question the terminal asks.
    func testAnExpertAtATerminalUsesEmailsNamesAndRowNumbers() throws {
        let c = try MeetctlCommunity.make(#function)
        try c.admin.ok(["use", "--as", c.expertEmail])
        let expert = withoutActor(c.admin)

        let whoami = try expert.onTerminal(["whoami"])
        XCTAssertEqual(whoami.termination, .exited(0), whoami.stdout)
        XCTAssertTrue(whoami.stdout.contains("Talia Kim"), whoami.stdout)

        let proposed = try expert.onTerminal([
            "propose", "--user", c.userEmail, "--service", "chem", "--start", "2030-03-05 10:00", "--length", "1h", "--price", "100",
        ])
        XCTAssertEqual(proposed.termination, .exited(0), proposed.stdout)
        let id = try XCTUnwrap(proposed.stdout.split(whereSeparator: \.isNewline).first { $0.hasPrefix("Meeting ") }?.split(separator: " ").last.map(String.init))
        try (try c.user).ok(["confirm", String(id.suffix(6))])

        let listed = try expert.onTerminal(["meetings"])
        let row = try XCTUnwrap(listed.stdout.split(whereSeparator: \.isNewline).first { $0.contains(id) }, listed.stdout)
        XCTAssertTrue(row.hasPrefix("1 "), listed.stdout)

        let cancelled = try expert.onTerminal(["cancel", "1", "--reason", "illness"], answering: "y")
        XCTAssertEqual(cancelled.termination, .exited(0), cancelled.stdout)
        XCTAssertTrue(cancelled.stdout.contains("Cancel anyway? [y/N]"), cancelled.stdout)
        XCTAssertTrue(cancelled.stdout.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("Meeting ") && $0.hasSuffix(id) }, cancelled.stdout)
        XCTAssertEqual(try c.admin.json(["meeting", "show", id])["meeting"]?["status"], "cancelled")
    }
}
