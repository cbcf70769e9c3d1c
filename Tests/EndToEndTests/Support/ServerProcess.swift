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
