import Core
import Foundation
import XCTest

/// A read that shows a meeting beside rows of it (its credit movements, its timeline, its chat)
/// shows one committed state: under READ COMMITTED two statements take two snapshots, and a
/// trail read while a cancellation committed said "agreed, 80 held" beside the release (or the
/// charge) of that very hold.
final class ReadSnapshotTests: EndToEndTestCase {
    static let writerCycles = 150

    func testAMeetingTrailNeverMixesTwoStatesOfItsMeeting() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.grant(w.user, 1_000_000)
        let reader = try startMeetingd(["--test-clock"])
        let current = Locked<String?>(nil), done = Locked(false), writerFailure = Locked<String?>(nil)
        let world = Unchecked(w)

        // The writer books, agrees and cancels, again and again: inside the 48-hour window (a
        // charge captured in part) and outside it (the hold released).
        let writer = Thread {
            defer { done.withLock { $0 = true } }
            let w = world.value
            do {
                for cycle in 0..<Self.writerCycles {
                    let late = cycle % 2 == 0
                    let meeting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: late ? 1 : 7, hour: 9)))
                    current.withLock { $0 = meeting }
                    _ = try w.act("meeting.confirm", as: w.expert, meeting)
                    var cancel: [String: JSONValue] = ["meeting_id": .string(meeting), "reason_code": "other"]
                    if late { cancel["confirm_late"] = true }
                    try w.meetingd.result("meeting.cancel", as: w.user, cancel)
                }
            } catch {
                writerFailure.withLock { $0 = "\(error)" }
            }
        }
        writer.start()

        var reads = 0
        var torn: [String] = []
        while !done.withLock({ $0 }) {
            guard let meeting = current.withLock({ $0 }) else { continue }
            let trail = try reader.result("ledger.meeting_trail", as: w.finance, ["meeting_id": .string(meeting)])
            reads += 1
            if let problem = Self.inconsistency(trail) { torn.append("\(problem): \(trail)") }
        }
        XCTAssertNil(writerFailure.withLock { $0 })
        XCTAssertGreaterThan(reads, Self.writerCycles, "the reader read while the writer wrote")
        XCTAssertEqual(torn.count, 0, "\(torn.count) of \(reads) trails mixed two states, the first: \(torn.first ?? "")")
        try w.assertReconciled()
    }

    /// What a trail answer says of its meeting that its own transfers contradict, if anything.
    static func inconsistency(_ trail: JSONValue) -> String? {
        let transfers = trail["transfers"]?.array ?? []
        let resolved = Set(transfers.compactMap { $0["pending_id"]?.string })
        let holds = transfers.filter { $0["kind"] == "hold" }
        let open = holds.filter { !resolved.contains($0["id"]?.string ?? "") }
        let captured = transfers.filter { $0["kind"] == "capture" }.compactMap { $0["credits"]?.int }.reduce(0, +)
        switch trail["credit_status"]?.string {
        case "blocked":
            guard open.count == 1 else { return "blocked with \(open.count) open holds" }
            if open[0]["credits"] != trail["held_credits"] { return "held_credits is not the open hold's" }
        case "returned":
            if !open.isEmpty || holds.isEmpty { return "returned with an open hold, or none at all" }
            if captured != (trail["charged_credits"]?.int ?? 0) { return "charged_credits is not what was captured" }
        case "paid":
            if !open.isEmpty || captured == 0 { return "paid without a capture" }
            if captured != trail["charged_credits"]?.int { return "charged_credits is not what was captured" }
        default:
            if !holds.isEmpty { return "no credit status beside a hold" }
        }
        if trail["status"] == "agreed" && trail["credit_status"] != "blocked" { return "agreed without its hold" }
        if trail["status"] == "cancelled" && !open.isEmpty { return "cancelled with its hold open" }
        return nil
    }
}
