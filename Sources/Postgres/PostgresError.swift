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

    /// The connection is gone (or the server is shutting down); the request's outcome is
    /// unknown to the caller only if this happened at COMMIT, and a retry with the same
    /// idempotency key resolves that.
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isExclusionViolation: Bool { sqlState == "23P01" }
}
