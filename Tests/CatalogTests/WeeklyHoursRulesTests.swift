import Catalog
import Community
import Core
import Meetings
import Scheduling
import XCTest

/// `availability.set_weekly`'s rules, decided on the facts its one read gives.
final class WeeklyHoursRulesTests: XCTestCase {
    let talia = PersonFacts(id: "per_t", email: "t@x.example", firstName: "Talia", lastName: "K", roles: [.expert], timeZone: "UTC")
    let room = LocationFacts(id: "loc_room", name: "Room 1", kind: "in_person")
    let hall = LocationFacts(id: "loc_hall", name: "Old hall", kind: "in_person", active: false)

    func facts(_ change: (inout WeeklyHoursFacts) -> Void = { _ in }) -> WeeklyHoursFacts {
        var f = WeeklyHoursFacts(
            settings: CommunitySettings(), expert: talia, unloggedMeetingIds: [], locations: [room.id: room, hall.id: hall],
            services: [
                "svc_chem": .init(id: "svc_chem", name: "Chemistry", kind: .generic, offered: true),
                "svc_math": .init(id: "svc_math", name: "Maths", kind: .generic, offered: false),
                "svc_bo": .init(id: "svc_bo", name: "Bo's own", kind: .expertSpecific, offered: false),
            ],
            upcoming: [], upcomingFree: [])
        change(&f)
        return f
    }

    func rule(_ start: String, _ end: String, at locations: [String] = ["loc_room"], services: [String]? = nil) -> JSON {
        var r: [String: JSON] = ["weekday": 1, "start": .string(start), "end": .string(end), "location_ids": .array(locations.map { .string($0) })]
        if let services { r["service_ids"] = .array(services.map { .string($0) }) }
        return .object(r)
    }

    func reason(_ body: () throws -> Void) -> String? { refusal(body) }

    func testOnlyTheExpertOrAnAdminSetsTheHoursOfAnExpert() {
        XCTAssertNil(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_t", actorIsAdmin: false, facts: facts()) })
        XCTAssertNil(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_admin", actorIsAdmin: true, facts: facts()) })
        XCTAssertEqual(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_bo", actorIsAdmin: false, facts: facts()) }?.prefix(4), "4003")
        XCTAssertEqual(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_admin", actorIsAdmin: true, facts: facts { $0.expert = nil }) }?.prefix(4), "4004")
        let user = PersonFacts(id: "per_t", email: "t@x.example", firstName: "T", lastName: "K", roles: [.user], timeZone: "UTC")
        XCTAssertEqual(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_admin", actorIsAdmin: true, facts: facts { $0.expert = user }) }?.prefix(6), "-32602")
    }

    func testAnExpertWithUnloggedSessionsLogsThemFirstAnAdminNeedNot() {
        let unlogged = facts {
            $0.settings.requireSessionLog = true
            $0.unloggedMeetingIds = ["mtg_1"]
        }
        XCTAssertEqual(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_t", actorIsAdmin: false, facts: unlogged) }?.prefix(4), "4024")
        XCTAssertNil(reason { try WeeklyHoursRules.requireOwner(expertId: "per_t", actorId: "per_admin", actorIsAdmin: true, facts: unlogged) })
    }

    func testEachWindowInTurnEndsAfterItStartsThenIsAtOfferedLocations() {
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00"), rule("12:00", "12:00", at: ["loc_gone"])], facts: facts()) },
                       "-32602 Invalid params: rules[1].end must be after start")
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", at: ["loc_gone"]), rule("12:00", "11:00")], facts: facts()) },
                       "-32602 Invalid params: rules[0].location_ids names a location that does not exist", "the first window's fault first")
    }

    func testEachWindowIsAtOfferedLocationsForOfferedServices() throws {
        XCTAssertNil(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", services: ["svc_chem"])], facts: facts()) })
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", at: ["loc_gone"])], facts: facts()) },
                       "-32602 Invalid params: rules[0].location_ids names a location that does not exist")
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", at: ["loc_room", "loc_hall"])], facts: facts()) },
                       "-32602 Invalid params: rules[0].location_ids " + LocationFacts.retiredReason("Old hall"))
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", services: ["svc_none"])], facts: facts()) }?.prefix(4), "4004")
        let generic = reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", services: ["svc_chem", "svc_math"])], facts: facts()) } ?? ""
        XCTAssertTrue(generic.contains("rules[0].service_ids[1] is Maths, which this expert does not offer: certify them in it first"), generic)
        let own = reason { _ = try WeeklyHoursRules.check([rule("09:00", "12:00", services: ["svc_bo"])], facts: facts()) } ?? ""
        XCTAssertTrue(own.contains("is Bo's own, which this expert does not offer: it is another expert's own service; leave it out"), own)
    }

    func testAnIdNamedTwiceInAWindowIsNamedOnceAndTheWindowsNameABoundedNumber() throws {
        let given: [JSON] = [["weekday": 1, "start": "09:00", "end": "12:00", "location_ids": ["loc_room", "loc_room"], "service_ids": ["svc_chem", "svc_chem"]]]
        let rules = try WeeklyHoursRules.normalized(given)
        XCTAssertEqual(rules[0]["location_ids"], ["loc_room"])
        XCTAssertEqual(rules[0]["service_ids"], ["svc_chem"])
        let many: [JSON] = (0..<3).map { _ in
            ["weekday": 1, "start": "09:00", "end": "12:00", "location_ids": .array((0..<400).map { .string("loc_\($0)") })]
        }
        XCTAssertEqual(reason { _ = try WeeklyHoursRules.normalized(many) }?.contains("name 1200 locations in all, past the 1000"), true)
    }

    func testMeetingsTheNewHoursNoLongerHoldAreListedOfTheSoonestChecked() throws {
        let monday = try Instant(rfc3339: "2030-03-04T00:00:00Z")  // a Monday
        func at(_ hour: Int64, id: String) -> WeeklyHoursFacts.Upcoming {
            .init(id: id, start: monday.adding(minutes: hour * 60), end: monday.adding(minutes: hour * 60 + 60), serviceId: "svc_chem", locationId: "loc_room")
        }
        let hours = ExpertAvailability(expertId: "per_t", timeZone: "UTC", weekly: try WeeklyHoursRules.check([rule("09:00", "12:00")], facts: facts()))
        var f = facts { $0.upcoming = [at(9, id: "mtg_in"), at(14, id: "mtg_out"), at(16, id: "mtg_free")] }
        // A one-off free period still holds the 16:00 meeting.
        f.upcomingFree = [FreePeriod(start: monday.adding(minutes: 15 * 60), end: monday.adding(minutes: 18 * 60), locationIds: ["loc_room"])]
        let all = WeeklyHoursRules.meetingsOutsideHours(hours, facts: f, atMost: 3)
        XCTAssertEqual(all.ids, ["mtg_out"])
        XCTAssertTrue(all.checkedAll)
        let first = WeeklyHoursRules.meetingsOutsideHours(hours, facts: f, atMost: 1)
        XCTAssertEqual(first.ids, [])
        XCTAssertFalse(first.checkedAll)
    }
}
