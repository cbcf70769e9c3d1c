import Community
import Core
import Ledger
import Meetings
import Pipeline
import Postgres
import RPC

enum MeetingMethods {
    static var all: [ServiceMethod] {
        [request, propose, confirm, decline, withdraw, cancel, reschedule, confirmAlternate, rejectAlternate, withdrawAlternate,
         logSession, reportNoShow, get, list, timeline, conflicts, setVideoLink, meetingTrail]
    }

    static let meetingId = Schema.Field("meeting_id", .id(.meeting), required: true)
    static let expectedVersion = Schema.Field("expected_version", .integer(min: 1, max: .max), "Fail with invalid_state if the meeting changed since this version")
    static let acceptConflicts = Schema.Field("accept_conflicts", .boolean, "Confirm even though the expert has an agreed meeting at that time")
    static let reasonCode = Schema.Field("reason_code", .text(min: 1, max: 64), required: true, "A code from the community's list")
    static let note = Schema.Field("note", .text(min: 0, max: 10_000))

    /// Loads and locks the meeting, decides, applies: the shape of every action. `prepare`
    /// checks an action's own params against the meeting and returns changes to write with it.
    static func act(
        _ ctx: RequestContext, _ params: Params, allowAdmin: Bool = false,
        prepare: (MeetingRecord, MeetingActor) throws -> (inout MeetingRecord) -> Void = { _, _ in { _ in } },
        _ command: (MeetingRecord) throws -> Command
    ) throws -> JSON {
        let m = try MeetingStore.load(ctx, try params.string("meeting_id"), lock: true)
        let actor = try MeetingStore.actor(ctx, m, allowAdmin: allowAdmin)
        if let expected = params.optionalInt("expected_version"), expected != m.version {
            throw AppError(code: 4009, dataCode: "invalid_state", message: "The meeting changed since version \(expected) (now \(m.version)); read it again",
                           details: ["status": .string(m.state.status.rawValue), "version": .int(m.version)])
        }
        if case .party(.expert) = actor { try SessionLog.requireLogged(ctx, expertId: m.expertId, except: m.id) }
        let changes = try prepare(m, actor)
        let cmd = try command(m)
        let decision = try Lifecycle.decide(m.state, cmd, by: actor, now: ctx.now, settings: MeetingStore.lifecycleSettings(try ctx.settings()))
        return try MeetingStore.apply(ctx, m, decision, actor: actor, extra: changes).json
    }

