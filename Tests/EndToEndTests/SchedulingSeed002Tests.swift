import Foundation
import XCTest

/// Seed 002 ("Provider-first scheduling"): the community's own words for "provider" and
/// "class" in what people read; services that are an expert's own ("Peer Mentoring with Talia
/// K") beside a generic one ("All available Peer Mentoring") every expert is certified in; the
/// three CSV files that set it up (courses, tutors, course enrolment) and what students then
/// see and may book. CSV details are in ImportCSVTests.
final class SchedulingSeed002Tests: EndToEndTestCase {
    func rendered(_ messages: [JSONValue], kind: String, to recipient: String) throws -> JSONValue {
        let message = try XCTUnwrap(messages.first { $0["kind"]?.string == kind && $0["recipient_id"]?.string == recipient }, "no \(kind) in \(messages)")
        return message["rendered"] ?? .null
    }

    /// "You will want to update the wording for 'Providers' and 'Class' within your Community":
    /// notification subjects and texts use the community's labels, and change when they do.
    func testCommunityLanguageInNotificationTexts() throws {
        let w = try MeetingWorld(self, label: #function, settings: [
            "labels": ["provider": "Peer Mentor", "class": "Peer Mentoring Service"], "short_name": "PEER",
        ])
        XCTAssertEqual(try w.meetingd.result("community.get", as: w.user)["settings"]?["labels"]?["provider"], "Peer Mentor")
        let talia = try w.addScheduledExpert(firstName: "Talia", timeZone: "UTC", services: [w.serviceId], rules: dailyRules("06:00", "22:00", at: [w.locationId]))
        let sam = try w.addNamedUser(firstName: "Sam", lastName: "Lee")
        _ = try w.drainOutbox()

