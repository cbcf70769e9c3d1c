import Core
import Foundation
import Scheduling
import XCTest

final class SlotSearchTests: XCTestCase {
    private func query(
        _ from: String, _ to: String, lengthMinutes: Int64 = 60, slotMinutes: Int64 = 60, earliestStart: String? = nil,
        latestStart: String? = nil, locationId: String? = nil, serviceId: String? = nil, grid: String = "UTC"
    ) -> SlotQuery {
        SlotQuery(
            from: utc(from), to: utc(to), lengthMinutes: lengthMinutes, slotMinutes: slotMinutes,
            earliestStart: utc(earliestStart ?? from), latestStart: utc(latestStart ?? to), locationId: locationId,
            serviceId: serviceId, gridTimeZone: grid)
    }

    /// One line per slot: `start expert@loc,loc expert@loc`.
    private func lines(_ slots: [Slot], lengthMinutes: Int64 = 60) -> [String] {
        slots.map { slot in
            XCTAssertEqual(slot.end, slot.start.adding(minutes: lengthMinutes))
            return ([slot.start.rfc3339] + slot.experts.map { "\($0.expertId)@\($0.locationIds.joined(separator: ","))" })
                .joined(separator: " ")
        }
    }

    private func expert(_ id: String, zone: String = "UTC", _ rules: [WeeklyRule], busy: [BusyPeriod] = []) -> ExpertAvailability {
        ExpertAvailability(expertId: id, timeZone: zone, weekly: rules, busy: busy)
    }

