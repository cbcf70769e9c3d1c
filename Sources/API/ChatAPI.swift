import Core
import People
import Pipeline
import RPC
import Store
import UseCases

/// `conversation.*` and `meeting.message.*`: chat between a user and an expert, before any
/// meeting or from one (a meeting's chat continues the conversation of its two people). Admins
/// may read and write too.
enum ChatAPI {
    static var all: [MethodDefinition] { [start, post, list, messages, postInMeeting, listInMeeting] }

    static let messageSchema: Schema = .named("ChatMessage", .object([
        .init("id", .id(.message), required: true), .init("seq", .integer(min: 1, max: .max), required: true),
        .init("conversation_id", .id(.conversation), required: true), .init("meeting_id", .nullable(.id(.meeting)), required: true),
        .init("author_id", .id(.person), required: true), .init("author_name", .text(), required: true, "As the conversation shows it"),
        .init("text", .text(), required: true), .init("created_at", .timestamp, required: true),
    ], additional: true))

    static let conversationSchema: Schema = .named("Conversation", .object([
        .init("id", .id(.conversation), required: true), .init("user_id", .id(.person), required: true),
        .init("expert_id", .id(.person), required: true), .init("user_name", .text(), required: true, "The user's first and last name"),
        .init("expert_name", .text(), required: true, "The expert's profile name"), .init("started_by", .id(.person), required: true),
        .init("created_at", .timestamp, required: true), .init("last_message_at", .nullable(.timestamp), required: true),
        .init("message_count", .integer(min: 0, max: .max), required: true),
        .init("active_at", .timestamp, "In conversation.list: the last message's time, or the start's without messages (the list's order)"),
    ], additional: true))

    static let text = Schema.Field("text", .text(min: 1, max: ChatRules.maxTextCharacters), required: true)

    static let start = MethodDefinition(
        "conversation.start",
        "Starts (or finds) your conversation with an expert, or as an expert with a user, before or without any meeting; with text, its first message. "
            + "Where the community requires assignments (require_enrollment), an expert starts one only with someone they have a meeting or an "
            + "assignment with (4003 otherwise); a user may always write first",
        audience: .member, mutating: true,
        params: [
            .init("person_id", .id(.person), required: true, "The other person"),
            .init("as", .oneOf(ChatSide.allCases.map(\.rawValue)), "Your side, needed only when you and they both hold the user and expert roles"),
            .init("text", .text(min: 1, max: ChatRules.maxTextCharacters), "A first message (the other person is notified)"),
        ],
        result: .object([
            .init("conversation", conversationSchema, required: true), .init("started", .boolean, required: true, "False when it existed already"),
            .init("message", .nullable(messageSchema), required: true),
        ]),
        errors: [DocErrors.notFound, DocErrors.sessionLog], body: .command(ChatUseCases.start()))

    static let post = MethodDefinition(
        "conversation.post", "Writes a message in a conversation; the other person is notified", audience: .member, mutating: true,
        params: [.init("conversation_id", .id(.conversation), required: true), text], result: messageSchema,
        errors: [DocErrors.notFound, DocErrors.sessionLog],
        body: .command(ChatUseCases.post()))

    /// conversation.list's cursor: group (0, or 1 for a conversation active since the listing
    /// began), latest activity, id, and the last message's sequence number when it began.
    static let listKey: [Page.KeyPart] = [.integer, .time, .text, .integer, .integer]

    static let list = MethodDefinition(
        "conversation.list",
        "Your conversations (admins: anyone's with person_id), latest activity first. One with a new message while the list is paged comes after the others, in the order of its first new message, so no page skips it (it may come again, as it is now)",
        audience: .member, mutating: false,
        params: [.init("person_id", .id(.person), "Whose conversations (admins); default: yours")] + Page.fields,
        result: Page.resultSchema(conversationSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: ChatAPI.listKey)
                let after = try page.after.map {
                    (group: $0[0].intValue ?? 0, at: try Instant(rfc3339: $0[1].stringValue ?? ""), id: $0[2].stringValue ?? "", began: $0[3].intValue ?? 0,
                     first: $0[4].intValue ?? 0)
                }
                return [ChatStore.conversations(
                    communityId: scope.communityId, personId: p.optionalString("person_id") ?? scope.actorId, after: after, limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [p.optionalString("person_id")])
            },
            respond: { ctx, rows, p in
                try ChatRules.mayList(actorId: ctx.actor.id, actorRoles: ctx.actor.roles, personId: p.optionalString("person_id") ?? ctx.actor.id)
                try Existence.require(rows, at: 1)
                let items = try rows[0].map { r -> JSON in
                    var item = try ChatStore.decodeConversation(r).json.objectValue ?? [:]
                    item["active_at"] = .string(try r.instant("active_at").rfc3339)
                    return .object(item)
                }
                let keys = try zip(rows[0], items).map { r, item in
                    [JSON.int(try r.int("grp")), item["active_at"] ?? .null, item["id"] ?? .null, JSON.int(try r.int("began")), JSON.int(try r.int("first"))]
                }
                return try Page(p, key: ChatAPI.listKey).result(items, keys: keys)
            })))

    static let messages = MethodDefinition(
        "conversation.messages", "A conversation's messages, oldest first (every meeting's chat between the two included)",
        audience: .member, mutating: false, params: [.init("conversation_id", .id(.conversation), required: true)] + Page.fields,
        result: Page.resultSchema(messageSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("conversation_id"), page = try Page(p, key: [.integer])
                return [ChatStore.conversation(communityId: scope.communityId, id: id),
                        ChatStore.messages(communityId: scope.communityId, conversationId: id, afterSeq: page.after?.first?.intValue, limit: page.limit + 1)]
            },
            respond: { ctx, rows, p in
                guard let row = rows[0].first else { throw AppError.notFound("conversation", try p.string("conversation_id")) }
                try ChatRules.mayRead(actorId: ctx.actor.id, actorRoles: ctx.actor.roles, try ChatStore.decodeConversation(row).conversation)
                return try Page(p, key: [.integer]).result(try rows[1].map(ChatStore.messageJSON), keyFields: "seq")
            })))

    static let postInMeeting = MethodDefinition(
        "meeting.message.post", "Writes a chat message from a meeting: it continues the conversation of the meeting's user and expert",
        audience: .member, mutating: true, params: [.init("meeting_id", .id(.meeting), required: true), text],
        result: messageSchema, errors: [DocErrors.notFound, DocErrors.sessionLog], body: .command(ChatUseCases.postInMeeting()))

    static let listInMeeting = MethodDefinition(
        "meeting.message.list", "The chat of a meeting's user and expert, oldest first: the whole conversation, before and around this meeting",
        audience: .member, mutating: false, params: [.init("meeting_id", .id(.meeting), required: true)] + Page.fields,
        result: Page.resultSchema(messageSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("meeting_id"), page = try Page(p, key: [.integer])
                return [MeetingQueries.meeting(with: ChatStore.meetingMessages(
                    communityId: scope.communityId, meetingId: id, afterSeq: page.after?.first?.intValue, limit: page.limit + 1))]
            },
            respond: { ctx, rows, p in
                let (meeting, messages) = try MeetingQueries.decodeMeeting(withRows: rows[0])
                guard let m = meeting else { throw AppError.notFound("meeting", try p.string("meeting_id")) }
                try ChatRules.mayRead(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, Conversation(id: "", userId: m.userId, expertId: m.expertId))
                return try Page(p, key: [.integer]).result(try messages.map(ChatStore.messageJSON), keyFields: "seq")
            })))
}
