import Foundation
import XCTest

/// Rules that once held on some paths and not on others, each tried as a front end would:
/// through `meetingd`, on the path where it used to be missed.
final class BookingRulesPathTests: EndToEndTestCase {
    let day7 = MeetingTime.at(day: 7, hour: 10)

    /// A user confirming an expert's proposal cannot accept a conflict for the expert, and the
    /// refusal does not name the other user's meeting.
    func testAUserCannotAcceptTheExpertsConflict() throws {
        let w = try MeetingWorld(self, label: #function)
        let other = try w.addUser(name: "other")
        let othersMeeting = try w.agreed(start: day7, by: other)
        let proposal = try MeetingWorld.id(of: w.propose(start: day7))
        let refused = try w.refuse("meeting.confirm", as: w.user, proposal, ["accept_conflicts": true], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "accept_conflicts")
        let conflict = try w.refuse("meeting.confirm", as: w.user, proposal, code: 4010)
        XCTAssertFalse(conflict.serialized.contains(othersMeeting), "another user's meeting is named: \(conflict)")
        assertMeeting(try w.meeting(proposal), status: "awaiting_approval", credit: "none", start: day7)
        try w.assertReconciled()
    }

    /// Accepting an expert's proposals counts toward the weekly limit like a request does.
    func testAcceptingProposalsRespectsTheWeeklyLimit() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["weekly_usage_limit": 2])
        try w.request(start: MeetingTime.at(day: 7, hour: 9))
        try w.request(start: MeetingTime.at(day: 8, hour: 9))
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 9, hour: 9)))
        let refused = try w.refuse("meeting.confirm", as: w.user, proposal, code: 4022)
        XCTAssertEqual(refused["data"]?["limit"], 2)
        let nextWeek = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 14, hour: 9)))
        assertMeeting(try w.act("meeting.confirm", as: w.user, nextWeek), status: "agreed", credit: "blocked", start: MeetingTime.at(day: 14, hour: 9))
    }

    /// A user's time falls on the community's slot grid.
    func testAStartOffTheSlotGridIsRefused() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["slot_minutes": 30])
        let refused = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 7, hour: 10, minute: 15)), code: 4011)
        XCTAssertTrue(refused["message"]?.string?.contains("30-minute grid") == true, "\(refused)")
        try w.request(start: MeetingTime.at(day: 7, hour: 10, minute: 30))
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: MeetingWorld.price))
    }

    /// The price follows the length: four hours of a 60-minute, 100-credit service hold 400.
    func testThePriceFollowsTheLength() throws {
        let w = try MeetingWorld(self, label: #function)
        var params = w.requestParams(start: day7)
        params["length_minutes"] = 240
        let long = try w.meetingd.result("meeting.request", as: w.user, params)
        XCTAssertEqual(long["price_credits"], 400)
        XCTAssertEqual(long["price_source"], "service")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 400))
        params["start"] = .string(MeetingTime.at(day: 8, hour: 10))
        params["length_minutes"] = 45
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: w.user, params)["price_credits"], 75)
        XCTAssertEqual(try w.trail(try MeetingWorld.id(of: long)), ["hold pending 400"])
    }

    /// `meeting.log_session` checks `expected_version`, as it publishes.
    func testLoggingChecksTheExpectedVersion() throws {
        let w = try MeetingWorld(self, label: #function)
        let id = try w.agreed(start: day7)
        let version = try XCTUnwrap(w.meeting(id)["version"]?.int)
        try w.act("meeting.set_video_link", as: w.admin, id, ["url": "https://video.example/x"])
        try w.setClock(MeetingTime.at(day: 7, hour: 11, minute: 5))
        let stale = try w.refuse("meeting.log_session", as: w.expert, id, ["attendance": "attended", "expected_version": .int(version)], code: 4009)
        XCTAssertEqual(stale["data"]?["version"], .int(version + 1))
        let logged = try w.act("meeting.log_session", as: w.expert, id, ["attendance": "attended", "expected_version": .int(version + 1)])
        XCTAssertEqual(logged["status"], "completed")
    }

    /// A person with the user and expert roles cannot book a meeting with themself: a clear
    /// error, not an internal one.
    func testAPersonCannotBookThemself() throws {
        let w = try MeetingWorld(self, label: #function)
        let both = try w.addExpert(name: "both", roles: ["user", "expert"])
        try w.grant(both, 500)
        let refused = try w.meetingd.error("meeting.request", as: both, w.requestParams(start: day7, expert: both), code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "expert_id")
        XCTAssertEqual(try w.balance(both, kind: "user_wallet"), MeetingWorld.wallet())
    }

    /// A series date that could not be booked tells the expert why without the user's balance;
    /// the user reads the figures.
    func testASeriesDateNotBookedKeepsTheBalanceFromTheExpert() throws {
        let w = try MeetingWorld(self, label: #function)
        let poor = try w.addUser(name: "poor", credits: 150)
        let series = try w.meetingd.result("series.create", as: poor, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(day7), "location_id": .string(w.locationId),
            "weeks": 3,
        ])
        let id = try MeetingWorld.id(of: series)
        let asExpert = try w.meetingd.result("series.get", as: w.expert, ["series_id": .string(id)])
        let expertsSkips = try XCTUnwrap(asExpert["skip_dates"]?.array)
        XCTAssertEqual(expertsSkips.count, 2)
        for skip in expertsSkips {
            XCTAssertEqual(skip["reason"], "not booked: the user's credits did not cover it")
            XCTAssertNil(skip["detail"])
            XCTAssertFalse(skip.serialized.contains("50"), "\(skip)")
        }
        let asUser = try w.meetingd.result("series.get", as: poor, ["series_id": .string(id)])
        XCTAssertEqual(asUser["skip_dates"]?[0]?["detail"], "Insufficient credits: 50 available, 100 required")
    }
}
