import Core
import XCTest

@testable import Community

/// The settings issue 13 adds for the seeds' communities: who creates meetings, whether a
/// decline is e-mailed, whether a pending request holds its slot.
final class CommunitySettingsSeedStepsTests: XCTestCase {
    func testTheDefaultsKeepTodaysBehaviour() {
        let s = CommunitySettings()
        XCTAssertTrue(s.expertsMayPropose, "seed 004: experts propose meetings")
        XCTAssertTrue(s.emailUserOnDecline)
        XCTAssertTrue(s.pendingHoldsSlot, "a request holding credits takes the expert's time")
    }

    /// A Penji-like community (seed 000): experts do not create appointments, declines are not
    /// e-mailed; seed 004: several users may ask for one time.
    func testAPenjiLikeCommunitySetsThemOffAndReadsThemBack() throws {
        var s = CommunitySettings()
        try s.apply(["short_name": "PJ", "experts_may_propose": false, "email_user_on_decline": false, "pending_holds_slot": false], path: "")
        XCTAssertFalse(s.expertsMayPropose)
        XCTAssertFalse(s.emailUserOnDecline)
        XCTAssertFalse(s.pendingHoldsSlot)
        let stored = try CommunitySettings(stored: s.json)
        XCTAssertEqual(stored.json, s.json)
        XCTAssertEqual(s.json["pending_holds_slot"], false)
    }

    func testTheyMustBeBooleans() {
        var s = CommunitySettings()
        for key in ["experts_may_propose", "email_user_on_decline", "pending_holds_slot"] {
            XCTAssertThrowsError(try s.apply([key: "no"], path: ""), key) { e in
                XCTAssertEqual((e as? AppError)?.details["field"]?.stringValue, key)
            }
        }
        XCTAssertTrue(s.expertsMayPropose && s.emailUserOnDecline && s.pendingHoldsSlot, "a refused change changes nothing")
    }
}
