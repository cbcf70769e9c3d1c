import Community
import Core
import Postgres
import RPC

struct OutboxMessage {
    var kind: String
    var channel: String
    var recipientId: String?
    var meetingId: String?
    var eventId: String?
    var payload: JSON
    var dedupeKey: String? = nil
    var availableAt: Instant? = nil
}

/// The transactional outbox: messages are written with the change they report and handed
/// to consumers under leases (`FOR UPDATE SKIP LOCKED`), retried with back-off, and set
/// aside as dead after `maxAttempts` failures.
enum Outbox {
    static let maxAttempts: Int64 = 8
    static let maxBackoffSeconds: Int64 = 3600

    /// Inserts messages in one statement; a message whose dedupe key exists is skipped.
    /// Returns how many were inserted.
    @discardableResult
    static func enqueue(_ ctx: RequestContext, _ messages: [OutboxMessage]) throws -> Int {
        guard !messages.isEmpty else { return 0 }
        let rows: [JSON] = messages.map { m in
            [
                "id": .string(Identifier.make(.outbox)), "kind": .string(m.kind), "channel": .string(m.channel),
                "recipient_id": .optional(m.recipientId), "meeting_id": .optional(m.meetingId), "event_id": .optional(m.eventId),
                "payload": m.payload, "dedupe_key": .optional(m.dedupeKey), "available_at": .string((m.availableAt ?? ctx.now).rfc3339),
            ]
        }
        return try ctx.db.query(
            """
            INSERT INTO outbox (community_id, id, kind, channel, recipient_id, meeting_id, event_id, payload, dedupe_key, available_at, created_at)
            SELECT $1, r.id, r.kind, r.channel, r.recipient_id, r.meeting_id, r.event_id, r.payload, r.dedupe_key, r.available_at, $3
            FROM jsonb_to_recordset($2::jsonb) AS r(id text, kind text, channel text, recipient_id text, meeting_id text, event_id text,
                                                  payload jsonb, dedupe_key text, available_at timestamptz)
            ON CONFLICT (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            """, [ctx.communityId, JSON.array(rows), ctx.now]
        ).affectedRows
    }

    /// Seconds to wait before the next attempt: doubling from 30 s, capped at an hour.
    static func backoffSeconds(attempts: Int64) -> Int64 {
        min(maxBackoffSeconds, 30 << min(max(attempts - 1, 0), 7))
    }

    static let messageSchema: Schema = .object([
        .init("id", .id(.outbox), required: true), .init("kind", .text(), required: true), .init("channel", .text(), required: true),
        .init("recipient_id", .nullable(.id(.person)), required: true), .init("meeting_id", .nullable(.id(.meeting)), required: true),
        .init("payload", .anyJSON(description: "the message's content"), required: true), .init("attempts", .integer(min: 0, max: .max), required: true),
    ], additional: true)

    static func json(_ r: Row) throws -> JSON {
        [
            "id": .string(try r.string("id")), "kind": .string(try r.string("kind")), "channel": .string(try r.string("channel")),
            "recipient_id": .optional(try r.optionalString("recipient_id")), "meeting_id": .optional(try r.optionalString("meeting_id")),
            "event_id": .optional(try r.optionalString("event_id")), "payload": try r.json("payload"), "attempts": .int(try r.int("attempts")),
            "status": .string(try r.string("status")), "lease_expires_at": .optional(try r.optionalInstant("lease_expires_at")?.rfc3339),
            "created_at": .string(try r.instant("created_at").rfc3339),
        ]
    }

    static let columns = "o.id, o.kind, o.channel, o.recipient_id, o.meeting_id, o.event_id, o.payload, o.attempts, o.status, o.lease_expires_at, o.created_at"
}

enum OutboxMethods {
    static var all: [ServiceMethod] { [claim, ack, fail] }

