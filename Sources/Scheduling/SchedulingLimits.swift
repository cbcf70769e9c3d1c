import Core

/// Bounds on the work one call may ask for, since callers choose the ranges.
public enum SchedulingLimits {
    public static let maxRangeDays: Int64 = 366
    /// Longest meeting a search or booking check considers.
    public static let maxLengthMinutes: Int64 = 1440
    /// Experts × candidate start times in one search: about 800 experts over 90 days of
    /// 30-minute slots, and the memory a worst-case answer (everyone free everywhere) needs.
    public static let maxExpertStartTimes = 4_000_000

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
