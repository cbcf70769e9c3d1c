import Core
import XCTest

/// Trimming goes scalar by scalar, so a set holding "\r\n" trims either alone.
final class StringTrimmingTests: XCTestCase {
    func testTrimsEachScalarOfTheSetAtBothEnds() {
        XCTAssertEqual(" \tbank-7\t ".trimmingCharacters(in: " \t"), "bank-7")
        XCTAssertEqual("\nbank-7\r".trimmingCharacters(in: " \t\r\n"), "bank-7")
        XCTAssertEqual("\r\nbank-7\r\n".trimmingCharacters(in: " \t\r\n"), "bank-7")
        XCTAssertEqual("bank 7".trimmingCharacters(in: " "), "bank 7", "only the ends")
        XCTAssertEqual(" \t ".trimmingCharacters(in: " \t"), "")
        XCTAssertEqual("é ".trimmingCharacters(in: " "), "é")
        XCTAssertEqual(" \u{301}x".trimmingCharacters(in: " "), "\u{301}x", "a combining mark after a trimmed space stays")
        XCTAssertEqual("x\r\n\u{301}".trimmingCharacters(in: "\u{301}"), "x\r\n", "a mark on a line end is one Character, two scalars")
        XCTAssertEqual("bank-7".trimmingCharacters(in: " "), "bank-7")
        XCTAssertEqual("".trimmingCharacters(in: " "), "")
    }

    func testTrimsUnicodeWhitespaceOnly() {
        XCTAssertEqual("\u{A0}order-2\u{3000}".trimmingWhitespace(), "order-2", "no-break and ideographic spaces")
        XCTAssertEqual("\u{2003}\t order-2 \r\n".trimmingWhitespace(), "order-2")
        XCTAssertEqual("order\u{A0}2".trimmingWhitespace(), "order\u{A0}2", "only the ends")
        XCTAssertEqual("\u{200B}order-2".trimmingWhitespace(), "\u{200B}order-2", "a zero-width space is a format character, not whitespace")
        XCTAssertEqual("\u{A0} \u{3000}".trimmingWhitespace(), "")
    }

    /// An echoed name is bounded in bytes too: one Character may hold any number of scalars.
    func testACutNameIsBoundedInBytesWhateverItsCharacters() {
        let marked = "a" + String(repeating: "\u{301}", count: 9_999)
        let cut = marked.cut(toCharacters: 60)
        XCTAssertLessThanOrEqual(cut.utf8.count, 240 + 3)
        XCTAssertTrue(cut.hasSuffix("…"))
        XCTAssertEqual("short".cut(toCharacters: 60), "short")
        XCTAssertEqual(String(repeating: "x", count: 70).cut(toCharacters: 60), String(repeating: "x", count: 60) + "…")
        XCTAssertEqual("a\r\nb".boundedPrefix(characters: 2, utf8Bytes: 100), "a\r\n", "CR LF is one character")
        XCTAssertEqual("ab".boundedPrefix(characters: 5, utf8Bytes: 1), "a")
        XCTAssertEqual("ab👨‍👩‍👧‍👦".boundedPrefix(characters: 5, utf8Bytes: 20), "ab", "an emoji that does not fit is left whole, not cut")
        // A long character after others keeps as many of its scalars as fit (it was left out whole).
        let after = "Ulf: a" + String(repeating: "\u{301}", count: 1_000)
        XCTAssertEqual(after.boundedPrefix(characters: 140, utf8Bytes: 20).unicodeScalars.count, 6 + 7, "Ulf: a and 7 accents of 2 bytes")
    }
}
