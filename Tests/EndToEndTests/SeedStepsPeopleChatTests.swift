import Foundation
import XCTest

/// Chat before booking and a meeting's chat continuing it (seeds 000 and 004), through
/// meetingd's pipes and meetctl.
final class SeedStepsPeopleChatTests: EndToEndTestCase {
    func texts(of conversation: String, as actor: String, _ w: MeetingWorld) throws -> [String] {
        try w.meetingd.allPages("conversation.messages", as: actor, ["conversation_id": .string(conversation)]).compactMap { $0["text"]?.string }
    }

    /// `count` users who each start a conversation with the expert, a minute apart: their ids,
    /// oldest first.
    func inbox(_ w: MeetingWorld, _ count: Int, _ name: String) throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            let user = try w.addUser(name: "\(name)\(i)")
            let started = try w.meetingd.result("conversation.start", as: user, ["person_id": .string(w.expert), "text": .string("Hello \(i)")])
            ids.append(try XCTUnwrap(started["conversation"]?["id"]?.string))
            try w.advanceClock(minutes: 1)
        }
        return ids
    }

    /// An inbox paged latest first does not lose a conversation that gets a message while it is
    /// paged: the conversation comes after the others, with its new message count.
    func testAConversationActiveWhilePagingIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let ids = try inbox(w, 4, "inbox")
        let first = try w.meetingd.result("conversation.list", as: w.expert, ["limit": 2])
        XCTAssertEqual(first["items"]?.array?.compactMap { $0["id"]?.string }, [ids[3], ids[2]], "latest activity first")
        try w.meetingd.result("conversation.post", as: w.expert, ["conversation_id": .string(ids[0]), "text": "Answering the oldest"])
        var seen = first["items"]?.array?.compactMap { $0["id"]?.string } ?? [], cursor = first["next_cursor"]
        while let next = cursor, next != .null {
            let page = try w.meetingd.result("conversation.list", as: w.expert, ["limit": 2, "cursor": next])
            seen += (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
            cursor = page["next_cursor"]
        }
        XCTAssertEqual(seen, [ids[3], ids[2], ids[1], ids[0]], "each conversation once, the active one after the others")
        let fresh = try w.meetingd.allPages("conversation.list", as: w.expert).compactMap { $0["id"]?.string }
        XCTAssertEqual(fresh.first, ids[0], "a new listing puts it first")
    }

    /// Messages are numbered in the order they commit. A post that took its number and waits to
    /// commit (here on its conversation's row, held from psql) holds back a post in another
    /// conversation: that one committed a later number first, a list paged past it, and the
    /// waiting message's conversation was skipped when it committed.
    func testAPostWaitingToCommitHoldsBackLaterNumbers() throws {
        let w = try MeetingWorld(self, label: #function)
        let ids = try inbox(w, 2, "order")
        func post(_ conversation: String, _ text: String, id: Int) -> String {
            #"{"jsonrpc":"2.0","id":\#(id),"method":"conversation.post","params":{"actor":"\#(w.expert)","conversation_id":"\#(conversation)","text":"\#(text)"}}"#
        }
        let holder = try PsqlSession(databaseURL)
        try holder.query("BEGIN; SELECT 1 FROM conversations WHERE id = \(Psql.literal(ids[0])) FOR UPDATE;")
        let first = try startMeetingd(["--test-clock"]), second = try startMeetingd(["--test-clock"])
        try first.send(post(ids[0], "first", id: 1))
        Thread.sleep(forTimeInterval: 0.5)  // its number taken, waiting on the row
        try second.send(post(ids[1], "second", id: 2))
        XCTAssertThrowsError(try second.readResponse(timeout: 1.5), "the later post waits for the earlier one's commit")
        try holder.query("ROLLBACK;")
        holder.close()
        let seqs = try [first, second].map { try XCTUnwrap(Meetingd.result(of: try $0.readResponse(timeout: 20))["seq"]?.int) }
        XCTAssertLessThan(seqs[0], seqs[1], "numbers in commit order")
    }

    /// A conversation written to again while the others written to since the listing began are
    /// paged keeps its place among them: they come in the order of their first new message, so
    /// a second message does not move it ahead of the pages already read.
    func testAConversationWrittenToTwiceWhilePagingIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let ids = try inbox(w, 4, "twice")
        func post(_ i: Int) throws {
            try w.meetingd.result("conversation.post", as: w.expert, ["conversation_id": .string(ids[i]), "text": "Answer"])
            try w.advanceClock(minutes: 1)
        }
        var page = try w.meetingd.result("conversation.list", as: w.expert, ["limit": 1])
        var seen = (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
        func next() throws {
            page = try w.meetingd.result("conversation.list", as: w.expert, ["limit": 1, "cursor": try XCTUnwrap(page["next_cursor"])])
            seen += (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
        }
        try post(0)
        try post(1)
        try next()  // ids[2], the last not written to since
        try next()  // ids[0], the first written to since
        try post(0)  // written to again: still before ids[1]
        try post(1)
        while page["next_cursor"] != nil && page["next_cursor"] != .null { try next() }
        XCTAssertEqual(seen, [ids[3], ids[2], ids[0], ids[1]], "each conversation once")
    }

    /// Seed 000 (students' booking flow): "You can chat with providers at this step if you want
    /// to ask them questions first." The conversation exists before any meeting; once booked,
    /// the meeting's chat continues it, and each message notifies the other side.
    func testStudentsChatWithProvidersBeforeBookingAndTheMeetingsChatContinuesIt() throws {
        let w = try MeetingWorld(self, label: #function)
        _ = try w.drainOutbox()
        let started = try w.meetingd.result("conversation.start", as: w.user, ["person_id": .string(w.expert), "text": "Do you cover titrations?"])
        XCTAssertEqual(started["started"], true)
        let conversation = try XCTUnwrap(started["conversation"]?["id"]?.string)
        XCTAssertEqual(started["conversation"]?["user_id"]?.string, w.user)
        XCTAssertEqual(started["conversation"]?["expert_id"]?.string, w.expert)
        XCTAssertEqual(started["conversation"]?["message_count"], 1)
        XCTAssertEqual(started["message"]?["meeting_id"], .null, "no meeting yet")
        XCTAssertNotNil(started["message"]?["seq"]?.int)

        let toExpert = try w.drainOutbox().filter { $0.kind == "chat_message" }
        XCTAssertEqual(toExpert.map(\.recipientId), [w.expert], "the expert is notified")
        let rendered = toExpert.first?.raw["rendered"]
        XCTAssertEqual(rendered?["subject"], "[E2E] New message from Pat Tester")
        XCTAssertTrue(rendered?["text"]?.string?.contains("Do you cover titrations?") ?? false, "\(String(describing: rendered))")

        // The expert's profile name is what the chat shows them by, and so the mail about it.
        try w.meetingd.result("person.set_profile", as: w.admin, ["person_id": .string(w.expert), "display_name": "Dr. Talia"])
        let reply = try w.meetingd.result("conversation.post", as: w.expert, ["conversation_id": .string(conversation), "text": "Yes, book any Monday."])
        XCTAssertEqual(reply["conversation_id"]?.string, conversation)
        XCTAssertEqual(reply["author_name"]?.string, "Dr. Talia")
        let toUser = try w.drainOutbox().filter { $0.kind == "chat_message" }
        XCTAssertEqual(toUser.map(\.recipientId), [w.user], "the user is notified")
        XCTAssertEqual(toUser.first?.raw["rendered"]?["subject"], "[E2E] New message from Dr. Talia", "the name the chat shows, not the legal name")
        let again = try w.meetingd.result("conversation.start", as: w.user, ["person_id": .string(w.expert)])
        XCTAssertEqual(again["started"], false)
        XCTAssertEqual(again["conversation"]?["id"]?.string, conversation, "one conversation per user and expert")
        XCTAssertEqual(again["conversation"]?["message_count"], 2)

        // Booked: the meeting's chat is the same conversation, before and after.
        let meeting = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let fromMeeting = try w.meetingd.result("meeting.message.post", as: w.expert, ["meeting_id": .string(meeting), "text": "See you Monday."])
        XCTAssertEqual(fromMeeting["conversation_id"]?.string, conversation)
        XCTAssertEqual(fromMeeting["meeting_id"]?.string, meeting)
        let all = ["Do you cover titrations?", "Yes, book any Monday.", "See you Monday."]
        XCTAssertEqual(try w.meetingd.allPages("meeting.message.list", as: w.user, ["meeting_id": .string(meeting)]).compactMap { $0["text"]?.string }, all)
        XCTAssertEqual(try texts(of: conversation, as: w.expert, w), all)
        XCTAssertEqual(try texts(of: conversation, as: w.admin, w), all, "admins read too")
        let firstPage = try w.meetingd.result("conversation.messages", as: w.user, ["conversation_id": .string(conversation), "limit": 2])
        XCTAssertEqual(firstPage["items"]?.array?.count, 2)
        XCTAssertNotEqual(firstPage["next_cursor"], .null)
        let list = try w.meetingd.allPages("conversation.list", as: w.expert)
        XCTAssertEqual(list.compactMap { $0["id"]?.string }, [conversation])
        XCTAssertEqual(list.first?["message_count"], 3)
        XCTAssertEqual(list.first?["user_name"], "Pat Tester")

        // Others neither read nor write; bad input changes nothing.
        let stranger = try w.addUser(name: "stranger")
        try w.meetingd.error("conversation.messages", as: stranger, ["conversation_id": .string(conversation)], code: 4003)
        try w.meetingd.error("conversation.post", as: stranger, ["conversation_id": .string(conversation), "text": "hi"], code: 4003)
        try w.meetingd.error("meeting.message.list", as: stranger, ["meeting_id": .string(meeting)], code: 4003)
        try w.meetingd.error("conversation.list", as: stranger, ["person_id": .string(w.user)], code: 4003)
        try w.meetingd.error("conversation.start", as: stranger, ["person_id": .string(w.user), "text": "hello"], code: 4003)
        try w.meetingd.error("conversation.start", as: w.user, ["person_id": .string(w.user)], code: -32602)
        try w.meetingd.error("conversation.post", as: w.user, ["conversation_id": .string(conversation), "text": " \n\t "], code: -32602)
        try w.meetingd.error("conversation.post", as: w.user, ["conversation_id": "cnv_00000000000000000000000000000000", "text": "hi"], code: 4004)
        XCTAssertEqual(try texts(of: conversation, as: w.user, w), all, "unchanged")
        XCTAssertEqual(try w.meetingd.allPages("conversation.list", as: stranger), [])
    }

    /// Where the community requires assignments (seed 003's tutors and students), a tutor starts
    /// a chat only with someone they have a meeting or an assignment with: not another family's
    /// student. A user may write first, and the tutor answers in that conversation.
    func testATutorStartsChatsOnlyWithTheirOwnWhereAssignmentsAreRequired() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["require_enrollment": true])
        let stranger = try w.addNamedUser(firstName: "Bea", lastName: "Student", credits: 0)
        let refused = try w.meetingd.error("conversation.start", as: w.expert, ["person_id": .string(stranger), "text": "Lessons with me instead?"], code: 4003)
        XCTAssertTrue(refused["message"]?.string?.contains("meeting or an assignment") == true, "\(refused)")
        XCTAssertEqual(try w.meetingd.allPages("conversation.list", as: stranger), [], "nothing was started")
        XCTAssertEqual(try w.drainOutbox().filter { $0.kind == "chat_message" }.count, 0, "and nobody was written to")

        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        let assigned = try w.meetingd.result("conversation.start", as: w.expert, ["person_id": .string(w.user), "text": "Welcome!"])
        XCTAssertEqual(assigned["started"], true)

        let asked = try w.meetingd.result("conversation.start", as: stranger, ["person_id": .string(w.expert), "text": "Do you teach decimals?"])
        let found = try w.meetingd.result("conversation.start", as: w.expert, ["person_id": .string(stranger), "text": "Ask your office to assign you"])
        XCTAssertEqual(found["started"], false)
        XCTAssertEqual(found["conversation"]?["id"], asked["conversation"]?["id"])
    }

    /// A long message reaches the other side whole: the mail carries every word of it, and the
    /// payload the message as written; only the push line is cut (and says so).
    func testALongMessageIsNotifiedWhole() throws {
        let w = try MeetingWorld(self, label: #function)
        _ = try w.drainOutbox()
        let words = (1...400).map { "word\($0)" }.joined(separator: " ") + " é" + String(repeating: "x", count: 600) + " the end."
        XCTAssertGreaterThan(words.count, 3_000)
        try w.meetingd.result("conversation.start", as: w.user, ["person_id": .string(w.expert), "text": .string(words)])
        let told = try XCTUnwrap(try w.drainOutbox().first { $0.kind == "chat_message" })
        XCTAssertEqual(told.raw["payload"]?["text"]?.string, words, "the payload's text is the message as written")
        let body = told.raw["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(body.contains("word400 é" + String(repeating: "x", count: 600) + " the end."), body)
        let push = told.raw["rendered"]?["push"]?.string ?? ""
        XCTAssertLessThanOrEqual(push.count, 140)
        XCTAssertTrue(push.hasSuffix("…"), push)
    }

    /// Hostile text is kept exactly where it is data, and made harmless where a person reads it:
    /// the notification's text replaces controls and bidirectional overrides, and its push is
    /// one line; meetctl shows them escaped.
    func testHostileChatTextIsEscapedWhereverItEndsUp() throws {
        let w = try MeetingWorld(self, label: #function)
        _ = try w.drainOutbox()
        let hostile = "Hi\u{1B}]0;pwned\u{07}\nline two\u{202E}txt.exe"
        let started = try w.meetingd.result("conversation.start", as: w.expert, ["person_id": .string(w.user), "text": .string(hostile)])
        let conversation = try XCTUnwrap(started["conversation"]?["id"]?.string)
        XCTAssertEqual(started["message"]?["text"]?.string, hostile, "stored as written")
        XCTAssertEqual(try texts(of: conversation, as: w.user, w), [hostile])
        let rendered = try XCTUnwrap(try w.drainOutbox().first { $0.kind == "chat_message" }?.raw["rendered"])
        let body = rendered["text"]?.string ?? "", push = rendered["push"]?.string ?? ""
        for text in [body, push, rendered["subject"]?.string ?? ""] {
            XCTAssertFalse(text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" }, text.debugDescription)
        }
        XCTAssertTrue(body.contains("Hi\u{FFFD}]0;pwned\u{FFFD}\nline two\u{FFFD}txt.exe"), body.debugDescription)
        XCTAssertFalse(push.contains("\n"), push.debugDescription)

        let shown = try (try Meetctl(actor: w.user)).run(["chat", "show", conversation])
        XCTAssertFalse(shown.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" }, shown.stdout.debugDescription)
        XCTAssertTrue(shown.stdout.contains("Hi\\e]0;pwned\\x07\\nline two\\u{202E}txt.exe"), shown.stdout)
    }

    /// Seed 004 ("Manage sessions"): "From the details of the meeting, the expert can switch to
    /// the chat or start a chat with the user." The expert starts it with meetctl; the user
    /// reads and answers with meetctl.
    func testTheExpertStartsAChatWithTheUserInMeetctl() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let started = try expert.ok(["chat", "start", c.userId, "--text", "Shall we meet on Monday?"])
        XCTAssertTrue(started.hasPrefix("Started conversation cnv_"), started)
        XCTAssertTrue(started.contains("Sam Lee (user) and Talia Kim (expert); message sent."), started)
        let chats = try user.ok(["chats"])
        XCTAssertTrue(chats.contains("Talia Kim") && chats.contains("1"), chats)
        let id = try XCTUnwrap(try user.json(["chats"])["items"]?.array?.first?["id"]?.string)
        XCTAssertTrue(try user.ok(["chat", "send", id, "Monday 10:00 works."]).hasPrefix("Sent msg_"))
        let shown = try expert.ok(["chat", "show", id])
        XCTAssertTrue(shown.contains("Shall we meet on Monday?") && shown.contains("Sam Lee") && shown.contains("Monday 10:00 works."), shown)
        XCTAssertTrue(try expert.ok(["chat", "start", c.userId]).hasPrefix("Found conversation \(id)"))
        // The global --as names who acts; the command's own choice of side is --side.
        XCTAssertTrue(try c.admin.ok(["--as", c.expertId, "chat", "start", c.userId, "--side", "expert"]).hasPrefix("Found conversation \(id)"))
        let meeting = try c.agreedMeeting(start: "2030-03-11 10:00")
        XCTAssertEqual(try expert.json(["chat", "show", id])["items"]?.array?.count, 2)
        _ = meeting
    }

    /// Meeting chats written before conversations existed become conversations when the
    /// database is migrated: one per user and expert, every message kept in order.
    func testMeetingChatsWrittenBeforeConversationsBecomeConversations() throws {
        let tag = TestEnvironment.uniqueTag()
        let (url, environment) = try databaseMigrated(before: "0031", name: "chats")
        let boot = try runTool(TestEnvironment.meetingdPath, [
            "bootstrap", "--community", "Chats \(tag)", "--short-name", "E2E", "--admin-email", "admin-\(tag)@example.test", "--admin-first", "Ada",
            "--admin-last", "Admin",
        ], environment: environment)
        let printed = try JSONValue.parse(boot.stdout)
        let community = TestCommunity(id: printed["community_id"]?.string ?? "", adminId: printed["admin_id"]?.string ?? "", name: "Chats")
        let meetingd = try startMeetingd(["--test-clock"], environment: environment)
        try meetingd.result("clock.set", as: community.adminId, ["now": .string(MeetingTime.startOfTest)])
        // Written by SQL: person.create, service.create and service.certify use functions
        // (ml_person_apply, ml_service_context, ml_certify_context) these migrations predate.
        let expert = "per_" + String(repeating: "e", count: 32), user = "per_" + String(repeating: "d", count: 32)
        let service = "svc_" + String(repeating: "c", count: 32)
        let c = Psql.literal(community.id)
        _ = try Psql.query(url, """
            INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone) VALUES
                (\(c), \(Psql.literal(expert)), 'expert-\(tag)@example.test', 'Eve', 'Expert', '{expert}', 'UTC'),
                (\(c), \(Psql.literal(user)), 'user-\(tag)@example.test', 'Una', 'User', '{user}', 'UTC');
            INSERT INTO accounts (community_id, id, kind, owner_id) VALUES
                (\(c), 'acc_\(String(repeating: "e", count: 32))', 'expert_earnings', \(Psql.literal(expert))),
                (\(c), 'acc_\(String(repeating: "d", count: 32))', 'user_wallet', \(Psql.literal(user)));
            INSERT INTO services (community_id, id, name, kind, default_length_minutes, price_credits)
            VALUES (\(c), \(Psql.literal(service)), 'CHEM101', 'generic', 60, 0);
            INSERT INTO certifications (community_id, service_id, expert_id) VALUES (\(c), \(Psql.literal(service)), \(Psql.literal(expert)))
            """)
        var meetings: [String] = []
        for day in [7, 8] {
            meetings.append(try MeetingWorld.id(of: meetingd.result("meeting.propose", as: expert, [
                "user_id": .string(user), "service_id": .string(service), "start": .string(MeetingTime.at(day: day, hour: 10)),
                "length_minutes": 60, "price_credits": 0,
            ])))
        }
        try meetingd.finish()
        // Written as the earlier meeting.message.post wrote them: by meeting, without a conversation.
        for (i, (meeting, author)) in [(meetings[0], user), (meetings[1], expert), (meetings[0], expert)].enumerated() {
            let id = "msg_" + String(repeating: String(i), count: 32)
            _ = try Psql.query(url, """
                INSERT INTO meeting_messages (community_id, id, meeting_id, author_id, text, created_at)
                VALUES (\(Psql.literal(community.id)), \(Psql.literal(id)), \(Psql.literal(meeting)), \(Psql.literal(author)), 'message \(i)', now())
                """)
        }

        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        XCTAssertTrue(migrated.succeeded, migrated.stderr)
        let now = try startMeetingd(["--test-clock"], environment: ["DATABASE_URL": url])
        let conversations = try now.allPages("conversation.list", as: user)
        XCTAssertEqual(conversations.count, 1, "one conversation for the two meetings' chats")
        XCTAssertEqual(conversations.first?["message_count"], 3)
        XCTAssertEqual(conversations.first?["started_by"]?.string, user)
        let id = try XCTUnwrap(conversations.first?["id"]?.string)
        let messages = try now.allPages("conversation.messages", as: expert, ["conversation_id": .string(id)])
        XCTAssertEqual(messages.compactMap { $0["text"]?.string }, ["message 0", "message 1", "message 2"])
        XCTAssertEqual(messages.compactMap { $0["meeting_id"]?.string }, [meetings[0], meetings[1], meetings[0]])
        XCTAssertEqual(try now.allPages("meeting.message.list", as: user, ["meeting_id": .string(meetings[1])]).count, 3)
        let next = try now.result("meeting.message.post", as: user, ["meeting_id": .string(meetings[1]), "text": "after the migration"])
        XCTAssertEqual(next["conversation_id"]?.string, id)
    }
}
