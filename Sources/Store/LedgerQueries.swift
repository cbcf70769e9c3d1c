import Core
import Ledger
import Postgres

/// The ledger's writes decided in Swift (one `ml_apply_transfer`) and its reads, each one
/// statement.
public enum LedgerQueries {
    /// One side of a posted transfer: an account id, or the account of a kind and owner.
    public enum Side: Sendable {
        case account(String)
        case owned(AccountKind, owner: String?)
    }

    /// The apply call for one posted transfer.
    public static func transfer(
        communityId: String, id: String, debit: Side, credit: Side, credits: Int64, kind: String, reference: String?, reason: String?,
        actorId: String, at: Instant?
    ) -> SQLCall {
        var p: [String: JSON] = [
            "community_id": .string(communityId), "id": .string(id), "credits": .int(credits), "kind": .string(kind),
            "reference": .optional(reference), "reason": .optional(reason), "actor_id": .string(actorId), "at": .optional(at?.rfc3339),
        ]
        for (prefix, side) in [("debit", debit), ("credit", credit)] {
            switch side {
            case .account(let id): p["\(prefix)_account_id"] = .string(id)
            case .owned(let kind, let owner):
                p["\(prefix)_kind"] = .string(kind.rawValue)
                p["\(prefix)_owner"] = .optional(owner)
            }
        }
        return SQLCall("ml_apply_transfer", [.init(JSON.object(p), "jsonb")])
    }

    /// An account's kind and owner (`ml_account_json`), as a context read.
    public static func account(communityId: String, accountId: String) -> SQLCall {
        SQLCall("ml_account_json", [.init(communityId, "text"), .init(accountId, "text")])
    }

    /// The FROM item `cut`, whose one column `before` is the time the figures are taken just
    /// before: the time in parameter `asOf`, or NULL (the figures now) when none is given or it
    /// is not before now — the later of the service's time (`ml_now`, with parameter
    /// `testClock`) and the community's latest transfer, as `LedgerAPI.asOfAnswered` labels the
    /// answer. A figure as of T leaves out the transfers made at T, which belong to the period
    /// starting then (months, a statement's `to`); one as of now counts every transfer so far,
    /// those made at a pinned test clock's very time too. `$1` is the community.
    static func cut(asOf parameter: String, testClock: String) -> String {
        """
        (SELECT CASE WHEN \(parameter)::timestamptz < greatest(ml_now($1, \(testClock)::boolean), max(t.created_at))
                     THEN \(parameter)::timestamptz END AS before
         FROM transfers t WHERE t.community_id = $1) cut
        """
    }

    /// The wait a read as of a past time takes first, in a statement of its own before the read
    /// (`ReadPlan.settle`): every transfer of the community timed so far commits (or rolls back)
    /// before the read takes its snapshot, and any transfer timed after it is timed after the
    /// read's now (the time its transaction began), so a figure as of a time before that now is
    /// the same at every later read. It waits for the writers in flight when it starts alone:
    /// transfers that start meanwhile go on beside it.
    public static func settle(communityId: String) -> Statement {
        Statement("SELECT ml_ledger_settle($1) AS settled_at", [communityId])
    }

    /// Whether account `a` counts just before `cut.before` (always when that is NULL): it was
    /// opened before then, or had moved before then (under the test clock an account may be
    /// opened at a later time than its transfers were stamped, as when the clock is pinned to a
    /// past the community was made after). An account opened at that very time belongs to the
    /// period starting then. Every "as of" read counts accounts by this one rule.
    static let open = """
        (cut.before IS NULL OR a.created_at < cut.before
         OR EXISTS (SELECT 1 FROM transfers t WHERE t.community_id = a.community_id AND t.debit_account_id = a.id AND t.created_at < cut.before)
         OR EXISTS (SELECT 1 FROM transfers t WHERE t.community_id = a.community_id AND t.credit_account_id = a.id AND t.created_at < cut.before))
        """

    /// Joins `b`, the four sums of account `a`: stored now, or recorded with its last transfer
    /// before `cut.before` when that is not NULL.
    static let sums = """
        LEFT JOIN LATERAL (
            SELECT a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending WHERE cut.before IS NULL
            UNION ALL
            SELECT h.debits_posted, h.credits_posted, h.debits_pending, h.credits_pending
            FROM ledger_balance_as_of(a.community_id, a.id, cut.before) h WHERE cut.before IS NOT NULL
        ) b ON true
        """

    /// The community's latest transfer time, a column of every balance read: a transfer is
    /// stamped after the one before it, so after a clock set back it can be later than now, and
    /// an answer "as of now" is as of that time (`$1` is the community).
    public static let latestTransfer = "(SELECT max(t.created_at) FROM transfers t WHERE t.community_id = $1) AS latest_transfer_at"

