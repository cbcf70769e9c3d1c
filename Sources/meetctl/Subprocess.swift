import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of meetctl itself or of a program it runs (not the service's answer): exit 1.
struct ToolError: Error {
    let message: String
    var hint: String? = nil
    /// The service's error this one words for people, whose `error CODE: name` line is kept
    /// for scripts that match it.
    var serviceError: ServiceError? = nil
}

/// Runs programs to completion with bounded time.
enum Subprocess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs `executable` with `input` on its stdin; output goes to temporary files so neither
    /// side can block on a full pipe. The program is done when it exits (a child it leaves
    /// running, such as a sendmail's queue runner, does not keep us waiting), and one still
    /// running after `timeoutSeconds` is killed (with its whole group when it has its own).
    /// Its input is written as it reads it, so a program that does not read cannot stall us past
    /// the timeout either.
    /// `ownGroup`: the program runs in a process group of its own (a sendmail: its children are
    /// stopped with it, and a terminal's Ctrl-C for meetctl does not reach it); otherwise in
    /// meetctl's (meetingd bootstrap: Ctrl-C stops both).
    static func run(
        _ executable: String, _ arguments: [String], input: [UInt8] = [], environment: [String: String]? = nil, timeoutSeconds: Double = 120,
        ownGroup: Bool = false
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("out").path, errPath = directory.appendingPathComponent("err").path

        // Nothing else of meetctl's goes to the program: a child it leaves running would otherwise
        // hold the pipe to meetctl's meetingd open, and meetctl would wait for it at the end.
        closeDescriptorsOnExec()
        var stdinPipe: [Int32] = [-1, -1]
        guard pipe(&stdinPipe) == 0 else { throw ToolError(message: "cannot run \(executable): no pipe (errno \(errno))") }
        // Ends above stderr, so the spawn's dup2 to 0 and its closes never meet (meetctl may run
        // with a standard descriptor closed).
        func above(_ fd: Int32) -> Int32 {
            guard fd < 3 else { return fd }
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            close(fd)
            return moved
        }
        let (readEnd, writeEnd) = (above(stdinPipe[0]), above(stdinPipe[1]))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own when asked (so a timeout stops all of it), and the signals
        // meetctl ignores or catches at their defaults, none blocked.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, signalNumber) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(&attributes, Int16((ownGroup ? POSIX_SPAWN_SETPGROUP : 0) | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for e in env { free(e) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        close(readEnd)
        guard spawned == 0 else {
            close(writeEnd)
            throw ToolError(message: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }

        // A program that exits without reading everything must not kill us with SIGPIPE: the
        // write fails with EPIPE instead (the write end is non-blocking, written as it reads).
        signal(SIGPIPE, SIG_IGN)
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        var written = 0
        var writing = true
        if input.isEmpty { close(writeEnd); writing = false }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var status: Int32 = 0
        while true {
            if writing {
                let n = input.withUnsafeBytes { write(writeEnd, $0.baseAddress! + written, $0.count - written) }
                if n > 0 { written += n }
                if written == input.count || (n < 0 && errno != EAGAIN && errno != EINTR) {
                    close(writeEnd)
                    writing = false
                }
            }
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR {
                // Its status is lost (SIGCHLD ignored, or reaped elsewhere): not taken for success.
                let reason = String(cString: strerror(errno))
                kill(ownGroup ? -pid : pid, SIGKILL)
                if writing { close(writeEnd) }
                throw ToolError(message: "cannot tell how \(executable) ended: \(reason)")
            }
            if Date() > deadline {
                kill(ownGroup ? -pid : pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                if writing { close(writeEnd) }
                throw ToolError(message: "\(executable) did not finish within \(Int(timeoutSeconds.rounded(.up))) s; stopped it")
            }
            usleep(writing ? 1_000 : 5_000)
        }
        if writing { close(writeEnd) }
        // Exited: its code; stopped by a signal: 128 + the signal, as a shell says.
        let signalNumber = status & 0x7f
        let code = signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
        return Result(
            status: code,
            stdout: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self))
    }

    /// Marks every descriptor past stderr close-on-exec, so a program run gets only the ones its
    /// spawn gives it.
    static func closeDescriptorsOnExec() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for fd in names.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// A program named on a command line: a bare name found on PATH, a path as it is; nil
    /// when it is not an executable.
    static func executable(_ name: String) -> String? {
        let path = name.contains("/") ? name : (onPath(name) ?? name)
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The first executable called `name` on PATH.
    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Splits a command line into words: spaces separate, single or double quotes group, a
    /// backslash escapes the next character. No shell is involved.
    static func words(_ commandLine: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for c in commandLine {
            if escaped { current.append(c); escaped = false; inWord = true; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c == " " || c == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        guard quote == nil, !escaped else { throw ToolError(message: "unbalanced quotes in the command \(commandLine)") }
        if inWord { words.append(current) }
        return words
    }
}

/// Where meetctl finds meetingd, the checkout it was built in, and the database.
enum Locator {
    /// The folder holding the running meetctl.
    static var executableDirectory: URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent()
    }

    /// `--meetingd`, then MEETINGLEDGER_MEETINGD, then the meetingd beside meetctl, then PATH.
    static func meetingd(explicit: String?) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let given = explicit ?? environment["MEETINGLEDGER_MEETINGD"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.isExecutableFile(atPath: given) else {
                throw ToolError(message: "meetingd is not an executable at \(given)", hint: "build it (swift build) or fix --meetingd / MEETINGLEDGER_MEETINGD")
            }
            return given
        }
        let beside = executableDirectory.appendingPathComponent("meetingd").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        if let found = Subprocess.onPath("meetingd") { return found }
        throw ToolError(
            message: "cannot find meetingd (not beside meetctl in \(executableDirectory.path), not on PATH)",
            hint: "pass --meetingd PATH or set MEETINGLEDGER_MEETINGD to the built meetingd")
    }

    /// The MeetingLedger checkout above meetctl (or the current folder): where scripts/db is.
    static func repositoryRoot() -> String? {
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath]
        var dir = executableDirectory
        for _ in 0..<6 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { fm.fileExists(atPath: $0 + "/scripts/db") && fm.fileExists(atPath: $0 + "/sql/migrations") }
    }

    /// DATABASE_URL, or the URL of the checkout's embedded cluster when it is running.
    static func databaseURL() throws -> String {
        let howTo = "export DATABASE_URL=… (a libpq connection string or URI)"
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"] {
            // Set but empty (a broken env file) is not unset: the embedded database is never
            // taken in its place, as meetingd refuses it too.
            guard !url.allSatisfy(\.isWhitespace) else {
                throw ToolError(message: "DATABASE_URL is set but empty", hint: "give the database's connection string (\(howTo)), or unset it to use the checkout's embedded database (scripts/db)")
            }
            return url
        }
        guard let root = repositoryRoot() else {
            throw ToolError(
                message: "DATABASE_URL is not set and no MeetingLedger checkout (scripts/db) was found near meetctl",
                hint: howTo)
        }
        let status = try Subprocess.run("/bin/bash", [root + "/scripts/db", "status"], timeoutSeconds: 60)
        let prefix = "running: "
        guard status.succeeded, let line = status.stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else {
            throw ToolError(
                message: "DATABASE_URL is not set and the embedded database cluster of \(root) is not running",
                hint: "start it with \(root)/scripts/db start, or \(howTo)")
        }
        return String(line.dropFirst(prefix.count))
    }
}
