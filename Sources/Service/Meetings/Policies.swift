import Community
import Core
import Postgres
import RPC

/// A community may require experts to log their past sessions before doing anything else.
enum SessionLog {
    static func requireLogged(_ ctx: RequestContext, expertId: String, except meetingId: String?) throws {
        guard try ctx.settings().requireSessionLog else { return }
        let unlogged = try ctx.db.query(
            """
            SELECT id FROM meetings
            WHERE community_id = $1 AND expert_id = $2 AND status = 'agreed' AND end_at <= $3 AND id IS DISTINCT FROM $4
            ORDER BY start_at LIMIT 20
            """, [ctx.communityId, expertId, ctx.now, meetingId]
        ).map { try $0.string("id") }
        if !unlogged.isEmpty { throw AppError.sessionLogRequired(meetingIds: unlogged) }
    }
}

/// Serializes what is counted per user — meetings toward the weekly usage limit, no-shows
/// toward a suspension — to the end of the transaction, so calls made at once (through several
/// processes) count one after another instead of each missing the other. Taken before any
/// ledger row or expert calendar lock of the same transaction.
enum UserLock {
    static func acquire(_ ctx: RequestContext, _ userId: String) throws {
        try ctx.db.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 2))", [ctx.communityId, userId])
    }
}

/// No-shows within the policy's window suspend the user for a number of days. The caller
/// holds the user's `UserLock`.
enum Suspensions {
    static func recordNoShow(_ ctx: RequestContext, userId: String, policy: NoShowPolicy) throws {
        guard policy.maxNoShows > 0 else { return }
        let count = try ctx.db.query(
            """
            SELECT count(*) AS n FROM meetings
            WHERE community_id = $1 AND user_id = $2 AND attendance = 'no_show' AND logged_at > $3::timestamptz - make_interval(days => $4::int)
            """, [ctx.communityId, userId, ctx.now, policy.windowDays]
        ).first!.int("n")
        guard count >= policy.maxNoShows else { return }
        let until = ctx.now.adding(minutes: policy.suspensionDays * 24 * 60)
        try ctx.db.query(
            "UPDATE people SET suspended_until = GREATEST(coalesce(suspended_until, $3), $3) WHERE community_id = $1 AND id = $2",
            [ctx.communityId, userId, until])
        try Outbox.enqueue(ctx, [OutboxMessage(
            kind: "user_suspended", channel: "notification", recipientId: userId, meetingId: nil, eventId: nil,
            payload: ["until": .string(until.rfc3339), "no_shows": .int(count), "window_days": .int(policy.windowDays), "recipient_role": "user"])])
    }
}
