import Core
import Meetings
import Postgres
import RPC

/// Everything `meeting.request` checks before a slot is taken: the service and the expert's
/// certification, the location, notice and horizon, suspension, enrolment, the weekly usage
/// limit, and that the expert is free then.
struct Booking {
    let service: ServiceRecord
    let expertId: String
    let start: Instant
    let lengthMinutes: Int64
    let locationId: String

    static func check(
        _ ctx: RequestContext, userId: String, serviceId: String, expertId: String, start: Instant, lengthMinutes: Int64?, locationId: String,
        beyondHorizon: Bool = false
    ) throws -> Booking {
        let settings = try ctx.settings()
        let service = try Catalog.service(ctx, serviceId)
        guard service.active else { throw AppError.slotUnavailable("\(service.name) is not offered any more") }
        _ = try Catalog.requireExpert(ctx, expertId)
        try Catalog.requireCertified(ctx, service: service, expertId: expertId)
        try Catalog.requireLocation(ctx, locationId)
        let user = try ctx.person(userId)
        if let until = user.suspendedUntil, until > ctx.now { throw AppError.suspended(until: until) }
        if settings.requireEnrollment, !(try Catalog.isEnrolled(ctx, userId: userId, serviceId: serviceId, expertId: expertId)) {
            throw AppError.notEnrolled("you are not assigned to this \(settings.label("provider").lowercased()) or \(settings.label("class").lowercased()); ask your office")
        }
        let length = lengthMinutes ?? service.defaultLengthMinutes
        let end = try Lifecycle.end(start: start, lengthMinutes: length)
        guard start >= ctx.now.adding(minutes: settings.minNoticeMinutes) else {
            throw AppError.slotUnavailable("meetings must be booked at least \(settings.minNoticeMinutes) minutes ahead")
        }
        guard beyondHorizon || start <= ctx.now.adding(minutes: settings.horizonDays * 24 * 60) else {
            throw AppError.slotUnavailable("meetings can be booked at most \(settings.horizonDays) days ahead")
        }
        if let limit = settings.weeklyUsageLimit {
            try UserLock.acquire(ctx, userId)
            let used = try UsageLimit.meetingsInWeek(ctx, userId: userId, containing: start, timeZone: settings.timeZone)
            if used >= limit { throw AppError.usageLimitReached(limit: limit) }
        }
        try MeetingStore.lockExpertCalendar(ctx, expertId)
        try AvailabilityStore.requireFree(ctx, expertId: expertId, serviceId: serviceId, start: start, end: end, locationId: locationId)
        return Booking(service: service, expertId: expertId, start: start, lengthMinutes: length, locationId: locationId)
    }
}

/// Meetings count toward the weekly limit unless they were declined, withdrawn or expired.
enum UsageLimit {
    static func meetingsInWeek(_ ctx: RequestContext, userId: String, containing start: Instant, timeZone: String) throws -> Int64 {
        try TimeZoneRule.require(timeZone, storedIn: "the community's settings", on: ctx.db)
        return try ctx.db.query(
            """
            SELECT count(*) AS n FROM meetings
            WHERE community_id = $1 AND user_id = $2 AND status IN ('awaiting_approval', 'agreed', 'completed')
              AND date_trunc('week', start_at AT TIME ZONE $4) = date_trunc('week', $3::timestamptz AT TIME ZONE $4)
            """, [ctx.communityId, userId, start, timeZone]
        ).first!.int("n")
    }
}
