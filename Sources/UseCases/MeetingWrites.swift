import Community
import Core
import Ledger
import Meetings
import Pipeline
import Postgres
import RPC
import Rendering
import Store

/// Turns meeting changes into the one write that applies them: rows, credit movements, events,
/// and the messages each change sends (notifications, video operations, calendar invitations).
enum MeetingWrites {
    static func outcome(
        _ ctx: RequestContext, _ c: BookingContext, _ changes: [MeetingChange], by actor: MeetingActor, response: JSON,
        extraOutbox: [OutboxMessage] = []
    ) -> Outcome {
        Outcome(response: response, apply: writeSet(ctx, c, changes, by: actor, extraOutbox: extraOutbox).call)
    }

    static func writeSet(
        _ ctx: RequestContext, _ c: BookingContext, _ changes: [MeetingChange], by actor: MeetingActor, extraOutbox: [OutboxMessage] = []
    ) -> WriteSet {
        let authorId: String? = actor == .system ? nil : ctx.actor.id
        var writes = WriteSet(communityId: ctx.communityId, now: c.now, ledgerAt: ctx.testClock ? c.now : nil, actorId: authorId)
        for change in changes {
            let events = change.decision.events.map { event in
                event.bySystem
                    ? EventRecord(event: event, actorId: nil, actorRole: MeetingActor.system.role)
                    : EventRecord(event: event, actorId: authorId, actorRole: actor.role)
            }
            writes.meetings.append(MeetingWrite(change: change, events: events))
            writes.outbox += messages(change, eventId: events.first?.id, context: c, actor: actor)
            if let suspension = change.suspension {
                // The learner is suspended (a student booked for, else the user).
                writes.suspensions.append((change.after.studentId ?? change.after.userId, suspension.until))
                writes.outbox += suspensionNotices(change.after, noShows: suspension.noShows, until: suspension.until, context: c)
            }
        }
        writes.outbox += extraOutbox
        return writes
    }

    /// Who is told of the learner's suspension, each once: the user who booked (of their student
    /// by name, or of themself), every other customer linked to the learner (who can no longer
    /// book them either), and the student suspended.
    static func suspensionNotices(_ m: Meeting, noShows: Int64, until: Instant, context c: BookingContext) -> [OutboxMessage] {
        let learner = (id: m.studentId ?? m.userId, name: m.studentId == nil ? m.userName : m.studentName)
        func notice(to recipient: String, as role: String, naming named: Bool) -> OutboxMessage {
            var payload: [String: JSON] = [
                "until": .string(until.rfc3339), "no_shows": .int(noShows), "window_days": .int(c.settings.noShowPolicy.windowDays),
                "recipient_role": .string(role),
            ]
            if named {
                payload["student_id"] = .string(learner.id)
                payload["student_name"] = .optional(learner.name)
            }
            return OutboxMessage(kind: "user_suspended", channel: "notification", recipientId: recipient, meetingId: nil, eventId: nil, payload: .object(payload))
        }
        var out = [notice(to: m.userId, as: "user", naming: m.studentId != nil)]
        out += c.learnerCustomerIds.filter { $0 != learner.id && $0 != m.userId }.map { notice(to: $0, as: "user", naming: true) }
        if let student = m.studentId { out.append(notice(to: student, as: "student", naming: true)) }
        return out
    }

