import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the harness itself (a timeout, a closed pipe, an unexpected reply); thrown so
/// the test fails with a message instead of hanging.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a process ended.
enum Termination: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    var description: String {
        switch self {
        case .exited(let status): return "exit status \(status)"
        case .signalled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// One `meetingd` process driven over its pipes, as a front end would: requests go to its
/// stdin, responses are read from its stdout with a deadline, and its stderr is collected in
/// the background (so a chatty log can never block it). Not thread-safe: one test drives it.
final class Meetingd {
    static let defaultTimeout: TimeInterval = 30

    let process: Process
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let stderrCollector = OutputCollector()
    private var stdinOpen = true
    /// Bytes read from stdout and not yet handed out.
    private var pending: [UInt8] = []
    private var stdoutAtEOF = false
    private var nextId: Int64 = 1

    /// Starts `meetingd` with `arguments` (for example `["--test-clock"]`). The environment is
    /// the test's own (DATABASE_URL included) with `environment` laid over it.
    init(arguments: [String] = [], environment: [String: String] = [:], executable: String = TestEnvironment.meetingdPath) throws {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)  // a write to a killed meetingd must fail, not kill the test
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError("meetingd is not at \(executable): build it, or set MEETINGD_PATH to the built binary")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        process.currentDirectoryURL = URL(fileURLWithPath: TestEnvironment.repoRoot)
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        let stdinFD = stdinPipe.fileHandleForWriting.fileDescriptor
        _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        stderrCollector.drain(stderrPipe.fileHandleForReading)
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    // MARK: Writing

    /// Sends one NDJSON message (a newline is appended).
    func send(_ line: String, timeout: TimeInterval = defaultTimeout) throws {
        try write(Array((line + "\n").utf8), timeout: timeout)
    }

    /// Sends `body` as one LSP-style frame: `Content-Length: N\r\n\r\n` + body.
    func sendFrame(_ body: String, timeout: TimeInterval = defaultTimeout) throws {
        let bytes = Array(body.utf8)
        try write(Array("Content-Length: \(bytes.count)\r\n\r\n".utf8) + bytes, timeout: timeout)
    }

    /// Writes raw bytes to stdin, waiting at most `timeout` for meetingd to read them.
    func write(_ bytes: [UInt8], timeout: TimeInterval = defaultTimeout) throws {
        guard stdinOpen else { throw HarnessError("meetingd's stdin is already closed") }
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        var offset = 0
        while offset < bytes.count {
            try waitFor(fd: fd, events: Int16(POLLOUT), until: deadline, what: "meetingd to read its input")
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw HarnessError("writing to meetingd's stdin failed (errno \(errno)); \(stateDescription)")
            }
            offset += n
        }
    }

    /// Closes stdin: meetingd sees end of input.
    func closeInput() {
        guard stdinOpen else { return }
        stdinOpen = false
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// Closes the test's end of stdout, as a caller that goes away does: meetingd's next answer
    /// finds no reader.
    func closeOutputReader() {
        try? stdoutPipe.fileHandleForReading.close()
    }

    // MARK: Reading

    /// The next line of stdout (without its newline), which must be valid UTF-8.
    func readLine(timeout: TimeInterval = defaultTimeout) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var scanned = 0
        while true {
            if let newline = pending[scanned...].firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                guard let text = String(validating: line, as: UTF8.self) else {
                    throw HarnessError("meetingd wrote a line that is not UTF-8: \(line.prefix(200))")
                }
                return text
            }
            scanned = pending.count
            try fill(until: deadline, what: "a line on stdout")
        }
    }

