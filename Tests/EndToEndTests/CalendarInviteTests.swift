import Foundation
import XCTest

/// Calendar invitations (seed 001, SPEC §5.3): an iCalendar (RFC 5545/5546) invitation per
/// meeting, sent to both parties through the outbox (channel "calendar") when the agreed date
/// appears, moves or is cancelled, and shown by `meeting.calendar`. Every invitation is parsed
/// by Python's `icalendar` package (Support/ics_fields.py), not by string matching.
final class CalendarInviteTests: EndToEndTestCase {
    /// A community "PEER" with Sam (user) and Talia (expert), a service with agenda questions at
    /// a room whose name needs escaping in iCalendar.
    struct Scene {
        let w: MeetingWorld
        let sam: String, talia: String
        let samEmail: String, taliaEmail: String
        let service: String, room: String
        static let serviceName = "Chemistry: Labs, Safety; Basics"
        static let roomName = "Library Room 101, 2nd floor; east wing"
        static let questions = ["What do you want to work on?", "Anything to bring?"]
    }

    func scene(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> Scene {
        let w = try MeetingWorld(self, label: label, settings: ["short_name": "PEER"].merging(settings) { _, given in given })
        let room = try w.addLocation(Scene.roomName)
        let service = try w.addService(Scene.serviceName, agendaQuestions: Scene.questions)
        let samPerson = try w.addPerson(roles: ["user"], firstName: "Sam", lastName: "Lee", timeZone: "Europe/Prague")
        let taliaPerson = try w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "Kim", timeZone: "America/New_York")
        let sam = try MeetingWorld.id(of: samPerson), talia = try MeetingWorld.id(of: taliaPerson)
        try w.grant(sam, 500)
        try w.certify(talia, in: service)
        try w.setWeekly(talia, timeZone: "UTC", dailyRules("06:00", "22:00", at: [room]))
        return Scene(w: w, sam: sam, talia: talia, samEmail: samPerson["email"]?.string ?? "", taliaEmail: taliaPerson["email"]?.string ?? "",
                     service: service, room: room)
    }

    func request(_ s: Scene, start: String, _ extra: [String: JSONValue] = [:]) throws -> String {
        try MeetingWorld.id(of: s.w.requestWith(start: start, by: s.sam, expert: s.talia,
                                                 ["service_id": .string(s.service), "location_id": .string(s.room)].merging(extra) { _, given in given }))
    }

    /// Claims and acknowledges the calendar channel: (recipient, payload) of each invitation.
    func invitations(_ w: MeetingWorld) throws -> [(recipient: String, payload: JSONValue)] {
        var out: [(String, JSONValue)] = []
        for _ in 0..<10 {
            let claimed = try w.claim(consumer: "calendar", limit: 500, extra: ["channel": "calendar"])
            if claimed.isEmpty { return out }
            try w.meetingd.result("outbox.ack", as: w.admin, ["ids": .array(claimed.map { .string($0.id) })])
            for m in claimed {
                XCTAssertEqual(m.kind, "calendar.invite")
                XCTAssertEqual(m.channel, "calendar")
                out.append((m.recipientId ?? "", m.raw["payload"] ?? .null))
            }
        }
        throw HarnessError("the calendar channel never ran dry")
    }

    /// Both parties got one invitation each; returns the parsed fields (identical for both).
    func sentToBoth(_ s: Scene, meeting id: String, method: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let sent = try invitations(s.w)
        XCTAssertEqual(Set(sent.map(\.recipient)), [s.sam, s.talia], "one invitation to each party", file: file, line: line)
        XCTAssertEqual(sent.count, 2, file: file, line: line)
        let parsed = try PythonReference.invitations(sent.map { $0.payload["ics"]?.string ?? "" })
        XCTAssertEqual(parsed.first, parsed.last, "both parties get the same invitation", file: file, line: line)
        for (message, fields) in zip(sent, parsed) {
            XCTAssertEqual(message.payload["method"]?.string, method, file: file, line: line)
            XCTAssertEqual(fields["method"]?.string, method, file: file, line: line)
            XCTAssertEqual(message.payload["uid"], fields["uid"], "the payload names the UID of its invitation", file: file, line: line)
            XCTAssertEqual(message.payload["sequence"], fields["sequence"], file: file, line: line)
            XCTAssertEqual(message.payload["title"], fields["summary"], file: file, line: line)
            XCTAssertEqual(fields["uid"]?.string, "\(id)@meetingledger", file: file, line: line)
        }
        return parsed[0]
    }