    /// The account named, or a person's accounts (as of a time, those open by then: `open`),
    /// each with its four sums now or as of a time; `person_found` says whether the person exists.
    public static func balances(communityId: String, accountId: String?, personId: String?, asOf: Instant?, testClock: Bool) -> Statement {
        Statement(
            """
            SELECT a.id, a.kind, a.owner_id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending,
                   EXISTS (SELECT 1 FROM people p WHERE p.community_id = $1 AND p.id = $3) AS person_found, \(latestTransfer)
            FROM \(cut(asOf: "$4", testClock: "$5"))
            LEFT JOIN accounts a ON a.community_id = $1 AND (a.id = $2 OR (a.owner_id = $3 AND \(open)))
            \(sums)
            ORDER BY a.kind DESC
            """, [communityId, accountId, personId, asOf, testClock])
    }

    public struct AccountBalance: Sendable {
        public let id: String
        public let kind: String
        public let ownerId: String?
        public let balance: Balance
    }

    /// The accounts of a `balances` read (empty when none), and whether the person exists.
    public static func decodeBalances(_ rows: Rows) throws -> (accounts: [AccountBalance], personFound: Bool) {
        var accounts: [AccountBalance] = []
        var seen: Set<String> = []
        var personFound = false
        for r in rows {
            personFound = try r.bool("person_found")
            // A statement's page repeats its account on every entry's row.
            guard let id = try r.optionalString("id"), seen.insert(id).inserted else { continue }
            let balance = try r.isNull("debits_posted") ? Balance.zero : try Balance(row: r)
            accounts.append(AccountBalance(id: id, kind: try r.string("kind"), ownerId: try r.optionalString("owner_id"), balance: balance))
        }
        return (accounts, personFound)
    }

