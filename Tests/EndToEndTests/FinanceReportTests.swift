import Foundation
import XCTest

/// Issue 14, "Finance staff: reports, not only lookups", through meetingd's pipes: the
/// community's accounts, the reports, statements between their opening and closing balances,
/// and CSV — each figure reconciled with ledger.trial_balance.
final class FinanceReportTests: EndToEndTestCase {
    /// "ledger.accounts: every account of the community with posted, blocked and available
    /// credits, filtered by kind, paged, CSV."
    func testLedgerAccountsListsEveryAccountByKindAndPage() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let r = try ReportLedger.make(on: meetingd, #function)
        var pages = 0
        var cursor: JSONValue? = nil
        var items: [JSONValue] = []
        repeat {
            var params: [String: JSONValue] = ["limit": 2]
            if let cursor { params["cursor"] = cursor }
            let page = try meetingd.result("ledger.accounts", as: r.finance, params)
            items += page["items"]?.array ?? []
            cursor = page["next_cursor"]
            pages += 1
        } while cursor != nil && cursor != .null && pages < 10
        XCTAssertEqual(items.count, 7, "two wallets, two earnings accounts, platform_revenue, issuance, payouts")
        XCTAssertEqual(pages, 4)
        XCTAssertEqual(Set(items.compactMap { $0["account_id"]?.string }).count, 7, "no account twice across pages")
        XCTAssertEqual(items.compactMap { $0["kind"]?.string }, items.compactMap { $0["kind"]?.string }.sorted(), "by kind")
        for kind in ["user_wallet", "expert_earnings", "platform_revenue", "issuance", "payouts"] {
            let ofKind = try meetingd.result("ledger.accounts", as: r.finance, ["kind": .string(kind)])["items"]?.array ?? []
            XCTAssertTrue(ofKind.allSatisfy { $0["kind"]?.string == kind })
            let trial = try r.trial(kind)
            for figure in ["posted", "blocked", "available"] {
                XCTAssertEqual(ofKind.compactMap { $0[figure]?.int }.reduce(0, +), trial[figure]?.int, "\(kind) \(figure) reconciles with the trial balance")
            }
            XCTAssertEqual(Int64(ofKind.count), trial["accounts"]?.int)
        }
        let walletB = try XCTUnwrap(items.first { $0["owner_id"]?.string == r.userB })
        XCTAssertEqual(walletB["blocked"], 50)
        XCTAssertEqual(walletB["available"], 250)
        XCTAssertNotNil(walletB["owner_email"]?.string)
        let before = try meetingd.result("ledger.accounts", as: r.finance, ["kind": "user_wallet", "as_of": "2031-01-06T23:00:00Z"])
        XCTAssertEqual(before["items"]?.array?.compactMap { $0["blocked"]?.int }.reduce(0, +), 250, "as of a past time: the three holds")
        // Before the accounts were opened there were none, as the trial balance says.
        let early = "2020-01-01T00:00:00Z"
        XCTAssertEqual(try meetingd.result("ledger.accounts", as: r.finance, ["as_of": .string(early)])["items"], [])
        XCTAssertEqual(try r.trial("user_wallet", asOf: early)["accounts"], 0)
        let noEarnings = try meetingd.result("report.earnings_due", as: r.finance, ["as_of": .string(early), "include_zero": true])
        XCTAssertEqual(noEarnings["totals"]?["experts"], 0, "no expert's account was open then, as the trial balance says: \(noEarnings)")
        XCTAssertEqual(noEarnings["items"], [])
        // A later time than now is answered as of now, and says so.
        let later: JSONValue = "2040-01-01T00:00:00Z", now: JSONValue = "2031-02-10T12:00:00Z"
        XCTAssertEqual(try meetingd.result("ledger.accounts", as: r.finance, ["as_of": later])["as_of"], now)
        XCTAssertEqual(try meetingd.result("ledger.trial_balance", as: r.finance, ["as_of": later])["as_of"], now)
        XCTAssertEqual(try meetingd.result("ledger.balance", as: r.finance, ["account_id": .string(r.walletA), "as_of": later])["as_of"], now)
        XCTAssertEqual(try meetingd.result("report.credits_outstanding", as: r.finance, ["as_of": later])["as_of"], now)
        let earnings = try meetingd.result("report.earnings_due", as: r.finance, ["as_of": later])
        XCTAssertEqual(earnings["as_of"], now)
        XCTAssertTrue(earnings["items"]?.array?.allSatisfy { $0["as_of"] == now } ?? false, "\(earnings)")

        let csv = try parseCSVWithPython(try XCTUnwrap(try meetingd.result("ledger.accounts", as: r.finance, ["format": "csv"])["csv"]?.string))
        XCTAssertEqual(csv.count, 8)
        XCTAssertEqual(Array(csv[0].prefix(3)), ["account_id", "account_kind", "owner_id"])
        XCTAssertEqual(try csvColumn(csv, "posted").compactMap { Int($0) }.reduce(0, +), 0, "the ledger's grand total")

        try meetingd.error("ledger.accounts", as: r.userA, code: 4003)
        try meetingd.error("ledger.accounts", as: r.expertX, code: 4003)
        XCTAssertEqual(try meetingd.error("ledger.accounts", as: r.finance, ["kind": "wallet"], code: -32602)["data"]?["field"], "kind")
        let forged = try meetingd.error("ledger.accounts", as: r.finance, ["cursor": "5b2278222c2278225d"], code: -32602)
        XCTAssertEqual(forged["data"]?["field"], "cursor", "a cursor naming no account kind")
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        let theirs = try meetingd.result("ledger.accounts", as: other.financeId)["items"]?.array ?? []
        XCTAssertFalse(theirs.contains { $0["owner_id"]?.string == r.userA }, "another community's finance staff see only theirs")
    }

