import Core
import XCTest

@testable import Ledger

/// A reference is recorded as a reader sees it; a reason says something.
final class MovementTextTests: XCTestCase {
    func testAReferenceLosesTheWhitespaceAroundIt() throws {
        XCTAssertEqual(try MovementText.reference(" order-2 "), "order-2")
        XCTAssertEqual(try MovementText.reference("\u{A0}order-2\u{A0}"), "order-2")
        XCTAssertEqual(try MovementText.reference("order 2"), "order 2", "spaces inside stay")
        XCTAssertEqual(try MovementText.reference("Bestellung-Ä"), "Bestellung-Ä")
    }

    func testABlankOrInvisibleReferenceIsRefused() {
        for bad in ["", "   ", "\u{A0}\u{3000}", "\u{200B}", "order-\u{200B}2", "\u{FEFF}order-2", "x\u{202E}evil", "esc\u{1B}[31m", "a\r\nb", "a\u{2028}b", "order\u{AD}2",
                    // Default-ignorable too: a combining grapheme joiner, variation selectors, Hangul fillers.
                    "order-2\u{34F}", "order-2\u{FE0F}", "order-2\u{FE00}", "order-2\u{3164}", "order-2\u{1160}", "order\u{115F}-2"] {
            XCTAssertThrowsError(try MovementText.reference(bad), bad.debugDescription) { error in
                XCTAssertEqual((error as? AppError)?.details["field"], "reference")
            }
        }
    }

    /// The 200-character bound is of the stored (NFKC) form: 67 "ﬃ" are 201 letters there, and
    /// were refused by the database's check as an internal error.
    func testAReferenceLongerOnceStoredIsRefused() throws {
        XCTAssertEqual(try MovementText.reference(String(repeating: "\u{FB03}", count: 66)).count, 66)
        XCTAssertThrowsError(try MovementText.reference(String(repeating: "\u{FB03}", count: 67))) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "reference")
            XCTAssertTrue((error as? AppError)?.message.contains("201 characters") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try MovementText.reference(String(repeating: "\u{FDFA}", count: 12)), "one character of 18 letters once stored")
        XCTAssertNoThrow(try MovementText.reference(String(repeating: "a", count: 200)))
    }

    /// Characters that show as nothing alone make a blank-looking reference: the blank Braille
    /// pattern, a combining mark with nothing to sit on (both were granted).
    func testAReferenceOfCharactersShowingNothingIsRefused() throws {
        for bad in ["\u{2800}", "\u{2800}\u{2800}", "\u{301}", " \u{301}\u{20DD} "] {
            XCTAssertThrowsError(try MovementText.reference(bad), bad.debugDescription) { error in
                XCTAssertEqual((error as? AppError)?.details["field"], "reference")
                XCTAssertTrue((error as? AppError)?.message.contains("can be seen") ?? false, "\(error)")
            }
        }
        XCTAssertEqual(try MovementText.reference("e\u{301}-2"), "e\u{301}-2", "a mark on a letter is seen")
        XCTAssertEqual(try MovementText.reference("-"), "-")
    }

    func testAReasonSaysSomething() throws {
        XCTAssertEqual(try MovementText.reason("  duplicate purchase\u{A0}"), "duplicate purchase")
        for blank in ["", "   ", "\u{A0}\u{2003}"] {
            XCTAssertThrowsError(try MovementText.reason(blank), blank.debugDescription)
        }
    }

    /// A reason of invisible characters alone reads as blank in every statement and file: each
    /// of these made an adjustment.
    func testAReasonOfInvisibleCharactersIsRefused() throws {
        for invisible in ["\u{200B}", "\u{200B}\u{200B}", "\u{FEFF}", "\u{2060}", "\u{AD}", "\u{3164}", "\u{2800}", "\u{301}"] {
            XCTAssertThrowsError(try MovementText.reason(invisible), invisible.debugDescription) { error in
                XCTAssertEqual((error as? AppError)?.details["field"], "reason")
                XCTAssertTrue((error as? AppError)?.message.contains("say why the account is corrected") ?? false, "\(error)")
            }
        }
        XCTAssertEqual(try MovementText.reason("\u{200B}refund\u{200B}"), "\u{200B}refund\u{200B}", "with something seen, it stays as given")
    }
}
