import Core
import Ledger
import Pipeline
import Postgres
import RPC
import Store

/// `report.*`: finance staff's reports, each one bounded read statement. Every figure
/// reconciles with `ledger.trial_balance` (README: Finance reports).
enum ReportAPI {
    static var all: [MethodDefinition] { [creditsOutstanding, revenueByMonth, settlementsByMonth, earningsDue] }

    static let monthParams: [Schema.Field] = [
        .init("from_month", .month,
              "The first month, YYYY-MM, on the community's clock; default: the \(MonthRange.defaultMonths - 1) months before to_month"),
        .init("to_month", .month,
              "The last month, YYYY-MM, included; at most \(MonthRange.maxMonths - 1) months after from_month (\(MonthRange.maxMonths) months in all); default: this month on the community's clock"),
        FinanceFormat.param,
    ]

    /// The months asked for, refused before any read when a given one is not a month or the two
    /// given are no range.
    static func givenMonths(_ p: Params) throws -> (from: String?, to: String?) {
        let from = p.optionalString("from_month"), to = p.optionalString("to_month")
        try MonthRange.validate(from: from, to: to)
        return (from, to)
    }

    /// The range read (defaults filled in by the read, on the community's clock).
    static func range(read: (fromMonth: String, toMonth: String), _ p: Params) throws -> MonthRange {
        if p.optionalString("to_month") == nil, let from = Month(read.fromMonth), let to = Month(read.toMonth), to < from {
            throw AppError.invalidParams(field: "from_month", reason: "is after this month on the community's clock (\(to)); give to_month too")
        }
        return try MonthRange(from: read.fromMonth, to: read.toMonth)
    }

    static let creditsOutstanding = MethodDefinition(
        "report.credits_outstanding",
        "Credits users hold in their wallets, now or as of a past time: posted, blocked for meetings and available (the platform's liability)",
        audience: .roles([.finance]), mutating: false, params: [.init("as_of", .timestamp, LedgerAPI.asOfDescription), FinanceFormat.param],
        result: .object([
            .init("as_of", .timestamp, required: true), .init("wallets", .integer(min: 0, max: .max), required: true, "Users' wallets"),
            .init("wallets_with_credits", .integer(min: 0, max: .max), required: true, "Wallets with posted or blocked credits"),
            .init("posted", LedgerAPI.anyCredits, required: true), .init("blocked", LedgerAPI.totalCredits, required: true),
            .init("available", LedgerAPI.anyCredits, required: true),
            .init("csv", .text(), "The same figures as CSV with a header row (format csv)"),
            .init("format", .oneOf(["csv"]), "csv when the figures are given as CSV too"),
        ], additional: true),
        body: .read(ReadPlan(
            settle: LedgerAPI.settling("as_of"),
            statements: { scope, p in [ReportQueries.creditsOutstanding(communityId: scope.communityId, asOf: try p.optionalInstant("as_of"), testClock: scope.testClock)] },
            respond: { ctx, rows, p in
                let r = try rows[0].one()
                let balance = try Balance(row: r)
                var o: [String: JSON] = [
                    "as_of": .string(try LedgerAPI.asOfAnswered(p, ctx, rows[0]).rfc3339), "wallets": .int(try r.int("wallets")),
                    "wallets_with_credits": .int(try r.int("wallets_with_credits")), "posted": .int(balance.posted), "blocked": .int(balance.blocked),
                    "available": .int(balance.available),
                ]
                guard FinanceFormat.wantsCSV(p) else { return .object(o) }
                o["rows"] = .array([.object(o)])
                return FinanceFormat.respond(o, key: "rows", FinanceTables.creditsOutstanding, p)
            })))

    /// A report of every month of `from_month` … `to_month` from the community's movements,
    /// each month folded by `fold` (Reports), with the months added up.
    static func monthly(
        _ name: String, _ summary: String, item: Schema, _ columns: [CSVColumn],
        fold: @escaping @Sendable (MonthRange, [MonthlyMovements]) -> (months: [JSON], totals: JSON)
    ) -> MethodDefinition {
        MethodDefinition(
            name, summary, audience: .roles([.finance]), mutating: false, params: monthParams,
            result: .object(FinanceFormat.listFields("months", item, "Every month of the range, those without movements at zero") + [
                .init("time_zone", .text(), required: true, "The community's, whose clock the months are taken on"),
                .init("totals", item, required: true, "The months' figures added up (month: total)"),
            ], additional: true),
            body: .read(ReadPlan(
                statements: { scope, p in
                    let (from, to) = try givenMonths(p)
                    return [ReportQueries.monthlyMovements(
                        communityId: scope.communityId, fromMonth: from, toMonth: to, monthsBefore: MonthRange.defaultMonths - 1, testClock: scope.testClock)]
                },
                respond: { _, rows, p in
                    let (zone, fromMonth, toMonth, groups) = try ReportQueries.decodeMovements(rows[0])
                    let (months, totals) = fold(try range(read: (fromMonth, toMonth), p), groups)
                    return FinanceFormat.respond(["time_zone": .string(zone), "months": .array(months), "totals": totals], key: "months", columns, p)
                })))
    }

