import Community
import Core
import XCTest

@testable import Meetings

/// The credit, event and notification consequences of each rule.
final class LifecycleRulesTests: XCTestCase {
    let start = LifecycleTableTests.start
    let settings = LifecycleTableTests.settings

    func decide(_ m: MeetingState, _ c: Command, _ a: MeetingActor, now: Instant? = nil, settings s: CommunitySettings? = nil) throws -> Decision {
        try Lifecycle.decide(m, c, by: a, now: now ?? LifecycleTableTests.before, settings: s ?? settings)
    }

    var agreed: MeetingState { LifecycleTableTests.states[2].1 }
    var userRequest: MeetingState { LifecycleTableTests.states[0].1 }
    var expertProposal: MeetingState { LifecycleTableTests.states[1].1 }

    func code(_ body: () throws -> Decision) -> String? {
        do { _ = try body(); return nil } catch let e as AppError { return e.dataCode } catch { return "\(error)" }
    }

    /// A step the meeting's state refuses says what the reader can do instead.
    func testRefusedStepsSayWhatToDoInstead() throws {
        func message(_ m: MeetingState, _ c: Command, _ a: MeetingActor, now: Instant? = nil) -> String {
            do { _ = try decide(m, c, a, now: now); return "accepted" } catch { return (error as? AppError)?.message ?? "\(error)" }
        }
        let declined = try decide(userRequest, .decline(reasonCode: settings.rejectionReasons[0].code, note: nil), .party(.expert)).next
        XCTAssertTrue(message(declined, .confirm(acceptConflicts: false), .party(.expert)).contains("a new date for it is proposed with meeting.reschedule"))
        let afterStart = start.adding(minutes: 90)
        XCTAssertTrue(message(userRequest, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: afterStart)
            .contains("it was never agreed, so there is no session to log"))
        XCTAssertTrue(message(userRequest, .confirmAlternate(acceptConflicts: false), .party(.expert)).contains("is confirmed with meeting.confirm"))
        XCTAssertTrue(message(userRequest, .withdraw(note: nil), .party(.expert)).contains("decline it instead (meeting.decline)"))
        // The side whose date waits is not told to confirm or decline it (a user who answered the
        // expert's new time with another was sent to meeting.confirm): it waits, or is withdrawn.
        for alternateStep in [Command.withdrawAlternate, .confirmAlternate(acceptConflicts: false)] {
            XCTAssertTrue(message(userRequest, alternateStep, .party(.user))
                .hasSuffix("there is no open alternate date; the date waiting for an answer is your side's: it waits for the expert, or withdraw it with meeting.withdraw"),
                message(userRequest, alternateStep, .party(.user)))
            XCTAssertTrue(message(expertProposal, alternateStep, .party(.expert)).contains("is your side's: it waits for the user, or withdraw it with meeting.withdraw"))
            XCTAssertTrue(message(expertProposal, alternateStep, .office).contains("is your side's: it waits for the user"))
            XCTAssertTrue(message(expertProposal, alternateStep, .party(.user)).contains("a date waiting for an answer is confirmed with meeting.confirm"))
            // Both sides said yes and the session waits to be made (seed 003): the user is not
            // sent to meeting.confirm, which refuses them; the expert's side is.
            let accepted = LifecycleTableTests.states[9].1
            XCTAssertTrue(message(accepted, alternateStep, .party(.user)).hasSuffix("the date is accepted and waits for the expert to make the session"))
            XCTAssertTrue(message(accepted, alternateStep, .office).hasSuffix("make the session with meeting.confirm (with its details)"))
        }
        // Confirming a date already approved on one's side: the office reads of the expert's approval.
        XCTAssertTrue(message(expertProposal, .confirm(acceptConflicts: false), .party(.expert)).contains("you have already approved it; it waits for the user"))
        XCTAssertTrue(message(expertProposal, .confirm(acceptConflicts: false), .office).contains("the expert has already approved it; it waits for the user"))
    }

    /// A meeting the expert declined hides its time from the user's side: refused once its
    /// start has passed, the user read that start in the error (4012's message and data).
    func testAStartedDeclinedMeetingsErrorNamesNoTimeToTheUser() throws {
        let declined = try decide(userRequest, .decline(reasonCode: settings.rejectionReasons[0].code, note: nil), .party(.expert)).next
        let afterStart = start.adding(minutes: 90)
        func refusal(_ actor: MeetingActor) -> AppError? {
            do { _ = try decide(declined, .withdraw(note: nil), actor, now: afterStart); return nil } catch { return error as? AppError }
        }
        let toUser = try XCTUnwrap(refusal(.party(.user)))
        XCTAssertEqual(toUser.code, .meetingStarted)
        XCTAssertNil(toUser.details["start"])
        XCTAssertFalse(toUser.message.contains(start.rfc3339), toUser.message)
        XCTAssertTrue(toUser.message.hasPrefix("The meeting's scheduled start has passed"), toUser.message)
        let toExpert = try XCTUnwrap(refusal(.party(.expert)))
        XCTAssertEqual(toExpert.details["start"], .string(start.rfc3339), "the expert's side sees its time")
        XCTAssertTrue(toExpert.message.contains(start.rfc3339), toExpert.message)
    }

