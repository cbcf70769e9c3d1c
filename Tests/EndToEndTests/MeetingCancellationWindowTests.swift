import Foundation
import XCTest

/// The cancellation window to the second (SPEC §5.2 cancel; seed 004 "Canceling a scheduled
/// meeting"): less than `cancellation_window_hours` before the start is late; exactly the
/// window is on time. Late cancellations need `confirm_late`; a late user is charged, an
/// expert always releases.
final class MeetingCancellationWindowTests: EndToEndTestCase {
    struct Case {
        let party: String
        /// How long before the start the cancel is called.
        let secondsBefore: Int
        let confirmLate: Bool
        var late: Bool

        var label: String {
            let h = secondsBefore / 3600, m = secondsBefore / 60 % 60, s = secondsBefore % 60
            return "\(party) at \(h):\(m < 10 ? "0" : "")\(m):\(s < 10 ? "0" : "")\(s) before, confirm_late \(confirmLate)"
        }
    }

    func testTheFortyEightHourBoundaryForUserAndExpert() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.grant(w.user, 2000)
        let window = 48 * 3600
        var cases: [Case] = []
        for party in ["user", "expert"] {
            for (before, late) in [(window - 60, true), (window - 1, true), (window, false), (window + 1, false), (window + 60, false)] {
                for confirmLate in [false, true] {
                    cases.append(Case(party: party, secondsBefore: before, confirmLate: confirmLate, late: late))
                }
            }
        }
        // Every meeting is booked first; then the clock only moves forward, case by case.
        let starts = cases.indices.map { MeetingTime.at(day: 7 + $0 / 16, hour: 6 + $0 % 16) }  // hourly, 06:00–22:00
        var meetings: [String] = []
        for start in starts { meetings.append(try w.agreed(start: start)) }
        _ = try w.drainOutbox()

