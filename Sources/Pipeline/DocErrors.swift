import Core

/// Sample errors for documentation in `rpc.discover` (only their codes are published).
public enum DocErrors {
    public static let notFound = AppError.notFound("", "")
    public static let invalidState = AppError.invalidState(status: "", action: "")
    public static let timeConflict = AppError.timeConflict(meetingIds: [])
    public static let slotUnavailable = AppError.slotUnavailable("", pointsToSearch: false)
    public static let meetingStarted = AppError.meetingStarted(start: Instant(seconds: 0))
    public static let lateCancellation = AppError.lateCancellationRequiresConfirmation(windowHours: 0, consequences: "")
    public static let insufficientCredits = AppError.insufficientCredits(available: 0, required: 0)
    public static let notEnrolled = AppError.notEnrolled("")
    public static let usageLimit = AppError.usageLimitReached(limit: 0)
    public static let suspended = AppError.suspended(until: Instant(seconds: 0))
    public static let sessionLog = AppError.sessionLogRequired(meetingIds: [])
    /// What any call that reaches the database may meet (each retryable; nothing was changed).
    public static let databaseRetryable = [
        AppError(.contention, message: "", retryable: true), AppError.lockTimeout(), AppError.statementTimeout(), AppError.transactionIdleTimeout(),
    ]
    /// What a call reading its community's settings meets when the stored document does not load.
    public static let settingsUnreadable = AppError.settingsUnreadable(field: "", reason: "")
}