    /// The next `Content-Length` frame of stdout: its header block (without the blank line)
    /// and its body, exactly the announced number of bytes.
    func readFrame(timeout: TimeInterval = defaultTimeout) throws -> (header: String, body: String) {
        let deadline = Date().addingTimeInterval(timeout)
        let separator = Array("\r\n\r\n".utf8)
        var headerEnd: Int? = nil
        while headerEnd == nil {
            headerEnd = pending.indices.first { i in i + separator.count <= pending.count && Array(pending[i..<i + separator.count]) == separator }
            if headerEnd == nil {
                guard pending.count < 8192 else { throw HarnessError("no Content-Length header in: \(String(decoding: pending.prefix(200), as: UTF8.self))") }
                try fill(until: deadline, what: "a Content-Length header on stdout")
            }
        }
        let header = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        let prefix = "Content-Length: "
        guard header.hasPrefix(prefix), let length = Int(header.dropFirst(prefix.count)) else {
            throw HarnessError("expected a single \"Content-Length: N\" header, got \(header.debugDescription)")
        }
        pending.removeFirst(headerEnd! + separator.count)
        while pending.count < length { try fill(until: deadline, what: "a \(length)-byte frame body on stdout") }
        let body = Array(pending[..<length])
        pending.removeFirst(length)
        guard let text = String(validating: body, as: UTF8.self) else { throw HarnessError("frame body is not UTF-8") }
        return (header, text)
    }

