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

    /// Every slot of a query small enough for one page, which must not be cut.
    private func allSlots(for experts: [ExpertAvailability], query: SlotQuery, file: StaticString = #filePath, line: UInt = #line) throws -> [Slot] {
        var whole = query
        whole.maxSlots = SchedulingLimits.maxSlotsPerPage
        whole.maxListings = .max
        let page = try slots(for: experts, query: whole)
        XCTAssertFalse(page.isCut, "the query fits one page", file: file, line: line)
        return page.slots
    }

    func testSlotsNeedTheWholeLengthFree() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "11:30", at: ["loc_a"])])]
        XCTAssertEqual(
            lines(try allSlots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", slotMinutes: 30))),
            ["2026-03-02T09:00:00Z per_1@loc_a", "2026-03-02T09:30:00Z per_1@loc_a", "2026-03-02T10:00:00Z per_1@loc_a",
             "2026-03-02T10:30:00Z per_1@loc_a"])
    }

    /// No slot starts in a closed span (a week the learner's limit has filled), whoever is free;
    /// a slot starting just before one, and reaching into it, is listed.
    func testNoSlotStartsInAClosedSpan() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "12:00", at: ["loc_a"]), rule(2, "09:00", "12:00", at: ["loc_a"])])]
        var q = query("2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z", slotMinutes: 60)
        q.closed = [Period(start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z")), Period(start: utc("2026-03-03T00:00:00Z"), end: utc("2026-03-03T10:30:00Z"))]
        XCTAssertEqual(
            lines(try allSlots(for: experts, query: q)),
            ["2026-03-02T09:00:00Z per_1@loc_a", "2026-03-02T11:00:00Z per_1@loc_a", "2026-03-03T11:00:00Z per_1@loc_a"])
    }

    func testMergesExpertsInDifferentZonesAndLocations() throws {
        // Monday 2026-01-05: Prague is UTC+1 and New York UTC-5, so both are free 09:00–11:00Z.
        let experts = [
            expert("per_z", zone: "Europe/Prague", [rule(1, "09:00", "12:00", at: ["loc_y", "loc_x"])]),
            expert("per_a", zone: "America/New_York", [rule(1, "04:00", "07:00", at: ["loc_y"])]),
            expert("per_m", zone: "Asia/Kolkata", [rule(2, "09:00", "12:00", at: ["loc_x"])]),
        ]
        XCTAssertEqual(
            lines(try allSlots(for: experts, query: query("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"))),
            ["2026-01-05T08:00:00Z per_z@loc_x,loc_y", "2026-01-05T09:00:00Z per_a@loc_y per_z@loc_x,loc_y",
             "2026-01-05T10:00:00Z per_a@loc_y per_z@loc_x,loc_y", "2026-01-05T11:00:00Z per_a@loc_y"])
        XCTAssertEqual(
            lines(try allSlots(for: experts, query: query("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", locationId: "loc_x"))),
            ["2026-01-05T08:00:00Z per_z@loc_x", "2026-01-05T09:00:00Z per_z@loc_x", "2026-01-05T10:00:00Z per_z@loc_x"])
    }

    func testServiceFilterLeavesOutRulesForOtherServices() throws {
        let experts = [
            expert("per_1", [rule(1, "09:00", "10:00", at: ["loc_a"], services: ["svc_chem"])]),
            expert("per_2", [rule(1, "09:00", "10:00", at: ["loc_a"])]),
        ]
        let range = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        XCTAssertEqual(lines(try allSlots(for: experts, query: query(range.0, range.1, serviceId: "svc_chem"))), ["2026-03-02T09:00:00Z per_1@loc_a per_2@loc_a"])
        XCTAssertEqual(lines(try allSlots(for: experts, query: query(range.0, range.1, serviceId: "svc_math"))), ["2026-03-02T09:00:00Z per_2@loc_a"])
    }

    func testMinimumNoticeAndHorizonBoundTheStarts() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "17:00", at: ["loc_a"])])]
        let found = try allSlots(
            for: experts,
            query: query(
                "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", earliestStart: "2026-03-02T10:30:00Z",
                latestStart: "2026-03-02T13:00:00Z"))
        XCTAssertEqual(found.map(\.start.rfc3339), ["2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"])
        XCTAssertEqual(
            try allSlots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", earliestStart: "2026-03-09T00:00:00Z")), [])
    }

    func testToEndsTheStartsButNotTheMeeting() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "17:00", at: ["loc_a"])])]
        let found = try allSlots(for: experts, query: query("2026-03-02T10:00:00Z", "2026-03-02T12:00:00Z"))
        XCTAssertEqual(found.map(\.start.rfc3339), ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"])
    }

    func testGridAlignsToMidnightInAHalfHourZone() throws {
        let experts = [expert("per_1", [rule(1, "00:00", "06:00", at: ["loc_a"])])]
        let found = try allSlots(for: experts, query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", grid: "Asia/Kolkata"))
        XCTAssertEqual(
            found.map(\.start.rfc3339),
            ["2026-03-02T00:30:00Z", "2026-03-02T01:30:00Z", "2026-03-02T02:30:00Z", "2026-03-02T03:30:00Z", "2026-03-02T04:30:00Z"])
    }

    func testGridRestartsAtEachMidnightOnChangeDaysAndOddSteps() throws {
        let everyDay = (1...7).map { rule($0, "00:00", "24:00", at: ["loc_a"]) }
        let experts = [expert("per_1", everyDay)]
        func starts(_ from: String, _ to: String, slotMinutes: Int64) throws -> [Instant] {
            try allSlots(for: experts, query: query(from, to, lengthMinutes: 15, slotMinutes: slotMinutes, grid: "America/New_York"))
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
        let before = try allSlots(for: [alice, bob], query: query(range.0, range.1))
        XCTAssertEqual(
            lines(before),
            ["2026-03-02T09:00:00Z per_alice@loc_a per_bob@loc_a", "2026-03-02T10:00:00Z per_alice@loc_a per_bob@loc_a",
             "2026-03-02T11:00:00Z per_alice@loc_a per_bob@loc_a"])

        alice.busy = [BusyPeriod(start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z"))]
        XCTAssertFalse(
            isAvailable(alice, serviceId: nil, start: utc("2026-03-02T10:00:00Z"), end: utc("2026-03-02T11:00:00Z"), locationId: "loc_a"))
        XCTAssertEqual(
            lines(try allSlots(for: [alice, bob], query: query(range.0, range.1))),
            ["2026-03-02T09:00:00Z per_alice@loc_a per_bob@loc_a", "2026-03-02T10:00:00Z per_bob@loc_a",
             "2026-03-02T11:00:00Z per_alice@loc_a per_bob@loc_a"])
        XCTAssertEqual(try allSlots(for: [alice], query: query(range.0, range.1)).count, 2)

        alice.busy = []
        XCTAssertEqual(try allSlots(for: [alice, bob], query: query(range.0, range.1)), before)
    }

    func testNoExpertsOrNoFreeTimeGiveNoSlots() throws {
        XCTAssertEqual(try allSlots(for: [], query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")), [])
        XCTAssertEqual(try allSlots(for: [expert("per_1", [])], query: query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")), [])
    }

    // MARK: Pages

    /// Every page of `query` with `maxSlots`, each asked after the last start of the one before.
    private func pages(_ experts: [ExpertAvailability], _ query: SlotQuery, maxSlots: Int, maxListings: Int = .max) throws -> [SlotPage] {
        var out: [SlotPage] = []
        var next = query
        next.maxSlots = maxSlots
        next.maxListings = maxListings
        repeat {
            let page = try slots(for: experts, query: next)
            out.append(page)
            next.after = page.slots.last?.start
            guard out.count <= 10_000 else { XCTFail("no end of pages"); return out }
        } while out.last!.isCut
        return out
    }

    func testPagesGiveEverySlotOnceInOrder() throws {
        let experts = [
            expert("per_b", [rule(1, "09:00", "17:00", at: ["loc_a", "loc_b"]), rule(3, "00:00", "24:00", at: ["loc_a"])]),
            expert("per_a", zone: "Europe/Prague", (1...5).map { rule($0, "08:00", "12:30", at: ["loc_c"]) }),
        ]
        let whole = query("2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z", slotMinutes: 30)
        let all = try allSlots(for: experts, query: whole)
        XCTAssertEqual(all.count, 2 * (19 + 47 + 3 * 8), "a week: Monday 07:00–16:00, Wednesday 00:00–23:00, three Prague mornings")
        for size in [1, 7, 50, all.count - 1, all.count] {
            let paged = try pages(experts, whole, maxSlots: size)
            XCTAssertEqual(paged.flatMap(\.slots), all, "pages of \(size): no slot lost, repeated or out of order")
            XCTAssertTrue(paged.allSatisfy { $0.slots.count <= size }, "pages of \(size) hold at most \(size) slots")
            XCTAssertTrue(paged.dropLast().allSatisfy { $0.isCut && $0.slots.count == size }, "every page but the last is full and cut")
            XCTAssertFalse(paged.last!.isCut)
        }
    }

    /// A cursor is a start: the next page begins after it, even when it is not on the grid.
    func testAfterStartsStrictlyLater() throws {
        let experts = [expert("per_1", [rule(1, "09:00", "12:00", at: ["loc_a"])])]
        var q = query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        q.after = utc("2026-03-02T10:00:00Z")
        XCTAssertEqual(try slots(for: experts, query: q).slots.map(\.start.rfc3339), ["2026-03-02T11:00:00Z"])
        q.after = utc("2026-03-02T09:15:00Z")
        XCTAssertEqual(try slots(for: experts, query: q).slots.map(\.start.rfc3339), ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"])
        q.after = utc("2026-03-02T11:00:00Z")
        let last = try slots(for: experts, query: q)
        XCTAssertEqual([last.slots.count, last.startsChecked], [0, 12], "the starts after 11:00 are checked, and hold no slot")
        XCTAssertFalse(last.isCut)
        q.after = utc("2030-01-01T00:00:00Z")
        let beyond = try slots(for: experts, query: q)
        XCTAssertEqual([beyond.slots.count, beyond.startsChecked], [0, 0], "a cursor past the range leaves nothing to check")
        XCTAssertFalse(beyond.isCut)
    }

    /// Days of 23 and 25 hours on the grid's clock, paged in fives: the same starts as one page.
    func testPagesAcrossDaylightSavingChanges() throws {
        let experts = [expert("per_1", zone: "America/New_York", (1...7).map { rule($0, "00:00", "24:00", at: ["loc_a"]) })]
        for (from, to, hours) in [("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23), ("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25)] {
            let whole = query(from, to, lengthMinutes: 60, slotMinutes: 60, grid: "America/New_York")
            let all = try allSlots(for: experts, query: whole)
            XCTAssertEqual(all.count, hours)
            let paged = try pages(experts, whole, maxSlots: 5)
            XCTAssertEqual(paged.flatMap(\.slots), all, "\(hours)-hour day")
            XCTAssertEqual(paged.count, (hours + 4) / 5)
        }
    }

    /// A page ends before the slot whose listings would pass the bound, but never empty.
    func testListingBoundEndsAPage() throws {
        let experts = (1...3).map { expert("per_\($0)", [rule(1, "09:00", "12:00", at: ["loc_a", "loc_b"])]) }
        let whole = query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        var q = whole
        q.maxListings = 13
        let first = try slots(for: experts, query: q)
        XCTAssertEqual(first.slots.map(\.listingCount), [6, 6], "a third slot would list 18")
        XCTAssertTrue(first.isCut)
        q.maxListings = 4
        let alone = try slots(for: experts, query: q)
        XCTAssertEqual(alone.slots.map(\.listingCount), [6], "a slot listing more than the bound comes alone")
        XCTAssertTrue(alone.isCut)
        XCTAssertEqual(try pages(experts, whole, maxSlots: 100, maxListings: 4).flatMap(\.slots), try allSlots(for: experts, query: whole))
    }

    /// The search works through about as many starts as the page needs, not the whole range:
    /// a year of 5-minute starts, round the clock, for a page of 10.
    func testAFullPageStopsTheWork() throws {
        let always = (1...7).map { rule($0, "00:00", "24:00", at: ["loc_a"]) }
        let experts = [expert("per_1", always), expert("per_2", always)]
        var q = query("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", lengthMinutes: 60, slotMinutes: 5)
        q.maxSlots = 10
        let page = try slots(for: experts, query: q)
        XCTAssertEqual(page.slots.count, 10)
        XCTAssertTrue(page.isCut)
        XCTAssertEqual(page.startsChecked, 11, "one chunk of a page and one start")

        // One slot a week, Mondays at 09:00: the tenth is on 9 March, 19,405 starts in; the
        // doubling chunks reach it without going much further.
        let weekly = [expert("per_1", [rule(1, "09:00", "10:00", at: ["loc_a"])])]
        let sparse = try slots(for: weekly, query: q)
        XCTAssertEqual(sparse.slots.last?.start, utc("2026-03-09T09:00:00Z"))
        XCTAssertTrue(sparse.isCut)
        let needed = Int(q.from.minutes(until: utc("2026-03-09T09:00:00Z")) / 5) + 1
        XCTAssertGreaterThanOrEqual(sparse.startsChecked, needed)
        XCTAssertLessThan(sparse.startsChecked, 2 * needed + 11, "at most about twice the starts up to the tenth slot")

        // The listing bound stops it as early: two experts fill a bound of 2 listings at the first start.
        q.maxSlots = 1000
        q.maxListings = 2
        XCTAssertEqual(try slots(for: experts, query: q).startsChecked, 1)
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
        let elapsed = try clock.measure { found = try allSlots(for: experts, query: query) }
        let pairs = found.reduce(0) { $0 + $1.experts.count }
        print("slot search, 800 experts × 28 days: \(elapsed), \(found.count) slots, \(pairs) expert-slots")
        XCTAssertFalse(found.isEmpty)

        var first: SlotPage? = nil
        let firstElapsed = try clock.measure { first = try slots(for: experts, query: query) }
        print("first page (at most \(SchedulingLimits.maxListingsPerPage) listings): \(firstElapsed), \(first!.slots.count) slots, "
            + "\(first!.startsChecked) of \(found.count) starts checked")
        XCTAssertEqual(first!.slots, Array(found.prefix(first!.slots.count)))
        XCTAssertLessThan(first!.startsChecked, found.count)
    }
}
