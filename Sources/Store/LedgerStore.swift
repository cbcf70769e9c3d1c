import Core
import Ledger
import Postgres

/// The community's own ledger accounts, opened with it. Every credit movement is written by a
/// request's one apply step (ml_apply, ml_apply_transfer), with the meeting's change it belongs to.
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
    /// `then`: what the reader of a refusal for want of credits does (staff's movements: the
    /// default).
    public static func translate(_ error: PostgresError, required: Int64, then: String? = nil) -> Error {
        switch error.sqlState {
        case "ML020":
            return AppError.insufficientCredits(available: Int64(error.detail ?? "") ?? 0, required: required, then: then)
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

