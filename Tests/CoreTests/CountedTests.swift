import Core
import XCTest

final class CountedTests: XCTestCase {
    /// "1 days ahead", "the 1 credits": a number of one takes the singular.
    func testOneTakesTheSingular() {
        XCTAssertEqual(Counted.words(1, "day"), "1 day")
        XCTAssertEqual(Counted.words(0, "credit"), "0 credits")
        XCTAssertEqual(Counted.words(2, "hour"), "2 hours")
        XCTAssertEqual(Counted.words(-1, "credit"), "-1 credits")
        XCTAssertEqual(Counted.words(3, "person", plural: "people"), "3 people")
    }
}
