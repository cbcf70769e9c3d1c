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
        return MeetingdLaunch(
            executable: path, arguments: Array(words.dropFirst()) + sshOptions + [destination], environment: environment,
            name: "ssh to \(destination)",
            hint: "check that \(destination) answers ssh and lets your key in (try: ssh -T \(destination) </dev/null) "
                + "and MEETINGLEDGER_SSH_COMMAND; the machine's operator gives access (README: Giving an expert access)")
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
