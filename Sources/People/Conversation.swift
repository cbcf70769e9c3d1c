import Community
import Core
import Meetings

/// A conversation between a user and an expert (seed 000: "You can chat with providers at
/// this step if you want to ask them questions first"; seed 004: the expert can "start a chat
/// with the user"). There is one per user and expert: a meeting's chat continues it.
public struct Conversation: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var expertId: String

    public init(id: String, userId: String, expertId: String) {
        self.id = id
        self.userId = userId
        self.expertId = expertId
    }

    public func isParty(_ personId: String) -> Bool { personId == userId || personId == expertId }
}

/// The side a person takes in a conversation.
public enum ChatSide: String, Sendable, CaseIterable {
    case user, expert
}

/// A message as a decision writes it.
public struct ChatMessage: Sendable, Equatable {
    public var id: String
    public var conversationId: String
    /// The meeting it was written from, if any.
    public var meetingId: String?
    public var authorId: String
    public var text: String

    public var json: JSON {
        ["id": .string(id), "conversation_id": .string(conversationId), "meeting_id": .optional(meetingId), "author_id": .string(authorId),
         "text": .string(text)]
    }
}

/// What a chat step does: the conversation it acts on (started by it, or not), the message it
/// writes, and who is notified of it.
public struct ChatDecision: Sendable, Equatable {
    public var conversation: Conversation
    /// True when this step starts the conversation.
    public var started: Bool
    public var message: ChatMessage?
    /// The people told of the message: everyone of the pair but its author.
    public var recipients: [String]
}

/// The rules of chat, one place for `conversation.*` and `meeting.message.*`.
public enum ChatRules {
    public static let maxTextCharacters = 10_000

    /// A message's text: not blank (whitespace alone says nothing, nor do invisible characters
    /// alone, as a name's rule says), at most 10,000 characters.
    public static func text(_ text: String) throws -> String {
        try NameRule.requireSeen(text, field: "text")
        guard text.count <= maxTextCharacters else {
            throw AppError.invalidParams(field: "text", reason: "must have at most \(maxTextCharacters) characters")
        }
        return text
    }

    /// Which of the actor and `other` is the user and which the expert. A chat is always
    /// between a user and an expert; when both hold both roles, `side` (the actor's) says.
    public static func pair(actorId: String, actorRoles: Set<Role>, other: PersonFacts, side: ChatSide?) throws -> (userId: String, expertId: String) {
        guard other.id != actorId else { throw AppError.invalidParams(field: "person_id", reason: "is yourself; a conversation has two people") }
        var possible: [(ChatSide, String, String)] = []
        if actorRoles.contains(.user) && other.has(.expert) { possible.append((.user, actorId, other.id)) }
        if actorRoles.contains(.expert) && other.has(.user) { possible.append((.expert, other.id, actorId)) }
        if let side { possible.removeAll { $0.0 != side } }
        switch possible.count {
        case 1:
            return (possible[0].1, possible[0].2)
        case 0 where side != nil:
            throw AppError.invalidParams(
                field: "as", reason: "cannot be \(side!.rawValue): a chat is between a user and an expert, and one of you does not hold the role it needs")
        case 0:
            throw AppError.forbidden("a chat is between a user and an expert: one of you must be a user and the other an expert")
        default:
            throw AppError.invalidParams(field: "as", reason: "is required: you and \(other.fullName) are both users and experts; say which side you take")
        }
    }

    /// Starts (or finds) the conversation of the actor and `other`, with an optional first message.
    /// Where the community requires assignments (`acquaintanceRequired`: tutors and their
    /// students, seed 003), an expert starts one only with someone they have a meeting or an
    /// assignment with (`acquainted`); a user may always write first.
    public static func start(
        actorId: String, actorRoles: Set<Role>, other: PersonFacts, side: ChatSide?, existing: [Conversation], text: String?,
        conversationId: String, messageId: String, acquaintanceRequired: Bool = false, acquainted: Bool = true
    ) throws -> ChatDecision {
        let (userId, expertId) = try pair(actorId: actorId, actorRoles: actorRoles, other: other, side: side)
        let found = existing.first { $0.userId == userId && $0.expertId == expertId }
        if found == nil, expertId == actorId, acquaintanceRequired, !acquainted {
            throw AppError.forbidden(
                "in this community an expert starts a chat only with someone they have a meeting or an assignment with; the user may write first")
        }
        let conversation = found ?? Conversation(id: conversationId, userId: userId, expertId: expertId)
        return try decision(conversation, started: found == nil, authorId: actorId, meetingId: nil, text: text, messageId: messageId)
    }

