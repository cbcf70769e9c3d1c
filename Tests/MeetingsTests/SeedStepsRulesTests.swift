import Community
import Core
import XCTest

@testable import Meetings

/// The meeting rules issue 13 adds, decided in the pure core: the tutor's processing of a new
/// date the customer accepted, the office on the expert's side, declines that are not e-mailed
/// or shown in detail, staff booking for a user, experts' proposals, students, and weekly
/// cancels that reach every later occurrence.
final class SeedStepsRulesTests: XCTestCase {
    typealias L = LifecycleTableTests
    typealias T = BookingRulesTableTests
    static let ids: IdSource = { kind in "\(kind.rawValue)_\(Int.random(in: 0..<Int.max))" }

    /// A request the expert moved to another date: approved by the expert, waiting for the user.
    var counterOffer: MeetingState { L.state(.awaitingApproval, .blocked, user: false, expert: true, by: .expert) }
    var processing: MeetingState { L.state(.awaitingApproval, .blocked, user: true, expert: true, by: .expert) }

    func code(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "ok" } catch let e as AppError { return e.dataCode } catch { return "\(error)" }
    }

    // MARK: Processing (seed 003, steps 11–13)

    func testTheCustomersAcceptanceWaitsForTheTutorWhereDetailsAreRequired() throws {
        let d = try Lifecycle.decide(counterOffer, .confirm(acceptConflicts: false), by: .party(.user), now: L.before, settings: L.settings, needsProcessing: true)
        XCTAssertEqual(d.next.status, .awaitingApproval)
        XCTAssertTrue(d.next.awaitingProcessing)
        XCTAssertEqual(d.next.awaiting, .expert)
        XCTAssertEqual(d.notifications, [Notification("new_date_accepted_by_user", to: .expert), Notification("new_date_accepted_by_user", to: .user)])
        XCTAssertEqual(d.video, [])
        XCTAssertEqual(d.booking?.becomesAgreed, false, "the time conflict is the tutor's to see when making the session")

        let today = try Lifecycle.decide(counterOffer, .confirm(acceptConflicts: false), by: .party(.user), now: L.before, settings: L.settings)
        XCTAssertEqual(today.next.status, .agreed, "without required details, today's behaviour")
    }

    func testTheTutorOrTheOfficeMakesTheSessionAndOnlyThey() throws {
        for actor in [MeetingActor.party(.expert), .office] {
            let d = try Lifecycle.decide(processing, .confirm(acceptConflicts: false), by: actor, now: L.before, settings: L.settings)
            XCTAssertEqual(d.next.status, .agreed, "\(actor)")
            XCTAssertEqual(d.events.map(\.kind), ["processed_by_expert"])
            XCTAssertEqual(d.video, [.create])
            XCTAssertEqual(d.booking, BookingStep(path: .expertConfirm, start: L.start, lengthMinutes: 60, becomesAgreed: true))
        }
        XCTAssertEqual(code { try Lifecycle.decide(self.processing, .confirm(acceptConflicts: false), by: .party(.user), now: L.before, settings: L.settings) },
                       "invalid_state")
        XCTAssertEqual(code { try Lifecycle.decide(self.processing, .decline(reasonCode: "other", note: nil), by: .party(.expert), now: L.before, settings: L.settings) },
                       "ok", "the tutor may still delete the request")
        XCTAssertEqual(code { try Lifecycle.decide(self.processing, .withdraw(note: nil), by: .party(.user), now: L.before, settings: L.settings) },
                       "ok", "the customer may still withdraw while waiting")
    }

    /// The expert's side must give session type and location when making the session.
    func testMakingTheSessionNeedsItsDetails() throws {
        var c = try T.context()
        c.settings.requireEnrollment = false
        c.settings.requireConfirmDetails = true
        let m = try MeetingDecider.request(
            c, .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: T.at(day: 2, hour: 10), lengthMinutes: nil, locationId: T.location),
            ids: Self.ids
        ).after
        c.meeting = m
        let expert = ActingPerson(id: "per_e", roles: [.expert])
        XCTAssertEqual(code { try MeetingDecider.act(c, by: expert, .init(command: .confirm(acceptConflicts: false), confirmDetails: .init(sessionType: nil, locationId: nil)), ids: Self.ids) },
                       "invalid_params")
        let made = try MeetingDecider.act(
            c, by: expert, .init(command: .confirm(acceptConflicts: false), confirmDetails: .init(sessionType: "online", locationId: nil)), ids: Self.ids)
        XCTAssertEqual(made.after.sessionType, "online")
        XCTAssertEqual(made.after.state.status, .agreed)
        let user = ActingPerson(id: "per_u", roles: [.user])
        XCTAssertEqual(code { try MeetingDecider.act(c, by: user, .init(command: .withdraw(note: nil), confirmDetails: .init(sessionType: "online", locationId: nil)), ids: Self.ids) },
                       "invalid_params", "the user gives no session details")
    }

    // MARK: The office (seed 003)

    func testTheOfficeTakesTheExpertsSideButNeverCancelsOrLogs() throws {
        let agreed = L.states[2].1
        XCTAssertEqual(code { try Lifecycle.decide(agreed, .cancel(reasonCode: "other", note: nil, confirmLate: true), by: .office, now: L.before, settings: L.settings) },
                       "forbidden")
        let request = L.states[0].1
        let d = try Lifecycle.decide(request, .confirm(acceptConflicts: false), by: .office, now: L.before, settings: L.settings)
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertEqual(Set(d.notifications.map(\.recipient)), [.user, .expert], "the expert learns what the office did")
        XCTAssertEqual(MeetingActor.office.role, "office")

        var c = try T.context()
        c.meeting = try MeetingDecider.request(
            c, .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: T.at(day: 2, hour: 10), lengthMinutes: nil, locationId: T.location),
            ids: Self.ids
        ).after
        XCTAssertEqual(try MeetingDecider.meetingActor(c.meeting!, ActingPerson(id: "per_o", roles: [.office]), allowAdmin: false), .office)
        XCTAssertEqual(code { try MeetingDecider.meetingActor(c.meeting!, ActingPerson(id: "per_x", roles: [.user]), allowAdmin: false) }, "forbidden")
    }

    // MARK: Declines (seed 000)

    func testADeclineIsNotEmailedWhereTheCommunitySaysSo() throws {
        var s = L.settings
        s.emailUserOnDecline = false
        let d = try Lifecycle.decide(L.states[0].1, .decline(reasonCode: "other", note: nil), by: .party(.expert), now: L.before, settings: s)
        XCTAssertEqual(d.next.status, .rejected)
        XCTAssertEqual(d.notifications, [])
        XCTAssertEqual(d.ledger, [.release])
        let byUser = try Lifecycle.decide(L.states[1].1, .decline(reasonCode: "other", note: nil), by: .party(.user), now: L.before, settings: s)
        XCTAssertEqual(byUser.notifications, [Notification("meeting_rejected_by_user", to: .expert)], "the expert is still told; the user no receipt")
        s.emailUserOnDecline = true
        let mailed = try Lifecycle.decide(L.states[1].1, .decline(reasonCode: "other", note: nil), by: .party(.user), now: L.before, settings: s)
        XCTAssertEqual(mailed.notifications, [Notification("meeting_rejected_by_user", to: .expert), Notification("meeting_rejected_by_user", to: .user)],
                       "where users are mailed of declines, the user's own comes to them as a receipt")
    }

    func testADeclinedMeetingShowsItsUserNoDetails() throws {
        var c = try T.context()
        c.meeting = try MeetingDecider.request(
            c, .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: T.at(day: 2, hour: 10), lengthMinutes: nil, locationId: T.location,
                     topic: "Moles"),
            ids: Self.ids
        ).after
        let declined = try MeetingDecider.act(
            c, by: ActingPerson(id: "per_e", roles: [.expert]), .init(command: .decline(reasonCode: "illness", note: "flu")), ids: Self.ids
        ).after
        XCTAssertEqual(declined.declineReason, Reason(code: "illness", label: "Illness"))
        let seen = declined.json(seenBy: "per_u")
        XCTAssertEqual(seen["details_hidden"], true)
        XCTAssertEqual(seen["start"], .null)
        XCTAssertEqual(seen["topic"], .null)
        XCTAssertEqual(seen["decline_reason"]?["label"], "Illness")
        XCTAssertEqual(declined.json(seenBy: "per_e")["topic"], "Moles")
    }

    /// Seed 001 hides the details of a session the provider declined: an expert's proposal the
    /// user declined keeps them for the user, who reads what they turned down.
    func testAProposalTheUserDeclinedKeepsItsDetailsForThem() throws {
        var c = try T.context()
        c.meeting = try MeetingDecider.propose(
            c, by: ActingPerson(id: "per_e", roles: [.expert]),
            .init(userId: "per_u", serviceId: "svc_1", start: T.at(day: 2, hour: 10), lengthMinutes: 60, priceCredits: 100, skill: nil,
                  locationId: T.location, note: "Shall we?", fromMeetingId: nil),
            ids: Self.ids
        ).after
        let declined = try MeetingDecider.act(
            c, by: ActingPerson(id: "per_u", roles: [.user]), .init(command: .decline(reasonCode: "illness", note: nil)), ids: Self.ids
        ).after
        XCTAssertEqual(declined.state.status, .rejected)
        let seen = declined.json(seenBy: "per_u")
        XCTAssertEqual(seen["details_hidden"], false)
        XCTAssertEqual(seen["start"]?.stringValue, T.at(day: 2, hour: 10).rfc3339)
    }

    // MARK: Who creates meetings (seeds 000, 004)

    func testExpertsProposeOnlyWhereTheCommunityLetsThem() throws {
        var c = try T.context()
        c.settings.expertsMayPropose = false
        let input = MeetingDecider.ProposeInput(
            userId: "per_u", serviceId: "svc_1", start: T.at(day: 2, hour: 10), lengthMinutes: 60, priceCredits: 100, skill: nil, locationId: nil,
            note: nil, fromMeetingId: nil)
        XCTAssertEqual(code { try MeetingDecider.propose(c, by: ActingPerson(id: "per_e", roles: [.expert]), input, ids: Self.ids) }, "forbidden")
        c.settings.expertsMayPropose = true
        XCTAssertEqual(code { try MeetingDecider.propose(c, by: ActingPerson(id: "per_e", roles: [.expert]), input, ids: Self.ids) }, "ok")
    }

    func testStaffBookingTellsTheUser() throws {
        let d = try Lifecycle.request(start: L.start, lengthMinutes: 60, priceCredits: 100, autoAccept: false, now: L.before, bookedByStaff: true)
        XCTAssertEqual(d.events.first?.kind, "requested_for_user")
        XCTAssertEqual(d.notifications, [Notification("meeting_request", to: .expert), Notification("meeting_booked_for_user", to: .user)])
    }

    // MARK: Students (seed 003)

    func testAStudentsMeetingIsTheCustomersToActOnAndTheStudentsToRead() throws {
        var c = try T.context()
        c.student = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sol", lastName: "Student", roles: [.user], timeZone: "UTC")
        c.studentLinked = true
        let m = try MeetingDecider.request(
            c, .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: T.at(day: 2, hour: 10), lengthMinutes: nil, locationId: T.location,
                     studentId: "per_s"),
            ids: Self.ids
        ).after
        XCTAssertEqual(m.studentId, "per_s")
        XCTAssertEqual(m.studentName, "Sol Student")
        XCTAssertEqual(m.party(of: "per_s"), nil, "the student does not act on it")
        XCTAssertEqual(m.readerSide(of: "per_s"), .user, "the student reads it")
        XCTAssertEqual(m.party(of: "per_u"), .user)
    }

    // MARK: Weekly cancels (seeds 000, 001)

    func testCancellingAnOccurrenceCancelsEveryLaterOneAndTheSeries() throws {
        var c = try T.context()
        c.settings.requireEnrollment = false
        c.settings.weeklyUsageLimit = nil
        var series = Series(
            id: "ser_1", userId: "per_u", expertId: "per_e", serviceId: "svc_1", locationId: T.location, timeZone: "UTC",
            firstDate: LocalDate("2030-03-06")!, localMinutes: 600, lengthMinutes: 60, weeks: 3, nextIndex: 3, status: "active")
        series.studentId = nil
        var occurrences: [Meeting] = []
        for week in 0..<3 {
            var m = try MeetingDecider.request(
                c, .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: T.at(day: 2 + Int64(week) * 7, hour: 10), lengthMinutes: nil,
                         locationId: T.location, seriesId: "ser_1", occurrenceDate: series.date(Int64(week))),
                ids: Self.ids
            ).after
            if week < 2 { m.state.status = .agreed; m.state.expertApproved = true }
            occurrences.append(m)
        }
        c.series = series
        c.seriesOccurrences = occurrences
        c.meeting = occurrences[0]
        let user = ActingPerson(id: "per_u", roles: [.user])
        let result = try XCTUnwrap(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids))
        XCTAssertEqual(result.series.series.status, "cancelled")
        XCTAssertEqual(result.series.meetings.map(\.after.id), occurrences.map(\.id))
        XCTAssertEqual(result.series.meetings.map(\.after.state.status), [.cancelled, .cancelled, .cancelled])
        XCTAssertEqual(result.series.meetings.map(\.decision.ledger), [[.release], [.release], [.release]])
        XCTAssertEqual(result.series.meetings.map { $0.decision.events.first?.kind }, ["cancelled_by_user", "cancelled_by_user", "cancelled_by_user"],
                       "a pending occurrence ends as a cancellation too")
        XCTAssertEqual(result.series.meetings.map { $0.decision.events.first?.reasonCode }, ["other", "other", "other"])
        // Told once, by the first date's notifications, which count the later ones.
        XCTAssertEqual(result.series.meetings.map { $0.decision.notifications.map(\.kind) },
                       [["cancellation_by_user", "cancellation_by_user"], [], []])
        XCTAssertEqual(result.series.meetings.map(\.laterDates), [LaterDatesEnded(count: 2, returnedCredits: 200, chargedCredits: 0), nil, nil])

        c.meeting = occurrences[1]
        let fromSecond = try XCTUnwrap(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids))
        XCTAssertEqual(fromSecond.series.meetings.map(\.after.id), Array(occurrences.map(\.id)[1...]), "earlier occurrences stay")

        // From a date still pending (not agreed yet): the series and that date end all the same
        // (it was refused "withdraw it instead", and withdrawing dropped that date alone).
        c.meeting = occurrences[2]
        let fromPending = try XCTUnwrap(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids))
        XCTAssertEqual(fromPending.series.series.status, "cancelled")
        XCTAssertEqual(fromPending.series.meetings.map(\.after.id), [occurrences[2].id])
        XCTAssertEqual(fromPending.cancelled.after.state.status, .cancelled)
        XCTAssertEqual(fromPending.cancelled.decision.ledger, [.release])
        XCTAssertEqual(fromPending.cancelled.decision.events.first?.kind, "cancelled_by_user")
        let expert = ActingPerson(id: "per_e", roles: [.expert])
        XCTAssertThrowsError(try SeriesDecider.cancelOccurrence(c, by: expert, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids)) {
            XCTAssertTrue(($0 as? AppError)?.message.contains("decline it instead") ?? false, "the expert answers a request by declining it: \($0)")
        }
        // The reason is checked whichever way the date ends, and the user's note stays with it.
        XCTAssertThrowsError(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "bogus", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids)) {
            XCTAssertEqual(($0 as? AppError)?.details["field"], "reason_code", "\($0)")
        }
        let noted = try XCTUnwrap(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "other", note: "moving away", confirmLate: false, expectedVersion: nil, ids: Self.ids))
        XCTAssertEqual(noted.cancelled.decision.events.first?.note, "moving away")
        // A date the expert proposed waits for the user: the user declines it (one date), as before.
        var proposed = c
        proposed.meeting?.state.proposedBy = .expert
        proposed.meeting?.state.userApproved = false
        proposed.meeting?.state.expertApproved = true
        XCTAssertThrowsError(try SeriesDecider.cancelOccurrence(proposed, by: user, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids)) {
            XCTAssertTrue(($0 as? AppError)?.message.contains("decline it instead") ?? false, "\($0)")
        }

        // Its user withdrawing that pending date instead: the date alone ends, listed as a skip.
        let withdrawn = try MeetingDecider.act(c, by: user, .init(command: .withdraw(note: nil)), ids: Self.ids)
        let dropped = try XCTUnwrap(SeriesDecider.withdrawnDate(c, withdrawn, by: user))
        XCTAssertEqual(dropped.series.status, "active")
        XCTAssertEqual(dropped.skips, [SeriesSkip(date: series.date(2), reason: "withdrawn by user", actorId: "per_u")])
        XCTAssertEqual(dropped.meetings.map(\.after.id), [occurrences[2].id])
        XCTAssertNil(SeriesDecider.withdrawnDate(c, withdrawn, by: expert), "only the series' user's withdrawal is a skip")

        c.series?.status = "cancelled"
        XCTAssertNil(try SeriesDecider.cancelOccurrence(c, by: user, reasonCode: "other", note: nil, confirmLate: false, expectedVersion: nil, ids: Self.ids),
                     "a cancelled series' meeting is cancelled alone")
        XCTAssertNil(SeriesDecider.withdrawnDate(c, withdrawn, by: user), "nor is a date of a cancelled series")
    }
}
