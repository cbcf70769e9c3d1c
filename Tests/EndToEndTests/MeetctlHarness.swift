import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// meetctl run as a person runs it: the built binary, with the test's DATABASE_URL and the
/// meetingd under test, acting as `actor` (MEETINGLEDGER_ACTOR) unless the arguments say --as.
/// Every run passes --test-clock so a community's pinned time holds — or, over ssh,
/// --remote DESTINATION, whose forced command decides.
struct Meetctl {
    static var path: String { TestEnvironment.variable("MEETCTL_PATH") ?? TestEnvironment.repoRoot + "/.build/debug/meetctl" }

    var actor: String?
    var environment: [String: String] = [:]
    var remote: String?

    /// The folder of this test process that holds every meetctl's config and state folders,
    /// removed when the process exits.
    static let homes: String = {
        atexit { try? FileManager.default.removeItem(atPath: Meetctl.homes) }
        return FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-homes-\(getpid())").path
    }()

    init(actor: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: Meetctl.path) else {
            throw HarnessError("meetctl is not at \(Meetctl.path): build it, or set MEETCTL_PATH to the built binary")
        }
        self.actor = actor
        environment["MEETINGLEDGER_MEETINGD"] = TestEnvironment.meetingdPath
        environment["MEETINGLEDGER_ACTOR"] = actor ?? ""
        // Its own saved identity and last listing (meetctl use, row numbers), never the
        // developer's own, shared by the copies made from it.
        let home = Meetctl.homes + "/" + TestEnvironment.uniqueTag()
        environment["XDG_CONFIG_HOME"] = home + "/config"
        environment["XDG_STATE_HOME"] = home + "/state"
    }

    func acting(as person: String) throws -> Meetctl {
        var copy = self
        copy.actor = person
        copy.environment["MEETINGLEDGER_ACTOR"] = person
        return copy
    }

    /// meetctl --remote DESTINATION with MEETINGLEDGER_SSH_COMMAND, and no actor of its own.
    func overSSH(_ destination: String, sshCommand: String) -> Meetctl {
        var copy = self
        copy.remote = destination
        copy.actor = nil
        copy.environment["MEETINGLEDGER_ACTOR"] = ""
        copy.environment["MEETINGLEDGER_SSH_COMMAND"] = sshCommand
        return copy
    }

    /// Runs meetctl with `arguments` and returns what it did.
    func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 120) throws -> ToolResult {
        let mode = remote.map { ["--remote", $0] } ?? ["--test-clock"]
        return try runTool(Meetctl.path, mode + arguments, environment: environment.merging(extra) { _, given in given }, timeout: timeout)
    }

    /// Runs a command that must succeed; returns its stdout.
    @discardableResult
    func ok(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(arguments)
        guard result.termination == .exited(0) else {
            throw HarnessError("meetctl \(arguments.joined(separator: " ")) ended with \(result.termination):\n\(result.stderr)\(result.stdout)")
        }
        return result.stdout
    }

    /// Runs a command with --json that must succeed; returns the parsed result.
    @discardableResult
    func json(_ arguments: [String]) throws -> JSONValue {
        let stdout = try ok(arguments + ["--json"])
        do { return try JSONValue.parse(stdout) } catch { throw HarnessError("meetctl \(arguments.joined(separator: " ")) --json printed: \(stdout)") }
    }

    /// Runs meetctl on a pseudo-terminal, as a person at a terminal does, and answers `answer`
    /// to its [y/N] question if it asks one. Returns what appeared on the terminal (stdout and
    /// stderr together) and how it ended.
    func onTerminal(_ arguments: [String], answering answer: String = "") throws -> ToolResult {
        let script = """
            import os, pty, select, sys, time
            answer, argv = sys.argv[1], sys.argv[2:]
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(argv[0], argv)
            seen, answered, deadline = b"", False, time.time() + 60
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    seen += chunk
                if answer and not answered and b"[y/N]" in seen:
                    os.write(fd, answer.encode() + b"\\n")
                    answered = True
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(seen.decode("utf-8", "replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let mode = remote.map { ["--remote", $0] } ?? ["--test-clock"]
        return try runTool("/usr/bin/env", ["python3", "-c", script, answer, Meetctl.path] + mode + arguments, environment: environment)
    }

    /// Runs a command that must fail with `status`; returns what it printed.
    @discardableResult
    func fails(_ arguments: [String], status: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> ToolResult {
        let result = try run(arguments)
        XCTAssertEqual(result.termination, .exited(status), "meetctl \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        return result
    }
}

/// A community set up through meetctl itself: an admin, an expert (New York), a user (Prague),
/// finance staff, two locations, a generic service the expert is certified in, the expert's
/// weekly hours and 500 credits for the user. The service clock is pinned to Monday
/// 2030-03-04 12:00 UTC.
struct MeetctlCommunity {
    static let start = "2030-03-04T12:00:00Z"

    let admin: Meetctl
    let adminId: String
    let expertId: String
    let userId: String
    let financeId: String
    let expertEmail: String
    let userEmail: String
    let financeEmail: String
    let serviceId: String
    let roomId: String
    let videoId: String
    let tag: String

    var expert: Meetctl { get throws { try admin.acting(as: expertId) } }
    var user: Meetctl { get throws { try admin.acting(as: userId) } }
    var finance: Meetctl { get throws { try admin.acting(as: financeId) } }

    static func make(
        _ label: String, officeEmail: String? = nil, userName: (first: String, last: String) = ("Sam", "Lee"), credits: Int = 500
    ) throws -> MeetctlCommunity {
        let tag = TestEnvironment.uniqueTag()
        let anyone = try Meetctl()
        let boot = try anyone.json([
            "bootstrap", "--community", "Meetctl \(label.prefix(40)) \(tag)", "--short-name", "ACAD", "--admin-email", "admin-\(tag)@example.test",
            "--admin-first", "Ada", "--admin-last", "Admin", "--time-zone", "America/New_York",
        ])
        guard let adminId = boot["admin_id"]?.string else { throw HarnessError("bootstrap printed \(boot)") }
        let admin = try anyone.acting(as: adminId)
        try admin.ok(["clock", "set", start])
        var settings = ["time_zone=America/New_York", "platform_fee_percent=20", #"labels={"provider":"Tutor","class":"Course"}"#]
        if let officeEmail { settings.append("office_email=\(officeEmail)") }
        try admin.ok(["settings", "set"] + settings)
        let room = try admin.json(["location", "add", "--name", "Room 101", "--kind", "in_person"])
        let video = try admin.json(["location", "add", "--name", "Video call", "--kind", "virtual"])
        func person(_ role: String, _ first: String, _ last: String, _ zone: String) throws -> (id: String, email: String) {
            let email = "\(role)-\(tag)@example.test"
            let p = try admin.json(["person", "add", "--email", email, "--first", first, "--last", last, "--roles", role, "--tz", zone])
            guard let id = p["id"]?.string else { throw HarnessError("person add printed \(p)") }
            return (id, email)
        }
        let expert = try person("expert", "Talia", "Kim", "America/New_York")
        let user = try person("user", "Sam", "Lee", "Europe/Prague")
        if userName != ("Sam", "Lee") {
            // A name the service would refuse today (controls, line breaks, reordering marks) is
            // stored as it is, as an older import or another tool may have left it: what is
            // stored is shown escaped wherever it goes.
            let url = try TestEnvironment.databaseURL()
            _ = try Psql.query(url, "UPDATE people SET first_name = \(Psql.literal(userName.first)), last_name = \(Psql.literal(userName.last)) "
                + "WHERE id = \(Psql.literal(user.id)) RETURNING id")
        }
        let finance = try person("finance", "Fiona", "Fox", "America/New_York")
        let service = try admin.json(["service", "add", "--name", "CHEM101", "--kind", "generic", "--length", "1h", "--price", "100"])
        guard let serviceId = service["id"]?.string, let roomId = room["id"]?.string, let videoId = video["id"]?.string else {
            throw HarnessError("service or location add printed no id")
        }
        try admin.ok(["certify", "--service", serviceId, "--expert", expert.id])
        try admin.acting(as: expert.id).ok([
            "availability", "set", "--rule", "Mon-Fri 09:00-17:00 @Room 101,Video call", "--rule", "Sat 10:00-12:00 @Video call",
        ])
        if credits > 0 {
            try admin.acting(as: finance.id).ok(["grant", "--user", user.id, "--credits", String(credits), "--reference", "order-\(tag)"])
        }
        return MeetctlCommunity(
            admin: admin, adminId: adminId, expertId: expert.id, userId: user.id, financeId: finance.id, expertEmail: expert.email,
            userEmail: user.email, financeEmail: finance.email, serviceId: serviceId, roomId: roomId, videoId: videoId, tag: tag)
    }

    /// The expert proposes a meeting (local New York time) and the user confirms it: agreed,
    /// 100 credits held. Returns its id.
    func agreedMeeting(start: String, location: String = "Video call") throws -> String {
        let meeting = try expert.json([
            "propose", "--user", userId, "--service", serviceId, "--start", start, "--length", "60", "--price", "100", "--location", location,
        ])
        guard let id = meeting["id"]?.string else { throw HarnessError("propose printed \(meeting)") }
        let confirmed = try user.json(["confirm", id])
        guard confirmed["status"] == "agreed" else { throw HarnessError("the user's confirm left \(confirmed)") }
        return id
    }
}

/// An SMTP server for the tests: aiosmtpd with the handler in Support/smtp_sink.py, writing
/// every message it receives to a folder.
final class SMTPSink {
    let port: UInt16
    let folder: URL
    private var process: Process?

    init(port: UInt16? = nil, folder: URL) throws {
        self.port = try port ?? SMTPSink.freePort()
        self.folder = folder
    }

    deinit { stop() }

    static var available: Bool {
        (try? runTool("/usr/bin/env", ["python3", "-c", "import aiosmtpd"]))?.succeeded ?? false
    }

    func start() throws {
        let supportFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "smtp_sink.FolderHandler", folder.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": supportFolder]) { _, given in given }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try process.waitUntilListening(port: port, "the SMTP server (aiosmtpd)")
    }

    /// Stops the server (its own process, by pid) and waits until the port refuses connections.
    func stop() {
        process?.stop()
        process = nil
    }

    /// The messages received so far (parsed by the handler), oldest first.
    func messages() throws -> [JSONValue] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().map {
            try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent($0)))
        }
    }

    /// The raw bytes of the received messages, oldest first.
    func rawMessages() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".eml") }.sorted().map {
            String(decoding: try Data(contentsOf: folder.appendingPathComponent($0)), as: UTF8.self)
        }
    }

    /// msmtp as the sendmail program for the SMTP server at 127.0.0.1:`port` (no
    /// authentication, no TLS), its configuration written to `configFolder`.
    static func msmtpCommand(port: UInt16, configFolder: URL) throws -> String {
        let config = configFolder.appendingPathComponent("msmtprc-\(port)")
        try """
            defaults
            auth off
            tls off
            timeout 10

            account default
            host 127.0.0.1
            port \(port)
            from noreply@academy.example

            """.write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
        return "msmtp -C \(config.path) -t"
    }

    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var address = loopback(0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