    /// A message in an existing conversation, by one of its two people or an admin.
    public static func post(
        actorId: String, actorRoles: Set<Role>, conversation: Conversation, meetingId: String?, text: String, messageId: String
    ) throws -> ChatDecision {
        try mayWrite(actorId: actorId, actorRoles: actorRoles, conversation)
        return try decision(conversation, started: false, authorId: actorId, meetingId: meetingId, text: text, messageId: messageId)
    }

    /// A message written from a meeting: it goes to the conversation of the meeting's user and
    /// expert, started by this message when they have none yet.
    public static func postInMeeting(
        actorId: String, actorRoles: Set<Role>, meetingId: String, userId: String, expertId: String, existing: [Conversation], text: String,
        conversationId: String, messageId: String
    ) throws -> ChatDecision {
        let found = existing.first { $0.userId == userId && $0.expertId == expertId }
        let conversation = found ?? Conversation(id: conversationId, userId: userId, expertId: expertId)
        guard conversation.isParty(actorId) || actorRoles.contains(.admin) else {
            throw AppError.forbidden("only the meeting's user and expert (and admins) take part in its chat")
        }
        try keepsTheirSide(actorId: actorId, actorRoles: actorRoles, conversation)
        return try decision(conversation, started: found == nil, authorId: actorId, meetingId: meetingId, text: text, messageId: messageId)
    }

    /// The two people of a conversation write in it while they keep the role of their side (a
    /// chat is between a user and an expert); admins may too (a community's moderators).
    public static func mayWrite(actorId: String, actorRoles: Set<Role>, _ conversation: Conversation) throws {
        try mayRead(actorId: actorId, actorRoles: actorRoles, conversation)
        try keepsTheirSide(actorId: actorId, actorRoles: actorRoles, conversation)
    }

    /// The two people of a conversation and admins read it, whatever roles they hold now.
    public static func mayRead(actorId: String, actorRoles: Set<Role>, _ conversation: Conversation) throws {
        guard conversation.isParty(actorId) || actorRoles.contains(.admin) else {
            throw AppError.forbidden("only the conversation's user and expert (and admins) take part in it")
        }
    }

    /// A party who no longer holds the role of their side (an expert who is an expert no more)
    /// reads the conversation but writes in it no more; an admin writes as a moderator.
    static func keepsTheirSide(actorId: String, actorRoles: Set<Role>, _ conversation: Conversation) throws {
        guard !actorRoles.contains(.admin) else { return }
        let side: Role = actorId == conversation.userId ? .user : .expert
        guard actorRoles.contains(side) else {
            throw AppError.forbidden("you are no longer a\(side == .expert ? "n" : "") \(side.rawValue) here: a chat is between a user and an expert, so you may read this one but not write in it")
        }
    }

    /// Whose conversations a caller may list: their own; an admin's, anyone's.
    public static func mayList(actorId: String, actorRoles: Set<Role>, personId: String) throws {
        guard personId == actorId || actorRoles.contains(.admin) else { throw AppError.forbidden("only admins list another person's conversations") }
    }

    static func decision(
        _ conversation: Conversation, started: Bool, authorId: String, meetingId: String?, text: String?, messageId: String
    ) throws -> ChatDecision {
        let message = try text.map {
            ChatMessage(id: messageId, conversationId: conversation.id, meetingId: meetingId, authorId: authorId, text: try self.text($0))
        }
        let recipients = message == nil ? [] : [conversation.userId, conversation.expertId].filter { $0 != authorId }
        return ChatDecision(conversation: conversation, started: started, message: message, recipients: recipients)
    }
}
