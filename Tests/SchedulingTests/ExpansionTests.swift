import Core
import Scheduling
import XCTest

final class ExpansionTests: XCTestCase {
    // MARK: Weekly rules across offset changes, against zoneinfo

    /// Expands one rule per location on `day` and expects, per location, the span between the
    /// reference's instants for the rule's start and end (nothing when that span is empty).
    private func checkExpansion(
        zone: String, day: String, rules: [(location: String, start: String, end: String)],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let weekday = date(day).isoWeekday
        let availability = ExpertAvailability(
            expertId: "per_1", timeZone: zone,
            weekly: rules.map { rule(weekday, $0.start, $0.end, at: [$0.location]) })
        let from = utc("\(date(day).adding(days: -1))T00:00:00Z")
        let free = try availability.freePeriods(serviceId: nil, from: from, to: from.adding(minutes: 3 * 1440))

        let ends = try ZoneReference.instants(rules.flatMap { [(zone, day, $0.start), (zone, day, $0.end)] })
        var expected: [String: [Period]] = [:]
        for (index, rule) in rules.enumerated() where ends[2 * index] < ends[2 * index + 1] {
            expected[rule.location] = [Period(start: ends[2 * index], end: ends[2 * index + 1])]
        }
        XCTAssertEqual(free, expected, "\(zone) \(day)", file: file, line: line)
    }

    /// Hours and free periods at a retired location offer no time; a window at several keeps
    /// the others, and one at the retired location alone is gone.
    func testRetiredLocationsOfferNoTime() throws {
        let availability = ExpertAvailability(
            expertId: "per_1", timeZone: "UTC",
            weekly: [rule(3, "09:00", "12:00", at: ["loc_a", "loc_b"]), rule(3, "14:00", "16:00", at: ["loc_b"])],
            free: [FreePeriod(start: utc("2026-03-11T18:00:00Z"), end: utc("2026-03-11T19:00:00Z"), locationIds: ["loc_b"])])
        let day = (utc("2026-03-11T00:00:00Z"), utc("2026-03-12T00:00:00Z"))
        let all = try availability.freePeriods(serviceId: nil, from: day.0, to: day.1)
        XCTAssertEqual(Set(all.keys), ["loc_a", "loc_b"])
        let kept = try availability.without(locations: ["loc_b"]).freePeriods(serviceId: nil, from: day.0, to: day.1)
        XCTAssertEqual(kept, ["loc_a": [period("2026-03-11T09:00:00Z", "2026-03-11T12:00:00Z")]])
        XCTAssertEqual(try availability.without(locations: []).freePeriods(serviceId: nil, from: day.0, to: day.1), all)
    }

    func testNewYorkSpringForward() throws {
        try checkExpansion(
            zone: "America/New_York", day: "2026-03-08",
            rules: [
                ("loc_span", "01:00", "04:00"), ("loc_in_gap", "02:00", "02:30"), ("loc_from_gap", "02:30", "05:00"),
                ("loc_inverted_by_gap", "02:30", "03:00"), ("loc_day", "09:00", "17:00"), ("loc_all_day", "00:00", "24:00"),
            ])
        let free = try ExpertAvailability(
            expertId: "per_1", timeZone: "America/New_York", weekly: [rule(7, "01:00", "04:00", at: ["loc"])]
        ).freePeriods(serviceId: nil, from: utc("2026-03-08T00:00:00Z"), to: utc("2026-03-09T00:00:00Z"))
        XCTAssertEqual(free["loc"], [period("2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z")], "two real hours")
    }

