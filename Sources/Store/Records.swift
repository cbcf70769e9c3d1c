import Community
import Core
import Meetings
import Postgres
import Scheduling

/// Rows as the database gives them (`to_jsonb` of a row) turned into the pure modules' values,
/// and back: the one place that knows both the columns and the types.
public enum Records {
    // MARK: Meetings

    public static func meeting(_ j: StoredJSON) throws -> Meeting {
        let id = try j.string("id")
        var alternate: Alternate? = nil
        if let altStart = try j.optionalInstant("alternate_start_at") {
            guard let by = Party(rawValue: try j.string("alternate_proposed_by")) else { throw j.fail("alternate_proposed_by", "is unknown") }
            let length = try j.int("alternate_length_minutes")
            alternate = Alternate(
                start: altStart, lengthMinutes: length, priceCredits: try j.optionalInt("alternate_price_credits") ?? j.int("price_credits"),
                proposedBy: by, note: try j.optionalString("alternate_note"), acceptedOverlaps: try j.strings("alternate_accepted_overlaps"))
        }
        guard let status = MeetingStatus(rawValue: try j.string("status")),
            let creditStatus = CreditStatus(rawValue: try j.string("credit_status")),
            let proposedBy = Party(rawValue: try j.string("proposed_by")),
            let priceSource = PriceSource(rawValue: try j.optionalString("price_source") ?? "service")
        else { throw j.fail("status", "of meeting \(id) is unknown") }
        let state = MeetingState(
            status: status, creditStatus: creditStatus, start: try j.instant("start_at"), lengthMinutes: try j.int("length_minutes"),
            priceCredits: try j.int("price_credits"), expertApproved: try j.bool("expert_approved"), userApproved: try j.bool("user_approved"),
            proposedBy: proposedBy, alternate: alternate, heldCredits: try j.int("held_credits"))
        let attendance = try j.optionalString("attendance").map { text -> Attendance in
            guard let a = Attendance(rawValue: text) else { throw j.fail("attendance", "is unknown") }
            return a
        }
        var meeting = Meeting(
            id: id, state: state, priceSource: priceSource, serviceId: try j.string("service_id"), skill: try j.optionalString("skill"),
            userId: try j.string("user_id"), expertId: try j.string("expert_id"), locationId: try j.optionalString("location_id"),
            topic: try j.optionalString("topic"), agendaAnswers: try j.strings("agenda_answers"), sessionType: try j.optionalString("session_type"),
            holdTransferId: try j.optionalString("hold_transfer_id"), conflictAccepted: try j.bool("conflict_accepted"),
            note: try j.optionalString("note"), videoURL: try j.optionalString("video_url"), seriesId: try j.optionalString("series_id"),
            occurrenceDate: try j.optionalString("occurrence_date").flatMap(LocalDate.init), attendance: attendance,
            durationMinutes: try j.optionalInt("duration_minutes"), feedback: j.field("feedback")?.value, loggedAt: try j.optionalInstant("logged_at"),
            calendarSequence: try j.int("calendar_sequence"), version: try j.int("version"), createdAt: try j.instant("created_at"),
            updatedAt: try j.instant("updated_at"), userName: try j.optionalString("user_name") ?? "", expertName: try j.optionalString("expert_name") ?? "")
        meeting.studentId = try j.optionalString("student_id")
        meeting.agendaQuestions = j.field("agenda_questions") == nil ? nil : try j.strings("agenda_questions")
        meeting.className = try j.optionalString("class_name")
        meeting.room = try j.optionalString("room")
        meeting.studentName = try j.optionalString("student_name")
        if let reason = j.field("decline_reason") {
            meeting.declineReason = Reason(code: try reason.string("code"), label: try reason.string("label"))
        }
        meeting.pendingHoldsSlot = j.has("pending_holds_slot") ? try j.bool("pending_holds_slot") : true
        meeting.chargedCredits = try j.optionalInt("charged_credits")
        meeting.acceptedOverlaps = try j.strings("accepted_overlaps")
        meeting.followsMeetingId = try j.optionalString("follows_meeting_id")
        meeting.returnedCredits = try j.optionalInt("returned_credits")
        if let credits = try j.optionalInt("price_basis_credits"), let minutes = try j.optionalInt("price_basis_minutes") {
            meeting.priceBasis = PriceBasis(credits: credits, minutes: minutes)
        }
        return meeting
    }

