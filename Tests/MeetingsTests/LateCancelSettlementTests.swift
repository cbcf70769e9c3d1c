import Community
import Core
import Ledger
import XCTest

@testable import Meetings

/// The revenue report counts a capture settled by one of `Reports.lateCancelSettlements` as a
/// late-cancel charge: the lifecycle must capture on a user's cancellation or skip of a series
/// date only inside the window, and record that step's event (the capture's reason) under one of
/// those names.
final class LateCancelSettlementTests: XCTestCase {
    func testOnlyALateCancellationByTheUserCapturesUnderTheReportsName() throws {
        let agreed = LifecycleTableTests.states[2].1
        let start = LifecycleTableTests.start
        let cancel = Command.cancel(reasonCode: "illness", note: nil, confirmLate: true)
        let late = try Lifecycle.decide(agreed, cancel, by: .party(.user), now: start.adding(minutes: -60), settings: LifecycleTableTests.settings)
        XCTAssertTrue(late.ledger.contains { if case .capture = $0 { return true } else { return false } }, "\(late.ledger)")
        XCTAssertTrue(Reports.lateCancelSettlements.contains(late.events.first?.kind ?? ""), "\(late.events)")
        let skip = Command.skipOccurrence(confirmLate: true)
        let lateSkip = try Lifecycle.decide(agreed, skip, by: .party(.user), now: start.adding(minutes: -60), settings: LifecycleTableTests.settings)
        XCTAssertTrue(lateSkip.ledger.contains { if case .capture = $0 { return true } else { return false } }, "\(lateSkip.ledger)")
        XCTAssertTrue(Reports.lateCancelSettlements.contains(lateSkip.events.first?.kind ?? ""), "\(lateSkip.events)")
        let expertSkip = try Lifecycle.decide(agreed, skip, by: .party(.expert), now: start.adding(minutes: -60), settings: LifecycleTableTests.settings)
        XCTAssertFalse(expertSkip.ledger.contains { if case .capture = $0 { return true } else { return false } }, "an expert's skip never charges")

        let onTime = try Lifecycle.decide(agreed, cancel, by: .party(.user), now: start.adding(minutes: -7 * 24 * 60), settings: LifecycleTableTests.settings)
        XCTAssertFalse(onTime.ledger.contains { if case .capture = $0 { return true } else { return false } }, "on time, nothing is charged")
        let byExpert = try Lifecycle.decide(agreed, cancel, by: .party(.expert), now: start.adding(minutes: -60), settings: LifecycleTableTests.settings)
        XCTAssertFalse(byExpert.ledger.contains { if case .capture = $0 { return true } else { return false } }, "an expert's cancellation never charges")
    }
}
