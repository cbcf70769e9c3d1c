import Core

/// The community's slot grid: the wall-clock times local midnight + k × slot minutes in the
/// community's zone, the same clock times every day — 09:00 stays a start on the day the clocks
/// change. A time the change skips is no start; a time the clocks show twice is a start both
/// times. Search offers these starts and bookings of a user's choosing must fall on them.
public enum SlotGrid {
    /// Whether `start` is one of the grid's starts.
    public static func isOnGrid(_ start: Instant, slotMinutes: Int64, timeZone: String) -> Bool {
        guard slotMinutes > 0, let clock = ZoneClock(identifier: timeZone) else { return false }
        // Offsets are whole minutes, so a start on a whole local minute is on a whole UTC one.
        guard start.microseconds % 60_000_000 == 0 else { return false }
        return Int64(clock.local(start).time.minutes) % slotMinutes == 0
    }

    /// The grid's starts in `window`, in order.
    public static func starts(in window: Period, slotMinutes: Int64, clock: ZoneClock) -> [Instant] {
        var starts: [Instant] = []
        guard !window.isEmpty, slotMinutes > 0 else { return starts }
        let midnight = LocalTimeOfDay(minutes: 0)
        // A local date's times reach into the window from the day before (zones run ahead of UTC).
        var date = clock.local(window.start).date.adding(days: -1)
        var dayStart = clock.instant(on: date, at: midnight)
        let lastDate = clock.local(window.end).date
        while date <= lastDate {
            let next = date.adding(days: 1)
            let nextDayStart = clock.instant(on: next, at: midnight)
            var day: [Instant] = []
            if nextDayStart.microseconds - dayStart.microseconds == 86_400_000_000 {
                // No clock change: the wall clock runs with real time from midnight.
                var start = dayStart
                while start < nextDayStart {
                    day.append(start)
                    start = start.adding(minutes: slotMinutes)
                }
            } else {
                day = changeDayStarts(on: date, slotMinutes: slotMinutes, clock: clock)
            }
            starts += day.filter { window.start <= $0 && $0 < window.end }
            date = next
            dayStart = nextDayStart
        }
        return starts
    }

    /// The starts of a day whose clocks change: each grid time the clocks show that day, twice
    /// where they show it twice, none where they skip it.
    static func changeDayStarts(on date: LocalDate, slotMinutes: Int64, clock: ZoneClock) -> [Instant] {
        var day: [Instant] = []
        var minutes: Int64 = 0
        while minutes < 24 * 60 {
            let wall = LocalTimeOfDay(minutes: Int(minutes))
            let first = clock.instant(on: date, at: wall)
            // A repeated time's second showing comes one offset change later.
            let change = clock.offsetSeconds(at: first) - clock.offsetSeconds(at: Instant(seconds: first.epochSeconds + 86_400))
            for candidate in change > 0 ? [first, Instant(seconds: first.epochSeconds + change)] : [first] {
                let shown = clock.local(candidate)
                // A time inside a skipped hour is shown as another: it is no start.
                if shown.date == date && shown.time == wall { day.append(candidate) }
            }
            minutes += slotMinutes
        }
        return day.sorted()
    }
}
