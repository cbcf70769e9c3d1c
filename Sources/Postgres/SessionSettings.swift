/// What every session a process opens is bounded by, so that no other session can make it
/// wait for ever and it can make no other session wait for ever: a statement runs at most
/// `statementTimeoutMs`, waits for a lock at most `lockTimeoutMs`, and a transaction left idle
/// (the process stopped or stuck between two statements) is ended by the server after
/// `idleInTransactionTimeoutMs`, releasing its locks. The defaults keep a healthy request
/// (milliseconds) far inside every bound.
public struct SessionSettings: Sendable, Equatable {
    /// Shown in `pg_stat_activity.application_name` unless the connection string names one.
    public var applicationName: String
    public var statementTimeoutMs: Int
    public var lockTimeoutMs: Int
    public var idleInTransactionTimeoutMs: Int
    /// The connection goes through a pooler that hands each transaction to any of its server
    /// sessions (PgBouncer's `pool_mode = transaction`): nothing is kept in a session, so no
    /// statement is prepared under a name (each is parsed with its call), and the bounds above
    /// must be the role's own settings (README: "Behind a connection pooler").
    public var transactionPooled: Bool
    /// Every write is refused (retryably) unless the primary commits it synchronously to a
    /// standby: a primary that turned synchronous replication off (pg_auto_failover's
    /// `wait_primary`) would otherwise acknowledge writes a failover can lose (README: Failover).
    public var requireSynchronousStandby = false

    public init(
        applicationName: String, statementTimeoutMs: Int, lockTimeoutMs: Int, idleInTransactionTimeoutMs: Int, transactionPooled: Bool = false
    ) {
        self.applicationName = applicationName
        self.statementTimeoutMs = statementTimeoutMs
        self.lockTimeoutMs = lockTimeoutMs
        self.idleInTransactionTimeoutMs = idleInTransactionTimeoutMs
        self.transactionPooled = transactionPooled
    }

    public static let standard = SessionSettings(
        applicationName: "meetingd", statementTimeoutMs: 120_000, lockTimeoutMs: 10_000, idleInTransactionTimeoutMs: 30_000)

    /// The environment variables that set the bounds, each in milliseconds.
    public static let statementTimeoutVariable = "MEETINGLEDGER_STATEMENT_TIMEOUT_MS"
    public static let lockTimeoutVariable = "MEETINGLEDGER_LOCK_TIMEOUT_MS"
    public static let idleInTransactionTimeoutVariable = "MEETINGLEDGER_IDLE_IN_TRANSACTION_TIMEOUT_MS"
    /// `transaction` when DATABASE_URL leads to a transaction-mode pooler; `none` (the default)
    /// for PostgreSQL itself or a session-mode pooler.
    public static let poolerVariable = "MEETINGLEDGER_POOLER"
    /// `1` (or `true`): writes only where a synchronous standby confirms them.
    public static let requireSynchronousStandbyVariable = "MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY"

    /// A switch read from the environment: on for `1` or `true`, off for `0`, `false`, empty or
    /// unset; nil for anything else, a mistake its reader refuses.
    public static func switchValue(_ text: String?) -> Bool? {
        switch text ?? "" {
        case "", "0", "false": return false
        case "1", "true": return true
        default: return nil
        }
    }

    /// A bound must be positive (0 would mean "wait for ever") and at most a day.
    public static let timeoutRangeMs = 1...86_400_000

    /// The standard settings with each variable that is set (looked up by `environment`)
    /// replacing its bound. An unparsable or out-of-range value is an error that names it.
    public static func fromEnvironment(_ environment: (String) -> String?) throws -> SessionSettings {
        func milliseconds(_ name: String, default value: Int) throws -> Int {
            // Set but empty is refused, as every number meetingd reads from its environment is.
            guard let text = environment(name) else { return value }
            guard let parsed = Int(text), timeoutRangeMs.contains(parsed) else {
                throw PostgresError(
                    code: .configuration,
                    message: "\(name) must be a whole number of milliseconds from \(timeoutRangeMs.lowerBound) "
                        + "to \(timeoutRangeMs.upperBound), not \(text.debugDescription)")
            }
            return parsed
        }
        var settings = SessionSettings.standard
        settings.statementTimeoutMs = try milliseconds(statementTimeoutVariable, default: settings.statementTimeoutMs)
        settings.lockTimeoutMs = try milliseconds(lockTimeoutVariable, default: settings.lockTimeoutMs)
        settings.idleInTransactionTimeoutMs = try milliseconds(idleInTransactionTimeoutVariable, default: settings.idleInTransactionTimeoutMs)
        let synchronousOnly = environment(requireSynchronousStandbyVariable)
        guard let requireSynchronousStandby = switchValue(synchronousOnly) else {
            throw PostgresError(
                code: .configuration,
                message: "\(requireSynchronousStandbyVariable) must be 1 or true (writes only where a synchronous standby confirms them), or 0, false or empty (the default), not \((synchronousOnly ?? "").debugDescription)")
        }
        settings.requireSynchronousStandby = requireSynchronousStandby
        switch environment(poolerVariable) ?? "" {
        case "", "none", "session": settings.transactionPooled = false
        case "transaction": settings.transactionPooled = true
        case let other:
            throw PostgresError(
                code: .configuration,
                message: "\(poolerVariable) must be transaction (DATABASE_URL leads to a pooler in transaction mode), or session or none (the default), not \(other.debugDescription)")
        }
        return settings
    }

    /// The statements that apply the bounds to a new session, and READ COMMITTED whatever the
    /// server's default: each statement sees what committed before it began, which the locks
    /// taken in one statement and the reads in the next rest on (and a read on a standby, on the
    /// commits its first statement found replayed). The values are integers, never text from
    /// outside, so they can be part of the SQL.
    var setStatements: String {
        "SET statement_timeout = \(statementTimeoutMs); SET lock_timeout = \(lockTimeoutMs); "
            + "SET idle_in_transaction_session_timeout = \(idleInTransactionTimeoutMs); SET default_transaction_isolation = 'read committed'"
    }
}
