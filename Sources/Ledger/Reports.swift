import Core

/// A calendar month, `YYYY-MM`, in the community's time zone when a report counts by month.
public struct Month: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int64
    public let month: Int64

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 7, parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let y = Int64(parts[0]), let m = Int64(parts[1]), (1...9999).contains(y), (1...12).contains(m)
        else { return nil }
        year = y
        month = m
    }

    init(index: Int64) {
        year = index / 12
        month = index % 12 + 1
    }

    var index: Int64 { year * 12 + month - 1 }
    public static func < (a: Month, b: Month) -> Bool { a.index < b.index }
    public var description: String { (year < 1000 ? String(repeating: "0", count: 4 - String(year).count) : "") + "\(year)-" + (month < 10 ? "0" : "") + "\(month)" }
}

/// The months a monthly report covers: `from_month` to `to_month`, both included.
public struct MonthRange: Sendable, Equatable {
    public static let maxMonths: Int64 = 120
    /// A range with a month left out covers this many months: a year up to to_month, or up to
    /// this month without one.
    public static let defaultMonths: Int64 = 12
    public let from: Month
    public let to: Month

    /// Refuses a text that is not `YYYY-MM`, a range that ends before it starts and one longer
    /// than `maxMonths`, naming the param.
    public init(from fromText: String, to toText: String) throws {
        guard let from = Month(fromText) else { throw AppError.invalidParams(field: "from_month", reason: MonthRange.notAMonth) }
        guard let to = Month(toText) else { throw AppError.invalidParams(field: "to_month", reason: MonthRange.notAMonth) }
        guard from <= to else { throw AppError.invalidParams(field: "to_month", reason: "must not be before from_month") }
        guard to.index - from.index < MonthRange.maxMonths else {
            throw AppError.invalidParams(
                field: "to_month",
                reason: "must be at most \(MonthRange.maxMonths - 1) months after from_month (a report covers at most \(MonthRange.maxMonths) months, both ends included); ask for the years one by one")
        }
        self.from = from
        self.to = to
    }

    static let notAMonth = Schema.notAMonth

    /// Refuses what a caller gave before anything is read: a month that is not `YYYY-MM` and,
    /// when both are given, a range `init(from:to:)` refuses. A month left out is filled in later
    /// (the read knows the community's clock).
    public static func validate(from fromText: String?, to toText: String?) throws {
        if let fromText, let toText {
            _ = try MonthRange(from: fromText, to: toText)
            return
        }
        if let fromText, Month(fromText) == nil { throw AppError.invalidParams(field: "from_month", reason: notAMonth) }
        if let toText, Month(toText) == nil { throw AppError.invalidParams(field: "to_month", reason: notAMonth) }
    }

    public var months: [Month] { (from.index...to.index).map(Month.init(index:)) }
}

/// The ledger's movements of one month, summed by what a report tells apart: the transfer's
/// kind, the kinds of the two accounts and, for a capture, the step that settled it (its reason).
public struct MonthlyMovements: Sendable, Equatable {
    public let month: String
    public let transferKind: String
    public let phase: TransferPhase
    public let debitKind: AccountKind
    public let creditKind: AccountKind
    public let settledBy: String?
    public let count: Int64
    public let amount: Int64
    /// For resolutions: the whole amount of the holds they resolved.
    public let pendingAmount: Int64

    public init(
        month: String, transferKind: String, phase: TransferPhase, debitKind: AccountKind, creditKind: AccountKind, settledBy: String?, count: Int64,
        amount: Int64, pendingAmount: Int64
    ) {
        self.month = month
        self.transferKind = transferKind
        self.phase = phase
        self.debitKind = debitKind
        self.creditKind = creditKind
        self.settledBy = settledBy
        self.count = count
        self.amount = amount
        self.pendingAmount = pendingAmount
    }

    /// What these movements did to the posted and blocked credits of the accounts of `kind`.
    public func change(of kind: AccountKind) -> BalanceChange {
        var total = BalanceChange.zero
        if debitKind == kind {
            let one = StatementArithmetic.change(side: .debit, phase: phase, amount: amount, pendingAmount: pendingAmount)
            total = total + one
        }
        if creditKind == kind {
            total = total + StatementArithmetic.change(side: .credit, phase: phase, amount: amount, pendingAmount: pendingAmount)
        }
        return total
    }
}

/// The finance reports' rules: what counts as revenue, as a late-cancel charge, as a capture or
/// a release, each month.
public enum Reports {
    /// Captures settled by a user ending a meeting early: the lifecycle captures on a user's
    /// cancellation, or skip of a series date, only inside the window (a late-cancel charge), and
    /// records the step's event as the capture's reason (a series cancelled late cancels its
    /// agreed dates: `cancelled_by_user`).
    public static let lateCancelSettlements: Set<String> = ["cancelled_by_user", "occurrence_skipped_by_user"]

