import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server a test started (an SMTP sink, sshd): waiting until it listens, and stopping it.
extension Process {
    /// Returns once something listens on 127.0.0.1:`port`; throws when the process exits first
    /// or after 20 s, with `log()` in the message.
    func waitUntilListening(port: UInt16, _ what: String, log: () -> String = { "" }) throws {
        let deadline = Date().addingTimeInterval(20)
        while !SMTPSink.accepts(port: port) {
            guard isRunning else { throw HarnessError("\(what) exited at start-up\(Self.tail(log()))") }
            guard Date() < deadline else { throw HarnessError("\(what) did not listen on port \(port) within 20 s\(Self.tail(log()))") }
            usleep(50_000)
        }
    }

    /// SIGTERM to this process (by its pid), SIGKILL if it is still there 10 s later; returns
    /// once it is gone.
    func stop() {
        guard isRunning else { return }
        kill(processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
    }

    private static func tail(_ log: String) -> String { log.isEmpty ? "" : ":\n" + log.suffix(2000) }
}

/// Runs a server for one test under a shell watchdog that ends it on SIGTERM, once the test
/// process is gone, or after `lifetimeSeconds`, whichever comes first: a server a test started
/// never outlives it.
enum Watchdog {
    static let script = """
        #!/bin/sh
        # Runs a server for one test; ends it on TERM, when the test process ($1) is gone, or after $2 seconds.
        test_pid=$1 limit_seconds=$2
        shift 2
        "$@" &
        server=$!
        trap 'kill "$server" 2>/dev/null; wait "$server"; exit 0' TERM INT
        end=$(( $(date +%s) + limit_seconds ))
        while kill -0 "$test_pid" 2>/dev/null && kill -0 "$server" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
        kill "$server" 2>/dev/null
        wait "$server"

        """

    /// Writes the watchdog to `scriptPath` and returns it, not yet running, set to run `command`.
    static func process(scriptPath: String, lifetimeSeconds: Int, command: [String]) throws -> Process {
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        guard chmod(scriptPath, 0o755) == 0 else { throw HarnessError("chmod \(scriptPath) failed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: scriptPath)
        process.arguments = [String(getpid()), String(lifetimeSeconds)] + command
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        return process
    }
}

/// The processor time (user and system) a running process has used so far, from
/// /proc/PID/stat: what a test compares when the clock would also count other processes' load.
func processorSeconds(of pid: Int32) throws -> TimeInterval {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name (field 2) is in parentheses and may hold spaces; utime and stime are
    // fields 14 and 15, the 12th and 13th after it.
    guard let close = stat.range(of: ")", options: .backwards) else { throw HarnessError("unreadable /proc/\(pid)/stat: \(stat)") }
    let fields = stat[close.upperBound...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
        throw HarnessError("unreadable /proc/\(pid)/stat: \(stat)")
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
