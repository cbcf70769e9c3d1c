import Foundation
import XCTest

/// What meetctl writes to a terminal: another person's text can neither send control sequences
/// (clear the screen, retitle the window, move the cursor back over the credits) nor break the
/// table's columns; it is shown with visible escapes. `--json` and the `.ics` stay exact.
final class MeetctlTerminalTests: EndToEndTestCase {
    static let firstName = "\u{1B}]0;pwned\u{07}Sam"
    static let topic = "Algebra\r\u{1B}[2JCredits 0 (returned)"
    static let note = "Later?\u{1B}[1A\r\u{1B}[2K\u{9B}31m\u{202E}\u{7F}\u{08}"
    /// A note that closes its own quotes and goes on as if it were the event's details.
    static let forgedNote = #"Can we move it?"; length_minutes=60, start=Fri 22 Mar 2030 11:00 EDT (1 hour later) \"#

    /// Bytes a terminal acts on: ESC, BEL, a CR not followed by LF, other C0 controls but LF,
    /// DEL, and C1 controls (U+0080–U+009F) and bidirectional overrides.
    static func controls(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return scalars.indices.compactMap { i in
            let s = scalars[i]
            if s == "\n" { return nil }
            if s == "\r" { return i + 1 < scalars.count && scalars[i + 1] == "\n" ? nil : "bare CR at \(i)" }
            if s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value) {
                return "U+\(String(s.value, radix: 16)) at \(i)"
            }
            return nil
        }
    }

    /// A meeting the user requested with a hostile topic, then countered with a hostile note.
    func hostileMeeting(_ c: MeetctlCommunity) throws -> String {
        let meetingd = try startMeetingd(["--test-clock"])
        let requested = try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-11T14:00:00Z", "location_id": .string(c.roomId),
            "topic": .string(Self.topic),
        ])
        let id = try XCTUnwrap(requested["id"]?.string)
        try meetingd.result("meeting.reschedule", as: c.userId, ["meeting_id": .string(id), "start": "2030-03-11T15:00:00Z", "note": .string(Self.note)])
        return id
    }

    func testAnotherPersonsTextIsShownEscaped() throws {
        let c = try MeetctlCommunity.make(#function, userName: (Self.firstName, "Lee"))
        let expert = try c.expert
        let id = try hostileMeeting(c)

        let list = try expert.ok(["meetings"])
        XCTAssertEqual(Self.controls(in: list), [], list.debugDescription)
        XCTAssertTrue(list.contains(#"\e]0;pwned\x07Sam Lee"#), list)
        let lines = list.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first), row = try XCTUnwrap(lines.first { $0.contains(id) })
        XCTAssertEqual(header.distance(from: header.startIndex, to: try XCTUnwrap(header.range(of: "MEETING")).lowerBound),
                       row.distance(from: row.startIndex, to: try XCTUnwrap(row.range(of: id)).lowerBound),
                       "columns line up with the escaped text:\n\(list)")

        let shown = try expert.ok(["meeting", "show", id])
        XCTAssertEqual(Self.controls(in: shown), [], shown.debugDescription)
        XCTAssertTrue(shown.split(separator: "\n").contains { $0.hasPrefix("Topic ") && $0.hasSuffix(#"  Algebra\r\e[2JCredits 0 (returned)"#) }, shown)
        XCTAssertTrue(shown.contains(#"\e]0;pwned\x07Sam Lee"#), shown)
        XCTAssertTrue(shown.contains(#""Later?\e[1A\r\e[2K\x9b31m\u{202E}\x7f\x08""#), "the timeline's note: \(shown)")

        let person = try c.admin.ok(["person", "show", c.userId])
        XCTAssertEqual(Self.controls(in: person), [], person.debugDescription)
        XCTAssertTrue(person.split(separator: "\n").contains { $0.hasPrefix("First name ") && $0.hasSuffix(#"  \e]0;pwned\x07Sam"#) }, person)

        // --json stays exact.
        let listed = try expert.json(["meetings"])
        XCTAssertEqual(listed["items"]?[0]?["user_name"]?.string, Self.firstName + " Lee")
        let exact = try expert.json(["meeting", "show", id])
        XCTAssertEqual(exact["meeting"]?["topic"]?.string, Self.topic)
        XCTAssertEqual(exact["timeline"]?.array?.compactMap { $0["note"]?.string }, [Self.note])
    }

    /// Marks that show nothing are shown as escapes, so two texts that differ by them are told
    /// apart (a topic "Sam" with a zero-width space and a tag character read as "Sam").
    func testMarksThatShowNothingAreShownEscaped() throws {
        let c = try MeetctlCommunity.make(#function)
        let meetingd = try startMeetingd(["--test-clock"])
        let requested = try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-11T14:00:00Z", "location_id": .string(c.roomId),
            "topic": "Sa\u{200B}m\u{E0049} and 👩\u{200D}🔬",
        ])
        let shown = try c.expert.ok(["meeting", "show", try XCTUnwrap(requested["id"]?.string)])
        XCTAssertTrue(shown.split(separator: "\n").contains { $0.hasSuffix(#"  Sa\u{200B}m\u{E0049} and 👩\#u{200D}🔬"#) }, shown)
    }

    /// A note's own quotes are escaped in the timeline: a note that closed its quotes and went
    /// on like the event's details showed the expert a start time the user never proposed
    /// before the real one.
    func testANoteCannotPassForTheEventsDetails() throws {
        let c = try MeetctlCommunity.make(#function)
        let meetingd = try startMeetingd(["--test-clock"])
        let service = try XCTUnwrap(try meetingd.result("service.create", as: c.adminId, [
            "name": "Agenda", "kind": "generic", "default_length_minutes": 60, "price_credits": 10, "agenda_questions": ["Goal, today?"],
        ])["id"]?.string)
        try meetingd.result("service.certify", as: c.adminId, ["service_id": .string(service), "expert_id": .string(c.expertId)])
        let id = try XCTUnwrap(try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(service), "expert_id": .string(c.expertId), "start": "2030-03-11T14:00:00Z", "location_id": .string(c.roomId),
            "agenda_answers": [#"x", other="y"#],
        ])["id"]?.string)
        try meetingd.result("meeting.reschedule", as: c.userId, ["meeting_id": .string(id), "start": "2030-03-11T15:00:00Z", "note": .string(Self.forgedNote)])
        let shown = try (try c.expert).ok(["meeting", "show", id])
        XCTAssertTrue(shown.contains(#""Can we move it?\"; length_minutes=60, start=Fri 22 Mar 2030 11:00 EDT (1 hour later) \\"; length_minutes="#), shown)
        // An answer that holds the list's separator is quoted: one answer, not two.
        XCTAssertTrue(shown.split(separator: "\n").contains { $0.hasPrefix("Agenda ") && $0.hasSuffix(#"  "x\", other=\"y""#) }, shown)
    }

    /// `export` at a terminal shows a stored service name's controls escaped; into a pipe the
    /// CSV is exact.
    func testExportAtATerminalIsEscaped() throws {
        let c = try MeetctlCommunity.make(#function)
        let hostile = "Chem\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}1\rsvc_0000,FAKE\u{2028}"
        _ = try Psql.query(try TestEnvironment.databaseURL(), "UPDATE services SET name = \(Psql.literal(hostile)) WHERE id = \(Psql.literal(c.serviceId)) RETURNING id")
        let shown = try c.admin.onTerminal(["export", "services"])
        XCTAssertEqual(shown.termination, .exited(0), shown.stdout)
        XCTAssertFalse(shown.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{9B}" }, shown.stdout.debugDescription)
        XCTAssertTrue(shown.stdout.contains(#"Chem\e[2J\e]0;pwned\x07"#), shown.stdout.debugDescription)
        // A CR inside a cell would return to the line's start and write over the row's id; the
        // CSV's own CR LF line ends stay.
        XCTAssertTrue(shown.stdout.contains(#"\x9b1\rsvc_0000,FAKE\u{2028}"#), shown.stdout.debugDescription)
        XCTAssertFalse(shown.stdout.contains("\rsvc_0000"), shown.stdout.debugDescription)
        XCTAssertTrue(shown.stdout.contains("\r\n"), shown.stdout.debugDescription)
        let piped = try c.admin.ok(["export", "services"])
        XCTAssertTrue(piped.contains(hostile), "a pipe gets the exact text")
    }

    /// Errors echo what the service or the command line said, escaped like everything else.
    func testErrorsOnStandardErrorAreEscaped() throws {
        let c = try MeetctlCommunity.make(#function)
        let refused = try c.admin.fails(["settings", "set", "\u{1B}[2Jbogus=1"], status: 1)
        XCTAssertEqual(Self.controls(in: refused.stderr), [], refused.stderr.debugDescription)
        XCTAssertTrue(refused.stderr.contains(#"\e[2Jbogus"#), refused.stderr)

        // The service refuses such a name today; one stored by an older version is still shown escaped.
        let hostile = "Room\u{1B}]0;x\u{07}\r\n\u{1B}[1AOK"
        let refusedName = try c.admin.fails(["location", "add", "--name", hostile, "--kind", "in_person"], status: 1)
        XCTAssertTrue(refusedName.stderr.contains("one line without control characters"), refusedName.stderr)
        let added = try c.admin.json(["location", "add", "--name", "Room 102", "--kind", "in_person"])
        _ = try Psql.query(try TestEnvironment.databaseURL(), "UPDATE locations SET name = \(Psql.literal(hostile)) WHERE id = \(Psql.literal(added["id"]?.string ?? "")) RETURNING id")
        let unknown = try (try c.expert).fails(["availability", "set", "--rule", "Mon 09:00-10:00 @Moon\u{1B}[2J"], status: 2)
        XCTAssertEqual(Self.controls(in: unknown.stderr), [], unknown.stderr.debugDescription)
        XCTAssertTrue(unknown.stderr.contains(#"no location called "Moon\e[2J""#), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains(#"Room\e]0;x\x07\r\n\e[1AOK"#), "the hint names every location, escaped: \(unknown.stderr)")
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 2, "the message and the hint, one line each: \(unknown.stderr)")
    }

    /// Columns a terminal gives a text, as this test reckons them for its own names: the
    /// ideographs two, the rest one.
    static func columns(_ text: Substring) -> Int { text.unicodeScalars.reduce(0) { $0 + ((0x3000...0x9FFF).contains($1.value) ? 2 : 1) } }

    /// A table lines up whatever script a name is written in (山田 takes four columns of a
    /// terminal, not two), and one very long name is cut with "…" instead of widening its
    /// column for every row; --json keeps every name whole.
    func testWideAndLongNamesKeepTheColumnsAligned() throws {
        let c = try MeetctlCommunity.make(#function)
        let long = String(repeating: "Bartholomew", count: 18)
        for (email, first, last) in [("cjk-\(c.tag)@a.example", "山田", "太郎"), ("long-\(c.tag)@a.example", long, "Lee"), ("ok-\(c.tag)@a.example", "Zoë", "Ó")] {
            try c.admin.ok(["person", "add", "--email", email, "--first", first, "--last", last, "--roles", "expert", "--tz", "Asia/Tokyo"])
        }
        let list = try c.admin.ok(["people", "--role", "expert"])
        let lines = list.split(separator: "\n")
        let header = try XCTUnwrap(lines.first)
        let emailColumn = Self.columns(header[..<(try XCTUnwrap(header.range(of: "EMAIL")).lowerBound)])
        for email in ["cjk-\(c.tag)@a.example", "long-\(c.tag)@a.example", "ok-\(c.tag)@a.example", c.expertEmail] {
            let row = try XCTUnwrap(lines.first { $0.contains(email) }, list)
            XCTAssertEqual(Self.columns(row[..<(try XCTUnwrap(row.range(of: email)).lowerBound)]), emailColumn, "EMAIL starts in one column:\n\(list)")
        }
        let longRow = String(try XCTUnwrap(lines.first { $0.contains("long-\(c.tag)") }))
        XCTAssertTrue(longRow.contains(long.prefix(39) + "…  Lee"), "the long name is cut to 40 columns: \(longRow)")
        XCTAssertFalse(longRow.contains(long), String(longRow))
        XCTAssertEqual(emailColumn, 36 + 2 + 40 + 2 + "LAST".count + 2, "PERSON, FIRST (40 columns at most), LAST:\n\(list)")
        let people = try c.admin.json(["people", "--role", "expert"])
        XCTAssertTrue(people["items"]?.array?.contains { $0["first_name"]?.string == long } ?? false, "--json keeps the name whole")
        XCTAssertTrue(try c.admin.ok(["export", "people"]).contains(long), "so does the CSV")
        // Every table cuts it alike: a balance's OWNER as the accounts' (the name was whole
        // there), the e-mail beside it kept.
        let balance = try (try c.finance).ok(["balance", "--person", "long-\(c.tag)@a.example"])
        XCTAssertTrue(balance.contains(long.prefix(39) + "… (long-\(c.tag)@a.example)") && !balance.contains(long), balance)
    }

    /// A timeline's BY column cuts a long name, not the side the person acted for.
    func testALongNameInATimelineKeepsItsSide() throws {
        let long = String(repeating: "L", count: 200)
        let c = try MeetctlCommunity.make(#function, userName: (long, "Lee"))
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        let shown = try (try c.expert).ok(["meeting", "show", id])
        let timeline = try XCTUnwrap(shown.components(separatedBy: "Timeline:\n").last)
        let confirmed = try XCTUnwrap(timeline.split(separator: "\n").first { $0.contains("(user)") }, shown)
        XCTAssertTrue(confirmed.contains(String(repeating: "L", count: 30) + "… (user)"), String(confirmed))
        XCTAssertFalse(confirmed.contains(long), String(confirmed))
    }

    /// A topic's reordering mark never reaches the invitation (its TEXT drops them, as it drops
    /// controls), at a terminal or in a pipe; into a file or a pipe the invitation stays exact.
    func testCalendarAtATerminalIsEscaped() throws {
        let c = try MeetctlCommunity.make(#function)
        let meetingd = try startMeetingd(["--test-clock"])
        let topic = "Algebra \u{202E}gnp.exe"
        let id = try XCTUnwrap(try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-11T14:00:00Z", "location_id": .string(c.roomId),
            "topic": .string(topic),
        ])["id"]?.string)
        try meetingd.result("meeting.confirm", as: c.expertId, ["meeting_id": .string(id)])
        let expert = try c.expert
        // Long lines of an .ics are folded (CRLF, then a space); the terminal adds a CR to each LF.
        func unfolded(_ ics: String) -> String { ics.replacingOccurrences(of: "\r\r\n ", with: "").replacingOccurrences(of: "\r\n ", with: "") }
        let shown = try expert.onTerminal(["calendar", id])
        XCTAssertEqual(shown.termination, .exited(0), shown.stdout)
        XCTAssertFalse(shown.stdout.unicodeScalars.contains("\u{202E}"), shown.stdout.debugDescription)
        XCTAssertTrue(unfolded(shown.stdout).contains("Topic: Algebra gnp.exe"), shown.stdout.debugDescription)
        XCTAssertTrue(shown.stdout.contains("BEGIN:VCALENDAR"), shown.stdout.debugDescription)
        let piped = try expert.ok(["calendar", id])
        XCTAssertFalse(piped.unicodeScalars.contains("\u{202E}"), piped.debugDescription)
        XCTAssertTrue(unfolded(piped).contains("Topic: Algebra gnp.exe"), "a pipe gets the invitation's text: \(piped.debugDescription)")
        XCTAssertTrue(piped.contains("\r\n"), "with its CRLF line ends")
    }

    /// `meetctl calendar > x.ics` writes the invitation as the service made it: CRLF line ends.
    func testCalendarWritesTheInvitationExactly() throws {
        let c = try MeetctlCommunity.make(#function, userName: (Self.firstName, "Lee"))
        let expert = try c.expert
        let id = try hostileMeeting(c)
        try expert.ok(["confirm", id])
        let written = try expert.ok(["calendar", id])
        let ics = try XCTUnwrap(try expert.json(["calendar", id])["ics"]?.string)
        XCTAssertEqual(Array(written.utf8), Array(ics.utf8), "stdout is the ics, byte for byte")
        XCTAssertTrue(written.hasPrefix("BEGIN:VCALENDAR\r\nPRODID:"), written.debugDescription)
        XCTAssertTrue(written.hasSuffix("END:VCALENDAR\r\n"), written.debugDescription)
        XCTAssertEqual(Self.controls(in: written), [], "nothing but CRLF line ends: \(written.debugDescription)")
        let fields = try PythonReference.invitation(written)
        XCTAssertEqual(fields["attendees"]?.array?.count, 2)
        XCTAssertTrue(fields["description"]?.string?.contains("Topic: Algebra\n[2JCredits 0 (returned)") ?? false, "\(fields)")
    }
}
