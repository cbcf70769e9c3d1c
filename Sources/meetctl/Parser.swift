import Core
import Foundation

/// The options every command takes (and the few some take), shown once at the top level.
enum GlobalOptions {
    static let actor = OptionSpec(
        name: "as", kind: .person,
        help: "Act as this person (an email is looked up with person.find_by_email); default: $MEETINGLEDGER_ACTOR, with --remote the person HOST is pinned to, else whom meetctl use saved")
    static let json = OptionSpec(name: "json", kind: .flag, help: "Print the raw JSON result instead of a table")
    static let csv = OptionSpec(name: "csv", kind: .flag, help: "Print CSV for a spreadsheet (README: Finance CSV)")
    static let output = OptionSpec(
        name: "output", kind: .text(placeholder: "FILE"), help: "Write the CSV into FILE (replacing it) instead of printing it; implies --csv and --bom")
    static let bom = OptionSpec(name: "bom", kind: .flag, help: "Start the CSV with a UTF-8 byte-order mark, so spreadsheets read it as UTF-8")
    static let noBOM = OptionSpec(name: "no-bom", kind: .flag, help: "No byte-order mark, even with --output")
    static let meetingd = OptionSpec(
        name: "meetingd", kind: .text(placeholder: "PATH"),
        help: "The meetingd to run; default: $MEETINGLEDGER_MEETINGD, the meetingd beside meetctl, or meetingd on PATH")
    static let remote = OptionSpec(
        name: "remote", kind: .text(placeholder: "[USER@]HOST"),
        help: "Speak to the meetingd at HOST over ssh ($MEETINGLEDGER_SSH_COMMAND, default ssh); HOST's forced command decides what runs")
    static let testClock = OptionSpec(
        name: "test-clock", kind: .flag, help: "Run meetingd with --test-clock (demos and tests: `meetctl clock` moves the time)")
    static let idempotencyKey = OptionSpec(
        name: "idempotency-key", kind: .text(placeholder: "KEY"),
        help: "Make the change at most once: a retry with the same key returns the first answer (commands that change something)")
    static let help = OptionSpec(name: "help", kind: .flag, help: "Show help (also: meetctl help COMMAND)")

    /// What every command takes.
    static let common = [actor, json, remote, meetingd, testClock, help]
    /// What the commands that offer CSV (`csvOptions`) or change something (`--idempotency-key`)
    /// take besides: their help lists them under "Also:".
    static let some = csvOptions + [idempotencyKey]
    /// Every global option, for options given before the command is known.
    static let all = common + some
    static let csvOptions = [csv, output, bom, noBOM]

    static func specs(for command: CommandSpec) -> [OptionSpec] {
        common + (command.csv != nil ? csvOptions : []) + (command.mutating ? [idempotencyKey] : [])
    }
}

/// A parsed command line.
struct Invocation {
    let command: CommandSpec
    /// Option (or argument) name → the values given, in order.
    private(set) var values: [String: [Parsed]] = [:]

    init(command: CommandSpec) { self.command = command }

    mutating func add(_ name: String, _ value: Parsed) { values[name, default: []].append(value) }

    func has(_ name: String) -> Bool { values[name] != nil }
    func all(_ name: String) -> [Parsed] { values[name] ?? [] }
    func first(_ name: String) -> Parsed? { values[name]?.first }

    /// The raw text of a plain string option.
    func string(_ name: String) -> String? {
        if case .json(.string(let s))? = first(name) { return s }
        if case .person(let s)? = first(name) { return s }
        if case .location(let s)? = first(name) { return s }
        if case .service(let s)? = first(name) { return s }
        return nil
    }

    func int(_ name: String) -> Int64? {
        if case .json(.int(let i))? = first(name) { return i }
        return nil
    }

    var wantsJSON: Bool { has("json") }
    var wantsCSV: Bool { has("csv") || has("output") }
    /// A byte-order mark before the CSV: asked for, or by default into a file.
    var wantsBOM: Bool { has("bom") || (has("output") && !has("no-bom")) }
}

/// What the command line asks for.
enum ParseOutcome {
    case run(Invocation)
    /// Help for a command, a group of commands (its path), or everything (empty path).
    case help([String])
    case version
}

/// Reads argv against the command table: command words first (global options may come
/// before them), then the command's options and arguments in any order.
struct Parser {
    let commands: [CommandSpec]
    /// False for help's examples: a FILE they name is not read, nor an --output checked (they
    /// are not there, whatever the folder meetctl runs in holds).
    var readsFiles = true

