import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Rendering

/// Calendar invitations: built from the meeting, sent to both parties through the outbox
/// whenever the agreed date appears, moves or is cancelled, and shown by `meeting.calendar`.
enum Calendar {
    static func invite(_ ctx: RequestContext, _ m: MeetingRecord) throws -> CalendarInvite {
        let user = try ctx.person(m.userId), expert = try ctx.person(m.expertId)
        let service = try Catalog.service(ctx, m.serviceId)
        var location: String? = nil
        if let id = m.locationId {
            location = try ctx.db.query("SELECT name FROM locations WHERE community_id = $1 AND id = $2", [ctx.communityId, id]).first?.string("name")
        }
        let answers = (m.agendaAnswers.arrayValue ?? []).compactMap(\.stringValue)
        let agenda = answers.enumerated().map { i, answer in (i < service.agendaQuestions.count ? service.agendaQuestions[i] : "Answer \(i + 1):", answer) }
        func person(_ p: PersonRecord) -> CalendarInvite.Person { .init(firstName: p.firstName, lastName: p.lastName, email: p.email) }
        return CalendarInvite(
            meetingId: m.id, status: m.state.status, start: m.state.start, end: m.state.end, sequence: m.calendarSequence,
            user: person(user), expert: person(expert), communityShortName: try ctx.settings().shortName, serviceName: service.name,
            location: location, videoURL: m.videoURL, topic: m.topic, agenda: agenda, stamp: ctx.now)
    }

    /// Sends the invitation again when the agreed date appeared, moved or was cancelled.
    static func enqueueIfChanged(_ ctx: RequestContext, before: MeetingRecord, after: MeetingRecord) throws {
        let wasAgreed = before.state.status == .agreed, isAgreed = after.state.status == .agreed
        let moved = before.state.start != after.state.start || before.state.lengthMinutes != after.state.lengthMinutes
            || before.locationId != after.locationId || before.videoURL != after.videoURL
        let changed = (isAgreed && (!wasAgreed || moved)) || (wasAgreed && after.state.status == .cancelled)
        guard changed else { return }
        let invite = try invite(ctx, after)
        let payload: JSON = ["method": .string(invite.method), "ics": .string(invite.ics), "uid": .string("\(after.id)@meetingledger"),
                             "sequence": .int(after.calendarSequence), "title": .string(invite.title)]
        try Outbox.enqueue(ctx, [after.userId, after.expertId].map { recipient in
            OutboxMessage(kind: "calendar.invite", channel: "calendar", recipientId: recipient, meetingId: after.id, eventId: nil, payload: payload)
        })
    }

    static let get = ServiceMethod(
        "meeting.calendar", "The meeting's iCalendar invitation (METHOD:REQUEST, or CANCEL once cancelled)", audience: .member, mutating: false,
        params: [.init("meeting_id", .id(.meeting), required: true)],
        result: .object([.init("method", .oneOf(["REQUEST", "CANCEL"]), required: true), .init("ics", .text(), required: true)], additional: true),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let m = try MeetingMethods.readable(ctx, try params.string("meeting_id"))
        let invite = try invite(ctx, m)
        return ["method": .string(invite.method), "ics": .string(invite.ics), "uid": .string("\(m.id)@meetingledger"), "sequence": .int(m.calendarSequence)]
    }
}

/// Chat between a meeting's two parties (admins may read and write too).
enum ChatMethods {
    static var all: [ServiceMethod] { [post, list, Calendar.get] }

    static func participant(_ ctx: RequestContext, _ id: String) throws -> MeetingRecord {
        let m = try MeetingStore.load(ctx, id, lock: false)
        guard m.party(of: ctx.actor.id) != nil || ctx.actor.has(.admin) else {
            throw AppError.forbidden("only the meeting's user and expert (and admins) take part in its chat")
        }
        return m
    }

    static let messageSchema: Schema = .object([
        .init("id", .id(.message), required: true), .init("author_id", .id(.person), required: true), .init("text", .text(), required: true),
        .init("created_at", .timestamp, required: true),
    ], additional: true)

    static let post = ServiceMethod(
        "meeting.message.post", "Sends a chat message about a meeting to the other party", audience: .member, mutating: true,
        params: [.init("meeting_id", .id(.meeting), required: true), .init("text", .text(min: 1, max: 10_000), required: true)],
        result: messageSchema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let m = try participant(ctx, try params.string("meeting_id"))
        // Logging is the only thing left to an expert with unlogged sessions, not chat.
        if ctx.actor.id == m.expertId { try SessionLog.requireLogged(ctx, expertId: m.expertId, except: nil) }
        let text = try params.string("text")
        guard !text.allSatisfy(\.isWhitespace) else { throw AppError.invalidParams(field: "text", reason: "must not be blank") }
        let id = Identifier.make(.message)
        let row = try ctx.db.query(
            "INSERT INTO meeting_messages (community_id, id, meeting_id, author_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
            [ctx.communityId, id, m.id, ctx.actor.id, text, ctx.now]
        ).first!
        let recipients = [m.userId, m.expertId].filter { $0 != ctx.actor.id }
        try Outbox.enqueue(ctx, recipients.map { r in
            OutboxMessage(kind: "chat_message", channel: "notification", recipientId: r, meetingId: m.id, eventId: nil,
                          payload: ["message_id": .string(id), "text": .string(String(text.prefix(500))), "author_id": .string(ctx.actor.id)])
        })
        return ["id": .string(id), "seq": .int(try row.int("seq")), "meeting_id": .string(m.id), "author_id": .string(ctx.actor.id), "text": .string(text),
                "created_at": .string(ctx.now.rfc3339)]
    }

    static let list = ServiceMethod(
        "meeting.message.list", "A meeting's chat, oldest first", audience: .member, mutating: false,
        params: [.init("meeting_id", .id(.meeting), required: true)] + Page.fields, result: Page.resultSchema(messageSchema), errors: [DocErrors.notFound]
    ) { ctx, params in
        let m = try participant(ctx, try params.string("meeting_id"))
        let page = try Page(params, key: [.integer])
        let rows = try ctx.db.query(
            """
            SELECT id, seq, author_id, text, created_at FROM meeting_messages
            WHERE community_id = $1 AND meeting_id = $2 AND ($3::bigint IS NULL OR seq > $3) ORDER BY seq LIMIT $4
            """, [ctx.communityId, m.id, page.after?.first?.intValue, page.limit + 1])
        let items: [JSON] = try rows.map { r in
            ["id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "meeting_id": .string(m.id), "author_id": .string(try r.string("author_id")),
             "text": .string(try r.string("text")), "created_at": .string(try r.instant("created_at").rfc3339)]
        }
        return page.result(items) { [$0["seq"]!] }
    }
}
