import Core
import Meetings
import Postgres
import RPC

/// A meeting row: the lifecycle state plus everything shown to callers.
public struct MeetingRecord {
    public var id: String
    public var state: MeetingState
    public var serviceId: String
    public var skill: String?
    public var userId: String
    public var expertId: String
    public var locationId: String?
    public var topic: String?
    public var agendaAnswers: JSON
    public var sessionType: String?
    public var holdTransferId: String?
    public var conflictAccepted: Bool
    public var note: String?
    public var videoURL: String?
    public var seriesId: String?
    public var attendance: String?
    public var durationMinutes: Int64?
    public var feedback: JSON?
    public var calendarSequence: Int64
    public var version: Int64
    public var createdAt: Instant
    public var updatedAt: Instant
    /// The parties' names, so each side sees whom they meet.
    public var userName: String
    public var expertName: String

    static let columns = """
        m.id, m.service_id, m.skill, m.user_id, m.expert_id, m.location_id, m.start_at, m.length_minutes, m.price_credits,
        m.topic, m.agenda_answers, m.session_type, m.status, m.proposed_by, m.expert_approved, m.user_approved, m.credit_status,
        m.hold_transfer_id, m.conflict_accepted, m.alternate_start_at, m.alternate_length_minutes, m.alternate_proposed_by,
        m.alternate_note, m.note, m.video_url, m.series_id, m.attendance, m.duration_minutes, m.feedback, m.calendar_sequence,
        m.version, m.created_at, m.updated_at,
        (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id) AS user_name,
        (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id) AS expert_name
        """

    init(row: Row) throws {
        id = try row.string("id")
        var alternate: Alternate? = nil
        if let altStart = try row.optionalInstant("alternate_start_at") {
            alternate = Alternate(
                start: altStart, lengthMinutes: try row.int("alternate_length_minutes"),
                proposedBy: Party(rawValue: try row.string("alternate_proposed_by"))!, note: try row.optionalString("alternate_note"))
        }
        guard let status = MeetingStatus(rawValue: try row.string("status")),
            let creditStatus = CreditStatus(rawValue: try row.string("credit_status")),
            let proposedBy = Party(rawValue: try row.string("proposed_by"))
        else { throw PostgresError(code: .decoding, message: "meeting \(id) has an unknown status") }
        state = MeetingState(
            status: status, creditStatus: creditStatus, start: try row.instant("start_at"), lengthMinutes: try row.int("length_minutes"),
            priceCredits: try row.int("price_credits"), expertApproved: try row.bool("expert_approved"), userApproved: try row.bool("user_approved"),
            proposedBy: proposedBy, alternate: alternate)
        serviceId = try row.string("service_id")
        skill = try row.optionalString("skill")
        userId = try row.string("user_id")
        expertId = try row.string("expert_id")
        locationId = try row.optionalString("location_id")
        topic = try row.optionalString("topic")
        agendaAnswers = try row.json("agenda_answers")
        sessionType = try row.optionalString("session_type")
        holdTransferId = try row.optionalString("hold_transfer_id")
        conflictAccepted = try row.bool("conflict_accepted")
        note = try row.optionalString("note")
        videoURL = try row.optionalString("video_url")
        seriesId = try row.optionalString("series_id")
        attendance = try row.optionalString("attendance")
        durationMinutes = try row.optionalInt("duration_minutes")
        feedback = try row.optionalJSON("feedback")
        calendarSequence = try row.int("calendar_sequence")
        version = try row.int("version")
        createdAt = try row.instant("created_at")
        updatedAt = try row.instant("updated_at")
        userName = try row.string("user_name")
        expertName = try row.string("expert_name")
    }

    /// Which side of this meeting the actor is on, if any.
    func party(of personId: String) -> Party? {
        if personId == userId { return .user }
        if personId == expertId { return .expert }
        return nil
    }

    public var json: JSON {
        let s = state
        let alternate: JSON = s.alternate.map { a in
            [
                "start": .string(a.start.rfc3339), "end": .string(a.start.adding(minutes: a.lengthMinutes).rfc3339),
                "length_minutes": .int(a.lengthMinutes), "proposed_by": .string(a.proposedBy.rawValue),
                "expert_approved": .bool(a.approved(by: .expert)), "user_approved": .bool(a.approved(by: .user)),
                "note": .optional(a.note),
            ]
        } ?? .null
        return [
            "id": .string(id), "status": .string(s.status.rawValue), "credit_status": .string(s.creditStatus.rawValue),
            "start": .string(s.start.rfc3339), "end": .string(s.end.rfc3339), "length_minutes": .int(s.lengthMinutes),
            "price_credits": .int(s.priceCredits), "service_id": .string(serviceId), "skill": .optional(skill),
            "user_id": .string(userId), "expert_id": .string(expertId), "user_name": .string(userName), "expert_name": .string(expertName), "location_id": .optional(locationId),
            "expert_approved": .bool(s.expertApproved), "user_approved": .bool(s.userApproved),
            "proposed_by": .string(s.proposedBy.rawValue), "alternate": alternate,
            "awaiting_action_by": .optional(s.awaiting?.rawValue), "topic": .optional(topic), "agenda_answers": agendaAnswers,
            "session_type": .optional(sessionType), "hold_transfer_id": .optional(holdTransferId),
            "conflict_accepted": .bool(conflictAccepted), "note": .optional(note), "video_url": .optional(videoURL),
            "series_id": .optional(seriesId), "attendance": .optional(attendance), "duration_minutes": .optional(durationMinutes),
            "feedback": feedback ?? .null, "calendar_sequence": .int(calendarSequence), "version": .int(version),
            "created_at": .string(createdAt.rfc3339), "updated_at": .string(updatedAt.rfc3339),
        ]
    }

    static let schema: Schema = .object([
        .init("id", .id(.meeting), required: true),
        .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue)), required: true),
        .init("credit_status", .oneOf(CreditStatus.allCases.map(\.rawValue)), required: true),
        .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
        .init("length_minutes", .integer(min: 5, max: 1440), required: true), .init("price_credits", .credits, required: true),
        .init("service_id", .id(.service), required: true), .init("user_id", .id(.person), required: true),
        .init("expert_id", .id(.person), required: true), .init("location_id", .nullable(.id(.location)), required: true),
        .init("expert_approved", .boolean, required: true), .init("user_approved", .boolean, required: true),
        .init("alternate", .anyJSON(description: "null or {start, end, length_minutes, proposed_by, expert_approved, user_approved, note}"), required: true),
        .init("version", .integer(min: 1, max: .max), required: true),
    ], additional: true)
}
