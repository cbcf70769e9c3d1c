import Community
import Core
import Scheduling
import XCTest

@testable import Meetings

/// Every booking rule on every path: from a context where everything passes, each rule is
/// broken on its own, and each path either refuses with that rule's error (the rule applies to
/// it) or goes ahead (it does not). The table of which rule applies where is
/// `BookingRule.applies(to:)`; this test checks the decision follows it for real.
final class BookingRulesTableTests: XCTestCase {
    /// Monday 2030-03-04 00:00 UTC.
    static let now = Instant(seconds: 1_898_812_800)
    static let location = "loc_00000000000000000000000000000001"

    static func at(day: Int64, hour: Int64, minute: Int64 = 0) -> Instant {
        now.adding(minutes: (day * 24 + hour) * 60 + minute)
    }

    static func context() throws -> BookingContext {
        var settings = CommunitySettings()
        settings.requireEnrollment = true
        settings.minNoticeMinutes = 120
        settings.horizonDays = 30
        settings.slotMinutes = 30
        settings.weeklyUsageLimit = 3
        settings.timeZone = "UTC"
        var c = BookingContext(now: now, settings: settings)
        c.user = PersonFacts(id: "per_u", email: "u@x.example", firstName: "Una", lastName: "User", roles: [.user], timeZone: "UTC")
        c.expert = PersonFacts(id: "per_e", email: "e@x.example", firstName: "Eve", lastName: "Expert", roles: [.expert], timeZone: "UTC")
        c.service = ServiceFacts(id: "svc_1", name: "CHEM101", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 100)
        c.locations = [location: LocationFacts(id: location, name: "Room 1", kind: "in_person")]
        c.certified = true
        c.enrolled = true
        c.walletAvailable = 1000
        c.expertTimeZone = "UTC"
        c.weeklyRules = try (1...7).map {
            try WeeklyRule(weekday: $0, start: LocalTimeOfDay("06:00")!, end: LocalTimeOfDay("22:00")!, locationIds: [location])
        }
        return c
    }

    /// The attempt every case starts from: Wednesday 10:00, an hour, the meeting agreed at the
    /// end of the step, 100 credits to hold; a user's new date is one for an agreed meeting (an
    /// alternate, whose overlaps the expert is warned of).
    static func attempt(_ path: BookingPath) -> BookingAttempt {
        let expertSide: Set<BookingPath> = [.propose, .expertConfirm, .expertReschedule, .expertConfirmsAlternate]
        var a = BookingAttempt(
            path: path, start: at(day: 2, hour: 10), lengthMinutes: 60, locationId: location, meetingId: "mtg_this", becomesAgreed: true,
            side: expertSide.contains(path) ? .expert : .user, creditsToHold: 100)
        a.proposesAlternate = path == .userReschedule
        return a
    }

