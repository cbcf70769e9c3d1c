import Community
import Core
import Meetings
import People
import XCTest

final class ChatRulesTests: XCTestCase {
    func person(_ id: String, _ roles: Set<Role>) -> PersonFacts {
        PersonFacts(id: id, email: "\(id)@x.example", firstName: id, lastName: "T", roles: roles, timeZone: "UTC")
    }

    func field(of error: Error) -> String? { (error as? AppError)?.details["field"]?.stringValue }

    func testTheSidesComeFromTheRolesAndAskOnlyWhenBothHoldBoth() throws {
        let expert = person("per_e", [.expert]), user = person("per_u", [.user]), both = person("per_b", [.user, .expert])
        XCTAssertTrue(try ChatRules.pair(actorId: "per_u", actorRoles: [.user], other: expert, side: nil) == ("per_u", "per_e"))
        XCTAssertTrue(try ChatRules.pair(actorId: "per_e", actorRoles: [.expert], other: user, side: nil) == ("per_u", "per_e"))
        XCTAssertTrue(try ChatRules.pair(actorId: "per_x", actorRoles: [.user, .expert], other: user, side: nil) == ("per_u", "per_x"))
        XCTAssertThrowsError(try ChatRules.pair(actorId: "per_x", actorRoles: [.user, .expert], other: both, side: nil)) { XCTAssertEqual(self.field(of: $0), "as") }
        XCTAssertTrue(try ChatRules.pair(actorId: "per_x", actorRoles: [.user, .expert], other: both, side: .expert) == ("per_b", "per_x"))
        XCTAssertThrowsError(try ChatRules.pair(actorId: "per_u", actorRoles: [.user], other: expert, side: .expert)) { XCTAssertEqual(self.field(of: $0), "as") }
        XCTAssertThrowsError(try ChatRules.pair(actorId: "per_u", actorRoles: [.user], other: person("per_v", [.user]), side: nil)) {
            XCTAssertEqual(($0 as? AppError)?.code, .forbidden)
        }
        XCTAssertThrowsError(try ChatRules.pair(actorId: "per_b", actorRoles: [.user, .expert], other: both, side: .user)) {
            XCTAssertEqual(self.field(of: $0), "person_id")
        }
    }

    func testStartingFindsTheConversationOfThePairOrStartsIt() throws {
        let existing = [Conversation(id: "cnv_old", userId: "per_u", expertId: "per_e")]
        let found = try ChatRules.start(
            actorId: "per_e", actorRoles: [.expert], other: person("per_u", [.user]), side: nil, existing: existing, text: nil, conversationId: "cnv_new",
            messageId: "msg_1")
        XCTAssertEqual(found.conversation, existing[0])
        XCTAssertFalse(found.started)
        XCTAssertNil(found.message)
        XCTAssertEqual(found.recipients, [])
        // The same two people with the sides the other way round are another conversation.
        let other = try ChatRules.start(
            actorId: "per_u", actorRoles: [.user, .expert], other: person("per_e", [.user, .expert]), side: .expert, existing: existing, text: "Hi",
            conversationId: "cnv_new", messageId: "msg_1")
        XCTAssertEqual(other.conversation, Conversation(id: "cnv_new", userId: "per_e", expertId: "per_u"))
        XCTAssertTrue(other.started)
        XCTAssertEqual(other.recipients, ["per_e"])
    }

    func testOnlyThePairAndAdminsWriteAndTheOtherSideIsNotified() throws {
        let c = Conversation(id: "cnv_1", userId: "per_u", expertId: "per_e")
        XCTAssertEqual(try ChatRules.post(actorId: "per_u", actorRoles: [.user], conversation: c, meetingId: nil, text: "Hi", messageId: "m").recipients, ["per_e"])
        XCTAssertEqual(try ChatRules.post(actorId: "per_a", actorRoles: [.admin], conversation: c, meetingId: nil, text: "Hi", messageId: "m").recipients,
                       ["per_u", "per_e"], "both hear from an admin")
        XCTAssertThrowsError(try ChatRules.post(actorId: "per_x", actorRoles: [.user, .office], conversation: c, meetingId: nil, text: "Hi", messageId: "m"))
        XCTAssertThrowsError(try ChatRules.post(actorId: "per_u", actorRoles: [.user], conversation: c, meetingId: nil, text: " \n\u{3000}", messageId: "m")) {
            XCTAssertEqual(self.field(of: $0), "text")
        }
        XCTAssertThrowsError(try ChatRules.mayList(actorId: "per_u", actorRoles: [.user, .expert], personId: "per_e"))
        XCTAssertNoThrow(try ChatRules.mayList(actorId: "per_a", actorRoles: [.admin], personId: "per_e"))
    }

