/// A wall-clock time of day, `HH:MM`, in minutes after midnight (0…1440; `24:00` ends a day).
public struct LocalTimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let minutes: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber)
        else { return nil }
        guard (0...23).contains(h) && (0...59).contains(m) || (h == 24 && m == 0) else { return nil }
        minutes = h * 60 + m
    }

    public init(minutes: Int) { self.minutes = minutes }

    public static func < (a: Self, b: Self) -> Bool { a.minutes < b.minutes }

    public var description: String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}

/// A calendar date, `YYYY-MM-DD`, as a day number since 1970-01-01.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let day: Int64

    public init(day: Int64) { self.day = day }

    /// The last date a reader takes (`init?(_:)` reads four-digit years): a time up to
    /// `Instant.latestSupported` is already 10000-01-01 in zones east of UTC.
    public static let latestSupported = LocalDate(day: Civil.daysFromCivil(year: 9999, month: 12, day: 31))

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isNumber) }),
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), d >= 1, d <= Civil.daysInMonth(year: y, month: m), y >= 1
        else { return nil }
        day = Civil.daysFromCivil(year: y, month: m, day: d)
    }

    public static func < (a: Self, b: Self) -> Bool { a.day < b.day }

    public var isoWeekday: Int { Civil.isoWeekday(days: day) }

    public func adding(days: Int64) -> LocalDate { LocalDate(day: day + days) }

    public var description: String {
        let (y, m, d) = Civil.civilFromDays(day)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
