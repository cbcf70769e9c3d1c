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

    /// An invitation queued before its user changed their e-mail and name is written for them as
    /// they are when it is sent: its attendee is the address the mail goes to (RFC 6047), as
    /// meeting.calendar shows it. It named the old address and name at the same SEQUENCE.
    func testAnInvitationNamesThePeopleAsTheyAreWhenItIsSent() throws {
        let s = try scene()
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10))
        try s.w.act("meeting.confirm", as: s.talia, id)
        let newEmail = "samuel-\(TestEnvironment.uniqueTag())@example.test"
        try s.w.meetingd.result("person.update", as: s.w.admin, ["person_id": .string(s.sam), "email": .string(newEmail), "first_name": "Samuel"])
        let invite = try sentToBoth(s, meeting: id, method: "REQUEST")
        let attendees = Set(invite["attendees"]?.array?.compactMap { $0["address"]?.string?.lowercased() } ?? [])
        XCTAssertEqual(attendees, ["mailto:\(newEmail)".lowercased(), "mailto:\(s.taliaEmail)".lowercased()])
        XCTAssertEqual(Set(invite["attendees"]?.array?.compactMap { $0["cn"]?.string } ?? []), ["Samuel Lee", "Talia Kim"])
        XCTAssertEqual(invite["summary"], "Samuel and Talia - PEER")
        XCTAssertEqual(invite["sequence"], 0)
        XCTAssertEqual(invite["dtstamp"]?.string, MeetingTime.startOfTest, "the invitation as it was made, for its people as they are")
        let shown = try calendar(s, id)
        XCTAssertEqual(shown["attendees"], invite["attendees"], "meeting.calendar and the mail name the same people")
    }

    /// A service or place renamed after the invitation was mailed sends no update: the
    /// invitation meeting.calendar gives is still the one mailed, at its SEQUENCE (it showed
    /// the new names under the old SEQUENCE, which a calendar importing it takes for the same
    /// version of the event). The next update, a move, carries the new names.
    func testARenameLeavesTheInvitationAsMailed() throws {
        let s = try scene()
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10))
        try s.w.act("meeting.confirm", as: s.talia, id)
        let mailed = try sentToBoth(s, meeting: id, method: "REQUEST")
        try s.w.meetingd.result("service.update", as: s.w.admin, ["service_id": .string(s.service), "name": "Chemistry II"])
        try s.w.meetingd.result("location.update", as: s.w.admin, ["location_id": .string(s.room), "name": "Hall B"])
        XCTAssertTrue(try invitations(s.w).isEmpty, "a rename sends no invitation")
        let shown = try calendar(s, id)
        XCTAssertEqual(shown["sequence"], mailed["sequence"])
        XCTAssertEqual(shown["location"]?.string, Scene.roomName, "the place as mailed")
        XCTAssertTrue(shown["description"]?.string?.contains(Scene.serviceName) ?? false, "the service as mailed: \(shown)")

        try s.w.act("meeting.reschedule", as: s.talia, id, ["start": .string(MeetingTime.at(day: 8, hour: 10))])
        try s.w.act("meeting.confirm_alternate", as: s.sam, id)
        let moved = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(moved["location"]?.string, "Hall B")
        XCTAssertTrue(moved["description"]?.string?.contains("Chemistry II") ?? false, "\(moved)")
        XCTAssertEqual(try calendar(s, id)["location"]?.string, "Hall B")
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

    /// A request has no invitation to hand out: its date and status still change, and the file
    /// meeting.calendar gave (TENTATIVE at SEQUENCE 0, still SEQUENCE 0 after a move and once
    /// agreed) would make a calendar that imported it ignore the invitation mailed later. From
    /// when it is agreed meeting.calendar gives the invitation mailed, at its SEQUENCE; a request
    /// ended before that (withdrawn, declined) was never in anyone's calendar and has none.
    func testARequestHasNoInvitationUntilItIsAgreed() throws {
        let s = try scene()
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10))
        for person in [s.sam, s.talia] {
            let refused = try s.w.meetingd.error("meeting.calendar", as: person, ["meeting_id": .string(id)], code: 4009)
            XCTAssertTrue(refused["message"]?.string?.contains("not agreed yet; its calendar invitation is mailed to both parties when it is agreed") ?? false,
                          "\(refused)")
        }
        let moved = MeetingTime.at(day: 8, hour: 10)
        try s.w.act("meeting.reschedule", as: s.talia, id, ["start": .string(moved)])
        try s.w.meetingd.error("meeting.calendar", as: s.sam, ["meeting_id": .string(id)], code: 4009)
        try s.w.act("meeting.confirm", as: s.sam, id)
        let invite = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(invite["sequence"], 0)
        XCTAssertEqual(invite["dtstart"]?.string, moved)
        let shown = try calendar(s, id)
        XCTAssertEqual([shown["sequence"], shown["dtstart"], shown["status"]], [invite["sequence"], invite["dtstart"], "CONFIRMED"], "the invitation mailed")

        let withdrawn = try request(s, start: MeetingTime.at(day: 9, hour: 10))
        try s.w.act("meeting.withdraw", as: s.sam, withdrawn)
        let declined = try request(s, start: MeetingTime.at(day: 10, hour: 10))
        try s.w.act("meeting.decline", as: s.talia, declined, ["reason_code": "schedule_conflict"])
        for (ended, person) in [(withdrawn, s.sam), (withdrawn, s.talia), (declined, s.sam), (declined, s.talia)] {
            let refused = try s.w.meetingd.error("meeting.calendar", as: person, ["meeting_id": .string(ended)], code: 4009)
            XCTAssertTrue(refused["message"]?.string?.contains("ended before it was agreed") ?? false, "\(refused)")
        }
        XCTAssertTrue(try invitations(s.w).isEmpty, "nothing was in anyone's calendar")
    }

    /// A video link recorded by the integration goes into the invitation (URL, description),
    /// which is sent again as a revision (SEQUENCE raised, so calendars take it); the same link
    /// again changes nothing.
    func testAVideoLinkIsAddedToTheInvitation() throws {
        let s = try scene()
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10))
        try s.w.act("meeting.confirm", as: s.talia, id)
        let first = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(first["sequence"], 0)
        let url = "https://video.example/rooms/abc-123?pwd=x,y"
        try s.w.act("meeting.set_video_link", as: s.w.admin, id, ["url": .string(url)])
        let invite = try sentToBoth(s, meeting: id, method: "REQUEST")
        XCTAssertEqual(invite["url"]?.string, url)
        XCTAssertTrue(invite["description"]?.string?.contains(url) ?? false, "the link is in the description: \(invite)")
        XCTAssertEqual(invite["location"]?.string, Scene.roomName)
        XCTAssertEqual(invite["sequence"], 1, "a revision of the invitation already sent")
        XCTAssertEqual(try calendar(s, id)["sequence"], 1)
        try s.w.act("meeting.set_video_link", as: s.w.admin, id, ["url": .string(url)])
        XCTAssertTrue(try invitations(s.w).isEmpty, "the same link is no revision")
        XCTAssertEqual(try calendar(s, id)["sequence"], 1)
    }

    // MARK: Hostile text

    /// A topic that, written raw, adds an attendee, a second event and a forged method and status.
    static let exploitTopic = "Algebra\r\nATTENDEE:mailto:mallory@evil.example\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:forged@evil.example\r\n"
        + "METHOD:CANCEL\r\nSTATUS:CANCELLED\r\nEND:VEVENT"

    /// How a text reads back from an iCalendar TEXT value: every line break (CR LF, CR, LF,
    /// U+2028…) as one LF, other control characters gone.
    static func asText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar? = nil
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            if scalar == "\n" && previous == "\r" { continue }
            if ["\r", "\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                out.append("\n")
            } else if scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// The shape of an invitation's text before any parser sees it: CRLF line ends only, lines of
    /// at most 75 octets, one event, two attendees, one METHOD.
    func assertShape(_ ics: String, method: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(ics.utf8)
        for (i, b) in bytes.enumerated() {
            if b == 13 { XCTAssertEqual(i + 1 < bytes.count ? bytes[i + 1] : 0, 10, "a bare CR at octet \(i)", file: file, line: line) }
            if b == 10 { XCTAssertEqual(i > 0 ? bytes[i - 1] : 0, 13, "a bare LF at octet \(i)", file: file, line: line) }
        }
        let physical = ics.components(separatedBy: "\r\n")
        XCTAssertEqual(physical.last, "", "ends with CRLF", file: file, line: line)
        XCTAssertEqual(physical.filter { $0.utf8.count > 75 }, [], "lines longer than 75 octets", file: file, line: line)
        var logical: [String] = []
        for text in physical where !text.isEmpty {
            if text.unicodeScalars.first == " ", !logical.isEmpty {
                logical[logical.count - 1] += String(text.unicodeScalars.dropFirst())
            } else {
                logical.append(text)
            }
        }
        XCTAssertEqual(logical.filter { $0 == "BEGIN:VEVENT" }.count, 1, "one event: \(ics)", file: file, line: line)
        XCTAssertEqual(logical.filter { $0.hasPrefix("ATTENDEE") }.count, 2, "two attendees: \(ics)", file: file, line: line)
        XCTAssertEqual(logical.filter { $0.hasPrefix("METHOD") }, ["METHOD:\(method)"], file: file, line: line)
    }

    /// What the parsed invitation must say whatever the hostile text in it.
    func assertIntact(_ invite: JSONValue, _ s: Scene, topic: String, answers: [String], location: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(invite["method"], "REQUEST", file: file, line: line)
        XCTAssertEqual(invite["status"], "CONFIRMED", file: file, line: line)
        XCTAssertEqual(invite["summary"], "Sam and Talia - PEER", file: file, line: line)
        XCTAssertEqual(invite["attendees"]?.array?.compactMap { $0["address"]?.string?.lowercased() }.sorted(),
                       ["mailto:\(s.samEmail)".lowercased(), "mailto:\(s.taliaEmail)".lowercased()].sorted(), "exactly the two parties", file: file, line: line)
        XCTAssertEqual(invite["organizer"]?["address"]?.string?.lowercased(), "mailto:\(s.taliaEmail)".lowercased(), file: file, line: line)
        XCTAssertEqual(invite["location"]?.string, Self.asText(location), "the place's name is one text", file: file, line: line)
        let description = invite["description"]?.string ?? ""
        XCTAssertTrue(description.contains("Topic: " + Self.asText(topic) + "\n"), "the topic reads back as text: \(description.debugDescription)", file: file, line: line)
        for (question, answer) in zip(Scene.questions, answers) {
            XCTAssertTrue(description.contains(question + " " + Self.asText(answer)), "the answer reads back: \(description.debugDescription)", file: file, line: line)
        }
    }

    /// A topic, agenda answers, a place's name and a video link written to break out of their
    /// property stay inside it, in the outbox invitation and in meeting.calendar alike.
    func testHostileTextStaysInsideItsProperty() throws {
        let s = try scene()
        let location = "Room 9\r\nATTENDEE:mailto:mallory@evil.example\rLOCATION:elsewhere\nEND:VEVENT\u{2028}BEGIN:VEVENT"
        // Refused as a new name today (one line), so stored as an older version may have left it.
        let room = try s.w.addLocation("Room 9 \(TestEnvironment.uniqueTag())")
        _ = try Psql.query(try TestEnvironment.databaseURL(), "UPDATE locations SET name = \(Psql.literal(location)) WHERE id = \(Psql.literal(room)) RETURNING id")
        try s.w.setWeekly(s.talia, timeZone: "UTC", dailyRules("06:00", "22:00", at: [s.room, room]))
        let answers = ["Balancing\r\nATTENDEE:mailto:mallory@evil.example", "Nothing\u{2028}METHOD:CANCEL\rSTATUS:CANCELLED\u{1B}[2J\u{7F}"]
        let id = try request(s, start: MeetingTime.at(day: 7, hour: 10), [
            "topic": .string(Self.exploitTopic), "agenda_answers": .array(answers.map { .string($0) }), "location_id": .string(room),
        ])
        try s.w.act("meeting.confirm", as: s.talia, id)

        let sent = try invitations(s.w)
        XCTAssertEqual(Set(sent.map(\.recipient)), [s.sam, s.talia])
        for message in sent { assertShape(message.payload["ics"]?.string ?? "", method: "REQUEST") }
        for invite in try PythonReference.invitations(sent.map { $0.payload["ics"]?.string ?? "" }) {
            assertIntact(invite, s, topic: Self.exploitTopic, answers: answers, location: location)
        }

        // The service refuses such a link today; one stored by an older version is still written
        // as one URI.
        let url = "https://video.example/r?p=x,y\r\nATTENDEE:mailto:mallory@evil.example\r\nEND:VEVENT\r\nBEGIN:VEVENT"
        let refused = try s.w.refuse("meeting.set_video_link", as: s.w.admin, id, ["url": .string(url)], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "url")
        try s.w.act("meeting.set_video_link", as: s.w.admin, id, ["url": "https://video.example/r?p=x,y"])
        let resent = try invitations(s.w)
        XCTAssertEqual(resent.count, 2)
        for ics in resent.map({ $0.payload["ics"]?.string ?? "" }) { assertShape(ics, method: "REQUEST") }
        // meeting.calendar writes the invitation last queued, as mailed: the link is put there
        // (beneath the rule that a message keeps what it says).
        _ = try Psql.query(try TestEnvironment.databaseURL(), "UPDATE meetings SET video_url = \(Psql.literal(url)) WHERE id = \(Psql.literal(id)) RETURNING id")
        _ = try Psql.query(try TestEnvironment.databaseURL(), """
            SET LOCAL session_replication_role = replica; UPDATE outbox SET payload = jsonb_set(payload, '{invite,video_url}', to_jsonb(\(Psql.literal(url))::text))
            WHERE meeting_id = \(Psql.literal(id)) AND channel = 'calendar' RETURNING id
            """)
        let shown = try s.w.meetingd.result("meeting.calendar", as: s.sam, ["meeting_id": .string(id)])["ics"]?.string ?? ""
        assertShape(shown, method: "REQUEST")
        for invite in try PythonReference.invitations([shown]) {
            assertIntact(invite, s, topic: Self.exploitTopic, answers: answers, location: location)
            XCTAssertEqual(invite["url"]?.string, "https://video.example/r?p=x,y%0D%0AATTENDEE:mailto:mallory@evil.example%0D%0AEND:VEVENT%0D%0ABEGIN:VEVENT",
                           "the link is one URI, its line breaks percent-encoded")
            XCTAssertTrue(invite["description"]?.string?.contains("Video: " + Self.asText(url)) ?? false, "\(invite)")
        }
    }

    /// A meeting that took place stays confirmed in the calendar (it is not tentative).
    func testACompletedMeetingStaysConfirmed() throws {
        let s = try scene()
        let start = MeetingTime.at(day: 1, hour: 10)
        let id = try request(s, start: start)
        try s.w.act("meeting.confirm", as: s.talia, id)
        try s.w.setClock(MeetingTime.shifted(start, minutes: 65))
        XCTAssertEqual(try s.w.act("meeting.log_session", as: s.talia, id, ["attendance": "attended"])["status"], "completed")
        let shown = try calendar(s, id)
        XCTAssertEqual(shown["method"], "REQUEST")
        XCTAssertEqual(shown["status"], "CONFIRMED")
    }
}