    func parse(_ arguments: [String]) throws -> ParseOutcome {
        var tokens = arguments[...]
        var path: [String] = []
        var early: [(OptionSpec, String?)] = []
        var wantsHelp = false

        // Command words, with global options allowed in between.
        while let token = tokens.first {
            if token == "--help" || token == "-h" { wantsHelp = true; tokens.removeFirst(); continue }
            if token == "--version" && path.isEmpty { return .version }
            if token.hasPrefix("--") && token != "--" {
                let (name, inline) = Self.split(token)
                // A command that has subcommands of its own (series; series skip) takes its
                // options here: the words so far name it.
                if !GlobalOptions.all.contains(where: { $0.name == name }), commands.contains(where: { $0.path == path }) { break }
                tokens.removeFirst()
                guard let spec = GlobalOptions.all.first(where: { $0.name == name }) else {
                    throw UsageError(
                        message: "unknown option --\(name)" + (path.isEmpty ? "" : " before the end of the command \"\(path.joined(separator: " "))\""),
                        hint: path.isEmpty ? "command options come after the command: meetctl COMMAND [OPTIONS]; see meetctl --help" : "put it after the command's words")
                }
                let value = try Self.value(for: spec, inline: inline, tokens: &tokens)
                early.append((spec, value))
                continue
            }
            if path.isEmpty && token == "help" { tokens.removeFirst(); wantsHelp = true; continue }
            if commands.contains(where: { $0.path.starts(with: path + [token]) }) {
                path.append(token)
                tokens.removeFirst()
                if commands.contains(where: { $0.path == path }) && !commands.contains(where: { $0.path.count > path.count && $0.path.starts(with: path) }) { break }
                continue
            }
            break
        }

        // After "--" every word is a value ("--help" as a chat message's text).
        let optionWords = tokens.prefix { $0 != "--" }
        if wantsHelp || optionWords.contains("--help") || optionWords.contains("-h") {
            // Help for a word that is no command is not the general help: the word is wrong.
            if path.isEmpty, let word = tokens.first(where: { !$0.hasPrefix("-") }) {
                throw UsageError(message: "unknown command \"\(word)\"", hint: Self.hint(Suggest.didYouMean(word, topWords), "meetctl --help"))
            }
            return .help(path)
        }
        guard let command = commands.first(where: { $0.path == path }) ?? defaultCommand(path) else {
            if path.isEmpty {
                guard let word = tokens.first else { throw UsageError(message: "no command given", hint: "see meetctl --help for the commands") }
                throw UsageError(message: "unknown command \"\(word)\"", hint: Self.hint(Suggest.didYouMean(word, topWords), "meetctl --help"))
            }
            let children = subcommands(of: path)
            let given = tokens.first.map { "unknown command \"\(path.joined(separator: " ")) \($0)\"" } ?? "\"\(path.joined(separator: " "))\" needs a subcommand"
            throw UsageError(
                message: given + ": one of " + children.joined(separator: ", "),
                hint: Self.hint(tokens.first.flatMap { Suggest.didYouMean($0, children) }, "meetctl \(path.joined(separator: " ")) --help"))
        }

        var invocation = Invocation(command: command)
        let options = command.allOptions
        for (spec, value) in early {
            guard options.contains(where: { $0.name == spec.name }) else {
                throw UsageError(message: "\(command.name) does not take --\(spec.name)", hint: "see meetctl \(command.name) --help")
            }
            if invocation.has(spec.name) && !spec.repeatable && !spec.flag {
                throw UsageError(message: "--\(spec.name) is given twice", hint: "give it once; see meetctl \(command.name) --help")
            }
            invocation.add(spec.name, try parseValue(spec.kind, value ?? "", what: "--\(spec.name)", command))
        }
        var positionals: [String] = []
        var onlyPositionals = false
        while let token = tokens.popFirst() {
            if onlyPositionals || !token.hasPrefix("-") || token == "-" || Int64(token) != nil {
                positionals.append(token)
                continue
            }
            if token == "--" { onlyPositionals = true; continue }
            guard token.hasPrefix("--") else {
                throw UsageError(message: "unknown option \(token)", hint: "options are spelled --name; see meetctl \(command.name) --help")
            }
            let (name, inline) = Self.split(token)
            guard let spec = options.first(where: { $0.name == name }) else {
                throw UsageError(
                    message: "unknown option --\(name) for \(command.name)",
                    hint: Self.hint(Suggest.option("--" + name, options.map { "--" + $0.name }), "meetctl \(command.name) --help"))
            }
            if invocation.has(name) && !spec.repeatable && !spec.flag {
                throw UsageError(message: "--\(name) is given twice", hint: "give it once; see meetctl \(command.name) --help")
            }
            let value = try Self.value(for: spec, inline: inline, tokens: &tokens)
            invocation.add(name, try parseValue(spec.kind, value ?? "", what: "--\(name)", command))
        }

        // A group run as its default (`availability` as `availability show`): a first word close to
        // one of its subcommands is a mistyped subcommand, not the default's argument.
        // (A word the default takes as its argument, say an e-mail close to "show", is that.)
        if command.path != path, let word = positionals.first, let guess = Suggest.didYouMean(word, subcommands(of: path)),
            !subcommands(of: path).contains(word),
            command.arguments.first.map({ (try? parseValue($0.kind, word, what: $0.name, command)) == nil }) ?? true
        {
            throw UsageError(
                message: "unknown command \"\(path.joined(separator: " ")) \(word)\": one of " + subcommands(of: path).joined(separator: ", "),
                hint: guess)
        }
        var remaining = positionals[...]
        for argument in command.arguments {
            if argument.variadic {
                if remaining.isEmpty && argument.required {
                    throw UsageError(message: "\(command.name) needs \(argument.name)", hint: "usage: \(Help.usageLine(command))")
                }
                while let word = remaining.popFirst() { invocation.add(argument.name, try parseValue(argument.kind, word, what: argument.name, command)) }
            } else if let word = remaining.popFirst() {
                invocation.add(argument.name, try parseValue(argument.kind, word, what: argument.name, command))
            } else if argument.required {
                throw UsageError(message: "\(command.name) needs \(argument.name)", hint: "usage: \(Help.usageLine(command))")
            }
        }
        if let extra = remaining.first {
            throw UsageError(message: "unexpected argument \"\(extra)\" for \(command.name)", hint: "usage: \(Help.usageLine(command))")
        }
        for option in command.options where option.required && !invocation.has(option.name) {
            throw UsageError(message: "\(command.name) needs --\(option.name) \(option.kind.placeholder)", hint: "usage: \(Help.usageLine(command))")
        }
        if invocation.wantsJSON && invocation.wantsCSV { throw UsageError(message: "give --json or --csv (--output), not both") }
        if invocation.has("bom") && invocation.has("no-bom") { throw UsageError(message: "give --bom or --no-bom, not both") }
        if readsFiles, let output = invocation.string("output") { try Self.checkOutput(output) }
        if let destination = invocation.string("remote") {
            _ = try Remote.destination(destination)
            try Remote.checkUsage(invocation)
        }
        return .run(invocation)
    }

