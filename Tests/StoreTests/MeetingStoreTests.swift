import Community
import Core
import Foundation
import Meetings
import Postgres
import Scheduling
import XCTest

@testable import Store

/// The store's meeting path against the real PostgreSQL: the one read of a booking context,
/// the one statement applying a decision, and the database's own guards beneath them.
final class MeetingStoreTests: XCTestCase {
    struct World {
        let communityId: String
        let user: PersonFacts
        let expert: PersonFacts
        let service: ServiceFacts
        let location: LocationFacts
    }

    func connect() throws -> Connection {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        return try Connection(conninfo: url)
    }

    /// A community with a user (500 credits), a certified expert free every day 06:00–22:00 UTC,
    /// a 60-minute service of 100 credits and a location, made through the store.
    func world(_ c: Connection) throws -> World {
        let communityId = Identifier.make(.community)
        var settings = CommunitySettings()
        settings.shortName = "STORE"
        let world = World(
            communityId: communityId,
            user: PersonFacts(id: Identifier.make(.person), email: "u-\(UUID())@x.example", firstName: "Una", lastName: "User", roles: [.user], timeZone: "UTC"),
            expert: PersonFacts(id: Identifier.make(.person), email: "e-\(UUID())@x.example", firstName: "Eve", lastName: "Expert", roles: [.expert], timeZone: "UTC"),
            service: ServiceFacts(id: Identifier.make(.service), name: "CHEM \(UUID())", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 100),
            location: LocationFacts(id: Identifier.make(.location), name: "Room \(UUID())", kind: "in_person"))
        try c.transaction { c in
            try CommunityStore.create(c, communityId: communityId, name: "Store tests", settings: settings, now: SystemClock.now())
            try PeopleStore.insert(c, communityId: communityId, person: world.user, now: SystemClock.now())
            try PeopleStore.insert(c, communityId: communityId, person: world.expert, now: SystemClock.now())
            try c.query(CatalogStore.serviceApply(communityId: communityId, world.service, insert: true).statement)
            try c.query(CatalogStore.locationApply(communityId: communityId, world.location, insert: true).statement)
            try c.query(CatalogStore.certifyApply(communityId: communityId, serviceId: world.service.id, expertId: world.expert.id).statement)
            let rules: JSON = .array((1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(world.location.id)]] })
            try c.query(AvailabilityStore.weeklyApply(communityId: communityId, expertId: world.expert.id, timeZone: "UTC", rules: rules, now: SystemClock.now()).statement)
            // Staff's grant is made by a finance person of the community.
            let finance = PersonFacts(
                id: Identifier.make(.person), email: "f-\(UUID())@x.example", firstName: "Fin", lastName: "Staff", roles: [.finance], timeZone: "UTC")
            try PeopleStore.insert(c, communityId: communityId, person: finance, now: SystemClock.now())
            _ = try LedgerStore.transfer(
                c, communityId: communityId,
                .init(debit: .owned(.issuance, owner: nil), credit: .owned(.userWallet, owner: world.user.id), amount: 500, kind: "grant", reference: "store-\(UUID())"),
                actorId: finance.id, at: nil)
        }
        return world
    }

    /// The day the test books on: the day after tomorrow (UTC), read once per test, so a test
    /// running across midnight keeps booking on one day.
    private lazy var bookingDay = Instant(seconds: (SystemClock.now().epochSeconds / 86_400 + 2) * 86_400)

    /// The booking day at `hour`:00, on the grid and inside the expert's hours.
    func tomorrow(_ hour: Int64) -> Instant {
        bookingDay.adding(minutes: hour * 60)
    }

    func context(_ c: Connection, _ w: World, meetingId: String? = nil, start: Instant? = nil) throws -> BookingContext {
        let call = BookingContextQuery.call(
            communityId: w.communityId, testClock: false, meetingId: meetingId, serviceId: meetingId == nil ? w.service.id : nil,
            userId: meetingId == nil ? w.user.id : nil, expertId: meetingId == nil ? w.expert.id : nil, locationIds: [w.location.id], from: start,
            to: start?.adding(minutes: 60))
        return try BookingContextQuery.decode(try c.query(call.statement).one().json("result"))
    }

    func request(_ c: Connection, _ w: World, at start: Instant) throws -> MeetingChange {
        let ctx = try context(c, w, start: start)
        let change = try MeetingDecider.request(
            ctx, .init(serviceId: w.service.id, expertId: w.expert.id, userId: w.user.id, start: start, lengthMinutes: nil, locationId: w.location.id))
        var writes = WriteSet(communityId: w.communityId, now: ctx.now, ledgerAt: nil, actorId: w.user.id)
        writes.meetings = [MeetingWrite(change: change, events: change.decision.events.map { EventRecord(event: $0, actorId: w.user.id, actorRole: "user") })]
        try c.transaction { c in _ = try c.query(writes.call.statement) }
        return change
    }

    func testTheContextReadsEverythingADecisionNeeds() throws {
        let c = try connect()
        let w = try world(c)
        let fresh = try context(c, w, start: tomorrow(10))
        XCTAssertEqual(fresh.service, w.service)
        XCTAssertEqual(fresh.user?.id, w.user.id)
        XCTAssertEqual(fresh.expert?.id, w.expert.id)
        XCTAssertEqual(fresh.locations[w.location.id], w.location)
        XCTAssertTrue(fresh.certified)
        XCTAssertFalse(fresh.enrolled)
        XCTAssertEqual(fresh.walletAvailable, 500)
        XCTAssertEqual(fresh.weeklyRules.count, 7)
        XCTAssertEqual(fresh.settings.shortName, "STORE")

        let booked = try request(c, w, at: tomorrow(10))
        let after = try context(c, w, meetingId: booked.after.id)
        XCTAssertEqual(after.meeting, booked.after, "the row reads back exactly as decided")
        XCTAssertEqual(after.walletAvailable, 400)
        XCTAssertEqual(after.occupying.map(\.meetingId), [booked.after.id], "a held request takes the expert's time")
        XCTAssertEqual(after.agreed, [], "but is not agreed")
        XCTAssertEqual(after.userBookings, [], "without a weekly usage limit nothing counts the user's bookings: none are read")

        var limited = try CommunityStore.settings(c, communityId: w.communityId).settings
        limited.weeklyUsageLimit = 3
        try c.query(CommunityStore.settingsApply(communityId: w.communityId, limited).statement)
        let counted = try context(c, w, meetingId: booked.after.id)
        XCTAssertEqual(counted.userBookings.map(\.meetingId), [booked.after.id], "with a limit, the held request counts for the user")
    }

    /// A meeting read beside its rows (timeline, trail, chat) comes once, on the first row: it
    /// was sent again with every row, 500 copies of a large meeting for 500 messages.
    func testAMeetingReadBesideItsRowsComesOnce() throws {
        let c = try connect()
        let w = try world(c)
        let booked = try request(c, w, at: tomorrow(11))
        let rows = Statement(
            "SELECT g AS n FROM generate_series(1, 4) g WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL ORDER BY g", [w.communityId, booked.after.id])
        let read = try c.query(MeetingQueries.meeting(with: rows))
        XCTAssertEqual(read.count, 4)
        XCTAssertEqual(try read.map { try $0.optionalJSON("meeting") != nil }, [true, false, false, false])
        let (meeting, listed) = try MeetingQueries.decodeMeeting(withRows: read)
        XCTAssertEqual(meeting?.id, booked.after.id)
        XCTAssertEqual(try listed.map { try $0.int("n") }, [1, 2, 3, 4], "the rows in their order")
        let none = try c.query(MeetingQueries.meeting(with: Statement(
            "SELECT 1 AS n WHERE $1::text IS NULL AND $2::text IS NULL", [w.communityId, booked.after.id])))
        XCTAssertEqual(try MeetingQueries.decodeMeeting(withRows: none).meeting?.id, booked.after.id, "the meeting alone when it has no rows")
    }

    func testAWriteOfAMeetingThatChangedSinceItWasReadIsRefused() throws {
        let c = try connect()
        let w = try world(c)
        let booked = try request(c, w, at: tomorrow(12))
        var ctx = try context(c, w, meetingId: booked.after.id)
        var stale = ctx.meeting!
        stale.version -= 1
        ctx.meeting = stale
        let change = try MeetingDecider.act(ctx, by: ActingPerson(id: w.expert.id, roles: [.expert]), .init(command: .confirm(acceptConflicts: false)))
        var writes = WriteSet(communityId: w.communityId, now: ctx.now, ledgerAt: nil, actorId: w.expert.id)
        writes.meetings = [MeetingWrite(change: change, events: [])]
        XCTAssertThrowsError(try c.transaction(maxAttempts: 1) { c in _ = try c.query(writes.call.statement) }) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "40001", "\(error)")
        }
        XCTAssertEqual(try context(c, w, meetingId: booked.after.id).meeting?.state.status, .awaitingApproval, "nothing was written")
    }

    /// Two held requests for the same time: the second decision, made without seeing the first
    /// (as a bug would), is refused by the exclusion constraint, and none of it is kept.
    func testTheDatabaseRefusesADoubleBookingTheDecisionMissed() throws {
        let c = try connect()
        let w = try world(c)
        let blind = try context(c, w, start: tomorrow(14))
        _ = try request(c, w, at: tomorrow(14))
        let second = try MeetingDecider.request(
            blind, .init(serviceId: w.service.id, expertId: w.expert.id, userId: w.user.id, start: tomorrow(14), lengthMinutes: nil, locationId: w.location.id))
        var writes = WriteSet(communityId: w.communityId, now: blind.now, ledgerAt: nil, actorId: w.user.id)
        writes.meetings = [MeetingWrite(change: second, events: [])]
        XCTAssertThrowsError(try c.transaction(maxAttempts: 1) { c in _ = try c.query(writes.call.statement) }) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "23P01", "\(error)")
        }
        XCTAssertEqual(try context(c, w, start: tomorrow(14)).walletAvailable, 400, "the second hold was undone with the row")
    }
}
