import Community
import Core
import Scheduling
import XCTest

@testable import Meetings

/// A weekly series keeps its time on its own clock. Where the community's zone does not change
/// its clocks with the series' zone, a date after the change lies off the community's slot grid
/// though nobody chose another time: the grid is checked at the series' first date, so the
/// date is booked; a grid that changed still stops it.
final class SeriesGridTests: XCTestCase {
    /// Expert in Berlin, community in Tokyo with a 120-minute grid. Monday 25 March 2030 10:00 in
    /// Berlin (CET) is 18:00 in Tokyo, on the grid; Berlin moves its clocks on 31 March, so
    /// Monday 1 April 10:00 (CEST) is 17:00 in Tokyo, between two grid times.
    func context(slotMinutes: Int) throws -> BookingContext {
        var c = try BookingRulesTableTests.context()
        c.settings.timeZone = "Asia/Tokyo"
        c.settings.slotMinutes = Int64(slotMinutes)
        c.settings.horizonDays = 60
        c.settings.requireEnrollment = false
        c.expertTimeZone = "Europe/Berlin"
        c.expert?.timeZone = "Europe/Berlin"
        return c
    }

    let series = Series(
        id: "ser_1", userId: "per_u", expertId: "per_e", serviceId: "svc_1", locationId: BookingRulesTableTests.location, timeZone: "Europe/Berlin",
        firstDate: LocalDate("2030-03-25")!, localMinutes: 10 * 60, lengthMinutes: 60, weeks: 4, nextIndex: 1, status: "active")

    func testADateTheClockChangeMovedOffTheGridIsBooked() throws {
        let date = LocalDate("2030-04-01")!
        let start = try XCTUnwrap(series.start(on: date))
        XCTAssertEqual(start.rfc3339, "2030-04-01T08:00:00Z", "10:00 in Berlin summer time")
        let c = try context(slotMinutes: 120)
        XCTAssertFalse(SlotGrid.isOnGrid(start, slotMinutes: 120, timeZone: "Asia/Tokyo"), "17:00 in Tokyo is off the grid")

        let change = try MeetingDecider.request(c, SeriesDecider.occurrence(series, date: date, start: start))
        XCTAssertEqual(change.after.state.start, start, "the series' date is booked at its own time")
        XCTAssertEqual(change.after.seriesId, "ser_1")

        // A user choosing that time alone is still held to the grid.
        var alone = SeriesDecider.occurrence(series, date: date, start: start)
        alone.seriesId = nil
        alone.gridStart = nil
        XCTAssertThrowsError(try MeetingDecider.request(c, alone)) { XCTAssertEqual(($0 as? AppError)?.dataCode, "slot_unavailable", "\($0)") }
    }

    /// A new series' first date is the time asked for and keeps the grid as a request does:
    /// 10:00:30 (off a 30-minute grid) was booked, its later dates being checked at it.
    func testANewSeriesFirstDateKeepsTheGrid() throws {
        let c = try BookingRulesTableTests.context()
        func create(_ start: Instant) throws -> SeriesChange {
            try SeriesDecider.create(
                SeriesContext(series: nil, skips: [], occurrences: [], booking: c),
                .init(userId: "per_u", expertId: "per_e", serviceId: "svc_1", locationId: BookingRulesTableTests.location, firstStart: start, weeks: 2,
                      lengthMinutes: 60))
        }
        let onGrid = BookingRulesTableTests.at(day: 2, hour: 10)
        XCTAssertThrowsError(try create(Instant(microseconds: onGrid.microseconds + 30_000_000))) {
            XCTAssertEqual(($0 as? AppError)?.dataCode, "slot_unavailable", "\($0)")
        }
        XCTAssertEqual(try create(onGrid).meetings.first?.after.state.start, onGrid)
    }

    /// A grid the series' first date is no longer on (240 minutes: 18:00 is not a multiple of 4
    /// hours) stops its dates, as the README says of a changed slot_minutes or time_zone.
    func testAChangedGridStillStopsTheDates() throws {
        let date = LocalDate("2030-04-01")!
        let start = try XCTUnwrap(series.start(on: date))
        XCTAssertThrowsError(try MeetingDecider.request(try context(slotMinutes: 240), SeriesDecider.occurrence(series, date: date, start: start))) {
            XCTAssertEqual(($0 as? AppError)?.dataCode, "slot_unavailable", "\($0)")
        }
    }

    /// A change of the community's grid names the series it leaves off it, checked as the
    /// slot-grid rule checks them (at the first date's start): on the grid before and off it
    /// after; one off it already, or still on it, is not named.
    func testAChangeOfTheGridNamesTheSeriesItLeavesOffIt() {
        var before = CommunitySettings()
        before.timeZone = "Asia/Tokyo"
        before.slotMinutes = 120
        // 25 March 10:00 in Berlin is 18:00 in Tokyo: on the grid; 10:30 is off it already.
        let onGrid = SeriesTime(id: "ser_on", timeZone: "Europe/Berlin", firstDate: LocalDate("2030-03-25")!, localMinutes: 600)
        let offAlready = SeriesTime(id: "ser_off", timeZone: "Europe/Berlin", firstDate: LocalDate("2030-03-25")!, localMinutes: 630)
        XCTAssertEqual(SeriesTime.leftOffGrid([onGrid, offAlready], before: before, after: before), [], "nothing moved")
        var coarser = before
        coarser.slotMinutes = 240
        XCTAssertEqual(SeriesTime.leftOffGrid([onGrid, offAlready], before: before, after: coarser), ["ser_on"], "18:00 is off a 4-hour grid")
        var finer = before
        finer.slotMinutes = 60
        XCTAssertEqual(SeriesTime.leftOffGrid([onGrid, offAlready], before: before, after: finer), [], "18:00 stays on an hour grid")
        var kathmandu = before
        kathmandu.timeZone = "Asia/Kathmandu"
        kathmandu.slotMinutes = 30
        XCTAssertEqual(SeriesTime.leftOffGrid([onGrid], before: before, after: kathmandu), ["ser_on"], "09:00 UTC is 14:45 in Kathmandu")
    }
}
