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
