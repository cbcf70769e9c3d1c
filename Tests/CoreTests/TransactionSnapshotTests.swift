import XCTest

@testable import Core

/// Snapshots come back from callers inside cursors: only what PostgreSQL writes, or its cursor
/// form, is read, and a bounded one never sees more than the snapshot it bounds.
final class TransactionSnapshotTests: XCTestCase {
    func testReadsWhatPostgreSQLWritesAndItsCursorForm() throws {
        let s = try XCTUnwrap(TransactionSnapshot(text: "740:752:741,745,750"))
        XCTAssertEqual(s.xmin, 740)
        XCTAssertEqual(s.xmax, 752)
        XCTAssertEqual(s.inProgress, [741, 745, 750])
        XCTAssertEqual(s.text, "740:752:741,745,750")
        XCTAssertEqual(s.cursor, "740:12:1,5,10", "offsets from xmin")
        XCTAssertEqual(TransactionSnapshot(cursor: s.cursor), s)
        XCTAssertEqual(TransactionSnapshot(text: "5:5:")?.cursor, "5:0:")
    }

    func testRefusesWhatPgSnapshotWouldRefuseOrCouldNotHaveWritten() {
        for text in [
            "", "1:2", "1:2:3:4", "0:5:", "6:5:", "1:5:5", "3:9:2", "3:9:4,4", "3:9:6,4", "a:5:", "1:5:+2", "-1:5:", "1:5: 2",
            "1:5:2,", "1:5:,2", "1:99999999999999999999:", "1:9223372036854775808:", "\u{0660}:5:", String(repeating: "1", count: 200_001),
        ] {
            XCTAssertNil(TransactionSnapshot(text: text), "\(text.prefix(40)) is not a snapshot")
        }
        // PostgreSQL refuses an xmin or xmax of 0 in its low 32 bits (it answered -32603).
        for text in ["4294967296:4294967300:", "4294967290:8589934592:", "4294967290:4294967300:4294967296"] {
            XCTAssertNil(TransactionSnapshot(text: text), text)
        }
        XCTAssertNotNil(TransactionSnapshot(text: "4294967290:4294967300:4294967299"), "an epoch's first ids after 2")
        for cursor in ["", "0:0:", "5:-1:", "1:5:5", "1:5:3,2", "1:5:2,2", "9223372036854775807:1:", "1:x:", "1:5:1,", "4294967296:0:"] {
            XCTAssertNil(TransactionSnapshot(cursor: cursor), "\(cursor) is not a cursor's snapshot")
        }
        let many = (0...TransactionSnapshot.maxInProgress).map(String.init).joined(separator: ",")
        XCTAssertNil(TransactionSnapshot(cursor: "1:\(TransactionSnapshot.maxInProgress + 1):" + many), "more in progress than a cursor holds")
    }

    func testABoundedSnapshotSeesNoMoreThanTheOneItBounds() throws {
        let many = (1...60).map { Int64(100 + 2 * $0) }
        let s = TransactionSnapshot(xmin: 100, xmax: 300, inProgress: many)
        let b = s.bounded(maxInProgress: 50)
        XCTAssertEqual(b.inProgress.count, 50)
        XCTAssertEqual(b.xmax, many[50], "everything from the first left out is not seen")
        XCTAssertNotNil(TransactionSnapshot(text: b.text), "still a snapshot PostgreSQL reads")
        func sees(_ s: TransactionSnapshot, _ xid: Int64) -> Bool { xid < s.xmin || (xid < s.xmax && !s.inProgress.contains(xid)) }
        for xid in Int64(90)...310 where sees(b, xid) {
            XCTAssertTrue(sees(s, xid), "\(xid) seen by the bounded one only")
        }
        XCTAssertEqual(TransactionSnapshot(xmin: 1, xmax: 9, inProgress: [2, 3]).bounded(maxInProgress: 50).text, "1:9:2,3", "short ones stay")
    }
}
