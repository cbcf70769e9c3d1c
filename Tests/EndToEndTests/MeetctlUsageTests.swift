import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// meetctl's command line: help generated at every level, and usage mistakes answered with
/// exit status 2 and a hint before anything reaches the service.
final class MeetctlUsageTests: XCTestCase {
    func testHelpAtEveryLevel() throws {
        let ctl = try Meetctl()
        let top = try ctl.ok(["--help"])
        for command in ["meetings", "meeting show", "propose", "confirm", "decline", "cancel", "reschedule", "alternate confirm", "log",
                        "availability set", "conflicts", "balance", "statement", "trial-balance", "reconcile", "grant", "adjust", "payout",
                        "trail", "bootstrap", "people", "person add", "services", "service add", "certify", "import", "settings set",
                        "locations", "location add", "outbox deliver"] {
            XCTAssertTrue(top.contains("\n  \(command) "), "the overview lists \(command)")
        }
        XCTAssertTrue(top.contains("Exit status: 0"), top)

        let propose = try ctl.ok(["propose", "--help"])
        XCTAssertTrue(propose.hasPrefix("usage: meetctl propose --user PERSON --service SERVICE --start TIME"), propose)
        XCTAssertTrue(propose.contains("Calls meeting.propose."), propose)
        XCTAssertTrue(propose.contains("→ length_minutes"), "help shows how options map to params: \(propose)")

        let group = try ctl.ok(["alternate", "--help"])
        for sub in ["alternate confirm", "alternate reject", "alternate withdraw"] { XCTAssertTrue(group.contains(sub), group) }

        let statement = try ctl.ok(["help", "statement"])
        XCTAssertTrue(statement.contains("--csv"), "statement offers --csv: \(statement)")
        XCTAssertFalse(try ctl.ok(["reasons", "--help"]).contains("--csv"), "only tables for spreadsheets offer --csv")
        XCTAssertTrue(try ctl.ok(["cancel", "-h"]).contains("--yes"))
    }

