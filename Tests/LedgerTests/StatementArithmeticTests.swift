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

    /// The balance after `entries` from `opening`, and the sum of their statement changes.
    static func replay(_ entries: [(EntrySide, TransferPhase, Int64, Int64?)], from opening: Balance) -> (Balance, BalanceChange) {
        var balance = opening
        var sum = BalanceChange.zero
        for (side, phase, amount, pending) in entries {
            balance = apply(balance, side: side, phase: phase, amount: amount, pendingAmount: pending)
            sum = sum + StatementArithmetic.change(side: side, phase: phase, amount: amount, pendingAmount: pending)
        }
        return (balance, sum)
    }

    func testEveryMovementChangesPostedBlockedAndIncomingAsTheLedgerRecordsIt() {
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
        XCTAssertEqual(StatementArithmetic.change(side: .credit, phase: .pending, amount: 100, pendingAmount: nil), BalanceChange(posted: 0, blocked: 0, incoming: 100),
                       "an expert's incoming credits block nothing of theirs: they are incoming")
        XCTAssertEqual(StatementArithmetic.change(side: .credit, phase: .postPending, amount: 50, pendingAmount: 100),
                       BalanceChange(posted: 50, blocked: 0, incoming: -100), "the expert's side of the charge: 50 posted, the whole 100 no longer incoming")
    }

    /// A wallet's month: the change columns summed equal closing less opening.
    func testColumnsSumToClosingLessOpening() {
        let opening = Balance(debitsPosted: 0, creditsPosted: 300, debitsPending: 0, creditsPending: 0)
        let entries: [(EntrySide, TransferPhase, Int64, Int64?)] = [
            (.credit, .posted, 200, nil), (.debit, .pending, 100, nil), (.debit, .pending, 80, nil), (.debit, .postPending, 100, 100),
            (.debit, .postPending, 40, 80), (.debit, .pending, 60, nil), (.debit, .voidPending, 60, 60), (.debit, .posted, 15, nil),
        ]
        let (balance, sum) = Self.replay(entries, from: opening)
        XCTAssertEqual(sum, .between(opening, balance))
        XCTAssertEqual(sum.posted, 200 - 100 - 40 - 15)
        XCTAssertEqual(sum.blocked, 0)
        XCTAssertEqual(sum.available, balance.available - opening.available)
        XCTAssertEqual(BalanceChange.between(opening, balance).json, ["posted": 45, "blocked": 0, "available": 45, "incoming": 0])
    }

    /// An expert's earnings over a month: holds come in as incoming, a capture posts (the whole
    /// hold leaves incoming, even a partial one), a release takes a hold away, fees and a payout
    /// leave posted credits; the incoming column sums to closing less opening too.
    func testAnExpertsIncomingColumnSumsToClosingLessOpening() {
        let opening = Balance(debitsPosted: 20, creditsPosted: 200, debitsPending: 0, creditsPending: 100)
        let entries: [(EntrySide, TransferPhase, Int64, Int64?)] = [
            (.credit, .pending, 80, nil), (.credit, .postPending, 100, 100), (.debit, .posted, 10, nil), (.credit, .pending, 60, nil),
            (.credit, .postPending, 40, 80), (.debit, .posted, 4, nil), (.credit, .voidPending, 60, 60), (.debit, .posted, 300, nil),
        ]
        let (balance, sum) = Self.replay(entries, from: opening)
        XCTAssertEqual(sum, .between(opening, balance))
        XCTAssertEqual(sum.incoming, 80 - 100 + 60 - 80 - 60)
        XCTAssertEqual(balance.incoming, 0, "every hold settled")
        XCTAssertEqual(sum.posted, 100 - 10 + 40 - 4 - 300)
        XCTAssertEqual(sum.blocked, 0, "an earnings account blocks nothing")
    }
}
