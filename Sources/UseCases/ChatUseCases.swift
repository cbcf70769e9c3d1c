import Community
import Core
import Meetings
import People
import Pipeline
import Postgres
import RPC
import Store

/// Chat as commands: the key's lock (and the pair's, when a step may start their
/// conversation), `ml_chat_context`, the rules of `ChatRules` (and the session-log rule: an
/// expert with unlogged sessions logs them first), then the conversation, the message and its
/// notifications written by `ml_chat_apply` in one statement.
public enum ChatUseCases {
    /// `conversation.start`: the conversation of the actor and `person_id` (found, or started),
    /// with an optional first message.
    public static func start() -> CommandPlan {
        CommandPlan(
            locks: { scope, p in
                [ChatStore.lock(
                    communityId: scope.communityId, keySubject: scope.keySubject, conversationId: nil, meetingId: nil, personA: scope.actorId,
                    personB: try p.string("person_id"))]
            },
            context: { scope, p in
                ChatStore.startContext(communityId: scope.communityId, testClock: scope.testClock, actorId: scope.actorId, personId: try p.string("person_id"))
            },
            decide: { ctx, json, p in
                let c = try context(json)
                guard let other = c.person else { throw AppError.notFound("person", try p.string("person_id")) }
                let d = try ChatRules.start(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, other: other, side: p.optionalString("as").flatMap(ChatSide.init(rawValue:)),
                    existing: c.pair.map(\.conversation), text: p.optionalString("text"), conversationId: Identifier.make(.conversation),
                    messageId: Identifier.make(.message), acquaintanceRequired: c.settings.requireEnrollment, acquainted: c.acquainted)
                try sessionLog(ctx, c, d)
                let stored = c.pair.first { $0.conversation == d.conversation }?.json ?? .null
                let response: JSON = ["conversation": stored, "started": .bool(d.started), "message": .null]
                guard d.started || d.message != nil else { return Outcome(response: response, apply: nil) }
                return Outcome(
                    response: response, apply: ChatStore.apply(
                        communityId: ctx.communityId, now: c.now, decision: d, startedBy: ctx.actor.id, outbox: notifications(d), answer: .nested),
                    applyCompletesResponse: true)
            },
            translate: MeetingWrites.translate)
    }

    /// `conversation.post`: a message in an existing conversation.
    public static func post() -> CommandPlan {
        CommandPlan(
            locks: { scope, p in
                [ChatStore.lock(
                    communityId: scope.communityId, keySubject: scope.keySubject, conversationId: try p.string("conversation_id"), meetingId: nil,
                    personA: nil, personB: nil)]
            },
            context: { scope, p in
                ChatStore.context(
                    communityId: scope.communityId, testClock: scope.testClock, actorId: scope.actorId, conversationId: try p.string("conversation_id"),
                    meetingId: nil, personId: nil)
            },
            decide: { ctx, json, p in
                let c = try context(json)
                guard let conversation = c.conversation?.conversation else { throw AppError.notFound("conversation", try p.string("conversation_id")) }
                let d = try ChatRules.post(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, conversation: conversation, meetingId: nil, text: try p.string("text"),
                    messageId: Identifier.make(.message))
                return try messageOutcome(ctx, c, d)
            },
            translate: MeetingWrites.translate)
    }

    /// `meeting.message.post`: a message written from a meeting, in the conversation of its user
    /// and expert (started by it when they have none yet).
    public static func postInMeeting() -> CommandPlan {
        CommandPlan(
            locks: { scope, p in
                [ChatStore.lock(
                    communityId: scope.communityId, keySubject: scope.keySubject, conversationId: nil, meetingId: try p.string("meeting_id"),
                    personA: nil, personB: nil)]
            },
            context: { scope, p in
                ChatStore.context(
                    communityId: scope.communityId, testClock: scope.testClock, actorId: scope.actorId, conversationId: nil,
                    meetingId: try p.string("meeting_id"), personId: nil)
            },
            decide: { ctx, json, p in
                let c = try context(json)
                guard let m = c.meeting else { throw AppError.notFound("meeting", try p.string("meeting_id")) }
                let d = try ChatRules.postInMeeting(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, meetingId: m.id, userId: m.userId, expertId: m.expertId,
                    existing: c.pair.map(\.conversation), text: try p.string("text"), conversationId: Identifier.make(.conversation),
                    messageId: Identifier.make(.message))
                return try messageOutcome(ctx, c, d)
            },
            translate: MeetingWrites.translate)
    }

    static func context(_ json: JSON?) throws -> ChatStore.Context {
        guard let json else { throw AppError.internalError() }
        return try ChatStore.decodeContext(json)
    }

    /// Logging is the only thing left to an expert with unlogged sessions, chat included.
    static func sessionLog(_ ctx: RequestContext, _ c: ChatStore.Context, _ d: ChatDecision) throws {
        if ctx.actor.id == d.conversation.expertId { try SessionLogRule.check(c.settings, unlogged: c.unlogged) }
    }

    static func messageOutcome(_ ctx: RequestContext, _ c: ChatStore.Context, _ d: ChatDecision) throws -> Outcome {
        try sessionLog(ctx, c, d)
        guard let message = d.message else { preconditionFailure("a post always writes a message") }
        return Outcome(
            response: message.json,
            apply: ChatStore.apply(communityId: ctx.communityId, now: c.now, decision: d, startedBy: ctx.actor.id, outbox: notifications(d), answer: .message),
            applyCompletesResponse: true)
    }

    /// A `chat_message` notification to each of the pair but the author, with the whole message
    /// (at most `ChatRules.maxTextCharacters`): the mail carries every word, the push line is cut.
    static func notifications(_ d: ChatDecision) -> [OutboxMessage] {
        guard let m = d.message else { return [] }
        return d.recipients.map { recipient in
            OutboxMessage(
                kind: "chat_message", channel: "notification", recipientId: recipient, meetingId: m.meetingId, eventId: nil,
                payload: ["conversation_id": .string(m.conversationId), "message_id": .string(m.id), "author_id": .string(m.authorId),
                          "text": .string(m.text)])
        }
    }
}
