import Community
import Core
import Meetings
import People
import Postgres

/// Conversations and their messages: the chat step's locks, its one read (`ml_chat_context`)
/// and its one write (`ml_chat_apply`), and the statements of the chat reads.
public enum ChatStore {
    /// The key's lock, then the pair's when the step may start their conversation: the pair is
    /// `personA` and `personB`, or the meeting's user and expert; none for an existing conversation.
    /// Then the community's chat lock (`LockClass.chatMessages`), held to the commit, so messages
    /// are numbered in the order they commit.
    public static func lock(
        communityId: String, keySubject: String?, conversationId: String?, meetingId: String?, personA: String?, personB: String?
    ) -> Statement {
        Statement(
            "SELECT ml_lock_chat_post($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [communityId, keySubject, LockClass.idempotencyKey.rawValue, LockClass.conversationPair.rawValue, conversationId, meetingId, personA, personB,
             LockClass.chatMessages.rawValue])
    }

    public static func context(
        communityId: String, testClock: Bool, actorId: String, conversationId: String?, meetingId: String?, personId: String?
    ) -> SQLCall {
        SQLCall(
            "ml_chat_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(actorId, "text"), .init(conversationId, "text"), .init(meetingId, "text"),
             .init(personId, "text")])
    }

    /// conversation.start's read: the chat context and whether the actor, as an expert, has a
    /// meeting or an assignment with the person (`acquainted`).
    public static func startContext(communityId: String, testClock: Bool, actorId: String, personId: String) -> SQLCall {
        SQLCall(
            "ml_chat_start_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(actorId, "text"), .init(personId, "text")])
    }

    /// What `ml_chat_context` read.
    public struct Context: Sendable {
        public var now: Instant
        public var settings: CommunitySettings
        public var meeting: (id: String, userId: String, expertId: String)?
        public var conversation: StoredConversation?
        public var person: PersonFacts?
        /// Every conversation between the pair the step is about.
        public var pair: [StoredConversation]
        /// The actor (as an expert) and the person have a meeting or an assignment together
        /// (read by conversation.start only; false elsewhere).
        public var acquainted: Bool
        public var unlogged: [String]
    }

    /// A conversation as read, and as answers show it (with both people's names).
    public struct StoredConversation: Sendable {
        public var conversation: Conversation
        public var json: JSON
    }

    public static func decodeContext(_ json: JSON) throws -> Context {
        let j = StoredJSON(json, path: "context")
        return Context(
            now: try j.instant("now"), settings: try SettingsMemo.settings(stored: j.field("settings")?.value ?? [:]),
            meeting: try j.field("meeting").map { (try $0.string("id"), try $0.string("user_id"), try $0.string("expert_id")) },
            conversation: try j.field("conversation").map(conversation), person: try j.field("person").map(Records.person),
            pair: try j.list("pair").map(conversation), acquainted: j.field("acquainted")?.value.boolValue ?? false, unlogged: try j.strings("unlogged"))
    }

    static func conversation(_ j: StoredJSON) throws -> StoredConversation {
        StoredConversation(
            conversation: Conversation(id: try j.string("id"), userId: try j.string("user_id"), expertId: try j.string("expert_id")), json: j.value)
    }

    /// What the apply answers: the message as stored (a post), or the message and the
    /// conversation under `message` and `conversation` (a start).
    public enum Answer: String, Sendable {
        case message, nested
    }

    /// The one statement applying a chat decision with its notifications.
    public static func apply(communityId: String, now: Instant, decision d: ChatDecision, startedBy: String, outbox: [OutboxMessage], answer: Answer) -> SQLCall {
        var p: [String: JSON] = [
            "community_id": .string(communityId), "now": .string(now.rfc3339), "outbox": .array(outbox.map(\.json)), "answer": .string(answer.rawValue),
            "conversation_id": .string(d.conversation.id),
        ]
        if d.started {
            p["conversation_new"] = [
                "id": .string(d.conversation.id), "user_id": .string(d.conversation.userId), "expert_id": .string(d.conversation.expertId),
                "started_by": .string(startedBy),
            ]
        }
        if let m = d.message { p["message"] = m.json }
        return SQLCall("ml_chat_apply", [.init(JSON.object(p), "jsonb")])
    }

    // MARK: Reads

    public static func conversation(communityId: String, id: String) -> Statement {
        Statement("SELECT ml_conversation_json(c) AS conversation FROM conversations c WHERE c.community_id = $1 AND c.id = $2", [communityId, id])
    }

    /// A page of a person's conversations, latest activity first. One with a message after the
    /// listing began (`after.began`, the last message's sequence number when the first page was
    /// read, which every row carries for the cursor) comes after the others (group 1), so a
    /// conversation that becomes the latest while the list is paged is not skipped; it may come
    /// again, as it is now. Group 1 is in the order of each one's first message after the start
    /// (`first`), which a later message does not change: ordered by their latest activity, one
    /// written to again would move ahead of the page already read and be skipped.
    public static func conversations(
        communityId: String, personId: String, after: (group: Int64, at: Instant, id: String, began: Int64, first: Int64)?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT ml_conversation_json(c) AS conversation, coalesce(c.last_message_at, c.created_at) AS active_at,
                   CASE WHEN n.first IS NULL THEN 0 ELSE 1 END AS grp, coalesce(n.first, 0) AS first, b.began
            FROM conversations c
            CROSS JOIN (SELECT coalesce($6::bigint, (SELECT coalesce(max(x.seq), 0) FROM meeting_messages x WHERE x.community_id = $1)) AS began) b
            CROSS JOIN LATERAL (
                SELECT min(x.seq) AS first FROM meeting_messages x
                WHERE x.community_id = c.community_id AND x.conversation_id = c.id AND x.seq > b.began) n
            WHERE c.community_id = $1 AND (c.user_id = $2 OR c.expert_id = $2)
              AND ($7::int IS NULL
                   OR ($7::int = 0 AND (n.first IS NOT NULL OR (coalesce(c.last_message_at, c.created_at), c.id) < ($3, $4::text)))
                   OR ($7::int = 1 AND n.first > $8::bigint))
            ORDER BY grp, CASE WHEN n.first IS NULL THEN coalesce(c.last_message_at, c.created_at) END DESC,
                     CASE WHEN n.first IS NULL THEN c.id END DESC, n.first
            LIMIT $5
            """, [communityId, personId, after?.at, after?.id, limit, after?.began, after?.group, after?.first])
    }

    /// A page of a conversation's messages, oldest first.
    public static func messages(communityId: String, conversationId: String, afterSeq: Int64?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT id, seq, conversation_id, meeting_id, author_id, ml_display_name(community_id, author_id) AS author_name, text, created_at
            FROM meeting_messages
            WHERE community_id = $1 AND conversation_id = $2 AND ($3::bigint IS NULL OR seq > $3) ORDER BY seq LIMIT $4
            """, [communityId, conversationId, afterSeq, limit])
    }

    /// A page of the conversation a meeting's chat continues: its user's and expert's.
    public static func meetingMessages(communityId: String, meetingId: String, afterSeq: Int64?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT x.id, x.seq, x.conversation_id, x.meeting_id, x.author_id, ml_display_name(x.community_id, x.author_id) AS author_name, x.text,
                   x.created_at
            FROM meetings m
            JOIN conversations c ON c.community_id = m.community_id AND c.user_id = m.user_id AND c.expert_id = m.expert_id
            JOIN meeting_messages x ON x.community_id = c.community_id AND x.conversation_id = c.id
            WHERE m.community_id = $1 AND m.id = $2 AND ($3::bigint IS NULL OR x.seq > $3) ORDER BY x.seq LIMIT $4
            """, [communityId, meetingId, afterSeq, limit])
    }

    public static func messageJSON(_ r: Row) throws -> JSON {
        [
            "id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "conversation_id": .string(try r.string("conversation_id")),
            "meeting_id": .optional(try r.optionalString("meeting_id")), "author_id": .string(try r.string("author_id")),
            "author_name": .string(try r.string("author_name")), "text": .string(try r.string("text")), "created_at": .string(try r.instant("created_at").rfc3339),
        ]
    }

    public static func decodeConversation(_ r: Row) throws -> StoredConversation {
        try conversation(StoredJSON(try r.json("conversation"), path: "conversation"))
    }
}
