import Core
import Foundation
import Scheduling

#if canImport(Glibc)
    import Glibc
#endif

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

    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    func format(_ instant: Instant) -> String {
        let local = clock.local(instant)
        let (y, m, d) = Civil.civilFromDays(local.date.day)
        let abbreviation = ["UTC", "Etc/UTC"].contains(zoneName) ? "UTC" : Self.abbreviation(zone: zoneName, at: instant) ?? zoneName
        return "\(Self.weekdays[local.date.isoWeekday - 1]) \(d) \(Self.months[Int(m) - 1]) \(y) \(local.time) \(abbreviation)"
    }

    /// A service timestamp on this clock; text that is not a timestamp is shown as it is.
    func format(_ text: String) -> String {
        guard let instant = try? Instant(rfc3339: text) else { return text }
        return format(instant)
    }

    /// The zone's own abbreviation then ("EDT", "CET") from the C library's tz database reader.
    /// Foundation on Linux answers "GMT-4" instead. The C library reads the zone from TZ, so TZ
    /// is set for the call and put back; meetctl formats times on one thread.
    static func abbreviation(zone: String, at instant: Instant) -> String? {
        let saved = getenv("TZ").map { String(cString: $0) }
        setenv("TZ", zone, 1)
        tzset()
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
        }
        var seconds = time_t(instant.epochSeconds)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil, let name = parts.tm_zone else { return nil }
        return String(cString: name)
    }

    func localDate(_ instant: Instant) -> LocalDate { clock.local(instant).date }

    func instant(_ input: TimeInput) -> Instant {
        switch input {
        case .instant(let i): return i
        case .local(let date, let time): return clock.instant(on: date, at: time)
        }
    }
}
