/// An error a caller can act on: a JSON-RPC code, a stable `data.code` string, whether a retry
/// may succeed, a message for a person, and details. Pure modules throw these; the RPC layer
/// turns them into error responses unchanged.
public struct AppError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: Int
    public let dataCode: String
    public let message: String
    public let retryable: Bool
    public let details: [String: JSON]

    public init(code: Int, dataCode: String, message: String, retryable: Bool = false, details: [String: JSON] = [:]) {
        self.code = code
        self.dataCode = dataCode
        self.message = message
        self.retryable = retryable
        self.details = details
    }

    public var description: String { "\(dataCode): \(message)" }

    public var data: JSON {
        var fields = details
        fields["code"] = .string(dataCode)
        fields["retryable"] = .bool(retryable)
        return .object(fields)
    }

    // MARK: JSON-RPC standard errors

    public static func invalidParams(field: String, reason: String) -> AppError {
        AppError(
            code: -32602, dataCode: "invalid_params", message: "Invalid params: \(field) \(reason)",
            details: ["field": .string(field), "reason": .string(reason)])
    }

    public static func internalError() -> AppError {
        AppError(
            code: -32603, dataCode: "internal_error",
            message: "Internal error: the request was not completed; it is safe to retry with the same idempotency_key")
    }

    // MARK: Application errors (SPEC §3.3)

    public static func unknownActor(_ actor: String?) -> AppError {
        AppError(
            code: 4001, dataCode: "unknown_actor",
            message: actor == nil
                ? "Missing actor: pass \"actor\" with the id of the signed-in person"
                : "Unknown actor: no person has the id given in \"actor\"")
    }

    public static func forbidden(_ why: String) -> AppError {
        AppError(code: 4003, dataCode: "forbidden", message: "Forbidden: \(why)")
    }

    public static func notFound(_ kind: String, _ id: String) -> AppError {
        AppError(
            code: 4004, dataCode: "not_found", message: "Not found: no \(kind) \(id) in this community",
            details: ["kind": .string(kind), "id": .string(id)])
    }

    public static func invalidState(status: String, action: String, why: String? = nil) -> AppError {
        AppError(
            code: 4009, dataCode: "invalid_state",
            message: "Cannot \(action) a meeting whose status is \(status)" + (why.map { ": \($0)" } ?? ""),
            details: ["status": .string(status), "action": .string(action)])
    }

    public static func timeConflict(meetingIds: [String]) -> AppError {
        AppError(
            code: 4010, dataCode: "time_conflict",
            message: "Time conflict: the expert already has an agreed meeting at that time; "
                + "pass accept_conflicts: true to confirm anyway",
            details: ["meeting_ids": .array(meetingIds.map { .string($0) })])
    }

    public static func slotUnavailable(_ why: String) -> AppError {
        AppError(code: 4011, dataCode: "slot_unavailable", message: "Slot unavailable: \(why)")
    }

    public static func meetingStarted(start: Instant) -> AppError {
        AppError(
            code: 4012, dataCode: "meeting_started",
            message: "The meeting's scheduled start (\(start.rfc3339)) has passed",
            details: ["start": .string(start.rfc3339)])
    }

    public static func lateCancellationRequiresConfirmation(windowHours: Int64, consequences: String) -> AppError {
        AppError(
            code: 4013, dataCode: "late_cancellation_requires_confirmation",
            message: "The meeting starts within \(windowHours) hours: \(consequences) Pass confirm_late: true to cancel anyway",
            details: ["window_hours": .int(windowHours), "consequences": .string(consequences)])
    }

    public static func insufficientCredits(available: Int64, required: Int64) -> AppError {
        AppError(
            code: 4020, dataCode: "insufficient_credits",
            message: "Insufficient credits: \(available) available, \(required) required",
            details: ["available": .int(available), "required": .int(required)])
    }

    public static func notEnrolled(_ why: String) -> AppError {
        AppError(code: 4021, dataCode: "not_enrolled", message: "Not enrolled: \(why)")
    }

    public static func usageLimitReached(limit: Int64) -> AppError {
        AppError(
            code: 4022, dataCode: "usage_limit_reached",
            message: "Usage limit reached: at most \(limit) meetings per week", details: ["limit": .int(limit)])
    }

    public static func suspended(until: Instant) -> AppError {
        AppError(
            code: 4023, dataCode: "suspended", message: "The user is suspended until \(until.rfc3339)",
            details: ["until": .string(until.rfc3339)])
    }

    public static func sessionLogRequired(meetingIds: [String]) -> AppError {
        AppError(
            code: 4024, dataCode: "session_log_required",
            message: "Log your past sessions first (meeting.log_session) before doing anything else",
            details: ["meeting_ids": .array(meetingIds.map { .string($0) })])
    }

    public static func idempotencyKeyReused() -> AppError {
        AppError(
            code: 4090, dataCode: "idempotency_key_reused",
            message: "This idempotency_key was already used with different params; use a new key for a new request")
    }

    public static func databaseUnavailable() -> AppError {
        AppError(
            code: 5030, dataCode: "database_unavailable",
            message: "The database is unavailable; nothing was changed unless a retry with the same idempotency_key says so. Retry shortly",
            retryable: true)
    }

    /// Another session held a lock this request needed for longer than the lock timeout.
    public static func lockTimeout() -> AppError {
        AppError(
            code: 5032, dataCode: "lock_timeout",
            message: "Another session held a record this request needed for too long; nothing was changed. Retry with the same idempotency_key",
            retryable: true)
    }

    /// A statement of this request ran longer than the statement timeout (or was cancelled).
    public static func statementTimeout() -> AppError {
        AppError(
            code: 5033, dataCode: "statement_timeout",
            message: "The database stopped this request because it ran too long; nothing was changed. Retry with the same idempotency_key",
            retryable: true)
    }

    /// The database ended the request's transaction because the service sat idle inside it
    /// (the process was paused or stopped) for longer than the idle-in-transaction timeout.
    public static func transactionIdleTimeout() -> AppError {
        AppError(
            code: 5034, dataCode: "transaction_idle_timeout",
            message: "The database ended this request's transaction because the service paused inside it for too long; nothing was changed. Retry with the same idempotency_key",
            retryable: true)
    }
}
