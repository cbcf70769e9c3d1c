import Foundation
import XCTest

/// SPEC §4 and §6 under concurrency, in the spirit of Jepsen's bank test: four meetingd
/// processes (one thread each) share one community and hammer a few hot wallets and two experts
/// with a bounded random mix of grants, holds (requests), releases (declines, cancels, expiry,
/// an expert's no-show), captures (sessions logged, late cancellations charged in part) and
/// payouts, while the community's clock moves. Afterwards the ledger must add up: credits are
/// conserved, nothing was ever overdrawn, and every hold was resolved at most once.
final class LedgerConcurrencyTests: EndToEndTestCase {
    static let processes = 4
    static let runSeconds: TimeInterval = 12
    static let maxOperationsPerProcess = 3_000
    static let lateCancelChargePercent: Int64 = 60
    static let platformFeePercent: Int64 = 10

    func testBankInvariantsHoldAcrossConcurrentProcesses() throws {
        let setup = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: setup, #function)
        try ledger.pinClock(on: setup, at: ledgerEpoch)
        try setup.result("community.update_settings", as: ledger.adminId, [
            "user_late_cancel_charge_percent": .int(Self.lateCancelChargePercent), "platform_fee_percent": .int(Self.platformFeePercent),
        ])
        var offers: [BookableExpert] = []
        for _ in 0..<2 {
            let first = try BookableExpert.make(on: setup, ledger.community, priceCredits: 45)
            offers.append(first)
            offers.append(try BookableExpert.make(on: setup, ledger.community, priceCredits: 30, expertId: first.expertId, locationId: first.locationId))
        }
        let users = try (0..<3).map { _ in try ledger.person(on: setup, ["user"]) }
        var initialGrants: Int64 = 0
        for user in users {
            try ledger.grant(on: setup, 100, to: user)
            initialGrants += 100
        }

        let seed = UInt64.random(in: 1...UInt64.max)
        print("LedgerConcurrencyTests: seed \(seed), community \(ledger.community.id)")
        let run = BankRun(ledger: ledger, users: users, offers: offers, now: ledgerEpoch, granted: initialGrants,
                          deadline: Date().addingTimeInterval(Self.runSeconds))
        let workers = try (0..<Self.processes).map { index in
            BankWorker(index: index, meetingd: try startMeetingd(["--test-clock"]), run: run, seed: seed, stream: UInt64(index))
        }
        let financeSQL = try FinanceSQLRole.create(databaseURL, community: ledger.community.id).dropAtEnd(of: self)
        let watcher = NegativeBalanceWatcher(conninfo: financeSQL.conninfo, communityId: ledger.community.id, run: run)

        let group = DispatchGroup()
        let started = Date()
        for worker in workers {
            group.enter()
            Thread { worker.loop(); group.leave() }.start()
        }
        group.enter()
        Thread { watcher.loop(); group.leave() }.start()
        XCTAssertEqual(group.wait(timeout: .now() + Self.runSeconds + 120), .success, "the workers did not stop")
        let elapsed = Date().timeIntervalSince(started)

        let summary = run.summary()
        print("LedgerConcurrencyTests: \(String(format: "%.1f", elapsed)) s, \(summary.total) operations by \(Self.processes) processes, "
              + "\(summary.meetings.count) meetings, \(run.watcherPolls) watcher reads")
        for (op, count) in summary.counts.sorted(by: { $0.key < $1.key }) {
            let codes = (summary.refusals[op] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            print("  \(op.padding(toLength: 16, withPad: " ", startingAt: 0)) ok \(count.ok)  refused \(count.refused)\(codes.isEmpty ? "" : " (\(codes))")")
        }
        XCTAssertEqual(summary.failures, [], "unexpected answers during the run")
        XCTAssertEqual(summary.negativeBalances, [], "a balance was seen below zero")
        XCTAssertGreaterThan(summary.counts["request"]?.ok ?? 0, 10, "too few holds to mean anything")
        XCTAssertGreaterThan((summary.counts["decline"]?.ok ?? 0) + (summary.counts["cancel"]?.ok ?? 0), 5, "too few releases")
        XCTAssertGreaterThan((summary.counts["log_session"]?.ok ?? 0) + (summary.counts["cancel"]?.ok ?? 0), 3, "too few captures")

        try checkLedger(after: summary, ledger, users: users, offers: offers, on: setup, financeSQL: financeSQL)
    }

    /// The invariants, from meetingd's answers, the finance views, and the sum of what the
    /// workers saw succeed.
    func checkLedger(
        after summary: BankRun.Summary, _ ledger: LedgerCommunity, users: [String], offers: [BookableExpert], on meetingd: Meetingd, financeSQL: FinanceSQLRole
    ) throws {
        let finance = ledger.financeId
        let reconcile = try meetingd.result("ledger.reconcile", as: finance)
        XCTAssertEqual(reconcile["ok"], true, "reconcile: \(reconcile)")
        XCTAssertEqual(reconcile["problems"], [])

        // Every meeting's trail: at most one open hold at a time, each hold resolved at most
        // once, captures and fees as the rules say, and credit_status agreeing.
        var captured: Int64 = 0, fees: Int64 = 0, openHolds: Int64 = 0
        var transferKinds: [String: Int] = [:]
        for known in summary.meetings {
            let trail = try meetingd.result("ledger.meeting_trail", as: finance, ["meeting_id": .string(known.id)])
            let meeting = try meetingd.result("meeting.get", as: ledger.adminId, ["meeting_id": .string(known.id)])
            let transfers = trail["transfers"]?.array ?? []
            let problems = Self.trailProblems(transfers, creditStatus: trail["credit_status"]?.string, meeting: meeting, price: known.price)
            XCTAssertEqual(problems, [], "meeting \(known.id): \(transfers)")
            XCTAssertEqual(meeting["credit_status"], trail["credit_status"], "meeting.get and the trail disagree on \(known.id)")
            for t in transfers {
                transferKinds[t["kind"]?.string ?? "?", default: 0] += 1
                let credits = t["credits"]?.int ?? 0
                switch t["kind"]?.string {
                case "capture": captured += credits
                case "fee": fees += credits
                default: break
                }
            }
            if trail["credit_status"] == "blocked" { openHolds += known.price }
        }
        print("LedgerConcurrencyTests: meeting transfers \(transferKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
              + "granted \(summary.granted), captured \(captured), fees \(fees), paid out \(summary.paidOut), still held \(openHolds)")
        let trailMeetings = try Psql.query(
            financeSQL.conninfo,
            "SELECT count(DISTINCT meeting_id) FROM finance_meeting_trail WHERE community_id = \(Psql.literal(ledger.community.id))")
        XCTAssertEqual(trailMeetings, ["\(summary.meetings.count)"], "every meeting with credits is one the workers created")

        // Conservation: the trial balance is 0 and each kind holds exactly what moved into it.
        let trial = try meetingd.result("ledger.trial_balance", as: finance)
        XCTAssertEqual(trial["total"], 0, "\(trial)")
        XCTAssertEqual(trial["pending_total"], 0)
        var kinds: [String: JSONValue] = [:]
        for kind in trial["kinds"]?.array ?? [] { kinds[kind["kind"]?.string ?? "?"] = kind }
        XCTAssertEqual(kinds["issuance"]?["posted"]?.int, -summary.granted, "issuance is minus every grant")
        XCTAssertEqual(kinds["payouts"]?["posted"]?.int, summary.paidOut, "payouts hold every payout")
        XCTAssertEqual(kinds["platform_revenue"]?["posted"]?.int, fees, "platform revenue is the sum of the fees")
        XCTAssertEqual(kinds["user_wallet"]?["posted"]?.int, summary.granted - captured, "wallets: grants minus captures")
        XCTAssertEqual(kinds["expert_earnings"]?["posted"]?.int, captured - fees - summary.paidOut, "earnings: captures minus fees and payouts")
        XCTAssertEqual(kinds["user_wallet"]?["blocked"]?.int, openHolds, "wallets block exactly the open holds")
        XCTAssertEqual(kinds["expert_earnings"]?["incoming"]?.int, openHolds)

        // No account below zero now, nor after any transfer in its history.
        for user in users {
            let b = try meetingd.result("ledger.balance", as: finance, ["person_id": .string(user)])
            XCTAssertGreaterThanOrEqual(b["available"]?.int ?? -1, 0, "\(b)")
        }
        for expert in Set(offers.map(\.expertId)) {
            let b = try meetingd.result("ledger.balance", as: finance, ["person_id": .string(expert)])
            XCTAssertGreaterThanOrEqual(b["available"]?.int ?? -1, 0, "\(b)")
        }
        let financeConninfo = financeSQL.conninfo
        let community = Psql.literal(ledger.community.id)
        XCTAssertEqual(try Psql.query(financeConninfo, """
            SELECT count(*) FROM finance_transfers WHERE community_id = \(community) AND account_kind <> 'issuance'
              AND (available_after < 0 OR posted_balance_after < 0 OR blocked_after < 0)
            """), ["0"], "an entry shows an overdrawn account at some point")
        XCTAssertEqual(try Psql.query(financeConninfo, """
            SELECT count(*) FROM finance_accounts WHERE community_id = \(community) AND kind <> 'issuance' AND (available < 0 OR posted_balance < 0)
            """), ["0"])
        XCTAssertEqual(try Psql.query(financeConninfo, """
            SELECT coalesce(sum(posted_balance), -1) || '/' || coalesce(sum(credits_pending - debits_pending), -1)
            FROM finance_accounts WHERE community_id = \(community)
            """), ["0/0"], "the finance view's accounts add up to zero")
    }

    /// SPEC §3.2: a retry with the same idempotency key and params returns the first response
    /// and has no further effect, even across processes — also when the retry arrives while the
    /// first attempt is still running (a front end retrying after a timeout, through another
    /// meetingd). Four processes get the same keyed grant, then the same keyed request, at once.
    /// A statement is read at one moment: while another process grants to the account, every
    /// statement's opening plus its entries' changes is its closing, and its last entry's
    /// balance is that closing (read by two statements, 7 of 40 disagreed).
    func testAStatementReadDuringWritesAgreesWithItself() throws {
        let writer = try startMeetingd(), reader = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: writer, #function)
        let user = try ledger.person(on: writer, ["user"])
        try ledger.grant(on: writer, 100, to: user)
        let wallet = try writer.accountId(of: user, kind: "user_wallet", as: user)
        let grants = 400
        for i in 0..<grants {
            let params: JSONValue = ["actor": .string(ledger.financeId), "user_id": .string(user), "credits": 1, "reference": .string("drip-\(i)")]
            try writer.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"credits.grant","params":\#(params.serialized)}"#)
        }
        var checked = 0, withEntries = 0
        for _ in 0..<40 {
            let page = try reader.result("ledger.statement", as: ledger.financeId, ["account_id": .string(wallet), "from": "2000-01-01T00:00:00Z", "limit": 500])
            let entries = page["items"]?.array ?? []
            guard page["next_cursor"] == .null else { continue }  // the whole statement on one page
            let opening = page["opening"]?["posted"]?.int ?? 0, closing = page["closing"]?["posted"]?.int ?? -1
            XCTAssertEqual(opening + entries.compactMap { $0["posted_change"]?.int }.reduce(0, +), closing, "\(page["closing"] ?? .null)")
            if let last = entries.last { XCTAssertEqual(last["posted_balance"]?.int, closing); withEntries += 1 }
            XCTAssertEqual(page["change"]?["posted"]?.int, closing - opening)
            checked += 1
        }
        for _ in 0..<grants { XCTAssertNotNil(try writer.readResponse(timeout: 60)["result"]) }
        print("LedgerConcurrencyTests: \(checked) whole statements read during \(grants) grants (\(withEntries) with entries)")
        XCTAssertGreaterThan(checked, 30)
    }

    func testSimultaneousRetriesWithOneKeyAllGetTheFirstResponse() throws {
        let setup = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: setup, #function)
        try ledger.pinClock(on: setup, at: ledgerEpoch)
        let user = try ledger.person(on: setup, ["user"])
        let booking = try BookableExpert.make(on: setup, ledger.community, priceCredits: 45)
        try ledger.grant(on: setup, 1_000, to: user)
        let processes = try (0..<Self.processes).map { _ in try startMeetingd(["--test-clock"]) }
        for meetingd in processes { try meetingd.result("ledger.balance", as: user, ["person_id": .string(user)]) }  // connected and warm

        /// Sends one request line to every process before reading any answer.
        func simultaneously(_ method: String, as actor: String, _ params: [String: JSONValue]) throws -> [JSONValue] {
            var all = params
            all["actor"] = .string(actor)
            let line = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .object(all)]).serialized
            for meetingd in processes { try meetingd.send(line) }
            return try processes.map { try $0.readResponse() }
        }

