import Community
import Core
import Ledger
import Meetings
import Postgres
import Store

/// Applies lifecycle decisions: the meeting row, its credit movements, timeline events and
/// outbox messages, all inside the request's transaction.
enum MeetingStore {
    /// Loads a meeting of the actor's community, locked for this transaction when `lock`.
    static func load(_ ctx: RequestContext, _ id: String, lock: Bool) throws -> MeetingRecord {
        guard Identifier.isValid(id, kind: .meeting),
            let row = try ctx.db.query(
                "SELECT \(MeetingRecord.columns) FROM meetings m WHERE m.community_id = $1 AND m.id = $2" + (lock ? " FOR UPDATE" : ""),
                [ctx.communityId, id]
            ).first
        else { throw AppError.notFound("meeting", id) }
        return try MeetingRecord(row: row)
    }

    /// The actor's relation to the meeting; people who are neither party nor admin are refused.
    static func actor(_ ctx: RequestContext, _ m: MeetingRecord, allowAdmin: Bool = true) throws -> MeetingActor {
        if let p = m.party(of: ctx.actor.id) { return .party(p) }
        if allowAdmin && ctx.actor.has(.admin) { return .admin }
        throw AppError.forbidden("only the meeting's user and expert may act on it")
    }

    static func lifecycleSettings(_ s: CommunitySettings) -> LifecycleSettings {
        LifecycleSettings(
            cancellationWindowHours: s.cancellationWindowHours, userLateCancelChargePercent: s.userLateCancelChargePercent,
            rejectionReasonCodes: s.rejectionReasons.map(\.code), cancellationReasonCodes: s.cancellationReasons.map(\.code))
    }

    /// Serializes changes to one expert's calendar so the overlap check and the write that
    /// follows it see the same meetings (the exclusion constraint stays the last word).
    static func lockExpertCalendar(_ ctx: RequestContext, _ expertId: String) throws {
        try ctx.db.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", [ctx.communityId, expertId])
    }

    /// The expert's agreed meetings overlapping [start, start+length), other than `excluding`.
    static func conflicts(_ ctx: RequestContext, expertId: String, start: Instant, lengthMinutes: Int64, excluding: String?) throws -> [String] {
        try ctx.db.query(
            """
            SELECT id FROM meetings
            WHERE community_id = $1 AND expert_id = $2 AND status = 'agreed' AND id IS DISTINCT FROM $3
              AND tstzrange(start_at, end_at) && tstzrange($4::timestamptz, $4::timestamptz + make_interval(mins => $5::int))
            ORDER BY start_at, id
            """, [ctx.communityId, expertId, excluding, start, lengthMinutes]
        ).map { try $0.string("id") }
    }

