import Foundation
import XCTest

/// `meetctl completion bash|zsh|fish`: each shell loads the script meetctl prints and completes
/// commands, subcommands, options and their choices from it; every command `meetctl --help`
/// lists is offered, with every option its own help lists.
final class MeetctlCompletionTests: XCTestCase {
    /// The completions bash offers for each command line (the last word being completed), in
    /// one bash that loaded `source <(meetctl completion bash)`.
    func bashCompletes(_ lines: [[String]]) throws -> [[String]] {
        var script = "source <(\"$MEETCTL\" completion bash) || exit 3\n"
        for words in lines {
            let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            script += "COMP_WORDS=(meetctl \(quoted)); COMP_CWORD=\(words.count); _meetctl; echo \"${COMPREPLY[*]}\"\n"
        }
        let run = try runTool("/bin/bash", ["--norc", "--noprofile", "-c", script], environment: ["MEETCTL": Meetctl.path])
        guard run.succeeded else { throw HarnessError("bash could not load the completion: \(run.stderr)") }
        let answers = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.split(separator: " ").map(String.init) }
        guard answers.count == lines.count else { throw HarnessError("bash answered \(answers.count) lines for \(lines.count): \(run.stdout)") }
        return answers
    }

    func testBashLoadsTheScriptAndCompletesACommand() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-completion-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("services.csv").path
        try Data().write(to: URL(fileURLWithPath: csv))

        let answers = try bashCompletes([
            ["avail"], ["availability", "s"], ["alternate", ""], ["--as", "sam@example.org", "meet"], ["meetings", "--ro"],
            ["meetings", "--role", ""], ["meetings", "--role", "expert", "--status", "ag"], ["cancel", "2", "--reason", "illness", "--y"],
            ["import", ""], ["import", "services", csv.dropLast(4) + ""], ["completion", ""], ["help", "tri"], ["outbox", "deliver", "--channel", ""],
        ])
        XCTAssertEqual(answers[0], ["availability"])
        XCTAssertEqual(answers[1], ["show", "set"])
        XCTAssertEqual(answers[2], ["confirm", "reject", "withdraw"])
        XCTAssertEqual(answers[3], ["meetings", "meeting"], "global options and their values are skipped")
        XCTAssertEqual(answers[4], ["--role"])
        XCTAssertEqual(answers[5], ["all", "expert", "user"])
        XCTAssertEqual(answers[6], ["agreed"])
        XCTAssertEqual(answers[7], ["--yes"], "a meeting's row number is an argument, not a command word")
        XCTAssertEqual(answers[8], ["people", "services", "certifications", "enrollments"])
        XCTAssertEqual(answers[9], [csv], "the file argument completes to files")
        XCTAssertEqual(answers[10], ["bash", "zsh", "fish"])
        XCTAssertEqual(answers[11], ["trial-balance"])
        XCTAssertEqual(answers[12], ["notification", "calendar"])
    }

    /// The script cannot drift from the command table: every command of `meetctl --help` is
    /// completed from its first letters, and every option of its own --help is offered.
    func testEveryCommandAndOptionIsOffered() throws {
        let ctl = try Meetctl()
        let overview = try ctl.ok(["--help"])
        // "  availability show   Free periods, …": the command's words, two spaces, its summary.
        let commands: [[String]] = overview.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLowercase else { return nil }
            return line.dropFirst(2).components(separatedBy: "  ")[0].split(separator: " ").map(String.init)
        }
        XCTAssertGreaterThan(commands.count, 40, overview)

        var lines: [[String]] = []
        for path in commands {
            lines.append(Array(path.dropLast()) + [String(path.last!.prefix(3))])
            lines.append(path + ["--"])
        }
        let answers = try bashCompletes(lines)
        for (i, path) in commands.enumerated() {
            XCTAssertTrue(answers[2 * i].contains(path.last!), "\(path.joined(separator: " ")) is completed from its first letters: \(answers[2 * i])")
            // Its own options: the usage line and the option list, not another command's in its examples
            // (MeetctlUsageTests reads those).
            let help = try ctl.ok(path + ["--help"]).components(separatedBy: "\nExamples:\n")[0]
            let options = Set(help.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "[" || $0 == "]" })
                .filter { $0.hasPrefix("--") && $0.count > 2 && $0.dropFirst(2).allSatisfy { $0.isLetter || $0 == "-" } }.map(String.init))
            XCTAssertTrue(options.isSubset(of: Set(answers[2 * i + 1])), "\(path.joined(separator: " ")): \(options.subtracting(answers[2 * i + 1]))")
        }
    }

    /// zsh (its completion system's compadd and _files stood in for, as only a line editor
    /// calls them) and fish (`complete -C`) load the scripts and complete the same way.
    func testZshAndFishCompleteTheSameWay() throws {
        for shell in ["/usr/bin/zsh", "/usr/bin/fish"] where !FileManager.default.isExecutableFile(atPath: shell) {
            throw XCTSkip("\(shell) is not installed: apt-get install -y zsh fish (scripts/test installs them)")
        }
        let zsh = try runTool("/usr/bin/zsh", ["-f", "-c", """
            compdef() { :; }; compadd() { shift; print -r -- "$@"; }; _files() { print FILES; }
            source <("$MEETCTL" completion zsh) || exit 3
            words=(meetctl availability s); CURRENT=3; _meetctl
            words=(meetctl --as sam@example.org meetings --role ''); CURRENT=6; _meetctl
            words=(meetctl import services ''); CURRENT=4; _meetctl
            """], environment: ["MEETCTL": Meetctl.path])
        XCTAssertEqual(zsh.stdout, "show set free block remove\nall expert user\nFILES\n", zsh.stderr)

        let fish = try runTool("/usr/bin/fish", ["--no-config", "-c", """
            "$MEETCTL" completion fish | source; or exit 3
            complete -C 'meetctl availability s'
            complete -C 'meetctl --as sam@example.org meetings --role '
            complete -C 'meetctl import '
            """], environment: ["MEETCTL": Meetctl.path])
        XCTAssertTrue(fish.succeeded, fish.stderr)
        let offered = fish.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        XCTAssertEqual(offered, ["set", "show", "all", "expert", "user", "certifications", "enrollments", "people", "services"], fish.stdout)
        XCTAssertTrue(fish.stdout.contains("show\tFree periods, weekly rules and blocks"), "fish shows each command's summary: \(fish.stdout)")
    }
}
