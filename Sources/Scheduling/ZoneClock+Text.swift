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

    /// Every RFC 3339 time in `text` (the service's messages name them in UTC, as
    /// 2027-03-15T04:00:00Z) as a person in this zone reads it; the rest of the text as it is.
    public func describingTimes(in text: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#) else { return text }
        var out = text
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let whole = Range(match.range, in: out), let instant = try? Instant(rfc3339: String(out[whole])) else { continue }
            out.replaceSubrange(whole, with: describe(instant))
        }
        return out
    }

    /// The zone's own abbreviation then ("EDT", "CET"), read from the tz database's file
    /// (Foundation on Linux answers "GMT-4").
    public static func abbreviation(zone: String, at instant: Instant) -> String? {
        guard let clock = ZoneClock(identifier: zone) else { return nil }
        return ZoneNames.name(zone: zone, atEpochSeconds: instant.epochSeconds, offsetSeconds: clock.offsetSeconds(at: instant))
    }
}
