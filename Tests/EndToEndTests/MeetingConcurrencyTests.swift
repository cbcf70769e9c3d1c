import Foundation
import XCTest

/// SPEC §6 correctness under concurrency: two meetingd processes on one database, two calls on
/// the same meeting (or the same expert slot) released at the same instant from two threads,
/// many rounds. Exactly one wins where the rules allow only one; otherwise the outcome is
/// that of one of the two serial orders. The loser gets a clear error and the ledger always
/// reconciles.
final class MeetingConcurrencyTests: EndToEndTestCase {
    static let rounds = 20

    struct Call {
        let method: String
        let actor: String
        let params: [String: JSONValue]
    }

    /// Two processes, each serving one of the calls; the processes swap lanes every round.
    func race(_ w: MeetingWorld, _ second: Meetingd, round: Int, _ a: Call, _ b: Call) throws -> (JSONValue, JSONValue) {
        let (first, other) = round % 2 == 0 ? (w.meetingd, second) : (second, w.meetingd)
        let laneA = Unchecked(first), laneB = Unchecked(other)
        return try EndToEndTests.race(
            { try laneA.value.call(a.method, as: a.actor, a.params) },
            { try laneB.value.call(b.method, as: b.actor, b.params) })
    }

    func ok(_ response: JSONValue) -> Bool { response["result"] != nil && response["error"] == nil }
    func code(_ response: JSONValue) -> Int64? { response["error"]?["code"]?.int }

    /// The slot of round `i`: every two hours from 06:00 to 22:00 on the days from day 7, so a
    /// slot shifted by 30 minutes still overlaps no other round's.
    func slot(_ i: Int, firstDay: Int = 7) -> String { MeetingTime.at(day: firstDay + i / 8, hour: 6 + 2 * (i % 8)) }

    func setUp(_ label: String) throws -> (MeetingWorld, Meetingd) {
        let w = try MeetingWorld(self, label: label)
        try w.grant(w.user, 100 * Int64(Self.rounds) * 2)
        let second = try startMeetingd(["--test-clock"])
        return (w, second)
    }

    /// Asserts exactly one of two responses succeeded and the other failed with `loserCode`;
    /// returns whether the first won.
    func exactlyOne(_ a: JSONValue, _ b: JSONValue, loserCode: Int64, _ label: String, file: StaticString = #filePath, line: UInt = #line) -> Bool? {
        guard ok(a) != ok(b) else {
            XCTFail("exactly one should succeed (\(label)): \(a) / \(b)", file: file, line: line)
            return nil
        }
        let loser = ok(a) ? b : a
        XCTAssertEqual(code(loser), loserCode, "the loser's error (\(label)): \(loser)", file: file, line: line)
        XCTAssertNotNil(loser["error"]?["data"]?["code"]?.string, "a stable data.code (\(label))", file: file, line: line)
        XCTAssertEqual(loser["error"]?["data"]?["retryable"], false, "(\(label))", file: file, line: line)
        return ok(a)
    }

    // MARK: Retirement against booking

