import Community
import Core
import Meetings
import Postgres
import Rendering

/// The transactional outbox: messages are written with the change they report (`ml_apply`) and
/// handed to consumers under leases (`FOR UPDATE SKIP LOCKED`).
public enum OutboxStore {
    public struct Claimed: Sendable {
        public let message: JSON
        public let recipient: PersonFacts?
        /// The meeting's other party, for the recipient (a chat message's author).
        public let counterpart: PersonFacts?
        public let serviceName: String?
        public let meetingStart: Instant?
        /// The meeting as the message was written (its payload's meeting; the meeting as it is
        /// for messages that carry none, such as reminders): length, place, video link, topic,
        /// and whom it is for (the student's name).
        public let meeting: JSON?
        public let locationName: String?
        /// The kind of the meeting's location (`in_person`, `virtual`).
        public var locationKind: String? = nil
        /// The meeting's user, expert and student as they are now (an invitation is written for them).
        public var meetingPeople: (user: PersonFacts, expert: PersonFacts, student: PersonFacts?)? = nil
        /// A chat message's author as the chat shows them (an expert's profile name, if any).
        public var authorName: String? = nil
    }

    /// The facts of the last invitation queued for the meeting (`invite`: what its parties are
    /// mailed), if any was.
    public static func lastInvitation(communityId: String, meetingId: String) -> Statement {
        Statement(
            """
            SELECT payload -> 'invite' AS invite FROM outbox
            WHERE community_id = $1 AND meeting_id = $2 AND channel = 'calendar' ORDER BY seq DESC LIMIT 1
            """, [communityId, meetingId])
    }

