import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// The meeting steps as commands: lock what serializes them, read the booking context, decide
/// with `MeetingDecider`, apply with one `ml_apply`.
public enum MeetingUseCases {
    /// The time a step may book, as a read window: from its start to its end (a day when the
    /// length is not known before the service is read).
    static func window(start: Instant?, lengthMinutes: Int64?) -> (Instant?, Instant?) {
        guard let start else { return (nil, nil) }
        return (start, start.adding(minutes: lengthMinutes ?? 1440))
    }

    static func context(_ json: JSON?) throws -> BookingContext {
        guard let json else { throw AppError.internalError() }
        return try BookingContextQuery.decode(json)
    }

    static func person(_ ctx: RequestContext) -> ActingPerson { ActingPerson(id: ctx.actor.id, roles: ctx.actor.roles) }

    /// The locks of a booking for `userId` with `expertId` (the caller's key first), and of the
    /// service and location it books (`catalog`), shared.
    static func partiesLock(_ scope: RequestScope, userId: String, expertId: String, studentId: String?, catalog: [String?]) -> Statement {
        Locks.parties(communityId: scope.communityId, keySubject: scope.keySubject, userId: userId, expertId: expertId, studentId: studentId, catalog: catalog)
    }

    /// Who books: the user themself, or an admin or the office for them (seed 000: "Students or
    /// admins can create appointments").
    static func booker(_ ctx: RequestContext, userId: String, what: String = "a meeting") throws -> MeetingActor {
        guard userId != ctx.actor.id else {
            // Staff without the user role booking with user_id left out: say what is missing.
            if !ctx.actor.has(.user) && (ctx.actor.has(.admin) || ctx.actor.has(.office)) {
                throw AppError.invalidParams(field: "user_id", reason: "is required: you book \(what) for a user (you do not hold the user role yourself)")
            }
            return .party(.user)
        }
        try ctx.actor.require(.admin, .office, to: "book \(what) for another user")
        return ctx.actor.has(.admin) ? .admin : .office
    }

