import Core

/// Bounds on the work one call may ask for, since callers choose the ranges.
public enum SchedulingLimits {
    public static let maxRangeDays: Int64 = 366
    /// Longest meeting a booking check considers.
    public static let maxLengthMinutes: Int64 = 1440

    static let maxRangeMicroseconds = maxRangeDays * 86_400 * 1_000_000

    static func checkRange(from: Instant, to: Instant) throws(AppError) {
        guard from < to else {
            throw .invalidParams(field: "to", reason: "must be after from (\(from.rfc3339)), got \(to.rfc3339)")
        }
        guard to.microseconds - from.microseconds <= maxRangeMicroseconds else {
            throw .invalidParams(
                field: "to", reason: "must be at most \(maxRangeDays) days after from; search a shorter range")
        }
    }
}
