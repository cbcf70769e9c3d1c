/// A point in time as whole microseconds since the Unix epoch: PostgreSQL's own resolution,
/// exact, and free of floating point.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }

    public func adding(minutes: Int64) -> Instant { Instant(microseconds: microseconds + minutes * 60_000_000) }
    public func adding(seconds: Int64) -> Instant { Instant(microseconds: microseconds + seconds * 1_000_000) }

    /// Whole minutes from self to other (truncated toward zero).
    public func minutes(until other: Instant) -> Int64 { (other.microseconds - microseconds) / 60_000_000 }
    /// The first whole minute at or after this instant.
    public var roundedUpToMinute: Instant {
        let past = microseconds % 60_000_000
        return past == 0 ? self : Instant(microseconds: microseconds - past + (past > 0 ? 60_000_000 : 0))
    }

    public var epochSeconds: Int64 { microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000 }

    public var description: String { rfc3339 }
}

// MARK: The supported range

extension Instant {
    /// 0001-01-01T00:00:00Z: the first instant RFC 3339 can write with a four-digit year and
    /// PostgreSQL prints without "BC".
    public static let earliestSupported = Instant(microseconds: -62_135_596_800_000_000)
    /// 9999-12-31T23:59:59.999999Z: the last one before a fifth year digit.
    public static let latestSupported = Instant(microseconds: 253_402_300_799_999_999)
    public static let supportedRangeText = "0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z"

    public var isSupported: Bool { self >= Instant.earliestSupported && self <= Instant.latestSupported }

    /// `self` plus `minutes`, or nil when the sum leaves the supported range (or Int64).
    public func addingWithinRange(minutes: Int64) -> Instant? {
        let (delta, overflow) = minutes.multipliedReportingOverflow(by: 60_000_000)
        let (sum, overflowSum) = microseconds.addingReportingOverflow(delta)
        guard !overflow, !overflowSum else { return nil }
        let result = Instant(microseconds: sum)
        return result.isSupported ? result : nil
    }

    /// `self` plus `minutes`, refused with -32602 naming `field` when the result (an end, a
    /// moved clock) would leave the supported range.
    public func adding(minutes: Int64, checkedFor field: String, what: String = "the end") throws(AppError) -> Instant {
        guard let result = addingWithinRange(minutes: minutes) else {
            throw AppError.invalidParams(
                field: field,
                reason: minutes < 0
                    ? "puts \(what) (\(-minutes) minutes before \(rfc3339)) outside the supported times \(Instant.supportedRangeText); choose a later time"
                    : "puts \(what) (\(minutes) minutes after \(rfc3339)) outside the supported times \(Instant.supportedRangeText); choose an earlier time")
        }
        return result
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithms).
public enum Civil {
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// ISO weekday, 1 = Monday … 7 = Sunday, of a day number (1970-01-01 was a Thursday).
    public static func isoWeekday(days: Int64) -> Int {
        let w = ((days % 7) + 7 + 3) % 7
        return Int(w) + 1
    }
}

public struct TimeParseError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

extension Instant {
    /// Parses an RFC 3339 timestamp that carries an offset (`Z` or `±HH:MM`), as every param's
    /// schema publishes it (`format: date-time`): a `T` (or `t`) between date and time, never a
    /// space. Impossible dates (Feb 30, hour 24, …) are refused.
    public init(rfc3339 text: String) throws { try self.init(parsing: text, strict: true) }

    /// As `init(rfc3339:)`, and also PostgreSQL's ISO output (`2026-03-08 14:00:00+00`: a space
    /// for the `T`, an offset of hours alone or `+HHMM`): for text the database wrote, or a
    /// person typed (meetctl sends it on as RFC 3339). Never for params.
    public init(lenient text: String) throws { try self.init(parsing: text, strict: false) }

    private init(parsing text: String, strict: Bool) throws {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) throws -> Int64 {
            guard i + n <= b.count else { throw TimeParseError(reason: "truncated timestamp") }
            var v: Int64 = 0
            for _ in 0..<n {
                let c = b[i]
                guard c >= 48, c <= 57 else { throw TimeParseError(reason: "expected a digit at position \(i + 1)") }
                v = v * 10 + Int64(c - 48)
                i += 1
            }
            return v
        }
        func expect(_ chars: String) throws {
            guard i < b.count, chars.utf8.contains(b[i]) else {
                throw TimeParseError(reason: "expected '\(chars.prefix(1))' at position \(i + 1)")
            }
            i += 1
        }
        let year = try digits(4)
        try expect("-")
        let month = try digits(2)
        try expect("-")
        let day = try digits(2)
        if strict, i < b.count, b[i] == UInt8(ascii: " ") {
            throw TimeParseError(reason: "a T between the date and the time, not a space (RFC 3339), at position \(i + 1)")
        }
        try expect(strict ? "Tt" : "Tt ")
        let hour = try digits(2)
        try expect(":")
        let minute = try digits(2)
        try expect(":")
        let second = try digits(2)
        var micros: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if scale > 0 { micros += Int64(b[i] - 48) * scale; scale /= 10 }
                i += 1
            }
            guard i > start, i - start <= 9 else { throw TimeParseError(reason: "invalid fractional seconds") }
        }
        guard i < b.count else { throw TimeParseError(reason: "a time zone offset (Z or ±HH:MM) is required") }
        var offsetSeconds: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2)
            var om: Int64 = 0
            if i < b.count, b[i] == UInt8(ascii: ":") {
                i += 1
                om = try digits(2)
            } else if strict {
                throw TimeParseError(reason: "an offset is written ±HH:MM (RFC 3339), like -05:00, at position \(i + 1)")
            } else if i < b.count {
                om = try digits(2)
            }
            guard oh <= 23, om <= 59 else { throw TimeParseError(reason: "offset out of range") }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            throw TimeParseError(reason: "a time zone offset (Z or ±HH:MM) is required")
        }
        guard i == b.count else { throw TimeParseError(reason: "unexpected characters after the offset") }
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= Civil.daysInMonth(year: year, month: month)
        else { throw TimeParseError(reason: "no such date \(year)-\(month)-\(day)") }
        guard hour <= 23, minute <= 59, second <= 59 else { throw TimeParseError(reason: "no such time of day") }
        let days = Civil.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(microseconds: seconds * 1_000_000 + micros)
        guard isSupported else {
            throw TimeParseError(reason: "is \(offsetSeconds > 0 ? "before" : "after") the supported times \(Instant.supportedRangeText) once its offset is applied")
        }
    }

    /// RFC 3339 in UTC with `Z`; fractional seconds only when present.
    public var rfc3339: String {
        let secs = epochSeconds
        let micros = microseconds - secs * 1_000_000
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let secOfDay = secs - days * 86400
        let (y, m, d) = Civil.civilFromDays(days)
        // Written into one buffer: this runs for every time in every answer.
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func pad(_ v: Int64, _ n: Int) {
            let digits = String(v).utf8  // a few bytes: kept inline, nothing allocated
            if digits.count < n { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - digits.count)) }
            out.append(contentsOf: digits)
        }
        pad(y, 4); out.append(UInt8(ascii: "-")); pad(m, 2); out.append(UInt8(ascii: "-")); pad(d, 2)
        out.append(UInt8(ascii: "T")); pad(secOfDay / 3600, 2); out.append(UInt8(ascii: ":")); pad(secOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); pad(secOfDay % 60, 2)
        if micros != 0 { out.append(UInt8(ascii: ".")); pad(micros, 6) }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
