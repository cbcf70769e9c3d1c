import Core

/// The community's slot grid: starts at local midnight + k × slot minutes in the community's
/// zone, counted in real time from each local midnight (a 23- or 25-hour day has one hour fewer
/// or more of starts, and every day begins at midnight again). Search offers these starts and
/// bookings of a user's choosing must fall on them.
public enum SlotGrid {
    /// Whether `start` is one of the grid's starts.
    public static func isOnGrid(_ start: Instant, slotMinutes: Int64, timeZone: String) -> Bool {
        guard slotMinutes > 0, let clock = ZoneClock(identifier: timeZone) else { return false }
        let date = clock.local(start).date
        // Where a zone skips midnight the day starts at the next valid time; try the day before too.
        for day in [date, date.adding(days: -1)] {
            let dayStart = clock.instant(on: day, at: LocalTimeOfDay(minutes: 0))
            let elapsed = start.microseconds - dayStart.microseconds
            let nextDayStart = clock.instant(on: day.adding(days: 1), at: LocalTimeOfDay(minutes: 0))
            if elapsed >= 0 && start < nextDayStart { return elapsed % (slotMinutes * 60_000_000) == 0 }
        }
        return false
    }
}
