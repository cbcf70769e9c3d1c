import Community
import Core

/// Where a meeting's price came from: the service's price for its length, or the expert's
/// proposal (which then scales with the length if the meeting is moved to another length).
public enum PriceSource: String, Sendable, CaseIterable {
    case service, expert
}

/// A meeting as stored: the lifecycle state plus everything shown to callers.
public struct Meeting: Sendable, Equatable {
    public var id: String
    public var state: MeetingState
    public var priceSource: PriceSource
    public var serviceId: String
    public var skill: String?
    public var userId: String
    public var expertId: String
    public var locationId: String?
    public var topic: String?
    public var agendaAnswers: [String]
    /// The questions its answers answer, as the service asked them when it was booked (nil for
    /// a meeting booked without answers, or before they were kept): an invitation pairs the
    /// answers with these, not with the service's questions as they are now.
    public var agendaQuestions: [String]? = nil
    public var sessionType: String?
    /// The session's class and room (within its location), given by the expert's side when it
    /// makes the session (seed 003: "non compulsory fields … Class, Room").
    public var className: String? = nil
    public var room: String? = nil
    public var holdTransferId: String?
    public var conflictAccepted: Bool
    /// The agreed meetings whose overlap the expert accepted for this one (when proposing its
    /// time, or confirming it): a user's yes stands against those only.
    public var acceptedOverlaps: [String] = []
    /// The meeting a proposal follows (meeting.propose's from_meeting_id), if it named one.
    public var followsMeetingId: String? = nil
    public var note: String?
    public var videoURL: String?
    public var seriesId: String?
    public var occurrenceDate: LocalDate?
    public var attendance: Attendance?
    public var durationMinutes: Int64?
    public var feedback: JSON?
    public var loggedAt: Instant?
    public var calendarSequence: Int64
    public var version: Int64
    public var createdAt: Instant
    public var updatedAt: Instant
    /// The parties' names, so each side sees whom they meet.
    public var userName: String
    public var expertName: String
    /// The student the meeting is for, when the user (a customer, a parent) booked for one of
    /// their students (seed 003); nil when the user meets the expert themself.
    public var studentId: String? = nil
    public var studentName: String? = nil
    /// The public reason of the decline, shown to the user in place of the details.
    public var declineReason: Reason? = nil
    /// While it is a request holding credits, the meeting takes the expert's time (the
    /// community's `pending_holds_slot` when it was requested).
    public var pendingHoldsSlot = true

    /// Whether the meeting takes the expert's time, as the database's `occupies` column says:
    /// agreed, or requested with credits held where a request holds its slot.
    public var occupiesTime: Bool {
        state.status == .agreed || (state.status == .awaitingApproval && state.creditStatus == .blocked && pendingHoldsSlot)
    }
    /// What the user paid once the meeting's hold was captured (all of the price, or a late
    /// cancellation's share of it); nil until then. The ledger's capture is the record: this is
    /// read from it, not stored on the meeting.
    public var chargedCredits: Int64? = nil
    /// What was returned to the user once its credits were (credit_status returned): its last
    /// release, read from the ledger; nil otherwise.
    public var returnedCredits: Int64? = nil
    /// The price and length the meeting was booked on (the service's price for its default
    /// length then, or the price and length the expert set): every new length is priced pro rata
    /// from them, not from the service's price now nor from a price already rounded for another
    /// length. Nil for a service-priced meeting booked before it was kept.
    public var priceBasis: PriceBasis? = nil

