import Foundation
import XCTest

/// SPEC §4 and the ledger rows of §7 through meetingd: grants, adjustments, payouts, balances
/// (now and as of a past time), statements (keyset pages, CSV), the trial balance, reconcile
/// and meeting trails — and every refused call leaves the ledger exactly as it was.
final class LedgerMethodTests: EndToEndTestCase {
    // MARK: Movements

    func testGrantAdjustAndPayoutMoveCreditsBetweenTheRightAccounts() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let expert = try ledger.person(on: meetingd, ["expert"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)

        let grant = try ledger.grant(on: meetingd, 100, to: user, reference: "order-1")
        XCTAssertEqual(grant["kind"], "grant")
        XCTAssertEqual(grant["credits"], 100)
        XCTAssertEqual(grant["credit_account_id"]?.string, wallet)
        XCTAssertTrue(grant["id"]?.string?.hasPrefix("trf_") ?? false, "\(grant)")
        let issuance = try XCTUnwrap(grant["debit_account_id"]?.string)
        XCTAssertEqual(try meetingd.balance(account: issuance, as: finance)["kind"], "issuance")

        // Admins may grant too (SPEC §7: finance, admin).
        let byAdmin = try meetingd.result("credits.grant", as: ledger.adminId, ["user_id": .string(user), "credits": 20, "reference": "order-2"])
        XCTAssertEqual(byAdmin["credits"], 20)

        let up = try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": 7, "reason": "goodwill"])
        XCTAssertEqual(up["kind"], "adjustment")
        XCTAssertEqual(up["credits"], 7)
        XCTAssertEqual(up["debit_account_id"]?.string, issuance)
        XCTAssertEqual(up["credit_account_id"]?.string, wallet)
        let down = try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": -27, "reason": "duplicate purchase"])
        XCTAssertEqual(down["credits"], 27, "the transfer carries the absolute amount")
        XCTAssertEqual(down["debit_account_id"]?.string, wallet)
        XCTAssertEqual(down["credit_account_id"]?.string, issuance)

        let walletBalance = try meetingd.balance(account: wallet, as: user)
        XCTAssertEqual(walletBalance["posted"], 100)
        XCTAssertEqual(walletBalance["blocked"], 0)
        XCTAssertEqual(walletBalance["available"], 100)
        XCTAssertEqual(walletBalance["account_id"]?.string, wallet)

        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(earnings), "credits": 50, "reason": "migrated earnings"])
        let payout = try meetingd.result("payout.create", as: finance, ["expert_id": .string(expert), "credits": 20, "reference": "bank-1"])
        XCTAssertEqual(payout["kind"], "payout")
        XCTAssertEqual(payout["credits"], 20)
        XCTAssertEqual(payout["debit_account_id"]?.string, earnings)
        let payouts = try XCTUnwrap(payout["credit_account_id"]?.string)
        XCTAssertEqual(try meetingd.balance(account: payouts, as: finance)["kind"], "payouts")
        XCTAssertEqual(try meetingd.balance(account: earnings, as: expert)["available"], 30)
        XCTAssertEqual(try meetingd.balance(account: payouts, as: finance)["posted"], 20)
        XCTAssertEqual(try meetingd.balance(account: issuance, as: finance)["posted"], -150, "grants 120 + adjustments 7 − 27 + 50")

        let trial = try meetingd.result("ledger.trial_balance", as: finance)
        XCTAssertEqual(trial["total"], 0)
        let posted = Dictionary(uniqueKeysWithValues: (trial["kinds"]?.array ?? []).map { ($0["kind"]?.string ?? "?", $0["posted"]?.int ?? -1) })
        XCTAssertEqual(posted, ["user_wallet": 100, "expert_earnings": 30, "payouts": 20, "platform_revenue": 0, "issuance": -150])
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: finance)["ok"], true)
    }

    /// A ledger at its worst still gets an answer within the published bound: reconcile lists
    /// the first 1,000 problems and says how many there are. It answered all 1,225 of 1,212
    /// damaged accounts (155 KB), past the bound METHODS publishes, with no sign of any bound.
    func testReconcileListsAtMostItsBoundAndCountsTheRest() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let users = (0..<1_000).map { i -> String in
            var params = TestCommunity.personParams(roles: ["user"])
            params["actor"] = .string(ledger.adminId)
            return #"{"jsonrpc":"2.0","id":\#(i),"method":"person.create","params":\#(JSONValue.object(params).serialized)}"#
        }
        try meetingd.send("[" + users.joined(separator: ",") + "]")
        XCTAssertEqual(try meetingd.readResponse(timeout: 120).array?.filter { $0["result"] != nil }.count, users.count)
        let damaged = try Psql.query(databaseURL, """
            WITH d AS (UPDATE accounts SET credits_posted = credits_posted + 1 WHERE community_id = \(Psql.literal(ledger.community.id)) RETURNING 1)
            SELECT count(*) FROM d
            """)
        let accounts = try XCTUnwrap(Int64(damaged.first ?? ""))
        XCTAssertGreaterThan(accounts, 1_000)

        let reconcile = try meetingd.result("ledger.reconcile", as: ledger.financeId)
        XCTAssertEqual(reconcile["ok"], false)
        XCTAssertEqual(reconcile["problems"]?.array?.count, 1_000, "the published bound")
        XCTAssertEqual(reconcile["problems_total"]?.int, accounts + 1, "each account, and the posted total")
        XCTAssertEqual(reconcile["truncated"], true)

        let fine = try LedgerCommunity.make(on: meetingd, #function + "-fine")
        let clean = try meetingd.result("ledger.reconcile", as: fine.financeId)
        XCTAssertEqual(clean["problems_total"], 0)
        XCTAssertEqual(clean["truncated"], false)
    }

    func testAmountsOutOfRangeAreRefusedAndChangeNothing() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let expert = try ledger.person(on: meetingd, ["expert"])
        try ledger.grant(on: meetingd, 100, to: user)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings])

        let overLimit: JSONValue = .int(1_000_000_000_001)
        let badCredits: [JSONValue?] = [0, -1, -100, overLimit, .int(Int64.max), 1.5, "5", nil, .null]
        for credits in badCredits {
            var grant: [String: JSONValue] = ["user_id": .string(user), "reference": .string("bad-\(TestEnvironment.uniqueTag())")]
            var payout: [String: JSONValue] = ["expert_id": .string(expert), "reference": .string("bad-\(TestEnvironment.uniqueTag())")]
            if let credits {
                grant["credits"] = credits
                payout["credits"] = credits
            }
            let grantError = try meetingd.error("credits.grant", as: finance, grant, code: -32602)
            XCTAssertEqual(grantError["data"]?["field"], "credits", "grant of \(String(describing: credits)): \(grantError)")
            XCTAssertNotNil(grantError["data"]?["reason"]?.string)
            let payoutError = try meetingd.error("payout.create", as: finance, payout, code: -32602)
            XCTAssertEqual(payoutError["data"]?["field"], "credits", "payout of \(String(describing: credits)): \(payoutError)")
        }
        let badAdjustments: [JSONValue] = [0, overLimit, .int(-1_000_000_000_001), .int(Int64.min), 2.5, "-5", .null]
        for credits in badAdjustments {
            let error = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": credits, "reason": "bad"], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "credits", "adjust by \(credits): \(error)")
        }
        let badTexts: [(method: String, params: [String: JSONValue], field: String)] = [
            ("credits.grant", ["user_id": .string(user), "credits": 5, "reference": ""], "reference"),
            ("credits.grant", ["user_id": .string(user), "credits": 5, "reference": .string(String(repeating: "r", count: 201))], "reference"),
            ("credits.grant", ["user_id": .string(user), "credits": 5], "reference"),
            ("credits.adjust", ["account_id": .string(wallet), "credits": 5, "reason": ""], "reason"),
            ("credits.adjust", ["account_id": .string(wallet), "credits": 5, "reason": .string(String(repeating: "r", count: 2_001))], "reason"),
            ("credits.adjust", ["account_id": .string(wallet), "credits": 5], "reason"),
            ("credits.adjust", ["account_id": "acc_not-hex", "credits": 5, "reason": "x"], "account_id"),
            ("payout.create", ["expert_id": .string(expert), "credits": 5, "reference": ""], "reference"),
            ("credits.grant", ["user_id": .string(user), "credits": 5, "reference": "extra", "memo": "unknown field"], "memo"),
        ]
        for c in badTexts {
            let error = try meetingd.error(c.method, as: finance, c.params, code: -32602)
            XCTAssertEqual(error["data"]?["field"]?.string, c.field, "\(c.method) \(c.params): \(error)")
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings]), before, "refused amounts changed the ledger")

        // The limit itself is allowed: 10^12 credits in one grant.
        let rich = try ledger.person(on: meetingd, ["user"])
        try ledger.grant(on: meetingd, 1_000_000_000_000, to: rich)
        XCTAssertEqual(try meetingd.result("ledger.balance", as: rich, ["person_id": .string(rich)])["available"], .int(1_000_000_000_000))
        XCTAssertEqual(try meetingd.result("ledger.trial_balance", as: finance)["total"], 0)
    }

    func testUnknownAndOtherCommunitiesAccountsAreNotFound() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let expertOnly = try ledger.person(on: meetingd, ["expert"])
        try ledger.grant(on: meetingd, 100, to: user)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expertOnly, kind: "expert_earnings", as: expertOnly)

        let foreignUser = try other.person(on: meetingd, ["user"])
        let foreignExpert = try other.person(on: meetingd, ["expert"])
        try other.grant(on: meetingd, 70, to: foreignUser)
        try meetingd.result("credits.adjust", as: other.financeId, [
            "account_id": .string(try meetingd.accountId(of: foreignExpert, kind: "expert_earnings", as: foreignExpert)), "credits": 40, "reason": "seed",
        ])
        let foreignWallet = try meetingd.accountId(of: foreignUser, kind: "user_wallet", as: foreignUser)
        let foreignEarnings = try meetingd.accountId(of: foreignExpert, kind: "expert_earnings", as: foreignExpert)
        let unknown = "acc_" + String(repeating: "0", count: 32)

        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings])
        let otherBefore = try meetingd.ledgerSnapshot(finance: other.financeId, accounts: [foreignWallet, foreignEarnings])

        let notFound: [(method: String, params: [String: JSONValue], why: String)] = [
            ("ledger.balance", ["account_id": .string(unknown)], "unknown account"),
            ("ledger.balance", ["account_id": .string(foreignWallet)], "another community's wallet"),
            ("ledger.balance", ["person_id": .string(foreignUser)], "another community's person"),
            ("ledger.statement", ["account_id": .string(unknown)], "statement of an unknown account"),
            ("ledger.statement", ["account_id": .string(foreignWallet)], "statement of another community's wallet"),
            ("credits.adjust", ["account_id": .string(unknown), "credits": 5, "reason": "x"], "adjusting an unknown account"),
            ("credits.adjust", ["account_id": .string(foreignWallet), "credits": 5, "reason": "x"], "adjusting another community's wallet"),
            ("credits.adjust", ["account_id": .string(foreignEarnings), "credits": -5, "reason": "x"], "draining another community's earnings"),
            ("credits.grant", ["user_id": .string(foreignUser), "credits": 5, "reference": "x-1"], "granting to another community's user"),
            ("credits.grant", ["user_id": .string("per_" + String(repeating: "0", count: 32)), "credits": 5, "reference": "x-2"], "granting to nobody"),
            ("credits.grant", ["user_id": .string(expertOnly), "credits": 5, "reference": "x-3"], "granting to a person without a wallet"),
            ("payout.create", ["expert_id": .string(foreignExpert), "credits": 5, "reference": "x-4"], "paying another community's expert"),
            ("payout.create", ["expert_id": .string(user), "credits": 5, "reference": "x-5"], "paying a person without earnings"),
        ]
        for c in notFound {
            let error = try meetingd.error(c.method, as: finance, c.params, code: 4004)
            XCTAssertEqual(error["data"]?["code"], "not_found", c.why)
            XCTAssertEqual(error["data"]?["retryable"], false, c.why)
            if c.method == "credits.grant" || c.method == "payout.create" {
                let role = c.method == "credits.grant" ? "a user" : "an expert"
                XCTAssertTrue(error["message"]?.string?.contains("no such person here, or they are not \(role)") ?? false, "\(c.why): \(error)")
            }
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings]), before)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: other.financeId, accounts: [foreignWallet, foreignEarnings]), otherBefore,
                       "another community's accounts were touched")
    }

    func testAGrantReferenceIsGrantedOnce() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let second = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let secondWallet = try meetingd.accountId(of: second, kind: "user_wallet", as: second)
        try ledger.grant(on: meetingd, 100, to: user, reference: "order-7")
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, secondWallet])

        for (target, credits) in [(user, 100), (user, 55), (second, 100)] {
            let error = try meetingd.error("credits.grant", as: finance, ["user_id": .string(target), "credits": .int(Int64(credits)), "reference": "order-7"], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(error)")
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, secondWallet]), before, "a reused reference changed the ledger")

        // References are per community.
        let foreignUser = try other.person(on: meetingd, ["user"])
        try other.grant(on: meetingd, 100, to: foreignUser, reference: "order-7")

        // A retry with the same idempotency key answers the first grant and grants nothing more;
        // the same key with other params is refused.
        let keyed: [String: JSONValue] = ["user_id": .string(second), "credits": 30, "reference": "order-8", "idempotency_key": "grant-order-8"]
        let first = try meetingd.result("credits.grant", as: finance, keyed)
        let again = try meetingd.result("credits.grant", as: finance, keyed)
        XCTAssertEqual(first, again)
        var changed = keyed
        changed["credits"] = 31
        let reused = try meetingd.error("credits.grant", as: finance, changed, code: 4090)
        XCTAssertEqual(reused["data"]?["code"], "idempotency_key_reused")
        XCTAssertEqual(try meetingd.balance(account: secondWallet, as: second)["posted"], 30)
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["posted"], 100)
    }

    /// A reference is compared as a reader of a statement sees it: whitespace around it, no-break
    /// spaces and compatibility forms (fullwidth digits) do not make another reference, and
    /// invisible, reordering and control characters are refused. Nothing refused moves credits.
    func testAReferenceIsComparedAsAReaderSeesIt() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let expert = try ledger.person(on: meetingd, ["expert"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        try ledger.grant(on: meetingd, 100, to: user, reference: "order-2")
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(earnings), "credits": 50, "reason": "opening earnings"])
        try meetingd.result("payout.create", as: finance, ["expert_id": .string(expert), "credits": 10, "reference": "bank-2"])
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings])

        for same in ["order-2\u{A0}", "\u{A0}order-2", "order-\u{FF12}", "order-2\u{3000}", "\u{FF4F}rder-2"] {
            let error = try meetingd.error("credits.grant", as: finance, ["user_id": .string(user), "credits": 500, "reference": .string(same)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(same.debugDescription): \(error)")
            XCTAssertTrue(error["message"]?.string?.contains("already granted") ?? false, "\(same.debugDescription): \(error)")
        }
        let payout = try meetingd.error("payout.create", as: finance, ["expert_id": .string(expert), "credits": 10, "reference": "bank-\u{FF12}"], code: -32602)
        XCTAssertTrue(payout["message"]?.string?.contains("already paid out") ?? false, "\(payout)")
        // Longer than 200 characters once stored (67 ligatures of three letters): refused on
        // the field, not by the database's check as an internal error.
        let ligatures = String(repeating: "\u{FB03}", count: 67)
        for (method, params) in [("credits.grant", ["user_id": JSONValue.string(user)]), ("payout.create", ["expert_id": .string(expert)])] {
            let long = try meetingd.error(method, as: finance, params.merging(["credits": 1, "reference": .string(ligatures)]) { a, _ in a }, code: -32602)
            XCTAssertEqual(long["data"]?["field"], "reference", "\(method): \(long)")
        }
        for hidden in ["order-\u{200B}2", "\u{200B}", "\u{FEFF}order-2", "x\u{202E}evil\u{202C}", "esc\u{1B}[31mred", "order\r\n2", "order-2\u{2028}"] {
            let error = try meetingd.error("credits.grant", as: finance, ["user_id": .string(user), "credits": 500, "reference": .string(hidden)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(hidden.debugDescription): \(error)")
        }
        // Characters that show as nothing alone: a reference or reason of them reads as blank.
        for unseen in ["\u{2800}", "\u{301}"] {
            let error = try meetingd.error("credits.grant", as: finance, ["user_id": .string(user), "credits": 500, "reference": .string(unseen)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(unseen.debugDescription): \(error)")
        }
        for blank in ["   ", "\u{A0}\u{3000}", "\u{200B}", "\u{FEFF}\u{2060}", "\u{AD}", "\u{3164}", "\u{2800}", "\u{301}"] {
            let error = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": 1, "reason": .string(blank)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reason", "\(blank.debugDescription): \(error)")
        }
        let control = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": 1, "reason": "\u{1B}]0;title\u{07}x"], code: -32602)
        XCTAssertEqual(control["data"]?["field"], "reason", "\(control)")
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings]), before, "a refused reference or reason changed the ledger")

        // A new reference written with a fullwidth digit is recorded in its plain form.
        try ledger.grant(on: meetingd, 5, to: user, reference: "order-\u{FF13}")
        let items = try XCTUnwrap(try meetingd.result("ledger.statement", as: finance, ["account_id": .string(wallet)])["items"]?.array)
        XCTAssertEqual(items.compactMap { $0["reference"]?.string }, ["order-2", "order-3"])
    }

    /// No one grants, adjusts or pays out credits of their own account, whatever roles they hold:
    /// another finance person (or an admin, for a grant) does. The ledger refuses it too.
    func testNoOneMovesCreditsOfTheirOwnAccount() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let finance = ledger.financeId
        let both = try ledger.person(on: meetingd, ["finance", "user", "expert"])
        let adminUser = try ledger.person(on: meetingd, ["admin", "user"])
        let wallet = try meetingd.accountId(of: both, kind: "user_wallet", as: both)
        let earnings = try meetingd.accountId(of: both, kind: "expert_earnings", as: both)
        let adminWallet = try meetingd.accountId(of: adminUser, kind: "user_wallet", as: adminUser)
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(earnings), "credits": 50, "reason": "opening earnings"])
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, adminWallet])

        let refused: [(String, String, [String: JSONValue])] = [
            (both, "credits.grant", ["user_id": .string(both), "credits": 500, "reference": "self-1"]),
            (both, "credits.adjust", ["account_id": .string(wallet), "credits": 500, "reason": "self"]),
            (both, "credits.adjust", ["account_id": .string(earnings), "credits": 500, "reason": "self"]),
            (both, "credits.adjust", ["account_id": .string(earnings), "credits": -5, "reason": "self"]),
            (both, "payout.create", ["expert_id": .string(both), "credits": 50, "reference": "self-pay"]),
            (adminUser, "credits.grant", ["user_id": .string(adminUser), "credits": 500, "reference": "self-2"]),
        ]
        for (actor, method, params) in refused {
            let error = try meetingd.error(method, as: actor, params, code: 4003)
            XCTAssertTrue(error["message"]?.string?.contains("their own") ?? false, "\(method): \(error)")
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, adminWallet]), before, "a refused call changed the ledger")

        // Behind the service, the ledger's own function refuses the same movement (ML005).
        let apply = """
            SELECT ml_apply_transfer(jsonb_build_object('community_id', community_id, 'id', 'trf_' || md5(random()::text), 'credits', 500,
                'kind', 'grant', 'reference', 'self-3', 'actor_id', '\(both)', 'debit_kind', 'issuance', 'credit_kind', 'user_wallet',
                'credit_owner', '\(both)'))
            FROM accounts WHERE id = '\(wallet)'
            """
        let direct = try Psql.run(try TestEnvironment.databaseURL(), [apply])
        XCTAssertFalse(direct.succeeded, "the ledger let a grant to the actor's own wallet through")
        XCTAssertTrue(direct.stderr.contains("own account"), direct.stderr)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, adminWallet]), before)

        // Someone else may.
        try meetingd.result("credits.grant", as: finance, ["user_id": .string(both), "credits": 5, "reference": "for-both"])
        try meetingd.result("credits.grant", as: both, ["user_id": .string(adminUser), "credits": 5, "reference": "for-admin"])
        try meetingd.result("payout.create", as: finance, ["expert_id": .string(both), "credits": 50, "reference": "bank-both"])
        XCTAssertEqual(try meetingd.balance(account: earnings, as: both)["available"], 0)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: finance)["ok"], true)
    }

    func testAPayoutReferenceIsPaidOutOnce() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        let finance = ledger.financeId
        let expert = try ledger.person(on: meetingd, ["expert"])
        let second = try ledger.person(on: meetingd, ["expert"])
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        let secondEarnings = try meetingd.accountId(of: second, kind: "expert_earnings", as: second)
        for account in [earnings, secondEarnings] {
            try meetingd.result("credits.adjust", as: finance, ["account_id": .string(account), "credits": 100, "reason": "earned"])
        }
        try meetingd.result("payout.create", as: finance, ["expert_id": .string(expert), "credits": 40, "reference": "bank-7"])
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [earnings, secondEarnings])

        // The same reference copied with spaces around it is the same reference; a blank one is none.
        for (target, credits, reference) in [(expert, 40, "bank-7"), (expert, 10, " bank-7 "), (second, 40, "bank-7\u{A0}")] {
            let error = try meetingd.error(
                "payout.create", as: finance, ["expert_id": .string(target), "credits": .int(Int64(credits)), "reference": .string(reference)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(error)")
            XCTAssertTrue(error["message"]?.string?.contains("already paid out") == true, "\(error)")
        }
        for blank in ["   ", "\t"] {
            let error = try meetingd.error("payout.create", as: finance, ["expert_id": .string(second), "credits": 1, "reference": .string(blank)], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "reference", "\(error)")
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [earnings, secondEarnings]), before, "a reused reference changed the ledger")

        // A grant may carry the same text as a payout, and another community its own bank-7.
        let user = try ledger.person(on: meetingd, ["user"])
        try ledger.grant(on: meetingd, 10, to: user, reference: "bank-7")
        let foreignExpert = try other.person(on: meetingd, ["expert"])
        let foreignEarnings = try meetingd.accountId(of: foreignExpert, kind: "expert_earnings", as: foreignExpert)
        try meetingd.result("credits.adjust", as: other.financeId, ["account_id": .string(foreignEarnings), "credits": 50, "reason": "earned"])
        try meetingd.result("payout.create", as: other.financeId, ["expert_id": .string(foreignExpert), "credits": 50, "reference": "bank-7"])

        // A retry under the payout's idempotency key answers the first payout and pays nothing more.
        let keyed: [String: JSONValue] = ["expert_id": .string(second), "credits": 30, "reference": "bank-8", "idempotency_key": "payout-bank-8"]
        let first = try meetingd.result("payout.create", as: finance, keyed)
        XCTAssertEqual(try meetingd.result("payout.create", as: finance, keyed), first)
        XCTAssertEqual(try meetingd.balance(account: secondEarnings, as: second)["available"], 70)
        XCTAssertEqual(try meetingd.balance(account: earnings, as: expert)["available"], 60)
    }

    func testOverdrawingByOneCreditIsRefused() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        let expert = booking.expertId
        try ledger.grant(on: meetingd, 100, to: user)
        let meeting = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(3 * 86_400))
        XCTAssertEqual(meeting["credit_status"], "blocked")
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        let holdTarget = try meetingd.result("ledger.meeting_trail", as: finance, ["meeting_id": meeting["id"]!])["transfers"]?[0]?["credit_account_id"]?.string
        XCTAssertEqual(holdTarget, earnings, "the hold goes to the expert's earnings")
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["available"], 55)
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(earnings), "credits": 30, "reason": "seed"])
        let revenue = try platformRevenueAccount(meetingd, ledger)
        var before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, revenue])

        // The wallet has 100 posted but 45 blocked: 55 available, so 56 is one too many.
        let adjust = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": -56, "reason": "too much"], code: 4020)
        XCTAssertEqual(adjust["data"]?["code"], "insufficient_credits")
        XCTAssertEqual(adjust["data"]?["available"], 55)
        XCTAssertEqual(adjust["data"]?["required"], 56)
        // The expert has 45 incoming from the hold, but only 30 available to pay out.
        let payout = try meetingd.error("payout.create", as: finance, ["expert_id": .string(expert), "credits": 31, "reference": "bank-1"], code: 4020)
        XCTAssertEqual(payout["data"]?["available"], 30)
        XCTAssertEqual(payout["data"]?["required"], 31)
        let drain = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(revenue), "credits": -1, "reason": "x"], code: 4020)
        XCTAssertEqual(drain["data"]?["available"], 0)
        XCTAssertEqual(drain["data"]?["required"], 1)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, revenue]), before, "a refused overdraft changed the ledger")

        // Exactly what is available is fine, and leaves nothing.
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": -55, "reason": "exact"])
        try meetingd.result("payout.create", as: finance, ["expert_id": .string(expert), "credits": 30, "reference": "bank-2"])
        let emptyWallet = try meetingd.balance(account: wallet, as: user)
        XCTAssertEqual(emptyWallet["available"], 0)
        XCTAssertEqual(emptyWallet["posted"], 45)
        XCTAssertEqual(emptyWallet["blocked"], 45)
        XCTAssertEqual(try meetingd.balance(account: earnings, as: expert)["available"], 0)

        // Now a single credit more is refused everywhere.
        before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, revenue])
        let one = try meetingd.error("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": -1, "reason": "x"], code: 4020)
        XCTAssertEqual(one["data"]?["available"], 0)
        XCTAssertEqual(one["data"]?["required"], 1)
        try meetingd.error("payout.create", as: finance, ["expert_id": .string(expert), "credits": 1, "reference": "bank-3"], code: 4020)
        try meetingd.error("meeting.request", as: user, booking.requestParams(start: ledgerEpoch.addingTimeInterval(4 * 86_400)), code: 4020)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings, revenue]), before)
    }

    /// A hold is checked like any debit: one credit short and the request is refused whole.
    func testARequestBeyondTheAvailableCreditsIsRefused() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        try ledger.grant(on: meetingd, 89, to: user)
        try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(86_400))
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let before = try meetingd.ledgerSnapshot(finance: ledger.financeId, accounts: [wallet])
        let error = try meetingd.error("meeting.request", as: user, booking.requestParams(start: ledgerEpoch.addingTimeInterval(2 * 86_400)), code: 4020)
        XCTAssertEqual(error["data"]?["available"], 44)
        XCTAssertEqual(error["data"]?["required"], 45)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: ledger.financeId, accounts: [wallet]), before)
        let meetings = try meetingd.allPages("meeting.list", as: user, ["role": "user", "from": .string(rfc3339(ledgerEpoch))])
        XCTAssertEqual(meetings.count, 1, "the refused request left no meeting behind")
    }

    func platformRevenueAccount(_ meetingd: Meetingd, _ ledger: LedgerCommunity) throws -> String {
        let rows = try Psql.query(databaseURL, """
            SELECT account_id FROM finance_accounts WHERE community_id = \(Psql.literal(ledger.community.id)) AND kind = 'platform_revenue'
            """)
        guard rows.count == 1 else { throw HarnessError("expected one platform_revenue account, got \(rows)") }
        return rows[0]
    }

    // MARK: Who may read and move

    func testOnlyOwnersAndFinanceReadBalancesAndOnlyFinanceMovesCredits() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let finance = ledger.financeId, admin = ledger.adminId
        let user = try ledger.person(on: meetingd, ["user"])
        let stranger = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        let expert = booking.expertId
        try ledger.grant(on: meetingd, 100, to: user)
        let meeting = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(86_400))
        let meetingId = try XCTUnwrap(meeting["id"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        let before = try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings])

        // Owners and finance read.
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["available"], 55)
        XCTAssertEqual(try meetingd.balance(account: wallet, as: finance)["available"], 55)
        XCTAssertEqual(try meetingd.balance(account: earnings, as: expert)["incoming"], 45)
        XCTAssertEqual(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])["items"]?.array?.count, 2)
        XCTAssertEqual(try meetingd.result("ledger.meeting_trail", as: user, ["meeting_id": meetingId])["transfers"]?.array?.count, 1)
        XCTAssertEqual(try meetingd.result("ledger.meeting_trail", as: expert, ["meeting_id": meetingId])["transfers"]?.array?.count, 1)

        let forbidden: [(actor: String, method: String, params: [String: JSONValue], why: String)] = [
            (stranger, "ledger.balance", ["account_id": .string(wallet)], "a user reading another user's wallet"),
            (stranger, "ledger.balance", ["person_id": .string(user)], "a user reading another user's balance by person"),
            (stranger, "ledger.balance", ["person_id": .string(expert)], "a user reading an expert's earnings"),
            (expert, "ledger.balance", ["account_id": .string(wallet)], "the expert reading the user's wallet"),
            (user, "ledger.balance", ["account_id": .string(earnings)], "the user reading the expert's earnings"),
            (admin, "ledger.balance", ["account_id": .string(wallet)], "an admin without the finance role"),
            (stranger, "ledger.statement", ["account_id": .string(wallet)], "a user reading another user's statement"),
            (expert, "ledger.statement", ["account_id": .string(wallet), "format": "csv"], "the expert exporting the user's statement"),
            (stranger, "ledger.meeting_trail", ["meeting_id": meetingId], "a user who is not a party reading a meeting's credits"),
            (user, "ledger.trial_balance", [:], "a user reading the trial balance"),
            (admin, "ledger.trial_balance", [:], "an admin reading the trial balance"),
            (expert, "ledger.reconcile", [:], "an expert reconciling"),
            (user, "credits.grant", ["user_id": .string(user), "credits": 5, "reference": "self-1"], "a user granting to themselves"),
            (expert, "credits.grant", ["user_id": .string(user), "credits": 5, "reference": "self-2"], "an expert granting"),
            (admin, "credits.adjust", ["account_id": .string(wallet), "credits": 5, "reason": "x"], "an admin adjusting (finance only)"),
            (user, "credits.adjust", ["account_id": .string(wallet), "credits": 5, "reason": "x"], "a user adjusting their own wallet"),
            (expert, "payout.create", ["expert_id": .string(expert), "credits": 5, "reference": "p-1"], "an expert paying themselves out"),
            (admin, "payout.create", ["expert_id": .string(expert), "credits": 5, "reference": "p-2"], "an admin paying out (finance only)"),
        ]
        for c in forbidden {
            let error = try meetingd.error(c.method, as: c.actor, c.params, code: 4003)
            XCTAssertEqual(error["data"]?["code"], "forbidden", c.why)
        }
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: finance, accounts: [wallet, earnings]), before)
    }

    /// A grant decided from the actor as the connection last read them (one round trip) holds
    /// only while the actor is unchanged: roles taken away in the database refuse the next grant,
    /// roles given back allow it again, and a changed zone alone changes nothing for the caller.
    func testAGrantFollowsTheActorsRolesAsTheyAreNow() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        let finance = ledger.financeId
        func setRoles(_ roles: String) throws {
            _ = try Psql.query(databaseURL, "UPDATE people SET roles = \(Psql.literal(roles)) WHERE id = \(Psql.literal(finance)) RETURNING id")
        }
        func grant(_ reference: String) throws -> JSONValue {
            try meetingd.call("credits.grant", as: finance, ["user_id": .string(user), "credits": 5, "reference": .string(reference)])
        }
        XCTAssertNotNil(try grant("first")["result"], "the first grant reads the actor")
        XCTAssertNotNil(try grant("second")["result"], "the second decides on that read")
        try setRoles("{user}")
        let refused = try grant("after-demotion")
        XCTAssertEqual(refused["error"]?["data"]?["code"], "forbidden", "roles taken away count at once: \(refused)")
        try setRoles("{finance,admin}")
        XCTAssertNotNil(try grant("after-promotion")["result"], "roles given back count at once")
        _ = try Psql.query(databaseURL, "UPDATE people SET time_zone = 'Europe/Paris' WHERE id = \(Psql.literal(finance)) RETURNING id")
        XCTAssertNotNil(try grant("after-zone")["result"], "a changed zone is read afresh and the grant goes through")
        let wallet = try meetingd.result("ledger.balance", as: finance, ["person_id": .string(user)])
        XCTAssertEqual(wallet["posted"], 20, "four grants of 5, the refused one left nothing: \(wallet)")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: finance)["ok"], true)
    }

    /// Credits are bought for a user: a person who lost the user role is granted no more (4004,
    /// as a person without a wallet), while finance still corrects the wallet they keep.
    func testAPersonWhoLostTheUserRoleIsGrantedNoMore() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user", "expert"])
        let finance = ledger.financeId
        try meetingd.result("credits.grant", as: finance, ["user_id": .string(user), "credits": 7, "reference": "before"])
        try meetingd.result("person.update", as: ledger.adminId, ["person_id": .string(user), "remove_roles": ["user"]])
        let refused = try meetingd.error("credits.grant", as: finance, ["user_id": .string(user), "credits": 5, "reference": "after"], code: 4004)
        XCTAssertTrue(refused["message"]?.string?.contains("no such person here, or they are not a user (credits are granted to users; "
                                                            + "a wallet kept by someone who lost the role is corrected with credits.adjust)") ?? false, "\(refused)")
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: finance)
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": -7, "reason": "refunded on leaving"])
        XCTAssertEqual(try meetingd.result("ledger.balance", as: finance, ["account_id": .string(wallet)])["posted"], 0)
        // Given the role back, they are granted again, the reference refused before still free.
        try meetingd.result("person.update", as: ledger.adminId, ["person_id": .string(user), "add_roles": ["user"]])
        try meetingd.result("credits.grant", as: finance, ["user_id": .string(user), "credits": 5, "reference": "after"])
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: finance)["ok"], true)
    }

    /// A person with no accounts (an admin) is still someone else: their balance is not the
    /// reader's business (SPEC §7: owner, finance).
    func testReadingTheBalanceOfAPersonWithoutAccountsIsForbidden() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        for target in [ledger.adminId, ledger.financeId] {
            let response = try meetingd.call("ledger.balance", as: user, ["person_id": .string(target)])
            XCTAssertEqual(response["error"]?["code"], 4003, "a user reading the balance of \(target) (no accounts) should be forbidden, got \(response)")
        }
    }

    /// One account, or a person's accounts, not both: the other would go unread as if checked.
    func testABalanceNamesAnAccountOrAPersonNotBoth() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"]), other = try ledger.person(on: meetingd, ["user"])
        let wallet = try XCTUnwrap(try meetingd.result("ledger.balance", as: user, ["person_id": .string(user)])["account_id"]?.string)
        let both = try meetingd.error("ledger.balance", as: ledger.financeId, ["account_id": .string(wallet), "person_id": .string(other)], code: -32602)
        XCTAssertEqual(both["data"]?["field"], "person_id")
        XCTAssertEqual(try meetingd.result("ledger.balance", as: ledger.financeId, ["account_id": .string(wallet)])["account_id"]?.string, wallet)
    }

    // MARK: Statements

    func testStatementPagesWithAKeysetCursorAndConsistentRunningBalances() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)

        try ledger.grant(on: meetingd, 500, to: user)
        var amounts: [Int64] = [500]
        for i in 1...20 {
            let credits = Int64(i % 3 == 0 ? -(i * 2) : i * 3)
            try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": .int(credits), "reason": .string("step \(i)")])
            amounts.append(credits)
            if i % 5 == 0 { try ledger.advanceClock(on: meetingd, minutes: 10) }
        }
        let meeting = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(86_400))
        try meetingd.result("meeting.decline", as: booking.expertId, ["meeting_id": meeting["id"]!, "reason_code": "schedule_conflict"])

        // 23 entries in pages of 5: 5, 5, 5, 5, 3, each after the last seq seen.
        var pages: [[JSONValue]] = []
        var cursor: JSONValue? = nil
        for _ in 0..<10 {
            var params: [String: JSONValue] = ["account_id": .string(wallet), "limit": 5]
            if let cursor { params["cursor"] = cursor }
            let page = try meetingd.result("ledger.statement", as: user, params)
            pages.append(page["items"]?.array ?? [])
            guard let next = page["next_cursor"], !next.isNull else { cursor = nil; break }
            XCTAssertNotNil(next.string, "next_cursor is an opaque string")
            cursor = next
        }
        XCTAssertNil(cursor, "paging must end")
        XCTAssertEqual(pages.map(\.count), [5, 5, 5, 5, 3])
        let paged = pages.flatMap { $0 }
        let whole = try meetingd.result("ledger.statement", as: finance, ["account_id": .string(wallet), "limit": 500])
        XCTAssertEqual(whole["items"]?.array ?? [], paged, "pages put together are the whole statement")
        XCTAssertEqual(whole["next_cursor"], .null)

        let seqs = paged.compactMap { $0["seq"]?.int }
        XCTAssertEqual(seqs.count, 23)
        XCTAssertEqual(seqs, seqs.sorted(), "oldest first")
        XCTAssertEqual(Set(seqs).count, seqs.count, "no entry twice")
        XCTAssertEqual(Array(paged.prefix(21)).compactMap { $0["credits"]?.int }, amounts)

        // Running balances: each posted entry moves the posted balance by its credits; the hold
        // blocks the price without moving it, the release unblocks it.
        var posted: Int64 = 0
        for (i, item) in paged.enumerated() {
            let credits = try XCTUnwrap(item["credits"]?.int)
            let phase = try XCTUnwrap(item["phase"]?.string)
            if phase == "posted" || phase == "post_pending" { posted += credits }
            XCTAssertEqual(item["posted_balance"]?.int, posted, "entry \(i): \(item)")
            let blocked = try XCTUnwrap(item["blocked"]?.int)
            XCTAssertEqual(item["available"]?.int, posted - blocked, "entry \(i): \(item)")
            XCTAssertGreaterThanOrEqual(item["available"]?.int ?? -1, 0, "entry \(i) shows an overdrawn wallet")
        }
        let hold = paged[21], release = paged[22]
        XCTAssertEqual(hold["kind"], "hold")
        XCTAssertEqual(hold["blocked"], 45)
        XCTAssertEqual(hold["meeting_id"], meeting["id"])
        XCTAssertEqual(release["kind"], "release")
        XCTAssertEqual(release["blocked"], 0)
        XCTAssertEqual(release["posted_balance"], hold["posted_balance"])
        XCTAssertEqual(release["available"]?.int, (hold["available"]?.int ?? 0) + 45)
        let balance = try meetingd.balance(account: wallet, as: user)
        XCTAssertEqual(balance["posted"]?.int, posted)
        XCTAssertEqual(balance["available"], paged.last?["available"])

        // from/to select by time: [from, to).
        let window = try meetingd.result("ledger.statement", as: user, [
            "account_id": .string(wallet), "from": .string(rfc3339(ledgerEpoch.addingTimeInterval(600))),
            "to": .string(rfc3339(ledgerEpoch.addingTimeInterval(1_200))),
        ])
        let windowItems = window["items"]?.array ?? []
        XCTAssertEqual(windowItems.count, 5, "adjustments 6–10 were made between 10 and 20 minutes")
        XCTAssertEqual(windowItems.compactMap { $0["credits"]?.int }, Array(amounts[6...10]))
        XCTAssertTrue(windowItems.allSatisfy { $0["created_at"]?.string == rfc3339(ledgerEpoch.addingTimeInterval(600)) }, "\(windowItems)")

        let badCursor = try meetingd.error("ledger.statement", as: user, ["account_id": .string(wallet), "cursor": "not-a-cursor"], code: -32602)
        XCTAssertEqual(badCursor["data"]?["field"], "cursor")
        for limit: JSONValue in [0, 501, -1] {
            let error = try meetingd.error("ledger.statement", as: user, ["account_id": .string(wallet), "limit": limit], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "limit")
        }
        let badFormat = try meetingd.error("ledger.statement", as: user, ["account_id": .string(wallet), "format": "xlsx"], code: -32602)
        XCTAssertEqual(badFormat["data"]?["field"], "format")
        // Without `to` the period ends now: a `from` after it would close before it opened.
        let ahead = try meetingd.error("ledger.statement", as: user, ["account_id": .string(wallet), "from": "2099-01-01T00:00:00Z"], code: -32602)
        XCTAssertEqual(ahead["data"]?["field"], "from", "\(ahead)")
        XCTAssertNotNil(try meetingd.result("ledger.statement", as: user, [
            "account_id": .string(wallet), "from": "2099-01-01T00:00:00Z", "to": "2099-02-01T00:00:00Z",
        ])["closing"], "with to as well, a period ahead is a period")
    }

    /// A cursor is opaque: one the service did not hand out is refused, not read as "from the
    /// start" (a client looping on it would never finish).
    func testTamperedStatementCursorsAreRefused() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        for i in 0..<3 { try ledger.grant(on: meetingd, Int64(10 + i), to: user) }
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let real = try XCTUnwrap(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet), "limit": 1])["next_cursor"]?.string)
        XCTAssertEqual(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet), "limit": 5, "cursor": .string(real)])["items"]?.array?.count, 2)
        func hex(_ text: String) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }
        for tampered in ["zz", hex("[]"), hex("[null]"), hex("[\"x\"]"), hex("{}")] {
            let response = try meetingd.call("ledger.statement", as: user, ["account_id": .string(wallet), "cursor": .string(tampered)])
            XCTAssertEqual(response["error"]?["code"], -32602, "cursor \(tampered) should be refused, got \(response)")
            XCTAssertEqual(response["error"]?["data"]?["field"], "cursor")
        }
    }

    func testStatementCSVParsesAndDefusesFormulas() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let references = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "order, \"quoted\"", "order-42"]
        for (i, reference) in references.enumerated() { try ledger.grant(on: meetingd, Int64(10 + i), to: user, reference: reference) }
        let reasons = ["=HYPERLINK(\"http://evil.example\",\"a,b\") second part", "plain reason", "-1+1"]
        for (i, reason) in reasons.enumerated() {
            try meetingd.result("credits.adjust", as: finance, ["account_id": .string(wallet), "credits": .int(Int64(-1 - i)), "reason": .string(reason)])
        }

        let json = try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])
        let items = try XCTUnwrap(json["items"]?.array)
        let csv = try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet), "format": "csv"])
        XCTAssertEqual(csv["next_cursor"], .null)
        let text = try XCTUnwrap(csv["csv"]?.string, "format csv answers a csv text: \(csv)")
        let rows = try parseCSVWithPython(text)
        let header = try XCTUnwrap(rows.first)
        for column in ["seq", "created_at_utc", "transfer_id", "transfer_kind", "amount", "posted_change", "posted_after", "available_after", "reference", "reason"] {
            XCTAssertTrue(header.contains(column), "the CSV header has \(column): \(header)")
        }
        // Between the opening and the closing balance rows, one row per entry.
        XCTAssertEqual(rows[1][header.firstIndex(of: "transfer_kind")!], "opening_balance")
        XCTAssertEqual(rows.last?[header.firstIndex(of: "transfer_kind")!], "closing_balance")
        let body = Array(rows.dropFirst(2).dropLast())
        XCTAssertEqual(body.count, items.count)
        XCTAssertTrue(body.allSatisfy { $0.count == header.count }, "every row has every column")
        func cell(_ row: [String], _ column: String) -> String? { header.firstIndex(of: column).map { row[$0] } }

        /// What a spreadsheet must show for a text a user or finance typed.
        func defused(_ text: String) -> String { "=+-@\t\r".contains(text.first ?? "x") ? "'" + text : text }
        for (row, item) in zip(body, items) {
            XCTAssertEqual(cell(row, "seq"), item["seq"]?.int.map { String($0) })
            XCTAssertEqual(cell(row, "transfer_id"), item["transfer_id"]?.string)
            XCTAssertEqual(cell(row, "posted_change"), item["credits"]?.int.map { String($0) }, "a posted movement changes posted by its signed credits")
            XCTAssertEqual(cell(row, "posted_after"), item["posted_balance"]?.int.map { String($0) })
            XCTAssertEqual(cell(row, "available_after"), item["available"]?.int.map { String($0) })
            XCTAssertEqual(cell(row, "reference"), item["reference"]?.string.map(defused) ?? "")
            XCTAssertEqual(cell(row, "reason"), item["reason"]?.string.map(defused) ?? "")
            for column in ["transfer_kind", "transfer_id", "reference", "reason", "meeting_id", "created_at_utc"] {
                let value = cell(row, column) ?? ""
                XCTAssertFalse("=+-@\t\r".contains(value.first ?? "x"), "the \(column) cell \(value.debugDescription) would run as a formula")
            }
        }
        let cells = body.flatMap { $0 }
        XCTAssertTrue(cells.contains("'=cmd|' /C calc'!A0"), "\(cells)")
        XCTAssertTrue(cells.contains("'+SUM(1,2)"))
        XCTAssertTrue(cells.contains("'-2+3"))
        XCTAssertTrue(cells.contains("'@SUM(A1)"))
        XCTAssertTrue(cells.contains("order, \"quoted\""), "commas and quotes survive quoting")
        XCTAssertTrue(cells.contains("'" + reasons[0]), "commas and quotes in a reason survive quoting")
        XCTAssertTrue(cells.contains("'-1+1"))

        // CSV pages like JSON.
        let firstPage = try meetingd.result("ledger.statement", as: finance, ["account_id": .string(wallet), "format": "csv", "limit": 4])
        XCTAssertEqual(try parseCSVWithPython(try XCTUnwrap(firstPage["csv"]?.string)).count, 6, "a header, the opening balance and 4 rows")
        XCTAssertNotNil(firstPage["next_cursor"]?.string)
    }

    /// A reference or reason is one line: one breaking a line is refused and changes nothing.
    /// One stored before that rule (holding CR LF then a formula) stays inside its quoted cell:
    /// the statement keeps one row per entry, and no line of any text cell starts a formula.
    func testStatementCSVKeepsLineBreaksInsideTheirCell() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let user = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        for text in HostileCSV.multiLine {
            let grant = try meetingd.error(
                "credits.grant", as: ledger.financeId, ["user_id": .string(user), "credits": 10, "reference": .string(text)], code: -32602)
            XCTAssertEqual(grant["data"]?["field"], "reference", "\(grant)")
            let adjust = try meetingd.error(
                "credits.adjust", as: ledger.financeId, ["account_id": .string(wallet), "credits": 1, "reason": .string(text)], code: -32602)
            XCTAssertEqual(adjust["data"]?["field"], "reason", "\(adjust)")
        }
        XCTAssertEqual(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])["items"]?.array?.count, 0)
        for (i, reference) in HostileCSV.oneLine.enumerated() { try ledger.grant(on: meetingd, Int64(10 + i), to: user, reference: reference) }
        for (i, reason) in HostileCSV.oneLine.enumerated() {
            try meetingd.result("credits.adjust", as: ledger.financeId, ["account_id": .string(wallet), "credits": .int(Int64(-1 - i)), "reason": .string(reason)])
        }
        try HostileCSV.storeMultiLine(wallet: wallet, actor: ledger.financeId)
        let items = try XCTUnwrap(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])["items"]?.array)
        XCTAssertEqual(items.count, 2 * (HostileCSV.oneLine.count + HostileCSV.multiLine.count))
        let csv = try XCTUnwrap(try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet), "format": "csv"])["csv"]?.string)
        HostileCSV.assertDefused(try parseCSVWithPython(csv), items: items)
    }

    // MARK: Balances over time, totals, reconcile

    func testBalanceAsOfAPastTime() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let t1 = ledgerEpoch.addingTimeInterval(9 * 3_600)
        try ledger.pinClock(on: meetingd, at: t1)
        let user = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        try ledger.grant(on: meetingd, 100, to: user)
        try ledger.advanceClock(on: meetingd, minutes: 60)
        try ledger.grant(on: meetingd, 50, to: user)
        let t2 = t1.addingTimeInterval(3_600)

        func posted(asOf date: String) throws -> Int64? { try meetingd.balance(account: wallet, as: user, asOf: date)["posted"]?.int }
        XCTAssertEqual(try posted(asOf: rfc3339(t1.addingTimeInterval(-60))), 0, "before the first grant")
        XCTAssertEqual(try posted(asOf: rfc3339(t1)), 0, "as of the first grant's own time: just before it, as a statement to then closes")
        XCTAssertEqual(try posted(asOf: rfc3339(t1.addingTimeInterval(1))), 100, "a second after it")
        XCTAssertEqual(try posted(asOf: rfc3339(t1.addingTimeInterval(1_800))), 100, "between the grants")
        XCTAssertEqual(try posted(asOf: "2031-01-06T04:30:00-05:00"), 100, "the same instant written with an offset")
        XCTAssertEqual(try posted(asOf: rfc3339(t2)), 150, "as of now, the clock pinned at the second grant's time: every transfer so far")
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["posted"], 150, "now")
        let between = try meetingd.balance(account: wallet, as: user, asOf: rfc3339(t1.addingTimeInterval(1_800)))
        XCTAssertEqual(between["available"], 100)
        XCTAssertEqual(between["as_of"]?.string, rfc3339(t1.addingTimeInterval(1_800)))
        let byPerson = try meetingd.result("ledger.balance", as: user, ["person_id": .string(user), "as_of": .string(rfc3339(t1.addingTimeInterval(1_800)))])
        XCTAssertEqual(byPerson["posted"], 100)
        // Earnings opened later (the person made an expert at t2) are not among their accounts
        // as of a time before: only the accounts opened (or moved) by then count, as in
        // ledger.accounts and the trial balance.
        try meetingd.result("person.update", as: ledger.adminId, ["person_id": .string(user), "add_roles": ["expert"]])
        func kinds(asOf date: String) throws -> [String] {
            try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user), "as_of": .string(date)])["accounts"]?.array?
                .compactMap { $0["kind"]?.string } ?? []
        }
        XCTAssertEqual(try kinds(asOf: rfc3339(t1.addingTimeInterval(1_800))), ["user_wallet"])
        XCTAssertEqual(Set(try kinds(asOf: rfc3339(t2.addingTimeInterval(60)))), ["user_wallet", "expert_earnings"], "as of now: both")

        let trialBetween = try meetingd.result("ledger.trial_balance", as: ledger.financeId, ["as_of": .string(rfc3339(t1.addingTimeInterval(1_800)))])
        XCTAssertEqual(trialBetween["total"], 0)
        let kinds = Dictionary(uniqueKeysWithValues: (trialBetween["kinds"]?.array ?? []).map { ($0["kind"]?.string ?? "?", $0["posted"]?.int ?? -1) })
        XCTAssertEqual(kinds["user_wallet"], 100)
        XCTAssertEqual(kinds["issuance"], -100)
        XCTAssertEqual(try meetingd.trialBalanceKind("issuance", as: ledger.financeId)["posted"], -150)

        for bad: JSONValue in ["yesterday", "2031-01-06T09:00:00", "2031-02-30T00:00:00Z", 1_700_000_000] {
            let error = try meetingd.error("ledger.balance", as: user, ["account_id": .string(wallet), "as_of": bad], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "as_of", "\(bad)")
        }
    }

    /// A clock set back (as a system clock can be stepped back) never times a transfer before an
    /// earlier transfer of either of its accounts: balances as of a time and statements agree,
    /// and reconcile finds transfers timed out of order.
    func testTransferTimesFollowTheirSequenceWhenTheClockGoesBack() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let t1 = ledgerEpoch.addingTimeInterval(9 * 3_600)
        try ledger.pinClock(on: meetingd, at: t1)
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 30)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        try ledger.grant(on: meetingd, 100, to: user)

        try ledger.pinClock(on: meetingd, at: t1.addingTimeInterval(-7_200))
        try ledger.grant(on: meetingd, 50, to: user)
        let meeting = try booking.request(on: meetingd, by: user, start: t1.addingTimeInterval(86_400))
        let earnings = try meetingd.accountId(of: booking.expertId, kind: "expert_earnings", as: booking.expertId)

        let items = try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])["items"]?.array ?? []
        XCTAssertEqual(items.compactMap { $0["kind"]?.string }, ["grant", "grant", "hold"])
        XCTAssertEqual(items.compactMap { $0["created_at"]?.string }, Array(repeating: rfc3339(t1), count: 3),
                       "the later grant and the hold take the wallet's latest time, not the clock's earlier one")
        let trail = try meetingd.result("ledger.meeting_trail", as: ledger.financeId, ["meeting_id": meeting["id"]!])
        XCTAssertEqual(trail["transfers"]?.array?.first?["created_at"]?.string, rfc3339(t1))

        func posted(_ account: String, as actor: String, asOf date: Date) throws -> Int64? {
            try meetingd.balance(account: account, as: actor, asOf: rfc3339(date))["posted"]?.int
        }
        XCTAssertEqual(try posted(wallet, as: user, asOf: t1.addingTimeInterval(-3_600)), 0, "nothing was on the wallet before its first grant")
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user, asOf: rfc3339(t1.addingTimeInterval(-3_600)))["blocked"], 0)
        XCTAssertEqual(try posted(wallet, as: user, asOf: t1), 150, "as the statement's last running balance")
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user, asOf: rfc3339(t1))["blocked"], 30)
        XCTAssertEqual(try meetingd.balance(account: earnings, as: booking.expertId, asOf: rfc3339(t1.addingTimeInterval(-60)))["incoming"], 0,
                       "the expert's earnings received the hold at the wallet's time")
        let reconciled = try meetingd.result("ledger.reconcile", as: ledger.financeId)
        XCTAssertEqual(reconciled["problems"], [])
        XCTAssertEqual(reconciled["checked_at"]?.string, rfc3339(t1), "checked as of now, the latest transfer's time, as the figures are")

        // An answer "now" counts transfers stamped after the clock: it is labelled with their
        // time, so asking again as of that label gives the same figures (it was labelled with
        // the clock's earlier time, which as_of answers without them).
        let now = try meetingd.balance(account: wallet, as: user)
        XCTAssertEqual(now["as_of"]?.string, rfc3339(t1))
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user, asOf: rfc3339(t1))["posted"], now["posted"])
        let finance = ledger.financeId
        for method in ["ledger.trial_balance", "report.credits_outstanding", "report.earnings_due", "ledger.accounts"] {
            XCTAssertEqual(try meetingd.result(method, as: finance, [:])["as_of"]?.string, rfc3339(t1), method)
        }
        XCTAssertEqual(try meetingd.result("report.credits_outstanding", as: finance, ["as_of": .string(rfc3339(t1))])["posted"],
                       try meetingd.result("report.credits_outstanding", as: finance, [:])["posted"])
        let statement = try meetingd.result("ledger.statement", as: user, ["account_id": .string(wallet)])
        XCTAssertEqual(statement["closing"]?["as_of"]?.string, rfc3339(t1), "the closing is as of the last entry's time, not before it")

        // A transfer timed before the one ahead of it (written past the ledger functions, in a
        // transaction rolled back) is what reconcile's time check reports.
        let community = Psql.literal(ledger.community.id)
        let run = try Psql.run(databaseURL, [
            "BEGIN", "SET LOCAL session_replication_role = replica",
            "UPDATE transfers SET created_at = created_at - interval '3 hours' WHERE community_id = \(community) AND kind = 'hold'",
            "SELECT kind || ' ' || subject FROM ledger_time_problems(\(community)) ORDER BY 1", "ROLLBACK",
        ])
        XCTAssertTrue(run.succeeded, run.stderr)
        let reported = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(reported, ["latest_time \(earnings)", "time_order \(wallet)"].sorted(),
                       "the wallet's hold is now before its second grant; the earnings' only transfer is before the time stored")
    }

    /// A clock set back never times a transfer before one already made in the community, even
    /// between accounts that have not moved since: a trial balance and a balance as of a past
    /// time, once answered, stay as they were. Before, a hold made after the clock went back
    /// took the clock's time (its accounts' latest was earlier) and changed both; and a wallet
    /// opened then took the clock's time and counted among the accounts as of that past time.
    func testAFigureAsOfAPastTimeStaysWhenTheClockGoesBack() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let t1 = ledgerEpoch.addingTimeInterval(9 * 3_600)
        try ledger.pinClock(on: meetingd, at: t1.addingTimeInterval(-3 * 3_600))
        let ann = try ledger.person(on: meetingd, ["user"])
        let bob = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 30)
        let wallet = try meetingd.accountId(of: ann, kind: "user_wallet", as: ann)
        try ledger.grant(on: meetingd, 100, to: ann)
        try ledger.pinClock(on: meetingd, at: t1)
        try ledger.grant(on: meetingd, 100, to: bob)
        let between = rfc3339(t1.addingTimeInterval(-3_600))
        func figures() throws -> [Int64?] {
            let wallets = try meetingd.trialBalanceKind("user_wallet", as: ledger.financeId, asOf: between)
            return [wallets["blocked"]?.int, wallets["accounts"]?.int,
                    try meetingd.balance(account: wallet, as: ann, asOf: between)["available"]?.int]
        }
        let answered = try figures()
        XCTAssertEqual(answered, [0, 2, 100])

        try ledger.pinClock(on: meetingd, at: t1.addingTimeInterval(-2 * 3_600))
        let meeting = try booking.request(on: meetingd, by: ann, start: t1.addingTimeInterval(86_400))
        // A user added now opens their wallet at the community's latest transfer time, not before.
        _ = try ledger.person(on: meetingd, ["user"])
        XCTAssertEqual(try figures(), answered, "the figures as of \(between), answered before, are as they were")
        let trail = try meetingd.result("ledger.meeting_trail", as: ledger.financeId, ["meeting_id": meeting["id"]!])
        XCTAssertEqual(trail["transfers"]?.array?.first?["created_at"]?.string, rfc3339(t1), "the hold takes the community's latest time")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: ledger.financeId)["problems"], [])
    }

    func testTrialBalanceSumsToZeroAndReconcileFindsNoProblem() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let finance = ledger.financeId
        let ann = try ledger.person(on: meetingd, ["user"])
        let bob = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        let expert = booking.expertId
        try ledger.grant(on: meetingd, 300, to: ann)
        try ledger.grant(on: meetingd, 80, to: bob)
        try meetingd.result("credits.adjust", as: finance, ["account_id": .string(try meetingd.accountId(of: bob, kind: "user_wallet", as: bob)), "credits": -5, "reason": "x"])

        // Ann's meeting is captured (45, fee 4 = 10 % rounded down); Bob's stays held.
        let paid = try booking.request(on: meetingd, by: ann, start: ledgerEpoch.addingTimeInterval(3_600))
        try meetingd.result("meeting.confirm", as: expert, ["meeting_id": paid["id"]!])
        try booking.request(on: meetingd, by: bob, start: ledgerEpoch.addingTimeInterval(86_400))
        try ledger.advanceClock(on: meetingd, minutes: 95)
        let logged = try meetingd.result("meeting.log_session", as: expert, ["meeting_id": paid["id"]!, "attendance": "attended"])
        XCTAssertEqual(logged["credit_status"], "paid")
        try meetingd.result("payout.create", as: finance, ["expert_id": .string(expert), "credits": 11, "reference": "bank-1"])

        let trial = try meetingd.result("ledger.trial_balance", as: finance)
        XCTAssertEqual(trial["total"], 0, "\(trial)")
        XCTAssertEqual(trial["pending_total"], 0)
        var byKind: [String: JSONValue] = [:]
        for kind in trial["kinds"]?.array ?? [] { byKind[kind["kind"]?.string ?? "?"] = kind }
        XCTAssertEqual(Set(byKind.keys), ["user_wallet", "expert_earnings", "platform_revenue", "issuance", "payouts"])
        XCTAssertEqual(byKind["issuance"]?["posted"], -375, "grants 380 − adjustment 5")
        XCTAssertEqual(byKind["user_wallet"]?["posted"], 330, "375 − 45 captured")
        XCTAssertEqual(byKind["user_wallet"]?["blocked"], 45, "Bob's open hold")
        XCTAssertEqual(byKind["user_wallet"]?["available"], 285)
        XCTAssertEqual(byKind["expert_earnings"]?["posted"], 30, "45 − fee 4 − payout 11")
        XCTAssertEqual(byKind["expert_earnings"]?["incoming"], 45)
        XCTAssertEqual(byKind["platform_revenue"]?["posted"], 4)
        XCTAssertEqual(byKind["payouts"]?["posted"], 11)
        XCTAssertEqual(byKind["user_wallet"]?["accounts"], 2)
        let sum = byKind.values.compactMap { $0["posted"]?.int }.reduce(0, +)
        XCTAssertEqual(sum, 0, "the kinds themselves add up to 0")

        let reconcile = try meetingd.result("ledger.reconcile", as: finance)
        XCTAssertEqual(reconcile["ok"], true, "\(reconcile)")
        XCTAssertEqual(reconcile["problems"], [])
    }

    // MARK: Meeting trails

    func testMeetingTrailsShowEachHoldResolvedOnce() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        try meetingd.result("community.update_settings", as: ledger.adminId, ["user_late_cancel_charge_percent": 60])
        let finance = ledger.financeId
        let user = try ledger.person(on: meetingd, ["user"])
        let stranger = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        let expert = booking.expertId
        try ledger.grant(on: meetingd, 1_000, to: user)
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert, kind: "expert_earnings", as: expert)
        let hour: TimeInterval = 3_600

        func trail(_ meeting: JSONValue, as actor: String? = nil) throws -> (status: String?, transfers: [JSONValue]) {
            let t = try meetingd.result("ledger.meeting_trail", as: actor ?? finance, ["meeting_id": meeting["id"]!])
            XCTAssertEqual(t["meeting_id"], meeting["id"])
            return (t["credit_status"]?.string, t["transfers"]?.array ?? [])
        }

        // Declined: hold, then one release of the whole hold.
        let declined = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(100 * hour))
        XCTAssertEqual(try trail(declined).status, "blocked")
        try meetingd.result("meeting.decline", as: expert, ["meeting_id": declined["id"]!, "reason_code": "schedule_conflict"])
        var t = try trail(declined)
        XCTAssertEqual(t.status, "returned")
        XCTAssertEqual(t.transfers.compactMap { $0["kind"]?.string }, ["hold", "release"])
        XCTAssertEqual(t.transfers[0]["phase"], "pending")
        XCTAssertEqual(t.transfers[0]["credits"], 45)
        XCTAssertEqual(t.transfers[0]["debit_account_id"]?.string, wallet)
        XCTAssertEqual(t.transfers[0]["credit_account_id"]?.string, earnings)
        XCTAssertEqual(t.transfers[1]["phase"], "void_pending")
        XCTAssertEqual(t.transfers[1]["pending_id"], t.transfers[0]["id"])
        XCTAssertEqual(t.transfers[1]["credits"], 45)
        // Declining again is refused and resolves nothing more.
        try meetingd.error("meeting.decline", as: expert, ["meeting_id": declined["id"]!, "reason_code": "schedule_conflict"], code: 4009)
        XCTAssertEqual(try trail(declined).transfers.count, 2)

        // Cancelled by the user inside the window: 60 % captured (27), fee 2, the rest returned.
        let late = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(10 * hour))
        try meetingd.result("meeting.confirm", as: expert, ["meeting_id": late["id"]!])
        let lateError = try meetingd.error("meeting.cancel", as: user, ["meeting_id": late["id"]!, "reason_code": "illness"], code: 4013)
        XCTAssertEqual(lateError["data"]?["code"], "late_cancellation_requires_confirmation")
        XCTAssertEqual(try trail(late).transfers.count, 1, "the refused cancel moved nothing")
        let cancelled = try meetingd.result("meeting.cancel", as: user, ["meeting_id": late["id"]!, "reason_code": "illness", "confirm_late": true])
        XCTAssertEqual(cancelled["credit_status"], "paid")
        t = try trail(late)
        XCTAssertEqual(t.status, "paid")
        XCTAssertEqual(t.transfers.compactMap { $0["kind"]?.string }, ["hold", "capture", "fee"])
        XCTAssertEqual(t.transfers[1]["credits"], 27)
        XCTAssertEqual(t.transfers[1]["phase"], "post_pending")
        XCTAssertEqual(t.transfers[1]["pending_id"], t.transfers[0]["id"])
        XCTAssertEqual(t.transfers[2]["credits"], 2, "10 % of 27, rounded down")
        XCTAssertEqual(t.transfers[2]["debit_account_id"]?.string, earnings)
        try meetingd.error("meeting.cancel", as: user, ["meeting_id": late["id"]!, "reason_code": "illness", "confirm_late": true], code: 4009)

        // Cancelled by the user well ahead: all released.
        let early = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(200 * hour))
        try meetingd.result("meeting.confirm", as: expert, ["meeting_id": early["id"]!])
        try meetingd.result("meeting.cancel", as: user, ["meeting_id": early["id"]!, "reason_code": "illness"])
        t = try trail(early)
        XCTAssertEqual(t.status, "returned")
        XCTAssertEqual(t.transfers.compactMap { $0["kind"]?.string }, ["hold", "release"])

        // Attended: captured in full (45), fee 4; logging twice is refused.
        let attended = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(20 * hour))
        try meetingd.result("meeting.confirm", as: expert, ["meeting_id": attended["id"]!])
        try meetingd.error("meeting.log_session", as: expert, ["meeting_id": attended["id"]!, "attendance": "attended"], code: 4009)
        try ledger.advanceClock(on: meetingd, minutes: 21 * 60)
        try meetingd.result("meeting.log_session", as: expert, ["meeting_id": attended["id"]!, "attendance": "attended"])
        try meetingd.error("meeting.log_session", as: expert, ["meeting_id": attended["id"]!, "attendance": "no_show"], code: 4009)
        try meetingd.error("meeting.report_no_show", as: user, ["meeting_id": attended["id"]!], code: 4009)
        t = try trail(attended, as: user)
        XCTAssertEqual(t.status, "paid")
        XCTAssertEqual(t.transfers.compactMap { $0["kind"]?.string }, ["hold", "capture", "fee"])
        XCTAssertEqual(t.transfers.compactMap { $0["credits"]?.int }, [45, 45, 4])
        XCTAssertEqual(try trail(attended, as: expert).transfers, t.transfers)

        // Wallet: 1000 − 27 − 45; earnings: 27 − 2 + 45 − 4.
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["posted"], 928)
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user)["blocked"], 0)
        XCTAssertEqual(try meetingd.balance(account: earnings, as: expert)["available"], 66)

        try meetingd.error("ledger.meeting_trail", as: stranger, ["meeting_id": attended["id"]!], code: 4003)
        try meetingd.error("ledger.meeting_trail", as: finance, ["meeting_id": .string("mtg_" + String(repeating: "0", count: 32))], code: 4004)
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        try meetingd.error("ledger.meeting_trail", as: other.financeId, ["meeting_id": attended["id"]!], code: 4004)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: finance)["ok"], true)
    }
}

