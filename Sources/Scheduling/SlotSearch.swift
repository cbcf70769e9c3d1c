import Core

public struct SlotQuery: Sendable {
    /// Slots start in [from, to); the range spans at most `SchedulingLimits.maxRangeDays`.
    public var from: Instant
    public var to: Instant
    public var lengthMinutes: Int64
    /// Starts fall on the wall-clock times local midnight + k × `slotMinutes` in `gridTimeZone`
    /// (`SlotGrid`).
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
    /// Only starts after this one: the last start of the previous page.
    public var after: Instant?
    /// Most slots in one page, 1…`SchedulingLimits.maxSlotsPerPage`.
    public var maxSlots: Int
    /// Most expert-location listings in one page: a page ends before the slot that would pass
    /// it, though it always holds at least one slot.
    public var maxListings: Int
    /// Sorted spans no slot starts in, whoever is free: the weeks the learner's weekly limit has
    /// filled (`BookingRules.fullWeeks`), where a request would be refused.
    public var closed: [Period] = []

    public init(
        from: Instant, to: Instant, lengthMinutes: Int64, slotMinutes: Int64, earliestStart: Instant,
        latestStart: Instant, locationId: String? = nil, serviceId: String? = nil, gridTimeZone: String, after: Instant? = nil,
        maxSlots: Int = SchedulingLimits.defaultSlotsPerPage, maxListings: Int = SchedulingLimits.maxListingsPerPage
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
        self.after = after
        self.maxSlots = maxSlots
        self.maxListings = maxListings
    }