    /// `meeting.request` (and a user's booking made by an admin or the office): `input` reads the params.
    public static func request(_ input: @escaping @Sendable (Params, RequestScope) throws -> MeetingDecider.RequestInput) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let i = try input(params, scope)
                return [MeetingUseCases.partiesLock(scope, userId: i.userId, expertId: i.expertId, studentId: i.studentId, catalog: [i.serviceId, i.locationId])]
            },
            context: { scope, params in
                let i = try input(params, scope)
                // Without a length the read takes the service's default length, as the decision does.
                return BookingContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, serviceId: i.serviceId, userId: i.userId, expertId: i.expertId,
                    locationIds: [i.locationId], from: i.start, to: i.lengthMinutes.map { i.start.adding(minutes: $0) }, studentId: i.studentId)
            },
            decide: { ctx, json, params in
                let c = try context(json)
                var i = try input(params, ctx.scope)
                let actor = try booker(ctx, userId: i.userId)
                i.bookedByStaff = actor != .party(.user)
                let change = try MeetingDecider.request(c, i)
                return MeetingWrites.outcome(ctx, c, [change], by: actor, response: change.after.json(seenBy: ctx.actor.id, at: ctx.now))
            },
            translate: MeetingWrites.translate)
    }

    /// `meeting.propose`.
    public static func propose(_ input: @escaping @Sendable (Params) throws -> MeetingDecider.ProposeInput) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let i = try input(params)
                return [partiesLock(scope, userId: i.userId, expertId: scope.actorId, studentId: i.studentId, catalog: [i.serviceId, i.locationId])]
            },
            context: { scope, params in
                let i = try input(params)
                return BookingContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, meetingId: i.fromMeetingId, serviceId: i.serviceId,
                    userId: i.userId, expertId: scope.actorId, locationIds: i.locationId.map { [$0] } ?? [], from: i.start,
                    to: i.start.adding(minutes: i.lengthMinutes), studentId: i.studentId)
            },
            decide: { ctx, json, params in
                let c = try context(json)
                let change = try MeetingDecider.propose(c, by: person(ctx), try input(params))
                return MeetingWrites.outcome(ctx, c, [change], by: .party(.expert), response: change.after.json(seenBy: ctx.actor.id, at: ctx.now))
            },
            translate: MeetingWrites.translate)
    }

    /// Any action on one meeting named by `meeting_id`. `window` names a time the action may
    /// move the meeting to (a reschedule's start and length); `extraLocation` a location it may set.
    /// `locksSeries`: the step may change the meeting's weekly series (a withdrawn date becomes
    /// one of its skips), so it takes the series' locks, as a cancel does.
    public static func act(
        window actWindow: @escaping @Sendable (Params) throws -> (start: Instant, lengthMinutes: Int64?)? = { _ in nil },
        extraLocation: @escaping @Sendable (Params) -> String? = { _ in nil }, locksSeries: Bool = false,
        _ input: @escaping @Sendable (Params, BookingContext) throws -> MeetingDecider.ActInput
    ) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let meetingId = try params.string("meeting_id")
                return [locksSeries
                    ? Locks.meetingOrSeries(communityId: scope.communityId, meetingId: meetingId, keySubject: scope.keySubject)
                    : Locks.meeting(
                        communityId: scope.communityId, meetingId: meetingId, keySubject: scope.keySubject,
                        also: extraLocation(params).map { [$0] } ?? [])]
            },
            context: { scope, params in
                let target = try actWindow(params)
                let (from, to) = window(start: target?.start, lengthMinutes: target?.lengthMinutes)
                return BookingContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, meetingId: try params.string("meeting_id"),
                    locationIds: extraLocation(params).map { [$0] } ?? [], from: from, to: to)
            },
            decide: { ctx, json, params in
                let c = try context(json)
                guard let meeting = c.meeting else { throw AppError.notFound("meeting", try params.string("meeting_id")) }
                let i = try input(params, c)
                let change = try MeetingDecider.act(c, by: person(ctx), i)
                let actor = try MeetingDecider.meetingActor(meeting, person(ctx), allowAdmin: i.allowAdmin)
                let response = change.after.json(seenBy: ctx.actor.id, at: ctx.now)
                if locksSeries, case .withdraw = i.command, let dropped = SeriesDecider.withdrawnDate(c, change, by: person(ctx)) {
                    var writes = MeetingWrites.writeSet(ctx, c, dropped.meetings, by: actor)
                    writes.add(dropped)
                    return Outcome(response: response, apply: writes.call)
                }
                return MeetingWrites.outcome(ctx, c, [change], by: actor, response: response)
            },
            translate: MeetingWrites.translate)
    }

    /// The context of a step on the meeting named by `meeting_id`, with no other time to book.
    @Sendable static func meetingContext(_ scope: RequestScope, _ params: Params) throws -> SQLCall {
        BookingContextQuery.call(communityId: scope.communityId, testClock: scope.testClock, meetingId: try params.string("meeting_id"))
    }

    /// `meeting.cancel`: one meeting, or, when it is an occurrence of an active weekly series,
    /// it and every later occurrence and the series (seeds 000, 001), in one step.
    public static func cancel(_ input: @escaping @Sendable (Params) throws -> (reasonCode: String, note: String?, confirmLate: Bool, expectedVersion: Int64?)) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                [Locks.meetingOrSeries(communityId: scope.communityId, meetingId: try params.string("meeting_id"), keySubject: scope.keySubject)]
            },
            context: meetingContext,
            decide: { ctx, json, params in
                let c = try context(json)
                guard let meeting = c.meeting else { throw AppError.notFound("meeting", try params.string("meeting_id")) }
                let i = try input(params)
                let actor = try MeetingDecider.meetingActor(
                    meeting, person(ctx), allowAdmin: false, for: .cancel(reasonCode: i.reasonCode, note: i.note, confirmLate: i.confirmLate))
                if let (cancelled, series) = try SeriesDecider.cancelOccurrence(
                    c, by: person(ctx), reasonCode: i.reasonCode, note: i.note, confirmLate: i.confirmLate, expectedVersion: i.expectedVersion)
                {
                    var response = cancelled.after.json(seenBy: ctx.actor.id, at: ctx.now).objectValue ?? [:]
                    response["cancelled_occurrences"] = .array(series.meetings.dropFirst().map { .string($0.after.id) })
                    response["series_status"] = .string(series.series.status)
                    var writes = MeetingWrites.writeSet(ctx, c, series.meetings, by: actor)
                    writes.add(series)
                    return Outcome(response: .object(response), apply: writes.call)
                }
                let change = try MeetingDecider.act(
                    c, by: person(ctx),
                    .init(command: .cancel(reasonCode: i.reasonCode, note: i.note, confirmLate: i.confirmLate), expectedVersion: i.expectedVersion))
                return MeetingWrites.outcome(ctx, c, [change], by: actor, response: change.after.json(seenBy: ctx.actor.id, at: ctx.now))
            },
            translate: MeetingWrites.translate)
    }

    /// `meeting.set_video_link`: the video platform's integration (an admin) records the link.
    public static func setVideoLink() -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                [Locks.meeting(communityId: scope.communityId, meetingId: try params.string("meeting_id"), keySubject: scope.keySubject)]
            },
            context: meetingContext,
            decide: { ctx, json, params in
                let c = try context(json)
                guard c.meeting != nil else { throw AppError.notFound("meeting", try params.string("meeting_id")) }
                let change = try MeetingDecider.setVideoLink(c, url: try params.string("url"))
                return MeetingWrites.outcome(ctx, c, [change], by: .admin, response: change.after.json(seenBy: ctx.actor.id, at: ctx.now))
            },
            translate: MeetingWrites.translate)
    }
}

extension RequestContext {
    /// The request's scope again, for input readers shared by the lock, read and decide steps.
    public var scope: RequestScope {
        RequestScope(actorId: actor.id, communityId: actor.communityId, testClock: testClock, keySubject: keySubject)
    }
}
