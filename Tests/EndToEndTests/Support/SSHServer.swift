import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A real OpenSSH server on 127.0.0.1 for one test, set up as an operator gives people access:
/// its own host key, an authorized_keys file whose lines force a command, no passwords.
/// Everything lives in a temporary folder. `stop()` (from tearDown) ends it; should the test
/// process die first, the watchdog that runs it ends it as soon as the test is gone, and in any
/// case after `lifetimeSeconds`.
final class SSHServer {
    static let sshd = "/usr/sbin/sshd"
    static let ssh = "/usr/bin/ssh"
    static let keygen = "/usr/bin/ssh-keygen"

    /// Skips the test when OpenSSH is not installed (scripts/test installs it).
    static func requireOpenSSH() throws {
        for program in [sshd, ssh, keygen] where !FileManager.default.isExecutableFile(atPath: program) {
            throw XCTSkip("\(program) is missing: apt-get install -y openssh-server openssh-client (scripts/test installs them)")
        }
    }

    let folder: URL
    let port: UInt16
    /// The account the test runs as: the one ssh logs in to.
    let user: String
    private let lifetimeSeconds: Int
    private var watchdog: Process?

    init(lifetimeSeconds: Int = 600) throws {
        try SSHServer.requireOpenSSH()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-sshd-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try SMTPSink.freePort()
        guard let account = getpwuid(getuid()) else { throw HarnessError("no account for uid \(getuid())") }
        user = String(cString: account.pointee.pw_name)
        self.lifetimeSeconds = lifetimeSeconds
        _ = try makeKey("host_key")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    var destination: String { "\(user)@127.0.0.1" }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    var log: String { (try? String(contentsOfFile: path("sshd.log"), encoding: .utf8)) ?? "" }

    /// A new ed25519 key pair in the folder; returns the private key's path (`.pub` beside it).
    func makeKey(_ name: String) throws -> String {
        let run = try runTool(SSHServer.keygen, ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path(name)])
        guard run.succeeded else { throw HarnessError("ssh-keygen failed: \(run.stderr)") }
        return path(name)
    }

    /// Writes an executable shell script into the folder; returns its path.
    func writeScript(_ name: String, _ body: String) throws -> String {
        try ("#!/bin/sh\n" + body).write(toFile: path(name), atomically: true, encoding: .utf8)
        guard chmod(path(name), 0o755) == 0 else { throw HarnessError("chmod \(name) failed") }
        return path(name)
    }

    /// Lets `key` in with this authorized_keys line: `command="…",restrict <public key>`.
    func authorize(key: String, forcedCommand: String) throws {
        precondition(!forcedCommand.contains("\"") && !forcedCommand.contains("\\"), "a forced command without quotes or backslashes")
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let line = "command=\"\(forcedCommand)\",restrict \(publicKey)\n"
        let file = path("authorized_keys")
        if let handle = FileHandle(forWritingAtPath: file) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        } else {
            try line.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    /// MEETINGLEDGER_SSH_COMMAND for `key`: this server's port, no known_hosts, nothing from
    /// the account's own ssh configuration or agent.
    func sshCommand(key: String) -> String {
        (["ssh"] + sshOptions(key: key)).joined(separator: " ")
    }

    func sshOptions(key: String) -> [String] {
        [
            "-F", "/dev/null", "-p", String(port), "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        ]
    }

    func start() throws {
        // sshd needs its privilege separation folder, which Debian's service script makes at boot.
        if getuid() == 0 && !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        if !FileManager.default.fileExists(atPath: path("authorized_keys")) { try "".write(toFile: path("authorized_keys"), atomically: true, encoding: .utf8) }
        let config = """
            ListenAddress 127.0.0.1:\(port)
            HostKey \(path("host_key"))
            AuthorizedKeysFile \(path("authorized_keys"))
            PidFile \(path("sshd.pid"))
            AllowUsers \(user)
            StrictModes no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            UsePAM no
            Subsystem sftp internal-sftp
            LogLevel VERBOSE

            """
        try config.write(toFile: path("sshd_config"), atomically: true, encoding: .utf8)
        let check = try runTool(SSHServer.sshd, ["-t", "-f", path("sshd_config")])
        guard check.succeeded else { throw HarnessError("sshd -t refuses the configuration: \(check.stderr)") }

        let process = try Watchdog.process(
            scriptPath: path("watchdog"), lifetimeSeconds: lifetimeSeconds, command: [SSHServer.sshd, "-D", "-e", "-f", path("sshd_config")])
        _ = FileManager.default.createFile(atPath: path("sshd.log"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("sshd.log"))
        try process.run()
        watchdog = process
        try process.waitUntilListening(port: port, "sshd") { log }
    }

    /// Stops the server (its watchdog, by pid, which ends sshd) and waits until it is gone.
    func stop() {
        watchdog?.stop()
        watchdog = nil
    }

    /// Single-quoted for sh.
    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
}