    /// Leases up to `limit` ready messages (pending and due, or leased and expired) to
    /// `consumer`, oldest first, with what rendering them needs, and the community's settings
    /// the texts are rendered in (read in the same statement; nil when nothing was leased).
    /// `payloadBytes`: what the leased messages' payloads may come to together; the first
    /// message is leased whatever its size, and the next ones while they fit, so an answer stays
    /// within its bound however large the messages are (a claim of hundreds of long messages was
    /// built for minutes inside its transaction and never answered).
    ///
    /// A lease that ran out is an attempt that failed without a word: the message comes back
    /// after the back-off a failure of that attempt would have (`backoffSeconds[attempts]`), and
    /// one whose last attempt ended so is set aside as dead, as a failure would set it.
    ///
    /// A reminder its meeting no longer matches (`isStaleReminder`) is withdrawn instead of
    /// leased, without taking a place of the claim's `limit` (those among the first
    /// `staleLookahead` ready messages are withdrawn at each claim).
    public static func claim(
        _ c: Connection, communityId: String, now: Instant, consumer: String, limit: Int64, kinds: [String]?, channel: String?, leaseSeconds: Int64,
        payloadBytes: Int64, backoffSeconds: [Int64]
    ) throws -> (claimed: [Claimed], settings: CommunitySettings?) {
        let maxAttempts = Int64(backoffSeconds.count - 1)
        let rows = try c.query(
            """
            WITH given_up AS (
                UPDATE outbox SET status = 'dead', done_at = lease_expires_at, lease_owner = NULL, lease_expires_at = NULL,
                    last_error = \(lostLeaseError)
                WHERE community_id = $1 AND id IN (
                    -- Those another claim is setting aside are its to finish: no waiting on it.
                    SELECT id FROM outbox WHERE community_id = $1 AND status = 'leased' AND lease_expires_at <= $2 AND attempts >= $10
                    FOR UPDATE SKIP LOCKED)
            ), head AS (
                -- The first ready messages (at most \(staleLookahead)), the reminders among them checked.
                SELECT id, kind, meeting_id, payload FROM outbox
                WHERE community_id = $1 AND \(isClaimable)
                ORDER BY seq
                LIMIT \(staleLookahead)
            ), withdrawn AS (
                UPDATE outbox o SET status = 'cancelled', done_at = $2, dedupe_key = NULL, lease_owner = NULL, lease_expires_at = NULL
                WHERE o.community_id = $1 AND o.id IN (
                    SELECT x.id FROM outbox x WHERE x.community_id = $1 AND x.id IN (SELECT h.id FROM head h WHERE \(isStaleReminder("h")))
                    FOR UPDATE SKIP LOCKED)
            ), ready AS (
                SELECT id, seq, octet_length(payload::text) AS bytes FROM outbox r
                WHERE community_id = $1 AND \(isClaimable)
                  AND NOT \(isStaleReminder("r"))
                ORDER BY seq
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), picked AS (
                SELECT id FROM (
                    SELECT id, row_number() OVER w AS n, sum(bytes) OVER w AS upto FROM ready
                    WINDOW w AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)
                ) r WHERE n = 1 OR upto <= $8
            ), leased AS (
                UPDATE outbox o SET status = 'leased', lease_owner = $6, lease_expires_at = $2::timestamptz + make_interval(secs => $7::int),
                    attempts = o.attempts + 1
                FROM picked WHERE o.community_id = $1 AND o.id = picked.id
                RETURNING o.*
            )
            SELECT l.id, l.kind, l.channel, l.recipient_id, l.meeting_id, l.event_id, l.payload, l.attempts, l.status, l.lease_expires_at, l.created_at,
                   ml_person_json(l.community_id, l.recipient_id) AS recipient,
                   ml_person_json(l.community_id, CASE WHEN l.kind = 'chat_message' THEN l.payload ->> 'author_id'
                                                       WHEN l.payload ? 'counterpart_id' THEN l.payload ->> 'counterpart_id'
                                                       WHEN m.expert_id = l.recipient_id THEN m.user_id ELSE m.expert_id END) AS counterpart,
                   CASE WHEN l.kind = 'chat_message' THEN ml_display_name(l.community_id, l.payload ->> 'author_id') END AS author_name,
                   s.name AS service_name, m.start_at, facts.meeting, loc.name AS location_name, loc.kind AS location_kind,
                   CASE WHEN l.channel = 'calendar' THEN ml_person_json(m.community_id, m.user_id) END AS meeting_user,
                   CASE WHEN l.channel = 'calendar' THEN ml_person_json(m.community_id, m.expert_id) END AS meeting_expert,
                   CASE WHEN l.channel = 'calendar' THEN ml_person_json(m.community_id, m.student_id) END AS meeting_student,
                   -- The community's words the texts are rendered in, read once, sent on the first row.
                   CASE WHEN row_number() OVER (ORDER BY l.seq) = 1 THEN (SELECT c.settings FROM communities c WHERE c.community_id = $1) END AS settings
            FROM leased l
            LEFT JOIN meetings m ON m.community_id = l.community_id AND m.id = l.meeting_id
            LEFT JOIN services s ON s.community_id = l.community_id AND s.id = coalesce(m.service_id, l.payload ->> 'service_id')
            LEFT JOIN LATERAL (
                SELECT CASE
                    WHEN l.payload ? 'meeting' THEN l.payload -> 'meeting'
                    WHEN m.id IS NOT NULL THEN jsonb_build_object(
                        'length_minutes', m.length_minutes, 'location_id', m.location_id, 'video_url', m.video_url, 'topic', m.topic,
                        'student_name', (SELECT p.first_name || ' ' || p.last_name FROM people p WHERE p.community_id = m.community_id AND p.id = m.student_id))
                END AS meeting
            ) facts ON true
            LEFT JOIN locations loc ON loc.community_id = l.community_id AND loc.id = facts.meeting ->> 'location_id'
            ORDER BY l.seq
            """,
            [communityId, now, limit, kinds.map(PostgresTextArray.init), channel, consumer, leaseSeconds, payloadBytes,
             "{" + backoffSeconds.map(String.init).joined(separator: ",") + "}", maxAttempts]
        )
        let claimed = try rows.map { r in
            func person(_ column: String) throws -> PersonFacts? {
                try r.optionalJSON(column).map { try Records.person(StoredJSON($0, path: column)) }
            }
            var claimed = Claimed(
                message: [
                    "id": .string(try r.string("id")), "kind": .string(try r.string("kind")), "channel": .string(try r.string("channel")),
                    "recipient_id": .optional(try r.optionalString("recipient_id")), "meeting_id": .optional(try r.optionalString("meeting_id")),
                    "event_id": .optional(try r.optionalString("event_id")), "payload": try r.json("payload"), "attempts": .int(try r.int("attempts")),
                    "status": .string(try r.string("status")), "lease_expires_at": .optional(try r.optionalInstant("lease_expires_at")?.rfc3339),
                    "created_at": .string(try r.instant("created_at").rfc3339),
                ],
                recipient: try r.optionalJSON("recipient").map { try Records.person(StoredJSON($0, path: "recipient")) },
                counterpart: try r.optionalJSON("counterpart").map { try Records.person(StoredJSON($0, path: "counterpart")) },
                serviceName: try r.optionalString("service_name"), meetingStart: try r.optionalInstant("start_at"),
                meeting: try r.optionalJSON("meeting"), locationName: try r.optionalString("location_name"))
            claimed.authorName = try r.optionalString("author_name")
            claimed.locationKind = try r.optionalString("location_kind")
            if let user = try person("meeting_user"), let expert = try person("meeting_expert") {
                claimed.meetingPeople = (user, expert, try person("meeting_student"))
            }
            return claimed
        }
        return (claimed, try rows.first.map { try SettingsMemo.settings(stored: try $0.json("settings")) })
    }

