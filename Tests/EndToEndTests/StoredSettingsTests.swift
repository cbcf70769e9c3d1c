import Foundation
import XCTest

/// A community's settings document written beside the service, outside its rules (an operator's
/// SQL, a restore, a version with other rules): every call that reads the settings says which
/// stored setting does not load and how to mend it (5037 `settings_unreadable`, not the caller's
/// params), and `community.update_settings` giving that setting again mends the document while
/// a change that leaves it as it is changes nothing.
final class StoredSettingsTests: EndToEndTestCase {
    func testSettingsStoredOutsideTheirRulesAreToldAndMendedByGivingThemAgain() throws {
        let w = try MeetingWorld(self, label: #function)
        let community = Psql.literal(w.community.id)
        _ = try Psql.query(databaseURL, """
            UPDATE communities SET settings = settings || '{"platform_fee_percent": 250, "legacy_setting": 1,
                "no_show_policy": {"max_no_shows": 2, "window_days": 0, "suspension_days": 3}}'::jsonb
            WHERE community_id = \(community)
            """)
        func refusal(_ answer: JSONValue, _ what: String) throws -> (field: String, message: String) {
            XCTAssertEqual(answer["error"]?["code"], 5037, "\(what): \(answer)")
            XCTAssertEqual(answer["error"]?["data"]?["code"], "settings_unreadable", "\(what): \(answer)")
            return (try XCTUnwrap(answer["error"]?["data"]?["field"]?.string, "\(what): \(answer)"), answer["error"]?["message"]?.string ?? "")
        }
        let request: [String: JSONValue] = [
            "expert_id": .string(w.expert), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 3, hour: 10)),
            "location_id": .string(w.locationId),
        ]
        // Any reader of the settings: the admin's community.get, a user's request.
        let read = try refusal(try w.meetingd.call("community.get", as: w.admin, [:]), "community.get")
        XCTAssertTrue(["platform_fee_percent", "no_show_policy.window_days", "legacy_setting"].contains(read.field), read.field)
        XCTAssertTrue(read.message.contains("community.update_settings"), read.message)
        _ = try refusal(try w.meetingd.call("meeting.request", as: w.user, request), "meeting.request")
        let stored = { try Psql.query(self.databaseURL, "SELECT settings::text FROM communities WHERE community_id = \(community)") }
        let before = try stored()

        // A change that leaves a broken setting as it is is refused naming it (the first of
        // those not given, by name), and nothing is written.
        let other = try refusal(try w.meetingd.call("community.update_settings", as: w.admin, ["short_name": "Mended"]), "short_name alone")
        XCTAssertEqual(other.field, "no_show_policy.window_days")
        XCTAssertTrue(other.message.contains("giving no_show_policy"), other.message)
        let half = try refusal(
            try w.meetingd.call("community.update_settings", as: w.admin, ["no_show_policy": ["max_no_shows": 2, "window_days": 10, "suspension_days": 3]]),
            "no_show_policy alone")
        XCTAssertEqual(half.field, "platform_fee_percent")
        XCTAssertEqual(try stored(), before, "a refused change wrote nothing")

        // Given again, both mend the document; a key no setting has is left out of it.
        let mended = try w.meetingd.result("community.update_settings", as: w.admin, [
            "platform_fee_percent": 20, "no_show_policy": ["max_no_shows": 2, "window_days": 10, "suspension_days": 3], "short_name": "Mended",
        ])
        XCTAssertEqual(mended["settings"]?["platform_fee_percent"], 20, "\(mended)")
        XCTAssertEqual(mended["settings"]?["short_name"], "Mended", "\(mended)")
        XCTAssertEqual(mended["settings"]?["slot_minutes"], try w.meetingd.result("community.get", as: w.admin, [:])["settings"]?["slot_minutes"])
        XCTAssertEqual(try Psql.query(databaseURL, """
            SELECT concat_ws(' ', settings ->> 'platform_fee_percent', settings -> 'no_show_policy' ->> 'window_days', settings ? 'legacy_setting')
            FROM communities WHERE community_id = \(community)
            """), ["20 10 f"])
        XCTAssertNotNil(try w.meetingd.call("meeting.request", as: w.user, request)["result"], "the community's calls run again")
    }
}
