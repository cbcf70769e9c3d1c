import Foundation
import XCTest

/// The calendar invitation by e-mail: `meetctl outbox deliver` sends each party's invitation
/// from the outbox's calendar channel through msmtp to a real SMTP server (aiosmtpd), and what
/// arrives is read by Python's `email` package under its strict policy and by `icalendar`.
final class MeetctlInviteMailTests: EndToEndTestCase {
    var folder: URL!
    var smtp: SMTPSink!

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/msmtp") else {
            throw XCTSkip("msmtp is not installed: apt-get install -y msmtp (scripts/test installs it)")
        }
        guard SMTPSink.available else { throw XCTSkip("python3 cannot import aiosmtpd: pip install aiosmtpd (scripts/test installs it)") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-invite-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        smtp = try SMTPSink(folder: folder.appendingPathComponent("received"))
        try smtp.start()
    }

    override func tearDownWithError() throws {
        smtp?.stop()
        if let folder { try? FileManager.default.removeItem(at: folder) }
        try super.tearDownWithError()
    }

    /// Delivers everything due and returns the mails that arrived in this run.
    @discardableResult
    func deliver(_ c: MeetctlCommunity) throws -> [JSONValue] {
        let before = try smtp.messages().count
        let sendmail = try SMTPSink.msmtpCommand(port: smtp.port, configFolder: folder)
        try c.admin.ok(["outbox", "deliver", "--sendmail", sendmail, "--from", "Academy <noreply@academy.example>"])
        let all = try smtp.messages()
        for mail in all[before...] {
            XCTAssertEqual(mail["strict_error"], .null, "Python's strict e-mail policy finds no defect: \(mail)")
            XCTAssertEqual(mail["headers"]?["auto-submitted"], "auto-generated", "every mail says a program wrote it")
        }
        return Array(all[before...])
    }

    /// The invitation mails among `mails`, by recipient address.
    func invitations(_ mails: [JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for mail in mails where mail["headers"]?["x-meetingledger-kind"] == "calendar.invite" {
            out[mail["rcpt_tos"]?[0]?.string ?? ""] = mail
        }
        return out
    }

    /// The `text/calendar` part: its method and charset parameters, the .ics with CRLF line ends
    /// only, and the same bytes as the invite.ics attachment. Returns the .ics.
    func calendarPart(_ mail: JSONValue, method: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let parts = mail["parts"]?.array ?? []
        XCTAssertEqual(parts.compactMap { $0["content_type"]?.string }, ["text/plain", "text/calendar", "application/ics"], file: file, line: line)
        let calendar = try XCTUnwrap(parts.first { $0["content_type"] == "text/calendar" }, file: file, line: line)
        XCTAssertEqual(calendar["params"]?["method"]?.string, method, file: file, line: line)
        XCTAssertEqual(calendar["params"]?["charset"]?.string?.lowercased(), "utf-8", file: file, line: line)
        let ics = try XCTUnwrap(calendar["text"]?.string, file: file, line: line)
        let scalars = Array(ics.unicodeScalars)
        for (i, s) in scalars.enumerated() where s == "\n" || s == "\r" {
            let crlf = s == "\r" ? i + 1 < scalars.count && scalars[i + 1] == "\n" : i > 0 && scalars[i - 1] == "\r"
            XCTAssertTrue(crlf, "only CRLF line ends in the .ics: \(ics.debugDescription)", file: file, line: line)
        }
        XCTAssertTrue(ics.hasSuffix("END:VCALENDAR\r\n"), file: file, line: line)
        let attachment = try XCTUnwrap(parts.first { $0["content_type"] == "application/ics" }, file: file, line: line)
        XCTAssertEqual(attachment["disposition"], "attachment", file: file, line: line)
        XCTAssertEqual(attachment["filename"], "invite.ics", file: file, line: line)
        XCTAssertEqual(attachment["text"]?.string, ics, "the attachment is the same invitation", file: file, line: line)
        return ics
    }

    /// A request with a topic, made as a front end makes it, at 10:00 New York time on Monday
    /// 11 March 2030 (15:00 in Prague) in Room 101.
    func requested(_ c: MeetctlCommunity, topic: String = "Stoichiometry") throws -> String {
        let meetingd = try startMeetingd(["--test-clock"])
        let meeting = try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-11T14:00:00Z", "location_id": .string(c.roomId),
            "topic": .string(topic),
        ])
        return try XCTUnwrap(meeting["id"]?.string)
    }

    /// Seed 001: "You will receive 2 emails once the provider accepts the appointment: an email
    /// stating that the tutor has accepted the appointment, and another email containing the
    /// appointment details and a calendar invite." Seed 000: "After you have confirmed the
    /// session you will receive a calendar invite."
    func testConfirmingSendsEachPartyTheCalendarInviteByEmail() throws {
        let office = "office-\(TestEnvironment.uniqueTag())@example.test"
        let c = try MeetctlCommunity.make(#function, officeEmail: office)
        let id = try requested(c)
        try deliver(c)  // the request, to the expert

        try (try c.expert).ok(["confirm", id])
        let mails = try deliver(c)
        XCTAssertEqual(mails.count, 3, "the user's confirmation, then an invitation to each party: \(mails)")

        // The mail that the tutor accepted names the date in its subject.
        let accepted = try XCTUnwrap(mails.first { $0["headers"]?["x-meetingledger-kind"]?.string?.hasPrefix("meeting_confirmed") ?? false })
        XCTAssertEqual(accepted["headers"]?["subject"], "[ACAD] Meeting confirmed: Mon 11 Mar 2030 15:00 CET")
        // Seed 003: "Automatic emails will be sent to the customer and copy you and the office".
        XCTAssertEqual(accepted["rcpt_tos"]?.array?.compactMap(\.string).sorted(), [c.userEmail, c.expertEmail, office].sorted())

        // The invitation: to its recipient alone, the details on their clock, the .ics attached.
        let sent = invitations(mails)
        XCTAssertEqual(Set(sent.keys), [c.userEmail, c.expertEmail])
        let toUser = try XCTUnwrap(sent[c.userEmail]), toExpert = try XCTUnwrap(sent[c.expertEmail])
        XCTAssertEqual(toUser["headers"]?["to"], .string("Sam Lee <\(c.userEmail)>"))
        XCTAssertNil(toUser["headers"]?["cc"], "the office gets no copy of a party's invitation")
        XCTAssertEqual(toUser["headers"]?["subject"], "[ACAD] Invitation: Sam and Talia - ACAD @ Mon 11 Mar 2030 15:00 CET")
        XCTAssertEqual(toExpert["headers"]?["subject"], "[ACAD] Invitation: Sam and Talia - ACAD @ Mon 11 Mar 2030 10:00 EDT")
        let body = try XCTUnwrap(toUser["body"]?.string)
        for line in ["When:   Mon 11 Mar 2030 15:00 CET, 60 minutes (your time zone: Europe/Prague)", "Where:  Room 101", "Course: CHEM101",
                     "Topic:  Stoichiometry"] {
            XCTAssertTrue(body.contains(line), "the body lists \"\(line)\": \(body)")
        }
        XCTAssertTrue(toExpert["body"]?.string?.contains("When:   Mon 11 Mar 2030 10:00 EDT, 60 minutes (your time zone: America/New_York)") ?? false,
                      "\(toExpert)")

        let ics = try calendarPart(toUser, method: "REQUEST")
        XCTAssertEqual(try calendarPart(toExpert, method: "REQUEST"), ics, "both parties get the same invitation")
        let invite = try PythonReference.invitation(ics)
        XCTAssertEqual(invite["method"], "REQUEST")
        XCTAssertEqual(invite["uid"], .string("\(id)@meetingledger"))
        XCTAssertEqual(invite["sequence"], 0)
        XCTAssertEqual(invite["status"], "CONFIRMED")
        XCTAssertEqual(invite["summary"], "Sam and Talia - ACAD")
        XCTAssertEqual(invite["dtstart"], "2030-03-11T14:00:00Z")
        XCTAssertEqual(invite["location"], "Room 101")
        XCTAssertEqual(Set(invite["attendees"]?.array?.compactMap { $0["address"]?.string?.lowercased() } ?? []),
                       ["mailto:\(c.userEmail)", "mailto:\(c.expertEmail)"])
        XCTAssertEqual(try deliver(c).count, 0, "each mail once")
    }

    /// SPEC: "a stable UID, SEQUENCE raised on every move, METHOD:CANCEL when cancelled"; seed
    /// 001: "The calendar invite will be removed." The move's mail updates the same calendar
    /// entry; the cancellation's removes it.
    func testAMoveUpdatesTheSameCalendarEntryAndACancelRemovesIt() throws {
        let c = try MeetctlCommunity.make(#function)
        let id = try c.agreedMeeting(start: "2030-03-11 10:00")
        let meetingd = try startMeetingd(["--test-clock"])
        try meetingd.result("meeting.set_video_link", as: c.adminId, ["meeting_id": .string(id), "url": "https://video.example/room-9"])
        try deliver(c)

        try (try c.user).ok(["reschedule", id, "--start", "2030-03-13 20:00"])
        try (try c.expert).ok(["alternate", "confirm", id])
        let moved = invitations(try deliver(c))
        let movedToUser = try XCTUnwrap(moved[c.userEmail])
        XCTAssertEqual(movedToUser["headers"]?["subject"], "[ACAD] Updated invitation: Sam and Talia - ACAD @ Wed 13 Mar 2030 20:00 CET")
        let body = try XCTUnwrap(movedToUser["body"]?.string)
        XCTAssertTrue(body.contains("Video:  https://video.example/room-9"), body)
        XCTAssertTrue(body.contains("Where:  Video call"), body)
        let update = try PythonReference.invitation(try calendarPart(movedToUser, method: "REQUEST"))
        XCTAssertEqual(update["uid"], .string("\(id)@meetingledger"), "the same entry")
        XCTAssertEqual(update["sequence"], 2, "a later version of it (the video link was the first revision)")
        XCTAssertEqual(update["dtstart"], "2030-03-13T19:00:00Z")
        XCTAssertEqual(update["url"], "https://video.example/room-9")

        try (try c.expert).ok(["cancel", id, "--reason", "illness"])
        let cancelled = invitations(try deliver(c))
        XCTAssertEqual(Set(cancelled.keys), [c.userEmail, c.expertEmail])
        let cancelToExpert = try XCTUnwrap(cancelled[c.expertEmail])
        XCTAssertEqual(cancelToExpert["headers"]?["subject"], "[ACAD] Cancelled: Sam and Talia - ACAD @ Wed 13 Mar 2030 15:00 EDT")
        XCTAssertTrue(cancelToExpert["body"]?.string?.contains("removes it from your calendar") ?? false, "\(cancelToExpert)")
        let removal = try PythonReference.invitation(try calendarPart(cancelToExpert, method: "CANCEL"))
        XCTAssertEqual(removal["method"], "CANCEL")
        XCTAssertEqual(removal["status"], "CANCELLED")
        XCTAssertEqual(removal["uid"], .string("\(id)@meetingledger"))
        XCTAssertEqual(removal["sequence"], 3)
    }

    /// One Character can be hundreds of bytes (a letter under 199 combining marks, a name that
    /// fits its 200 scalars): the headers still hold encoded words of at most 75 characters on
    /// lines of at most 998 octets, and the name arrives whole.
    func testOneLongCharacterStillMakesShortEncodedWords() throws {
        let first = "e" + String(repeating: "\u{1D167}", count: 199)
        let c = try MeetctlCommunity.make(#function, userName: (first, "Long"))
        let id = try requested(c, topic: "Moles")
        try (try c.expert).ok(["confirm", id])
        let mails = try deliver(c)
        XCTAssertFalse(mails.isEmpty)
        for raw in try smtp.rawMessages() {
            let head = raw.components(separatedBy: "\r\n\r\n")[0]
            for line in head.components(separatedBy: "\r\n") {
                XCTAssertLessThanOrEqual(line.utf8.count, 998, "RFC 5322 §2.1.1: \(line.prefix(80))…")
            }
            for word in head.components(separatedBy: CharacterSet(charactersIn: " \r\n\t\"<>")) where word.hasPrefix("=?") {
                XCTAssertLessThanOrEqual(word.count, 75, "RFC 2047 §2: \(word.prefix(80))…")
            }
        }
        let toUser = try XCTUnwrap(invitations(mails)[c.userEmail])
        XCTAssertEqual(toUser["headers"]?["to"]?.string?.unicodeScalars.filter { $0 == "\u{1D167}" }.count, 199, "the name arrives whole")
    }

    /// RFC 5322 §2.1.1: a header line must not pass 998 octets and should not pass 78. Quoting
    /// doubles every `"` and `\`, so two 200-character names of them made a To: line of 1,004
    /// octets; they now travel as encoded words, a long name of plain words is folded between its
    /// words, and a word too long for a line travels as encoded words. Each name arrives whole.
    func testLongNamesAreFoldedIntoShortHeaderLines() throws {
        let quoted = (Array(repeating: "\"", count: 100).joined(separator: " "), String(repeating: "\\", count: 200))
        let plain = (Array(repeating: "Bartholomew", count: 16).joined(separator: " "), "Fitzgerald-" + String(repeating: "x", count: 49))
        let longWord = ("Bartholomew", "Fitzgerald-" + String(repeating: "x", count: 70))
        for (first, last) in [quoted, plain, longWord] {
            let c = try MeetctlCommunity.make(#function, userName: (first, last))
            let id = try requested(c, topic: "Moles")
            try (try c.expert).ok(["confirm", id])
            let before = try smtp.rawMessages().count
            let toUser = try XCTUnwrap(invitations(try deliver(c))[c.userEmail])
            let name = first + " " + last
            let unfolded = toUser["headers_rfc2047"]?["to"]?.string?.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
            XCTAssertEqual(unfolded, "\(name) <\(c.userEmail)>",
                           "the name arrives whole")
            for raw in try smtp.rawMessages()[before...] {
                let head = raw.components(separatedBy: "\r\n\r\n")[0]
                for line in head.components(separatedBy: "\r\n") {
                    XCTAssertLessThanOrEqual(line.utf8.count, 78, "RFC 5322 §2.1.1: \(line.prefix(100))…")
                }
            }
        }
    }

    /// A long name that is not ASCII takes several encoded words; the spaces between its words
    /// arrive, as RFC 2047 decodes the header (readers drop the white space between two encoded
    /// words, so the space travels inside one).
    func testALongNameKeepsItsSpacesAcrossEncodedWords() throws {
        let c = try MeetctlCommunity.make(#function, userName: ("Zoë Ångström-Kovářová Přemyslovna Šťastná", "Lee-Žluťoučký Koníček"))
        let id = try requested(c, topic: "Names")
        try (try c.expert).ok(["confirm", id])
        let toUser = try XCTUnwrap(invitations(try deliver(c))[c.userEmail])
        XCTAssertEqual(toUser["headers_rfc2047"]?["to"], .string("Zoë Ångström-Kovářová Přemyslovna Šťastná Lee-Žluťoučký Koníček <\(c.userEmail)>"))
        XCTAssertEqual(toUser["strict_error"], .null, "Python's strict e-mail policy finds no defect: \(toUser)")
    }

    /// A name stored before names were checked keeps no mark that shows nothing and no
    /// reordering mark in a header, as the mail's text and invitation keep none (the To header
    /// carried a zero-width space and a right-to-left override).
    func testInvisibleAndReorderingMarksOfANameStayOutOfHeaders() throws {
        let c = try MeetctlCommunity.make(#function, userName: ("Sa\u{200B}m", "Lee\u{202E}gro.live"))
        let id = try requested(c)
        try (try c.expert).ok(["confirm", id])
        let toUser = try XCTUnwrap(invitations(try deliver(c))[c.userEmail])
        XCTAssertEqual(toUser["headers_rfc2047"]?["to"], .string("Sam Lee\u{FFFD}gro.live <\(c.userEmail)>"), "\(toUser)")
    }

    /// Names and topics are anyone's text: a line break in them must not add a header or a
    /// recipient, text that looks like an encoded word must not be decoded as one, and
    /// non-ASCII text travels as RFC 2047 words.
    func testHostileNamesCannotAddHeadersOrRecipients() throws {
        let first = "Zoë\r\nBcc: mallory@evil.example"
        let last = "=?UTF-8?B?QWRtaW4=?=\u{2028}X-Injected: yes\u{7}"
        let c = try MeetctlCommunity.make(#function, userName: (first, last))
        let id = try requested(c, topic: "Moles\r\nBcc: eve@evil.example\r\n\r\nPay at evil.example")
        try (try c.expert).ok(["confirm", id])
        let mails = try deliver(c)
        XCTAssertEqual(mails.count, 4)
        for mail in mails {
            // Its one recipient, and on the user's confirmation the expert copied (seed 003).
            let copiedExpert = mail["headers"]?["cc"]?.string == c.expertEmail
            XCTAssertEqual(mail["rcpt_tos"]?.array?.count, copiedExpert ? 2 : 1, "its recipient and no one else: \(mail)")
            XCTAssertFalse(mail["rcpt_tos"]?.serialized.contains("evil") ?? true)
            let names = Set((mail["headers"]?.object ?? [:]).keys)
            XCTAssertTrue(names.isDisjoint(with: ["bcc", "x-injected"]), "no header was added: \(names)")
        }
        let toUser = try XCTUnwrap(invitations(mails)[c.userEmail])
        XCTAssertEqual(toUser["headers_rfc2047"]?["to"], .string("Zoë Bcc: mallory@evil.example =?UTF-8?B?QWRtaW4=?= X-Injected: yes <\(c.userEmail)>"),
                       "the name, its line breaks and controls as spaces, its look-alike encoded word as text")
        let toExpert = try XCTUnwrap(invitations(mails)[c.expertEmail])
        XCTAssertEqual(toExpert["headers"]?["subject"],
                       .string("[ACAD] Invitation: Zoë Bcc: mallory@evil.example and Talia - ACAD @ Mon 11 Mar 2030 10:00 EDT"), "CR LF: one space")
        XCTAssertTrue(toExpert["body"]?.string?.contains("Topic:  Moles Bcc: eve@evil.example  Pay at evil.example") ?? false,
                      "the topic stays on its line: \(toExpert)")
        for raw in try smtp.rawMessages() {
            let head = raw.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")[0]
            XCTAssertFalse(head.contains("\nBcc:") || head.contains("\nX-Injected:"), "no line starts a header of its own: \(head)")
        }
    }
}
