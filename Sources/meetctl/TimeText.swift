import Core
import Foundation
import Scheduling

/// The acting person's clock: instants shown as "Wed 13 Mar 2030 14:00 EDT", wall-clock input
/// placed in their zone (with the service's rules for gaps and overlaps).
struct PersonClock {
    let zoneName: String
    private let clock: ZoneClock

    static let utc = PersonClock(zoneName: "UTC")!

    init?(zoneName: String) {
        guard let clock = ZoneClock(identifier: zoneName) else { return nil }
        self.zoneName = zoneName
        self.clock = clock
    }

    static let weekdays = ZoneClock.weekdayNames
    static let months = ZoneClock.monthNames

    func format(_ instant: Instant) -> String { clock.describe(instant) }

    /// Every RFC 3339 time in `text` (the service names them in UTC) on this clock.
    func describingTimes(in text: String) -> String { clock.describingTimes(in: text) }

    /// A service timestamp on this clock; text that is not a timestamp is shown as it is.
    func format(_ text: String) -> String {
        guard let instant = try? Instant(rfc3339: text) else { return text }
        return format(instant)
    }

    func localDate(_ instant: Instant) -> LocalDate { local(instant).date }

    /// The wall-clock reading of `instant` on this clock.
    func local(_ instant: Instant) -> (date: LocalDate, time: LocalTimeOfDay) {
        let l = clock.local(instant)
        return (l.date, l.time)
    }

    /// Every instant this clock shows `time` on `date` (two when the clocks go back).
    func readings(_ date: LocalDate, _ time: LocalTimeOfDay) -> [Instant] { clock.readings(on: date, at: time) }

    /// `instant` as RFC 3339 with this clock's offset then: 2030-11-03T01:30:00-04:00.
    func withOffset(_ instant: Instant) -> String {
        let l = clock.local(instant)
        // An offset reads as a time of day does: HH:MM.
        let offset = LocalTimeOfDay(minutes: Int(abs(l.offsetSeconds) / 60))
        return "\(l.date)T\(l.time):00\(l.offsetSeconds < 0 ? "-" : "+")\(offset)"
    }

    func instant(_ input: TimeInput) -> Instant {
        switch input {
        case .instant(let i): return i
        case .local(let date, let time): return clock.instant(on: date, at: time)
        // In a gap the reading before the change is the moment the clocks jump; in an overlap
        // the earlier reading comes first.
        case .day(let date): return clock.instant(on: date, at: LocalTimeOfDay(minutes: 0))
        }
    }
}
