import Community
import Core
import Meetings
import Pipeline
import RPC
import Rendering
import Store
import UseCases

/// `outbox.*`: consumers lease messages, acknowledge them, or report failures (retried with
/// doubling back-off, set aside as dead after `maxAttempts`).
enum OutboxAPI {
    static var all: [MethodDefinition] { [claim, ack, fail, deadLetters, retry] }

    static let maxAttempts = DeliveryRule.maxAttempts

    static let channel: Schema = .oneOf(["notification", "video", "calendar"])

    static let messageSchema: Schema = .named("OutboxMessage", .object([
        .init("id", .id(.outbox), required: true), .init("kind", .text(), required: true),
        .init("channel", channel, required: true),
        .init("recipient_id", .nullable(.id(.person)), required: true), .init("meeting_id", .nullable(.id(.meeting)), required: true),
        .init("event_id", .nullable(.id(.event)), required: true),
        .init("payload", .openObject(description: "The message's content, by kind: the meeting as it was, the invitation, the video call, a chat message; people's words in it are as they wrote them (rendered has them made safe to send)"), required: true),
        .init("attempts", .integer(min: 0, max: .max), required: true), .init("status", .text(), required: true),
        .init("lease_expires_at", .nullable(.timestamp), required: true), .init("created_at", .timestamp, required: true),
        .init("rendered", .named("RenderedNotification", .object([
            .init("subject", .text(), required: true), .init("text", .text(), required: true), .init("push", .text(), required: true),
        ])), "A notification's texts (or the text a calendar invitation's .ics goes with) in the community's words and the recipient's time zone"),
        .init("recipient", .named("Recipient", .object([
            .init("email", .email, required: true), .init("first_name", .name, required: true), .init("last_name", .name, required: true),
            .init("time_zone", .text(), required: true),
        ])), "Whom a notification or a calendar invitation goes to"),
        .init("cc", .list(.email),
              "Copied on a notification: the community's office, and the meeting's expert on an update sent to its user (none on an invitation or a chat message). Where an event tells both sides, each reads their own message: the expert is not copied, and the office is copied once, on the user's"),
    ], additional: true))

    /// A claimed notification or calendar invitation with what a person reads (`rendered`: the
    /// mail's subject and text, the invitation's being the text its .ics goes with) and whom it
    /// goes to; notifications also say who is copied (the community's office). Video messages
    /// as they are.
    static func rendered(_ claimed: OutboxStore.Claimed, settings: CommunitySettings) -> JSON {
        let channel = claimed.message["channel"]?.stringValue
        guard channel == "notification" || channel == "calendar", var fields = claimed.message.objectValue, let recipient = claimed.recipient else {
            return claimed.message
        }
        var payload = claimed.message["payload"] ?? .null
        // An invitation is written for its people as they are now: the .ics names the address the
        // mail goes to (one queued before an e-mail change named the old one).
        if channel == "calendar", let people = claimed.meetingPeople, let facts = payload["invite"],
            let invite = CalendarInvite.asMailed(facts, user: people.user, expert: people.expert, student: people.student),
            var current = payload.objectValue
        {
            current["ics"] = .string(invite.ics)
            current["title"] = .string(invite.title)
            payload = .object(current)
            fields["payload"] = payload
        }
        // The time as it was when the message was written, not as the meeting is now: the
        // meeting's, or, where the meeting it carries hides it (null), the one beside it.
        let written = [payload["meeting"]?["start"], payload["start"]].lazy.compactMap { $0?.stringValue }.first.flatMap { try? Instant(lenient: $0) }
        let kind = claimed.message["kind"]?.stringValue ?? ""
        let expertCopied = expertCopied(claimed, channel: channel, kind: kind, payload: payload)
        let copies = copied(claimed, channel: channel, kind: kind, payload: payload, settings: settings)
        let texts = NotificationText.compose(
            kind: kind, recipient: recipient, counterpart: claimed.counterpart, service: claimed.serviceName,
            start: written ?? claimed.meetingStart, payload: payload, settings: settings, counterpartCopied: expertCopied,
            details: claimed.meeting.map { m in
                NotificationText.MeetingDetails(
                    lengthMinutes: m["length_minutes"]?.intValue, location: CalendarInvite.place(claimed.locationName, room: m["room"]?.stringValue),
                    videoURL: m["video_url"]?.stringValue, topic: m["topic"]?.stringValue, sessionType: m["session_type"]?.stringValue,
                    loggedMinutes: m["attendance"] == "attended" ? m["duration_minutes"]?.intValue : nil, studentName: m["student_name"]?.stringValue,
                    className: m["class_name"]?.stringValue, byVideo: claimed.locationKind.map { $0 == "virtual" })
            }, counterpartName: claimed.authorName, readByOthers: !copies.isEmpty)
        fields["rendered"] = ["subject": .string(texts.subject), "text": .string(texts.body), "push": .string(texts.push)]
        fields["recipient"] = [
            "email": .string(recipient.email), "first_name": .string(recipient.firstName), "last_name": .string(recipient.lastName),
            "time_zone": .string(recipient.timeZone),
        ]
        if !copies.isEmpty { fields["cc"] = .array(copies.map { .string($0) }) }
        return .object(fields)
    }

