import Foundation
import XCTest

/// Seed 001 ("Steps to Book an Appointment", the student's article): picking a time from all
/// experts' merged hours, seeing the experts free then and their locations, the agenda,
/// pending versus scheduled (auto-accept), the calendar invitation and its title, declined
/// requests (visible, not counted), chatting, cancelling. Weekly series (skipping, cancelling)
/// are in SeriesTests; invitations in detail in CalendarInviteTests.
final class SchedulingSeed001Tests: EndToEndTestCase {
    /// Community "PEER": Talia (New York) and Bo (UTC) teach "Lab Skills" on Tuesday
    /// 2030-03-12, both 13:00–16:00 UTC, Talia in the room or by video, Bo by video; Sam books.
    struct Scene {
        let w: MeetingWorld
        let sam: String, talia: String, bo: String
        let service: String, room: String, video: String
        let tuesday = (from: "2030-03-12T00:00:00Z", to: "2030-03-13T00:00:00Z")
    }

    func scene(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> Scene {
        let w = try MeetingWorld(self, label: label, settings: ["short_name": "PEER"].merging(settings) { _, given in given })
        let service = try w.addService("Lab Skills", agendaQuestions: ["What do you want to work on?"])
        let room = try w.addLocation("Lab 2"), video = try w.addLocation("Video call", kind: "virtual")
        let talia = try w.addScheduledExpert(firstName: "Talia", timeZone: "America/New_York", services: [service],
                                             rules: [weeklyRule(2, "09:00", "12:00", at: [room, video])])
        let bo = try w.addScheduledExpert(firstName: "Bo", timeZone: "UTC", services: [service], rules: [weeklyRule(2, "13:00", "16:00", at: [video])])
        let sam = try w.addNamedUser(firstName: "Sam", lastName: "Lee")
        return Scene(w: w, sam: sam, talia: talia, bo: bo, service: service, room: room, video: video)
    }

    @discardableResult
    func request(_ s: Scene, by user: String? = nil, expert: String, start: String, location: String, _ extra: [String: JSONValue] = [:]) throws -> JSONValue {
        try s.w.requestWith(start: start, by: user ?? s.sam, expert: expert,
                            ["service_id": .string(s.service), "location_id": .string(location)].merging(extra) { _, given in given })
    }

    /// Drains the outbox: "kind→recipient" with the scene's names, sorted.
    func told(_ s: Scene) throws -> [String] {
        let names = [s.sam: "sam", s.talia: "talia", s.bo: "bo", s.w.user: "user", s.w.expert: "expert"]
        return try s.w.drainOutbox().map { "\($0.kind)→\($0.recipientId.map { names[$0] ?? $0 } ?? $0.channel)" }.sorted()
    }

    // MARK: Booking

    /// Auto-accept off: pick a time from everyone's hours, an expert free then and one of their
    /// locations, answer the agenda, and the request is Pending (the expert is asked, nothing
    /// in the calendar yet) until the expert accepts it; then both get the invitation.
    func testBookingWithoutAutoAcceptIsPendingUntilTheExpertAccepts() throws {
        let s = try scene()
        let w = s.w
        let slots = try w.search(service: s.service, from: s.tuesday.from, to: s.tuesday.to)
        XCTAssertEqual(slots.map(\.start), grid(from: "2030-03-12T13:00:00Z", through: "2030-03-12T15:00:00Z"), "both experts' hours, merged")
        let two = try XCTUnwrap(slots.first { $0.start == "2030-03-12T14:00:00Z" })
        XCTAssertEqual(two.experts, [s.talia: [s.room, s.video].sorted(), s.bo: [s.video]], "the experts free then, with the places each offers")

        let other = try w.addNamedUser(firstName: "Ann")
        let earlier = try MeetingWorld.id(of: request(s, by: other, expert: s.talia, start: "2030-03-12T13:00:00Z", location: s.video))
        try w.act("meeting.confirm", as: s.talia, earlier)
        _ = try told(s)

        let pending = try request(s, expert: s.talia, start: "2030-03-12T14:00:00Z", location: s.room,
                                  ["topic": "Titration", "agenda_answers": ["Reading the burette"]])
        let id = try MeetingWorld.id(of: pending)
        assertMeeting(pending, status: "awaiting_approval", credit: "blocked", expertApproved: false, userApproved: true)
        XCTAssertEqual(pending["topic"], "Titration")
        XCTAssertEqual(pending["agenda_answers"], ["Reading the burette"])
        XCTAssertEqual(pending["location_id"]?.string, s.room)
        XCTAssertEqual(try told(s), ["meeting_request→talia"], "the expert is asked; no invitation while pending")

        let list = try w.meetingd.allPages("meeting.list", as: s.talia, ["role": "expert", "from": .string(s.tuesday.from)])
        XCTAssertEqual(list.map { $0["id"]?.string }, [id, earlier], "pending sessions are shown above confirmed ones, though later")
        XCTAssertEqual(list.first?["awaiting_action_by"], "expert")
        XCTAssertEqual(list.last?["awaiting_action_by"], .null)

        assertMeeting(try w.act("meeting.confirm", as: s.talia, id), status: "agreed", credit: "blocked")
        let messages = try w.drainRaw()
        XCTAssertEqual(messages.filter { $0["recipient_id"]?.string == s.sam }.map { $0["kind"]?.string ?? "" }.sorted(),
                       ["calendar.invite", "meeting_confirmed_by_expert"], "Sam gets two messages: the acceptance and the invitation")
        let invites = messages.filter { $0["kind"] == "calendar.invite" }
        XCTAssertEqual(Set(invites.compactMap { $0["recipient_id"]?.string }), [s.sam, s.talia])
        XCTAssertTrue(invites.allSatisfy { $0["payload"]?["title"] == "Sam and Talia - PEER" }, "\"[student first name] and [provider first name] - [short name]\"")
        let invitation = try PythonReference.invitation(invites.first?["payload"]?["ics"]?.string ?? "")
        XCTAssertEqual(invitation["summary"], "Sam and Talia - PEER")
        XCTAssertEqual(invitation["location"], "Lab 2")
        XCTAssertTrue(invitation["description"]?.string?.contains("Lab Skills") ?? false)
        XCTAssertTrue(invitation["description"]?.string?.contains("Reading the burette") ?? false)
        try w.assertReconciled()
    }

    /// Auto-accept on: "the appointment is automatically confirmed and you will be sent the
    /// calendar invite right away", with no extra work for the expert.
    func testBookingWithAutoAcceptIsScheduledAtOnce() throws {
        let s = try scene(settings: ["auto_accept": true])
        let booked = try request(s, expert: s.bo, start: "2030-03-12T15:00:00Z", location: s.video)
        let id = try MeetingWorld.id(of: booked)
        assertMeeting(booked, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true)
        XCTAssertEqual(try told(s), ["calendar.invite→bo", "calendar.invite→sam", "meeting_confirmed→bo", "meeting_confirmed→sam", "video.create→video"])
        let listed = try s.w.meetingd.allPages("meeting.list", as: s.bo, ["role": "expert"])
        XCTAssertEqual(listed.map { $0["id"]?.string }, [id])
        XCTAssertEqual(listed.first?["awaiting_action_by"], .null, "nothing for the expert to do")
        XCTAssertEqual(try s.w.meetingd.result("meeting.calendar", as: s.sam, ["meeting_id": .string(id)])["method"], "REQUEST")
        let taken = try s.w.meetingd.error("meeting.request", as: s.w.user, [
            "service_id": .string(s.service), "expert_id": .string(s.bo), "start": "2030-03-12T15:00:00Z", "location_id": .string(s.video),
        ], code: 4011)
        XCTAssertEqual(taken["data"]?["code"], "slot_unavailable")
        try s.w.assertReconciled()
    }

    /// "Declined appointments will not affect your session usage limits [...] it will be
    /// visible on your Learn Screen." No calendar invitation is ever sent for it.
    func testADeclinedRequestIsVisibleAndDoesNotCountTowardTheLimit() throws {
        let s = try scene(settings: ["weekly_usage_limit": 1])
        let first = try MeetingWorld.id(of: request(s, expert: s.talia, start: "2030-03-12T13:00:00Z", location: s.room))
        let limited = try s.w.meetingd.error("meeting.request", as: s.sam, [
            "service_id": .string(s.service), "expert_id": .string(s.bo), "start": "2030-03-12T15:00:00Z", "location_id": .string(s.video),
        ], code: 4022)
        XCTAssertEqual(limited["message"], "Usage limit reached: at most 1 meeting per week, and the week from 2030-03-11T00:00:00Z to 2030-03-18T00:00:00Z is full: only a meeting in another week can be booked")
        XCTAssertEqual(limited["data"]?["week_start"], "2030-03-11T00:00:00Z", "the community's week (UTC here), from Monday")
        XCTAssertEqual(limited["data"]?["week_end"], "2030-03-18T00:00:00Z")
        try s.w.act("meeting.decline", as: s.talia, first, ["reason_code": "schedule_conflict"])
        let declined = try s.w.meetingd.allPages("meeting.list", as: s.sam, ["role": "user", "status": "rejected"])
        XCTAssertEqual(declined.map { $0["id"]?.string }, [first], "the declined session is on the user's list")
        try request(s, expert: s.bo, start: "2030-03-12T15:00:00Z", location: s.video)
        XCTAssertFalse(try told(s).contains { $0.hasPrefix("calendar.invite") }, "nothing was ever scheduled")
        try s.w.assertReconciled()
    }

    // MARK: Chat

    /// "You can chat with providers" / "chat with the student within the session details":
    /// the other party is told, the chat lists oldest first, others may not read or write it.
    func testChatBetweenTheTwoParties() throws {
        let s = try scene()
        let id = try MeetingWorld.id(of: request(s, expert: s.talia, start: "2030-03-12T14:00:00Z", location: s.room))
        _ = try told(s)
        let question = try s.w.meetingd.result("meeting.message.post", as: s.sam, ["meeting_id": .string(id), "text": "Should I bring my lab notebook?"])
        XCTAssertEqual(question["author_id"]?.string, s.sam)
        let answer = try s.w.meetingd.result("meeting.message.post", as: s.talia, ["meeting_id": .string(id), "text": "Yes — and a calculator 🧮"])
        XCTAssertEqual(try told(s), ["chat_message→sam", "chat_message→talia"], "each message goes to the other party")
        for reader in [s.sam, s.talia] {
            let chat = try s.w.meetingd.allPages("meeting.message.list", as: reader, ["meeting_id": .string(id)])
            XCTAssertEqual(chat.map { $0["text"]?.string }, ["Should I bring my lab notebook?", "Yes — and a calculator 🧮"])
            XCTAssertEqual(chat.map { $0["id"] }, [question["id"], answer["id"]])
        }
        try s.w.meetingd.error("meeting.message.post", as: s.bo, ["meeting_id": .string(id), "text": "Hi"], code: 4003)
        try s.w.meetingd.error("meeting.message.list", as: s.w.user, ["meeting_id": .string(id)], code: 4003)
        XCTAssertEqual(try s.w.meetingd.error("meeting.message.post", as: s.sam, ["meeting_id": .string(id), "text": "   "], code: -32602)["data"]?["field"], "text")
    }

    // MARK: Cancelling

    /// "Explain why you are canceling the session [...] You will receive a notification 'Your
    /// session has been cancelled' [...] The calendar invite will be removed."
    func testCancellingNeedsAReasonAndTellsTheOtherSide() throws {
        let s = try scene()
        let id = try MeetingWorld.id(of: request(s, expert: s.bo, start: "2030-03-12T14:00:00Z", location: s.video))
        try s.w.act("meeting.confirm", as: s.bo, id)
        _ = try told(s)
        XCTAssertEqual(try s.w.refuse("meeting.cancel", as: s.sam, id, code: -32602)["data"]?["field"], "reason_code", "a reason is required")
        try s.w.act("meeting.cancel", as: s.sam, id, ["reason_code": "illness", "note": "Flu"])
        let messages = try s.w.drainRaw()
        let notice = try XCTUnwrap(messages.first { $0["kind"] == "cancellation_by_user" && $0["recipient_id"]?.string == s.bo })
        XCTAssertTrue(notice["rendered"]?["subject"]?.string?.lowercased().contains("cancelled") ?? false, "\(notice["rendered"] ?? .null)")
        // Seed 001: "You will receive a notification ("Your session has been cancelled")".
        let own = try XCTUnwrap(messages.first { $0["kind"] == "cancellation_by_user" && $0["recipient_id"]?.string == s.sam })
        XCTAssertEqual(own["rendered"]?["subject"]?.string?.hasSuffix("Your session has been cancelled"), true, "\(own["rendered"] ?? .null)")
        XCTAssertTrue(own["rendered"]?["text"]?.string?.contains("Your note: Flu") ?? false, "\(own["rendered"] ?? .null)")
        let invites = messages.filter { $0["kind"] == "calendar.invite" }
        XCTAssertEqual(Set(invites.compactMap { $0["recipient_id"]?.string }), [s.sam, s.bo])
        XCTAssertTrue(invites.allSatisfy { $0["payload"]?["method"] == "CANCEL" }, "the calendar event is removed")
        XCTAssertEqual(try s.w.timelineEvents(id).last?["note"], "Flu")
        try s.w.assertReconciled()
    }
}