        /// "ok trf_…" or "error -32602 invalid_params reference": enough to see who got what.
        func brief(_ response: JSONValue) -> String {
            if let id = response["result"]?["id"]?.string { return "ok \(id)" }
            let error = response["error"]
            return "error \(error?["code"] ?? .null) \(error?["data"]?["code"]?.string ?? "") \(error?["data"]?["field"]?.string ?? "")"
        }
        let rounds = 5
        var differing: [String] = []
        for round in 0..<rounds {
            let grants = try simultaneously("credits.grant", as: ledger.financeId, [
                "user_id": .string(user), "credits": 5, "reference": .string("order-\(round)"), "idempotency_key": .string("grant-\(round)"),
            ])
            if Set(grants).count != 1 { differing.append("grant round \(round): \(grants.map(brief))") }
            var request = booking.requestParams(start: ledgerEpoch.addingTimeInterval(Double(round + 1) * 3_600))
            request["idempotency_key"] = .string("request-\(round)")
            let requests = try simultaneously("meeting.request", as: user, request)
            if Set(requests).count != 1 { differing.append("request round \(round): \(requests.map(brief))") }
        }
        XCTAssertEqual(differing, [], "simultaneous retries with one key answered differently")

        // Whatever the answers, each key had its effect once.
        let balance = try setup.result("ledger.balance", as: user, ["person_id": .string(user)])
        XCTAssertEqual(balance["posted"]?.int, 1_000 + 5 * Int64(rounds))
        XCTAssertEqual(balance["blocked"]?.int, 45 * Int64(rounds))
        XCTAssertEqual(try setup.result("ledger.reconcile", as: ledger.financeId)["ok"], true)
    }

    /// The trail checker itself finds what it is meant to find, so a green run means something.
    func testTrailCheckerFindsBrokenTrails() {
        func transfer(_ seq: Int64, _ kind: String, _ credits: Int64, id: String, pending: String? = nil) -> JSONValue {
            ["seq": .int(seq), "id": .string(id), "kind": .string(kind), "credits": .int(credits), "pending_id": pending.map { .string($0) } ?? .null]
        }
        let hold = transfer(1, "hold", 45, id: "h1")
        let agreed: JSONValue = ["status": "agreed", "hold_transfer_id": "h1"]
        let completed: JSONValue = ["status": "completed", "hold_transfer_id": .null]
        XCTAssertEqual(Self.trailProblems([hold], creditStatus: "blocked", meeting: agreed, price: 45), [])
        XCTAssertEqual(Self.trailProblems([hold, transfer(2, "capture", 45, id: "c1", pending: "h1"), transfer(3, "fee", 4, id: "f1")],
                                          creditStatus: "paid", meeting: completed, price: 45), [])
        let doubled = [hold, transfer(2, "release", 45, id: "r1", pending: "h1"), transfer(3, "capture", 45, id: "c1", pending: "h1"), transfer(4, "fee", 4, id: "f1")]
        XCTAssertTrue(Self.trailProblems(doubled, creditStatus: "paid", meeting: completed, price: 45).contains { $0.contains("resolved twice") })
        let twoOpen = [hold, transfer(2, "hold", 45, id: "h2")]
        XCTAssertTrue(Self.trailProblems(twoOpen, creditStatus: "blocked", meeting: ["status": "agreed", "hold_transfer_id": "h2"], price: 45)
            .contains { $0.contains("still open") })
        XCTAssertFalse(Self.trailProblems([hold], creditStatus: "returned", meeting: agreed, price: 45).isEmpty, "status disagreeing with the ledger")
        XCTAssertFalse(Self.trailProblems([hold, transfer(2, "capture", 45, id: "c1", pending: "h1"), transfer(3, "fee", 5, id: "f1")],
                                          creditStatus: "paid", meeting: completed, price: 45).isEmpty, "a wrong fee")
        XCTAssertFalse(Self.trailProblems([hold, transfer(2, "capture", 45, id: "c1", pending: "h1")], creditStatus: "paid", meeting: completed, price: 45).isEmpty,
                       "a capture without its fee")
        XCTAssertFalse(Self.trailProblems([hold, transfer(2, "capture", 30, id: "c1", pending: "h1"), transfer(3, "fee", 3, id: "f1")],
                                          creditStatus: "paid", meeting: completed, price: 45).isEmpty, "a capture of neither the price nor the late charge")
    }

    /// What is wrong with one meeting's trail (nothing, for a healthy one).
    static func trailProblems(_ transfers: [JSONValue], creditStatus: String?, meeting: JSONValue, price: Int64) -> [String] {
        var problems: [String] = []
        var open: String? = nil
        var resolutions: [String: String] = [:]  // hold id → capture | release
        var lastHold: String? = nil
        var lastCapture: Int64? = nil
        var seqs: [Int64] = []
        for t in transfers {
            seqs.append(t["seq"]?.int ?? 0)
            let id = t["id"]?.string ?? "?"
            let credits = t["credits"]?.int ?? 0
            switch t["kind"]?.string {
            case "hold":
                if let open { problems.append("hold \(id) while \(open) is still open") }
                if credits != price { problems.append("hold \(id) of \(credits), not the price \(price)") }
                open = id
                lastHold = id
            case "capture", "release":
                let kind = t["kind"]!.string!
                guard let pending = t["pending_id"]?.string else {
                    problems.append("\(kind) \(id) names no hold")
                    continue
                }
                if let earlier = resolutions[pending] { problems.append("hold \(pending) resolved twice: \(earlier), then \(kind) \(id)") }
                resolutions[pending] = kind
                if pending != open { problems.append("\(kind) \(id) resolves \(pending), which is not the open hold") }
                open = nil
                if kind == "capture" {
                    lastCapture = credits
                    let charge = price * lateCancelChargePercent / 100
                    if credits != price && credits != charge { problems.append("capture \(id) of \(credits): neither the price nor the \(charge) late charge") }
                } else if credits != price {
                    problems.append("release \(id) of \(credits), not the whole hold \(price)")
                }
            case "fee":
                let expected = (lastCapture ?? 0) * platformFeePercent / 100
                if lastCapture == nil || credits != expected { problems.append("fee \(id) of \(credits), expected \(expected) after capture \(String(describing: lastCapture))") }
                lastCapture = nil
            default:
                problems.append("unexpected transfer \(t)")
            }
        }
        if seqs != seqs.sorted() { problems.append("the trail is not in order") }
        if let capture = lastCapture, capture * platformFeePercent / 100 > 0 { problems.append("capture of \(capture) without its fee") }
        let expectedStatus: String
        if open != nil {
            expectedStatus = "blocked"
        } else if let last = lastHold {
            expectedStatus = resolutions[last] == "capture" ? "paid" : "returned"
        } else {
            expectedStatus = "none"
        }
        if creditStatus != expectedStatus { problems.append("credit_status \(creditStatus ?? "nil") but the ledger says \(expectedStatus)") }
        let status = meeting["status"]?.string ?? "?"
        let allowed: [String: Set<String>] = [
            "awaiting_approval": ["blocked"], "agreed": ["blocked"], "rejected": ["returned"], "expired": ["returned"],
            "cancelled": ["returned", "paid"], "completed": ["returned", "paid"],
        ]
        if !(allowed[status]?.contains(expectedStatus) ?? false) { problems.append("a \(status) meeting whose credits are \(expectedStatus)") }
        if (meeting["hold_transfer_id"]?.string) != open { problems.append("hold_transfer_id \(meeting["hold_transfer_id"] ?? .null) but the open hold is \(open ?? "none")") }
        return problems
    }
}

