import Core
import Rendering
import XCTest

final class DeliveryRuleTests: XCTestCase {
    let now = Instant(microseconds: 1_900_000_000_000_000)

    func leased(_ attempts: Int64, owner: String? = "mail") -> DeliveryRule.Leased { .init(status: "leased", owner: owner, attempts: attempts) }

    func testTheBackOffDoublesFromThirtySecondsToAnHour() {
        XCTAssertEqual((0...9).map { DeliveryRule.backoffSeconds(attempts: $0) }, [30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
        XCTAssertEqual(DeliveryRule.backoffTable.count, Int(DeliveryRule.maxAttempts) + 1)
    }

    func testAFailedAttemptWaitsItsBackOffOrTheReceiversLongerRetryAfter() throws {
        XCTAssertEqual(try DeliveryRule.failure(of: leased(3), consumer: nil, retryAfterSeconds: nil, now: now), .init(dead: false, availableAt: now.adding(seconds: 120)))
        XCTAssertEqual(try DeliveryRule.failure(of: leased(3), consumer: "mail", retryAfterSeconds: 600, now: now), .init(dead: false, availableAt: now.adding(seconds: 600)))
        XCTAssertEqual(try DeliveryRule.failure(of: leased(3), consumer: nil, retryAfterSeconds: 5, now: now), .init(dead: false, availableAt: now.adding(seconds: 120)))
    }

    func testTheLastAttemptSetsTheMessageAsideAsDeadNow() throws {
        XCTAssertEqual(try DeliveryRule.failure(of: leased(7), consumer: nil, retryAfterSeconds: nil, now: now).dead, false)
        XCTAssertEqual(try DeliveryRule.failure(of: leased(8), consumer: nil, retryAfterSeconds: 86_400, now: now), .init(dead: true, availableAt: now))
    }

    func testOnlyALeasedMessageFailsAndOnlyForItsHolder() {
        for status in ["pending", "done", "dead", "cancelled"] {
            XCTAssertThrowsError(try DeliveryRule.failure(of: .init(status: status, owner: nil, attempts: 1), consumer: nil, retryAfterSeconds: nil, now: now)) {
                XCTAssertEqual(($0 as? AppError)?.code, .invalidState)
                XCTAssertEqual(($0 as? AppError)?.details["status"], .string(status))
            }
        }
        XCTAssertThrowsError(try DeliveryRule.failure(of: leased(2, owner: "push"), consumer: "mail", retryAfterSeconds: nil, now: now)) {
            XCTAssertEqual(($0 as? AppError)?.message, "The message is leased to another consumer; leave it to them")
        }
        XCTAssertNoThrow(try DeliveryRule.failure(of: leased(2, owner: "push"), consumer: nil, retryAfterSeconds: nil, now: now), "no consumer named: any lease")
    }
}