/// References and reasons written to break a CSV row or run in a spreadsheet.
enum HostileCSV {
    /// One-line texts a spreadsheet would run as formulas: what a reference or a reason may hold.
    static let oneLine = ["=cmd|' /C calc'!A0", "@SUM(A1)", "+1,2 \"x\"", "-3", "order-42 =1+1"]
    /// Texts breaking a line before a formula: refused in references and reasons, but found in
    /// rows stored before that rule, which a statement still exports.
    static let multiLine = [
        "order-42\r\n=cmd|' /C calc'!A0", "\r\n=cmd|' /C calc'!A0", "refund\r@SUM(A1)", "refund\n+1,2\r\n\r\n-3\t\"x\"", "\n\t=1+1",
    ]

    /// Stores `multiLine` as grant references and adjustment reasons of `wallet` behind the
    /// service's back, through the ledger's own function as the database owner: the rows an
    /// earlier version accepted.
    static func storeMultiLine(wallet: String, actor: String) throws {
        let statements = multiLine.enumerated().flatMap { i, text in
            [("issuance", "'\(wallet)'", 10 + i, "'grant'", Psql.literal(text), "NULL"),
             ("'\(wallet)'", "issuance", 1 + i, "'adjustment'", "NULL", Psql.literal(text))].map { debit, credit, credits, kind, reference, reason in
                """
                SELECT ledger_transfer(a.community_id, 'trf_' || md5(random()::text), \(debit == "issuance" ? "ledger_account(a.community_id, 'issuance', NULL)" : debit),
                    \(credit == "issuance" ? "ledger_account(a.community_id, 'issuance', NULL)" : credit), \(credits), \(kind), 'posted', NULL, \(reference), \(reason),
                    '\(actor)', NULL)
                FROM accounts a WHERE a.id = '\(wallet)'
                """
            }
        }
        let run = try Psql.run(try TestEnvironment.databaseURL(), statements)
        XCTAssertTrue(run.succeeded, run.stderr)
    }

    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\n"]