    static let claim = ServiceMethod(
        "outbox.claim", "Leases up to `limit` ready messages to a consumer; unacknowledged leases come back when they expire",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("consumer", .text(min: 1, max: 200), required: true), .init("limit", .integer(min: 1, max: 500), required: true),
            .init("kinds", .list(.text(min: 1, max: 100), min: 1, max: 100)), .init("channel", .oneOf(["notification", "video", "calendar"])),
            .init("lease_seconds", .integer(min: 1, max: 3600), "How long the consumer has to ack or fail (default 60)"),
        ],
        result: .object([.init("messages", .list(Outbox.messageSchema), required: true)])
    ) { ctx, params in
        let kinds = params.has("kinds") ? PostgresTextArray(params.stringList("kinds")) : nil
        let rows = try ctx.db.query(
            """
            WITH picked AS (
                SELECT id FROM outbox
                WHERE community_id = $1
                  AND ((status = 'pending' AND available_at <= $2) OR (status = 'leased' AND lease_expires_at <= $2))
                  AND ($4::text[] IS NULL OR kind = ANY ($4)) AND ($5::text IS NULL OR channel = $5)
                ORDER BY available_at, seq
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            )
            UPDATE outbox o SET status = 'leased', lease_owner = $6, lease_expires_at = $2::timestamptz + make_interval(secs => $7::int),
                attempts = o.attempts + 1
            FROM picked WHERE o.community_id = $1 AND o.id = picked.id
            RETURNING \(Outbox.columns), o.seq
            """,
            [ctx.communityId, ctx.now, try params.int("limit"), kinds, params.optionalString("channel"), try params.string("consumer"),
             params.optionalInt("lease_seconds") ?? 60])
        let sorted = try rows.sorted { try $0.int("seq") < $1.int("seq") }
        var messages: [JSON] = []
        for row in sorted { messages.append(try Notifications.rendered(ctx, try Outbox.json(row))) }
        return ["messages": .array(messages)]
    }

    static let ack = ServiceMethod(
        "outbox.ack", "Marks leased messages as delivered", audience: .roles([.admin]), mutating: true,
        params: [.init("ids", .list(.id(.outbox), min: 1, max: 500), required: true), .init("consumer", .text(min: 1, max: 200), "Only acks leases held by this consumer")],
        result: .object([.init("acked", .list(.id(.outbox)), required: true), .init("not_leased", .list(.id(.outbox)), required: true)])
    ) { ctx, params in
        let ids = params.stringList("ids")
        let acked = try ctx.db.query(
            """
            UPDATE outbox SET status = 'done', done_at = $3, lease_expires_at = NULL
            WHERE community_id = $1 AND id = ANY ($2) AND status = 'leased' AND ($4::text IS NULL OR lease_owner = $4)
            RETURNING id
            """, [ctx.communityId, PostgresTextArray(ids), ctx.now, params.optionalString("consumer")]
        ).map { try $0.string("id") }
        let done = Set(acked)
        return ["acked": .array(acked.sorted().map { .string($0) }), "not_leased": .array(ids.filter { !done.contains($0) }.map { .string($0) })]
    }

    static let fail = ServiceMethod(
        "outbox.fail", "Reports a failed delivery: the message is retried after a back-off, or set aside as dead after \(Outbox.maxAttempts) attempts",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("id", .id(.outbox), required: true), .init("error", .text(min: 1, max: 2000), required: true),
            .init("retry_after_seconds", .integer(min: 0, max: 86_400)),
        ],
        result: .object([.init("id", .id(.outbox), required: true), .init("status", .oneOf(["pending", "dead"]), required: true),
                         .init("available_at", .timestamp, required: true), .init("attempts", .integer(min: 0, max: .max), required: true)])
    ) { ctx, params in
        let id = try params.string("id")
        guard let row = try ctx.db.query(
            "SELECT attempts, status FROM outbox WHERE community_id = $1 AND id = $2 FOR UPDATE", [ctx.communityId, id]
        ).first else { throw AppError.notFound("outbox message", id) }
        guard try row.string("status") == "leased" else {
            throw AppError(code: 4009, dataCode: "invalid_state", message: "Only a leased message can fail; claim it first", details: ["status": .string(try row.string("status"))])
        }
        let attempts = try row.int("attempts")
        let dead = attempts >= Outbox.maxAttempts
        let wait = max(params.optionalInt("retry_after_seconds") ?? 0, Outbox.backoffSeconds(attempts: attempts))
        let availableAt = ctx.now.adding(seconds: wait)
        try ctx.db.query(
            """
            UPDATE outbox SET status = $3, last_error = $4, available_at = $5, lease_expires_at = NULL, lease_owner = NULL,
                done_at = CASE WHEN $3 = 'dead' THEN $6::timestamptz END
            WHERE community_id = $1 AND id = $2
            """, [ctx.communityId, id, dead ? "dead" : "pending", try params.string("error"), availableAt, ctx.now])
        return ["id": .string(id), "status": .string(dead ? "dead" : "pending"), "available_at": .string(availableAt.rfc3339), "attempts": .int(attempts)]
    }
}
