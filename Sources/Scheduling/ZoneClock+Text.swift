import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension ZoneClock {
    public static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    public static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "Wed 13 Mar 2030 14:00 EDT": an instant as a person in this zone reads it.
    public func describe(_ instant: Instant) -> String {
        let local = local(instant)
        let (y, m, d) = Civil.civilFromDays(local.date.day)
        let name = ["UTC", "Etc/UTC"].contains(identifier) ? "UTC" : ZoneClock.abbreviation(zone: identifier, at: instant) ?? identifier
        return "\(ZoneClock.weekdayNames[local.date.isoWeekday - 1]) \(d) \(ZoneClock.monthNames[Int(m) - 1]) \(y) \(local.time) \(name)"
    }

    private static let tzLock = NSLock()

    /// The zone's own abbreviation then ("EDT", "CET"), from the C library's tz database reader
    /// (Foundation on Linux answers "GMT-4"). The C library takes the zone from TZ, which is
    /// process-wide: the lock keeps concurrent callers from seeing each other's zone.
    public static func abbreviation(zone: String, at instant: Instant) -> String? {
        tzLock.lock()
        defer { tzLock.unlock() }
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
}
