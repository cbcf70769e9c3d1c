import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// Chat as a command: the meeting's context read, the rules (a party or an admin; an expert
/// with unlogged sessions logs them first; no blank text) decided here, the message and its
/// notifications written in one statement.
public enum ChatUseCases {
    public static func post() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keySubject.map { [Locks.key(communityId: scope.communityId, keySubject: $0)] } ?? [] },
            context: { scope, params in
                BookingContextQuery.call(communityId: scope.communityId, testClock: scope.testClock, meetingId: try params.string("meeting_id"))
            },
            decide: { ctx, json, params in
                let c = try MeetingUseCases.context(json)
                guard let m = c.meeting else { throw AppError.notFound("meeting", try params.string("meeting_id")) }
                guard m.party(of: ctx.actor.id) != nil || ctx.actor.has(.admin) else {
                    throw AppError.forbidden("only the meeting's user and expert (and admins) take part in its chat")
                }
                // Logging is the only thing left to an expert with unlogged sessions, not chat.
                if ctx.actor.id == m.expertId { try SessionLogRule.check(c.settings, unlogged: c.unloggedMeetingIds) }
                let text = try params.string("text")
                guard !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
                    throw AppError.invalidParams(field: "text", reason: "must not be blank")
                }
                let id = Identifier.make(.message)
                var writes = WriteSet(communityId: ctx.communityId, now: c.now, ledgerAt: nil, actorId: ctx.actor.id)
                writes.message = (id, m.id, ctx.actor.id, text)
                writes.outbox = [m.userId, m.expertId].filter { $0 != ctx.actor.id }.map { recipient in
                    OutboxMessage(
                        kind: "chat_message", channel: "notification", recipientId: recipient, meetingId: m.id, eventId: nil,
                        payload: ["message_id": .string(id), "text": .string(String(text.prefix(500))), "author_id": .string(ctx.actor.id)])
                }
                return Outcome(
                    response: ["id": .string(id), "meeting_id": .string(m.id), "author_id": .string(ctx.actor.id), "text": .string(text),
                               "created_at": .string(c.now.rfc3339)],
                    apply: writes.call, applyCompletesResponse: true)
            },
            translate: MeetingWrites.translate)
    }
}