    /// `meeting.calendar` as each party reads it, parsed; both read the same invitation.
    func calendar(_ s: Scene, _ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let byUser = try s.w.meetingd.result("meeting.calendar", as: s.sam, ["meeting_id": .string(id)])
        let byExpert = try s.w.meetingd.result("meeting.calendar", as: s.talia, ["meeting_id": .string(id)])
        let parsed = try PythonReference.invitations([byUser["ics"]?.string ?? "", byExpert["ics"]?.string ?? ""])
        XCTAssertEqual(byUser["method"], parsed[0]["method"], file: file, line: line)
        XCTAssertEqual(parsed[0], parsed[1], file: file, line: line)
        return parsed[0]
    }

    // MARK: Confirmed

    /// "If auto-accept is off, you will receive the calendar invite once the tutor confirms"
    /// (seed 001): titled "[user first name] and [expert first name] - [short name]", at the
    /// meeting's time and place, the service and the agenda answers in the description.
    func testAConfirmedRequestInvitesBothParties() throws {
        let s = try scene()
        let start = MeetingTime.at(day: 7, hour: 10)
        let longAnswer = "Příprava na zkoušku z chemie: rovnice, moly, titrace — a také laboratorní protokol 🧪 (strana 12–15)"
        let id = try request(s, start: start, ["topic": "Stoichiometry", "agenda_answers": ["Balancing equations; moles, and more", .string(longAnswer)]])
        XCTAssertTrue(try invitations(s.w).isEmpty, "no invitation while the request waits for the expert")

        let confirmed = try s.w.act("meeting.confirm", as: s.talia, id)
        let invite = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(invite["version"], "2.0")
        XCTAssertEqual(invite["status"], "CONFIRMED")
        XCTAssertEqual(invite["sequence"], 0)
        XCTAssertEqual(invite["summary"], "Sam and Talia - PEER")
        XCTAssertEqual(invite["dtstart"]?.string, confirmed["start"]?.string)
        XCTAssertEqual(invite["dtend"]?.string, confirmed["end"]?.string)
        XCTAssertEqual(invite["dtstart"]?.string, start)
        XCTAssertEqual(invite["location"]?.string, Scene.roomName, "commas and semicolons survive escaping")
        XCTAssertEqual(invite["dtstamp"]?.string, MeetingTime.startOfTest)
        let description = invite["description"]?.string ?? ""
        for part in [Scene.serviceName, "Stoichiometry", Scene.questions[0], "Balancing equations; moles, and more", Scene.questions[1], longAnswer] {
            XCTAssertTrue(description.contains(part), "the description names \"\(part)\": \(description)")
        }
        XCTAssertLessThan(description.range(of: Scene.questions[0])!.lowerBound, description.range(of: "Balancing equations")!.lowerBound,
                          "each answer follows its question")
        XCTAssertEqual(invite["organizer"]?["address"]?.string?.lowercased(), "mailto:\(s.taliaEmail)".lowercased())
        XCTAssertEqual(Set(invite["attendees"]?.array?.compactMap { $0["address"]?.string?.lowercased() } ?? []),
                       ["mailto:\(s.samEmail)".lowercased(), "mailto:\(s.taliaEmail)".lowercased()])
        XCTAssertEqual(Set(invite["attendees"]?.array?.compactMap { $0["cn"]?.string } ?? []), ["Sam Lee", "Talia Kim"])

        let shown = try calendar(s, id)
        XCTAssertEqual(shown["method"], "REQUEST")
        func unstamped(_ fields: JSONValue) -> JSONValue {
            guard case .object(var o) = fields else { return fields }
            o["dtstamp"] = nil
            return .object(o)
        }
        XCTAssertEqual(unstamped(shown), unstamped(invite), "meeting.calendar shows the invitation that was sent")
    }

    // MARK: Moved

