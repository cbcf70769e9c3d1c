import Core
import RPC
import XCTest

@testable import Pipeline

/// Keyset cursors: opaque, tied to the list they were handed out for, and refused in any other
/// shape (SPEC §3.3: a forged or foreign cursor is invalid params, never a place in a list).
final class PaginationTests: XCTestCase {
    static let key: [Page.KeyPart] = [.time, .text]

    func params(_ fields: [String: JSON], method: String = "meeting.list") -> Params { Params(fields: fields, method: method) }

    func refusal(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> AppError? {
        do {
            try body()
            XCTFail("expected a refusal", file: file, line: line)
            return nil
        } catch let e as AppError {
            XCTAssertEqual(e.code, .invalidParams, file: file, line: line)
            XCTAssertEqual(e.details["field"], "cursor", file: file, line: line)
            return e
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    func testACursorComesBackAsTheKeyItWasMadeAfter() throws {
        let first = params(["actor": "per_a", "status": "agreed"])
        let cursor = Page.cursor(after: ["2030-03-04T10:00:00Z", "mtg_1"], for: first)
        XCTAssertTrue(cursor.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "lower-case hex: \(cursor)")
        let next = try Page(params(["actor": "per_a", "status": "agreed", "cursor": .string(cursor), "limit": 10]), key: Self.key)
        XCTAssertEqual(next.after, ["2030-03-04T10:00:00Z", "mtg_1"], "only limit may change between pages")
        XCTAssertEqual(next.limit, 10)
        XCTAssertEqual(next.afterString(1), "mtg_1")
        XCTAssertNil(next.afterString(2))
        XCTAssertNil(try Page(first, key: Self.key).after, "no cursor: the first page")
        XCTAssertEqual(try Page(first, key: Self.key).limit, Page.defaultLimit)
    }

    /// A page of large items stops once they come to Page.maxItemBytes, with a cursor after the
    /// last one shown: a list of meetings with long agenda answers was built whole (255 MB) and
    /// then refused as too large. A first item larger than that is shown alone.
    func testAPageOfLargeItemsStopsEarlyWithACursor() throws {
        let page = try Page(params(["actor": "per_a", "limit": 10]), key: Self.key)
        let big = String(repeating: "x", count: Page.maxItemBytes / 3)
        let items: [JSON] = (0..<5).map { ["id": .string("mtg_\($0)"), "topic": .string(big)] }
        let answer = page.result(items) { [.string("2030-03-04T10:00:00Z"), $0["id"]!] }
        XCTAssertEqual(answer["items"]?.arrayValue?.count, 2, "two fit in 4 MiB, the third does not")
        let next = try Page(params(["actor": "per_a", "limit": 10, "cursor": answer["next_cursor"]!]), key: Self.key)
        XCTAssertEqual(next.afterString(1), "mtg_1", "the next page starts after the last item shown")

        let huge: [JSON] = [["id": "mtg_0", "topic": .string(String(repeating: "x", count: Page.maxItemBytes + 1))], ["id": "mtg_1"]]
        let alone = page.result(huge) { [.string("2030-03-04T10:00:00Z"), $0["id"]!] }
        XCTAssertEqual(alone["items"]?.arrayValue?.count, 1)
        XCTAssertNotEqual(alone["next_cursor"], .null)
        let small = page.result([["id": "mtg_0"], ["id": "mtg_1"]]) { [.string("2030-03-04T10:00:00Z"), $0["id"]!] }
        XCTAssertEqual(small["items"]?.arrayValue?.count, 2)
        XCTAssertEqual(small["next_cursor"], .null, "a short list has no next page")
    }

    /// A page keyed by its items' own fields reads them for the cursor of a page that goes on;
    /// an item without one is an internal error (the list's own columns), where the key was an
    /// unwrap that stopped the process.
    func testAPageKeyedByItsItemsFieldsReadsThemOrSaysItCannot() throws {
        let page = try Page(params(["actor": "per_a", "limit": 1]), key: Self.key)
        let answer = try page.result([["at": "2030-03-04T10:00:00Z", "id": "mtg_1"], ["at": "2030-03-04T11:00:00Z", "id": "mtg_2"]], keyFields: "at", "id")
        let next = try Page(params(["actor": "per_a", "limit": 1, "cursor": answer["next_cursor"]!]), key: Self.key)
        XCTAssertEqual(next.after, ["2030-03-04T10:00:00Z", "mtg_1"])
        XCTAssertEqual(try page.resultFields([["id": "mtg_1"]], keyFields: "at", "id")["next_cursor"], .null, "one page: no key read")
        XCTAssertThrowsError(try page.resultFields([["id": "mtg_1"], ["id": "mtg_2"]], keyFields: "at", "id")) { error in
            XCTAssertEqual((error as? AppError)?.code, .internalError)
        }
    }

    func testTheSameListWrittenAnotherWayKeepsItsCursors() throws {
        let cursor = Page.cursor(after: ["2030-03-04T10:00:00Z", "mtg_1"], for: params(["actor": "per_a", "from": "2030-03-04T12:00:00+02:00", "limit": 5]))
        let same = params(["actor": "per_a", "from": "2030-03-04T10:00:00Z", "status": nil, "format": "csv", "cursor": .string(cursor)])
        XCTAssertEqual(try Page(same, key: Self.key).after?.count, 2, "a time in another offset, a null param and the format are the same list")
    }

    func testACursorOfAnotherListIsRefusedAsSuch() {
        let cursor = Page.cursor(after: ["2030-03-04T10:00:00Z", "mtg_1"], for: params(["actor": "per_a", "status": "agreed"]))
        let others = [
            params(["actor": "per_a", "status": "cancelled", "cursor": .string(cursor)]),
            params(["actor": "per_b", "status": "agreed", "cursor": .string(cursor)]),
            params(["actor": "per_a", "status": "agreed", "cursor": .string(cursor)], method: "series.list"),
        ]
        for other in others {
            let e = refusal { _ = try Page(other, key: Self.key) }
            XCTAssertTrue(e?.message.contains("belongs to another list") ?? false, "\(String(describing: e))")
        }
    }

    func testAForgedCursorIsRefused() {
        let scope = Page.scope(params(["actor": "per_a"]))
        let good = Page.cursor(scope: scope, after: ["2030-03-04T10:00:00Z", "mtg_1"])
        let forged = [
            String(good.dropLast()),  // odd length
            good.uppercased(),  // not the hex it hands out
            "zz" + good.dropFirst(2),  // not hex
            Page.cursor(scope: scope, after: ["2030-03-04T10:00:00Z"]),  // too short
            Page.cursor(scope: scope, after: ["2030-03-04T10:00:00Z", "mtg_1", 3]),  // too long
            Page.cursor(scope: scope, after: ["not a time", "mtg_1"]),
            Page.cursor(scope: scope, after: ["2030-03-04T10:00:00Z", 7]),
            Page.encode([JSON.object(["a": 1])]),  // not an array of the scope first
        ]
        for cursor in forged {
            let e = refusal { _ = try Page(params(["actor": "per_a", "cursor": .string(cursor)]), key: Self.key) }
            XCTAssertEqual(e?.details["reason"], "is not a cursor returned by this method", cursor)
        }
    }

    func testAKeyWithoutItsListIsRefused() {
        let bare = Page.encode(["2030-03-04T10:00:00Z", "mtg_1"])
        XCTAssertNotNil(refusal { _ = try Page(params(["actor": "per_a", "cursor": .string(bare)]), key: Self.key) })
    }

    func testAPageHasANextCursorOnlyWhenMoreRowsFollow() throws {
        let p = params(["actor": "per_a", "limit": 2])
        let page = try Page(p, key: [.integer])
        let full = page.result([["n": 1], ["n": 2], ["n": 3]]) { [$0["n"]!] }
        XCTAssertEqual(full["items"]?.arrayValue?.count, 2, "limit + 1 rows read, limit shown")
        let next = try XCTUnwrap(full["next_cursor"]?.stringValue)
        XCTAssertEqual(try Page(params(["actor": "per_a", "limit": 2, "cursor": .string(next)]), key: [.integer]).after, [2], "after the last row shown")
        let last = page.result([["n": 1], ["n": 2]]) { [$0["n"]!] }
        XCTAssertEqual(last["next_cursor"], .null, "exactly limit rows: the last page")
        XCTAssertEqual(page.result([]) { [$0["n"]!] }["items"], [])
    }

    /// The longest cursor a meeting list hands out (two snapshots of as many open transactions
    /// as a cursor holds, each numbered as far from xmin as a number goes) is one its cursor
    /// param takes back.
    func testTheLongestMeetingListCursorIsOneTheParamTakes() {
        let far = Int64.max - 1
        let snapshot = TransactionSnapshot(text: "1:\(far):" + (0..<TransactionSnapshot.maxInProgress).map { String(far - 1 - Int64(TransactionSnapshot.maxInProgress) + Int64($0)) }.joined(separator: ","))
        XCTAssertNotNil(snapshot)
        let cursor = snapshot?.cursor ?? ""
        let key: [JSON] = [.int(2), .string("2030-03-04T12:00:00Z"), .string("mtg_" + String(repeating: "f", count: 32)), .string(cursor), .string(cursor),
                           .int(Int64.max), .string("2030-03-04T12:00:00.000000Z")]
        let text = Page.cursor(scope: String(repeating: "0", count: 16), after: key)
        XCTAssertLessThanOrEqual(text.count, Page.maxCursorCharacters, "\(text.count) characters")
        XCTAssertGreaterThan(text.count, Page.maxCursorCharacters / 2, "the bound is not far past it either")
    }
}
