import Community
import Core
import Meetings
import People
import XCTest

final class ExpertProfileTests: XCTestCase {
    let talia = PersonFacts(id: "per_1", email: "talia@x.example", firstName: "Talia", lastName: "Kim", roles: [.expert], timeZone: "UTC")
    let sam = PersonFacts(id: "per_2", email: "sam@x.example", firstName: "Sam", lastName: "Lee", roles: [.user], timeZone: "UTC")

    func field(of error: Error) -> String? { (error as? AppError)?.details["field"]?.stringValue }

    func testAnUnwrittenProfileShowsTheNameAndNothingPrivate() {
        let json = ExpertProfile.unwritten(talia).publicJSON
        XCTAssertEqual(json["display_name"], "Talia Kim")
        XCTAssertEqual(Set(json.objectValue!.keys), ["person_id", "display_name", "bio", "photo_url", "languages"])
        XCTAssertFalse(json.serialized().contains("talia@x.example"))
    }

    func testOnlyTheExpertThemselfOrAnAdminWritesAndOnlyExpertsHaveProfiles() throws {
        XCTAssertNoThrow(try ProfileRules.mayWrite(actorId: talia.id, actorRoles: [.expert], subject: talia))
        XCTAssertNoThrow(try ProfileRules.mayWrite(actorId: "per_admin", actorRoles: [.admin], subject: talia))
        XCTAssertThrowsError(try ProfileRules.mayWrite(actorId: sam.id, actorRoles: [.user, .office], subject: talia)) {
            XCTAssertEqual(($0 as? AppError)?.code, .forbidden)
        }
        XCTAssertThrowsError(try ProfileRules.mayWrite(actorId: sam.id, actorRoles: [.user], subject: sam)) { XCTAssertEqual(field(of: $0), "person_id") }
        XCTAssertThrowsError(try ProfileRules.readable(sam, .unwritten(sam))) { XCTAssertEqual(($0 as? AppError)?.code, .notFound) }
    }

    func testAChangeKeepsWhatItDoesNotName() throws {
        let first = try ProfileRules.apply(
            ProfileChange(displayName: "  Talia K ", bio: "Chemistry.\n\nAsk me anything.", photoURL: "https://photos.example.org/t.jpg", languages: ["EN", "pt-br", "en"]),
            to: .unwritten(talia))
        XCTAssertEqual(first.displayName, "Talia K")
        XCTAssertEqual(first.languages, ["en", "pt-BR"], "normalized and each once")
        let second = try ProfileRules.apply(ProfileChange(bio: "Only chemistry."), to: first)
        XCTAssertEqual(second.displayName, "Talia K")
        XCTAssertEqual(second.photoURL, "https://photos.example.org/t.jpg")
        let cleared = try ProfileRules.apply(ProfileChange(photoURL: .some(nil)), to: second)
        XCTAssertNil(cleared.photoURL)
        XCTAssertEqual(cleared.bio, "Only chemistry.")
    }

    func testPhotoURLsAreHTTPSToAHostAndNothingElse() {
        for good in ["https://photos.example.org/talia.jpg", "HTTPS://cdn.example.com:8443/a/b.png?size=2", "https://x.example", "https://x.example/a%20b.png"] {
            XCTAssertNoThrow(try ProfileRules.photoURL(good), good)
        }
        // The scheme in its canonical case, as the database's check wants it (HTTPS:// was an
        // internal error there).
        XCTAssertEqual(try ProfileRules.photoURL("HTTPS://cdn.example.com/A.png"), "https://cdn.example.com/A.png")
        XCTAssertEqual(try ProfileRules.photoURL("Https://x.example"), "https://x.example")
        for bad in ["https://x.example:99999/a.png", "https://x.example:0/", "https://x.example:+80/", "https://x.example:/", "https://-bad-.example/",
                    "https://x..example/", "https://x.example/%zz", "https://x.example/100%", "https://[::1]/a.png",
                    // Characters a URL never holds as they are: markup a front end would paste.
                    "https://p.example/a\"><script>", "https://p.example/<x>", "https://p.example/a{b}", "https://p.example/a|b", "https://p.example/a`b"] {
            XCTAssertThrowsError(try ProfileRules.photoURL(bad), bad) { XCTAssertEqual(self.field(of: $0), "photo_url") }
        }
        for bad in [
            "http://photos.example.org/t.jpg", "javascript:alert(1)", "data:image/png;base64,AAAA", "https://user:pw@photos.example.org/t.jpg",
            "https://photos.example.org/a b.jpg", "https://photos.example.org/\u{202E}gpj.exe", "https://localhost/t.jpg", "https:///t.jpg",
            "https://photos.example.org/t.jpg\r\nX-Header: 1", "//photos.example.org/t.jpg", "https://" + String(repeating: "a", count: 500) + ".example",
        ] {
            XCTAssertThrowsError(try ProfileRules.photoURL(bad), bad) { XCTAssertEqual(self.field(of: $0), "photo_url") }
        }
    }

