import Core
import XCTest

@testable import Ledger

final class FeesTests: XCTestCase {
    func testPlatformFeeRoundsDown() {
        XCTAssertEqual(Fees.platformFee(captured: 100, percent: 10), 10)
        XCTAssertEqual(Fees.platformFee(captured: 99, percent: 10), 9)
        XCTAssertEqual(Fees.platformFee(captured: 1, percent: 99), 0)
        XCTAssertEqual(Fees.platformFee(captured: 0, percent: 50), 0)
        XCTAssertEqual(Fees.platformFee(captured: 1_000_000_000_000, percent: 100), 1_000_000_000_000)
    }

    func testLateCancelChargeRoundsDown() {
        XCTAssertEqual(Fees.lateCancelCharge(price: 100, percent: 100), 100)
        XCTAssertEqual(Fees.lateCancelCharge(price: 75, percent: 50), 37)
        XCTAssertEqual(Fees.lateCancelCharge(price: 75, percent: 0), 0)
    }

    func testBalanceFiguresFollowTheFourSums() {
        let b = Balance(debitsPosted: 30, creditsPosted: 100, debitsPending: 20, creditsPending: 5)
        XCTAssertEqual(b.posted, 70)
        XCTAssertEqual(b.blocked, 20)
        XCTAssertEqual(b.available, 50)
        XCTAssertEqual(b.incoming, 5)
        XCTAssertEqual(Balance.zero.available, 0)
    }
}