    /// A session logged, or the expert's absence reported, with a new date still open closes
    /// it as the scheduler would: on the timeline, and told to its proposer unless their side
    /// ended the meeting (the proposal vanished without a word).
    func testEndingAMeetingClosesItsOpenNewDate() throws {
        let byUser = LifecycleTableTests.states[3].1, byExpert = LifecycleTableTests.states[4].1
        let afterEnd = start.adding(minutes: 90)
        let attended = Command.logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil)
        let logged = try decide(byUser, attended, .party(.expert), now: afterEnd)
        XCTAssertEqual(logged.events.map(\.kind), ["session_logged", "alternative_date_expired"])
        XCTAssertEqual(logged.events.last?.details["start"], .string(start.adding(minutes: 24 * 60).rfc3339))
        XCTAssertEqual(logged.notifications, [Notification("session_logged", to: .user), Notification("alternative_date_expired", to: .user)])
        XCTAssertNil(logged.next.alternate)
        let ownLogged = try decide(byExpert, attended, .party(.expert), now: afterEnd)
        XCTAssertEqual(ownLogged.events.map(\.kind), ["session_logged", "alternative_date_expired"])
        XCTAssertEqual(ownLogged.notifications, [Notification("session_logged", to: .user)], "the expert logging knows their own date is gone")
        let reported = try decide(byExpert, .reportNoShow, .party(.user), now: afterEnd)
        XCTAssertEqual(reported.events.map(\.kind), ["expert_no_show_reported", "alternative_date_expired"])
        XCTAssertEqual(reported.notifications, [Notification("expert_no_show", to: .expert), Notification("alternative_date_expired", to: .expert)])
        XCTAssertEqual(try decide(byUser, .reportNoShow, .party(.user), now: afterEnd).notifications, [Notification("expert_no_show", to: .expert)])
        XCTAssertEqual(try decide(byUser, .reportNoShow, .admin, now: afterEnd).notifications.map(\.kind), ["expert_no_show", "expert_no_show", "alternative_date_expired"])
        XCTAssertEqual(try decide(agreed, attended, .party(.expert), now: afterEnd).events.map(\.kind), ["session_logged"], "none open, none closed")
    }

    func testRequestHoldsAndAsksTheExpert() throws {
        let d = try Lifecycle.request(start: start, lengthMinutes: 60, priceCredits: 100, autoAccept: false, now: LifecycleTableTests.before)
        XCTAssertEqual(d.next.status, .awaitingApproval)
        XCTAssertEqual(d.next.creditStatus, .blocked)
        XCTAssertEqual(d.ledger, [.hold])
        XCTAssertEqual(d.notifications, [Notification("meeting_request", to: .expert)])
        XCTAssertEqual(d.booking, BookingStep(path: .request, start: start, lengthMinutes: 60, becomesAgreed: false))
    }

    func testAutoAcceptAgreesAtOnceWithVideoAndBothNotified() throws {
        let d = try Lifecycle.request(start: start, lengthMinutes: 60, priceCredits: 100, autoAccept: true, now: LifecycleTableTests.before)
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertTrue(d.next.expertApproved && d.next.userApproved)
        XCTAssertEqual(d.ledger, [.hold])
        XCTAssertEqual(d.video, [.create])
        XCTAssertEqual(Set(d.notifications.map(\.recipient)), [.user, .expert])
        XCTAssertEqual(d.booking?.becomesAgreed, true, "auto-accept is checked for conflicts")
    }

    func testRequestInThePastIsRefused() {
        XCTAssertEqual(code { try Lifecycle.request(start: self.start, lengthMinutes: 60, priceCredits: 1, autoAccept: false, now: self.start) }, "invalid_params")
    }

    func testFreeMeetingHoldsNothing() throws {
        let d = try Lifecycle.request(start: start, lengthMinutes: 60, priceCredits: 0, autoAccept: true, now: LifecycleTableTests.before)
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.next.creditStatus, .none)
    }

    func testProposalHoldsNothingAndInvitesTheUser() throws {
        let d = try Lifecycle.propose(start: start, lengthMinutes: 45, priceCredits: 80, now: LifecycleTableTests.before)
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.events.map(\.kind), ["expert_approval"])
        XCTAssertEqual(d.notifications, [Notification("expert_meeting_invitation", to: .user)])
    }

    func testExpertConfirmingARequestKeepsTheHoldAndCreatesVideo() throws {
        let d = try decide(userRequest, .confirm(acceptConflicts: false), .party(.expert))
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.events.map(\.kind), ["expert_approval"])
        XCTAssertEqual(d.video, [.create])
        XCTAssertEqual(d.booking, BookingStep(path: .expertConfirm, start: start, lengthMinutes: 60, becomesAgreed: true))
    }

    func testUserConfirmingAProposalHoldsNow() throws {
        let d = try decide(expertProposal, .confirm(acceptConflicts: true), .party(.user))
        XCTAssertEqual(d.ledger, [.hold])
        XCTAssertEqual(d.next.creditStatus, .blocked)
        XCTAssertEqual(d.events.map(\.kind), ["user_approval"])
        XCTAssertEqual(d.booking, BookingStep(path: .userConfirm, start: start, lengthMinutes: 60, becomesAgreed: true, acceptConflicts: true))
    }

    func testDeclineNeedsAListedReasonAndReleases() throws {
        XCTAssertEqual(code { try self.decide(self.userRequest, .decline(reasonCode: "bored", note: nil), .party(.expert)) }, "invalid_params")
        let d = try decide(userRequest, .decline(reasonCode: "schedule_conflict", note: "sorry"), .party(.expert))
        XCTAssertEqual(d.ledger, [.release])
        XCTAssertEqual(d.next.creditStatus, .returned)
        XCTAssertEqual(d.events, [TimelineEvent("rejected_by_expert", reasonCode: "schedule_conflict", note: "sorry", details: ["reason_label": "Schedule conflict"])])
    }

    /// Declining or withdrawing an agreed meeting sends its parties to a cancel; the office, which
    /// does not cancel for the expert, is told whom to ask instead of a step it may not take.
    func testTheOfficeIsNotSentToACancelItMayNotMake() throws {
        func message(_ c: Command, _ a: MeetingActor) -> String? {
            do { _ = try decide(agreed, c, a); return nil } catch let e as AppError { return e.code == .invalidState ? e.message : "\(e.code)" } catch { return "\(error)" }
        }
        for command in [Command.decline(reasonCode: "other", note: nil), .withdraw(note: nil)] {
            XCTAssertEqual(message(command, .party(.expert))?.hasSuffix("cancel it instead (meeting.cancel)"), true, "\(command)")
            let toOffice = message(command, .office) ?? ""
            XCTAssertTrue(toOffice.contains("only the meeting's user or expert cancels it") && !toOffice.contains("instead"), toOffice)
        }
    }

    /// Every event given for a reason keeps the reason's label of the moment beside its code, so
    /// the timeline reads it after the community renames or removes the reason.
    func testEveryEventForAReasonKeepsItsLabel() throws {
        var s = CommunitySettings()
        s.cancellationReasons = [Reason(code: "ill", label: "Ill that day")]
        s.rejectionReasons = [Reason(code: "full", label: "Fully booked")]
        let cancelled = try decide(agreed, .cancel(reasonCode: "ill", note: nil, confirmLate: false), .party(.user), settings: s)
        XCTAssertEqual(cancelled.events.first?.details["reason_label"], "Ill that day")
        XCTAssertEqual(cancelled.events.first?.details["late"], false, "beside the ending's terms")
        let declined = try decide(userRequest, .decline(reasonCode: "full", note: nil), .party(.expert), settings: s)
        XCTAssertEqual(declined.events.first?.details["reason_label"], "Fully booked")
        let withdrawn = try decide(userRequest, .withdraw(note: nil), .party(.user), settings: s)
        XCTAssertNil(withdrawn.events.first?.details["reason_label"], "no reason, no label")
    }

    func testWithdrawnRequestReleases() throws {
        let d = try decide(userRequest, .withdraw(note: nil), .party(.user))
        XCTAssertEqual(d.ledger, [.release])
        XCTAssertEqual(d.next.status, .cancelled)
    }

    /// The 48-hour boundary: 47:59 before is late, 48:00 and 48:01 are not.
    func testCancellationWindowBoundary() throws {
        for (minutesBefore, late) in [(47 * 60 + 59, true), (48 * 60, false), (48 * 60 + 1, false)] {
            let now = start.adding(minutes: -Int64(minutesBefore))
            XCTAssertEqual(Lifecycle.isLate(start: start, now: now, windowHours: 48), late, "\(minutesBefore) minutes before")
            for party in [Party.user, .expert] {
                let refused = code { try self.decide(self.agreed, .cancel(reasonCode: "illness", note: nil, confirmLate: false), .party(party), now: now) }
                XCTAssertEqual(refused, late ? "late_cancellation_requires_confirmation" : nil, "\(party) at \(minutesBefore)")
            }
        }
    }

    func testExpertLateCancellationAlwaysReleases() throws {
        let d = try decide(agreed, .cancel(reasonCode: "illness", note: nil, confirmLate: true), .party(.expert), now: start.adding(minutes: -60))
        XCTAssertEqual(d.ledger, [.release])
        XCTAssertEqual(d.next.creditStatus, .returned)
        XCTAssertEqual(d.video, [.cancel])
        XCTAssertEqual(d.notifications, [Notification("cancellation_by_expert", to: .user), Notification("cancellation_by_expert", to: .expert)])
        XCTAssertEqual(d.events.first?.kind, "cancelled_by_expert")
    }

    func testUserLateCancellationIsChargedTheCommunityPercent() throws {
        var s = settings
        s.userLateCancelChargePercent = 50
        let d = try decide(agreed, .cancel(reasonCode: "illness", note: nil, confirmLate: true), .party(.user), now: start.adding(minutes: -60), settings: s)
        XCTAssertEqual(d.ledger, [.capture(credits: 50)])
        XCTAssertEqual(d.next.creditStatus, .paid)
        XCTAssertEqual(d.notifications, [Notification("cancellation_by_user", to: .expert), Notification("cancellation_by_user", to: .user)])
        s.userLateCancelChargePercent = 0
        let free = try decide(agreed, .cancel(reasonCode: "illness", note: nil, confirmLate: true), .party(.user), now: start.adding(minutes: -60), settings: s)
        XCTAssertEqual(free.ledger, [.release])
    }

    func testUserEarlyCancellationReleasesWithoutConfirmation() throws {
        let d = try decide(agreed, .cancel(reasonCode: "other", note: nil, confirmLate: false), .party(.user))
        XCTAssertEqual(d.ledger, [.release])
        XCTAssertEqual(d.events.first?.details["late"], false)
    }

    func testReschedulingAnAgreedMeetingKeepsTheOriginalDateAndHold() throws {
        let newStart = start.adding(minutes: 3 * 24 * 60)
        let d = try decide(agreed, .reschedule(start: newStart, lengthMinutes: 90, priceCredits: 100, note: nil), .party(.expert))
        XCTAssertEqual(d.next.start, start)
        XCTAssertEqual(d.next.alternate, Alternate(start: newStart, lengthMinutes: 90, priceCredits: 100, proposedBy: .expert, note: nil))
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_selected_by_expert", "approved_by_expert"])
        XCTAssertEqual(d.notifications, [Notification("rescheduling_agreed_by_expert", to: .user)])
        XCTAssertFalse(d.timeChanged)
    }

    /// A new date for an agreed meeting changes something: its own date and length again is
    /// refused (the other side would be asked to agree to nothing).
    func testReschedulingAnAgreedMeetingToItsOwnDateIsRefused() throws {
        XCTAssertThrowsError(try decide(
            agreed, .reschedule(start: agreed.start, lengthMinutes: agreed.lengthMinutes, priceCredits: agreed.priceCredits, note: nil), .party(.expert))
        ) { XCTAssertEqual(($0 as? AppError)?.details["field"], "start", "\($0)") }
        let longer = try decide(
            agreed, .reschedule(start: agreed.start, lengthMinutes: agreed.lengthMinutes + 30, priceCredits: agreed.priceCredits, note: nil), .party(.expert))
        XCTAssertEqual(longer.next.alternate?.lengthMinutes, agreed.lengthMinutes + 30)
    }

    func testReschedulingARejectedMeetingAsksTheOtherSideAgain() throws {
        let rejected = LifecycleTableTests.states[5].1
        let byExpert = try decide(rejected, .reschedule(start: start.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, note: nil), .party(.expert))
        XCTAssertEqual(byExpert.next.status, .awaitingApproval)
        XCTAssertTrue(byExpert.next.expertApproved)
        XCTAssertFalse(byExpert.next.userApproved)
        XCTAssertEqual(byExpert.ledger, [], "the user's approval re-holds later")
        XCTAssertEqual(byExpert.notifications, [Notification("rescheduling_rejected_by_expert", to: .user)])
        let byUser = try decide(rejected, .reschedule(start: start.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, note: nil), .party(.user))
        XCTAssertEqual(byUser.ledger, [.hold], "the user approving a new date holds again")
    }

    func testCounterOfferKeepsTheHoldAndSwapsApprovals() throws {
        let d = try decide(userRequest, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 60, priceCredits: 100, note: "later?"), .party(.expert))
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.next.creditStatus, .blocked)
        XCTAssertTrue(d.next.expertApproved)
        XCTAssertFalse(d.next.userApproved)
        XCTAssertEqual(d.next.start, start.adding(minutes: 120))
        XCTAssertEqual(d.events.first?.note, "later?")
        XCTAssertEqual(d.notifications, [Notification("counter_offer_by_expert", to: .user)])
    }

    /// A counter-offer of the date, length and price asked already changes nothing but the
    /// approvals: it is refused, and the side asked is sent to confirm (it cleared the user's
    /// approval and told them of "another time"); a new length or price alone is a new offer.
    func testACounterOfferOfWhatIsAskedAlreadyIsRefused() throws {
        let same = Command.reschedule(start: userRequest.start, lengthMinutes: userRequest.lengthMinutes, priceCredits: userRequest.priceCredits, note: nil)
        for (actor, says) in [(MeetingActor.party(.expert), "meeting.confirm"), (.party(.user), "other side's answer")] {
            XCTAssertThrowsError(try decide(userRequest, same, actor), "\(actor)") { error in
                XCTAssertEqual((error as? AppError)?.details["field"], "start")
                XCTAssertTrue((error as? AppError)?.message.contains(says) ?? false, "\(error)")
            }
        }
        // The user accepted the expert's date where the community requires session details: it
        // waits for the expert to make the session, not for the other side.
        var accepted = userRequest
        accepted.expertApproved = true
        XCTAssertThrowsError(try decide(accepted, same, .party(.expert))) { error in
            XCTAssertTrue((error as? AppError)?.message.contains("make the session") ?? false, "\(error)")
        }
        let longer = Command.reschedule(start: userRequest.start, lengthMinutes: 90, priceCredits: 150, note: nil)
        XCTAssertEqual(try decide(userRequest, longer, .party(.expert)).next.lengthMinutes, 90)
    }

    /// SPEC §5.2: the expert's counter-offer of another length keeps the hold the user made (100
    /// credits for 60 minutes); the user's answer replaces it with the new price or returns it.
    func testACounterOfferOfAnotherLengthKeepsTheUsersHoldUntilTheyAnswer() throws {
        let longer = try decide(userRequest, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 90, priceCredits: 150, note: nil), .party(.expert))
        XCTAssertEqual(longer.ledger, [], "nothing is released")
        XCTAssertEqual(longer.next.creditStatus, .blocked)
        XCTAssertEqual(longer.next.heldCredits, 100)
        XCTAssertEqual(longer.next.priceCredits, 150)

        let accepted = try decide(longer.next, .confirm(acceptConflicts: false), .party(.user))
        XCTAssertEqual(accepted.ledger, [.release, .hold], "the hold becomes the new price")
        XCTAssertEqual(accepted.next.heldCredits, 150)
        XCTAssertEqual(accepted.next.creditStatus, .blocked)
        XCTAssertEqual(accepted.next.status, .agreed)

        let declined = try decide(longer.next, .decline(reasonCode: "schedule_conflict", note: nil), .party(.user))
        XCTAssertEqual(declined.ledger, [.release])
        XCTAssertEqual(declined.next.heldCredits, 0)
        XCTAssertEqual(declined.next.creditStatus, .returned)

        // Shorter and free: the user's yes returns what was held and holds nothing.
        let free = try decide(userRequest, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 30, priceCredits: 0, note: nil), .party(.expert))
        XCTAssertEqual(free.ledger, [])
        XCTAssertEqual(free.next.heldCredits, 100)
        let yes = try decide(free.next, .confirm(acceptConflicts: false), .party(.user))
        XCTAssertEqual(yes.ledger, [.release])
        XCTAssertEqual(yes.next.creditStatus, .returned)
        XCTAssertEqual(yes.next.status, .agreed)

        // The same length keeps the hold as it is, and the user's yes holds nothing more.
        let later = try decide(userRequest, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 60, priceCredits: 100, note: nil), .party(.expert))
        XCTAssertEqual(try decide(later.next, .confirm(acceptConflicts: false), .party(.user)).ledger, [])
    }

    /// The user's own counter-offer of another length is their approval of its price: the hold
    /// becomes that price at once.
    func testTheUsersCounterOfferOfAnotherLengthHoldsItsPrice() throws {
        let expertsCounter = try decide(userRequest, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 90, priceCredits: 150, note: nil), .party(.expert))
        let usersCounter = try decide(
            expertsCounter.next, .reschedule(start: start.adding(minutes: 240), lengthMinutes: 120, priceCredits: 200, note: nil), .party(.user))
        XCTAssertEqual(usersCounter.ledger, [.release, .hold])
        XCTAssertEqual(usersCounter.next.heldCredits, 200)
        XCTAssertTrue(usersCounter.next.userApproved)
        let fromNothing = try decide(expertProposal, .reschedule(start: start.adding(minutes: 120), lengthMinutes: 30, priceCredits: 50, note: nil), .party(.user))
        XCTAssertEqual(fromNothing.ledger, [.hold])
        XCTAssertEqual(fromNothing.next.heldCredits, 50)
    }

    func testConfirmingAnAlternateMovesTheMeeting() throws {
        let m = LifecycleTableTests.states[3].1
        let d = try decide(m, .confirmAlternate(acceptConflicts: false), .party(.expert))
        XCTAssertEqual(d.next.start, m.alternate!.start)
        XCTAssertNil(d.next.alternate)
        XCTAssertEqual(d.ledger, [], "the hold stays: exactly one")
        XCTAssertEqual(d.video, [.cancel, .create])
        XCTAssertEqual(d.booking?.path, .expertConfirmsAlternate)
        XCTAssertEqual(d.booking?.start, m.alternate!.start)
        XCTAssertTrue(d.timeChanged)
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_approved_by_expert"])
    }

    /// An alternate whose date passed before anyone answered cannot be confirmed (the error says
    /// why), and no longer blocks proposing another date.
    func testAnAlternateWhoseDateHasPassedIsReplacedNotConfirmed() throws {
        var m = agreed
        let before = LifecycleTableTests.before
        m.alternate = Alternate(start: before.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, proposedBy: .user, note: nil)
        let later = before.adding(minutes: 120)
        XCTAssertThrowsError(try decide(m, .confirmAlternate(acceptConflicts: false), .party(.expert), now: later)) { error in
            XCTAssertEqual((error as? AppError)?.dataCode, "invalid_state")
            XCTAssertTrue("\(error)".contains("has passed"), "\(error)")
        }
        XCTAssertEqual(code { try self.decide(m, .reschedule(start: later.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, note: nil), .party(.user), now: before) },
                       "invalid_state", "an open alternate still to come blocks another")
        let replaced = try decide(m, .reschedule(start: later.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, note: nil), .party(.expert), now: later)
        XCTAssertEqual(replaced.next.alternate?.start, later.adding(minutes: 60))
        XCTAssertEqual(replaced.next.alternate?.proposedBy, .expert)
        XCTAssertEqual(replaced.next.start, m.start, "the agreed date stays")
    }

    /// The jobs close a proposed new date that passed unanswered; the agreed date and hold stay.
    func testAnAlternateThatPassedUnansweredExpires() throws {
        var m = agreed
        let before = LifecycleTableTests.before
        m.alternate = Alternate(start: before.adding(minutes: 60), lengthMinutes: 60, priceCredits: 100, proposedBy: .expert, note: nil)
        XCTAssertEqual(code { try self.decide(m, .expire, .system, now: before) }, "invalid_state", "not before its date")
        let d = try decide(m, .expire, .system, now: before.adding(minutes: 60))
        XCTAssertNil(d.next.alternate)
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertEqual(d.next.start, m.start)
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_expired"])
        XCTAssertEqual(
            d.notifications, [Notification("alternative_date_expired", to: .expert), Notification("alternative_date_unanswered", to: .user)],
            "the proposer is told, and the side that did not answer while the meeting is ahead")
        let atStart = try decide(m, .expire, .system, now: m.start)
        XCTAssertEqual(atStart.notifications, [Notification("alternative_date_expired", to: .expert)], "at the meeting's start only the proposer")
        XCTAssertEqual(code { try self.decide(m, .expire, .party(.user), now: before.adding(minutes: 60)) }, "forbidden")
    }

    func testRejectingAnAlternateKeepsAnAgreedMeeting() throws {
        let m = LifecycleTableTests.states[4].1
        XCTAssertEqual(code { try self.decide(m, .rejectAlternate(reasonCode: "nope", note: nil), .party(.user)) }, "invalid_params")
        let d = try decide(m, .rejectAlternate(reasonCode: "other", note: nil), .party(.user))
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertEqual(d.next.start, start)
        XCTAssertEqual(d.ledger, [])
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_rejected_by_user"])
    }

    func testLoggingCapturesAndValidatesTheDuration() throws {
        let after = start.adding(minutes: 70)
        let d = try decide(agreed, .logSession(attendance: .attended, durationAdjustMinutes: -10, feedback: nil), .party(.expert), now: after)
        XCTAssertEqual(d.ledger, [.capture(credits: 100)])
        XCTAssertEqual(d.durationMinutes, 50)
        XCTAssertFalse(d.countsAsUserNoShow)
        for bad: Int64 in [3, -245, 250] {
            XCTAssertEqual(code { try self.decide(self.agreed, .logSession(attendance: .attended, durationAdjustMinutes: bad, feedback: nil), .party(.expert), now: after) }, "invalid_params")
        }
        let noShow = try decide(agreed, .logSession(attendance: .noShow, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: after)
        XCTAssertEqual(noShow.ledger, [.capture(credits: 100)])
        XCTAssertTrue(noShow.countsAsUserNoShow)
        XCTAssertEqual(code { try self.decide(self.agreed, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert)) }, "invalid_state")
        // The refusal says the step in words and its reason, not the status that allows logging.
        do {
            _ = try decide(agreed, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert))
        } catch let e as AppError {
            XCTAssertTrue(e.message.hasPrefix("Cannot log the session of this meeting: the meeting has not started yet"), e.message)
            XCTAssertEqual(e.details["action"], "log_session", "the method's name stays in the details")
        }
        // An attended session lasted some time: taking all 60 minutes off is refused.
        XCTAssertEqual(code { try self.decide(self.agreed, .logSession(attendance: .attended, durationAdjustMinutes: -60, feedback: nil), .party(.expert), now: after) }, "invalid_params")
    }

    /// Nobody is recorded absent before the meeting's time is over: a minute into the meeting
    /// neither side's no-show is taken, at its end both are.
    func testANoShowWaitsForTheEndOfTheMeeting() throws {
        let during = start.adding(minutes: 1), end = start.adding(minutes: 60)
        XCTAssertEqual(code { try self.decide(self.agreed, .logSession(attendance: .noShow, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: during) }, "invalid_state")
        XCTAssertEqual(code { try self.decide(self.agreed, .reportNoShow, .party(.user), now: during) }, "invalid_state")
        XCTAssertEqual(code { try self.decide(self.agreed, .reportNoShow, .admin, now: start.adding(minutes: 59)) }, "invalid_state")
        XCTAssertEqual(try decide(agreed, .logSession(attendance: .noShow, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: end).attendance, .noShow)
        XCTAssertEqual(try decide(agreed, .reportNoShow, .party(.user), now: end).attendance, .expertNoShow)
        XCTAssertEqual(try decide(agreed, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: during).attendance,
                       .attended, "a session that took place may be logged once it started")
    }

    /// A meeting closed by one side (logged, or a no-show reported) refuses the other side's
    /// step with what they can still do: ask the staff (finance correct credits, an admin lifts a
    /// suspension).
    func testAClosedMeetingTellsTheOtherSideWhomToAsk() throws {
        let end = start.adding(minutes: 60)
        let logged = try decide(agreed, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert), now: end).next
        let reported = try decide(agreed, .reportNoShow, .party(.user), now: end).next
        for (closed, command, actor, words) in [
            (logged, Command.reportNoShow, MeetingActor.party(.user), "Cannot report a no-show for a meeting whose status is completed: it is already closed (its session logged, or a no-show reported); to dispute that, ask the community's staff"),
            (reported, .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil), .party(.expert), "Cannot log the session of a meeting whose status is completed: it is already closed"),
        ] {
            XCTAssertThrowsError(try decide(closed, command, actor, now: end)) {
                XCTAssertTrue(($0 as? AppError)?.message.hasPrefix(words) == true, "\($0)")
            }
        }
    }

    /// A step asked of a meeting that ended (withdrawn, or expired unanswered) says so and what
    /// is left: booking another.
    func testAnEndedMeetingSaysItEndedAndToBookAnother() throws {
        let withdrawn = try decide(userRequest, .withdraw(note: nil), .party(.user)).next
        let expired = try decide(userRequest, .expire, .system, now: start).next
        for (ended, how) in [(withdrawn, "it was cancelled"), (expired, "it expired unanswered")] {
            for (command, actor) in [(Command.confirm(acceptConflicts: false), MeetingActor.party(.expert)),
                                     (.decline(reasonCode: settings.rejectionReasons[0].code, note: nil), .party(.expert)),
                                     (.cancel(reasonCode: settings.cancellationReasons[0].code, note: nil, confirmLate: false), .party(.user)),
                                     (.reportNoShow, .party(.user))] {
                XCTAssertThrowsError(try decide(ended, command, actor, now: start)) {
                    let message = ($0 as? AppError)?.message ?? "\($0)"
                    XCTAssertTrue(message.contains(how) && message.hasSuffix("book another (meeting.request)"), "\(command): \(message)")
                }
            }
        }
        // A declined meeting is given a new date before its start; after it, another time is a
        // new request (as meeting.reschedule then says).
        let declined = try decide(userRequest, .decline(reasonCode: settings.rejectionReasons[0].code, note: nil), .party(.expert)).next
        XCTAssertThrowsError(try decide(declined, .reportNoShow, .party(.user), now: start.adding(minutes: 120))) {
            let message = ($0 as? AppError)?.message ?? "\($0)"
            XCTAssertTrue(message.hasSuffix("after it another time is a new request (meeting.request)"), message)
        }
    }

    /// A second new date for an agreed meeting is refused with the step that frees the way:
    /// the proposer withdraws theirs, the other side answers it.
    func testASecondNewDateSaysWhoseStepComesFirst() throws {
        let first = start.adding(minutes: 3 * 24 * 60), second = start.adding(minutes: 4 * 24 * 60)
        let open = try decide(agreed, .reschedule(start: first, lengthMinutes: 60, priceCredits: 100, note: nil), .party(.user)).next
        for (side, words) in [(Party.user, "withdraw yours first (meeting.withdraw_alternate)"), (.expert, "answer it first (meeting.confirm_alternate or meeting.reject_alternate)")] {
            XCTAssertThrowsError(try decide(open, .reschedule(start: second, lengthMinutes: 60, priceCredits: 100, note: nil), .party(side))) {
                XCTAssertTrue(($0 as? AppError)?.message.contains(words) == true, "\(side): \($0)")
            }
        }
    }

    /// A price of one credit is said as one: "The 1 credits will be charged" read wrong.
    func testOneCreditIsSaidInTheSingular() {
        XCTAssertEqual(Lifecycle.lateEndingConsequences(dates: 1, charged: 1, price: 1, byExpert: false), "The 1 credit will be charged.")
        XCTAssertEqual(Lifecycle.lateEndingConsequences(dates: 1, charged: 2, price: 2, byExpert: false), "The 2 credits will be charged.")
    }

    func testExpertNoShowReleasesAndExpiryReleases() throws {
        let after = start.adding(minutes: 5)
        let report = try decide(agreed, .reportNoShow, .party(.user), now: start.adding(minutes: 60))
        XCTAssertEqual(report.ledger, [.release])
        XCTAssertEqual(report.attendance, .expertNoShow)
        let expired = try decide(userRequest, .expire, .system, now: after)
        XCTAssertEqual(expired.ledger, [.release])
        XCTAssertEqual(expired.next.creditStatus, .returned)
        let unheld = try decide(expertProposal, .expire, .system, now: after)
        XCTAssertEqual(unheld.ledger, [])
        XCTAssertEqual(unheld.next.creditStatus, .none)
    }

    func testAwaitingShowsWhoseTurnItIs() {
        XCTAssertEqual(userRequest.awaiting, .expert)
        XCTAssertEqual(expertProposal.awaiting, .user)
        XCTAssertNil(agreed.awaiting)
        XCTAssertEqual(LifecycleTableTests.states[3].1.awaiting, .expert)
    }
}

