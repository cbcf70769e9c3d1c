import Core
import Meetings

/// An invitation's facts apart from its people, as the calendar outbox message keeps them: the
/// mail is written when it is sent, for the people as they are then (an e-mail address or a name
/// changed since the invitation was queued), so the .ics names the address the mail goes to
/// (RFC 6047 §2.3) and reads as `meeting.calendar` does.
extension CalendarInvite {
    public var fields: JSON {
        [
            "meeting_id": .string(meetingId), "status": .string(status.rawValue), "start": .string(start.rfc3339), "end": .string(end.rfc3339),
            "sequence": .int(sequence), "community_short_name": .string(communityShortName), "service_name": .string(serviceName),
            "location": .optional(location), "video_url": .optional(videoURL), "topic": .optional(topic),
            "agenda": .array(agenda.map { .array([.string($0.0), .string($0.1)]) }), "stamp": .string(stamp.rfc3339),
            "session_type": .optional(sessionType), "class_name": .optional(className),
        ]
    }

    /// The invitation of `fields` for these people; nil when the fields are not an invitation's.
    public init?(fields f: JSON, user: Person, expert: Person, student: Person?) {
        guard let meetingId = f["meeting_id"]?.stringValue, let status = f["status"]?.stringValue.flatMap(MeetingStatus.init(rawValue:)),
            let start = f["start"]?.stringValue.flatMap({ try? Instant(lenient: $0) }), let end = f["end"]?.stringValue.flatMap({ try? Instant(lenient: $0) }),
            let sequence = f["sequence"]?.intValue, let stamp = f["stamp"]?.stringValue.flatMap({ try? Instant(lenient: $0) })
        else { return nil }
        let agenda = (f["agenda"]?.arrayValue ?? []).compactMap { pair -> (String, String)? in
            guard let q = pair.arrayValue?.first?.stringValue, let a = pair.arrayValue?.last?.stringValue, pair.arrayValue?.count == 2 else { return nil }
            return (q, a)
        }
        self.init(
            meetingId: meetingId, status: status, start: start, end: end, sequence: sequence, user: user, expert: expert,
            communityShortName: f["community_short_name"]?.stringValue ?? "", serviceName: f["service_name"]?.stringValue ?? "",
            location: f["location"]?.stringValue, videoURL: f["video_url"]?.stringValue, topic: f["topic"]?.stringValue, agenda: agenda, stamp: stamp)
        self.student = student
        self.sessionType = f["session_type"]?.stringValue
        self.className = f["class_name"]?.stringValue
    }
}

extension CalendarInvite {
    /// The invitation as mailed: its queued facts, written for its people as they are now (the
    /// one rule the mail and `meeting.calendar` share); nil when the facts are not an
    /// invitation's.
    public static func asMailed(_ facts: JSON, user: PersonFacts, expert: PersonFacts, student: PersonFacts?) -> CalendarInvite? {
        CalendarInvite(fields: facts, user: .init(user), expert: .init(expert), student: student.map(Person.init))
    }
}

extension CalendarInvite.Person {
    public init(_ p: PersonFacts) { self.init(firstName: p.firstName, lastName: p.lastName, email: p.email) }
}
