import Community
import Core
import Meetings
import Pipeline
import RPC
import Store
import UseCases

/// `meeting.message.*`: chat between a meeting's two parties (admins may read and write too).
enum ChatAPI {
    static var all: [MethodDefinition] { [post, list] }

    static let messageSchema: Schema = .named("ChatMessage", .object([
        .init("id", .id(.message), required: true), .init("meeting_id", .id(.meeting), required: true),
        .init("seq", .integer(min: 1, max: .max), required: true), .init("author_id", .id(.person), required: true),
        .init("text", .text(), required: true), .init("created_at", .timestamp, required: true),
    ], additional: true))

    static func participant(_ ctx: RequestContext, _ m: Meeting?, _ id: String) throws -> Meeting {
        guard let m else { throw AppError.notFound("meeting", id) }
        guard m.party(of: ctx.actor.id) != nil || ctx.actor.has(.admin) else {
            throw AppError.forbidden("only the meeting's user and expert (and admins) take part in its chat")
        }
        return m
    }

    static let post = MethodDefinition(
        "meeting.message.post", "Sends a chat message about a meeting to the other party", audience: .member, mutating: true,
        params: [.init("meeting_id", .id(.meeting), required: true), .init("text", .text(min: 1, max: 10_000), required: true)],
        result: messageSchema, errors: [DocErrors.notFound],
        body: .command(ChatUseCases.post()))

    static let list = MethodDefinition(
        "meeting.message.list", "A meeting's chat, oldest first", audience: .member, mutating: false,
        params: [.init("meeting_id", .id(.meeting), required: true)] + Page.fields, result: Page.resultSchema(messageSchema),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("meeting_id"), page = try Page(p, key: [.integer])
                return [MeetingQueries.meeting(communityId: scope.communityId, meetingId: id),
                        ChatQueries.messages(communityId: scope.communityId, meetingId: id, afterSeq: page.after?.first?.intValue, limit: page.limit + 1)]
            },
            respond: { ctx, rows, p in
                let m = try participant(ctx, try MeetingQueries.decodeMeeting(rows[0]), try p.string("meeting_id"))
                let items: [JSON] = try rows[1].map { r in
                    ["id": .string(try r.string("id")), "seq": .int(try r.int("seq")), "meeting_id": .string(m.id),
                     "author_id": .string(try r.string("author_id")), "text": .string(try r.string("text")),
                     "created_at": .string(try r.instant("created_at").rfc3339)]
                }
                return try Page(p, key: [.integer]).result(items) { [$0["seq"]!] }
            })))
}