    /// A page of an account's statement in one statement, so its bounds and its entries are read
    /// at one moment (read by two statements, a transfer committed between them made the closing
    /// balance disagree with the entries' sum): on every row the account with its sums now (as
    /// `balances` reads it), its balance just before `from` (`o_…`, zeros without `from`) and just
    /// before `to` (`c_…`, the sums now without `to`), and one entry (`seq` null on the one row of
    /// a page without entries) with the balances after it, oldest first, and for a resolution
    /// the amount of the hold it resolved. The page's entries come from
    /// `ledger_statement_entries`, which reads each side of the account from its index as far as
    /// the page: a page costs the same whatever the account's history.
    /// A `to` not before now closes the statement now, as a balance as of now counts every
    /// transfer so far (`cut`): those made at that very time too.
    public static func statementPage(
        communityId: String, accountId: String, testClock: Bool, after: (createdAt: String, seq: Int64)?, from: Instant?, to: Instant?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT a.id, a.kind, a.owner_id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, false AS person_found,
                   o.debits_posted AS o_debits_posted, o.credits_posted AS o_credits_posted,
                   o.debits_pending AS o_debits_pending, o.credits_pending AS o_credits_pending,
                   coalesce(c.debits_posted, a.debits_posted) AS c_debits_posted, coalesce(c.credits_posted, a.credits_posted) AS c_credits_posted,
                   coalesce(c.debits_pending, a.debits_pending) AS c_debits_pending, coalesce(c.credits_pending, a.credits_pending) AS c_credits_pending,
                   \(latestTransfer), e.*
            FROM (SELECT 1) one
            CROSS JOIN \(cut(asOf: "$4", testClock: "$8"))
            LEFT JOIN accounts a ON a.community_id = $1 AND a.id = $2
            LEFT JOIN LATERAL ledger_balance_as_of(a.community_id, a.id, $3::timestamptz) o ON true
            LEFT JOIN LATERAL (SELECT * FROM ledger_balance_as_of(a.community_id, a.id, cut.before)
                               WHERE cut.before IS NOT NULL) c ON true
            LEFT JOIN LATERAL (
                SELECT x.seq, x.transfer_id, x.transfer_kind, x.phase, x.side, x.amount, x.signed_amount, x.posted_balance_after, x.blocked_after,
                       x.available_after, x.incoming_after, x.meeting_id, x.pending_id, x.reference, x.reason, x.created_at,
                       (SELECT p.amount FROM transfers p WHERE p.community_id = x.community_id AND p.id = x.pending_id) AS pending_amount
                FROM ledger_statement_entries($1, a.id, $5::timestamptz, $7::bigint, $3::timestamptz, cut.before, $6::bigint) x
            ) e ON true
            ORDER BY e.created_at, e.seq
            """, [communityId, accountId, from, to, after?.createdAt, limit, after?.seq, testClock])
    }

    /// A statement's opening and closing balances from a `statementPage` row.
    public static func decodeBounds(_ rows: Rows) throws -> (opening: Balance, closing: Balance)? {
        guard let r = rows.first, try !r.isNull("id") else { return nil }
        func sums(_ prefix: String) throws -> Balance {
            guard try !r.isNull(prefix + "debits_posted") else { return .zero }
            return Balance(
                debitsPosted: try r.int(prefix + "debits_posted"), creditsPosted: try r.int(prefix + "credits_posted"),
                debitsPending: try r.int(prefix + "debits_pending"), creditsPending: try r.int(prefix + "credits_pending"))
        }
        return (try sums("o_"), try sums("c_"))
    }

    /// One statement entry: the balances after it and what it changed (StatementArithmetic).
    public static func statementEntry(_ r: Row) throws -> JSON {
        guard let side = EntrySide(rawValue: try r.string("side")), let phase = TransferPhase(rawValue: try r.string("phase")) else {
            throw PostgresError(code: .decoding, message: "a statement entry has an unknown side or phase")
        }
        let change = StatementArithmetic.change(side: side, phase: phase, amount: try r.int("amount"), pendingAmount: try r.optionalInt("pending_amount"))
        return [
            "seq": .int(try r.int("seq")), "transfer_id": .string(try r.string("transfer_id")), "kind": .string(try r.string("transfer_kind")),
            "phase": .string(phase.rawValue), "side": .string(side.rawValue), "credits": .int(try r.int("signed_amount")),
            "amount": .int(try r.int("amount")), "posted_change": .int(change.posted), "blocked_change": .int(change.blocked),
            "available_change": .int(change.available), "incoming_change": .int(change.incoming),
            "posted_balance": .int(try r.int("posted_balance_after")), "blocked": .int(try r.int("blocked_after")),
            "available": .int(try r.int("available_after")), "incoming": .int(try r.int("incoming_after")),
            "meeting_id": .optional(try r.optionalString("meeting_id")),
            "pending_id": .optional(try r.optionalString("pending_id")),
            "reference": .optional(try r.optionalString("reference")), "reason": .optional(try r.optionalString("reason")),
            "created_at": .string(try r.instant("created_at").rfc3339),
        ]
    }

    /// A page of the community's accounts (of one kind, or all), by kind then id, each with its
    /// owner and its four sums now or as of a time (then only the accounts open by then, as the
    /// trial balance counts them).
    public static func accounts(
        communityId: String, kind: String?, asOf: Instant?, testClock: Bool, after: (kind: String, id: String)?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT a.id, a.kind, a.owner_id, a.created_at, p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
                   b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending, \(latestTransfer)
            FROM \(cut(asOf: "$3", testClock: "$7")) CROSS JOIN accounts a
            LEFT JOIN people p ON p.community_id = a.community_id AND p.id = a.owner_id
            \(sums)
            WHERE a.community_id = $1 AND ($2::text IS NULL OR a.kind = $2) AND ($4::text IS NULL OR (a.kind, a.id) > ($4::text, $5::text))
              AND \(open)
            ORDER BY a.kind, a.id LIMIT $6
            """, [communityId, kind, asOf, after?.kind, after?.id, limit, testClock])
    }

    /// An account of an `accounts` page with its owner's name and address.
    public static func accountEntry(_ r: Row, asOf: Instant) throws -> JSON {
        let balance = try Balance(row: r)
        var o = balance.json.objectValue!
        o["account_id"] = .string(try r.string("id"))
        o["kind"] = .string(try r.string("kind"))
        o["owner_id"] = .optional(try r.optionalString("owner_id"))
        o["owner_email"] = .optional(try r.optionalString("owner_email"))
        o["owner_first_name"] = .optional(try r.optionalString("owner_first_name"))
        o["owner_last_name"] = .optional(try r.optionalString("owner_last_name"))
        o["created_at"] = .string(try r.instant("created_at").rfc3339)
        o["as_of"] = .string(asOf.rfc3339)
        return .object(o)
    }

    /// Totals per account kind, now or as of a time (counting the accounts open by then).
    public static func trialBalance(communityId: String, asOf: Instant?, testClock: Bool) -> Statement {
        Statement(
            """
            SELECT a.kind, count(*) FILTER (WHERE \(open)) AS accounts,
                   coalesce(sum(b.debits_posted), 0) AS debits_posted, coalesce(sum(b.credits_posted), 0) AS credits_posted,
                   coalesce(sum(b.debits_pending), 0) AS debits_pending, coalesce(sum(b.credits_pending), 0) AS credits_pending, \(latestTransfer)
            FROM \(cut(asOf: "$2", testClock: "$3")) CROSS JOIN accounts a
            \(sums)
            WHERE a.community_id = $1
            GROUP BY a.kind ORDER BY a.kind
            """, [communityId, asOf, testClock])
    }

    /// The community's broken ledger or meeting invariants, the first `limit` of them, each row
    /// with `problems_total`, how many there are in all, and `latest_transfer_at`; with no
    /// problem, one row whose `kind` is NULL carries that time. It reads every transfer, account
    /// and meeting of the community: planned at each call, for the rows there are now.
    public static func problems(communityId: String, limit: Int) -> Statement {
        Statement(
            """
            SELECT p.kind, p.subject, p.detail, p.problems_total, latest.latest_transfer_at
            FROM (SELECT \(latestTransfer)) latest
            LEFT JOIN LATERAL (
                SELECT kind, subject, detail, count(*) OVER () AS problems_total FROM (
                    SELECT kind, subject, detail FROM ledger_problems($1) UNION ALL SELECT kind, subject, detail FROM ledger_time_problems($1)
                    UNION ALL SELECT kind, subject, detail FROM meeting_problems($1)
                    UNION ALL SELECT kind, subject, detail FROM ledger_movement_problems($1)
                ) AS problems
                LIMIT $2
            ) p ON true
            """, [communityId, limit], plannedEachCall: true)
    }
}
