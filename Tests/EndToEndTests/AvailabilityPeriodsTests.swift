import Foundation
import XCTest

/// One-off free and blocked periods as a front end adds and removes them: who may, what a refusal
/// says, that a refusal leaves the calendar as it was, and what a removal counts.
final class AvailabilityPeriodsTests: EndToEndTestCase {
    let from = MeetingTime.at(day: 20, hour: 0)
    let to = MeetingTime.at(day: 23, hour: 0)

    func periods(_ w: MeetingWorld) throws -> [JSONValue] {
        try w.meetingd.result("availability.get", as: w.admin, ["expert_id": .string(w.expert), "from": .string(from), "to": .string(to)])["periods"]?.array ?? []
    }

    func span(_ day: Int, _ first: Int, _ last: Int, at locations: [String]? = nil, for expert: String) -> [String: JSONValue] {
        var p: [String: JSONValue] = ["expert_id": .string(expert), "start": .string(MeetingTime.at(day: day, hour: first)),
                                      "end": .string(MeetingTime.at(day: day, hour: last))]
        if let locations { p["location_ids"] = .array(locations.map { .string($0) }) }
        return p
    }

    func testRefusedPeriodsLeaveTheCalendarAsItWas() throws {
        let w = try MeetingWorld(self, label: #function)
        let other = try w.addExpert(name: "other")
        let free = span(20, 9, 12, at: [w.locationId], for: w.expert)
        try w.meetingd.error("availability.add_free", as: other, free, code: 4003)
        try w.meetingd.error("availability.block", as: other, span(20, 9, 12, for: w.expert), code: 4003)
        let backwards = try w.meetingd.error("availability.add_free", as: w.expert, span(20, 12, 9, at: [w.locationId], for: w.expert), code: -32602)
        XCTAssertEqual(backwards["data"]?["field"], "end")
        let nowhere = try w.meetingd.error("availability.add_free", as: w.expert, span(20, 9, 12, at: ["loc_" + String(repeating: "0", count: 32)], for: w.expert), code: -32602)
        XCTAssertEqual(nowhere["data"]?["field"], "location_ids")
        let hall = try MeetingWorld.id(of: w.meetingd.result("location.create", as: w.admin, ["name": "Old hall", "kind": "in_person"]))
        try w.meetingd.result("location.update", as: w.admin, ["location_id": .string(hall), "active": false])
        let retired = try w.meetingd.error("availability.add_free", as: w.expert, span(20, 9, 12, at: [hall], for: w.expert), code: -32602)
        XCTAssertTrue(retired["message"]?.string?.contains("Old hall") == true, "\(retired)")
        let notAnExpert = try w.meetingd.error("availability.block", as: w.admin, span(20, 9, 12, for: w.user), code: -32602)
        XCTAssertEqual(notAnExpert["data"]?["field"], "expert_id")
        XCTAssertEqual(try periods(w), [], "nothing was written")

        // An expert with a past session not logged logs it first where the community requires it;
        // an admin acting for them need not.
        let past = try w.agreed(start: MeetingTime.at(day: 8, hour: 10))
        try w.meetingd.result("community.update_settings", as: w.admin, ["require_session_log": true])
        try w.setClock(MeetingTime.at(day: 9, hour: 0))
        for (method, params) in [("availability.add_free", free), ("availability.block", span(21, 9, 12, for: w.expert)),
                                 ("availability.remove", span(20, 0, 23, for: w.expert))] {
            let refused = try w.meetingd.error(method, as: w.expert, params, code: 4024)
            XCTAssertTrue(refused.serialized.contains(past), "\(method) names the session to log: \(refused)")
        }
        XCTAssertEqual(try periods(w), [])
        let added = try w.meetingd.result("availability.add_free", as: w.admin, free)
        XCTAssertEqual(added["expert_id"], .string(w.expert))
        XCTAssertEqual(try periods(w).compactMap { $0["id"] }, [added["id"] ?? .null])
    }

    /// A removal within a range removes the periods lying wholly in it and counts them; the same
    /// call with its key again answers the same count and removes nothing more. A range that
    /// ends before it starts is refused (before, it removed nothing and answered 0).
    func testARemovalCountsWhatItRemovedOnce() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.meetingd.result("availability.add_free", as: w.expert, span(20, 9, 12, at: [w.locationId], for: w.expert))
        try w.meetingd.result("availability.block", as: w.expert, span(20, 14, 16, for: w.expert))
        let straddling = try w.meetingd.result("availability.block", as: w.expert, span(20, 20, 23, for: w.expert))
        // A range given backwards is refused, not answered as if nothing lay in it.
        let backwards = try w.meetingd.error("availability.remove", as: w.expert, span(20, 21, 8, for: w.expert), code: -32602)
        XCTAssertEqual(backwards["data"]?["field"], "end")
        XCTAssertEqual(try periods(w).count, 3)
        let within = span(20, 8, 21, for: w.expert).merging(["idempotency_key": "clear-the-day"]) { $1 }
        XCTAssertEqual(try w.meetingd.result("availability.remove", as: w.expert, within)["removed"], 2)
        XCTAssertEqual(try w.meetingd.result("availability.remove", as: w.expert, within)["removed"], 2, "the stored answer")
        XCTAssertEqual(try periods(w).compactMap { $0["id"] }, [straddling["id"] ?? .null], "the period running past the range stays")
        XCTAssertEqual(try w.meetingd.result("availability.remove", as: w.expert, span(20, 8, 21, for: w.expert))["removed"], 0)
        XCTAssertEqual(try w.meetingd.result("availability.remove", as: w.expert, ["expert_id": .string(w.expert), "period_id": straddling["id"] ?? .null])["removed"], 1)
        XCTAssertEqual(try periods(w), [])
    }
}
