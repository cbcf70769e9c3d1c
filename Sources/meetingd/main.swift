import Core
import Postgres
import RPC
import API
import Pipeline
import Store

#if canImport(Glibc)
    import Glibc
#endif

let usage = """
    usage: meetingd [serve] [--pin-actor PERSON] [--test-clock] [--batch-workers N] [--max-memory-mb N] [--log-level debug|info|warning|error]
           meetingd migrate
           meetingd bootstrap --community NAME --short-name SHORT --admin-email EMAIL --admin-first FIRST --admin-last LAST [--time-zone ZONE]
           meetingd discover        (prints the OpenRPC document)
           meetingd --version       (prints this release and the schema version it expects of a database)
    --log-level and --max-memory-mb go with every command; the other options only where shown. Anything
    else (an unknown option or word) is a usage mistake: nothing is done, exit status 2.

    meetingd speaks JSON-RPC 2.0 on stdin/stdout: one request per line (or Content-Length framed).
    The database is DATABASE_URL (a libpq connection string or URI; one libpq cannot parse: exit status 2).
    A batch's entries run at once over N connections (1…32, default 4; MEETINGLEDGER_BATCH_WORKERS).
    Logs: JSON lines on stderr, --log-level or MEETINGLEDGER_LOG_LEVEL (debug, info, warning, error;
    default info: a line per call).
    Limits: MEETINGLEDGER_MAX_MESSAGE_BYTES (one message, default 1 MiB), MEETINGLEDGER_MAX_BATCH (a
    batch's entries, default 1000), MEETINGLEDGER_MAX_STRING (characters of one string, default 10000),
    and MEETINGLEDGER_MAX_ANSWER_BYTES (one call's or one batch's answer, default 16 MiB; past it the rest
    of a batch is answered with batch_answer_full errors: send those requests again), and
    MEETINGLEDGER_MAX_BATCH_SECONDS (how long a batch's entries are started for, default 60; past it the
    rest is answered with batch_time_up errors, send those again, and its notifications are dropped and logged).
    Memory: at most N MiB of heap and stacks (default 1024, 256 to 16777216; 0 leaves the system's limit
    as it is; MEETINGLEDGER_MAX_MEMORY_MB); a process that would pass it stops (SIGABRT) instead.
    Every database session is bounded (milliseconds, 1 to 86400000; a request past one gets a retryable error):
      MEETINGLEDGER_LOCK_TIMEOUT_MS                 waiting for a lock another session holds (default 10000)
      MEETINGLEDGER_STATEMENT_TIMEOUT_MS            one statement (default 120000; migrations are exempt)
      MEETINGLEDGER_IDLE_IN_TRANSACTION_TIMEOUT_MS  a transaction left idle, e.g. a stopped process (default 30000)
    Sessions are named "meetingd" in pg_stat_activity unless DATABASE_URL sets application_name.
    On SIGTERM (or SIGINT, SIGHUP) meetingd reads nothing more and answers what it had read: for MEETINGLEDGER_STOP_GRACE_MS
    from the signal (default 10000; 0 to a day) it still starts them, a batch's entries each, then answers the rest
    shutting_down (not run). Past the grace, an answer stdout takes nothing of for \(Server.stalledOutputLimitMs / 1000) s is given up with the rest
    (exit status 1).
    MEETINGLEDGER_READ_DATABASE_URL (a hot standby of DATABASE_URL's database) answers the read-only
    calls; each process still reads its own writes, and reads go to the primary while the standby
    is behind them, failing or away, or is no standby of DATABASE_URL's cluster (a restored copy, a
    primary: set aside with a warning) (README: Reading from a hot standby, and failover). For failover, give
    DATABASE_URL every host with target_session_attrs=read-write; MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY=1
    makes every write wait for a synchronous standby, refusing it (retryable 5030) where none is.
    Behind a pooler in transaction mode (PgBouncer pool_mode = transaction) set MEETINGLEDGER_POOLER=transaction
    and give the timeouts to meetingd's role (README: Behind a connection pooler).
    Migrations are read from MEETINGLEDGER_MIGRATIONS, ../share/meetingledger/migrations beside an
    installed meetingd's bin folder, or sql/migrations beside the build; a folder holding a migration newer
    than this meetingd (another release's) is refused, exit status 1. migrate and bootstrap exit 75 when
    something that passes stopped them (the database away, a lock held past the lock timeout: run them
    again) and 1 for a fault to fix (a changed migration, a role that does not own the database).
    serve migrates first; while the database is down or full it answers system.ping (database:
    "unavailable") and every other call with the retryable error 5030, and migrates once it is back.
    A database that refuses the login (password, role, database name) stops serve at start-up;
    met later, calls get the error 5035 (database_refused) until it is fixed, as they do behind a
    pooler in transaction mode meetingd was not told of (MEETINGLEDGER_POOLER). A migration that
    fails for another reason stops serve, at start-up or later. serve and bootstrap refuse a
    migrations folder of an earlier release (exit status 1; MEETINGLEDGER_SERVE_EARLIER_SCHEMA=1
    lets tests that write an earlier release's rows through this meetingd do so).

    --pin-actor PERSON (a per_… id; serve only) makes every call act as that person: a call
    without "actor" acts as them, one naming anyone else is refused (4003), and system.ping
    says who it is; an id no person has stops meetingd at start-up (exit status 2). For an SSH forced command that gives one person, such as an expert, access:
    command="meetingd-for-experts --pin-actor per_…",restrict in authorized_keys, where that
    wrapper sets DATABASE_URL (and MEETINGLEDGER_MIGRATIONS where meetingd finds no migrations of
    its own, see above) and execs meetingd (README: Giving an expert access).

    """

