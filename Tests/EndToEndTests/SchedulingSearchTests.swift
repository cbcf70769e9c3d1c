import Foundation
import XCTest

/// `availability.search` (SPEC §5.3, seeds 001 and 002): one calendar merged from every
/// certified expert, each slot listing the experts free then and their locations; the
/// location and expert filters; the community's notice, horizon and grid; rules restricted to
/// services; blocked and one-off free periods; booked time taken out and given back; weekly
/// rules kept on the expert's wall clock across daylight-saving changes, checked against
/// Python's zoneinfo. The fixture's clock stands at Monday 2030-03-04 12:00 UTC.
final class SchedulingSearchTests: EndToEndTestCase {
    func world(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> MeetingWorld {
        try MeetingWorld(self, label: label, settings: settings)
    }

    /// One free window of one expert at one location, in UTC.
    struct Window {
        let expert: String
        let location: String
        let start: String
        let end: String
    }

    /// What a search over `candidates` (the grid's start times in range) must answer: for each
    /// start where a meeting of `lengthMinutes` fits a window, the experts and their locations.
    func expected(_ windows: [Window], candidates: [String], lengthMinutes: Int = 60) -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        for start in candidates {
            let s = MeetingTime.date(start), e = s.addingTimeInterval(TimeInterval(lengthMinutes * 60))
            for w in windows where MeetingTime.date(w.start) <= s && e <= MeetingTime.date(w.end) {
                out[start, default: [:]][w.expert, default: []].append(w.location)
            }
        }
        return out.mapValues { $0.mapValues { $0.sorted() } }
    }

    func byStart(_ slots: [FoundSlot]) -> [String: [String: [String]]] {
        Dictionary(slots.map { ($0.start, $0.experts) }, uniquingKeysWith: { first, _ in first })
    }

    /// Slots sorted by start, one per start, each `lengthMinutes` long, experts sorted by id and
    /// each expert's locations sorted.
    func assertWellFormed(_ slots: [FoundSlot], lengthMinutes: Int = 60, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(slots.map(\.start), slots.map(\.start).sorted(), "slots are sorted by start", file: file, line: line)
        XCTAssertEqual(Set(slots.map(\.start)).count, slots.count, "one slot per start", file: file, line: line)
        for slot in slots {
            XCTAssertEqual(slot.end, MeetingTime.shifted(slot.start, minutes: lengthMinutes), "slot length: \(slot)", file: file, line: line)
            XCTAssertFalse(slot.expertOrder.isEmpty, "a slot lists at least one expert", file: file, line: line)
            XCTAssertEqual(slot.expertOrder, slot.expertOrder.sorted(), "experts sorted by id: \(slot)", file: file, line: line)
            for (expert, locations) in slot.experts {
                XCTAssertFalse(locations.isEmpty, "\(expert) is listed with a location", file: file, line: line)
                XCTAssertEqual(locations, locations.sorted(), "locations sorted: \(slot)", file: file, line: line)
            }
        }
    }

    // MARK: Merging

    /// Three experts in Prague, New York and Kolkata with overlapping hours on one Tuesday at
    /// different places: one calendar, each slot listing whoever is free for the whole hour and
    /// where. Experts not certified in the service are left out, whatever their hours.
    func testMergedSlotsFromExpertsInSeveralZonesAndLocations() throws {
        let w = try world()
        let service = try w.addService("Merged \(TestEnvironment.uniqueTag())")
        let other = try w.addService("Other \(TestEnvironment.uniqueTag())")
        let roomA = try w.addLocation("Room A"), video = try w.addLocation("Video", kind: "virtual"), roomB = try w.addLocation("Room B")
        let tuesday = "2030-03-12"
        let ann = try w.addScheduledExpert(firstName: "Ann", timeZone: "Europe/Prague", services: [service],
                                           rules: [weeklyRule(2, "09:00", "11:00", at: [roomA, video])])
        let bo = try w.addScheduledExpert(firstName: "Bo", timeZone: "America/New_York", services: [service],
                                          rules: [weeklyRule(2, "04:30", "07:00", at: [video])])
        let cy = try w.addScheduledExpert(firstName: "Cy", timeZone: "Asia/Kolkata", services: [service],
                                          rules: [weeklyRule(2, "14:00", "15:30", at: [roomA, roomB]), weeklyRule(2, "15:30", "16:00", at: [roomB])])
        let dee = try w.addScheduledExpert(firstName: "Dee", timeZone: "UTC", services: [other], rules: dailyRules("00:00", "24:00", at: [roomA]))
        let eve = try w.addScheduledExpert(firstName: "Eve", timeZone: "UTC", services: [], rules: dailyRules("00:00", "24:00", at: [roomA]))

        let local = try PythonReference.utc([
            ("Europe/Prague", tuesday, "09:00"), ("Europe/Prague", tuesday, "11:00"),
            ("America/New_York", tuesday, "04:30"), ("America/New_York", tuesday, "07:00"),
            ("Asia/Kolkata", tuesday, "14:00"), ("Asia/Kolkata", tuesday, "15:30"), ("Asia/Kolkata", tuesday, "16:00"),
        ])
        XCTAssertEqual(local, ["2030-03-12T08:00:00Z", "2030-03-12T10:00:00Z", "2030-03-12T08:30:00Z", "2030-03-12T11:00:00Z",
                               "2030-03-12T08:30:00Z", "2030-03-12T10:00:00Z", "2030-03-12T10:30:00Z"],
                       "the reference: Prague on CET, New York already on EDT, Kolkata at +05:30")
        let windows = [
            Window(expert: ann, location: roomA, start: local[0], end: local[1]), Window(expert: ann, location: video, start: local[0], end: local[1]),
            Window(expert: bo, location: video, start: local[2], end: local[3]),
            Window(expert: cy, location: roomA, start: local[4], end: local[5]), Window(expert: cy, location: roomB, start: local[4], end: local[6]),
        ]
        let from = "2030-03-12T00:00:00Z", to = "2030-03-13T00:00:00Z"
        let slots = try w.search(service: service, from: from, to: to)
        assertWellFormed(slots)
        let want = expected(windows, candidates: grid(from: from, through: "2030-03-12T23:30:00Z"))
        XCTAssertEqual(byStart(slots), want, "got \(slots)")
        XCTAssertEqual(slots.map(\.start), ["2030-03-12T08:00:00Z", "2030-03-12T08:30:00Z", "2030-03-12T09:00:00Z", "2030-03-12T09:30:00Z", "2030-03-12T10:00:00Z"])
        XCTAssertEqual(slots.first { $0.start == "2030-03-12T09:00:00Z" }?.expertOrder, [ann, bo, cy].sorted(), "three experts free at 09:00 UTC")
        XCTAssertEqual(slots.first { $0.start == "2030-03-12T09:30:00Z" }?.experts, [bo: [video], cy: [roomB]],
                       "at 09:30 Cy can only stay the whole hour in Room B")
        for slot in slots {
            XCTAssertNil(slot.experts[dee], "an expert certified in another service is not listed")
            XCTAssertNil(slot.experts[eve], "an uncertified expert is not listed")
        }
        XCTAssertEqual(try w.search(service: service, from: "2030-03-13T00:00:00Z", to: "2030-03-14T00:00:00Z"), [], "nobody works on Wednesday")

        // Each listed expert can really be booked there; Bo cannot be booked in a room he does not offer.
        let user = try w.addNamedUser(firstName: "Sam")
        try w.requestWith(start: "2030-03-12T09:30:00Z", by: user, expert: cy, ["service_id": .string(service), "location_id": .string(roomB)])
        let refused = try w.meetingd.error("meeting.request", as: user, [
            "service_id": .string(service), "expert_id": .string(bo), "start": "2030-03-12T09:30:00Z", "location_id": .string(roomA),
        ], code: 4011)
        XCTAssertEqual(refused["data"]?["code"], "slot_unavailable")
        try w.assertReconciled()
    }

