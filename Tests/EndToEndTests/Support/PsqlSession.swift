import Foundation

/// One psql session kept open across statements, to hold a transaction, a lock or a connection
/// slot while the test acts elsewhere. psql is driven over its pipes by the same driver as
/// meetingd; each statement is followed by a mark on stdout and on stderr, so `run` returns
/// exactly that statement's output and error.
final class PsqlSession {
    private let psql: Meetingd
    private var marks = 0

    init(_ conninfo: String) throws {
        psql = try Meetingd(arguments: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", "-d", conninfo], executable: Psql.path)
    }

    deinit { close() }

    var pid: Int32 { psql.pid }

    /// Runs `sql` (one or more statements, each ending with `;`) and waits until it is done:
    /// its output lines, and its error report (empty when it succeeded).
    @discardableResult
    func run(_ sql: String, timeout: TimeInterval = 60) throws -> (output: [String], error: String) {
        marks += 1
        let mark = "--mark \(marks)--"
        let errorStart = psql.stderrText.utf8.count
        try psql.send(sql + "\n\\echo \(mark)\n\\warn \(mark)")
        var output: [String] = []
        while true {
            let line = try psql.readLine(timeout: timeout)
            if line == mark { break }
            output.append(line)
        }
        let deadline = Date().addingTimeInterval(timeout)
        var errors = ""
        while true {
            errors = String(decoding: Array(psql.stderrText.utf8).dropFirst(errorStart), as: UTF8.self)
            if errors.contains(mark + "\n") { break }
            guard Date() < deadline else { throw HarnessError("psql wrote no stderr mark after: \(sql)") }
            usleep(2_000)
        }
        return (output, errors.replacingOccurrences(of: mark + "\n", with: ""))
    }

    /// A statement that must succeed; its output lines.
    @discardableResult
    func query(_ sql: String, timeout: TimeInterval = 60) throws -> [String] {
        let result = try run(sql, timeout: timeout)
        guard result.error.isEmpty else { throw HarnessError("psql refused \(sql): \(result.error)") }
        return result.output
    }

    /// Sends `sql` without waiting for it: for a statement that blocks.
    func start(_ sql: String) throws { try psql.send(sql) }

    /// Ends the session (psql exits at the end of its input).
    func close() {
        guard psql.isRunning else { return }
        psql.closeInput()
        _ = try? psql.waitForExit(timeout: 10)
    }
}
