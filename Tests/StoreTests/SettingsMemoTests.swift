import Community
import Core
import XCTest

@testable import Store

/// Settings read once per distinct stored document: an equal document gives the settings read
/// before, any other document its own, and an invalid one fails every time.
final class SettingsMemoTests: XCTestCase {
    static func document(slot: Int64, tag: String) -> JSON {
        ["slot_minutes": .int(slot), "time_zone": "UTC", "office_email": .string("office-\(tag)@example.org")]
    }

    func testEachDocumentGivesItsOwnSettings() throws {
        let tag = UUID().uuidString.lowercased()
        let a = Self.document(slot: 30, tag: tag), b = Self.document(slot: 15, tag: tag)
        XCTAssertEqual(try SettingsMemo.settings(stored: a).slotMinutes, 30)
        XCTAssertEqual(try SettingsMemo.settings(stored: b).slotMinutes, 15, "not the settings of the document read just before")
        XCTAssertEqual(try SettingsMemo.settings(stored: a).slotMinutes, 30)
        // More distinct documents than the memo keeps: every one still reads as itself.
        for slot in Int64(5)...Int64(5 + 2 * Int64(SettingsMemo.capacity)) {
            XCTAssertEqual(try SettingsMemo.settings(stored: Self.document(slot: slot, tag: tag)).slotMinutes, slot)
        }
        XCTAssertEqual(try SettingsMemo.settings(stored: b).slotMinutes, 15)
    }

    func testAnInvalidDocumentFailsEveryTime() {
        let bad: JSON = ["slot_minutes": 1]
        for _ in 0..<2 { XCTAssertThrowsError(try SettingsMemo.settings(stored: bad)) }
    }

    func testReadersOnManyThreadsGetTheirOwnDocumentsSettings() throws {
        let tag = UUID().uuidString.lowercased()
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let slot = Int64(5 + i % 40)
            if (try? SettingsMemo.settings(stored: SettingsMemoTests.document(slot: slot, tag: tag)).slotMinutes) != slot { failures.withLock { $0 += 1 } }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }
}
