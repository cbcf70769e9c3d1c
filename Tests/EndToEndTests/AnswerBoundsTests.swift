import Foundation
import XCTest

/// Bounded work (issue: "Bounded work → Answers"): a search answers one page of slots and says
/// where to go on; a batch's answer stops at `MEETINGLEDGER_MAX_ANSWER_BYTES`, the rest answered
/// with errors to send again, never hiding a change that was made; a process's memory is capped.
///
/// The reported cases: 40 year-long searches in one 9.6 kB batch by a plain user under default
/// settings answered 61 MiB with a peak of 351 MiB resident, and one search after an admin set
/// horizon_days 730 and slot_minutes 5 answered 37 MiB.
final class AnswerBoundsTests: EndToEndTestCase {
    /// Two experts free round the clock at two places each, as in the report.
    func reportedWorld(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> MeetingWorld {
        let w = try MeetingWorld(self, label: label, settings: settings)
        let second = try w.addLocation("Room 2")
        let places = [w.locationId, second]
        try w.setWeekly(w.expert, timeZone: "UTC", dailyRules("00:00", "24:00", at: places))
        _ = try w.addScheduledExpert(firstName: "Bo", timeZone: "UTC", services: [w.serviceId], rules: dailyRules("00:00", "24:00", at: places))
        return w
    }

    /// A year-long search request as one JSON-RPC line.
    func yearSearch(_ w: MeetingWorld, id: JSONValue, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var params = w.searchParams(service: nil, from: MeetingTime.startOfTest, to: "2031-03-05T12:00:00Z", extra)
        params["actor"] = .string(w.user)
        return ["jsonrpc": "2.0", "id": id, "method": "availability.search", "params": .object(params)]
    }

    /// A grant of `credits` to the world's user by its finance staff, as a batch entry (a
    /// notification without an id).
    func grant(_ w: MeetingWorld, _ id: JSONValue?, _ credits: Int64) -> JSONValue {
        var request: [String: JSONValue] = ["jsonrpc": "2.0", "method": "credits.grant", "params": [
            "actor": .string(w.finance), "user_id": .string(w.user), "credits": .int(credits), "reference": .string("order-\(TestEnvironment.uniqueTag())"),
        ]]
        if let id { request["id"] = id }
        return .object(request)
    }

    /// Sends one line and reads its answer: the bytes written and the parsed value.
    func exchangeCounting(_ meetingd: Meetingd, _ line: String, timeout: TimeInterval = 120) throws -> (bytes: Int, answer: JSONValue) {
        try meetingd.send(line, timeout: timeout)
        let text = try meetingd.readLine(timeout: timeout)
        return (text.utf8.count, try JSONValue.parse(text))
    }

    /// Peak resident memory of a process so far, in MiB.
    func peakResidentMiB(_ meetingd: Meetingd) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(meetingd.pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("no VmHWM in /proc/\(meetingd.pid)/status") }
        return kB / 1024
    }

    // MARK: One search

    /// The reported batch: every search answers its first 500 slots and a cursor, so the
    /// batch's answer is 7.1 MiB (61 MiB before) and the process peaks far below its cap.
    func testReportedSearchBatchStaysWithinBounds() throws {
        let w = try reportedWorld()
        let fresh = try startMeetingd(["--test-clock"])
        let batch = JSONValue.array((0..<40).map { yearSearch(w, id: .int(Int64($0))) }).serialized
        XCTAssertLessThan(batch.utf8.count, 10_000)
        let started = Date()
        let (answerBytes, line) = try exchangeCounting(fresh, batch)
        let seconds = Date().timeIntervalSince(started)
        let peak = try peakResidentMiB(fresh)
        print("40 year-long searches in one batch: \(answerBytes) bytes answered, peak RSS \(peak) MiB, \(String(format: "%.2f", seconds)) s")
        guard let answers = line.array else { throw HarnessError("not a batch answer: \(line)") }
        XCTAssertEqual(answers.compactMap { $0["id"]?.int }, (0..<40).map(Int64.init))
        for answer in answers {
            let result = try Meetingd.result(of: answer, "a search of the batch")
            XCTAssertEqual(result["slots"]?.array?.count, 500, "the default page")
            XCTAssertEqual(result["truncated"], true)
            XCTAssertNotNil(result["next_cursor"]?.string)
        }
        XCTAssertLessThan(answerBytes, 8 << 20, "the batch's answer is bounded by 40 pages")
        XCTAssertLessThan(peak, 160, "peak resident MiB")
    }

