import Core
import Meetings
import Postgres

/// Reads of meetings for the read-only methods: each one statement.
public enum MeetingQueries {
    /// One meeting with both parties' names (`meeting` column) and `student_linked`
    /// (`studentLinked`); no row when there is none.
    public static func meeting(communityId: String, meetingId: String) -> Statement {
        Statement(
            "SELECT ml_meeting_json(m.community_id, m.id) AS meeting, \(studentLinked("m")) FROM meetings m WHERE m.community_id = $1 AND m.id = $2",
            [communityId, meetingId])
    }

    /// The column `student_linked` of meeting row `m`: for a meeting booked for a student,
    /// whether its user still acts for them (false: the experts' side can only decline it);
    /// null without a student.
    static func studentLinked(_ m: String) -> String {
        """
        CASE WHEN \(m).student_id IS NOT NULL THEN EXISTS (
            SELECT 1 FROM student_links k WHERE k.community_id = \(m).community_id AND k.customer_id = \(m).user_id AND k.student_id = \(m).student_id)
        END AS student_linked
        """
    }

    /// What a read adds to the meeting's JSON from `studentLinked`'s column.
    public static func studentLinkedField(_ row: Row) throws -> [String: JSON] {
        try row.isNull("student_linked") ? [:] : ["student_linked": .bool(try row.bool("student_linked"))]
    }

    public static func decodeMeeting(_ rows: Rows) throws -> Meeting? {
        guard let row = rows.first else { return nil }
        return try meeting(in: row)
    }

    /// The meeting and `rows`, a statement whose $1 is the community and $2 the meeting (as every
    /// read of a meeting's rows takes them), in one statement: one snapshot, so what the meeting
    /// says (its credit status, what it hides from whom) is what its rows show. Two statements
    /// under READ COMMITTED take two, and a change committed between them was half seen. One row
    /// per row of `rows`, in their order (one with only the meeting when there are none); the
    /// meeting on the first alone (it was sent again with every row: 500 messages of a large
    /// meeting were 500 copies of it).
    public static func meeting(with rows: Statement) -> Statement {
        Statement(
            """
            SELECT CASE WHEN coalesce(r.meeting_row, 1) = 1 THEN m.meeting END AS meeting, r.*
            FROM (SELECT ml_meeting_json($1, $2) AS meeting) m
            LEFT JOIN LATERAL (SELECT row_number() OVER () AS meeting_row, x.* FROM (\(rows.sql)) x) r ON true
            ORDER BY r.meeting_row
            """, rows.params)
    }

    /// The meeting (nil: none) and its rows read by `meeting(with:)`.
    public static func decodeMeeting(withRows rows: Rows) throws -> (meeting: Meeting?, rows: [Row]) {
        (try decodeMeeting(rows), try rows.filter { !(try $0.isNull("meeting_row")) })
    }

    /// The `meeting` column of a row (NULL: none).
    public static func meeting(in row: Row) throws -> Meeting? {
        guard let json = try row.optionalJSON("meeting") else { return nil }
        return try Records.meeting(StoredJSON(json, path: "meeting"))
    }

    /// Which of a person's meetings to list.
    public struct ListFilter: Sendable {
        public var personId: String
        /// `user` or `expert`: the side the person is on; nil for both.
        public var side: Party?
        public var status: String?
        public var from: Instant?
        public var to: Instant?
        public var now: Instant?

        public init(personId: String, side: Party?, status: String?, from: Instant?, to: Instant?) {
            self.personId = personId
            self.side = side
            self.status = status
            self.from = from
            self.to = to
        }
    }