        for (i, c) in cases.enumerated() {
            let id = meetings[i]
            let actor = c.party == "user" ? w.user : w.expert
            let other = c.party == "user" ? "expert" : "user"
            try w.setClock(MeetingTime.shifted(starts[i], seconds: -c.secondsBefore))
            let walletBefore = try w.wallet(), earningsBefore = try w.earnings()
            let params: [String: JSONValue] = c.confirmLate ? ["reason_code": "illness", "confirm_late": true] : ["reason_code": "illness"]

            if c.late && !c.confirmLate {
                let error = try w.refuse("meeting.cancel", as: actor, id, params, code: 4013)
                XCTAssertEqual(error["data"]?["code"], "late_cancellation_requires_confirmation", c.label)
                XCTAssertEqual(error["data"]?["window_hours"], 48, c.label)
                assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked", c.label)
                XCTAssertEqual(try w.wallet(), walletBefore, "nothing moves: \(c.label)")
                XCTAssertEqual(try w.earnings(), earningsBefore, c.label)
                XCTAssertEqual(try w.drainedSummary(), [], "no message: \(c.label)")
                XCTAssertEqual(try w.trail(id), ["hold pending 100"], c.label)
                continue
            }

            let cancelled = try w.act("meeting.cancel", as: actor, id, params)
            let charged = c.late && c.party == "user"
            assertMeeting(cancelled, status: "cancelled", credit: charged ? "paid" : "returned", c.label)
            let event = try w.timelineEvents(id).last
            XCTAssertEqual(event?["kind"]?.string, "cancelled_by_\(c.party)", c.label)
            XCTAssertEqual(event?["details"]?["late"]?.bool, c.late, c.label)
            XCTAssertEqual(event?["details"]?["charged_credits"]?.int, charged ? 100 : 0, c.label)
            XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_\(c.party)→\(other)", "cancellation_by_\(c.party)→\(c.party)", "video.cancel→video"]), c.label)
            let walletAfter = try w.wallet(), earningsAfter = try w.earnings()
            if charged {
                XCTAssertEqual(try w.trail(id), ["hold pending 100", "capture post_pending 100", "fee posted 10"], c.label)
                XCTAssertEqual(walletAfter, AccountBalance(posted: walletBefore.posted - 100, blocked: walletBefore.blocked - 100,
                                                           available: walletBefore.available, incoming: 0), c.label)
                XCTAssertEqual(earningsAfter, AccountBalance(posted: earningsBefore.posted + 90, blocked: 0, available: earningsBefore.available + 90,
                                                             incoming: earningsBefore.incoming - 100), c.label)
            } else {
                XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"], c.label)
                XCTAssertEqual(walletAfter, AccountBalance(posted: walletBefore.posted, blocked: walletBefore.blocked - 100,
                                                           available: walletBefore.available + 100, incoming: 0), c.label)
                XCTAssertEqual(earningsAfter, AccountBalance(posted: earningsBefore.posted, blocked: 0, available: earningsBefore.available,
                                                             incoming: earningsBefore.incoming - 100), c.label)
            }
        }
        for (i, id) in meetings.enumerated() {
            let refused = cases[i].late && !cases[i].confirmLate
            XCTAssertEqual(try w.meeting(id)["status"]?.string, refused ? "agreed" : "cancelled", "in the end: \(cases[i].label)")
        }
        try w.assertReconciled()
    }

    /// A refused late cancellation followed by the confirmed one: the form, then the effect.
    func testLateCancellationAfterTheWarning() throws {
        let w = try MeetingWorld(self, label: #function)
        let start = MeetingTime.at(day: 7, hour: 10)
        let userMeeting = try w.agreed(start: start)
        let expertStart = MeetingTime.at(day: 7, hour: 12)
        let expertMeeting = try w.agreed(start: expertStart)
        try w.setClock(MeetingTime.shifted(start, minutes: -(47 * 60 + 59)))
        try w.refuse("meeting.cancel", as: w.user, userMeeting, ["reason_code": "illness"], code: 4013)
        try w.refuse("meeting.cancel", as: w.user, userMeeting, ["reason_code": "illness", "confirm_late": false], code: 4013)
        assertMeeting(try w.act("meeting.cancel", as: w.user, userMeeting, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "paid")
        try w.setClock(MeetingTime.shifted(expertStart, minutes: -(47 * 60 + 59)))
        try w.refuse("meeting.cancel", as: w.expert, expertMeeting, ["reason_code": "illness"], code: 4013)
        assertMeeting(try w.act("meeting.cancel", as: w.expert, expertMeeting, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "returned")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(captured: 100))
        try w.assertReconciled()
    }

    /// The community's own window and charge: 24 hours, half the price kept (rounded down,
    /// the rest returned), the platform's fee on what was kept.
    func testTheCommunitysWindowAndChargePercent() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["cancellation_window_hours": 24, "user_late_cancel_charge_percent": 50])
        let start = MeetingTime.at(day: 7, hour: 10)
        let onTime = try w.agreed(start: start)
        let late = try w.agreed(start: MeetingTime.at(day: 7, hour: 12))
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        assertMeeting(try w.act("meeting.cancel", as: w.user, onTime, ["reason_code": "other"]), status: "cancelled", credit: "returned",
                      "exactly 24 hours ahead is on time")
        try w.setClock(MeetingTime.at(day: 6, hour: 12, minute: 1))
        let error = try w.refuse("meeting.cancel", as: w.user, late, ["reason_code": "other"], code: 4013)
        XCTAssertEqual(error["data"]?["window_hours"], 24)
        XCTAssertTrue(error["data"]?["consequences"]?.string?.contains("50 of the 100 credits") ?? false, "\(error)")
        assertMeeting(try w.act("meeting.cancel", as: w.user, late, ["reason_code": "other", "confirm_late": true]), status: "cancelled", credit: "paid")
        XCTAssertEqual(try w.trail(late), ["hold pending 100", "capture post_pending 50", "fee posted 5"])
        let charged = try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": .string(late)])
        XCTAssertEqual([charged["charged_credits"], charged["returned_credits"]], [50, 50], "the meeting says what was charged and what went back")
        XCTAssertEqual(try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": .string(onTime)])["charged_credits"], .null, "nothing was charged")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 50), "half is kept, half returned")
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(captured: 50))
        try w.assertReconciled()
    }

    /// A late charge too small to carry a fee (1 credit of 100 at 1 %, under a 10 % fee) pays the
    /// expert the whole credit, and their message says no fee was taken; a larger one says the
    /// fee and its credits.
    func testTheExpertIsToldTheFeeTakenOfALateCharge() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["user_late_cancel_charge_percent": 1])
        let small = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.cancel", as: w.user, small, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "paid")
        XCTAssertEqual(try w.trail(small), ["hold pending 100", "capture post_pending 1"], "a fee of nothing is not moved")
        func toldExpert() throws -> String {
            let told = try w.drainOutbox().filter { $0.kind == "cancellation_by_user" && $0.recipientId == w.expert }
            XCTAssertEqual(told.count, 1)
            return told.first?.raw["rendered"]?["text"]?.string ?? ""
        }
        let none = try toldExpert()
        XCTAssertTrue(none.contains("1 of its 100 credits is charged and paid to you.") && !none.contains("platform"), none)
        try w.meetingd.result("community.update_settings", as: w.admin, ["user_late_cancel_charge_percent": 55])
        let larger = try w.agreed(start: MeetingTime.at(day: 1, hour: 12))
        _ = try w.drainOutbox()
        assertMeeting(try w.act("meeting.cancel", as: w.user, larger, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "paid")
        XCTAssertEqual(try w.trail(larger), ["hold pending 100", "capture post_pending 55", "fee posted 5"])
        let some = try toldExpert()
        XCTAssertTrue(some.contains("55 of its 100 credits are charged and paid to you, less the platform's 10% fee (5 credits)."), some)
        try w.assertReconciled()
    }

    /// With a 0 % charge a late user cancellation still needs confirming but costs nothing.
    func testNoChargeStillAsksForConfirmation() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["user_late_cancel_charge_percent": 0])
        let start = MeetingTime.at(day: 1, hour: 10)
        let id = try w.agreed(start: start)
        let error = try w.refuse("meeting.cancel", as: w.user, id, ["reason_code": "illness"], code: 4013)
        XCTAssertTrue(error["data"]?["consequences"]?.string?.contains("returned") ?? false, "\(error)")
        assertMeeting(try w.act("meeting.cancel", as: w.user, id, ["reason_code": "illness", "confirm_late": true]), status: "cancelled", credit: "returned")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet())
        XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"])
        try w.assertReconciled()
    }
}