/// A usage mistake: said in plain text with the usage, exit status 2.
func fail(_ message: String) -> Never {
    FileDescriptorWriter.stderr(message + "\n")
    exit(2)
}

/// A failure that stops meetingd (exit status 1, or `temporaryFailureStatus`): a log line like
/// every other it writes, so a log reader that takes JSON lines reads why it stopped.
func fatal(_ message: String, status: Int32 = 1) -> Never {
    Logger(minimum: .error).log(.error, message)
    exit(status)
}

/// A one-shot command stopped by something that passes (the database away, a lock held past the
/// lock timeout): nothing is wrong, running it again is the remedy. EX_TEMPFAIL of sysexits.h,
/// so a script can tell it from a fault to fix (1).
let temporaryFailureStatus: Int32 = 75

/// A one-shot command stopped by something that passes, said so with its exit status.
func failPassing(_ why: String) -> Never {
    fatal(why + " (a passing failure: exit status \(temporaryFailureStatus))", status: temporaryFailureStatus)
}

enum FileDescriptorWriter {
    static func stderr(_ s: String) { _ = Array(s.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) } }
    static func stdout(_ s: String) { _ = Array(s.utf8).withUnsafeBytes { write(1, $0.baseAddress, $0.count) } }
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

var arguments = Array(CommandLine.arguments.dropFirst())
/// The options that take a value: the word after one is its value, never the command.
let optionsWithValues: Set<String> = [
    "--admin-email", "--admin-first", "--admin-last", "--batch-workers", "--community", "--log-level", "--max-memory-mb", "--pin-actor",
    "--short-name", "--time-zone",
]
/// The command is the first word that is not an option or an option's value, wherever it
/// stands (`meetingd --test-clock serve` as `meetingd serve --test-clock`); none: serve.
let commandIndex = arguments.indices.first { i in
    !arguments[i].hasPrefix("-") && (i == 0 || !optionsWithValues.contains(arguments[i - 1]))
}
let command = commandIndex.map { arguments.remove(at: $0) } ?? "serve"

@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name) else { return nil }
    guard i + 1 < arguments.count else { fail("\(name) needs a value\n" + usage) }
    let value = arguments[i + 1]
    arguments.removeSubrange(i...i + 1)
    return value
}

@MainActor func flag(_ name: String) -> Bool {
    guard let i = arguments.firstIndex(of: name) else { return false }
    arguments.remove(at: i)
    return true
}

// Pinned, meetingd only serves: an SSH forced command must never migrate, bootstrap or do
// anything but answer as its one person.
let pinnedActor = option("--pin-actor")
if let pinnedActor {
    guard command == "serve" else { fail("--pin-actor goes only with serve, not with \(command)\n" + usage) }
    guard Identifier.isValid(pinnedActor, kind: .person) else { fail("--pin-actor takes a person id per_… (got \"\(pinnedActor)\")\n" + usage) }
}