    /// A page of a person's meetings on one side or both (a meeting's student is on the user's
    /// side; `side` says which, per row): those awaiting their action first (rank 0), then by
    /// start; ending after `from` (default: the service's time).
    /// A meeting that changes while the list is paged (a new date proposed, an answer given)
    /// may change its rank and its start: one written by a transaction the first page's snapshot
    /// did not see is listed after the others (rank 2), in the order of the changes read
    /// (`ChangePage`), so paging never skips it; it may be listed again, as it is now. Which
    /// meetings await the reader, and which have ended, is read at the time the first page was
    /// (`after.listedAt`): a meeting that ends while the list is paged (the expert's session to
    /// log) keeps the place it had by start, instead of moving up to a group the pages have passed.
    public static func list(
        communityId: String, testClock: Bool, filter f: ListFilter, after: (rank: Int64, start: String, id: String, changes: ChangePage, listedAt: Instant)?, limit: Int64
    ) -> Statement {
        // The fragments are fixed texts chosen by the side, never the caller's text.
        let onUserSide = "(m.user_id = $2 OR m.student_id = $2)"
        let people: String
        switch f.side {
        case .user?: people = onUserSide
        case .expert?: people = "m.expert_id = $2"
        case nil: people = "(m.expert_id = $2 OR \(onUserSide))"
        }
        // The expert answers requests, new dates the user accepted (to make the session) and
        // the user's alternates; the user (not a student) answers the expert's.
        // An agreed meeting that has ended waits for its expert's session log; a new date whose
        // time has passed waits for nobody (MeetingState.awaiting(at:) as the rows read it).
        let awaiting = """
            (CASE WHEN m.status = 'awaiting_approval' AND m.start_at <= coalesce($13::timestamptz, ml_now($1, $8)) THEN 1
                  WHEN m.status = 'agreed' AND m.start_at <= coalesce($13::timestamptz, ml_now($1, $8))
                  THEN CASE WHEN m.expert_id = $2 AND m.end_at <= coalesce($13::timestamptz, ml_now($1, $8)) THEN 0 ELSE 1 END
                  WHEN m.status = 'agreed' AND m.alternate_start_at <= coalesce($13::timestamptz, ml_now($1, $8)) THEN 1
                  WHEN m.expert_id = $2
                  THEN CASE WHEN \(expertSideAwaits) OR (m.status = 'agreed' AND m.end_at <= coalesce($13::timestamptz, ml_now($1, $8))) THEN 0 ELSE 1 END
                  ELSE CASE WHEN m.user_id = $2 AND ((m.status = 'awaiting_approval' AND NOT m.user_approved)
                              OR (m.status = 'agreed' AND m.alternate_proposed_by = 'expert')) THEN 0 ELSE 1 END
             END)
            """
        // The candidates: meetings ending after `from` (now by default), which start after it
        // less a day, the longest a meeting lasts (a CHECK), said so the start_at indexes bound
        // the read to the window instead of the person's whole history; and by default the
        // agreed meetings that have ended, whenever they were: the expert's sessions still to
        // log, and on the user's side the meetings whose credits stay held until then (each by
        // its own index, agreed by end, or a student's few), arms rather than an OR, which a
        // generic plan read as the whole history.
        let ended = "m.status = 'agreed' AND m.end_at <= coalesce($13::timestamptz, ml_now($1, $8))"
        let candidates = f.from == nil
            ? """
              (SELECT m.*, m.xmin AS row_xmin FROM meetings m WHERE m.community_id = $1 AND \(people) AND $4::timestamptz IS NULL
                   AND m.start_at > coalesce($13::timestamptz, ml_now($1, $8)) - interval '1 day' AND m.end_at > coalesce($13::timestamptz, ml_now($1, $8))
               UNION ALL
               SELECT m.*, m.xmin AS row_xmin FROM meetings m WHERE m.community_id = $1 AND \(people) AND m.expert_id = $2 AND \(ended)
               UNION ALL
               SELECT m.*, m.xmin AS row_xmin FROM meetings m WHERE m.community_id = $1 AND \(people) AND m.user_id = $2 AND \(ended)
               UNION ALL
               SELECT m.*, m.xmin AS row_xmin FROM meetings m WHERE m.community_id = $1 AND \(people) AND m.student_id = $2 AND m.user_id <> $2
                   AND \(ended))
              """
            : """
              (SELECT m.*, m.xmin AS row_xmin FROM meetings m WHERE m.community_id = $1 AND \(people)
                   AND m.start_at > $4::timestamptz - interval '1 day' AND m.end_at > $4::timestamptz)
              """
        // $4 and $5 are named even where they are not compared, so that every parameter has a type.
        let until = f.to == nil ? "$5::timestamptz IS NULL" : "m.start_at < $5::timestamptz"
        let rank = "(CASE WHEN c.changed THEN 2 WHEN \(awaiting) = 0 THEN 0 ELSE 1 END)"
        return Statement(
            """
            SELECT ml_meeting_json(m.community_id, m.id) AS meeting, \(rank) AS rank, \(ChangePage.columns),
                   coalesce($13::timestamptz, ml_now($1, $8)) AS listed_at,
                   CASE WHEN m.expert_id = $2 THEN 'expert' ELSE 'user' END AS side, \(studentLinked("m"))
            FROM \(candidates) m
            \(ChangePage.join(prev: 11, cur: 12, rowXmin: "m.row_xmin"))
            WHERE ($3::text IS NULL OR m.status = $3) AND \(until)
              AND ($6::int IS NULL
                   OR ($6::int < 2 AND (\(rank), m.start_at, m.id) > ($6::int, $7::timestamptz, $9::text))
                   OR ($6::int = 2 AND \(ChangePage.after(changedBy: 14, id: 9))))
            ORDER BY rank, \(ChangePage.order)
            LIMIT $10
            """,
            [communityId, f.personId, f.status, f.from, f.to, after?.rank, after?.start, testClock, after?.id, limit,
             after?.changes.prev.text, after?.changes.cur.text, after?.listedAt, after?.changes.changedBy])
    }