    public init(
        id: String, state: MeetingState, priceSource: PriceSource, serviceId: String, skill: String?, userId: String, expertId: String,
        locationId: String?, topic: String?, agendaAnswers: [String], sessionType: String?, holdTransferId: String?,
        conflictAccepted: Bool, note: String?, videoURL: String?, seriesId: String?, occurrenceDate: LocalDate?,
        attendance: Attendance?, durationMinutes: Int64?, feedback: JSON?, loggedAt: Instant?, calendarSequence: Int64,
        version: Int64, createdAt: Instant, updatedAt: Instant, userName: String, expertName: String
    ) {
        self.id = id
        self.state = state
        self.priceSource = priceSource
        self.serviceId = serviceId
        self.skill = skill
        self.userId = userId
        self.expertId = expertId
        self.locationId = locationId
        self.topic = topic
        self.agendaAnswers = agendaAnswers
        self.sessionType = sessionType
        self.holdTransferId = holdTransferId
        self.conflictAccepted = conflictAccepted
        self.note = note
        self.videoURL = videoURL
        self.seriesId = seriesId
        self.occurrenceDate = occurrenceDate
        self.attendance = attendance
        self.durationMinutes = durationMinutes
        self.feedback = feedback
        self.loggedAt = loggedAt
        self.calendarSequence = calendarSequence
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.userName = userName
        self.expertName = expertName
    }

    /// Which side of this meeting a person acts on, if any: the user is the one who booked and
    /// pays (a customer), not the student the meeting is for.
    public func party(of personId: String) -> Party? {
        if personId == userId { return .user }
        if personId == expertId { return .expert }
        return nil
    }

    /// Which side of this meeting a person reads it from: its parties, and its student on the
    /// user's side.
    public func readerSide(of personId: String) -> Party? {
        party(of: personId) ?? (personId == studentId ? .user : nil)
    }

    public func personId(of party: Party) -> String { party == .user ? userId : expertId }
}

extension Meeting {
    /// The overlaps the booking rules found and the expert accepted (none: none accepted).
    public mutating func accept(_ verdict: BookingVerdict) {
        conflictAccepted = verdict.conflictAccepted
        acceptedOverlaps = verdict.acceptedOverlaps
    }

    /// The meeting as every method returns it (SPEC §5.1).
    public var json: JSON {
        let s = state
        let alternate: JSON = s.alternate.map { a in
            [
                "start": .string(a.start.rfc3339), "end": .string(a.end.rfc3339),
                "length_minutes": .int(a.lengthMinutes), "price_credits": .int(a.priceCredits), "proposed_by": .string(a.proposedBy.rawValue),
                "expert_approved": .bool(a.approved(by: .expert)), "user_approved": .bool(a.approved(by: .user)),
                "note": .optional(a.note), "conflict_accepted": .bool(a.conflictAccepted),
            ]
        } ?? .null
        return [
            "id": .string(id), "status": .string(s.status.rawValue), "credit_status": .string(s.creditStatus.rawValue),
            "start": .string(s.start.rfc3339), "end": .string(s.end.rfc3339), "length_minutes": .int(s.lengthMinutes),
            "price_credits": .int(s.priceCredits), "held_credits": .int(s.heldCredits), "charged_credits": .optional(chargedCredits), "follows_meeting_id": .optional(followsMeetingId), "returned_credits": .optional(returnedCredits), "price_source": .string(priceSource.rawValue),
            "service_id": .string(serviceId),
            "skill": .optional(skill), "user_id": .string(userId), "expert_id": .string(expertId), "user_name": .string(userName),
            "expert_name": .string(expertName), "location_id": .optional(locationId),
            "expert_approved": .bool(s.expertApproved), "user_approved": .bool(s.userApproved),
            "proposed_by": .string(s.proposedBy.rawValue), "alternate": alternate,
            "awaiting_action_by": .optional(s.awaiting?.rawValue), "topic": .optional(topic),
            "agenda_answers": .array(agendaAnswers.map { .string($0) }),
            "agenda_questions": agendaQuestions.map { .array($0.map { .string($0) }) } ?? .null,
            "session_type": .optional(sessionType), "class_name": .optional(className), "room": .optional(room), "hold_transfer_id": .optional(holdTransferId),
            "conflict_accepted": .bool(conflictAccepted), "note": .optional(note), "video_url": .optional(videoURL),
            "series_id": .optional(seriesId), "occurrence_date": .optional(occurrenceDate?.description),
            "attendance": .optional(attendance?.rawValue), "duration_minutes": .optional(durationMinutes),
            "feedback": feedback ?? .null, "calendar_sequence": .int(calendarSequence), "version": .int(version),
            "created_at": .string(createdAt.rfc3339), "updated_at": .string(updatedAt.rfc3339),
            "student_id": .optional(studentId), "student_name": .optional(studentName), "decline_reason": declineReason.map(Self.reasonJSON) ?? .null,
            "pending_holds_slot": .bool(pendingHoldsSlot), "awaiting_processing": .bool(s.awaitingProcessing), "details_hidden": false,
        ]
    }

