import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// No session can make meetingd wait for ever, and a stopped meetingd cannot make the others
/// wait for ever: every session meetingd opens has a lock timeout and an idle-in-transaction
/// timeout. A request that meets one gets a retryable error and leaves nothing behind.
final class DatabaseStallTests: EndToEndTestCase {
    /// A statement timeout too short for the session's own first statements is told as the
    /// retryable 5033 statement_timeout it is, not as a database that is down (5030).
    func testATimeoutTooShortToOpenASessionIsAStatementTimeout() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_STATEMENT_TIMEOUT_MS": "1"])
        let error = try meetingd.error("person.list", as: community.adminId, [:], code: 5033)
        XCTAssertEqual(error["data"]?["code"], "statement_timeout")
        XCTAssertEqual(error["data"]?["retryable"], true)
    }

    /// system.ping tells such a timeout as the calls do (5033): it answered database
    /// "unavailable", sending an operator after a database that was up.
    func testPingTellsATimeoutTooShortAsAStatementTimeout() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd(["--test-clock"], environment: ["MEETINGLEDGER_STATEMENT_TIMEOUT_MS": "1"])
        for params: [String: JSONValue] in [[:], ["actor": .string(community.adminId)]] {
            let answer = try meetingd.call("system.ping", .object(params))
            XCTAssertEqual(answer["error"]?["code"], 5033, "\(params): \(answer)")
            XCTAssertEqual(answer["error"]?["data"]?["code"], "statement_timeout")
        }
    }

    func testAGrantWaitingOnAHeldWalletFailsRetryablyAndTheRetryTakesEffectOnce() throws {
        let lockTimeoutMs = 1_000
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_LOCK_TIMEOUT_MS": "\(lockTimeoutMs)"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        try ledger.grant(on: meetingd, 100, to: user)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        XCTAssertEqual(try storedBalance(wallet), "100/0")

        let holder = try PsqlSession(databaseURL)
        try holder.query("BEGIN; SELECT id FROM accounts WHERE id = \(Psql.literal(wallet)) FOR UPDATE;")
        let grant: [String: JSONValue] = ["user_id": .string(user), "credits": 25, "reference": "order-held", "idempotency_key": "grant-held"]
        let started = Date()
        let refused = try meetingd.call("credits.grant", as: ledger.financeId, grant, timeout: 20)
        let waited = Date().timeIntervalSince(started)
        print("DatabaseStallTests: a grant to a locked wallet was refused after \(String(format: "%.2f", waited)) s (lock_timeout \(lockTimeoutMs) ms)")
        XCTAssertEqual(refused["error"]?["code"], 5032, "\(refused)")
        XCTAssertEqual(refused["error"]?["data"]?["code"], "lock_timeout")
        XCTAssertEqual(refused["error"]?["data"]?["retryable"], true)
        XCTAssertGreaterThanOrEqual(waited, Double(lockTimeoutMs) / 1000 * 0.9, "it waited for the lock first")
        XCTAssertLessThan(waited, Double(lockTimeoutMs) / 1000 + 3, "and not much longer")
        XCTAssertEqual(try storedBalance(wallet), "100/0", "the refused grant left nothing")
        XCTAssertEqual(try meetingd.call("system.ping")["result"]?["database"], "ok", "meetingd serves on")

        try holder.query("ROLLBACK;")
        holder.close()
        let granted = try meetingd.result("credits.grant", as: ledger.financeId, grant)
        XCTAssertEqual(try meetingd.result("credits.grant", as: ledger.financeId, grant), granted, "the retry returns the first response")
        XCTAssertEqual(try storedBalance(wallet), "125/0", "one grant, once")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: ledger.financeId)["ok"], true)
    }

    /// The pid of a backend of `applicationName` that sits idle inside a transaction holding
    /// row locks (it has a transaction id), or nil.
    func idleWriterBackend(_ applicationName: String) throws -> String? {
        try Psql.query(databaseURL, """
            SELECT pid FROM pg_stat_activity
            WHERE application_name = \(Psql.literal(applicationName)) AND state = 'idle in transaction' AND backend_xid IS NOT NULL
            """).first
    }

    func testAStoppedMeetingdHoldsAWalletOnlyUntilItsIdleTimeout() throws {
        let idleTimeoutMs = 1_500
        let setup = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: setup, #function)
        try setup.result("community.update_settings", as: ledger.adminId, ["horizon_days": 730])
        let booking = try BookableExpert.make(on: setup, ledger.community, priceCredits: 1)
        let user = try ledger.person(on: setup, ["user"])
        try ledger.grant(on: setup, 100_000, to: user)
        let wallet = try setup.accountId(of: user, kind: "user_wallet", as: user)
        try setup.finish()
        let name = "stopped-\(TestEnvironment.uniqueTag())"
        let stopped = try startMeetingd(environment: [
            "DATABASE_URL": Psql.conninfo(databaseURL, "application_name", name),
            "MEETINGLEDGER_IDLE_IN_TRANSACTION_TIMEOUT_MS": "\(idleTimeoutMs)",
        ])
        let other = try startMeetingd()
        let firstDay = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 2 * 86_400)

        // A stream of bookings by one user, sent ahead of their answers: each locks the user's
        // wallet in its first round trip, decides, and holds a credit in its second. meetingd is
        // stopped and resumed at random moments until it is caught between the two, inside a
        // transaction that holds the wallet (at most a few hundred tries).
        var sent = 0
        var booked: Int64 = 0
        var refused: [String: Int] = [:]
        var answered = 0
        func record(_ response: JSONValue) {
            answered += 1
            if response["result"] != nil {
                booked += 1
            } else {
                XCTAssertEqual(response["error"]?["data"]?["retryable"], true, "\(response)")
                refused[response["error"]?["data"]?["code"]?.string ?? "?", default: 0] += 1
            }
        }
        func keepStreaming() throws {
            while let response = try? stopped.readResponse(timeout: 0.002) { record(response) }
            while sent - answered < 40 {
                sent += 1
                var params = booking.requestParams(start: firstDay.addingTimeInterval(Double(sent) * 1_800))
                params["actor"] = .string(user)
                try stopped.send(JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(sent)), "method": "meeting.request", "params": .object(params)]).serialized)
            }
        }
        var caught: String?
        var tries = 0
        while caught == nil && tries < 500 {
            tries += 1
            try keepStreaming()
            usleep(UInt32.random(in: 0...3_000))
            stopped.signal(SIGSTOP)
            usleep(20_000)
            caught = try idleWriterBackend(name)
            if caught == nil { stopped.signal(SIGCONT) }
        }
        let backend = try XCTUnwrap(caught, "meetingd was never caught inside a transaction in \(tries) tries")
        print("DatabaseStallTests: meetingd stopped inside a transaction after \(tries) tries and \(sent) requests sent (backend \(backend))")

        // Another meetingd's write to the same wallet waits for the stopped one's row lock until
        // the server ends that transaction.
        let started = Date()
        let grant = try other.call("credits.grant", as: ledger.financeId, [
            "user_id": .string(user), "credits": 1000, "reference": "other", "idempotency_key": "other",
        ], timeout: 30)
        let waited = Date().timeIntervalSince(started)
        print("DatabaseStallTests: the other meetingd's grant went through after \(String(format: "%.2f", waited)) s (idle_in_transaction_session_timeout \(idleTimeoutMs) ms)")
        XCTAssertNotNil(grant["result"], "\(grant)")
        XCTAssertLessThan(waited, Double(idleTimeoutMs) / 1000 + 3)
        // The ended session's locks go before its entry in pg_stat_activity does: wait for that.
        try Psql.waitFor(databaseURL, "SELECT count(*) FROM pg_stat_activity WHERE pid = \(backend)", toSay: ["0"], "the server ended the stopped session", timeout: 10)

        // Resumed, it answers every request: a result, or a retryable error with nothing done.
        stopped.signal(SIGCONT)
        while answered < sent { record(try stopped.readResponse(timeout: 30)) }
        print("DatabaseStallTests: of \(sent) requests, \(booked) were booked; refused: \(refused)")
        XCTAssertEqual(refused, ["transaction_idle_timeout": 1], "only the interrupted request failed, and it says why")
        XCTAssertEqual(try storedBalance(wallet), "\(101_000)/\(booked)", "the other grant once, and a hold for exactly each acknowledged booking")
        XCTAssertEqual(try other.result("ledger.reconcile", as: ledger.financeId)["ok"], true)
        try stopped.finish()
    }

    /// A change to an expert's hours or blocks waits for a booking in flight on the expert's
    /// calendar, as a booking waits for it: availability.block went ahead beside a request that
    /// had read the calendar, so the request was booked inside the block and the block's
    /// meetings_within did not list it. A session holding the expert's calendar lock (what a
    /// booking holds from its read to its commit) makes the block wait; past the lock timeout it
    /// is refused retryably with nothing written.
    func testABlockWaitsForABookingInFlightOnTheExpertsCalendar() throws {
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_LOCK_TIMEOUT_MS": "1000"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 1)
        let c = Psql.literal(ledger.community.id), expert = Psql.literal(booking.expertId)
        let day = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 3 * 86_400)
        let block: [String: JSONValue] = ["expert_id": .string(booking.expertId), "start": .string(rfc3339(day)),
                                          "end": .string(rfc3339(day.addingTimeInterval(3_600)))]
        func periods() throws -> [String] {
            try Psql.query(databaseURL, "SELECT count(*) FROM availability_periods WHERE community_id = \(c) AND expert_id = \(expert)")
        }
        let before = try periods()
        let holder = try PsqlSession(databaseURL)
        try holder.query("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(\(c) || '/' || \(expert), 0));")
        for method in ["availability.block", "availability.add_free", "availability.set_weekly", "availability.remove"] {
            var params = block
            if method == "availability.add_free" { params["location_ids"] = [.string(booking.locationId)] }
            if method == "availability.set_weekly" { params = ["expert_id": .string(booking.expertId), "time_zone": "UTC", "rules": []] }
            let refused = try meetingd.call(method, as: booking.expertId, params, timeout: 20)
            XCTAssertEqual(refused["error"]?["data"]?["code"], "lock_timeout", "\(method) waits for the booking in flight: \(refused)")
        }
        XCTAssertEqual(try periods(), before, "nothing was written")
        try holder.query("ROLLBACK;")
        holder.close()
        XCTAssertEqual(try meetingd.result("availability.block", as: booking.expertId, block)["meetings_within"], [])
    }

    /// The race itself, from two processes: each round a request and a block of the same hour
    /// sent at once. Whichever goes first, the other sees it: the request is refused (4011) or
    /// the block lists it in meetings_within.
    func testARequestAndABlockSentAtOnceNeverMissEachOther() throws {
        let setup = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: setup, #function)
        let booking = try BookableExpert.make(on: setup, ledger.community, priceCredits: 1)
        let user = try ledger.person(on: setup, ["user"])
        try ledger.grant(on: setup, 1_000, to: user)
        try setup.finish()
        let requester = try startMeetingd(), blocker = try startMeetingd()
        let firstDay = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 3 * 86_400)
        var outcomes: [String: Int] = [:]
        for round in 0..<30 {
            let start = firstDay.addingTimeInterval(Double(round) * 3_600)
            let request = JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(round)), "method": "meeting.request",
                                            "params": .object(booking.requestParams(start: start).merging(["actor": .string(user)]) { a, _ in a })])
            let block = JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(round)), "method": "availability.block", "params": [
                "actor": .string(booking.expertId), "expert_id": .string(booking.expertId), "start": .string(rfc3339(start)),
                "end": .string(rfc3339(start.addingTimeInterval(3_600)))]])
            try requester.send(request.serialized)
            try blocker.send(block.serialized)
            let requested = try requester.readResponse(), blocked = try Meetingd.result(of: try blocker.readResponse(), "availability.block")
            let within = blocked["meetings_within"]?.array ?? []
            if let meeting = requested["result"]?["id"] {
                XCTAssertEqual(within, [meeting], "round \(round): the request was booked, so the block lists it: \(blocked)")
                outcomes["booked, then blocked", default: 0] += 1
            } else {
                XCTAssertEqual(requested["error"]?["code"], 4011, "round \(round): \(requested)")
                XCTAssertEqual(within, [], "round \(round): \(blocked)")
                outcomes["blocked, then refused", default: 0] += 1
            }
        }
        print("DatabaseStallTests: request and block at once, 30 rounds: \(outcomes)")
        try requester.finish()
        try blocker.finish()
    }
}
