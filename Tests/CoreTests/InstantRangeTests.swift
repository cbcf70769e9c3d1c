import XCTest

@testable import Core

/// The supported range is 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z in UTC: what
/// RFC 3339 can write with four year digits and PostgreSQL prints without "BC" or a fifth digit.
final class InstantRangeTests: XCTestCase {
    func reason(_ text: String) -> String? {
        do {
            _ = try Instant(rfc3339: text)
            return nil
        } catch { return "\(error)" }
    }

    func testTheFirstAndLastSupportedMicrosecondAreAccepted() throws {
        XCTAssertEqual(try Instant(rfc3339: "0001-01-01T00:00:00Z").rfc3339, "0001-01-01T00:00:00Z")
        XCTAssertEqual(try Instant(rfc3339: "0001-01-01T05:30:00+05:30").rfc3339, "0001-01-01T00:00:00Z")
        XCTAssertEqual(try Instant(rfc3339: "9999-12-31T23:59:59.999999Z").rfc3339, "9999-12-31T23:59:59.999999Z")
        XCTAssertEqual(try Instant(rfc3339: "9999-12-31T18:29:59.999999-05:30").rfc3339, "9999-12-31T23:59:59.999999Z")
        XCTAssertEqual(try Instant(rfc3339: "0001-01-01T23:59:00+23:59").rfc3339, "0001-01-01T00:00:00Z")
    }

    func testRoundingUpToAWholeMinute() throws {
        for (given, rounded) in [
            ("2030-03-05T15:05:59Z", "2030-03-05T15:06:00Z"), ("2030-03-05T15:05:00.000001Z", "2030-03-05T15:06:00Z"),
            ("2030-03-05T15:05:00Z", "2030-03-05T15:05:00Z"), ("1969-12-31T23:59:30Z", "1970-01-01T00:00:00Z"),
            ("1969-12-31T23:58:00Z", "1969-12-31T23:58:00Z"),
        ] {
            XCTAssertEqual(try Instant(rfc3339: given).roundedUpToMinute.rfc3339, rounded, given)
        }
    }

    func testOneMicrosecondPastEitherEndIsRefusedEvenThroughAnOffset() {
        for outside in [
            "0001-01-01T05:29:59.999999+05:30", "0001-01-01T00:00:00+00:01", "0001-01-01T00:00:00+23:59",
            "9999-12-31T18:30:00-05:30", "9999-12-31T23:59:59.999999-00:01", "9999-12-31T23:00:00-23:00",
        ] {
            let why = reason(outside)
            XCTAssertNotNil(why, "\(outside) lies outside 0001–9999 in UTC")
            XCTAssertTrue(why?.contains("0001-01-01T00:00:00Z") == true && why?.contains("9999-12-31T23:59:59.999999Z") == true,
                          "the reason names the supported range: \(why ?? "accepted")")
        }
    }

    func testPostgresOutputOutsideTheRangeIsRefused() {
        XCTAssertNotNil(reason("10000-01-01 00:00:00+00"))
        XCTAssertNotNil(reason("0001-12-31 23:00:00+00 BC"))
        XCTAssertNotNil(reason("0000-12-31T23:00:00Z"))
    }
}

/// rfc3339 writes digits into one buffer; its text is the zero-padded fields it always was,
/// inside the supported range and outside it (where a year can have a fifth digit or a sign).
final class InstantTextTests: XCTestCase {
    private func padded(_ v: Int64, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }

    private func fieldByField(_ instant: Instant) -> String {
        let secs = instant.epochSeconds
        let micros = instant.microseconds - secs * 1_000_000
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let secOfDay = secs - days * 86400
        let (y, m, d) = Civil.civilFromDays(days)
        var text = "\(padded(y, 4))-\(padded(m, 2))-\(padded(d, 2))T\(padded(secOfDay / 3600, 2)):"
            + "\(padded(secOfDay / 60 % 60, 2)):\(padded(secOfDay % 60, 2))"
        if micros != 0 { text += "." + padded(micros, 6) }
        return text + "Z"
    }

    func testTextIsTheZeroPaddedFields() {
        var generator = SystemRandomNumberGenerator()
        let bounds: [Int64] = [0, 1, -1, 999_999, 1_000_000, Instant.earliestSupported.microseconds, Instant.latestSupported.microseconds,
                               Instant.earliestSupported.microseconds - 1, Instant.latestSupported.microseconds + 1, 1_900_000_000_000_000]
        let far: Int64 = 400_000_000_000_000_000  // about 12,700 years either side of 1970
        for micros in bounds + (0..<2_000).map({ _ in Int64.random(in: -far...far, using: &generator) }) {
            let instant = Instant(microseconds: micros)
            XCTAssertEqual(instant.rfc3339, fieldByField(instant), "at \(micros) µs")
        }
        XCTAssertEqual(Instant(microseconds: 1_000_000).rfc3339, "1970-01-01T00:00:01Z")
        XCTAssertEqual(Instant(microseconds: 1_500).rfc3339, "1970-01-01T00:00:00.001500Z")
    }
}
