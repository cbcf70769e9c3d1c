import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of meetctl itself or of a program it runs (not the service's answer): exit 1.
struct ToolError: Error {
    let message: String
    var hint: String? = nil
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
    /// side can block on a full pipe. A program still running after `timeoutSeconds` is killed.
    static func run(
        _ executable: String, _ arguments: [String], input: [UInt8] = [], environment: [String: String]? = nil, timeoutSeconds: Double = 120
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let stdin = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw ToolError(message: "cannot run \(executable): \(error.localizedDescription)")
        }
        let writer = stdin.fileHandleForWriting
        if !input.isEmpty {
            // A program that exits without reading everything must not kill us with SIGPIPE.
            _ = input.withUnsafeBytes { buffer -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let n = write(writer.fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
        }
        try? writer.close()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? out.close()
                try? err.close()
                throw ToolError(message: "\(executable) did not finish within \(Int(timeoutSeconds)) s; stopped it")
            }
            usleep(5_000)
        }
        try? out.close()
        try? err.close()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return Result(
            status: status,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
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
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        let howTo = "export DATABASE_URL=… (a libpq connection string or URI)"
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
