import Community
import Core
import XCTest

@testable import Meetings

/// The suspension a no-show brings: from the policy's days, ending on a whole minute, and never
/// shorter than one already running (the days lowered since), which is the end the notice tells.
final class NoShowRuleTests: XCTestCase {
    func context(suspendedUntil: Instant?) throws -> BookingContext {
        var c = try BookingRulesTableTests.context()
        c.settings.noShowPolicy.maxNoShows = 2
        c.settings.noShowPolicy.windowDays = 30
        c.settings.noShowPolicy.suspensionDays = 14
        c.recentNoShows = 1
        c.user?.suspendedUntil = suspendedUntil
        return c
    }

    func testASuspensionRunsThePolicysDays() throws {
        let s = try XCTUnwrap(NoShowRule.suspension(try context(suspendedUntil: nil)))
        XCTAssertEqual(s.until, BookingRulesTableTests.at(day: 14, hour: 0))
        XCTAssertEqual(s.noShows, 2)
        var below = try context(suspendedUntil: nil)
        below.recentNoShows = 0
        XCTAssertNil(NoShowRule.suspension(below), "one no-show of two allowed")
    }

    func testALongerSuspensionRunningKeepsItsEnd() throws {
        let longer = BookingRulesTableTests.at(day: 30, hour: 0)
        XCTAssertEqual(NoShowRule.suspension(try context(suspendedUntil: longer))?.until, longer)
        let shorter = BookingRulesTableTests.at(day: 3, hour: 0)
        XCTAssertEqual(NoShowRule.suspension(try context(suspendedUntil: shorter))?.until, BookingRulesTableTests.at(day: 14, hour: 0))
    }

    /// A meeting for a student suspends the student: their suspension is the one kept.
    func testTheStudentsSuspensionIsTheOneKept() throws {
        var c = try context(suspendedUntil: nil)
        c.student = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sam", lastName: "Student", roles: [.user], timeZone: "UTC",
                                suspendedUntil: BookingRulesTableTests.at(day: 40, hour: 0))
        XCTAssertEqual(NoShowRule.suspension(c)?.until, BookingRulesTableTests.at(day: 40, hour: 0))
    }
}
