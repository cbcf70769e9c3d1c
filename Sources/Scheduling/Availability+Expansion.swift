import Core

extension ExpertAvailability {
    /// The expert's free time in [from, to) per location id, each list normalized (sorted,
    /// merged, non-empty): weekly rules offered for `serviceId` (nil counts every rule) and
    /// one-off free periods, minus blocked and busy periods.
    public func freePeriods(serviceId: String?, from: Instant, to: Instant) throws(AppError) -> [String: [Period]] {
        try SchedulingLimits.checkRange(from: from, to: to)
        return try freePeriods(serviceId: serviceId, within: Period(start: from, end: to), locationId: nil)
    }

    /// Callers bound `window`; its cost is linear in its days and in the periods listed.
    func freePeriods(serviceId: String?, within window: Period, locationId: String?) throws(AppError) -> [String: [Period]] {
        guard let clock = ZoneClock(identifier: timeZone) else {
            throw .invalidParams(
                field: "time_zone",
                reason: "\"\(timeZone)\" (expert \(expertId)) is not in this server's time zone database; set a known IANA zone")
        }
        var offered: [String: [Period]] = [:]
        func offer(_ period: Period, at locationIds: [String]) {
            let clipped = period.clipped(to: window)
            guard !clipped.isEmpty else { return }
            for location in locationIds where locationId == nil || location == locationId {
                offered[location, default: []].append(clipped)
            }
        }

        var rulesByWeekday = [[WeeklyRule]](repeating: [], count: 8)
        for rule in weekly where rule.applies(to: serviceId) { rulesByWeekday[rule.weekday].append(rule) }
        if rulesByWeekday.contains(where: { !$0.isEmpty }) {
            // A rule ends by the next local midnight, so the day before the window's first
            // local date is the earliest that can reach into it.
            var date = clock.local(window.start).date.adding(days: -1)
            let lastDate = clock.local(window.end).date
            while date <= lastDate {
                for rule in rulesByWeekday[date.isoWeekday] {
                    let period = Period(start: clock.instant(on: date, at: rule.start), end: clock.instant(on: date, at: rule.end))
                    offer(period, at: rule.locationIds)
                }
                date = date.adding(days: 1)
            }
        }
        for period in free { offer(Period(start: period.start, end: period.end), at: period.locationIds) }

        let taken = (blocked.map { Period(start: $0.start, end: $0.end) } + busy.map { Period(start: $0.start, end: $0.end) })
            .map { $0.clipped(to: window) }
            .normalized()
        return offered
            .mapValues { $0.normalized().subtracting(normalized: taken) }
            .filter { !$0.value.isEmpty }
    }
}

/// Whether the expert is free for all of [start, end) at `locationId` (at one location, any,
/// when nil): the check a booking makes. False also when the answer cannot be worked out (an unknown time zone, an empty or
/// over-long span), so an unprovable slot is never booked.
public func isAvailable(
    _ availability: ExpertAvailability, serviceId: String?, start: Instant, end: Instant, locationId: String?
) -> Bool {
    let span = Period(start: start, end: end)
    guard !span.isEmpty, start.minutes(until: end) <= SchedulingLimits.maxLengthMinutes,
        let free = try? availability.freePeriods(serviceId: serviceId, within: span, locationId: locationId)
    else { return false }
    guard let locationId else { return free.values.contains([span]) }
    return free[locationId] == [span]
}
