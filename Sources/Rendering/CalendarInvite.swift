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
    /// "[user first name] and [expert first name] - [community short name]" (seed 001).
    public var title: String { "\(user.firstName) and \(expert.firstName) - \(communityShortName)" }

    public var ics: String {
        var description = ["\(serviceName)"]
        if let topic, !topic.isEmpty { description.append("Topic: \(topic)") }
        for (question, answer) in agenda { description.append("\(question) \(answer)") }
        if let videoURL { description.append("Video: \(videoURL)") }
        var lines = [
            "BEGIN:VCALENDAR", "PRODID:-//MeetingLedger//Meetings//EN", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:\(method)",
            "BEGIN:VEVENT",
            "UID:\(meetingId)@meetingledger",
            "DTSTAMP:\(Self.utc(stamp))",
            "DTSTART:\(Self.utc(start))",
            "DTEND:\(Self.utc(end))",
            "SEQUENCE:\(sequence)",
            "STATUS:\(isCancelled ? "CANCELLED" : (status == .agreed ? "CONFIRMED" : "TENTATIVE"))",
            "SUMMARY:\(Self.escape(title))",
            "DESCRIPTION:\(Self.escape(description.joined(separator: "\n")))",
        ]
        if let place = location ?? videoURL { lines.append("LOCATION:\(Self.escape(place))") }
        if let videoURL { lines.append("URL:\(Self.escape(videoURL))") }
        lines.append("ORGANIZER;CN=\(Self.parameter(expert.firstName + " " + expert.lastName)):mailto:\(expert.email)")
        for p in [user, expert] {
            lines.append("ATTENDEE;CN=\(Self.parameter(p.firstName + " " + p.lastName));ROLE=REQ-PARTICIPANT:mailto:\(p.email)")
        }
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    static func utc(_ instant: Instant) -> String {
        // 2026-03-08T14:00:00Z → 20260308T140000Z
        let text = Instant(seconds: instant.epochSeconds).rfc3339
        return text.filter { $0 != "-" && $0 != ":" }
    }

    /// TEXT escaping (RFC 5545 §3.3.11).
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": continue
            default: out.append(c)
            }
        }
        return out
    }

    /// A parameter value is quoted and may not contain quotes or control characters.
    static func parameter(_ text: String) -> String {
        "\"" + text.filter { $0 != "\"" && !$0.isNewline && $0 != "\u{0}" } + "\""
    }

    /// Lines longer than 75 octets continue on the next line after a space, never splitting a
    /// UTF-8 sequence.
    static func fold(_ line: String) -> String {
        var out = ""
        var count = 0
        for scalar in line.unicodeScalars {
            let width = String(scalar).utf8.count
            if count + width > 75 {
                out += "\r\n "
                count = 1
            }
            out.unicodeScalars.append(scalar)
            count += width
        }
        return out
    }
}
