import Foundation
import XCTest

/// `meetctl --remote` against a real sshd on 127.0.0.1 whose authorized_keys force
/// `meetingd --pin-actor <expert>` through the wrapper an operator writes (DATABASE_URL stays
/// on the server): the expert's commands work without naming anyone, acting as anyone else is
/// refused, the login runs nothing but meetingd, and ssh's failures end quickly with status 1.
final class MeetctlRemoteTests: EndToEndTestCase {
    private var server: SSHServer?

    override func tearDownWithError() throws {
        server?.stop()
        server = nil
        try super.tearDownWithError()
    }

    /// An sshd with one key per name in `keys`, each forced to run meetingd pinned to the
    /// person given (nil: not pinned). Returns each key's private key path.
    func startServer(_ keys: [String: String?]) throws -> (SSHServer, [String: String]) {
        let server = try SSHServer()
        self.server = server
        let wrapper = try server.writeScript("meetingd-over-ssh", """
            # The forced command of the keys in authorized_keys: meetingd on this machine's database.
            # Each key's line says whom it pins; what the client asked to run is never looked at.
            DATABASE_URL=\(SSHServer.shellQuoted(databaseURL))
            export DATABASE_URL
            exec \(SSHServer.shellQuoted(TestEnvironment.meetingdPath)) "$@" --test-clock --log-level warning

            """)
        var paths: [String: String] = [:]
        for (name, person) in keys.sorted(by: { $0.key < $1.key }) {
            let key = try server.makeKey(name)
            try server.authorize(key: key, forcedCommand: wrapper + (person.map { " --pin-actor \($0)" } ?? ""))
            paths[name] = key
        }
        try server.start()
        return (server, paths)
    }

    /// JSON-RPC straight over ssh, as any client on the expert's machine could send it.
    func rawSSH(_ server: SSHServer, key: String, command: [String] = []) throws -> Meetingd {
        try startMeetingd(server.sshOptions(key: key) + [server.destination] + command, executable: SSHServer.ssh)
    }

    func testTheExpertWorksOverSSHAsThemselves() throws {
        let c = try MeetctlCommunity.make(#function)
        let (server, keys) = try startServer(["expert": c.expertId])
        let expert = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: try XCTUnwrap(keys["expert"])))

        XCTAssertTrue(try expert.ok(["ping"]).contains("pinned to \(c.expertId)"))
        XCTAssertEqual(try expert.json(["person", "show"])["id"], .string(c.expertId), "meetctl learnt its id from system.ping")

        let proposed = try expert.json([
            "propose", "--user", c.userId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
            "--location", "Room 101",
        ])
        let proposal = try XCTUnwrap(proposed["id"]?.string)
        XCTAssertEqual(proposed["expert_id"], .string(c.expertId))
        XCTAssertEqual(proposed["start"], "2030-03-11T14:00:00Z", "times typed on the expert's clock, as locally")
        XCTAssertEqual(try c.user.json(["confirm", proposal])["status"], "agreed")