    func testNewYorkFallBack() throws {
        try checkExpansion(
            zone: "America/New_York", day: "2026-11-01",
            rules: [
                ("loc_span", "00:30", "03:00"), ("loc_in_overlap", "01:00", "01:30"), ("loc_into_overlap", "01:30", "02:00"),
                ("loc_day", "09:00", "17:00"), ("loc_all_day", "00:00", "24:00"),
            ])
        let free = try ExpertAvailability(
            expertId: "per_1", timeZone: "America/New_York", weekly: [rule(7, "00:30", "03:00", at: ["loc"])]
        ).freePeriods(serviceId: nil, from: utc("2026-11-01T00:00:00Z"), to: utc("2026-11-02T00:00:00Z"))
        XCTAssertEqual(free["loc"], [period("2026-11-01T04:30:00Z", "2026-11-01T08:00:00Z")], "three and a half real hours")
    }

    func testPragueBothChanges() throws {
        try checkExpansion(
            zone: "Europe/Prague", day: "2026-03-29",
            rules: [("loc_span", "01:00", "04:00"), ("loc_in_gap", "02:15", "02:45"), ("loc_day", "09:00", "17:00")])
        try checkExpansion(
            zone: "Europe/Prague", day: "2026-10-25",
            rules: [
                ("loc_span", "01:00", "04:00"), ("loc_in_overlap", "02:15", "02:45"), ("loc_into_overlap", "02:30", "03:00"),
                ("loc_day", "09:00", "17:00"),
            ])
    }

    func testKolkataHalfHourOffset() throws {
        try checkExpansion(
            zone: "Asia/Kolkata", day: "2026-03-09", rules: [("loc_day", "09:00", "17:30"), ("loc_all_day", "00:00", "24:00")])
    }

    func testLordHoweBothHalfHourChanges() throws {
        try checkExpansion(
            zone: "Australia/Lord_Howe", day: "2026-04-05",
            rules: [("loc_span", "01:00", "03:00"), ("loc_in_overlap", "01:30", "02:00"), ("loc_day", "09:00", "17:00")])
        try checkExpansion(
            zone: "Australia/Lord_Howe", day: "2026-10-04",
            rules: [("loc_span", "01:00", "03:00"), ("loc_in_gap", "02:00", "02:30"), ("loc_day", "09:00", "17:00")])
    }

    func testEveryWeekOfARangeExpandsInLocalTime() throws {
        let availability = ExpertAvailability(
            expertId: "per_1", timeZone: "America/New_York", weekly: [rule(1, "09:00", "10:00", at: ["loc"])])
        let free = try availability.freePeriods(serviceId: nil, from: utc("2026-03-01T00:00:00Z"), to: utc("2026-03-17T00:00:00Z"))
        XCTAssertEqual(
            free["loc"],
            [period("2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z"), period("2026-03-09T13:00:00Z", "2026-03-09T14:00:00Z"),
             period("2026-03-16T13:00:00Z", "2026-03-16T14:00:00Z")])
    }

    // MARK: Free, blocked and busy periods; services; locations

    /// Monday 2026-03-02, UTC, 09:00–17:00 at two locations.
    private func mondayExpert() -> ExpertAvailability {
        ExpertAvailability(expertId: "per_1", timeZone: "UTC", weekly: [rule(1, "09:00", "17:00", at: ["loc_a", "loc_b"])])
    }

    private func monday(_ availability: ExpertAvailability, serviceId: String? = nil) throws -> [String: [Period]] {
        try availability.freePeriods(serviceId: serviceId, from: utc("2026-03-02T00:00:00Z"), to: utc("2026-03-03T00:00:00Z"))
    }

    func testBlockedPeriodsAreTakenOutAtEveryLocation() throws {
        var expert = mondayExpert()
        expert.blocked = [BlockedPeriod(start: utc("2026-03-02T12:00:00Z"), end: utc("2026-03-02T13:00:00Z"))]
        let expected = [period("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z"), period("2026-03-02T13:00:00Z", "2026-03-02T17:00:00Z")]
        XCTAssertEqual(try monday(expert), ["loc_a": expected, "loc_b": expected])
    }