    /// The row `ml_apply` writes: every column a decision may set, by column name.
    public static func row(_ m: Meeting) -> JSON {
        let s = m.state
        return [
            "id": .string(m.id), "service_id": .string(m.serviceId), "skill": .optional(m.skill), "user_id": .string(m.userId),
            "expert_id": .string(m.expertId), "location_id": .optional(m.locationId), "start_at": .string(s.start.rfc3339),
            "length_minutes": .int(s.lengthMinutes), "price_credits": .int(s.priceCredits), "price_source": .string(m.priceSource.rawValue),
            "price_basis_credits": .optional(m.priceBasis?.credits), "price_basis_minutes": .optional(m.priceBasis?.minutes),
            "topic": .optional(m.topic), "agenda_answers": .array(m.agendaAnswers.map { .string($0) }), "session_type": .optional(m.sessionType),
            "agenda_questions": m.agendaQuestions.map { .array($0.map { .string($0) }) } ?? .null,
            "class_name": .optional(m.className), "room": .optional(m.room),
            "status": .string(s.status.rawValue), "proposed_by": .string(s.proposedBy.rawValue), "expert_approved": .bool(s.expertApproved),
            "user_approved": .bool(s.userApproved), "credit_status": .string(s.creditStatus.rawValue),
            "hold_transfer_id": .optional(m.holdTransferId), "conflict_accepted": .bool(m.conflictAccepted),
            "alternate_start_at": .optional(s.alternate?.start.rfc3339), "alternate_length_minutes": .optional(s.alternate?.lengthMinutes),
            "alternate_price_credits": .optional(s.alternate?.priceCredits), "alternate_proposed_by": .optional(s.alternate?.proposedBy.rawValue),
            "alternate_note": .optional(s.alternate?.note), "alternate_accepted_overlaps": .array((s.alternate?.acceptedOverlaps ?? []).map { .string($0) }),
            "accepted_overlaps": .array(m.acceptedOverlaps.map { .string($0) }), "follows_meeting_id": .optional(m.followsMeetingId), "note": .optional(m.note), "video_url": .optional(m.videoURL),
            "series_id": .optional(m.seriesId), "occurrence_date": .optional(m.occurrenceDate?.description),
            "attendance": .optional(m.attendance?.rawValue), "duration_minutes": .optional(m.durationMinutes), "feedback": m.feedback ?? .null,
            "logged_at": .optional(m.loggedAt?.rfc3339), "calendar_sequence": .int(m.calendarSequence), "version": .int(m.version),
            "created_at": .string(m.createdAt.rfc3339), "updated_at": .string(m.updatedAt.rfc3339),
            "student_id": .optional(m.studentId), "pending_holds_slot": .bool(m.pendingHoldsSlot),
            "decline_reason": m.declineReason.map { ["code": .string($0.code), "label": .string($0.label)] } ?? .null,
        ]
    }

    // MARK: People, services, locations

    public static func person(_ j: StoredJSON) throws -> PersonFacts {
        PersonFacts(
            id: try j.string("id"), email: try j.string("email"), firstName: try j.string("first_name"), lastName: try j.string("last_name"),
            roles: Set(try j.strings("roles").compactMap(Role.init(rawValue:))), timeZone: try j.string("time_zone"),
            suspendedUntil: try j.optionalInstant("suspended_until"))
    }

    public static func service(_ j: StoredJSON) throws -> ServiceFacts {
        guard let kind = ServiceFacts.Kind(rawValue: try j.string("kind")) else { throw j.fail("kind", "is unknown") }
        return ServiceFacts(
            id: try j.string("id"), name: try j.string("name"), kind: kind, expertId: try j.optionalString("expert_id"),
            defaultLengthMinutes: try j.int("default_length_minutes"), priceCredits: try j.int("price_credits"),
            skills: try j.strings("skills"), agendaQuestions: try j.strings("agenda_questions"), active: try j.bool("active"))
    }

    public static func location(_ j: StoredJSON) throws -> LocationFacts {
        LocationFacts(id: try j.string("id"), name: try j.string("name"), kind: try j.string("kind"), active: try j.bool("active"))
    }

    // MARK: Availability

    /// One-off periods as the context functions list them (`kind`, `start`, `end`, `location_ids`).
    public static func availabilityPeriods(_ list: [StoredJSON]) throws -> (free: [FreePeriod], blocked: [BlockedPeriod]) {
        var free: [FreePeriod] = []
        var blocked: [BlockedPeriod] = []
        for p in list {
            let (start, end) = (try p.instant("start"), try p.instant("end"))
            if try p.string("kind") == "free" {
                free.append(FreePeriod(start: start, end: end, locationIds: try p.strings("location_ids")))
            } else {
                blocked.append(BlockedPeriod(start: start, end: end))
            }
        }
        return (free, blocked)
    }

    /// Weekly rules as `availability.set_weekly` stores them.
    public static func weeklyRules(_ json: JSON) throws -> [WeeklyRule] {
        try (json.arrayValue ?? []).map { r in
            guard let weekday = r["weekday"]?.intValue, let start = r["start"]?.stringValue.flatMap(LocalTimeOfDay.init),
                let end = r["end"]?.stringValue.flatMap(LocalTimeOfDay.init)
            else { throw PostgresError(code: .decoding, message: "a stored weekly rule is malformed") }
            return try WeeklyRule(
                weekday: Int(weekday), start: start, end: end, locationIds: (r["location_ids"]?.arrayValue ?? []).compactMap(\.stringValue),
                serviceIds: r["service_ids"]?.arrayValue?.compactMap(\.stringValue))
        }
    }
}
