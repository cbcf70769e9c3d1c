import XCTest

@testable import Core

final class JSONTests: XCTestCase {
    func testRoundTripKeepsIntegersApartFromFractions() throws {
        let v = try JSONParser.parse(#"{"a":[1,-2,3.5,1e3,true,null,"x\n\u00e9\ud83d\ude00"],"b":{}}"#)
        XCTAssertEqual(v["a"]?.arrayValue?[0], .int(1))
        XCTAssertEqual(v["a"]?.arrayValue?[2], .number("3.5"))
        XCTAssertEqual(v["a"]?.arrayValue?[6], .string("x\né😀"))
        XCTAssertEqual(try JSONParser.parse(v.serialized()), v)
        XCTAssertFalse(v.serialized().contains("\n"), "one message per line: newlines are always escaped")
    }

    /// A number written with a fraction or an exponent is a whole number when its value is
    /// (JSON Schema's "integer": 5.0 is one), read exactly; it keeps its text otherwise.
    func testWholeNumbersWrittenWithAFractionOrAnExponentAreIntegers() throws {
        let whole: [(String, Int64)] = [
            ("5.0", 5), ("5.000", 5), ("1e1", 10), ("1E+2", 100), ("250e-2", Int64?.none ?? 0), ("2500e-2", 25), ("-3.0", -3), ("0.0", 0), ("-0.0e5", 0),
            ("9223372036854775807.0", .max), ("-9223372036854775808.0", .min), ("922337203685477580.7e1", .max),
        ]
        for (text, value) in whole where text != "250e-2" {
            XCTAssertEqual(try JSONParser.parse(text).intValue, value, text)
        }
        for text in ["250e-2", "5.5", "1e-1", "9223372036854775808.0", "-9223372036854775809.0", "1e19", "1e999999999", "0.1e1000000"] {
            XCTAssertNil(try JSONParser.parse(text).intValue, text)
        }
        XCTAssertEqual(try JSONParser.parse("1e0000001").intValue, 10, "an exponent's leading zeros are zeros")
        // A text of hundreds of thousands of digits is refused at once (it took seconds, quadratic).
        let long = "0." + String(repeating: "0", count: 400_000) + "1e400001"
        let started = Date()
        XCTAssertNil(try JSONParser.parse(long).intValue)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "refused without reading its digits one by one")
        XCTAssertEqual(try JSONParser.parse("[5.0]").serialized(), "[5.0]", "the text stays as it was sent")
        XCTAssertNoThrow(try Schema.integer(min: 1, max: 10).validate(try JSONParser.parse("5.0"), path: "limit", limits: Limits()))
        XCTAssertThrowsError(try Schema.integer(min: 1, max: 10).validate(try JSONParser.parse("5.5"), path: "limit", limits: Limits()))
        XCTAssertThrowsError(try Schema.integer(min: 1, max: 10).validate(try JSONParser.parse("1.1e1"), path: "limit", limits: Limits()))
    }

    func testEscapesControlCharactersAndLineSeparators() throws {
        let text = "a\"b\\c\u{01}\u{1F}\t\r\n\u{2028}\u{2029}é😀"
        let written = JSON.string(text).serialized()
        XCTAssertEqual(written, #""a\"b\\c\u0001\u001f\t\r\n\u2028\u2029é😀""#)
        XCTAssertEqual(try JSONParser.parse(written), .string(text))
        XCTAssertEqual(JSON.object(["b": 1, "a": [true, nil, .number("2.5")]]).serialized(), #"{"a":[true,null,2.5],"b":1}"#)
    }

    /// DEL, the C1 controls and the marks that reorder text are written as \u escapes (the same
    /// text to every reader), so JSON shown on a terminal cannot be acted on or disguised; other
    /// non-ASCII text stays as it is.
    func testEscapesC1ControlsAndReorderingMarks() throws {
        let text = "x\u{7F}\u{80}\u{85}\u{9B}\u{9F}\u{A0}\u{202E}\u{202A}\u{200E}\u{200F}\u{061C}\u{061B}\u{2066}\u{2069}\u{2027}\u{2030}é€😀ض"
        let written = JSON.string(text).serialized()
        XCTAssertEqual(written, #""x\u007f\u0080\u0085\u009b\u009f\#u{A0}\u202e\u202a\u200e\u200f\u061c\#u{061B}\u2066\u2069\#u{2027}\#u{2030}é€😀ض""#)
        XCTAssertEqual(try JSONParser.parse(written), .string(text))
    }

    func testHostileInputIsRefusedWithAReason() {
        for bad in ["{", "[1,]", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "01", "1.", "tru", "\"\u{01}\"", "[1] 2"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)))
        XCTAssertNoThrow(try JSONParser.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
        // The error names where the bad sequence starts: after valid multi-byte text too.
        for (bytes, offset) in [([0x22, 0xFF, 0x22], 1), (Array("\"žž".utf8) + [0xC0, 0xAF, 0x22], 5),
                                (Array("{\"a\":\"".utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D], 6), ([0x22, 0x61, 0xE2, 0x82], 2)] {
            XCTAssertThrowsError(try JSONParser.parse(bytes)) { error in
                XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: offset, reason: "input is not valid UTF-8"), "\(bytes)")
            }
        }
    }

    /// A duplicate key is named in the error bounded in bytes, whatever its characters hold.
    func testADuplicateKeyIsNamedBoundedInBytes() {
        let key = "k" + String(repeating: "\u{301}", count: 50_000)
        XCTAssertThrowsError(try JSONParser.parse("{\"\(key)\":1,\"\(key)\":2}")) { error in
            let reason = (error as? JSONParseError)?.reason ?? ""
            XCTAssertTrue(reason.unicodeScalars.starts(with: "duplicate key \"k\u{301}\u{301}".unicodeScalars), String(reason.unicodeScalars.prefix(30)))
            XCTAssertLessThan(reason.utf8.count, 400, "named in \(reason.utf8.count) bytes")
        }
    }