    /// Marks leased messages delivered; returns the ids acknowledged.
    public static func ack(_ c: Connection, communityId: String, ids: [String], consumer: String?, now: Instant) throws -> [String] {
        try c.query(
            """
            UPDATE outbox SET status = 'done', done_at = $3, lease_expires_at = NULL
            WHERE community_id = $1 AND id = ANY ($2) AND status = 'leased' AND ($4::text IS NULL OR lease_owner = $4)
            RETURNING id
            """, [communityId, PostgresTextArray(ids), now, consumer]
        ).map { try $0.string("id") }
    }

    // MARK: outbox.fail as a command

    /// The message's row locked for a failure report in a later statement (as a claim locks the
    /// rows it leases).
    public static func lockMessage(communityId: String, id: String) -> Statement {
        Statement("SELECT 1 FROM outbox WHERE community_id = $1 AND id = $2 FOR UPDATE", [communityId, id])
    }

    /// The message's status, lease holder and attempts (`ml_outbox_message_context`).
    public static func messageContext(communityId: String, id: String) -> SQLCall {
        SQLCall("ml_outbox_message_context", [.init(communityId, "text"), .init(id, "text")])
    }

    /// The message as a failure report finds it; nil: no such message.
    public static func decodeMessageContext(_ json: JSON?) throws -> DeliveryRule.Leased? {
        guard let json, !json.isNull else { return nil }
        let j = StoredJSON(json, path: "outbox_message")
        return DeliveryRule.Leased(status: try j.string("status"), owner: try j.optionalString("lease_owner"), attempts: try j.int("attempts"))
    }

