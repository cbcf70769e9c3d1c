import Core

public enum AccountKind: String, Sendable, CaseIterable {
    case userWallet = "user_wallet"
    case expertEarnings = "expert_earnings"
    case platformRevenue = "platform_revenue"
    case issuance
    case payouts
}

/// An account's four stored sums and what follows from them (SPEC §4).
public struct Balance: Sendable, Equatable {
    public var debitsPosted: Int64
    public var creditsPosted: Int64
    public var debitsPending: Int64
    public var creditsPending: Int64

    public init(debitsPosted: Int64, creditsPosted: Int64, debitsPending: Int64, creditsPending: Int64) {
        self.debitsPosted = debitsPosted
        self.creditsPosted = creditsPosted
        self.debitsPending = debitsPending
        self.creditsPending = creditsPending
    }

    public static let zero = Balance(debitsPosted: 0, creditsPosted: 0, debitsPending: 0, creditsPending: 0)

    public var posted: Int64 { creditsPosted - debitsPosted }
    public var blocked: Int64 { debitsPending }
    public var available: Int64 { creditsPosted - debitsPosted - debitsPending }
    /// Credits on their way in (an expert's earnings from held meetings).
    public var incoming: Int64 { creditsPending }

    public var json: JSON {
        [
            "posted": .int(posted), "blocked": .int(blocked), "available": .int(available), "incoming": .int(incoming),
            "debits_posted": .int(debitsPosted), "credits_posted": .int(creditsPosted),
            "debits_pending": .int(debitsPending), "credits_pending": .int(creditsPending),
        ]
    }
}

/// Money arithmetic kept in one place: integers only, always rounded down.
public enum Fees {
    /// The platform's share of a captured amount, rounded down.
    public static func platformFee(captured: Int64, percent: Int64) -> Int64 {
        precondition(captured >= 0 && (0...100).contains(percent))
        return captured * percent / 100
    }

    /// The part of a price kept on a late cancellation by the user, rounded down.
    public static func lateCancelCharge(price: Int64, percent: Int64) -> Int64 {
        precondition(price >= 0 && (0...100).contains(percent))
        return price * percent / 100
    }
}
