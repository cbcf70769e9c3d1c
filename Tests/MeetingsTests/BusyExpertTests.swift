import Core
import Foundation
import Scheduling
import XCTest

@testable import Meetings

/// An expert with thousands of meetings: a check of one time reads the meetings overlapping it
/// and answers as a check of every meeting does, so a series booking dozens of dates for a busy
/// expert (the scheduler's run, which holds its parties' locks meanwhile) stays cheap.
final class BusyExpertTests: XCTestCase {
    /// The table tests' context with `count` meetings of the expert, each 30 minutes, every
    /// 100 minutes from the test's start; every third only holding its time (a request), the rest
    /// agreed.
    func busyContext(_ count: Int) throws -> BookingContext {
        var c = try BookingRulesTableTests.context()
        c.settings.horizonDays = 730
        c.settings.weeklyUsageLimit = nil
        c.walletAvailable = 1_000_000
        for i in 0..<count {
            let start = BookingRulesTableTests.now.adding(minutes: Int64(i) * 100)
            let slot = MeetingSlot(meetingId: "mtg_\(i)", start: start, end: start.adding(minutes: 30))
            c.occupying.append(slot)
            if i % 3 != 0 { c.agreed.append(slot) }
        }
        return c
    }

    func testACheckOfOneTimeListsOnlyTheMeetingsOverlappingItAndAnswersTheSame() throws {
        let c = try busyContext(2_000)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let start = BookingRulesTableTests.now.adding(minutes: Int64.random(in: 0...(2_000 * 100), using: &generator) / 5 * 5)
            let end = start.adding(minutes: [30, 60, 90][Int.random(in: 0...2, using: &generator)])
            let excluded = Bool.random(using: &generator) ? "mtg_\(Int.random(in: 0..<2_000, using: &generator))" : nil
            let all = c.availability(excluding: excluded)
            let overlapping = c.availability(excluding: excluded, overlapping: start, end)
            XCTAssertLessThanOrEqual(overlapping.busy.count, 3, "only the meetings overlapping \(start)–\(end)")
            XCTAssertTrue(overlapping.busy.allSatisfy { $0.start < end && start < $0.end })
            XCTAssertEqual(overlapping.busy.count, all.busy.filter { $0.start < end && start < $0.end }.count)
            for location in [BookingRulesTableTests.location, nil] {
                XCTAssertEqual(
                    isAvailable(overlapping, serviceId: "svc_1", start: start, end: end, locationId: location),
                    isAvailable(all, serviceId: "svc_1", start: start, end: end, locationId: location), "\(start)–\(end) at \(location ?? "any")")
            }
        }
    }

    /// A weekly series booking 24 dates for an expert with 15,000 meetings decides as for an idle
    /// one where they do not meet, and refuses the dates they take.
    func testASeriesBooksAroundABusyExpertsMeetings() throws {
        var c = try busyContext(15_000)
        let series = Series(
            id: "ser_1", userId: "per_u", expertId: "per_e", serviceId: "svc_1", locationId: BookingRulesTableTests.location, timeZone: "UTC",
            firstDate: LocalDate("2030-03-06")!, localMinutes: 10 * 60, lengthMinutes: 60, weeks: nil, nextIndex: 1, status: "active")
        var change = SeriesChange(series: series, isNew: false)
        var expected = 0
        for week in 1...24 {
            let date = LocalDate(day: LocalDate("2030-03-06")!.day + Int64(7 * week))
            let start = try XCTUnwrap(series.start(on: date))
            if !c.occupying.contains(where: { $0.overlaps(start: start, end: start.adding(minutes: 60)) }) { expected += 1 }
            SeriesDecider.book(&change, &c, date: date, start: start, beyondHorizon: false, ids: MeetingDecider.defaultIds)
        }
        XCTAssertGreaterThan(expected, 0)
        XCTAssertLessThan(expected, 24)
        XCTAssertEqual(change.meetings.count, expected, "each free date booked")
        XCTAssertEqual(change.skips.count, 24 - expected, "each taken date listed as not booked")
    }
}
