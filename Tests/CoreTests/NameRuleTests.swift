import XCTest

@testable import Core

final class NameRuleTests: XCTestCase {
    func reason(_ text: String) -> String? {
        do {
            _ = try NameRule.stored(text, field: "first_name")
            return nil
        } catch let e as AppError { return e.details["reason"]?.stringValue } catch { return "\(error)" }
    }

    func testANameIsStoredTrimmedAndComposed() throws {
        XCTAssertEqual(try NameRule.stored("  Cafe\u{301}\u{3000}", field: "first_name"), "Café")
        XCTAssertEqual(NameRule.key(" İzmir"), "i\u{307}zmir")
    }

    func testANameNobodyCanSeeIsRefused() {
        XCTAssertEqual(reason("   "), "must not be blank")
        for invisible in ["\u{200B}", "\u{200B}\u{200D}", "\u{FEFF}", "\u{00AD}", "\u{E0041}\u{E0042}", "\u{3164}", "\u{2060} \u{180E}",
                          // A combining mark alone, and the blank Braille pattern.
                          "\u{0301}", "\u{20DD}", "\u{2800}", "\u{2800}\u{0301}"] {
            XCTAssertEqual(reason(invisible), "must have a character that can be seen, not only invisible ones",
                           invisible.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        // Invisible characters beside visible ones stay: joiners shape some scripts and emoji.
        XCTAssertNil(reason("\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}"))
        XCTAssertNil(reason("👩\u{200D}🔬 Ada"))
        XCTAssertNil(reason("A\u{00AD}da"))
        XCTAssertNil(reason("Zo\u{0308}e"), "a mark on a letter")
        XCTAssertNil(reason("\u{0915}\u{093F}"), "Devanagari: a consonant with its vowel sign")
    }
}
