import Community
import Core
import Meetings
import XCTest

@testable import Rendering

/// What a person reads for a notification: the community's words, the recipient's clock, the
/// other side's note, and a push text short enough for a phone.
final class NotificationTextTests: XCTestCase {
    let sam = PersonFacts(id: "per_s", email: "sam@x.example", firstName: "Sam", lastName: "Lee", roles: [.user], timeZone: "Europe/Prague")
    let talia = PersonFacts(id: "per_t", email: "talia@x.example", firstName: "Talia", lastName: "Kim", roles: [.expert], timeZone: "America/New_York")
    /// Monday 11 March 2030, 14:00 UTC.
    let start = Instant(seconds: 1_899_468_000)

    func settings() throws -> CommunitySettings {
        var s = CommunitySettings()
        try s.apply(["short_name": "TP", "labels": ["provider": "Tutor", "class": "Course"]], path: "")
        return s
    }

    /// Seed 003, step 15: a user's own new date comes back to them as a receipt, in the first
    /// person, not as "Sam proposes" to Sam; the expert reads it as the other side's proposal.
    func testAUsersOwnNewDateComesBackAsAReceipt() throws {
        let meeting: JSON = ["length_minutes": 60, "price_credits": 100]
        let receipt = NotificationText.compose(
            kind: "rescheduling_rejected_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": meeting], settings: try settings())
        XCTAssertEqual(receipt.subject, "[TP] You proposed Mon 11 Mar 2030 15:00 CET")
        XCTAssertTrue(receipt.body.contains("You proposed a new date for the declined meeting with Talia Kim: Mon 11 Mar 2030 15:00 CET"), receipt.body)
        let asked = NotificationText.compose(
            kind: "rescheduling_rejected_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["recipient_role": "expert", "meeting": meeting], settings: try settings())
        XCTAssertTrue(asked.body.contains("Sam Lee proposes a new date for the declined meeting"), asked.body)
        let moved = NotificationText.compose(
            kind: "rescheduling_agreed_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": meeting], settings: try settings())
        XCTAssertEqual(moved.subject, "[TP] You proposed a new date")
        XCTAssertTrue(moved.body.contains("until Talia Kim approves the new one"), moved.body)
    }

    func testAnInvitationSpeaksTheCommunitysWordsOnTheRecipientsClock() throws {
        let t = NotificationText.compose(
            kind: "expert_meeting_invitation", recipient: sam, counterpart: talia, service: "CHEM101", start: start, payload: [:], settings: try settings())
        XCTAssertEqual(t.subject, "[TP] Tutor Talia Kim invites you to a meeting")
        XCTAssertTrue(t.body.contains("Mon 11 Mar 2030 15:00 CET"), t.body)
        XCTAssertTrue(t.body.contains("Course CHEM101"), t.body)
        XCTAssertTrue(t.body.hasPrefix("Hello Sam,"))
    }

    /// Seed 002 recommends "Peer Mentor" for both labels and services named "Peer Mentoring
    /// with …" and "All available Peer Mentoring": the label is not said twice.
    func testAServiceThatHoldsTheCommunitysWordIsNamedAlone() throws {
        var s = CommunitySettings()
        try s.apply(["labels": ["provider": "Peer Mentor", "class": "Peer Mentor"]], path: "")
        XCTAssertEqual(NotificationText.service("Peer Mentoring with Talia K", s), "Peer Mentoring with Talia K")
        XCTAssertEqual(NotificationText.service("All available Peer Mentoring", s), "All available Peer Mentoring")
        XCTAssertEqual(NotificationText.service("CHEM101", try settings()), "Course CHEM101")
        XCTAssertEqual(s.labelsOf(["provider", "class"]), ["Peer Mentor"])
        XCTAssertEqual(try settings().labelsOf(["provider", "class"]), ["Tutor", "Course"])
        // Its other naming, the class called after the service ("Peer Mentoring Services"): a
        // name beginning with the label's first word is named alone too; another is labelled.
        var services = CommunitySettings()
        try services.apply(["labels": ["provider": "Peer Mentor", "class": "Peer Mentoring Service"]], path: "")
        XCTAssertEqual(NotificationText.service("Peer Mentoring with Talia K", services), "Peer Mentoring with Talia K")
        XCTAssertEqual(NotificationText.service("Career Coaching", services), "Peer Mentoring Service Career Coaching")
        XCTAssertEqual(NotificationText.service("Peer review of essays", services), "Peer Mentoring Service Peer review of essays", "a first word shared only")
    }

    /// Seed 000: students or admins create appointments. The expert reads which, and who
    /// reported them absent.
    func testTheExpertIsToldWhoBookedAndWhoReportedThemAbsent() throws {
        let byAdmin = NotificationText.compose(
            kind: "meeting_request", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["actor_role": "admin", "recipient_role": "expert"], settings: try settings())
        XCTAssertEqual(byAdmin.subject, "[TP] New meeting request for Sam Lee, made by an admin")
        XCTAssertTrue(byAdmin.body.contains("An admin asked for a meeting with you on Mon 11 Mar 2030 10:00 EDT for Course CHEM101, on Sam Lee's behalf."), byAdmin.body)
        let own = NotificationText.compose(
            kind: "meeting_request", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["actor_role": "user", "recipient_role": "expert"], settings: try settings())
        XCTAssertEqual(own.subject, "[TP] New meeting request from Sam Lee")
        for (role, reporter) in [("user", "Sam Lee"), ("admin", "An admin")] {
            let absent = NotificationText.compose(
                kind: "expert_no_show", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
                payload: ["actor_role": .string(role), "recipient_role": "expert"], settings: try settings())
            XCTAssertTrue(absent.body.contains("\(reporter) reported that you did not attend the meeting of Mon 11 Mar 2030 10:00 EDT"), absent.body)
        }
        let toUser = NotificationText.compose(
            kind: "expert_no_show", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["actor_role": "admin", "recipient_role": "user", "meeting": ["credit_status": "returned"]], settings: try settings())
        XCTAssertTrue(toUser.body.contains("An admin recorded that Talia Kim did not attend your meeting of Mon 11 Mar 2030 15:00 CET. The credits held for it are returned."), toUser.body)
    }

    /// Seed 003: a customer books for their student. The customer is told the student missed the
    /// meeting (they were told they had missed it themself).
    func testACustomerIsToldTheirStudentMissedAMeeting() throws {
        let forStudent = NotificationText.compose(
            kind: "user_no_show", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": ["student_name": "Alex Young", "credit_status": "paid"]], settings: try settings())
        XCTAssertTrue(forStudent.body.contains("Talia Kim reported that Alex Young did not attend the meeting of"), forStudent.body)
        let own = NotificationText.compose(
            kind: "user_no_show", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": ["credit_status": "paid"]], settings: try settings())
        XCTAssertTrue(own.body.contains("Talia Kim reported that you did not attend the meeting of"), own.body)
    }

    /// Reminders and the expert's link carry no meeting of their own: the student comes from the
    /// meeting as it is (seed 003: every message about a student's meeting names the student).
    func testARemindersMeetingForAStudentNamesTheStudent() throws {
        let details = NotificationText.MeetingDetails(lengthMinutes: 60, studentName: "Alex Young")
        for (kind, recipient, counterpart) in [("meeting_reminder", sam, talia), ("meeting_link", talia, sam)] {
            let t = NotificationText.compose(
                kind: kind, recipient: recipient, counterpart: counterpart, service: "CHEM101", start: start,
                payload: ["recipient_role": recipient == sam ? "user" : "expert", "meeting_id": "mtg_1"], settings: try settings(), details: details)
            XCTAssertTrue(t.body.contains("The meeting is for Alex Young."), "\(kind): \(t.body)")
        }
        // A message that carries the meeting as it was goes by that meeting.
        let own = NotificationText.compose(
            kind: "meeting_confirmed_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": ["status": "agreed"]], settings: try settings(), details: details)
        XCTAssertFalse(own.body.contains("Alex Young"), own.body)
    }

    /// The expert's link message gives the link; a video meeting without one says it has none
    /// yet; an in-person meeting's says nothing of a link.
    func testTheLinkMessageSaysWhenAVideoMeetingHasNoLinkYet() throws {
        func body(_ link: String?, byVideo: Bool?) throws -> String {
            var payload: [String: JSON] = ["recipient_role": "expert", "meeting_id": "mtg_1"]
            if let link { payload["video_url"] = .string(link) }
            return NotificationText.compose(
                kind: "meeting_link", recipient: talia, counterpart: sam, service: "CHEM101", start: start, payload: .object(payload),
                settings: try settings(), details: .init(lengthMinutes: 60, byVideo: byVideo)).body
        }
        let none = "no link has been set for it yet"
        let missing = try body(nil, byVideo: true)
        XCTAssertTrue(missing.contains("It is held by video, and \(none)."), missing)
        let given = try body("https://video.example/r1", byVideo: true)
        XCTAssertTrue(given.contains("Join: https://video.example/r1") && !given.contains(none), given)
        XCTAssertFalse(try body(nil, byVideo: false).contains(none))
        XCTAssertFalse(try body(nil, byVideo: nil).contains(none), "a meeting with no place known says nothing of it")
    }

    /// The mail that tells a logged session says how long it was logged as, beside its booked length.
    func testALoggedSessionSaysItsLoggedLength() throws {
        let details = NotificationText.MeetingDetails(lengthMinutes: 60, loggedMinutes: 50)
        let t = NotificationText.compose(
            kind: "session_logged", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": ["credit_status": "paid"]], settings: try settings(), details: details)
        XCTAssertTrue(t.body.contains("When:   Mon 11 Mar 2030 15:00 CET, 60 minutes (your time zone: Europe/Prague)\nLogged: 50 minutes\n"), t.body)
    }

    /// A customer's decline tells the tutor its public reason, as the tutor's decline tells the
    /// customer (the tutor's mail had none).
    func testADeclineTellsTheOtherSideItsReason() throws {
        let t = NotificationText.compose(
            kind: "meeting_rejected_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["recipient_role": "expert", "meeting": ["status": "rejected", "decline_reason": ["code": "schedule_conflict", "label": "Schedule conflict"]]],
            settings: try settings())
        XCTAssertTrue(t.body.contains("Sam Lee declined the meeting on Mon 11 Mar 2030 10:00 EDT. Reason: Schedule conflict."), t.body)
    }

    /// The customer's own decline and counter-offer come back to them as receipts in their own
    /// words: what they did, with whom (not "Talia Kim declined", the other side's wording).
    func testTheCustomersOwnStepsAreConfirmedToThemInTheirWords() throws {
        let declined = NotificationText.compose(
            kind: "meeting_rejected_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "meeting": ["status": "rejected", "credit_status": "returned"]], settings: try settings())
        XCTAssertTrue(declined.body.contains("You declined the meeting on Mon 11 Mar 2030 15:00 CET with Talia Kim. The credits held for it are returned."), declined.body)
        XCTAssertFalse(declined.body.contains("Talia Kim declined"), declined.body)
        let countered = NotificationText.compose(
            kind: "counter_offer_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "previous_start": "2030-03-11T12:00:00Z", "meeting": ["length_minutes": 60, "price_credits": 100]],
            settings: try settings())
        XCTAssertTrue(countered.body.contains("You proposed Mon 11 Mar 2030 15:00 CET (60 minutes, 100 credits) instead of Mon 11 Mar 2030 13:00 CET to Talia Kim, who will confirm or decline it."), countered.body)
    }

    func testTheOtherSidesNoteGoesWithTheMessage() throws {
        let t = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["note": "Tuesday works better"], settings: try settings())
        XCTAssertTrue(t.body.contains("Note from Talia Kim: Tuesday works better"), t.body)
    }

    /// A declined meeting's mail to its user shows what meeting.get shows them: with whom and the
    /// public reason, not the session's details nor the note the expert wrote (seeds 000, 001),
    /// and the date they asked for, so they know which of their requests it was.
    func testADeclineToldToTheUserHidesTheDetailsAndTheNote() throws {
        let declined: JSON = ["status": "rejected", "credit_status": "returned", "decline_reason": ["code": "schedule_conflict", "label": "Schedule conflict"],
                              "student_name": "Alex Young"]
        let details = NotificationText.MeetingDetails(lengthMinutes: 60, location: "Room 1", topic: "Decimals")
        let toUser = NotificationText.compose(
            kind: "meeting_rejected_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": declined, "recipient_role": "user", "details_hidden": true, "note": "internal: not this family"], settings: try settings(),
            details: details)
        let asked = LocalTimeText.format(start, zone: sam.timeZone)
        XCTAssertTrue(
            toUser.body.contains("Talia Kim declined the meeting on \(asked). The credits held for it are returned. Reason: Schedule conflict."), toUser.body)
        XCTAssertTrue(toUser.body.contains("The meeting is for Alex Young."), toUser.body)
        for secret in ["internal", "Room 1", "Decimals", "60 min"] {
            XCTAssertFalse(toUser.body.contains(secret) || toUser.push.contains(secret) || toUser.subject.contains(secret), "\(secret) in \(toUser)")
        }
        // The user's own decline of the expert's proposal is told to them as theirs.
        let ownDecline = NotificationText.compose(
            kind: "meeting_rejected_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": declined, "recipient_role": "user", "details_hidden": true, "note": "Too early for me"], settings: try settings(),
            details: details)
        XCTAssertTrue(ownDecline.body.contains("You declined the meeting on \(asked) with Talia Kim."), ownDecline.body)
        XCTAssertFalse(ownDecline.body.contains("Talia Kim declined") || ownDecline.body.contains("Room 1"), ownDecline.body)
        // The expert's side keeps the whole story (a user declining an expert's proposal).
        let toExpert = NotificationText.compose(
            kind: "meeting_rejected_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": declined, "recipient_role": "expert", "details_hidden": false, "note": "Too early for me"], settings: try settings(),
            details: details)
        XCTAssertTrue(toExpert.body.contains("Note from Sam Lee: Too early for me") && toExpert.body.contains("Room 1"), toExpert.body)
    }

    /// What the office did on the expert's side is told to the expert as the office's doing, and
    /// a note the office wrote is the office's, to both sides (seed 003).
    func testTheOfficesActionsAreToldAsTheOffices() throws {
        let payload: JSON = ["meeting": ["status": "awaiting_approval"], "recipient_role": "expert", "actor_role": "office", "note": "Tom is busy at 10"]
        let toExpert = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: talia, counterpart: sam, service: "CHEM101", start: start, payload: payload, settings: try settings())
        XCTAssertEqual(toExpert.subject, "[TP] The office updated your meeting with Sam Lee")
        XCTAssertTrue(toExpert.body.contains("On your behalf, the office proposed Mon 11 Mar 2030 10:00 EDT to Sam Lee"), toExpert.body)
        XCTAssertTrue(toExpert.body.contains("Note from the office: Tom is busy at 10"), toExpert.body)
        XCTAssertFalse(toExpert.body.contains("Sam Lee proposes"), toExpert.body)
        let userPayload: JSON = ["meeting": ["status": "awaiting_approval"], "recipient_role": "user", "actor_role": "office", "note": "Tom is busy at 10"]
        let toUser = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start, payload: userPayload, settings: try settings())
        XCTAssertTrue(toUser.body.contains("Talia Kim proposes") && toUser.body.contains("Note from the office: Tom is busy at 10"), toUser.body)
        let declined = NotificationText.compose(
            kind: "meeting_rejected_by_expert", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["recipient_role": "expert", "actor_role": "office"], settings: try settings())
        XCTAssertTrue(declined.body.contains("The office declined the meeting with Sam Lee"), declined.body)
        // A confirmation over another meeting of the expert's (accept_conflicts) says so: the
        // expert never saw the warning the office answered.
        for accepted in [true, false] {
            let confirmed = NotificationText.compose(
                kind: "meeting_confirmed_by_expert", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
                payload: ["meeting": ["status": "agreed", "conflict_accepted": .bool(accepted)], "recipient_role": "expert", "actor_role": "office"],
                settings: try settings())
            XCTAssertEqual(confirmed.body.contains("that overlap was accepted"), accepted, confirmed.body)
        }
        // The user reads a step the office took for the tutor as the tutor's, and is told the
        // office took it.
        let proposedForUser = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "awaiting_approval"], "recipient_role": "user", "actor_role": "office"], settings: try settings())
        XCTAssertTrue(proposedForUser.body.contains("The office acted for Talia Kim."), proposedForUser.body)
        let ownStep = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "awaiting_approval"], "recipient_role": "user", "actor_role": "expert"], settings: try settings())
        XCTAssertFalse(ownStep.body.contains("The office acted"), ownStep.body)

        // A new date the office proposes for an agreed meeting is the alternate's, not the agreed one.
        let moved = NotificationText.compose(
            kind: "rescheduling_agreed_by_expert", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "agreed", "alternate": ["start": "2030-03-15T14:00:00Z"]], "recipient_role": "expert", "actor_role": "office"],
            settings: try settings())
        XCTAssertTrue(moved.body.contains("the office proposed to move your meeting with Sam Lee on Mon 11 Mar 2030 10:00 EDT to Fri 15 Mar 2030 10:00 EDT"), moved.body)
        // Its answers to new dates say which answer.
        let turnedDown = NotificationText.compose(
            kind: "alternative_date_rejected_by_expert", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": ["status": "rejected"], "recipient_role": "expert", "actor_role": "office"], settings: try settings())
        XCTAssertTrue(turnedDown.body.contains("On your behalf, the office turned down the new date Sam Lee proposed; the meeting stays declined."), turnedDown.body)
        let approved = NotificationText.compose(
            kind: "alternative_date_approved_by_expert", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": ["status": "agreed"], "recipient_role": "expert", "actor_role": "office"], settings: try settings())
        XCTAssertTrue(approved.body.contains("On your behalf, the office approved the new date Sam Lee proposed: your meeting is now on Mon 11 Mar 2030 10:00 EDT."), approved.body)
    }

    /// Every text about what a meeting will cost or did cost says the amount: an invitation and a
    /// new date after a decline their length and price, an approved new date what the meeting is
    /// now, a withdrawal that the held credits came back, a logged or missed session what was paid.
    func testTextsAboutCreditsSayTheAmounts() throws {
        func body(_ kind: String, _ meeting: JSON, role: String = "user") throws -> String {
            NotificationText.compose(
                kind: kind, recipient: sam, counterpart: talia, service: nil, start: start,
                payload: ["meeting": meeting, "recipient_role": .string(role), "actor_role": "expert"], settings: try settings()).body
        }
        let terms = JSON.object(["status": "awaiting_approval", "credit_status": "none", "length_minutes": 90, "price_credits": 80])
        XCTAssertTrue(try body("expert_meeting_invitation", terms).contains("(90 minutes, 80 credits)"))
        XCTAssertTrue(try body("rescheduling_rejected_by_expert", terms).contains("(90 minutes, 80 credits). Please confirm or decline."))
        let moved = JSON.object(["status": "agreed", "credit_status": "blocked", "length_minutes": 90, "price_credits": 150, "held_credits": 150])
        XCTAssertTrue(try body("alternative_date_approved_by_expert", moved).contains("your meeting is now on Mon 11 Mar 2030 15:00 CET (90 minutes, 150 credits)."))
        let withdrawn = JSON.object(["status": "cancelled", "credit_status": "returned", "returned_credits": 100])
        XCTAssertTrue(try body("meeting_withdrawn_by_expert", withdrawn).contains("The credits held for it are returned."))
        XCTAssertFalse(try body("meeting_withdrawn_by_user", withdrawn, role: "expert").contains("returned"), "the expert's credits were never held")
        let paid = JSON.object(["status": "completed", "credit_status": "paid", "charged_credits": 100, "price_credits": 100])
        XCTAssertTrue(try body("session_logged", paid).contains("The 100 credits held for it were paid."))
        XCTAssertTrue(try body("user_no_show", paid).contains("The 100 credits held for it were paid."))
    }

    /// A new time comes with its length and price: a counter-offer always says them (and that the
    /// user's hold stays until they answer), a new date for an agreed meeting when they change.
    func testANewTimeSaysItsLengthAndPrice() throws {
        let countered = NotificationText.compose(
            kind: "counter_offer_by_expert", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "awaiting_approval", "credit_status": "blocked", "held_credits": 100, "length_minutes": 30, "price_credits": 50],
                      "recipient_role": "user", "actor_role": "expert"], settings: try settings())
        XCTAssertTrue(countered.body.contains("Talia Kim proposes Mon 11 Mar 2030 15:00 CET (30 minutes, 50 credits) instead."), countered.body)
        XCTAssertTrue(
            countered.body.contains("The 100 credits held for your request stay held until you answer; confirming holds the new price in their place, declining returns them."),
            countered.body)
        let toTheExpert = NotificationText.compose(
            kind: "counter_offer_by_user", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": ["status": "awaiting_approval", "credit_status": "blocked", "held_credits": 100, "length_minutes": 30, "price_credits": 50],
                      "recipient_role": "expert", "actor_role": "user"], settings: try settings())
        XCTAssertFalse(toTheExpert.body.contains("held"), toTheExpert.body)
        let longer = NotificationText.compose(
            kind: "rescheduling_agreed_by_expert", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "agreed", "length_minutes": 60, "price_credits": 100,
                                  "alternate": ["start": "2030-03-12T14:00:00Z", "length_minutes": 120, "price_credits": 200]],
                      "recipient_role": "user", "actor_role": "expert"], settings: try settings())
        XCTAssertTrue(longer.body.contains("to Tue 12 Mar 2030 15:00 CET (120 minutes, 200 credits)."), longer.body)
        let same = NotificationText.compose(
            kind: "rescheduling_agreed_by_expert", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "agreed", "length_minutes": 60, "price_credits": 100,
                                  "alternate": ["start": "2030-03-12T14:00:00Z", "length_minutes": 60, "price_credits": 100]],
                      "recipient_role": "user", "actor_role": "expert"], settings: try settings())
        XCTAssertFalse(same.body.contains("credits)"), "same terms, not repeated: \(same.body)")
    }

    /// Credits are said to be returned only when some were held; a proposal that expires is called one.
    func testCreditsAreMentionedOnlyWhereSomeWereHeld() throws {
        let proposal: JSON = ["status": "rejected", "credit_status": "none", "proposed_by": "expert"]
        let declined = NotificationText.compose(
            kind: "meeting_rejected_by_user", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": proposal, "recipient_role": "expert", "actor_role": "user"], settings: try settings())
        XCTAssertFalse(declined.body.contains("credits"), declined.body)
        let expired = NotificationText.compose(
            kind: "request_expired", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "expired", "credit_status": "returned", "proposed_by": "user"], "recipient_role": "user"], settings: try settings())
        XCTAssertTrue(expired.body.contains("The meeting request with Talia Kim for Mon 11 Mar 2030 15:00 CET was not answered in time and has expired. The credits held for it are returned."), expired.body)
        let proposalExpired = NotificationText.compose(
            kind: "request_expired", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "expired", "credit_status": "none", "proposed_by": "expert"], "recipient_role": "user"], settings: try settings())
        XCTAssertEqual(proposalExpired.subject, "[TP] Proposal expired")
        // The expert is told whose request it was (it named no one).
        let toExpert = NotificationText.compose(
            kind: "request_expired", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": ["status": "expired", "credit_status": "returned", "proposed_by": "user"], "recipient_role": "expert"], settings: try settings())
        XCTAssertTrue(toExpert.body.contains("The meeting request with Sam Lee for "), toExpert.body)
        XCTAssertFalse(proposalExpired.body.contains("credits"), proposalExpired.body)
    }

    /// An expert's proposal carries its note on the meeting: the invitation mail shows it. An
    /// answer to a new date says which answer it was.
    func testAProposalsNoteAndAnAlternatesAnswerAreSaid() throws {
        let invitation = NotificationText.compose(
            kind: "expert_meeting_invitation", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "awaiting_approval", "note": "Extra session before the test?"], "recipient_role": "user"], settings: try settings())
        XCTAssertTrue(invitation.body.contains("Note from Talia Kim: Extra session before the test?"), invitation.body)
        let turnedDown = NotificationText.compose(
            kind: "alternative_date_rejected_by_expert", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "agreed"], "recipient_role": "user"], settings: try settings())
        XCTAssertEqual(turnedDown.subject, "[TP] New date turned down by Talia Kim")
        XCTAssertTrue(turnedDown.body.contains("the meeting stays on Mon 11 Mar 2030 15:00 CET"), turnedDown.body)
        // The reason it was turned down for, from the community's list, as a decline's is told.
        let withReason = NotificationText.compose(
            kind: "alternative_date_rejected_by_expert", recipient: sam, counterpart: talia, service: nil, start: start,
            payload: ["meeting": ["status": "agreed"], "recipient_role": "user", "reason_code": "schedule_conflict"], settings: try settings())
        XCTAssertTrue(withReason.body.contains("the meeting stays on Mon 11 Mar 2030 15:00 CET. Reason: Schedule conflict."), withReason.body)
        let approved = NotificationText.compose(
            kind: "alternative_date_approved_by_user", recipient: talia, counterpart: sam, service: nil, start: start,
            payload: ["meeting": ["status": "agreed"], "recipient_role": "expert"], settings: try settings())
        XCTAssertTrue(approved.body.contains("Sam Lee approved the new date: your meeting is now on Mon 11 Mar 2030 10:00 EDT."), approved.body)
    }

    /// An updated invitation (a new video link, or a move) is told as an update at the time it
    /// stands: "is now on" read as a move when only the link had changed.
    func testAnUpdatedInvitationIsToldAsAnUpdate() throws {
        let updated = NotificationText.compose(
            kind: "calendar.invite", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["method": "REQUEST", "sequence": 1, "title": "Sam and Talia - TP"], settings: try settings())
        XCTAssertEqual(updated.subject, "[TP] Updated invitation: Sam and Talia - TP @ Mon 11 Mar 2030 15:00 CET")
        XCTAssertTrue(updated.body.contains("Your meeting with Talia Kim for Course CHEM101 on Mon 11 Mar 2030 15:00 CET was updated"), updated.body)
        XCTAssertFalse(updated.body.contains("is now on"), updated.body)
    }

    /// A calendar invitation goes to each of its people with the same meeting: the customer and
    /// the expert read whom it is for, the student is not named to themself ("Hello Alex, … The
    /// meeting is for Alex Young.").
    func testAStudentsInvitationDoesNotNameThemToThemself() throws {
        let alex = PersonFacts(id: "per_a", email: "alex@x.example", firstName: "Alex", lastName: "Young", roles: [.user], timeZone: "Europe/Prague")
        let payload: JSON = ["method": "REQUEST", "sequence": 0, "title": "Alex and Talia - TP", "meeting": ["student_id": "per_a", "student_name": "Alex Young"]]
        for (reader, named) in [(alex, false), (sam, true), (talia, true)] {
            let t = NotificationText.compose(
                kind: "calendar.invite", recipient: reader, counterpart: reader.id == talia.id ? sam : talia, service: "CHEM101", start: start,
                payload: payload, settings: try settings())
            XCTAssertEqual(t.body.contains("The meeting is for Alex Young."), named, "\(reader.firstName): \(t.body)")
        }
    }

    /// An ending is told by the terms it was made under, recorded with the message: read after
    /// the community changed its window, its fee and its reasons, the text said "within 12
    /// hours" of a cancellation made 19 hours ahead, no fee, and no reason.
    func testAnEndingIsToldByTheTermsItWasMadeUnder() throws {
        var changed = try settings()
        try changed.apply(["cancellation_window_hours": 12, "platform_fee_percent": 0,
                           "cancellation_reasons": [["code": "other", "label": "Other"]]], path: "")
        let charged: JSON = ["status": "cancelled", "credit_status": "paid", "price_credits": 100, "charged_credits": 50]
        let toExpert = NotificationText.compose(
            kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": charged, "recipient_role": "expert", "actor_role": "user", "reason_code": "illness",
                      "window_hours": 48, "fee_percent": 10, "reason_label": "Illness"], settings: changed)
        XCTAssertTrue(toExpert.body.contains("Reason: Illness. As it was cancelled within 48 hours of its start, 50 of its 100 credits are charged and paid to you, less the platform's 10% fee."), toExpert.body)
        // An occurrence cancelled with its series: said so, and no note nobody wrote.
        let withSeries = NotificationText.compose(
            kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "cancelled", "credit_status": "returned", "price_credits": 100], "recipient_role": "expert",
                      "actor_role": "user", "reason_code": "other", "reason_label": "Other", "series_cancelled": true], settings: changed)
        XCTAssertTrue(withSeries.body.contains("The weekly series is cancelled with it. Reason: Other."), withSeries.body)
        XCTAssertFalse(withSeries.body.contains("Note from"), withSeries.body)
    }

    /// The expert is told the fee taken of a late charge, and no fee where it rounded down to
    /// nothing: a 1-credit charge under a 10% fee was told "less the platform's 10% fee", and the
    /// expert was paid the whole credit.
    func testAFeeIsToldOnlyWhereOneWasTaken() throws {
        func toExpert(charged: Int64, fee: Int64?, later: JSON = .null) throws -> String {
            var payload: [String: JSON] = [
                "meeting": ["status": "cancelled", "credit_status": "paid", "price_credits": 100, "charged_credits": .int(charged)],
                "recipient_role": "expert", "actor_role": "user", "window_hours": 48, "fee_percent": 10, "later_dates": later]
            if let fee { payload["fee_credits"] = .int(fee) }
            return NotificationText.compose(
                kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
                payload: .object(payload), settings: try settings()).body
        }
        let none = try toExpert(charged: 1, fee: 0)
        XCTAssertTrue(none.contains("1 of its 100 credits is charged and paid to you.") && !none.contains("fee"), none)
        let some = try toExpert(charged: 33, fee: 3)
        XCTAssertTrue(some.contains("33 of its 100 credits are charged and paid to you, less the platform's 10% fee (3 credits)."), some)
        let older = try toExpert(charged: 33, fee: nil)
        XCTAssertTrue(older.contains("are charged and paid to you, less the platform's 10% fee."), "a message written before fees were recorded: \(older)")
        let laterNone = try toExpert(charged: 1, fee: 0, later: ["count": 2, "returned_credits": 0, "charged_credits": 2, "fee_credits": 0])
        XCTAssertTrue(laterNone.contains("For the later dates, 2 credits are charged and paid to you, as they were cancelled within 48 hours of their start."), laterNone)
        let laterSome = try toExpert(charged: 1, fee: 0, later: ["count": 2, "returned_credits": 0, "charged_credits": 20, "fee_credits": 2])
        XCTAssertTrue(laterSome.contains("within 48 hours of their start, less the platform's 10% fee (2 credits)."), laterSome)
    }

    /// A series' cancellation is told once, by its first date's message, which counts the later
    /// dates ended with it and says what became of their credits: to the user what was returned
    /// and charged, to the expert what is paid to them.
    func testTheLaterDatesOfACancelledSeriesAreToldWithTheFirst() throws {
        let returned: JSON = ["status": "cancelled", "credit_status": "returned", "price_credits": 100]
        let later: JSON = ["count": 3, "returned_credits": 250, "charged_credits": 50]
        func told(_ recipient: PersonFacts, _ role: String, _ later: JSON) throws -> String {
            NotificationText.compose(
                kind: "cancellation_by_user", recipient: recipient, counterpart: recipient.id == sam.id ? talia : sam, service: "CHEM101", start: start,
                payload: ["meeting": returned, "recipient_role": .string(role), "actor_role": "user", "reason_code": "other", "reason_label": "Other",
                          "series_cancelled": true, "window_hours": 48, "fee_percent": 10, "later_dates": later], settings: try settings()).body
        }
        let toUser = try told(sam, "user", later)
        XCTAssertTrue(toUser.contains(
            "The weekly series is cancelled with it, and so are its 3 later dates. Reason: Other. The credits held for it were returned. "
                + "For the later dates, 50 credits were charged, as they were cancelled within 48 hours of their start; 250 were returned."), toUser)
        let toExpert = try told(talia, "expert", later)
        XCTAssertTrue(toExpert.contains(
            "and so are its 3 later dates. Reason: Other. For the later dates, 50 credits are charged and paid to you, as they were cancelled "
                + "within 48 hours of their start, less the platform's 10% fee."), toExpert)
        let oneReturned = try told(sam, "user", ["count": 1, "returned_credits": 100, "charged_credits": 0])
        XCTAssertTrue(oneReturned.contains("and so is its 1 later date. Reason: Other. The credits held for it were returned. The 100 credits held for the later date were returned."), oneReturned)
        XCTAssertFalse(try told(talia, "expert", ["count": 1, "returned_credits": 100, "charged_credits": 0]).contains("later date were"))
    }

    /// A cancellation or a skip is told to both sides (seeds 000, 001: "Your session has been
    /// cancelled"), each with what became of the credits; the one who acted reads their own note
    /// as theirs.
    func testAnEndingIsToldToBothSidesWithItsCredits() throws {
        let charged: JSON = ["status": "cancelled", "credit_status": "paid", "price_credits": 100, "charged_credits": 50]
        let toCanceller = NotificationText.compose(
            kind: "cancellation_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": charged, "recipient_role": "user", "actor_role": "user", "note": "Fever"], settings: try settings())
        XCTAssertEqual(toCanceller.subject, "[TP] Your session has been cancelled")
        XCTAssertTrue(toCanceller.body.contains("You cancelled your meeting with Talia Kim on Mon 11 Mar 2030 15:00 CET for Course CHEM101."), toCanceller.body)
        XCTAssertTrue(toCanceller.body.contains("within 48 hours of its start, 50 of its 100 credits were charged; the rest was returned."), toCanceller.body)
        XCTAssertTrue(toCanceller.body.contains("Your note: Fever") && !toCanceller.body.contains("Note from"), toCanceller.body)
        let toExpert = NotificationText.compose(
            kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": charged, "recipient_role": "expert", "actor_role": "user", "note": "Fever"], settings: try settings())
        XCTAssertEqual(toExpert.subject, "[TP] Meeting cancelled by Sam Lee")
        XCTAssertTrue(toExpert.body.contains("Note from Sam Lee: Fever"), toExpert.body)
        var noFee = try settings()
        try noFee.apply(["platform_fee_percent": 0], path: "")
        let withoutFee = NotificationText.compose(
            kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": charged, "recipient_role": "expert", "actor_role": "user"], settings: noFee)
        XCTAssertTrue(withoutFee.body.contains("50 of its 100 credits are charged and paid to you."), withoutFee.body)
        var feeSettings = try settings()
        try feeSettings.apply(["platform_fee_percent": 20], path: "")
        let withFee = NotificationText.compose(
            kind: "cancellation_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": charged, "recipient_role": "expert", "actor_role": "user"], settings: feeSettings)
        XCTAssertTrue(withFee.body.contains("50 of its 100 credits are charged and paid to you, less the platform's 20% fee."), withFee.body)

        // Seed 004: the expert picks the cancellation's reason from the list; the user reads it.
        let byExpert = NotificationText.compose(
            kind: "cancellation_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": ["status": "cancelled", "credit_status": "returned", "price_credits": 100], "recipient_role": "user",
                      "actor_role": "expert", "reason_code": "emergency"], settings: try settings())
        XCTAssertTrue(byExpert.body.contains("Talia Kim cancelled the meeting on Mon 11 Mar 2030 15:00 CET for Course CHEM101. Reason: Emergency. The credits held for it were returned."), byExpert.body)

        let returned: JSON = ["status": "cancelled", "credit_status": "returned", "price_credits": 100]
        let skipped = NotificationText.compose(
            kind: "occurrence_skipped_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": returned, "recipient_role": "user", "actor_role": "expert"], settings: try settings())
        XCTAssertEqual(skipped.subject, "[TP] Meeting skipped by Talia Kim")
        XCTAssertTrue(skipped.body.contains("Talia Kim skipped the meeting on Mon 11 Mar 2030 15:00 CET for Course CHEM101; it is cancelled. The credits held for it were returned."), skipped.body)
        let skipper = NotificationText.compose(
            kind: "occurrence_skipped_by_expert", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": returned, "recipient_role": "expert", "actor_role": "expert"], settings: try settings())
        XCTAssertEqual(skipper.subject, "[TP] Your session has been cancelled")
        XCTAssertTrue(skipper.body.contains("You skipped your meeting with Sam Lee"), skipper.body)
        XCTAssertFalse(skipper.body.contains("credits"), "the expert had nothing held: \(skipper.body)")
        let byOffice = NotificationText.compose(
            kind: "cancellation_by_expert", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": returned, "recipient_role": "expert", "actor_role": "office"], settings: try settings())
        XCTAssertTrue(byOffice.body.contains("The office cancelled your meeting with Sam Lee"), byOffice.body)
        // An admin ends a weekly date for the user: neither side is told they did it.
        let adminSkip = NotificationText.compose(
            kind: "occurrence_skipped_by_user", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["meeting": returned, "recipient_role": "user", "actor_role": "admin"], settings: try settings())
        XCTAssertTrue(adminSkip.body.contains("An admin skipped your meeting with Talia Kim on Mon 11 Mar 2030 15:00 CET for Course CHEM101, on your behalf; it is cancelled"), adminSkip.body)
        let adminSkipToExpert = NotificationText.compose(
            kind: "occurrence_skipped_by_user", recipient: talia, counterpart: sam, service: "CHEM101", start: start,
            payload: ["meeting": returned, "recipient_role": "expert", "actor_role": "admin"], settings: try settings())
        XCTAssertEqual(adminSkipToExpert.subject, "[TP] Meeting skipped by an admin")
        XCTAssertTrue(adminSkipToExpert.body.contains("An admin skipped Sam Lee's meeting with you"), adminSkipToExpert.body)
        let dateSkipped = NotificationText.compose(
            kind: "series_date_skipped", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "actor_role": "admin"], settings: try settings())
        XCTAssertTrue(dateSkipped.body.contains("An admin skipped the weekly session"), dateSkipped.body)
    }

    func testThePushTextFitsAPhone() throws {
        let t = NotificationText.compose(
            kind: "meeting_request", recipient: talia, counterpart: sam, service: String(repeating: "Organic Chemistry ", count: 20), start: start,
            payload: [:], settings: try settings())
        XCTAssertLessThanOrEqual(t.push.count, 140)
        XCTAssertTrue(t.body.contains("Mon 11 Mar 2030 10:00 EDT"), "the expert's own clock: \(t.body)")
    }

    /// Every mail about a meeting lists it: when on the recipient's clock, where, the video link,
    /// the service and the topic, each on one line whatever the text holds.
    func testTheBodyListsTheMeetingOnTheRecipientsClock() throws {
        let details = NotificationText.MeetingDetails(
            lengthMinutes: 45, location: "Room 101", videoURL: "https://video.example/r", topic: "Moles\r\nBcc: eve@evil.example",
            sessionType: "Assessment")
        let t = NotificationText.compose(
            kind: "meeting_confirmed_by_expert", recipient: sam, counterpart: talia, service: "CHEM101", start: start, payload: [:],
            settings: try settings(), details: details)
        XCTAssertEqual(t.subject, "[TP] Meeting confirmed: Mon 11 Mar 2030 15:00 CET", "a confirmation names its date")
        XCTAssertTrue(t.body.contains("""
            When:    Mon 11 Mar 2030 15:00 CET, 45 minutes (your time zone: Europe/Prague)
            Where:   Room 101
            Video:   https://video.example/r
            Course:  CHEM101
            Session: Assessment
            Topic:   Moles Bcc: eve@evil.example
            """), t.body)
    }

    /// A weekly date not booked: the user reads of their own credits, where the reason names the
    /// user who booked; a student's series keeps the student's words; a message queued before it
    /// named the other side names nobody.
    func testAWeekNotBookedIsToldInTheReadersWords() throws {
        func text(_ payload: JSON, counterpart: PersonFacts? = nil) throws -> String {
            NotificationText.compose(
                kind: "series_date_not_booked", recipient: sam, counterpart: counterpart, service: "CHEM101", start: start, payload: payload,
                settings: try settings()).body
        }
        let label = try settings().label("user").lowercased()
        let own = try text(["recipient_role": "user", "for_student": false, "reason": .string("not booked: the \(label)'s credits did not cover it")], counterpart: talia)
        XCTAssertTrue(own.contains("The weekly session with Talia Kim on ") && own.contains("could not be booked: your credits did not cover it."), own)
        let student = try text(["recipient_role": "user", "for_student": true, "reason": "not booked: the student's weekly limit of meetings was reached"], counterpart: talia)
        XCTAssertTrue(student.contains("could not be booked: the student's weekly limit"), student)
        let queuedBefore = try text(["recipient_role": "expert", "reason": "not booked: the time is not within the tutor's hours"])
        XCTAssertTrue(queuedBefore.contains("The weekly session on "), queuedBefore)
    }

    /// The weekly limit's full week, named in UTC by the service's refusal, is read on the
    /// reader's clock like the rest of the mail (it read "the week from 2030-03-10T23:00:00Z
    /// to 2030-03-17T23:00:00Z is full").
    func testAWeekNotBookedNamesTheFullWeekOnTheReadersClock() throws {
        let week = (start: try Instant(rfc3339: "2030-03-10T23:00:00Z"), end: try Instant(rfc3339: "2030-03-17T23:00:00Z"))
        let refusal = AppError.usageLimitReached(limit: 2, week: week)
        let body = NotificationText.compose(
            kind: "series_date_not_booked", recipient: sam, counterpart: talia, service: "CHEM101", start: start,
            payload: ["recipient_role": "user", "for_student": false, "reason": "not booked: your weekly limit of meetings was reached",
                      "detail": .string(refusal.message)],
            settings: try settings()).body
        XCTAssertTrue(body.contains("the week from Mon 11 Mar 2030 00:00 CET to Mon 18 Mar 2030 00:00 CET is full"), body)
        XCTAssertFalse(body.contains("T23:00:00Z"), body)
    }

    /// The expert copied on the user's mail (seed 003) reads the time on their own clock too,
    /// where it differs; the user's own mail without the copy does not carry it.
    func testTheExpertCopiedReadsTheTimeOnTheirClock() throws {
        let details = NotificationText.MeetingDetails(lengthMinutes: 60, location: "Room 101", videoURL: nil, topic: nil, sessionType: nil)
        func body(_ recipient: PersonFacts, copied: Bool) throws -> String {
            NotificationText.compose(
                kind: "meeting_confirmed_by_expert", recipient: recipient, counterpart: talia, service: "CHEM101", start: start, payload: [:],
                settings: try settings(), counterpartCopied: copied, details: details).body
        }
        let copied = try body(sam, copied: true)
        XCTAssertTrue(copied.contains("When:   Mon 11 Mar 2030 15:00 CET, 60 minutes (your time zone: Europe/Prague)\n"), copied)
        XCTAssertTrue(copied.contains("Tutor:  Talia Kim, copied: Mon 11 Mar 2030 10:00 EDT on Talia's clock (America/New_York)\n"), copied)
        XCTAssertFalse(try body(sam, copied: false).contains("copied:"))
        var sameZone = sam
        sameZone.timeZone = talia.timeZone
        XCTAssertFalse(try body(sameZone, copied: true).contains("copied:"), "one clock: said once")
    }

    /// The mail that carries a calendar invitation says what the attached .ics does: a new
    /// entry, an update of the same entry after a move, or its removal.
    func testAnInvitationMailSaysWhatItsAttachmentDoes() throws {
        func subject(_ payload: JSON) throws -> String {
            NotificationText.compose(
                kind: "calendar.invite", recipient: talia, counterpart: sam, service: "CHEM101", start: start, payload: payload, settings: try settings()
            ).subject
        }
        XCTAssertEqual(try subject(["method": "REQUEST", "sequence": 0, "title": "Sam and Talia - TP"]), "[TP] Invitation: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
        XCTAssertEqual(try subject(["method": "REQUEST", "sequence": 2, "title": "Sam and Talia - TP"]), "[TP] Updated invitation: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
        XCTAssertEqual(try subject(["method": "CANCEL", "sequence": 3, "title": "Sam and Talia - TP"]), "[TP] Cancelled: Sam and Talia - TP @ Mon 11 Mar 2030 10:00 EDT")
    }

    /// A chat message's push line is bounded in bytes, whatever its characters (PersonText.cut).
    func testAChatMessagesPushLineIsBoundedInBytes() throws {
        let marked = "a" + String(repeating: "\u{301}", count: 9_999)
        let chat = NotificationText.compose(
            kind: "chat_message", recipient: talia, counterpart: sam, service: nil, start: nil, payload: ["text": .string(marked)], settings: try settings())
        XCTAssertLessThanOrEqual(chat.push.utf8.count, 560, "\(chat.push.utf8.count) bytes")
        // The text is cut within its one long character, not left out after the sender's name.
        XCTAssertGreaterThan(chat.push.utf8.count, 500, chat.push)
        XCTAssertTrue(chat.body.unicodeScalars.count > 9_999, "the mail carries every word")
    }
}

/// One credit is said in the singular, its verbs too ("The 1 credit held for it were paid").
final class OneCreditTests: XCTestCase {
    func testOneCreditReadsInTheSingular() {
        func paid(_ n: Int64) -> String {
            NotificationText.paid(["recipient_role": "user", "meeting": ["credit_status": "paid", "charged_credits": .int(n)]])
        }
        XCTAssertEqual(paid(1), " The 1 credit held for it was paid.")
        XCTAssertEqual(paid(2), " The 2 credits held for it were paid.")
        func stays(_ held: Int64) -> String {
            NotificationText.heldStays(["recipient_role": "user", "meeting": ["credit_status": "blocked", "held_credits": .int(held), "price_credits": 5]])
        }
        XCTAssertEqual(stays(1), " The 1 credit held for your request stays held until you answer; confirming holds the new price in its place, declining returns it.")
        XCTAssertTrue(stays(3).hasPrefix(" The 3 credits held for your request stay held"), stays(3))
        XCTAssertEqual(NotificationText.terms(["length_minutes": 30, "price_credits": 1]), " (30 minutes, 1 credit)")
    }
}

final class PersonTextTests: XCTestCase {
    /// A push text is cut at a word with "…" (it was cut mid-word: "confirm or decline; con").
    func testAPushTextIsCutAtAWord() {
        let long = "Talia Kim proposes a new date for your meeting: Tue 12 Mar 2030 16:00 CET (90 minutes, 150 credits). Please confirm or decline; confirming holds the new price."
        let cut = PersonText.cut(long, to: 140)
        XCTAssertLessThanOrEqual(cut.count, 140)
        XCTAssertTrue(cut.hasSuffix("…") && long.hasPrefix(String(cut.dropLast())), cut)
        XCTAssertTrue(long.dropFirst(cut.count - 1).hasPrefix(" "), "cut where a word ends: \(cut)")
        XCTAssertEqual(PersonText.cut("short", to: 140), "short")
        let word = String(repeating: "x", count: 200)
        XCTAssertEqual(PersonText.cut(word, to: 140), String(repeating: "x", count: 139) + "…", "one long word is cut where the limit falls")
    }

    /// A push text is bounded in bytes too (4 a character): one character may hold any number of
    /// scalars. "a" with 9,999 combining accents is one character, and went out whole (20,000
    /// bytes, past a push service's 4 KB); 139 family emoji (25 bytes each) went out uncut.
    func testAPushTextIsBoundedInBytesWhateverItsCharacters() {
        let marked = "a" + String(repeating: "\u{301}", count: 9_999)
        let cut = PersonText.cut(marked, to: 140)
        XCTAssertLessThanOrEqual(cut.utf8.count, 560)
        XCTAssertTrue(cut.hasSuffix("…") && marked.unicodeScalars.starts(with: cut.unicodeScalars.dropLast()), "its own scalars, then …")
        let families = String(repeating: "👩‍👩‍👧‍👦", count: 139)
        let cutFamilies = PersonText.cut(families, to: 140)
        XCTAssertLessThanOrEqual(cutFamilies.utf8.count, 560)
        XCTAssertEqual(cutFamilies, String(repeating: "👩‍👩‍👧‍👦", count: 22) + "…", "whole emoji, as many as fit")
    }

    func testControlsAndReorderingMarksBecomeReplacementCharactersAndAPushIsOneLine() {
        let hostile = "a\u{1B}[2J\u{9B}b\u{202E}c\u{2066}\nd\te\r"
        XCTAssertEqual(PersonText.body(hostile), "a\u{FFFD}[2J\u{FFFD}b\u{FFFD}c\u{FFFD}\nd\te\n")
        XCTAssertEqual(PersonText.line(hostile), "a\u{FFFD}[2J\u{FFFD}b\u{FFFD}c\u{FFFD} d e ")
        XCTAssertEqual(PersonText.body("Příliš žluťoučký 🐴"), "Příliš žluťoučký 🐴")
    }

    /// Marks that show nothing are left out: a run of tag characters carried text no reader of
    /// the mail saw. The joiners and variation selectors that shape what is seen stay.
    func testMarksThatShowNothingAreLeftOut() {
        let tags = "IGNORE".unicodeScalars.map { String(Unicode.Scalar($0.value + 0xE0000)!) }.joined()
        XCTAssertEqual(PersonText.line("Pay\u{200B} to 123\(tags)\u{2060}\u{00AD}\u{FEFF} end"), "Pay to 123 end")
        XCTAssertEqual(PersonText.body("👩\u{200D}🔬 \u{2615}\u{FE0F} \u{0645}\u{200C}\u{0627}"), "👩\u{200D}🔬 \u{2615}\u{FE0F} \u{0645}\u{200C}\u{0627}")
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
        XCTAssertEqual(PersonText.line("Go " + scotland), "Go " + scotland, "a flag's tags stay")
        XCTAssertEqual(PersonText.line("Sa\u{200D}m"), "Sam", "a joiner between Latin letters shapes nothing")
    }

    /// A browser sends a textarea's line breaks as CR LF: one break each, never a U+FFFD; every
    /// other kind of line break is one too, and none stays on a line.
    func testEachKindOfLineBreakIsOneBreak() {
        XCTAssertEqual(PersonText.body("hi\r\nthere\rand\u{2028}so\u{85}on\u{0B}x\u{0C}y"), "hi\nthere\nand\nso\non\nx\ny")
        XCTAssertEqual(PersonText.line("hi\r\nthere\rand\u{2028}so\u{2029}on"), "hi there and so on")
        XCTAssertEqual(PersonText.body("\r\n\r\n"), "\n\n", "two breaks, not four")
    }
}

/// A notification's subject and push are one line and its body carries no control character or
/// reordering mark, whatever a person put in a name, a service's name, a title or a note.
final class NotificationTextHostileTests: XCTestCase {
    func testPersonTextCannotAddHeadersLinesOrEscapes() throws {
        let eve = PersonFacts(id: "per_e", email: "eve@x.example", firstName: "Eve\r\nBcc: victim@evil.test", lastName: "L\u{1B}]52;c;aGk=\u{07}\u{1B}[2J",
                              roles: [.user], timeZone: "UTC")
        let zoe = PersonFacts(id: "per_z", email: "zoe@x.example", firstName: "Zoë\u{202E}live", lastName: "K\u{2028}Fake: header", roles: [.expert], timeZone: "UTC")
        var settings = CommunitySettings()
        try settings.apply(["short_name": "AUD"], path: "")
        let start = Instant(seconds: 1_899_468_000)
        for kind in ["meeting_request", "meeting_rejected_by_expert", "calendar.invite", "chat_message", "meeting_link"] {
            let t = NotificationText.compose(
                kind: kind, recipient: zoe, counterpart: eve, service: "S =HYPERLINK\r\n(\"x\")\u{85}", start: start,
                payload: ["note": "Sorry\r\n\r\nPay at http://phish.test \u{1B}[2J\u{202E}evil", "title": "T\r\nitle\u{2066}", "text": "hi\r\nthere\u{2028}x",
                          "video_url": "https://v.example/r\r\nBcc: x"],
                settings: settings)
            for (name, text) in [("subject", t.subject), ("push", t.push)] {
                XCTAssertFalse(text.unicodeScalars.contains { $0.isLineBreak || $0.isControlCharacter || $0.isBidiControl }, "\(kind) \(name): \(text.debugDescription)")
            }
            XCTAssertFalse(t.body.unicodeScalars.contains { ($0.isControlCharacter && $0 != "\n") || $0.isBidiControl || ($0.isLineBreak && $0 != "\n") },
                           "\(kind) body: \(t.body.debugDescription)")
            XCTAssertTrue(t.body.hasPrefix("Hello Zoë\u{FFFD}live,\n"), "\(kind): the greeting is one line: \(t.body.debugDescription)")
            XCTAssertFalse(t.body.contains("\nBcc:"), "\(kind): no line of the body starts with another's text")
        }
        let declined = NotificationText.compose(
            kind: "meeting_rejected_by_expert", recipient: eve, counterpart: zoe, service: "S", start: start,
            payload: ["note": "Sorry\r\n\r\nmore"], settings: settings)
        XCTAssertTrue(declined.body.contains("Sorry\n\nmore"), "a note keeps its paragraphs: \(declined.body.debugDescription)")
    }
}
