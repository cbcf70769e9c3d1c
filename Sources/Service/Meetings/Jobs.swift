import Community
import Core
import Meetings
import Postgres
import RPC

/// Time-driven work, run by a scheduler calling `jobs.run_due`: expiring requests whose start
/// passed, queueing reminders exactly once per meeting and start time, and creating series
/// occurrences as the horizon moves.
enum JobMethods {
    static var all: [ServiceMethod] { [runDue] }

    static let maxExpiredPerRun = 500

    static let runDue = ServiceMethod(
        "jobs.run_due", "Runs due work: expires unanswered requests, queues reminders, creates series occurrences",
        audience: .roles([.admin]), mutating: true, params: [],
        result: .object([
            .init("requests_expired", .integer(min: 0, max: .max), required: true), .init("reminders_queued", .integer(min: 0, max: .max), required: true),
            .init("links_queued", .integer(min: 0, max: .max), required: true),
            .init("series_occurrences_created", .integer(min: 0, max: .max), required: true),
        ])
    ) { ctx, _ in
        let settings = try ctx.settings()
        let due = try ctx.db.query(
            """
            SELECT id FROM meetings WHERE community_id = $1 AND status = 'awaiting_approval' AND start_at <= $2
            ORDER BY start_at LIMIT $3 FOR UPDATE SKIP LOCKED
            """, [ctx.communityId, ctx.now, maxExpiredPerRun]
        ).map { try $0.string("id") }
        for id in due {
            let m = try MeetingStore.load(ctx, id, lock: true)
            let d = try Lifecycle.decide(m.state, .expire, by: .system, now: ctx.now, settings: MeetingStore.lifecycleSettings(settings))
            _ = try MeetingStore.apply(ctx, m, d, actor: .system)
        }
        let reminders = try queueReminders(ctx, kind: "meeting_reminder", recipient: "user_id", leadMinutes: settings.reminderUserHours * 60)
        let links = try queueReminders(ctx, kind: "meeting_link", recipient: "expert_id", leadMinutes: settings.reminderExpertMinutes)
        let occurrences = try SeriesStore.createDueOccurrences(ctx)
        return ["requests_expired": .int(due.count), "reminders_queued": .int(reminders), "links_queued": .int(links), "series_occurrences_created": .int(occurrences)]
    }

    /// One message per agreed meeting and start time: the dedupe key holds the start, so a moved
    /// meeting is reminded of its new time, and a repeated run adds nothing.
    static func queueReminders(_ ctx: RequestContext, kind: String, recipient: String, leadMinutes: Int64) throws -> Int {
        let recipientColumn = recipient == "user_id" ? "m.user_id" : "m.expert_id"
        return try ctx.db.query(
            """
            INSERT INTO outbox (community_id, id, kind, channel, recipient_id, meeting_id, payload, dedupe_key, available_at, created_at)
            SELECT m.community_id, ml_id('out'), $2, 'notification', \(recipientColumn), m.id,
                   jsonb_build_object('meeting_id', m.id, 'start', m.start_at, 'recipient_role', $5::text, 'video_url', m.video_url),
                   $2 || ':' || m.id || ':' || to_char(m.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), $3, $3
            FROM meetings m
            WHERE m.community_id = $1 AND m.status = 'agreed' AND m.start_at > $3
              AND m.start_at <= $3::timestamptz + make_interval(mins => $4::int)
            ON CONFLICT (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            """, [ctx.communityId, kind, ctx.now, leadMinutes, recipient == "user_id" ? "user" : "expert"]
        ).affectedRows
    }
}
