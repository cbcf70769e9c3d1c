import XCTest

@testable import Pipeline

/// Which writes a standby must show before it answers a read of this process.
final class ReadRoutingTests: XCTestCase {
    func testAStandbyMustShowTheWritesOfTheLastMessageThatWrote() {
        let routing = ReadRouting(conninfo: "host=/nowhere")
        XCTAssertEqual(routing.mustSee, [], "nothing written yet: any standby may answer")
        routing.nextMessage()
        routing.wrote(transactionId: "100")
        routing.wrote(transactionId: "98")
        XCTAssertEqual(routing.mustSee, ["100", "98"], "a batch's writes commit in any order: all of them")
        routing.nextMessage()
        XCTAssertEqual(routing.mustSee, ["100", "98"], "a message that only reads keeps the last writes")
        routing.nextMessage()
        routing.wrote(transactionId: "140")
        XCTAssertEqual(routing.mustSee, ["140"], "a later write vouches for every earlier message's")
    }

    func testAnAnswerFromTheStoreSendsReadsToThePrimaryUntilTheNextWrite() {
        let routing = ReadRouting(conninfo: "host=/nowhere")
        routing.nextMessage()
        routing.wrote(transactionId: "7")
        routing.answeredFromStore()
        XCTAssertNil(routing.mustSee, "a write in a transaction this process does not know")
        routing.nextMessage()
        XCTAssertNil(routing.mustSee, "still unknown in a message that only reads")
        routing.nextMessage()
        routing.wrote(transactionId: "9")
        XCTAssertEqual(routing.mustSee, ["9"])
    }

    /// A batch's entries commit in any order: one answered from its stored response (a write
    /// whose transaction this process does not know) is not vouched for by another entry's
    /// write, only by a later message's.
    func testAStoredAnswerInABatchIsNotVouchedForByTheBatchsOwnWrite() {
        let routing = ReadRouting(conninfo: "host=/nowhere")
        routing.nextMessage()
        routing.answeredFromStore()
        routing.wrote(transactionId: "200")
        XCTAssertNil(routing.mustSee, "the stored answer's write may commit after the batch's other writes: the primary answers")
        routing.nextMessage()
        XCTAssertNil(routing.mustSee, "a message that only reads changes nothing")
        routing.nextMessage()
        routing.wrote(transactionId: "210")
        XCTAssertEqual(routing.mustSee, ["210"], "a later message's write comes after it in the WAL")
        routing.nextMessage()
        routing.wrote(transactionId: "220")
        routing.answeredFromStore()
        XCTAssertNil(routing.mustSee, "in either order")
    }
}
