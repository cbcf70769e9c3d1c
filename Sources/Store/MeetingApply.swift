import Core
import Meetings
import Postgres

/// A message for a person or an integration, written in the transaction of the change it
/// reports and handed to consumers through `outbox.claim`.
public struct OutboxMessage: Sendable {
    public var id: String
    public var kind: String
    public var channel: String
    public var recipientId: String?
    public var meetingId: String?
    public var eventId: String?
    public var payload: JSON
    public var dedupeKey: String?
    public var availableAt: Instant?

    public init(
        id: String = Identifier.make(.outbox), kind: String, channel: String, recipientId: String?, meetingId: String?, eventId: String?,
        payload: JSON, dedupeKey: String? = nil, availableAt: Instant? = nil
    ) {
        self.id = id
        self.kind = kind
        self.channel = channel
        self.recipientId = recipientId
        self.meetingId = meetingId
        self.eventId = eventId
        self.payload = payload
        self.dedupeKey = dedupeKey
        self.availableAt = availableAt
    }

    var json: JSON {
        [
            "id": .string(id), "kind": .string(kind), "channel": .string(channel), "recipient_id": .optional(recipientId),
            "meeting_id": .optional(meetingId), "event_id": .optional(eventId), "payload": payload, "dedupe_key": .optional(dedupeKey),
            "available_at": .optional(availableAt?.rfc3339),
        ]
    }
}

/// A timeline event with the id and author it is recorded under.
public struct EventRecord: Sendable {
    public var id: String
    public var event: TimelineEvent
    public var actorId: String?
    public var actorRole: String

    public init(id: String = Identifier.make(.event), event: TimelineEvent, actorId: String?, actorRole: String) {
        self.id = id
        self.event = event
        self.actorId = actorId
        self.actorRole = actorRole
    }

    var json: JSON {
        [
            "id": .string(id), "kind": .string(event.kind), "actor_id": .optional(actorId), "actor_role": .string(actorRole),
            "reason_code": .optional(event.reasonCode), "note": .optional(event.note), "details": .object(event.details),
        ]
    }
}

/// One meeting's part of a write: its row, credit movements, events and whether its reminders
/// are withdrawn.
public struct MeetingWrite: Sendable {
    public var change: MeetingChange
    public var events: [EventRecord]

    public init(change: MeetingChange, events: [EventRecord]) {
        self.change = change
        self.events = events
    }

    var json: JSON {
        let d = change.decision
        // A release or capture records why: the step's first event.
        let reason = JSON.optional(d.events.first?.kind)
        let moves: [JSON] = change.ledger.map { move in
            switch move {
            case .hold(let id, let credits):
                return ["op": "hold", "id": .string(id), "credits": .int(credits)]
            case .release(let id, let hold):
                return ["op": "release", "id": .string(id), "hold_id": .string(hold), "reason": reason]
            case .capture(let id, let hold, let credits, let feeId, let fee, let percent):
                return [
                    "op": "capture", "id": .string(id), "hold_id": .string(hold), "credits": .int(credits), "reason": reason,
                    "fee_id": .string(feeId), "fee_credits": .int(fee), "fee_reason": .string("platform fee \(percent)%"),
                ]
            }
        }
        return [
            "row": Records.row(change.after), "expected_version": .optional(change.before?.version), "ledger": .array(moves),
            "events": .array(events.map(\.json)),
            // A reminder says the meeting's time, place and link as they were when it was queued:
            // those not sent yet are withdrawn when any of them changes (the next run queues them
            // again as the meeting is then), or when the meeting ends.
            "withdraw_reminders": .bool(change.before.map { d.timeChanged || d.cancelledOrEnded || MeetingChange.invitationDiffers($0, change.after) } ?? false),
        ]
    }
}

/// The one statement that applies a decision (`ml_apply`).
public struct WriteSet: Sendable {
    public var communityId: String
    public var now: Instant
    /// The time to stamp on transfers under a test clock; nil lets the database stamp each
    /// transfer once its accounts are locked.
    public var ledgerAt: Instant?
    public var actorId: String?
    public var meetings: [MeetingWrite] = []
    public var outbox: [OutboxMessage] = []
    public var suspensions: [(personId: String, until: Instant)] = []
    var seriesNew: [JSON] = []
    var seriesChanged: [JSON] = []
    var seriesSkips: [JSON] = []

    public init(communityId: String, now: Instant, ledgerAt: Instant?, actorId: String?) {
        self.communityId = communityId
        self.now = now
        self.ledgerAt = ledgerAt
        self.actorId = actorId
    }

    public var payload: JSON {
        var p: [String: JSON] = [
            "community_id": .string(communityId), "now": .string(now.rfc3339), "ledger_at": .optional(ledgerAt?.rfc3339),
            "actor_id": .optional(actorId), "meetings": .array(meetings.map(\.json)), "outbox": .array(outbox.map(\.json)),
            "suspensions": .array(suspensions.map { ["person_id": .string($0.personId), "until": .string($0.until.rfc3339)] }),
        ]
        p["series_new"] = .array(seriesNew)
        p["series_changed"] = .array(seriesChanged)
        p["series_skips"] = .array(seriesSkips)
        return .object(p)
    }

    public var call: SQLCall { SQLCall("ml_apply", [.init(payload, "jsonb")]) }

    /// Adds another write set of the same request (its rows, messages and series changes).
    public mutating func merge(_ other: WriteSet) {
        meetings += other.meetings
        outbox += other.outbox
        suspensions += other.suspensions
        seriesNew += other.seriesNew
        seriesChanged += other.seriesChanged
        seriesSkips += other.seriesSkips
    }
}
