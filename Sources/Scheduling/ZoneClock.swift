import Core
import Foundation

/// A wall-clock reading in one zone.
public struct LocalDateTime: Sendable, Hashable {
    public let date: LocalDate
    /// Floored to the minute: every offset in use since 1972 is a whole number of minutes.
    public let time: LocalTimeOfDay
    public let offsetSeconds: Int64
}

/// Converts between instants and wall-clock time in one IANA zone, read from the system tz
/// database through Foundation.
///
/// Local times that do not exist or occur twice resolve as Python's `zoneinfo` does with
/// `fold=0` (the tests check against it): a time inside a spring-forward gap takes the offset in
/// force before the change (02:30 on 2026-03-08 in America/New_York is 07:30Z), and a time
/// inside a fall-back overlap is its first, earlier occurrence. PostgreSQL reads an overlap
/// time as standard time, the later occurrence, so local times are converted here, not in SQL.
public struct ZoneClock: Sendable {
    private let zone: TimeZone
    /// The IANA name, e.g. America/New_York.
    public let identifier: String

    public init?(identifier: String) {
        guard TimeZones.isKnown(identifier), let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
        self.identifier = identifier
    }

    public func offsetSeconds(at instant: Instant) -> Int64 {
        offsetSeconds(atEpochSeconds: instant.epochSeconds)
    }

    public func local(_ instant: Instant) -> LocalDateTime {
        let offset = offsetSeconds(at: instant)
        let wallSeconds = instant.epochSeconds + offset
        let day = wallSeconds >= 0 ? wallSeconds / 86_400 : (wallSeconds - 86_399) / 86_400
        let minutes = Int((wallSeconds - day * 86_400) / 60)
        return LocalDateTime(date: LocalDate(day: day), time: LocalTimeOfDay(minutes: minutes), offsetSeconds: offset)
    }

    /// The instant the zone's clocks show `time` on `date`; `24:00` is the next day's midnight.
    /// In an overlap (clocks going back) the earlier of the two; in a gap (clocks going forward)
    /// the reading with the offset in force before the change.
    public func instant(on date: LocalDate, at time: LocalTimeOfDay) -> Instant {
        let wallSeconds = date.day * 86_400 + Int64(time.minutes) * 60
        return readings(on: date, at: time).first ?? Instant(seconds: wallSeconds - offsetSeconds(atEpochSeconds: wallSeconds - 86_400))
    }

    /// Every instant at which the zone's clocks show `time` on `date`, earliest first: one, two
    /// in an overlap, none in a gap.
    public func readings(on date: LocalDate, at time: LocalTimeOfDay) -> [Instant] {
        let wallSeconds = date.day * 86_400 + Int64(time.minutes) * 60
        // Offsets stay well within a day, so these two readings bracket every instant that shows
        // this wall time (assuming no zone changes its offset twice within two days, which holds
        // for every current rule). The larger offset gives the earlier instant.
        let offsets = Set([offsetSeconds(atEpochSeconds: wallSeconds - 86_400), offsetSeconds(atEpochSeconds: wallSeconds + 86_400)])
        return offsets.filter { offsetSeconds(atEpochSeconds: wallSeconds - $0) == $0 }.sorted(by: >).map { Instant(seconds: wallSeconds - $0) }
    }

    private func offsetSeconds(atEpochSeconds seconds: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
    }
}