    /// horizon_days 730 and 5-minute slots over a whole year: one page, not 105,000 slots.
    func testWideHorizonFineGridSearchAnswersOnePage() throws {
        let w = try reportedWorld(settings: ["horizon_days": 730, "slot_minutes": 5])
        let line = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "availability.search",
                                     "params": yearSearch(w, id: 1)["params"]!]).serialized
        let (answerBytes, answer) = try exchangeCounting(w.meetingd, line)
        print("a year of 5-minute slots: \(answerBytes) bytes answered")
        let page = try Meetingd.result(of: answer)
        let slots = try (page["slots"]?.array ?? []).map(FoundSlot.init)
        XCTAssertEqual(slots.count, 500)
        // Without notice the first start is the first after now (a meeting starting now has started).
        XCTAssertEqual(slots.first?.start, MeetingTime.shifted(MeetingTime.startOfTest, minutes: 5))
        XCTAssertEqual(slots.last?.start, MeetingTime.shifted(MeetingTime.startOfTest, minutes: 500 * 5))
        XCTAssertEqual(page["truncated"], true)
        XCTAssertLessThan(answerBytes, 256 << 10)

        let next = try w.search(from: MeetingTime.startOfTest, to: "2031-03-05T12:00:00Z", ["cursor": page["next_cursor"]!, "limit": 2000])
        XCTAssertEqual(next.count, 2000, "the largest page")
        XCTAssertEqual(next.first?.start, MeetingTime.shifted(MeetingTime.startOfTest, minutes: 501 * 5), "the next page starts where the first stopped")
        for limit: JSONValue in [0, 2001] {
            let refused = try w.meetingd.error("availability.search", as: w.user,
                                               w.searchParams(service: nil, from: MeetingTime.startOfTest, to: "2031-03-05T12:00:00Z", ["limit": limit]), code: -32602)
            XCTAssertEqual(refused["data"]?["field"], "limit")
        }
    }

    /// Pages of 7 followed through their cursors give exactly the slots of one page of every
    /// slot, across the 23-hour day when New York (the community's zone) moves its clocks.
    func testPagesGiveTheSameSlotsAsOneAnswer() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["time_zone": "America/New_York"])
        _ = try w.addScheduledExpert(firstName: "Ann", timeZone: "Europe/Prague", services: [w.serviceId],
                                     rules: [weeklyRule(6, "09:00", "13:00", at: [w.locationId]), weeklyRule(7, "20:00", "24:00", at: [w.locationId])])
        try w.requestWith(start: "2030-03-10T15:00:00Z", ["location_id": .string(w.locationId)])
        let from = "2030-03-09T05:00:00Z", to = "2030-03-12T04:00:00Z"
        let whole = try w.meetingd.result("availability.search", as: w.user, w.searchParams(service: nil, from: from, to: to, ["limit": 2000]))
        XCTAssertEqual(whole["truncated"], false)
        XCTAssertEqual(whole["next_cursor"], .null)
        let all = try (whole["slots"]?.array ?? []).map(FoundSlot.init)
        XCTAssertEqual(all.count, 3 * 31 + 2 - 3, "the fixture expert's 31 starts a day, two more of Ann's on Sunday evening, less three for the booked hour")

        var paged: [FoundSlot] = []
        var cursor: JSONValue? = nil
        var pages = 0
        repeat {
            var extra: [String: JSONValue] = ["limit": 7]
            if let cursor { extra["cursor"] = cursor }
            let page = try w.meetingd.result("availability.search", as: w.user, w.searchParams(service: nil, from: from, to: to, extra))
            let slots = try (page["slots"]?.array ?? []).map(FoundSlot.init)
            XCTAssertLessThanOrEqual(slots.count, 7)
            XCTAssertEqual(page["truncated"]?.bool, !(page["next_cursor"]?.isNull ?? true))
            paged += slots
            let next = page["next_cursor"] ?? .null
            cursor = next.isNull ? Optional.none : next
            pages += 1
        } while cursor != nil && pages < 100
        XCTAssertEqual(paged, all, "no slot lost, repeated or out of order")
        XCTAssertEqual(pages, (all.count + 6) / 7)

        for forged: JSONValue in ["zz", "5b5d", .string(String(repeating: "0", count: 20))] {
            let refused = try w.meetingd.error("availability.search", as: w.user, w.searchParams(service: nil, from: from, to: to, ["cursor": forged]), code: -32602)
            XCTAssertEqual(refused["data"]?["field"], "cursor")
        }
    }

    /// An expert with ten half-hour windows a day at five places has 50 free periods a day:
    /// 60 days of them are more than one answer of availability.get lists (2,000). The first
    /// answer stops at a start and says where to go on; the two together list every window once.
    func testAvailabilityGetStopsAtItsBound() throws {
        let w = try MeetingWorld(self, label: #function)
        let places = try [w.locationId] + (2...5).map { try w.addLocation("Room \($0)") }
        let windows = (8..<18).map { hour in (String(format: "%02d:00", hour), String(format: "%02d:30", hour)) }
        try w.setWeekly(w.expert, timeZone: "UTC", windows.flatMap { dailyRules($0.0, $0.1, at: places) })
        let late = "2030-04-30T17:00:00Z"
        try w.meetingd.result("availability.block", as: w.expert, ["expert_id": .string(w.expert), "start": .string(late), "end": "2030-04-30T18:00:00Z"])
        let from = "2030-03-05T00:00:00Z", to = "2030-05-04T00:00:00Z"
        func get(from: String) throws -> JSONValue {
            try w.meetingd.result("availability.get", as: w.user, ["expert_id": .string(w.expert), "from": .string(from), "to": .string(to)])
        }
        let first = try get(from: from)
        let free = first["free"]?.array ?? []
        XCTAssertEqual(first["truncated"], true)
        guard let nextFrom = first["next_from"]?.string else { throw HarnessError("no next_from in a truncated answer") }
        XCTAssertLessThanOrEqual(free.count, 2000)
        XCTAssertEqual(free.count % 5, 0, "the five places of a window come together")
        XCTAssertTrue(free.allSatisfy { ($0["end"]?.string ?? "") <= nextFrom }, "the first answer covers [from, next_from)")
        XCTAssertEqual(first["blocked"]?.array, [], "the late block lies beyond next_from")

        let rest = try get(from: nextFrom)
        XCTAssertEqual(rest["truncated"], false)
        XCTAssertEqual(rest["next_from"], .null)
        XCTAssertEqual(rest["blocked"]?.array?.compactMap { $0["start"]?.string }, [late])
        let all = free + (rest["free"]?.array ?? [])
        XCTAssertEqual(Set(all.compactMap { $0["start"]?.string }).count * 5, all.count, "each window once, at five places")
        XCTAssertEqual(all.count, (60 * 10 - 1) * 5, "sixty days of ten windows, less the one blocked")

        let shown = try Meetctl(actor: w.expert).ok(["availability", "show", "--from", from, "--to", to])
        XCTAssertTrue(shown.contains("for the rest: --from \(nextFrom)"), "meetctl says where the answer stopped:\n\(shown.suffix(300))")
    }

    // MARK: One batch

    /// One worker, so the order is exact: the first search fits, the second passes the bound
    /// and closes the answer; the entries after it are not run and say so, except the
    /// notification, which runs (it has no answer to bound).
    func testBatchOverTheAnswerBoundAnswersTheRestWithAnError() throws {
        let w = try reportedWorld()
        let bounded = try startMeetingd(["--test-clock", "--batch-workers", "1"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "300000"])
        let ping: JSONValue = ["jsonrpc": "2.0", "id": "ping", "method": "system.ping"]
        let batch: [JSONValue] = [yearSearch(w, id: "s1"), grant(w, "g1", 1), yearSearch(w, id: "s2"), grant(w, "g2", 10), grant(w, nil, 100), ping, "not a request"]
        let answer = try bounded.exchange(JSONValue.array(batch).serialized, timeout: 60)
        guard let answers = answer.array else { throw HarnessError("not a batch answer: \(answer)") }
        XCTAssertEqual(answers.map { $0["id"] ?? "missing" }, ["s1", "g1", "s2", "g2", "ping", .null], "one answer per entry with an id, in order")
        XCTAssertEqual(try Meetingd.result(of: answers[0])["slots"]?.array?.count, 500)
        XCTAssertEqual(try Meetingd.result(of: answers[1])["credits"], 1)
        // No request object: its own short error, even after the bound (nothing of it runs).
        try Meetingd.error(of: answers[5], code: -32600)
        for full in [answers[2], answers[3], answers[4]] {
            let error = try Meetingd.error(of: full, code: 4131)
            XCTAssertEqual(error["data"]?["code"], "batch_answer_full")
            XCTAssertEqual(error["data"]?["retryable"], true)
            XCTAssertEqual(error["data"]?["max_answer_bytes"], 300_000)
            XCTAssertTrue(error["message"]?.string?.contains("Send it again") ?? false, "\(error)")
        }
        XCTAssertEqual(try w.wallet().available, MeetingWorld.granted + 1 + 100, "g1 and the notification ran; g2 did not")
        // Each request is one log line with the code it was answered with: s2, which ran, and g2,
        // which never did (it had no line).
        for id in ["s2", "g2"] {
            try bounded.waitForLog("\(id) logged as error 4131") { $0["id"] == .string(id) && $0["message"] == "error 4131" }
        }

        try Meetingd.result(of: try bounded.exchange(batch[3].serialized))
        XCTAssertEqual(try w.wallet().available, MeetingWorld.granted + 1 + 100 + 10, "sent again, g2 runs once")
    }

    /// A batch's time is bounded (MEETINGLEDGER_MAX_BATCH_SECONDS): an entry that waited past it
    /// (here for the expert's calendar, held by a session of the test's) finishes, and what was
    /// not started is answered batch_time_up, changing nothing; a notification is dropped and
    /// logged. Sent again, each runs once.
    func testBatchPastItsTimeAnswersTheRestWithAnError() throws {
        let w = try MeetingWorld(self, label: #function)
        let bounded = try startMeetingd(["--test-clock", "--batch-workers", "1"], environment: ["MEETINGLEDGER_MAX_BATCH_SECONDS": "1"])
        var booking = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        booking["actor"] = .string(w.user)
        let request: JSONValue = ["jsonrpc": "2.0", "id": "r1", "method": "meeting.request", "params": .object(booking)]
        let batch: [JSONValue] = [request, grant(w, "g1", 1), grant(w, nil, 10), "not a request"]

        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT ml_lock(\(Psql.literal(w.community.id)), \(Psql.literal(w.expert)), 0);")
        try bounded.send(JSONValue.array(batch).serialized)
        let deadline = Date().addingTimeInterval(10)
        while try Psql.query(databaseURL, "SELECT pid FROM pg_stat_activity WHERE \(holderPid) = ANY (pg_blocking_pids(pid))").allSatisfy(\.isEmpty) {
            guard Date() < deadline else { throw HarnessError("the request did not wait for the expert's calendar") }
            usleep(20_000)
        }
        usleep(1_200_000)
        try holder.run("ROLLBACK;")
        let answer = try bounded.readResponse(timeout: 60)
        guard let answers = answer.array else { throw HarnessError("not a batch answer: \(answer)") }
        XCTAssertEqual(answers.map { $0["id"] ?? "missing" }, ["r1", "g1", .null], "one answer per entry with an id, in order")
        XCTAssertEqual(try Meetingd.result(of: answers[0])["status"], "awaiting_approval", "started within the bound: it ran")
        let error = try Meetingd.error(of: answers[1], code: 4132)
        XCTAssertEqual(error["data"]?["code"], "batch_time_up")
        XCTAssertEqual(error["data"]?["retryable"], true)
        XCTAssertEqual(error["data"]?["max_batch_seconds"], 1)
        XCTAssertTrue(error["message"]?.string?.contains("Send it again") ?? false, "\(error)")
        try Meetingd.error(of: answers[2], code: -32600)
        XCTAssertEqual(try w.wallet().available, MeetingWorld.granted - MeetingWorld.price, "neither grant ran: only the request's hold")
        try bounded.waitForLog("the dropped notification", where: { $0["message"]?.string?.contains("batch_time_up") == true && $0["method"] == "credits.grant" })

        let again = try bounded.exchange(JSONValue.array([batch[1], batch[2]]).serialized)
        XCTAssertEqual(try Meetingd.result(of: try XCTUnwrap(again.array?.first))["credits"], 1, "\(again)")
        XCTAssertEqual(try w.wallet().available, MeetingWorld.granted - MeetingWorld.price + 11, "sent again, each grant runs once")
    }

    /// Four workers at once: whichever entries the bound stops, an entry that changed something
    /// is answered with what it did, and an entry answered "send it again" changed nothing.
    func testConcurrentBatchNeverHidesAChange() throws {
        let w = try reportedWorld()
        let bounded = try startMeetingd(["--test-clock", "--batch-workers", "4"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "700000"])
        var batch: [JSONValue] = []
        for i in 0..<12 {
            batch.append(yearSearch(w, id: .string("s\(i)")))
            batch.append(["jsonrpc": "2.0", "id": .string("g\(i)"), "method": "credits.grant", "params": [
                "actor": .string(w.finance), "user_id": .string(w.user), "credits": .int(1 << i), "reference": .string("order-\(TestEnvironment.uniqueTag())"),
            ]])
        }
        let line = JSONValue.array(batch).serialized
        let answer = try bounded.exchange(line, timeout: 120)
        guard let answers = answer.array else { throw HarnessError("not a batch answer: \(answer)") }
        XCTAssertEqual(answers.map { $0["id"] ?? "missing" }, batch.map { $0["id"]! })
        var granted: Int64 = 0
        var searchBytes = 0
        var full = 0
        for (request, response) in zip(batch, answers) {
            if let error = response["error"] {
                XCTAssertEqual(error["code"], 4131, "\(error)")
                full += 1
            } else if request["method"] == "credits.grant" {
                granted += try Meetingd.result(of: response)["credits"]?.int ?? 0
            } else {
                searchBytes += response.serialized.utf8.count
            }
        }
        XCTAssertGreaterThan(full, 0, "twelve pages of 185 kB pass 700 kB")
        XCTAssertLessThanOrEqual(searchBytes, 700_000)
        XCTAssertEqual(try w.wallet().available, MeetingWorld.granted + granted, "exactly the grants answered with a transfer ran")
    }

    /// One answer over the bound: read-only, it is replaced by answer_too_large (alone or in a
    /// batch that goes on); a change that was made is answered whatever its size.
    func testSingleAnswerOverTheBound() throws {
        let w = try reportedWorld()
        let bounded = try startMeetingd(["--test-clock"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "100000"])
        let tooLarge = try Meetingd.error(of: try bounded.exchange(yearSearch(w, id: 1).serialized), code: 4130)
        XCTAssertEqual(tooLarge["data"]?["code"], "answer_too_large")
        XCTAssertEqual(tooLarge["data"]?["retryable"], false)
        XCTAssertGreaterThan(tooLarge["data"]?["answer_bytes"]?.int ?? 0, 100_000)
        XCTAssertTrue(tooLarge["message"]?.string?.contains("smaller limit") ?? false)
        XCTAssertEqual(try Meetingd.result(of: try bounded.exchange(yearSearch(w, id: 2, ["limit": 100]).serialized))["slots"]?.array?.count, 100)

        let mixed = try bounded.exchange(JSONValue.array([yearSearch(w, id: 3), ["jsonrpc": "2.0", "id": 4, "method": "system.ping"]]).serialized)
        XCTAssertEqual(try Meetingd.error(of: mixed[0]!, code: 4130)["data"]?["code"], "answer_too_large")
        XCTAssertEqual(try Meetingd.result(of: mixed[1]!)["database"], "ok", "an answer too large alone does not close the batch")
        // Each call's log line says the code it was answered with, as an operator counts errors.
        for (id, message) in [(1, "error 4130"), (2, "ok"), (3, "error 4130"), (4, "ok")] {
            try bounded.waitForLog("the call \(id) logged as \(message)") {
                $0["id"] == .int(Int64(id)) && $0["method"] != nil && $0["message"] == .string(message)
            }
        }
        XCTAssertFalse(
            bounded.stderrLines.compactMap { try? JSONValue.parse($0) }.contains { $0["id"] == 1 && $0["message"] == "ok" },
            "the search answered 4130 is not logged as ok")

        let tiny = try startMeetingd(["--test-clock"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "100"])
        let created = try tiny.result("location.create", as: w.admin, ["name": "Room with a long name to pass a hundred bytes", "kind": "in_person"])
        let id = try MeetingWorld.id(of: created)
        XCTAssertTrue(try w.meetingd.result("location.list", as: w.admin).serialized.contains(id), "the change was made and answered")
        try tiny.error("location.list", as: w.admin, code: 4130)
    }

    // MARK: Memory

    func testMemoryCapIsSetAtStartUp() throws {
        func dataLimit(_ meetingd: Meetingd) throws -> String {
            _ = try meetingd.call("system.ping")
            let limits = try String(contentsOfFile: "/proc/\(meetingd.pid)/limits", encoding: .utf8)
            guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max data size") }) else { throw HarnessError(limits) }
            return line.split(separator: " ", omittingEmptySubsequences: true)[3].description
        }
        XCTAssertEqual(try dataLimit(try startMeetingd()), "1073741824", "1 GiB by default")
        XCTAssertEqual(try dataLimit(try startMeetingd(["--max-memory-mb", "256"])), "268435456")
        XCTAssertEqual(try dataLimit(try startMeetingd(environment: ["MEETINGLEDGER_MAX_MEMORY_MB": "300"])), "314572800")
        XCTAssertEqual(try dataLimit(try startMeetingd(environment: ["MEETINGLEDGER_MAX_MEMORY_MB": "0"])), "unlimited", "0 keeps the system's limit")
        let refused = try runTool(TestEnvironment.meetingdPath, ["--max-memory-mb", "10"])
        XCTAssertEqual(refused.termination, .exited(2))
        XCTAssertTrue(refused.stderr.contains("256 to 16777216"), refused.stderr)
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["--max-memory-mb", "255", "discover"]).termination, .exited(2), "the floor is 256 MiB")
        // Past 16 TiB the cap in bytes wrapped (2^44 + 1 MiB became 1 MiB and the process could
        // not start); a sign is not how a number is written.
        for given in ["17592186044417", "99999999999999", "+300"] {
            let wrapped = try runTool(TestEnvironment.meetingdPath, ["--max-memory-mb", given])
            XCTAssertEqual(wrapped.termination, .exited(2), given)
            XCTAssertTrue(wrapped.stderr.contains("(got \"\(given)\")"), wrapped.stderr)
        }
        let signed = try runTool(TestEnvironment.meetingdPath, [], environment: ["MEETINGLEDGER_MAX_MESSAGE_BYTES": "+5", "DATABASE_URL": "host=/nonexistent"])
        XCTAssertEqual(signed.termination, .exited(2), signed.stderr)
    }

    /// With the message bound lifted, a 300 MB message needs more than the lowest cap, 256 MiB:
    /// the process stops (the Swift runtime cannot allocate) instead of growing. Under the lowest
    /// cap, with the answer bound lifted, 40 searches of 2,000 slots are answered (and so under
    /// any higher cap, the default's too).
    func testProcessOverTheMemoryCapStopsInsteadOfGrowing() throws {
        let w = try reportedWorld()
        let line = JSONValue.array((0..<40).map { yearSearch(w, id: .int(Int64($0)), ["limit": 2000]) }).serialized
        let unbounded = ["MEETINGLEDGER_MAX_ANSWER_BYTES": "1000000000"]
        let lowest = try startMeetingd(["--test-clock", "--max-memory-mb", "256"], environment: unbounded)
        XCTAssertEqual(try lowest.exchange(line, timeout: 300).array?.count, 40, "a batch of searches fits the lowest cap")
        let capped = try startMeetingd(["--test-clock", "--max-memory-mb", "256"], environment: ["MEETINGLEDGER_MAX_MESSAGE_BYTES": "400000000"])
        XCTAssertEqual(try capped.call("system.ping")["result"]?["database"], "ok", "it starts and serves under 256 MiB")
        try? capped.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\",\"params\":{\"x\":\"" + String(repeating: "a", count: 300_000_000) + "\"}}", timeout: 120)
        XCTAssertEqual(try capped.waitForExit(timeout: 120), .signalled(SIGABRT))
        XCTAssertTrue(capped.stderrText.contains("failed to allocate"), capped.stderrTail)
        print("40 searches of 2,000 slots under the lowest cap, answer bound lifted: peak RSS \(try peakResidentMiB(lowest)) MiB")
    }
}