/// What the workers share: the community, the meetings they created, the clock as last moved,
/// and what they counted. Guarded by one lock.
final class BankRun: @unchecked Sendable {
    struct KnownMeeting {
        let id: String
        let userId: String
        let expertId: String
        let start: Date
        let price: Int64
        var agreed = false
        var settled = false
    }

    struct Summary {
        var counts: [String: (ok: Int, refused: Int)]
        var refusals: [String: [Int64: Int]]
        var meetings: [KnownMeeting]
        var granted: Int64
        var paidOut: Int64
        var failures: [String]
        var negativeBalances: [String]
        var total: Int { counts.values.reduce(0) { $0 + $1.ok + $1.refused } }
    }

    let ledger: LedgerCommunity
    let users: [String]
    let offers: [BookableExpert]
    let deadline: Date
    private let lock = NSLock()
    private var state: Summary
    private var clock: Date
    private var polls = 0

    init(ledger: LedgerCommunity, users: [String], offers: [BookableExpert], now: Date, granted: Int64, deadline: Date) {
        self.ledger = ledger
        self.users = users
        self.offers = offers
        self.deadline = deadline
        clock = now
        state = Summary(counts: [:], refusals: [:], meetings: [], granted: granted, paidOut: 0, failures: [], negativeBalances: [])
    }

