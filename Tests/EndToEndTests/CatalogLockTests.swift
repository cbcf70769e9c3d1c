import Foundation
import XCTest

/// A retirement (`location.update` or `service.set_active` with active false) takes the entry's
/// lock exclusively and then changes its row; a step that books at an entry share-locks it
/// before it reads, so a booking and a retirement are serialized on every path: the booking sees
/// the retirement and is refused, or the retirement waits for it and lists it. Here the
/// retirement is held between the two (its row held by a session of the test's) while a step
/// that books at the location is sent: the step must wait behind the retirement, then read the
/// location retired. Before, a confirm naming another location, the scheduler and series.skip
/// took no lock on the location they booked at, and answered at once, booking at a location
/// retired a moment later.
final class CatalogLockTests: EndToEndTestCase {
    /// Retires `locationId` through `retirer`, held after its lock on the location and before
    /// its change of the row (which the returned session holds in an open transaction); returns
    /// the session and the retirement's backend pid.
    func retirementHeld(_ w: MeetingWorld, locationId: String, on retirer: Meetingd) throws -> (PsqlSession, String) {
        let holder = try PsqlSession(databaseURL)
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT 1 FROM locations WHERE id = \(Psql.literal(locationId)) FOR UPDATE;")
        let params: JSONValue = ["actor": .string(w.admin), "location_id": .string(locationId), "active": false]
        try retirer.send(#"{"jsonrpc":"2.0","id":"retire","method":"location.update","params":\#(params.serialized)}"#)
        let retirement = try backend(waitingFor: holderPid, "the retirement never waited for the location's row")
        return (holder, retirement)
    }

    /// Sends `method` to `process` while the retirement of `locationId` is held: the step must
    /// wait behind it. Then lets the retirement commit; returns its answer and the step's.
    func stepBehindRetirement(_ w: MeetingWorld, locationId: String, _ process: Meetingd, _ method: String, _ params: JSONValue) throws
        -> (retired: JSONValue, step: JSONValue)
    {
        let (holder, retirement) = try retirementHeld(w, locationId: locationId, on: w.meetingd)
        defer { holder.close() }
        try process.send(#"{"jsonrpc":"2.0","id":"step","method":"\#(method)","params":\#(params.serialized)}"#)
        try backend(waitingFor: retirement, "\(method) did not wait for the retirement of the location it books at")
        try holder.run("ROLLBACK;")
        return (try w.meetingd.readResponse(timeout: 60), try process.readResponse(timeout: 60))
    }

    /// The expert confirms a request naming another location (`location_id`) while that
    /// location is being retired: the confirm waits, then is refused, the request unchanged.
    func testAConfirmAtALocationBeingRetiredWaitsAndIsRefused() throws {
        let w = try MeetingWorld(self, label: #function)
        let room = try w.addLocation("Room \(TestEnvironment.uniqueTag())")
        let hours: [JSONValue] = (1...7).map {
            ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(w.locationId), .string(room)]]
        }
        try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(hours)])
        let meeting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let confirmer = try startMeetingd(["--test-clock"])

