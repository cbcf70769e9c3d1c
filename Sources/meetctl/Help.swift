import Core

/// `--help` at every level, written from the command table.
enum Help {
    static let variables: [(name: String, about: String)] = [
        ("MEETINGLEDGER_ACTOR", "who acts when --as is not given (a person id)"),
        ("DATABASE_URL", "the database meetingd uses; unset: the checkout's embedded cluster (scripts/db)"),
        ("MEETINGLEDGER_MEETINGD", "the meetingd to run"),
        ("MEETINGLEDGER_SSH_COMMAND", "the ssh command for --remote, with its options (default ssh), like GIT_SSH_COMMAND"),
        ("MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS", "how long meetctl waits for each answer before it stops (default 300)"),
        ("MEETINGLEDGER_SENDMAIL", "the sendmail-compatible program for outbox deliver"),
        ("MEETINGLEDGER_MAIL_FROM", "the From: address of delivered mail"),
        ("XDG_CONFIG_HOME", "where meetctl use keeps who acts (meetingledger/meetctl.json; default ~/.config)"),
        ("XDG_STATE_HOME", "where the last meetings listing is kept for row numbers (default ~/.local/state)"),
    ]

    static var environment: String {
        "Environment:\n" + listed(variables, width: variables.map(\.name.count).max() ?? 0)
            + "\nExit status: 0 done; 1 the service (or a delivery) failed, with data.code on stderr; 2 usage error."
    }

    /// Names in a column `width` wide, each with what it is beside it, wrapped under itself.
    static func listed(_ rows: [(name: String, about: String)], width: Int) -> String {
        rows.map { wrapped($0.about, first: "  " + pad($0.name, width) + "  ") }.joined()
    }

    static func text(for path: [String], commands: [CommandSpec]) -> String {
        if let command = commands.first(where: { $0.path == path }) { return commandHelp(command, commands: commands) }
        let members = commands.filter { $0.path.starts(with: path) }
        if path.isEmpty || members.isEmpty { return overview(commands) }
        return groupHelp(path, members)
    }

    static func overview(_ commands: [CommandSpec]) -> String {
        var out = """
            meetctl: the MeetingLedger command line. Meetings, availability, credits and notification
            delivery, spoken as JSON-RPC to a meetingd that meetctl starts, or over ssh to the meetingd of
            another machine with --remote (it never touches the database).

            usage: meetctl [--as PERSON] COMMAND [ARGUMENTS] [OPTIONS]
                   meetctl --remote [USER@]HOST COMMAND [ARGUMENTS] [OPTIONS]
                       (acting as the person HOST pins you to)
                   meetctl --version
                       (this release, and the schema version the meetingd built with it expects)


            """
        let width = commands.map { $0.name.count }.max() ?? 0
        for section in Section.allCases {
            let inSection = commands.filter { $0.section == section }
            guard !inSection.isEmpty else { continue }
            out += section.rawValue + ":\n"
            out += listed(inSection.map { ($0.name, $0.summary) }, width: width)
            out += "\n"
        }
        out += "Options for every command:\n" + optionLines(GlobalOptions.common) + "\n"
        out += "Options for some commands (those whose help lists them under \"Also:\"):\n" + optionLines(GlobalOptions.some) + "\n"
        out += environment + "\n\nRun meetctl COMMAND --help for a command's options, the JSON-RPC method it calls and what it shows.\n"
        return out
    }

    static func groupHelp(_ path: [String], _ members: [CommandSpec]) -> String {
        let width = members.map { $0.name.count }.max() ?? 0
        var out = "meetctl \(path.joined(separator: " ")): one of\n\n"
        out += listed(members.map { ($0.name, $0.summary) }, width: width)
        return out + "\nRun meetctl \(path.joined(separator: " ")) SUBCOMMAND --help for its options.\n"
    }

    static func usageLine(_ command: CommandSpec) -> String { usageWords(command).joined(separator: " ") }

    /// The usage's words: "meetctl", the command's name, then each argument and option whole
    /// ("[--note TEXT]").
    static func usageWords(_ command: CommandSpec) -> [String] {
        var parts = ["meetctl", command.name]
        for a in command.arguments {
            let word = a.variadic ? "\(a.name)…" : a.name
            parts.append(a.required ? word : "[\(word)]")
        }
        for o in command.options {
            let word = o.flag ? "--\(o.name)" : "--\(o.name) \(o.kind.placeholder)"
            parts.append((o.required ? word : "[\(word)]") + (o.repeatable ? "…" : ""))
        }
        return parts
    }

    /// The command's examples that its parser reads as a call of it (a debug build stops on one
    /// that does not: an option renamed or a value no longer taken; a release leaves it out).
    static func checkedExamples(_ command: CommandSpec, commands: [CommandSpec]) -> [CommandExample] {
        CommandExamples.of(command.name).filter { example in
            let parsed = try? Parser(commands: commands, readsFiles: false).parse(CommandExamples.words(example.words))
            guard case .run(let invocation)? = parsed, invocation.command.path == command.path else {
                assertionFailure("meetctl \(command.name): the example \"\(example.words)\" is not read as a call of it")
                return false
            }
            return true
        }
    }

