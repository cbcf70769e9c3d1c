import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A real PgBouncer (Debian's package) on 127.0.0.1 for one test, in front of the test's
/// PostgreSQL, as an operator runs it: its own folder, trust for the local test user only, a
/// pool of `poolSize` server sessions in `mode`. It runs as the `postgres` user (PgBouncer will not
/// run as root) and stops with the test: `stop()`, or its watchdog once the test process is
/// gone, and in any case after `lifetimeSeconds`.
final class PgBouncer {
    static let program = "/usr/sbin/pgbouncer"

    let folder: URL
    let port: UInt16
    let dbname: String
    let user: String
    private var process: Process?

    /// Skips the test when PgBouncer is not installed (scripts/test installs it).
    static func require() throws {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw XCTSkip("\(program) is missing: apt-get install -y pgbouncer (scripts/test installs it)")
        }
    }

    /// `databaseURL` must be a keyword/value string with `host` (a socket folder or address),
    /// `port`, `dbname` and `user`, as scripts/lib.sh's clusters print it.
    init(before databaseURL: String, mode: String, poolSize: Int, lifetimeSeconds: Int = 600) throws {
        try PgBouncer.require()
        var target: [String: String] = [:]
        for pair in databaseURL.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { target[parts[0]] = parts[1] }
        }
        guard let host = target["host"], let dbname = target["dbname"], let user = target["user"] else {
            throw XCTSkip("DATABASE_URL is not a keyword/value string with host, dbname and user: \(databaseURL)")
        }
        self.dbname = dbname
        self.user = user
        folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("e2e-pgbouncer-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        port = try SMTPSink.freePort()
        let config = """
            [databases]
            \(dbname) = host=\(host) port=\(target["port"] ?? "5432") dbname=\(dbname) user=\(user)

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(folder.path)/users.txt
            admin_users = \(user)
            pool_mode = \(mode)
            default_pool_size = \(poolSize)
            max_client_conn = 100
            logfile = \(folder.path)/pgbouncer.log
            pidfile = \(folder.path)/pgbouncer.pid

            """
        try config.write(to: folder.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\"\n".write(to: folder.appendingPathComponent("users.txt"), atomically: true, encoding: .utf8)
        for name in ["pgbouncer.ini", "users.txt"] { chmod(folder.appendingPathComponent(name).path, 0o644) }

        var command = [PgBouncer.program, folder.appendingPathComponent("pgbouncer.ini").path]
        if getuid() == 0 { command.insert(contentsOf: ["-u", "postgres"], at: 1) }
        let process = try Watchdog.process(
            scriptPath: folder.appendingPathComponent("watchdog").path, lifetimeSeconds: lifetimeSeconds, command: command)
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try process.waitUntilListening(port: port, "pgbouncer") { self.log }
    }

    /// How a client reaches the database through this PgBouncer.
    var url: String { "host=127.0.0.1 port=\(port) dbname=\(dbname) user=\(user)" }

    /// Runs a command of PgBouncer's admin console (`RECONNECT`, `SHOW SERVERS`).
    func admin(_ command: String) throws {
        let run = try runTool(Psql.path, ["-X", "-q", "-d", "host=127.0.0.1 port=\(port) dbname=pgbouncer user=\(user)", "-c", command])
        guard run.succeeded else { throw HarnessError("pgbouncer's \(command) failed: \(run.stderr)") }
    }
    var log: String { (try? String(contentsOf: folder.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? "" }

    func stop() {
        process?.stop()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }
}
