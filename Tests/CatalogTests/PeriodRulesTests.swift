import Catalog
import Community
import Core
import Meetings
import Scheduling
import XCTest

/// The one-off periods' rules (`availability.add_free`, `.block`, `.remove`), decided on the facts
/// their one read gives; the caller's check is new hours' own (WeeklyHoursRulesTests).
final class PeriodRulesTests: XCTestCase {
    let room = LocationFacts(id: "loc_room", name: "Room 1", kind: "in_person")
    let hall = LocationFacts(id: "loc_hall", name: "Old hall", kind: "in_person", active: false)

    func facts(periodIsTheirs: Bool? = nil) -> PeriodFacts {
        PeriodFacts(
            owner: WeeklyHoursFacts(
                settings: CommunitySettings(), expert: nil, unloggedMeetingIds: [], locations: [room.id: room, hall.id: hall],
                services: [:], upcoming: [], upcomingFree: []),
            meetingsWithin: nil, periodIsTheirs: periodIsTheirs)
    }

    func reason(_ body: () throws -> Void) -> String? { refusal(body) }

    func at(_ text: String) -> Instant { try! Instant(rfc3339: text) }

    func testAPeriodEndsAfterItStartsAndLastsAtMostAYearOfSearch() {
        XCTAssertNil(reason { try PeriodRules.checkTimes(start: at("2030-03-04T09:00:00Z"), end: at("2030-03-04T10:00:00Z")) })
        XCTAssertEqual(reason { try PeriodRules.checkTimes(start: at("2030-03-04T09:00:00Z"), end: at("2030-03-04T09:00:00Z")) },
                       "-32602 Invalid params: end must be after start")
        XCTAssertEqual(reason { try PeriodRules.checkTimes(start: at("2030-03-04T09:00:00Z"), end: at("2030-03-04T08:00:00Z")) },
                       "-32602 Invalid params: end must be after start")
        XCTAssertNil(reason { try PeriodRules.checkTimes(start: at("2030-01-01T00:00:00Z"), end: at("2031-01-02T00:00:00Z")) }, "366 days")
        XCTAssertEqual(reason { try PeriodRules.checkTimes(start: at("2030-01-01T00:00:00Z"), end: at("2031-01-02T00:01:00Z")) },
                       "-32602 Invalid params: end must be at most 366 days after start")
    }

    func testAFreePeriodIsAtPlacesThatExistAndAreOffered() {
        XCTAssertNil(reason { try PeriodRules.checkLocations([], facts: facts()) }, "a block names none")
        XCTAssertNil(reason { try PeriodRules.checkLocations(["loc_room"], facts: facts()) })
        XCTAssertEqual(reason { try PeriodRules.checkLocations(["loc_room", "loc_gone"], facts: facts()) },
                       "-32602 Invalid params: location_ids names a location that does not exist")
        XCTAssertEqual(reason { try PeriodRules.checkLocations(["loc_hall"], facts: facts()) }?.hasPrefix("-32602 Invalid params: location_ids "), true)
        XCTAssertTrue(reason { try PeriodRules.checkLocations(["loc_hall"], facts: facts()) }?.contains("Old hall") == true)
    }

    func testOnlyTheExpertsOwnPeriodIsRemovedAnotherIsNotFound() {
        XCTAssertNil(reason { try PeriodRules.requireTheirs(periodId: "avl_1", expertId: "per_t", facts: facts(periodIsTheirs: true)) })
        XCTAssertEqual(reason { try PeriodRules.requireTheirs(periodId: "avl_1", expertId: "per_t", facts: facts(periodIsTheirs: false)) },
                       "4004 Not found: expert per_t has no availability period avl_1; availability.get lists their periods")
        XCTAssertEqual(reason { try PeriodRules.requireTheirs(periodId: "avl_1", expertId: "per_t", facts: facts(periodIsTheirs: nil)) }?.prefix(4), "4004",
                       "a read that did not ask removes nothing")
    }
}
