import Core
import Meetings

extension CalendarInvite {
    /// The invitation for a meeting as it stands, with the agenda's answers paired with the
    /// questions they answered (the service's as it asked them then; as it asks them now for a
    /// meeting booked before they were kept).
    public init(
        meeting m: Meeting, user: PersonFacts, expert: PersonFacts, service: ServiceFacts?, location: LocationFacts?, shortName: String,
        stamp: Instant, student: PersonFacts? = nil
    ) {
        let questions = m.agendaQuestions ?? service?.agendaQuestions ?? []
        let agenda = m.agendaAnswers.enumerated().map { i, answer in (i < questions.count ? questions[i] : "Answer \(i + 1)", answer) }
        let person = Person.init(_:)
        self.init(
            meetingId: m.id, status: m.state.status, start: m.state.start, end: m.state.end, sequence: m.calendarSequence, user: person(user),
            expert: person(expert), communityShortName: shortName, serviceName: service?.name ?? "", location: Self.place(location?.name, room: m.room),
            videoURL: m.videoURL, topic: m.topic, agenda: agenda, stamp: stamp)
        self.student = m.studentId == nil ? nil : student.map(person)
        self.sessionType = m.sessionType
        self.className = m.className
    }

    /// The stable UID of a meeting's invitation.
    public static func uid(meetingId: String) -> String { "\(meetingId)@meetingledger" }

    /// What `meeting.calendar` answers and the calendar outbox message carries.
    public var json: JSON {
        ["method": .string(method), "ics": .string(ics), "uid": .string(Self.uid(meetingId: meetingId)), "sequence": .int(sequence), "title": .string(title)]
    }
}