    /// Checks overlaps, moves credits, writes the meeting, its events and messages.
    static func apply(_ ctx: RequestContext, _ original: MeetingRecord, _ d: Decision, actor: MeetingActor, extra: (inout MeetingRecord) -> Void = { _ in }) throws -> MeetingRecord {
        var m = original
        m.state = d.next
        if let check = d.conflictCheck {
            try lockExpertCalendar(ctx, m.expertId)
            let overlapping = try conflicts(ctx, expertId: m.expertId, start: check.start, lengthMinutes: check.lengthMinutes, excluding: m.id)
            if !overlapping.isEmpty && !check.acceptConflicts { throw AppError.timeConflict(meetingIds: overlapping) }
            m.conflictAccepted = !overlapping.isEmpty
        }
        let settings = try ctx.settings()
        for op in d.ledger {
            switch op {
            case .hold:
                let t = try LedgerStore.hold(
                    ctx.db, communityId: ctx.communityId, meetingId: m.id, userId: m.userId, expertId: m.expertId, price: m.state.priceCredits,
                    actorId: ctx.actor.id, at: ctx.ledgerTime)
                m.holdTransferId = t.id
            case .release:
                guard let hold = m.holdTransferId else { continue }
                _ = try LedgerStore.release(ctx.db, communityId: ctx.communityId, holdId: hold, actorId: ctx.actor.id, reason: d.events.first?.kind, at: ctx.ledgerTime)
                m.holdTransferId = nil
            case .capture(let credits):
                guard let hold = m.holdTransferId else { continue }
                _ = try LedgerStore.capture(
                    ctx.db, communityId: ctx.communityId, holdId: hold, amount: credits, feePercent: settings.platformFeePercent,
                    expertId: m.expertId, meetingId: m.id, actorId: ctx.actor.id, reason: d.events.first?.kind, at: ctx.ledgerTime)
                m.holdTransferId = nil
            }
        }
        if let a = d.attendance { m.attendance = a.rawValue }
        if let duration = d.durationMinutes { m.durationMinutes = duration }
        if let feedback = d.feedback { m.feedback = feedback }
        if d.timeChanged || d.cancelledOrEnded && d.next.status == .cancelled { m.calendarSequence += 1 }
        extra(&m)
        m = try write(ctx, m)
        try record(ctx, m, d, actor: actor)
        try Calendar.enqueueIfChanged(ctx, before: original, after: m)
        // A withdrawn reminder gives up its dedupe key, so a meeting moved back to a time it
        // had before is reminded again.
        if d.timeChanged || d.cancelledOrEnded {
            try ctx.db.query(
                """
                UPDATE outbox SET status = 'cancelled', done_at = $3, dedupe_key = NULL
                WHERE community_id = $1 AND meeting_id = $2 AND kind IN ('meeting_reminder', 'meeting_link') AND status IN ('pending', 'leased')
                """, [ctx.communityId, m.id, ctx.now])
        }
        return m
    }

    /// Writes the meeting's row; a double booking refused by the database becomes a clear error.
    static func write(_ ctx: RequestContext, _ m: MeetingRecord) throws -> MeetingRecord {
        let s = m.state
        do {
            let row = try ctx.db.query(
                """
                UPDATE meetings m SET status = $3, credit_status = $4, hold_transfer_id = $5, start_at = $6, length_minutes = $7,
                    end_at = $6::timestamptz + make_interval(mins => $7::int), expert_approved = $8, user_approved = $9, proposed_by = $10,
                    alternate_start_at = $11, alternate_length_minutes = $12, alternate_proposed_by = $13, alternate_note = $14,
                    conflict_accepted = $15, attendance = $16, duration_minutes = $17, feedback = $18, calendar_sequence = $19,
                    location_id = $20, session_type = $21, video_url = $22, note = $23,
                    logged_at = CASE WHEN $16::text IS NOT NULL AND m.logged_at IS NULL THEN $24::timestamptz ELSE m.logged_at END,
                    version = m.version + 1, updated_at = $24
                WHERE m.community_id = $1 AND m.id = $2
                RETURNING \(MeetingRecord.columns)
                """,
                [ctx.communityId, m.id, s.status.rawValue, s.creditStatus.rawValue, m.holdTransferId, s.start, s.lengthMinutes,
                 s.expertApproved, s.userApproved, s.proposedBy.rawValue, s.alternate?.start, s.alternate?.lengthMinutes,
                 s.alternate?.proposedBy.rawValue, s.alternate?.note, m.conflictAccepted, m.attendance, m.durationMinutes, m.feedback,
                 m.calendarSequence, m.locationId, m.sessionType, m.videoURL, m.note, ctx.now])
            return try MeetingRecord(row: row.first!)
        } catch let e as PostgresError where e.isExclusionViolation {
            throw AppError.slotUnavailable("the expert already has a meeting or a held request at that time")
        }
    }

