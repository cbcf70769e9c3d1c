import Foundation

/// Applies `NNNN_name.sql` files in order, each in its own transaction, recording a checksum
/// per file. An advisory lock taken in each of its transactions makes concurrent processes take
/// turns, so a migration never runs twice. An applied file whose text changed is refused, unless
/// the text applied is one of the file's earlier versions listed in `earlier_versions.txt` (a
/// released text that was edited later, whose effect the later migrations restate:
/// scripts/check-upgrades proves it). A database that applied a migration this folder does not
/// have was made by a newer release and is refused. Waiting for that lock, or for a table a
/// migration changes, lasts at most the session's lock timeout.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String

        /// Its file's name without `.sql`, as messages name it (`0123_statements_show_incoming_credits`).
        public var label: String { Migrator.number(version) + "_" + name }
    }

    /// A migration's number as its file writes it: four digits (`0123`).
    public static func number(_ version: Int) -> String { String(format: "%04d", version) }

    static let advisoryLockKey: Int64 = 7_710_001

    public let migrations: [Migration]
    /// Per version, the checksums of the file's earlier released texts (`earlier_versions.txt`).
    public let earlierChecksums: [Int: Set<String>]

    /// The file beside the migrations that lists their earlier versions: one line per text,
    /// `NNNN <sha256 of the earlier text> <the file it was>`; `#` starts a comment.
    public static let earlierVersionsFile = "earlier_versions.txt"

    public init(directory: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw PostgresError(code: .migration, message: "there is no folder there (MEETINGLEDGER_MIGRATIONS names the folder of sql/migrations)")
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw PostgresError(code: .migration, message: "the folder cannot be listed (check its permissions)")
        }
        let names = entries.filter { $0.hasSuffix(".sql") }.sorted()
        var found: [Migration] = []
        for file in names {
            let stem = String(file.dropLast(4))
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw PostgresError(code: .migration, message: "migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try Migrator.text(of: directory + "/" + file)
            found.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        for (a, b) in zip(found, found.dropFirst()) where a.version == b.version {
            throw PostgresError(code: .migration, message: "two migrations share version \(a.version)")
        }
        // A folder without them (its parent, a copy nested one level too deep) would migrate
        // nothing and leave every call failing on missing tables.
        guard !found.isEmpty else {
            throw PostgresError(code: .migration, message: "\(directory) holds no NNNN_name.sql migration files: point MEETINGLEDGER_MIGRATIONS at the folder that does")
        }
        migrations = found
        let listed = directory + "/" + Migrator.earlierVersionsFile
        earlierChecksums = FileManager.default.fileExists(atPath: listed)
            ? try Migrator.earlierChecksums(try Migrator.text(of: listed))
            : [:]
    }

    /// A file of the folder as UTF-8 text; one that is not says which it is.
    static func text(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PostgresError(code: .migration, message: "\(path) cannot be read as UTF-8 text")
        }
        return text
    }

    /// Reads `earlier_versions.txt`: each line a version and a SHA-256 in hex. A version the
    /// folder no longer has is a retired migration: a database that applied that text is
    /// upgraded by the later migrations, which undo or restate it.
    static func earlierChecksums(_ text: String) throws -> [Int: Set<String>] {
        var sums: [Int: Set<String>] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard !fields.isEmpty else { continue }
            guard fields.count >= 2, let version = Int(fields[0]), version > 0,
                fields[1].count == 64, fields[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else {
                throw PostgresError(
                    code: .migration,
                    message: "\(earlierVersionsFile) line \(index + 1) is not `NNNN <sha256 in lowercase hex> <the file it was>`")
            }
            sums[version, default: []].insert(String(fields[1]))
        }
        return sums
    }

    /// Where an installed `meetingd` finds its migrations, beside its `bin` folder
    /// (`/usr/local/bin/meetingd` → `/usr/local/share/meetingledger/migrations`).
    public static let installedPath = "share/meetingledger/migrations"

    /// Finds the migrations from an explicit setting (an empty one is none), an installation's
    /// `share/meetingledger/migrations` beside the executable's `bin` folder, or the folders above
    /// the running executable (a SwiftPM build lives under `.build/` in the checkout). Never the
    /// working directory: whoever controls it would choose the SQL run as the database owner.
    public static func locateDirectory(explicit: String?) -> String? {
        let fm = FileManager.default
        if let explicit, !explicit.isEmpty { return explicit }
        var candidates: [String] = []
        var dir = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        candidates.append(dir.deletingLastPathComponent().path + "/" + installedPath)
        for _ in 0..<6 {
            candidates.append(dir.path + "/sql/migrations")
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { fm.fileExists(atPath: $0) }
    }

    /// A migration the server refused, named, with what to do when the role lacks a privilege
    /// (SQLSTATE 42501): the migrations create and alter the finance roles and their grants.
    static func failed(_ migration: Migration, _ error: PostgresError, lockTimeoutMs: Int) -> PostgresError {
        var message = "migration \(migration.label) failed, nothing of it applied: \(error.message)"
        if error.isLockTimeout {
            message += ": a table it changes is locked by another session past the lock timeout (\(lockTimeoutMs) ms; pg_locks shows the session). "
                + "Run meetingd migrate again once that session is done, or raise \(SessionSettings.lockTimeoutVariable)"
        } else if error.sqlState == "42501" {
            message += ". The database role meetingd connects as lacks a privilege this migration needs: the migrations create and alter "
                + "the finance roles (CREATEROLE) and grant on what they create; give the role CREATEROLE, or run `meetingd migrate` once "
                + "as a superuser or the database's owner with CREATEROLE, then start meetingd as before"
        }
        // A connection lost or a wait given up midway is no fault of the migration: it keeps its
        // kind, so it is retried as the database comes back rather than taken for a broken one.
        return PostgresError(
            code: error.isTemporary ? error.code : .migration, sqlState: error.sqlState, message: message, detail: error.detail, constraint: error.constraint)
    }

    /// The role lacks a privilege before any migration runs (the migrations' lock, which
    /// finance_lockdown() leaves to the owner of MeetingLedger's tables, or creating their
    /// table): it is not the role that owns the database and its tables, which meetingd's role
    /// must be. Names both roles when the server says them.
    static func notTheOwner(_ error: PostgresError, _ connection: Connection) -> PostgresError {
        var who = "the role meetingd connects as does not own the database and its tables"
        if let row = try? connection.query(
            """
            SELECT current_user AS role, current_database() AS database,
                   coalesce((SELECT c.relowner::regrole::text FROM pg_class c WHERE c.oid = to_regclass('public.schema_migrations')),
                            (SELECT pg_get_userbyid(d.datdba) FROM pg_database d WHERE d.datname = current_database())) AS owner
            """
        ).one(), let role = try? row.string("role"), let database = try? row.string("database"), let owner = try? row.string("owner") {
            who = "the role \(role) does not own the database \(database) and its tables (\(owner) does)"
        }
        return PostgresError(
            code: .migration, sqlState: error.sqlState,
            message: "\(error.message), nothing applied: \(who), and meetingd's role must own the database and what "
                + "the migrations made (README: Backups and restores). Set DATABASE_URL's user to the owning role, then run meetingd again")
    }

    /// Takes the migrations' lock for the rest of the transaction: held by no session between
    /// two transactions, so a pooler in transaction mode cannot leave it behind on a session it
    /// gives to another client. Waiting for it lasts at most the session's lock timeout.
    static func lock(_ c: Connection) throws {
        do {
            try c.query("SELECT pg_advisory_xact_lock($1)", [Migrator.advisoryLockKey])
        } catch let error as PostgresError where error.sqlState == "55P03" {
            // Another process holds the migrations' lock: it is applying them.
            throw PostgresError(
                code: .migration, sqlState: error.sqlState,
                message: "another process is applying the migrations and did not finish within the lock timeout "
                    + "(\(c.settings.lockTimeoutMs) ms): run meetingd migrate again once it is done, or raise \(SessionSettings.lockTimeoutVariable)")
        }
    }

    /// The applied migrations, by version: name and checksum.
    static func applied(_ c: Connection) throws -> [Int: (name: String, checksum: String)] {
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try c.query("SELECT version, name, checksum FROM schema_migrations") {
            applied[Int(try row.int("version"))] = (try row.string("name"), try row.string("checksum"))
        }
        return applied
    }

    /// Returns the versions applied by this call. Each migration runs in a transaction of its
    /// own, under the migrations' lock, after checking that no other process applied it since.
    @discardableResult
    public func apply(on connection: Connection) throws -> [Int] {
        let applied: [Int: (name: String, checksum: String)]
        var readOnly: PostgresError?
        do {
            applied = try connection.transaction(maxAttempts: 1) { c in
                try Migrator.lock(c)
                try c.simpleExecute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
                return try Migrator.applied(c)
            }
        } catch let error as PostgresError where error.sqlState == "42501" {
            throw Migrator.notTheOwner(error, connection)
        } catch let error as PostgresError where error.isLockTimeout && error.code == .server {
            throw PostgresError(
                code: .server, sqlState: error.sqlState,
                message: "the migrations' table (schema_migrations) is locked by another session past the lock timeout "
                    + "(\(connection.settings.lockTimeoutMs) ms; pg_locks shows the session), nothing applied: run meetingd migrate again "
                    + "once that session is done, or raise \(SessionSettings.lockTimeoutVariable)")
        } catch let error as PostgresError where error.sqlState == "25006" {
            // A server that takes no writes (a standby, or a primary set read-only) is served as
            // it is when its schema is this release's: checked below without writing; a migration
            // it lacks cannot be applied there, and that error stands.
            // (The refusal dropped the session, as one to a demoted primary is: opened again.)
            guard (try? connection.ensureConnected()) != nil, let found = try? Migrator.applied(connection) else { throw error }
            applied = found
            readOnly = error
        }
        let known = Set(migrations.map(\.version))
        let unknown = applied.filter { version, row in !known.contains(version) && earlierChecksums[version]?.contains(row.checksum) != true }
        if let (version, row) = unknown.max(by: { $0.key < $1.key }) {
            throw PostgresError(
                code: .migration,
                message: "this database has migration \(Migrator.number(version))_\(row.name), which the migrations given do not have "
                    + "(they go up to \(migrations.last?.label ?? "none")): a newer (or another) release migrated it, or the folder is an "
                    + "earlier release's (MEETINGLEDGER_MIGRATIONS). Run that release or a newer one against it, with its own folder "
                    + "(a database is never migrated back)")
        }
        var newlyApplied: [Int] = []
        for migration in migrations {
            let checksum = try connection.query(
                "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS sum", [migration.sql]
            ).one().string("sum")
            if let existing = applied[migration.version]?.checksum {
                try check(migration, applied: existing, checksum: checksum)
                continue
            }
            if let readOnly { throw readOnly }
            do {
                let ran = try connection.transaction(maxAttempts: 1) { c -> Bool in
                    try Migrator.lock(c)
                    // Another process may have applied it since the first read.
                    if let existing = try Migrator.applied(c)[migration.version]?.checksum {
                        try check(migration, applied: existing, checksum: checksum)
                        return false
                    }
                    // A migration may rewrite a large table: only waiting for locks stays bounded.
                    try c.simpleExecute("SET LOCAL statement_timeout = 0")
                    try c.simpleExecute(migration.sql, unbounded: true)
                    try c.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, checksum])
                    return true
                }
                if ran { newlyApplied.append(migration.version) }
            } catch let error as PostgresError where error.code == .server {
                throw Migrator.failed(migration, error, lockTimeoutMs: connection.settings.lockTimeoutMs)
            }
        }
        return newlyApplied
    }

    /// An applied migration's recorded text must be this release's or one of its earlier ones.
    func check(_ migration: Migration, applied existing: String, checksum: String) throws {
        guard existing == checksum || earlierChecksums[migration.version]?.contains(existing) == true else {
            throw PostgresError(
                code: .migration,
                message: "migration \(migration.label) was changed after it was applied: this database applied a text "
                    + "(sha256 \(existing.prefix(12))…) that is neither this release's nor one of its earlier versions in \(Migrator.earlierVersionsFile). "
                    + "If you edited the file, restore it and add a new migration instead; if another build made this database, "
                    + "upgrade it with a release whose migrations list that text")
        }
    }
}