    /// A move (reschedule, then confirm_alternate) re-sends the invitation under the same UID
    /// with SEQUENCE raised and the new time; an alternate that is only proposed, or rejected,
    /// sends nothing, as the original date stays in effect.
    func testAMoveRaisesTheSequenceUnderTheSameUID() throws {
        let s = try scene()
        let start = MeetingTime.at(day: 7, hour: 10)
        let id = try request(s, start: start)
        try s.w.act("meeting.confirm", as: s.talia, id)
        let first = try sentToBoth(s, meeting: id, method: "REQUEST")

        let later = MeetingTime.at(day: 8, hour: 14)
        try s.w.act("meeting.reschedule", as: s.sam, id, ["start": .string(later), "note": "Wednesday?"])
        XCTAssertTrue(try invitations(s.w).isEmpty, "a proposed alternate changes nothing yet")
        try s.w.act("meeting.reject_alternate", as: s.talia, id, ["reason_code": "schedule_conflict"])
        XCTAssertTrue(try invitations(s.w).isEmpty, "a rejected alternate changes nothing")

        try s.w.act("meeting.reschedule", as: s.sam, id, ["start": .string(later), "length_minutes": 90])
        let moved = try s.w.act("meeting.confirm_alternate", as: s.talia, id)
        XCTAssertEqual(moved["start"]?.string, later)
        let second = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(second["uid"], first["uid"], "the same event, updated")
        XCTAssertEqual(second["sequence"], 1)
        XCTAssertEqual(second["dtstart"]?.string, later)
        XCTAssertEqual(second["dtend"]?.string, MeetingTime.shifted(later, minutes: 90))
        XCTAssertEqual(second["status"], "CONFIRMED")

        let third = MeetingTime.at(day: 9, hour: 9)
        try s.w.act("meeting.reschedule", as: s.talia, id, ["start": .string(third)])
        try s.w.act("meeting.confirm_alternate", as: s.sam, id)
        let again = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(again["uid"], first["uid"])
        XCTAssertEqual(again["sequence"], 2, "raised on every move")
        XCTAssertEqual(again["dtstart"]?.string, third)
        XCTAssertEqual(try calendar(s, id)["sequence"], 2)
    }

    // MARK: Cancelled

    /// A cancellation sends METHOD:CANCEL with STATUS:CANCELLED, the same UID and a raised
    /// SEQUENCE, so calendars remove the event ("The calendar invite will be removed", seed 000).
    func testACancellationSendsMethodCancel() throws {
        let s = try scene()
        let start = MeetingTime.at(day: 7, hour: 10)
        let id = try request(s, start: start)
        try s.w.act("meeting.confirm", as: s.talia, id)
        let sent = try sentToBoth(s, meeting: id, method: "REQUEST")

        try s.w.act("meeting.cancel", as: s.sam, id, ["reason_code": "illness"])
        let cancel = try sentToBoth(s, meeting: id, method: "CANCEL")
        XCTAssertEqual(cancel["status"], "CANCELLED")
        XCTAssertEqual(cancel["uid"], sent["uid"])
        XCTAssertGreaterThan(cancel["sequence"]?.int ?? 0, sent["sequence"]?.int ?? 0, "SEQUENCE raised for the cancellation")
        XCTAssertEqual(cancel["dtstart"]?.string, start, "the cancelled occurrence is named by its time")
        let shown = try calendar(s, id)
        XCTAssertEqual(shown["method"], "CANCEL")
        XCTAssertEqual(shown["status"], "CANCELLED")

        // An expert's cancellation too; a declined request (never agreed) sends nothing.
        let other = try request(s, start: MeetingTime.at(day: 8, hour: 10))
        try s.w.act("meeting.confirm", as: s.talia, other)
        _ = try invitations(s.w)
        try s.w.act("meeting.cancel", as: s.talia, other, ["reason_code": "illness"])
        XCTAssertEqual(try sentToBoth(s, meeting: other, method: "CANCEL")["status"], "CANCELLED")
        let declined = try request(s, start: MeetingTime.at(day: 9, hour: 10))
        try s.w.act("meeting.decline", as: s.talia, declined, ["reason_code": "schedule_conflict"])
        XCTAssertTrue(try invitations(s.w).isEmpty, "nothing was in anyone's calendar")
    }

    /// A video link recorded by the integration goes into the invitation (URL, description),
    /// which is sent again.
    func testAVideoLinkIsAddedToTheInvitation() throws {
        let s = try scene()
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10))
        try s.w.act("meeting.confirm", as: s.talia, id)
        _ = try invitations(s.w)
        let url = "https://video.example/rooms/abc-123?pwd=x,y"
        try s.w.act("meeting.set_video_link", as: s.w.admin, id, ["url": .string(url)])
        let invite = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(invite["url"]?.string, url)
        XCTAssertTrue(invite["description"]?.string?.contains(url) ?? false, "the link is in the description: \(invite)")
        XCTAssertEqual(invite["location"]?.string, Scene.roomName)
    }
}
