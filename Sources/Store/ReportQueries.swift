import Core
import Ledger
import Postgres

/// The finance reports' reads, each one bounded statement; `Reports` (Ledger) turns the rows
/// into the figures.
public enum ReportQueries {
    /// The four sums of every user wallet added up, now or as of a time, with how many wallets
    /// there are (open by then) and how many hold or block any credit.
    public static func creditsOutstanding(communityId: String, asOf: Instant?, testClock: Bool) -> Statement {
        Statement(
            """
            SELECT count(a.id) FILTER (WHERE \(LedgerQueries.open)) AS wallets,
                   count(a.id) FILTER (WHERE b.credits_posted - b.debits_posted <> 0 OR b.debits_pending <> 0) AS wallets_with_credits,
                   coalesce(sum(b.debits_posted), 0) AS debits_posted, coalesce(sum(b.credits_posted), 0) AS credits_posted,
                   coalesce(sum(b.debits_pending), 0) AS debits_pending, coalesce(sum(b.credits_pending), 0) AS credits_pending,
                   \(LedgerQueries.latestTransfer)
            FROM \(LedgerQueries.cut(asOf: "$2", testClock: "$3")) CROSS JOIN accounts a
            \(LedgerQueries.sums)
            WHERE a.community_id = $1 AND a.kind = 'user_wallet'
            """, [communityId, asOf, testClock])
    }

    /// The community's movements of the months `fromMonth` … `toMonth` (`YYYY-MM`, both
    /// included; months on the community's clock), summed by month, kind, phase, the two
    /// accounts' kinds and, for a capture, the step that settled it; on every row the community's
    /// time zone and the two months. A month left out is the default: `toMonth` this month on the
    /// community's clock (the service's time, pinned under --test-clock; within 0001-01 … 9999-12
    /// where the zone's month is just outside), `fromMonth` the `monthsBefore` months before
    /// `toMonth` (never before 0001-01).
    public static func monthlyMovements(communityId: String, fromMonth: String?, toMonth: String?, monthsBefore: Int64, testClock: Bool) -> Statement {
        Statement(
            """
            WITH zone AS (SELECT coalesce(c.settings ->> 'time_zone', 'UTC') AS name FROM communities c WHERE c.community_id = $1),
            last AS (
                SELECT z.name, coalesce(to_date($3, 'YYYY-MM'), least(date '9999-12-01', greatest(date '0001-01-01',
                           date_trunc('month', ml_now($1, $5) AT TIME ZONE z.name)::date))) AS month
                FROM zone z
            ),
            span AS (
                SELECT l.name, coalesce(to_date($2, 'YYYY-MM'), greatest(date '0001-01-01', (l.month - make_interval(months => $4::integer))::date)) AS first,
                       l.month AS last
                FROM last l
            )
            SELECT s.name AS time_zone, to_char(s.first, 'YYYY-MM') AS from_month, to_char(s.last, 'YYYY-MM') AS to_month,
                   m.month, m.kind, m.phase, m.debit_kind, m.credit_kind, m.settled_by, m.movements, m.amount, m.pending_amount
            FROM span s
            LEFT JOIN LATERAL (
                SELECT to_char(t.created_at AT TIME ZONE s.name, 'YYYY-MM') AS month, t.kind, t.phase, da.kind AS debit_kind, ca.kind AS credit_kind,
                       CASE WHEN t.phase = 'post_pending' THEN t.reason END AS settled_by,
                       count(*) AS movements, sum(t.amount) AS amount, coalesce(sum(p.amount), 0) AS pending_amount
                FROM transfers t
                JOIN accounts da ON da.community_id = t.community_id AND da.id = t.debit_account_id
                JOIN accounts ca ON ca.community_id = t.community_id AND ca.id = t.credit_account_id
                LEFT JOIN transfers p ON p.community_id = t.community_id AND p.id = t.pending_id
                WHERE t.community_id = $1 AND t.created_at >= (s.first::timestamp AT TIME ZONE s.name)
                  AND t.created_at < ((s.last + interval '1 month')::timestamp AT TIME ZONE s.name)
                GROUP BY 1, 2, 3, 4, 5, 6
            ) m ON true
            ORDER BY m.month, m.kind, m.phase, m.debit_kind, m.credit_kind, m.settled_by
            """, [communityId, fromMonth, toMonth, monthsBefore, testClock])
    }

    /// The community's time zone, the months read and the groups of a `monthlyMovements` read.
    public static func decodeMovements(_ rows: Rows) throws -> (timeZone: String, fromMonth: String, toMonth: String, groups: [MonthlyMovements]) {
        var zone = "UTC"
        var fromMonth = "", toMonth = ""
        var groups: [MonthlyMovements] = []
        for r in rows {
            zone = try r.string("time_zone")
            fromMonth = try r.string("from_month")
            toMonth = try r.string("to_month")
            guard let month = try r.optionalString("month") else { continue }
            guard let phase = TransferPhase(rawValue: try r.string("phase")), let debit = AccountKind(rawValue: try r.string("debit_kind")),
                let credit = AccountKind(rawValue: try r.string("credit_kind"))
            else { throw PostgresError(code: .decoding, message: "a movement has an unknown phase or account kind") }
            groups.append(MonthlyMovements(
                month: month, transferKind: try r.string("kind"), phase: phase, debitKind: debit, creditKind: credit,
                settledBy: try r.optionalString("settled_by"), count: try r.int("movements"), amount: try r.int("amount"),
                pendingAmount: try r.int("pending_amount")))
        }
        return (zone, fromMonth, toMonth, groups)
    }

    /// A page of experts' earnings accounts (by id) with their owners and sums now or as of a
    /// time — only those with credits available unless `includeZero` — and on every row the
    /// totals over all of the community's earnings accounts (one row of totals when the page is
    /// empty).
    public static func earningsDue(
        communityId: String, asOf: Instant?, testClock: Bool, includeZero: Bool, afterId: String?, limit: Int64
    ) -> Statement {
        Statement(
            """
            WITH earnings AS MATERIALIZED (
                SELECT a.id, a.owner_id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
                FROM \(LedgerQueries.cut(asOf: "$2", testClock: "$6")) CROSS JOIN accounts a
                \(LedgerQueries.sums)
                -- Accounts open at the time asked for, as ledger.accounts and the trial balance count them.
                WHERE a.community_id = $1 AND a.kind = 'expert_earnings' AND \(LedgerQueries.open)
            ), totals AS (
                SELECT count(*) AS experts, coalesce(sum(debits_posted), 0) AS t_debits_posted, coalesce(sum(credits_posted), 0) AS t_credits_posted,
                       coalesce(sum(debits_pending), 0) AS t_debits_pending, coalesce(sum(credits_pending), 0) AS t_credits_pending
                FROM earnings
            )
            SELECT t.*, e.id, e.owner_id, p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
                   e.debits_posted, e.credits_posted, e.debits_pending, e.credits_pending, \(LedgerQueries.latestTransfer)
            FROM totals t
            LEFT JOIN LATERAL (
                SELECT * FROM earnings e
                WHERE ($4::text IS NULL OR e.id > $4) AND ($3::boolean OR e.credits_posted - e.debits_posted - e.debits_pending > 0)
                ORDER BY e.id LIMIT $5
            ) e ON true
            LEFT JOIN people p ON p.community_id = $1 AND p.id = e.owner_id
            ORDER BY e.id
            """, [communityId, asOf, includeZero, afterId, limit, testClock])
    }
}
