import Core
import Ledger
import Postgres

/// The finance reports' reads, each one bounded statement; `Reports` (Ledger) turns the rows
/// into the figures.
public enum ReportQueries {
    /// The four sums of every user wallet added up, now or as of a time, with how many wallets
    /// there are (open by then) and how many hold or block any credit.
    public static func creditsOutstanding(communityId: String, asOf: Instant?) -> Statement {
        Statement(
            """
            SELECT count(a.id) FILTER (WHERE $2::timestamptz IS NULL OR a.created_at <= $2) AS wallets,
                   count(a.id) FILTER (WHERE b.credits_posted - b.debits_posted <> 0 OR b.debits_pending <> 0) AS wallets_with_credits,
                   coalesce(sum(b.debits_posted), 0) AS debits_posted, coalesce(sum(b.credits_posted), 0) AS credits_posted,
                   coalesce(sum(b.debits_pending), 0) AS debits_pending, coalesce(sum(b.credits_pending), 0) AS credits_pending
            FROM accounts a
            \(LedgerQueries.sums(asOf: "$2"))
            WHERE a.community_id = $1 AND a.kind = 'user_wallet'
            """, [communityId, asOf])
    }

    /// The community's movements from the first day `fromDay` to before `endDay` (nil: no end),
    /// months taken on the community's clock, summed by month, kind, phase, the two accounts'
    /// kinds and, for a capture, the step that settled it; with the community's time zone.
    public static func monthlyMovements(communityId: String, fromDay: String, endDay: String?) -> Statement {
        Statement(
            """
            WITH zone AS (SELECT coalesce(c.settings ->> 'time_zone', 'UTC') AS name FROM communities c WHERE c.community_id = $1)
            SELECT z.name AS time_zone, m.month, m.kind, m.phase, m.debit_kind, m.credit_kind, m.settled_by, m.movements, m.amount, m.pending_amount
            FROM zone z
            LEFT JOIN LATERAL (
                SELECT to_char(t.created_at AT TIME ZONE z.name, 'YYYY-MM') AS month, t.kind, t.phase, da.kind AS debit_kind, ca.kind AS credit_kind,
                       CASE WHEN t.phase = 'post_pending' THEN t.reason END AS settled_by,
                       count(*) AS movements, sum(t.amount) AS amount, coalesce(sum(p.amount), 0) AS pending_amount
                FROM transfers t
                JOIN accounts da ON da.community_id = t.community_id AND da.id = t.debit_account_id
                JOIN accounts ca ON ca.community_id = t.community_id AND ca.id = t.credit_account_id
                LEFT JOIN transfers p ON p.community_id = t.community_id AND p.id = t.pending_id
                WHERE t.community_id = $1 AND t.created_at >= ($2::date::timestamp AT TIME ZONE z.name)
                  AND ($3::date IS NULL OR t.created_at < ($3::date::timestamp AT TIME ZONE z.name))
                GROUP BY 1, 2, 3, 4, 5, 6
            ) m ON true
            ORDER BY m.month, m.kind, m.phase, m.debit_kind, m.credit_kind, m.settled_by
            """, [communityId, fromDay, endDay])
    }

    /// The community's time zone and the groups of a `monthlyMovements` read.
    public static func decodeMovements(_ rows: Rows) throws -> (timeZone: String, groups: [MonthlyMovements]) {
        var zone = "UTC"
        var groups: [MonthlyMovements] = []
        for r in rows {
            zone = try r.string("time_zone")
            guard let month = try r.optionalString("month") else { continue }
            guard let phase = TransferPhase(rawValue: try r.string("phase")), let debit = AccountKind(rawValue: try r.string("debit_kind")),
                let credit = AccountKind(rawValue: try r.string("credit_kind"))
            else { throw PostgresError(code: .decoding, message: "a movement has an unknown phase or account kind") }
            groups.append(MonthlyMovements(
                month: month, transferKind: try r.string("kind"), phase: phase, debitKind: debit, creditKind: credit,
                settledBy: try r.optionalString("settled_by"), count: try r.int("movements"), amount: try r.int("amount"),
                pendingAmount: try r.int("pending_amount")))
        }
        return (zone, groups)
    }

    /// A page of experts' earnings accounts (by id) with their owners and sums now or as of a
    /// time — only those with credits available unless `includeZero` — and on every row the
    /// totals over all of the community's earnings accounts (one row of totals when the page is
    /// empty).
    public static func earningsDue(communityId: String, asOf: Instant?, includeZero: Bool, afterId: String?, limit: Int64) -> Statement {
        Statement(
            """
            WITH earnings AS MATERIALIZED (
                SELECT a.id, a.owner_id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
                FROM accounts a
                \(LedgerQueries.sums(asOf: "$2"))
                WHERE a.community_id = $1 AND a.kind = 'expert_earnings'
            ), totals AS (
                SELECT count(*) AS experts, coalesce(sum(debits_posted), 0) AS t_debits_posted, coalesce(sum(credits_posted), 0) AS t_credits_posted,
                       coalesce(sum(debits_pending), 0) AS t_debits_pending, coalesce(sum(credits_pending), 0) AS t_credits_pending
                FROM earnings
            )
            SELECT t.*, e.id, e.owner_id, p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
                   e.debits_posted, e.credits_posted, e.debits_pending, e.credits_pending
            FROM totals t
            LEFT JOIN LATERAL (
                SELECT * FROM earnings e
                WHERE ($4::text IS NULL OR e.id > $4) AND ($3::boolean OR e.credits_posted - e.debits_posted - e.debits_pending > 0)
                ORDER BY e.id LIMIT $5
            ) e ON true
            LEFT JOIN people p ON p.community_id = $1 AND p.id = e.owner_id
            ORDER BY e.id
            """, [communityId, asOf, includeZero, afterId, limit])
    }
}
