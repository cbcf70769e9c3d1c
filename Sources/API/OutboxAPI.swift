import Community
import Core
import Meetings
import Pipeline
import RPC
import Rendering
import Store

/// `outbox.*`: consumers lease messages, acknowledge them, or report failures (retried with
/// doubling back-off, set aside as dead after `maxAttempts`).
enum OutboxAPI {
    static var all: [MethodDefinition] { [claim, ack, fail] }

    static let maxAttempts: Int64 = 8
    static let maxBackoffSeconds: Int64 = 3600

    /// Seconds to wait before the next attempt: doubling from 30 s, capped at an hour.
    static func backoffSeconds(attempts: Int64) -> Int64 {
        min(maxBackoffSeconds, 30 << min(max(attempts - 1, 0), 7))
    }

    static let messageSchema: Schema = .object([
        .init("id", .id(.outbox), required: true), .init("kind", .text(), required: true), .init("channel", .text(), required: true),
        .init("recipient_id", .nullable(.id(.person)), required: true), .init("meeting_id", .nullable(.id(.meeting)), required: true),
        .init("payload", .anyJSON(description: "the message's content"), required: true), .init("attempts", .integer(min: 0, max: .max), required: true),
    ], additional: true)

    /// A claimed notification with what a person reads (`rendered`), whom it goes to and who is
    /// copied; other channels as they are.
    static func rendered(_ claimed: OutboxStore.Claimed, settings: CommunitySettings) -> JSON {
        guard claimed.message["channel"] == "notification", var fields = claimed.message.objectValue, let recipient = claimed.recipient else {
            return claimed.message
        }
        let payload = claimed.message["payload"] ?? .null
        // The time as it was when the message was written, not as the meeting is now.
        let written = (payload["meeting"]?["start"] ?? payload["start"])?.stringValue.flatMap { try? Instant(rfc3339: $0) }
        let texts = NotificationText.compose(
            kind: claimed.message["kind"]?.stringValue ?? "", recipient: recipient, counterpart: claimed.counterpart, service: claimed.serviceName,
            start: written ?? claimed.meetingStart, payload: payload, settings: settings)
        fields["rendered"] = ["subject": .string(texts.subject), "text": .string(texts.body), "push": .string(texts.push)]
        fields["recipient"] = [
            "email": .string(recipient.email), "first_name": .string(recipient.firstName), "last_name": .string(recipient.lastName),
            "time_zone": .string(recipient.timeZone),
        ]
        let copies = copied(claimed, kind: claimed.message["kind"]?.stringValue ?? "", payload: payload, settings: settings)
        if !copies.isEmpty { fields["cc"] = .array(copies.map { .string($0) }) }
        return .object(fields)
    }

    /// Who is copied: the community's office on every notification, and, on an update of a
    /// meeting sent to its user, its expert too (seed 003: "Automatic emails will be sent to the
    /// customer and copy you and the office when a session request is updated").
    static func copied(_ claimed: OutboxStore.Claimed, kind: String, payload: JSON, settings: CommunitySettings) -> [String] {
        var copies: [String] = []
        if payload["recipient_role"] == "user", payload["meeting"] != nil, kind != "meeting_reminder", let expert = claimed.counterpart {
            copies.append(expert.email)
        }
        if let office = settings.officeEmail, !copies.contains(office) { copies.append(office) }
        return copies
    }

    static let claim = MethodDefinition(
        "outbox.claim", "Leases up to `limit` ready messages to a consumer; unacknowledged leases come back when they expire",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("consumer", .text(min: 1, max: 200), required: true), .init("limit", .integer(min: 1, max: 500), required: true),
            .init("kinds", .list(.text(min: 1, max: 100), min: 1, max: 100)), .init("channel", .oneOf(["notification", "video", "calendar"])),
            .init("lease_seconds", .integer(min: 1, max: 3600), "How long the consumer has to ack or fail (default 60)"),
        ],
        result: .object([.init("messages", .list(messageSchema), required: true)]),
        body: .transaction { ctx, params in
            let settings = try ctx.settings()
            let claimed = try OutboxStore.claim(
                ctx.db, communityId: ctx.communityId, now: ctx.now, consumer: try params.string("consumer"), limit: try params.int("limit"),
                kinds: params.has("kinds") ? params.stringList("kinds") : nil, channel: params.optionalString("channel"),
                leaseSeconds: params.optionalInt("lease_seconds") ?? 60)
            return ["messages": .array(claimed.map { rendered($0, settings: settings) })]
        })

    static let ack = MethodDefinition(
        "outbox.ack", "Marks leased messages as delivered", audience: .roles([.admin]), mutating: true,
        params: [.init("ids", .list(.id(.outbox), min: 1, max: 500), required: true), .init("consumer", .text(min: 1, max: 200), "Only acks leases held by this consumer")],
        result: .object([.init("acked", .list(.id(.outbox)), required: true), .init("not_leased", .list(.id(.outbox)), required: true)]),
        body: .transaction { ctx, params in
            let ids = params.stringList("ids")
            let acked = try OutboxStore.ack(ctx.db, communityId: ctx.communityId, ids: ids, consumer: params.optionalString("consumer"), now: ctx.now)
            let done = Set(acked)
            return ["acked": .array(acked.sorted().map { .string($0) }), "not_leased": .array(ids.filter { !done.contains($0) }.map { .string($0) })]
        })

    static let fail = MethodDefinition(
        "outbox.fail", "Reports a failed delivery: the message is retried after a back-off, or set aside as dead after \(maxAttempts) attempts",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("id", .id(.outbox), required: true), .init("error", .text(min: 1, max: 2000), required: true),
            .init("retry_after_seconds", .integer(min: 0, max: 86_400)),
        ],
        result: .object([.init("id", .id(.outbox), required: true), .init("status", .oneOf(["pending", "dead"]), required: true),
                         .init("available_at", .timestamp, required: true), .init("attempts", .integer(min: 0, max: .max), required: true)]),
        body: .transaction { ctx, params in
            let id = try params.string("id")
            guard let (attempts, status) = try OutboxStore.lockForFailure(ctx.db, communityId: ctx.communityId, id: id) else {
                throw AppError.notFound("outbox message", id)
            }
            guard status == "leased" else {
                throw AppError(.invalidState, message: "Only a leased message can fail; claim it first", details: ["status": .string(status)])
            }
            let dead = attempts >= maxAttempts
            let wait = max(params.optionalInt("retry_after_seconds") ?? 0, backoffSeconds(attempts: attempts))
            let availableAt = ctx.now.adding(seconds: wait)
            try OutboxStore.fail(
                ctx.db, communityId: ctx.communityId, id: id, dead: dead, error: try params.string("error"), availableAt: availableAt, now: ctx.now)
            return ["id": .string(id), "status": .string(dead ? "dead" : "pending"), "available_at": .string(availableAt.rfc3339), "attempts": .int(attempts)]
        })
}
