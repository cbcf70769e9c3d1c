import Core
import Meetings

/// An iCalendar (RFC 5545) invitation with iTIP (RFC 5546) method for one meeting: a UID
/// stable for the meeting, SEQUENCE raised on every move, METHOD:CANCEL once cancelled.
public struct CalendarInvite: Sendable {
    public struct Person: Sendable {
        public let firstName: String
        public let lastName: String
        public let email: String

        public init(firstName: String, lastName: String, email: String) {
            self.firstName = firstName
            self.lastName = lastName
            self.email = email
        }
    }

    public var meetingId: String
    public var status: MeetingStatus
    public var start: Instant
    public var end: Instant
    public var sequence: Int64
    public var user: Person
    public var expert: Person
    public var communityShortName: String
    public var serviceName: String
    public var location: String?
    public var videoURL: String?
    public var topic: String?
    /// (question, answer) pairs from the agenda screen.
    public var agenda: [(String, String)]
    public var stamp: Instant
    /// The student the meeting is for, when the user (a customer) booked for one (seed 003).
    public var student: Person? = nil
    /// The session's type, once the expert made the session (seed 003: a lesson, an assessment).
    public var sessionType: String? = nil
    /// The session's class (seed 003's optional field), once the expert's side gave it.
    public var className: String? = nil

    /// Where a meeting is, as people read it: its location, and the room within it when the
    /// expert's side gave one ("Library, Room 12").
    public static func place(_ location: String?, room: String?) -> String? {
        guard let room, !room.isEmpty else { return location }
        return location.map { "\($0), \(room)" } ?? room
    }

    public init(
        meetingId: String, status: MeetingStatus, start: Instant, end: Instant, sequence: Int64, user: Person, expert: Person,
        communityShortName: String, serviceName: String, location: String?, videoURL: String?, topic: String?, agenda: [(String, String)], stamp: Instant
    ) {
        self.meetingId = meetingId
        self.status = status
        self.start = start
        self.end = end
        self.sequence = sequence
        self.user = user
        self.expert = expert
        self.communityShortName = communityShortName
        self.serviceName = serviceName
        self.location = location
        self.videoURL = videoURL
        self.topic = topic
        self.agenda = agenda
        self.stamp = stamp
    }

    public var isCancelled: Bool { [.cancelled, .rejected, .expired].contains(status) }
    public var method: String { isCancelled ? "CANCEL" : "REQUEST" }
    /// The event's STATUS: tentative while awaiting approval, confirmed once agreed (and after it
    /// took place), cancelled when it will not take place.
    public var eventStatus: String {
        switch status {
        case .awaitingApproval: return "TENTATIVE"
        case .agreed, .completed: return "CONFIRMED"
        case .cancelled, .rejected, .expired: return "CANCELLED"
        }
    }
    /// "[student first name] and [expert first name] - [community short name]" (seed 001): the
    /// student is the user, or the student a customer booked for. One line, as the mail's
    /// Subject shows it, whatever a name stored earlier holds (a line break, a tab).
    public var title: String { PersonText.line("\((student ?? user).firstName) and \(expert.firstName) - \(communityShortName)") }

