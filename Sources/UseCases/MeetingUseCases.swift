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

    /// The locks of a booking for `userId` with `expertId` (the caller's key first).
    static func partiesLock(_ scope: RequestScope, userId: String, expertId: String) -> Statement {
        Locks.parties(communityId: scope.communityId, keySubject: scope.keySubject, userId: userId, expertId: expertId)
    }

    /// `meeting.request` (and a user's booking made by an admin): `input` reads the params.
    public static func request(_ input: @escaping @Sendable (Params, RequestScope) throws -> MeetingDecider.RequestInput) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let i = try input(params, scope)
                return [MeetingUseCases.partiesLock(scope, userId: i.userId, expertId: i.expertId)]
            },
            context: { scope, params in
                let i = try input(params, scope)
                let (from, to) = window(start: i.start, lengthMinutes: i.lengthMinutes)
                return BookingContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, serviceId: i.serviceId, userId: i.userId, expertId: i.expertId,
                    locationIds: [i.locationId], from: from, to: to)
            },
            decide: { ctx, json, params in
                let c = try context(json)
                let change = try MeetingDecider.request(c, try input(params, ctx.scope))
                return MeetingWrites.outcome(ctx, c, [change], by: .party(.user), response: change.after.json)
            },
            translate: MeetingWrites.translate)
    }

    /// `meeting.propose`.
    public static func propose(_ input: @escaping @Sendable (Params) throws -> MeetingDecider.ProposeInput) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                let i = try input(params)
                return [partiesLock(scope, userId: i.userId, expertId: scope.actorId)]
            },
            context: { scope, params in
                let i = try input(params)
                return BookingContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, meetingId: i.fromMeetingId, serviceId: i.serviceId,
                    userId: i.userId, expertId: scope.actorId, locationIds: i.locationId.map { [$0] } ?? [], from: i.start,
                    to: i.start.adding(minutes: i.lengthMinutes))
            },
            decide: { ctx, json, params in
                let c = try context(json)
                let change = try MeetingDecider.propose(c, by: person(ctx), try input(params))
                return MeetingWrites.outcome(ctx, c, [change], by: .party(.expert), response: change.after.json)
            },
            translate: MeetingWrites.translate)
    }

    /// Any action on one meeting named by `meeting_id`. `window` names a time the action may
    /// move the meeting to (a reschedule's start and length); `extraLocation` a location it may set.
    public static func act(
        window actWindow: @escaping @Sendable (Params) throws -> (start: Instant, lengthMinutes: Int64?)? = { _ in nil },
        extraLocation: @escaping @Sendable (Params) -> String? = { _ in nil },
        _ input: @escaping @Sendable (Params, BookingContext) throws -> MeetingDecider.ActInput
    ) -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                [Locks.meeting(communityId: scope.communityId, meetingId: try params.string("meeting_id"), keySubject: scope.keySubject)]
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
                return MeetingWrites.outcome(ctx, c, [change], by: actor, response: change.after.json)
            },
            translate: MeetingWrites.translate)
    }

    /// `meeting.set_video_link`: the video platform's integration (an admin) records the link.
    public static func setVideoLink() -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                [Locks.meeting(communityId: scope.communityId, meetingId: try params.string("meeting_id"), keySubject: scope.keySubject)]
            },
            context: { scope, params in
                BookingContextQuery.call(communityId: scope.communityId, testClock: scope.testClock, meetingId: try params.string("meeting_id"))
            },
            decide: { ctx, json, params in
                let c = try context(json)
                guard c.meeting != nil else { throw AppError.notFound("meeting", try params.string("meeting_id")) }
                let change = try MeetingDecider.setVideoLink(c, url: try params.string("url"))
                return MeetingWrites.outcome(ctx, c, [change], by: .admin, response: change.after.json)
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