    func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var now: Date { locked { clock } }
    var stopped: Bool { Date() >= deadline || locked { state.failures.count >= 20 } }
    var watcherPolls: Int { locked { polls } }

    func setNow(_ date: Date) { locked { clock = date } }
    func count(_ op: String, ok: Bool, code: Int64? = nil) {
        locked {
            var c = state.counts[op] ?? (0, 0)
            if ok { c.ok += 1 } else { c.refused += 1 }
            state.counts[op] = c
            if let code { state.refusals[op, default: [:]][code, default: 0] += 1 }
        }
    }
    func fail(_ message: String) { locked { state.failures.append(message) } }
    func negative(_ message: String) { locked { state.negativeBalances.append(message) } }
    func polled() { locked { polls += 1 } }
    func granted(_ credits: Int64) { locked { state.granted += credits } }
    func paidOut(_ credits: Int64) { locked { state.paidOut += credits } }
    func add(_ meeting: KnownMeeting) { locked { state.meetings.append(meeting) } }
    func settle(_ id: String) { locked { if let i = state.meetings.firstIndex(where: { $0.id == id }) { state.meetings[i].settled = true } } }
    func agreed(_ id: String) { locked { if let i = state.meetings.firstIndex(where: { $0.id == id }) { state.meetings[i].agreed = true } } }

