import Core
import Scheduling
import XCTest

final class ListingCutTests: XCTestCase {
    private let nine = utc("2026-03-02T09:00:00Z"), ten = utc("2026-03-02T10:00:00Z"), eleven = utc("2026-03-02T11:00:00Z")

    func testEverythingFits() {
        XCTAssertNil(listingCut(starts: [], maxItems: 1))
        XCTAssertNil(listingCut(starts: [ten, nine, eleven], maxItems: 3))
    }

    /// The cut is the start of the first period left out, whatever order the lists came in:
    /// what starts before it is at most the bound.
    func testCutsAtTheFirstStartLeftOut() {
        XCTAssertEqual(listingCut(starts: [eleven, nine, ten], maxItems: 2), eleven)
        XCTAssertEqual(listingCut(starts: [eleven, nine, ten], maxItems: 1), ten)
        XCTAssertEqual(listingCut(starts: [nine, ten, ten, eleven], maxItems: 2), ten, "periods starting together are left out together")
    }

    /// More periods at the earliest start than the bound: they all come, so an answer is never
    /// empty and asking again from the cut always moves on.
    func testNeverCutsAtTheEarliestStart() {
        XCTAssertEqual(listingCut(starts: [nine, nine, nine, ten], maxItems: 2), ten)
        XCTAssertNil(listingCut(starts: [nine, nine, nine], maxItems: 2))
    }
}