    /// `settings` alone means `settings show`.
    private func defaultCommand(_ path: [String]) -> CommandSpec? {
        guard !path.isEmpty else { return nil }
        return commands.first { $0.path == path + ["show"] && $0.path.count == path.count + 1 }
    }

    func subcommands(of path: [String]) -> [String] {
        var seen: [String] = []
        for c in commands where c.path.count > path.count && c.path.starts(with: path) && !seen.contains(c.path[path.count]) {
            seen.append(c.path[path.count])
        }
        return seen
    }

    private var topWords: [String] { subcommands(of: []) + ["help"] }

    /// A value for `command`; a bad one points at the command's help.
    private func parseValue(_ kind: ValueKind, _ text: String, what: String, _ command: CommandSpec) throws -> Parsed {
        if !readsFiles, case .file = kind { return .json(.string(text)) }
        do {
            return try kind.parse(text, what: what)
        } catch let e as UsageError where e.hint == nil {
            throw UsageError(message: e.message, hint: "see meetctl \(command.name) --help")
        }
    }

    /// `--output FILE` names a file in a folder that exists: said before anything is asked of
    /// the service, in words rather than as the file system's error.
    private static func checkOutput(_ path: String) throws {
        guard !path.isEmpty else { throw UsageError(message: "--output needs a file name") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw UsageError(
                message: "cannot write \(path) (--output): it is a folder", hint: "give a file name, e.g. --output \((path as NSString).appendingPathComponent("export.csv"))")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw UsageError(message: "cannot write \(path) (--output): there is no folder \(folder)", hint: "create the folder first, or give a file in one that exists")
        }
    }

    private static func split(_ token: String) -> (String, String?) {
        let body = token.dropFirst(2)
        guard let eq = body.firstIndex(of: "=") else { return (String(body), nil) }
        return (String(body[..<eq]), String(body[body.index(after: eq)...]))
    }

    private static func value(for spec: OptionSpec, inline: String?, tokens: inout ArraySlice<String>) throws -> String? {
        if spec.flag {
            guard inline == nil else { throw UsageError(message: "--\(spec.name) takes no value") }
            return nil
        }
        if let inline { return inline }
        guard let next = tokens.popFirst() else {
            throw UsageError(message: "--\(spec.name) needs a value: \(spec.kind.placeholder)")
        }
        return next
    }

    private static func hint(_ suggestion: String?, _ helpCommand: String) -> String {
        (suggestion.map { $0 + " " } ?? "") + "See \(helpCommand)."
    }
}
