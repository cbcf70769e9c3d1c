import Core

/// The columns of every finance CSV, named once: a column has the same name in every file
/// (`transfer_id`, `account_kind`, `posted`…), and an instant is `…_utc`,
/// `YYYY-MM-DD HH:MM:SS` in UTC (CSVColumn). The JSON items keep their own keys; each column
/// says which key it reads.
public enum FinanceTables {
    /// A balance now or at a time: posted, blocked, available.
    static let balanceColumns: [CSVColumn] = [.value("posted"), .value("blocked"), .value("available")]
    static let sums: [CSVColumn] = [.value("debits_posted"), .value("credits_posted"), .value("debits_pending"), .value("credits_pending")]

    /// `ledger.balance`: one row per account, with the figures its table and JSON show (an
    /// expert's incoming earnings were missing from the file).
    public static let balance: [CSVColumn] =
        [.value("account_id"), .value("kind", as: "account_kind"), .value("owner_id")] + balanceColumns + [.value("incoming")] + sums + [.instant("as_of")]

    /// `ledger.accounts`: every account with its owner and sums.
    public static let accounts: [CSVColumn] =
        [.value("account_id"), .value("kind", as: "account_kind"), .value("owner_id"), .value("owner_email"), .value("owner_first_name"),
         .value("owner_last_name")] + balanceColumns + [.value("incoming")] + sums + [.instant("created_at", as: "opened_at"), .instant("as_of")]

    /// `ledger.statement`: an opening row, the entries, a closing row. The change columns of
    /// the entries sum to the closing balance less the opening one; the balance columns are
    /// the balances after each row.
    public static let statement: [CSVColumn] = [
        .value("seq"), .instant("created_at"), .value("transfer_id"), .value("kind", as: "transfer_kind"), .value("phase"), .value("side"),
        .value("amount"), .value("posted_change"), .value("blocked_change"), .value("available_change"),
        .value("posted_balance", as: "posted_after"), .value("blocked", as: "blocked_after"), .value("available", as: "available_after"),
        .value("meeting_id"), .value("pending_id"), .value("reference"), .value("reason"),
        // Added after the others, so files read by column position keep their columns.
        .value("incoming_change"), .value("incoming", as: "incoming_after"),
    ]

    /// The opening or closing row of a statement's CSV: `transfer_kind` says which, the time is
    /// the bound, and the balance columns hold the balance then.
    public static func statementBound(_ kind: String, at: Instant?, _ balance: Balance) -> JSON {
        [
            "kind": .string(kind), "created_at": .optional(at?.rfc3339), "posted_balance": .int(balance.posted), "blocked": .int(balance.blocked),
            "available": .int(balance.available), "incoming": .int(balance.incoming),
        ]
    }

    /// `ledger.trial_balance`: one row per account kind, each saying the time it is as of (a
    /// month-end file saved alone had no date), with the experts' incoming earnings its JSON
    /// shows. The later columns come last, so files read by column position keep theirs.
    public static let trialBalance: [CSVColumn] =
        [.value("kind", as: "account_kind"), .value("accounts")] + sums + balanceColumns + [.value("incoming"), .instant("as_of")]

    /// `ledger.meeting_trail`: one row per movement of the meeting, each naming the meeting and
    /// what each account is (files of several meetings put together still tell them apart). The
    /// later columns come last, so files read by column position keep theirs.
    public static let meetingTrail: [CSVColumn] = [
        .value("seq"), .instant("created_at"), .value("id", as: "transfer_id"), .value("kind", as: "transfer_kind"), .value("phase"),
        .value("credits", as: "amount"), .value("debit_account_id"), .value("credit_account_id"), .value("pending_id"),
        .value("meeting_id"), .value("debit_account_kind"), .value("debit_account_owner_id"), .value("debit_account_owner_name"),
        .value("credit_account_kind"), .value("credit_account_owner_id"), .value("credit_account_owner_name"),
    ]

    /// `report.credits_outstanding`: one row.
    public static let creditsOutstanding: [CSVColumn] =
        [.instant("as_of"), .value("wallets"), .value("wallets_with_credits")] + balanceColumns

    /// `report.revenue_by_month`.
    public static let revenueByMonth: [CSVColumn] = [
        .value("month"), .value("fees"), .value("fee_transfers"), .value("adjustments"), .value("revenue"), .value("late_cancel_charges"),
        .value("late_cancellations"),
    ]

    /// `report.settlements_by_month` (captures and releases).
    public static let settlementsByMonth: [CSVColumn] = [
        .value("month"), .value("holds"), .value("held"), .value("captures"), .value("captured"), .value("returned_on_capture"),
        .value("releases"), .value("released"), .value("blocked_change"),
    ]

    /// `report.earnings_due`: one row per expert.
    public static let earningsDue: [CSVColumn] =
        [.value("account_id"), .value("owner_id"), .value("owner_email"), .value("owner_first_name"), .value("owner_last_name")]
        + balanceColumns + [.value("incoming"), .value("due"), .instant("as_of")]
}
