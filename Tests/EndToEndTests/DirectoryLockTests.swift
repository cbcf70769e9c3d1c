import Foundation
import XCTest

/// A change that keeps what it does not name (`community.update_settings`, `person.set_profile`)
/// locks the row it changes before it reads it: two changes at once wait for each other, and the
/// later reads what the earlier wrote, so neither loses the other's fields. Here a session of the
/// test's holds the row while both changes are sent from two processes: both must wait behind
/// it, then both must be kept.
final class DirectoryLockTests: EndToEndTestCase {
    /// Waits until `count` backends wait for `pid`, directly or behind another that does (the
    /// second waiter for a row waits for the first, which holds the row's place in the queue).
    func backends(_ count: Int, waitingFor pid: String, _ failure: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let waiting = try Psql.query(databaseURL, """
                WITH RECURSIVE behind AS (
                    SELECT pid FROM pg_stat_activity WHERE \(pid) = ANY (pg_blocking_pids(pid))
                    UNION SELECT a.pid FROM pg_stat_activity a JOIN behind b ON b.pid = ANY (pg_blocking_pids(a.pid)))
                SELECT pid FROM behind
                """)
            if waiting.filter({ !$0.isEmpty }).count >= count { return }
            guard Date() < deadline else { throw HarnessError(failure) }
            usleep(20_000)
        }
    }

    /// Sends the two calls while `lockSQL`'s row is held, then lets them through; their answers.
    func twoChangesBehind(_ lockSQL: String, _ first: (Meetingd, JSONValue), _ second: (Meetingd, JSONValue), method: String) throws -> [JSONValue] {
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; \(lockSQL);")
        for (i, (process, params)) in [first, second].enumerated() {
            try process.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"\#(method)","params":\#(params.serialized)}"#)
        }
        try backends(2, waitingFor: holderPid, "the two \(method) calls did not both wait for the row they change")
        try holder.run("ROLLBACK;")
        return [try first.0.readResponse(timeout: 60), try second.0.readResponse(timeout: 60)]
    }

    func testTwoProfileChangesAtOnceKeepEachOthersFields() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.meetingd.result("person.set_profile", as: w.expert, ["person_id": .string(w.expert), "bio": "Before.", "languages": ["en"]])
        let other = try startMeetingd(["--test-clock"])
        let answers = try twoChangesBehind(
            "SELECT 1 FROM people WHERE id = \(Psql.literal(w.expert)) FOR NO KEY UPDATE",
            (w.meetingd, ["actor": .string(w.expert), "person_id": .string(w.expert), "bio": "Twenty years of chemistry."]),
            (other, ["actor": .string(w.admin), "person_id": .string(w.expert), "languages": ["cs", "de"]]),
            method: "person.set_profile")
        XCTAssertEqual(answers.compactMap { $0["error"] }, [], "\(answers)")
        let profile = try w.meetingd.result("person.profile", as: w.user, ["person_id": .string(w.expert)])
        XCTAssertEqual(profile["bio"], "Twenty years of chemistry.", "\(profile)")
        XCTAssertEqual(profile["languages"], ["cs", "de"], "\(profile)")
    }

    func testTwoSettingsChangesAtOnceKeepEachOther() throws {
        let w = try MeetingWorld(self, label: #function)
        let other = try startMeetingd(["--test-clock"])
        let answers = try twoChangesBehind(
            "SELECT 1 FROM communities WHERE community_id = \(Psql.literal(w.community.id)) FOR NO KEY UPDATE",
            (w.meetingd, ["actor": .string(w.admin), "min_notice_minutes": 45]),
            (other, ["actor": .string(w.admin), "horizon_days": 20, "idempotency_key": "horizon"]),
            method: "community.update_settings")
        XCTAssertEqual(answers.compactMap { $0["error"] }, [], "\(answers)")
        let settings = try w.meetingd.result("community.get", as: w.user)["settings"]
        XCTAssertEqual(settings?["min_notice_minutes"], 45, "\(settings ?? .null)")
        XCTAssertEqual(settings?["horizon_days"], 20, "\(settings ?? .null)")
    }

    /// A member calling a method for admins is refused at once on a fresh read of their roles,
    /// whether the process has read them before or not (meetctl starts a process per command):
    /// not after waiting for the directory's lock (an import) that an admin's work holds. Given
    /// the role since, elsewhere, the same call goes on.
    func testAMemberIsRefusedWithoutWaitingForTheLocksOfAdminsWork() throws {
        let w = try MeetingWorld(self, label: #function)
        let fresh = try startMeetingd(["--test-clock"])
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT ml_lock(\(Psql.literal(w.community.id)), 'directory', 41);")
        let csv = "name,kind,default_length_minutes,price_credits\nGeo,generic,45,30"
        let started = Date()
        try fresh.error("service.create", as: w.expert, ["name": "Geo", "kind": "generic", "default_length_minutes": 30, "price_credits": 5], code: 4003)
        try w.meetingd.error("catalog.import_csv", as: w.user, ["kind": "services", "csv": .string(csv)], code: 4003)
        try w.meetingd.error("service.create", as: w.user, ["name": "Geo", "kind": "generic", "default_length_minutes": 30, "price_credits": 5], code: 4003)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused without waiting for the lock")
        let waiting = try Psql.query(databaseURL, "SELECT pid FROM pg_stat_activity WHERE \(holderPid) = ANY (pg_blocking_pids(pid))")
        XCTAssertEqual(waiting.filter { !$0.isEmpty }, [], "nobody waited for the directory")

        // Made an admin elsewhere (person.update waits for the directory too, so the row is written
        // here): this process's earlier read is stale, and the call goes on, waiting for the
        // directory as any import does.
        XCTAssertTrue(try Psql.run(databaseURL, ["UPDATE people SET roles = roles || '{admin}' WHERE id = \(Psql.literal(w.user))"]).succeeded)
        try w.meetingd.send(#"{"jsonrpc":"2.0","id":"import","method":"catalog.import_csv","params":{"actor":"\#(w.user)","kind":"services","csv":\#(JSONValue.string(csv).serialized)}}"#)
        try backend(waitingFor: holderPid, "the import of a new admin did not wait for the directory")
        try holder.run("ROLLBACK;")
        let imported = try w.meetingd.readResponse(timeout: 60)
        XCTAssertEqual(imported["result"]?["created"], 1, "\(imported)")
    }

    /// A retry of a request that has finished is answered from its idempotency record without
    /// waiting for the locks of the work it did: an import holding the directory, a booking
    /// holding the expert's calendar. A key reused for other params is refused at once too.
    func testARetryOfAFinishedRequestDoesNotWaitForItsLocks() throws {
        let w = try MeetingWorld(self, label: #function)
        let service: JSONValue = ["actor": .string(w.admin), "name": "Geo", "kind": "generic", "default_length_minutes": 30, "price_credits": 5,
                                  "idempotency_key": "geo-1"]
        let created = try w.meetingd.call("service.create", service)
        var request = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        request["actor"] = .string(w.user)
        request["idempotency_key"] = "req-1"
        let requested = try w.meetingd.call("meeting.request", .object(request))
        XCTAssertNil(created["error"] ?? requested["error"], "\(created) \(requested)")

        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT ml_lock(\(Psql.literal(w.community.id)), 'directory', 41), ml_lock(\(Psql.literal(w.community.id)), \(Psql.literal(w.expert)), 0);")
        let started = Date()
        XCTAssertEqual(try w.meetingd.call("service.create", service)["result"], created["result"], "the service's retry")
        XCTAssertEqual(try w.meetingd.call("meeting.request", .object(request))["result"], requested["result"], "the request's retry")
        var other = service.object ?? [:]
        other["name"] = "Geo 2"
        XCTAssertEqual(try w.meetingd.call("service.create", .object(other))["error"]?["code"], 4090)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "answered without waiting for the locks")
        let waiting = try Psql.query(databaseURL, "SELECT pid FROM pg_stat_activity WHERE \(holderPid) = ANY (pg_blocking_pids(pid))")
        XCTAssertEqual(waiting.filter { !$0.isEmpty }, [], "nobody waited for the held locks")
        try holder.run("ROLLBACK;")
    }
}
