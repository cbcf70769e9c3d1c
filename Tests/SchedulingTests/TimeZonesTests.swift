import Scheduling
import XCTest

/// The C library's side of the time zone rule: names of real tzdata files only, and the
/// database's list less the names PostgreSQL reads as a different fixed abbreviation.
final class TimeZonesTests: XCTestCase {
    func testOnlyNamesOfRealTzdataFilesAreAccepted() {
        for good in ["UTC", "Europe/Prague", "America/Argentina/Buenos_Aires", "Etc/GMT-5", "EST5EDT"] {
            XCTAssertTrue(TimeZones.isKnown(good), good)
        }
        for bad in ["", "GMT+0530", "GMT+5", "UTC+3", "posix/Europe/Prague", "right/UTC", "../etc/passwd", "Europe/../Europe/Prague",
                    "/usr/share/zoneinfo/UTC", "localtime", "posixrules", "Factory", "europe/prague", "Europe/Prague ", ":UTC",
                    "EST5EDT,M3.2.0,M11.1.0", String(repeating: "A", count: 65)] {
            XCTAssertFalse(TimeZones.isKnown(bad), bad.debugDescription)
        }
        XCTAssertNil(ZoneClock(identifier: "GMT+5"), "no clock for a POSIX TZ string")
    }

    func testNamesPostgreSQLReadsAsAnotherAbbreviationAreLeftOut() {
        let names = TimeZones.databaseNames(
            listed: ["CET", "UTC", "EST", "Europe/Prague", "GMT"], abbreviationOffsetSeconds: ["CET": 3600, "UTC": 0, "EST": -18_000, "GMT": 0, "PST": -28_800])
        XCTAssertEqual(names, ["UTC", "EST", "Europe/Prague", "GMT"], "CET has summer time, which PostgreSQL's CET abbreviation has not")
        XCTAssertNotNil(TimeZones.refusal("Europe/Prague", databaseNames: ["UTC"]), "a name the database does not list is refused")
        XCTAssertNil(TimeZones.refusal("Europe/Prague", databaseNames: ["Europe/Prague"]))
    }
}
