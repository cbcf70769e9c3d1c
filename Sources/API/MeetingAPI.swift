import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Rendering
import Store
import UseCases

/// `meeting.*`: params → meeting use case → the meeting as JSON.
enum MeetingAPI {
    static var all: [MethodDefinition] {
        [request, propose, confirm, decline, withdraw, cancel, reschedule, confirmAlternate, rejectAlternate, withdrawAlternate,
         logSession, reportNoShow, get, list, waiting, timeline, conflicts, setVideoLink, calendar]
    }

    static let meetingId = Schema.Field("meeting_id", .id(.meeting), required: true)
    static let expectedVersion = Schema.Field("expected_version", .integer(min: 1, max: .max), "Fail with invalid_state if the meeting changed since this version")
    static let acceptConflicts = Schema.Field(
        "accept_conflicts", .boolean, "Confirm even though the expert has an agreed meeting at that time (the expert's side only)")
    /// The expert's side proposing a time that overlaps their agreed meetings (seed 004's warning
    /// in the confirmation dialog): refused with time_conflict unless accepted here, and then the
    /// user's yes to that time makes it agreed.
    static let proposeOverConflicts = Schema.Field(
        "accept_conflicts", .boolean,
        "The expert's side proposes this time even though the expert has agreed meetings then (time_conflict otherwise, listing them): the user's acceptance then stands against those, not against one agreed since")
    static let reasonCode = Schema.Field("reason_code", .text(min: 1, max: 64), required: true, "A code from the community's list")
    static let note = Schema.Field("note", .text(min: 0, max: 10_000))
    /// A length a caller gives a meeting or a service: in 5-minute steps, as a logged session's
    /// adjustment is (a 7-minute meeting is a slip of the finger, not a booking).
    static let minutes: Schema = .integer(min: 5, max: 1440, step: 5)
    static let length = Schema.Field("length_minutes", minutes)

    static let party: Schema = .oneOf(Party.allCases.map(\.rawValue))

    /// A new date one side proposed for an agreed meeting, waiting for the other.
    static let alternateSchema: Schema = .named("Alternate", .object([
        .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
        .init("length_minutes", .integer(min: 5, max: 1440), required: true), .init("price_credits", .credits, required: true),
        .init("proposed_by", party, required: true), .init("expert_approved", .boolean, required: true),
        .init("user_approved", .boolean, required: true), .init("note", .nullable(.text()), required: true),
        .init("conflict_accepted", .boolean, "The expert proposed it over another of their agreed meetings, accepting the overlap: the user's approval then stands"),
        .init("lapsed", .boolean, "As read now: it can no longer be taken, its date or the meeting's start having passed unanswered; the scheduler closes it (jobs.run_due), telling its proposer"),
    ], additional: true))

    static let feedbackSchema: Schema = .named("FeedbackAnswer", .object([
        .init("question", .text(min: 1, max: 500), required: true), .init("answer", .text(max: 10_000), required: true),
    ]))

