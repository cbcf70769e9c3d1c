import Core

public struct SlotQuery: Sendable {
    /// Slots start in [from, to); the range spans at most `SchedulingLimits.maxRangeDays`.
    public var from: Instant
    public var to: Instant
    public var lengthMinutes: Int64
    /// Starts fall on local midnight + k × `slotMinutes` in `gridTimeZone`.
    public var slotMinutes: Int64
    /// Now plus the minimum notice: no slot starts before it.
    public var earliestStart: Instant
    /// Now plus the booking horizon: no slot starts after it.
    public var latestStart: Instant
    public var locationId: String?
    /// Weekly rules restricted to other services are left out; nil counts every rule.
    public var serviceId: String?
    /// The community's zone, so every user sees the same grid whatever the experts' zones.
    public var gridTimeZone: String

    public init(
        from: Instant, to: Instant, lengthMinutes: Int64, slotMinutes: Int64, earliestStart: Instant,
        latestStart: Instant, locationId: String? = nil, serviceId: String? = nil, gridTimeZone: String
    ) {
        self.from = from
        self.to = to
        self.lengthMinutes = lengthMinutes
        self.slotMinutes = slotMinutes
        self.earliestStart = earliestStart
        self.latestStart = latestStart
        self.locationId = locationId
        self.serviceId = serviceId
        self.gridTimeZone = gridTimeZone
    }
}

public struct SlotExpert: Sendable, Hashable {
    public let expertId: String
    /// Sorted.
    public let locationIds: [String]
}

public struct Slot: Sendable, Hashable {
    public let start: Instant
    public let end: Instant
    /// Sorted by expert id; never empty.
    public let experts: [SlotExpert]
}

/// One calendar of bookable slots merged from several experts' availability, sorted by start.
/// An expert is listed at a slot with each location where the whole meeting is free.
///
/// Cost: each expert's expansion is linear in days, and each free period finds its first
/// start by binary search, so the total is linear in experts × days plus the slots returned.
public func slots(for experts: [ExpertAvailability], query: SlotQuery) throws(AppError) -> [Slot] {
    guard (1...SchedulingLimits.maxLengthMinutes).contains(query.lengthMinutes) else {
        throw .invalidParams(
            field: "length_minutes",
            reason: "must be 1…\(SchedulingLimits.maxLengthMinutes), got \(query.lengthMinutes)")
    }
    guard (1...1440).contains(query.slotMinutes) else {
        throw .invalidParams(field: "slot_minutes", reason: "must be 1…1440, got \(query.slotMinutes)")
    }
    try SchedulingLimits.checkRange(from: query.from, to: query.to)
    guard let gridClock = ZoneClock(identifier: query.gridTimeZone) else {
        throw .invalidParams(field: "time_zone", reason: "\"\(query.gridTimeZone)\" is not a known IANA time zone")
    }
    let order = experts.indices.sorted { experts[$0].expertId < experts[$1].expertId }
    for (a, b) in zip(order, order.dropFirst()) where experts[a].expertId == experts[b].expertId {
        throw .invalidParams(field: "expert_id", reason: "expert \(experts[a].expertId) is listed twice")
    }

    // `latestStart` itself may be booked, while `to` ends a half-open range.
    let startWindow = Period(
        start: max(query.from, query.earliestStart),
        end: min(query.to, Instant(microseconds: query.latestStart.microseconds + 1)))
    let starts = startTimes(in: startWindow, clock: gridClock, slotMinutes: query.slotMinutes)
    guard let firstStart = starts.first, let lastStart = starts.last, !experts.isEmpty else { return [] }
    guard experts.count * starts.count <= SchedulingLimits.maxExpertStartTimes else {
        throw .invalidParams(
            field: "to",
            reason: "\(experts.count) experts × \(starts.count) start times is more than "
                + "\(SchedulingLimits.maxExpertStartTimes) to check; search a shorter range or filter by expert")
    }

    let reach = Period(start: firstStart, end: lastStart.adding(minutes: query.lengthMinutes))
    var locationIdsByRank: [[String]] = []
    var hitsByStart = [[(expertRank: Int, locationIndex: Int)]](repeating: [], count: starts.count)
    for (rank, index) in order.enumerated() {
        let free = try experts[index].freePeriods(serviceId: query.serviceId, within: reach, locationId: query.locationId)
            .sorted { $0.key < $1.key }
        locationIdsByRank.append(free.map(\.key))
        for (locationIndex, periods) in free.map(\.value).enumerated() {
            for period in periods {
                var s = firstIndex(in: starts, atOrAfter: period.start)
                while s < starts.count, starts[s].adding(minutes: query.lengthMinutes) <= period.end {
                    hitsByStart[s].append((rank, locationIndex))
                    s += 1
                }
            }
        }
    }

    // Experts were visited in id order and locations in id order, so each list is already sorted.
    var result: [Slot] = []
    for (s, hits) in hitsByStart.enumerated() where !hits.isEmpty {
        var slotExperts: [SlotExpert] = []
        var i = 0
        while i < hits.count {
            let rank = hits[i].expertRank
            var locationIds: [String] = []
            while i < hits.count, hits[i].expertRank == rank {
                locationIds.append(locationIdsByRank[rank][hits[i].locationIndex])
                i += 1
            }
            slotExperts.append(SlotExpert(expertId: experts[order[rank]].expertId, locationIds: locationIds))
        }
        result.append(Slot(start: starts[s], end: starts[s].adding(minutes: query.lengthMinutes), experts: slotExperts))
    }
    return result
}

/// Grid instants in `window`, counted in real time from each local midnight, so a 23- or
/// 25-hour day has one hour fewer or more of starts and every day begins at midnight again.
private func startTimes(in window: Period, clock: ZoneClock, slotMinutes: Int64) -> [Instant] {
    var starts: [Instant] = []
    guard !window.isEmpty else { return starts }
    let midnight = LocalTimeOfDay(minutes: 0)
    var date = clock.local(window.start).date
    var dayStart = clock.instant(on: date, at: midnight)
    while dayStart < window.end {
        let nextDayStart = clock.instant(on: date.adding(days: 1), at: midnight)
        var start = dayStart
        while start < nextDayStart, start < window.end {
            if start >= window.start { starts.append(start) }
            start = start.adding(minutes: slotMinutes)
        }
        date = date.adding(days: 1)
        dayStart = nextDayStart
    }
    return starts
}

private func firstIndex(in sorted: [Instant], atOrAfter instant: Instant) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
        let mid = (low + high) / 2
        if sorted[mid] < instant { low = mid + 1 } else { high = mid }
    }
    return low
}
