/// One error type for everything the database layer reports. `Code` is a struct of static
/// values (not an enum) so new kinds never break callers that switch on it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public static let connectionFailed = Code(raw: "connection_failed")
        public static let connectionLost = Code(raw: "connection_lost")
        public static let server = Code(raw: "server")
        public static let decoding = Code(raw: "decoding")
        public static let migration = Code(raw: "migration")
        public static let configuration = Code(raw: "configuration")
        /// A write refused because the server takes none (25006): a standby, a primary demoted
        /// by a failover, or one set read-only. The session is dropped, as for a lost one.
        public static let readOnly = Code(raw: "read_only")
        public var description: String { raw }
    }

    public let code: Code
    /// The five-character SQLSTATE for server errors (`40001`, `23505`, …).
    public let sqlState: String?
    public let message: String
    public let detail: String?
    public let constraint: String?

    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        var s = "\(code)"
        if let sqlState { s += " [\(sqlState)]" }
        s += ": \(message)"
        if let constraint { s += " (constraint \(constraint))" }
        return s
    }

    /// Serialization failures and deadlocks: the whole transaction may simply be run again.
    public var isTransient: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// The connection is gone (or the server is shutting down, or takes no writes: the session
    /// is dropped and the next opens anew); the request's outcome is unknown to the caller only
    /// if this happened at COMMIT, and a retry with the same idempotency key resolves that.
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed || code == .readOnly { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
            || Self.sessionEndingStates.contains(sqlState)
    }

    /// The server ended the session itself: its transaction sat idle past
    /// idle_in_transaction_session_timeout (25P03), or the session past idle_session_timeout
    /// (57P05). The open transaction was rolled back; the connection is closed.
    static let sessionEndingStates: Set<String> = ["25P03", "57P05"]

    /// The transaction was ended because the session sat idle inside it (25P03): nothing it
    /// did was committed.
    public var isIdleInTransactionTimeout: Bool { sqlState == "25P03" }

    /// A lock was not granted within lock_timeout (55P03): another session holds it.
    public var isLockTimeout: Bool { sqlState == "55P03" }

    /// The statement ran past statement_timeout, or was cancelled (57014).
    public var isStatementTimeout: Bool { sqlState == "57014" }

    /// The database cannot serve now but may soon: it cannot be reached, ended the session, or
    /// gave up waiting. Worth trying again later; not a fault of the request or the schema.
    public var isTemporary: Bool { (isConnectionProblem && !isRefusedLogin) || isTransient || isLockTimeout || isStatementTimeout }

    /// The server answered the connection and refused its settings for good: a wrong password,
    /// a role or database that does not exist, no pg_hba.conf entry, a role that may not log in,
    /// or a connection string libpq cannot read. Trying again changes nothing until an operator
    /// fixes DATABASE_URL, the role or the database. (libpq gives no SQLSTATE for a failed
    /// connection: the server's words are matched, as it writes them in English.)
    public var isRefusedLogin: Bool {
        guard code == .connectionFailed else { return false }
        return Self.refusedLoginPhrases.contains { message.contains($0) }
    }

    static let refusedLoginPhrases = [
        "password authentication failed", "authentication failed for user", "no pg_hba.conf entry", "does not exist",
        "is not permitted to log in", "permission denied for database", "no password supplied", "invalid connection option",
        "missing \"=\" after", "invalid URI", "invalid sslmode value", "invalid integer value",
        // libpq's other words for a connection string it cannot read (a quote left open, a
        // broken %XX in a URI, a setting's unknown value, hosts and ports that do not pair).
        "in connection info string", "in URI", "percent-encoded", " value: \"", "could not match", "invalid port number",
    ]

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isExclusionViolation: Bool { sqlState == "23P01" }
}