        let (retired, confirmed) = try stepBehindRetirement(
            w, locationId: room, confirmer, "meeting.confirm",
            ["actor": .string(w.expert), "meeting_id": .string(meeting), "location_id": .string(room)])
        XCTAssertEqual(retired["result"]?["active"], false, "\(retired)")
        XCTAssertEqual(confirmed["error"]?["code"], 4011, "\(confirmed)")
        XCTAssertTrue(confirmed["error"]?["message"]?.string?.contains("is retired") == true, "\(confirmed)")
        let after = try w.meeting(meeting)
        XCTAssertEqual(after["status"], "awaiting_approval")
        XCTAssertEqual(after["location_id"], .string(w.locationId))
        XCTAssertEqual(try w.meetingd.result("ledger.reconcile", as: w.finance)["ok"], true)
    }

    /// The scheduler's turn for a series whose location is being retired: it waits, then books
    /// no occurrence there (the date is told as not booked), and the retirement lists the series.
    func testTheSchedulerWaitsForTheRetirementOfASeriesLocation() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let series = try MeetingWorld.id(of: w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "location_id": .string(w.locationId),
            "first_start": "2030-03-06T10:00:00Z",
        ]))
        try w.setClock("2030-03-07T12:00:00Z")
        let jobs = try startMeetingd(["--test-clock"])

        let (retired, ran) = try stepBehindRetirement(w, locationId: w.locationId, jobs, "jobs.run_due", ["actor": .string(w.admin)])
        XCTAssertEqual(retired["result"]?["active_series"], [.string(series)], "\(retired)")
        XCTAssertEqual(ran["result"]?["series_occurrences_created"], 0, "\(ran)")
        let after = try w.meetingd.result("series.get", as: w.user, ["series_id": .string(series)])
        XCTAssertEqual(after["skip_dates"]?.array?.compactMap { $0["date"]?.string }, ["2030-03-20"], "\(after)")
        XCTAssertEqual(after["occurrences"]?.array?.compactMap { $0["date"]?.string }, ["2030-03-06", "2030-03-13"])
    }

    /// series.skip books the next date; while the series' location is being retired it waits,
    /// then skips the date and books nothing there.
    func testASkipWaitsForTheRetirementOfTheSeriesLocation() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let series = try MeetingWorld.id(of: w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "location_id": .string(w.locationId),
            "first_start": "2030-03-06T10:00:00Z",
        ]))
        let skipper = try startMeetingd(["--test-clock"])

        let (retired, skipped) = try stepBehindRetirement(
            w, locationId: w.locationId, skipper, "series.skip", ["actor": .string(w.user), "series_id": .string(series), "date": "2030-03-06"])
        XCTAssertEqual(retired["result"]?["active_series"], [.string(series)], "\(retired)")
        let occurrences = skipped["result"]?["occurrences"]?.array ?? []
        XCTAssertEqual(occurrences.compactMap { $0["date"]?.string }.first, "2030-03-06", "\(skipped)")
        XCTAssertEqual(skipped["result"]?["skip_dates"]?.array?.compactMap { $0["date"]?.string }.contains("2030-03-06"), true, "\(skipped)")
        XCTAssertFalse(occurrences.contains { $0["date"] == "2030-03-20" && $0["status"] == "awaiting_approval" }, "\(skipped)")
        XCTAssertEqual(try w.meetingd.result("ledger.reconcile", as: w.finance)["ok"], true)
    }

    /// An import of services sent while a service is being retired waits for the retirement and
    /// keeps it: the file names no `active`, so the service stays retired. Before, the retirement
    /// took only the service's lock and the import the directory's: the import read the service
    /// active, wrote its row over the retirement's, and the service came back (a review).
    func testAnImportWaitsForARetirementAndKeepsIt() throws {
        let w = try MeetingWorld(self, label: #function)
        func service() throws -> String {
            try Psql.query(databaseURL, "SELECT name || '|' || active || '|' || price_credits FROM services WHERE id = \(Psql.literal(w.serviceId))").joined()
        }
        let name = try XCTUnwrap(try service().split(separator: "|").first.map(String.init))
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT 1 FROM services WHERE id = \(Psql.literal(w.serviceId)) FOR UPDATE;")
        let retire: JSONValue = ["actor": .string(w.admin), "service_id": .string(w.serviceId), "active": false]
        try w.meetingd.send(#"{"jsonrpc":"2.0","id":"retire","method":"service.set_active","params":\#(retire.serialized)}"#)
        let retirement = try backend(waitingFor: holderPid, "the retirement never waited for the service's row")
        let importer = try startMeetingd(["--test-clock"])
        let csv = "name,kind,default_length_minutes,price_credits\n\(name),generic,60,7\n"
        let file: JSONValue = ["actor": .string(w.admin), "kind": "services", "csv": .string(csv)]
        try importer.send(#"{"jsonrpc":"2.0","id":"import","method":"catalog.import_csv","params":\#(file.serialized)}"#)
        try backend(waitingFor: retirement, "the import did not wait for the retirement")
        try holder.run("COMMIT;")
        XCTAssertEqual(try w.meetingd.readResponse(timeout: 60)["result"]?["active"], false)
        XCTAssertEqual(try importer.readResponse(timeout: 60)["result"]?["updated"], 1, "its new price")
        XCTAssertEqual(try service(), "\(name)|false|7", "the retirement stays, the new price is taken")
    }

    /// Two removals of one assignment at once remove it once: the second is told it is not
    /// there, as it would be a moment later. Both read it present and both answered success
    /// when the removal decided on an unlocked read.
    func testTwoRemovalsOfOneAssignmentAtOnceRemoveItOnce() throws {
        let w = try MeetingWorld(self, label: #function)
        let second = try startMeetingd(["--test-clock"])
        let assignment: [String: JSONValue] = ["user_id": .string(w.user), "expert_id": .string(w.expert)]
        for round in 1...12 {
            try w.meetingd.result("enrollment.assign", as: w.admin, assignment)
            let (a, b) = try race(
                { try w.meetingd.call("enrollment.remove", as: w.admin, assignment) }, { try second.call("enrollment.remove", as: w.admin, assignment) })
            let codes = [a, b].map { $0["error"]?["code"]?.int ?? 0 }.sorted()
            XCTAssertEqual(codes, [0, 4004], "round \(round): one removal, one told it is not there: \(a) / \(b)")
        }
    }
}
