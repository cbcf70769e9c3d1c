import Core
import XCTest

@testable import Scheduling

#if canImport(Glibc)
    import Glibc
#endif

/// Zone abbreviations read from the tz database's files agree with the C library's reader
/// (asked here the old way, through TZ, which only a single-threaded test may do), from 1975
/// to past the last transition the files list (2037), where the footer rule takes over.
final class ZoneNamesTests: XCTestCase {
    static let zones = [
        "America/New_York", "Europe/Prague", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Chatham",
        "Africa/Casablanca", "Asia/Tokyo", "America/St_Johns", "Europe/Dublin", "Etc/GMT+5", "UTC",
    ]

    func cLibrary(_ zone: String, _ seconds: Int64) -> String? {
        setenv("TZ", zone, 1)
        tzset()
        defer {
            unsetenv("TZ")
            tzset()
        }
        var t = time_t(seconds)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil, let name = parts.tm_zone else { return nil }
        return String(cString: name)
    }

    func testAbbreviationsAgreeWithTheCLibrary() {
        var compared = 0
        for zone in Self.zones {
            // Every 17 days from 1975 to 2060: every season of every year, and both sides of 2037.
            var seconds: Int64 = 157_766_400
            while seconds < 2_840_140_800 {
                let instant = Instant(seconds: seconds)
                XCTAssertEqual(ZoneClock.abbreviation(zone: zone, at: instant), cLibrary(zone, seconds), "\(zone) at \(instant.rfc3339)")
                seconds += 17 * 86_400
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 20_000)
    }

    func testPOSIXRuleNames() {
        let names = ZoneNames.posixNames("EST5EDT,M3.2.0,M11.1.0")
        XCTAssertEqual(names.map(\.name), ["EST", "EDT"])
        XCTAssertEqual(names.map(\.offsetSeconds), [-18_000, -14_400])
        XCTAssertEqual(ZoneNames.posixNames("<+0530>-5:30").map(\.offsetSeconds), [19_800])
        XCTAssertEqual(ZoneNames.posixNames("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45").map(\.name), ["+1245", "+1345"])
        XCTAssertEqual(ZoneNames.posixNames("").count, 0)
    }

    func testAskingFromManyThreadsAtOnceGivesTheSameNames() {
        let instant = Instant(seconds: 1_900_000_000)
        let expected = ZoneClock.abbreviation(zone: "Europe/Prague", at: instant)
        let answers = Locked<[String?]>([])
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            let name = ZoneClock.abbreviation(zone: "Europe/Prague", at: instant)
            answers.withLock { $0.append(name) }
        }
        XCTAssertEqual(answers.withLock { $0 }, Array(repeating: expected, count: 64))
    }
}