    /// A meeting to act on: mostly a recent unsettled one (where the races are), sometimes any.
    /// `started`: only meetings whose start has passed, mostly agreed ones (those can be settled).
    func pickMeeting(_ random: inout SplitMix64, started: Bool = false) -> KnownMeeting? {
        locked {
            let now = clock
            var candidates = started ? state.meetings.filter { $0.start <= now } : state.meetings
            if random.next(100) >= 10 {
                let open = candidates.filter { !$0.settled && (!started || $0.agreed) }
                candidates = Array(open.suffix(40))
            }
            return candidates.isEmpty ? nil : candidates[random.next(candidates.count)]
        }
    }

    func summary() -> Summary { locked { state } }
}

/// A small deterministic generator per worker, so a run's choices follow from its printed seed.
struct SplitMix64 {
    var state: UInt64
    mutating func nextRaw() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound.
    mutating func next(_ bound: Int) -> Int { Int(nextRaw() % UInt64(max(bound, 1))) }
    mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
}

/// One thread driving one meetingd process through the random mix until the deadline.
final class BankWorker: @unchecked Sendable {
    let index: Int
    let meetingd: Meetingd
    let run: BankRun
    var random: SplitMix64
    var operations = 0

    /// Each worker's generator starts from the run's seed hashed with its stream number, so
    /// the workers' choices are independent (not one sequence shifted by a step).
    init(index: Int, meetingd: Meetingd, run: BankRun, seed: UInt64, stream: UInt64) {
        self.index = index
        self.meetingd = meetingd
        self.run = run
        var mixer = SplitMix64(state: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        random = SplitMix64(state: mixer.nextRaw())
    }

    var finance: String { run.ledger.financeId }
    var admin: String { run.ledger.adminId }

    func loop() {
        while !run.stopped && operations < LedgerConcurrencyTests.maxOperationsPerProcess {
            operations += 1
            do {
                try step()
            } catch {
                run.fail("process \(index): \(error)")
            }
        }
    }

    /// Calls `method`; a result counts as ok, an error with one of `refusals` as refused, any
    /// other answer is a failure. Returns the result or the error object.
    func attempt(_ op: String, _ method: String, as actor: String, _ params: [String: JSONValue], refusals: Set<Int64>) throws -> (ok: Bool, answer: JSONValue)? {
        let response = try meetingd.call(method, as: actor, params)
        if let result = response["result"] {
            run.count(op, ok: true)
            return (true, result)
        }
        let error = response["error"] ?? .null
        if let code = error["code"]?.int, refusals.contains(code) {
            run.count(op, ok: false, code: code)
            return (false, error)
        }
        run.fail("process \(index): \(method) \(JSONValue.object(params)) answered \(response)")
        return nil
    }

    func step() throws {
        let roll = random.next(100)
        switch roll {
        case 0..<4: try grant()
        case 4..<34: try request()
        case 34..<48: try act("confirm", "meeting.confirm", party: .expert, [:])
        case 48..<58: try act("decline", "meeting.decline", party: .expert, ["reason_code": "schedule_conflict"])
        case 58..<72: try act("cancel", "meeting.cancel", party: random.next(2) == 0 ? .user : .expert, ["reason_code": "illness", "confirm_late": true])
        case 72..<82: try settle()
        case 82..<88: try payout()
        case 88..<93: try readBalance()
        case 93..<96: try checkWhileRunning()
        case 96..<98: _ = try attempt("run_due", "jobs.run_due", as: admin, [:], refusals: [])
        default: try moveClock()
        }
    }

    func grant() throws {
        let credits = Int64(5 + random.next(36))
        let params: [String: JSONValue] = [
            "user_id": .string(random.pick(run.users)), "credits": .int(credits), "reference": .string("p\(index)-\(operations)-\(TestEnvironment.uniqueTag())"),
        ]
        guard let (ok, answer) = try attempt("grant", "credits.grant", as: finance, params, refusals: []), ok else { return }
        guard answer["credits"]?.int == credits, answer["kind"] == "grant" else { return run.fail("grant answered \(answer)") }
        run.granted(credits)
    }

    func request() throws {
        let offer = random.pick(run.offers)
        let user = random.pick(run.users)
        let slotMinutes = 30.0
        let now = run.now
        let firstSlot = (now.timeIntervalSince1970 / (slotMinutes * 60)).rounded(.up) * slotMinutes * 60
        // Half near the present (soon started, so logged or charged late), half up to 80 hours out.
        let slot = random.next(2) == 0 ? 1 + random.next(6) : 1 + random.next(160)
        let start = Date(timeIntervalSince1970: firstSlot + Double(slot) * slotMinutes * 60)
        // -32602 on start: the clock moved past it since this worker last looked.
        guard let (ok, answer) = try attempt("request", "meeting.request", as: user, offer.requestParams(start: start), refusals: [4011, 4020, -32602]) else { return }
        if !ok {
            if answer["code"] == 4020 { checkInsufficient(answer, "request") }
            if answer["code"] == -32602 && answer["data"]?["field"] != "start" { run.fail("a request answered \(answer)") }
            return
        }
        guard let id = answer["id"]?.string, answer["credit_status"] == "blocked", answer["status"] == "awaiting_approval",
              answer["hold_transfer_id"]?.string != nil, answer["price_credits"]?.int == offer.priceCredits
        else { return run.fail("a request answered \(answer)") }
        run.add(.init(id: id, userId: user, expertId: offer.expertId, start: start, price: offer.priceCredits))
    }

    enum Party { case user, expert }

    func act(_ op: String, _ method: String, party: Party, _ extra: [String: JSONValue]) throws {
        guard let meeting = run.pickMeeting(&random) else { return }
        var params = extra
        params["meeting_id"] = .string(meeting.id)
        let actor = party == .user ? meeting.userId : meeting.expertId
        guard let (ok, answer) = try attempt(op, method, as: actor, params, refusals: [4009, 4012]), ok else { return }
        let status = answer["status"]?.string, credits = answer["credit_status"]?.string
        switch op {
        case "confirm":
            if status != "agreed" || credits != "blocked" { run.fail("confirm answered \(answer)") }
            run.agreed(meeting.id)
        case "decline":
            if status != "rejected" || credits != "returned" { run.fail("decline answered \(answer)") }
            run.settle(meeting.id)
        default:
            let allowed: Set<String> = party == .expert ? ["returned"] : ["returned", "paid"]
            if status != "cancelled" || !allowed.contains(credits ?? "") { run.fail("a cancel by the \(party) answered \(answer)") }
            run.settle(meeting.id)
        }
    }

    /// After the start: the expert logs the session (capture), or the user reports the
    /// expert's absence (release) — both may race for the same meeting.
    func settle() throws {
        guard let meeting = run.pickMeeting(&random, started: true) else { return }
        if random.next(10) < 7 {
            let attendance: JSONValue = random.next(4) == 0 ? "no_show" : "attended"
            guard let (ok, answer) = try attempt("log_session", "meeting.log_session", as: meeting.expertId,
                                                 ["meeting_id": .string(meeting.id), "attendance": attendance], refusals: [4009]), ok else { return }
            if answer["status"] != "completed" || answer["credit_status"] != "paid" { run.fail("log_session answered \(answer)") }
        } else {
            guard let (ok, answer) = try attempt("report_no_show", "meeting.report_no_show", as: meeting.userId,
                                                 ["meeting_id": .string(meeting.id)], refusals: [4009]), ok else { return }
            if answer["status"] != "completed" || answer["credit_status"] != "returned" { run.fail("report_no_show answered \(answer)") }
        }
        run.settle(meeting.id)
    }

    func payout() throws {
        let expert = random.pick(run.offers).expertId
        let credits = Int64(1 + random.next(60))
        guard let (ok, answer) = try attempt("payout", "payout.create", as: finance, [
            "expert_id": .string(expert), "credits": .int(credits), "reference": .string("bank-\(index)-\(operations)"),
        ], refusals: [4020]) else { return }
        if ok {
            guard answer["credits"]?.int == credits else { return run.fail("payout answered \(answer)") }
            run.paidOut(credits)
        } else {
            checkInsufficient(answer, "payout")
        }
    }

    func checkInsufficient(_ error: JSONValue, _ what: String) {
        guard let available = error["data"]?["available"]?.int, let required = error["data"]?["required"]?.int else {
            return run.fail("\(what): insufficient_credits without available/required: \(error)")
        }
        if available < 0 { run.negative("\(what) reported \(available) available") }
        if available >= required { run.fail("\(what) refused \(required) with \(available) available") }
    }

    func readBalance() throws {
        let person = random.next(2) == 0 ? random.pick(run.users) : random.pick(run.offers).expertId
        let reader = random.next(2) == 0 ? finance : person
        guard let (_, answer) = try attempt("balance", "ledger.balance", as: reader, ["person_id": .string(person)], refusals: []) else { return }
        for account in answer["accounts"]?.array ?? [] {
            for field in ["available", "posted", "blocked"] where (account[field]?.int ?? -1) < 0 {
                run.negative("\(account["kind"] ?? .null) of \(person): \(field) \(account[field] ?? .null)")
            }
        }
    }

    /// Reconcile and the trial balance hold at any time, not only when all is quiet.
    func checkWhileRunning() throws {
        if random.next(2) == 0 {
            guard let (_, answer) = try attempt("reconcile", "ledger.reconcile", as: finance, [:], refusals: []) else { return }
            if answer["ok"] != true { run.fail("reconcile during the run: \(answer)") }
        } else {
            guard let (_, answer) = try attempt("trial_balance", "ledger.trial_balance", as: finance, [:], refusals: []) else { return }
            if answer["total"] != 0 || answer["pending_total"] != 0 { run.fail("trial balance during the run: \(answer)") }
            for kind in answer["kinds"]?.array ?? [] where kind["kind"] != "issuance" && (kind["available"]?.int ?? -1) < 0 {
                run.negative("trial balance during the run: \(kind)")
            }
        }
    }

    func moveClock() throws {
        guard let (ok, answer) = try attempt("clock", "clock.advance", as: admin, ["minutes": 30], refusals: []), ok,
              let now = answer["now"]?.string else { return }
        run.setNow(try parseRFC3339(now))
    }
}

/// Reads the finance view once a second during the run: no wallet or earnings account may ever
/// be seen below zero.
final class NegativeBalanceWatcher: @unchecked Sendable {
    let conninfo: String
    let communityId: String
    let run: BankRun

    init(conninfo: String, communityId: String, run: BankRun) {
        self.conninfo = conninfo
        self.communityId = communityId
        self.run = run
    }

    func loop() {
        while !run.stopped {
            do {
                let rows = try Psql.query(conninfo, """
                    SELECT kind || ' ' || account_id || ' ' || available || ' ' || posted_balance FROM finance_accounts
                    WHERE community_id = \(Psql.literal(communityId)) AND kind <> 'issuance' AND (available < 0 OR posted_balance < 0)
                    """)
                run.polled()
                for row in rows { run.negative("finance view: \(row)") }
            } catch {
                run.fail("watcher: \(error)")
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
