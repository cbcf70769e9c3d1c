import Core

/// Recurring free time: every `weekday` from `start` to `end` on the expert's wall clock.
public struct WeeklyRule: Sendable, Hashable {
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    public let weekday: Int
    public let start: LocalTimeOfDay
    /// After `start`; `24:00` runs to the end of the day.
    public let end: LocalTimeOfDay
    public let locationIds: [String]
    /// The services this window is offered for; nil offers it for every service.
    public let serviceIds: [String]?

    public init(
        weekday: Int, start: LocalTimeOfDay, end: LocalTimeOfDay, locationIds: [String], serviceIds: [String]? = nil
    ) throws(AppError) {
        guard (1...7).contains(weekday) else {
            throw .invalidParams(field: "weekday", reason: "must be 1 (Monday) … 7 (Sunday), got \(weekday)")
        }
        guard start < end else {
            throw .invalidParams(field: "end", reason: "must be after start (\(start)), got \(end)")
        }
        self.weekday = weekday
        self.start = start
        self.end = end
        self.locationIds = locationIds
        self.serviceIds = serviceIds
    }

    /// The order weekly hours are kept and listed in: by weekday, then start, then end.
    public static func listedBefore(_ a: WeeklyRule, _ b: WeeklyRule) -> Bool {
        (a.weekday, a.start.minutes, a.end.minutes) < (b.weekday, b.start.minutes, b.end.minutes)
    }

    func applies(to serviceId: String?) -> Bool {
        guard let serviceIds, let serviceId else { return true }
        return serviceIds.contains(serviceId)
    }
}

/// One-off free time, offered for every service.
public struct FreePeriod: Sendable, Hashable {
    public var start: Instant
    public var end: Instant
    public var locationIds: [String]

    public init(start: Instant, end: Instant, locationIds: [String]) {
        self.start = start
        self.end = end
        self.locationIds = locationIds
    }
}

/// Time the expert took out of their availability.
public struct BlockedPeriod: Sendable, Hashable {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = end
    }
}

/// Time taken by a meeting that is agreed or holds credits.
public struct BusyPeriod: Sendable, Hashable {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = end
    }
}

/// Everything that decides when one expert is free. Blocked and busy periods apply at every
/// location, since an expert can only be in one place at a time.
extension WeeklyRule {
    /// The rule at its other locations; nil when it had no other.
    func without(_ locations: Set<String>) -> WeeklyRule? {
        let kept = locationIds.filter { !locations.contains($0) }
        guard kept.count < locationIds.count else { return self }
        return kept.isEmpty ? nil : try? WeeklyRule(weekday: weekday, start: start, end: end, locationIds: kept, serviceIds: serviceIds)
    }
}

public struct ExpertAvailability: Sendable {
    public var expertId: String
    /// IANA zone the weekly rules are written in.
    public var timeZone: String
    public var weekly: [WeeklyRule]
    public var free: [FreePeriod]
    public var blocked: [BlockedPeriod]
    public var busy: [BusyPeriod]

    public init(
        expertId: String, timeZone: String, weekly: [WeeklyRule] = [], free: [FreePeriod] = [],
        blocked: [BlockedPeriod] = [], busy: [BusyPeriod] = []
    ) {
        self.expertId = expertId
        self.timeZone = timeZone
        self.weekly = weekly
        self.free = free
        self.blocked = blocked
        self.busy = busy
    }

    /// The availability at the other locations: hours and free periods at retired locations
    /// offer no time (a window at several keeps the others).
    public func without(locations retired: Set<String>) -> ExpertAvailability {
        guard !retired.isEmpty else { return self }
        var kept = self
        kept.weekly = weekly.compactMap { $0.without(retired) }
        kept.free = free.compactMap { p in
            let ids = p.locationIds.filter { !retired.contains($0) }
            return ids.isEmpty ? nil : FreePeriod(start: p.start, end: p.end, locationIds: ids)
        }
        return kept
    }
}