    func testBusyPeriodsAreTakenOutIncludingAtTheEdgesAndAcrossRules() throws {
        var expert = mondayExpert()
        expert.busy = [
            BusyPeriod(start: utc("2026-03-02T08:00:00Z"), end: utc("2026-03-02T09:30:00Z")),
            BusyPeriod(start: utc("2026-03-02T11:00:00Z"), end: utc("2026-03-02T11:30:00Z")),
            BusyPeriod(start: utc("2026-03-02T11:15:00Z"), end: utc("2026-03-02T12:00:00Z")),
            BusyPeriod(start: utc("2026-03-02T16:30:00Z"), end: utc("2026-03-02T18:00:00Z")),
        ]
        XCTAssertEqual(
            try monday(expert)["loc_a"],
            [period("2026-03-02T09:30:00Z", "2026-03-02T11:00:00Z"), period("2026-03-02T12:00:00Z", "2026-03-02T16:30:00Z")])
    }

    func testBlockingEverythingLeavesNoLocation() throws {
        var expert = mondayExpert()
        expert.blocked = [BlockedPeriod(start: utc("2026-03-01T00:00:00Z"), end: utc("2026-03-04T00:00:00Z"))]
        XCTAssertEqual(try monday(expert), [:])
    }

    func testFreePeriodsAddTimeAndMergeWithRules() throws {
        var expert = mondayExpert()
        expert.free = [
            FreePeriod(start: utc("2026-03-02T17:00:00Z"), end: utc("2026-03-02T19:00:00Z"), locationIds: ["loc_a"]),
            FreePeriod(start: utc("2026-03-02T20:00:00Z"), end: utc("2026-03-02T21:00:00Z"), locationIds: ["loc_c"]),
        ]
        XCTAssertEqual(
            try monday(expert),
            [
                "loc_a": [period("2026-03-02T09:00:00Z", "2026-03-02T19:00:00Z")],
                "loc_b": [period("2026-03-02T09:00:00Z", "2026-03-02T17:00:00Z")],
                "loc_c": [period("2026-03-02T20:00:00Z", "2026-03-02T21:00:00Z")],
            ])
    }

    func testFreePeriodsAreClippedToTheRange() throws {
        let expert = ExpertAvailability(
            expertId: "per_1", timeZone: "UTC",
            free: [FreePeriod(start: utc("2026-03-01T20:00:00Z"), end: utc("2026-03-02T02:00:00Z"), locationIds: ["loc_a"])])
        XCTAssertEqual(try monday(expert), ["loc_a": [period("2026-03-02T00:00:00Z", "2026-03-02T02:00:00Z")]])
    }

    func testServiceRestrictedRulesApplyOnlyToTheirServices() throws {
        let expert = ExpertAvailability(
            expertId: "per_1", timeZone: "UTC",
            weekly: [
                rule(1, "09:00", "10:00", at: ["loc_a"]),
                rule(1, "10:00", "11:00", at: ["loc_a"], services: ["svc_chem"]),
                rule(1, "14:00", "15:00", at: ["loc_a"], services: ["svc_math", "svc_bio"]),
            ])
        XCTAssertEqual(try monday(expert, serviceId: "svc_chem"), ["loc_a": [period("2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z")]])
        XCTAssertEqual(
            try monday(expert, serviceId: "svc_bio"),
            ["loc_a": [period("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"), period("2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z")]])
        XCTAssertEqual(try monday(expert, serviceId: "svc_art"), ["loc_a": [period("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")]])
        XCTAssertEqual(try monday(expert, serviceId: nil)["loc_a"]?.count, 2, "no service counts every rule")
    }

    // MARK: The booking check