    /// Who is copied: on a meeting notification the community's office, and, on an update of a
    /// meeting sent to its user, its expert too (seed 003: "Automatic emails will be sent to the
    /// customer and copy you and the office when a session request is updated"). An invitation
    /// goes to its recipient alone; a chat message is between its two people.
    static func copied(_ claimed: OutboxStore.Claimed, channel: String?, kind: String, payload: JSON, settings: CommunitySettings) -> [String] {
        guard channel == "notification", kind != "chat_message" else { return [] }
        // Where one event tells both sides, each reads their own message: the expert is not
        // copied on the user's, and the office is copied once, on the user's.
        let told = Set(payload["told"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var copies: [String] = []
        if expertCopied(claimed, channel: channel, kind: kind, payload: payload), let expert = claimed.counterpart { copies.append(expert.email) }
        // The student's own copy of what their customer is told is not copied again.
        let officeCopiedElsewhere = (payload["recipient_role"] == "expert" && told.contains("user")) || payload["recipient_role"] == "student"
        if let office = settings.officeEmail, !copies.contains(office), !officeCopiedElsewhere { copies.append(office) }
        return copies
    }

    /// Whether the meeting's expert (the user's counterpart) is copied on this message to its
    /// user; then the mail says the time on the expert's clock too.
    static func expertCopied(_ claimed: OutboxStore.Claimed, channel: String?, kind: String, payload: JSON) -> Bool {
        guard channel == "notification", kind != "chat_message", kind != "meeting_reminder", claimed.counterpart != nil else { return false }
        let told = Set(payload["told"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return payload["recipient_role"] == "user" && payload["meeting"] != nil && !told.contains("expert")
    }

    /// A claim leases messages whose payloads come to at most this share of the answer bound:
    /// each goes out with its payload and the text rendered from it (a little more again), so
    /// the answer stays within the bound.
    static let claimPayloadShare = 3

    static let claim = MethodDefinition(
        "outbox.claim",
        "Leases up to `limit` ready messages to a consumer, in the order they were written (oldest first; a message not tried yet is ready whatever the clock says, so a clock set back neither holds back nor reorders them); fewer when their payloads come to more than a third of max_answer_bytes, so the answer stays within its bound (the first is leased whatever its size: a message larger than the bound alone comes in an answer of its own). A lease that expires unacknowledged counts as a failed attempt: the message comes back after the same back-off, and is set aside as dead after the last attempt. A reminder (meeting_reminder, meeting_link) whose meeting is no longer agreed, has started, or is at another time or video link than the reminder says, is withdrawn (cancelled) instead of leased, without taking a place of the limit",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("consumer", .text(min: 1, max: 200), required: true), .init("limit", .integer(min: 1, max: 500), required: true),
            .init("kinds", .list(.text(min: 1, max: 100), min: 1, max: 100)), .init("channel", channel),
            .init("lease_seconds", .integer(min: 1, max: 3600), "How long the consumer has to ack or fail (default 60)"),
        ],
        result: .object([.init("messages", .list(messageSchema), required: true)]),
        body: .transaction { ctx, params in
            let (claimed, settings) = try OutboxStore.claim(
                ctx.db, communityId: ctx.communityId, now: ctx.now, consumer: try params.string("consumer"), limit: try params.int("limit"),
                kinds: params.has("kinds") ? params.stringList("kinds") : nil, channel: params.optionalString("channel"),
                leaseSeconds: params.optionalInt("lease_seconds") ?? 60, payloadBytes: Int64(ctx.request.maxAnswerBytes / claimPayloadShare),
                backoffSeconds: DeliveryRule.backoffTable)
            guard let settings else { return ["messages": []] }
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
        "outbox.fail", "Reports a failed delivery: the message is retried after a back-off (available_at: when the next attempt may claim it), or set aside as dead after \(maxAttempts) attempts (available_at: when it was set aside, as outbox.dead_letters' dead_at)",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("id", .id(.outbox), required: true), .init("error", .text(min: 1, max: 2000), required: true),
            .init("retry_after_seconds", .integer(min: 0, max: 86_400),
                  "Wait at least this long before the next attempt (a Retry-After the receiver gave); the back-off applies when it is longer"),
            .init("consumer", .text(min: 1, max: 200), "Only fails a lease held by this consumer (another's lease is refused 4009, as ack leaves it)"),
        ],
        result: .object([.init("id", .id(.outbox), required: true), .init("status", .oneOf(["pending", "dead"]), required: true),
                         .init("available_at", .timestamp, required: true,
                               "When the next attempt may claim it; for a dead message, when it was set aside (no attempt follows, as outbox.dead_letters' dead_at says)"),
                         .init("attempts", .integer(min: 0, max: .max), required: true)]),
        errors: [DocErrors.notFound, DocErrors.invalidState],
        body: .command(OutboxUseCases.fail()))

    static let deadLetters = MethodDefinition(
        "outbox.dead_letters", "Messages set aside as dead after \(maxAttempts) failed attempts (a last attempt whose lease ran out is dead from the end of its lease), oldest first, with their last error",
        audience: .roles([.admin]), mutating: false, params: Page.fields,
        result: Page.resultSchema(.named("DeadLetter", .object([
            .init("id", .id(.outbox), required: true), .init("seq", .integer(min: 1, max: .max), required: true, "The queue's order"),
            .init("kind", .text(), required: true), .init("channel", channel, required: true),
            .init("recipient_id", .nullable(.id(.person)), required: true), .init("meeting_id", .nullable(.id(.meeting)), required: true),
            .init("attempts", .integer(min: 0, max: .max), required: true), .init("last_error", .nullable(.text()), required: true),
            .init("created_at", .timestamp, required: true), .init("dead_at", .nullable(.timestamp), required: true),
        ], additional: true))),
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.integer])
                return [OutboxStore.deadLetters(
                    communityId: scope.communityId, testClock: scope.testClock, afterSeq: page.after?[0].intValue, limit: page.limit + 1, maxAttempts: maxAttempts)]
            },
            respond: { _, rows, p in try Page(p, key: [.integer]).result(try rows[0].map(OutboxStore.deadLetter), keyFields: "seq") })))

    static let retry = MethodDefinition(
        "outbox.retry", "Puts dead messages back in the queue: due now, with \(maxAttempts) attempts again; ids that are not dead are listed, unchanged",
        audience: .roles([.admin]), mutating: true,
        params: [.init("ids", .list(.id(.outbox), min: 1, max: 500), required: true)],
        result: .object([.init("retried", .list(.id(.outbox)), required: true), .init("not_dead", .list(.id(.outbox)), required: true)]),
        body: .transaction { ctx, params in
            let ids = params.stringList("ids")
            let retried = Set(try OutboxStore.retry(ctx.db, communityId: ctx.communityId, ids: ids, now: ctx.now, maxAttempts: maxAttempts))
            let unique = ids.uniqued()
            return [
                "retried": .array(unique.filter(retried.contains).map { .string($0) }),
                "not_dead": .array(unique.filter { !retried.contains($0) }.map { .string($0) }),
            ]
        })
}