    static func method(_ name: String, _ summary: String, _ extra: [Schema.Field], errors: [AppError], allowAdmin: Bool = false, _ command: @escaping @Sendable (Params, MeetingRecord) throws -> Command) -> ServiceMethod {
        ServiceMethod(
            name, summary, audience: .member, mutating: true, params: [meetingId] + extra + [expectedVersion], result: MeetingRecord.schema,
            errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted] + errors
        ) { ctx, params in try act(ctx, params, allowAdmin: allowAdmin) { try command(params, $0) } }
    }

    // MARK: Creating

    static let request = ServiceMethod(
        "meeting.request", "A user books a slot: the price is held and the expert asked (or the meeting agreed at once under auto-accept)",
        audience: .roles([.user]), mutating: true,
        params: [
            .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true),
            .init("start", .timestamp, required: true), .init("location_id", .id(.location), required: true),
            .init("length_minutes", .integer(min: 5, max: 1440)), .init("skill", .name), .init("topic", .text(max: 10_000)),
            .init("agenda_answers", .list(.text(max: 10_000), max: 50)),
        ],
        result: MeetingRecord.schema,
        errors: [DocErrors.notFound, DocErrors.slotUnavailable, DocErrors.insufficientCredits, DocErrors.notEnrolled, DocErrors.usageLimit,
                 DocErrors.suspended, DocErrors.timeConflict]
    ) { ctx, params in
        let booking = try Booking.check(
            ctx, userId: ctx.actor.id, serviceId: try params.string("service_id"), expertId: try params.string("expert_id"),
            start: try params.instant("start"), lengthMinutes: params.optionalInt("length_minutes"), locationId: try params.string("location_id"))
        let settings = try ctx.settings()
        let d = try Lifecycle.request(start: booking.start, lengthMinutes: booking.lengthMinutes, priceCredits: booking.service.priceCredits,
                                      autoAccept: settings.autoAccept, now: ctx.now)
        return try MeetingStore.create(
            ctx, d, serviceId: booking.service.id, skill: params.optionalString("skill"), userId: ctx.actor.id, expertId: booking.expertId,
            locationId: booking.locationId, topic: params.optionalString("topic"), agendaAnswers: params["agenda_answers"] ?? .array([]),
            note: nil, actor: .party(.user)
        ).json
    }

    static let propose = ServiceMethod(
        "meeting.propose", "An expert proposes a meeting to a user: approved by the expert, waiting for the user",
        audience: .roles([.expert]), mutating: true,
        params: [
            .init("user_id", .id(.person), required: true), .init("service_id", .id(.service), required: true),
            .init("start", .timestamp, required: true), .init("length_minutes", .integer(min: 5, max: 1440), required: true),
            .init("price_credits", .credits, required: true), .init("skill", .name), .init("location_id", .id(.location)),
            note, .init("from_meeting_id", .id(.meeting), "The meeting or conversation this proposal follows"),
        ],
        result: MeetingRecord.schema, errors: [DocErrors.notFound, DocErrors.sessionLog]
    ) { ctx, params in
        try SessionLog.requireLogged(ctx, expertId: ctx.actor.id, except: nil)
        let userId = try params.string("user_id")
        let user = try ctx.person(userId)
        guard user.has(.user), userId != ctx.actor.id else { throw AppError.invalidParams(field: "user_id", reason: "must be a user of this community other than you") }
        let service = try Catalog.service(ctx, try params.string("service_id"))
        try Catalog.requireCertified(ctx, service: service, expertId: ctx.actor.id)
        if let location = params.optionalString("location_id") { try Catalog.requireLocation(ctx, location) }
        if let from = params.optionalString("from_meeting_id") {
            let previous = try MeetingStore.load(ctx, from, lock: false)
            guard previous.expertId == ctx.actor.id, previous.userId == userId else {
                throw AppError.invalidParams(field: "from_meeting_id", reason: "must be a meeting between you and this user")
            }
        }
        let d = try Lifecycle.propose(start: try params.instant("start"), lengthMinutes: try params.int("length_minutes"),
                                      priceCredits: try params.int("price_credits"), now: ctx.now)
        return try MeetingStore.create(
            ctx, d, serviceId: service.id, skill: params.optionalString("skill"), userId: userId, expertId: ctx.actor.id,
            locationId: params.optionalString("location_id"), topic: nil, agendaAnswers: .array([]), note: params.optionalString("note"),
            actor: .party(.expert)
        ).json
    }

    // MARK: Acting

    static let confirm = ServiceMethod(
        "meeting.confirm", "The side that has not approved confirms: agreed once both have, credits held if not yet",
        audience: .member, mutating: true,
        params: [meetingId, acceptConflicts,
                 .init("session_type", .text(min: 1, max: 64), "Required from experts when the community requires confirmation details"),
                 .init("location_id", .id(.location), "Sets the location (required with session_type where the community asks)"), expectedVersion],
        result: MeetingRecord.schema,
        errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.timeConflict, DocErrors.insufficientCredits, DocErrors.sessionLog]
    ) { ctx, params in
        let settings = try ctx.settings()
        let sessionType = params.optionalString("session_type")
        let locationId = params.optionalString("location_id")
        return try act(ctx, params, prepare: { m, actor in
            if case .party(.expert) = actor, settings.requireConfirmDetails, m.state.proposedBy == .user {
                guard sessionType != nil else { throw AppError.invalidParams(field: "session_type", reason: "is required by this community when confirming a request") }
                guard locationId != nil || m.locationId != nil else { throw AppError.invalidParams(field: "location_id", reason: "is required by this community when confirming a request") }
            }
            if let sessionType, !settings.sessionTypes.contains(sessionType) {
                throw AppError.invalidParams(field: "session_type", reason: "must be one of \(settings.sessionTypes.joined(separator: ", "))")
            }
            if let locationId { try Catalog.requireLocation(ctx, locationId) }
            return { record in
                if let sessionType { record.sessionType = sessionType }
                if let locationId { record.locationId = locationId }
            }
        }) { _ in .confirm(acceptConflicts: params.bool("accept_conflicts")) }
    }

    static let decline = method("meeting.decline", "The side that has not approved declines, with a reason from the community's list; held credits return",
                                [reasonCode, note], errors: [DocErrors.sessionLog]) { p, _ in
        .decline(reasonCode: try p.string("reason_code"), note: p.optionalString("note"))
    }

    static let withdraw = method("meeting.withdraw", "The proposer withdraws a meeting the other side has not answered; held credits return",
                                 [note], errors: [DocErrors.sessionLog]) { p, _ in .withdraw(note: p.optionalString("note")) }

    static let cancel = method(
        "meeting.cancel", "Either side cancels an agreed meeting; inside the cancellation window only with confirm_late (a user's late cancellation is charged)",
        [reasonCode, note, .init("confirm_late", .boolean, "Required inside the cancellation window")],
        errors: [DocErrors.lateCancellation, DocErrors.sessionLog]
    ) { p, _ in .cancel(reasonCode: try p.string("reason_code"), note: p.optionalString("note"), confirmLate: p.bool("confirm_late")) }

    static let reschedule = method(
        "meeting.reschedule", "Proposes a new date: an alternate for an agreed meeting, a new date for a rejected one, a counter-offer while awaiting approval",
        [.init("start", .timestamp, required: true), .init("length_minutes", .integer(min: 5, max: 1440)), note], errors: [DocErrors.sessionLog]
    ) { p, m in
        .reschedule(start: try p.instant("start"), lengthMinutes: p.optionalInt("length_minutes") ?? m.state.lengthMinutes, note: p.optionalString("note"))
    }

    static let confirmAlternate = method(
        "meeting.confirm_alternate", "The other side approves the alternate date: it replaces the original",
        [acceptConflicts], errors: [DocErrors.timeConflict, DocErrors.insufficientCredits, DocErrors.sessionLog]
    ) { p, _ in .confirmAlternate(acceptConflicts: p.bool("accept_conflicts")) }

    static let rejectAlternate = method(
        "meeting.reject_alternate", "The other side rejects the alternate date, with a reason; an agreed meeting keeps its date",
        [reasonCode, note], errors: [DocErrors.sessionLog]
    ) { p, _ in .rejectAlternate(reasonCode: try p.string("reason_code"), note: p.optionalString("note")) }

    static let withdrawAlternate = method(
        "meeting.withdraw_alternate", "The proposer withdraws an alternate date not yet approved", [], errors: [DocErrors.sessionLog]
    ) { _, _ in .withdrawAlternate }

    static let logSession = ServiceMethod(
        "meeting.log_session", "The expert logs attendance, duration and feedback after the start; attended or a user's no-show pays the expert",
        audience: .roles([.expert]), mutating: true,
        params: [meetingId, .init("attendance", .oneOf(["attended", "no_show"]), required: true),
                 .init("duration_adjust_minutes", .integer(min: -240, max: 240), "In steps of 5 minutes from the scheduled length"),
                 .init("feedback", .list(.object([.init("question", .text(min: 1, max: 500), required: true), .init("answer", .text(max: 10_000), required: true)]), max: 50)),
                 expectedVersion],
        result: MeetingRecord.schema, errors: [DocErrors.notFound, DocErrors.invalidState]
    ) { ctx, params in
        let m = try MeetingStore.load(ctx, try params.string("meeting_id"), lock: true)
        let actor = try MeetingStore.actor(ctx, m, allowAdmin: false)
        let settings = try ctx.settings()
        let feedback = params["feedback"]
        if let answers = feedback?.arrayValue, !settings.feedbackQuestions.isEmpty {
            let asked = Set(settings.feedbackQuestions)
            for (i, a) in answers.enumerated() where !asked.contains(a["question"]?.stringValue ?? "") {
                throw AppError.invalidParams(field: "feedback[\(i)].question", reason: "is not one of the community's feedback questions")
            }
        }
        guard let attendance = Attendance(rawValue: try params.string("attendance")) else {
            throw AppError.invalidParams(field: "attendance", reason: "must be attended or no_show")
        }
        let d = try Lifecycle.decide(m.state, .logSession(attendance: attendance, durationAdjustMinutes: params.optionalInt("duration_adjust_minutes") ?? 0, feedback: feedback),
                                     by: actor, now: ctx.now, settings: MeetingStore.lifecycleSettings(settings))
        let countsNoShow = d.countsAsUserNoShow && settings.noShowPolicy.maxNoShows > 0
        if countsNoShow { try UserLock.acquire(ctx, m.userId) }  // before the ledger rows, as requests take it
        let result = try MeetingStore.apply(ctx, m, d, actor: actor)
        if countsNoShow { try Suspensions.recordNoShow(ctx, userId: m.userId, policy: settings.noShowPolicy) }
        return result.json
    }

    static let reportNoShow = method(
        "meeting.report_no_show", "The user (or an admin) reports that the expert did not come: held credits return", [], errors: [], allowAdmin: true
    ) { _, _ in .reportNoShow }

    // MARK: Reading

    static func readable(_ ctx: RequestContext, _ id: String) throws -> MeetingRecord {
        let m = try MeetingStore.load(ctx, id, lock: false)
        guard m.party(of: ctx.actor.id) != nil || ctx.actor.hasAny([.admin, .office, .finance]) else {
            throw AppError.forbidden("only the meeting's user and expert (and staff) may see it")
        }
        return m
    }

    static let get = ServiceMethod(
        "meeting.get", "One meeting", audience: .member, mutating: false, params: [meetingId], result: MeetingRecord.schema, errors: [DocErrors.notFound]
    ) { ctx, params in try readable(ctx, try params.string("meeting_id")).json }

    static let list = ServiceMethod(
        "meeting.list", "The actor's meetings as user or expert: those awaiting the actor's action first, then by start",
        audience: .member, mutating: false,
        params: [.init("role", .oneOf(["user", "expert"]), required: true), .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue))),
                 .init("from", .timestamp, "Meetings ending after this time (default: now)"), .init("to", .timestamp, "Meetings starting before this time"),
                 .init("person_id", .id(.person), "Admins and office staff may list another person's meetings")] + Page.fields,
        result: Page.resultSchema(MeetingRecord.schema)
    ) { ctx, params in
        let role = try params.string("role")
        var personId = ctx.actor.id
        if let other = params.optionalString("person_id"), other != ctx.actor.id {
            try ctx.require(.admin, .office, to: "list another person's meetings")
            personId = other
        }
        let page = try Page(params, key: [.integer, .time, .text])
        // Column names come from this fixed pair, never from the caller's text.
        let (column, approved) = role == "user" ? ("user_id", "user_approved") : ("expert_id", "expert_approved")
        // Awaiting this side's action: an unapproved request or an alternate proposed by the other side.
        let awaitingSQL = """
            (CASE WHEN (m.status = 'awaiting_approval' AND NOT m.\(approved))
                    OR (m.status = 'agreed' AND m.alternate_proposed_by IS NOT NULL AND m.alternate_proposed_by <> $11)
                  THEN 0 ELSE 1 END)
            """
        let rows = try ctx.db.query(
            """
            SELECT \(MeetingRecord.columns), \(awaitingSQL) AS rank FROM meetings m
            WHERE m.community_id = $1 AND m.\(column) = $2 AND ($3::text IS NULL OR m.status = $3)
              AND m.end_at > coalesce($4::timestamptz, $8::timestamptz) AND ($5::timestamptz IS NULL OR m.start_at < $5)
              AND ($6::int IS NULL OR (\(awaitingSQL), m.start_at, m.id) > ($6::int, $7::timestamptz, $9::text))
            ORDER BY rank, m.start_at, m.id
            LIMIT $10
            """,
            [ctx.communityId, personId, params.optionalString("status"), try params.optionalInstant("from"), try params.optionalInstant("to"),
             page.after?[0].intValue, page.afterString(1), ctx.now, page.afterString(2), page.limit + 1, role])
        var ranks: [String: Int64] = [:]
        let items: [JSON] = try rows.map { r in
            let m = try MeetingRecord(row: r)
            ranks[m.id] = try r.int("rank")
            return m.json
        }
        return page.result(items) { item in
            let id = item["id"]!.stringValue!
            return [.int(ranks[id]!), item["start"]!, .string(id)]
        }
    }

    static let timeline = ServiceMethod(
        "meeting.timeline", "Everything that happened to a meeting, oldest first", audience: .member, mutating: false,
        params: [meetingId] + Page.fields,
        result: Page.resultSchema(.object([.init("kind", .text(), required: true), .init("at", .timestamp, required: true)], additional: true)),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let m = try readable(ctx, try params.string("meeting_id"))
        let page = try Page(params, key: [.integer])
        let rows = try ctx.db.query(
            """
            SELECT id, seq, kind, actor_id, actor_role, reason_code, note, details, created_at FROM meeting_events
            WHERE community_id = $1 AND meeting_id = $2 AND ($3::bigint IS NULL OR seq > $3) ORDER BY seq LIMIT $4
            """, [ctx.communityId, m.id, page.after?.first?.intValue, page.limit + 1])
        let items: [JSON] = try rows.map { r in
            [
                "id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "kind": .string(try r.string("kind")),
                "actor_id": .optional(try r.optionalString("actor_id")), "actor_role": .string(try r.string("actor_role")),
                "reason_code": .optional(try r.optionalString("reason_code")), "note": .optional(try r.optionalString("note")),
                "details": try r.json("details"), "at": .string(try r.instant("created_at").rfc3339),
            ]
        }
        return page.result(items) { [$0["seq"]!] }
    }

    static let conflicts = ServiceMethod(
        "meeting.conflicts", "The expert's agreed meetings overlapping a meeting (or a proposed time): the confirmation dialog's warning",
        audience: .roles([.expert, .admin]), mutating: false,
        params: [.init("meeting_id", .id(.meeting)), .init("start", .timestamp), .init("length_minutes", .integer(min: 5, max: 1440)),
                 .init("expert_id", .id(.person), "For admins; experts see their own calendar")],
        result: .object([.init("meetings", .list(MeetingRecord.schema), required: true)]), errors: [DocErrors.notFound]
    ) { ctx, params in
        var expertId = params.optionalString("expert_id") ?? ctx.actor.id
        if expertId != ctx.actor.id { try ctx.require(.admin, to: "see another expert's conflicts") }
        let start: Instant, length: Int64
        var excluding: String? = nil
        if let id = params.optionalString("meeting_id") {
            let m = try readable(ctx, id)
            expertId = m.expertId
            guard expertId == ctx.actor.id || ctx.actor.has(.admin) else { throw AppError.forbidden("only the meeting's expert sees its conflicts") }
            let target = m.state.alternate.map { ($0.start, $0.lengthMinutes) } ?? (m.state.start, m.state.lengthMinutes)
            (start, length) = (try params.optionalInstant("start") ?? target.0, params.optionalInt("length_minutes") ?? target.1)
            excluding = m.id
        } else {
            guard params.has("start"), params.has("length_minutes") else {
                throw AppError.invalidParams(field: "meeting_id", reason: "is required (or give start and length_minutes)")
            }
            (start, length) = (try params.instant("start"), try params.int("length_minutes"))
        }
        let ids = try MeetingStore.conflicts(ctx, expertId: expertId, start: start, lengthMinutes: length, excluding: excluding)
        return ["meetings": .array(try ids.map { try MeetingStore.load(ctx, $0, lock: false).json })]
    }

    static let setVideoLink = ServiceMethod(
        "meeting.set_video_link", "The video platform's integration records the meeting's link", audience: .roles([.admin]), mutating: true,
        params: [meetingId, .init("url", .text(min: 8, max: 2000), required: true)], result: MeetingRecord.schema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let url = try params.string("url")
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else { throw AppError.invalidParams(field: "url", reason: "must be an http(s) URL") }
        var m = try MeetingStore.load(ctx, try params.string("meeting_id"), lock: true)
        let before = m
        m.videoURL = url
        let written = try MeetingStore.write(ctx, m)
        var d = Decision(next: written.state)
        d.events = [TimelineEvent("video_link_set")]
        try MeetingStore.record(ctx, written, d, actor: .admin)
        try Calendar.enqueueIfChanged(ctx, before: before, after: written)
        return written.json
    }

    static let meetingTrail = ServiceMethod(
        "ledger.meeting_trail", "Every credit movement of one meeting, in order", audience: .member, mutating: false,
        params: [meetingId],
        result: .object([.init("meeting_id", .id(.meeting), required: true), .init("credit_status", .text(), required: true), .init("transfers", .list(.anyJSON(description: "transfer")), required: true)]),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let m = try MeetingStore.load(ctx, try params.string("meeting_id"), lock: false)
        guard m.party(of: ctx.actor.id) != nil || ctx.actor.hasAny([.finance, .admin]) else {
            throw AppError.forbidden("only the meeting's parties and finance staff may see its credits")
        }
        let rows = try ctx.db.query(
            """
            SELECT transfer_id, seq, kind, phase, amount, debit_account_id, credit_account_id, pending_id, created_at
            FROM finance_meeting_trail WHERE community_id = $1 AND meeting_id = $2 ORDER BY seq
            """, [ctx.communityId, m.id])
        let transfers: [JSON] = try rows.map { r in
            [
                "id": .string(try r.string("transfer_id")), "seq": .int(try r.int("seq")), "kind": .string(try r.string("kind")),
                "phase": .string(try r.string("phase")), "credits": .int(try r.int("amount")),
                "debit_account_id": .string(try r.string("debit_account_id")), "credit_account_id": .string(try r.string("credit_account_id")),
                "pending_id": .optional(try r.optionalString("pending_id")), "created_at": .string(try r.instant("created_at").rfc3339),
            ]
        }
        return ["meeting_id": .string(m.id), "credit_status": .string(m.state.creditStatus.rawValue), "transfers": .array(transfers)]
    }
}
