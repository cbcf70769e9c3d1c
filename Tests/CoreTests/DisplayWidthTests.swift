import Core
import XCTest

/// Terminal columns per Unicode scalar: wide East Asian text and emoji two, combining marks and
/// zero-width characters none.
final class DisplayWidthTests: XCTestCase {
    func testWideCharactersTakeTwoColumns() {
        XCTAssertEqual("Sam Lee".terminalWidth, 7)
        XCTAssertEqual("山田".terminalWidth, 4, "CJK ideographs")
        XCTAssertEqual("ひらがなカタカナ".terminalWidth, 16, "Hiragana and Katakana")
        XCTAssertEqual("한국".terminalWidth, 4, "Hangul syllables")
        XCTAssertEqual("「。」".terminalWidth, 6, "CJK punctuation")
        XCTAssertEqual("ＡＢ".terminalWidth, 4, "fullwidth forms")
        XCTAssertEqual("ｱ".terminalWidth, 1, "halfwidth Katakana stays narrow")
        XCTAssertEqual("￥".terminalWidth, 2, "fullwidth yen sign (FFE5)")
        XCTAssertEqual("😀🤖🌍".terminalWidth, 6, "emoji")
        XCTAssertEqual("\u{20000}".terminalWidth, 2, "CJK Extension B")
        XCTAssertEqual("\u{3000}".terminalWidth, 2, "ideographic space")
    }

    func testMarksAndZeroWidthCharactersTakeNone() {
        XCTAssertEqual("e\u{301}".terminalWidth, 1, "a combining acute (Mn)")
        XCTAssertEqual("a\u{20DD}".terminalWidth, 1, "an enclosing circle (Me)")
        XCTAssertEqual("a\u{200B}b\u{200D}c\u{FEFF}".terminalWidth, 3, "zero-width space, joiner, byte-order mark")
        XCTAssertEqual("\u{1100}\u{1161}".terminalWidth, 2, "a Hangul syllable of Jamo: the vowel joins the consonant")
        XCTAssertEqual("é".terminalWidth, 1)
        XCTAssertEqual("Zoë Šťastná".terminalWidth, 11)
        XCTAssertEqual("\u{1B}".terminalWidth, 0, "controls are shown as nothing")
    }

    func testCutsToAWidthWithAnEllipsis() {
        XCTAssertEqual("abcdef".truncated(toTerminalWidth: 6), "abcdef", "what fits stays whole")
        XCTAssertEqual("abcdefg".truncated(toTerminalWidth: 6), "abcde…")
        XCTAssertEqual("abcdefg".truncated(toTerminalWidth: 6).terminalWidth, 6)
        XCTAssertEqual("山田太郎".truncated(toTerminalWidth: 6), "山田…", "5 columns: a third ideograph would cross the limit")
        XCTAssertEqual("山田太郎".truncated(toTerminalWidth: 8), "山田太郎")
        XCTAssertEqual("e\u{301}e\u{301}e\u{301}x".truncated(toTerminalWidth: 3), "e\u{301}e\u{301}…", "marks stay with their letters")
        XCTAssertEqual("abc".truncated(toTerminalWidth: 0), "")
    }
}
