import Core
import XCTest

@testable import Ledger

/// A statement's columns sum to the change they show: every movement's effect on each side,
/// replayed over an account's four sums, lands exactly on the balance the ledger records after it.
final class StatementArithmeticTests: XCTestCase {
    /// The four sums after a movement, as ledger_transfer / ledger_resolve record them.
    static func apply(_ b: Balance, side: EntrySide, phase: TransferPhase, amount: Int64, pendingAmount: Int64?) -> Balance {
        var n = b
        let hold = pendingAmount ?? amount
        switch (side, phase) {
        case (.debit, .posted): n.debitsPosted += amount
        case (.debit, .pending): n.debitsPending += amount
        case (.debit, .postPending): n.debitsPosted += amount; n.debitsPending -= hold
        case (.debit, .voidPending): n.debitsPending -= hold
        case (.credit, .posted): n.creditsPosted += amount
        case (.credit, .pending): n.creditsPending += amount
        case (.credit, .postPending): n.creditsPosted += amount; n.creditsPending -= hold
        case (.credit, .voidPending): n.creditsPending -= hold
        }
        return n
    }

    func testEveryMovementChangesPostedAndBlockedAsTheLedgerRecordsIt() {
        let start = Balance(debitsPosted: 10, creditsPosted: 500, debitsPending: 100, creditsPending: 40)
        for side in [EntrySide.debit, .credit] {
            for phase in TransferPhase.allCases {
                let pending: Int64? = [.postPending, .voidPending].contains(phase) ? 100 : nil
                let amount: Int64 = phase == .postPending ? 60 : (phase == .voidPending ? 100 : 25)
                let after = Self.apply(start, side: side, phase: phase, amount: amount, pendingAmount: pending)
                XCTAssertEqual(
                    StatementArithmetic.change(side: side, phase: phase, amount: amount, pendingAmount: pending), .between(start, after),
                    "\(side) \(phase)")
            }
        }
    }

    func testAPartialCaptureUnblocksTheWholeHold() {
        // A late cancellation charging 50 of a 100-credit hold: 50 leave for good, all 100 are unblocked.
        let change = StatementArithmetic.change(side: .debit, phase: .postPending, amount: 50, pendingAmount: 100)
        XCTAssertEqual(change, BalanceChange(posted: -50, blocked: -100))
        XCTAssertEqual(change.available, 50, "the 50 returned become available again")
        XCTAssertEqual(StatementArithmetic.change(side: .credit, phase: .pending, amount: 100, pendingAmount: nil), .zero,
                       "an expert's incoming credits block nothing of theirs")
    }

    /// A wallet's month: the change columns summed equal closing less opening.
    func testColumnsSumToClosingLessOpening() {
        let opening = Balance(debitsPosted: 0, creditsPosted: 300, debitsPending: 0, creditsPending: 0)
        let entries: [(EntrySide, TransferPhase, Int64, Int64?)] = [
            (.credit, .posted, 200, nil), (.debit, .pending, 100, nil), (.debit, .pending, 80, nil), (.debit, .postPending, 100, 100),
            (.debit, .postPending, 40, 80), (.debit, .pending, 60, nil), (.debit, .voidPending, 60, 60), (.debit, .posted, 15, nil),
        ]
        var balance = opening
        var sum = BalanceChange.zero
        for (side, phase, amount, pending) in entries {
            balance = Self.apply(balance, side: side, phase: phase, amount: amount, pendingAmount: pending)
            sum = sum + StatementArithmetic.change(side: side, phase: phase, amount: amount, pendingAmount: pending)
        }
        XCTAssertEqual(sum, .between(opening, balance))
        XCTAssertEqual(sum.posted, 200 - 100 - 40 - 15)
        XCTAssertEqual(sum.blocked, 0)
        XCTAssertEqual(sum.available, balance.available - opening.available)
        XCTAssertEqual(BalanceChange.between(opening, balance).json, ["posted": 45, "blocked": 0, "available": 45])
    }
}
