import Core

/// Bounds on the work one call may ask for, since callers choose the ranges.
public enum SchedulingLimits {
    public static let maxRangeDays: Int64 = 366
    /// Longest meeting a search or booking check considers.
    public static let maxLengthMinutes: Int64 = 1440
    /// Experts × candidate start times in one search: about 800 experts over 90 days of
    /// 30-minute slots. A sparse calendar may need that many checked to fill one page.
    public static let maxExpertStartTimes = 4_000_000
    /// Slots in one page of a search unless the caller asks for fewer or more: a week of a
    /// 30-minute grid round the clock is 336.
    public static let defaultSlotsPerPage = 500
    public static let maxSlotsPerPage = 2000
    /// Expert-location pairs listed in one page of a search (40 to 110 bytes each in JSON), so
    /// a page stays within about 1.3 MB however many experts are free at each start.
    public static let maxListingsPerPage = 10_000
    /// Periods (free, blocked, one-off) in one answer about an expert's calendar: up to about
    /// 200 bytes each.
    public static let maxPeriodsPerAnswer = 2000
    /// Locations, and services, an expert's weekly hours name in all (each window's lists added
    /// up): every search over the community reads every expert's, so 200 windows of 50 places
    /// each for a thousand experts made one search of an hour run out of memory.
    public static let maxWeeklyReferences = 1000

    static let maxRangeMicroseconds = maxRangeDays * 86_400 * 1_000_000

    /// A range a calendar read may cover: `to` after `from`, at most `maxRangeDays` later.
    public static func checkRange(from: Instant, to: Instant) throws(AppError) {
        guard from < to else {
            throw .invalidParams(field: "to", reason: "must be after from (\(from.rfc3339)), got \(to.rfc3339)")
        }
        guard to.microseconds - from.microseconds <= maxRangeMicroseconds else {
            throw .invalidParams(
                field: "to", reason: "must be at most \(maxRangeDays) days after from; search a shorter range")
        }
    }
}