if flag("--help") || flag("-h") || command == "help" {
    FileDescriptorWriter.stdout(usage)
    exit(0)
}
if flag("--version") {
    FileDescriptorWriter.stdout(Release.versionLine("meetingd"))
    exit(0)
}

/// Digits only ("+5" and " 5" are not how a number of bytes is written), within Int.
func wholeNumber(_ text: String) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return Int(text)
}

/// A limit from the environment: a whole number of at least 1, or the default when unset. A
/// value that is not one stops meetingd (exit 2) rather than leaving the default in force
/// unnoticed ("2M" is not two million).
@MainActor func limit(_ variable: String, unit: String, default value: Int, minimum: Int = 1, why: String = "") -> Int {
    guard let text = environment(variable) else { return value }
    guard let v = wholeNumber(text), v >= minimum else {
        fail("\(variable) must be a whole number of \(unit) of at least \(minimum)\(why) and at most \(Int.max) (got \"\(text.prefix(40))\")\n" + usage)
    }
    return v
}

var limits = Limits()
limits.maxMessageBytes = limit("MEETINGLEDGER_MAX_MESSAGE_BYTES", unit: "bytes", default: limits.maxMessageBytes)
limits.maxBatchEntries = limit("MEETINGLEDGER_MAX_BATCH", unit: "entries", default: limits.maxBatchEntries)
limits.maxStringLength = limit(
    "MEETINGLEDGER_MAX_STRING", unit: "characters", default: limits.maxStringLength, minimum: Identifier.length,
    why: " (an id is \(Identifier.length) characters: a smaller bound refuses every call that names a person)")
limits.maxAnswerBytes = limit("MEETINGLEDGER_MAX_ANSWER_BYTES", unit: "bytes", default: limits.maxAnswerBytes)
limits.maxBatchSeconds = limit("MEETINGLEDGER_MAX_BATCH_SECONDS", unit: "seconds", default: limits.maxBatchSeconds)

/// After a stop signal, for how long from it the requests already read are still started (milliseconds, 0 or more).
let stopGraceText = environment("MEETINGLEDGER_STOP_GRACE_MS") ?? "10000"
guard let stopGraceMs = wholeNumber(stopGraceText), (0...86_400_000).contains(stopGraceMs) else {
    fail("MEETINGLEDGER_STOP_GRACE_MS must be a whole number of milliseconds from 0 to 86400000 (a day) (got \"\(stopGraceText)\")\n" + usage)
}

