import Foundation

/// `--remote [USER@]HOST`: meetingd on another machine, reached over ssh the way git reaches a
/// repository. The ssh command is `ssh` unless MEETINGLEDGER_SSH_COMMAND says otherwise (like
/// GIT_SSH_COMMAND); it runs as `<ssh command> -T -o BatchMode=yes … [USER@]HOST` and the far
/// side's forced command decides what runs there (normally `meetingd --pin-actor per_…`), so
/// nothing of meetctl's own command line reaches it. The database stays on that machine.
enum Remote {
    /// Options after the user's own (ssh keeps the first value it is given, so theirs win): no
    /// terminal, never a password prompt, and a dead connection noticed instead of waited on.
    static let sshOptions = [
        "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3",
    ]

    /// The destination as given, when ssh can only read it as one: a word that is not an option
    /// (`-oProxyCommand=…` must never reach ssh's option parser), with no spaces or controls.
    static func destination(_ given: String) throws -> String {
        let hint = "give --remote HOST or --remote USER@HOST (an ssh destination; ~/.ssh/config host names work)"
        guard !given.isEmpty, given.count <= 255,
            !given.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else {
            throw UsageError(message: "--remote: an ssh destination is one word of at most 255 characters, without spaces or control characters", hint: hint)
        }
        guard !given.hasPrefix("-") else {
            throw UsageError(message: "--remote: \"\(given.prefix(60))\" would be read by ssh as an option, not a destination", hint: hint)
        }
        return given
    }

    /// ssh to `destination`, its stdin and stdout carrying the JSON-RPC.
    static func launch(_ destination: String) throws -> MeetingdLaunch {
        let environment = ProcessInfo.processInfo.environment
        let commandLine = environment["MEETINGLEDGER_SSH_COMMAND"].flatMap { $0.isEmpty ? nil : $0 } ?? "ssh"
        let words = try Subprocess.words(commandLine)
        guard let program = words.first, let path = Subprocess.executable(program) else {
            throw ToolError(
                message: "cannot run the ssh command \"\(commandLine)\": \(words.first ?? "it is empty") is not an executable",
                hint: "install openssh-client, or set MEETINGLEDGER_SSH_COMMAND to your ssh and its options")
        }
        let access = accessHint(destination, sshCommand: commandLine)
        return MeetingdLaunch(
            executable: path, arguments: Array(words.dropFirst()) + sshOptions + [destination], environment: environment,
            name: "ssh to \(destination)", hint: access,
            exitHint: { status in status == sshFailed ? access : serverHint(destination, status: status) },
            databaseHint: "the database of the meetingd at \(destination) does not answer: try again in a while, and if it lasts, tell that machine's operator")
    }

    /// ssh's own exit status for its own failures (no connection, a key or host key refused);
    /// any other is the status of the program the far side ran.
    static let sshFailed: Int32 = 255

    /// What to check when ssh itself failed, with a test that runs what meetctl runs (the
    /// user's ssh command and options) and shows the far side's answer to a ping.
    static func accessHint(_ destination: String, sshCommand: String) -> String {
        let ping = #"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"#
        return "check that \(destination) answers ssh and lets your key in (try: echo '\(ping)' | \(sshCommand) -T \(destination); "
            + "it prints meetingd's answer) and MEETINGLEDGER_SSH_COMMAND; the first time, accept the machine's host key with a plain "
            + "ssh \(destination) (meetctl's ssh never asks); the machine's operator gives access (README: Giving an expert access)"
    }

    /// ssh got in, and the program the key runs there ended before answering: a fault on that
    /// machine, not of the key.
    static func serverHint(_ destination: String, status: Int32) -> String {
        "ssh reached \(destination), and the program its key runs there ended (exit status \(status)) before answering: a fault on that "
            + "machine (its meetingd, the wrapper the key runs, or its database), not of your key; tell that machine's operator, "
            + "with the lines above (README: Giving an expert access)"
    }

    /// What cannot be done over --remote: commands that run meetingd here, and the options that
    /// choose the local meetingd (the far side's forced command chooses).
    static func checkUsage(_ invocation: Invocation) throws {
        let command = invocation.command
        if command.local {
            throw UsageError(
                message: "\(command.name) runs meetingd on this machine, on its database; it cannot be done over --remote",
                hint: "run it on the machine that holds the database, without --remote")
        }
        for option in ["meetingd", "test-clock"] where invocation.has(option) {
            throw UsageError(
                message: "--\(option) chooses the local meetingd; with --remote the far side's forced command decides what runs",
                hint: "leave out --\(option), or --remote")
        }
    }
}