    /// Every text from a person goes through `text`, `parameter` or `uri`, so none can end its
    /// line and start a property, an attendee or an event of its own.
    public var ics: String {
        var description = [serviceName]
        if let student { description.append(PersonText.line("For \(student.firstName) \(student.lastName), booked by \(user.firstName) \(user.lastName)")) }
        if let sessionType, !sessionType.isEmpty { description.append("Session: \(sessionType)") }
        if let className, !className.isEmpty { description.append("Class: \(className)") }
        if let topic, !topic.isEmpty { description.append("Topic: \(topic)") }
        for (question, answer) in agenda { description.append(Self.agendaLine(question, answer)) }
        if let videoURL { description.append("Video: \(videoURL)") }
        var lines = [
            "BEGIN:VCALENDAR", "PRODID:-//MeetingLedger//Meetings//EN", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:\(method)",
            "BEGIN:VEVENT",
            "UID:\(meetingId)@meetingledger",
            "DTSTAMP:\(Self.utc(stamp))",
            "DTSTART:\(Self.utc(start))",
            "DTEND:\(Self.utc(end))",
            "SEQUENCE:\(sequence)",
            "STATUS:\(eventStatus)",
            "SUMMARY:\(Self.text(title))",
            "DESCRIPTION:\(Self.text(description.joined(separator: "\n")))",
        ]
        if let place = location ?? videoURL { lines.append("LOCATION:\(Self.text(place))") }
        if let videoURL { lines.append("URL:\(Self.uri(videoURL))") }
        lines.append("ORGANIZER;CN=\(Self.parameter(expert.firstName + " " + expert.lastName)):\(Self.mailto(expert.email))")
        for p in [user] + (student.map { [$0] } ?? []) + [expert] {
            lines.append("ATTENDEE;CN=\(Self.parameter(p.firstName + " " + p.lastName));ROLE=REQ-PARTICIPANT:\(Self.mailto(p.email))")
        }
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    /// Marks a question may end in that already set its answer apart.
    static let questionEnds: Set<Unicode.Scalar> = ["?", ":", "\u{FF1F}", "\u{FF1A}"]

    /// An agenda answer after its question, set apart by ": " ("Year of study: 2nd year"), or by a
    /// space after a question's own `?` or `:` ("What do you want to discuss? Internships").
    static func agendaLine(_ question: String, _ answer: String) -> String {
        let asked = question.trimmingWhitespace()
        return asked + (asked.unicodeScalars.last.map(questionEnds.contains) == true ? " " : ": ") + answer
    }

    static func utc(_ instant: Instant) -> String {
        // 2026-03-08T14:00:00Z → 20260308T140000Z
        let text = Instant(seconds: instant.epochSeconds).rfc3339
        return text.filter { $0 != "-" && $0 != ":" }
    }

    // Escaping walks Unicode scalars, never Characters: "\r\n" is one Character, equal to
    // neither "\r" nor "\n".

    /// C0 controls but HTAB (which RFC 5545 allows in TEXT and quoted values), DEL and C1 controls.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }

    /// TEXT (RFC 5545 §3.3.11): backslash, semicolon and comma escaped; each line break (CR LF
    /// counting as one) written as `\n`; other control characters dropped, and the marks that
    /// reorder text (a topic's U+202E would show the rest of the description reversed).
    static func text(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar? = nil
        for scalar in HiddenMarks.removed(from: value).unicodeScalars {
            defer { previous = scalar }
            if scalar == "\n" && previous == "\r" { continue }
            if scalar == "\\" || scalar == ";" || scalar == "," {
                out.append("\\")
                out.append(scalar)
            } else if scalar.isLineBreak {
                out.append(contentsOf: "\\n".unicodeScalars)
            } else if !isControl(scalar) && !scalar.isBidiControl {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A parameter value (CN): DQUOTE-quoted, so `:`, `;` and `,` are plain text inside it; a
    /// quoted value cannot hold DQUOTE, control characters or line breaks. RFC 6868 writes a
    /// DQUOTE as `^'` and `^` as `^^` (a reader of it took "Ann^nMarie" for two lines); controls
    /// are dropped, a line break (CR LF counted once) becomes a space, so words stay apart.
    static func parameter(_ value: String) -> String {
        var out = String.UnicodeScalarView(["\""])
        for scalar in PersonText.line(value).unicodeScalars where scalar != "\u{FFFD}" && !isControl(scalar) {
            switch scalar {
            case "\"": out.append(contentsOf: "^'".unicodeScalars)
            case "^": out.append(contentsOf: "^^".unicodeScalars)
            default: out.append(scalar)
            }
        }
        out.append("\"")
        return String(out)
    }

    /// Characters a URI holds as they are (RFC 3986: unreserved, reserved and `%`).
    static let uriCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%".utf8)
    /// Characters an address in a mailto URI holds as they are (RFC 6068): not `?`, `&` or `,`,
    /// which would add header fields or recipients, nor `%` or `:`.
    static let addressCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~@!$'*+=".utf8)
    static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// A URI value (URL): every other character, controls and line breaks included, is
    /// percent-encoded as UTF-8 (RFC 3987 §3.1), so the value is printable ASCII on one line.
    static func uri(_ value: String, keeping kept: Set<UInt8> = uriCharacters) -> String {
        var out: [UInt8] = []
        for scalar in value.unicodeScalars {
            if scalar.isASCII, kept.contains(UInt8(scalar.value)) {
                out.append(UInt8(scalar.value))
            } else {
                for byte in scalar.utf8 { out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]] }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A calendar address: one recipient, whatever the email holds.
    static func mailto(_ email: String) -> String { "mailto:" + uri(email, keeping: addressCharacters) }

    /// Lines longer than 75 octets continue on the next line after a space, never splitting a
    /// UTF-8 sequence.
    static func fold(_ line: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(line.utf8.count + line.utf8.count / 24 + 3)
        var count = 0
        for scalar in line.unicodeScalars {
            let width = UTF8.width(scalar)
            if count + width > 75 {
                out.append(contentsOf: [0x0D, 0x0A, 0x20])
                count = 1
            }
            out.append(contentsOf: scalar.utf8)
            count += width
        }
        return String(decoding: out, as: UTF8.self)
    }
}
