import Community
import Core
import Meetings
import XCTest

@testable import Rendering

/// What a person reads for a notification: the community's words, the recipient's clock, the
/// other side's note, and a push text short enough for a phone.
final class NotificationTextTests: XCTestCase {
    let sam = PersonFacts(id: "per_s", email: "sam@x.example", firstName: "Sam", lastName: "Lee", roles: [.user], timeZone: "Europe/Prague")
    let talia = PersonFacts(id: "per_t", email: "talia@x.example", firstName: "Talia", lastName: "Kim", roles: [.expert], timeZone: "America/New_York")
    /// Monday 11 March 2030, 14:00 UTC.
    let start = Instant(seconds: 1_899_468_000)

    func settings() throws -> CommunitySettings {
        var s = CommunitySettings()
        try s.apply(["short_name": "TP", "labels": ["provider": "Tutor", "class": "Course"]], path: "")
        return s
    }

    func testAnInvitationSpeaksTheCommunitysWordsOnTheRecipientsClock() throws {
        let t = NotificationText.compose(
            kind: "expert_meeting_invitation", recipient: sam, counterpart: talia, service: "CHEM101", start: start, payload: [:], settings: try settings())
        XCTAssertEqual(t.subject, "[TP] Tutor Talia Kim invites you to a meeting")
        XCTAssertTrue(t.body.contains("Mon 11 Mar 2030 15:00 CET"), t.body)
        XCTAssertTrue(t.body.contains("Course CHEM101"), t.body)
        XCTAssertTrue(t.body.hasPrefix("Hello Sam,"))
    }

    func testTheOtherSidesNoteGoesWithTheMessage() throws {
        let t = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["note": "Tuesday works better"], settings: try settings())
        XCTAssertTrue(t.body.contains("Note from Talia Kim: Tuesday works better"), t.body)
    }

    func testThePushTextFitsAPhone() throws {
        let t = NotificationText.compose(
            kind: "meeting_request", recipient: talia, counterpart: sam, service: String(repeating: "Organic Chemistry ", count: 20), start: start,
            payload: [:], settings: try settings())
        XCTAssertLessThanOrEqual(t.push.count, 140)
        XCTAssertTrue(t.body.contains("Mon 11 Mar 2030 10:00 EDT"), "the expert's own clock: \(t.body)")
    }

    /// Every mail about a meeting lists it: when on the recipient's clock, where, the video link,
    /// the service and the topic, each on one line whatever the text holds.
    func testTheBodyListsTheMeetingOnTheRecipientsClock() throws {
        let details = NotificationText.MeetingDetails(
            lengthMinutes: 45, location: "Room 101", videoURL: "https://video.example/r", topic: "Moles\r\nBcc: eve@evil.example")
        let t = NotificationText.compose(
            kind: "meeting_confirmed_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start, payload: [:],
            settings: try settings(), details: details)
        XCTAssertEqual(t.subject, "[TP] Meeting confirmed: Mon 11 Mar 2030 15:00 CET", "a confirmation names its date")
        XCTAssertTrue(t.body.contains("""
            When:   Mon 11 Mar 2030 15:00 CET, 45 minutes (your time zone: Europe/Prague)
            Where:  Room 101
            Video:  https://video.example/r
            Course: CHEM101
            Topic:  Moles  Bcc: eve@evil.example
            """), t.body)
    }

    /// The mail that carries a calendar invitation says what the attached .ics does: a new
    /// entry, an update of the same entry after a move, or its removal.
    func testAnInvitationMailSaysWhatItsAttachmentDoes() throws {
        func subject(_ payload: JSON) throws -> String {
            NotificationText.compose(
                kind: "calendar.invite", recipient: talia, counterpart: sam, service: "CHEM101", start: start, payload: payload, settings: try settings()
            ).subject
        }
        XCTAssertEqual(try subject(["method": "REQUEST", "sequence": 0, "title": "Sam and Talia - TP"]), "[TP] Invitation: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
        XCTAssertEqual(try subject(["method": "REQUEST", "sequence": 2, "title": "Sam and Talia - TP"]), "[TP] Updated invitation: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
        XCTAssertEqual(try subject(["method": "CANCEL", "sequence": 3, "title": "Sam and Talia - TP"]), "[TP] Cancelled: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
    }
}

final class ChatTextTests: XCTestCase {
    func testControlsAndReorderingMarksBecomeReplacementCharactersAndAPushIsOneLine() {
        let hostile = "a\u{1B}[2J\u{9B}b\u{202E}c\u{2066}\nd\te\r"
        XCTAssertEqual(ChatText.body(hostile), "a\u{FFFD}[2J\u{FFFD}b\u{FFFD}c\u{FFFD}\nd\te\u{FFFD}")
        XCTAssertEqual(ChatText.line(hostile), "a\u{FFFD}[2J\u{FFFD}b\u{FFFD}c\u{FFFD} d e ")
        XCTAssertEqual(ChatText.body("Příliš žluťoučký 🐴"), "Příliš žluťoučký 🐴")
    }
}
