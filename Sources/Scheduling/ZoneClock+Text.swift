import Core
import Foundation

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

    /// The zone's own abbreviation then ("EDT", "CET"), read from the tz database's file
    /// (Foundation on Linux answers "GMT-4").
    public static func abbreviation(zone: String, at instant: Instant) -> String? {
        guard let clock = ZoneClock(identifier: zone) else { return nil }
        return ZoneNames.name(zone: zone, atEpochSeconds: instant.epochSeconds, offsetSeconds: clock.offsetSeconds(at: instant))
    }
}