/// Seed 004: a declined meeting given a new date waits for the other side, who may answer that
/// date as the alternative date it is: confirm_alternate approves it (agreed, the price held),
/// reject_alternate turns it down with a reason (rejected again, the credits returned).
final class NewDateAfterRejectionTests: XCTestCase {
    let settings = LifecycleTableTests.settings
    /// The user's new date after the expert declined: approved by the user, the price held.
    let usersNewDate = LifecycleTableTests.state(.awaitingApproval, .blocked, user: true, expert: false, by: .user)

    func decide(_ m: MeetingState, _ c: Command, _ a: MeetingActor, afterRejection: Bool = true) throws -> Decision {
        try Lifecycle.decide(m, c, by: a, now: LifecycleTableTests.before, settings: settings, dateAfterRejection: afterRejection)
    }

    func code(_ body: () throws -> Decision) -> String? {
        do { _ = try body(); return nil } catch let e as AppError { return e.dataCode } catch { return "\(error)" }
    }

    func testTheOtherSideConfirmsTheNewDateAsItsAlternative() throws {
        let d = try decide(usersNewDate, .confirmAlternate(acceptConflicts: false), .party(.expert))
        XCTAssertEqual(d.next.status, .agreed)
        XCTAssertEqual(d.next.creditStatus, .blocked)
        XCTAssertEqual(d.ledger, [], "the user's approval already holds the price")
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_approved_by_expert"])
        XCTAssertEqual(d.video, [.create])
        XCTAssertEqual(d.booking?.path, .expertConfirm, "the booking rules of a confirmation apply")
        XCTAssertEqual(d.booking?.becomesAgreed, true)

        let expertsNewDate = LifecycleTableTests.state(.awaitingApproval, .returned, user: false, expert: true, by: .expert)
        let byUser = try decide(expertsNewDate, .confirmAlternate(acceptConflicts: false), .party(.user))
        XCTAssertEqual(byUser.next.status, .agreed)
        XCTAssertEqual(byUser.ledger, [.hold], "the user's approval holds the price again")
        XCTAssertEqual(byUser.booking?.path, .userConfirm)
    }