    func testHostileTextIsRefusedWhereItCouldRewriteAScreen() {
        XCTAssertThrowsError(try ProfileRules.displayName("Talia\u{1B}[2J")) { XCTAssertEqual(self.field(of: $0), "display_name") }
        XCTAssertThrowsError(try ProfileRules.displayName("Talia\u{202E}K")) { XCTAssertEqual(self.field(of: $0), "display_name") }
        XCTAssertThrowsError(try ProfileRules.displayName("Talia\u{2028}K")) { XCTAssertEqual(self.field(of: $0), "display_name") }
        XCTAssertThrowsError(try ProfileRules.displayName("Talia\u{85}K")) { XCTAssertEqual(self.field(of: $0), "display_name") }
        XCTAssertThrowsError(try ProfileRules.displayName("   ")) { XCTAssertEqual(self.field(of: $0), "display_name") }
        XCTAssertThrowsError(try ProfileRules.bio("Hi\u{07}")) { XCTAssertEqual(self.field(of: $0), "bio") }
        XCTAssertThrowsError(try ProfileRules.bio("Hi\r")) { XCTAssertEqual(self.field(of: $0), "bio") }
        // The refusal says which line breaks are taken (it said "other than line breaks" of a CR).
        XCTAssertThrowsError(try ProfileRules.bio("Hi\u{85}there")) {
            XCTAssertEqual(($0 as? AppError)?.details["reason"]?.stringValue,
                           "must not contain control characters, other line breaks or reordering marks (found U+0085); line breaks are LF or CR LF, and tabs are kept")
        }
        // The line and paragraph separators too, as the refusal says (they were kept).
        for separator in ["\u{2028}", "\u{2029}"] {
            XCTAssertThrowsError(try ProfileRules.bio("Hi" + separator + "there")) {
                XCTAssertTrue((($0 as? AppError)?.details["reason"]?.stringValue ?? "").contains("(found \(separator.unicodeScalars.first!.codePoint))"), "\($0)")
            }
        }
        XCTAssertThrowsError(try ProfileRules.bio(String(repeating: "x", count: 2001))) { XCTAssertEqual(self.field(of: $0), "bio") }
        XCTAssertEqual(try ProfileRules.bio("Line one\n\tLine two"), "Line one\n\tLine two")
        XCTAssertEqual(try ProfileRules.bio("Line one\r\n\r\nLine two"), "Line one\n\nLine two", "a Windows line break is a line break")
    }

    func testLanguageTags() throws {
        XCTAssertEqual(try ProfileRules.languages(["cs", "zh-hant-tw", "es-419", "DE-at"]), ["cs", "zh-Hant-TW", "es-419", "de-AT"])
        // Every part of a BCP 47 tag: variants, extensions and private use (they were refused).
        XCTAssertEqual(try ProfileRules.languages(["de-CH-1901", "EN-us-X-Twain", "x-private", "sl-rozaj-biske", "en-u-ca-gregory"]),
                       ["de-CH-1901", "en-US-x-twain", "x-private", "sl-rozaj-biske", "en-u-ca-gregory"])
        for bad in ["e", "english!", "en_US", "en-", "en-USA1", "x1", "", "en-x", "en-a", "en-US-x-toolongpart", "x", "en-GB-oed"] {
            XCTAssertThrowsError(try ProfileRules.languages(["en", bad]), bad) { XCTAssertEqual(self.field(of: $0), "languages[1]") }
        }
        XCTAssertThrowsError(try ProfileRules.languages(Array(repeating: "en", count: 21))) { XCTAssertEqual(self.field(of: $0), "languages") }
    }
}