    static func commandHelp(_ command: CommandSpec, commands: [CommandSpec]) -> String {
        // The usage's arguments and options wrap under the first after the command's name.
        let usage = usageWords(command)
        var out = wrapped(words: Array(usage.dropFirst(2)), first: "usage: \(usage[0]) \(usage[1]) ")
        out += "\n" + wrapped("\(command.summary).", first: "")
        if !command.details.isEmpty {
            // A line that fits is kept as it is written (its own spacing, as the shells' commands).
            out += "\n" + command.details.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.count <= columns ? $0 + "\n" : wrapped(String($0), first: "") }.joined()
        }
        if !command.arguments.isEmpty {
            out += "\nArguments:\n"
            let width = command.arguments.map(\.name.count).max() ?? 0
            for a in command.arguments {
                let notes = [a.help, a.kind.explanation].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "; ")
                out += wrapped(notes, param: a.param, first: "  " + pad(a.name, width) + "  ")
            }
        }
        if !command.options.isEmpty {
            out += "\nOptions:\n" + optionLines(command.options, showParams: true)
        }
        // A command that runs meetingd here is refused over --remote (Remote.checkUsage): not offered.
        let globals = GlobalOptions.specs(for: command).filter { !(command.local && $0.name == "remote") }.map { "--\($0.name)" }
        out += "\n" + wrapped("\(globals.joined(separator: " ")) (see meetctl --help).", first: "Also: ")
        if let method = command.method {
            out += "\nCalls \(method)"
            if !command.fixedParams.isEmpty { out += " with " + command.fixedParams.keys.sorted().map { "\($0): \(command.fixedParams[$0]!.serialized())" }.joined(separator: ", ") }
            if let flagMethod = command.flagMethod { out += "; with --\(flagMethod.flag), \(flagMethod.method)" }
            out += command.allPages ? ", every page.\n" : ".\n"
        }
        switch command.output {
        case .record(let columns) where !columns.isEmpty: out += wrapped(recordFields(columns) + ".", first: "Shows: ")
        case .table(_, let columns, _): out += wrapped(columns.map(\.header).filter { !$0.isEmpty }.joined(separator: ", ") + ".", first: "Shows a table: ")
        default: break
        }
        if let keys = command.csv, !keys.isEmpty { out += wrapped(keys.joined(separator: ", ") + ".", first: "--csv columns: ") }
        let examples = checkedExamples(command, commands: commands)
        if !examples.isEmpty {
            out += "\nExamples:\n" + examples.map { "  meetctl \($0.words)\n" + wrapped("\($0.does).", first: "      ") }.joined()
        }
        return out
    }

    /// A record's lines as the help names them: an indented line (a name under the id it is of)
    /// in brackets after its own, `User (name), Expert (name)`.
    static func recordFields(_ columns: [Column]) -> String {
        var fields: [(name: String, details: [String])] = []
        for column in columns {
            let name = column.header.trimmingCharacters(in: " ")
            if column.header.hasPrefix(" "), !fields.isEmpty { fields[fields.count - 1].details.append(name) } else { fields.append((name, [])) }
        }
        return fields.map { $0.details.isEmpty ? $0.name : "\($0.name) (\($0.details.joined(separator: ", ")))" }.joined(separator: ", ")
    }

    static func optionLines(_ options: [OptionSpec], showParams: Bool = false) -> String {
        let words = options.map { o in o.flag ? "--\(o.name)" : "--\(o.name) \(o.kind.placeholder)" }
        let width = min(words.map(\.count).max() ?? 0, 34)
        var out = ""
        for (o, word) in zip(options, words) {
            var notes = [o.help]
            if let e = o.kind.explanation { notes.append(e) }
            if o.required { notes.append("required") }
            if o.repeatable { notes.append("repeatable") }
            let text = notes.filter { !$0.isEmpty }.joined(separator: "; ")
            let param = showParams ? o.param : nil
            out += word.count > width
                ? (text.isEmpty ? wrapped(text, param: param, first: "  \(word)  ") : "  \(word)\n" + wrapped(text, param: param, first: "  \(pad("", width))  "))
                : wrapped(text, param: param, first: "  \(pad(word, width))  ")
        }
        return out
    }

    /// Help lines are at most this many columns, but for a word longer than a line.
    static let columns = 100

    /// `text` after `first` on lines of at most `columns`, each line after the first indented as
    /// far as `first` is long, ending in a newline; `param` ("→ length_minutes", the JSON-RPC param
    /// a value fills) ends the text, two spaces after it.
    static func wrapped(_ text: String, param: String? = nil, first: String) -> String {
        var words = text.split(separator: " ").map(String.init)
        // The param goes on the line of the text's last word, never alone.
        if let param { words.isEmpty ? words.append("→ \(param)") : (words[words.count - 1] += "  → \(param)") }
        return wrapped(words: words, first: first)
    }

    /// `words` after `first`, a space between two, on lines as `wrapped` makes them.
    static func wrapped(words: [String], first: String) -> String {
        let indent = String(repeating: " ", count: first.count)
        var lines: [String] = []
        var line = first
        var empty = true
        for word in words {
            let joined = empty ? line + word : line + " " + word
            if !empty && joined.count > columns {
                lines.append(line)
                line = indent + word
            } else {
                line = joined
            }
            empty = false
        }
        while empty && line.hasSuffix(" ") { line.removeLast() }
        lines.append(line)
        return lines.map { $0 + "\n" }.joined()
    }

    static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
}
