import Core
import XCTest

/// Trimming goes scalar by scalar, so a set holding "\r\n" trims either alone.
final class StringTrimmingTests: XCTestCase {
    func testTrimsEachScalarOfTheSetAtBothEnds() {
        XCTAssertEqual(" \tbank-7\t ".trimmingCharacters(in: " \t"), "bank-7")
        XCTAssertEqual("\nbank-7\r".trimmingCharacters(in: " \t\r\n"), "bank-7")
        XCTAssertEqual("\r\nbank-7\r\n".trimmingCharacters(in: " \t\r\n"), "bank-7")
        XCTAssertEqual("bank 7".trimmingCharacters(in: " "), "bank 7", "only the ends")
        XCTAssertEqual(" \t ".trimmingCharacters(in: " \t"), "")
        XCTAssertEqual("é ".trimmingCharacters(in: " "), "é")
    }
}