    func testSlotsNeedTheWholeLengthFree() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "11:30", at: ["loc_a"])])]
        XCTAssertEqual(
            lines(try slots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", slotMinutes: 30))),
            ["2026-03-02T09:00:00Z per_1@loc_a", "2026-03-02T09:30:00Z per_1@loc_a", "2026-03-02T10:00:00Z per_1@loc_a",
             "2026-03-02T10:30:00Z per_1@loc_a"])
    }

    func testMergesExpertsInDifferentZonesAndLocations() throws {
        // Monday 2026-01-05: Prague is UTC+1 and New York UTC-5, so both are free 09:00–11:00Z.
        let experts = [
            expert("per_z", zone: "Europe/Prague", [rule(1, "09:00", "12:00", at: ["loc_y", "loc_x"])]),
            expert("per_a", zone: "America/New_York", [rule(1, "04:00", "07:00", at: ["loc_y"])]),
            expert("per_m", zone: "Asia/Kolkata", [rule(2, "09:00", "12:00", at: ["loc_x"])]),
        ]
        XCTAssertEqual(
            lines(try slots(for: experts, query: query("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"))),
            ["2026-01-05T08:00:00Z per_z@loc_x,loc_y", "2026-01-05T09:00:00Z per_a@loc_y per_z@loc_x,loc_y",
             "2026-01-05T10:00:00Z per_a@loc_y per_z@loc_x,loc_y", "2026-01-05T11:00:00Z per_a@loc_y"])
        XCTAssertEqual(
            lines(try slots(for: experts, query: query("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", locationId: "loc_x"))),
            ["2026-01-05T08:00:00Z per_z@loc_x", "2026-01-05T09:00:00Z per_z@loc_x", "2026-01-05T10:00:00Z per_z@loc_x"])
    }

    func testServiceFilterLeavesOutRulesForOtherServices() throws {
        let experts = [
            expert("per_1", [rule(1, "09:00", "10:00", at: ["loc_a"], services: ["svc_chem"])]),
            expert("per_2", [rule(1, "09:00", "10:00", at: ["loc_a"])]),
        ]
        let range = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        XCTAssertEqual(lines(try slots(for: experts, query: query(range.0, range.1, serviceId: "svc_chem"))), ["2026-03-02T09:00:00Z per_1@loc_a per_2@loc_a"])
        XCTAssertEqual(lines(try slots(for: experts, query: query(range.0, range.1, serviceId: "svc_math"))), ["2026-03-02T09:00:00Z per_2@loc_a"])
    }

    func testMinimumNoticeAndHorizonBoundTheStarts() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "17:00", at: ["loc_a"])])]
        let found = try slots(
            for: experts,
            query: query(
                "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", earliestStart: "2026-03-02T10:30:00Z",
                latestStart: "2026-03-02T13:00:00Z"))
        XCTAssertEqual(found.map(\.start.rfc3339), ["2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"])
        XCTAssertEqual(
            try slots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", earliestStart: "2026-03-09T00:00:00Z")), [])
    }

    func testToEndsTheStartsButNotTheMeeting() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "17:00", at: ["loc_a"])])]
        let found = try slots(for: experts, query: query("2026-03-02T10:00:00Z", "2026-03-02T12:00:00Z"))
        XCTAssertEqual(found.map(\.start.rfc3339), ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"])
    }

    func testGridAlignsToMidnightInAHalfHourZone() throws {
        let experts = [expert("per_1", [rule(1, "00:00", "06:00", at: ["loc_a"])])]
        let found = try slots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", grid: "Asia/Kolkata"))
        XCTAssertEqual(
            found.map(\.start.rfc3339),
            ["2026-03-02T00:30:00Z", "2026-03-02T01:30:00Z", "2026-03-02T02:30:00Z", "2026-03-02T03:30:00Z", "2026-03-02T04:30:00Z"])
    }

    func testGridRestartsAtEachMidnightOnChangeDaysAndOddSteps() throws {
        let everyDay = (1...7).map { rule($0, "00:00", "24:00", at: ["loc_a"]) }
        let experts = [expert("per_1", everyDay)]
        func starts(_ from: String, _ to: String, slotMinutes: Int64) throws -> [Instant] {
            try slots(for: experts, query: query(from, to, lengthMinutes: 15, slotMinutes: slotMinutes, grid: "America/New_York"))
                .map(\.start)
        }
        let short = try starts("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", slotMinutes: 60)
        XCTAssertEqual(short.count, 23)
        XCTAssertEqual(short.last?.rfc3339, "2026-03-09T03:00:00Z", "23:00 EDT")
        let long = try starts("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", slotMinutes: 60)
        XCTAssertEqual(long.count, 25)
        let fortyFive = try starts("2026-01-05T05:00:00Z", "2026-01-07T05:00:00Z", slotMinutes: 45)
        XCTAssertEqual(fortyFive.count, 2 * 32)
        XCTAssertTrue(fortyFive.contains(utc("2026-01-06T05:00:00Z")), "the second day starts at midnight again")
        XCTAssertTrue(fortyFive.contains(utc("2026-01-06T04:15:00Z")), "23:15, the first day's last start")
    }

    func testABookedSlotDisappearsAndComesBackWhenRemoved() throws {
        let range = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        var alice = expert("per_alice", [rule(1, "09:00", "12:00", at: ["loc_a"])])
        let bob = expert("per_bob", [rule(1, "09:00", "12:00", at: ["loc_a"])])
        let before = try slots(for: [alice, bob], query: query(range.0, range.1))
        XCTAssertEqual(
            lines(before),
            ["2026-03-02T09:00:00Z per_alice@loc_a per_bob@loc_a", "2026-03-02T10:00:00Z per_alice@loc_a per_bob@loc_a",
             "2026-03-02T11:00:00Z per_alice@loc_a per_bob@loc_a"])

        alice.busy = [BusyPeriod(start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z"))]
        XCTAssertFalse(
            isAvailable(alice, serviceId: nil, start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z"), locationId: "loc_a"))
        XCTAssertEqual(
            lines(try slots(for: [alice, bob], query: query(range.0, range.1))),
            ["2026-03-02T09:00:00Z per_alice@loc_a per_bob@loc_a", "2026-03-02T10:00:00Z per_bob@loc_a",
             "2026-03-02T11:00:00Z per_alice@loc_a per_bob@loc_a"])
        XCTAssertEqual(try slots(for: [alice], query: query(range.0, range.1)).count, 2)

        alice.busy = []
        XCTAssertEqual(try slots(for: [alice, bob], query: query(range.0, range.1)), before)
    }

    func testNoExpertsOrNoFreeTimeGiveNoSlots() throws {
        XCTAssertEqual(try slots(for: [], query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")), [])
        XCTAssertEqual(try slots(for: [expert("per_1", [])], query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")), [])
    }

    // MARK: Refusals

    private func refusal(_ experts: [ExpertAvailability], _ query: SlotQuery) -> AppError? {
        do {
            _ = try slots(for: experts, query: query)
            return nil
        } catch { return error }
    }

    func testRangeBound() {
        let experts = [expert("per_1", [rule(1, "09:00", "17:00", at: ["loc_a"])])]
        XCTAssertNil(refusal(experts, query("2026-01-01T00:00:00Z", "2027-01-02T00:00:00Z")), "366 days")
        let tooLong = refusal(experts, query("2026-01-01T00:00:00Z", "2027-01-03T00:00:00Z"))
        XCTAssertEqual(tooLong?.dataCode, "invalid_params")
        XCTAssertEqual(tooLong?.details["field"], .string("to"))
        XCTAssertTrue(tooLong?.message.contains("366 days") ?? false, tooLong?.message ?? "")
        XCTAssertEqual(refusal(experts, query("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"))?.details["field"], .string("to"))
    }

    func testWorkBound() {
        let many = (0..<1000).map { expert("per_\($0)", [rule(1, "09:00", "17:00", at: ["loc_a"])]) }
        let refused = refusal(many, query("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z", slotMinutes: 15))
        XCTAssertEqual(refused?.details["field"], .string("to"))
        XCTAssertTrue(refused?.message.contains("1000 experts") ?? false, refused?.message ?? "")
    }

    func testQueryFieldsAreChecked() {
        let experts = [expert("per_1", [])]
        let range = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        XCTAssertEqual(refusal(experts, query(range.0, range.1, lengthMinutes: 0))?.details["field"], .string("length_minutes"))
        XCTAssertEqual(refusal(experts, query(range.0, range.1, lengthMinutes: 1441))?.details["field"], .string("length_minutes"))
        XCTAssertEqual(refusal(experts, query(range.0, range.1, slotMinutes: 0))?.details["field"], .string("slot_minutes"))
        XCTAssertEqual(refusal(experts, query(range.0, range.1, grid: "Nowhere/Land"))?.details["field"], .string("time_zone"))
        XCTAssertEqual(refusal(experts + experts, query(range.0, range.1))?.details["field"], .string("expert_id"))
    }

    // MARK: Cost

    /// Prints the time; benchmarks belong to scripts/bench, so nothing here asserts on it.
    func testEightHundredExpertsOverFourWeeks() throws {
        let zones = ["America/New_York", "Europe/Prague", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
        let from = utc("2026-03-01T00:00:00Z")
        let experts = (0..<800).map { index in
            let morning = rule(1 + index % 5, "08:00", "12:00", at: ["loc_a", "loc_b"])
            let afternoon = rule(1 + (index + 2) % 5, "13:00", "18:30", at: ["loc_\(index % 7)"], services: ["svc_1"])
            let weekend = rule(6 + index % 2, "10:00", "14:00", at: ["loc_c"])
            let busy = (0..<10).map { meeting in
                let start = from.adding(minutes: Int64((index * 37 + meeting * 2900) % (28 * 1440)))
                return BusyPeriod(start: start, end: start.adding(minutes: 60))
            }
            return ExpertAvailability(
                expertId: "per_\(index)", timeZone: zones[index % zones.count], weekly: [morning, afternoon, weekend],
                free: [FreePeriod(start: from.adding(minutes: Int64(index) * 50), end: from.adding(minutes: Int64(index) * 50 + 120), locationIds: ["loc_a"])],
                busy: busy)
        }
        let query = SlotQuery(
            from: from, to: from.adding(minutes: 28 * 1440), lengthMinutes: 60, slotMinutes: 30,
            earliestStart: from, latestStart: from.adding(minutes: 90 * 1440), serviceId: "svc_1", gridTimeZone: "Europe/Prague")
        let clock = ContinuousClock()
        var found: [Slot] = []
        let elapsed = try clock.measure { found = try slots(for: experts, query: query) }
        let pairs = found.reduce(0) { $0 + $1.experts.count }
        print("slot search, 800 experts × 28 days: \(elapsed), \(found.count) slots, \(pairs) expert-slots")
        XCTAssertFalse(found.isEmpty)
    }
}
