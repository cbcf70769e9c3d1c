import Core
import XCTest

@testable import RPC

/// The id of a message too large to read, from its first bytes.
final class RequestIdPeekTests: XCTestCase {
    func id(_ text: String) -> JSON? { RequestIdPeek.id(in: Array(text.utf8)) }

    func testAnIdWholeInTheFirstBytesIsRead() {
        XCTAssertEqual(id(#"{"jsonrpc":"2.0","id":"big1","method":"x","params":{"pad":"aaaa"#), .string("big1"))
        XCTAssertEqual(id(#" { "id" : 42 , "params": ["#), .int(42))
        XCTAssertEqual(id(#"{"id":null,"params":{"#), .null)
        XCTAssertEqual(id(#"{"id":"a\"b\\c","#), .string("a\"b\\c"), "escapes in the id")
        XCTAssertEqual(id(#"{"jsonrpc":"2.0","method":"m","params":{"id":"inner","x":[1,{"y":"}"}]},"id":7,"pad":"#), .int(7),
                       "an id inside params is not the request's")
        XCTAssertEqual(id("\u{FEFF}" + #"{"id":"big2","params":{"pad":"aaaa"#), .string("big2"), "after a frame body's byte-order mark")
    }

    func testAnIdNotWholeOrNotAnIdGivesNothing() {
        XCTAssertNil(id(#"{"jsonrpc":"2.0","params":{"pad":"aaaa"#), "the id comes later")
        XCTAssertNil(id(#"{"id":"unfinish"#), "cut inside the id")
        XCTAssertNil(id(#"{"id":12"#), "a number may go on")
        XCTAssertNil(id(#"{"id":{"a":1},"#), "an object is not an id")
        XCTAssertNil(id(#"{"id":1.5,"#), "a fraction is not an id this service answers")
        XCTAssertNil(id(#"[{"id":1},"#), "a batch has no one id")
        XCTAssertNil(id("not json"))
        XCTAssertNil(id(""))
    }
}