/// The meetings and series an answer tells of in passing are the first 100, with a count of
/// them all: an expert's 1,160 meetings on a day made a block's answer list 100 with nothing to
/// say more were there, and meeting.conflicts, unpaged, answered 4130 for ever once an expert
/// had some 700 overlapping agreed meetings.
final class ListedInPassingTests: EndToEndTestCase {
    func testAnswersListTheFirst100AndCountThemAll() throws {
        // Requests that leave their slot free, so 102 of them share one hour.
        let w = try MeetingWorld(self, label: "listed in passing", settings: ["pending_holds_slot": false])
        let n = 102
        try w.grant(w.user, Int64(n) * MeetingWorld.price)
        let start = MeetingTime.at(day: 7, hour: 10)
        var request = w.requestParams(start: start)
        request["actor"] = .string(w.user)
        let ids = try w.meetingd.batch(Array(repeating: ("meeting.request", JSONValue.object(request)), count: n)).map { try MeetingWorld.id(of: $0) }
        XCTAssertEqual(Set(ids).count, n)

        let retired = try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": false])
        XCTAssertEqual(retired["waiting_meetings"]?.array?.count, 100)
        XCTAssertEqual(retired["waiting_meetings_count"], .int(Int64(n)))
        XCTAssertEqual(retired["active_series_count"], 0)
        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(w.serviceId), "active": true])

        let evenings: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "18:00", "end": "22:00", "location_ids": [.string(w.locationId)]] }
        let hours = try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(evenings)])
        XCTAssertEqual(hours["meetings_outside_hours"]?.array?.count, 100, "the soonest 100 checked, each outside the new hours")
        XCTAssertEqual(hours["meetings_checked_all"], false)
        let days: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(w.locationId)]] }
        let restored = try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(days)])
        XCTAssertEqual(restored["meetings_outside_hours"], [])

        _ = try w.meetingd.batch(ids.map { ("meeting.confirm", ["actor": .string(w.expert), "meeting_id": .string($0), "accept_conflicts": true]) })
        let conflicts = try w.meetingd.result("meeting.conflicts", as: w.expert, ["meeting_id": .string(ids[0])])
        XCTAssertEqual(conflicts["meetings"]?.array?.count, 100, "the soonest 100 of the others")
        XCTAssertEqual(conflicts["count"], .int(Int64(n - 1)))
        let shown = try Meetctl(actor: w.expert).run(["conflicts", ids[0]])
        XCTAssertTrue(shown.succeeded, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("… and 1 more not listed here (101 in all; the soonest 100 are listed)"), shown.stdout)

        let block = try w.meetingd.result("availability.block", as: w.expert, [
            "expert_id": .string(w.expert), "start": .string(MeetingTime.at(day: 7, hour: 9)), "end": .string(MeetingTime.at(day: 7, hour: 12)),
        ])
        XCTAssertEqual(block["meetings_within"]?.array?.count, 100)
        XCTAssertEqual(block["meetings_within_count"], .int(Int64(n)))
    }
}
