import Foundation
import XCTest

/// Seed 003 ("Session requests", a tutoring office's article): customers request only their
/// assigned tutors; the tutor makes the session (giving session type and location), deletes
/// the request, or proposes a new date and time with a note (a counter-offer the customer
/// answers); every update is mailed to the customer with the office in copy.
final class SchedulingSeed003Tests: EndToEndTestCase {
    static let office = "office@tutorplace.example"

    func world(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> MeetingWorld {
        let w = try MeetingWorld(self, label: label, settings: [
            "require_enrollment": true, "short_name": "TP", "office_email": .string(Self.office), "session_types": ["Tutoring", "Assessment"],
        ].merging(settings) { _, given in given })
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        return w
    }

    // MARK: Assigned tutors

    /// "Customers cannot make requests to a tutor that is not assigned."
    func testCustomersRequestOnlyTheirAssignedTutors() throws {
        let w = try world()
        let other = try w.addExpert(name: "other tutor")
        let refused = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 7, hour: 10), expert: other), code: 4021)
        XCTAssertEqual(refused["data"]?["code"], "not_enrolled")
        // The data names the assignment that would do: the user, to the service or to the tutor.
        XCTAssertEqual(refused["data"]?["user_id"], .string(w.user))
        XCTAssertEqual(refused["data"]?["expert_id"], .string(other))
        XCTAssertEqual(refused["data"]?["service_id"], .string(w.serviceId))
        XCTAssertEqual(try w.search(from: MeetingTime.at(day: 7, hour: 0), to: MeetingTime.at(day: 8, hour: 0)).flatMap(\.expertOrder).filter { $0 == other }, [],
                       "the search shows only the assigned tutor")
        let waiting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))

        try w.meetingd.result("enrollment.remove", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 7, hour: 12)), code: 4021)
        // The request made while assigned stays; the tutor no longer accepts or moves it, and may decline it.
        let notConfirmed = try w.refuse("meeting.confirm", as: w.expert, waiting, code: 4021)
        XCTAssertTrue(notConfirmed["message"]?.string?.contains("can be declined or withdrawn, not accepted or moved") ?? false, "\(notConfirmed)")
        try w.refuse("meeting.reschedule", as: w.expert, waiting, ["start": .string(MeetingTime.at(day: 8, hour: 10))], code: 4021)
        assertMeeting(try w.meeting(waiting), status: "awaiting_approval", credit: "blocked", "refused steps change nothing")
        try w.act("meeting.decline", as: w.expert, waiting, ["reason_code": "other"])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(other)])
        try w.request(start: MeetingTime.at(day: 7, hour: 12), expert: other)
        try w.assertReconciled()
    }

    // MARK: Make session

    /// "Press Make Session and add location and session type to confirm": with the community
    /// requiring these details, the tutor's confirmation of a customer's request needs a
    /// session type from the community's list; the location may be changed then. The customer
    /// confirming a tutor's proposal that names its session type needs neither.
    func testMakingTheSessionNeedsSessionTypeAndLocation() throws {
        let w = try world(settings: ["require_confirm_details": true])
        let room2 = try w.addLocation("Room 2")
        try w.setWeekly(w.expert, timeZone: "UTC", dailyRules("06:00", "22:00", at: [w.locationId, room2]))
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))

        XCTAssertEqual(try w.refuse("meeting.confirm", as: w.expert, id, code: -32602)["data"]?["field"], "session_type")
        XCTAssertEqual(try w.refuse("meeting.confirm", as: w.expert, id, ["session_type": "Snorkelling"], code: -32602)["data"]?["field"], "session_type",
                       "a session type from the community's list")
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "blocked", "refused confirmations change nothing")

        let made = try w.act("meeting.confirm", as: w.expert, id, ["session_type": "Tutoring", "location_id": .string(room2)])
        assertMeeting(made, status: "agreed", credit: "blocked")
        XCTAssertEqual(made["session_type"], "Tutoring")
        XCTAssertEqual(made["location_id"]?.string, room2)
        let calendar = try w.meetingd.result("meeting.calendar", as: w.user, ["meeting_id": .string(id)])
        XCTAssertEqual(try PythonReference.invitation(calendar["ics"]?.string ?? "")["location"], "Room 2", "the invitation is at the chosen location")

        let proposal = try MeetingWorld.id(of: w.propose(
            start: MeetingTime.at(day: 8, hour: 10), extra: ["location_id": .string(w.locationId), "session_type": "Tutoring"]))
        assertMeeting(try w.act("meeting.confirm", as: w.user, proposal), status: "agreed", credit: "blocked")
        // A proposal with a session type but no place is not a session yet: the user's
        // acceptance waits for the tutor to give the location.
        let placeless = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 9, hour: 10), extra: ["session_type": "Tutoring"]))
        let accepted = try w.act("meeting.confirm", as: w.user, placeless)
        assertMeeting(accepted, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: true)
        XCTAssertEqual(accepted["awaiting_processing"], true)
        XCTAssertEqual(accepted["location_id"], .null)
        XCTAssertEqual(try w.refuse("meeting.confirm", as: w.expert, placeless, code: -32602)["data"]?["field"], "location_id")
        let placed = try w.act("meeting.confirm", as: w.expert, placeless, ["location_id": .string(room2)])
        assertMeeting(placed, status: "agreed", credit: "blocked")
        XCTAssertEqual(placed["location_id"]?.string, room2)
        try w.assertReconciled()
    }

    // MARK: Propose new date and time

    /// "Change the date and time to your counter offer and add a note for your customer [...]
    /// the session [...] will be moved to the new date/time": the request moves, the tutor has
    /// approved it, the customer is asked again, the credits stay held once. "When your
    /// customer responds you will be notified": accepting agrees it; the customer may also
    /// counter back, and the tutor then makes the session.
    func testTheTutorsCounterOfferMovesTheRequest() throws {
        let w = try world()
        let first = MeetingTime.at(day: 7, hour: 10), proposed = MeetingTime.at(day: 7, hour: 14)
        let id = try MeetingWorld.id(of: w.request(start: first))
        _ = try w.drainOutbox()
        let note = "I have a lab at 10 — could we do 2 pm instead?"
        let moved = try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(proposed), "note": .string(note)])
        assertMeeting(moved, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: false, start: proposed)
        XCTAssertEqual(moved["awaiting_action_by"], "user")
        XCTAssertEqual(try w.trail(id), ["hold pending 100"], "the held credits stay held, once")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100))
        let selected = try XCTUnwrap(try w.meetingd.allPages("meeting.timeline", as: w.user, ["meeting_id": .string(id)])
            .first { $0["kind"] == "alternative_date_selected_by_expert" })
        XCTAssertEqual(selected["note"]?.string, note, "the customer can read the note on the meeting's timeline")
        XCTAssertEqual(try w.drainedSummary(), ["counter_offer_by_expert→user"])
        let day = try w.search(from: MeetingTime.at(day: 7, hour: 0), to: MeetingTime.at(day: 8, hour: 0))
        XCTAssertTrue(day.contains { $0.start == first }, "the first time is free again")
        XCTAssertFalse(day.contains { $0.start == proposed }, "the proposed time is taken")
        try w.refuse("meeting.confirm", as: w.expert, id, code: 4009)

        assertMeeting(try w.act("meeting.confirm", as: w.user, id), status: "agreed", credit: "blocked", start: proposed)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_user→expert", "video.create→video"]),
                       "the tutor is told of the customer's response")
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])

        // Countering back and forth, then the tutor makes the session.
        let second = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 9, hour: 10)))
        try w.act("meeting.reschedule", as: w.expert, second, ["start": .string(MeetingTime.at(day: 9, hour: 15)), "note": "Afternoon?"])
        let back = try w.act("meeting.reschedule", as: w.user, second, ["start": .string(MeetingTime.at(day: 9, hour: 12)), "note": "Noon is my limit"])
        assertMeeting(back, status: "awaiting_approval", credit: "blocked", expertApproved: false, userApproved: true, start: MeetingTime.at(day: 9, hour: 12))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.confirm", as: w.expert, second), status: "agreed", credit: "blocked", start: MeetingTime.at(day: 9, hour: 12))
        XCTAssertEqual(try w.trail(second), ["hold pending 100"])
        try w.assertReconciled()
    }

    /// "[...] and add a note for your customer": the note travels with the counter-offer to the
    /// customer, in the notification they receive.
    func testTheCounterOffersNoteReachesTheCustomer() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        _ = try w.drainOutbox()
        let note = "I have a lab at 10 — could we do 2 pm instead?"
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 7, hour: 14)), "note": .string(note)])
        let offer = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "counter_offer_by_expert" })
        XCTAssertEqual(offer["recipient_id"]?.string, w.user)
        let readable = [offer["payload"]?.serialized ?? "", offer["rendered"]?["text"]?.string ?? ""]
        XCTAssertTrue(readable.contains { $0.contains(note) }, "the customer's message carries the tutor's note: \(offer)")
        // And which request it answers: the time asked for beside the one proposed.
        let text = offer["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("14:00") && text.contains("instead of") && text.contains("10:00"), text)
    }

    /// Step 12: "Press on the request to action. You will also see the customer's response":
    /// the customer accepts the tutor's new date with a message, which the tutor reads in the
    /// notification and on the timeline.
    func testTheCustomersResponseReachesTheTutor() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 7, hour: 14))])
        _ = try w.drainOutbox()
        let response = "2 pm works — Sue will bring her lab notes."
        try w.act("meeting.confirm", as: w.user, id, ["note": .string(response)])
        let told = try XCTUnwrap(try w.drainRaw().first { $0["recipient_id"]?.string == w.expert && $0["channel"] == "notification" })
        XCTAssertTrue(told["rendered"]?["text"]?.string?.contains(response) ?? false, "\(told)")
        let approval = try XCTUnwrap(try w.timelineEvents(id).last { $0["kind"] == "user_approval" })
        XCTAssertEqual(approval["note"]?.string, response)
    }

    // MARK: Emails

    /// "Automatic emails will be sent to the customer and copy you and the office when a
    /// session request is updated": every notification names the office in cc, and the
    /// customer's copy the tutor too; "Press Delete Request to deny the requests and the customer
    /// will be notified".
    func testUpdatesCopyTheOffice() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 7, hour: 14)), "note": "2 pm?"])
        try w.act("meeting.confirm", as: w.user, id)
        let denied = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        try w.act("meeting.decline", as: w.expert, denied, ["reason_code": "schedule_conflict"])
        let notifications = try w.drainRaw().filter { $0["channel"] == "notification" }
        XCTAssertEqual(notifications.map { $0["kind"]?.string ?? "" }.sorted(),
                       ["counter_offer_by_expert", "meeting_confirmed_by_user", "meeting_rejected_by_expert", "meeting_request", "meeting_request"])
        let tutor = try XCTUnwrap(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.expert)])["email"]?.string)
        for n in notifications {
            let toCustomer = n["recipient_id"]?.string == w.user
            XCTAssertEqual(n["cc"], toCustomer ? [.string(tutor), .string(Self.office)] : [.string(Self.office)],
                           "\(n["kind"] ?? .null) copies the office\(toCustomer ? " and the tutor" : "")")
            XCTAssertNotNil(n["recipient"]?["email"]?.string)
        }
        XCTAssertEqual(notifications.first { $0["kind"] == "meeting_rejected_by_expert" }?["recipient_id"]?.string, w.user, "the customer is told of the deletion")

        try w.updateSettings(["office_email": nil])
        try w.request(start: MeetingTime.at(day: 9, hour: 10))
        let plain = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "meeting_request" })
        XCTAssertNil(plain["cc"], "no office, no copy")
        try w.assertReconciled()
    }

    /// A customer's balance is theirs: staff booking for them, and the office copied on their
    /// mail, learn that credits are missing, not how many they have (the office read "50
    /// available" in a 4020 and in its copy of the customer's "not booked" mail).
    func testStaffAndTheOfficesCopyAreNotToldACustomersBalance() throws {
        let w = try world()
        let poor = try w.addNamedUser(firstName: "Pat", lastName: "Poor", credits: 150)
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(poor), "expert_id": .string(w.expert)])
        var long = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        long["length_minutes"] = 120
        let own = try w.meetingd.error("meeting.request", as: poor, long, code: 4020)
        XCTAssertEqual(own["data"]?["available"], 150, "the customer reads their own balance")
        long["user_id"] = .string(poor)
        let staff = try w.meetingd.error("meeting.request", as: w.admin, long, code: 4020)
        XCTAssertNil(staff["data"]?["available"], "\(staff)")
        XCTAssertEqual(staff["data"]?["required"], 200)
        XCTAssertFalse(staff["message"]?.string?.contains("150") ?? true, "\(staff)")
        _ = try w.drainRaw()
        let series = try w.meetingd.result("series.create", as: poor, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId), "weeks": 2,
        ])
        XCTAssertTrue(series["skip_dates"]?.array?.first?["detail"]?.string?.contains("50 available") ?? false, "the customer's own view: \(series)")
        // Staff read why a date was not booked, not the balance (series.get gave them the detail).
        let byAdmin = try w.meetingd.result("series.get", as: w.admin, ["series_id": series["id"] ?? .null])
        XCTAssertEqual(byAdmin["skip_dates"]?.array?.first?["detail"], nil, "\(byAdmin)")
        XCTAssertEqual(byAdmin["skip_dates"]?.array?.first?["reason"], "not booked: the user's credits did not cover it")
        let mail = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "series_date_not_booked" && $0["recipient_id"]?.string == poor })
        XCTAssertEqual(mail["cc"], [.string(Self.office)])
        let text = mail["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("could not be booked") && !text.contains("50 available"), text)
        // A series staff book for the customer: the customer still reads their balance in it.
        try w.grant(poor, 100)
        let booked = try w.meetingd.result("series.create", as: w.admin, [
            "user_id": .string(poor), "service_id": .string(w.serviceId), "expert_id": .string(w.expert),
            "first_start": .string(MeetingTime.at(day: 8, hour: 10)), "location_id": .string(w.locationId), "weeks": 2,
        ])
        let ownView = try w.meetingd.result("series.get", as: poor, ["series_id": booked["id"] ?? .null])
        XCTAssertTrue(ownView["skip_dates"]?.array?.first?["detail"]?.string?.contains("available") ?? false, "\(ownView)")
    }

    /// A weekly date told to both sides (not booked, or skipped before its meeting was made)
    /// copies the office once, on the customer's mail, as every other step told to both does.
    func testASeriesDateToldToBothSidesCopiesTheOfficeOnce() throws {
        let w = try world()
        try w.meetingd.result("availability.block", as: w.expert, [
            "expert_id": .string(w.expert), "start": .string(MeetingTime.at(day: 14, hour: 0)), "end": .string(MeetingTime.at(day: 15, hour: 0)),
        ])
        _ = try w.drainRaw()
        let series = try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId), "weeks": 2,
        ])
        XCTAssertEqual(series["skip_dates"]?.array?.count, 1, "the blocked week is not booked: \(series)")
        let reason = series["skip_dates"]?.array?.first?["reason"]?.string ?? ""
        XCTAssertEqual(reason, "not booked: Slot unavailable: the expert has blocked that time in their availability", "in words for people, not the method to search with")
        let notBooked = try w.drainRaw().filter { $0["kind"] == "series_date_not_booked" }
        XCTAssertEqual(notBooked.count, 2, "both sides are told")
        for n in notBooked {
            XCTAssertEqual(n["cc"], n["recipient_id"]?.string == w.user ? [.string(Self.office)] : nil, "\(n["recipient_id"] ?? .null)")
        }
    }
}
