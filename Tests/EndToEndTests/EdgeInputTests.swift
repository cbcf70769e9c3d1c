import Foundation
import XCTest

/// Edge input that once reached -32603: times outside 0001–9999 in UTC (given through an offset,
/// computed as an end, or hidden in a cursor) and time zones the C library and PostgreSQL read
/// differently. Each is refused with -32602 naming the field (framing and ids: ProtocolTests).
final class EdgeInputTests: EndToEndTestCase {
    static let outOfRange = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:00:00-23:00", "0001-01-01T05:29:59.999999+05:30",
                             "9999-12-31T18:30:00-05:30"]

    func assertInvalid(_ response: JSONValue, field: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response["error"]?["code"], -32602, "\(what): \(response)", file: file, line: line)
        XCTAssertEqual(response["error"]?["data"]?["field"]?.string, field, "\(what): \(response)", file: file, line: line)
    }

    /// A hex cursor holding `key` (a JSON array) behind the scope of `real`, a cursor the same
    /// list handed out: what a caller who edits a cursor sends.
    static func cursor(like real: String, _ key: String) -> String {
        let bytes = stride(from: 0, to: real.utf8.count, by: 2).map { i -> UInt8 in
            let pair = Array(real.utf8)[i..<i + 2]
            return UInt8(String(decoding: pair, as: UTF8.self), radix: 16)!
        }
        let scope = String(decoding: bytes, as: UTF8.self).prefix(20)  // ["0123456789abcdef",
        return Array((scope + key.dropFirst()).utf8).map { String(format: "%02x", $0) }.joined()
    }

    /// null is a value, not a way to leave a param out: where the schema does not allow it, it
    /// is refused and nothing happens (an `expected_version: null` skipped its check, an
    /// `idempotency_key: null` its replay).
    func testNullForAParamThatMayNotBeNullIsRefused() throws {
        let w = try MeetingWorld(self, label: "edge nulls")
        let id = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let before = try w.meeting(id)
        for (name, extra) in [("expected_version", JSONValue.null), ("confirm_late", .null), ("idempotency_key", .null)] {
            let refused = try w.refuse("meeting.cancel", as: w.user, id, ["reason_code": "illness", name: extra], code: -32602)
            XCTAssertEqual(refused["data"]?["field"]?.string, name, "\(refused)")
        }
        XCTAssertEqual(try w.meeting(id), before, "nothing changed")
        try w.meetingd.error("person.list", as: w.admin, ["limit": .null], code: -32602)
        // A param that may be null still takes it: clearing the weekly limit.
        try w.updateSettings(["weekly_usage_limit": 3])
        try w.updateSettings(["weekly_usage_limit": .null])
    }

    typealias TimeCase = (method: String, actor: String, params: [String: JSONValue], fields: [String])

    /// Every method taking a time, with params it takes (times on day 8 at 10:00 and 12:00) and which
    /// of them are times; `meetingId` is a meeting requested for day 7 at 10:00.
    func methodsTakingATime(_ w: MeetingWorld, meetingId: String) throws -> [TimeCase] {
        let wallet = try w.meetingd.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])["accounts"]?[0]?["account_id"]?.string ?? ""
        let good = MeetingTime.at(day: 8, hour: 10), later = MeetingTime.at(day: 8, hour: 12)
        return [
            ("meeting.request", w.user, w.requestParams(start: good), ["start"]),
            ("meeting.propose", w.expert, ["user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(good),
                                           "length_minutes": 60, "price_credits": 10], ["start"]),
            ("meeting.reschedule", w.user, ["meeting_id": .string(meetingId), "start": .string(good)], ["start"]),
            ("meeting.list", w.user, ["role": "user", "from": .string(good), "to": .string(later)], ["from", "to"]),
            ("availability.add_free", w.expert, ["expert_id": .string(w.expert), "start": .string(good), "end": .string(later),
                                                 "location_ids": [.string(w.locationId)]], ["start", "end"]),
            ("availability.block", w.expert, ["expert_id": .string(w.expert), "start": .string(good), "end": .string(later)], ["start", "end"]),
            ("availability.remove", w.expert, ["expert_id": .string(w.expert), "start": .string(good), "end": .string(later)], ["start", "end"]),
            ("availability.get", w.user, ["expert_id": .string(w.expert), "from": .string(good), "to": .string(later)], ["from", "to"]),
            ("availability.search", w.user, ["service_id": .string(w.serviceId), "from": .string(good), "to": .string(later)], ["from", "to"]),
            ("ledger.balance", w.user, ["account_id": .string(wallet), "as_of": .string(good)], ["as_of"]),
            ("ledger.statement", w.user, ["account_id": .string(wallet), "from": .string(good), "to": .string(later)], ["from", "to"]),
            ("ledger.trial_balance", w.finance, ["as_of": .string(good)], ["as_of"]),
            ("series.create", w.user, ["service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(good),
                                       "location_id": .string(w.locationId), "weeks": 2], ["first_start"]),
            ("clock.set", w.admin, ["now": .string(MeetingTime.startOfTest)], ["now"]),
        ]
    }

    func testTimesOutsideTheSupportedRangeAreRefusedByEveryMethodTakingATime() throws {
        let w = try MeetingWorld(self, label: "edge times")
        let meetingId = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let good = MeetingTime.at(day: 8, hour: 10), later = MeetingTime.at(day: 8, hour: 12)
        let cases = try methodsTakingATime(w, meetingId: meetingId)
        for c in cases {
            for field in c.fields {
                for bad in Self.outOfRange {
                    var params = c.params
                    params[field] = .string(bad)
                    assertInvalid(try w.meetingd.call(c.method, as: c.actor, params), field: field, "\(c.method) \(field) \(bad)")
                }
            }
        }
        XCTAssertEqual(try w.meeting(meetingId)["start"]?.string, MeetingTime.at(day: 7, hour: 10), "nothing changed")
        // A window that holds nothing is a mistake, said the same by every method taking one.
        for c in cases where c.fields == ["from", "to"] {
            var params = c.params
            (params["from"], params["to"]) = (.string(later), .string(good))
            let error = try w.meetingd.error(c.method, as: c.actor, params, code: -32602)
            XCTAssertEqual(error["data"]?["field"], "to", c.method)
            XCTAssertEqual(error["data"]?["reason"]?.string?.hasPrefix("must be after from"), true, "\(c.method): \(error)")
        }
        // The last supported microsecond itself is a time like any other.
        let edge = try w.meetingd.call("availability.get", as: w.user, ["expert_id": .string(w.expert), "from": "9999-12-30T00:00:00Z",
                                                                         "to": "9999-12-31T23:59:59.999999Z"])
        XCTAssertNotNil(edge["result"], "\(edge)")
    }

    /// A time is RFC 3339 as every time param's schema says (`format: date-time`): a T between
    /// date and time and an offset ±HH:MM. PostgreSQL's way of writing one (a space, `+05`,
    /// `+0500`) was taken, which a client checking the schema refuses.
    func testTimesNotWrittenAsRFC3339AreRefusedByEveryMethodTakingATime() throws {
        let w = try MeetingWorld(self, label: "edge time text")
        let meetingId = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        for c in try methodsTakingATime(w, meetingId: meetingId) {
            for field in c.fields {
                let given = c.params[field]?.string ?? ""
                let written = String(given.prefix(19))
                for bad in [written.replacingOccurrences(of: "T", with: " ") + "Z", written + "+00", written + "+0000"] {
                    var params = c.params
                    params[field] = .string(bad)
                    assertInvalid(try w.meetingd.call(c.method, as: c.actor, params), field: field, "\(c.method) \(field) \(bad)")
                }
            }
        }
        XCTAssertEqual(try w.meeting(meetingId)["start"]?.string, MeetingTime.at(day: 7, hour: 10), "nothing changed")
        let refused = try w.meetingd.error("clock.set", as: w.admin, ["now": "2030-03-12 15:00:00Z"], code: -32602)
        XCTAssertEqual(refused["data"]?["reason"]?.string?.contains("a T between the date and the time, not a space"), true, "\(refused)")
        XCTAssertNotNil(try w.meetingd.call("clock.set", as: w.admin, ["now": "2030-03-12t15:00:00z"])["result"], "RFC 3339's lower-case t and z")
    }

    func testComputedEndsPastTheLastSupportedTimeAreRefused() throws {
        let w = try MeetingWorld(self, label: "edge ends")
        let meetingId = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let late = "9999-12-31T23:30:00Z"
        assertInvalid(try w.meetingd.call("meeting.propose", as: w.expert, [
            "user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(late), "length_minutes": 60, "price_credits": 10,
        ]), field: "start", "a proposal ending in year 10000")
        assertInvalid(try w.meetingd.call("meeting.reschedule", as: w.user, ["meeting_id": .string(meetingId), "start": .string(late)]),
                      field: "start", "a new date ending in year 10000")
        assertInvalid(try w.meetingd.call("availability.search", as: w.user, [
            "service_id": .string(w.serviceId), "from": "9999-12-31T00:00:00Z", "to": .string(late),
        ]), field: "to", "a search whose last slot would end in year 10000")
        assertInvalid(try w.meetingd.call("meeting.conflicts", as: w.expert, ["start": .string(late), "length_minutes": 60]),
                      field: "start", "a proposed time ending in year 10000")

        // A community whose test clock stands at the end of the range.
        let other = try bootstrap("edge ends clock")
        let admin = other.adminId
        try w.meetingd.result("clock.set", as: admin, ["now": "9999-12-31T22:00:00Z"])
        assertInvalid(try w.meetingd.call("clock.advance", as: admin, ["minutes": 120]), field: "minutes", "the clock past 9999")
        // A monthly report's default months stay in 0001-01 … 9999-12 where the community's zone
        // has already passed the end of the range (or not yet reached its start).
        let finance = try other.createPersonId(on: w.meetingd, roles: ["finance"])
        try w.meetingd.result("community.update_settings", as: admin, ["time_zone": "Pacific/Kiritimati"])
        func months(_ report: JSONValue) -> [String] { report["months"]?.array?.compactMap { $0["month"]?.string } ?? [] }
        let lastMonths = try w.meetingd.result("report.revenue_by_month", as: finance)
        XCTAssertEqual(months(lastMonths), (1...12).map { String(format: "9999-%02d", $0) }, "10000-01 on the community's clock: \(lastMonths)")
        try w.meetingd.result("clock.set", as: admin, ["now": "0001-01-01T01:00:00Z"])
        try w.meetingd.result("community.update_settings", as: admin, ["time_zone": "Pacific/Pago_Pago"])
        let firstMonths = try w.meetingd.result("report.revenue_by_month", as: finance)
        XCTAssertEqual(months(firstMonths), ["0001-01"], "0000-12 on the community's clock: \(firstMonths)")
        try w.meetingd.result("community.update_settings", as: admin, ["time_zone": "UTC"])
        let before = try w.meetingd.call("clock.advance", as: admin, ["minutes": -120])
        assertInvalid(before, field: "minutes", "the clock before 0001")
        XCTAssertEqual(before["error"]?["data"]?["reason"]?.string?.hasPrefix("puts the clock (120 minutes before 0001-01-01T01:00:00Z)"), true, "\(before)")
        XCTAssertEqual(before["error"]?["data"]?["reason"]?.string?.hasSuffix("choose a later time"), true, "it said earlier: \(before)")
        XCTAssertEqual(try w.meetingd.result("clock.advance", as: admin, ["minutes": -60])["now"], "0001-01-01T00:00:00Z")

        // Bookings and series near the end of the range, on that clock.
        try w.meetingd.result("clock.set", as: admin, ["now": "9999-12-01T00:00:00Z"])
        let location = try MeetingWorld.id(of: w.meetingd.result("location.create", as: admin, ["name": "Room", "kind": "in_person"]))
        let service = try MeetingWorld.id(of: w.meetingd.result("service.create", as: admin, [
            "name": "Late", "kind": "generic", "default_length_minutes": 60, "price_credits": 0]))
        let expert = try other.createPersonId(on: w.meetingd, roles: ["expert"])
        let user = try other.createPersonId(on: w.meetingd, roles: ["user"])
        try w.meetingd.result("service.certify", as: admin, ["service_id": .string(service), "expert_id": .string(expert)])
        try w.meetingd.result("availability.set_weekly", as: admin, ["expert_id": .string(expert), "time_zone": "UTC",
                                                                    "rules": .array(dailyRules("00:00", "24:00", at: [location]))])
        let request: [String: JSONValue] = ["service_id": .string(service), "expert_id": .string(expert), "location_id": .string(location)]
        var params = request
        params["start"] = .string(late)
        assertInvalid(try w.meetingd.call("meeting.request", as: user, params), field: "start", "a request ending in year 10000")
        params["first_start"] = "9999-12-28T10:00:00Z"
        params["start"] = nil
        params["weeks"] = 2
        assertInvalid(try w.meetingd.call("series.create", as: user, params), field: "weeks", "a series whose second date is in year 10000")
        params["weeks"] = nil
        let series = try w.meetingd.result("series.create", as: user, params)
        XCTAssertEqual(series["status"], "active", "an open-ended series stops at the end of the range: \(series)")
        // An expert whose zone is in year 10000 on the range's last day: a series dated there was
        // kept, and no read of it (series.get, the scheduler's) could read its date back.
        let eastern = try other.createPersonId(on: w.meetingd, roles: ["expert"])
        try w.meetingd.result("service.certify", as: admin, ["service_id": .string(service), "expert_id": .string(eastern)])
        try w.meetingd.result("availability.set_weekly", as: admin, ["expert_id": .string(eastern), "time_zone": "Pacific/Kiritimati",
                                                                    "rules": .array(dailyRules("00:00", "24:00", at: [location]))])
        try w.meetingd.result("clock.set", as: admin, ["now": "9999-12-31T09:00:00Z"])
        var east = params
        east["expert_id"] = .string(eastern)
        east["first_start"] = "9999-12-31T12:00:00Z"
        let refused = try w.meetingd.call("series.create", as: user, east)
        assertInvalid(refused, field: "first_start", "a series whose first date is 10000-01-01 in the expert's zone")
        XCTAssertEqual(refused["error"]?["data"]?["reason"]?.string?.hasPrefix("falls on 10000-01-01 in the expert's zone (Pacific/Kiritimati)"), true, "\(refused)")
        east["first_start"] = "9999-12-30T12:00:00Z"
        east["weeks"] = 2
        assertInvalid(try w.meetingd.call("series.create", as: user, east), field: "weeks", "a second date on 10000-01-07 there")
        XCTAssertEqual(try w.meetingd.result("series.list", as: user, [:])["items"]?.array?.count, 1, "the series made above, read back")
        try w.meetingd.result("jobs.run_due", as: admin, [:])
        let slots = try w.meetingd.result("availability.search", as: user, ["service_id": .string(service), "from": "9999-12-31T20:00:00Z",
                                                                            "to": "9999-12-31T22:00:00Z"])
        XCTAssertFalse(slots["slots"]?.array?.isEmpty ?? true, "\(slots)")
        for slot in slots["slots"]?.array ?? [] {
            XCTAssertTrue(slot["end"]?.string?.hasPrefix("9999-12-31T") ?? false, "no slot ends past 9999: \(slot)")
        }
    }

    /// A cursor pages the list that handed it out, nothing else: sent to another method, or
    /// with other filters, it was read as a place in that list (a meeting.list cursor given to
    /// ledger.statement, or one read for role user sent for all roles, answered a page of the
    /// wrong list, or an empty one that looked like its end).
    func testACursorPagesOnlyTheListThatHandedItOut() throws {
        let w = try MeetingWorld(self, label: "edge cursor scope")
        try w.request(start: MeetingTime.at(day: 7, hour: 10))
        try w.request(start: MeetingTime.at(day: 7, hour: 12))
        let wallet = try w.meetingd.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])["accounts"]?[0]?["account_id"]?.string ?? ""
        let first = try w.meetingd.result("meeting.list", as: w.user, ["role": "user", "limit": 1])
        let cursor = try XCTUnwrap(first["next_cursor"]?.string)
        let second = try w.meetingd.result("meeting.list", as: w.user, ["role": "user", "limit": 5, "cursor": .string(cursor)])
        XCTAssertEqual(second["items"]?.array?.count, 1, "the page size may change between pages: \(second)")
        XCTAssertNotEqual(second["items"]?[0]?["id"], first["items"]?[0]?["id"])
        // Params are compared as they read: the same time with another offset is the same list.
        let since = try w.meetingd.result("meeting.list", as: w.user, ["role": "user", "limit": 1, "from": "2030-03-04T12:00:00Z"])
        let sinceCursor = try XCTUnwrap(since["next_cursor"]?.string)
        XCTAssertEqual(try w.meetingd.result("meeting.list", as: w.user, ["role": "user", "from": "2030-03-04T13:00:00+01:00",
                                                                          "cursor": .string(sinceCursor)])["items"]?.array?.count, 1)
        for (method, params, what) in [
            ("meeting.list", ["cursor": JSONValue.string(cursor)], "without the first page's role"),
            ("meeting.list", ["role": "expert", "cursor": .string(cursor)], "for another role"),
            ("meeting.list", ["role": "user", "person_id": .string(w.user), "cursor": .string(cursor)], "with a filter the first page had not"),
            ("ledger.statement", ["account_id": .string(wallet), "cursor": .string(cursor)], "sent to another method"),
        ] {
            let response = try w.meetingd.call(method, as: w.user, params)
            assertInvalid(response, field: "cursor", "a meeting.list cursor \(what)")
            XCTAssertTrue(response["error"]?["data"]?["reason"]?.string?.hasPrefix("belongs to another list") ?? false, "\(what): \(response)")
        }
        _ = try w.addUser(name: "second user")
        let people = try w.meetingd.result("person.list", as: w.admin, ["role": "user", "limit": 1])
        let peopleCursor = try XCTUnwrap(people["next_cursor"]?.string, "the community has two users or more: \(people)")
        assertInvalid(try w.meetingd.call("person.list", as: w.admin, ["role": "expert", "cursor": .string(peopleCursor)]), field: "cursor",
                      "a person.list cursor for another role")
        assertInvalid(try w.meetingd.call("person.list", as: w.finance, ["role": "user", "cursor": .string(peopleCursor)]), field: "cursor",
                      "a person.list cursor sent by another person")
    }

    /// A list filtered by an id the community does not have says so (4004, naming it), as
    /// meeting.list and series.list did: five lists, meeting.conflicts and availability.get
    /// answered an empty page (or all services), which a front end shows as "none" for a
    /// mistyped id. Known ids still list, an empty page included.
    func testAListFilteredByAnUnknownIdSaysSo() throws {
        let w = try MeetingWorld(self, label: "edge unknown filter")
        let person = "per_" + String(repeating: "0", count: 32), service = "svc_" + String(repeating: "0", count: 32)
        let cases: [(String, String, [String: JSONValue], String, String)] = [
            ("student.list", w.admin, ["customer_id": .string(person)], "person", person),
            ("student.list", w.admin, ["student_id": .string(person)], "person", person),
            ("service.list", w.user, ["expert_id": .string(person)], "person", person),
            ("enrollment.list", w.admin, ["user_id": .string(person)], "person", person),
            ("enrollment.list", w.admin, ["expert_id": .string(w.expert), "service_id": .string(service)], "service", service),
            ("conversation.list", w.admin, ["person_id": .string(person)], "person", person),
            ("person.profiles", w.user, ["service_id": .string(service)], "service", service),
            ("meeting.conflicts", w.admin, ["expert_id": .string(person), "start": "2030-03-11T10:00:00Z", "length_minutes": 60], "person", person),
            ("availability.get", w.user, ["expert_id": .string(w.expert), "from": "2030-03-11T00:00:00Z", "to": "2030-03-12T00:00:00Z",
                                          "service_id": .string(service)], "service", service),
        ]
        for (method, actor, params, kind, id) in cases {
            let refused = try w.meetingd.error(method, as: actor, params, code: 4004)
            XCTAssertEqual(refused["data"]?["kind"]?.string, kind, "\(method) \(params): \(refused)")
            XCTAssertEqual(refused["data"]?["id"]?.string, id, "\(method) \(params): \(refused)")
        }
        XCTAssertEqual(try w.meetingd.result("student.list", as: w.admin, ["customer_id": .string(w.user)])["items"]?.array?.count, 0)
        XCTAssertEqual(try w.meetingd.result("service.list", as: w.user, ["expert_id": .string(w.expert)])["items"]?.array?.count, 1)
        XCTAssertEqual(try w.meetingd.result("person.profiles", as: w.user, ["service_id": .string(w.serviceId)])["items"]?.array?.count, 1)
        // A retired service is offered by nobody: its experts are not listed for it (a request
        // for it is refused).
        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": false])
        XCTAssertEqual(try w.meetingd.result("person.profiles", as: w.user, ["service_id": .string(w.serviceId)])["items"]?.array?.count, 0)
        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": true])
        XCTAssertEqual(try w.meetingd.result("conversation.list", as: w.admin, ["person_id": .string(w.user)])["items"]?.array?.count, 0)
        // Who may not list another person's rows is told that first, not whether the id exists.
        _ = try w.meetingd.error("student.list", as: w.user, ["customer_id": .string(person)], code: 4003)
    }

    /// A retry is the same request when it means the same: a time written with another offset,
    /// a whole number written 5.0 (they were compared as text, and the retry refused 4090); a
    /// retry that means something else is still refused.
    func testARetryWritingTheSameRequestDifferentlyIsReplayed() throws {
        let w = try MeetingWorld(self, label: "edge idempotent forms")
        var params = w.requestParams(start: "2030-03-11T10:00:00Z")
        params["idempotency_key"] = "book-once"
        params["length_minutes"] = 60
        let first = try w.meetingd.result("meeting.request", as: w.user, params)
        // Written by hand: 60.0 as the text a client's float gives.
        params["start"] = "2030-03-11T11:00:00+01:00"
        params["actor"] = .string(w.user)
        let line = #"{"jsonrpc":"2.0","id":"retry","method":"meeting.request","params":"# + JSONValue.object(params).serialized
            .replacingOccurrences(of: #""length_minutes":60"#, with: #""length_minutes":60.0"#) + "}"
        XCTAssertTrue(line.contains("60.0"), line)
        XCTAssertEqual(try w.meetingd.exchange(line)["result"], first, "the first answer, replayed")
        params["start"] = "2030-03-11T11:00:00Z"
        XCTAssertEqual(try w.meetingd.error("meeting.request", as: w.user, params, code: 4090)["data"]?["code"], "idempotency_key_reused")
        XCTAssertEqual(try w.meetingd.result("meeting.list", as: w.user, ["role": "user"])["items"]?.array?.count, 1, "one meeting")
    }

    /// A record stored by a release that compared requests as sent (before a time was read in
    /// UTC) still replays the same request after an upgrade: a client retrying across the
    /// upgrade was refused 4090 while its booking stood. Another request under the key is still
    /// refused.
    func testARecordStoredAsSentByAnEarlierReleaseReplaysTheSameRequest() throws {
        let w = try MeetingWorld(self, label: "edge idempotent upgrade")
        var params = w.requestParams(start: "2030-03-11T11:00:00+01:00")
        params["idempotency_key"] = "booked-before-upgrade"
        let first = try w.meetingd.result("meeting.request", as: w.user, params)
        var sent = params
        sent["idempotency_key"] = nil
        sent["actor"] = .string(w.user)
        let text = "meeting.request\n" + JSONValue.object(sent).serialized
        XCTAssertTrue(text.contains("+01:00"), text)
        // Retry records refuse UPDATE (migration 0159): the rewrite is made beneath the trigger.
        XCTAssertEqual(try Psql.query(databaseURL,
            "SET LOCAL session_replication_role = replica; UPDATE idempotency_keys SET request_hash = encode(sha256(convert_to($sent$\(text)$sent$, 'UTF8')), 'hex') "
                + "WHERE actor_id = \(Psql.literal(w.user)) AND key = 'booked-before-upgrade' RETURNING 1"), ["1"], "the record, as an earlier release stored it")
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: w.user, params), first, "the first answer, replayed")
        params["start"] = "2030-03-11T12:00:00+01:00"
        XCTAssertEqual(try w.meetingd.error("meeting.request", as: w.user, params, code: 4090)["data"]?["code"], "idempotency_key_reused")
        XCTAssertEqual(try w.meetingd.result("meeting.list", as: w.user, ["role": "user"])["items"]?.array?.count, 1, "one meeting")
    }

    func testAForgedCursorHoldingAnOutOfRangeTimeIsRefused() throws {
        let w = try MeetingWorld(self, label: "edge cursor")
        try w.request(start: MeetingTime.at(day: 7, hour: 10))
        try w.request(start: MeetingTime.at(day: 7, hour: 12))
        let wallet = try w.meetingd.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])["accounts"]?[0]?["account_id"]?.string ?? ""
        let listParams: [String: JSONValue] = ["role": "user"], statementParams: [String: JSONValue] = ["account_id": .string(wallet)]
        func realCursor(_ method: String, _ params: [String: JSONValue]) throws -> String {
            try XCTUnwrap(try w.meetingd.result(method, as: w.user, params.merging(["limit": 1]) { a, _ in a })["next_cursor"]?.string)
        }
        let list = try realCursor("meeting.list", listParams), statement = try realCursor("ledger.statement", statementParams)
        func assertNotACursor(_ method: String, _ params: [String: JSONValue], _ cursor: String, _ what: String, line: UInt = #line) throws {
            let response = try w.meetingd.call(method, as: w.user, params.merging(["cursor": .string(cursor)]) { a, _ in a })
            assertInvalid(response, field: "cursor", what, line: line)
            XCTAssertEqual(response["error"]?["data"]?["reason"]?.string, "is not a cursor returned by this method", what, line: line)
        }
        for bad in Self.outOfRange {
            try assertNotACursor("meeting.list", listParams, Self.cursor(like: list, #"[0,"\#(bad)","mtg_x",0]"#), "meeting.list cursor with \(bad)")
            try assertNotACursor("ledger.statement", statementParams, Self.cursor(like: statement, #"["\#(bad)",1]"#), "ledger.statement cursor with \(bad)")
        }
        try assertNotACursor("meeting.list", listParams, Self.cursor(like: list, "[12345678901234567890,\"2030-01-01T00:00:00Z\",\"x\",0]"),
                             "a cursor with a number that is not an integer")
        // A list's place among changed meetings holds snapshots: one PostgreSQL could not have
        // written is refused before the database reads it; a forged transaction number is a place.
        let at = "\"2030-01-01T00:00:00Z\""
        for snapshot in ["5:-1:", "1:5:7", "1:5:3,2", "x", "0:0:", "1:18446744073709551615:", "9223372036854775807:1:", "4294967296:0:"] {
            try assertNotACursor("meeting.list", listParams, Self.cursor(like: list, #"[2,\#(at),"mtg_x","\#(snapshot)","5:0:",0,\#(at)]"#),
                                 "a cursor with the snapshot \(snapshot)")
        }
        for changedBy in ["-5", "0", "9223372036854775807"] {
            let forged = Self.cursor(like: list, #"[2,\#(at),"mtg_x","5:0:","5:0:",\#(changedBy),\#(at)]"#)
            XCTAssertNotNil(try w.meetingd.result("meeting.list", as: w.user, listParams.merging(["cursor": .string(forged)]) { a, _ in a })["items"],
                            "a forged transaction \(changedBy) reads a page")
        }
    }

    // MARK: Time zones

    func testZonesTheTwoSidesReadDifferentlyAreRefusedAndBookingGoesOn() throws {
        let w = try MeetingWorld(self, label: "edge zones", settings: ["weekly_usage_limit": 5])
        for zone in ["GMT+0530", "GMT+5", "UTC+3", "posix/Europe/Prague", "right/UTC", "../etc/passwd", "Europe/../Europe/Prague", "EST5EDT,M3.2.0,M11.1.0",
                     "localtime", "Factory", ":Europe/Prague", "/usr/share/zoneinfo/UTC"] {
            assertInvalid(try w.meetingd.call("community.update_settings", as: w.admin, ["time_zone": .string(zone)]), field: "time_zone", zone)
            var person = TestCommunity.personParams(roles: ["user"])
            person["time_zone"] = .string(zone)
            assertInvalid(try w.meetingd.call("person.create", as: w.admin, person), field: "time_zone", "person.create \(zone)")
            assertInvalid(try w.meetingd.call("availability.set_weekly", as: w.admin, ["expert_id": .string(w.expert), "time_zone": .string(zone), "rules": []]),
                          field: "time_zone", "availability.set_weekly \(zone)")
        }
        let meeting = try w.request(start: MeetingTime.at(day: 7, hour: 10))
        XCTAssertEqual(meeting["status"], "awaiting_approval", "booking still works: \(meeting)")
        try w.meetingd.result("community.update_settings", as: w.admin, ["time_zone": "Asia/Kolkata"])
        XCTAssertNotNil(try w.request(start: MeetingTime.at(day: 7, hour: 12))["id"])

        let run = try runTool(TestEnvironment.meetingdPath, ["bootstrap", "--community", "Edge \(TestEnvironment.uniqueTag())", "--short-name", "E",
                                                             "--admin-email", "a-\(TestEnvironment.uniqueTag())@example.test", "--admin-first", "A",
                                                             "--admin-last", "B", "--time-zone", "GMT+0530"])
        XCTAssertFalse(run.succeeded, "bootstrap refuses GMT+0530: \(run.stdout)")
        XCTAssertTrue(run.stderr.contains("time_zone") || run.stderr.contains("time zone"), run.stderr)
        // The short name by the settings' own rule: blank or invisible alone is refused, the
        // spaces around it are not kept.
        func bootstrap(shortName: String) throws -> ToolResult {
            try runTool(TestEnvironment.meetingdPath, ["bootstrap", "--community", "Edge \(TestEnvironment.uniqueTag())", "--short-name", shortName,
                                                      "--admin-email", "a-\(TestEnvironment.uniqueTag())@example.test", "--admin-first", "A", "--admin-last", "B"])
        }
        for blank in ["   ", "\u{200B}"] {
            let refused = try bootstrap(shortName: blank)
            XCTAssertFalse(refused.succeeded, "\(blank.debugDescription): \(refused.stdout)")
            XCTAssertTrue(refused.stderr.contains("--short-name"), refused.stderr)
        }
        let made = try bootstrap(shortName: " EDGE ")
        XCTAssertTrue(made.succeeded, made.stderr)
        let admin = try XCTUnwrap(try JSONValue.parse(made.stdout)["admin_id"]?.string)
        XCTAssertEqual(try w.meetingd.result("community.get", as: admin)["settings"]?["short_name"], "EDGE")
    }

    /// Every name accepted from a broad list is one PostgreSQL knows (one given in another case
    /// is kept as PostgreSQL spells it, as the people import keeps it), and both sides give it
    /// the same UTC offset at several instants.
    func testAcceptedZonesAreThoseBothSidesReadTheSame() throws {
        let w = try MeetingWorld(self, label: "edge zone set")
        var candidates = ["GMT+0530", "GMT+5", "UTC+3", "EST5EDT", "Etc/GMT+5", "posix/Europe/Prague", "right/UTC", "../etc/passwd", "", "UTC",
                          "Europe/Prague", "europe/prague", "Etc/GMT-14", "GMT", "GMT0", "localtime", "posixrules", "Factory", "EST", "PST8PDT"]
        let root = "/usr/share/zoneinfo"
        if let walker = FileManager.default.enumerator(atPath: root) {
            for case let path as String in walker {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue { candidates.append(path) }
            }
        }
        XCTAssertGreaterThan(candidates.count, 500, "the tz database is installed")
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        var accepted: [String] = []
        var spelled: [String: String] = [:]
        for chunk in stride(from: 0, to: candidates.count, by: 400).map({ Array(candidates[$0..<min($0 + 400, candidates.count)]) }) {
            for zone in chunk {
                let response = try w.meetingd.call("availability.set_weekly", as: w.admin, ["expert_id": .string(w.expert), "time_zone": .string(zone), "rules": []])
                if let stored = response["result"]?["time_zone"]?.string {
                    if !spelled.values.contains(stored) { accepted.append(stored) }
                    spelled[zone] = stored
                } else {
                    XCTAssertEqual(response["error"]?["data"]?["field"], "time_zone", "\(zone.debugDescription): \(response)")
                }
            }
        }
        for refused in ["GMT+0530", "GMT+5", "UTC+3", "posix/Europe/Prague", "right/UTC", "../etc/passwd", "", "localtime", "posixrules", "Factory",
                        "CET", "MET"] {
            XCTAssertNil(spelled[refused], "\(refused.debugDescription) is refused")
        }
        XCTAssertEqual(spelled["europe/prague"], "Europe/Prague", "taken as PostgreSQL spells it")
        for known in ["UTC", "Europe/Prague", "Etc/GMT+5", "Etc/GMT-14", "EST5EDT", "America/Argentina/Buenos_Aires"] {
            XCTAssertTrue(accepted.contains(known), "\(known) is accepted")
        }
        let postgres = Set(try Psql.query(databaseURL, "SELECT name FROM pg_timezone_names"))
        XCTAssertEqual(accepted.filter { !postgres.contains($0) }, [], "every accepted zone is one PostgreSQL knows")

        let instants = ["1975-06-01T12:00:00Z", "2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z", "2045-03-31T01:30:00Z"]
        let names = accepted.map(Psql.literal).joined(separator: ",")
        let times = instants.map { Psql.literal($0) }.joined(separator: ",")
        let rows = try Psql.query(databaseURL, """
            SELECT n || '|' || string_agg(extract(epoch FROM (t AT TIME ZONE n) - (t AT TIME ZONE 'UTC'))::bigint::text, ',' ORDER BY t)
            FROM unnest(ARRAY[\(names)]::text[]) n, unnest(ARRAY[\(times)]::timestamptz[]) t GROUP BY n
            """)
        XCTAssertEqual(rows.count, accepted.count)
        for row in rows {
            let parts = row.split(separator: "|").map(String.init)
            let zone = TimeZone(identifier: parts[0])
            let mine = instants.map { String(zone?.secondsFromGMT(for: MeetingTime.date($0)) ?? -999_999) }.joined(separator: ",")
            XCTAssertEqual(parts[1], mine, "\(parts[0]): PostgreSQL's offsets, then the C library's")
        }
    }

    /// A person's name goes into other people's mail headers, calendars and terminals: one given
    /// with a line break, a control character or a reordering mark is refused, naming the field,
    /// and nobody is created; names in any script are taken.
    func testPersonNamesWithControlsOrReorderingMarksAreRefused() throws {
        let w = try MeetingWorld(self, label: "edge names")
        let before = try w.community.people(on: w.meetingd).count
        for (field, name) in [("first_name", "Eve\r\nBcc: mallory@evil.example"), ("last_name", "\u{202E}gnp.exe"), ("first_name", "Sam\u{1B}]0;x\u{07}")] {
            var params = TestCommunity.personParams(roles: ["user"])
            params[field] = .string(name)
            assertInvalid(try w.meetingd.call("person.create", as: w.admin, params), field: field, name.debugDescription)
        }
        XCTAssertEqual(try w.community.people(on: w.meetingd).count, before, "nobody was created")
        let taken = try w.meetingd.result("person.create", as: w.admin, TestCommunity.personParams(roles: ["user"], firstName: "Zoë", lastName: "O'Brien-Łukasz"))
        XCTAssertEqual(taken["last_name"], "O'Brien-Łukasz")
    }
    /// Service, skill and location names reach invitations, mail and terminals as people's names
    /// do: given with a line break, a control character or a reordering mark they are refused,
    /// through the methods and through a CSV import, and nothing is created.
    func testCatalogNamesWithControlsOrReorderingMarksAreRefused() throws {
        let w = try MeetingWorld(self, label: "edge catalog names")
        let locationsBefore = try w.meetingd.result("location.list", as: w.admin)
        // A mark that shows nothing makes a second "Room 1" nobody can tell apart.
        for name in ["Room\r\nBcc: x@evil.example", "\u{202E}1 mooR", "Room\u{1B}[2J", "Room\u{200B} 1", "CHEM\u{00AD}101"] {
            assertInvalid(try w.meetingd.call("location.create", as: w.admin, ["name": .string(name), "kind": "in_person"]), field: "name", name.debugDescription)
            let service: [String: JSONValue] = ["name": .string(name), "kind": "generic", "default_length_minutes": 30, "price_credits": 5]
            assertInvalid(try w.meetingd.call("service.create", as: w.admin, service), field: "name", name.debugDescription)
            let skilled: [String: JSONValue] = ["name": .string("Chem \(TestEnvironment.uniqueTag())"), "kind": "generic", "default_length_minutes": 30, "price_credits": 5,
                                                "skills": ["Stoichiometry", .string(name)]]
            assertInvalid(try w.meetingd.call("service.create", as: w.admin, skilled), field: "skills[1]", name.debugDescription)
        }
        XCTAssertEqual(try w.meetingd.result("location.list", as: w.admin), locationsBefore, "no location was created")
        let taken = try w.meetingd.result("location.create", as: w.admin, ["name": "Salle Éole – 2ᵉ étage", "kind": "in_person"])
        XCTAssertEqual(taken["name"], "Salle Éole – 2ᵉ étage")
    }
    /// The community's words reach every mail subject and calendar: a label, short name or
    /// feedback question given with a control character, a line break or a reordering mark is
    /// refused, naming the field, and the settings stay as they were.
    func testCommunityWordsWithControlsOrReorderingMarksAreRefused() throws {
        let w = try MeetingWorld(self, label: "edge community words")
        let before = try w.meetingd.result("community.get", as: w.admin)
        for (field, params) in [
            ("short_name", ["short_name": JSONValue.string("TP\r\nBcc: x@evil.example")]),
            ("labels.provider", ["labels": ["provider": "Tutor\u{1B}]0;owned\u{07}"]]),
            ("feedback_questions[0]", ["feedback_questions": ["\u{202E}?lufesu ti saW"]]),
        ] {
            assertInvalid(try w.meetingd.call("community.update_settings", as: w.admin, params), field: field, "\(params)")
        }
        XCTAssertEqual(try w.meetingd.result("community.get", as: w.admin), before, "nothing changed")
    }

    /// A meeting with someone not found names the id that was sent, as every not_found does.
    func testAnUnknownPartyIsNamedInTheError() throws {
        let w = try MeetingWorld(self, label: "edge unknown party")
        let nobody = "per_" + String(repeating: "0", count: 31) + "1"
        let proposal = try w.meetingd.error("meeting.propose", as: w.expert, [
            "user_id": .string(nobody), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 7, hour: 10)), "length_minutes": 60,
            "price_credits": 10,
        ], code: 4004)
        XCTAssertEqual(proposal["data"]?["id"]?.string, nobody, "\(proposal)")
        let request = try w.meetingd.error("meeting.request", as: w.user, [
            "expert_id": .string(nobody), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId),
        ], code: 4004)
        XCTAssertEqual(request["data"]?["id"]?.string, nobody, "\(request)")
    }
}