    /// Everything meetingd writes to stdout until it closes it (normally: until it exits).
    func readToEnd(timeout: TimeInterval = defaultTimeout) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !stdoutAtEOF { try fill(until: deadline, what: "stdout to close", eofIsError: false) }
        defer { pending.removeAll() }
        guard let text = String(validating: pending, as: UTF8.self) else { throw HarnessError("stdout is not UTF-8") }
        return text
    }

    /// The next stdout line parsed as JSON.
    func readResponse(timeout: TimeInterval = defaultTimeout) throws -> JSONValue {
        let line = try readLine(timeout: timeout)
        do { return try JSONValue.parse(line) } catch { throw HarnessError("stdout line is not JSON: \(line.prefix(500))") }
    }

    /// Sends one raw line and reads the one line that answers it.
    func exchange(_ line: String, timeout: TimeInterval = defaultTimeout) throws -> JSONValue {
        try send(line, timeout: timeout)
        return try readResponse(timeout: timeout)
    }

    private func fill(until deadline: Date, what: String, eofIsError: Bool = true) throws {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        try waitFor(fd: fd, events: Int16(POLLIN), until: deadline, what: what)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            pending.append(contentsOf: chunk[..<n])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            stdoutAtEOF = true
            if eofIsError { throw HarnessError("meetingd closed stdout while the test waited for \(what); \(stateDescription)") }
        }
    }

    private func waitFor(fd: Int32, events: Int16, until deadline: Date, what: String) throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw HarnessError("timed out waiting for \(what); \(stateDescription)")
            }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&p, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready > 0 { return }  // readable, writable, or hung up: the read/write says which
            if ready < 0 && errno != EINTR { throw HarnessError("poll failed (errno \(errno))") }
        }
    }

    // MARK: JSON-RPC

    /// Calls `method` with a fresh numeric id and returns the whole response (result or error),
    /// after checking it answers this id.
    func call(_ method: String, _ params: JSONValue? = nil, timeout: TimeInterval = defaultTimeout) throws -> JSONValue {
        let id = JSONValue.int(nextId)
        nextId += 1
        var request: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { request["params"] = params }
        let response = try exchange(JSONValue.object(request).serialized, timeout: timeout)
        guard response["id"] == id else {
            throw HarnessError("the response to \(method) (id \(id)) has id \(response["id"] ?? .null): \(response)")
        }
        return response
    }

    /// Calls `method` on behalf of `actor` (merged into `params`).
    func call(_ method: String, as actor: String, _ params: [String: JSONValue] = [:], timeout: TimeInterval = defaultTimeout) throws -> JSONValue {
        var all = params
        all["actor"] = .string(actor)
        return try call(method, .object(all), timeout: timeout)
    }

    /// The `result` of a call that must succeed.
    @discardableResult
    func result(_ method: String, as actor: String, _ params: [String: JSONValue] = [:]) throws -> JSONValue {
        try Meetingd.result(of: try call(method, as: actor, params), method)
    }

    /// The `error` of a call that must fail with `code`.
    @discardableResult
    func error(_ method: String, as actor: String, _ params: [String: JSONValue] = [:], code: Int64) throws -> JSONValue {
        try Meetingd.error(of: try call(method, as: actor, params), code: code, method)
    }

    @discardableResult
    static func result(of response: JSONValue, _ what: String = "the call") throws -> JSONValue {
        guard let result = response["result"], response["error"] == nil else {
            throw HarnessError("\(what) should succeed, got \(response)")
        }
        return result
    }

    @discardableResult
    static func error(of response: JSONValue, code: Int64, _ what: String = "the call") throws -> JSONValue {
        guard let error = response["error"], response["result"] == nil else {
            throw HarnessError("\(what) should fail with \(code), got \(response)")
        }
        guard error["code"] == .int(code) else { throw HarnessError("\(what) should fail with \(code), got \(error)") }
        return error
    }

    // MARK: Stderr

    /// Everything written to stderr so far.
    var stderrText: String { stderrCollector.text }

    /// Stderr so far, one entry per complete line.
    var stderrLines: [String] {
        var lines = stderrText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" || !stderrText.hasSuffix("\n") { lines.removeLast() }  // keep only complete lines
        return lines
    }

    /// Waits until a stderr line, parsed as JSON, satisfies `predicate` (used to act while a
    /// request is in flight).
    func waitForLog(timeout: TimeInterval = defaultTimeout, _ what: String, where predicate: (JSONValue) -> Bool) throws {
        try waitForStderr(timeout: timeout, "a log line: \(what)") { lines in
            lines.contains(where: { (try? JSONValue.parse($0)).map(predicate) ?? false })
        }
    }

    /// Waits until stderr's complete lines satisfy `predicate`. meetingd writes a log line before
    /// the answer it belongs to, but the thread collecting stderr may not have read it yet when
    /// the answer arrives: a test asserting on the log waits for it here.
    func waitForStderr(timeout: TimeInterval = defaultTimeout, _ what: String, until predicate: ([String]) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !predicate(stderrLines) {
            guard Date() < deadline else { throw HarnessError("timed out waiting for \(what); \(stateDescription)") }
            usleep(5_000)
        }
    }

    /// Waits until stderr contains `text`; false (with no wait beyond `timeout`) if it never does.
    func stderrEventuallyContains(_ text: String, timeout: TimeInterval = defaultTimeout) -> Bool {
        (try? waitForStderr(timeout: timeout, text.debugDescription) { _ in stderrText.contains(text) }) != nil
    }

    // MARK: Ending

    func signal(_ number: Int32) { Glibc.kill(process.processIdentifier, number) }

    /// Waits for the process to end; kills it and throws if it takes longer than `timeout`.
    @discardableResult
    func waitForExit(timeout: TimeInterval = defaultTimeout) throws -> Termination {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                signal(SIGKILL)
                throw HarnessError("meetingd did not exit within \(timeout) s; killed it. \(stateDescription)")
            }
            usleep(5_000)
        }
        stderrCollector.waitForEOF(timeout: 5)
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return .signalled(process.terminationStatus)
        @unknown default: return .exited(process.terminationStatus)
        }
    }

    /// kill -9, and wait until it is gone.
    func kill() throws {
        signal(SIGKILL)
        _ = try waitForExit(timeout: 10)
        closeInput()
    }

    /// Closes stdin and waits for the exit, which must be a clean one.
    func finish(timeout: TimeInterval = defaultTimeout) throws {
        closeInput()
        let end = try waitForExit(timeout: timeout)
        guard end == .exited(0) else { throw HarnessError("meetingd ended with \(end) instead of exit status 0; stderr:\n\(stderrTail)") }
    }

    var stderrTail: String { String(stderrText.suffix(2000)) }

    private var stateDescription: String {
        (process.isRunning ? "meetingd is running" : "meetingd has ended")
            + "; unread stdout: \(String(decoding: pending.prefix(300), as: UTF8.self).debugDescription); stderr tail:\n\(stderrTail)"
    }
}

/// Reads a file descriptor to its end on a background thread.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSCondition()
    private var bytes: [UInt8] = []
    private var finished = false

    /// Starts the reading thread; it holds `handle` (so its descriptor stays open) until EOF.
    func drain(_ handle: FileHandle) {
        let thread = Thread { [self] in
            let fd = handle.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                lock.lock()
                if n > 0 { bytes.append(contentsOf: chunk[..<n]) } else { finished = true }
                lock.broadcast()
                lock.unlock()
                if n <= 0 { return }
            }
        }
        thread.start()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func waitForEOF(timeout: TimeInterval) {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        while !finished && lock.wait(until: deadline) {}
        lock.unlock()
    }
}