    static let revenueByMonth = monthly(
        "report.revenue_by_month",
        "The platform's revenue per month on the community's clock: fees, corrections to its account, and the late-cancel charges users paid",
        item: .named("RevenueMonth", .object([
            .init("month", .text(), required: true, "YYYY-MM, or total"), .init("fees", LedgerAPI.totalCredits, required: true, "Fees the platform took"),
            .init("fee_transfers", .integer(min: 0, max: .max), required: true),
            .init("adjustments", LedgerAPI.anyCredits, required: true, "Corrections to the platform's revenue account"),
            .init("revenue", LedgerAPI.anyCredits, required: true, "The change of the platform's revenue: fees and adjustments"),
            .init("late_cancel_charges", LedgerAPI.totalCredits, required: true, "What users paid for cancelling late or skipping a series date late (the expert's share included)"),
            .init("late_cancellations", .integer(min: 0, max: .max), required: true),
        ], additional: true)),
        FinanceTables.revenueByMonth
    ) { range, groups in
        let months = Reports.revenue(range, groups)
        return (months.map(\.json), Reports.total(months).json)
    }

    static let settlementsByMonth = monthly(
        "report.settlements_by_month", "Holds, captures and releases per month on the community's clock, with the change of the credits blocked",
        item: .named("SettlementMonth", .object([
            .init("month", .text(), required: true, "YYYY-MM, or total"),
            .init("holds", .integer(min: 0, max: .max), required: true), .init("held", LedgerAPI.totalCredits, required: true, "Credits blocked by new holds"),
            .init("captures", .integer(min: 0, max: .max), required: true), .init("captured", LedgerAPI.totalCredits, required: true, "Credits paid to experts"),
            .init("returned_on_capture", LedgerAPI.totalCredits, required: true, "What partial captures gave back"),
            .init("releases", .integer(min: 0, max: .max), required: true), .init("released", LedgerAPI.totalCredits, required: true),
            .init("blocked_change", LedgerAPI.anyCredits, required: true),
        ], additional: true)),
        FinanceTables.settlementsByMonth
    ) { range, groups in
        let months = Reports.settlements(range, groups)
        return (months.map(\.json), Reports.total(months).json)
    }

    /// An earnings account's figures: its balance, what is due for payout and what is on its way in.
    static let earningsFigures: [Schema.Field] = [
        .init("posted", LedgerAPI.anyCredits, required: true), .init("blocked", LedgerAPI.totalCredits, required: true),
        .init("available", LedgerAPI.anyCredits, required: true), .init("due", LedgerAPI.anyCredits, required: true, "Available for payout"),
        .init("incoming", LedgerAPI.totalCredits, required: true, "The full prices held for meetings not yet settled; the platform's fee comes off each as it is captured"),
    ]

    static let earningsSchema: Schema = .named("EarningsDue", .object([
        .init("account_id", .id(.account), required: true), .init("owner_id", .nullable(.id(.person)), required: true),
        .init("owner_email", .nullable(.email), required: true), .init("owner_first_name", .nullable(.name), required: true),
        .init("owner_last_name", .nullable(.name), required: true),
    ] + earningsFigures + [.init("as_of", .timestamp, required: true)], additional: true))

    static let earningsDue = MethodDefinition(
        "report.earnings_due",
        "Experts' earnings due for payout (available now, or as of a past time) and incoming from held meetings, one expert per row by account id, with totals over every expert",
        audience: .roles([.finance]), mutating: false,
        params: [
            .init("as_of", .timestamp, LedgerAPI.asOfDescription), .init("include_zero", .boolean, "Also list experts with nothing available (default false)"),
            FinanceFormat.param,
        ] + Page.fields,
        result: .object(FinanceFormat.listFields("items", earningsSchema, "One expert per row, by account id") + [
            .init("next_cursor", .nullable(.text()), required: true),
            .init("totals", .named("EarningsTotals", .object([
                .init("experts", .integer(min: 0, max: .max), required: true, "Every expert with an earnings account, listed or not"),
            ] + earningsFigures, additional: true)), required: true, "Over every expert"),
            .init("as_of", .timestamp, required: true),
        ], additional: true),
        body: .read(ReadPlan(
            settle: LedgerAPI.settling("as_of"),
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [ReportQueries.earningsDue(
                    communityId: scope.communityId, asOf: try p.optionalInstant("as_of"), testClock: scope.testClock, includeZero: p.bool("include_zero"),
                    afterId: page.afterString(0), limit: page.limit + 1)]
            },
            respond: { ctx, rows, p in
                let asOf = try LedgerAPI.asOfAnswered(p, ctx, rows[0]).rfc3339
                let page = try Page(p, key: [.text])
                var totals: JSON = .null
                var items: [JSON] = []
                for r in rows[0] {
                    let t = Balance(
                        debitsPosted: try r.int("t_debits_posted"), creditsPosted: try r.int("t_credits_posted"),
                        debitsPending: try r.int("t_debits_pending"), creditsPending: try r.int("t_credits_pending"))
                    totals = ["experts": .int(try r.int("experts")), "posted": .int(t.posted), "blocked": .int(t.blocked), "available": .int(t.available),
                              "due": .int(t.available), "incoming": .int(t.incoming)]
                    guard let id = try r.optionalString("id") else { continue }
                    let b = try Balance(row: r)
                    items.append([
                        "account_id": .string(id), "owner_id": .optional(try r.optionalString("owner_id")),
                        "owner_email": .optional(try r.optionalString("owner_email")), "owner_first_name": .optional(try r.optionalString("owner_first_name")),
                        "owner_last_name": .optional(try r.optionalString("owner_last_name")), "posted": .int(b.posted), "blocked": .int(b.blocked),
                        "available": .int(b.available), "due": .int(b.available), "incoming": .int(b.incoming), "as_of": .string(asOf),
                    ])
                }
                var result = try page.resultFields(items, keyFields: "account_id")
                result["totals"] = totals
                result["as_of"] = .string(asOf)
                return FinanceFormat.respond(result, key: "items", FinanceTables.earningsDue, p)
            })))
}
