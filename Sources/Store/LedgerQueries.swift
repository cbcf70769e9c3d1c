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

    /// Joins `b`, the four sums of account `a`: stored now, or recorded with its last transfer up
    /// to the time in parameter `asOf` when that is not NULL.
    static func sums(asOf parameter: String) -> String {
        """
        LEFT JOIN LATERAL (
            SELECT a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending WHERE \(parameter)::timestamptz IS NULL
            UNION ALL
            SELECT h.debits_posted, h.credits_posted, h.debits_pending, h.credits_pending
            FROM ledger_balance_as_of(a.community_id, a.id, \(parameter)) h WHERE \(parameter)::timestamptz IS NOT NULL
        ) b ON true
        """
    }

    /// The account named, or a person's accounts, each with its four sums now or as of a time;
    /// `person_found` says whether the person exists.
    public static func balances(communityId: String, accountId: String?, personId: String?, asOf: Instant?) -> Statement {
        Statement(
            """
            SELECT a.id, a.kind, a.owner_id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending,
                   EXISTS (SELECT 1 FROM people p WHERE p.community_id = $1 AND p.id = $3) AS person_found
            FROM (SELECT 1) one
            LEFT JOIN accounts a ON a.community_id = $1 AND (a.id = $2 OR a.owner_id = $3)
            \(sums(asOf: "$4"))
            ORDER BY a.kind DESC
            """, [communityId, accountId, personId, asOf])
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
        var personFound = false
        for r in rows {
            personFound = try r.bool("person_found")
            guard let id = try r.optionalString("id") else { continue }
            let balance = try r.isNull("debits_posted") ? Balance.zero : try Balance(row: r)
            accounts.append(AccountBalance(id: id, kind: try r.string("kind"), ownerId: try r.optionalString("owner_id"), balance: balance))
        }
        return (accounts, personFound)
    }

    /// A page of an account's entries with the balances after each, oldest first.
    public static func statement(
        communityId: String, accountId: String, after: (createdAt: String, seq: Int64)?, from: Instant?, to: Instant?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT seq, transfer_id, transfer_kind, phase, side, signed_amount, posted_balance_after, blocked_after, available_after,
                   meeting_id, reference, reason, created_at
            FROM finance_transfers
            WHERE community_id = $1 AND account_id = $2 AND ($3::timestamptz IS NULL OR (created_at, seq) > ($3::timestamptz, $7::bigint))
              AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)
            ORDER BY created_at, seq LIMIT $6
            """, [communityId, accountId, after?.createdAt, from, to, limit, after?.seq])
    }

    public static func statementEntry(_ r: Row) throws -> JSON {
        [
            "seq": .int(try r.int("seq")), "transfer_id": .string(try r.string("transfer_id")), "kind": .string(try r.string("transfer_kind")),
            "phase": .string(try r.string("phase")), "side": .string(try r.string("side")), "credits": .int(try r.int("signed_amount")),
            "posted_balance": .int(try r.int("posted_balance_after")), "blocked": .int(try r.int("blocked_after")),
            "available": .int(try r.int("available_after")), "meeting_id": .optional(try r.optionalString("meeting_id")),
            "reference": .optional(try r.optionalString("reference")), "reason": .optional(try r.optionalString("reason")),
            "created_at": .string(try r.instant("created_at").rfc3339),
        ]
    }

    /// Totals per account kind, now or as of a time.
    public static func trialBalance(communityId: String, asOf: Instant?) -> Statement {
        Statement(
            """
            SELECT a.kind, count(*) AS accounts,
                   coalesce(sum(b.debits_posted), 0) AS debits_posted, coalesce(sum(b.credits_posted), 0) AS credits_posted,
                   coalesce(sum(b.debits_pending), 0) AS debits_pending, coalesce(sum(b.credits_pending), 0) AS credits_pending
            FROM accounts a
            \(sums(asOf: "$2"))
            WHERE a.community_id = $1
            GROUP BY a.kind ORDER BY a.kind
            """, [communityId, asOf])
    }

    /// Every broken ledger or meeting invariant of the community.
    public static func problems(communityId: String) -> Statement {
        Statement(
            "SELECT kind, subject, detail FROM ledger_problems($1) UNION ALL SELECT kind, subject, detail FROM meeting_problems($1)", [communityId])
    }
}