    /// One month of the platform's revenue: its fees, corrections to its account, and the
    /// late-cancel charges users paid (the expert's share included; the fee on them is in `fees`).
    public struct RevenueMonth: Sendable, Equatable {
        public var month: String
        public var fees: Int64 = 0
        public var feeTransfers: Int64 = 0
        public var adjustments: Int64 = 0
        /// The change of platform_revenue's posted balance: fees and adjustments.
        public var revenue: Int64 = 0
        public var lateCancelCharges: Int64 = 0
        public var lateCancellations: Int64 = 0

        public var json: JSON {
            [
                "month": .string(month), "fees": .int(fees), "fee_transfers": .int(feeTransfers), "adjustments": .int(adjustments),
                "revenue": .int(revenue), "late_cancel_charges": .int(lateCancelCharges), "late_cancellations": .int(lateCancellations),
            ]
        }
    }

    /// One month of holds and how they ended: captured (paid to experts; a partial capture
    /// returns the rest) or released; `blockedChange` is the change of the credits blocked.
    public struct SettlementMonth: Sendable, Equatable {
        public var month: String
        public var holds: Int64 = 0
        public var held: Int64 = 0
        public var captures: Int64 = 0
        public var captured: Int64 = 0
        public var returnedOnCapture: Int64 = 0
        public var releases: Int64 = 0
        public var released: Int64 = 0
        public var blockedChange: Int64 = 0

        public var json: JSON {
            [
                "month": .string(month), "holds": .int(holds), "held": .int(held), "captures": .int(captures), "captured": .int(captured),
                "returned_on_capture": .int(returnedOnCapture), "releases": .int(releases), "released": .int(released),
                "blocked_change": .int(blockedChange),
            ]
        }
    }

    /// Every month of `range`, those without movements at zero.
    public static func revenue(_ range: MonthRange, _ groups: [MonthlyMovements]) -> [RevenueMonth] {
        var months = Dictionary(uniqueKeysWithValues: range.months.map { ($0.description, RevenueMonth(month: $0.description)) })
        for g in groups {
            guard var m = months[g.month] else { continue }
            m.revenue += g.change(of: .platformRevenue).posted
            if g.transferKind == "fee" && g.creditKind == .platformRevenue {
                m.fees += g.amount
                m.feeTransfers += g.count
            }
            if g.transferKind == "adjustment" {
                if g.creditKind == .platformRevenue { m.adjustments += g.amount }
                if g.debitKind == .platformRevenue { m.adjustments -= g.amount }
            }
            if g.phase == .postPending, let reason = g.settledBy, lateCancelSettlements.contains(reason) {
                m.lateCancelCharges += g.amount
                m.lateCancellations += g.count
            }
            months[g.month] = m
        }
        return range.months.map { months[$0.description]! }
    }

    /// Every month of `range`, those without movements at zero.
    public static func settlements(_ range: MonthRange, _ groups: [MonthlyMovements]) -> [SettlementMonth] {
        var months = Dictionary(uniqueKeysWithValues: range.months.map { ($0.description, SettlementMonth(month: $0.description)) })
        for g in groups {
            guard var m = months[g.month] else { continue }
            switch g.phase {
            case .pending:
                m.holds += g.count
                m.held += g.amount
            case .postPending:
                m.captures += g.count
                m.captured += g.amount
                m.returnedOnCapture += g.pendingAmount - g.amount
            case .voidPending:
                m.releases += g.count
                m.released += g.amount
            case .posted:
                break
            }
            m.blockedChange = m.held - m.captured - m.returnedOnCapture - m.released
            months[g.month] = m
        }
        return range.months.map { months[$0.description]! }
    }

    /// The months added up, as a row named `total`.
    public static func total(_ months: [RevenueMonth]) -> RevenueMonth {
        months.reduce(into: RevenueMonth(month: "total")) { t, m in
            t.fees += m.fees
            t.feeTransfers += m.feeTransfers
            t.adjustments += m.adjustments
            t.revenue += m.revenue
            t.lateCancelCharges += m.lateCancelCharges
            t.lateCancellations += m.lateCancellations
        }
    }

    /// The months added up, as a row named `total`.
    public static func total(_ months: [SettlementMonth]) -> SettlementMonth {
        months.reduce(into: SettlementMonth(month: "total")) { t, m in
            t.holds += m.holds
            t.held += m.held
            t.captures += m.captures
            t.captured += m.captured
            t.returnedOnCapture += m.returnedOnCapture
            t.releases += m.releases
            t.released += m.released
            t.blockedChange += m.blockedChange
        }
    }
}