    /// How to break each rule alone, and the error code that says so.
    nonisolated(unsafe) static let violations: [(BookingRule, String, (inout BookingContext, inout BookingAttempt) -> Void)] = [
        (.distinctParties, "invalid_params", { c, _ in c.expert = PersonFacts(id: "per_u", email: "u@x.example", firstName: "Una", lastName: "User", roles: [.user, .expert], timeZone: "UTC") }),
        (.roles, "invalid_params", { c, _ in c.expert?.roles = [.office] }),
        (.supportedTime, "invalid_params", { _, a in a.start = Instant.latestSupported.adding(minutes: -30) }),
        (.offered, "slot_unavailable", { c, _ in c.certified = false }),
        (.studentLink, "invalid_params", { c, a in
            a.studentId = "per_s"
            c.student = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sol", lastName: "Student", roles: [.user], timeZone: "UTC")
            c.studentLinked = false
        }),
        (.skill, "invalid_params", { c, a in
            c.service?.skills = ["stoichiometry"]
            a.skill = "knitting"
        }),
        (.agenda, "invalid_params", { c, a in
            c.service?.agendaQuestions = ["What do you want to work on?"]
            a.agendaAnswers = ["Moles", "and more"]
        }),
        (.enrolment, "not_enrolled", { c, _ in c.enrolled = false }),
        (.suspension, "suspended", { c, _ in c.user?.suspendedUntil = now.adding(minutes: 24 * 60) }),
        (.notice, "slot_unavailable", { _, a in a.start = at(day: 0, hour: 1) }),
        (.horizon, "slot_unavailable", { _, a in a.start = at(day: 40, hour: 10) }),
        (.slotGrid, "slot_unavailable", { _, a in a.start = at(day: 2, hour: 10, minute: 15) }),
        (.blockedPeriod, "slot_unavailable", { c, _ in c.blockedPeriods = [BlockedPeriod(start: at(day: 2, hour: 10, minute: 30), end: at(day: 2, hour: 12))] }),
        (.availability, "slot_unavailable", { _, a in a.start = at(day: 2, hour: 3) }),
        (.heldTime, "slot_unavailable", { c, _ in
            c.occupying = [MeetingSlot(meetingId: "mtg_held", start: at(day: 2, hour: 10, minute: 30), end: at(day: 2, hour: 11, minute: 30))]
        }),
        (.weeklyLimit, "usage_limit_reached", { c, _ in
            c.userBookings = (0..<3).map { MeetingSlot(meetingId: "mtg_other\($0)", start: at(day: 1, hour: 8 + Int64($0)), end: at(day: 1, hour: 9 + Int64($0))) }
        }),
        (.conflicts, "time_conflict", { c, _ in c.agreed = [MeetingSlot(meetingId: "mtg_agreed", start: at(day: 2, hour: 10, minute: 30), end: at(day: 2, hour: 11, minute: 30))] }),
        (.credits, "insufficient_credits", { c, _ in c.walletAvailable = 10 }),
    ]

    func outcome(_ a: BookingAttempt, _ c: BookingContext) -> String {
        do {
            _ = try BookingRules.check(a, c)
            return "ok"
        } catch let e as AppError {
            return e.dataCode
        } catch {
            return "\(error)"
        }
    }

    func testTheBaselinePassesOnEveryPath() throws {
        let c = try Self.context()
        for path in BookingPath.allCases {
            XCTAssertEqual(outcome(Self.attempt(path), c), "ok", "\(path)")
        }
    }

    func testEachRuleHoldsExactlyWhereItApplies() throws {
        XCTAssertEqual(Self.violations.map(\.0), BookingRule.allCases, "every rule is broken once")
        for (rule, code, breakIt) in Self.violations {
            for path in BookingPath.allCases {
                var c = try Self.context()
                var a = Self.attempt(path)
                breakIt(&c, &a)
                // An agreed meeting's time is out of the expert's calendar (SPEC §5.3), even one
                // agreed over an accepted conflict: a time booked from the calendar meets the
                // availability rule before the conflict rule (a new date the user proposes goes
                // to the expert, who is warned of the overlap).
                // A party who lost their role, or a link gone since the meeting was made, stops a
                // meeting's steps as its state (invalid_state), not as a param (a student_id) of
                // the steps that create one. The expert's side proposing a service it does not
                // give names the wrong param (service_id): no free time would take it.
                let expected = rule == .conflicts && path.booksFromCalendar ? "slot_unavailable"
                    : [.roles, .studentLink].contains(rule) && !path.createsMeeting ? "invalid_state"
                    : rule == .offered && path == .propose ? "invalid_params" : code
                XCTAssertEqual(outcome(a, c), rule.applies(to: path) ? expected : "ok", "\(rule) on \(path)")
            }
        }
    }

