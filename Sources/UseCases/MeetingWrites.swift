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
                let policy = c.settings.noShowPolicy
                // The learner is suspended (a student booked for, else the user); the user who
                // books is told (of their student by name), and so is every other customer linked
                // to the student, who can no longer book them either.
                writes.suspensions.append((change.after.studentId ?? change.after.userId, suspension.until))
                var payload: [String: JSON] = [
                    "until": .string(suspension.until.rfc3339), "no_shows": .int(suspension.noShows), "window_days": .int(policy.windowDays),
                    "recipient_role": "user",
                ]
                if let id = change.after.studentId {
                    payload["student_id"] = .string(id)
                    payload["student_name"] = .optional(change.after.studentName)
                }
                var customers = [change.after.userId]
                if let student = change.after.studentId {
                    customers += c.studentCustomerIds.filter { $0 != student && !customers.contains($0) }
                }
                for customer in customers {
                    writes.outbox.append(OutboxMessage(
                        kind: "user_suspended", channel: "notification", recipientId: customer, meetingId: nil, eventId: nil, payload: .object(payload)))
                }
                // The student suspended is told too: they are the one who cannot be booked.
                if let student = change.after.studentId {
                    payload["recipient_role"] = "student"
                    writes.outbox.append(OutboxMessage(
                        kind: "user_suspended", channel: "notification", recipientId: student, meetingId: nil, eventId: nil, payload: .object(payload)))
                }
            }
        }
        writes.outbox += extraOutbox
        return writes
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
            if let code = event.reasonCode, let reason = c.settings.cancellationReasons.first(where: { $0.code == code }) {
                terms["reason_label"] = .string(reason.label)
            }
            if event.details["series_cancelled"]?.boolValue == true { terms["series_cancelled"] = true }
        }
        if let later = change.laterDates {
            terms["later_dates"] = [
                "count": .int(Int64(later.count)), "returned_credits": .int(later.returnedCredits), "charged_credits": .int(later.chargedCredits),
            ]
        }
        var out: [OutboxMessage] = d.notifications.map { n in
            let recipient = m.personId(of: n.recipient)
            // The message carries what the recipient may read of the meeting (Meeting.hidesDetails):
            // the meeting as meeting.get shows it to them, and no note where the details are hidden.
            let hidden = m.hidesDetails(from: recipient)
            return OutboxMessage(
                kind: n.kind, channel: "notification", recipientId: recipient, meetingId: m.id, eventId: eventId,
                payload: .object(terms.merging([
                    "meeting": m.json(seenBy: recipient), "recipient_role": .string(n.recipient.rawValue), "actor_role": .string(actor.role),
                    "note": hidden ? .null : .optional(d.events.first?.note), "reason_code": .optional(d.events.first?.reasonCode),
                    "details_hidden": .bool(hidden), "told": told, "released": .bool(released),
                ]) { _, given in given }))
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
        if error.sqlState?.hasPrefix("ML") == true { return LedgerError.translate(error, required: 0) }
        return nil
    }
}