    /// The overview's "Options for every command" are taken by every command; the CSV options and
    /// --idempotency-key only by the commands whose help lists them under "Also:", and those
    /// commands do take them.
    func testHelpListsOptionsWhereTheyAreTaken() throws {
        let ctl = try Meetctl()
        let top = try ctl.ok(["--help"])
        let sections = top.components(separatedBy: "\n\n")
        let every = try XCTUnwrap(sections.first { $0.hasPrefix("Options for every command:") }, top)
        let some = try XCTUnwrap(sections.first { $0.hasPrefix("Options for some commands") }, top)
        XCTAssertTrue(some.contains("Also:"), "says which commands take them: \(some)")
        for option in ["--as", "--json", "--remote", "--meetingd", "--test-clock", "--help"] {
            XCTAssertTrue(every.contains("  \(option) ") || every.contains("  \(option)\n"), "\(option) is for every command: \(every)")
        }
        for option in ["--csv", "--output", "--bom", "--no-bom", "--idempotency-key"] {
            XCTAssertFalse(every.contains("  \(option) ") || every.contains("  \(option)\n"), "\(option) is not for every command: \(every)")
            XCTAssertTrue(some.contains("  \(option) ") || some.contains("  \(option)\n"), "\(option) is listed for some: \(some)")
        }
        // Each command's "Also:" names exactly the options it takes: nobody is acting, so a
        // taken option goes on to "who is acting?" and one not taken is refused as unknown.
        let commands: [(help: [String], run: [String])] = [
            (["people"], ["people"]), (["export"], ["export", "people"]), (["meetings"], ["meetings"]), (["statement"], ["statement"]),
            (["cancel"], ["cancel", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50"]), (["location", "add"], ["location", "add", "--name", "X", "--kind", "virtual"]),
        ]
        for (path, command) in commands {
            let help = try ctl.ok(path + ["--help"])
            let also = try XCTUnwrap(help.split(separator: "\n").first { $0.hasPrefix("Also: ") }, help)
            for option in [["--csv"], ["--output", "x.csv"], ["--bom"], ["--no-bom"], ["--idempotency-key", "k"]] {
                let run = try ctl.run(command + option)
                XCTAssertEqual(run.termination, .exited(2), "\(command) \(option): \(run.stderr)")
                let listed = also.split(separator: " ").contains { $0 == option[0] }
                XCTAssertEqual(!run.stderr.contains("unknown option"), listed, "\(command) \(option) is taken as its help says (\(also)): \(run.stderr)")
            }
        }
        // A command that runs meetingd on this machine does not offer --remote, which refuses it.
        let bootstrapAlso = try XCTUnwrap(try ctl.ok(["bootstrap", "--help"]).split(separator: "\n").first { $0.hasPrefix("Also: ") })
        XCTAssertFalse(bootstrapAlso.split(separator: " ").contains("--remote"), String(bootstrapAlso))
        XCTAssertTrue(try ctl.ok(["meetings", "--help"]).contains("--remote"))
    }

    /// The help's lines from the one starting with `start` (after its newline) up to the next
    /// that is not indented further, as one line (a wrapped paragraph unwrapped).
    static func paragraph(_ help: String, from start: String) -> String? {
        guard let at = help.range(of: start) else { return nil }
        var lines = [String(help[help.index(after: at.lowerBound)...].prefix { $0 != "\n" })]
        for line in help[at.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            guard line.hasPrefix("   "), !line.hasPrefix("  meetctl ") else { break }
            lines.append(line.trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: " ")
    }

    /// What each command's help says it calls, takes and shows.
    func testHelpSaysWhatEachCommandDoes() throws {
        let ctl = try Meetctl()
        let certify = try ctl.ok(["certify", "--help"])
        XCTAssertTrue(certify.contains("service.certify") && certify.contains("service.decertify"), certify)
        let enroll = try ctl.ok(["enroll", "--help"])
        XCTAssertTrue(enroll.contains("enrollment.assign") && enroll.contains("enrollment.remove"), enroll)
        for command in ["export", "import"] {
            let help = try ctl.ok([command, "--help"])
            let kind = try XCTUnwrap(Self.paragraph(help, from: "\n  KIND "), help)
            XCTAssertTrue(kind.contains("people") && kind.contains("enrollments"), "\(command)'s KIND is described: \(kind)")
        }
        let cancel = try ctl.ok(["cancel", "--help"])
        let shows = try XCTUnwrap(Self.paragraph(cancel, from: "\nShows: "), cancel)
        XCTAssertFalse(shows.contains(", name,"), "every field says what it is: \(shows)")
        XCTAssertTrue(shows.contains("User (name)") && shows.contains("New date (proposed by, length, credits, note, lapsed)"), shows)
    }

    /// Every command's words, as the overview lists them: "  availability show    Free periods…"
    /// (the name, then two spaces).
    static func commandPaths(_ ctl: Meetctl) throws -> [[String]] {
        try ctl.ok(["--help"]).split(separator: "\n").compactMap { line -> [String]? in
            guard line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLowercase,
                let end = line.dropFirst(2).range(of: "  ")
            else { return nil }
            return line.dropFirst(2)[..<end.lowerBound].split(separator: " ").map(String.init)
        }
    }

    /// Every command's help ends with examples, each read by meetctl's own parser as a call of
    /// that command before it is shown (a debug meetctl, as tests run it, stops on one that is not:
    /// an option renamed, a value no longer taken).
    func testEveryCommandHasExamplesItReads() throws {
        let ctl = try Meetctl()
        let commands = try Self.commandPaths(ctl)
        XCTAssertGreaterThan(commands.count, 70, "the overview lists every command")
        for path in commands {
            let help = try ctl.ok(path + ["--help"])
            let examples = help.components(separatedBy: "\nExamples:\n").dropFirst().first ?? ""
            let calls = examples.split(separator: "\n").filter { $0.hasPrefix("  meetctl ") }
            XCTAssertFalse(calls.isEmpty, "meetctl \(path.joined(separator: " ")) --help ends with examples: \(help)")
            for call in calls {
                XCTAssertTrue(call.contains(" " + path.joined(separator: " ")), "an example of \(path) calls it: \(call)")
            }
        }
    }

    /// Every command's help fits lines of 100 columns (it had lines of up to 377), but for its
    /// examples' command lines, which are typed whole; what wraps keeps an option and its
    /// placeholder, and a value and the param it fills, together.
    func testEveryCommandsHelpFitsItsLines() throws {
        let ctl = try Meetctl()
        let commands = try Self.commandPaths(ctl)
        for path in commands {
            let help = try ctl.ok(path + ["--help"])
            for line in help.split(separator: "\n") where !line.hasPrefix("  meetctl ") {
                XCTAssertLessThanOrEqual(line.count, 100, "meetctl \(path.joined(separator: " ")) --help: \(line)")
                XCTAssertFalse(line.hasSuffix("→") || line.hasSuffix("[--note") || line.hasPrefix(" ") && line.trimmingCharacters(in: .whitespaces).hasPrefix("→"), "\(line)")
            }
        }
        let propose = try ctl.ok(["propose", "--help"])
        XCTAssertTrue(propose.contains("[--student PERSON]"), "an option and its placeholder stay on one line: \(propose)")
        XCTAssertTrue(propose.contains("required  → service_id"), propose)
        // The overview and each group's list too, and a line that fits keeps its own spacing.
        let groups = Set(commands.filter { $0.count > 1 }.map { [$0[0]] })
        for help in [try ctl.ok(["--help"])] + (try groups.sorted { $0[0] < $1[0] }.map { try ctl.ok($0 + ["--help"]) }) {
            for line in help.split(separator: "\n") where !line.hasPrefix("  meetctl ") {
                XCTAssertLessThanOrEqual(line.count, 100, String(line))
            }
        }
        XCTAssertTrue(try ctl.ok(["completion", "--help"]).contains("\nzsh:  source <(meetctl completion zsh)\n"))
    }

    /// A mistake is named as it was made: the folder --output was given, the variable that holds
    /// no person.
    func testMessagesNameWhatWasWrong() throws {
        let ctl = try Meetctl()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-folder-\(TestEnvironment.uniqueTag())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let intoFolder = try ctl.fails(["meetings", "--output", folder], status: 2)
        XCTAssertTrue(intoFolder.stderr.contains("cannot write \(folder) (--output): it is a folder"), intoFolder.stderr)
        XCTAssertTrue(intoFolder.stderr.contains("hint: give a file name"), intoFolder.stderr)
        XCTAssertFalse(intoFolder.stderr.contains("NSCocoaErrorDomain"), intoFolder.stderr)
        let nowhere = try ctl.fails(["meetings", "--output", folder + "/missing/meetings.csv"], status: 2)
        XCTAssertTrue(nowhere.stderr.contains("cannot write \(folder)/missing/meetings.csv (--output): there is no folder \(folder)/missing"), nowhere.stderr)

        let garbage = try ctl.run(["meetings"], environment: ["MEETINGLEDGER_ACTOR": "garbage"])
        XCTAssertEqual(garbage.termination, .exited(2), garbage.stderr)
        XCTAssertTrue(garbage.stderr.contains("MEETINGLEDGER_ACTOR: expects a person id per_… or an email (got \"garbage\")"), garbage.stderr)
        XCTAssertFalse(garbage.stderr.contains("--as:"), "--as was not given: \(garbage.stderr)")
    }

    /// A file a command reads that is no regular file (a device, a named pipe) is told what it
    /// is, as a path that is none or a folder is: meetctl reads a whole file, never a stream.
    func testAFileThatIsNoRegularFileIsToldWhatItIs() throws {
        let ctl = try Meetctl(actor: "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50")
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-fifo-\(TestEnvironment.uniqueTag())").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0, "mkfifo \(fifo)")
        defer { unlink(fifo) }
        for (path, what) in [("/dev/null", "a device"), (fifo, "a pipe")] {
            let result = try ctl.fails(["import", "people", path, "--dry-run"], status: 2)
            XCTAssertTrue(result.stderr.contains("cannot read the file: it is not a regular file but \(what)"), result.stderr)
            XCTAssertTrue(result.stderr.contains("hint: save what it gives to a file"), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
    }

    /// A file past meetctl's bound (32 MiB) is refused before it is read whole: a 400 MB file
    /// given to `import` took 4.7 GB of memory before its first row was refused.
    func testAFileLargerThanMeetctlReadsIsRefusedUnread() throws {
        let ctl = try Meetctl(actor: "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-large-\(TestEnvironment.uniqueTag()).csv").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        defer { unlink(path) }
        XCTAssertEqual(truncate(path, off_t(32 * 1_048_576 + 1)), 0, "a sparse file a byte past the bound")
        let result = try ctl.fails(["import", "people", path, "--dry-run"], status: 2)
        XCTAssertTrue(result.stderr.contains("cannot read the file: it is larger than meetctl reads (32 MiB)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("split it into files of at most 32 MiB"), result.stderr)
    }

    func testUsageMistakesExitTwoWithAHint() throws {
        let ctl = try Meetctl(actor: "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50")
        let cases: [(arguments: [String], says: String, hint: String)] = [
            (["meetngs"], "unknown command \"meetngs\"", "did you mean \"meetings\"?"),
            (["request", "--help"], "unknown command \"request\"", "meetctl --help"),
            (["help", "meetngs"], "unknown command \"meetngs\"", "did you mean \"meetings\"?"),
            (["propose", "--usr", "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50"], "unknown option --usr", "did you mean \"--user\"?"),
            (["reschedule", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "--start", "tomorrow"], "--start: is not a time", "RFC 3339"),
            (["confirm", "mtg_12"], "MEETING: expects a meeting id mtg_", "at least 6 characters"),
            (["decline", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50"], "decline needs --reason CODE", "usage: meetctl decline"),
            (["log", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "--attendance", "late"], "must be one of attended, no_show", "see meetctl log --help"),
            // Logged lengths change in steps of 5 minutes, checked here as the range is.
            (["log", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "--attendance", "attended", "--adjust", "7"], "--adjust: must be a multiple of 5", "5 or 10"),
            (["log", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "--attendance", "attended", "--adjust", "300"], "--adjust: must be within -240…240", ""),
            (["propose", "--length", "an hour"], "--length: expects minutes", "see meetctl propose --help"),
            // Lengths past what a number holds are out of range (meetctl crashed on them), and
            // every part of a length is plain digits ("1h-30" was read as 30 minutes).
            (["propose", "--length", "153722867280912931h"], "--length: must be within", "see meetctl propose --help"),
            (["propose", "--length", "9223372036854775807:00"], "--length: must be within", "see meetctl propose --help"),
            (["clock", "advance", "--", "-153722867280912931h"], "must be within", ""),
            (["propose", "--length", "1h-30"], "--length: expects minutes", "see meetctl propose --help"),
            // A whole number too long for 64 bits is out of range, not "not a whole number".
            (["propose", "--price", "99999999999999999999"], "--price: must be within 0…1000000000000", "see meetctl propose --help"),
            (["propose", "--price", "-99999999999999999999"], "--price: must be within 0…1000000000000", "see meetctl propose --help"),
            (["propose", "--price", "12.5"], "--price: expects a whole number", "see meetctl propose --help"),
            (["propose", "--length", "1h+30"], "--length: expects minutes", "see meetctl propose --help"),
            (["propose", "--length", "1:-3"], "--length: expects minutes", "see meetctl propose --help"),
            (["reasons", "--csv"], "unknown option --csv for reasons", "meetctl reasons --help"),
            // A range named as another command names it.
            (["availability", "free", "--from", "2030-03-23 10:00"], "unknown option --from for availability free", "this command calls it \"--start\"."),
            (["slots", "--end", "2030-03-23 10:00"], "unknown option --end for slots", "this command calls it \"--to\"."),
            // An option named with a word before the one this command uses.
            (["profile", "set", "--display-name", "Talia"], "unknown option --display-name for profile set", "did you mean \"--name\"?"),
            (["alternate"], "\"alternate\" needs a subcommand: one of confirm, reject, withdraw", "meetctl alternate --help"),
            // A group run as its default subcommand still knows a mistyped subcommand.
            (["availability", "blok"], "unknown command \"availability blok\"", "did you mean \"block\"?"),
            (["person", "shw"], "unknown command \"person shw\"", "did you mean \"show\"?"),
            (["settings", "st", "x=1"], "unknown command \"settings st\"", "did you mean \"set\"?"),
            (["conflicts"], "conflicts needs MEETING, or --start and --length", "meetctl conflicts --help"),
            (["conflicts", "--start", "2030-03-11T10:00:00Z"], "conflicts --start needs --length", "meetctl conflicts --help"),
            // Not settings: meetctl's own options.
            (["settings", "set", "actor=per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "slot_minutes=30"], "actor is not a setting", "give --as instead"),
            (["availability", "set", "--rule", "Mon 9-12"], "names no location", "Mon 09:00-12:00 @LOC"),
            (["confirm", "mtg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "extra"], "unexpected argument \"extra\"", "usage: meetctl confirm"),
            ([], "no command given", "meetctl --help"),
            (["--as", "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", "--as", "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f51", "whoami"], "--as is given twice", "give it once"),
        ]
        // An e-mail close to a subcommand's name is the default's argument, not a mistyped
        // subcommand: it goes on to the lookup (nobody acts here, so "who is acting?").
        let email = try ctl.run(["person", "sh@o.w"])
        XCTAssertFalse(email.stderr.contains("unknown command"), email.stderr)
        for c in cases {
            let result = try ctl.fails(c.arguments, status: 2)
            XCTAssertTrue(result.stderr.contains(c.says), "\(c.arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("hint: "), "\(c.arguments) gives a hint: \(result.stderr)")
            XCTAssertTrue(c.hint.isEmpty || result.stderr.contains(c.hint), "\(c.arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "nothing on stdout for \(c.arguments)")
        }
    }

    func testSomeoneMustBeActing() throws {
        let nobody = try Meetctl()
        let result = try nobody.fails(["meetings"], status: 2)
        XCTAssertTrue(result.stderr.contains("--as"), result.stderr)
        XCTAssertTrue(result.stderr.contains("MEETINGLEDGER_ACTOR"), result.stderr)
        let email = try nobody.fails(["--as", "talia@example.test", "meetings"], status: 2)
        XCTAssertTrue(email.stderr.contains("an e-mail is looked up as someone of the community"), "an email needs someone to look it up as: \(email.stderr)")
    }

    func testFindsMeetingdAndSaysWhenItCannot() throws {
        _ = try TestEnvironment.databaseURL()
        var ctl = try Meetctl()
        ctl.environment["MEETINGLEDGER_MEETINGD"] = "/nonexistent/meetingd"
        let missing = try ctl.fails(["ping"], status: 1)
        XCTAssertTrue(missing.stderr.contains("meetingd is not an executable at /nonexistent/meetingd"), missing.stderr)
        // Beside meetctl (the build folder) is the default.
        ctl.environment["MEETINGLEDGER_MEETINGD"] = ""
        XCTAssertEqual(try ctl.json(["ping"])["database"], "ok")
        // No database: meetingd answers that it has none, and meetctl says where to look.
        let noDatabase = try ctl.run(["ping"], environment: ["DATABASE_URL": "host=/nonexistent port=1 dbname=none"])
        XCTAssertEqual(noDatabase.termination, .exited(1))
        XCTAssertTrue(noDatabase.stderr.contains("DATABASE_URL"), noDatabase.stderr)
        // Without DATABASE_URL meetctl uses the checkout's embedded cluster, or says how to start it
        // (set but empty is refused: MeetctlFinanceAdminTests).
        let embedded = try runTool("/usr/bin/env", ["-u", "DATABASE_URL", Meetctl.path, "--test-clock", "ping"], environment: ctl.environment)
        if embedded.termination != .exited(0) {
            XCTAssertEqual(embedded.termination, .exited(1))
            XCTAssertTrue(embedded.stderr.contains("scripts/db start") && embedded.stderr.contains("DATABASE_URL"), embedded.stderr)
        }
    }
}