    /// A student is on the user's side: one without the user role stops every path as the user
    /// would (a param where the meeting is made, the meeting's state where it exists).
    func testAStudentWithoutTheUserRoleStopsEveryPath() throws {
        for path in BookingPath.allCases {
            var c = try Self.context()
            var a = Self.attempt(path)
            a.studentId = "per_s"
            c.student = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sol", lastName: "Student", roles: [.office], timeZone: "UTC")
            c.studentLinked = true
            XCTAssertEqual(outcome(a, c), path.createsMeeting ? "invalid_params" : "invalid_state", "\(path)")
            c.student?.roles = [.user]
            XCTAssertEqual(outcome(a, c), "ok", "\(path) with the role")
        }
    }

    /// A meeting's agenda answers are bounded together: each meeting carries them into every
    /// list and invitation (50 answers of 9,999 characters made meetings of half a megabyte).
    /// Where answers are given (a request, a new series; a series' later dates copy them, so a
    /// series made before the bound goes on).
    func testAgendaAnswersAreBoundedTogether() throws {
        var c = try Self.context()
        c.service?.agendaQuestions = ["Goal?", "Level?", "Anything else?"]
        c.locations[Self.location] = LocationFacts(id: Self.location, name: "Room 1", kind: "in_person")
        func request(_ each: Int, series: String? = nil) -> String {
            let input = MeetingDecider.RequestInput(
                serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: Self.at(day: 2, hour: 10), lengthMinutes: 60, locationId: Self.location,
                agendaAnswers: Array(repeating: String(repeating: "e\u{301}", count: each), count: 3), seriesId: series,
                occurrenceDate: series.map { _ in LocalDate("2030-03-06")! })
            do { _ = try MeetingDecider.request(c, input); return "ok" } catch let e as AppError { return e.dataCode } catch { return "\(error)" }
        }
        XCTAssertEqual(request(1_667), "invalid_params", "10,002 characters (scalars: an accent is one)")
        XCTAssertEqual(request(1_666), "ok", "9,996 characters")
        XCTAssertEqual(request(1_667, series: "ser_1"), "ok", "a series' date copies what its creation took")
    }

    /// The table itself, as the rules are meant: a time the user chooses, booked or proposed as
    /// a new date, keeps the expert's hours (one booked from the calendar must be free of
    /// meetings too); every time, whoever chooses it, keeps out of the expert's blocked periods;
    /// who may meet whom is checked where a meeting is made, and a student's link wherever their
    /// meeting is made, accepted or moved; what the user commits to is counted and needs the user
    /// in good standing.
    func testTheTableReadsAsIntended() {
        let userChosen: Set<BookingPath> = [.request, .userReschedule, .seriesOccurrence]
        for path in BookingPath.allCases {
            for rule in [BookingRule.notice, .horizon, .slotGrid, .availability] {
                XCTAssertEqual(rule.applies(to: path), userChosen.contains(path), "\(rule) on \(path)")
            }
            for rule in [BookingRule.distinctParties, .roles, .supportedTime, .offered, .studentLink, .enrolment, .blockedPeriod, .heldTime, .conflicts, .credits] {
                XCTAssertTrue(rule.applies(to: path), "\(rule) on \(path)")
            }
        }
        XCTAssertFalse(BookingRule.weeklyLimit.applies(to: .propose))
        XCTAssertFalse(BookingRule.weeklyLimit.applies(to: .expertReschedule))
        XCTAssertTrue(BookingRule.weeklyLimit.applies(to: .userConfirm))
        XCTAssertTrue(BookingRule.weeklyLimit.applies(to: .expertConfirmsAlternate))
        XCTAssertFalse(BookingRule.suspension.applies(to: .expertConfirm))
        XCTAssertTrue(BookingRule.suspension.applies(to: .userConfirmsAlternate))
        // Skills are checked where a meeting is created; agenda answers on a request and on a
        // series' occurrences (the answers its booking gave).
        for path in BookingPath.allCases {
            XCTAssertEqual(BookingRule.skill.applies(to: path), [.request, .propose, .seriesOccurrence].contains(path), "skill on \(path)")
            XCTAssertEqual(BookingRule.agenda.applies(to: path), path == .request || path == .seriesOccurrence, "agenda on \(path)")
        }
    }

