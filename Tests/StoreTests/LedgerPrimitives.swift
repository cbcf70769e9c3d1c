import Core
import Ledger
import Postgres
import Store

// The ledger's SQL primitives (ledger_transfer, ledger_resolve) called one by one, as the store
// tests exercise them under races. The service itself writes every movement through its one
// apply step (ml_apply, ml_apply_transfer); these are not part of it.

/// A transfer as recorded.
struct TransferResult: Sendable {
    let id: String
    let seq: Int64
    let amount: Int64
    let createdAt: Instant
    let debitAccountId: String
    let creditAccountId: String
    let debitAvailable: Int64
    let creditAvailable: Int64

    init(row: Row) throws {
        id = try row.string("transfer_id")
        seq = try row.int("seq")
        amount = try row.int("amount")
        createdAt = try row.instant("created_at")
        debitAccountId = try row.string("debit_account_id")
        creditAccountId = try row.string("credit_account_id")
        debitAvailable = try row.int("debit_available")
        creditAvailable = try row.int("credit_available")
    }
}

extension LedgerStore {
    /// Where one side of a movement is: an account id, or an account found by kind and owner
    /// within the same statement.
    enum Side: Sendable {
        case account(String)
        case owned(AccountKind, owner: String?)

        /// (account id, kind, owner) as bound for `coalesce($id, ledger_account(community, $kind, $owner))`.
        var binds: [any PostgresBindable] {
            switch self {
            case .account(let id): return [id, String?.none, String?.none]
            case .owned(let kind, let owner): return [String?.none, kind.rawValue, owner]
            }
        }
    }

    struct Movement: Sendable {
        var debit: Side
        var credit: Side
        var amount: Int64
        var kind: String
        var pending: Bool
        var meetingId: String? = nil
        var reference: String? = nil
        var reason: String? = nil

        init(debit: Side, credit: Side, amount: Int64, kind: String, pending: Bool = false, meetingId: String? = nil, reference: String? = nil, reason: String? = nil) {
            self.debit = debit
            self.credit = credit
            self.amount = amount
            self.kind = kind
            self.pending = pending
            self.meetingId = meetingId
            self.reference = reference
            self.reason = reason
        }
    }

    /// Records one movement. `at` is the service's time under a test clock, else nil (the
    /// database's clock at the moment the accounts are locked).
    static func transfer(_ c: Connection, communityId: String, _ m: Movement, actorId: String?, at: Instant?) throws -> TransferResult {
        let params: [any PostgresBindable] = [communityId, Identifier.make(.transfer)] + m.debit.binds + m.credit.binds
            + [m.amount, m.kind, m.pending ? "pending" : "posted", m.meetingId, m.reference, m.reason, actorId, at]
        let sql = """
            SELECT * FROM ledger_transfer($1, $2, coalesce($3, ledger_account($1, $4, $5)), coalesce($6, ledger_account($1, $7, $8)),
                                          $9, $10, $11, $12, $13, $14, $15, $16)
            """
        do {
            return try TransferResult(row: try c.query(sql, params).one())
        } catch let error as PostgresError {
            throw LedgerError.translate(error, required: m.amount)
        }
    }

    /// Posts (captures) or voids (releases) a pending transfer, exactly once.
    static func resolve(
        _ c: Connection, communityId: String, pendingId: String, post: Bool, amount: Int64? = nil, actorId: String?, reason: String? = nil, at: Instant?
    ) throws -> TransferResult {
        do {
            let row = try c.query(
                "SELECT * FROM ledger_resolve($1, $2, $3, $4, $5, $6, $7, $8)",
                [communityId, Identifier.make(.transfer), pendingId, post, amount, actorId, reason, at]
            ).one()
            return try TransferResult(row: row)
        } catch let error as PostgresError {
            throw LedgerError.translate(error, required: amount ?? 0)
        }
    }

    // MARK: Meeting credits

    /// Blocks the price on the user's wallet for the meeting: a pending transfer to the expert.
    static func hold(_ c: Connection, communityId: String, meetingId: String, userId: String, expertId: String, price: Int64, actorId: String?, at: Instant?) throws -> TransferResult {
        try transfer(
            c, communityId: communityId,
            Movement(debit: .owned(.userWallet, owner: userId), credit: .owned(.expertEarnings, owner: expertId), amount: price, kind: "hold", pending: true, meetingId: meetingId),
            actorId: actorId, at: at)
    }

    /// Returns the whole hold to the user.
    static func release(_ c: Connection, communityId: String, holdId: String, actorId: String?, reason: String?, at: Instant?) throws -> TransferResult {
        try resolve(c, communityId: communityId, pendingId: holdId, post: false, actorId: actorId, reason: reason, at: at)
    }
}
