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

/// One `meetingd` spoken to over its pipes: a JSON-RPC request per line on its stdin, the
/// response read from the next line of its stdout. Its log goes to our stderr (errors only).
final class MeetingdClient {
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer: [UInt8] = []
    private var nextId: Int64 = 1
    /// Bound on one response line (meetingd's own message limit is 1 MiB; results can be larger).
    private static let maxResponseBytes = 64 << 20

    init(executable: String, databaseURL: String, testClock: Bool) throws {
        signal(SIGPIPE, SIG_IGN)
        let stdin = Pipe(), stdout = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--log-level", "error"] + (testClock ? ["--test-clock"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        process.environment = environment
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ToolError(message: "cannot start \(executable): \(error.localizedDescription)")
        }
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
    }

    /// Calls `method`; a JSON-RPC error comes back as a thrown `ServiceError`.
    func call(_ method: String, _ params: JSON) throws -> JSON {
        let id = nextId
        nextId += 1
        let request: JSON = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
        try send(request.serialized() + "\n")
        let line = try readLine()
        let response: JSON
        do {
            response = try JSONParser.parse(line, maxDepth: 128)
        } catch {
            throw ToolError(message: "meetingd answered something that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        guard response["id"] == .int(id) else { throw ToolError(message: "meetingd answered another request: \(response.serialized().prefix(300))") }
        if let error = response["error"] {
            throw ServiceError(code: error["code"]?.intValue ?? 0, message: error["message"]?.stringValue ?? "unknown error", data: error["data"] ?? .null)
        }
        return response["result"] ?? .null
    }

    /// Ends meetingd the normal way: end of input, then wait for it.
    func finish() {
        try? input.close()
        process.waitUntilExit()
    }

    private func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(input.fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw exited("while meetctl was sending a request")
            }
            offset += n
        }
    }

    private func readLine() throws -> [UInt8] {
        var scanned = 0
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return line
            }
            scanned = buffer.count
            guard buffer.count < Self.maxResponseBytes else { throw ToolError(message: "meetingd's answer is larger than \(Self.maxResponseBytes) bytes") }
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

    private func exited(_ when: String) -> ToolError {
        process.waitUntilExit()
        return ToolError(
            message: "meetingd ended (exit status \(process.terminationStatus)) \(when); its message, if any, is above",
            hint: "check DATABASE_URL and that the database is running (scripts/db start for the embedded one)")
    }
}