    /// A retirement answers what it leaves waiting (`waiting_meetings`): a request racing it is
    /// either refused (it saw the retirement) or in that list (the retirement waited for it).
    /// Without the catalog entry's lock, both succeeded and the list was empty in about a third
    /// of such rounds (a black-box race audit).
    func testARetirementListsEveryRequestThatDidNotSeeIt() throws {
        let (w, second) = try setUp(#function)
        var requested = 0
        for round in 0..<Self.rounds {
            let service = try w.addService("Race \(round) \(TestEnvironment.uniqueTag())")
            try w.certify(w.expert, in: service)
            let room = try w.addLocation("Race room \(round) \(TestEnvironment.uniqueTag())")
            let hours: [JSONValue] = (1...7).map { day in
                ["weekday": .int(Int64(day)), "start": "06:00", "end": "22:00", "location_ids": [.string(w.locationId), .string(room)]]
            }
            try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(hours)])
            for (retire, params) in [
                (Call(method: "service.set_active", actor: w.admin, params: ["service_id": .string(service), "active": false]),
                 w.requestParams(start: slot(2 * round)).merging(["service_id": .string(service)]) { $1 }),
                (Call(method: "location.update", actor: w.admin, params: ["location_id": .string(room), "active": false]),
                 w.requestParams(start: slot(2 * round + 1)).merging(["location_id": .string(room)]) { $1 }),
            ] {
                let (booking, retired) = try race(w, second, round: round, Call(method: "meeting.request", actor: w.user, params: params), retire)
                XCTAssertTrue(ok(retired), "\(retired)")
                let waiting = retired["result"]?["waiting_meetings"]?.array ?? []
                if ok(booking) {
                    requested += 1
                    XCTAssertEqual(waiting, [booking["result"]?["id"] ?? .null], "round \(round), \(retire.method): a request that did not see the retirement is listed")
                } else {
                    XCTAssertEqual(code(booking), 4011, "round \(round): \(booking)")
                    XCTAssertEqual(waiting, [], "round \(round)")
                }
            }
        }
        print("MeetingConcurrencyTests: \(requested) of \(2 * Self.rounds) requests went ahead of their retirement")
        try w.assertReconciled()
    }

    /// `first` confirms, held at `wallet` (a session of the test's holds the row) after its
    /// people's locks; `then` confirms from the second process and must wait behind it. Returns
    /// both answers once the wallet is free.
    func confirmBehindAHeldConfirm(_ w: MeetingWorld, _ second: Meetingd, holding wallet: String,
                                   first: (actor: String, meeting: String), then: (actor: String, meeting: String)) throws -> (JSONValue, JSONValue) {
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT 1 FROM accounts WHERE id = \(Psql.literal(wallet)) FOR UPDATE;")
        let confirm: (String, String) -> String = { actor, meeting in
            #"{"jsonrpc":"2.0","id":"c","method":"meeting.confirm","params":{"actor":"\#(actor)","meeting_id":"\#(meeting)"}}"#
        }
        try w.meetingd.send(confirm(first.actor, first.meeting))
        let confirming = try backend(waitingFor: holderPid, "the first confirm never waited for the wallet")
        try second.send(confirm(then.actor, then.meeting))
        try backend(waitingFor: confirming, "the second confirm did not wait for the first, which books the same person")
        try holder.run("ROLLBACK;")
        return (try w.meetingd.readResponse(timeout: 60), try second.readResponse(timeout: 60))
    }

    /// The meetings an expert attends as a user count as their conflicts, and change under
    /// their lock as a user: an expert's confirm takes that lock too, so it waits for another
    /// expert's confirm of a meeting they attend as a user at that time, and then meets it as a
    /// conflict. Before, the two confirms shared no lock: both went through, and the expert had
    /// two agreed meetings at once, one they never saw as a conflict.
    func testAnExpertsConfirmWaitsForTheirMeetingAsAUserBeingConfirmed() throws {
        let (w, second) = try setUp(#function)
        let both = try w.addExpert(name: "both", roles: ["expert", "user"])
        try w.grant(both, 500)
        let asked = try MeetingWorld.id(of: w.request(start: slot(0), expert: both))
        let attending = try MeetingWorld.id(of: w.request(start: slot(0), by: both))
        let (attended, refused) = try confirmBehindAHeldConfirm(
            w, second, holding: try w.meetingd.accountId(of: both, kind: "user_wallet", as: w.finance),
            first: (w.expert, attending), then: (both, asked))
        XCTAssertEqual(attended["result"]?["status"], "agreed", "\(attended)")
        XCTAssertEqual(code(refused), 4010, "\(refused)")
        XCTAssertEqual(refused["error"]?["data"]?["meeting_ids"], [.string(attending)], "\(refused)")
        XCTAssertEqual(try w.meeting(asked)["status"], "awaiting_approval")
        try w.assertReconciled()
    }

    /// The other order: the expert who is also a user confirms a request as the expert while
    /// another expert confirms their own request as a user at that time. The second waits, then
    /// meets the meeting its user now attends as the expert, told without naming it.
    func testAConfirmWaitsForItsUsersMeetingAsAnExpertBeingConfirmed() throws {
        let (w, second) = try setUp(#function)
        let both = try w.addExpert(name: "both", roles: ["expert", "user"])
        try w.grant(both, 500)
        let asked = try MeetingWorld.id(of: w.request(start: slot(0), expert: both))
        let attending = try MeetingWorld.id(of: w.request(start: slot(0), by: both))
        let (agreed, refused) = try confirmBehindAHeldConfirm(
            w, second, holding: try w.meetingd.accountId(of: w.user, kind: "user_wallet", as: w.finance),
            first: (both, asked), then: (w.expert, attending))
        XCTAssertEqual(agreed["result"]?["status"], "agreed", "\(agreed)")
        XCTAssertEqual(code(refused), 4010, "\(refused)")
        XCTAssertEqual(refused["error"]?["data"]?["meeting_ids"], [], "\(refused)")
        XCTAssertEqual(try w.meeting(attending)["status"], "awaiting_approval")
        try w.assertReconciled()
    }

    /// The scheduler books a series' date with an expert who is also a user: it takes the
    /// expert's lock as a user too, so it waits for the expert's own request as a user at that
    /// time (agreed at once with auto-accept), and then leaves the date unbooked. Before, it took
    /// the expert's calendar lock only, did not wait, and both meetings were agreed at once.
    func testTheSchedulerWaitsForItsExpertsOwnRequestAsAUser() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["auto_accept": true, "horizon_days": 14])
        let both = try w.addExpert(name: "both", roles: ["expert", "user"])
        try w.grant(both, 500)
        try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(both), "location_id": .string(w.locationId),
            "first_start": "2030-03-06T10:00:00Z",
        ])
        try w.setClock("2030-03-07T12:00:00Z")
        let wallet = try w.meetingd.accountId(of: both, kind: "user_wallet", as: w.finance)
        let jobs = try startMeetingd(["--test-clock"])

        // `both`'s own request at the date the scheduler is due to book is held at their wallet,
        // after its people's locks.
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; SELECT 1 FROM accounts WHERE id = \(Psql.literal(wallet)) FOR UPDATE;")
        let request: JSONValue = .object(w.requestParams(start: "2030-03-20T10:00:00Z").merging(["actor": .string(both)]) { $1 })
        try w.meetingd.send(#"{"jsonrpc":"2.0","id":"r","method":"meeting.request","params":\#(request.serialized)}"#)
        let requesting = try backend(waitingFor: holderPid, "the request of `both` never waited for their wallet")
        try jobs.send(#"{"jsonrpc":"2.0","id":"j","method":"jobs.run_due","params":{"actor":"\#(w.admin)"}}"#)
        try backend(waitingFor: requesting, "jobs.run_due did not wait for the request its series' expert makes as a user")
        try holder.run("ROLLBACK;")
        let requested = try w.meetingd.readResponse(timeout: 60), ran = try jobs.readResponse(timeout: 60)
        XCTAssertEqual(requested["result"]?["status"], "agreed", "\(requested)")
        XCTAssertEqual(ran["result"]?["series_occurrences_created"], 0, "\(ran)")
        try w.assertReconciled()
    }

    // MARK: Confirm against withdraw / cancel

    func testExpertConfirmRacesUserWithdraw() throws {
        let (w, second) = try setUp(#function)
        var confirms = 0
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try MeetingWorld.id(of: w.request(start: slot(round)))
            _ = try w.drainOutbox()
            let (confirm, withdraw) = try race(w, second, round: round,
                Call(method: "meeting.confirm", actor: w.expert, params: ["meeting_id": .string(id)]),
                Call(method: "meeting.withdraw", actor: w.user, params: ["meeting_id": .string(id)]))
            guard let confirmWon = exactlyOne(confirm, withdraw, loserCode: 4009, label) else { continue }
            let m = try w.meeting(id)
            let events = try w.timeline(id)
            if confirmWon {
                confirms += 1
                assertMeeting(m, status: "agreed", credit: "blocked", label)
                XCTAssertEqual(withdraw["error"]?["data"]?["status"], "agreed", label)
                XCTAssertEqual(events, ["requested_by_user", "user_approval", "expert_approval"], label)
                XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
                XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user", "video.create→video"]), label)
            } else {
                assertMeeting(m, status: "cancelled", credit: "returned", label)
                XCTAssertEqual(confirm["error"]?["data"]?["status"], "cancelled", label)
                XCTAssertEqual(events, ["requested_by_user", "user_approval", "withdrawn_by_user"], label)
                XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"], label)
                XCTAssertEqual(try w.drainedSummary(), ["meeting_withdrawn_by_user→expert"], label)
            }
            try w.assertReconciled()
        }
        let granted = MeetingWorld.granted + 100 * Int64(Self.rounds) * 2
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100 * Int64(confirms), granted: granted))
        XCTAssertEqual(try w.earnings(), MeetingWorld.earnings(incoming: 100 * Int64(confirms)))
        print("confirm vs withdraw: confirm won \(confirms) of \(Self.rounds)")
    }

    /// A user's cancel needs an agreed meeting: it either comes after the confirmation (both
    /// succeed, the meeting ends cancelled) or before it (refused; the meeting ends agreed).
    func testExpertConfirmRacesUserCancel() throws {
        let (w, second) = try setUp(#function)
        var cancelledAfter = 0
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try MeetingWorld.id(of: w.request(start: slot(round)))
            let (confirm, cancel) = try race(w, second, round: round,
                Call(method: "meeting.confirm", actor: w.expert, params: ["meeting_id": .string(id)]),
                Call(method: "meeting.cancel", actor: w.user, params: ["meeting_id": .string(id), "reason_code": "illness"]))
            XCTAssertTrue(ok(confirm), "the confirmation never loses here (\(label)): \(confirm)")
            let m = try w.meeting(id)
            if ok(cancel) {
                cancelledAfter += 1
                assertMeeting(m, status: "cancelled", credit: "returned", label)
                XCTAssertEqual(try w.timeline(id), ["requested_by_user", "user_approval", "expert_approval", "cancelled_by_user"], label)
                XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"], label)
            } else {
                XCTAssertEqual(code(cancel), 4009, label)
                XCTAssertEqual(cancel["error"]?["data"]?["status"], "awaiting_approval", "refused only before the confirmation (\(label))")
                assertMeeting(m, status: "agreed", credit: "blocked", label)
                XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
            }
            try w.assertReconciled()
        }
        print("confirm vs cancel: cancel came after the confirmation \(cancelledAfter) of \(Self.rounds)")
    }

    // MARK: Two confirmations of one meeting

    func testTwoExpertConfirmsOfOneRequest() throws {
        let (w, second) = try setUp(#function)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try MeetingWorld.id(of: w.request(start: slot(round)))
            _ = try w.drainOutbox()
            let call = Call(method: "meeting.confirm", actor: w.expert, params: ["meeting_id": .string(id)])
            let (a, b) = try race(w, second, round: round, call, call)
            guard exactlyOne(a, b, loserCode: 4009, label) != nil else { continue }
            XCTAssertEqual((ok(a) ? b : a)["error"]?["data"]?["status"], "agreed", label)
            assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked", label)
            XCTAssertEqual(try w.timeline(id).filter { $0 == "expert_approval" }.count, 1, "one approval event (\(label))")
            XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user", "video.create→video"]), "one set of messages (\(label))")
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
            try w.assertReconciled()
        }
    }

    /// The user confirming an expert's proposal twice at once holds the price once.
    func testTwoUserConfirmsOfOneProposalHoldOnce() throws {
        let (w, second) = try setUp(#function)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try MeetingWorld.id(of: w.propose(start: slot(round)))
            let call = Call(method: "meeting.confirm", actor: w.user, params: ["meeting_id": .string(id)])
            let (a, b) = try race(w, second, round: round, call, call)
            guard exactlyOne(a, b, loserCode: 4009, label) != nil else { continue }
            assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked", label)
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], "one hold (\(label))")
            XCTAssertEqual(try w.wallet().blocked, 100 * Int64(round + 1), label)
            try w.assertReconciled()
        }
    }

    // MARK: Reschedule against confirm

    /// With `expected_version` (both read the same version), exactly one of the two lands.
    func testRescheduleRacesConfirmWithExpectedVersion() throws {
        let (w, second) = try setUp(#function)
        var confirms = 0
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let requested = try w.request(start: slot(round))
            let id = try MeetingWorld.id(of: requested)
            guard let version = requested["version"]?.int else { return XCTFail("no version in \(requested)") }
            let newStart = slot(round, firstDay: 12)
            let (confirm, reschedule) = try race(w, second, round: round,
                Call(method: "meeting.confirm", actor: w.expert, params: ["meeting_id": .string(id), "expected_version": .int(version)]),
                Call(method: "meeting.reschedule", actor: w.user,
                     params: ["meeting_id": .string(id), "start": .string(newStart), "expected_version": .int(version)]))
            guard let confirmWon = exactlyOne(confirm, reschedule, loserCode: 4009, label) else { continue }
            let loser = confirmWon ? reschedule : confirm
            XCTAssertEqual(loser["error"]?["data"]?["version"]?.int, version + 1, "the loser learns the new version (\(label))")
            let m = try w.meeting(id)
            if confirmWon {
                confirms += 1
                assertMeeting(m, status: "agreed", credit: "blocked", start: slot(round), label)
                XCTAssertEqual(m["alternate"], .null, label)
            } else {
                assertMeeting(m, status: "awaiting_approval", credit: "blocked", expertApproved: false, userApproved: true, start: newStart, label)
            }
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
            try w.assertReconciled()
        }
        print("confirm vs reschedule (expected_version): confirm won \(confirms) of \(Self.rounds)")
    }

    /// Without versions both calls succeed, in one of the two serial orders: confirm first
    /// leaves an alternate on the agreed meeting; reschedule first moves the request, which
    /// the expert then confirms at its new time.
    func testRescheduleRacesConfirmSerializes() throws {
        let (w, second) = try setUp(#function)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try MeetingWorld.id(of: w.request(start: slot(round)))
            let newStart = slot(round, firstDay: 12)
            let (confirm, reschedule) = try race(w, second, round: round,
                Call(method: "meeting.confirm", actor: w.expert, params: ["meeting_id": .string(id)]),
                Call(method: "meeting.reschedule", actor: w.user, params: ["meeting_id": .string(id), "start": .string(newStart)]))
            XCTAssertTrue(ok(confirm) && ok(reschedule), "both succeed (\(label)): \(confirm) / \(reschedule)")
            let m = try w.meeting(id)
            XCTAssertEqual(m["status"], "agreed", label)
            XCTAssertEqual(m["credit_status"], "blocked", label)
            let events = try w.timeline(id)
            if m["alternate"] == .null {
                XCTAssertEqual(m["start"]?.string, newStart, "reschedule first: agreed at the new time (\(label))")
                XCTAssertEqual(events.suffix(3), ["alternative_date_selected_by_user", "approved_by_user", "expert_approval"], label)
            } else {
                XCTAssertEqual(m["start"]?.string, slot(round), "confirm first: the original date holds (\(label))")
                XCTAssertEqual(m["alternate"]?["start"]?.string, newStart, label)
                XCTAssertEqual(events.suffix(3), ["expert_approval", "alternative_date_selected_by_user", "approved_by_user"], label)
            }
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
            try w.assertReconciled()
        }
    }

    // MARK: Alternates and cancellations of agreed meetings

    func testConfirmAlternateRacesWithdrawAlternate() throws {
        let (w, second) = try setUp(#function)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try w.agreed(start: slot(round))
            let newStart = slot(round, firstDay: 12)
            try w.act("meeting.reschedule", as: w.user, id, ["start": .string(newStart)])
            let (confirm, withdraw) = try race(w, second, round: round,
                Call(method: "meeting.confirm_alternate", actor: w.expert, params: ["meeting_id": .string(id)]),
                Call(method: "meeting.withdraw_alternate", actor: w.user, params: ["meeting_id": .string(id)]))
            guard let confirmWon = exactlyOne(confirm, withdraw, loserCode: 4009, label) else { continue }
            let m = try w.meeting(id)
            assertMeeting(m, status: "agreed", credit: "blocked", start: confirmWon ? newStart : slot(round), label)
            XCTAssertEqual(m["alternate"], .null, label)
            XCTAssertEqual(try w.timeline(id).last, confirmWon ? "alternative_date_approved_by_expert" : "alternative_date_cancelled_by_user", label)
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], label)
            try w.assertReconciled()
        }
    }

    func testBothSidesCancelAtOnce() throws {
        let (w, second) = try setUp(#function)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let id = try w.agreed(start: slot(round))
            _ = try w.drainOutbox()
            let (byUser, byExpert) = try race(w, second, round: round,
                Call(method: "meeting.cancel", actor: w.user, params: ["meeting_id": .string(id), "reason_code": "illness"]),
                Call(method: "meeting.cancel", actor: w.expert, params: ["meeting_id": .string(id), "reason_code": "emergency"]))
            guard let userWon = exactlyOne(byUser, byExpert, loserCode: 4009, label) else { continue }
            XCTAssertEqual((userWon ? byExpert : byUser)["error"]?["data"]?["status"], "cancelled", label)
            assertMeeting(try w.meeting(id), status: "cancelled", credit: "returned", label)
            XCTAssertEqual(try w.trail(id), ["hold pending 100", "release void_pending 100"], "released once (\(label))")
            let winner = userWon ? "user" : "expert", other = userWon ? "expert" : "user"
            XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["cancellation_by_\(winner)→\(other)", "cancellation_by_\(winner)→\(winner)", "video.cancel→video"]), label)
            try w.assertReconciled()
        }
        XCTAssertEqual(try w.wallet().blocked, 0)
    }

    // MARK: Retries

    /// A front end that retries a request (same idempotency_key, same params) while the first
    /// attempt is still running, through another process: SPEC §3.2 says the retry returns the
    /// first response and has no further effect.
    func testAConcurrentRetryWithTheSameIdempotencyKeyGetsTheFirstResponse() throws {
        let (w, second) = try setUp(#function)
        var mismatches: [String] = []
        for round in 0..<Self.rounds {
            var params = w.requestParams(start: slot(round))
            params["idempotency_key"] = .string("book-\(round)-\(TestEnvironment.uniqueTag())")
            let call = Call(method: "meeting.request", actor: w.user, params: params)
            let (a, b) = try race(w, second, round: round, call, call)
            if !(ok(a) && ok(b) && a["result"] == b["result"]) {
                mismatches.append("round \(round): \(a["error"]?["data"]?["code"] ?? "ok") / \(b["error"]?["data"]?["code"] ?? "ok")")
            }
            let replay = try w.meetingd.call("meeting.request", as: w.user, params)
            XCTAssertTrue(ok(replay), "a later retry is answered from the stored response (round \(round)): \(replay)")
            XCTAssertEqual(try w.wallet().blocked, 100 * Int64(round + 1), "one hold per key (round \(round))")
            try w.assertReconciled()
        }
        XCTAssertEqual(mismatches, [], "both concurrent attempts should get the same meeting")
    }

    // MARK: One slot, two users

    /// Two users request the same expert time (the same start, or overlapping starts on odd
    /// rounds) at once: one meeting, one hold; the other user is told the slot is taken.
    func testTwoUsersRequestTheSameSlot() throws {
        let (w, second) = try setUp(#function)
        let rival = try w.addUser(name: "rival", credits: 100 * Int64(Self.rounds))
        var userWins = 0
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let start = slot(round)
            let rivalStart = round % 2 == 0 ? start : MeetingTime.shifted(start, minutes: 30)
            let walletsBefore = (try w.wallet(), try w.wallet(rival))
            let (mine, theirs) = try race(w, second, round: round,
                Call(method: "meeting.request", actor: w.user, params: w.requestParams(start: start)),
                Call(method: "meeting.request", actor: rival, params: w.requestParams(start: rivalStart)))
            guard let userWon = exactlyOne(mine, theirs, loserCode: 4011, label) else { continue }
            XCTAssertEqual((userWon ? theirs : mine)["error"]?["data"]?["code"], "slot_unavailable", label)
            if userWon { userWins += 1 }
            let winner = try Meetingd.result(of: userWon ? mine : theirs)
            assertMeeting(winner, status: "awaiting_approval", credit: "blocked", label)
            let (winnerId, loserId) = userWon ? (w.user, rival) : (rival, w.user)
            XCTAssertEqual(winner["user_id"]?.string, winnerId, label)
            let (winnerBefore, loserBefore) = userWon ? walletsBefore : (walletsBefore.1, walletsBefore.0)
            XCTAssertEqual(try w.wallet(winnerId).blocked, winnerBefore.blocked + 100, label)
            XCTAssertEqual(try w.wallet(loserId), loserBefore, "the loser's credits are untouched (\(label))")
            let expertMeetings = try w.meetingd.allPages("meeting.list", as: w.expert, ["role": "expert", "from": .string(start),
                                                                                         "to": .string(MeetingTime.shifted(start, minutes: 90))])
            XCTAssertEqual(expertMeetings.map { $0["id"] }, [winner["id"]], "one meeting in the slot (\(label))")
            try w.assertReconciled()
        }
        print("two requests for one slot: the fixture's user won \(userWins) of \(Self.rounds)")
    }
}
