import Foundation
import XCTest

/// Seed 004 ("Manage sessions"), paragraph by paragraph, through meetingd: the expert's side as
/// the seed tells it and the user's side mirrored (SPEC §5.2). After each step: status,
/// approvals, credit_status, timeline, outbox (claimed and acknowledged) and the ledger.
final class MeetingSeedTests: EndToEndTestCase {
    let day7 = MeetingTime.at(day: 7, hour: 10)
    let day8 = MeetingTime.at(day: 8, hour: 10)
    let day9 = MeetingTime.at(day: 9, hour: 10)
    let held = MeetingWorld.wallet(blocked: MeetingWorld.price)
    let untouched = MeetingWorld.wallet()

    func world(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> MeetingWorld {
        try MeetingWorld(self, label: label, settings: settings)
    }

    /// The expert's agreed meetings on day 7 at 10:00 (the world's user) and 14:00 (`other`), and
    /// a time half an hour into the first: where a new date for the second overlaps it.
    func twoAgreedMeetings(_ label: String = #function) throws -> (w: MeetingWorld, other: String, first: String, second: String, overlapping: String) {
        let w = try world(label)
        let other = try w.addUser(name: "other")
        let first = try w.agreed(start: day7)
        let second = try w.agreed(start: MeetingTime.at(day: 7, hour: 14), by: other)
        return (w, other, first, second, MeetingTime.shifted(day7, minutes: 30))
    }

    // MARK: List of sessions

    /// "An expert can view a list of meetings he is assigned to that have not yet taken place
    /// within the common list of meetings he is in as a user or expert."
    func testListOfSessionsShowsUpcomingMeetingsAsExpertAndAsUser() throws {
        let w = try world()
        let riley = try w.addExpert(name: "riley", roles: ["user", "expert"])
        try w.grant(riley, 300)
        let asExpert = try MeetingWorld.id(of: w.request(start: day7, expert: riley))
        let asUser = try w.agreed(start: MeetingTime.at(day: 7, hour: 12), by: riley)
        let past = try w.agreed(start: MeetingTime.at(day: 1, hour: 14), expert: riley)
        try w.setClock(MeetingTime.at(day: 1, hour: 15, minute: 5))
        try w.act("meeting.log_session", as: riley, past, ["attendance": "attended"])

        let expertList = try w.meetingd.allPages("meeting.list", as: riley, ["role": "expert"]).map { $0["id"]?.string }
        XCTAssertEqual(expertList, [asExpert], "as expert: the upcoming request, not the meeting that took place")
        let userList = try w.meetingd.allPages("meeting.list", as: riley, ["role": "user"]).map { $0["id"]?.string }
        XCTAssertEqual(userList, [asUser], "as user: the meeting Riley booked")
        let withPast = try w.meetingd.allPages("meeting.list", as: riley, ["role": "expert", "from": .string(MeetingTime.at(day: 0, hour: 0))])
        XCTAssertEqual(Set(withPast.map { $0["id"]?.string }), [asExpert, past], "an earlier `from` shows the past meeting too")
        try w.assertReconciled()
    }

    // MARK: Confirmation of a user-suggested appointment

    func testExpertConfirmsUserRequest() throws {
        let w = try world()
        let requested = try w.request(start: day7)
        let id = try MeetingWorld.id(of: requested)
        assertMeeting(requested, status: "awaiting_approval", credit: "blocked", expertApproved: false, userApproved: true, start: day7)
        XCTAssertEqual(requested["awaiting_action_by"], "expert")
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval"])
        XCTAssertEqual(try w.drainedSummary(), ["meeting_request→expert"])
        XCTAssertEqual(try w.wallet(), held)
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(incoming: MeetingWorld.price))
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])

        let own = try w.refuse("meeting.confirm", as: w.user, id, code: 4009)
        XCTAssertEqual(own["data"]?["code"], "invalid_state", "the user has already approved their own request")

        let confirmed = try w.act("meeting.confirm", as: w.expert, id)
        assertMeeting(confirmed, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true, start: day7)
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval", "expert_approval"])
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user", "video.create→video"]),
                       "the user is told and the meeting is created on the video platform")
        XCTAssertEqual(try w.wallet(), held, "confirming does not hold the price again")
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])

        let again = try w.refuse("meeting.confirm", as: w.expert, id, code: 4009)
        XCTAssertEqual(again["data"]?["status"], "agreed")
        XCTAssertEqual(try w.drainedSummary(), [], "a refused call writes no message")
        try w.assertReconciled()
    }

    func testConfirmAndDeclineRefusedOnceTheStartHasPassed() throws {
        let w = try world()
        let start = MeetingTime.at(day: 1, hour: 10)
        let id = try MeetingWorld.id(of: w.request(start: start))
        try w.setClock(start)
        let error = try w.refuse("meeting.confirm", as: w.expert, id, code: 4012)
        XCTAssertEqual(error["data"]?["code"], "meeting_started")
        XCTAssertEqual(error["data"]?["start"]?.string, start)
        // Nobody agreed to it: the reader is told it expires, not to log a session it never had.
        let message = error["message"]?.string ?? ""
        XCTAssertTrue(message.contains("it expires"), message)
        XCTAssertFalse(message.contains("log_session"), message)
        try w.refuse("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict"], code: 4012)
        try w.refuse("meeting.withdraw", as: w.user, id, code: 4012)
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "blocked")
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval"])
    }

    /// Another user's request of a free service at day 7 10:00–11:00 (holding nothing, it does
    /// not take the slot while it waits), and the fixture user's agreed meeting proposed by the
    /// expert at 10:30–11:30: (the other user, the request, the agreed meeting).
    func overlappingRequestAndProposal(_ w: MeetingWorld) throws -> (String, String, String) {
        let free = try MeetingWorld.id(of: w.meetingd.result(
            "service.create", as: w.admin, ["name": "Open hours", "kind": "generic", "default_length_minutes": 60, "price_credits": 0]))
        try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(free), "expert_id": .string(w.expert)])
        let other = try w.addUser(name: "other")
        var params = w.requestParams(start: day7)
        params["service_id"] = .string(free)
        let request = try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: other, params))
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.shifted(day7, minutes: 30)))
        try w.act("meeting.confirm", as: w.user, proposal)
        return (other, request, proposal)
    }

    /// "If the expert already has a confirmed appointment with an overlapping time, the expert
    /// will be notified in the confirmation dialog": time_conflict lists it, meeting.conflicts
    /// shows it beforehand, accept_conflicts confirms anyway.
    func testConfirmWarnsOfAnOverlappingAgreedMeeting() throws {
        let w = try world()
        let (_, request, proposal) = try overlappingRequestAndProposal(w)
        _ = try w.drainOutbox()

        let shown = try w.meetingd.result("meeting.conflicts", as: w.expert, ["meeting_id": .string(request)])
        XCTAssertEqual(shown["meetings"]?.array?.map { $0["id"]?.string }, [proposal], "the dialog's warning, before confirming")
        let error = try w.refuse("meeting.confirm", as: w.expert, request, code: 4010)
        XCTAssertEqual(error["data"]?["code"], "time_conflict")
        XCTAssertEqual(error["data"]?["meeting_ids"], [.string(proposal)])
        assertMeeting(try w.meeting(request), status: "awaiting_approval", credit: "none", expertApproved: false)
        XCTAssertEqual(try w.drainedSummary(), [])

        let confirmed = try w.act("meeting.confirm", as: w.expert, request, ["accept_conflicts": true])
        assertMeeting(confirmed, status: "agreed", credit: "none", expertApproved: true, userApproved: true)
        XCTAssertEqual(confirmed["conflict_accepted"], true)
        XCTAssertEqual(try w.timeline(request), ["requested_by_user", "user_approval", "expert_approval"])
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→other", "video.create→video"], user: "other"))
        try w.assertReconciled()
    }

    /// "Agreed meetings … take their time out of availability" (SPEC §5.3), also the one whose
    /// conflict the expert accepted: its time is neither searchable nor bookable, and stays so
    /// when the meeting it overlapped is cancelled.
    func testAMeetingAgreedOverAConflictStillTakesItsTime() throws {
        let w = try world()
        let (_, accepted, proposal) = try overlappingRequestAndProposal(w)
        XCTAssertEqual(try w.act("meeting.confirm", as: w.expert, accepted, ["accept_conflicts": true])["conflict_accepted"], true)

        // 10:00–10:30 lies only in the meeting agreed over the conflict.
        let third = try w.addUser(name: "third")
        var half = w.requestParams(start: day7)
        half["length_minutes"] = 30
        let refused = try w.meetingd.error("meeting.request", as: third, half, code: 4011)
        XCTAssertTrue(refused["message"]?.string?.contains("already has a meeting") == true, "\(refused)")
        func searched() throws -> [String] {
            let answer = try w.meetingd.result("availability.search", as: third, [
                "service_id": .string(w.serviceId), "from": .string(MeetingTime.shifted(day7, minutes: -60)),
                "to": .string(MeetingTime.shifted(day7, minutes: 120)), "length_minutes": 30])
            return (answer["slots"]?.array ?? []).compactMap { $0["start"]?.string }
        }
        XCTAssertEqual(try searched(), [MeetingTime.shifted(day7, minutes: -60), MeetingTime.shifted(day7, minutes: -30),
                                        MeetingTime.shifted(day7, minutes: 90)])

        try w.act("meeting.cancel", as: w.user, proposal, ["reason_code": "schedule_conflict"])
        XCTAssertEqual(try searched(), [MeetingTime.shifted(day7, minutes: -60), MeetingTime.shifted(day7, minutes: -30),
                                        MeetingTime.shifted(day7, minutes: 60), MeetingTime.shifted(day7, minutes: 90)],
                       "the cancelled meeting's time is free again; the other's is not")
        try w.meetingd.error("meeting.request", as: third, half, code: 4011)
        // A search starting inside the meeting still meets it.
        let fromInside = try w.meetingd.result("availability.search", as: third, [
            "service_id": .string(w.serviceId), "from": .string(MeetingTime.shifted(day7, minutes: 15)),
            "to": .string(MeetingTime.shifted(day7, minutes: 120)), "length_minutes": 30])
        XCTAssertEqual((fromInside["slots"]?.array ?? []).compactMap { $0["start"]?.string },
                       [MeetingTime.shifted(day7, minutes: 60), MeetingTime.shifted(day7, minutes: 90)])
        try w.assertReconciled()
    }

    /// An expert who is also a user "already has another appointment at the given time" when
    /// they attend one as a user (seed 004's confirmation dialog): before, only meetings where
    /// they were the expert counted, so they confirmed a request over it unwarned, and search
    /// offered them then. Now confirming is refused with time_conflict naming that meeting (theirs)
    /// until they accept it, meeting.conflicts lists it, search offers nobody at that time, and a
    /// user confirming that expert's proposal then is told of a conflict, without its id.
    func testAnExpertsMeetingAsAUserIsTheirConflictToo() throws {
        let w = try world()
        let both = try w.addExpert(name: "both", roles: ["expert", "user"])
        try w.grant(both, 500)
        let other = try w.addUser(name: "other")
        // Asked of `both` as an expert: a request at 10:00 and their proposal at 11:00 ...
        let asked = try MeetingWorld.id(of: w.request(start: day7, expert: both))
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.shifted(day7, minutes: 60), to: other, by: both))
        // ... then, as a user, `both` agrees a meeting with the world's expert at 10:30–11:30.
        let attended = try w.agreed(start: MeetingTime.shifted(day7, minutes: 30), by: both)

        let refused = try w.refuse("meeting.confirm", as: both, asked, code: 4010)
        XCTAssertEqual(refused["data"]?["meeting_ids"], [.string(attended)], "\(refused)")
        XCTAssertEqual(try w.meeting(asked)["status"], "awaiting_approval", "refused: nothing changed")
        let listed = try w.meetingd.result("meeting.conflicts", as: both, ["meeting_id": .string(asked)])
        XCTAssertEqual(listed["count"], 1)
        XCTAssertEqual(listed["meetings"]?.array?.compactMap { $0["id"]?.string }, [attended])
        // The user accepting the expert's proposal meets the conflict, told without its id.
        let told = try w.refuse("meeting.confirm", as: other, proposal, code: 4010)
        XCTAssertEqual(told["data"]?["meeting_ids"]?.array ?? [], [], "a user is not shown another person's meetings: \(told)")

        // A time `both` attends as a user is not offered with them, nor requested of them.
        _ = try w.agreed(start: day8, by: both)
        let search = try w.meetingd.result("availability.search", as: other, [
            "service_id": .string(w.serviceId), "expert_id": .string(both), "from": .string(MeetingTime.shifted(day8, minutes: -60)),
            "to": .string(MeetingTime.shifted(day8, minutes: 120))])
        XCTAssertEqual((search["slots"]?.array ?? []).compactMap { $0["start"]?.string },
                       [MeetingTime.shifted(day8, minutes: -60), MeetingTime.shifted(day8, minutes: 60), MeetingTime.shifted(day8, minutes: 90)])
        try w.meetingd.error("meeting.request", as: other, w.requestParams(start: day8, expert: both), code: 4011)

        let accepted = try w.act("meeting.confirm", as: both, asked, ["accept_conflicts": true])
        XCTAssertEqual(accepted["status"], "agreed")
        XCTAssertEqual(accepted["conflict_accepted"], true)
        try w.assertReconciled()
    }

    /// A meeting a customer who is an expert too booked for their student is the student's to
    /// attend, as the weekly limit and no-shows count it: it takes no time from the customer as
    /// an expert (search offers them then, a request to them then is taken, and their confirm of
    /// it is not warned; meeting.conflicts lists nothing). Before, search left them out at that
    /// hour and the request was refused 4011.
    func testAMeetingBookedForAStudentTakesNoTimeFromTheCustomer() throws {
        let w = try world()
        let parent = try w.addExpert(name: "parent", roles: ["expert", "user"])
        try w.grant(parent, 500)
        let child = try w.addUser(name: "child", credits: 0)
        try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(parent), "student_id": .string(child)])
        var forChild = w.requestParams(start: day8)
        forChild["student_id"] = .string(child)
        let lesson = try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: parent, forChild))
        XCTAssertEqual(try w.act("meeting.confirm", as: w.expert, lesson)["status"], "agreed")

        let other = try w.addUser(name: "other")
        let search = try w.meetingd.result("availability.search", as: other, [
            "service_id": .string(w.serviceId), "expert_id": .string(parent), "from": .string(day8), "to": .string(MeetingTime.shifted(day8, minutes: 60))])
        XCTAssertEqual((search["slots"]?.array ?? []).compactMap { $0["start"]?.string }, [day8, MeetingTime.shifted(day8, minutes: 30)])
        let asked = try MeetingWorld.id(of: w.request(start: day8, by: other, expert: parent))
        let listed = try w.meetingd.result("meeting.conflicts", as: parent, ["meeting_id": .string(asked)])
        XCTAssertEqual(listed["count"], 0, "\(listed)")
        XCTAssertEqual(try w.act("meeting.confirm", as: parent, asked)["status"], "agreed")
        try w.assertReconciled()
    }

    /// The other way round: a user who is an expert too attends their agreed meetings as the
    /// expert, so they do not request a meeting over one (nor are offered one in search), and
    /// another expert's confirm of their request over one agreed since is refused, naming no
    /// meeting. Before, all three went through.
    func testAUsersMeetingAsAnExpertIsTheirConflictToo() throws {
        let w = try world()
        let both = try w.addExpert(name: "both", roles: ["expert", "user"])
        try w.grant(both, 500)
        let other = try w.addUser(name: "other")
        _ = try w.agreed(start: day7, by: other, expert: both)

        let refused = try w.meetingd.error("meeting.request", as: both, w.requestParams(start: MeetingTime.shifted(day7, minutes: 30)), code: 4010)
        XCTAssertTrue(refused["message"]?.string?.contains("Time conflict: you have an agreed meeting at that time as the expert of another meeting") == true,
                      "the user asking is told of their own meeting as theirs: \(refused)")
        XCTAssertEqual(refused["data"]?["meeting_ids"], [])
        // Nor is it offered that time: searching as themself, `both` is shown no slot that meets it.
        let search = try w.meetingd.result("availability.search", as: both, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "from": .string(MeetingTime.shifted(day7, minutes: -60)),
            "to": .string(MeetingTime.shifted(day7, minutes: 120))])
        XCTAssertEqual((search["slots"]?.array ?? []).compactMap { $0["start"]?.string },
                       [MeetingTime.shifted(day7, minutes: -60), MeetingTime.shifted(day7, minutes: 60), MeetingTime.shifted(day7, minutes: 90)])
        XCTAssertEqual(search["full_weeks"], [], "not a full week")

        let asked = try MeetingWorld.id(of: w.request(start: day8, by: both))
        _ = try w.agreed(start: day8, by: other, expert: both)
        let told = try w.refuse("meeting.confirm", as: w.expert, asked, code: 4010)
        XCTAssertEqual(told["data"]?["meeting_ids"], [], "the expert is not shown the user's other meetings: \(told)")
        XCTAssertTrue(told["message"]?.string?.contains("Time conflict: the user has an agreed meeting at that time") == true, "\(told)")
        // A weekly date refused for it is read by both sides (and staff): it is the user's.
        _ = try w.agreed(start: MeetingTime.at(day: 16, hour: 14), by: other, expert: both)
        let weekly = try w.meetingd.result("series.create", as: both, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "location_id": .string(w.locationId),
            "first_start": .string(MeetingTime.at(day: 9, hour: 14)), "weeks": 2])
        let reason = weekly["skip_dates"]?.array?.first?["reason"]?.string ?? ""
        XCTAssertTrue(reason.contains("not booked: Time conflict: the user has an agreed meeting at that time"), "\(weekly)")
        XCTAssertEqual(try w.meeting(asked)["status"], "awaiting_approval")
        try w.assertReconciled()
    }

    /// With the community's auto-accept, a request is agreed at once and both sides are told.
    func testAutoAcceptAgreesARequestAtOnce() throws {
        let w = try world(settings: ["auto_accept": true])
        let m = try w.request(start: day7)
        let id = try MeetingWorld.id(of: m)
        assertMeeting(m, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true)
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval", "expert_approval"])
        // The approval is the community's setting at work, not the user's act.
        let actors = try w.timelineEvents(id).map { [$0["actor_role"] ?? .null, $0["actor_id"] ?? .null] }
        XCTAssertEqual(actors, [["user", .string(w.user)], ["user", .string(w.user)], ["system", .null]])
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed→expert", "meeting_confirmed→user", "video.create→video"]))
        XCTAssertEqual(try w.wallet(), held)
        try w.assertReconciled()
    }

    /// Seed 000: "If a virtual session, the link is embedded in the session." A meeting at an
    /// in-person place is agreed, moved and cancelled without a word to the video platform, its
    /// people told as ever; one at a virtual place gets its room.
    func testOnlyAVirtualPlaceGetsAVideoRoom() throws {
        let w = try world()
        let room = try MeetingWorld.id(of: w.meetingd.result("location.create", as: w.admin, ["name": "Room 1", "kind": "in_person"]))
        let rules: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(room)]] }
        try w.meetingd.result("availability.set_weekly", as: w.admin, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(rules)])
        var params = w.requestParams(start: day7)
        params["location_id"] = .string(room)
        let id = try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: w.user, params))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.confirm", as: w.expert, id), status: "agreed", credit: "blocked")
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user"]))
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day8)])
        try w.act("meeting.confirm_alternate", as: w.expert, id)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["alternative_date_approved_by_expert→user", "rescheduling_agreed_by_user→expert", "rescheduling_agreed_by_user→user"]))
        try w.act("meeting.cancel", as: w.user, id, ["reason_code": "schedule_conflict"])
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_user→expert", "cancellation_by_user→user"]))
        try w.assertReconciled()
    }

    /// A request whose room was recorded before it was agreed (the integration, or an admin with
    /// a standing room) has its room: agreeing it asks the platform for no second one; a new date
    /// then moves it (the old room cancelled, a new one made).
    func testAMeetingWhoseLinkWasSetBeforeItWasAgreedGetsNoSecondRoom() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        try w.act("meeting.set_video_link", as: w.admin, id, ["url": "https://video.example/standing-room"])
        _ = try w.drainOutbox()
        try w.act("meeting.confirm", as: w.expert, id)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user"]), "no video.create")
        XCTAssertEqual(try w.meeting(id)["video_url"], "https://video.example/standing-room")
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day8)])
        try w.act("meeting.confirm_alternate", as: w.expert, id)
        XCTAssertTrue(try w.drainedSummary().contains("video.create→video"), "a new date moves the room")
        try w.assertReconciled()
    }

    // MARK: Decline a user-suggested meeting

    func testExpertDeclinesUserRequestWithAReason() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        _ = try w.drainOutbox()
        for bad: [String: JSONValue] in [[:], ["reason_code": "because"], ["reason_code": "emergency"]] {
            let error = try w.refuse("meeting.decline", as: w.expert, id, bad, code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reason_code", "a reason from the community's rejection list is required: \(bad)")
        }
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "blocked")

        let declined = try w.act("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict", "note": "Travelling"])
        assertMeeting(declined, status: "rejected", credit: "returned", expertApproved: false, userApproved: true)
        let events = try w.timelineEvents(id)
        XCTAssertEqual(events.map { $0["kind"]?.string }, ["requested_by_user", "user_approval", "rejected_by_expert"])
        XCTAssertEqual(events.last?["reason_code"], "schedule_conflict")
        XCTAssertEqual(events.last?["reason_label"], "Schedule conflict")
        XCTAssertEqual(events.last?["note"], "Travelling")
        XCTAssertEqual(events.last?["actor_id"]?.string, w.expert)
        // Renamed, then removed from the community's list: the timeline still reads the label the
        // reason had when it was given (the user reads it too, though the declined meeting's
        // details are hidden from them).
        try w.meetingd.result("community.update_settings", as: w.admin, ["rejection_reasons": [["code": "schedule_conflict", "label": "Clash"], ["code": "other", "label": "Other"]]])
        try w.meetingd.result("community.update_settings", as: w.admin, ["rejection_reasons": [["code": "other", "label": "Other"]]])
        for reader in [w.admin, w.user] {
            let read = try w.meetingd.allPages("meeting.timeline", as: reader, ["meeting_id": .string(id)]).last
            XCTAssertEqual(read?["reason_code"], "schedule_conflict", "\(read ?? .null)")
            XCTAssertEqual(read?["reason_label"], "Schedule conflict", "\(read ?? .null)")
        }
        XCTAssertEqual(events.first?["reason_label"], .null, "no reason, no label")
        XCTAssertEqual(try w.drainedSummary(), ["meeting_rejected_by_expert→user"])
        XCTAssertEqual(try w.wallet(), untouched, "the user's credits are unblocked")
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings())
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])

        try w.refuse("meeting.decline", as: w.expert, id, ["reason_code": "other"], code: 4009)
        try w.refuse("meeting.confirm", as: w.expert, id, code: 4009)
        XCTAssertEqual(try w.trail(id).count, 2, "a refused second answer moves no credits")
        try w.assertReconciled()
    }

    /// The user's mirror: declining an expert's proposal, which held nothing.
    func testUserDeclinesExpertProposal() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.propose(start: day7))
        _ = try w.drainOutbox()
        try w.refuse("meeting.decline", as: w.expert, id, ["reason_code": "other"], code: 4009)
        let declined = try w.act("meeting.decline", as: w.user, id, ["reason_code": "other"])
        assertMeeting(declined, status: "rejected", credit: "none", expertApproved: true, userApproved: false)
        XCTAssertEqual(try w.timeline(id), ["expert_approval", "rejected_by_user"])
        XCTAssertEqual(try w.drainedSummary().sorted(), ["meeting_rejected_by_user→expert", "meeting_rejected_by_user→user"], "the expert, and the user's receipt")
        XCTAssertEqual(try w.wallet(), untouched)
        XCTAssertEqual(try w.trail(id), [])
        try w.assertReconciled()
    }

    // MARK: Designing a meeting by a user (the expert proposes)

    func testExpertProposesAMeetingAndTheUserConfirms() throws {
        let w = try world()
        let proposed = try w.propose(start: day7, price: 120, lengthMinutes: 45, extra: ["skill": "Titration", "location_id": .string(w.locationId), "note": "Shall we?"])
        let id = try MeetingWorld.id(of: proposed)
        assertMeeting(proposed, status: "awaiting_approval", credit: "none", expertApproved: true, userApproved: false, start: day7)
        XCTAssertEqual(proposed["user_id"]?.string, w.user)
        XCTAssertEqual(proposed["price_credits"], 120)
        XCTAssertEqual(proposed["length_minutes"], 45)
        XCTAssertEqual(proposed["end"]?.string, MeetingTime.shifted(day7, minutes: 45))
        XCTAssertEqual(proposed["skill"], "Titration")
        XCTAssertEqual(proposed["awaiting_action_by"], "user")
        XCTAssertEqual(try w.timeline(id), ["expert_approval"])
        XCTAssertEqual(try w.drainedSummary(), ["expert_meeting_invitation→user"])
        XCTAssertEqual(try w.wallet(), untouched, "a proposal holds nothing")
        XCTAssertEqual(try w.trail(id), [])

        try w.refuse("meeting.confirm", as: w.expert, id, code: 4009)
        let confirmed = try w.act("meeting.confirm", as: w.user, id)
        assertMeeting(confirmed, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true)
        XCTAssertEqual(try w.timeline(id), ["expert_approval", "user_approval"])
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_user→expert", "video.create→video"]))
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 120), "the user's confirmation holds the proposed price")
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(incoming: 120))
        XCTAssertEqual(try w.trail(id), ["hold pending 120"])
        try w.assertReconciled()
    }

    func testConfirmingAProposalNeedsEnoughCredits() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.propose(start: day7, price: 600))
        let error = try w.refuse("meeting.confirm", as: w.user, id, code: 4020)
        XCTAssertEqual(error["data"]?["code"], "insufficient_credits")
        XCTAssertEqual(error["data"]?["available"], 500)
        XCTAssertEqual(error["data"]?["required"], 600)
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "none", expertApproved: true, userApproved: false)
        XCTAssertEqual(try w.timeline(id), ["expert_approval"])
        XCTAssertEqual(try w.wallet(), untouched)
        try w.grant(w.user, 100)
        assertMeeting(try w.act("meeting.confirm", as: w.user, id), status: "agreed", credit: "blocked")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 600, granted: 600))
        try w.assertReconciled()
    }

    func testProposalsComeFromExpertsAndMayFollowTheirOwnMeetings() throws {
        let w = try world()
        let earlier = try MeetingWorld.id(of: w.request(start: day7))
        let followUp = try w.propose(start: day8, extra: ["from_meeting_id": .string(earlier)])
        assertMeeting(followUp, status: "awaiting_approval", credit: "none")
        XCTAssertEqual(followUp["follows_meeting_id"]?.string, earlier, "the meeting it follows is kept")
        XCTAssertEqual(try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": followUp["id"]!])["follows_meeting_id"]?.string, earlier,
                       "and the user reads it")
        XCTAssertEqual(try w.meeting(earlier)["follows_meeting_id"], .null)
        let other = try w.addUser(name: "other")
        let error = try w.meetingd.error("meeting.propose", as: w.expert, [
            "user_id": .string(other), "service_id": .string(w.serviceId), "start": .string(day9), "length_minutes": 60,
            "price_credits": 100, "from_meeting_id": .string(earlier),
        ], code: -32602)
        XCTAssertEqual(error["data"]?["field"], "from_meeting_id", "a follow-up must be between the same two people")
        try w.meetingd.error("meeting.propose", as: w.user, [
            "user_id": .string(other), "service_id": .string(w.serviceId), "start": .string(day9), "length_minutes": 60, "price_credits": 100,
        ], code: 4003)
    }

    // MARK: Canceling an unconfirmed meeting (the proposer withdraws)

    func testExpertWithdrawsUnansweredProposal() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.propose(start: day7))
        _ = try w.drainOutbox()
        try w.refuse("meeting.cancel", as: w.expert, id, ["reason_code": "illness"], code: 4009)
        try w.refuse("meeting.withdraw", as: w.user, id, code: 4009)
        let withdrawn = try w.act("meeting.withdraw", as: w.expert, id)
        assertMeeting(withdrawn, status: "cancelled", credit: "none")
        XCTAssertEqual(try w.timeline(id), ["expert_approval", "withdrawn_by_expert"])
        XCTAssertEqual(try w.drainedSummary(), ["meeting_withdrawn_by_expert→user"])
        XCTAssertEqual(try w.wallet(), untouched)

        let answered = try MeetingWorld.id(of: w.propose(start: day8))
        try w.act("meeting.confirm", as: w.user, answered)
        let error = try w.refuse("meeting.withdraw", as: w.expert, answered, code: 4009)
        XCTAssertEqual(error["data"]?["status"], "agreed", "once the user has responded, withdrawing is over")
        try w.assertReconciled()
    }

    func testUserWithdrawsUnansweredRequest() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        _ = try w.drainOutbox()
        try w.refuse("meeting.withdraw", as: w.expert, id, code: 4009)
        try w.refuse("meeting.cancel", as: w.user, id, ["reason_code": "illness"], code: 4009)
        let withdrawn = try w.act("meeting.withdraw", as: w.user, id)
        assertMeeting(withdrawn, status: "cancelled", credit: "returned")
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval", "withdrawn_by_user"])
        XCTAssertEqual(try w.drainedSummary(), ["meeting_withdrawn_by_user→expert"])
        XCTAssertEqual(try w.wallet(), untouched)
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings())
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        // The slot is free again.
        assertMeeting(try w.request(start: day7), status: "awaiting_approval", credit: "blocked")
        try w.assertReconciled()
    }

    // MARK: Canceling a scheduled meeting

    func testExpertCancelsMoreThan48HoursAhead() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        _ = try w.drainOutbox()
        for bad: [String: JSONValue] in [[:], ["reason_code": "not_my_expertise"], ["reason_code": ""]] {
            let error = try w.refuse("meeting.cancel", as: w.expert, id, bad, code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reason_code", "\(bad)")
        }
        let cancelled = try w.act("meeting.cancel", as: w.expert, id, ["reason_code": "illness"])
        assertMeeting(cancelled, status: "cancelled", credit: "returned")
        let events = try w.timelineEvents(id)
        XCTAssertEqual(events.map { $0["kind"]?.string }, ["requested_by_user", "user_approval", "expert_approval", "cancelled_by_expert"])
        XCTAssertEqual(events.last?["reason_code"], "illness")
        XCTAssertEqual(events.last?["details"]?["late"], false)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_expert→user", "cancellation_by_expert→expert", "video.cancel→video"]))
        XCTAssertEqual(try w.wallet(), untouched)
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings())
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        try w.refuse("meeting.cancel", as: w.expert, id, ["reason_code": "illness"], code: 4009)
        try w.assertReconciled()
    }

    func testExpertCancelsLessThan48HoursAheadOnlyAfterConfirming() throws {
        let w = try world()
        let id = try w.agreed(start: MeetingTime.at(day: 2, hour: 10))  // 46 hours ahead
        _ = try w.drainOutbox()
        let error = try w.refuse("meeting.cancel", as: w.expert, id, ["reason_code": "emergency"], code: 4013)
        XCTAssertEqual(error["data"]?["code"], "late_cancellation_requires_confirmation")
        XCTAssertEqual(error["data"]?["window_hours"], 48)
        XCTAssertTrue(error["data"]?["consequences"]?.string?.contains("returned") ?? false, "the form says what happens: \(error)")
        assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked")
        XCTAssertEqual(try w.drainedSummary(), [])
        XCTAssertEqual(try w.wallet(), held)

        let cancelled = try w.act("meeting.cancel", as: w.expert, id, ["reason_code": "emergency", "confirm_late": true])
        assertMeeting(cancelled, status: "cancelled", credit: "returned")
        let last = try w.timelineEvents(id).last
        XCTAssertEqual(last?["kind"], "cancelled_by_expert")
        XCTAssertEqual(last?["details"]?["late"], true)
        XCTAssertEqual(last?["details"]?["charged_credits"], 0)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_expert→user", "cancellation_by_expert→expert", "video.cancel→video"]),
                       "cancelled on the video platform too")
        XCTAssertEqual(try w.wallet(), untouched, "an expert's late cancellation still returns everything")
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        try w.assertReconciled()
    }

    func testUserCancelsMoreThan48HoursAhead() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.cancel", as: w.user, id, ["reason_code": "schedule_conflict"]), status: "cancelled", credit: "returned")
        XCTAssertEqual(try w.timeline(id).last, "cancelled_by_user")
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_user→expert", "cancellation_by_user→user", "video.cancel→video"]))
        XCTAssertEqual(try w.wallet(), untouched)
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        try w.assertReconciled()
    }

    func testUserCancelsLessThan48HoursAheadAndIsCharged() throws {
        let w = try world()
        let id = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        _ = try w.drainOutbox()
        let error = try w.refuse("meeting.cancel", as: w.user, id, ["reason_code": "illness"], code: 4013)
        XCTAssertTrue(error["data"]?["consequences"]?.string?.contains("The 100 credits will be charged.") ?? false, "\(error)")
        XCTAssertEqual(try w.wallet(), held)
        assertMeeting(try w.act("meeting.cancel", as: w.user, id, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "paid")
        let last = try w.timelineEvents(id).last
        XCTAssertEqual(last?["kind"], "cancelled_by_user")
        XCTAssertEqual(last?["details"]?["charged_credits"], 100)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_user→expert", "cancellation_by_user→user", "video.cancel→video"]))
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(captured: 100), "the expert is paid, less the platform's 10 %")
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "capture post_pending 100", "fee posted 10"])
        try w.assertReconciled()
    }

    // MARK: Rescheduling an appointment

    func testExpertReschedulesAnAgreedMeeting() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        _ = try w.drainOutbox()
        let moved = try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(day8), "note": "Can we do Tuesday?"])
        assertMeeting(moved, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true, start: day7)
        XCTAssertEqual(moved["alternate"]?["start"]?.string, day8, "the alternate date is set")
        XCTAssertEqual(moved["alternate"]?["proposed_by"], "expert")
        XCTAssertEqual(moved["alternate"]?["expert_approved"], true)
        XCTAssertEqual(moved["alternate"]?["user_approved"], false)
        XCTAssertEqual(moved["alternate"]?["note"], "Can we do Tuesday?")
        XCTAssertEqual(moved["awaiting_action_by"], "user")
        XCTAssertEqual(try w.timeline(id).suffix(2), ["alternative_date_selected_by_expert", "approved_by_expert"])
        XCTAssertEqual(try w.drainedSummary(), ["rescheduling_agreed_by_expert→user"])
        XCTAssertEqual(try w.wallet(), held, "the original date stays in effect, and so does its hold")
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])

        let second = try w.refuse("meeting.reschedule", as: w.user, id, ["start": .string(day9)], code: 4009)
        XCTAssertEqual(second["data"]?["code"], "invalid_state", "one alternate at a time")

        // The user's answer (mirror of "Confirmation of the alternative date proposed by the user").
        try w.refuse("meeting.confirm_alternate", as: w.expert, id, code: 4009)
        let approved = try w.act("meeting.confirm_alternate", as: w.user, id)
        assertMeeting(approved, status: "agreed", credit: "blocked", start: day8)
        XCTAssertEqual(approved["alternate"], .null)
        XCTAssertEqual(approved["proposed_by"], "expert", "the date is now the one the expert proposed")
        XCTAssertEqual(try w.timeline(id).last, "alternative_date_approved_by_user")
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["alternative_date_approved_by_user→expert", "video.cancel→video", "video.create→video"]))
        XCTAssertEqual(try w.trail(id), ["hold pending 100"], "still exactly one hold, for the price")
        XCTAssertEqual(try w.wallet(), held)
        try w.assertReconciled()
    }

    func testExpertReschedulesARejectedMeeting() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict"])
        _ = try w.drainOutbox()
        let moved = try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(day8)])
        assertMeeting(moved, status: "awaiting_approval", credit: "returned", expertApproved: true, userApproved: false, start: day8)
        XCTAssertEqual(moved["alternate"], .null, "a rejected meeting's own date is adjusted")
        XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval", "rejected_by_expert",
                                            "alternative_date_selected_by_expert", "approved_by_expert"])
        XCTAssertEqual(try w.drainedSummary(), ["rescheduling_rejected_by_expert→user"])
        XCTAssertEqual(try w.wallet(), untouched, "nothing is held until the user approves the new date")

        let confirmed = try w.act("meeting.confirm", as: w.user, id)
        assertMeeting(confirmed, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true, start: day8)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_user→expert", "video.create→video"]))
        XCTAssertEqual(try w.wallet(), held)
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100", "hold pending 100"])
        try w.assertReconciled()
    }

    func testUserReschedulesARejectedMeeting() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict"])
        _ = try w.drainOutbox()
        let moved = try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day8), "note": "Tuesday then?"])
        assertMeeting(moved, status: "awaiting_approval", credit: "blocked", expertApproved: false, userApproved: true, start: day8)
        XCTAssertEqual(try w.timeline(id).suffix(2), ["alternative_date_selected_by_user", "approved_by_user"])
        XCTAssertEqual(try w.drainedSummary(), ["rescheduling_rejected_by_user→expert", "rescheduling_rejected_by_user→user"], "the expert asked, the user's receipt")
        XCTAssertEqual(try w.wallet(), held, "the user's approval of the new date holds the price again")
        assertMeeting(try w.act("meeting.confirm", as: w.expert, id), status: "agreed", credit: "blocked", start: day8)
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100", "hold pending 100"])
        try w.assertReconciled()
    }

    /// A decline's mail names the date that was declined, whenever it is delivered: a new date
    /// given to the meeting before the outbox was read (by the user after the expert's decline,
    /// by the expert after the user's) named the new one, as if that had been declined.
    func testADeclineMailNamesTheDeclinedDateThoughANewOneFollowed() throws {
        let w = try world()
        try w.updateSettings(["email_user_on_decline": true])
        let asked = try MeetingWorld.id(of: w.request(start: day7))
        _ = try w.drainOutbox()
        try w.act("meeting.decline", as: w.expert, asked, ["reason_code": "schedule_conflict"])
        try w.act("meeting.reschedule", as: w.user, asked, ["start": .string(day8), "note": "Tuesday then?"])
        let proposed = try MeetingWorld.id(of: w.propose(start: day7))
        try w.act("meeting.decline", as: w.user, proposed, ["reason_code": "other"])
        try w.act("meeting.reschedule", as: w.expert, proposed, ["start": .string(day9)])
        let mails = try w.drainRaw().filter { $0["kind"]?.string?.hasPrefix("meeting_rejected_by_") == true }
        let texts = mails.map { "\($0["kind"]?.string ?? "")→\($0["payload"]?["recipient_role"]?.string ?? ""): \($0["rendered"]?["text"]?.string ?? "")" }
        XCTAssertEqual(mails.count, 3, "the user told of the expert's decline; both told of the user's: \(texts)")
        // Both declined dates are Mon 11 Mar (day 7); the new dates given after are the 12th and 13th.
        for text in texts {
            XCTAssertTrue(text.contains("declined the meeting on Mon 11 Mar 2030"), text)
            XCTAssertFalse(text.contains("12 Mar") || text.contains("13 Mar"), text)
        }
    }

    /// Seed 004, "Rejection of a replacement date proposed by the user": the expert turns down
    /// the new date the user gave a declined request, with a reason; the meeting is rejected
    /// again and its credits unblocked ("Returned"). The user's next new date the expert confirms
    /// as the alternative date it is ("Approval of alternative date by expert").
    func testTheExpertAnswersTheUsersNewDateAfterARejectionAsItsAlternative() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict"])
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day8), "note": "Tuesday then?"])
        _ = try w.drainOutbox()
        XCTAssertEqual(try w.meeting(id)["decline_reason"]?["code"], "schedule_conflict", "the reason it was declined stays while the new date waits")
        try w.refuse("meeting.reject_alternate", as: w.user, id, ["reason_code": "other"], code: 4009)
        XCTAssertEqual(try w.refuse("meeting.reject_alternate", as: w.expert, id, [:], code: -32602)["data"]?["field"], "reason_code")

        let rejected = try w.act("meeting.reject_alternate", as: w.expert, id, ["reason_code": "other", "note": "Not Tuesday either"])
        assertMeeting(rejected, status: "rejected", credit: "returned", start: day8)
        XCTAssertEqual(rejected["decline_reason"]?["code"], "other")
        let last = try w.timelineEvents(id).last
        XCTAssertEqual(last?["kind"], "alternative_date_rejected_by_expert")
        XCTAssertEqual(last?["reason_code"], "other")
        let mails = try w.drainRaw()
        XCTAssertEqual(mails.map { "\($0["kind"]?.string ?? "")→\($0["payload"]?["recipient_role"]?.string ?? "")" }, ["alternative_date_rejected_by_expert→user"])
        // The user's mail shows what meeting.get shows them of a declined meeting: no note, no details.
        let text = try XCTUnwrap(mails.first?["rendered"]?["text"]?.string)
        XCTAssertTrue(text.contains("declined the meeting on ") && text.contains("Reason: Other"), text)
        XCTAssertFalse(text.contains("Not Tuesday") || text.contains("When:"), text)
        XCTAssertEqual(try w.wallet(), untouched, "the credits are unblocked")

        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day9)])
        _ = try w.drainOutbox()
        // The rejection declined the meeting again: its note stays the expert side's, as the
        // decline's does, once the meeting shows its details again (it was shown to the user).
        func rejectionNote(as person: String) throws -> JSONValue? {
            try w.meetingd.allPages("meeting.timeline", as: person, ["meeting_id": .string(id)])
                .last { $0["kind"]?.string == "alternative_date_rejected_by_expert" }?["note"]
        }
        XCTAssertEqual(try rejectionNote(as: w.user), .null)
        XCTAssertEqual(try rejectionNote(as: w.expert), "Not Tuesday either")
        let approved = try w.act("meeting.confirm_alternate", as: w.expert, id)
        XCTAssertEqual(try rejectionNote(as: w.user), .null, "nor once the meeting is agreed")
        assertMeeting(approved, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true, start: day9)
        XCTAssertEqual(approved["decline_reason"], .null)
        XCTAssertEqual(try w.timeline(id).last, "alternative_date_approved_by_expert")
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user", "video.create→video"]))
        XCTAssertEqual(try w.wallet(), held)
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100", "hold pending 100", "release void_pending 100", "hold pending 100"])
        // An agreed meeting has no new date waiting: there is nothing to answer.
        try w.refuse("meeting.confirm_alternate", as: w.expert, id, code: 4009)
        try w.assertReconciled()
    }

    /// Where the community requires session details, confirming a new date as its alternative is
    /// a confirmation like any other: the expert gives the session type with meeting.confirm.
    func testANewDateConfirmedAsItsAlternativeNeedsTheSessionsDetails() throws {
        let w = try world(settings: ["require_confirm_details": true])
        let id = try MeetingWorld.id(of: w.request(start: day7))
        try w.act("meeting.decline", as: w.expert, id, ["reason_code": "schedule_conflict"])
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day8)])
        XCTAssertEqual(try w.refuse("meeting.confirm_alternate", as: w.expert, id, code: -32602)["data"]?["field"], "session_type")
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "blocked", start: day8)
        // The expert gives the session's details with either method (the user, who proposed the
        // date, is refused for that first).
        try w.refuse("meeting.confirm_alternate", as: w.user, id, ["session_type": "online"], code: 4009)
        let made = try w.act("meeting.confirm_alternate", as: w.expert, id, ["session_type": "online", "location_id": .string(w.locationId)])
        assertMeeting(made, status: "agreed", credit: "blocked", start: day8)
        XCTAssertEqual(made["session_type"], "online")
        let other = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 10, hour: 10)))
        try w.act("meeting.decline", as: w.expert, other, ["reason_code": "schedule_conflict"])
        try w.act("meeting.reschedule", as: w.user, other, ["start": .string(MeetingTime.at(day: 10, hour: 14))])
        assertMeeting(try w.act("meeting.confirm", as: w.expert, other, ["session_type": "online"]), status: "agreed", credit: "blocked",
                      start: MeetingTime.at(day: 10, hour: 14))
        // An agreed meeting's alternate moves a session already made: its details are not given again.
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(MeetingTime.at(day: 8, hour: 14))])
        let again = try w.refuse("meeting.confirm_alternate", as: w.expert, id, ["session_type": "online"], code: -32602)
        XCTAssertTrue(again["message"]?.string?.contains("made already") ?? false, "\(again)")
        assertMeeting(try w.act("meeting.confirm_alternate", as: w.expert, id), status: "agreed", credit: "blocked", start: MeetingTime.at(day: 8, hour: 14))
        // A step the meeting's state refuses is refused for that, before any detail is asked for:
        // the expert's own proposal waits for the user, whatever the session type.
        let proposal = try MeetingWorld.id(of: w.propose(start: day9))
        let waiting = try w.refuse("meeting.confirm", as: w.expert, proposal, code: 4009)
        XCTAssertTrue(waiting["message"]?.string?.contains("it waits for the user") ?? false, "\(waiting)")
        try w.assertReconciled()
    }

    /// The user's mirror: the expert's new date after the user declined it, turned down by the
    /// user; a request never declined has no alternative date to answer.
    func testTheUserAnswersTheExpertsNewDateAfterARejection() throws {
        let w = try world()
        let proposal = try MeetingWorld.id(of: w.propose(start: day7))
        try w.act("meeting.decline", as: w.user, proposal, ["reason_code": "schedule_conflict"])
        try w.act("meeting.reschedule", as: w.expert, proposal, ["start": .string(day8)])
        assertMeeting(try w.act("meeting.confirm_alternate", as: w.user, proposal), status: "agreed", credit: "blocked", start: day8)
        XCTAssertEqual(try w.timeline(proposal).last, "alternative_date_approved_by_user")

        let request = try MeetingWorld.id(of: w.request(start: day9))
        try w.refuse("meeting.reject_alternate", as: w.expert, request, ["reason_code": "other"], code: 4009)
        try w.refuse("meeting.confirm_alternate", as: w.expert, request, code: 4009)
        assertMeeting(try w.meeting(request), status: "awaiting_approval", credit: "blocked", start: day9)
        try w.assertReconciled()
    }

    /// Seed 003's counter-offer: the expert answers a request with another time and a note.
    func testExpertCounterOffersARequest() throws {
        let w = try world()
        let id = try MeetingWorld.id(of: w.request(start: day7))
        _ = try w.drainOutbox()
        let later = MeetingTime.at(day: 7, hour: 14)
        let offer = try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(later), "note": "Afternoon works better"])
        assertMeeting(offer, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: false, start: later)
        XCTAssertEqual(try w.drainedSummary(), ["counter_offer_by_expert→user"])
        XCTAssertEqual(try w.wallet(), held, "credits already held stay held")
        assertMeeting(try w.act("meeting.confirm", as: w.user, id), status: "agreed", credit: "blocked", start: later)
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])
        try w.assertReconciled()
    }

    /// SPEC §5.2: a counter-offer keeps the hold already made. The expert's counter-offer of a
    /// longer session (and so a higher price) leaves the user's 100 credits held; the user's yes
    /// holds the new price in their place (refused, changing nothing, while they lack it), and a
    /// decline of a shorter one returns what was held.
    func testACounterOfferOfAnotherLengthKeepsTheUsersHoldUntilTheyAnswer() throws {
        let w = try world()
        let tight = try w.addUser(name: "tight", credits: 120)
        let id = try MeetingWorld.id(of: w.request(start: day7, by: tight))
        _ = try w.drainOutbox()
        let later = MeetingTime.at(day: 7, hour: 14)
        let offer = try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(later), "length_minutes": 90])
        assertMeeting(offer, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: false, start: later)
        XCTAssertEqual(offer["price_credits"], 150)
        XCTAssertEqual(offer["held_credits"], 100, "the hold the user made stays")
        XCTAssertEqual(try w.wallet(tight), MeetingWorld.wallet(blocked: 100, granted: 120))
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])
        let told = try w.drainRaw()
        XCTAssertEqual(told.map { $0["kind"]?.string ?? "" }, ["counter_offer_by_expert"])
        let text = told.first?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("(90 minutes, 150 credits)"), text)
        XCTAssertTrue(text.contains("The 100 credits held for your request stay held until you answer"), text)
        try w.assertReconciled()

        // The refusal speaks of the wallet as ledger.balance shows it: 20 available, and the 50
        // the new price needs beyond the 100 already held.
        let short = try w.refuse("meeting.confirm", as: tight, id, code: 4020)
        XCTAssertEqual(short["data"]?["code"], "insufficient_credits")
        XCTAssertEqual(short["data"]?["required"], 50)
        XCTAssertEqual(short["data"]?["available"], 20)
        XCTAssertEqual(short["data"]?["already_held"], 100)
        XCTAssertEqual(try w.wallet(tight).available, 20)
        let unchanged = try w.meeting(id)
        XCTAssertEqual(unchanged["version"], offer["version"], "a refused answer changes nothing")
        XCTAssertEqual(unchanged["held_credits"], 100)
        XCTAssertEqual(try w.wallet(tight), MeetingWorld.wallet(blocked: 100, granted: 120))

        try w.grant(tight, 40)
        let agreed = try w.act("meeting.confirm", as: tight, id)
        assertMeeting(agreed, status: "agreed", credit: "blocked", start: later)
        XCTAssertEqual(agreed["held_credits"], 150)
        XCTAssertEqual(try w.wallet(tight), MeetingWorld.wallet(blocked: 150, granted: 160))
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100", "hold pending 150"])
        try w.assertReconciled()

        let other = try MeetingWorld.id(of: w.request(start: day8))
        let shorter = try w.act("meeting.reschedule", as: w.expert, other, ["start": .string(MeetingTime.at(day: 8, hour: 15)), "length_minutes": 30])
        XCTAssertEqual(shorter["price_credits"], 50)
        XCTAssertEqual(shorter["held_credits"], 100)
        XCTAssertEqual(try w.wallet(), held)
        let declined = try w.act("meeting.decline", as: w.user, other, ["reason_code": "other"])
        XCTAssertEqual(declined["credit_status"], "returned")
        XCTAssertEqual(declined["held_credits"], 0)
        XCTAssertEqual(declined["returned_credits"], 100, "what came back, not the new price")
        XCTAssertEqual(try w.meeting(other)["returned_credits"], 100, "and so reads the meeting back")
        XCTAssertEqual(agreed["returned_credits"], .null, "nothing stands returned while a hold is open")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet())
        try w.assertReconciled()
    }

    func testRescheduleRefusedForCancelledOrStartedMeetings() throws {
        let w = try world()
        let cancelled = try w.agreed(start: day7)
        try w.act("meeting.cancel", as: w.user, cancelled, ["reason_code": "other"])
        XCTAssertEqual(try w.refuse("meeting.reschedule", as: w.expert, cancelled, ["start": .string(day8)], code: 4009)["data"]?["status"], "cancelled")
        let started = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        let declined = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 1, hour: 12)))
        try w.act("meeting.decline", as: w.expert, declined, ["reason_code": "other"])
        let waiting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 1, hour: 14)))
        try w.setClock(MeetingTime.at(day: 1, hour: 10, minute: 1))
        let agreedStarted = try w.refuse("meeting.reschedule", as: w.expert, started, ["start": .string(day8)], code: 4012)
        XCTAssertTrue(agreedStarted["message"]?.string?.contains("logs the session") ?? false, "\(agreedStarted)")
        // Each says what became of it: a declined meeting holds nothing and stays declined (it
        // was told it would expire and give credits back); a waiting one expires.
        try w.setClock(MeetingTime.at(day: 1, hour: 14, minute: 1))
        let declinedStarted = try w.refuse("meeting.reschedule", as: w.user, declined, ["start": .string(day8)], code: 4012)
        XCTAssertTrue(declinedStarted["message"]?.string?.contains("It was declined and holds no credits; it stays declined") ?? false, "\(declinedStarted)")
        XCTAssertFalse(declinedStarted["message"]?.string?.contains("expires") ?? true, "\(declinedStarted)")
        let waitingStarted = try w.refuse("meeting.confirm", as: w.expert, waiting, code: 4012)
        XCTAssertTrue(waitingStarted["message"]?.string?.contains("it expires when the scheduler next runs") ?? false, "\(waitingStarted)")
        let past = try w.refuse("meeting.reschedule", as: w.user, try w.agreed(start: day9), ["start": .string(MeetingTime.at(day: 1, hour: 9))], code: -32602)
        XCTAssertEqual(past["data"]?["field"], "start", "a new date in the past is refused")
    }

    // MARK: Confirmation of the alternative date proposed by the user

    func testExpertConfirmsTheUsersAlternateDate() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        _ = try w.drainOutbox()
        let moved = try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day9)])
        XCTAssertEqual(moved["alternate"]?["proposed_by"], "user")
        XCTAssertEqual(moved["awaiting_action_by"], "expert")
        XCTAssertEqual(try w.timeline(id).suffix(2), ["alternative_date_selected_by_user", "approved_by_user"])
        XCTAssertEqual(try w.drainedSummary(), ["rescheduling_agreed_by_user→expert", "rescheduling_agreed_by_user→user"], "the expert asked, the user's receipt")
        try w.refuse("meeting.confirm_alternate", as: w.user, id, code: 4009)

        let approved = try w.act("meeting.confirm_alternate", as: w.expert, id)
        assertMeeting(approved, status: "agreed", credit: "blocked", expertApproved: true, userApproved: true, start: day9)
        XCTAssertEqual(approved["alternate"], .null)
        let last = try w.timelineEvents(id).last
        XCTAssertEqual(last?["kind"], "alternative_date_approved_by_expert")
        XCTAssertEqual(last?["details"]?["previous_start"]?.string, day7)
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["alternative_date_approved_by_expert→user", "video.cancel→video", "video.create→video"]))
        XCTAssertEqual(try w.wallet(), held)
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])

        let other = try w.addUser(name: "other")
        assertMeeting(try w.request(start: day7, by: other), status: "awaiting_approval", credit: "blocked", "the original slot is free again")
        let taken = try w.meetingd.error("meeting.request", as: other, w.requestParams(start: day9), code: 4011)
        XCTAssertEqual(taken["data"]?["code"], "slot_unavailable", "the new date takes the expert's time")
        try w.assertReconciled()
    }

    func testConfirmingAnAlternateWarnsOfAnOverlappingAgreedMeeting() throws {
        let (w, other, first, second, overlapping) = try twoAgreedMeetings()
        try w.act("meeting.reschedule", as: other, second, ["start": .string(overlapping)])
        _ = try w.drainOutbox()
        let shown = try w.meetingd.result("meeting.conflicts", as: w.expert, ["meeting_id": .string(second)])
        XCTAssertEqual(shown["meetings"]?.array?.map { $0["id"]?.string }, [first], "conflicts of the alternate's time")
        let error = try w.refuse("meeting.confirm_alternate", as: w.expert, second, code: 4010)
        XCTAssertEqual(error["data"]?["meeting_ids"], [.string(first)])
        let unchanged = try w.meeting(second)
        assertMeeting(unchanged, status: "agreed", credit: "blocked", start: MeetingTime.at(day: 7, hour: 14))
        XCTAssertEqual(unchanged["alternate"]?["start"]?.string, overlapping, "the alternate stays open")
        XCTAssertEqual(try w.drainedSummary(), [])

        let accepted = try w.act("meeting.confirm_alternate", as: w.expert, second, ["accept_conflicts": true])
        assertMeeting(accepted, status: "agreed", credit: "blocked", start: overlapping)
        XCTAssertEqual(accepted["conflict_accepted"], true)
        try w.assertReconciled()
    }

    /// A user's new date of another length for an agreed meeting is their approval of its price:
    /// refused when proposed if they cannot pay it (counting the credits the meeting holds), not
    /// left for the expert to meet as an error they cannot fix.
    func testTheUsersLongerNewDateNeedsItsCreditsWhenProposed() throws {
        let w = try world()
        let tight = try w.addUser(name: "tight", credits: 150)
        let id = try MeetingWorld.id(of: w.request(start: day7, by: tight))
        try w.act("meeting.confirm", as: w.expert, id)
        let refused = try w.refuse("meeting.reschedule", as: tight, id, ["start": .string(day9), "length_minutes": 120], code: 4020)
        XCTAssertEqual(refused["data"]?["required"], 100, "what the new price needs beyond the meeting's hold")
        XCTAssertEqual(refused["data"]?["available"], 50, "the wallet's available credits, as ledger.balance says")
        XCTAssertEqual(refused["data"]?["already_held"], 100)
        XCTAssertTrue(refused["message"]?.string?.contains("50 available, 100 more credits (200 in all, 100 already held for this meeting) required") ?? false, "\(refused)")
        XCTAssertEqual(try w.meeting(id)["alternate"], .null, "nothing proposed")
        let longer = try w.act("meeting.reschedule", as: tight, id, ["start": .string(day9), "length_minutes": 90])
        XCTAssertEqual(longer["alternate"]?["price_credits"], 150)
        XCTAssertEqual(longer["held_credits"], 100, "held as agreed until the expert approves")
        let approved = try w.act("meeting.confirm_alternate", as: w.expert, id)
        assertMeeting(approved, status: "agreed", credit: "blocked", start: day9)
        XCTAssertEqual(approved["held_credits"], 150)
        try w.assertReconciled()
    }

    /// When the user's credits no longer cover their longer new date by the time the expert
    /// approves it, the expert is told what is missing, not the user's balance.
    func testTheExpertIsNotToldTheUsersBalanceWhenTheirNewDateIsNoLongerCovered() throws {
        let w = try world()
        let tight = try w.addUser(name: "tight", credits: 150)
        let id = try MeetingWorld.id(of: w.request(start: day7, by: tight))
        try w.act("meeting.confirm", as: w.expert, id)
        try w.act("meeting.reschedule", as: tight, id, ["start": .string(day9), "length_minutes": 90])
        var params = w.requestParams(start: MeetingTime.at(day: 8, hour: 10))
        params["length_minutes"] = 30
        try w.meetingd.result("meeting.request", as: tight, params)

        let refused = try w.refuse("meeting.confirm_alternate", as: w.expert, id, code: 4020)
        XCTAssertEqual(refused["data"]?["required"], 50, "the difference the new price needs")
        XCTAssertNil(refused["data"]?["available"], "the user's balance is theirs: \(refused)")
        XCTAssertNil(refused["data"]?["already_held"])
        let message = try XCTUnwrap(refused["message"]?.string)
        XCTAssertEqual(message, "Insufficient credits: the user does not have the 50 more credits (150 in all, 100 already held for this meeting) this needs; it can be booked once their wallet has them, or shorter")
        let unchanged = try w.meeting(id)
        assertMeeting(unchanged, status: "agreed", credit: "blocked", start: day7)
        XCTAssertEqual(unchanged["held_credits"], 100)
        XCTAssertEqual(unchanged["alternate"]?["price_credits"], 150, "the new date stays open")

        // The user's own answer to the same shortfall says what they have.
        try w.act("meeting.withdraw_alternate", as: tight, id)
        let own = try w.refuse("meeting.reschedule", as: tight, id, ["start": .string(day9), "length_minutes": 90], code: 4020)
        XCTAssertEqual(own["data"]?["available"], 0)
        XCTAssertEqual(own["data"]?["already_held"], 100)
        try w.assertReconciled()
    }

    /// The expert's own new date for an agreed meeting over another of their agreed meetings: warned
    /// when proposing it (seed 004), and proposing it anyway is their acceptance, kept with the
    /// alternate, so the user's approval stands; without it the user would meet a conflict only the
    /// expert could answer.
    func testTheExpertsAlternateOverTheirOwnMeetingIsWarnedAndTheirAcceptanceStands() throws {
        let (w, other, first, second, overlapping) = try twoAgreedMeetings()
        let warned = try w.refuse("meeting.reschedule", as: w.expert, second, ["start": .string(overlapping)], code: 4010)
        XCTAssertEqual(warned["data"]?["meeting_ids"], [.string(first)], "the expert sees which meeting")
        XCTAssertEqual(try w.meeting(second)["alternate"], .null, "nothing proposed")
        let proposed = try w.act("meeting.reschedule", as: w.expert, second, ["start": .string(overlapping), "accept_conflicts": true])
        XCTAssertEqual(proposed["alternate"]?["conflict_accepted"], true)
        let approved = try w.act("meeting.confirm_alternate", as: other, second)
        assertMeeting(approved, status: "agreed", credit: "blocked", start: overlapping)
        XCTAssertEqual(approved["conflict_accepted"], true)
        XCTAssertEqual(approved["alternate"], .null)

        // An alternate proposed without an overlap carries no acceptance: one that came after is
        // the expert's to accept, and the user is told plainly.
        let third = try w.agreed(start: day9, by: other)
        let later = MeetingTime.at(day: 9, hour: 16)
        XCTAssertEqual(try w.act("meeting.reschedule", as: w.expert, third, ["start": .string(later)])["alternate"]?["conflict_accepted"], false)
        try w.agreed(start: later)
        let refused = try w.refuse("meeting.confirm_alternate", as: other, third, code: 4010)
        XCTAssertEqual(refused["data"]?["meeting_ids"], [])
        try w.assertReconciled()
    }

    /// An alternate whose time has passed cannot become the meeting's date: the meeting would be
    /// agreed in the past (reschedule itself refuses a start in the past).
    func testAnAlternateWhoseTimeHasPassedCannotBeConfirmed() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        let soon = MeetingTime.at(day: 1, hour: 10)
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(soon)])
        try w.setClock(MeetingTime.at(day: 1, hour: 11))
        let response = try w.meetingd.call("meeting.confirm_alternate", as: w.expert, ["meeting_id": .string(id)])
        XCTAssertTrue([4009, 4012].contains(response["error"]?["code"]?.int ?? 0),
                      "confirming an alternate at \(soon) when it is already 11:00 should be refused: \(response)")
        assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked", start: day7, "the meeting keeps its future date")
        try w.assertReconciled()
    }

    // MARK: Rejection of a replacement date proposed by the user

    /// The seed says the credits are unblocked; SPEC §5.2 decides that an agreed meeting keeps
    /// its date and its hold (only a meeting without another commitment returns them).
    func testExpertRejectsTheUsersAlternateDate() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day9)])
        _ = try w.drainOutbox()
        for bad: [String: JSONValue] in [[:], ["reason_code": "emergency"]] {
            XCTAssertEqual(try w.refuse("meeting.reject_alternate", as: w.expert, id, bad, code: -32602)["data"]?["field"], "reason_code")
        }
        try w.refuse("meeting.reject_alternate", as: w.user, id, ["reason_code": "other"], code: 4009)
        let rejected = try w.act("meeting.reject_alternate", as: w.expert, id, ["reason_code": "schedule_conflict"])
        assertMeeting(rejected, status: "agreed", credit: "blocked", start: day7)
        XCTAssertEqual(rejected["alternate"], .null, "the alternate appointment is cancelled")
        let last = try w.timelineEvents(id).last
        XCTAssertEqual(last?["kind"], "alternative_date_rejected_by_expert")
        XCTAssertEqual(last?["reason_code"], "schedule_conflict")
        XCTAssertEqual(try w.drainedSummary(), ["alternative_date_rejected_by_expert→user"])
        XCTAssertEqual(try w.wallet(), held)
        XCTAssertEqual(try w.trail(id), ["hold pending 100"])
        try w.refuse("meeting.reject_alternate", as: w.expert, id, ["reason_code": "other"], code: 4009)
        try w.assertReconciled()
    }

    /// The user's mirror: rejecting the expert's alternate.
    func testUserRejectsTheExpertsAlternateDate() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(day9)])
        _ = try w.drainOutbox()
        let rejected = try w.act("meeting.reject_alternate", as: w.user, id, ["reason_code": "other"])
        assertMeeting(rejected, status: "agreed", credit: "blocked", start: day7)
        XCTAssertEqual(try w.timeline(id).last, "alternative_date_rejected_by_user")
        XCTAssertEqual(try w.drainedSummary(), ["alternative_date_rejected_by_user→expert"])
        try w.assertReconciled()
    }

    // MARK: Cancellation of the alternate date (by its proposer)

    func testExpertWithdrawsTheirAlternateDate() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(day9)])
        _ = try w.drainOutbox()
        try w.refuse("meeting.withdraw_alternate", as: w.user, id, code: 4009)
        let withdrawn = try w.act("meeting.withdraw_alternate", as: w.expert, id)
        assertMeeting(withdrawn, status: "agreed", credit: "blocked", start: day7)
        XCTAssertEqual(withdrawn["alternate"], .null)
        XCTAssertEqual(try w.timeline(id).last, "alternative_date_cancelled_by_expert")
        XCTAssertEqual(try w.drainedSummary(), ["alternative_date_cancelled_by_expert→user"])
        XCTAssertEqual(try w.wallet(), held)
        try w.refuse("meeting.withdraw_alternate", as: w.expert, id, code: 4009)
        try w.refuse("meeting.confirm_alternate", as: w.user, id, code: 4009)
        try w.assertReconciled()
    }

    func testUserWithdrawsTheirAlternateDate() throws {
        let w = try world()
        let id = try w.agreed(start: day7)
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(day9)])
        _ = try w.drainOutbox()
        try w.refuse("meeting.withdraw_alternate", as: w.expert, id, code: 4009)
        let withdrawn = try w.act("meeting.withdraw_alternate", as: w.user, id)
        assertMeeting(withdrawn, status: "agreed", credit: "blocked", start: day7)
        XCTAssertEqual(try w.timeline(id).last, "alternative_date_cancelled_by_user")
        XCTAssertEqual(try w.drainedSummary(), ["alternative_date_cancelled_by_user→expert"])
        try w.assertReconciled()
    }

    // MARK: Notifications

    /// "Meeting reminder" to the user 24 hours before, "Meeting link" to the expert 60 minutes
    /// before, for a meeting confirmed by both parties (details in MeetingOutboxJobsTests).
    func testReminderAndLinkForAnAgreedMeeting() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10)
        let id = try w.agreed(start: start)
        try w.act("meeting.set_video_link", as: w.admin, id, ["url": "https://video.example/room-1"])
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        let first = try w.meetingd.result("jobs.run_due", as: w.admin)
        XCTAssertEqual(first["reminders_queued"], 1)
        XCTAssertEqual(first["links_queued"], 0)
        let reminder = try w.drainOutbox()
        XCTAssertEqual(w.summary(reminder), ["meeting_reminder→user"])
        XCTAssertEqual(reminder.first?.meetingId, id)
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        let second = try w.meetingd.result("jobs.run_due", as: w.admin)
        XCTAssertEqual(second["reminders_queued"], 0)
        XCTAssertEqual(second["links_queued"], 1)
        let link = try w.drainOutbox()
        XCTAssertEqual(w.summary(link), ["meeting_link→expert"])
        XCTAssertTrue(link.first?.raw["rendered"]?["text"]?.string?.contains("https://video.example/room-1") ?? false,
                      "the link is in the message: \(link.first?.raw ?? .null)")
    }

    // MARK: After the meeting

    func testLoggingTheSessionPaysTheExpert() throws {
        let w = try world()
        let start = MeetingTime.at(day: 1, hour: 10)
        let id = try w.agreed(start: start)
        try w.refuse("meeting.log_session", as: w.expert, id, ["attendance": "attended"], code: 4009)
        try w.setClock(MeetingTime.shifted(start, minutes: 65))
        XCTAssertEqual(try w.refuse("meeting.log_session", as: w.expert, id, ["attendance": "attended", "duration_adjust_minutes": 7], code: -32602)["data"]?["field"],
                       "duration_adjust_minutes")
        try w.meetingd.error("meeting.log_session", as: w.user, ["meeting_id": .string(id), "attendance": "attended"], code: 4003)
        _ = try w.drainOutbox()
        let logged = try w.act("meeting.log_session", as: w.expert, id, ["attendance": "attended", "duration_adjust_minutes": 10])
        assertMeeting(logged, status: "completed", credit: "paid")
        XCTAssertEqual(logged["duration_minutes"], 70)
        XCTAssertEqual(try w.timeline(id).last, "session_logged")
        XCTAssertEqual(try w.drainedSummary(), ["session_logged→user"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(captured: 100))
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "capture post_pending 100", "fee posted 10"])
        try w.assertReconciled()
    }

    func testAnExpertNoShowReturnsTheCredits() throws {
        let w = try world()
        let start = MeetingTime.at(day: 1, hour: 10)
        let id = try w.agreed(start: start)
        try w.refuse("meeting.report_no_show", as: w.user, id, code: 4009)
        try w.setClock(MeetingTime.shifted(start, minutes: 30))
        try w.refuse("meeting.report_no_show", as: w.expert, id, code: 4003)
        let early = try w.refuse("meeting.report_no_show", as: w.user, id, code: 4009)
        XCTAssertTrue(early["message"]?.string?.contains("once the meeting's time is over") ?? false, "not while it may still happen: \(early)")
        try w.setClock(MeetingTime.shifted(start, minutes: 60))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.report_no_show", as: w.user, id), status: "completed", credit: "returned")
        XCTAssertEqual(try w.timeline(id).last, "expert_no_show_reported")
        XCTAssertEqual(try w.drainedSummary(), ["expert_no_show→expert"])
        XCTAssertEqual(try w.wallet(), untouched)
        try w.refuse("meeting.log_session", as: w.expert, id, ["attendance": "attended"], code: 4009)
        // An admin's report is told to the user as well, whose credits it returned (they were
        // told nothing).
        let other = try w.agreed(start: MeetingTime.at(day: 2, hour: 10))
        try w.setClock(MeetingTime.at(day: 2, hour: 12))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.report_no_show", as: w.admin, other), status: "completed", credit: "returned")
        XCTAssertEqual(try w.drainedSummary().sorted(), ["expert_no_show→expert", "expert_no_show→user"])
        try w.assertReconciled()
    }
}
