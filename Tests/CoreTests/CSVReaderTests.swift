import XCTest

@testable import Core

final class CSVReaderTests: XCTestCase {
    func testQuotingLineEndsAndByteOrderMark() throws {
        let text = "\u{FEFF}name,notes\r\n\"Chemie, Grundkurs\",\"She said \"\"hi\"\"\"\r\nŽluťoučký kůň,\"two\nlines\"\n\nlast,row"
        let records = try CSVReader.parse(text)
        XCTAssertEqual(records.map(\.fields), [
            ["name", "notes"], ["Chemie, Grundkurs", "She said \"hi\""], ["Žluťoučký kůň", "two\nlines"], ["last", "row"],
        ])
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 6], "a record keeps the line it starts on; quoted line breaks count")
    }

    func testEmptyFieldsAndTrailingComma() throws {
        XCTAssertEqual(try CSVReader.parse("a,,c,\n").map(\.fields), [["a", "", "c", ""]])
    }

    func testMalformedQuotesNameTheLine() {
        XCTAssertThrowsError(try CSVReader.parse("a,b\nx\"y,z\n")) { XCTAssertEqual(($0 as? CSVError)?.line, 2) }
        XCTAssertThrowsError(try CSVReader.parse("a,b\n\"open,z\n")) { XCTAssertEqual(($0 as? CSVError)?.line, 2) }
        XCTAssertThrowsError(try CSVReader.parse("\"a\"b,c\n")) { XCTAssertEqual(($0 as? CSVError)?.message, "unexpected character after a closing quote") }
    }
}
