import Core
import Ledger
import Postgres

/// A transfer as recorded.
public struct TransferResult: Sendable {
    public let id: String
    public let seq: Int64
    public let amount: Int64
    public let createdAt: Instant
    public let debitAccountId: String
    public let creditAccountId: String
    public let debitAvailable: Int64
    public let creditAvailable: Int64

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

/// The ledger's operations, each one statement (a server-side function that locks the two
/// accounts in id order), to be called inside the caller's transaction so a meeting's change
/// and its credit movements commit together.
public enum LedgerStore {
    /// Accounts are opened at the service's time (`now`: the community's pinned time under
    /// --test-clock), as their transfers are stamped, so "as of" counts them with their movements.
    public static func openCommunityAccounts(_ c: Connection, communityId: String, now: Instant) throws {
        for kind in [AccountKind.platformRevenue, .issuance, .payouts] {
            try c.query(
                "INSERT INTO accounts (community_id, id, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                [communityId, Identifier.make(.account), kind.rawValue, now])
        }
    }

    /// Where one side of a movement is: an account id, or an account found by kind and owner
    /// within the same statement.
    public enum Side: Sendable {
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

    public struct Movement: Sendable {
        public var debit: Side
        public var credit: Side
        public var amount: Int64
        public var kind: String
        public var pending: Bool
        public var meetingId: String? = nil
        public var reference: String? = nil
        public var reason: String? = nil

        public init(debit: Side, credit: Side, amount: Int64, kind: String, pending: Bool = false, meetingId: String? = nil, reference: String? = nil, reason: String? = nil) {
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
    public static func transfer(_ c: Connection, communityId: String, _ m: Movement, actorId: String?, at: Instant?) throws -> TransferResult {
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
    public static func resolve(
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
    public static func hold(_ c: Connection, communityId: String, meetingId: String, userId: String, expertId: String, price: Int64, actorId: String?, at: Instant?) throws -> TransferResult {
        try transfer(
            c, communityId: communityId,
            Movement(debit: .owned(.userWallet, owner: userId), credit: .owned(.expertEarnings, owner: expertId), amount: price, kind: "hold", pending: true, meetingId: meetingId),
            actorId: actorId, at: at)
    }

    /// Returns the whole hold to the user.
    public static func release(_ c: Connection, communityId: String, holdId: String, actorId: String?, reason: String?, at: Instant?) throws -> TransferResult {
        try resolve(c, communityId: communityId, pendingId: holdId, post: false, actorId: actorId, reason: reason, at: at)
    }
}

extension Balance {
    public init(row: Row) throws {
        self.init(
            debitsPosted: try row.int("debits_posted"), creditsPosted: try row.int("credits_posted"),
            debitsPending: try row.int("debits_pending"), creditsPending: try row.int("credits_pending"))
    }
}

/// The ledger functions' own SQLSTATEs turned into errors a caller can act on.
public enum LedgerError {
    public static func translate(_ error: PostgresError, required: Int64) -> Error {
        switch error.sqlState {
        case "ML020":
            return AppError.insufficientCredits(available: Int64(error.detail ?? "") ?? 0, required: required)
        case "ML004":
            return AppError.notFound("account", "for this transfer")
        case "ML005":
            return AppError.forbidden("no one grants, adjusts or pays out credits of their own account; another finance person does it")
        case "ML002":
            return AppError.notFound("pending transfer", "")
        case "ML003":
            return AppError(.invalidState, message: "The hold was already resolved (captured or released)", details: ["status": "resolved"])
        case "23505" where error.constraint == "transfers_grant_reference":
            return AppError.invalidParams(field: "reference", reason: "was already granted; each purchase reference is granted once")
        case "23505" where error.constraint == "transfers_payout_reference":
            return AppError.invalidParams(field: "reference", reason: "was already paid out; each payout reference is recorded once")
        case "23514" where error.constraint == "accounts_no_overdraft":
            return AppError.insufficientCredits(available: 0, required: required)
        default:
            return error
        }
    }
}