    // MARK: Students, skills and agenda answers (seeds 003, 004)

    func testAStudentMustBeLinkedToTheCustomerAndNotBeTheExpert() throws {
        var c = try Self.context()
        c.student = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sol", lastName: "Student", roles: [.user], timeZone: "UTC")
        c.studentLinked = true
        var a = Self.attempt(.request)
        a.studentId = "per_s"
        XCTAssertEqual(outcome(a, c), "ok")
        c.student = c.expert
        a.studentId = c.expert?.id
        XCTAssertEqual(outcome(a, c), "invalid_params", "nobody meets themself")
        c.student = nil
        XCTAssertEqual(outcome(a, c), "not_found", "a student who is nobody of this community")
    }

    /// A user and expert who are one person are refused on the field the caller gave: the
    /// expert's on a request, the user's on an expert's proposal.
    func testMeetingOneselfNamesTheFieldTheCallerGave() throws {
        var c = try Self.context()
        c.user = c.expert
        for (path, field) in [(BookingPath.request, "expert_id"), (.propose, "user_id")] {
            XCTAssertThrowsError(try BookingRules.check(Self.attempt(path), c), "\(path)") { error in
                XCTAssertEqual((error as? AppError)?.details["field"], .string(field), "\(path)")
            }
        }
    }

    /// An expert no longer certified: a new booking is pointed to search; a meeting waiting for
    /// an answer is told to be declined or withdrawn (search would not help it).
    func testAnExpertNoLongerCertifiedSaysWhatToDoOnEachPath() throws {
        var c = try Self.context()
        c.certified = false
        for (path, waiting) in [(BookingPath.request, false), (.expertConfirm, true), (.userConfirm, true)] {
            XCTAssertThrowsError(try BookingRules.check(Self.attempt(path), c), "\(path)") { error in
                let message = (error as? AppError)?.message ?? ""
                XCTAssertEqual(message.contains("decline the meeting"), waiting, "\(path): \(message)")
                XCTAssertEqual(message.hasSuffix(AppError.searchHint), !waiting, "\(path): \(message)")
            }
        }
    }

    /// A meeting the week counts already, moved within that week, adds nothing to it: allowed
    /// even where a limit lowered since leaves the week over it; moved to another week, it counts
    /// there.
    func testAMeetingMovedWithinItsWeekAddsNothingToTheWeeklyLimit() throws {
        var c = try Self.context()
        c.settings.weeklyUsageLimit = 1
        c.userBookings = [
            MeetingSlot(meetingId: "mtg_this", start: Self.at(day: 2, hour: 10), end: Self.at(day: 2, hour: 11)),
            MeetingSlot(meetingId: "mtg_other", start: Self.at(day: 3, hour: 10), end: Self.at(day: 3, hour: 11)),
            MeetingSlot(meetingId: "mtg_next", start: Self.at(day: 8, hour: 10), end: Self.at(day: 8, hour: 11)),
        ]
        for path in [BookingPath.userReschedule, .userConfirmsAlternate, .expertConfirmsAlternate] {
            var a = Self.attempt(path)
            a.start = Self.at(day: 4, hour: 14)
            XCTAssertEqual(outcome(a, c), "ok", "\(path): within its week")
            a.start = Self.at(day: 9, hour: 14)
            XCTAssertEqual(outcome(a, c), "usage_limit_reached", "\(path): to a full week")
        }
        var a = Self.attempt(.userConfirm)
        a.meetingId = "mtg_proposed"
        XCTAssertEqual(outcome(a, c), "usage_limit_reached", "a meeting the week does not count yet counts")
    }

