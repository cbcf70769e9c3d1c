import Core

/// What one movement did to one account's posted, blocked and incoming credits, and a
/// statement's opening and closing balances: the arithmetic that makes every column of a
/// statement sum to the change it shows.
public struct BalanceChange: Sendable, Equatable {
    public var posted: Int64
    public var blocked: Int64
    /// Pending credits on their way in (a hold's credited side: an expert's earnings).
    public var incoming: Int64

    public init(posted: Int64, blocked: Int64, incoming: Int64 = 0) {
        self.posted = posted
        self.blocked = blocked
        self.incoming = incoming
    }

    public static let zero = BalanceChange(posted: 0, blocked: 0)

    /// Available credits move by what posted gains less what is newly blocked.
    public var available: Int64 { posted - blocked }

    public static func + (a: BalanceChange, b: BalanceChange) -> BalanceChange {
        BalanceChange(posted: a.posted + b.posted, blocked: a.blocked + b.blocked, incoming: a.incoming + b.incoming)
    }

    /// From one balance to another.
    public static func between(_ from: Balance, _ to: Balance) -> BalanceChange {
        BalanceChange(posted: to.posted - from.posted, blocked: to.blocked - from.blocked, incoming: to.incoming - from.incoming)
    }

    public var json: JSON { ["posted": .int(posted), "blocked": .int(blocked), "available": .int(available), "incoming": .int(incoming)] }
}

/// The side of a movement an account is on: credits leave a debited account and come into a
/// credited one.
public enum EntrySide: String, Sendable {
    case debit, credit
}

/// A transfer's phase (SPEC §4): posted at once, a pending hold, or the post (capture) or void
/// (release) that resolves a hold.
public enum TransferPhase: String, Sendable, CaseIterable {
    case posted
    case pending
    case postPending = "post_pending"
    case voidPending = "void_pending"
}

public enum StatementArithmetic {
    /// The change one movement of `amount` made to an account on `side`. A resolution unblocks
    /// the whole hold it resolves (`pendingAmount`), even when a capture posts less of it (a
    /// partial late-cancel charge: the rest returns). Blocked credits are the account's pending
    /// debits and incoming credits its pending credits: a hold's credited side (an expert's
    /// earnings) blocks nothing and is incoming until the hold is resolved.
    public static func change(side: EntrySide, phase: TransferPhase, amount: Int64, pendingAmount: Int64?) -> BalanceChange {
        let unblocked = pendingAmount ?? amount
        switch (side, phase) {
        case (.debit, .posted): return BalanceChange(posted: -amount, blocked: 0)
        case (.debit, .pending): return BalanceChange(posted: 0, blocked: amount)
        case (.debit, .postPending): return BalanceChange(posted: -amount, blocked: -unblocked)
        case (.debit, .voidPending): return BalanceChange(posted: 0, blocked: -unblocked)
        case (.credit, .posted): return BalanceChange(posted: amount, blocked: 0)
        case (.credit, .pending): return BalanceChange(posted: 0, blocked: 0, incoming: amount)
        case (.credit, .postPending): return BalanceChange(posted: amount, blocked: 0, incoming: -unblocked)
        case (.credit, .voidPending): return BalanceChange(posted: 0, blocked: 0, incoming: -unblocked)
        }
    }
}
