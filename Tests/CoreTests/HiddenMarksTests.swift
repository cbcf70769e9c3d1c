import Core
import XCTest

/// Marks that show nothing, judged beside the character before them.
final class HiddenMarksTests: XCTestCase {
    func testARunOfTagsAfterALetterGoesWholeAndAFlagsTagsStay() {
        let tags = "HIDE".unicodeScalars.map { String(Unicode.Scalar($0.value + 0xE0000)!) }.joined()
        XCTAssertEqual(HiddenMarks.removed(from: "ok" + tags + "\u{E007F}!"), "ok!")
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
        XCTAssertEqual(HiddenMarks.removed(from: scotland), scotland)
        // After the flag, only a subdivision's shape: lower-case letters or digits, ended.
        XCTAssertEqual(HiddenMarks.removed(from: "\u{1F3F4}" + tags + "\u{E007F}"), "\u{1F3F4}", "upper-case tags are text nobody sees")
        XCTAssertEqual(HiddenMarks.removed(from: "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}"), "\u{1F3F4}", "not ended")
    }

    func testJoinersAndSelectorsStayOnlyWhereTheyShape() {
        XCTAssertEqual(HiddenMarks.removed(from: "Sa\u{200D}m Sa\u{200C}m Sa\u{FE0F}m"), "Sam Sam Sam")
        for kept in ["👩\u{200D}🔬", "\u{2615}\u{FE0F}", "\u{0645}\u{200C}\u{0627}", "\u{0915}\u{094D}\u{200D}\u{0937}", "\u{845B}\u{E0100}", "\u{1820}\u{180B}",
                     "1\u{FE0F}\u{20E3}", "\u{1000}\u{FE00}", "👩\u{200D}\u{2764}\u{FE0F}\u{200D}👨"] {
            XCTAssertEqual(HiddenMarks.removed(from: kept), kept, kept.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        XCTAssertEqual(HiddenMarks.first(in: "\u{200D}👩"), "\u{200D}", "nothing before it to shape")
        XCTAssertEqual(HiddenMarks.first(in: "👩\u{200D}"), "\u{200D}", "nothing after it to join")
        XCTAssertEqual(HiddenMarks.removed(from: "👩\u{200B}\u{200D}👩"), "👩👩", "a joiner beside a hidden mark joins nothing")
        XCTAssertNil(HiddenMarks.first(in: "Ada \u{202E}"), "a reordering mark is not this rule's (it breaks a line)")
    }

    /// Format characters a font draws as nothing though Unicode does not call them ignorable:
    /// "Sa\u{FFF9}m" passed for "Sam" (a name took it, and meetctl printed it raw).
    func testInterlinearAnnotationAndHieroglyphFormatMarksAreHidden() {
        for mark in ["\u{FFF9}", "\u{FFFA}", "\u{FFFB}", "\u{13430}", "\u{1343F}"] {
            XCTAssertEqual(HiddenMarks.first(in: "Sa" + mark + "m").map { String($0) }, mark, mark.unicodeScalars.first!.codePoint)
            XCTAssertEqual(HiddenMarks.removed(from: "Sa" + mark + "m"), "Sam")
        }
        XCTAssertNil(HiddenMarks.first(in: "\u{FFFC}\u{13440}\u{13000}"), "the object replacement sign and hieroglyphs themselves show")
        // Between two hieroglyphs a format control arranges them, as a joiner shapes a script that joins.
        for kept in ["\u{13000}\u{13430}\u{13001}", "\u{13000}\u{13431}\u{13001}\u{13430}\u{13002}"] {
            XCTAssertEqual(HiddenMarks.removed(from: kept), kept)
        }
        XCTAssertEqual(HiddenMarks.removed(from: "\u{13000}\u{13430}"), "\u{13000}", "nothing after it to arrange")
    }
}

final class CodePointTests: XCTestCase {
    /// Every error names a scalar the same way: U+ and at least four hex digits.
    func testAScalarIsNamedWithAtLeastFourDigits() {
        XCTAssertEqual(Unicode.Scalar(0x1B)!.codePoint, "U+001B")
        XCTAssertEqual(Unicode.Scalar(0x61C)!.codePoint, "U+061C")
        XCTAssertEqual(Unicode.Scalar(0x202E)!.codePoint, "U+202E")
        XCTAssertEqual(Unicode.Scalar(0x1F600)!.codePoint, "U+1F600")
    }
}