    /// A retired location: no path books a meeting there or moves one to it; a meeting waiting
    /// for an answer there is told to be declined; a step at another location goes ahead.
    func testARetiredLocationIsRefusedOnEveryPath() throws {
        var c = try Self.context()
        c.locations[Self.location]?.active = false
        let other = "loc_00000000000000000000000000000002"
        c.locations[other] = LocationFacts(id: other, name: "Room 2", kind: "in_person")
        c.weeklyRules = try (1...7).map {
            try WeeklyRule(weekday: $0, start: LocalTimeOfDay("06:00")!, end: LocalTimeOfDay("22:00")!, locationIds: [Self.location, other])
        }
        for path in BookingPath.allCases {
            var a = Self.attempt(path)
            XCTAssertThrowsError(try BookingRules.check(a, c), "\(path)") { error in
                XCTAssertEqual((error as? AppError)?.dataCode, "slot_unavailable", "\(path)")
                let message = (error as? AppError)?.message ?? ""
                XCTAssertTrue(message.contains("Room 1 is retired"), "\(path): \(message)")
                XCTAssertEqual(message.contains("decline the meeting"), [.userConfirm, .expertConfirm].contains(path), "\(path): \(message)")
            }
            a.locationId = other
            XCTAssertEqual(outcome(a, c), "ok", "\(path) at another location")
        }
        // A meeting agreed there moves to another time there; a request there is neither agreed
        // nor moved there (nobody could agree it then).
        var m = try MeetingDecider.request(
            try Self.context(),
            .init(serviceId: "svc_1", expertId: "per_e", userId: "per_u", start: Self.at(day: 2, hour: 10), lengthMinutes: nil, locationId: Self.location),
            ids: MeetingDeciderTests.ids
        ).after
        m.locationId = Self.location
        c.meeting = m
        for path in BookingPath.allCases {
            XCTAssertEqual(outcome(Self.attempt(path), c), "slot_unavailable", "\(path) of a request there")
        }
        c.meeting?.state.status = .agreed
        for path in BookingPath.allCases {
            let agreesThere = path.createsMeeting || [.userConfirm, .expertConfirm].contains(path)
            XCTAssertEqual(outcome(Self.attempt(path), c) == "ok", !agreesThere, "\(path) of a meeting agreed there")
        }
    }

    func testSkillsAndAgendaAnswersNameTheField() throws {
        var c = try Self.context()
        c.service?.skills = ["stoichiometry", "titration"]
        c.service?.agendaQuestions = ["What do you want to work on?", "Anything else?"]
        var a = Self.attempt(.request)
        a.agendaAnswers = ["Moles", ""]
        a.skill = "titration"
        XCTAssertEqual(outcome(a, c), "ok", "a known skill; two answers, the second empty")
        a.skill = "knitting"
        XCTAssertThrowsError(try BookingRules.check(a, c)) { e in
            XCTAssertEqual((e as? AppError)?.details["field"], "skill")
            XCTAssertTrue((e as? AppError)?.details["reason"]?.stringValue?.contains("stoichiometry, titration") ?? false, "\(e)")
        }
        a.skill = nil
        a.agendaAnswers = ["Moles"]
        XCTAssertThrowsError(try BookingRules.check(a, c)) { e in
            XCTAssertEqual((e as? AppError)?.details["field"], "agenda_answers")
            XCTAssertTrue((e as? AppError)?.details["reason"]?.stringValue?.contains("1. What do you want to work on? 2. Anything else?") ?? false, "\(e)")
        }
        c.service?.skills = []
        c.service?.agendaQuestions = []
        a.skill = "titration"
        a.agendaAnswers = []
        XCTAssertThrowsError(try BookingRules.check(a, c)) { e in XCTAssertEqual((e as? AppError)?.details["field"], "skill") }
    }

    // MARK: Conflicts: only the expert's side accepts them, and a user never learns whose they are

