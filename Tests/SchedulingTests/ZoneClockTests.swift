import Core
import Scheduling
import XCTest

final class ZoneClockTests: XCTestCase {
    /// Each zone's 2026 offset changes (none for Kolkata), with America/Santiago changing at
    /// midnight so a day starts inside a gap or an overlap.
    static let changeDays: [(zone: String, dates: [String])] = [
        ("America/New_York", ["2026-03-08", "2026-11-01"]),
        ("Europe/Prague", ["2026-03-29", "2026-10-25"]),
        ("Asia/Kolkata", ["2026-03-08"]),
        ("Australia/Lord_Howe", ["2026-04-05", "2026-10-04"]),
        ("America/Santiago", ["2026-04-05", "2026-09-06"]),
    ]

    func testLocalToInstantMatchesZoneinfoEveryQuarterHourAroundEachChange() throws {
        var cases: [(zone: String, date: String, time: String)] = []
        for (zone, dates) in Self.changeDays {
            for changeDay in dates {
                for offsetDays in -1...1 {
                    let day = date(changeDay).adding(days: Int64(offsetDays)).description
                    for minutes in stride(from: 0, through: 1440, by: 15) {
                        cases.append((zone, day, LocalTimeOfDay(minutes: minutes).description))
                    }
                }
            }
        }
        let expected = try ZoneReference.instants(cases)
        for (query, reference) in zip(cases, expected) {
            let clock = try XCTUnwrap(ZoneClock(identifier: query.zone))
            XCTAssertEqual(
                clock.instant(on: date(query.date), at: time(query.time)), reference,
                "\(query.zone) \(query.date) \(query.time)")
        }
    }

    func testInstantToLocalMatchesZoneinfoEveryQuarterHourAroundEachChange() throws {
        var cases: [(zone: String, instant: Instant)] = []
        for (zone, dates) in Self.changeDays {
            for changeDay in dates {
                let first = utc("\(changeDay)T00:00:00Z").adding(minutes: -36 * 60)
                for quarter in 0..<(72 * 4) { cases.append((zone, first.adding(minutes: Int64(quarter) * 15))) }
            }
        }
        let expected = try ZoneReference.readings(cases)
        for (query, reference) in zip(cases, expected) {
            let reading = try XCTUnwrap(ZoneClock(identifier: query.zone)).local(query.instant)
            XCTAssertEqual("\(reading.date) \(reading.time) \(reading.offsetSeconds)", reference, "\(query.zone) \(query.instant)")
        }
    }

    func testGapTakesTheOffsetBeforeTheChangeAndOverlapTheFirstOccurrence() throws {
        let newYork = try XCTUnwrap(ZoneClock(identifier: "America/New_York"))
        XCTAssertEqual(newYork.instant(on: date("2026-03-08"), at: time("02:30")), utc("2026-03-08T07:30:00Z"))
        XCTAssertEqual(newYork.instant(on: date("2026-11-01"), at: time("01:30")), utc("2026-11-01T05:30:00Z"))
        let lordHowe = try XCTUnwrap(ZoneClock(identifier: "Australia/Lord_Howe"))
        XCTAssertEqual(lordHowe.instant(on: date("2026-10-04"), at: time("02:15")), utc("2026-10-03T15:45:00Z"))
        XCTAssertEqual(lordHowe.instant(on: date("2026-04-05"), at: time("01:45")), utc("2026-04-04T14:45:00Z"))
    }

    func testReadingsAreOneTwoInAnOverlapAndNoneInAGap() throws {
        let newYork = try XCTUnwrap(ZoneClock(identifier: "America/New_York"))
        XCTAssertEqual(newYork.readings(on: date("2026-11-01"), at: time("01:30")), [utc("2026-11-01T05:30:00Z"), utc("2026-11-01T06:30:00Z")])
        XCTAssertEqual(newYork.readings(on: date("2026-03-08"), at: time("02:30")), [])
        XCTAssertEqual(newYork.readings(on: date("2026-03-08"), at: time("03:30")), [utc("2026-03-08T07:30:00Z")])
        let lordHowe = try XCTUnwrap(ZoneClock(identifier: "Australia/Lord_Howe"))
        XCTAssertEqual(lordHowe.readings(on: date("2026-04-05"), at: time("01:45")).count, 2, "a half-hour overlap")
    }

    func testMidnightAtTwentyFourHundredIsTheNextDay() throws {
        let kolkata = try XCTUnwrap(ZoneClock(identifier: "Asia/Kolkata"))
        XCTAssertEqual(kolkata.instant(on: date("2026-03-08"), at: time("24:00")), utc("2026-03-08T18:30:00Z"))
        XCTAssertEqual(kolkata.instant(on: date("2026-03-09"), at: time("00:00")), utc("2026-03-08T18:30:00Z"))
    }

    func testUnknownZonesAreRefused() {
        XCTAssertNil(ZoneClock(identifier: "Mars/Olympus_Mons"))
        XCTAssertNil(ZoneClock(identifier: ""))
    }
}