    /// What waits for the expert's side (the expert, or the office for them): a request to
    /// answer, a new date the user accepted (the session to make), the user's new date for an
    /// agreed meeting.
    static let expertSideAwaits = """
        ((m.status = 'awaiting_approval' AND (NOT m.expert_approved OR m.user_approved))
         OR (m.status = 'agreed' AND m.alternate_proposed_by = 'user'))
        """

    /// A page of everything waiting for the experts' side in the community, soonest start
    /// first: the office's list of requests to process (seed 003). A meeting changed since the
    /// listing began comes after the others (`changed` 1), in the order of the changes read
    /// (`ChangePage`): by start, one moved to a time the pages had passed (a user's new date for
    /// their request) would be skipped.
    public static func waiting(
        communityId: String, testClock: Bool, expertId: String?, after: (changed: Int64, start: String, id: String, changes: ChangePage)?,
        limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT ml_meeting_json(m.community_id, m.id) AS meeting, 'expert' AS side, \(ChangePage.columns),
                   CASE WHEN c.changed THEN 1 ELSE 0 END AS changed, \(studentLinked("m"))
            FROM meetings m
            \(ChangePage.join(prev: 7, cur: 8))
            WHERE m.community_id = $1 AND m.status IN ('awaiting_approval', 'agreed') AND \(expertSideAwaits)
              AND m.start_at > ml_now($1, $2) AND ($3::text IS NULL OR m.expert_id = $3)
              AND NOT (m.status = 'agreed' AND m.alternate_start_at <= ml_now($1, $2))
              AND ($9::int IS NULL
                   OR ($9::int = 0 AND (c.changed OR (m.start_at, m.id) > ($4::timestamptz, $5::text)))
                   OR ($9::int = 1 AND \(ChangePage.after(changedBy: 10, id: 5))))
            ORDER BY c.changed, \(ChangePage.order)
            LIMIT $6
            """, [communityId, testClock, expertId, after?.start, after?.id, limit, after?.changes.prev.text, after?.changes.cur.text, after?.changed,
                  after?.changes.changedBy])
    }

    /// A page of a meeting's timeline after event `afterSeq`.
    public static func timeline(communityId: String, meetingId: String, afterSeq: Int64?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT id, seq, kind, actor_id, actor_role, reason_code, note, details, created_at FROM meeting_events
            WHERE community_id = $1 AND meeting_id = $2 AND ($3::bigint IS NULL OR seq > $3) ORDER BY seq LIMIT $4
            """, [communityId, meetingId, afterSeq, limit])
    }

    public static func timelineJSON(_ r: Row) throws -> JSON {
        let details = try r.json("details")
        return [
            "id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "kind": .string(try r.string("kind")),
            "actor_id": .optional(try r.optionalString("actor_id")), "actor_role": .string(try r.string("actor_role")),
            "reason_code": .optional(try r.optionalString("reason_code")),
            "reason_label": try r.isNull("reason_code") ? .null : .optional(details["reason_label"]?.stringValue),
            "note": .optional(try r.optionalString("note")), "details": details, "at": .string(try r.instant("created_at").rfc3339),
        ]
    }

    /// The expert's agreed meetings overlapping a time (or the time of a meeting, or its open
    /// alternate), other than that meeting: `meeting` and `conflicts` columns. They are those the
    /// expert attends, as the expert or as the one another expert's meeting is for (its student,
    /// else its user), as a booking counts them.
    public static func conflicts(communityId: String, meetingId: String?, expertId: String, start: Instant?, lengthMinutes: Int64?) -> Statement {
        Statement(
            """
            WITH target AS (
                SELECT coalesce(m.expert_id, $3) AS expert_id,
                       coalesce($4::timestamptz, m.alternate_start_at, m.start_at) AS start_at,
                       coalesce($5::int, CASE WHEN $4::timestamptz IS NULL THEN coalesce(m.alternate_length_minutes, m.length_minutes) END,
                                m.length_minutes) AS length_minutes
                FROM (SELECT 1) one LEFT JOIN meetings m ON m.community_id = $1 AND m.id = $2
            )
            , overlapping AS (
                SELECT o.id, o.start_at
                FROM target t JOIN meetings o ON o.community_id = $1 AND o.status = 'agreed'
                 AND (o.expert_id = t.expert_id OR o.student_id = t.expert_id OR (o.student_id IS NULL AND o.user_id = t.expert_id))
                 AND o.id IS DISTINCT FROM $2
                 AND tstzrange(o.start_at, o.end_at) && tstzrange(t.start_at, t.start_at + make_interval(mins => t.length_minutes))
                WHERE t.start_at IS NOT NULL AND t.length_minutes IS NOT NULL
            )
            SELECT ml_meeting_json($1, $2) AS meeting,
                   (SELECT coalesce(jsonb_agg(ml_meeting_json($1, f.id) ORDER BY f.start_at, f.id), '[]')
                    FROM (SELECT id, start_at FROM overlapping ORDER BY start_at, id LIMIT $6) f) AS conflicts,
                   (SELECT count(*) FROM overlapping) AS conflicts_count
            """, [communityId, meetingId, expertId, start, lengthMinutes, Listed.atMost])
    }

    /// Every credit movement of one meeting, in order.
    public static func trail(communityId: String, meetingId: String) -> Statement {
        Statement(
            """
            SELECT t.transfer_id, t.seq, t.kind, t.phase, t.amount, t.debit_account_id, t.credit_account_id, t.pending_id, t.created_at,
                   d.kind AS debit_kind, d.owner_id AS debit_owner_id, dp.first_name || ' ' || dp.last_name AS debit_owner_name,
                   c.kind AS credit_kind, c.owner_id AS credit_owner_id, cp.first_name || ' ' || cp.last_name AS credit_owner_name
            FROM finance_meeting_trail t
            JOIN accounts d ON d.community_id = t.community_id AND d.id = t.debit_account_id
            JOIN accounts c ON c.community_id = t.community_id AND c.id = t.credit_account_id
            LEFT JOIN people dp ON dp.community_id = d.community_id AND dp.id = d.owner_id
            LEFT JOIN people cp ON cp.community_id = c.community_id AND cp.id = c.owner_id
            WHERE t.community_id = $1 AND t.meeting_id = $2 ORDER BY t.seq
            """, [communityId, meetingId])
    }

    public static func trailJSON(_ r: Row) throws -> JSON {
        [
            "id": .string(try r.string("transfer_id")), "seq": .int(try r.int("seq")), "kind": .string(try r.string("kind")),
            "phase": .string(try r.string("phase")), "credits": .int(try r.int("amount")),
            "debit_account_id": .string(try r.string("debit_account_id")), "credit_account_id": .string(try r.string("credit_account_id")),
            // What each account is, for a reader who may not look it up (a party, another's wallet):
            // the meeting's parties and the community's own accounts, named as meeting.get names them.
            "debit_account_kind": .string(try r.string("debit_kind")), "debit_account_owner_id": .optional(try r.optionalString("debit_owner_id")),
            "debit_account_owner_name": .optional(try r.optionalString("debit_owner_name")),
            "credit_account_kind": .string(try r.string("credit_kind")), "credit_account_owner_id": .optional(try r.optionalString("credit_owner_id")),
            "credit_account_owner_name": .optional(try r.optionalString("credit_owner_name")),
            "pending_id": .optional(try r.optionalString("pending_id")), "created_at": .string(try r.instant("created_at").rfc3339),
        ]
    }
}