    /// Inserts a new meeting row from a creation decision.
    static func insert(
        _ ctx: RequestContext, id: String, serviceId: String, skill: String?, userId: String, expertId: String, locationId: String?,
        topic: String?, agendaAnswers: JSON, note: String?, seriesId: String?, occurrenceDate: String?, state s: MeetingState
    ) throws -> MeetingRecord {
        do {
            let rows = try ctx.db.query(
                """
                INSERT INTO meetings AS m (community_id, id, service_id, skill, user_id, expert_id, location_id, start_at, length_minutes, end_at,
                    price_credits, topic, agenda_answers, status, proposed_by, expert_approved, user_approved, credit_status, note,
                    series_id, occurrence_date, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8::timestamptz + make_interval(mins => $9::int), $10, $11, $12, $13, $14, $15, $16,
                    'none', $17, $18, $20::date, $19, $19)
                RETURNING \(MeetingRecord.columns)
                """,
                [ctx.communityId, id, serviceId, skill, userId, expertId, locationId, s.start, s.lengthMinutes, s.priceCredits, topic,
                 agendaAnswers, MeetingStatus.awaitingApproval.rawValue, s.proposedBy.rawValue, false, false, note, seriesId, ctx.now, occurrenceDate])
            return try MeetingRecord(row: rows.first!)
        } catch let e as PostgresError where e.isExclusionViolation {
            throw AppError.slotUnavailable("the expert already has a meeting or a held request at that time")
        }
    }

    /// Creates a meeting and applies its creation decision (hold, events, messages) at once.
    static func create(
        _ ctx: RequestContext, _ d: Decision, serviceId: String, skill: String?, userId: String, expertId: String, locationId: String?,
        topic: String?, agendaAnswers: JSON, note: String?, seriesId: String? = nil, occurrenceDate: String? = nil, actor: MeetingActor
    ) throws -> MeetingRecord {
        let id = Identifier.make(.meeting)
        var initial = d.next
        initial.status = .awaitingApproval
        initial.creditStatus = .none
        // The row is new in this transaction: nobody else can see it, so it needs no lock.
        let inserted = try insert(ctx, id: id, serviceId: serviceId, skill: skill, userId: userId, expertId: expertId, locationId: locationId,
                                  topic: topic, agendaAnswers: agendaAnswers, note: note, seriesId: seriesId, occurrenceDate: occurrenceDate, state: initial)
        return try apply(ctx, inserted, d, actor: actor)
    }

    /// Timeline events and outbox messages of one decision, one statement each.
    static func record(_ ctx: RequestContext, _ m: MeetingRecord, _ d: Decision, actor: MeetingActor) throws {
        let actorId: String? = actor == .system ? nil : ctx.actor.id
        var eventIds: [String] = []
        let events: [JSON] = d.events.map { e in
            let id = Identifier.make(.event)
            eventIds.append(id)
            return [
                "id": .string(id), "kind": .string(e.kind), "actor_id": .optional(actorId), "actor_role": .string(actor.role),
                "reason_code": .optional(e.reasonCode), "note": .optional(e.note), "details": .object(e.details),
            ]
        }
        if !events.isEmpty {
            try ctx.db.query(
                """
                INSERT INTO meeting_events (community_id, id, meeting_id, kind, actor_id, actor_role, reason_code, note, details, created_at)
                SELECT $1, e.id, $2, e.kind, e.actor_id, e.actor_role, e.reason_code, e.note, coalesce(e.details, '{}'), $4
                FROM jsonb_to_recordset($3::jsonb) AS e(id text, kind text, actor_id text, actor_role text, reason_code text, note text, details jsonb)
                """, [ctx.communityId, m.id, JSON.array(events), ctx.now])
        }
        var messages: [OutboxMessage] = d.notifications.map { n in
            OutboxMessage(
                kind: n.kind, channel: "notification", recipientId: n.recipient == .user ? m.userId : m.expertId, meetingId: m.id,
                eventId: eventIds.first,
                payload: ["meeting": m.json, "recipient_role": .string(n.recipient.rawValue), "actor_role": .string(actor.role), "note": .optional(d.events.first?.note)])
        }
        messages += d.video.map { op in
            OutboxMessage(kind: op.rawValue, channel: "video", recipientId: nil, meetingId: m.id, eventId: eventIds.first, payload: ["meeting": m.json])
        }
        try Outbox.enqueue(ctx, messages)
    }
}
