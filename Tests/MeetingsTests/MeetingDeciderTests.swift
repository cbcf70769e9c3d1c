import Community
import Core
import Scheduling
import XCTest

@testable import Meetings

/// The meeting use cases' decisions on the paths where rules used to be missed: each reported
/// case, decided from a context as the store would load it.
final class MeetingDeciderTests: XCTestCase {
    typealias T = BookingRulesTableTests
    static let ids: IdSource = { kind in "\(kind.rawValue)_\(Int.random(in: 0..<Int.max))" }

    func context(autoAccept: Bool = false) throws -> BookingContext {
        var c = try T.context()
        c.settings.requireEnrollment = false
        c.settings.autoAccept = autoAccept
        return c
    }

    func request(_ c: BookingContext, start: Instant = T.at(day: 2, hour: 10), length: Int64? = nil) throws -> MeetingChange {
        try MeetingDecider.request(
            c, .init(serviceId: "svc_1", expertId: c.expert!.id, userId: c.user!.id, start: start, lengthMinutes: length, locationId: T.location),
            ids: Self.ids)
    }

    func proposal(_ c: BookingContext, start: Instant) throws -> Meeting {
        try MeetingDecider.propose(
            c, by: ActingPerson(id: c.expert!.id, roles: [.expert]),
            .init(userId: c.user!.id, serviceId: "svc_1", start: start, lengthMinutes: 60, priceCredits: 100, skill: nil, locationId: T.location,
                  note: nil, fromMeetingId: nil),
            ids: Self.ids
        ).after
    }

