import Core
import XCTest

@testable import Scheduling

/// Weekly hours are kept and listed by weekday, then start, then end, whatever order they were
/// given in.
final class WeeklyRuleOrderTests: XCTestCase {
    func rule(_ weekday: Int, _ start: String, _ end: String) throws -> WeeklyRule {
        try WeeklyRule(weekday: weekday, start: LocalTimeOfDay(start)!, end: LocalTimeOfDay(end)!, locationIds: [])
    }

    func testWeeklyHoursAreOrderedByWeekdayThenStartThenEnd() throws {
        let given = [try rule(3, "13:00", "17:00"), try rule(1, "13:00", "15:00"), try rule(7, "08:00", "09:00"), try rule(1, "09:00", "12:00"),
                     try rule(1, "09:00", "10:00")]
        let listed = given.sorted(by: WeeklyRule.listedBefore).map { "\($0.weekday) \($0.start)-\($0.end)" }
        XCTAssertEqual(listed, ["1 09:00-10:00", "1 09:00-12:00", "1 13:00-15:00", "3 13:00-17:00", "7 08:00-09:00"])
    }
}