    /// "Reports: credits outstanding (what users hold, blocked and available — the platform's
    /// liability), revenue by month (fees, late-cancel charges), captures and releases by month,
    /// expert earnings due for payout … each figure reconciles with ledger.trial_balance."
    func testEveryReportReconcilesWithTheTrialBalance() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let r = try ReportLedger.make(on: meetingd, #function)

        let outstanding = try meetingd.result("report.credits_outstanding", as: r.finance)
        let wallets = try r.trial("user_wallet")
        XCTAssertEqual(outstanding["wallets"], 2)
        XCTAssertEqual([outstanding["posted"], outstanding["blocked"], outstanding["available"]], [650, 50, 600])
        XCTAssertEqual([outstanding["posted"], outstanding["blocked"], outstanding["available"]], [wallets["posted"], wallets["blocked"], wallets["available"]])
        let past = "2031-01-06T23:00:00Z"
        let outstandingThen = try meetingd.result("report.credits_outstanding", as: r.finance, ["as_of": .string(past)])
        let walletsThen = try r.trial("user_wallet", asOf: past)
        XCTAssertEqual([outstandingThen["posted"], outstandingThen["blocked"], outstandingThen["available"]], [800, 250, 550])
        XCTAssertEqual(outstandingThen["available"], walletsThen["available"])
        // Before any account was opened there were none to count.
        let beforeAll = "2001-01-01T00:00:00Z"
        XCTAssertEqual(try meetingd.result("report.credits_outstanding", as: r.finance, ["as_of": .string(beforeAll)])["wallets"], 0)
        let trialBefore = try meetingd.result("ledger.trial_balance", as: r.finance, ["as_of": .string(beforeAll)])
        XCTAssertEqual(Set(trialBefore["kinds"]?.array?.map { $0["accounts"] } ?? []), [0], "\(trialBefore)")
        XCTAssertEqual(try meetingd.result("ledger.trial_balance", as: r.finance)["kinds"]?.array?.first { $0["kind"] == "user_wallet" }?["accounts"], 2)

        // From the first month with movements: the months add up to the trial balance.
        let months: [String: JSONValue] = ["from_month": "2031-01", "to_month": "2031-03"]
        let revenue = try meetingd.result("report.revenue_by_month", as: r.finance, months)
        XCTAssertEqual(revenue["time_zone"], "America/New_York")
        let revenueMonths = try XCTUnwrap(revenue["months"]?.array)
        XCTAssertEqual(revenueMonths.compactMap { $0["month"]?.string }, ["2031-01", "2031-02", "2031-03"])
        // The capture at 2031-02-01 03:00Z is 31 January on the community's clock.
        XCTAssertEqual(revenueMonths[0]["fees"], 30)
        XCTAssertEqual(revenueMonths[0]["fee_transfers"], 2)
        XCTAssertEqual(revenueMonths[0]["late_cancel_charges"], 50)
        XCTAssertEqual(revenueMonths[0]["late_cancellations"], 1)
        XCTAssertEqual(revenueMonths[1]["adjustments"], -3)
        XCTAssertEqual(revenueMonths[1]["revenue"], -3)
        XCTAssertEqual(revenueMonths[2]["revenue"], 0)
        XCTAssertEqual(revenue["totals"]?["revenue"], try r.trial("platform_revenue")["posted"])
        XCTAssertEqual(revenue["totals"]?["revenue"], 27)

        let settlements = try meetingd.result("report.settlements_by_month", as: r.finance, months)
        let january = try XCTUnwrap(settlements["months"]?[0])
        XCTAssertEqual([january["holds"], january["held"], january["captures"], january["captured"], january["returned_on_capture"],
                        january["releases"], january["released"], january["blocked_change"]], [3, 250, 2, 150, 50, 1, 50, 0])
        XCTAssertEqual(settlements["months"]?[1]?["blocked_change"], 50, "February's open hold")
        XCTAssertEqual(settlements["totals"]?["blocked_change"], wallets["blocked"], "what is blocked now is every hold less every resolution")
        let earnings = try r.trial("expert_earnings")
        // Experts are paid what was captured, less fees and payouts.
        XCTAssertEqual(settlements["totals"]?["captured"]?.int.map { $0 - 30 - 30 }, earnings["posted"]?.int)

        let due = try meetingd.result("report.earnings_due", as: r.finance)
        XCTAssertEqual(due["items"]?.array?.compactMap { $0["owner_id"]?.string }, [r.expertX], "only experts with something due")
        XCTAssertEqual(due["items"]?[0]?["due"], 90)
        XCTAssertEqual(due["totals"]?["experts"], 2)
        XCTAssertEqual(due["totals"]?["due"], earnings["available"])
        XCTAssertEqual(due["totals"]?["posted"], earnings["posted"])
        XCTAssertEqual(due["totals"]?["incoming"], earnings["credits_pending"])
        XCTAssertEqual(due["totals"]?["incoming"], 50)
        let everyone = try meetingd.result("report.earnings_due", as: r.finance, ["include_zero": true, "limit": 1])
        XCTAssertEqual(everyone["items"]?.array?.count, 1)
        let second = try meetingd.result("report.earnings_due", as: r.finance, ["include_zero": true, "limit": 1, "cursor": everyone["next_cursor"]!])
        XCTAssertEqual(Set([everyone["items"]?[0]?["owner_id"], second["items"]?[0]?["owner_id"]].compactMap { $0?.string }), [r.expertX, r.expertY])
        XCTAssertEqual(second["totals"], everyone["totals"], "totals over every expert on every page")
        let dueThen = try meetingd.result("report.earnings_due", as: r.finance, ["as_of": "2031-01-08T00:00:00Z"])
        XCTAssertEqual(dueThen["totals"]?["due"], try r.trial("expert_earnings", asOf: "2031-01-08T00:00:00Z")["available"])

        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: r.finance)["ok"], true)
    }

    /// Reports refuse what they cannot answer, naming the param, and are for finance staff.
    func testReportsRefuseBadRangesAndOtherRoles() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        let cases: [([String: JSONValue], String)] = [
            (["from_month": "2031-13", "to_month": "2031-12"], "from_month"), (["from_month": "2031-1", "to_month": "2031-12"], "from_month"),
            (["from_month": "2031-02", "to_month": "2031-01"], "to_month"), (["from_month": "2000-01", "to_month": "2031-01"], "to_month"),
            (["to_month": "2031-1"], "to_month"), (["from_month": "2031-01", "to_month": "2031-02", "format": "xlsx"], "format"),
            (["from_month": "2031-01", "to_month": "2031-02", "since": "2031-01"], "since"),
        ]
        for method in ["report.revenue_by_month", "report.settlements_by_month"] {
            for (params, field) in cases {
                XCTAssertEqual(try meetingd.error(method, as: ledger.financeId, params, code: -32602)["data"]?["field"]?.string, field, "\(method) \(params)")
            }
            try meetingd.error(method, as: user, ["from_month": "2031-01", "to_month": "2031-02"], code: 4003)
        }
        try meetingd.error("report.credits_outstanding", as: user, code: 4003)
        try meetingd.error("report.earnings_due", as: ledger.adminId, code: 4003)
        XCTAssertEqual(try meetingd.error("report.earnings_due", as: ledger.financeId, ["cursor": "zz"], code: -32602)["data"]?["field"], "cursor")
        let empty = try meetingd.result("report.revenue_by_month", as: ledger.financeId, ["from_month": "9999-11", "to_month": "9999-12"])
        XCTAssertEqual(empty["months"]?.array?.count, 2, "the last supported months, at zero")
    }

    /// A month left out is taken on the community's clock: to_month is this month there (the
    /// service's time, pinned here), from_month the 11 months before to_month.
    /// Under the test clock, accounts and enrolments open at the pinned time, as transfers are
    /// stamped: opened at the server's time, a wallet used in a pinned past was missing from
    /// every "as of" read of those days (no accounts listed, 0 wallets beside 100 credits).
    func testAccountsOpenAtTheServicesTime() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try meetingd.result("clock.set", as: ledger.adminId, ["now": "2001-01-15T12:00:00Z"])
        let user = try ledger.person(on: meetingd, ["user"])
        try ledger.grant(on: meetingd, 100, to: user)
        try meetingd.result("clock.set", as: ledger.adminId, ["now": "2001-02-15T12:00:00Z"])
        let asOf: JSONValue = "2001-01-31T00:00:00Z"
        let wallets = try meetingd.result("ledger.accounts", as: ledger.financeId, ["kind": "user_wallet", "as_of": asOf])["items"]?.array ?? []
        XCTAssertEqual(wallets.compactMap { $0["owner_id"]?.string }, [user])
        XCTAssertEqual(wallets.first?["created_at"], "2001-01-15T12:00:00Z")
        // The community's own accounts were opened at bootstrap, at the server's time, after the
        // pinned past: having moved by then, they count then (the issuance account's -100 was
        // left out, and the listed balances did not sum to 0).
        let all = try meetingd.result("ledger.accounts", as: ledger.financeId, ["as_of": asOf])["items"]?.array ?? []
        XCTAssertTrue(all.contains { $0["kind"] == "issuance" }, "\(all)")
        XCTAssertEqual(all.compactMap { $0["posted"]?.int }.reduce(0, +), 0, "the listed balances sum to 0")
        XCTAssertEqual(try meetingd.result("ledger.trial_balance", as: ledger.financeId, ["as_of": asOf])["kinds"]?.array?
                        .first { $0["kind"] == "issuance" }?["accounts"], 1)
        let outstanding = try meetingd.result("report.credits_outstanding", as: ledger.financeId, ["as_of": asOf])
        XCTAssertEqual(outstanding["wallets"], 1, "\(outstanding)")
        XCTAssertEqual(outstanding["wallets_with_credits"], 1)
        let expert = try ledger.person(on: meetingd, ["expert"])
        try meetingd.result("enrollment.assign", as: ledger.adminId, ["user_id": .string(user), "expert_id": .string(expert)])
        let enrolled = try meetingd.result("enrollment.list", as: ledger.adminId, ["user_id": .string(user)])["items"]?.array ?? []
        XCTAssertEqual(enrolled.first?["created_at"], "2001-02-15T12:00:00Z")
    }

    /// A month-end close "as of 1 May 00:00" is the end of April: every figure as of a time is
    /// the balance just before it, as months and statements end just before their next one, so
    /// the transfers made at midnight (a session logged, a late cancellation, a grant) and a
    /// wallet opened then belong to May. Without as_of, or as of now, they count.
    func testAsOfAMonthsMidnightIsTheEndOfTheMonthBefore() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try meetingd.result("community.update_settings", as: ledger.adminId, [
            "time_zone": "America/New_York", "platform_fee_percent": 20, "user_late_cancel_charge_percent": 50,
        ])
        func at(_ text: String) throws -> Date { try parseRFC3339(text) }
        try ledger.pinClock(on: meetingd, at: try at("2030-04-10T12:00:00Z"))
        let user = try ledger.person(on: meetingd, ["user"])
        let expert = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 100, lengthMinutes: 60)
        try ledger.grant(on: meetingd, 500, to: user)
        var meetings: [JSONValue] = []
        for start in ["2030-04-15T14:00:00Z", "2030-04-30T20:00:00Z", "2030-05-01T14:00:00Z"] {
            let meeting = try expert.request(on: meetingd, by: user, start: try at(start))["id"]!
            try meetingd.result("meeting.confirm", as: expert.expertId, ["meeting_id": meeting])
            meetings.append(meeting)
        }
        try ledger.pinClock(on: meetingd, at: try at("2030-04-20T12:00:00Z"))
        try meetingd.result("meeting.log_session", as: expert.expertId, ["meeting_id": meetings[0], "attendance": "attended"])
        let midnight = "2030-05-01T04:00:00Z"
        try ledger.pinClock(on: meetingd, at: try at(midnight))
        try meetingd.result("meeting.log_session", as: expert.expertId, ["meeting_id": meetings[1], "attendance": "attended"])
        try meetingd.result("meeting.cancel", as: user, ["meeting_id": meetings[2], "reason_code": "other", "confirm_late": true])
        try ledger.grant(on: meetingd, 7, to: user)
        _ = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let earnings = try meetingd.accountId(of: expert.expertId, kind: "expert_earnings", as: expert.expertId)
        func trial(_ kind: String, asOf: String? = nil) throws -> JSONValue { try meetingd.trialBalanceKind(kind, as: ledger.financeId, asOf: asOf) }

        // Now is midnight: everything made at the pinned time counts, as_of now or not.
        let now = try meetingd.balance(account: wallet, as: user)
        XCTAssertEqual(now["posted"], 257, "500 − 100 − 100 − 50 + 7")
        XCTAssertEqual(now["as_of"]?.string, midnight)
        XCTAssertEqual(try meetingd.balance(account: wallet, as: user, asOf: midnight), now, "as of now is now")
        XCTAssertEqual(try trial("platform_revenue", asOf: midnight), try trial("platform_revenue"))
        XCTAssertEqual(try trial("platform_revenue")["posted"], 50)
        // A statement to now closes now as well: the transfers made at the pinned time count,
        // as in the balance as of that time (it left them out, closing at 0 change).
        let toNow = try meetingd.result("ledger.statement", as: ledger.financeId, ["account_id": .string(wallet), "to": .string(midnight)])
        XCTAssertEqual(toNow["closing"]?["posted"], now["posted"])
        XCTAssertEqual(toNow["closing"]?["as_of"]?.string, midnight)
        let later = try meetingd.result("ledger.statement", as: ledger.financeId, ["account_id": .string(wallet), "to": "2030-06-01T00:00:00Z"])
        XCTAssertEqual(later["closing"]?["posted"], now["posted"])
        XCTAssertEqual(later["closing"]?["as_of"]?.string, midnight, "a to after now closes now")
        // A past to without from closes at that to, dated so, as the balance as of then (it was
        // dated now, with the figures of then).
        let past = "2030-04-25T00:00:00Z"
        let toPast = try meetingd.result("ledger.statement", as: ledger.financeId, ["account_id": .string(wallet), "to": .string(past)])
        XCTAssertEqual(toPast["closing"]?["as_of"]?.string, past)
        XCTAssertEqual(toPast["closing"]?["posted"], try meetingd.balance(account: wallet, as: user, asOf: past)["posted"])
        // A period wholly ahead opens and closes at its from, as it stands now (never closing
        // before it opens).
        let ahead = try meetingd.result("ledger.statement", as: ledger.financeId, [
            "account_id": .string(wallet), "from": "2030-05-15T00:00:00Z", "to": "2030-06-01T00:00:00Z"])
        XCTAssertEqual(ahead["opening"]?["as_of"], "2030-05-15T00:00:00Z")
        XCTAssertEqual(ahead["closing"]?["as_of"], "2030-05-15T00:00:00Z")
        XCTAssertEqual(ahead["closing"]?["posted"], now["posted"])
        XCTAssertEqual(ahead["change"]?["posted"], 0)

        try ledger.pinClock(on: meetingd, at: try at("2030-05-02T12:00:00Z"))
        let finance = ledger.financeId
        let april: [String: JSONValue] = ["from_month": "2030-04", "to_month": "2030-04"]
        let revenue = try meetingd.result("report.revenue_by_month", as: finance, april)
        XCTAssertEqual(revenue["totals"]?["revenue"], 20, "April's one session logged in April")
        for asOf in [midnight, "2030-05-01T00:00:00-04:00"] {
            XCTAssertEqual(try trial("platform_revenue", asOf: asOf)["posted"], revenue["totals"]?["revenue"],
                           "the months' revenue is platform_revenue's posted balance as of the next month's start (\(asOf))")
        }
        let settlements = try meetingd.result("report.settlements_by_month", as: finance, april)
        let outstanding = try meetingd.result("report.credits_outstanding", as: finance, ["as_of": .string(midnight)])
        XCTAssertEqual(settlements["totals"]?["blocked_change"], 200, "two holds still open at the end of April")
        XCTAssertEqual(outstanding["blocked"], settlements["totals"]?["blocked_change"])
        XCTAssertEqual(outstanding["wallets"], 1, "the wallet opened at midnight was not open before it")
        XCTAssertEqual(try trial("user_wallet", asOf: midnight)["accounts"], 1)
        let listed = try meetingd.result("ledger.accounts", as: finance, ["kind": "user_wallet", "as_of": .string(midnight)])["items"]?.array ?? []
        XCTAssertEqual(listed.compactMap { $0["account_id"]?.string }, [wallet])

        let statement = try meetingd.result("ledger.statement", as: finance, ["account_id": .string(wallet), "from": "2030-04-01T04:00:00Z", "to": .string(midnight)])
        let balance = try meetingd.balance(account: wallet, as: finance, asOf: midnight)
        XCTAssertEqual(statement["closing"]?["posted"], 400, "the grant and the session captured in April")
        for figure in ["posted", "blocked", "available"] {
            XCTAssertEqual(balance[figure], statement["closing"]?[figure], "the balance as of midnight is the statement's closing to midnight: \(figure)")
        }
        let earned = try meetingd.result("ledger.statement", as: finance, ["account_id": .string(earnings), "to": .string(midnight)])
        let due = try meetingd.result("report.earnings_due", as: finance, ["as_of": .string(midnight)])
        XCTAssertEqual(due["totals"]?["due"], earned["closing"]?["available"])
        XCTAssertEqual(due["totals"]?["due"], 80, "April's session, less its fee")
        XCTAssertEqual(try meetingd.balance(account: earnings, as: finance, asOf: midnight)["incoming"], 200, "the two holds on their way in")
    }

    func testAMonthLeftOutIsTakenOnTheCommunityClock() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try meetingd.result("community.update_settings", as: ledger.adminId, ["time_zone": "Asia/Tokyo"])
        // 20:00 on 31 January in UTC is 05:00 on 1 February in Tokyo.
        try meetingd.result("clock.set", as: ledger.adminId, ["now": "2031-01-31T20:00:00Z"])
        func months(_ method: String, _ params: [String: JSONValue]) throws -> [String] {
            try XCTUnwrap(try meetingd.result(method, as: ledger.financeId, params)["months"]?.array).compactMap { $0["month"]?.string }
        }
        for method in ["report.revenue_by_month", "report.settlements_by_month"] {
            let year = try months(method, [:])
            XCTAssertEqual(year.count, 12, method)
            XCTAssertEqual([year.first, year.last], ["2030-03", "2031-02"], method)
            let toAlone = try months(method, ["to_month": "2031-01"])
            XCTAssertEqual([toAlone.first, toAlone.last], ["2030-02", "2031-01"], method)
            XCTAssertEqual(toAlone.count, 12, method)
            XCTAssertEqual(try months(method, ["to_month": "0001-03"]), ["0001-01", "0001-02", "0001-03"], "never before 0001-01")
            XCTAssertEqual(try months(method, ["from_month": "2031-01"]), ["2031-01", "2031-02"], method)
            let error = try meetingd.error(method, as: ledger.financeId, ["from_month": "2031-03"], code: -32602)
            XCTAssertEqual(error["data"]?["field"], "from_month")
            XCTAssertTrue(error["message"]?.string?.contains("2031-02") ?? false, "\(error)")
        }
    }

    /// "Statements: opening and closing balance for from/to, and separate posted and blocked
    /// change columns so every column sums to the change it shows (test the sums)."
    func testStatementColumnsSumToTheChangeBetweenOpeningAndClosing() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let r = try ReportLedger.make(on: meetingd, #function)
        let ranges: [[String: JSONValue]] = [
            [:], ["from": "2031-01-07T00:00:00Z"], ["to": "2031-01-07T10:00:00Z"],
            ["from": "2031-01-06T12:00:00Z", "to": "2031-02-01T03:00:00.000001Z"],
            // A period after the clock's now: with its end given (without it, it is refused: it would close before it opened).
            ["from": "2031-03-01T00:00:00Z", "to": "2031-04-01T00:00:00Z"],
        ]
        // A wallet, and an expert's earnings, which receive holds as incoming credits.
        let earningsX = try meetingd.accountId(of: r.expertX, kind: "expert_earnings", as: r.finance)
        for account in [r.walletA, earningsX] {
        for range in ranges {
            var items: [JSONValue] = []
            var cursor: JSONValue? = nil
            var last: JSONValue = .null
            for _ in 0..<10 {
                var params = range
                params["account_id"] = .string(account)
                params["limit"] = 2
                if let cursor { params["cursor"] = cursor }
                last = try meetingd.result("ledger.statement", as: r.finance, params)
                items += last["items"]?.array ?? []
                cursor = last["next_cursor"]
                if cursor == nil || cursor == .null { break }
            }
            let opening = try XCTUnwrap(last["opening"]), closing = try XCTUnwrap(last["closing"])
            for figure in ["posted", "blocked", "available", "incoming"] {
                let sum = items.compactMap { $0["\(figure)_change"]?.int }.reduce(0, +)
                XCTAssertEqual(items.compactMap { $0["\(figure)_change"]?.int }.count, items.count, "every entry says its \(figure) change")
                XCTAssertEqual(sum, closing[figure]!.int! - opening[figure]!.int!, "\(account) \(range): the \(figure) changes sum to closing less opening")
                XCTAssertEqual(last["change"]?[figure]?.int, sum)
            }
            var running = opening
            for item in items {
                let posted = running["posted"]!.int! + item["posted_change"]!.int!, blocked = running["blocked"]!.int! + item["blocked_change"]!.int!
                let incoming = running["incoming"]!.int! + item["incoming_change"]!.int!
                XCTAssertEqual([item["posted_balance"]?.int, item["blocked"]?.int, item["incoming"]?.int], [posted, blocked, incoming],
                               "each row's balance is the one before plus its change")
                running = ["posted": .int(posted), "blocked": .int(blocked), "incoming": .int(incoming)]
            }
            XCTAssertEqual(opening["as_of"], try range["from"].map { .string(rfc3339(try parseRFC3339($0.string!))) } ?? .null)
        }
        }
        // The expert's holds: incoming while held, and what is incoming now is what the balance says.
        let expertWhole = try meetingd.result("ledger.statement", as: r.finance, ["account_id": .string(earningsX)])
        let holds = try XCTUnwrap(expertWhole["items"]?.array?.filter { $0["kind"] == "hold" })
        XCTAssertFalse(holds.isEmpty)
        XCTAssertTrue(holds.allSatisfy { $0["incoming_change"] == $0["amount"] && $0["posted_change"] == 0 && $0["blocked_change"] == 0 }, "\(holds)")
        XCTAssertEqual(expertWhole["closing"]?["incoming"], try meetingd.balance(account: earningsX, as: r.finance)["incoming"])
        // The whole history: opening at zero, closing as the balance now.
        let whole = try meetingd.result("ledger.statement", as: r.finance, ["account_id": .string(r.walletA)])
        XCTAssertEqual(whole["opening"]?["posted"], 0)
        let now = try meetingd.balance(account: r.walletA, as: r.finance)
        XCTAssertEqual([whole["closing"]?["posted"], whole["closing"]?["blocked"]], [now["posted"], now["blocked"]])
        // The late cancellation: 50 captured, the whole hold of 100 unblocked.
        let partial = try XCTUnwrap(whole["items"]?.array?.first { $0["reason"] == "cancelled_by_user" })
        XCTAssertEqual([partial["amount"], partial["posted_change"], partial["blocked_change"], partial["available_change"]], [50, -50, -100, 50])

        // The same sums in the CSV a spreadsheet opens: the opening row, the entries, the closing row.
        let text = try XCTUnwrap(try meetingd.result("ledger.statement", as: r.finance, ["account_id": .string(r.walletA), "format": "csv"])["csv"]?.string)
        let rows = try parseCSVWithPython(text)
        let kinds = try csvColumn(rows, "transfer_kind")
        XCTAssertEqual(kinds.first, "opening_balance")
        XCTAssertEqual(kinds.last, "closing_balance")
        XCTAssertEqual(kinds.count, (whole["items"]?.array?.count ?? 0) + 2)
        for figure in ["posted", "blocked", "available", "incoming"] {
            let changes = try csvColumn(rows, "\(figure)_change").compactMap { Int64($0) }.reduce(0, +)
            let after = try csvColumn(rows, "\(figure)_after").compactMap { Int64($0) }
            XCTAssertEqual(changes, after.last! - after.first!, "\(figure): the column sums to closing less opening")
        }
        XCTAssertTrue(try csvColumn(rows, "created_at_utc").dropFirst().allSatisfy { $0.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"#, options: .regularExpression) != nil })
        XCTAssertEqual(try meetingd.error("ledger.statement", as: r.finance, [
            "account_id": .string(r.walletA), "from": "2031-02-01T00:00:00Z", "to": "2031-01-01T00:00:00Z",
        ], code: -32602)["data"]?["field"], "to")
    }

    /// "One name for each column everywhere (transfer_id, not id in one file and transfer in
    /// another)" and "dates a spreadsheet reads as dates": every finance CSV's header.
    func testEveryFinanceCSVNamesItsColumnsOnceAndItsTimesUTC() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let r = try ReportLedger.make(on: meetingd, #function)
        let csv: [String: JSONValue] = ["format": "csv"]
        func header(_ method: String, _ params: [String: JSONValue] = [:]) throws -> [String] {
            let text = try XCTUnwrap(try meetingd.result(method, as: r.finance, params.merging(csv) { a, _ in a })["csv"]?.string, method)
            return try XCTUnwrap(try parseCSVWithPython(text).first)
        }
        let months: [String: JSONValue] = ["from_month": "2031-01", "to_month": "2031-02"]
        let headers: [String: [String]] = [
            "balance": try header("ledger.balance", ["account_id": .string(r.walletA)]), "accounts": try header("ledger.accounts"),
            "statement": try header("ledger.statement", ["account_id": .string(r.walletA)]), "trial": try header("ledger.trial_balance"),
            "trail": try header("ledger.meeting_trail", ["meeting_id": .string(r.capturedMeeting)]),
            "outstanding": try header("report.credits_outstanding"), "revenue": try header("report.revenue_by_month", months),
            "settlements": try header("report.settlements_by_month", months), "earnings": try header("report.earnings_due"),
        ]
        let all = headers.values.flatMap { $0 }
        for forbidden in ["id", "kind", "transfer", "created_at", "as_of", "credits"] {
            XCTAssertFalse(all.contains(forbidden), "\(forbidden) is ambiguous; columns say whose id or kind, and instants end in _utc: \(headers)")
        }
        XCTAssertTrue(headers["statement"]!.contains("transfer_id") && headers["trail"]!.contains("transfer_id"))
        XCTAssertTrue(headers["balance"]!.contains("account_kind") && headers["trial"]!.contains("account_kind") && headers["accounts"]!.contains("account_kind"))
        XCTAssertTrue(all.filter { $0.hasSuffix("_at") }.isEmpty)
        for (name, columns) in headers { XCTAssertEqual(Set(columns).count, columns.count, "\(name) names each column once") }
    }

    /// "Dead letters: list them and put them back in the queue."
    func testDeadLettersAreListedAndPutBackInTheQueue() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let r = try ReportLedger.make(on: meetingd, #function)
        let admin = r.ledger.adminId
        XCTAssertEqual(try meetingd.result("outbox.dead_letters", as: admin)["items"]?.array, [])
        let claimed = try meetingd.result("outbox.claim", as: admin, ["consumer": "mail", "limit": 2, "channel": "notification"])
        let ids = try XCTUnwrap(claimed["messages"]?.array?.compactMap { $0["id"]?.string })
        XCTAssertEqual(ids.count, 2)
        for attempt in 1...8 {
            for id in ids {
                let failed = try meetingd.result("outbox.fail", as: admin, ["id": .string(id), "error": .string("smtp refused (attempt \(attempt))")])
                if attempt < 8 { XCTAssertEqual(failed["status"], "pending") } else { XCTAssertEqual(failed["status"], "dead") }
            }
            if attempt < 8 {
                try r.ledger.advanceClock(on: meetingd, minutes: 120)
                let mine = try meetingd.result("outbox.claim", as: admin, ["consumer": "mail", "limit": 500, "channel": "notification"])
                let reclaimed = Set(mine["messages"]?.array?.compactMap { $0["id"]?.string } ?? [])
                XCTAssertTrue(reclaimed.isSuperset(of: ids), "attempt \(attempt + 1) of both")
                let others = reclaimed.subtracting(ids)
                if !others.isEmpty { try meetingd.result("outbox.ack", as: admin, ["ids": .array(others.map { .string($0) })]) }
            }
        }
        let dead = try meetingd.allPages("outbox.dead_letters", as: admin)
        XCTAssertEqual(Set(dead.compactMap { $0["id"]?.string }), Set(ids))
        XCTAssertEqual(dead.first?["attempts"], 8)
        XCTAssertEqual(dead.first?["last_error"], "smtp refused (attempt 8)")
        XCTAssertNotNil(dead.first?["dead_at"]?.string)
        let page = try meetingd.result("outbox.dead_letters", as: admin, ["limit": 1])
        XCTAssertEqual(page["items"]?.array?.count, 1)
        XCTAssertEqual(try meetingd.result("outbox.dead_letters", as: admin, ["cursor": page["next_cursor"]!])["items"]?.array?.count, 1)

        try meetingd.error("outbox.dead_letters", as: r.finance, code: 4003)
        try meetingd.error("outbox.retry", as: r.finance, ["ids": [.string(ids[0])]], code: 4003)
        let unknown = "out_" + String(repeating: "0", count: 32)
        let retried = try meetingd.result("outbox.retry", as: admin, ["ids": [.string(ids[0]), .string(ids[0]), .string(unknown)], "idempotency_key": "retry-1"])
        XCTAssertEqual(retried["retried"], [.string(ids[0])])
        XCTAssertEqual(retried["not_dead"], [.string(unknown)])
        XCTAssertEqual(try meetingd.result("outbox.retry", as: admin, ["ids": [.string(ids[0]), .string(ids[0]), .string(unknown)], "idempotency_key": "retry-1"]), retried,
                       "a retry with the same key answers the same")
        XCTAssertEqual(try meetingd.result("outbox.retry", as: admin, ["ids": [.string(ids[0])]])["not_dead"], [.string(ids[0])], "no longer dead")
        XCTAssertEqual(try meetingd.allPages("outbox.dead_letters", as: admin).compactMap { $0["id"]?.string }, [ids[1]])
        let back = try meetingd.result("outbox.claim", as: admin, ["consumer": "mail", "limit": 500, "channel": "notification"])
        let message = try XCTUnwrap(back["messages"]?.array?.first { $0["id"]?.string == ids[0] }, "due again at once")
        XCTAssertEqual(message["attempts"], 1, "every attempt again")
        XCTAssertEqual(try meetingd.error("outbox.retry", as: admin, ["ids": []], code: -32602)["data"]?["field"], "ids")
        let other = try LedgerCommunity.make(on: meetingd, #function + " other")
        XCTAssertEqual(try meetingd.result("outbox.retry", as: other.adminId, ["ids": [.string(ids[1])]])["not_dead"], [.string(ids[1])],
                       "another community's admin cannot touch it")
        XCTAssertEqual(try meetingd.allPages("outbox.dead_letters", as: other.adminId), [])
    }
}