    func testOnlyTheExpertsSideMayAcceptAConflict() throws {
        var c = try Self.context()
        c.agreed = [MeetingSlot(meetingId: "mtg_other_users", start: Self.at(day: 2, hour: 10), end: Self.at(day: 2, hour: 11))]
        var byUser = Self.attempt(.userConfirm)
        byUser.acceptConflicts = true
        XCTAssertEqual(outcome(byUser, c), "invalid_params")
        byUser.acceptConflicts = false
        do {
            _ = try BookingRules.check(byUser, c)
            XCTFail("a user confirming into a conflict must be refused")
        } catch let e as AppError {
            XCTAssertEqual(e.dataCode, "time_conflict")
            XCTAssertEqual(e.details["meeting_ids"], .array([]), "a user is not told another user's meeting")
        }
        var byExpert = Self.attempt(.expertConfirm)
        do {
            _ = try BookingRules.check(byExpert, c)
            XCTFail("the expert must be warned")
        } catch let e as AppError {
            XCTAssertEqual(e.details["meeting_ids"], .array(["mtg_other_users"]))
        }
        byExpert.acceptConflicts = true
        XCTAssertEqual(try BookingRules.check(byExpert, c), BookingVerdict(conflictAccepted: true, acceptedOverlaps: ["mtg_other_users"]))
    }

    /// The expert's acceptance when proposing a time covers the meetings they were shown: the
    /// user's yes stands against those, not against one agreed since.
    func testAnAcceptedOverlapCoversTheMeetingsAcceptedOnly() throws {
        var c = try Self.context()
        c.agreed = [MeetingSlot(meetingId: "mtg_shown", start: Self.at(day: 2, hour: 9, minute: 30), end: Self.at(day: 2, hour: 10, minute: 30))]
        var byUser = Self.attempt(.userConfirm)
        byUser.acceptedOverlaps = ["mtg_shown"]
        XCTAssertEqual(try BookingRules.check(byUser, c), BookingVerdict(conflictAccepted: true, acceptedOverlaps: ["mtg_shown"]))
        c.agreed.append(MeetingSlot(meetingId: "mtg_since", start: Self.at(day: 2, hour: 10, minute: 30), end: Self.at(day: 2, hour: 11)))
        XCTAssertEqual(outcome(byUser, c), "time_conflict", "a meeting agreed after the acceptance was never accepted")
    }

    func testTheMeetingsOwnTimeNeverConflictsWithItself() throws {
        var c = try Self.context()
        c.agreed = [MeetingSlot(meetingId: "mtg_this", start: Self.at(day: 2, hour: 10), end: Self.at(day: 2, hour: 11))]
        c.occupying = c.agreed
        c.userBookings = c.agreed + c.agreed + c.agreed
        XCTAssertEqual(outcome(Self.attempt(.userReschedule), c), "ok")
        XCTAssertEqual(outcome(Self.attempt(.expertConfirmsAlternate), c), "ok")
    }

    func testTheExpertLearnsOnlyThatCreditsAreMissing() throws {
        var c = try Self.context()
        c.walletAvailable = 37
        do {
            _ = try BookingRules.check(Self.attempt(.expertConfirmsAlternate), c)
            XCTFail("the hold cannot be made")
        } catch let e as AppError {
            XCTAssertEqual(e.dataCode, "insufficient_credits")
            XCTAssertNil(e.details["available"], "the user's balance is theirs")
            XCTAssertFalse(e.message.contains("37"))
        }
        do {
            _ = try BookingRules.check(Self.attempt(.userConfirm), c)
            XCTFail("the hold cannot be made")
        } catch let e as AppError {
            XCTAssertEqual(e.details["available"], 37, "the user sees their own balance")
        }
    }

    func testAReleasedHoldCountsTowardTheNewOne() throws {
        var c = try Self.context()
        c.walletAvailable = 20
        var a = Self.attempt(.userConfirmsAlternate)
        a.creditsToHold = 120
        a.creditsReleased = 100
        XCTAssertEqual(outcome(a, c), "ok")
        a.creditsToHold = 121
        XCTAssertEqual(outcome(a, c), "insufficient_credits")
    }