    static func reasonJSON(_ r: Reason) -> JSON { ["code": .string(r.code), "label": .string(r.label)] }

    /// Why the meeting has no calendar invitation, or nil when it has one. Its parties are mailed
    /// the invitation when it is agreed, at SEQUENCE 0, and each revision after that at a higher
    /// one (MeetingChange.invitationChanged); an .ics handed out before would say SEQUENCE 0 for a
    /// time and status still changing, and a calendar that imported a later one of those would
    /// ignore the mailed invitation as older. A meeting cancelled once agreed was sent its
    /// cancellation, which raised its SEQUENCE; one withdrawn, declined or expired before that
    /// was never invited.
    public var withoutInvitation: String? {
        switch state.status {
        case .agreed, .completed: return nil
        case .cancelled where calendarSequence > 0: return nil
        case .awaitingApproval:
            return "it is not agreed yet; its calendar invitation is mailed to both parties when it is agreed, and meeting.calendar gives it from then on"
        case .rejected, .expired, .cancelled: return "it ended before it was agreed, so it has no calendar invitation"
        }
    }

    /// Whether `personId` sees the meeting without its session details: a meeting the expert's
    /// side declined, to its user's side (seed 001: "Providers have the ability to decline
    /// appointments … When you click into a declined session, no session details will be
    /// shown"). One the user's side declined (an expert's proposal or new date) keeps its
    /// details for them: they read what they turned down. The side that declines is the one
    /// that had not approved, so the user's approval stands after the expert's decline alone.
    public func hidesDetails(from personId: String) -> Bool {
        state.hidesDetailsFromUser && readerSide(of: personId) == .user
    }

    /// The meeting as `personId` may see it: whole, or, when it hides its details from them, only
    /// that it was declined, with whom, for whom and the public reason.
    public func json(seenBy personId: String, at now: Instant? = nil) -> JSON {
        var whole = json
        // Read at a time, an ended agreed meeting waits for its session log, and a new date that
        // can no longer be taken says so until the scheduler closes it.
        if let now, var o = whole.objectValue {
            o["awaiting_action_by"] = .optional(state.awaiting(at: now)?.rawValue)
            if var alternate = o["alternate"]?.objectValue {
                alternate["lapsed"] = .bool(state.alternateLapsed(at: now))
                o["alternate"] = .object(alternate)
            }
            whole = .object(o)
        }
        guard hidesDetails(from: personId), var o = whole.objectValue else { return whole }
        for key in ["start", "end", "length_minutes", "location_id", "video_url", "topic", "session_type", "class_name", "room", "note", "skill", "alternate",
                    "occurrence_date", "hold_transfer_id", "feedback", "agenda_questions"] {
            o[key] = .null
        }
        o["agenda_answers"] = []
        o["details_hidden"] = true
        return .object(o)
    }
}

/// A price for a length, that other lengths are priced pro rata from.
public struct PriceBasis: Sendable, Equatable {
    public var credits: Int64
    public var minutes: Int64

    public init(credits: Int64, minutes: Int64) {
        self.credits = credits
        self.minutes = minutes
    }
}