    static let meetingSchema: Schema = .named("Meeting", .object([
        .init("id", .id(.meeting), required: true),
        .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue)), required: true),
        .init("credit_status", .oneOf(CreditStatus.allCases.map(\.rawValue)), required: true),
        .init("start", .nullable(.timestamp), required: true, "null only where details_hidden"),
        .init("end", .nullable(.timestamp), required: true, "null only where details_hidden"),
        .init("length_minutes", .nullable(.integer(min: 5, max: 1440)), required: true, "null only where details_hidden"),
        .init("price_credits", .credits, required: true),
        .init("held_credits", .credits, required: true,
              "What the open hold holds (0 unless credit_status is blocked): the price, except while an expert's counter-offer of another length waits for the user, when the hold the user made stays until their answer replaces or releases it"),
        .init("returned_credits", .nullable(.credits), required: true, "What went back to the user: the hold released (credit_status returned), which may differ from the price after a counter-offer of another length; or the part of the hold a partial late-cancellation charge did not take (credit_status paid; null when it took all)"),
        .init("charged_credits", .nullable(.credits), required: true, "What the user paid once the hold was captured (credit_status paid): the price, or a late cancellation's share of it"),
        .init("follows_meeting_id", .nullable(.id(.meeting)), required: true, "The meeting this one was proposed to follow (meeting.propose's from_meeting_id)"),
        .init("price_source", .oneOf(PriceSource.allCases.map(\.rawValue)), required: true),
        .init("service_id", .id(.service), required: true), .init("skill", .nullable(.text()), required: true),
        .init("user_id", .id(.person), required: true), .init("expert_id", .id(.person), required: true),
        .init("user_name", .text(), required: true),
        .init("expert_name", .text(), required: true,
              "The expert's first and last name, as mail and invitations name them (the name their public profile shows, display_name, is person.profile's and availability.search's)"),
        .init("location_id", .nullable(.id(.location)), required: true),
        .init("expert_approved", .boolean, required: true), .init("user_approved", .boolean, required: true),
        .init("proposed_by", party, required: true, "The side that proposed the meeting's date: the side that asked for it, or the last to propose another (a counter-offer, a new date after a decline, an alternate date once approved)"),
        .init("alternate", .nullable(alternateSchema), required: true),
        .init("awaiting_action_by", .nullable(party), required: true, "The side whose answer the meeting waits for, if any; an agreed meeting that has ended waits for its expert to log the session (meeting.log_session)"),
        .init("topic", .nullable(.text()), required: true), .init("agenda_answers", .list(.text()), required: true),
        .init("agenda_questions", .nullable(.list(.text())), required: true,
              "The questions agenda_answers answer, in order, as the service asked them when the meeting was booked (a later change to the service's questions leaves them); null without answers, or for a meeting booked before they were kept"),
        .init("session_type", .nullable(.text()), required: true),
        .init("class_name", .nullable(.text()), required: true, "The session's class, and its room within its location: given by the expert's side with the session's details (seed 003's optional fields)"),
        .init("room", .nullable(.text()), required: true), .init("hold_transfer_id", .nullable(.id(.transfer)), required: true),
        .init("conflict_accepted", .boolean, required: true, "The expert accepted an overlap with another agreed meeting"),
        .init("note", .nullable(.text()), required: true), .init("video_url", .nullable(.text()), required: true),
        .init("series_id", .nullable(.id(.series)), required: true), .init("occurrence_date", .nullable(.date), required: true),
        .init("attendance", .nullable(.oneOf(Attendance.allCases.map(\.rawValue))), required: true),
        .init("duration_minutes", .nullable(.integer(min: 0, max: .max)), required: true),
        .init("feedback", .nullable(.list(feedbackSchema)), required: true),
        .init("calendar_sequence", .integer(min: 0, max: .max), required: true, "The invitation's SEQUENCE, raised on every revision of a sent invitation: a move, a cancellation, a new place or video link of the agreed meeting"),
        .init("version", .integer(min: 1, max: .max), required: true),
        .init("created_at", .timestamp, required: true), .init("updated_at", .timestamp, required: true),
        .init("student_id", .nullable(.id(.person)), required: true,
              "The student the meeting is for (its user, a customer, booked and pays); null: the user themself"),
        .init("student_name", .nullable(.text()), required: true),
        .init("awaiting_processing", .boolean, required: true,
              "The user accepted the expert's new date, or a proposal without a session type or a location, where the community requires session details; the expert (or the office) makes the session with meeting.confirm, giving session_type and location_id"),
        .init("pending_holds_slot", .boolean, required: true,
              "While awaiting approval with the user's credits held, the meeting takes the expert's time (the community's pending_holds_slot when it was made); an expert's proposal holds nothing, and takes no time, until the user accepts it"),
        .init("decline_reason", .nullable(CommunitySettings.reasonSchema), required: true, "The public reason of a decline: on a rejected meeting, and on one given a new date since that waits for an answer"),
        .init("details_hidden", .boolean, required: true,
              "true when a meeting the expert's side declined is shown to its user (or student): time, place, link, agenda and notes are left out (null)"),
        .init("side", party, "In meeting.list: the side the listed person is on; in meeting.waiting: expert, the side the list waits on"),
        .init("student_linked", .boolean,
              "In meeting.get, meeting.list and meeting.waiting, for a meeting booked for a student: whether its user still acts for the student (student.link); false: the meeting is not accepted or moved (the experts' side can decline it or turn down a new date, either side withdraw or cancel it) until the two are linked again"),
        .init("cancelled_occurrences", .list(.id(.meeting)),
              "In meeting.cancel of an occurrence of a weekly series: the later occurrences cancelled with it"),
        .init("series_status", .oneOf(["active", "cancelled"]), "In meeting.cancel of an occurrence of a weekly series: the series' status after it"),
    ], additional: true))

    /// An action on one meeting, its command read from the params. `afterTheStart`: the action is
    /// for a meeting whose time has come (logging it, reporting a no-show), so 4012 is not one of
    /// its answers.
    static func action(
        _ name: String, _ summary: String, _ extra: [Schema.Field], errors: [AppError], allowAdmin: Bool = false, afterTheStart: Bool = false,
        locksSeries: Bool = false, examples: [MethodExample] = [], _ command: @escaping @Sendable (Params, BookingContext) throws -> Command
    ) -> MethodDefinition {
        MethodDefinition(
            name, summary, audience: .member, mutating: true, params: [meetingId] + extra + [expectedVersion], result: meetingSchema,
            errors: [DocErrors.notFound, DocErrors.invalidState] + (afterTheStart ? [] : [DocErrors.meetingStarted]) + errors, examples: examples,
            body: .command(MeetingUseCases.act(locksSeries: locksSeries) { params, c in
                MeetingDecider.ActInput(command: try command(params, c), expectedVersion: params.optionalInt("expected_version"), allowAdmin: allowAdmin)
            }))
    }

    // MARK: Creating

    static let request = MethodDefinition(
        "meeting.request",
        "A user books a slot (for themself or for one of their students; or an admin or the office books for a user): the price of its length is held from the user's wallet and the expert asked (or the meeting agreed at once under auto-accept)",
        audience: .roles([.user, .admin, .office]), mutating: true,
        params: [
            .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true),
            .init("start", .timestamp, required: true), .init("location_id", .id(.location), required: true),
            length, .init("skill", .name, "One of the service's skills"), .init("topic", .text(max: 10_000)),
            .init("agenda_answers", .list(.text(max: 10_000), max: 50),
                  "One answer per agenda question of the service, in the questions' order; may be left out, and when given must answer every question; 10,000 characters in all"),
            .init("student_id", .id(.person), "The student the meeting is for: one the user acts for (student.link); their enrolment decides whom they may book"),
            .init("user_id", .id(.person), "Admins and the office book for this user (default: the actor)"),
        ],
        result: meetingSchema,
        errors: [DocErrors.notFound, DocErrors.slotUnavailable, DocErrors.insufficientCredits, DocErrors.notEnrolled, DocErrors.usageLimit,
                 DocErrors.suspended, DocErrors.timeConflict],
        examples: [Examples.request],
        body: .command(MeetingUseCases.request { params, scope in
            MeetingDecider.RequestInput(
                serviceId: try params.string("service_id"), expertId: try params.string("expert_id"), userId: params.optionalString("user_id") ?? scope.actorId,
                start: try params.instant("start"), lengthMinutes: params.optionalInt("length_minutes"), locationId: try params.string("location_id"),
                skill: params.optionalString("skill"), topic: params.optionalString("topic"), agendaAnswers: params.stringList("agenda_answers"),
                studentId: params.optionalString("student_id"))
        }))

    static let propose = MethodDefinition(
        "meeting.propose",
        "An expert proposes a meeting to a user at a price they set: approved by the expert, waiting for the user (refused where the community sets experts_may_propose to false)",
        audience: .roles([.expert]), mutating: true,
        params: [
            .init("user_id", .id(.person), required: true), .init("service_id", .id(.service), required: true),
            .init("start", .timestamp, required: true), .init("length_minutes", minutes, required: true),
            .init("price_credits", .credits, required: true), .init("skill", .name, "One of the service's skills"), .init("location_id", .id(.location)),
            note, .init("from_meeting_id", .id(.meeting), "The meeting this proposal follows, one between you and the user (a proposal made from the chat needs none: a user and an expert have one conversation)"),
            .init("student_id", .id(.person), "The student of the user the meeting is for"),
            .init("session_type", .text(min: 1, max: 64), "The session's type from the community's list; with it and location_id the user's acceptance makes the session where the community requires session details"),
            classNameParam, roomParam, proposeOverConflicts,
        ],
        result: meetingSchema,
        errors: [DocErrors.notFound, DocErrors.sessionLog, DocErrors.timeConflict, DocErrors.slotUnavailable, DocErrors.notEnrolled],
        body: .command(MeetingUseCases.propose { params in
            MeetingDecider.ProposeInput(
                userId: try params.string("user_id"), serviceId: try params.string("service_id"), start: try params.instant("start"),
                lengthMinutes: try params.int("length_minutes"), priceCredits: try params.int("price_credits"), skill: params.optionalString("skill"),
                locationId: params.optionalString("location_id"), note: params.optionalString("note"), fromMeetingId: params.optionalString("from_meeting_id"),
                studentId: params.optionalString("student_id"), sessionType: params.optionalString("session_type"),
                className: params.optionalString("class_name"), room: params.optionalString("room"), acceptConflicts: params.bool("accept_conflicts"))
        }))

    // MARK: Acting

    static let confirm = MethodDefinition(
        "meeting.confirm",
        "The side that has not approved confirms (the office may for the expert): agreed once both have, credits held if not yet. Where the community requires session details, a user's acceptance of the expert's new date, or of a proposal without a session type or a location, waits for the expert to make the session (awaiting_processing); the expert's confirm with session_type and location_id makes it. time_conflict (4010): the expert has an agreed meeting at that time, as the expert or as the one it is for (data.meeting_ids, the expert's side only); the expert or the office confirms anyway with accept_conflicts; or the meeting's user (or student) is agreed then as the expert of another meeting (no meeting named; not to be accepted)",
        audience: .member, mutating: true,
        params: [meetingId, acceptConflicts,
                 sessionTypeParam, sessionLocationParam, classNameParam, roomParam, note, expectedVersion],
        result: meetingSchema,
        errors: [
            DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.timeConflict, DocErrors.insufficientCredits, DocErrors.sessionLog,
            DocErrors.slotUnavailable, DocErrors.usageLimit, DocErrors.suspended, DocErrors.notEnrolled,
        ],
        examples: [Examples.confirm],
        body: .command(MeetingUseCases.act(extraLocation: { $0.optionalString("location_id") }) { params, _ in
            MeetingDecider.ActInput(
                command: .confirm(acceptConflicts: params.bool("accept_conflicts")), expectedVersion: params.optionalInt("expected_version"),
                confirmDetails: confirmDetails(params) ?? .init(sessionType: nil, locationId: nil),
                note: params.optionalString("note"))
        }))

    static let decline = action(
        "meeting.decline", "The side that has not approved declines, with a reason from the community's list; held credits return",
        [reasonCode, note], errors: [DocErrors.sessionLog]
    ) { p, _ in .decline(reasonCode: try p.string("reason_code"), note: p.optionalString("note")) }

    static let withdraw = action(
        "meeting.withdraw",
        "The proposer (or the office, for a date the expert's side proposed) withdraws a meeting the other side has not answered; held credits return. A date of a weekly series withdrawn by its user becomes one of the series' skip dates; the series goes on",
        [note], errors: [DocErrors.sessionLog], locksSeries: true
    ) { p, _ in .withdraw(note: p.optionalString("note")) }

    static let cancel = MethodDefinition(
        "meeting.cancel",
        "Either side cancels an agreed meeting; inside the cancellation window only with confirm_late (a user's late cancellation is charged). Cancelling an occurrence of a weekly series (agreed, or by its user while it awaits the expert) cancels every later occurrence and the series too (cancelled_occurrences); series.skip drops one date",
        audience: .member, mutating: true,
        params: [meetingId, reasonCode, note, .init("confirm_late", .boolean, "Required inside the cancellation window"), expectedVersion],
        result: meetingSchema,
        errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.lateCancellation, DocErrors.sessionLog],
        examples: [Examples.cancel],
        body: .command(MeetingUseCases.cancel { p in
            (try p.string("reason_code"), p.optionalString("note"), p.bool("confirm_late"), p.optionalInt("expected_version"))
        }))

    static let reschedule = MethodDefinition(
        "meeting.reschedule",
        "Proposes a new date (and length: the price follows it): an alternate for an agreed meeting, a new date for a rejected one, a counter-offer while awaiting approval. An agreed meeting keeps its date until the other side accepts the alternate, so a user's alternate need only be within the expert's hours, at any of their locations (the expert's side, accepting it, says where it happens with location_id): the expert is warned of their meetings overlapping it when accepting it (time_conflict). A user's new date for a rejected or waiting meeting holds its time at once, as a request does, so it must also be free of the expert's meetings and held requests (slot_unavailable). The expert's side is told of the expert's agreed meetings overlapping any date it proposes (time_conflict; accept_conflicts proposes it anyway). The date, length and price an agreed or waiting meeting has already are no new date (-32602 on start): the side asked confirms it instead",
        audience: .member, mutating: true, params: [meetingId, .init("start", .timestamp, required: true), length, note, expectedVersion, proposeOverConflicts],
        result: meetingSchema,
        errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.slotUnavailable, DocErrors.usageLimit, DocErrors.sessionLog,
                 DocErrors.timeConflict, DocErrors.insufficientCredits, DocErrors.suspended, DocErrors.notEnrolled],
        body: .command(MeetingUseCases.act(window: { p in (try p.instant("start"), p.optionalInt("length_minutes")) }) { p, c in
            let length = p.optionalInt("length_minutes") ?? c.meeting?.state.lengthMinutes ?? 0
            // The price is worked out by the decision from the new length.
            return MeetingDecider.ActInput(
                command: .reschedule(start: try p.instant("start"), lengthMinutes: length, priceCredits: 0, note: p.optionalString("note")),
                expectedVersion: p.optionalInt("expected_version"), acceptConflicts: p.bool("accept_conflicts"))
        }))

    /// What the expert's side gives when making the session (meeting.confirm, and
    /// meeting.confirm_alternate of a declined meeting's new date).
    static let sessionTypeParam = Schema.Field("session_type", .text(min: 1, max: 64), "Required from the expert's side when the community requires confirmation details")
    static let sessionLocationParam = Schema.Field(
        "location_id", .id(.location), "Sets the location; the request's stands otherwise (required where the community asks for session details and the meeting has no place yet)")

    /// Seed 003's optional fields of a session, given with its other details.
    static let classNameParam = Schema.Field(
        "class_name", .line(min: 1, max: SessionDetail.maxCharacters), "The session's class (seed 003: optional, given by the expert's side with the session's details)")
    static let roomParam = Schema.Field(
        "room", .line(min: 1, max: SessionDetail.maxCharacters), "The session's room within its location (seed 003: optional, given by the expert's side with the session's details); a location_id naming another place without a room leaves the meeting with none, the old place's room staying behind")

    static func confirmDetails(_ params: Params) -> MeetingDecider.ConfirmDetails? {
        let details = MeetingDecider.ConfirmDetails(
            sessionType: params.optionalString("session_type"), locationId: params.optionalString("location_id"),
            className: params.optionalString("class_name"), room: params.optionalString("room"))
        return details.given.isEmpty ? nil : details
    }

    static let confirmAlternate = MethodDefinition(
        "meeting.confirm_alternate",
        "The other side approves the alternate date: it replaces the original. A declined meeting given a new date (meeting.reschedule) "
            + "is awaiting approval at that date (its start is the new date, alternate stays null, decline_reason keeps the decline's): the "
            + "other side approves it here too, as meeting.confirm would (the expert's side giving session_type and location_id where the "
            + "community requires session details)",
        audience: .member, mutating: true, params: [meetingId, acceptConflicts, sessionTypeParam, sessionLocationParam, classNameParam, roomParam, expectedVersion],
        result: meetingSchema,
        errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.timeConflict, DocErrors.insufficientCredits,
                 DocErrors.usageLimit, DocErrors.sessionLog, DocErrors.slotUnavailable, DocErrors.suspended, DocErrors.notEnrolled],
        body: .command(MeetingUseCases.act(extraLocation: { $0.optionalString("location_id") }) { params, _ in
            MeetingDecider.ActInput(
                command: .confirmAlternate(acceptConflicts: params.bool("accept_conflicts")), expectedVersion: params.optionalInt("expected_version"),
                confirmDetails: confirmDetails(params))
        }))

    static let rejectAlternate = action(
        "meeting.reject_alternate",
        "The other side rejects the alternate date, with a reason; an agreed meeting keeps its date and hold. A declined meeting "
            + "given a new date (meeting.reschedule: its start is that date, alternate stays null): rejecting it leaves the meeting "
            + "rejected, with this reason, and returns the credits it blocked",
        [reasonCode, note], errors: [DocErrors.sessionLog]
    ) { p, _ in .rejectAlternate(reasonCode: try p.string("reason_code"), note: p.optionalString("note")) }

    static let withdrawAlternate = action(
        "meeting.withdraw_alternate", "The proposer withdraws an alternate date not yet approved; a new date given after a decline (answered with confirm_alternate or reject_alternate) is withdrawn with the meeting, as meeting.withdraw does", [], errors: [DocErrors.sessionLog]
    ) { _, _ in .withdrawAlternate }

    static let logSession = action(
        "meeting.log_session", "The expert logs attendance, duration and feedback after the start (a user's no-show once the meeting's time is over); attended or a user's no-show pays the expert",
        [.init("attendance", .oneOf(["attended", "no_show"]), required: true),
         .init("duration_adjust_minutes", .integer(min: -240, max: 240), "In steps of 5 minutes from the scheduled length"),
         .init("feedback", .list(feedbackSchema, max: 50), "The answers hold 10,000 characters in all")],
        errors: [], afterTheStart: true
    ) { p, _ in
        guard let attendance = Attendance(rawValue: try p.string("attendance")) else {
            throw AppError.invalidParams(field: "attendance", reason: "must be attended or no_show")
        }
        return .logSession(attendance: attendance, durationAdjustMinutes: p.optionalInt("duration_adjust_minutes") ?? 0, feedback: p["feedback"])
    }

    static let reportNoShow = action(
        "meeting.report_no_show", "The user (or an admin) reports, once the meeting's time is over, that the expert did not come: held credits return, the expert is told (and the user, when an admin reported it), and the meeting no longer counts toward the weekly limit (the user's, or the student's it was for)", [], errors: [], allowAdmin: true,
        afterTheStart: true
    ) { _, _ in .reportNoShow }

    static let setVideoLink = MethodDefinition(
        "meeting.set_video_link", "The video platform's integration records the meeting's link (a meeting awaiting approval or agreed; one that ended, was cancelled or declined: 4009)", audience: .roles([.admin]), mutating: true,
        params: [meetingId, .init("url", .https(max: MeetingDecider.maxVideoURLCharacters, example: MeetingDecider.videoURLExample), required: true, "The meeting's video link, https only")], result: meetingSchema, errors: [DocErrors.notFound, DocErrors.invalidState],
        body: .command(MeetingUseCases.setVideoLink()))

    // MARK: Reading

    /// The meeting, if the actor may see it: its parties, its student, admins and the office
    /// (SPEC §6: party, admin). Finance staff read a meeting's money, not its contents (topic,
    /// answers, notes, feedback, video link): `ledger.meeting_trail`.
    static func readable(_ ctx: RequestContext, _ meeting: Meeting?, _ id: String) throws -> Meeting {
        guard let m = meeting else { throw AppError.notFound("meeting", id) }
        guard m.readerSide(of: ctx.actor.id) != nil || ctx.actor.hasAny([.admin, .office]) else {
            let finance = ctx.actor.hasAny([.finance]) ? "; finance staff read its credits with ledger.meeting_trail (meetctl trail)" : ""
            throw AppError.forbidden("only the meeting's user, student and expert, admins and the office may see it\(finance)")
        }
        return m
    }

    static let get = MethodDefinition(
        "meeting.get", "One meeting", audience: .member, mutating: false, params: [meetingId], result: meetingSchema, errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in [MeetingQueries.meeting(communityId: scope.communityId, meetingId: try p.string("meeting_id"))] },
            respond: { ctx, rows, p in
                let seen = try readable(ctx, try MeetingQueries.decodeMeeting(rows[0]), try p.string("meeting_id")).json(seenBy: ctx.actor.id, at: ctx.now)
                guard let row = rows[0].first, var o = seen.objectValue else { return seen }
                o.merge(try MeetingQueries.studentLinkedField(row)) { _, linked in linked }
                return .object(o)
            })))

    static let list = MethodDefinition(
        "meeting.list",
        "The actor's meetings as user (or as the student a meeting is for) or expert — both without role, each marked with the person's side: those awaiting the actor's action first, then by start. A meeting that changes while the list is paged (a new date, an answer) is listed after the others, in the order it changed, so no page skips it (it may come again, as it is now); the pages of one pass read what awaits the actor, and what has ended, at the time of its first page",
        audience: .member, mutating: false,
        params: [.init("role", .oneOf(["user", "expert"]), "One side only (default: both)"), .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue))),
                 .init("from", .timestamp, "Meetings ending after this time (default: now, and then the agreed meetings that have ended too, until their sessions are logged: the expert's, to log, listed first; the user's or student's, whose credits stay held until then)"), .init("to", .timestamp, "Meetings starting before this time"),
                 .init("person_id", .id(.person), "Admins and office staff may list another person's meetings")] + Page.fields,
        result: Page.resultSchema(meetingSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            primaryOnly: true,
            statements: { scope, p in
                let page = try Page(p, key: listKey)
                let (from, to) = try p.optionalWindow()
                let filter = MeetingQueries.ListFilter(
                    personId: p.optionalString("person_id") ?? scope.actorId, side: p.optionalString("role").flatMap(Party.init(rawValue:)),
                    status: p.optionalString("status"), from: from, to: to)
                let after = try page.after.map {
                    (rank: $0[0].intValue ?? 0, start: page.afterString(1) ?? "", id: page.afterString(2) ?? "", changes: try changes(page, at: 3),
                     listedAt: try Instant(rfc3339: page.afterString(6) ?? ""))
                }
                return [MeetingQueries.list(communityId: scope.communityId, testClock: scope.testClock, filter: filter, after: after, limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [p.optionalString("person_id")])
            },
            respond: { ctx, rows, p in
                if let other = p.optionalString("person_id"), other != ctx.actor.id {
                    try ctx.actor.require(.admin, .office, to: "list another person's meetings")
                    try Existence.require(rows, at: 1)
                }
                return try listed(ctx, rows[0], try Page(p, key: listKey)) { r, m in
                    [.int(try r.int("rank")), .string(m.state.start.rfc3339), .string(m.id)] + (try changesKey(r)) + [.string(try r.instant("listed_at").rfc3339)]
                }
            })))

    static let waiting = MethodDefinition(
        "meeting.waiting",
        "What waits for the experts' side across the community — requests to answer, new dates users accepted (sessions to make), users' new dates for agreed meetings — soonest first: the office's list to process (admins and office staff). One that changes while the list is paged (a new date, an answer) is listed after the others, in the order it changed, so no page skips it (it may come again, as it is now)",
        audience: .roles([.admin, .office]), mutating: false,
        params: [.init("expert_id", .id(.person), "Only this expert's")] + Page.fields,
        result: Page.resultSchema(meetingSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            primaryOnly: true,
            statements: { scope, p in
                let page = try Page(p, key: waitingKey)
                let after = try page.after.map {
                    (changed: $0[0].intValue ?? 0, start: page.afterString(1) ?? "", id: page.afterString(2) ?? "", changes: try changes(page, at: 3))
                }
                return [MeetingQueries.waiting(
                    communityId: scope.communityId, testClock: scope.testClock, expertId: p.optionalString("expert_id"), after: after, limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [p.optionalString("expert_id")])
            },
            respond: { ctx, rows, p in
                try Existence.require(rows, at: 1)
                return try listed(ctx, rows[0], try Page(p, key: waitingKey)) { r, m in
                    [.int(try r.int("changed")), .string(m.state.start.rfc3339), .string(m.id)] + (try changesKey(r))
                }
            })))

    /// meeting.waiting's page key: changed since the listing began (0 or 1), start, id, and
    /// where the pages stand among the changed meetings (`changesKey`).
    static let waitingKey: [Page.KeyPart] = [.integer, .time, .text, .text, .text, .integer]

    /// meeting.list's: its group (awaiting the reader, the others, changed since the listing
    /// began), start, id, where the pages stand among the changed meetings, and when the
    /// listing began.
    static let listKey: [Page.KeyPart] = [.integer, .time, .text, .text, .text, .integer, .time]

    /// The cursor's place among the changed meetings (`ChangePage`), from its key parts at
    /// `index`: two snapshots and a transaction; a snapshot PostgreSQL could not have written
    /// is refused as no cursor of this method's.
    static func changes(_ page: Page, at index: Int) throws -> ChangePage {
        guard let prev = page.afterString(index).flatMap(TransactionSnapshot.init(cursor:)),
            let cur = page.afterString(index + 1).flatMap(TransactionSnapshot.init(cursor:)),
            let changedBy = page.after?[index + 2].intValue
        else { throw Page.notACursor }
        return ChangePage(prev: prev, cur: cur, changedBy: changedBy)
    }

    /// The key parts `changes(_:at:)` reads, after `row`.
    static func changesKey(_ row: Row) throws -> [JSON] {
        let place = try ChangePage.after(row)
        return [.string(place.prev.cursor), .string(place.cur.cursor), .int(place.changedBy)]
    }

    /// A page of meetings as `ctx`'s actor may read them, each with its side; `key` is a row's
    /// page key (the meeting's real start, also where its details are hidden).
    static func listed(_ ctx: RequestContext, _ rows: Rows, _ page: Page, key: (Row, Meeting) throws -> [JSON]) throws -> JSON {
        var read: [(row: Row, meeting: Meeting)] = []
        let items: [JSON] = try rows.map { r in
            guard let m = try MeetingQueries.meeting(in: r) else { throw AppError.internalError() }
            read.append((r, m))
            var o = m.json(seenBy: ctx.actor.id, at: ctx.now).objectValue ?? [:]
            o.merge(try MeetingQueries.studentLinkedField(r)) { _, linked in linked }
            o["side"] = .string(try r.string("side"))
            return .object(o)
        }
        return try page.result(items) { try key(read[$0].row, read[$0].meeting) }
    }

    static let timeline = MethodDefinition(
        "meeting.timeline", "Everything that happened to a meeting, oldest first", audience: .member, mutating: false,
        params: [meetingId] + Page.fields,
        result: Page.resultSchema(eventSchema),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("meeting_id"), page = try Page(p, key: [.integer])
                return [MeetingQueries.meeting(with: MeetingQueries.timeline(
                    communityId: scope.communityId, meetingId: id, afterSeq: page.after?.first?.intValue, limit: page.limit + 1))]
            },
            respond: { ctx, rows, p in
                let (meeting, eventRows) = try MeetingQueries.decodeMeeting(withRows: rows[0])
                let m = try readable(ctx, meeting, try p.string("meeting_id"))
                var events = try eventRows.map(MeetingQueries.timelineJSON)
                if m.hidesDetails(from: ctx.actor.id) {
                    // A meeting the expert's side declined keeps its times and notes with that side.
                    events = events.map { e in
                        var o = e.objectValue ?? [:]
                        o["details"] = [:]
                        o["note"] = .null
                        return .object(o)
                    }
                } else if m.readerSide(of: ctx.actor.id) == .user {
                    // A decline's note is the expert side's for good: once the meeting moves on (a
                    // new date after the decline, its expiry) the user's side still reads only
                    // the decline's public reason; so is that of a new date turned down after a
                    // decline, which declines the meeting again.
                    events = events.map { e in
                        let declines = e["kind"]?.stringValue == "rejected_by_expert"
                            || (e["kind"]?.stringValue == "alternative_date_rejected_by_expert" && e["details"]?["declines_meeting"]?.boolValue == true)
                        guard declines, e["note"]?.isNull == false else { return e }
                        var o = e.objectValue ?? [:]
                        o["note"] = .null
                        return .object(o)
                    }
                }
                return try Page(p, key: [.integer]).result(events, keyFields: "seq")
            })))

    static let eventSchema: Schema = .named("MeetingEvent", .object([
        .init("id", .id(.event), required: true), .init("seq", .integer(min: 1, max: .max), required: true),
        .init("kind", .text(), required: true, "What happened: expert_approval, user_approval, rejected_by_expert, cancelled_by_user, …"),
        .init("actor_id", .nullable(.id(.person)), required: true), .init("actor_role", .oneOf(["user", "expert", "admin", "office", "system"]), required: true),
        .init("reason_code", .nullable(.text()), required: true),
        .init("reason_label", .nullable(.text()), required: true,
              "The reason's label when it was given, kept after the community renames or removes the reason; null without a reason, and for an event recorded before labels were kept (the community's list has it, if it still has the code)"),
        .init("note", .nullable(.text()), required: true),
        .init("details", .openObject(description: "What the event records beyond its kind (times before and after a move, amounts, the reason's label…; `declines_meeting: true` on a new date the expert's side turned down after a decline, which declines the meeting again)"), required: true),
        .init("at", .timestamp, required: true),
    ], additional: true))

    static let conflicts = MethodDefinition(
        "meeting.conflicts",
        "The expert's agreed meetings overlapping a meeting (or a proposed time): the confirmation dialog's warning. They are every agreed meeting the expert attends: as the expert, and as the one another expert's meeting is for (a person with both roles): its student, or its user where it names no student (a customer does not attend a student's meeting), as confirm, propose and the other booking steps count them",
        audience: .roles([.expert, .admin, .office]), mutating: false,
        params: [.init("meeting_id", .id(.meeting)), .init("start", .timestamp), .init("length_minutes", .integer(min: 5, max: 1440)),
                 .init("expert_id", .id(.person), "For admins and the office (who confirm for experts); experts see their own calendar")],
        result: .object([
            .init("meetings", .list(meetingSchema, max: Int(Listed.atMost)), required: true, "The soonest \(Listed.atMost) (count says how many in all)"),
            .init("count", .integer(min: 0, max: .max), required: true, "How many agreed meetings overlap in all"),
        ]), errors: [DocErrors.notFound],
        paramRules: [.anyGroup([["meeting_id"], ["start", "length_minutes"]])],
        body: .read(ReadPlan(
            statements: { scope, p in
                let start = try p.optionalInstant("start"), length = p.optionalInt("length_minutes")
                // A proposed time is one a meeting could have: its end within the supported times.
                if let start, let length { _ = try start.adding(minutes: length, checkedFor: "start", what: "the meeting's end") }
                return [MeetingQueries.conflicts(
                    communityId: scope.communityId, meetingId: p.optionalString("meeting_id"), expertId: p.optionalString("expert_id") ?? scope.actorId,
                    start: start, lengthMinutes: length)]
                    + (p.has("meeting_id") ? [] : Existence.check(communityId: scope.communityId, people: [p.optionalString("expert_id")]))
            },
            respond: { ctx, rows, p in
                let row = try rows[0].one()
                if let id = p.optionalString("meeting_id") {
                    let m = try readable(ctx, try MeetingQueries.decodeMeeting(rows[0]), id)
                    guard m.expertId == ctx.actor.id || ctx.actor.hasAny([.admin, .office]) else {
                        throw AppError.forbidden("only the meeting's expert (and admins and the office) see its conflicts")
                    }
                } else if let expert = p.optionalString("expert_id"), expert != ctx.actor.id {
                    guard ctx.actor.hasAny([.admin, .office]) else { throw AppError.forbidden("only admins and the office see another expert's conflicts") }
                    try Existence.require(rows, at: 1)
                }
                let list = try (row.json("conflicts").arrayValue ?? []).map { try Records.meeting(StoredJSON($0, path: "conflicts")).json(seenBy: ctx.actor.id, at: ctx.now) }
                return ["meetings": .array(list), "count": .int(try row.int("conflicts_count"))]
            })))

    static let calendar = MethodDefinition(
        "meeting.calendar", "The meeting's iCalendar invitation as its parties are mailed it: the last one queued for them (a service or place renamed since is in the next update), METHOD:REQUEST once agreed, with its SEQUENCE, or CANCEL once an agreed meeting is cancelled. A request not agreed yet has none (4009: the invitation is mailed when it is agreed), nor has a meeting declined, withdrawn or expired before it was agreed", audience: .member, mutating: false,
        params: [meetingId],
        result: .named("CalendarInvitation", .object([
            .init("method", .oneOf(["REQUEST", "CANCEL"]), required: true), .init("ics", .text(), required: true, "The iCalendar text (RFC 5545, CRLF lines)"),
            .init("uid", .text(), required: true), .init("sequence", .integer(min: 0, max: .max), required: true), .init("title", .text(), required: true),
        ], additional: true)),
        errors: [DocErrors.notFound, DocErrors.invalidState],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("meeting_id")
                return [BookingContextQuery.call(communityId: scope.communityId, testClock: scope.testClock, meetingId: id).statement,
                        OutboxStore.lastInvitation(communityId: scope.communityId, meetingId: id)]
            },
            respond: { ctx, rows, p in
                let c = try BookingContextQuery.decode(try rows[0].one().json("result"))
                let m = try readable(ctx, c.meeting, try p.string("meeting_id"))
                guard let user = c.user, let expert = c.expert else { throw AppError.notFound("meeting", m.id) }
                if let why = m.withoutInvitation { throw AppError.invalidState(status: m.state.status.rawValue, action: "calendar", why: why) }
                // The invitation as mailed (a service or place renamed since is not in it: no
                // update was sent), for the people as they are, as its mail is written.
                if let facts = try rows[1].first?.optionalJSON("invite"), let mailed = CalendarInvite.asMailed(facts, user: user, expert: expert, student: c.student) {
                    return mailed.json
                }
                return CalendarInvite(
                    meeting: m, user: user, expert: expert, service: c.service, location: m.locationId.flatMap { c.locations[$0] },
                    shortName: c.settings.shortName, stamp: c.now, student: c.student
                ).json
            })))
}