    // MARK: The week and the price

    func testTheWeekIsMondayToMondayOnTheCommunitysClock() {
        let week = UsageWeek(containing: Self.at(day: 2, hour: 10), timeZone: "UTC")
        XCTAssertEqual(week.start, Self.now)
        XCTAssertEqual(week.end, Self.at(day: 7, hour: 0))
        let prague = UsageWeek(containing: Self.at(day: 0, hour: 0), timeZone: "Europe/Prague")
        XCTAssertEqual(prague.start, Self.now.adding(minutes: -60), "Monday 00:00 in Prague is 23:00 UTC on Sunday")
    }

    /// The weeks a search leaves out are exactly those where the weekly-limit rule refuses a new
    /// request: the same count, week by week on the community's clock.
    func testFullWeeksAreTheWeeksTheLimitRefusesANewRequestIn() throws {
        var c = try Self.context()  // a limit of 3 a week
        func booked(day: Int64, _ count: Int) -> [MeetingSlot] {
            (0..<count).map { MeetingSlot(meetingId: "mtg_d\(day)_\($0)", start: Self.at(day: day, hour: 8 + Int64($0)), end: Self.at(day: day, hour: 9 + Int64($0))) }
        }
        c.userBookings = booked(day: 1, 3) + booked(day: 8, 2) + booked(day: 15, 3) + booked(day: 29, 3)
        let window = Period(start: Self.at(day: 0, hour: 12), end: Self.at(day: 20, hour: 0))
        let full = BookingRules.fullWeeks(c.userBookings, settings: c.settings, within: window)
        XCTAssertEqual(full, [Period(start: Self.now, end: Self.at(day: 7, hour: 0)), Period(start: Self.at(day: 14, hour: 0), end: Self.at(day: 21, hour: 0))],
                       "weeks 1 and 3 are full; week 2 has room; week 5 lies outside the window")
        for day: Int64 in [2, 10, 16] {
            var a = Self.attempt(.request)
            a.meetingId = nil
            a.start = Self.at(day: day, hour: 12)
            XCTAssertEqual(outcome(a, c), full.contains { $0.contains(a.start) } ? "usage_limit_reached" : "ok", "day \(day)")
        }
        c.settings.weeklyUsageLimit = nil
        XCTAssertEqual(BookingRules.fullWeeks(c.userBookings, settings: c.settings, within: window), [], "no limit, no full week")
        c.settings.weeklyUsageLimit = 3
        c.settings.timeZone = "Asia/Tokyo"
        XCTAssertEqual(BookingRules.fullWeeks(c.userBookings, settings: c.settings, within: window).first?.start, Self.now.adding(minutes: -9 * 60),
                       "Monday 00:00 in Tokyo is 15:00 UTC on Sunday")
    }

    func testThePriceFollowsTheLengthRoundedUp() throws {
        let service = ServiceFacts(id: "svc", name: "S", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 100)
        XCTAssertEqual(try Pricing.price(of: service, lengthMinutes: 60), 100)
        XCTAssertEqual(try Pricing.price(of: service, lengthMinutes: 240), 400)
        XCTAssertEqual(try Pricing.price(of: service, lengthMinutes: 45), 75)
        XCTAssertEqual(try Pricing.price(of: service, lengthMinutes: 50), 84, "83.33… rounds up")
        XCTAssertEqual(try Pricing.price(of: service, lengthMinutes: 5), 9, "8.33… rounds up")
        let free = ServiceFacts(id: "svc", name: "S", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 0)
        XCTAssertEqual(try Pricing.price(of: free, lengthMinutes: 120), 0)
        let dear = ServiceFacts(id: "svc", name: "S", kind: .generic, expertId: nil, defaultLengthMinutes: 5, priceCredits: 1_000_000_000_000)
        XCTAssertThrowsError(try Pricing.price(of: dear, lengthMinutes: 10), "past the credits limit")
    }
}