    /// A failed delivery as decided (`ml_outbox_fail_apply`): back in the queue at its time, or
    /// set aside as dead at `now`.
    public static func failApply(communityId: String, id: String, _ failure: DeliveryRule.Failure, error: String, now: Instant) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "id": .string(id), "status": .string(failure.dead ? "dead" : "pending"), "error": .string(error),
            "available_at": .string(failure.availableAt.rfc3339), "now": .string(now.rfc3339),
        ]
        return SQLCall("ml_outbox_fail_apply", [.init(p, "jsonb")])
    }

    /// A message a claim may lease: pending and not tried yet (ready whatever the clock says: each
    /// is written ready, so one written before a clock set back is not held back) or due after a
    /// failure's back-off, or leased and its lease run out (and its back-off passed) with
    /// attempts left (`$2` now, `$9` the back-offs, `$10` the attempts), of the kinds (`$4`) and
    /// channel (`$5`) asked for. Claims take them in the order they were written (seq).
    static let isClaimable = """
        ((status = 'pending' AND (attempts = 0 OR available_at <= $2))
         OR (status = 'leased' AND attempts < $10 AND lease_expires_at + make_interval(secs => ($9::bigint[])[attempts + 1]) <= $2))
        AND ($4::text[] IS NULL OR kind = ANY ($4)) AND ($5::text IS NULL OR channel = $5)
        """

    /// Whether the outbox row `row` is a reminder its meeting no longer matches: not agreed,
    /// started (`$2` now), or at another time or video link than the reminder says. Such a
    /// reminder is withdrawn, not delivered: a run that read the meeting as it was may queue it
    /// after a cancel or a move withdrew the reminders queued before.
    static func isStaleReminder(_ row: String) -> String {
        """
        (\(row).kind IN ('meeting_reminder', 'meeting_link') AND EXISTS (
            SELECT 1 FROM meetings m WHERE m.community_id = $1 AND m.id = \(row).meeting_id
              AND (m.status <> 'agreed' OR m.start_at <= $2 OR (\(row).payload ->> 'start')::timestamptz <> m.start_at
                   OR (\(row).payload ->> 'video_url') IS DISTINCT FROM m.video_url)))
        """
    }

    /// How many of the first ready messages a claim checks for stale reminders (and withdraws).
    static let staleLookahead = 500

    /// The last error of a message whose last attempt's lease ran out (the listing says what the
    /// claim that sets it aside writes).
    static let lostLeaseError = "left(coalesce(last_error || '; then ', '') || 'attempt ' || attempts || ' ran out of its lease without an ack or a failure', 2000)"

    /// A page of the community's dead messages (set aside after their last failed attempt),
    /// oldest first by sequence.
    /// A message whose last attempt's lease ran out is dead from then, though the claim that
    /// writes it so has not run yet (no deliverer may be running): listed, dead since its lease ended.
    public static func deadLetters(communityId: String, testClock: Bool, afterSeq: Int64?, limit: Int64, maxAttempts: Int64) -> Statement {
        Statement(
            """
            SELECT id, seq, kind, channel, recipient_id, meeting_id, attempts,
                   CASE WHEN status = 'leased' THEN \(lostLeaseError) ELSE last_error END AS last_error,
                   created_at, coalesce(done_at, lease_expires_at) AS done_at
            FROM outbox WHERE community_id = $1 AND ($2::bigint IS NULL OR seq > $2)
              AND (status = 'dead' OR (status = 'leased' AND attempts >= $4 AND lease_expires_at <= ml_now($1, $5)))
            ORDER BY seq LIMIT $3
            """, [communityId, afterSeq, limit, maxAttempts, testClock])
    }

    public static func deadLetter(_ r: Row) throws -> JSON {
        [
            "id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "kind": .string(try r.string("kind")),
            "channel": .string(try r.string("channel")), "recipient_id": .optional(try r.optionalString("recipient_id")),
            "meeting_id": .optional(try r.optionalString("meeting_id")), "attempts": .int(try r.int("attempts")),
            "last_error": .optional(try r.optionalString("last_error")), "created_at": .string(try r.instant("created_at").rfc3339),
            "dead_at": .optional(try r.optionalInstant("done_at")?.rfc3339),
        ]
    }

    /// Puts dead messages back in the queue, due at `now` with their attempts counted afresh
    /// (their last error is kept until the next attempt); returns the ids put back. Messages
    /// that are not dead are left as they are.
    public static func retry(_ c: Connection, communityId: String, ids: [String], now: Instant, maxAttempts: Int64) throws -> [String] {
        try c.query(
            """
            UPDATE outbox SET status = 'pending', attempts = 0, available_at = $3, done_at = NULL, lease_owner = NULL, lease_expires_at = NULL
            WHERE community_id = $1 AND id = ANY ($2)
              AND (status = 'dead' OR (status = 'leased' AND attempts >= $4 AND lease_expires_at <= $3))
            RETURNING id
            """, [communityId, PostgresTextArray(ids), now, maxAttempts]
        ).map { try $0.string("id") }
    }
}