let testClock = flag("--test-clock")
let batchWorkersOption = option("--batch-workers")
let batchWorkersText = batchWorkersOption ?? environment("MEETINGLEDGER_BATCH_WORKERS") ?? "4"
guard let batchWorkers = wholeNumber(batchWorkersText), (1...32).contains(batchWorkers) else {
    fail("--batch-workers (MEETINGLEDGER_BATCH_WORKERS) takes 1…32 (got \"\(batchWorkersText)\")\n" + usage)
}
// The options of serve alone (--pin-actor is checked above); --log-level and --max-memory-mb go
// with every command.
for (given, name) in [(testClock, "--test-clock"), (batchWorkersOption != nil, "--batch-workers")] where given && command != "serve" {
    fail("\(name) goes only with serve, not with \(command)\n" + usage)
}
let memoryText = option("--max-memory-mb") ?? environment("MEETINGLEDGER_MAX_MEMORY_MB") ?? String(MemoryCap.defaultMegabytes)
guard let maxMemoryMB = wholeNumber(memoryText), maxMemoryMB == 0 || (MemoryCap.minimumMegabytes...MemoryCap.maximumMegabytes).contains(maxMemoryMB) else {
    fail(
        "--max-memory-mb (MEETINGLEDGER_MAX_MEMORY_MB) takes 0 (no cap) or \(MemoryCap.minimumMegabytes) to \(MemoryCap.maximumMegabytes) (got \"\(memoryText)\")\n"
            + usage)
}
if let problem = MemoryCap.apply(megabytes: maxMemoryMB) { fatal("cannot cap memory at \(maxMemoryMB) MiB: \(problem)") }
let levelName = option("--log-level") ?? environment("MEETINGLEDGER_LOG_LEVEL") ?? "info"
guard let level = Logger.Level(rawValue: levelName) else {
    fail("--log-level (MEETINGLEDGER_LOG_LEVEL) takes debug, info, warning or error (got \"\(levelName)\")\n" + usage)
}
let logger = Logger(minimum: level)
// Unset, libpq's defaults (PGHOST and the rest); set but empty is a mistake, as for the read
// database (discover, which reads no database, does not mind).
if command != "discover", environment("DATABASE_URL")?.allSatisfy(\.isWhitespace) == true {
    fail("DATABASE_URL is set but empty: give the database's connection string, or unset it for libpq's defaults (PGHOST, PGDATABASE …)\n" + usage)
}
let conninfo = environment("DATABASE_URL") ?? ""
/// A connection string libpq cannot read is a mistake in the configuration, told as one before
/// anything is tried (it was told as a login the database refused).
func refuseUnreadable(_ conninfo: String, _ variable: String) {
    guard let problem = Connection.unreadable(conninfo) else { return }
    fail("\(variable) cannot be parsed as a connection string: \(problem); nothing was done. Write it as keyword=value pairs "
        + "(host=… dbname=… user=…, a value with spaces in single quotes) or as a URI postgresql://user@host:port/dbname "
        + "(a % or other reserved character in it written %XX); meetingd --help lists the settings\n")
}
if command != "discover" { refuseUnreadable(conninfo, "DATABASE_URL") }
/// libpq reads a DATABASE_URL with neither `=` nor `://` as the name of a database on its default
/// host: said beside a database that cannot be reached, the likely slip an operator made.
let conninfoHint: String = {
    let text = conninfo.trimmingCharacters(in: .whitespaces)
    guard !text.isEmpty, !text.contains("="), !text.contains("://") else { return "" }
    return "; note: DATABASE_URL (\(text.debugDescription)) has neither \"=\" nor \"://\", so libpq reads it as the name of a database "
        + "on its default host (PGHOST, or the local socket): give host=… dbname=… or postgresql://host/dbname"
}()
let session: SessionSettings
do {
    session = try SessionSettings.fromEnvironment(environment)
} catch let error as PostgresError {
    fail(error.message + "\n" + usage)
}

/// MEETINGLEDGER_SERVE_EARLIER_SCHEMA, read as the other switches are.
let serveEarlierSchema: Bool = {
    let text = environment("MEETINGLEDGER_SERVE_EARLIER_SCHEMA")
    guard let on = SessionSettings.switchValue(text) else {
        fail("MEETINGLEDGER_SERVE_EARLIER_SCHEMA must be 1 or true (tests that write an earlier release's rows), or 0, false or empty (the default), not \((text ?? "").debugDescription)\n" + usage)
    }
    return on
}()

/// `serving`: the command serves calls or writes (serve, bootstrap), so the folder must be this
/// release's whole; `migrate` alone may apply an earlier release's (how the upgrade check and
/// tests make earlier states).
@MainActor func loadMigrations(serving: Bool = true) -> MigrationGate {
    guard let directory = Migrator.locateDirectory(explicit: environment("MEETINGLEDGER_MIGRATIONS")) else {
        fatal("cannot find the migrations: install them as ../\(Migrator.installedPath) beside meetingd's bin folder, "
            + "or set MEETINGLEDGER_MIGRATIONS to the folder (sql/migrations of the source)")
    }
    let migrator: Migrator
    do {
        migrator = try Migrator(directory: directory)
    } catch {
        fatal("cannot read the migrations in \(directory): \(error)")
    }
    let newest = migrator.migrations.last, release = Migrator.number(Release.schemaVersion)
    // A folder of a later release would be applied and served by SQL written for an earlier
    // schema (an earlier folder is how the upgrade check makes earlier states).
    if let newest, newest.version > Release.schemaVersion {
        fatal("the migrations in \(directory) go up to \(newest.label), newer than this meetingd, "
            + "which is written for \(release): nothing was migrated. Install the meetingd of the "
            + "release those migrations came with, or set MEETINGLEDGER_MIGRATIONS to this release's folder")
    }
    // An earlier release's folder leaves the schema behind the SQL this meetingd sends: calls
    // would fail one by one (a column it reads is not there) while ping said ok.
    if serving, (newest?.version ?? 0) < Release.schemaVersion, !serveEarlierSchema {
        fatal("the migrations in \(directory) go up to \(newest?.label ?? "none"), older than this meetingd, which is written for "
            + "\(release): nothing was migrated or served. Set MEETINGLEDGER_MIGRATIONS to this "
            + "release's folder (meetingd migrate alone applies an earlier folder, to make an earlier release's database; tests that write "
            + "an earlier release's rows through this meetingd set MEETINGLEDGER_SERVE_EARLIER_SCHEMA=1)")
    }
    return MigrationGate(migrator: migrator, onMigrated: StartupReport.migrated(logger))
}

