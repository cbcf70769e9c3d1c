import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// Weekly series as commands: lock the series and its parties, read its context, decide with
/// `SeriesDecider` (every occurrence through the meeting rules), apply in one `ml_apply`.
public enum SeriesUseCases {
    /// The series' answer after a step: its occurrences as they stand once the step is applied.
    static func response(_ c: SeriesContext, _ change: SeriesChange, _ ctx: RequestContext) -> JSON {
        let changed = Dictionary(change.meetings.map { ($0.after.id, $0.after) }, uniquingKeysWith: { a, _ in a })
        let existing = c.occurrences.map { changed[$0.id] ?? $0 }
        let added = change.meetings.map(\.after).filter { m in !c.occurrences.contains { $0.id == m.id } }
        let person = MeetingUseCases.person(ctx)
        // A skip written over a date not booked takes its place (migration 0072), and a date not
        // booked that the step booked is no longer listed (migration 0058).
        let kept = c.skips.filter { old in
            !change.skips.contains { $0.date == old.date } && !(old.isNotBooked && added.contains { $0.occurrenceDate == old.date })
        }
        return change.series.json(
            skips: kept + change.skips, occurrences: existing + added, now: c.booking.now,
            showDetail: Series.showsDetail(to: person, userId: change.series.userId), reader: person.id)
    }

    static func outcome(_ ctx: RequestContext, _ c: SeriesContext, _ change: SeriesChange, by actor: MeetingActor) -> Outcome {
        var writes = MeetingWrites.writeSet(ctx, c.booking, change.meetings, by: actor)
        writes.add(change)
        // A date the step could not book is told to both sides, as the scheduler tells it; one
        // listed as not booked that a skip booked after all is told to the user, as the
        // scheduler's retry tells it (an admin's booking tells them on its own).
        writes.outbox += JobsUseCases.notBookedNotices(change)
        if actor != .admin {
            writes.outbox += JobsUseCases.bookedAfterAllNotices(change, listedNotBooked: Set(c.skips.filter(\.isNotBooked).map(\.date)))
        }
        writes.outbox += skippedDateNotices(c, change, by: actor)
        return Outcome(response: response(c, change, ctx), apply: writes.call)
    }

    /// Both sides are told of a date skipped before its meeting was made (beyond the horizon,
    /// or a date not booked): seed 001, "you will be notified that the session has been canceled
    /// and removed from your calendar", and "When a Provider skips a session, you will be
    /// notified through email". A date with a meeting is told through the meeting's own notices.
    static func skippedDateNotices(_ c: SeriesContext, _ change: SeriesChange, by actor: MeetingActor) -> [OutboxMessage] {
        let s = change.series
        return change.skips.filter { !$0.isNotBooked }.flatMap { skip -> [OutboxMessage] in
            let hadMeeting = c.occurrences.contains { $0.occurrenceDate == skip.date && [.awaitingApproval, .agreed].contains($0.state.status) }
            guard !hadMeeting, let start = s.start(on: skip.date) else { return [] }
            return [(s.userId, "user", s.expertId), (s.expertId, "expert", s.userId)].map { recipient, role, counterpart in
                OutboxMessage(
                    kind: "series_date_skipped", channel: "notification", recipientId: recipient, meetingId: nil, eventId: nil,
                    payload: [
                        "series_id": .string(s.id), "date": .string(skip.date.description), "start": .string(start.rfc3339),
                        "actor_role": .string(actor.role), "recipient_role": .string(role), "counterpart_id": .string(counterpart),
                        "told": ["user", "expert"],
                    ],
                    dedupeKey: "series_date_skipped:\(s.id):\(skip.date):\(recipient)")
            }
        }
    }

    /// `series.create`: `input` reads the params for the user it books for.
    public static func create(_ input: @escaping @Sendable (Params, RequestScope) throws -> SeriesDecider.CreateInput) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let i = try input(params, scope)
                return [MeetingUseCases.partiesLock(scope, userId: i.userId, expertId: i.expertId, studentId: i.studentId, catalog: [i.serviceId, i.locationId])]
            },
            context: { scope, params in
                let i = try input(params, scope)
                return SeriesQueries.context(
                    communityId: scope.communityId, testClock: scope.testClock, seriesId: nil, serviceId: i.serviceId, userId: i.userId,
                    expertId: i.expertId, locationId: i.locationId, from: i.firstStart, studentId: i.studentId)
            },
            decide: { ctx, json, params in
                var i = try input(params, ctx.scope)
                let actor = try MeetingUseCases.booker(ctx, userId: i.userId, what: "a series")
                i.bookedByStaff = actor != .party(.user)
                guard let json else { throw AppError.internalError() }
                let c = try SeriesQueries.decodeContext(json)
                return outcome(ctx, c, try SeriesDecider.create(c, i), by: actor)
            },
            translate: MeetingWrites.translate)
    }

    /// A step on one existing series named by `series_id`.
    static func step(_ decide: @escaping @Sendable (SeriesContext, ActingPerson, Params) throws -> SeriesChange) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                [SeriesQueries.lock(communityId: scope.communityId, seriesId: try params.string("series_id"), keySubject: scope.keySubject)]
            },
            context: { scope, params in
                SeriesQueries.context(communityId: scope.communityId, testClock: scope.testClock, seriesId: try params.string("series_id"))
            },
            decide: { ctx, json, params in
                guard let json else { throw AppError.internalError() }
                let c = try SeriesQueries.decodeContext(json)
                guard let series = c.series else { throw AppError.notFound("series", try params.string("series_id")) }
                let person = MeetingUseCases.person(ctx)
                let change = try decide(c, person, params)
                return outcome(ctx, c, change, by: try SeriesDecider.recordedActor(series, person, expertToo: true))
            },
            translate: MeetingWrites.translate)
    }

    public static func skip() -> CommandPlan {
        step { c, person, params in
            guard let date = LocalDate(try params.string("date")) else { throw AppError.invalidParams(field: "date", reason: "must be a date YYYY-MM-DD") }
            return try SeriesDecider.skip(c, by: person, date: date, confirmLate: params.bool("confirm_late"))
        }
    }

    public static func cancel() -> CommandPlan {
        step { c, person, params in
            try SeriesDecider.cancel(c, by: person, reasonCode: try params.string("reason_code"), confirmLate: params.bool("confirm_late"))
        }
    }
}
