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

    func instant(_ input: TimeInput) -> Instant {
        switch input {
        case .instant(let i): return i
        case .local(let date, let time): return clock.instant(on: date, at: time)
        }
    }
}