    func testIsAvailableNeedsTheWholeSpanFreeAtThatLocation() {
        var expert = mondayExpert()
        expert.weekly.append(rule(1, "17:00", "18:00", at: ["loc_a"], services: ["svc_chem"]))
        expert.busy = [BusyPeriod(start: utc("2026-03-02T12:00:00Z"), end: utc("2026-03-02T13:00:00Z"))]
        func check(_ start: String, _ end: String, _ location: String, service: String? = "svc_chem") -> Bool {
            isAvailable(expert, serviceId: service, start: utc(start), end: utc(end), locationId: location)
        }
        XCTAssertTrue(check("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z", "loc_a"))
        XCTAssertTrue(check("2026-03-02T16:30:00Z", "2026-03-02T17:30:00Z", "loc_a"), "across two rules")
        XCTAssertFalse(check("2026-03-02T16:30:00Z", "2026-03-02T17:30:00Z", "loc_a", service: "svc_math"))
        XCTAssertFalse(check("2026-03-02T16:30:00Z", "2026-03-02T17:30:00Z", "loc_b"), "loc_b has no 17:00 rule")
        XCTAssertFalse(check("2026-03-02T11:30:00Z", "2026-03-02T12:30:00Z", "loc_a"), "overlaps the busy hour")
        XCTAssertFalse(check("2026-03-02T08:30:00Z", "2026-03-02T09:30:00Z", "loc_a"), "starts before the rule")
        XCTAssertFalse(check("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "loc_z"), "location not offered")
        XCTAssertFalse(check("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z", "loc_a"), "empty span")
        XCTAssertFalse(check("2026-03-02T10:00:00Z", "2026-03-04T10:00:00Z", "loc_a"), "longer than a day")
    }

    func testIsAvailableIsFalseWhenTheZoneIsUnknown() {
        let expert = ExpertAvailability(expertId: "per_1", timeZone: "Nowhere/Land", weekly: [rule(1, "09:00", "17:00", at: ["loc_a"])])
        XCTAssertFalse(isAvailable(expert, serviceId: nil, start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z"), locationId: "loc_a"))
    }

    // MARK: Refusals

    func testRangesMustBeOrderedAndBounded() {
        let expert = mondayExpert()
        XCTAssertThrowsError(try expert.freePeriods(serviceId: nil, from: utc("2026-03-02T00:00:00Z"), to: utc("2026-03-02T00:00:00Z"))) {
            XCTAssertEqual(($0 as? AppError)?.details["field"], .string("to"))
        }
        XCTAssertNoThrow(try expert.freePeriods(serviceId: nil, from: utc("2026-01-01T00:00:00Z"), to: utc("2027-01-02T00:00:00Z")))
        XCTAssertThrowsError(try expert.freePeriods(serviceId: nil, from: utc("2026-01-01T00:00:00Z"), to: utc("2027-01-02T00:00:01Z"))) {
            XCTAssertEqual(($0 as? AppError)?.dataCode, "invalid_params")
        }
    }

    func testUnknownExpertZoneIsAClearError() {
        let expert = ExpertAvailability(expertId: "per_1", timeZone: "Nowhere/Land")
        XCTAssertThrowsError(try expert.freePeriods(serviceId: nil, from: utc("2026-03-02T00:00:00Z"), to: utc("2026-03-03T00:00:00Z"))) {
            let error = $0 as? AppError
            XCTAssertEqual(error?.details["field"], .string("time_zone"))
            XCTAssertTrue(error?.message.contains("Nowhere/Land") ?? false)
        }
    }

    func testWeeklyRulesCheckTheirFields() {
        XCTAssertThrowsError(try WeeklyRule(weekday: 0, start: time("09:00"), end: time("10:00"), locationIds: ["loc_a"]))
        XCTAssertThrowsError(try WeeklyRule(weekday: 8, start: time("09:00"), end: time("10:00"), locationIds: ["loc_a"]))
        XCTAssertThrowsError(try WeeklyRule(weekday: 1, start: time("10:00"), end: time("10:00"), locationIds: ["loc_a"])) {
            XCTAssertEqual(($0 as? AppError)?.details["field"], .string("end"))
        }
        XCTAssertNoThrow(try WeeklyRule(weekday: 7, start: time("22:00"), end: time("24:00"), locationIds: ["loc_a"]))
    }
}
