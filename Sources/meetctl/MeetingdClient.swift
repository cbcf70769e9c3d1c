import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An error answer from the service: exit status 1, the message on stderr with data.code.
struct ServiceError: Error {
    let code: Int64
    let message: String
    let data: JSON

    var dataCode: String { data["code"]?.stringValue ?? "error" }
}

/// How meetctl reaches a meetingd: a program it starts whose stdin and stdout carry the
/// JSON-RPC — meetingd itself, or ssh to a machine whose forced command runs it (`--remote`).
struct MeetingdLaunch {
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    /// What the messages call it: "meetingd", "ssh to expert@host".
    let name: String
    /// What to check when it does not answer in time.
    let hint: String
    /// What to check when it ends, with this exit status, before answering.
    let exitHint: @Sendable (Int32) -> String
    /// What to do when meetingd answers but its database does not.
    let databaseHint: String

    /// meetingd on this machine, on `databaseURL`; its log goes to our stderr (errors only).
    static func local(executable: String, databaseURL: String, testClock: Bool) -> MeetingdLaunch {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        let hint = "check DATABASE_URL and that the database is running (scripts/db start for the embedded one)"
        return MeetingdLaunch(
            executable: executable, arguments: ["serve", "--log-level", "error"] + (testClock ? ["--test-clock"] : []),
            environment: environment, name: "meetingd", hint: hint, exitHint: { _ in hint }, databaseHint: hint)
    }
}

/// One meetingd spoken to over pipes: a JSON-RPC request per line on its stdin, the response
/// read from the next line of its stdout, each exchange bounded in time. Its stderr is ours.
final class MeetingdClient {
    private let launch: MeetingdLaunch
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer: [UInt8] = []
    private var nextId: Int64 = 1
    /// Set once meetingd (or the ssh that reaches it) was stopped for not answering: every later
    /// call says so, rather than that it ended while being written to.
    private var stoppedUnanswered: ToolError?
    private let answerTimeoutSeconds: Double
    /// Bound on one response line (meetingd's own message limit is 1 MiB; results can be larger).
    private static let maxResponseBytes = 64 << 20
    /// How long one request and its answer may take, unless MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS says.
    static let defaultAnswerTimeoutSeconds = 300.0
    /// How long meetingd (or ssh) may take to exit once its input is closed.
    private static let exitTimeoutSeconds = 30.0

    init(_ launch: MeetingdLaunch) throws {
        signal(SIGPIPE, SIG_IGN)
        self.launch = launch
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS"], !text.isEmpty {
            guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                throw UsageError(message: "MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS must be a number of seconds from 1 to 86400 (got \"\(text.prefix(40))\")")
            }
            answerTimeoutSeconds = seconds
        } else {
            answerTimeoutSeconds = Self.defaultAnswerTimeoutSeconds
        }
        let stdin = Pipe(), stdout = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.environment = launch.environment
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ToolError(message: "cannot start \(launch.executable): \(error.localizedDescription)")
        }
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        let fd = input.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Calls `method`; a JSON-RPC error comes back as a thrown `ServiceError`.
    func call(_ method: String, _ params: JSON) throws -> JSON {
        if let stoppedUnanswered { throw stoppedUnanswered }
        let id = nextId
        nextId += 1
        let request: JSON = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
        let deadline = Date().addingTimeInterval(answerTimeoutSeconds)
        try send(request.serialized() + "\n", until: deadline)
        let line = try readLine(until: deadline)
        let response: JSON
        do {
            response = try JSONParser.parse(line, maxDepth: 128)
        } catch {
            throw ToolError(message: "\(launch.name) answered something that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        guard response["id"] == .int(id) else { throw ToolError(message: "\(launch.name) answered another request: \(response.serialized().prefix(300))") }
        if let error = response["error"] {
            throw ServiceError(code: error["code"]?.intValue ?? 0, message: error["message"]?.stringValue ?? "unknown error", data: error["data"] ?? .null)
        }
        return response["result"] ?? .null
    }

    /// Ends meetingd the normal way: end of input, then wait (a bounded time) for it.
    /// What to do when meetingd answers but its database does not.
    var databaseHint: String { launch.databaseHint }

    func finish() {
        try? input.close()
        waitForExit()
    }

    private func send(_ text: String, until deadline: Date) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            try wait(for: input.fileDescriptor, events: Int16(POLLOUT), until: deadline)
            let n = bytes[offset...].withUnsafeBytes { write(input.fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw exited("while meetctl was sending a request")
            }
            offset += n
        }
    }

    private func readLine(until deadline: Date) throws -> [UInt8] {
        var scanned = 0
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return line
            }
            scanned = buffer.count
            guard buffer.count < Self.maxResponseBytes else { throw ToolError(message: "\(launch.name)'s answer is larger than \(Self.maxResponseBytes) bytes") }
            try wait(for: output.fileDescriptor, events: Int16(POLLIN), until: deadline)
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { read(output.fileDescriptor, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw exited("before it answered")
            }
        }
    }

    /// Returns once `fd` is ready (or hung up); past the deadline the process is stopped.
    private func wait(for fd: Int32, events: Int16, until deadline: Date) throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                // Its whole process group: a wrapper script's ssh (its child) kept meetctl waiting
                // past the timeout. Foundation starts the child as the leader of a group of its
                // own; signalled only while that leader is unreaped, so the number is still its.
                if process.isRunning { kill(-process.processIdentifier, SIGTERM) }
                waitForExit()
                let error = ToolError(
                    message: "no answer from \(launch.name) within \(Int(answerTimeoutSeconds)) s; stopped it",
                    hint: "MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS sets how long meetctl waits; \(launch.hint)")
                stoppedUnanswered = error
                throw error
            }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&p, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw ToolError(message: "poll failed (errno \(errno))") }
        }
    }

    /// Waits for the process to exit, killing it when it takes longer than `exitTimeoutSeconds`.
    private func waitForExit() {
        let deadline = Date().addingTimeInterval(Self.exitTimeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        // Its group with it (a wrapper's children hold the descriptor Foundation's waitUntilExit
        // waits on, and keep the leader unreaped meanwhile). Only while the leader is unreaped:
        // once reaped, its number may already be another process's.
        if process.isRunning { kill(-process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private func exited(_ when: String) -> ToolError {
        waitForExit()
        return ToolError(
            message: "\(launch.name) ended (exit status \(process.terminationStatus)) \(when); its message, if any, is above",
            hint: launch.exitHint(process.terminationStatus))
    }
}