    // MARK: Filters

    /// "You can filter these times down by location, or provider if enabled" (seed 001): a
    /// location keeps the experts offering it (and only that location in each slot); an expert
    /// keeps that expert's times, unless the community turned the expert filter off.
    func testFiltersByLocationAndByExpert() throws {
        let w = try world()
        let service = try w.addService("Filters \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room"), video = try w.addLocation("Video", kind: "virtual")
        let kai = try w.addScheduledExpert(firstName: "Kai", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "09:00", "12:00", at: [room, video])])
        let lea = try w.addScheduledExpert(firstName: "Lea", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "11:00", "14:00", at: [video])])
        let from = "2030-03-13T00:00:00Z", to = "2030-03-14T00:00:00Z"
        let all = try w.search(service: service, from: from, to: to)
        XCTAssertEqual(all.map(\.start), grid(from: "2030-03-13T09:00:00Z", through: "2030-03-13T13:00:00Z"))

        let inRoom = try w.search(service: service, from: from, to: to, ["location_id": .string(room)])
        XCTAssertEqual(inRoom.map(\.start), grid(from: "2030-03-13T09:00:00Z", through: "2030-03-13T11:00:00Z"), "only Kai offers the room")
        XCTAssertTrue(inRoom.allSatisfy { $0.experts == [kai: [room]] }, "the filtered location only: \(inRoom)")

        let onVideo = try w.search(service: service, from: from, to: to, ["location_id": .string(video)])
        XCTAssertEqual(onVideo.map(\.start), all.map(\.start))
        XCTAssertEqual(onVideo.first { $0.start == "2030-03-13T11:00:00Z" }?.experts, [kai: [video], lea: [video]])

        let withLea = try w.search(service: service, from: from, to: to, ["expert_id": .string(lea)])
        XCTAssertEqual(withLea.map(\.start), grid(from: "2030-03-13T11:00:00Z", through: "2030-03-13T13:00:00Z"))
        XCTAssertTrue(withLea.allSatisfy { $0.expertOrder == [lea] }, "only the filtered expert: \(withLea)")
        XCTAssertEqual(try w.search(service: service, from: from, to: to, ["expert_id": .string(lea), "location_id": .string(room)]), [],
                       "Lea does not offer the room")
        let unknownExpert = "per_" + String(repeating: "0", count: 32)
        let missing = try w.meetingd.error("availability.search", as: w.user,
                                           w.searchParams(service: service, from: from, to: to, ["expert_id": .string(unknownExpert)]), code: 4004)
        XCTAssertTrue(missing["message"]?.string?.contains(unknownExpert) ?? false, "an unknown expert is named, as an unknown location is: \(missing)")
        let notAnExpert = try w.meetingd.error("availability.search", as: w.user,
                                               w.searchParams(service: service, from: from, to: to, ["expert_id": .string(w.user)]), code: -32602)
        XCTAssertEqual(notAnExpert["data"]?["field"], "expert_id")

        try w.updateSettings(["allow_expert_filter": false])
        let refused = try w.meetingd.error("availability.search", as: w.user,
                                           w.searchParams(service: service, from: from, to: to, ["expert_id": .string(kai)]), code: 4003)
        XCTAssertEqual(refused["data"]?["code"], "forbidden", "filtering by expert is off in this community")
        XCTAssertTrue(refused["message"]?.string?.contains("leave out expert_id") ?? false, "it says what to do instead: \(refused)")
        XCTAssertEqual(try w.search(service: service, from: from, to: to, ["location_id": .string(room)]), inRoom,
                       "the location filter still works")
        XCTAssertEqual(try w.search(service: service, from: from, to: to), all)
    }

    // MARK: Notice, horizon, grid

    /// Minimum notice: no slot (and no request) starts sooner than now + notice; exactly the
    /// notice is enough, and with no notice a slot starts after now. The fixture's expert works 06:00–22:00 UTC every day.
    /// Nobody meets themself: a person who is a user and an expert is not offered their own
    /// times (a request for them is refused), and is still offered the other experts'.
    func testAUserWhoIsAnExpertIsNotOfferedTheirOwnTimes() throws {
        let w = try world()
        let service = try w.addService("Self \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room")
        let kai = try w.addScheduledExpert(firstName: "Kai", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "09:00", "11:00", at: [room])])
        let lea = try w.addScheduledExpert(firstName: "Lea", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "10:00", "12:00", at: [room])])
        try w.meetingd.result("person.update", as: w.admin, ["person_id": .string(kai), "add_roles": ["user"]])
        try w.grant(kai, 500)
        let from = "2030-03-13T00:00:00Z", to = "2030-03-14T00:00:00Z"
        XCTAssertFalse(try w.search(service: service, from: from, to: to).allSatisfy { $0.experts[kai] == nil }, "others are offered Kai's times")
        let own = try w.search(as: kai, service: service, from: from, to: to)
        XCTAssertEqual(own.map(\.start), grid(from: "2030-03-13T10:00:00Z", through: "2030-03-13T11:00:00Z"), "Lea's times only")
        XCTAssertTrue(own.allSatisfy { $0.experts.keys.sorted() == [lea] }, "\(own)")
    }

    /// A location named twice in a rule or a period is kept once (it was stored and echoed
    /// twice, while search named it once).
    func testALocationNamedTwiceIsKeptOnce() throws {
        let w = try world()
        let room = try w.addLocation("Room")
        let set = try w.meetingd.result("availability.set_weekly", as: w.expert, [
            "expert_id": .string(w.expert), "time_zone": "UTC", "rules": [weeklyRule(3, "09:00", "11:00", at: [room, room, w.locationId])],
        ])
        XCTAssertEqual(set["rules"]?.array?.first?["location_ids"], [.string(room), .string(w.locationId)])
        let free = try w.meetingd.result("availability.add_free", as: w.expert, [
            "expert_id": .string(w.expert), "start": "2030-03-14T09:00:00Z", "end": "2030-03-14T10:00:00Z", "location_ids": [.string(room), .string(room)],
        ])
        XCTAssertEqual(free["location_ids"], [.string(room)])
        let stored = try w.meetingd.result("availability.get", as: w.expert, ["expert_id": .string(w.expert), "from": "2030-03-13T00:00:00Z", "to": "2030-03-15T00:00:00Z"])
        XCTAssertEqual(stored["weekly"]?.array?.first?["location_ids"], [.string(room), .string(w.locationId)], "\(stored)")
    }

    /// Weekly hours name at most 1,000 locations in all: a search reads every expert's, and 200
    /// windows of 50 places each for many experts ran a search out of memory. The hours stay as
    /// they were.
    func testWeeklyHoursNameABoundedNumberOfPlaces() throws {
        let w = try world()
        let rooms = try (0..<50).map { try w.addLocation("Bound room \($0)") }
        let before = try w.meetingd.result("availability.get", as: w.expert, ["expert_id": .string(w.expert), "from": "2030-03-13T00:00:00Z", "to": "2030-03-14T00:00:00Z"])
        let rules: [JSONValue] = (0..<21).map { i in weeklyRule(i % 7 + 1, String(format: "%02d:00", i / 7 * 2), String(format: "%02d:00", i / 7 * 2 + 1), at: rooms) }
        let refused = try w.meetingd.error("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(rules)], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "rules")
        XCTAssertTrue(refused["data"]?["reason"]?.string?.hasPrefix("name 1050 locations in all, past the 1000") == true, "\(refused)")
        let after = try w.meetingd.result("availability.get", as: w.expert, ["expert_id": .string(w.expert), "from": "2030-03-13T00:00:00Z", "to": "2030-03-14T00:00:00Z"])
        XCTAssertEqual(after["weekly"], before["weekly"], "nothing changed")
        XCTAssertEqual(try w.meetingd.result("availability.set_weekly", as: w.expert, [
            "expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(Array(rules.prefix(20))),
        ])["rules"]?.array?.count, 20, "1,000 are taken")
    }

    /// A call with two faults names the one checked first: who may search, then the service,
    /// then the range; new hours window by window, each window's times before its places.
    func testTheFirstFaultIsTheOneNamed() throws {
        let w = try world()
        let finance = try MeetingWorld.id(of: w.addPerson(roles: ["finance"], firstName: "Fin"))
        let empty = w.searchParams(service: w.serviceId, from: "2030-03-13T00:00:00Z", to: "2030-03-13T00:00:00Z", [:])
        XCTAssertEqual(try w.meetingd.error("availability.search", as: finance, empty, code: 4003)["data"]?["code"], "forbidden")
        var unknown = empty
        unknown["service_id"] = "svc_00000000000000000000000000000001"
        XCTAssertEqual(try w.meetingd.error("availability.search", as: w.user, unknown, code: 4004)["data"]?["kind"], "service")
        XCTAssertEqual(try w.meetingd.error("availability.search", as: w.user, empty, code: -32602)["data"]?["field"], "to")

        let room = try w.addLocation("Order room")
        let rules: [JSONValue] = [weeklyRule(1, "09:00", "10:00", at: ["loc_00000000000000000000000000000001"]), weeklyRule(2, "11:00", "10:00", at: [room])]
        let refused = try w.meetingd.error("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(rules)], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "rules[0].location_ids", "the first window's place, before the second's times")
    }

    /// Admins and the office book for a user (meeting.request with user_id), and search for them
    /// first as that user would: the user's enrolment decides the experts shown (an admin's own
    /// search shows every one, and the office could not search at all).
    func testStaffSearchForTheUserTheyBookFor() throws {
        let w = try world(settings: ["require_enrollment": true])
        let service = try w.addService("For \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room")
        let kai = try w.addScheduledExpert(firstName: "Kai", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "09:00", "10:00", at: [room])])
        let lea = try w.addScheduledExpert(firstName: "Lea", timeZone: "UTC", services: [service], rules: [weeklyRule(3, "11:00", "12:00", at: [room])])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(kai)])
        let office = try MeetingWorld.id(of: w.addPerson(roles: ["office"], firstName: "Olga"))
        let from = "2030-03-13T00:00:00Z", to = "2030-03-14T00:00:00Z"
        func experts(_ slots: [FoundSlot]) -> Set<String> { Set(slots.flatMap(\.experts.keys)) }
        XCTAssertEqual(experts(try w.search(as: w.admin, service: service, from: from, to: to)), [kai, lea], "an admin's own search shows every expert")
        XCTAssertEqual(experts(try w.search(as: w.admin, service: service, from: from, to: to, ["user_id": .string(w.user)])), [kai], "as the user would")
        XCTAssertEqual(experts(try w.search(as: office, service: service, from: from, to: to, ["user_id": .string(w.user)])), [kai])
        XCTAssertEqual(experts(try w.search(service: service, from: from, to: to, ["user_id": .string(w.user)])), [kai], "a user naming themself")
        // What the enrolment left out is counted, so an empty calendar says why.
        func leftOut(as actor: String, _ extra: [String: JSONValue]) throws -> JSONValue? {
            try w.meetingd.result("availability.search", as: actor, w.searchParams(service: service, from: from, to: to, extra))["experts_not_assigned"]
        }
        XCTAssertEqual(try leftOut(as: w.user, [:]), 1, "Lea is not the user's")
        XCTAssertEqual(try leftOut(as: w.user, ["expert_id": .string(lea)]), 1, "filtered to Lea: nothing shown, and why")
        XCTAssertEqual(try leftOut(as: w.user, ["expert_id": .string(kai)]), 0)
        XCTAssertEqual(try leftOut(as: w.admin, [:]), 0, "an admin's own search leaves nobody out")
        // An admin who is a user too searches as the user they would book as: their own
        // enrolment decides, as their request would.
        let both = try MeetingWorld.id(of: w.addPerson(roles: ["admin", "user"], firstName: "Ada"))
        XCTAssertEqual(experts(try w.search(as: both, service: service, from: from, to: to)), [], "enrolled with nobody")
        XCTAssertEqual(try leftOut(as: both, [:]), 2)
        try w.meetingd.error("availability.search", as: office, w.searchParams(service: service, from: from, to: to, [:]), code: 4003)
        let other = try w.addNamedUser(firstName: "Other", credits: 0)
        try w.meetingd.error("availability.search", as: other, w.searchParams(service: service, from: from, to: to, ["user_id": .string(w.user)]), code: 4003)
        try w.meetingd.error("availability.search", as: w.admin, w.searchParams(service: service, from: from, to: to, ["user_id": "per_00000000000000000000000000000001"]), code: 4004)
        XCTAssertEqual(try w.meetingd.error("availability.search", as: w.admin, w.searchParams(service: service, from: from, to: to, ["user_id": .string(kai)]), code: -32602)["data"]?["field"], "user_id")
    }

    /// Seed 000 ("Setting Up & Editing Hours"): new weekly hours name the meetings still to come
    /// that they no longer hold, as a block names those within it; the meetings stay.
    func testNewHoursNameTheMeetingsTheyNoLongerHold() throws {
        let w = try world()
        let requested = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let agreed = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 15)))
        try w.act("meeting.confirm", as: w.expert, agreed)
        func setHours(_ start: String, _ end: String, services: [String]? = nil) throws -> [String] {
            var rule: [String: JSONValue] = ["weekday": 1, "start": .string(start), "end": .string(end), "location_ids": [.string(w.locationId)]]
            if let services { rule["service_ids"] = .array(services.map { .string($0) }) }
            let rules: [JSONValue] = (1...7).map { day in var r = rule; r["weekday"] = .int(Int64(day)); return .object(r) }
            let set = try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(rules)])
            return set["meetings_outside_hours"]?.array?.compactMap(\.string) ?? []
        }
        XCTAssertEqual(try setHours("12:00", "14:00"), [requested, agreed], "soonest first")
        XCTAssertEqual(try setHours("09:00", "16:00"), [], "both held again")
        XCTAssertEqual(try setHours("09:00", "10:30"), [requested, agreed], "an hour's meeting from 10:00 ends past 10:30")
        XCTAssertEqual(try setHours("14:00", "17:00"), [requested])
        // A one-off free period holds a meeting the weekly hours do not.
        try w.meetingd.result("availability.add_free", as: w.expert, [
            "expert_id": .string(w.expert), "start": .string(MeetingTime.at(day: 7, hour: 9)), "end": .string(MeetingTime.at(day: 7, hour: 12)),
            "location_ids": [.string(w.locationId)]])
        XCTAssertEqual(try setHours("14:00", "17:00"), [])
        // Hours kept for another service do not hold a meeting of this one.
        let other = try w.addService("Other \(TestEnvironment.uniqueTag())")
        try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(other), "expert_id": .string(w.expert)])
        XCTAssertEqual(try setHours("06:00", "22:00", services: [other]), [agreed])
        XCTAssertEqual(try w.meeting(requested)["status"], "awaiting_approval", "the meetings stay")
        XCTAssertEqual(try w.meeting(agreed)["status"], "agreed")
        // Once its start has passed, the request waits for nobody (it expires): not named.
        try w.meetingd.result("availability.remove", as: w.expert, [
            "expert_id": .string(w.expert), "start": .string(MeetingTime.at(day: 7, hour: 0)), "end": .string(MeetingTime.at(day: 8, hour: 0))])
        XCTAssertEqual(try setHours("12:00", "14:00"), [requested, agreed])
        try w.setClock(MeetingTime.at(day: 7, hour: 10, minute: 30))
        XCTAssertEqual(try setHours("12:00", "14:00"), [agreed])
    }

    func testMinimumNotice() throws {
        let w = try world(settings: ["min_notice_minutes": 120])
        let today = try w.search(from: "2030-03-04T00:00:00Z", to: "2030-03-05T00:00:00Z")
        XCTAssertEqual(today.map(\.start), grid(from: "2030-03-04T14:00:00Z", through: "2030-03-04T21:00:00Z"),
                       "now is 12:00: the first start is 14:00")
        let tooSoon = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-04T13:30:00Z"), code: 4011)
        XCTAssertEqual(tooSoon["data"]?["code"], "slot_unavailable")
        XCTAssertTrue(tooSoon["message"]?.string?.contains("120 minutes") ?? false, "the message names the notice: \(tooSoon)")
        try w.request(start: "2030-03-04T14:00:00Z")

        try w.updateSettings(["min_notice_minutes": 125])
        XCTAssertEqual(try w.search(from: "2030-03-04T00:00:00Z", to: "2030-03-05T00:00:00Z").first?.start, "2030-03-04T15:00:00Z",
                       "14:30 is five minutes short; the meeting at 14:00 takes 14:00–15:00")
        try w.updateSettings(["min_notice_minutes": 0])
        XCTAssertEqual(try w.search(from: "2030-03-04T00:00:00Z", to: "2030-03-05T00:00:00Z").first?.start, "2030-03-04T12:30:00Z",
                       "no notice: from the first start after now (a meeting starting now has started)")
        let startingNow = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-04T12:00:00Z"), code: -32602)
        XCTAssertEqual(startingNow["data"]?["field"], "start", "search and request agree: \(startingNow)")
        try w.request(start: "2030-03-04T12:30:00Z")
        try w.assertReconciled()
    }

    /// Booking horizon: slots up to now + horizon days (inclusive), no further.
    func testBookingHorizon() throws {
        let w = try world(settings: ["horizon_days": 3])
        let slots = try w.search(from: "2030-03-06T00:00:00Z", to: "2030-03-10T00:00:00Z")
        XCTAssertEqual(slots.last?.start, "2030-03-07T12:00:00Z", "now (Monday 12:00) + 3 days is the last start")
        XCTAssertEqual(slots.count, grid(from: "2030-03-06T06:00:00Z", through: "2030-03-06T21:00:00Z").count
                       + grid(from: "2030-03-07T06:00:00Z", through: "2030-03-07T12:00:00Z").count)
        let beyond = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: "2030-03-07T12:30:00Z"), code: 4011)
        XCTAssertTrue(beyond["message"]?.string?.contains("3 days") ?? false, "the message names the horizon: \(beyond)")
        try w.request(start: "2030-03-07T12:00:00Z")

        try w.setClock("2030-03-05T12:00:00Z")
        XCTAssertEqual(try w.search(from: "2030-03-06T00:00:00Z", to: "2030-03-10T00:00:00Z").last?.start, "2030-03-08T12:00:00Z",
                       "the horizon moves with the clock")
        try w.assertReconciled()
    }

    /// A time refused for the expert's hours says why: hours kept for other services, hours at
    /// another location, or no hours then.
    func testATimeOutsideTheHoursSaysWhy() throws {
        let w = try world()
        let (chem, bio) = (try w.addService("Why A \(TestEnvironment.uniqueTag())"), try w.addService("Why B \(TestEnvironment.uniqueTag())"))
        let (room, video) = (try w.addLocation("Why room"), try w.addLocation("Why video", kind: "virtual"))
        let gus = try w.addScheduledExpert(firstName: "Gus", timeZone: "UTC", services: [chem, bio], rules: [
            weeklyRule(4, "06:00", "10:00", at: [room], services: [chem]), weeklyRule(5, "06:00", "10:00", at: [video]),
        ])
        func refusal(_ service: String, _ start: String) throws -> String {
            let error = try w.meetingd.error("meeting.request", as: w.user, [
                "service_id": .string(service), "expert_id": .string(gus), "start": .string(start), "location_id": .string(room),
            ], code: 4011)
            return error["message"]?.string ?? "\(error)"
        }
        let free = " (availability.search lists the times that are free)"
        XCTAssertEqual(try refusal(bio, "2030-03-14T07:00:00Z"), "Slot unavailable: the expert's hours at that time are for other services only" + free)
        XCTAssertEqual(try refusal(chem, "2030-03-15T07:00:00Z"), "Slot unavailable: the expert's hours at that time are at another location" + free)
        XCTAssertEqual(try refusal(chem, "2030-03-16T07:00:00Z"), "Slot unavailable: the time is not within the expert's hours" + free)
        try w.requestWith(start: "2030-03-14T07:00:00Z", expert: gus, ["service_id": .string(chem), "location_id": .string(room)])
    }

    /// Starts fall on the community's grid: every `slot_minutes` from local midnight in the
    /// community's zone; `length_minutes` sets the meeting length searched for.
    func testSlotGranularityAndTheCommunitysGrid() throws {
        let w = try world()
        let service = try w.addService("Grid \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Grid room")
        _ = try w.addScheduledExpert(firstName: "Gus", timeZone: "UTC", services: [service], rules: [weeklyRule(4, "06:00", "10:00", at: [room])])
        let from = "2030-03-14T00:00:00Z", to = "2030-03-15T00:00:00Z"
        XCTAssertEqual(try w.search(service: service, from: from, to: to).map(\.start), grid(from: "2030-03-14T06:00:00Z", through: "2030-03-14T09:00:00Z"),
                       "the default grid: every 30 minutes")

        try w.updateSettings(["slot_minutes": 45])
        XCTAssertEqual(try w.search(service: service, from: from, to: to).map(\.start),
                       ["2030-03-14T06:00:00Z", "2030-03-14T06:45:00Z", "2030-03-14T07:30:00Z", "2030-03-14T08:15:00Z", "2030-03-14T09:00:00Z"])

        try w.updateSettings(["slot_minutes": 20])
        let ninety = try w.search(service: service, from: from, to: to, ["length_minutes": 90])
        assertWellFormed(ninety, lengthMinutes: 90)
        XCTAssertEqual(ninety.map(\.start), grid(from: "2030-03-14T06:00:00Z", through: "2030-03-14T08:20:00Z", minutes: 20),
                       "90-minute meetings every 20 minutes, ending by 10:00")

        // Kolkata's midnight is 18:30 UTC, so an hourly grid there starts at half past in UTC.
        try w.updateSettings(["slot_minutes": 60, "time_zone": "Asia/Kolkata"])
        XCTAssertEqual(try w.search(service: service, from: from, to: to).map(\.start),
                       ["2030-03-14T06:30:00Z", "2030-03-14T07:30:00Z", "2030-03-14T08:30:00Z"])
    }

    // MARK: What is offered when

    /// A weekly rule may be restricted to some services: other services do not see those hours,
    /// and cannot be booked in them.
    func testRulesRestrictedToServices() throws {
        let w = try world()
        let essays = try w.addService("Essays \(TestEnvironment.uniqueTag())"), maths = try w.addService("Maths \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Study room")
        let ida = try w.addScheduledExpert(firstName: "Ida", timeZone: "UTC", services: [essays, maths], rules: [
            weeklyRule(1, "09:00", "11:00", at: [room], services: [essays]),
            weeklyRule(1, "13:00", "15:00", at: [room]),
        ])
        let from = "2030-03-11T00:00:00Z", to = "2030-03-12T00:00:00Z"
        let afternoon = grid(from: "2030-03-11T13:00:00Z", through: "2030-03-11T14:00:00Z")
        XCTAssertEqual(try w.search(service: essays, from: from, to: to).map(\.start),
                       grid(from: "2030-03-11T09:00:00Z", through: "2030-03-11T10:00:00Z") + afternoon)
        XCTAssertEqual(try w.search(service: maths, from: from, to: to).map(\.start), afternoon, "the morning is for essays only")
        let got = try w.meetingd.result("availability.get", as: w.user, ["expert_id": .string(ida), "from": .string(from), "to": .string(to), "service_id": .string(maths)])
        XCTAssertEqual(got["free"]?.array?.map { $0["start"]?.string ?? "" }, ["2030-03-11T13:00:00Z"], "availability.get for maths: \(got)")

        let refused = try w.meetingd.error("meeting.request", as: w.user, [
            "service_id": .string(maths), "expert_id": .string(ida), "start": "2030-03-11T09:00:00Z", "location_id": .string(room),
        ], code: 4011)
        XCTAssertEqual(refused["data"]?["code"], "slot_unavailable")
        try w.requestWith(start: "2030-03-11T09:00:00Z", expert: ida, ["service_id": .string(essays), "location_id": .string(room)])
        try w.requestWith(start: "2030-03-11T13:00:00Z", expert: ida, ["service_id": .string(maths), "location_id": .string(room)])
        try w.assertReconciled()
    }

    /// availability.get for a service lists no free time where the service cannot be booked with
    /// the expert (not certified in it, or retired), as a search lists no slots of theirs and a
    /// request is refused; without the service, the hours are listed.
    func testAServiceTheExpertCannotGiveHasNoFreeTime() throws {
        let w = try world()
        let given = try w.addService("Given \(TestEnvironment.uniqueTag())"), other = try w.addService("Other \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room")
        let ida = try w.addScheduledExpert(firstName: "Ida", timeZone: "UTC", services: [given], rules: [weeklyRule(1, "09:00", "11:00", at: [room])])
        let range: [String: JSONValue] = ["expert_id": .string(ida), "from": "2030-03-11T00:00:00Z", "to": "2030-03-12T00:00:00Z"]
        func free(_ service: String?) throws -> [String] {
            var params = range
            if let service { params["service_id"] = .string(service) }
            return try w.meetingd.result("availability.get", as: w.user, params)["free"]?.array?.map { "\($0["start"]?.string ?? "")–\($0["end"]?.string ?? "")" } ?? ["?"]
        }
        let hours = ["2030-03-11T09:00:00Z–2030-03-11T11:00:00Z"]
        XCTAssertEqual(try free(given), hours)
        XCTAssertEqual(try free(nil), hours)
        XCTAssertEqual(try free(other), [], "Ida is not certified in it")
        XCTAssertEqual(try w.search(service: other, from: "2030-03-11T00:00:00Z", to: "2030-03-12T00:00:00Z"), [])

        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(given), "active": false])
        XCTAssertEqual(try free(given), [], "the service is retired")
        try w.meetingd.error("meeting.request", as: w.user, [
            "service_id": .string(given), "expert_id": .string(ida), "start": "2030-03-11T09:00:00Z", "location_id": .string(room),
        ], code: 4011)
        XCTAssertEqual(try free(nil), hours, "the hours are still hers")
        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(given), "active": true])
        XCTAssertEqual(try free(given), hours)
    }

    /// A blocked period takes time out whatever the weekly rules say; a one-off free period adds
    /// time (at its own locations) on a day without rules; removing a period undoes it.
    func testBlockedAndOneOffFreePeriods() throws {
        let w = try world()
        let service = try w.addService("Periods \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room"), video = try w.addLocation("Video", kind: "virtual")
        let jo = try w.addScheduledExpert(firstName: "Jo", timeZone: "UTC", services: [service], rules: [weeklyRule(2, "09:00", "13:00", at: [room])])
        let tuesday = (from: "2030-03-12T00:00:00Z", to: "2030-03-13T00:00:00Z")
        let wednesday = (from: "2030-03-13T00:00:00Z", to: "2030-03-14T00:00:00Z")
        XCTAssertEqual(try w.search(service: service, from: tuesday.from, to: tuesday.to).map(\.start), grid(from: "2030-03-12T09:00:00Z", through: "2030-03-12T12:00:00Z"))

        let block = try w.meetingd.result("availability.block", as: jo, ["expert_id": .string(jo), "start": "2030-03-12T10:00:00Z", "end": "2030-03-12T11:00:00Z"])
        XCTAssertEqual(block["kind"], "blocked")
        XCTAssertEqual(try w.search(service: service, from: tuesday.from, to: tuesday.to).map(\.start),
                       ["2030-03-12T09:00:00Z", "2030-03-12T11:00:00Z", "2030-03-12T11:30:00Z", "2030-03-12T12:00:00Z"],
                       "no hour overlapping 10:00–11:00")
        try w.meetingd.error("meeting.request", as: w.user, ["service_id": .string(service), "expert_id": .string(jo), "start": "2030-03-12T10:30:00Z", "location_id": .string(room)], code: 4011)

        XCTAssertEqual(try w.search(service: service, from: wednesday.from, to: wednesday.to), [], "no rules on Wednesday")
        let free = try w.meetingd.result("availability.add_free", as: jo, [
            "expert_id": .string(jo), "start": "2030-03-13T14:00:00Z", "end": "2030-03-13T16:00:00Z", "location_ids": [.string(video)],
        ])
        let wednesdaySlots = try w.search(service: service, from: wednesday.from, to: wednesday.to)
        XCTAssertEqual(wednesdaySlots.map(\.start), ["2030-03-13T14:00:00Z", "2030-03-13T14:30:00Z", "2030-03-13T15:00:00Z"])
        XCTAssertTrue(wednesdaySlots.allSatisfy { $0.experts == [jo: [video]] }, "the one-off period is at its own location: \(wednesdaySlots)")
        let got = try w.meetingd.result("availability.get", as: w.user, ["expert_id": .string(jo), "from": .string(tuesday.from), "to": .string(wednesday.to)])
        XCTAssertEqual(got["free"]?.array?.map { "\($0["start"]?.string ?? "")–\($0["end"]?.string ?? "")" },
                       ["2030-03-12T09:00:00Z–2030-03-12T10:00:00Z", "2030-03-12T11:00:00Z–2030-03-12T13:00:00Z", "2030-03-13T14:00:00Z–2030-03-13T16:00:00Z"])
        XCTAssertEqual(got["blocked"]?.array?.count, 1)

        XCTAssertEqual(try w.meetingd.result("availability.remove", as: jo, ["expert_id": .string(jo), "period_id": block["id"]!])["removed"], 1)
        XCTAssertEqual(try w.search(service: service, from: tuesday.from, to: tuesday.to).map(\.start), grid(from: "2030-03-12T09:00:00Z", through: "2030-03-12T12:00:00Z"),
                       "the block is gone")
        XCTAssertEqual(try w.meetingd.result("availability.remove", as: jo, ["expert_id": .string(jo), "start": .string(wednesday.from), "end": .string(wednesday.to)])["removed"], 1)
        XCTAssertEqual(try w.search(service: service, from: wednesday.from, to: wednesday.to), [], "the free period is gone")
        XCTAssertNotNil(free["id"]?.string)
    }

    /// A request (holding credits) and an agreed meeting take their hour out of the expert's
    /// slots, leaving other experts' listing; a declined request and a cancelled meeting give
    /// it back.
    func testABookedSlotDisappearsAndACancelledOneComesBack() throws {
        let w = try world()
        let service = try w.addService("Booked \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("Room")
        let max = try w.addScheduledExpert(firstName: "Max", timeZone: "UTC", services: [service], rules: [weeklyRule(5, "09:00", "12:00", at: [room])])
        let nia = try w.addScheduledExpert(firstName: "Nia", timeZone: "UTC", services: [service], rules: [weeklyRule(5, "09:00", "12:00", at: [room])])
        let from = "2030-03-15T00:00:00Z", to = "2030-03-16T00:00:00Z"
        let open = grid(from: "2030-03-15T09:00:00Z", through: "2030-03-15T11:00:00Z")
        func maxStarts() throws -> [String] { w.starts(of: max, in: try w.search(service: service, from: from, to: to)) }
        XCTAssertEqual(try maxStarts(), open)
        let around10 = ["2030-03-15T09:00:00Z", "2030-03-15T11:00:00Z"]

        let params: [String: JSONValue] = ["service_id": .string(service), "location_id": .string(room)]
        let requested = try MeetingWorld.id(of: w.requestWith(start: "2030-03-15T10:00:00Z", expert: max, params))
        XCTAssertEqual(try maxStarts(), around10, "a request holding credits takes 10:00–11:00")
        XCTAssertEqual(w.starts(of: nia, in: try w.search(service: service, from: from, to: to)), open, "Nia is still free then")
        let rival = try w.addNamedUser(firstName: "Rival")
        let taken = try w.meetingd.error("meeting.request", as: rival, [
            "service_id": .string(service), "expert_id": .string(max), "start": "2030-03-15T10:30:00Z", "location_id": .string(room),
        ], code: 4011)
        XCTAssertEqual(taken["data"]?["code"], "slot_unavailable")

        try w.act("meeting.decline", as: max, requested, ["reason_code": "schedule_conflict"])
        XCTAssertEqual(try maxStarts(), open, "a declined request gives the hour back")

        let agreed = try MeetingWorld.id(of: w.requestWith(start: "2030-03-15T10:00:00Z", expert: max, params))
        assertMeeting(try w.act("meeting.confirm", as: max, agreed), status: "agreed", credit: "blocked")
        XCTAssertEqual(try maxStarts(), around10, "an agreed meeting takes its hour")
        try w.act("meeting.cancel", as: w.user, agreed, ["reason_code": "illness"])
        XCTAssertEqual(try maxStarts(), open, "a cancelled meeting gives it back")
        try w.requestWith(start: "2030-03-15T10:30:00Z", by: rival, expert: max, params)
        XCTAssertEqual(try maxStarts(), ["2030-03-15T09:00:00Z", "2030-03-15T09:30:00Z"], "10:30–11:30 taken by the rival")
        try w.assertReconciled()
    }

    // MARK: Daylight saving time

    /// Weekly hours stay on the expert's wall clock through daylight-saving changes: New York
    /// (2026-03-08, 2026-11-01), Prague (2026-03-29, 2026-10-25), Lord Howe (half-hour shifts,
    /// 2026-04-05, 2026-10-04) and Kolkata (no DST), 09:00–12:00 every day, plus windows across
    /// the changes themselves (New York 01:00–04:00 and Lord Howe 01:00–03:00 on Sundays). Every
    /// slot over three days around each change is checked against zoneinfo.
    func testWeeklyHoursAcrossDaylightSavingChanges() throws {
        let w = try world(settings: ["horizon_days": 120])
        let service = try w.addService("DST \(TestEnvironment.uniqueTag())")
        let room = try w.addLocation("DST room")
        let zones: [(zone: String, extra: (String, String)?, changes: [String])] = [
            ("America/New_York", ("01:00", "04:00"), ["2026-03-08", "2026-11-01"]),
            ("Europe/Prague", nil, ["2026-03-29", "2026-10-25"]),
            ("Australia/Lord_Howe", ("01:00", "03:00"), ["2026-04-05", "2026-10-04"]),
            ("Asia/Kolkata", nil, ["2026-03-08", "2026-11-01"]),
        ]
        var experts: [String: String] = [:]
        for z in zones {
            var rules = dailyRules("09:00", "12:00", at: [room])
            if let extra = z.extra { rules.append(weeklyRule(7, extra.0, extra.1, at: [room])) }
            experts[z.zone] = try w.addScheduledExpert(firstName: "Dst", timeZone: z.zone, services: [service], rules: rules)
        }

        // Each case: the UTC days searched around one change, and the local windows (pairs of
        // wall-clock times on the local dates reaching into those days, zones being -05:00 …
        // +11:00), all converted by zoneinfo in one run.
        struct Case {
            let zone: String
            let change: String
            let half: Int
            let from: String
            let lastStart: String
            let to: String
            var queries: [(zone: String, date: String, time: String)] = []
        }
        var cases: [Case] = []
        for half in 0...1 {
            for z in zones {
                let change = MeetingTime.date(z.changes[half] + "T00:00:00Z")
                func day(_ offset: Int) -> String { String(MeetingTime.text(change.addingTimeInterval(TimeInterval(offset * 86_400))).prefix(10)) }
                var c = Case(zone: z.zone, change: z.changes[half], half: half, from: day(-1) + "T00:00:00Z", lastStart: day(1) + "T23:30:00Z",
                             to: day(2) + "T00:00:00Z")
                for offset in -2...3 {
                    c.queries += [(z.zone, day(offset), "09:00"), (z.zone, day(offset), "12:00")]
                    if let extra = z.extra, isoWeekday(day(offset)) == 7 {
                        c.queries += [(z.zone, day(offset), extra.0), (z.zone, day(offset), extra.1)]
                    }
                }
                cases.append(c)
            }
        }
        var instants = try PythonReference.utc(cases.flatMap(\.queries))[...]
        for (half, clock) in ["2026-02-20T00:00:00Z", "2026-09-20T00:00:00Z"].enumerated() {
            try w.setClock(clock)
            for c in cases where c.half == half {
                let mine = Array(instants.prefix(c.queries.count))
                instants = instants.dropFirst(c.queries.count)
                let windows = stride(from: 0, to: mine.count, by: 2).map { i in
                    Window(expert: experts[c.zone]!, location: room, start: mine[i], end: mine[i + 1])
                }
                let slots = try w.search(service: service, from: c.from, to: c.to, ["expert_id": .string(experts[c.zone]!)])
                assertWellFormed(slots)
                let want = expected(windows, candidates: grid(from: c.from, through: c.lastStart))
                XCTAssertEqual(slots.map(\.start), want.keys.sorted(), "\(c.zone) around \(c.change)")
                XCTAssertFalse(slots.isEmpty, "\(c.zone) has hours around \(c.change)")
            }
        }

        // The transition windows themselves: two real hours on the spring-forward Sunday in New
        // York, four on the fall-back one; two and a half and one and a half at Lord Howe.
        let ny = experts["America/New_York"]!, lordHowe = experts["Australia/Lord_Howe"]!
        try w.setClock("2026-02-20T00:00:00Z")
        XCTAssertEqual(w.starts(of: ny, in: try w.search(service: service, from: "2026-03-08T04:00:00Z", to: "2026-03-08T12:00:00Z")),
                       ["2026-03-08T06:00:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"], "01:00 EST–04:00 EDT is 06:00–08:00 UTC")
        XCTAssertEqual(w.starts(of: lordHowe, in: try w.search(service: service, from: "2026-04-04T12:00:00Z", to: "2026-04-04T20:00:00Z")),
                       grid(from: "2026-04-04T14:00:00Z", through: "2026-04-04T15:30:00Z"), "01:00 +11:00–03:00 +10:30 is 14:00–16:30 UTC")
        try w.setClock("2026-09-20T00:00:00Z")
        XCTAssertEqual(w.starts(of: ny, in: try w.search(service: service, from: "2026-11-01T04:00:00Z", to: "2026-11-01T12:00:00Z")),
                       grid(from: "2026-11-01T05:00:00Z", through: "2026-11-01T08:00:00Z"), "01:00 EDT–04:00 EST is 05:00–09:00 UTC")
        XCTAssertEqual(w.starts(of: lordHowe, in: try w.search(service: service, from: "2026-10-03T12:00:00Z", to: "2026-10-03T20:00:00Z")),
                       ["2026-10-03T14:30:00Z", "2026-10-03T15:00:00Z"], "01:00 +10:30–03:00 +11:00 is 14:30–16:00 UTC")

        // Booking follows the wall clock too: 16:00 UTC is 11:00 in New York before the spring
        // change (bookable) and 12:00 after it (closed).
        try w.setClock("2026-02-20T00:00:00Z")
        let nyParams: [String: JSONValue] = ["service_id": .string(service), "location_id": .string(room)]
        try w.requestWith(start: "2026-03-06T16:00:00Z", expert: ny, nyParams)
        try w.meetingd.error("meeting.request", as: w.user, ["service_id": .string(service), "expert_id": .string(ny), "start": "2026-03-09T16:00:00Z",
                                                             "location_id": .string(room)], code: 4011)
        try w.requestWith(start: "2026-03-09T13:00:00Z", expert: ny, nyParams)
        try w.assertReconciled()
    }
}