func failRefusedLogin(_ error: PostgresError) -> Never {
    fatal("the database refuses meetingd's login: \(error.message)\(conninfoHint); fix DATABASE_URL (or the role, its password or the database it names) and run meetingd again")
}

/// For the one-shot commands: the database must answer and migrate, or the command fails,
/// saying whether running it again is the remedy (exit status 75) or something must be fixed (1).
@MainActor func migrate() -> Connection {
    let migrations = loadMigrations(serving: command != "migrate")
    do {
        let connection = try Connection(conninfo: conninfo, settings: session)
        try migrations.ensureMigrated(on: connection)
        return connection
    } catch let error as PostgresError where error.isRefusedLogin {
        failRefusedLogin(error)
    } catch let error as PostgresError where error.isTemporary {
        let again = "run meetingd \(command) again"
        let why: String
        if error.code == .connectionFailed {
            why = "cannot reach the database (\(error.message))\(conninfoHint); nothing was migrated: start PostgreSQL or fix DATABASE_URL, then \(again)"
        } else if error.code == .readOnly {
            why = "the database is read-only: \(error.message); nothing was migrated: \(again) once DATABASE_URL leads to a writable primary"
        } else if error.isConnectionProblem {
            why = "the database went away while migrating (\(error.message)); each migration is applied whole or not at all: \(again) once it is back"
        } else if error.isLockTimeout {
            why = "the migrations could not finish: \(error.message)" + (command == "migrate" ? "" : "; meetingd \(command) migrates first, so \(again) then")
        } else {
            why = "the migrations could not finish, the database being busy (\(error.message)): \(again)"
        }
        failPassing(why)
    } catch let error as PostgresError where error.code == .configuration {
        fatal("the database connection is set up in a way meetingd cannot work with, nothing was migrated: \(error.message)")
    } catch {
        fatal("migration failed: \((error as? PostgresError)?.message ?? "\(error)")")
    }
}

/// Set and empty is a mistake, not "none": it stops meetingd rather than leave every read on
/// the primary unnoticed.
let readRouting: ReadRouting? = environment("MEETINGLEDGER_READ_DATABASE_URL").map { url in
    guard !url.trimmingCharacters(in: .whitespaces).isEmpty else {
        fail("MEETINGLEDGER_READ_DATABASE_URL is set but empty: give a hot standby's connection string, or unset it\n" + usage)
    }
    refuseUnreadable(url, "MEETINGLEDGER_READ_DATABASE_URL")
    return ReadRouting(conninfo: url)
}

/// Whatever a command has not taken by now is no argument of it: a usage mistake, refused before
/// anything is done (`meetingd migrate --dry-run` must not migrate).
@MainActor func refuseUnknownArguments() {
    guard arguments.isEmpty else { fail("unknown arguments: \(arguments.joined(separator: " "))\n" + usage) }
}

@MainActor func pipelineConfig(migrations: MigrationGate? = nil) -> PipelineConfig {
    PipelineConfig(
        conninfo: conninfo, testClock: testClock, limits: limits, pinnedActor: pinnedActor, session: session, migrations: migrations,
        readRouting: command == "serve" ? readRouting : nil)
}
let info = OpenRPCInfo(
    title: "MeetingLedger", version: Release.version,
    description: "Paid 1-on-1 meetings with experts: scheduling, meeting lifecycle and a double-entry credit ledger, over JSON-RPC 2.0",
    bounds: API.publishedBounds.merging(["max_memory_mb": .int(Int64(maxMemoryMB))]) { service, _ in service },
    extensions: ["booking-rules": API.publishedBookingRules])