    /// The notifications, video operations and calendar invitations one change sends.
    static func messages(_ change: MeetingChange, eventId: String?, context c: BookingContext, actor: MeetingActor) -> [OutboxMessage] {
        let m = change.after, d = change.decision
        // The sides this event tells, so a copy never repeats what its reader gets on their own.
        let told: JSON = .array(Party.allCases.filter { p in d.notifications.contains { $0.recipient == p } }.map { .string($0.rawValue) })
        // Whether this step returned a hold (a meeting declined earlier was returned then).
        let released = change.ledger.contains { if case .release = $0 { return true } else { return false } }
        // An ending is told by the terms it was made under, not those in force when the message
        // is read (it may wait in the outbox, and settings change): the window, the fee, the
        // reason's label, and whether the weekly series ended with it.
        var terms: [String: JSON] = [:]
        if let event = d.events.first, event.details["late"] != nil {
            terms["window_hours"] = .int(c.settings.cancellationWindowHours)
            terms["fee_percent"] = .int(c.settings.platformFeePercent)
            // The fee taken, which rounds down to nothing on a small charge.
            if let fee = change.feeCredits { terms["fee_credits"] = .int(fee) }
            if let code = event.reasonCode, let reason = c.settings.cancellationReasons.first(where: { $0.code == code }) {
                terms["reason_label"] = .string(reason.label)
            }
            if event.details["series_cancelled"]?.boolValue == true { terms["series_cancelled"] = true }
        }
        // A counter-offer moves a request: its reader is told from which time.
        if let before = change.before, before.state.start != m.state.start, d.notifications.contains(where: { $0.kind.hasPrefix("counter_offer_by_") }) {
            terms["previous_start"] = .string(before.state.start.rfc3339)
        }
        // A new date that lapsed: the side that did not answer is told which one.
        if let event = d.events.first, event.kind == "alternative_date_expired", let proposed = event.details["start"] {
            terms["proposed_start"] = proposed
        }
        if let later = change.laterDates {
            terms["later_dates"] = [
                "count": .int(Int64(later.count)), "returned_credits": .int(later.returnedCredits), "charged_credits": .int(later.chargedCredits),
                "fee_credits": .int(later.feeCredits),
            ]
        }
        var out: [OutboxMessage] = d.notifications.map { n in
            let recipient = m.personId(of: n.recipient)
            // The message carries what the recipient may read of the meeting (Meeting.hidesDetails):
            // the meeting as meeting.get shows it to them, and no note where the details are hidden.
            let hidden = m.hidesDetails(from: recipient)
            var fields: [String: JSON] = [
                "meeting": m.json(seenBy: recipient), "recipient_role": .string(n.recipient.rawValue), "actor_role": .string(actor.role),
                "note": hidden ? .null : .optional(d.events.first?.note), "reason_code": .optional(d.events.first?.reasonCode),
                "details_hidden": .bool(hidden), "told": told, "released": .bool(released),
            ]
            // The date the message tells of, as it is now: the meeting it carries hides it, and
            // the meeting may have another date by the time the message is read (a new date
            // given after the decline).
            if hidden { fields["start"] = .string(m.state.start.rfc3339) }
            return OutboxMessage(
                kind: n.kind, channel: "notification", recipientId: recipient, meetingId: m.id, eventId: eventId,
                payload: .object(terms.merging(fields) { _, given in given }))
        }
        out += d.video.map { op in
            OutboxMessage(kind: op.rawValue, channel: "video", recipientId: nil, meetingId: m.id, eventId: eventId, payload: ["meeting": m.json])
        }
        if change.invitationChanged, let user = c.user, let expert = c.expert {
            let invite = CalendarInvite(
                meeting: m, user: user, expert: expert, service: c.service, location: m.locationId.flatMap { c.locations[$0] },
                shortName: c.settings.shortName, stamp: c.now, student: c.student)
            // The meeting as invited, so the mail that carries the .ics describes this version.
            var payload = invite.json.objectValue ?? [:]
            payload["meeting"] = m.json
            // Written again for the people as they are when the mail is sent (OutboxAPI.rendered).
            payload["invite"] = invite.fields
            out += ([m.userId] + (m.studentId.map { [$0] } ?? []) + [m.expertId]).map { recipient in
                OutboxMessage(kind: "calendar.invite", channel: "calendar", recipientId: recipient, meetingId: m.id, eventId: nil, payload: .object(payload))
            }
        }
        return out
    }

    /// Database refusals of a meeting write, as errors a caller can act on. The decision already
    /// checked each of these; the database is the last word if a check was ever wrong.
    @Sendable static func translate(_ error: PostgresError, _ params: Params) -> Error? {
        if error.isExclusionViolation { return AppError.slotUnavailable("the expert already has a meeting or a held request at that time") }
        if error.sqlState?.hasPrefix("ML") == true { return LedgerError.translate(error, required: 0, then: "the wallet changed meanwhile: read the balance and try again") }
        return nil
    }
}