    func code(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "ok" } catch let e as AppError { return e.dataCode } catch { return "\(error)" }
    }

    /// A user confirming an expert's proposal may not accept a conflict for the expert, and the
    /// refusal never names the other meeting.
    func testAUserCannotAcceptTheExpertsConflict() throws {
        var c = try context()
        c.meeting = try proposal(c, start: T.at(day: 2, hour: 10))
        c.agreed = [MeetingSlot(meetingId: "mtg_someone_elses", start: T.at(day: 2, hour: 10), end: T.at(day: 2, hour: 11))]
        let user = ActingPerson(id: c.user!.id, roles: [.user])
        XCTAssertEqual(code { try MeetingDecider.act(c, by: user, .init(command: .confirm(acceptConflicts: true)), ids: Self.ids) }, "invalid_params")
        do {
            _ = try MeetingDecider.act(c, by: user, .init(command: .confirm(acceptConflicts: false)), ids: Self.ids)
            XCTFail("the expert's calendar has an agreed meeting then")
        } catch let e as AppError {
            XCTAssertEqual(e.dataCode, "time_conflict")
            XCTAssertFalse(e.data.serialized().contains("mtg_someone_elses"))
        }
    }

    /// The weekly limit holds when the user accepts expert proposals, not only on requests.
    func testAcceptingProposalsCountsTowardTheWeeklyLimit() throws {
        var c = try context()
        c.settings.weeklyUsageLimit = 2
        c.userBookings = [
            MeetingSlot(meetingId: "mtg_a", start: T.at(day: 1, hour: 9), end: T.at(day: 1, hour: 10)),
            MeetingSlot(meetingId: "mtg_b", start: T.at(day: 3, hour: 9), end: T.at(day: 3, hour: 10)),
        ]
        c.meeting = try proposal(c, start: T.at(day: 2, hour: 10))
        let user = ActingPerson(id: c.user!.id, roles: [.user])
        XCTAssertEqual(code { try MeetingDecider.act(c, by: user, .init(command: .confirm(acceptConflicts: false)), ids: Self.ids) }, "usage_limit_reached")
        c.userBookings.removeLast()
        XCTAssertEqual(code { try MeetingDecider.act(c, by: user, .init(command: .confirm(acceptConflicts: false)), ids: Self.ids) }, "ok")
    }

    /// A user's time falls on the community's slot grid.
    func testARequestOffTheGridIsRefused() throws {
        let c = try context()
        XCTAssertEqual(code { try self.request(c, start: T.at(day: 2, hour: 10, minute: 15)) }, "slot_unavailable")
        XCTAssertEqual(code { try self.request(c, start: T.at(day: 2, hour: 10, minute: 30)) }, "ok")
    }

    /// The price held follows the length asked for.
    func testThePriceFollowsTheLength() throws {
        let c = try context()
        let change = try request(c, length: 240)
        XCTAssertEqual(change.after.state.priceCredits, 400)
        guard case .hold(_, let credits) = change.ledger.first else { return XCTFail("a hold: \(change.ledger)") }
        XCTAssertEqual(credits, 400)
        XCTAssertEqual(try request(c).after.state.priceCredits, 100, "the default length costs the service's price")
    }

    /// `log_session` checks `expected_version` like every other action.
    func testLoggingChecksTheExpectedVersion() throws {
        var c = try context(autoAccept: true)
        var m = try request(c).after
        c.now = T.at(day: 2, hour: 11)
        m.version = 3
        c.meeting = m
        let expert = ActingPerson(id: c.expert!.id, roles: [.expert])
        let log = Command.logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil)
        XCTAssertEqual(code { try MeetingDecider.act(c, by: expert, .init(command: log, expectedVersion: 2), ids: Self.ids) }, "invalid_state")
        XCTAssertEqual(code { try MeetingDecider.act(c, by: expert, .init(command: log, expectedVersion: 3), ids: Self.ids) }, "ok")
        // A version behind is a change since; one ahead is a version the meeting never had.
        func message(_ version: Int64) -> String? {
            do { _ = try MeetingDecider.act(c, by: expert, .init(command: log, expectedVersion: version), ids: Self.ids) } catch let e as AppError { return e.message } catch {}
            return nil
        }
        XCTAssertEqual(message(2), "The meeting changed since version 2 (now 3); read it again")
        XCTAssertEqual(message(5), "The meeting has never had version 5: it is at version 3; read it again")
    }

    /// Nobody books a meeting with themself, even holding both roles.
    func testAPersonCannotMeetThemself() throws {
        var c = try context()
        let both = PersonFacts(id: "per_both", email: "b@x.example", firstName: "Bo", lastName: "Th", roles: [.user, .expert], timeZone: "UTC")
        c.user = both
        c.expert = both
        XCTAssertEqual(code { try self.request(c) }, "invalid_params")
    }

    /// A move to another length reprices: the old hold returns and the new price is held, so
    /// the hold always equals the price.
    func testAMoveToAnotherLengthRepricesTheHold() throws {
        var c = try context(autoAccept: true)
        let agreed = try request(c).after
        c.meeting = agreed
        let user = ActingPerson(id: c.user!.id, roles: [.user])
        let expert = ActingPerson(id: c.expert!.id, roles: [.expert])
        var moved = try MeetingDecider.act(
            c, by: user, .init(command: .reschedule(start: T.at(day: 3, hour: 10), lengthMinutes: 90, priceCredits: 0, note: nil)), ids: Self.ids)
        XCTAssertEqual(moved.after.state.alternate?.priceCredits, 150)
        c.meeting = moved.after
        moved = try MeetingDecider.act(c, by: expert, .init(command: .confirmAlternate(acceptConflicts: false)), ids: Self.ids)
        XCTAssertEqual(moved.after.state.priceCredits, 150)
        XCTAssertEqual(moved.after.state.creditStatus, .blocked)
        XCTAssertEqual(moved.ledger.count, 2)
        guard case .release = moved.ledger[0], case .hold(_, 150) = moved.ledger[1] else { return XCTFail("release then hold: \(moved.ledger)") }
    }

    /// An expert's own price scales with the length it is moved to.
    func testAnExpertsPriceScalesWithTheLength() throws {
        var c = try context()
        var m = try proposal(c, start: T.at(day: 2, hour: 10))
        m.state.priceCredits = 80
        m.priceBasis = PriceBasis(credits: 80, minutes: m.state.lengthMinutes)
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 90), 120)
        c.meeting = m
    }

    /// A request keeps the service's price for its default length as its basis: a later change
    /// to the service's price does not reach it (only a new booking).
    func testARequestIsPricedOnTheServiceAsItWasBooked() throws {
        var c = try context()
        var m = try request(c, length: 45).after
        XCTAssertEqual(m.state.priceCredits, 75)
        XCTAssertEqual(m.priceBasis, PriceBasis(credits: 100, minutes: 60))
        c.service?.priceCredits = 400
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 90), 150, "from the price it was booked on, not the service's now")
        m.priceBasis = nil
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 90), 150, "a meeting booked before the basis was kept: from its own price and length")
    }

    /// An expert's price is scaled from the price and length they set, not from a price already
    /// rounded up for another length: back at its length, it is what they set.
    func testAnExpertsPriceScalesFromWhatTheExpertSet() throws {
        let c = try context()
        var m = try proposal(c, start: T.at(day: 2, hour: 10))
        XCTAssertEqual(m.priceBasis, PriceBasis(credits: m.state.priceCredits, minutes: m.state.lengthMinutes), "a proposal keeps its own price as the basis")
        m.priceBasis = PriceBasis(credits: 10, minutes: 60)
        m.state.lengthMinutes = 5
        m.state.priceCredits = 1
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 60), 10)
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 50), 9)
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 5), 1, "its own length keeps its price")
        m.priceBasis = nil
        XCTAssertEqual(try Pricing.price(of: m, lengthMinutes: 60), 12, "without a basis (as before): from the current price")
    }

    /// A series occurrence that cannot be booked keeps the user's balance out of its shared
    /// reason; the user reads it in the detail.
    func testASeriesDateNotBookedDoesNotTellTheExpertTheBalance() throws {
        var c = try context()
        c.walletAvailable = 150
        c.expertTimeZone = "UTC"
        let series = SeriesContext(series: nil, skips: [], occurrences: [], booking: c)
        let change = try SeriesDecider.create(
            series, .init(userId: c.user!.id, expertId: c.expert!.id, serviceId: "svc_1", locationId: T.location, firstStart: T.at(day: 2, hour: 10),
                          weeks: 3, lengthMinutes: nil),
            ids: Self.ids)
        XCTAssertEqual(change.meetings.count, 1, "150 credits cover one occurrence of 100")
        XCTAssertEqual(change.skips.count, 2)
        for skip in change.skips {
            XCTAssertFalse(skip.reason.contains("50"), skip.reason)
            XCTAssertEqual(skip.reason, "not booked: the user's credits did not cover it")
            XCTAssertEqual(skip.detail, "Insufficient credits: 50 available, 100 required; add credits to your wallet first (bought credits are granted by the community's finance staff), or choose a shorter meeting")
        }
        // In the community's word for its users.
        try c.settings.apply(["labels": ["user": "Student"]], path: "")
        let worded = try SeriesDecider.create(
            SeriesContext(series: nil, skips: [], occurrences: [], booking: c),
            .init(userId: c.user!.id, expertId: c.expert!.id, serviceId: "svc_1", locationId: T.location, firstStart: T.at(day: 2, hour: 10),
                  weeks: 2, lengthMinutes: nil),
            ids: Self.ids)
        XCTAssertEqual(worded.skips.map(\.reason), ["not booked: the student's credits did not cover it"])
        // Nor the user's week: the limit is named, its detail kept for the user.
        c.walletAvailable = 1_000
        try c.settings.apply(["weekly_usage_limit": 1], path: "")
        c.userBookings = [MeetingSlot(meetingId: "mtg_other", start: T.at(day: 10, hour: 10), end: T.at(day: 10, hour: 11))]
        let limited = try SeriesDecider.create(
            SeriesContext(series: nil, skips: [], occurrences: [], booking: c),
            .init(userId: c.user!.id, expertId: c.expert!.id, serviceId: "svc_1", locationId: T.location, firstStart: T.at(day: 2, hour: 10),
                  weeks: 2, lengthMinutes: nil),
            ids: Self.ids)
        XCTAssertEqual(limited.skips.map(\.reason), ["not booked: the student's weekly limit of meetings was reached"])
        // A customer no longer linked to the student: said in words, not as the API's refusal.
        let unlinked = AppError.invalidParams(field: "student_id", reason: "is not a student this user acts for; an admin or the office links them with student.link (meetctl student link)")
        XCTAssertEqual(SeriesDecider.sharedReason(unlinked, c.settings, forStudent: true), "the student is no longer linked to whoever booked the series")
        let full = AppError(.usageLimitReached, message: "Usage limit reached: at most 1 meeting per week")
        XCTAssertEqual(SeriesDecider.sharedReason(full, c.settings, forStudent: true), "the student's weekly limit of meetings was reached", "the student's own week")
        XCTAssertTrue(limited.skips.first?.detail?.hasPrefix("Usage limit reached") == true, "\(limited.skips)")
    }

    /// A video room is made, moved and cancelled for a meeting at a virtual place only: an
    /// in-person meeting agreed, moved or cancelled sends the video platform nothing.
    func testVideoRoomsOnlyForVirtualPlaces() throws {
        for (kind, expected) in [("in_person", [VideoOp]()), ("virtual", [.create])] {
            var c = try context(autoAccept: true)
            c.locations[T.location]?.kind = kind
            let booked = try request(c)
            XCTAssertEqual(booked.after.state.status, .agreed, kind)
            XCTAssertEqual(booked.decision.video, expected, "agreed at once, \(kind)")
            c.meeting = booked.after
            let cancelled = try MeetingDecider.act(
                c, by: ActingPerson(id: c.user!.id, roles: [.user]), .init(command: .cancel(reasonCode: c.settings.cancellationReasons[0].code, note: nil, confirmLate: false)),
                ids: Self.ids)
            XCTAssertEqual(cancelled.after.state.status, .cancelled, kind)
            XCTAssertEqual(cancelled.decision.video, expected.isEmpty ? [] : [.cancel], "cancelled, \(kind)")
        }
        // Confirmed by the expert, and moved to an alternate date: the same rule.
        for (kind, confirmed, moved) in [("in_person", [VideoOp](), [VideoOp]()), ("virtual", [.create], [.cancel, .create])] {
            var c = try context()
            c.locations[T.location]?.kind = kind
            c.meeting = try request(c).after
            let expert = ActingPerson(id: c.expert!.id, roles: [.expert])
            let agreed = try MeetingDecider.act(c, by: expert, .init(command: .confirm(acceptConflicts: false)), ids: Self.ids)
            XCTAssertEqual(agreed.decision.video, confirmed, "confirmed, \(kind)")
            c.meeting = agreed.after
            c.meeting = try MeetingDecider.act(
                c, by: ActingPerson(id: c.user!.id, roles: [.user]),
                .init(command: .reschedule(start: T.at(day: 3, hour: 10), lengthMinutes: 60, priceCredits: 100, note: nil)), ids: Self.ids).after
            let accepted = try MeetingDecider.act(c, by: expert, .init(command: .confirmAlternate(acceptConflicts: false)), ids: Self.ids)
            XCTAssertEqual(accepted.decision.video, moved, "moved, \(kind)")
        }
    }

    /// Seed 003's optional fields, a class and a room: given by the expert's side with the
    /// session's details (kept as a name is), refused from the user's side.
    func testTheExpertsSideGivesTheClassAndRoom() throws {
        var c = try context()
        c.meeting = try request(c).after
        let expert = ActingPerson(id: c.expert!.id, roles: [.expert]), user = ActingPerson(id: c.user!.id, roles: [.user])
        let made = try MeetingDecider.act(
            c, by: expert, .init(command: .confirm(acceptConflicts: false), confirmDetails: .init(sessionType: nil, locationId: nil, className: " Year 10 ", room: "Room 12")),
            ids: Self.ids)
        XCTAssertEqual(made.after.className, "Year 10")
        XCTAssertEqual(made.after.room, "Room 12")
        XCTAssertEqual(made.decision.events.first?.details["room"], "Room 12")
        XCTAssertEqual(made.after.json["class_name"], "Year 10")
        for hidden in ["", " ", "Year\u{200B}10"] {
            XCTAssertEqual(code { try MeetingDecider.act(
                c, by: expert, .init(command: .confirm(acceptConflicts: false), confirmDetails: .init(sessionType: nil, locationId: nil, className: hidden)),
                ids: Self.ids) }, "invalid_params", hidden.debugDescription)
        }
        // A proposal the user confirms: the room is the expert's to give, not the user's.
        c.meeting = try proposal(c, start: T.at(day: 2, hour: 10))
        do {
            _ = try MeetingDecider.act(c, by: user, .init(command: .confirm(acceptConflicts: false), confirmDetails: .init(sessionType: nil, locationId: nil, room: "12")), ids: Self.ids)
            XCTFail("the user gave a room")
        } catch let e as AppError {
            XCTAssertEqual(e.details["field"], "room")
        }
    }

    /// A meeting has a calendar invitation once it is agreed, when its parties are mailed one at
    /// SEQUENCE 0, and not before: a request's date and status still change, and an .ics handed
    /// out then (TENTATIVE, SEQUENCE 0, again after each move) kept SEQUENCE 0 as they did. One
    /// cancelled once agreed has its cancellation, at a higher SEQUENCE; one ended before it was
    /// agreed has none.
    func testOnlyAMeetingOnceAgreedHasACalendarInvitation() throws {
        var c = try context()
        let user = ActingPerson(id: c.user!.id, roles: [.user]), expert = ActingPerson(id: c.expert!.id, roles: [.expert])
        func act(_ by: ActingPerson, _ command: Command) throws -> Meeting { try MeetingDecider.act(c, by: by, .init(command: command), ids: Self.ids).after }
        c.meeting = try request(c).after
        XCTAssertNotNil(c.meeting?.withoutInvitation, "a request")
        c.meeting = try act(expert, .reschedule(start: T.at(day: 3, hour: 10), lengthMinutes: 60, priceCredits: 100, note: nil))
        XCTAssertNotNil(c.meeting?.withoutInvitation, "an expert's counter-offer")
        let withdrawn = try act(expert, .withdraw(note: nil))
        XCTAssertEqual(withdrawn.state.status, .cancelled)
        XCTAssertEqual(withdrawn.withoutInvitation, "it ended before it was agreed, so it has no calendar invitation")
        let declined = try act(user, .decline(reasonCode: c.settings.rejectionReasons[0].code, note: nil))
        XCTAssertNotNil(declined.withoutInvitation, "declined")
        c.meeting = try act(user, .confirm(acceptConflicts: false))
        XCTAssertEqual(c.meeting?.state.status, .agreed)
        XCTAssertNil(c.meeting?.withoutInvitation, "agreed: its parties were mailed the invitation")
        XCTAssertEqual(c.meeting?.calendarSequence, 0, "the one mailed first")
        let cancelled = try act(user, .cancel(reasonCode: c.settings.cancellationReasons[0].code, note: nil, confirmLate: false))
        XCTAssertEqual(cancelled.calendarSequence, 1)
        XCTAssertNil(cancelled.withoutInvitation, "cancelled once agreed: its cancellation")
    }
}
