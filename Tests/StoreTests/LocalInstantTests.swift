import Core
import Foundation
import Postgres
import Scheduling
import XCTest

/// The database reads a series' local time as an instant (`ml_local_instant`) exactly as
/// ZoneClock does: the earliest instant showing it in a repeated hour, the offset of the day
/// before in a skipped one. Checked every quarter hour of the days around each clock change of
/// 2030 in zones with whole-hour, half-hour and 30-minute changes, in one query.
final class LocalInstantTests: XCTestCase {
    static let zones = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Australia/Sydney", "America/St_Johns",
                        "Pacific/Chatham", "America/Santiago"]

    func testTheDatabaseReadsLocalTimesAsZoneClockDoes() throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        let c = try Connection(conninfo: url)
        var zones: [String] = [], locals: [String] = [], expected: [Instant] = []
        let first = try XCTUnwrap(LocalDate("2030-01-01")), last = try XCTUnwrap(LocalDate("2030-12-31"))
        for zone in Self.zones {
            let clock = try XCTUnwrap(ZoneClock(identifier: zone))
            let midnight = LocalTimeOfDay(minutes: 0)
            // The days whose clocks change: not 24 hours from their midnight to the next.
            let changes = (first.day..<last.day).filter { day in
                clock.instant(on: LocalDate(day: day), at: midnight).microseconds + 86_400_000_000
                    != clock.instant(on: LocalDate(day: day + 1), at: midnight).microseconds
            }
            XCTAssertFalse(changes.isEmpty, "\(zone) changes its clocks in 2030")
            for day in Set(changes.flatMap { [$0 - 1, $0, $0 + 1] }).sorted() {
                let date = LocalDate(day: day)
                for minutes in stride(from: 0, to: 1440, by: 15) {
                    let time = LocalTimeOfDay(minutes: minutes)
                    zones.append(zone)
                    locals.append("\(date) \(time)")
                    expected.append(clock.instant(on: date, at: time))
                }
            }
        }
        let rows = try c.query(
            "SELECT ml_local_instant(l::timestamp, z) AS at FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(z, l, n) ORDER BY n",
            [PostgresTextArray(zones), PostgresTextArray(locals)])
        XCTAssertEqual(rows.count, expected.count)
        var differences: [String] = []
        for (i, row) in rows.enumerated() where try row.instant("at") != expected[i] {
            differences.append("\(zones[i]) \(locals[i]): database \(try row.instant("at").rfc3339), ZoneClock \(expected[i].rfc3339)")
        }
        XCTAssertEqual(differences, [], "of \(expected.count) local times")
        XCTAssertGreaterThan(expected.count, 2000)
    }
}
