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
        // The final sigma is a sigma, wherever a capital Σ stood.
        XCTAssertEqual(NameRule.key("ΟΔΟΣ"), NameRule.key("οδος"))
        XCTAssertEqual(NameRule.key("Οδοσ3"), NameRule.key("οδος3"))
    }

    func testANameNobodyCanSeeIsRefused() {
        XCTAssertEqual(reason("   "), "must not be blank")
        for invisible in ["\u{200B}", "\u{200B}\u{200D}", "\u{FEFF}", "\u{00AD}", "\u{E0041}\u{E0042}", "\u{3164}", "\u{2060} \u{180E}",
                          // A combining mark alone, and the blank Braille pattern.
                          "\u{0301}", "\u{20DD}", "\u{2800}", "\u{2800}\u{0301}"] {
            XCTAssertEqual(reason(invisible), "must have a character that can be seen, not only invisible ones",
                           invisible.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        // The joiners and variation selectors beside visible characters stay: they shape some
        // scripts and emoji.
        XCTAssertNil(reason("\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}"))
        XCTAssertNil(reason("👩\u{200D}🔬 Ada"))
        XCTAssertNil(reason("Ada \u{2615}\u{FE0F}"))
        XCTAssertNil(reason("Ada 👍\u{1F3FD}\u{200D}👍"), "a joiner between emoji, after a skin tone")
        XCTAssertNil(reason("Room 1\u{FE0F}\u{20E3}"), "a keycap")
        // A subdivision flag: the black flag and its tags (Scotland).
        XCTAssertNil(reason("Go \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"))
        XCTAssertNil(reason("\u{0915}\u{094D}\u{200D}\u{0937}"), "Devanagari: a joiner after a virama")
        XCTAssertNil(reason("\u{845B}\u{E0100}"), "an ideograph's variant")
        XCTAssertNil(reason("Zo\u{0308}e"), "a mark on a letter")
        XCTAssertNil(reason("\u{0915}\u{093F}"), "Devanagari: a consonant with its vowel sign")
    }

    /// A mark that shows nothing inside a name makes a second "Sam" nobody can tell from the
    /// first (in meetctl people, in a mail): refused, naming it.
    func testAHiddenMarkInsideANameIsRefused() {
        for (name, mark) in [("Sa\u{200B}m", "200B"), ("A\u{00AD}da", "00AD"), ("Le\u{FEFF}e", "FEFF"), ("Sam\u{E0049}\u{E0047}", "E0049"),
                             ("Sa\u{2060}m", "2060"), ("CHEM\u{034F}101", "034F"), ("Kim\u{3164}", "3164"),
                             // Joiners and selectors where they shape nothing: between Latin letters.
                             ("Sa\u{200D}m", "200D"), ("Sa\u{200C}m", "200C"), ("Sa\u{FE0F}m", "FE0F"), ("\u{200D}Sam", "200D"),
                             // A joiner after an emoji with nothing to join, and text hidden in tags after a flag.
                             ("Ada 👍\u{200D}", "200D"), ("Sam😀\u{200D}x", "200D"),
                             ("Sam \u{1F3F4}\u{E0050}\u{E0041}\u{E0059}\u{E007F}", "E0050")] {
            XCTAssertEqual(reason(name), "must not hold invisible characters (found U+\(mark)), which make one name pass for another", name.debugDescription)
        }
    }
}