    /// Where starts may fall: [from, to) after `after`, from the earliest start to the latest.
    public var startWindow: Period {
        var start = max(from, earliestStart)
        if let after { start = max(start, Instant(microseconds: after.microseconds + 1)) }
        // `latestStart` itself may be booked, while `to` ends a half-open range.
        return Period(start: start, end: min(to, Instant(microseconds: latestStart.microseconds + 1)))
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

    /// Expert-location pairs listed: what makes a slot's answer long.
    public var listingCount: Int { experts.reduce(0) { $0 + $1.locationIds.count } }
}

/// Slots from the start of a query's window, up to its page bounds.
public struct SlotPage: Sendable, Equatable {
    public let slots: [Slot]
    /// The page stopped at its bounds before the end of the window: ask again with `after` set
    /// to the last start listed for the rest (which may hold no slot).
    public let isCut: Bool
    /// Grid starts the search worked through, each checked for every expert: its work.
    public let startsChecked: Int
}

/// One page of the calendar of bookable slots merged from several experts' availability,
/// sorted by start. An expert is listed at a slot with each location where the whole meeting
/// is free.
///
/// Cost: the grid's starts are worked through in chunks, the first as long as a full page could
/// need and each next one twice as long, until the page is full; so the work stops within about
/// twice what the page needed (the whole window when it holds fewer slots than a page). In each
/// chunk every expert's expansion is linear in days, and each free period finds its first start
/// by binary search, so the total is linear in experts × days searched plus the slots found.
public func slots(for experts: [ExpertAvailability], query: SlotQuery) throws(AppError) -> SlotPage {
    guard (1...SchedulingLimits.maxLengthMinutes).contains(query.lengthMinutes) else {
        throw .invalidParams(
            field: "length_minutes",
            reason: "must be 1…\(SchedulingLimits.maxLengthMinutes), got \(query.lengthMinutes)")
    }
    guard (1...1440).contains(query.slotMinutes) else {
        throw .invalidParams(field: "slot_minutes", reason: "must be 1…1440, got \(query.slotMinutes)")
    }
    guard (1...SchedulingLimits.maxSlotsPerPage).contains(query.maxSlots) else {
        throw .invalidParams(field: "limit", reason: "must be 1…\(SchedulingLimits.maxSlotsPerPage), got \(query.maxSlots)")
    }
    precondition(query.maxListings >= 1, "a page must be able to list one expert")
    try SchedulingLimits.checkRange(from: query.from, to: query.to)
    guard let gridClock = ZoneClock(identifier: query.gridTimeZone) else {
        throw .invalidParams(field: "time_zone", reason: "\"\(query.gridTimeZone)\" is not a known IANA time zone")
    }
    let order = experts.indices.sorted { experts[$0].expertId < experts[$1].expertId }
    for (a, b) in zip(order, order.dropFirst()) where experts[a].expertId == experts[b].expertId {
        throw .invalidParams(field: "expert_id", reason: "expert \(experts[a].expertId) is listed twice")
    }

    let starts = openStarts(SlotGrid.starts(in: query.startWindow, slotMinutes: query.slotMinutes, clock: gridClock), outside: query.closed)
    guard !starts.isEmpty, !experts.isEmpty else { return SlotPage(slots: [], isCut: false, startsChecked: 0) }
    guard experts.count * starts.count <= SchedulingLimits.maxExpertStartTimes else {
        throw .invalidParams(
            field: "to",
            reason: "\(experts.count) experts × \(starts.count) start times is more than "
                + "\(SchedulingLimits.maxExpertStartTimes) to check; search a shorter range or filter by expert")
    }

    var page: [Slot] = []
    var listings = 0
    var chunkStart = 0
    // A start gives at most one slot, and a slot lists each expert at least once.
    var chunkLength = max(1, min(query.maxSlots + 1, query.maxListings / experts.count))
    while chunkStart < starts.count {
        let chunkEnd = min(starts.count, chunkStart + chunkLength)
        for slot in try slots(at: starts[chunkStart..<chunkEnd], experts: experts, order: order, query: query) {
            let count = slot.listingCount
            guard page.count < query.maxSlots, page.isEmpty || listings + count <= query.maxListings else {
                return SlotPage(slots: page, isCut: true, startsChecked: chunkEnd)
            }
            page.append(slot)
            listings += count
        }
        chunkStart = chunkEnd
        // A full page stops the work, though the rest of the range may hold no slot.
        if page.count == query.maxSlots || listings >= query.maxListings {
            return SlotPage(slots: page, isCut: chunkStart < starts.count, startsChecked: chunkStart)
        }
        chunkLength *= 2
    }
    return SlotPage(slots: page, isCut: false, startsChecked: starts.count)
}

/// Every slot at `starts` (sorted grid instants), experts visited in id order.
private func slots(
    at starts: ArraySlice<Instant>, experts: [ExpertAvailability], order: [Int], query: SlotQuery
) throws(AppError) -> [Slot] {
    guard let firstStart = starts.first, let lastStart = starts.last else { return [] }
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
                while s < starts.endIndex, starts[s].adding(minutes: query.lengthMinutes) <= period.end {
                    hitsByStart[s - starts.startIndex].append((rank, locationIndex))
                    s += 1
                }
            }
        }
    }

    // Experts were visited in id order and locations in id order, so each list is already sorted.
    var result: [Slot] = []
    for (offset, hits) in hitsByStart.enumerated() where !hits.isEmpty {
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
        let start = starts[starts.startIndex + offset]
        result.append(Slot(start: start, end: start.adding(minutes: query.lengthMinutes), experts: slotExperts))
    }
    return result
}

/// The starts (sorted) outside every closed span (sorted): one sweep over both.
private func openStarts(_ starts: [Instant], outside closed: [Period]) -> [Instant] {
    guard !closed.isEmpty else { return starts }
    var next = closed.startIndex
    return starts.filter { start in
        while next < closed.endIndex, closed[next].end <= start { next += 1 }
        return next == closed.endIndex || !closed[next].contains(start)
    }
}

private func firstIndex(in sorted: ArraySlice<Instant>, atOrAfter instant: Instant) -> Int {
    var low = sorted.startIndex
    var high = sorted.endIndex
    while low < high {
        let mid = (low + high) / 2
        if sorted[mid] < instant { low = mid + 1 } else { high = mid }
    }
    return low
}