        let local = try startMeetingd(["--test-clock"])
        let requested = try local.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-12T15:00:00Z", "location_id": .string(c.videoId),
        ])
        let request = try XCTUnwrap(requested["id"]?.string)
        try local.finish()
        XCTAssertTrue(try expert.ok(["meetings"]).contains("*  Tue 12 Mar 2030 11:00 EDT"), "the request awaits the expert")
        XCTAssertEqual(try expert.json(["confirm", request])["status"], "agreed")

        let listed = try expert.json(["meetings"])
        XCTAssertEqual(Set(listed["items"]?.array?.compactMap { $0["id"]?.string } ?? []), [proposal, request])
        XCTAssertEqual(try expert.json(["meeting", "show", request])["meeting"]?["status"], "agreed")
    }

    func testActingAsAnyoneElseIsRefused() throws {
        let c = try MeetctlCommunity.make(#function)
        let (server, keys) = try startServer(["expert": c.expertId])
        let key = try XCTUnwrap(keys["expert"])
        let expert = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: key))
        let peopleBefore = try c.admin.json(["people"])

        for (who, id) in [("finance", c.financeId), ("the admin", c.adminId), ("the user", c.userId)] {
            let refused = try expert.fails(["--as", id, "meetings"], status: 1)
            XCTAssertTrue(refused.stderr.contains("pinned to \(c.expertId)"), "--as \(who): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("error 4003: forbidden"), "--as \(who): \(refused.stderr)")
        }
        let grant = try expert.fails(["--as", c.financeId, "grant", "--user", c.userId, "--credits", "1000", "--reference", "over-ssh"], status: 1)
        XCTAssertTrue(grant.stderr.contains("error 4003: forbidden"), grant.stderr)
        let add = try expert.fails(["--as", c.adminId, "person", "add", "--email", "mallory-\(c.tag)@example.test", "--first", "M", "--last", "M",
            "--roles", "admin", "--tz", "UTC"], status: 1)
        XCTAssertTrue(add.stderr.contains("pinned to"), add.stderr)
        let fromEnvironment = try expert.run(["people"], environment: ["MEETINGLEDGER_ACTOR": c.adminId])
        XCTAssertEqual(fromEnvironment.termination, .exited(1), fromEnvironment.stderr)
        XCTAssertTrue(fromEnvironment.stderr.contains("pinned to"), fromEnvironment.stderr)
        let ownRole = try expert.fails(["people"], status: 1)
        XCTAssertTrue(ownRole.stderr.contains("error 4003") && !ownRole.stderr.contains("pinned to"), "the expert's own role still rules: \(ownRole.stderr)")

        let raw = try rawSSH(server, key: key)
        for (method, actor, params) in [
            ("person.create", c.adminId, TestCommunity.personParams(roles: ["admin"])),
            ("credits.grant", c.financeId, ["user_id": .string(c.userId), "credits": 1000, "reference": "raw-over-ssh"]),
            ("meeting.list", c.userId, ["role": "user"]),
            ("ledger.balance", c.financeId, ["person_id": .string(c.userId)]),
        ] as [(String, String, [String: JSONValue])] {
            let error = try raw.error(method, as: actor, params, code: 4003)
            XCTAssertTrue(error["message"]?.string?.contains("pinned to \(c.expertId)") ?? false, "\(method) as \(actor): \(error)")
        }
        let own = try Meetingd.result(of: try raw.call("meeting.list", ["role": "expert"]))
        XCTAssertNotNil(own["items"], "without an actor the call acts as the expert: \(own)")
        try raw.finish()

        XCTAssertEqual(try c.admin.json(["people"]), peopleBefore, "nobody was added")
        XCTAssertEqual(try c.finance.json(["balance", "--person", c.userId])["posted"], 500, "no credits were granted")
    }

    /// The forced command runs whatever the client asks: SSH_ORIGINAL_COMMAND is never run.
    func testTheLoginRunsNothingButMeetingd() throws {
        let c = try MeetctlCommunity.make(#function, credits: 0)
        let (server, keys) = try startServer(["expert": c.expertId])
        let key = try XCTUnwrap(keys["expert"])
        let marker = server.path("injected")
        let asked = [[server.destination, "touch \(marker); echo injected"], ["-s", server.destination, "sftp"], [server.destination, "/bin/sh"]]
        for tail in asked {
            let raw = try startMeetingd(server.sshOptions(key: key) + tail, executable: SSHServer.ssh)
            let ping = try Meetingd.result(of: try raw.call("system.ping"))
            XCTAssertEqual(ping["pinned_actor"], .string(c.expertId), "ssh \(tail): meetingd answered instead")
            try raw.finish()
            XCTAssertFalse(raw.stderrText.contains("injected"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the requested command never ran")
    }

    /// A meetingd that is not pinned trusts `actor` (as a local one does): meetctl needs --as.
    func testAnUnpinnedRemoteNeedsAnActor() throws {
        let c = try MeetctlCommunity.make(#function, credits: 0)
        let (server, keys) = try startServer(["operator": nil])
        let remote = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: try XCTUnwrap(keys["operator"])))
        let refused = try remote.fails(["meetings"], status: 2)
        XCTAssertTrue(refused.stderr.contains("is not pinned to a person"), refused.stderr)
        XCTAssertEqual(try remote.json(["--as", c.expertId, "person", "show"])["id"], .string(c.expertId))
    }

    /// ssh's failures are reported with status 1 and never hang.
    func testSSHFailuresEndWithStatusOne() throws {
        let c = try MeetctlCommunity.make(#function, credits: 0)
        let (server, keys) = try startServer(["expert": c.expertId])
        let stranger = try server.makeKey("stranger")
        let expertKey = try XCTUnwrap(keys["expert"])
        let closedPort = try SMTPSink.freePort()
        let silent = try server.writeScript("silent-ssh", "exec sleep 120\n")
        // A wrapper that does not exec: its child holds the pipes after the wrapper is stopped
        // (meetctl waited for it past the timeout).
        let wrapped = try server.writeScript("wrapped-ssh", "sleep 120\n")
        let cases: [(what: String, sshCommand: String, timeout: String?, says: String)] = [
            ("nothing listens", server.sshCommand(key: expertKey).replacingOccurrences(of: "-p \(server.port)", with: "-p \(closedPort)"), nil, "Connection refused"),
            ("the key is not let in", server.sshCommand(key: stranger), nil, "Permission denied"),
            ("no such ssh", "/nonexistent/ssh -v", nil, "/nonexistent/ssh is not an executable"),
            ("the far side never answers", silent, "2", "no answer from ssh to \(server.destination) within 2 s"),
            ("a wrapper's ssh never answers", wrapped, "2", "no answer from ssh to \(server.destination) within 2 s"),
        ]
        for (what, sshCommand, timeout, says) in cases {
            let started = Date()
            let remote = try Meetctl().overSSH(server.destination, sshCommand: sshCommand)
            let run = try remote.run(["meetings"], environment: timeout.map { ["MEETINGLEDGER_ANSWER_TIMEOUT_SECONDS": $0] } ?? [:], timeout: 60)
            XCTAssertEqual(run.termination, .exited(1), "\(what): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(says), "\(what) says \(says): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("meetctl: "), "\(what): meetctl says what failed: \(run.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 30, "\(what) ends quickly")
            XCTAssertTrue(run.stdout.isEmpty, run.stdout)
        }
    }

    /// A fault on the server (a wrapper that cannot run meetingd, a database that is down) is
    /// told as its operator's to fix, not as the expert's key; when ssh itself fails, the test it
    /// suggests runs the ssh command the expert set, with its options.
    func testAFaultOnTheServerIsToldAsItsOperatorsToFix() throws {
        let c = try MeetctlCommunity.make(#function, credits: 0)
        let server = try SSHServer()
        self.server = server
        let broken = try server.writeScript("broken-wrapper", "exec /nonexistent/meetingd \"$@\"\n")
        let databaseDown = try server.writeScript("database-down", """
            DATABASE_URL='host=/nonexistent-socket-folder port=5432 dbname=meetingledger user=postgres connect_timeout=2'
            export DATABASE_URL
            exec \(SSHServer.shellQuoted(TestEnvironment.meetingdPath)) "$@" --log-level error

            """)
        let brokenKey = try server.makeKey("broken"), downKey = try server.makeKey("down"), stranger = try server.makeKey("stranger")
        try server.authorize(key: brokenKey, forcedCommand: broken + " --pin-actor \(c.expertId)")
        try server.authorize(key: downKey, forcedCommand: databaseDown + " --pin-actor \(c.expertId)")
        try server.start()

        let missing = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: brokenKey)).run(["meetings"], timeout: 60)
        XCTAssertEqual(missing.termination, .exited(1), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("ended (exit status 127)"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("not of your key; tell that machine's operator"), missing.stderr)
        XCTAssertFalse(missing.stderr.contains("lets your key in"), missing.stderr)

        let down = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: downKey)).run(["ping"], timeout: 60)
        XCTAssertEqual(down.termination, .exited(1), down.stderr)
        XCTAssertTrue(down.stderr.contains("the database of the meetingd at \(server.destination) does not answer"), down.stderr)
        XCTAssertFalse(down.stderr.contains("check DATABASE_URL"), "the expert has no DATABASE_URL: \(down.stderr)")

        let refused = try Meetctl().overSSH(server.destination, sshCommand: server.sshCommand(key: stranger)).run(["meetings"], timeout: 60)
        XCTAssertEqual(refused.termination, .exited(1), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("lets your key in (try: echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}' | "
                                              + server.sshCommand(key: stranger) + " -T \(server.destination);"), refused.stderr)
    }

    /// What needs this machine's meetingd and database is a usage error with --remote, and so
    /// is a destination ssh could read as an option; nothing is run.
    func testRemoteRefusesWhatNeedsTheLocalDatabase() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-proxy-\(TestEnvironment.uniqueTag())").path
        let remote = try Meetctl().overSSH("expert@127.0.0.1", sshCommand: "/bin/false")
        let cases: [([String], String)] = [
            (["bootstrap", "--community", "X", "--short-name", "X", "--admin-email", "x@example.test", "--admin-first", "X", "--admin-last", "X"],
             "bootstrap runs meetingd on this machine"),
            (["--test-clock", "meetings"], "--test-clock chooses the local meetingd"),
            (["meetings", "--meetingd", TestEnvironment.meetingdPath], "--meetingd chooses the local meetingd"),
        ]
        for (arguments, says) in cases {
            let run = try remote.fails(arguments, status: 2)
            XCTAssertTrue(run.stderr.contains(says), "\(arguments): \(run.stderr)")
        }
        for destination in ["-oProxyCommand=touch \(marker)", "expert@host -oProxyCommand=touch", "", "host\u{1B}]0;x\u{07}"] {
            let run = try runTool(Meetctl.path, ["--remote", destination, "meetings"], environment: ["MEETINGLEDGER_SSH_COMMAND": "ssh"])
            XCTAssertEqual(run.termination, .exited(2), "\(destination.debugDescription): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--remote"), run.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "ssh never ran")
    }
}
