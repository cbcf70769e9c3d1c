import Core
import XCTest

@testable import Ledger

/// The reports' rules: month ranges, what counts as revenue, as a late-cancel charge, as a
/// capture or release, and months without movements shown at zero.
final class ReportsTests: XCTestCase {
    func testMonthRangesAreCheckedAndNamed() throws {
        let r = try MonthRange(from: "2029-11", to: "2030-02")
        XCTAssertEqual(r.months.map(\.description), ["2029-11", "2029-12", "2030-01", "2030-02"])
        XCTAssertEqual(try MonthRange(from: "0001-01", to: "0001-01").months.map(\.description), ["0001-01"])
        XCTAssertEqual(try MonthRange(from: "2020-01", to: "2029-12").months.count, 120)
        XCTAssertThrowsError(try MonthRange(from: "2020-03", to: "2030-03")) { error in
            XCTAssertTrue((error as? AppError)?.details["reason"]?.stringValue?.hasPrefix("must be at most 119 months after from_month") ?? false,
                          "the limit said as it is checked (it said 120 after, and refused 120 after): \(error)")
        }

        let refused: [(String, String, String)] = [
            ("2030-13", "2030-12", "from_month"), ("2030-1", "2030-12", "from_month"), ("2030-01-01", "2030-12", "from_month"),
            ("+030-01", "2030-12", "from_month"), ("0000-01", "2030-12", "from_month"), ("2030-01", "2030-00", "to_month"),
            ("2030-01", "２０３０-01", "to_month"), ("2030-02", "2030-01", "to_month"), ("2020-01", "2030-01", "to_month"),
        ]
        for (from, to, field) in refused {
            XCTAssertThrowsError(try MonthRange(from: from, to: to), "\(from) … \(to)") { error in
                XCTAssertEqual((error as? AppError)?.details["field"], .string(field), "\(from) … \(to)")
            }
            XCTAssertThrowsError(try MonthRange.validate(from: from, to: to), "given both: \(from) … \(to)")
        }
    }

    /// A month left out is the read's to fill in; what is given is still checked, each under its
    /// own name.
    func testAGivenMonthIsCheckedWhenTheOtherIsLeftOut() throws {
        XCTAssertNoThrow(try MonthRange.validate(from: nil, to: nil))
        XCTAssertNoThrow(try MonthRange.validate(from: "2030-01", to: nil))
        XCTAssertNoThrow(try MonthRange.validate(from: nil, to: "0001-01"))
        for (from, to, field) in [("2030-13", nil, "from_month"), (nil, "2030-1", "to_month"), (nil, "March", "to_month")] as [(String?, String?, String)] {
            XCTAssertThrowsError(try MonthRange.validate(from: from, to: to)) { error in
                XCTAssertEqual((error as? AppError)?.details["field"], .string(field), "\(from ?? "-") … \(to ?? "-")")
            }
        }
    }

    static func group(
        _ month: String, _ kind: String, _ phase: TransferPhase, _ debit: AccountKind, _ credit: AccountKind, settledBy: String? = nil,
        count: Int64 = 1, amount: Int64, pending: Int64 = 0
    ) -> MonthlyMovements {
        MonthlyMovements(
            month: month, transferKind: kind, phase: phase, debitKind: debit, creditKind: credit, settledBy: settledBy, count: count, amount: amount,
            pendingAmount: pending)
    }

    static let march: [MonthlyMovements] = [
        group("2030-03", "grant", .posted, .issuance, .userWallet, count: 2, amount: 700),
        group("2030-03", "hold", .pending, .userWallet, .expertEarnings, count: 3, amount: 300),
        group("2030-03", "capture", .postPending, .userWallet, .expertEarnings, settledBy: "session_logged", amount: 100, pending: 100),
        group("2030-03", "capture", .postPending, .userWallet, .expertEarnings, settledBy: "cancelled_by_user", amount: 50, pending: 100),
        group("2030-03", "fee", .posted, .expertEarnings, .platformRevenue, count: 2, amount: 15),
        group("2030-03", "adjustment", .posted, .platformRevenue, .issuance, amount: 4),
        group("2030-03", "payout", .posted, .expertEarnings, .payouts, amount: 60),
        group("2030-05", "release", .voidPending, .userWallet, .expertEarnings, amount: 100, pending: 100),
        group("2030-05", "adjustment", .posted, .issuance, .platformRevenue, amount: 9),
        group("2031-01", "fee", .posted, .expertEarnings, .platformRevenue, amount: 1000),
    ]

    func testRevenueIsThePlatformAccountsPostedChange() throws {
        let months = Reports.revenue(try MonthRange(from: "2030-03", to: "2030-05"), Self.march)
        XCTAssertEqual(months.map(\.month), ["2030-03", "2030-04", "2030-05"], "every month, April at zero; 2031 outside the range")
        XCTAssertEqual(months[0], Reports.RevenueMonth(
            month: "2030-03", fees: 15, feeTransfers: 2, adjustments: -4, revenue: 11, lateCancelCharges: 50, lateCancellations: 1))
        XCTAssertEqual(months[1], Reports.RevenueMonth(month: "2030-04"))
        XCTAssertEqual(months[2].revenue, 9)
        XCTAssertEqual(months[2].adjustments, 9)
        let total = Reports.total(months)
        XCTAssertEqual(total.month, "total")
        XCTAssertEqual(total.revenue, total.fees + total.adjustments)
        XCTAssertEqual(total.revenue, 20)
    }

    /// A user's late skip of a series date is charged as a late cancellation is, and counts as one.
    func testALateSkipOfASeriesDateIsALateCancelCharge() throws {
        let groups = Self.march + [
            Self.group("2030-04", "capture", .postPending, .userWallet, .expertEarnings, settledBy: "occurrence_skipped_by_user", count: 2, amount: 60, pending: 200),
            Self.group("2030-04", "capture", .postPending, .userWallet, .expertEarnings, settledBy: "cancelled_by_expert", amount: 70, pending: 100),
        ]
        let months = Reports.revenue(try MonthRange(from: "2030-03", to: "2030-04"), groups)
        XCTAssertEqual(months[1].lateCancelCharges, 60)
        XCTAssertEqual(months[1].lateCancellations, 2)
        XCTAssertEqual(Reports.total(months).lateCancelCharges, 110)
    }

    func testSettlementsSplitHoldsCapturesAndReleases() throws {
        let months = Reports.settlements(try MonthRange(from: "2030-03", to: "2030-05"), Self.march)
        XCTAssertEqual(months[0], Reports.SettlementMonth(
            month: "2030-03", holds: 3, held: 300, captures: 2, captured: 150, returnedOnCapture: 50, releases: 0, released: 0, blockedChange: 100))
        XCTAssertEqual(months[2].releases, 1)
        XCTAssertEqual(months[2].blockedChange, -100)
        let total = Reports.total(months)
        XCTAssertEqual(total.blockedChange, 0, "every hold of the range ended")
        // blocked_change is what the wallets' blocked credits did, by the statement's arithmetic.
        let blocked = Self.march.filter { $0.month <= "2030-05" }.map { $0.change(of: .userWallet).blocked }.reduce(0, +)
        XCTAssertEqual(total.blockedChange, blocked)
    }
}
