import Core
import XCTest

import Meetings
@testable import Rendering

/// Hostile text in every slot of an invitation (topic, agenda, names, place, service, link,
/// addresses) never adds a line, an attendee, an event or a method: the document keeps its
/// shape, its physical lines stay within 75 octets without splitting a UTF-8 sequence, and the
/// text reads back as it was written (line breaks as \n, other controls gone).
final class CalendarInviteEscapingTests: XCTestCase {
    static let exploit = "Algebra\r\nATTENDEE:mailto:mallory@evil.example\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:forged@evil.example\r\n"
        + "METHOD:CANCEL\r\nSTATUS:CANCELLED\r\nDTSTART:20300101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR"

    /// (what, text): each goes into every text of the invitation.
    static let hostile: [(String, String)] = [
        ("the exploit topic", exploit),
        ("CR alone", "Algebra\rATTENDEE:mailto:mallory@evil.example\rMETHOD:CANCEL"),
        ("LF alone", "Algebra\nATTENDEE:mailto:mallory@evil.example\nMETHOD:CANCEL"),
        ("CRLF", "Algebra\r\nATTENDEE:mailto:mallory@evil.example\r\nMETHOD:CANCEL"),
        ("LF CR", "Algebra\n\rATTENDEE:mailto:mallory@evil.example"),
        ("NUL", "Alge\u{0}bra\u{0}"),
        ("ESC", "Algebra\u{1B}[2J\u{1B}]0;pwned\u{07}"),
        ("DEL and C1", "Alge\u{7F}bra\u{9B}31m\u{80}"),
        ("U+0085", "Algebra\u{85}ATTENDEE:mailto:mallory@evil.example"),
        ("U+2028", "Algebra\u{2028}ATTENDEE:mailto:mallory@evil.example"),
        ("U+2029", "Algebra\u{2029}END:VEVENT"),
        ("VT and FF", "Algebra\u{0B}METHOD:CANCEL\u{0C}END:VEVENT"),
        ("escapes", #"a\b;c,d"e\nf\\"#),
        ("reordering marks", "Stoich\u{202E}live\u{2066}x\u{2069}\u{200F}"),
        ("long multi-byte", String(repeating: "Příliš žluťoučký kůň úpěl ďábelské ódy 🧪👩🏽‍🔬 ", count: 12)),
        ("a 4-byte character at every offset", String(repeating: "𝄞", count: 100) + "a" + String(repeating: "𝄞", count: 100) + "ab" + String(repeating: "😀", count: 60)),
    ]

    static let statuses: [(MeetingStatus, method: String, status: String)] = [
        (.awaitingApproval, "REQUEST", "TENTATIVE"),
        (.agreed, "REQUEST", "CONFIRMED"),
        (.completed, "REQUEST", "CONFIRMED"),
        (.cancelled, "CANCEL", "CANCELLED"),
        (.rejected, "CANCEL", "CANCELLED"),
        (.expired, "CANCEL", "CANCELLED"),
    ]

    static let start = Instant(seconds: 1_900_000_000)

    static func invite(_ text: String, status: MeetingStatus = .agreed, videoURL: String? = nil, email: String? = nil) -> CalendarInvite {
        CalendarInvite(
            meetingId: "mtg_0123", status: status, start: start, end: start.adding(minutes: 60), sequence: 3,
            user: .init(firstName: text, lastName: text, email: email ?? "sam@example.test"),
            expert: .init(firstName: "Talia" + text, lastName: text, email: email.map { "t" + $0 } ?? "talia@example.test"),
            communityShortName: text, serviceName: text, location: text, videoURL: videoURL ?? "https://video.example/r?x=" + text, topic: text,
            agenda: [(text, text), ("Anything to bring?", text)], stamp: start.adding(minutes: -60))
    }

    /// The logical lines: CRLF-separated, folded continuations (CRLF then one space) joined.
    static func unfolded(_ ics: String) -> [String] {
        var lines: [String] = []
        for physical in ics.utf8.split(separator: 13, omittingEmptySubsequences: false) {
            let text = String(decoding: physical.drop { $0 == 10 }, as: UTF8.self)
            // On scalars: a space before a combining character is one Character, so hasPrefix(" ") would miss it.
            if text.unicodeScalars.first == " ", !lines.isEmpty {
                lines[lines.count - 1] += String(text.unicodeScalars.dropFirst())
            } else {
                lines.append(text)
            }
        }
        return lines.filter { !$0.isEmpty }
    }

    /// A content line without its quoted parameter values (where `:` and `;` are plain text).
    static func outsideQuotes(_ line: String) -> String {
        var quoted = false
        return String(String.UnicodeScalarView(line.unicodeScalars.filter { scalar in
            if scalar == "\"" { quoted.toggle() }
            return !quoted && scalar != "\""
        }))
    }

    /// Reads a TEXT value back (RFC 5545 §3.3.11).
    static func unescaped(_ value: Substring) -> String {
        var out = ""
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                out.unicodeScalars.append(scalar == "n" || scalar == "N" ? "\n" : scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// What a TEXT value should read back as: line breaks as LF, other controls gone.
    static func expectedText(_ text: String) -> String {
        var out = ""
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" {
                out += "\n"
                i += 2
                continue
            }
            if ["\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"].contains(s) {
                out += "\n"
            } else if s.value == 9 || !(s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.isBidiControl) {
                out.unicodeScalars.append(s)
            }
            i += 1
        }
        return out
    }

    /// The shape every invitation has, whatever the text in it.
    func assertWellFormed(_ ics: String, method: String, status: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(ics.utf8)
        XCTAssertEqual(bytes.suffix(2), [13, 10], "\(what): ends with CRLF", file: file, line: line)
        for (i, b) in bytes.enumerated() {
            if b == 13 { XCTAssertEqual(i + 1 < bytes.count ? bytes[i + 1] : 0, 10, "\(what): a bare CR at octet \(i)", file: file, line: line) }
            if b == 10 { XCTAssertEqual(i > 0 ? bytes[i - 1] : 0, 13, "\(what): a bare LF at octet \(i)", file: file, line: line) }
        }
        let controls = ics.unicodeScalars.filter { scalar in
            !["\r", "\n", "\t"].contains(scalar) && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}")
        }
        XCTAssertEqual(controls.map { "U+" + String($0.value, radix: 16) }, [], "\(what): control characters in the output", file: file, line: line)
        var physicalLines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { Array($0.dropLast()) }
        physicalLines.removeLast()
        for (i, physical) in physicalLines.enumerated() {
            XCTAssertLessThanOrEqual(physical.count, 75, "\(what): line \(i + 1) has \(physical.count) octets", file: file, line: line)
            XCTAssertNotNil(String(validating: physical, as: UTF8.self), "\(what): line \(i + 1) splits a UTF-8 sequence", file: file, line: line)
        }

        let lines = Self.unfolded(ics)
        let names = lines.map { String($0.prefix { $0 != ":" && $0 != ";" }) }
        func count(_ name: String) -> Int { names.filter { $0 == name }.count }
        XCTAssertEqual(lines.filter { $0 == "BEGIN:VEVENT" }.count, 1, "\(what): one event", file: file, line: line)
        XCTAssertEqual(lines.filter { $0 == "END:VEVENT" }.count, 1, "\(what): one event", file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("BEGIN:") }, ["BEGIN:VCALENDAR", "BEGIN:VEVENT"], what, file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("END:") }, ["END:VEVENT", "END:VCALENDAR"], what, file: file, line: line)
        XCTAssertEqual(count("ATTENDEE"), 2, "\(what): exactly the two attendees", file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ATTENDEE") }.map { Self.outsideQuotes($0).components(separatedBy: ":mailto:").count }, [2, 2],
                       "\(what): one address per attendee", file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("METHOD") }, ["METHOD:\(method)"], what, file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("STATUS") }, ["STATUS:\(status)"], what, file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("UID") }, ["UID:mtg_0123@meetingledger"], what, file: file, line: line)
        XCTAssertEqual(lines.filter { $0.hasPrefix("DTSTART") }, ["DTSTART:20300317T174640Z"], what, file: file, line: line)
        let known = ["BEGIN", "END", "PRODID", "VERSION", "CALSCALE", "METHOD", "UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS",
                     "SUMMARY", "DESCRIPTION", "LOCATION", "URL", "ORGANIZER", "ATTENDEE"]
        XCTAssertEqual(names.filter { !known.contains($0) }, [], "\(what): no other property", file: file, line: line)
        for name in known where !["BEGIN", "END", "ATTENDEE"].contains(name) {
            XCTAssertEqual(count(name), 1, "\(what): one \(name)", file: file, line: line)
        }
    }

    func value(_ ics: String, _ name: String) -> Substring? {
        Self.unfolded(ics).first { $0.hasPrefix(name + ":") }.map { $0.dropFirst(name.count + 1) }
    }

    func testHostileTextKeepsTheDocumentsShape() {
        for (what, text) in Self.hostile {
            for (status, method, shown) in Self.statuses {
                assertWellFormed(Self.invite(text, status: status).ics, method: method, status: shown, "\(what), \(status)")
            }
        }
    }

    func testTextReadsBackAsWritten() throws {
        for (what, text) in Self.hostile {
            var invite = Self.invite(text)
            invite.sessionType = text
            let ics = invite.ics
            let expected = Self.expectedText(text)
            XCTAssertEqual(value(ics, "LOCATION").map(Self.unescaped), expected, what)
            XCTAssertEqual(value(ics, "SUMMARY").map(Self.unescaped), PersonText.line("\(text) and Talia\(text) - \(text)"), "\(what): on one line")
            let description = try XCTUnwrap(value(ics, "DESCRIPTION").map(Self.unescaped))
            let asked = expected.trimmingWhitespace(), ownMark = asked.hasSuffix("?") || asked.hasSuffix(":")
            XCTAssertEqual(description, [expected, "Session: \(expected)", "Topic: \(expected)", asked + (ownMark ? " " : ": ") + expected, "Anything to bring? \(expected)",
                                         "Video: https://video.example/r?x=\(expected)"].joined(separator: "\n"), what)
        }
    }

    /// The title is one line, as the mail's Subject shows it: a name stored before names were
    /// checked keeps no line break or tab in SUMMARY (it read "Bad\nBcc: x@evil.com\n\nInjected").
    func testTheTitleIsOneLine() throws {
        var invite = Self.invite("Sam")
        invite.user = .init(firstName: "Bad\r\nBcc: x@evil.com\r\n\r\nInjected\tName", lastName: "Lee", email: "bad@example.test")
        XCTAssertEqual(invite.title, "Bad Bcc: x@evil.com  Injected Name and TaliaSam - Sam")
        XCTAssertEqual(value(invite.ics, "SUMMARY"), "Bad Bcc: x@evil.com  Injected Name and TaliaSam - Sam")
        invite.student = .init(firstName: "Al\u{2028}ex", lastName: "Young", email: "alex@example.test")
        XCTAssertEqual(invite.title, "Al ex and TaliaSam - Sam", "the student a customer booked for, the same way")
        // And the description's line of whom it is for and who booked it.
        let description = try XCTUnwrap(value(invite.ics, "DESCRIPTION").map(Self.unescaped))
        XCTAssertTrue(description.contains("For Al ex Young, booked by Bad Bcc: x@evil.com  Injected Name Lee\n"), description)
    }

    /// Each agenda answer is set apart from its question: by ": ", or by a space after the
    /// question's own `?` or `:` (it read "Year of study 2nd year").
    func testAnAnswerIsSetApartFromItsQuestion() throws {
        var invite = Self.invite("Algebra")
        invite.agenda = [("What do you want to discuss?", "Internships"), ("Year of study", "2nd year"), ("Room: ", "B2"), ("学年？", "2"), ("Level ", "A")]
        let description = try XCTUnwrap(value(invite.ics, "DESCRIPTION").map(Self.unescaped))
        XCTAssertTrue(description.contains("\nWhat do you want to discuss? Internships\nYear of study: 2nd year\nRoom: B2\n学年？ 2\nLevel: A\n"),
                      description)
    }

    /// CN is a quoted parameter value: no DQUOTE and no control inside it.
    func testNamesAreQuotedParameterValues() throws {
        for (what, text) in Self.hostile + [("quotes", "Sam \"The Man\" Lee:x;ROLE=CHAIR")] {
            let ics = Self.invite(text).ics
            for attendee in Self.unfolded(ics).filter({ $0.hasPrefix("ATTENDEE;") || $0.hasPrefix("ORGANIZER;") }) {
                XCTAssertTrue(attendee.hasPrefix("ATTENDEE;CN=\"") || attendee.hasPrefix("ORGANIZER;CN=\""), "\(what): \(attendee)")
                let afterQuote = attendee.drop { $0 != "\"" }.dropFirst()
                let name = afterQuote.prefix { $0 != "\"" }
                XCTAssertFalse(name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{2028}" || $0 == "\u{2029}" },
                               "\(what): \(name.debugDescription)")
                let rest = afterQuote.dropFirst(name.count + 1)
                XCTAssertTrue(rest.hasPrefix(";ROLE=REQ-PARTICIPANT:mailto:") || rest.hasPrefix(":mailto:"), "\(what): after the name: \(rest)")
            }
        }
    }

    /// A line break inside a name keeps its words apart (CR LF as one space); a reordering mark
    /// does not reach the calendar's display of the name.
    func testALineBreakInANameIsASpace() throws {
        XCTAssertEqual(CalendarInvite.parameter("Zoë\r\nBcc: x\u{2028}y\u{202E}z\u{7}"), "\"Zoë Bcc: x yz\"")
    }

    /// RFC 6868: `^` is written `^^` and DQUOTE `^'`, so a name holding `^n` or quotes reads as
    /// written (a reader of RFC 6868 took "Ann^nMarie" for a line break, and quotes were lost).
    func testCaretsAndQuotesInANameAreRFC6868Escapes() throws {
        XCTAssertEqual(CalendarInvite.parameter("Ann^nMarie O^'Neil^^"), "\"Ann^^nMarie O^^'Neil^^^^\"")
        XCTAssertEqual(CalendarInvite.parameter("Talia \"TK\" Kim"), "\"Talia ^'TK^' Kim\"")
    }

    /// Addresses and links are URIs: whatever they hold, nothing but URI characters is written.
    func testAddressesAndLinksCarryNoControls() throws {
        let email = "sam@example.test\r\nATTENDEE:mailto:mallory@evil.example\u{1B}\u{2028}\"x\""
        let url = "https://video.example/r?p=x,y\r\nATTENDEE:mailto:mallory@evil.example\r\nEND:VEVENT\u{85} ž"
        let ics = Self.invite("Algebra", videoURL: url, email: email).ics
        assertWellFormed(ics, method: "REQUEST", status: "CONFIRMED", "hostile addresses")
        let uriCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%".unicodeScalars)
        let lines = Self.unfolded(ics)
        let uris = lines.filter { $0.hasPrefix("URL:") }.map { $0.dropFirst(4) }
            + lines.filter { $0.hasPrefix("ATTENDEE") || $0.hasPrefix("ORGANIZER") }.map { Self.outsideQuotes($0).components(separatedBy: ":mailto:")[1][...] }
        XCTAssertEqual(uris.count, 4)
        for uri in uris {
            XCTAssertTrue(uri.unicodeScalars.allSatisfy(uriCharacters.contains), "only URI characters: \(uri)")
        }
        XCTAssertEqual(value(ics, "URL"), "https://video.example/r?p=x,y%0D%0AATTENDEE:mailto:mallory@evil.example%0D%0AEND:VEVENT%C2%85%20%C5%BE",
                       "a URI is percent-encoded, not backslash-escaped")
        XCTAssertEqual(lines.first { $0.hasPrefix("ATTENDEE") }?.components(separatedBy: ":mailto:").last,
                       "sam@example.test%0D%0AATTENDEE%3Amailto%3Amallory@evil.example%1B%E2%80%A8%22x%22", "an address is one recipient")
        XCTAssertEqual(CalendarInvite.mailto("sam?cc=mallory@evil.example"), "mailto:sam%3Fcc=mallory@evil.example", "no header fields in an address")
        XCTAssertEqual(CalendarInvite.mailto("sam+tag,mallory@evil.example"), "mailto:sam+tag%2Cmallory@evil.example", "nor a second recipient")
        XCTAssertEqual(Self.invite("Algebra", videoURL: "https://video.example/rooms/abc-123?pwd=x,y;z").ics.contains("URL:https://video.example/rooms/abc-123?pwd=x,y;z\r\n"), true,
                       "an ordinary link is written as it is")
    }

    /// Folding counts octets, not characters, and never cuts a multi-byte sequence.
    func testFoldingAtSeventyFiveOctets() {
        XCTAssertEqual(CalendarInvite.fold(String(repeating: "a", count: 75)), String(repeating: "a", count: 75))
        XCTAssertEqual(CalendarInvite.fold(String(repeating: "a", count: 76)), String(repeating: "a", count: 75) + "\r\n a")
        XCTAssertEqual(CalendarInvite.fold(String(repeating: "a", count: 149)), String(repeating: "a", count: 75) + "\r\n " + String(repeating: "a", count: 74))
        // 37 two-octet characters are 74 octets; the 38th would make 76.
        XCTAssertEqual(CalendarInvite.fold("a" + String(repeating: "ž", count: 38)), "a" + String(repeating: "ž", count: 37) + "\r\n ž")
        XCTAssertEqual(CalendarInvite.fold(String(repeating: "😀", count: 19)), String(repeating: "😀", count: 18) + "\r\n 😀", "72 octets, then 4 more would pass 75")
    }

    /// A meeting that took place is confirmed; only a meeting that will not take place is cancelled.
    func testStatusFollowsTheMeeting() {
        for (status, method, shown) in Self.statuses {
            let ics = Self.invite("Algebra", status: status).ics
            XCTAssertTrue(ics.contains("\r\nMETHOD:\(method)\r\n"), "\(status)")
            XCTAssertTrue(ics.contains("\r\nSTATUS:\(shown)\r\n"), "\(status)")
        }
    }
}