    func testTheOtherSideRejectsTheNewDateAndTheCreditsReturn() throws {
        let d = try decide(usersNewDate, .rejectAlternate(reasonCode: "schedule_conflict", note: "not then either"), .party(.expert))
        XCTAssertEqual(d.next.status, .rejected)
        XCTAssertEqual(d.next.creditStatus, .returned)
        XCTAssertEqual(d.ledger, [.release])
        XCTAssertEqual(d.events.map(\.kind), ["alternative_date_rejected_by_expert"])
        XCTAssertEqual(d.events.first?.reasonCode, "schedule_conflict")
        XCTAssertEqual(d.notifications, [Notification("alternative_date_rejected_by_expert", to: .user)])
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .rejectAlternate(reasonCode: "nope", note: nil), .party(.expert)) }, "invalid_params")
    }

    func testOnlyTheOtherSideAnswersAndOnlyANewDateAfterARejection() {
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .rejectAlternate(reasonCode: "other", note: nil), .party(.user)) }, "invalid_state",
                       "the proposer withdraws instead")
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .confirmAlternate(acceptConflicts: false), .party(.user)) }, "invalid_state")
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .confirmAlternate(acceptConflicts: false), .admin) }, "forbidden")
        // A request never declined has no alternative date to answer.
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .rejectAlternate(reasonCode: "other", note: nil), .party(.expert), afterRejection: false) },
                       "invalid_state")
        XCTAssertEqual(code { try self.decide(self.usersNewDate, .confirmAlternate(acceptConflicts: false), .party(.expert), afterRejection: false) },
                       "invalid_state")
    }
}
