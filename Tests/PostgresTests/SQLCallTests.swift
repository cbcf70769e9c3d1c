import Core
import XCTest

@testable import Postgres

/// A document bound for a jsonb cast is written without sorting its keys (jsonb orders them its
/// own way); any other JSON parameter keeps the sorted, deterministic text.
final class SQLCallTests: XCTestCase {
    let document: JSON = .object([
        "zeta": .int(1), "alpha": .array([.object(["y": .string("é\n"), "b": .null])]), "mid": .object(["k2": .bool(true), "k1": .int(-3)]),
    ])

    func testAJSONBArgumentCarriesTheSameDocument() throws {
        let argument = SQLCall.Argument(document, "jsonb")
        XCTAssertTrue(argument.value is JSONBText)
        let text = try XCTUnwrap(argument.value.postgresText)
        XCTAssertEqual(try JSONParser.parse(text), document, "the same keys and values in whatever order")
        XCTAssertEqual(try JSONParser.parse(document.serialized(sortingKeys: false)), document)
    }

    func testOtherJSONParametersStaySorted() {
        XCTAssertEqual(SQLCall.Argument(document, "text").value.postgresText, document.serialized())
        XCTAssertEqual(document.postgresText, document.serialized())
        XCTAssertTrue(document.serialized().hasPrefix("{\"alpha\":[{\"b\":null,\"y\":\"é\\n\"}],\"mid\":{\"k1\":-3,\"k2\":true}"))
    }
}
