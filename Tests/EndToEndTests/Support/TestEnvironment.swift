import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Where the tests find the database, the binary and the repository (set by `scripts/test`).
enum TestEnvironment {
    static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The repository: MEETINGLEDGER_ROOT, or the checkout holding this file.
    static var repoRoot: String {
        variable("MEETINGLEDGER_ROOT")
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The built service: MEETINGD_PATH, or the default debug build of this checkout.
    static var meetingdPath: String { variable("MEETINGD_PATH") ?? repoRoot + "/.build/debug/meetingd" }

    /// DATABASE_URL; the test is skipped when it is not set.
    static func databaseURL() throws -> String {
        guard let url = variable("DATABASE_URL") else {
            throw XCTSkip("DATABASE_URL is not set: run scripts/test, or start a cluster with scripts/db start and export DATABASE_URL")
        }
        return url
    }

    /// A short random tag for names that must not collide between parallel tests.
    static func uniqueTag() -> String { String(UUID().uuidString.lowercased().prefix(12)).replacingOccurrences(of: "-", with: "") }
}

struct ToolResult {
    let termination: Termination
    let stdout: String
    let stderr: String

    var succeeded: Bool { termination == .exited(0) }
}

/// Runs a command to completion in the repository folder, its output going to temporary files;
/// kills it after `timeout`. Spawned with posix_spawn and reaped with waitpid rather than
/// Foundation's `Process`, whose exit monitor never fires when the command leaves a daemon
/// behind (`scripts/db start` leaves PostgreSQL running, holding every inherited descriptor).
func runTool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120
) throws -> ToolResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outPath = directory.appendingPathComponent("stdout").path, errPath = directory.appendingPathComponent("stderr").path
    closeDescriptorsOnExec()

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaultSignals = sigset_t()
    sigemptyset(&defaultSignals)
    sigaddset(&defaultSignals, SIGPIPE)  // the harness ignores SIGPIPE; the tool must not inherit that
    var noMask = sigset_t()
    sigemptyset(&noMask)
    posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
    posix_spawnattr_setsigmask(&attributes, &noMask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    // `sh -c 'cd "$0" && exec "$@"' ROOT EXECUTABLE ARGS…` sets the working folder.
    let argv = ["/bin/sh", "-c", #"cd "$0" && exec "$@""#, TestEnvironment.repoRoot, executable] + arguments
    let env = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }.map { "\($0.key)=\($0.value)" }
    var cArgv = argv.map { strdup($0) } + [nil]
    var cEnv = env.map { strdup($0) } + [nil]
    defer { (cArgv + cEnv).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &cArgv, &cEnv)
    guard spawned == 0 else { throw HarnessError("cannot start \(executable): error \(spawned)") }

    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw HarnessError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        usleep(10_000)
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
    let termination: Termination = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
    return ToolResult(
        termination: termination,
        stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
        stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
}

/// Marks every descriptor above stderr close-on-exec, so a spawned tool (and any daemon it
/// leaves running) holds none of the test's pipes open.
private func closeDescriptorsOnExec() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for fd in names.compactMap(Int32.init) where fd > 2 {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// A community of its own for one test (`meetingd bootstrap`), so parallel tests never see
/// each other's data, with helpers to populate it.
struct TestCommunity {
    let id: String
    let adminId: String
    let name: String

    /// Bootstraps a fresh community with one admin on `databaseURL` (default: DATABASE_URL).
    static func bootstrap(_ label: String, databaseURL: String? = nil) throws -> TestCommunity {
        let tag = TestEnvironment.uniqueTag()
        let name = "E2E \(label) \(tag)"
        var environment: [String: String] = [:]
        if let databaseURL { environment["DATABASE_URL"] = databaseURL }
        let run = try runTool(
            TestEnvironment.meetingdPath,
            ["bootstrap", "--community", name, "--short-name", "E2E", "--admin-email", "admin-\(tag)@example.test",
             "--admin-first", "Ada", "--admin-last", "Admin"],
            environment: environment)
        guard run.succeeded else { throw HarnessError("meetingd bootstrap failed (\(run.termination)): \(run.stderr)") }
        let printed = try JSONValue.parse(run.stdout)
        guard let id = printed["community_id"]?.string, let adminId = printed["admin_id"]?.string else {
            throw HarnessError("meetingd bootstrap printed \(run.stdout)")
        }
        return TestCommunity(id: id, adminId: adminId, name: name)
    }

    /// The params of a `person.create` with a unique email.
    static func personParams(roles: [String], firstName: String = "Pat", lastName: String = "Tester", timeZone: String = "UTC") -> [String: JSONValue] {
        [
            "email": .string("\(roles.first ?? "person")-\(TestEnvironment.uniqueTag())@example.test"),
            "first_name": .string(firstName), "last_name": .string(lastName),
            "roles": .array(roles.map { .string($0) }), "time_zone": .string(timeZone),
        ]
    }

    /// Creates a person (as the admin) and returns the person as the service answered.
    @discardableResult
    func createPerson(on meetingd: Meetingd, roles: [String], firstName: String = "Pat", lastName: String = "Tester") throws -> JSONValue {
        try meetingd.result("person.create", as: adminId, TestCommunity.personParams(roles: roles, firstName: firstName, lastName: lastName))
    }

    /// Creates a person and returns their id.
    func createPersonId(on meetingd: Meetingd, roles: [String]) throws -> String {
        let person = try createPerson(on: meetingd, roles: roles)
        guard let id = person["id"]?.string else { throw HarnessError("person.create returned no id: \(person)") }
        return id
    }

    /// Every person of the community as `person.list` pages them (as the admin).
    func people(on meetingd: Meetingd) throws -> [JSONValue] {
        try meetingd.allPages("person.list", as: adminId)
    }
}

extension Meetingd {
    /// Every item of a paged list method, following `next_cursor` (at most 100 pages).
    func allPages(_ method: String, as actor: String, _ params: [String: JSONValue] = [:]) throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: JSONValue? = nil
        for _ in 0..<100 {
            var pageParams = params
            pageParams["limit"] = 500
            if let cursor { pageParams["cursor"] = cursor }
            let page = try result(method, as: actor, pageParams)
            guard let pageItems = page["items"]?.array else { throw HarnessError("\(method) returned no items: \(page)") }
            items += pageItems
            guard let next = page["next_cursor"], !next.isNull else { return items }
            cursor = next
        }
        throw HarnessError("\(method) returned more than 100 pages")
    }
}

/// Base class: skips without DATABASE_URL, starts meetingd processes that are killed after the
/// test whatever happened, and bootstraps communities.
class EndToEndTestCase: XCTestCase {
    private var started: [Meetingd] = []
    var databaseURL = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        databaseURL = try TestEnvironment.databaseURL()
    }

    override func tearDownWithError() throws {
        for meetingd in started where meetingd.isRunning { meetingd.signal(SIGKILL) }
        started.removeAll()
        try super.tearDownWithError()
    }

    /// A running `meetingd` (serve) for this test — or another program speaking JSON-RPC on its
    /// pipes, such as ssh to a forced meetingd.
    func startMeetingd(
        _ arguments: [String] = [], environment: [String: String] = [:], executable: String = TestEnvironment.meetingdPath
    ) throws -> Meetingd {
        let meetingd = try Meetingd(arguments: arguments, environment: environment, executable: executable)
        started.append(meetingd)
        return meetingd
    }

    /// An account's balance as the database holds it, "posted/pending" (read beside meetingd,
    /// not through it).
    func storedBalance(_ account: String) throws -> String {
        try Psql.query(databaseURL, "SELECT credits_posted - debits_posted || '/' || debits_pending FROM accounts WHERE id = \(Psql.literal(account))")[0]
    }

    func bootstrap(_ label: String = #function) throws -> TestCommunity {
        try TestCommunity.bootstrap(String(label.prefix(40)))
    }

    /// An empty database of the test's own beside the shared one (`name_TAG`), dropped after
    /// the test; its name and connection string.
    func emptyDatabase(_ name: String) throws -> (name: String, url: String) {
        let database = "\(name)_\(TestEnvironment.uniqueTag())"
        _ = try Psql.query(databaseURL, "CREATE DATABASE \(database)")
        addTeardownBlock { [databaseURL] in _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(database) WITH (FORCE)"]) }
        return (database, Psql.conninfo(databaseURL, "dbname", database))
    }

    /// A copy of the database at `url` restored as README says (`pg_dump` into an empty
    /// database); its connection string.
    func restoredCopy(of url: String, name: String) throws -> String {
        let (database, copy) = try emptyDatabase(name)
        let copied = try runTool("/bin/bash", ["-c", "set -o pipefail; pg_dump -d \"$0\" | psql -X -q -v ON_ERROR_STOP=1 -d \"$1\" >/dev/null", url, copy])
        guard copied.succeeded else { throw HarnessError("pg_dump of \(url) into \(database) failed: \(copied.stderr)") }
        return copy
    }

    /// A database of its own (dropped at the end of the test) migrated by the migrations before
    /// `first` only, as a release before that migration left it: its URL, and the environment
    /// that runs meetingd on it with those migrations alone. `meetingd migrate` without
    /// MEETINGLEDGER_MIGRATIONS then upgrades it.
    func databaseMigrated(before first: String, name: String) throws -> (url: String, earlier: [String: String]) {
        let tag = TestEnvironment.uniqueTag()
        let url = try emptyDatabase(name).url
        let all = TestEnvironment.repoRoot + "/sql/migrations"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(tag)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        for file in try FileManager.default.contentsOfDirectory(atPath: all) where file.hasSuffix(".sql") && file < first {
            try FileManager.default.copyItem(atPath: all + "/" + file, toPath: folder + "/" + file)
        }
        // This meetingd serves the earlier schema only when told (it refuses an earlier folder
        // otherwise): the tests write an earlier release's rows through it.
        let environment = ["DATABASE_URL": url, "MEETINGLEDGER_MIGRATIONS": folder, "MEETINGLEDGER_SERVE_EARLIER_SCHEMA": "1"]
        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: environment)
        guard migrated.succeeded else { throw HarnessError("meetingd migrate (before \(first)) failed: \(migrated.stderr)") }
        return (url, environment)
    }
}