    /// A party who lost the role of their side (an expert no more, a user no more) reads the
    /// conversation but no longer writes in it, there or from a meeting; an admin still does.
    func testAPartyWritesWhileTheyKeepTheirSide() throws {
        let c = Conversation(id: "cnv_1", userId: "per_u", expertId: "per_e")
        for (actor, roles) in [("per_e", Set<Role>([.office])), ("per_u", [.finance]), ("per_e", [.user])] {
            XCTAssertThrowsError(try ChatRules.post(actorId: actor, actorRoles: roles, conversation: c, meetingId: nil, text: "Hi", messageId: "m")) {
                XCTAssertEqual(($0 as? AppError)?.code, .forbidden)
                XCTAssertTrue(($0 as? AppError)?.message.contains("you may read this one but not write in it") ?? false, "\($0)")
            }
            XCTAssertNoThrow(try ChatRules.mayRead(actorId: actor, actorRoles: roles, c), "\(actor) still reads it")
            XCTAssertThrowsError(try ChatRules.postInMeeting(
                actorId: actor, actorRoles: roles, meetingId: "mtg_1", userId: "per_u", expertId: "per_e", existing: [c], text: "Hi", conversationId: "c",
                messageId: "m"))
        }
        XCTAssertNoThrow(try ChatRules.post(actorId: "per_e", actorRoles: [.office, .admin], conversation: c, meetingId: nil, text: "Hi", messageId: "m"))
        XCTAssertNoThrow(try ChatRules.post(actorId: "per_u", actorRoles: [.user, .expert], conversation: c, meetingId: nil, text: "Hi", messageId: "m"))
    }

    func testAMeetingsMessageContinuesThePairsConversation() throws {
        let existing = [Conversation(id: "cnv_1", userId: "per_u", expertId: "per_e"), Conversation(id: "cnv_2", userId: "per_e", expertId: "per_u")]
        let d = try ChatRules.postInMeeting(
            actorId: "per_e", actorRoles: [.expert], meetingId: "mtg_1", userId: "per_u", expertId: "per_e", existing: existing, text: "See you",
            conversationId: "cnv_new", messageId: "msg_1")
        XCTAssertEqual(d.conversation.id, "cnv_1")
        XCTAssertFalse(d.started)
        XCTAssertEqual(d.message?.meetingId, "mtg_1")
        XCTAssertThrowsError(try ChatRules.postInMeeting(
            actorId: "per_x", actorRoles: [.user], meetingId: "mtg_1", userId: "per_u", expertId: "per_e", existing: [], text: "Hi", conversationId: "c",
            messageId: "m")) { XCTAssertEqual(($0 as? AppError)?.code, .forbidden) }
    }

    /// Where assignments are required, an expert starts a chat only with someone they have a
    /// meeting or an assignment with; a conversation the user started is the expert's to answer,
    /// and a user may always write first.
    /// A message says something: not white space alone, nor invisible characters alone (a
    /// message of zero-width spaces was sent and notified as an empty one).
    func testAMessageSaysSomethingVisible() throws {
        for silent in ["", "  \n", "\u{200B}\u{200B}", "\u{2060}\u{FEFF} ", "\u{AD}"] {
            XCTAssertThrowsError(try ChatRules.text(silent), silent.debugDescription) { XCTAssertEqual(($0 as? AppError)?.details["field"], "text") }
        }
        XCTAssertEqual(try ChatRules.text("ok\u{200B}"), "ok\u{200B}")
        XCTAssertEqual(try ChatRules.text("👍"), "👍")
    }

    func testAnExpertStartsChatsOnlyWithAcquaintancesWhereAssignmentsAreRequired() throws {
        let user = person("per_u", [.user]), expert = person("per_e", [.expert])
        func start(_ actor: String, _ roles: Set<Role>, _ other: PersonFacts, existing: [Conversation] = [], required: Bool, acquainted: Bool) throws -> ChatDecision {
            try ChatRules.start(
                actorId: actor, actorRoles: roles, other: other, side: nil, existing: existing, text: "hello", conversationId: "cnv_new",
                messageId: "msg_1", acquaintanceRequired: required, acquainted: acquainted)
        }
        XCTAssertThrowsError(try start("per_e", [.expert], user, required: true, acquainted: false)) {
            XCTAssertEqual(($0 as? AppError)?.code, .forbidden)
            // An expert who may not look the user up is not told their name by the refusal.
            XCTAssertFalse(($0 as? AppError)?.message.contains(user.firstName) ?? true, "\($0)")
        }
        XCTAssertTrue(try start("per_e", [.expert], user, required: true, acquainted: true).started)
        XCTAssertTrue(try start("per_e", [.expert], user, required: false, acquainted: false).started, "open communities: anyone")
        XCTAssertTrue(try start("per_u", [.user], expert, required: true, acquainted: false).started, "a user may write first")
        let theirs = [Conversation(id: "cnv_u", userId: "per_u", expertId: "per_e")]
        let answered = try start("per_e", [.expert], user, existing: theirs, required: true, acquainted: false)
        XCTAssertEqual(answered.conversation, theirs[0])
        XCTAssertEqual(answered.recipients, ["per_u"])
    }
}
