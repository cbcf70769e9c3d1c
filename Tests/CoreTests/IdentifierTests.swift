import XCTest

@testable import Core

/// Ids: a UUIDv7 layout behind a type prefix, time-ordered by their first 48 bits, the other
/// 74 bits (beside version and variant) random.
final class IdentifierTests: XCTestCase {
    func bytes(_ id: String) -> [UInt8] {
        let hex = Array(id.split(separator: "_")[1].utf8)
        return stride(from: 0, to: 32, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    func testTheLayout() {
        let now = Instant(microseconds: 1_893_456_000_123_456)
        let id = Identifier.make(.meeting, now: now)
        XCTAssertTrue(Identifier.isValid(id, kind: .meeting), id)
        let b = bytes(id)
        let ms = b[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        XCTAssertEqual(ms, 1_893_456_000_123)
        XCTAssertEqual(b[6] >> 4, 7, "version 7")
        XCTAssertEqual(b[8] >> 6, 2, "variant 10")
        XCTAssertLessThan(id, Identifier.make(.meeting, now: Instant(microseconds: now.microseconds + 1000)), "time-ordered")
    }

    /// Every random bit takes both values across a few thousand ids, and no id repeats: none of
    /// the random bytes is left fixed.
    func testEveryRandomBitVaries() {
        let now = Instant(microseconds: 1_893_456_000_000_000)
        var seen = Set<String>()
        var ones = [Int](repeating: 0, count: 128)
        let count = 4000
        for _ in 0..<count {
            let id = Identifier.make(.transfer, now: now)
            XCTAssertTrue(seen.insert(id).inserted, "repeated \(id)")
            for (i, byte) in bytes(id).enumerated() {
                for bit in 0..<8 where byte & (1 << bit) != 0 { ones[i * 8 + bit] += 1 }
            }
        }
        let fixed = Set(0..<48).union([52, 53, 54, 55, 70, 71])  // time; version (byte 6, high nibble); variant (byte 8, top bits)
        for bit in 0..<128 where !fixed.contains(bit) {
            XCTAssertTrue((count / 4...count * 3 / 4).contains(ones[bit]), "bit \(bit) was set in \(ones[bit]) of \(count) ids")
        }
    }
}