    /// Every line a spreadsheet shows of a cell: split at CR LF, CR and LF.
    static func lines(_ cell: String) -> [String] {
        cell.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars.split(omittingEmptySubsequences: false) { $0 == "\r" || $0 == "\n" }.map { String($0) }
    }

    /// Numbers stay numbers; every line of every text cell is safe; the texts read back with
    /// only apostrophes added. A statement's opening and closing rows are set aside first.
    static func assertDefused(_ csv: [[String]], items: [JSONValue], file: StaticString = #filePath, line: UInt = #line) {
        let bound = csv.first?.firstIndex(of: "transfer_kind")
        let rows = csv.enumerated().filter { i, row in
            i == 0 || bound.map { !["opening_balance", "closing_balance"].contains(row[$0]) } ?? true
        }.map(\.element)
        XCTAssertEqual(rows.count, items.count + 1, "a header and one row per entry: \(rows)", file: file, line: line)
        guard let header = rows.first, rows.count == items.count + 1 else { return }
        for (row, item) in zip(rows.dropFirst(), items) {
            XCTAssertEqual(row.count, header.count, "every row has every column: \(row)", file: file, line: line)
            for (column, cell) in zip(header, row) {
                if let number = item[column]?.int {
                    XCTAssertEqual(cell, String(number), "\(column) stays a number", file: file, line: line)
                    continue
                }
                for text in lines(cell) {
                    XCTAssertFalse(text.unicodeScalars.first.map(formulaStarts.contains) ?? false,
                                   "a line of the \(column) cell \(cell.debugDescription) starts a formula", file: file, line: line)
                }
                if let written = item[column]?.string {
                    XCTAssertEqual(cell.replacingOccurrences(of: "'", with: ""), written.replacingOccurrences(of: "'", with: ""),
                                   "the \(column) text survives, only guarded", file: file, line: line)
                }
            }
        }
    }
}