        try w.meetingd.result("meeting.propose", as: talia, [
            "user_id": .string(sam), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 7, hour: 10)),
            "length_minutes": 60, "price_credits": 100,
        ])
        let invitation = try rendered(try w.drainRaw(), kind: "expert_meeting_invitation", to: sam)
        XCTAssertEqual(invitation["subject"], "[PEER] Peer Mentor Talia Tester invites you to a meeting")
        XCTAssertTrue(invitation["text"]?.string?.contains("for Peer Mentoring Service CHEM101") ?? false, "\(invitation)")
        XCTAssertTrue(invitation["text"]?.string?.hasPrefix("Hello Sam,") ?? false)

        try w.requestWith(start: MeetingTime.at(day: 8, hour: 10), by: sam, expert: talia, [:])
        let request = try rendered(try w.drainRaw(), kind: "meeting_request", to: talia)
        XCTAssertTrue(request["text"]?.string?.contains("for Peer Mentoring Service CHEM101") ?? false, "\(request)")
        for text in [invitation, request].flatMap({ [$0["subject"]?.string ?? "", $0["text"]?.string ?? "", $0["push"]?.string ?? ""] }) {
            XCTAssertFalse(text.contains("Expert"), "the default word is replaced: \(text)")
        }

        try w.updateSettings(["labels": ["provider": "Coach", "class": "Coaching"], "require_enrollment": true, "allow_expert_filter": false])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(sam), "expert_id": .string(talia)])
        try w.meetingd.result("meeting.propose", as: talia, [
            "user_id": .string(sam), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 9, hour: 10)),
            "length_minutes": 60, "price_credits": 100,
        ])
        XCTAssertEqual(try rendered(try w.drainRaw(), kind: "expert_meeting_invitation", to: sam)["subject"], "[PEER] Coach Talia Tester invites you to a meeting")
        let notEnrolled = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 10, hour: 10)), code: 4021)
        XCTAssertTrue(notEnrolled["message"]?.string?.contains("coach") ?? false, "errors speak the community's language too: \(notEnrolled)")
        let noFilter = try w.meetingd.error("availability.search", as: w.user, w.searchParams(service: nil, from: MeetingTime.at(day: 10, hour: 0),
                                                                                               to: MeetingTime.at(day: 11, hour: 0), ["expert_id": .string(talia)]), code: 4003)
        XCTAssertTrue(noFilter["message"]?.string?.contains("coach") ?? false, "\(noFilter)")
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(talia)])
        let outside = try w.meetingd.error(
            "meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 10, hour: 3), expert: talia), code: 4011)
        XCTAssertTrue(outside["message"]?.string?.contains("the coach's hours") ?? false, "\(outside)")
    }

    /// The provider-first set-up from the seed's three CSV files: each mentor's own service and
    /// the generic one (Courses CSV), mentors certified in the generic one (Tutors CSV),
    /// students assigned to a mentor's service or to the generic one (Course Enrollment CSV).
    /// A student sees and books exactly what they are assigned to: one mentor's calendar, or
    /// everyone's merged.
    /// Hours kept for a service the expert does not offer could never be booked: the rule is
    /// refused, naming the service, until the expert is certified in it.
    func testWeeklyHoursNameOnlyServicesTheExpertOffers() throws {
        let w = try MeetingWorld(self, label: #function)
        let other = try w.addService("Coaching \(TestEnvironment.uniqueTag())")
        let rules: JSONValue = .array([weeklyRule(1, "09:00", "12:00", at: [w.locationId], services: [w.serviceId, other])])
        let refused = try w.meetingd.error(
            "availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": rules], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "rules[0].service_ids[1]")
        XCTAssertTrue(refused["message"]?.string?.contains("does not offer") ?? false, "\(refused)")
        XCTAssertTrue(refused["message"]?.string?.contains("certify them in it first") ?? false, "\(refused)")
        // Another expert's own service cannot be certified into: the refusal does not say to.
        let mentor = try w.addExpert(name: "mentor")
        let theirs = try w.addService("Mentoring with mentor \(TestEnvironment.uniqueTag())", expertId: mentor)
        let notOurs = try w.meetingd.error("availability.set_weekly", as: w.expert, [
            "expert_id": .string(w.expert), "time_zone": "UTC",
            "rules": .array([weeklyRule(1, "09:00", "12:00", at: [w.locationId], services: [theirs])]),
        ], code: -32602)
        XCTAssertTrue(notOurs["message"]?.string?.contains("another expert's own service") ?? false, "\(notOurs)")
        XCTAssertFalse(notOurs["message"]?.string?.contains("certify") ?? true, "\(notOurs)")
        try w.certify(w.expert, in: other)
        let kept = try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": rules])
        XCTAssertEqual(kept["rules"]?.array?.first?["service_ids"], [.string(w.serviceId), .string(other)])
    }

    /// When a peer mentor leaves, the admin retires "Peer Mentoring with …": it is no longer
    /// searched or booked, the meeting already booked stays, and it can be offered again.
    func testARetiredServiceIsNotSearchedOrBookedAndItsMeetingsStay() throws {
        let w = try MeetingWorld(self, label: #function)
        let booked = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 3, hour: 10)))
        try w.meetingd.result("meeting.confirm", as: w.expert, ["meeting_id": .string(booked)])
        let waiting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 3, hour: 12)))
        // The user proposes a new date for the agreed meeting, not answered when it is retired.
        try w.act("meeting.reschedule", as: w.user, booked, ["start": .string(MeetingTime.at(day: 3, hour: 15))])
        // A new date for a meeting that will have started then can be neither withdrawn nor
        // rejected any more (it closes at the next run): it is not named.
        let started = try w.agreed(start: MeetingTime.at(day: 1, hour: 9))
        try w.act("meeting.reschedule", as: w.user, started, ["start": .string(MeetingTime.at(day: 5, hour: 10))])
        // A request whose start has passed waits for nobody (it expires): it is not named.
        _ = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 1, hour: 10)))
        try w.setClock(MeetingTime.at(day: 1, hour: 11))
        try w.meetingd.error("service.set_active", as: w.user, ["service_id": .string(w.serviceId), "active": false], code: 4003)
        let retired = try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": false])
        XCTAssertEqual(retired["active"], false)
        XCTAssertEqual(retired["waiting_meetings"], [.string(waiting)], "the request still waiting is named")
        XCTAssertEqual(retired["active_series"], [])
        XCTAssertEqual(retired["open_alternates"], [.string(booked)], "the agreed meeting's new date, which cannot be accepted now, is named")
        XCTAssertEqual(retired["open_alternates_count"], 1)
        try w.meetingd.error("meeting.confirm_alternate", as: w.expert, ["meeting_id": .string(booked)], code: 4011)
        let window = w.searchParams(service: nil, from: MeetingTime.at(day: 4, hour: 0), to: MeetingTime.at(day: 5, hour: 0), [:])
        let refusedSearch = try w.meetingd.error("availability.search", as: w.user, window, code: 4011)
        XCTAssertTrue(refusedSearch["message"]?.string?.contains("not offered any more") ?? false, "\(refusedSearch)")
        // The search does not point to itself, and declares the 4011 it answers.
        XCTAssertFalse(refusedSearch["message"]?.string?.contains("availability.search") ?? true, "\(refusedSearch)")
        let document = try Meetingd.result(of: try w.meetingd.call("rpc.discover"))
        let search = document["methods"]?.array?.first { $0["name"] == "availability.search" }
        XCTAssertTrue(search?["errors"]?.array?.contains { $0["code"] == 4011 || $0["$ref"]?.string?.hasSuffix("slot_unavailable") == true } ?? false,
                      "\(search?["errors"] ?? .null)")
        try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 4, hour: 10)), code: 4011)
        // The agreed meeting stays; a request not yet confirmed can be declined, not confirmed.
        XCTAssertEqual(try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": .string(booked)])["status"], "agreed")
        let notConfirmed = try w.meetingd.error("meeting.confirm", as: w.expert, ["meeting_id": .string(waiting)], code: 4011)
        XCTAssertTrue(notConfirmed["message"]?.string?.contains("decline the meeting") ?? false, "says what can be done: \(notConfirmed)")
        XCTAssertFalse(refusedSearch["message"]?.string?.contains("decline") ?? true, "a search has nothing to decline")
        try w.meetingd.error("service.set_active", as: w.admin, ["service_id": "svc_00000000000000000000000000000000", "active": true], code: 4004)
        XCTAssertEqual(try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": true])["active"], true)
        XCTAssertFalse(try w.search(from: MeetingTime.at(day: 4, hour: 0), to: MeetingTime.at(day: 5, hour: 0)).isEmpty)
        try w.request(start: MeetingTime.at(day: 4, hour: 10))

        let c = try MeetctlCommunity.make(#function)
        let series = try c.admin.json([
            "series", "create", "--user", c.userId, "--expert", c.expertId, "--service", "CHEM101", "--start", "2030-03-11 09:00", "--location", "Room 101",
            "--weeks", "2",
        ])
        let agreed = try c.agreedMeeting(start: "2030-03-13 10:00")
        _ = try (try c.user).json(["reschedule", agreed, "--start", "2030-03-13 14:00"])
        let said = try c.admin.ok(["retire", "--service", c.serviceId])
        XCTAssertTrue(said.contains("is retired. 2 requests for it still wait for an answer (mtg_"), said)
        XCTAssertTrue(said.contains(" 1 agreed meeting has a new date proposed (\(agreed)) that can no longer be accepted: it stays at its time;"), said)
        XCTAssertTrue(said.contains("): their expert (or the office) declines them, their users withdraw them, or they expire at the start."), said)
        XCTAssertTrue(said.contains("1 weekly series goes on without booking it: meetctl series cancel SERIES ends one (\(series["id"]?.string ?? "?"))"), said)
        let listed = try c.admin.json(["services"])["items"]?.array?.first { $0["id"]?.string == c.serviceId }
        XCTAssertEqual(listed?["active"], false, "the list shows it retired")
        XCTAssertTrue(try c.admin.ok(["services"]).contains("ACTIVE"))
        XCTAssertTrue(try c.admin.ok(["retire", "--service", c.serviceId, "--restore"]).contains("is offered again."))
    }

    /// An admin renames a service and changes its price, length, skills and questions: booked
    /// meetings keep what they were booked with, new bookings take the service as it is now.
    func testAServiceIsRenamedAndRepricedAndItsBookedMeetingsKeepTheirs() throws {
        let w = try MeetingWorld(self, label: #function)
        let booked = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 3, hour: 10)))
        let other = try w.meetingd.result("service.create", as: w.admin, [
            "name": "Physics", "kind": "generic", "default_length_minutes": 30, "price_credits": 10,
        ])
        let update = { (extra: [String: JSONValue]) in ["service_id": JSONValue.string(w.serviceId)].merging(extra) { $1 } }
        try w.meetingd.error("service.update", as: w.user, update(["price_credits": 1]), code: 4003)
        let nothing = try w.meetingd.error("service.update", as: w.admin, update([:]), code: -32602)
        XCTAssertEqual(nothing["data"]?["field"], "service_id", "\(nothing)")
        XCTAssertTrue(nothing["data"]?["reason"]?.string?.contains("has nothing to change") ?? false, "\(nothing)")
        let taken = try w.meetingd.error("service.update", as: w.admin, update(["name": " PHYSICS "]), code: -32602)
        XCTAssertTrue(taken["data"]?["reason"]?.string?.contains("already the name of service Physics") ?? false, "\(taken)")
        try w.meetingd.error("service.update", as: w.admin, ["service_id": "svc_00000000000000000000000000000000", "price_credits": 1], code: 4004)
        try w.meetingd.error("service.update", as: w.admin, update(["skills": ["Stoichiometry", "Stoichiometry "]]), code: -32602)
        let unchanged = try w.meetingd.allPages("service.list", as: w.admin).first { $0["id"]?.string == w.serviceId }
        XCTAssertEqual(unchanged?["name"], "CHEM101", "a refused change changes nothing")
        XCTAssertEqual(unchanged?["price_credits"]?.int, MeetingWorld.price)

        let changed = try w.meetingd.result("service.update", as: w.admin, update([
            "name": " Chemistry 101 ", "price_credits": 160, "default_length_minutes": 90, "skills": ["Stoichiometry"],
            "agenda_questions": ["What do you want to work on?"],
        ]))
        XCTAssertEqual(changed["name"], "Chemistry 101")
        XCTAssertEqual(changed["price_credits"], 160)
        XCTAssertEqual(changed["default_length_minutes"], 90)
        XCTAssertEqual(changed["skills"], ["Stoichiometry"])
        XCTAssertEqual(changed["kind"], "generic")
        XCTAssertEqual(changed["active"], true)
        // Its own name in another case is its own.
        XCTAssertEqual(try w.meetingd.result("service.update", as: w.admin, update(["name": "CHEMISTRY 101"]))["name"], "CHEMISTRY 101")
        XCTAssertEqual(try w.meetingd.result("service.update", as: w.admin, update(["agenda_questions": []]))["agenda_questions"], [])
        XCTAssertEqual(try w.meetingd.result("service.update", as: w.admin, update(["name": "Chemistry 101"]))["price_credits"], 160, "a change leaves the rest")

        let kept = try w.meeting(booked)
        XCTAssertEqual(kept["price_credits"]?.int, MeetingWorld.price, "a booked meeting keeps its price")
        XCTAssertEqual(kept["length_minutes"]?.int, MeetingWorld.lengthMinutes)
        let fresh = try w.meetingd.result("meeting.request", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "location_id": .string(w.locationId),
            "start": .string(MeetingTime.at(day: 4, hour: 10)), "skill": "Stoichiometry",
        ])
        XCTAssertEqual(fresh["price_credits"], 160, "a new booking takes the new price")
        XCTAssertEqual(fresh["length_minutes"], 90, "and the new default length")
        XCTAssertEqual(try w.wallet().blocked, MeetingWorld.price + 160)
        try w.assertReconciled()
        _ = other

        let c = try MeetctlCommunity.make(#function)
        let shown = try c.admin.ok(["service", "set", "--service", c.serviceId, "--name", "Chemistry", "--price", "120", "--question", "Topic?"])
        XCTAssertTrue(shown.contains("Chemistry") && shown.contains("120") && shown.contains("Topic?"), shown)
        let listed = try c.admin.json(["services"])["items"]?.array?.first { $0["id"]?.string == c.serviceId }
        XCTAssertEqual(listed?["name"], "Chemistry")
        XCTAssertEqual(try c.admin.json(["service", "set", "--service", "Chemistry", "--no-questions"])["agenda_questions"], [])
        let empty = try c.admin.fails(["service", "set", "--service", c.serviceId], status: 2)
        XCTAssertTrue(empty.stderr.contains("needs something to change"), empty.stderr)
        let both = try c.admin.fails(["service", "set", "--service", c.serviceId, "--no-skills", "--skills", "A"], status: 2)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
    }

    /// A meeting keeps the questions its answers answer: the service's questions changed since,
    /// its invitation still shows each answer under the question the user was asked.
    func testABookedMeetingKeepsTheQuestionsItsAnswersAnswer() throws {
        let w = try MeetingWorld(self, label: #function)
        let update = { (questions: [JSONValue]) in
            _ = try w.meetingd.result("service.update", as: w.admin, ["service_id": .string(w.serviceId), "agenda_questions": .array(questions)])
        }
        try update(["What is your goal?", "Which chapter?"])
        var params = w.requestParams(start: MeetingTime.at(day: 3, hour: 10))
        params["agenda_answers"] = ["Pass the exam", "Chapter 3"]
        let booked = try w.meetingd.result("meeting.request", as: w.user, params)
        XCTAssertEqual(booked["agenda_questions"], ["What is your goal?", "Which chapter?"])
        let id = try MeetingWorld.id(of: booked)
        try w.act("meeting.confirm", as: w.expert, id)
        try update(["How long have you studied?", "Anything else?"])
        let calendar = try w.meetingd.result("meeting.calendar", as: w.user, ["meeting_id": .string(id)])
        let ics = calendar["ics"]?.string ?? ""
        let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
        XCTAssertTrue(unfolded.contains("What is your goal?") && unfolded.contains("Which chapter?"), ics)
        XCTAssertFalse(unfolded.contains("How long have you studied?"), "the answers stay under the questions asked: \(ics)")
        XCTAssertEqual(try w.meeting(id)["agenda_questions"], ["What is your goal?", "Which chapter?"])
        params["start"] = .string(MeetingTime.at(day: 4, hour: 10))
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: w.user, params)["agenda_questions"], ["How long have you studied?", "Anything else?"])
        params["start"] = .string(MeetingTime.at(day: 5, hour: 10))
        params["agenda_answers"] = nil
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: w.user, params)["agenda_questions"], .null, "no answers, no questions")
    }

    /// An admin renames a location and retires it: nothing is booked there or moved to it, its
    /// hours offer no times and take no new hours, its meetings stay; restored, it is offered again.
    func testALocationIsRenamedAndRetiredAndItsMeetingsStay() throws {
        let w = try MeetingWorld(self, label: #function)
        let library = try MeetingWorld.id(of: w.meetingd.result("location.create", as: w.admin, ["name": "Library", "kind": "in_person"]))
        try w.meetingd.result("availability.set_weekly", as: w.expert, [
            "expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(dailyRules("06:00", "22:00", at: [w.locationId, library])),
        ])
        let waiting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 3, hour: 10)))
        let agreed = try w.agreed(start: MeetingTime.at(day: 3, hour: 12))
        let update = { (extra: [String: JSONValue]) in ["location_id": JSONValue.string(w.locationId)].merging(extra) { $1 } }
        try w.meetingd.error("location.update", as: w.user, update(["active": false]), code: 4003)
        let nothing = try w.meetingd.error("location.update", as: w.admin, update([:]), code: -32602)
        XCTAssertEqual(nothing["data"]?["field"], "location_id", "\(nothing)")
        let taken = try w.meetingd.error("location.update", as: w.admin, update(["name": "LIBRARY"]), code: -32602)
        XCTAssertTrue(taken["data"]?["reason"]?.string?.contains("already the name of location Library (\(library))") ?? false, "\(taken)")
        let twice = try w.meetingd.error("location.create", as: w.admin, ["name": " library ", "kind": "virtual"], code: -32602)
        XCTAssertTrue(twice["data"]?["reason"]?.string?.contains("already the name of location Library (\(library))") ?? false, "\(twice)")
        try w.meetingd.error("location.update", as: w.admin, ["location_id": "loc_00000000000000000000000000000000", "active": false], code: 4004)

        let renamed = try w.meetingd.result("location.update", as: w.admin, update(["name": " Video room "]))
        XCTAssertEqual(renamed["name"], "Video room")
        XCTAssertEqual(renamed["active"], true)
        let retired = try w.meetingd.result("location.update", as: w.admin, update(["active": false]))
        XCTAssertEqual(retired["active"], false)
        XCTAssertEqual(retired["name"], "Video room", "retiring keeps the name")
        XCTAssertEqual(retired["waiting_meetings"], [.string(waiting)], "the request still waiting there is named")
        let listed = try w.meetingd.allPages("location.list", as: w.user).first { $0["id"]?.string == w.locationId }
        XCTAssertEqual(listed?["active"], false)

        // Its hours offer no times (a window at two locations keeps the other); a search there, a
        // request there and new hours there are refused.
        let found = try w.search(from: MeetingTime.at(day: 4, hour: 0), to: MeetingTime.at(day: 5, hour: 0))
        XCTAssertFalse(found.isEmpty)
        XCTAssertTrue(found.allSatisfy { $0.experts[w.expert] == [library] }, "no time at a retired location: \(found)")
        let searched = try w.meetingd.error(
            "availability.search", as: w.user,
            w.searchParams(service: nil, from: MeetingTime.at(day: 4, hour: 0), to: MeetingTime.at(day: 5, hour: 0), ["location_id": .string(w.locationId)]),
            code: -32602)
        XCTAssertTrue(searched["data"]?["reason"]?.string?.contains("Video room, a retired location") ?? false, "\(searched)")
        let refused = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 4, hour: 10)), code: 4011)
        XCTAssertTrue(refused["message"]?.string?.contains("Video room is retired") ?? false, "\(refused)")
        let hours: [JSONValue] = [["weekday": 1, "start": "09:00", "end": "17:00", "location_ids": [.string(w.locationId)]]]
        let newHours = try w.meetingd.error(
            "availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(hours)], code: -32602)
        XCTAssertTrue(newHours["data"]?["reason"]?.string?.contains("a retired location") ?? false, "\(newHours)")
        // A request waiting there is confirmed only at another location; the agreed meeting stays.
        let notConfirmed = try w.refuse("meeting.confirm", as: w.expert, waiting, code: 4011)
        XCTAssertTrue(notConfirmed["message"]?.string?.contains("decline the meeting") ?? false, "\(notConfirmed)")
        XCTAssertEqual(try w.meeting(agreed)["status"], "agreed")
        // Its agreed meeting may still move to another time there (nothing new is booked there).
        let moved = try w.act("meeting.reschedule", as: w.expert, agreed, ["start": .string(MeetingTime.at(day: 3, hour: 15))])
        XCTAssertEqual(moved["alternate"]?["start"]?.string, MeetingTime.at(day: 3, hour: 15), "\(moved)")
        XCTAssertEqual(try w.act("meeting.confirm_alternate", as: w.user, agreed)["start"]?.string, MeetingTime.at(day: 3, hour: 15))
        // Its hours offer no free time in the expert's availability either.
        let offered = try w.meetingd.result("availability.get", as: w.user, [
            "expert_id": .string(w.expert), "from": .string(MeetingTime.at(day: 4, hour: 0)), "to": .string(MeetingTime.at(day: 5, hour: 0)),
        ])
        let freeAt = Set(offered["free"]?.array?.compactMap { $0["location_id"]?.string } ?? [])
        XCTAssertEqual(freeAt, [library], "\(offered)")
        let elsewhere = try w.act("meeting.confirm", as: w.expert, waiting, ["location_id": .string(library)])
        XCTAssertEqual([elsewhere["status"], elsewhere["location_id"]], ["agreed", .string(library)], "confirmed at another location")
        try w.assertReconciled()

        // Restored, it is offered again.
        XCTAssertEqual(try w.meetingd.result("location.update", as: w.admin, update(["active": true]))["active"], true)
        let again = try w.search(from: MeetingTime.at(day: 4, hour: 0), to: MeetingTime.at(day: 5, hour: 0))
        XCTAssertTrue(again.contains { $0.experts[w.expert] == [w.locationId, library].sorted() }, "\(again)")
        try w.request(start: MeetingTime.at(day: 4, hour: 10))

        let c = try MeetctlCommunity.make(#function)
        let room = try XCTUnwrap(try c.admin.json(["locations"])["items"]?.array?.first?["name"]?.string)
        XCTAssertTrue(try c.admin.ok(["location", "set", "--location", room, "--retire"]).contains("no"), "Active no")
        XCTAssertTrue(try c.admin.ok(["locations"]).contains("ACTIVE"))
        XCTAssertEqual(try c.admin.json(["location", "set", "--location", room, "--restore", "--name", "Room B"])["name"], "Room B")
        let both = try c.admin.fails(["location", "set", "--location", "Room B", "--retire", "--restore"], status: 2)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
        let empty = try c.admin.fails(["location", "set", "--location", "Room B"], status: 2)
        XCTAssertTrue(empty.stderr.contains("needs something to change"), empty.stderr)
    }

    func testProviderFirstSetUpFromTheThreeCSVFiles() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["require_enrollment": true])
        let tag = TestEnvironment.uniqueTag()
        let email = (talia: "talia.\(tag)@peer.example", bo: "bo.\(tag)@peer.example", sam: "sam.\(tag)@peer.example", kim: "kim.\(tag)@peer.example")
        let talia = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "K", email: email.talia))
        let bo = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Bo", lastName: "N", email: email.bo))
        let sam = try MeetingWorld.id(of: w.addPerson(roles: ["user"], firstName: "Sam", email: email.sam))
        let kim = try MeetingWorld.id(of: w.addPerson(roles: ["user"], firstName: "Kim", email: email.kim))
        for user in [sam, kim] { try w.grant(user, 300) }

        let courses = """
            name,kind,default_length_minutes,price_credits,expert_email
            All available Peer Mentoring,generic,60,50,
            Peer Mentoring with Talia K,expert_specific,60,50,\(email.talia)
            Peer Mentoring with Bo N,expert_specific,60,50,\(email.bo)
            """
        let tutors = "service,expert_email\nAll available Peer Mentoring,\(email.talia)\nAll available Peer Mentoring,\(email.bo)\n"
        let enrollment = "user_email,service\n\(email.sam),Peer Mentoring with Talia K\n\(email.kim),All available Peer Mentoring\n"
        for (kind, csv, created) in [("services", courses, 3), ("certifications", tutors, 2), ("enrollments", enrollment, 2)] {
            XCTAssertEqual(try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": .string(kind), "csv": .string(csv)])["created"]?.int, Int64(created), kind)
        }
        let services = Dictionary(uniqueKeysWithValues: try w.meetingd.allPages("service.list", as: sam).map { ($0["name"]?.string ?? "", $0["id"]?.string ?? "") })
        let general = try XCTUnwrap(services["All available Peer Mentoring"]), withTalia = try XCTUnwrap(services["Peer Mentoring with Talia K"])
        let cert = try w.meetingd.error("service.certify", as: w.admin, ["service_id": .string(withTalia), "expert_id": .string(bo)], code: -32602)
        XCTAssertEqual(cert["data"]?["field"], "service_id", "an expert's own service takes no certifications")

        try w.setWeekly(talia, timeZone: "UTC", [weeklyRule(1, "09:00", "11:00", at: [w.locationId])])
        try w.setWeekly(bo, timeZone: "UTC", [weeklyRule(1, "10:00", "12:00", at: [w.locationId])])
        let monday = (from: "2030-03-11T00:00:00Z", to: "2030-03-12T00:00:00Z")

        let samsMentor = try w.search(as: sam, service: withTalia, from: monday.from, to: monday.to)
        XCTAssertEqual(samsMentor.map(\.start), grid(from: "2030-03-11T09:00:00Z", through: "2030-03-11T10:00:00Z"), "Talia's calendar")
        XCTAssertTrue(samsMentor.allSatisfy { $0.expertOrder == [talia] })
        XCTAssertEqual(try w.search(as: sam, service: general, from: monday.from, to: monday.to), [], "Sam is assigned to Talia's service only")
        let everyone = try w.search(as: kim, service: general, from: monday.from, to: monday.to)
        XCTAssertEqual(everyone.map(\.start), grid(from: "2030-03-11T09:00:00Z", through: "2030-03-11T11:00:00Z"))
        XCTAssertEqual(everyone.first { $0.start == "2030-03-11T10:00:00Z" }?.expertOrder, [talia, bo].sorted(), "both mentors, merged")
        XCTAssertEqual(try w.search(as: kim, service: withTalia, from: monday.from, to: monday.to), [])

        try w.requestWith(start: "2030-03-11T09:00:00Z", by: sam, expert: talia, ["service_id": .string(withTalia)])
        try w.meetingd.error("meeting.request", as: sam, [
            "service_id": .string(general), "expert_id": .string(bo), "start": "2030-03-11T11:00:00Z", "location_id": .string(w.locationId),
        ], code: 4021)
        let wrongMentor = try w.meetingd.error("meeting.request", as: sam, [
            "service_id": .string(withTalia), "expert_id": .string(bo), "start": "2030-03-11T11:00:00Z", "location_id": .string(w.locationId),
        ], code: 4011)
        XCTAssertTrue(wrongMentor["message"]?.string?.contains("not certified") ?? false, "\(wrongMentor)")
        let kims = try w.requestWith(start: "2030-03-11T10:00:00Z", by: kim, expert: bo, ["service_id": .string(general)])
        XCTAssertEqual(kims["price_credits"], 50, "the imported price")
        try w.assertReconciled()
    }
}
