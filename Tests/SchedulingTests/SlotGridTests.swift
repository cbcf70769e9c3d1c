import Core
import XCTest

@testable import Scheduling

/// The slot grid keeps the wall clock: the same local start times every day, the days the clocks
/// change included, and the starts search offers are exactly those a booking may take.
final class SlotGridTests: XCTestCase {
    let newYork = ZoneClock(identifier: "America/New_York")!

    func starts(_ from: String, _ to: String, _ slotMinutes: Int64, clock: ZoneClock? = nil) -> [Instant] {
        SlotGrid.starts(in: Period(start: utc(from), end: utc(to)), slotMinutes: slotMinutes, clock: clock ?? newYork)
    }

    func localTimes(_ instants: [Instant], clock: ZoneClock? = nil) -> [String] {
        instants.map { (clock ?? newYork).local($0).time.description }
    }

    /// 90-minute slots: 09:00 is a start on the spring-forward day as on any other (counting real
    /// time from midnight would have made it 08:30 and 10:00 that day).
    func testTheSameClockTimesOnTheSpringForwardDay() {
        let springDay = starts("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 90)
        let weekBefore = starts("2026-03-01T05:00:00Z", "2026-03-02T05:00:00Z", 90)
        XCTAssertEqual(localTimes(weekBefore), ["00:00", "01:30", "03:00", "04:30", "06:00", "07:30", "09:00", "10:30", "12:00", "13:30", "15:00",
                                                 "16:30", "18:00", "19:30", "21:00", "22:30"])
        XCTAssertEqual(localTimes(springDay), localTimes(weekBefore), "every clock time there is that day; 03:00 EDT follows 01:30 EST")
        XCTAssertTrue(springDay.contains(utc("2026-03-08T13:00:00Z")), "09:00 EDT")
        XCTAssertTrue(SlotGrid.isOnGrid(utc("2026-03-08T13:00:00Z"), slotMinutes: 90, timeZone: "America/New_York"))
        XCTAssertFalse(SlotGrid.isOnGrid(utc("2026-03-08T12:30:00Z"), slotMinutes: 90, timeZone: "America/New_York"), "08:30 EDT")
    }

    /// A skipped clock time is no start; one the clocks show twice is a start both times.
    func testSkippedTimesAreNoStartsAndRepeatedOnesStartTwice() {
        let spring = starts("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 30)
        XCTAssertEqual(spring.count, 46, "23 hours of half-hour starts")
        XCTAssertFalse(localTimes(spring).contains("02:30"))
        let fall = starts("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 30)
        XCTAssertEqual(fall.count, 50, "25 hours of half-hour starts")
        XCTAssertEqual(localTimes(fall).filter { $0 == "01:30" }.count, 2)
        XCTAssertEqual(fall, fall.sorted(), "in time order")
        XCTAssertEqual(Set(fall).count, fall.count, "no start twice")
        XCTAssertTrue(fall.contains(utc("2026-11-01T05:30:00Z")) && fall.contains(utc("2026-11-01T06:30:00Z")), "01:30 EDT and 01:30 EST")
    }

    /// Search offers exactly the instants a booking may take, in zones with changes at midnight,
    /// half-hour offsets and none, over days with and without a change.
    func testSearchAndBookingAgree() {
        let cases: [(String, String, String)] = [
            ("America/New_York", "2026-03-06T00:00:00Z", "2026-03-10T00:00:00Z"), ("America/New_York", "2026-10-30T00:00:00Z", "2026-11-03T00:00:00Z"),
            ("America/Havana", "2026-03-06T00:00:00Z", "2026-03-10T00:00:00Z"), ("Australia/Lord_Howe", "2026-04-03T00:00:00Z", "2026-04-07T00:00:00Z"),
            ("Asia/Kolkata", "2026-03-06T00:00:00Z", "2026-03-08T00:00:00Z"),
        ]
        for (zone, from, to) in cases {
            let clock = ZoneClock(identifier: zone)!
            for slot: Int64 in [15, 45, 90, 1440] {
                let offered = starts(from, to, slot, clock: clock)
                var onGrid: [Instant] = []
                var t = utc(from)
                while t < utc(to) {
                    if SlotGrid.isOnGrid(t, slotMinutes: slot, timeZone: zone) { onGrid.append(t) }
                    t = t.adding(minutes: 15)
                }
                XCTAssertEqual(offered.filter { $0.microseconds % 900_000_000 == 0 }, onGrid, "\(zone), \(slot)-minute slots")
                XCTAssertFalse(offered.isEmpty, "\(zone), \(slot)")
            }
        }
    }
}