switch command {
case "migrate":
    refuseUnknownArguments()
    _ = migrate()
    exit(0)
case "discover":
    refuseUnknownArguments()
    let dispatcher = Dispatcher(
        methods: RequestPipeline(config: pipelineConfig(), logger: logger).methodSpecs(API.all), limits: limits, logger: logger, info: info)
    FileDescriptorWriter.stdout(dispatcher.openRPCDocument().serialized() + "\n")
    exit(0)
case "bootstrap":
    let community = option("--community"), shortName = option("--short-name"), email = option("--admin-email")
    let first = option("--admin-first"), last = option("--admin-last"), zone = option("--time-zone") ?? "UTC"
    guard let community, let shortName, let email, let first, let last else { fail("bootstrap needs every option\n" + usage) }
    refuseUnknownArguments()
    let connection = migrate()
    do {
        let result = try Bootstrap.run(db: connection, community: community, shortName: shortName, adminEmail: email, adminFirst: first, adminLast: last, timeZone: zone)
        FileDescriptorWriter.stdout(result.serialized() + "\n")
        exit(0)
    } catch let e as AppError {
        fatal("bootstrap failed: \(e.message)")
    } catch let error as PostgresError where error.isTemporary {
        // One transaction: whatever stopped it, nothing was created.
        failPassing("bootstrap stopped, nothing created: \(error.message); run meetingd bootstrap again" + (error.isLockTimeout ? " (or raise MEETINGLEDGER_LOCK_TIMEOUT_MS)" : ""))
    } catch {
        fatal("bootstrap failed: \(error)")
    }
case "serve":
    refuseUnknownArguments()
    // A database that is down, full or busy does not stop the start: calls are answered with
    // retryable errors until it is back, and the first connection that can then migrates.
    let migrations = loadMigrations()
    let config = pipelineConfig(migrations: migrations)
    do {
        let primary = try Connection(conninfo: conninfo, settings: session)
        try migrations.ensureMigrated(on: primary)
        // A pin to nobody would refuse every call (4001) for as long as it runs: refused at the
        // start instead, where the database answers (while it is down, the calls say it).
        if let pinnedActor, try primary.query(RequestQueries.community(of: pinnedActor)).isEmpty {
            fail("--pin-actor \(pinnedActor): no person has this id in the database DATABASE_URL leads to, so every call would be refused; "
                + "nothing was served. Pin an existing person's id (meetctl people lists them), or check that DATABASE_URL is the right database\n"
                + usage)
        }
        // Which cluster a read database must belong to, learnt here so that a process that only
        // reads keeps no session on the primary; unknown, the first read database opened asks.
        if let readRouting { try? RequestPipeline.notePrimary(primary, readRouting) }
    } catch let error as PostgresError where error.code == .readOnly {
        logger.log(.warning, "the database is read-only at start-up and lacks migrations this meetingd needs (\(error)); answering database_unavailable until it takes writes")
    } catch let error as PostgresError where error.isTemporary {
        logger.log(.warning, "the database is unavailable at start-up (\(error)); answering database_unavailable until it is back\(conninfoHint)")
    } catch let error as PostgresError where error.isRefusedLogin {
        failRefusedLogin(error)
    } catch let error as PostgresError where error.code == .configuration {
        // A pooler in transaction mode meetingd was not told of: it serves, and every call meets
        // it as 5035 database_refused with what to set, as once started (README: Behind a
        // connection pooler); not a migration fault, and not a reason to stop some processes and
        // not others as the pooler happens to hand out sessions.
        config.sessionHealth.sawMisconfiguration()
        logger.log(.error, "the database refused at start-up: \(error.message); serving: calls that meet it answer database_refused (each tries the migrations again)")
    } catch {
        fatal("migration failed: \(error)")
    }
    exit(Server(config: config, limits: limits, logger: logger, info: info, batchWorkers: batchWorkers, stopGraceMs: stopGraceMs).run())
default:
    fail("unknown command \(command)\n" + usage)
}