    /// A string is read in one run up to its first escape, then scalar by scalar: both parts join.
    func testStringsWithAndWithoutEscapesReadTheSame() throws {
        let cases: [(String, String)] = [
            ("\"plain\"", "plain"), ("\"\"", ""), ("\"é 🙂\"", "é 🙂"), ("\"ab\\ncd\"", "ab\ncd"), ("\"\\u00e9t\\u00e9\"", "été"),
            ("\"run then \\\"quote\\\" and more\"", "run then \"quote\" and more"), ("\"\\ud83d\\ude42!\"", "🙂!"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try JSONParser.parse(text), .string(expected), text)
            XCTAssertEqual(try JSONParser.parse(Array(text.utf8)), .string(expected), text)
        }
        for bad in ["\"abc", "\"ab\u{0A}c\"", "\"ab\\", "\"ab\\q\""] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse("\"ab\u{01}\"")) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, 3, "the control character's own byte")
        }
    }

    func testBigIntegersStayNumbersSoRangeChecksCatchThem() throws {
        XCTAssertEqual(try JSONParser.parse("9223372036854775807"), .int(Int64.max))
        if case .number = try JSONParser.parse("9223372036854775808") {} else { XCTFail("overflowing integer must not wrap") }
        // Valid JSON however large: kept as its text, written back the same.
        for text in ["1e400", "-1E+999", "1" + String(repeating: "0", count: 309), "2.5e-400"] {
            XCTAssertEqual(try JSONParser.parse(text), .number(text))
            XCTAssertEqual(try JSONParser.parse(text).serialized(), text)
        }
    }
}

final class InstantTests: XCTestCase {
    func testRFC3339WithOffsetsAndImpossibleDates() throws {
        XCTAssertEqual(try Instant(rfc3339: "2026-03-08T09:00:00-05:00").rfc3339, "2026-03-08T14:00:00Z")
        XCTAssertEqual(try Instant(rfc3339: "2024-02-29T23:59:59.5+05:30").rfc3339, "2024-02-29T18:29:59.500000Z")
        XCTAssertEqual(try Instant(lenient: "2026-11-22 16:31:29.120696+00").rfc3339, "2026-11-22T16:31:29.120696Z")
        for bad in ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:00:00", "2026-01-01", "2026-04-31T00:00:00Z"] {
            XCTAssertThrowsError(try Instant(rfc3339: bad), bad)
        }
    }

    /// Params are read as their schema publishes them (RFC 3339's date-time): PostgreSQL's way
    /// of writing a time (a space for the T, an offset of hours alone or without its colon) is
    /// refused there, and read only from the database (`lenient`).
    func testRFC3339IsReadExactlyAndPostgresOutputOnlyLeniently() throws {
        XCTAssertEqual(try Instant(rfc3339: "2030-03-12t15:00:00z").rfc3339, "2030-03-12T15:00:00Z")
        for postgres in ["2030-03-12 15:00:00Z", "2030-03-12 15:00:00+00", "2030-03-12T15:00:00+00", "2030-03-12T15:00:00+0000", "2030-03-12T15:00:00-0530"] {
            XCTAssertThrowsError(try Instant(rfc3339: postgres), postgres)
            XCTAssertNoThrow(try Instant(lenient: postgres), postgres)
        }
        XCTAssertThrowsError(try Instant(rfc3339: "2030-03-12 15:00:00Z")) { error in
            XCTAssertTrue("\(error)".contains("a T between the date and the time, not a space"), "\(error)")
        }
        XCTAssertThrowsError(try Schema.timestamp.validate("2030-03-12 15:00:00Z", path: "now", limits: .standard))
    }

    func testCivilCalendarRoundTrip() {
        for day: Int64 in [-800_000, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, d) = Civil.civilFromDays(day)
            XCTAssertEqual(Civil.daysFromCivil(year: y, month: m, day: d), day)
        }
        XCTAssertEqual(Civil.isoWeekday(days: 0), 4, "1970-01-01 was a Thursday")
    }

    func testIdentifiersAreTimeOrderedAndTyped() {
        let a = Identifier.make(.meeting, now: Instant(seconds: 1_000)), b = Identifier.make(.meeting, now: Instant(seconds: 2_000))
        XCTAssertLessThan(a, b)
        XCTAssertTrue(Identifier.isValid(a, kind: .meeting))
        XCTAssertFalse(Identifier.isValid(a, kind: .person))
        XCTAssertFalse(Identifier.isValid("mtg_' OR 1=1 --", kind: .meeting))
    }
}

/// Numbers that are not exact 64-bit integers keep the text they were written with, so an id
/// comes back exactly as sent.
final class JSONNumberTests: XCTestCase {
    func testNumbersThatAreNotInt64KeepTheirExactText() throws {
        for text in ["12345678901234567890", "-99999999999999999999", "1.50", "-0", "1e5", "0.1", "1E+300", "-0.0", "2.5e-3"] {
            XCTAssertEqual(try JSONParser.parse(text).serialized(), text, "\(text) is written back as read")
            XCTAssertEqual(try JSONParser.parse("[\(text)]").serialized(), "[\(text)]")
        }
        XCTAssertEqual(try JSONParser.parse("-0"), try JSONParser.parse("-0"))
        XCTAssertNotEqual(try JSONParser.parse("1.50"), try JSONParser.parse("1.5"), "a different text is a different value")
    }
}
