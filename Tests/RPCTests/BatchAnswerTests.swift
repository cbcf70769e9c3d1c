import Core
import Foundation
import XCTest

@testable import RPC

/// The bound on a batch's answer (`Limits.maxAnswerBytes`): what fits is answered, what does
/// not is answered with an error to send it again, and no change that was made is hidden.
final class BatchAnswerTests: XCTestCase {
    /// The `tag`s of the writes that ran.
    final class Writes: @unchecked Sendable {
        private let lock = NSLock()
        private var tags: [Int64] = []
        func add(_ tag: Int64) { lock.withLock { tags.append(tag) } }
        var all: Set<Int64> { lock.withLock { Set(tags) } }
    }

    let writes = Writes()

    /// `test.read` answers `bytes` characters and changes nothing; `test.write` records its tag
    /// and answers `bytes` characters.
    func dispatcher(maxAnswerBytes: Int) -> Dispatcher {
        var limits = Limits()
        limits.maxAnswerBytes = maxAnswerBytes
        let fields: [Schema.Field] = [.init("bytes", .integer(min: 0, max: 100_000), required: true), .init("tag", .integer(min: 0, max: 1_000_000))]
        let read = MethodSpec(name: "test.read", summary: "read", access: .anyone, mutating: false, params: fields, result: .text()) { params in
            .string(String(repeating: "r", count: Int(try params.int("bytes"))))
        }
        let write = MethodSpec(name: "test.write", summary: "write", access: .anyone, mutating: true, params: fields, result: .text()) { [writes] params in
            writes.add(params.optionalInt("tag") ?? 0)
            return .string(String(repeating: "w", count: Int(try params.int("bytes"))))
        }
        return Dispatcher(methods: [read, write], limits: limits, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
    }

    static func call(_ method: String, id: JSON?, bytes: Int, tag: Int64 = 0) -> JSON {
        var request: [String: JSON] = ["jsonrpc": "2.0", "method": .string(method), "params": ["bytes": .int(Int64(bytes)), "tag": .int(tag)]]
        if let id { request["id"] = id }
        return .object(request)
    }

    func answer(_ d: Dispatcher, _ message: JSON) throws -> (bytes: Int, value: JSON?) {
        guard let text = d.handle(message: Array(message.serialized().utf8)) else { return (0, nil) }
        return (text.utf8.count, try JSONParser.parse(Array(text.utf8)))
    }

    func testEntriesAfterTheBoundAreNotRunAndSaySo() throws {
        let d = dispatcher(maxAnswerBytes: 3500)
        let batch: [JSON] = [
            Self.call("test.read", id: 1, bytes: 1000), Self.call("test.write", id: 2, bytes: 10, tag: 2),
            Self.call("test.read", id: 3, bytes: 2000), Self.call("test.write", id: 4, bytes: 10, tag: 4),
            Self.call("test.write", id: nil, bytes: 10, tag: 5), Self.call("test.read", id: 6, bytes: 1), [7],
        ]
        let (bytes, value) = try answer(d, .array(batch))
        let answers = try XCTUnwrap(value?.arrayValue)
        XCTAssertEqual(answers.map { $0["id"] }, [1, 2, 3, 4, 6, .null])
        XCTAssertEqual(answers[0]["result"]?.stringValue?.count, 1000)
        XCTAssertEqual(answers[1]["result"]?.stringValue?.count, 10)
        XCTAssertEqual(answers[5]["error"]?["code"], -32600, "no request object: its own short error")
        for notRun in answers[2...4] {
            XCTAssertEqual(notRun["error"]?["code"], 4131)
            XCTAssertEqual(notRun["error"]?["data"]?["code"], "batch_answer_full")
            XCTAssertEqual(notRun["error"]?["data"]?["retryable"], true)
        }
        XCTAssertEqual(writes.all, [2, 5], "the write after the bound did not run; the notification did")
        XCTAssertLessThanOrEqual(bytes, 3500, "the fitting answers and the errors")
    }

    func testAChangeIsAnsweredWhateverItsSize() throws {
        let d = dispatcher(maxAnswerBytes: 1000)
        XCTAssertEqual(try answer(d, Self.call("test.write", id: 1, bytes: 5000, tag: 1)).value?["result"]?.stringValue?.count, 5000)
        let batch = try XCTUnwrap(try answer(d, [Self.call("test.write", id: 2, bytes: 5000, tag: 2), Self.call("test.write", id: 3, bytes: 5, tag: 3)]).value?.arrayValue)
        XCTAssertEqual(batch[0]["result"]?.stringValue?.count, 5000)
        XCTAssertEqual(batch[1]["error"]?["code"], 4131, "the answer is full: the next write does not run")
        XCTAssertEqual(writes.all, [1, 2])
    }

    func testAReadAnswerTooLargeAloneIsRefusedAndTheBatchGoesOn() throws {
        let d = dispatcher(maxAnswerBytes: 1000)
        let single = try XCTUnwrap(try answer(d, Self.call("test.read", id: "x", bytes: 2000)).value)
        XCTAssertEqual(single["id"], "x")
        XCTAssertEqual(single["error"]?["code"], 4130)
        XCTAssertEqual(single["error"]?["data"]?["code"], "answer_too_large")
        XCTAssertEqual(single["error"]?["data"]?["max_answer_bytes"], 1000)
        XCTAssertGreaterThan(single["error"]?["data"]?["answer_bytes"]?.intValue ?? 0, 2000)
        // A method that takes no range or limit (rpc.discover) is told who can help instead.
        XCTAssertTrue(single["error"]?["message"]?.stringValue?.hasSuffix("or have the operator raise it") == true,
                      "\(String(describing: single["error"]?["message"]))")
        let batch = try XCTUnwrap(try answer(d, [Self.call("test.read", id: 1, bytes: 2000), Self.call("test.read", id: 2, bytes: 10)]).value?.arrayValue)
        XCTAssertEqual(batch[0]["error"]?["code"], 4130)
        XCTAssertEqual(batch[1]["result"]?.stringValue?.count, 10)
        XCTAssertNil(try answer(d, [Self.call("test.read", id: nil, bytes: 2000)]).value, "a notification still has no answer")
    }

    /// An error whose echoed id makes it longer than the bound is answered as it is: it was
    /// replaced by answer_too_large (as long, and the method's real error lost). An error long
    /// for another reason is still replaced.
    func testAnErrorLongerThanTheBoundIsAnsweredAsItIs() throws {
        let d = dispatcher(maxAnswerBytes: 1000)
        let id = JSON.string(String(repeating: "x", count: 2000))
        let unknown = try XCTUnwrap(try answer(d, .object(["jsonrpc": "2.0", "id": id, "method": "no.such"])).value)
        XCTAssertEqual(unknown["error"]?["code"], -32601, "\(unknown)")
        XCTAssertEqual(unknown["id"], id)
        let badParams = try XCTUnwrap(try answer(d, .object(["jsonrpc": "2.0", "id": id, "method": "test.read", "params": ["bytes": "many"]])).value)
        XCTAssertEqual(badParams["error"]?["code"], -32602, "\(badParams)")
        // Long for another reason (the many params an unknown one is told of), with a short id:
        // answer_too_large, which fits.
        var limits = Limits()
        limits.maxAnswerBytes = 1000
        let fields: [Schema.Field] = (1...30).map { .init("a_param_with_a_rather_long_name_\($0)", .integer(min: 0, max: 1)) }
        let many = MethodSpec(name: "test.many", summary: "many", access: .anyone, mutating: false, params: fields, result: .text()) { _ in "" }
        let manyParams = Dispatcher(methods: [many], limits: limits, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
        let (bytes, listed) = try answer(manyParams, .object(["jsonrpc": "2.0", "id": 7, "method": "test.many", "params": ["other": 1]]))
        XCTAssertEqual(listed?["error"]?["code"], 4130, "\(String(describing: listed))")
        XCTAssertLessThanOrEqual(bytes, 1000)
    }

    /// The bound holds with the errors counted: 1,000 entries whose answers could each fit, and
    /// invalid entries whose own short errors are kept; a batch whose errors alone cannot fit is
    /// refused whole before anything runs.
    func testTheErrorsStandingInForEntriesFitTheBoundToo() throws {
        let limit = 450_000
        let d = dispatcher(maxAnswerBytes: limit)
        let batch: [JSON] = (0..<1000).map { i in i % 10 == 9 ? .int(Int64(i)) : Self.call("test.read", id: .int(Int64(i)), bytes: 2_000) }
        let (bytes, value) = try answer(d, .array(batch))
        let answers = try XCTUnwrap(value?.arrayValue)
        XCTAssertEqual(answers.count, 1000)
        XCTAssertLessThanOrEqual(bytes, limit, "errors included")
        let answered = answers.filter { $0["result"] != nil }.count
        XCTAssertGreaterThan(answered, 10, "as many as fit are answered")
        XCTAssertEqual(answers.filter { $0["error"]?["code"] == -32600 }.count, 100, "an invalid entry keeps its own short error")
        XCTAssertEqual(answers.filter { $0["error"]?["code"] == 4131 }.count, 900 - answered)

        let tiny = dispatcher(maxAnswerBytes: 2_000)
        let pings = try XCTUnwrap(try answer(tiny, .array((0..<50).map { Self.call("test.write", id: .int(Int64($0)), bytes: 1, tag: 900_000 + Int64($0)) })).value)
        XCTAssertEqual(pings["error"]?["code"], -32600, "refused whole: \(pings)")
        XCTAssertTrue(pings["error"]?["message"]?.stringValue?.contains("Send fewer entries") ?? false)
        XCTAssertTrue(writes.all.filter { $0 >= 900_000 }.isEmpty, "nothing ran")
    }

    /// Eight workers over 300 entries, many times: every entry answered once in order, each
    /// write answered with its result exactly when it ran, and the reads kept within the bound.
    func testConcurrentWorkersKeepExactAccounts() throws {
        for round in 0..<20 {
            let d = dispatcher(maxAnswerBytes: 150_000)
            // Each worker its own dispatcher, as meetingd's BatchPool runs them.
            nonisolated(unsafe) let workers = (0..<8).map { _ in dispatcher(maxAnswerBytes: 150_000) }
            d.batchRunner = { batch in
                DispatchQueue.concurrentPerform(iterations: workers.count) { w in
                    while let i = batch.claimNext() { workers[w].answer(i, of: batch) }
                }
            }
            let base = Int64(round * 1000)
            var batch: [JSON] = []
            for i in 0..<300 {
                let id = JSON.int(Int64(i))
                batch.append(i % 3 == 0 ? Self.call("test.write", id: id, bytes: 50, tag: base + Int64(i)) : Self.call("test.read", id: id, bytes: 1_000))
            }
            let (bytes, value) = try answer(d, .array(batch))
            let answers = try XCTUnwrap(value?.arrayValue)
            XCTAssertLessThanOrEqual(bytes, 150_000, "the whole answer, errors included")
            XCTAssertEqual(answers.map { $0["id"]?.intValue }, (0..<300).map { Int64($0) })
            var readBytes = 0
            var answeredWrites: Set<Int64> = []
            for (i, a) in answers.enumerated() {
                if a["error"] != nil {
                    XCTAssertEqual(a["error"]?["code"], 4131)
                } else if i % 3 == 0 {
                    answeredWrites.insert(base + Int64(i))
                } else {
                    readBytes += a.serialized().utf8.count + 1
                }
            }
            XCTAssertEqual(writes.all.filter { $0 >= base && $0 < base + 1000 }, answeredWrites, "round \(round)")
            XCTAssertLessThanOrEqual(readBytes, 150_000)
            XCTAssertLessThan(answeredWrites.count, 100, "the bound stopped the batch")
        }
    }
    // MARK: The batch's time

    /// A clock the test moves: each write moves it on by its tag's seconds.
    final class FakeClock: @unchecked Sendable {
        private let lock = NSLock()
        private var nanoseconds: UInt64 = 1_000_000_000
        func read() -> UInt64 { lock.withLock { nanoseconds } }
        func advance(seconds: Int64) { lock.withLock { nanoseconds += UInt64(seconds) * 1_000_000_000 } }
    }

    /// Past the batch's time bound no method starts: each request is answered batch_time_up
    /// (retryable, nothing done), a notification is dropped, an entry that is no valid request
    /// keeps its own error (sent again it would fail again; one without an id is no
    /// notification), and what ran before keeps its answer.
    func testEntriesAfterTheTimeBoundAreNotRunAndSaySo() throws {
        let clock = FakeClock()
        var limits = Limits()
        limits.maxBatchSeconds = 30
        let fields: [Schema.Field] = [.init("seconds", .integer(min: 0, max: 1000), required: true), .init("tag", .integer(min: 0, max: 1_000_000))]
        let slow = MethodSpec(name: "test.slow", summary: "slow", access: .anyone, mutating: true, params: fields, result: .text()) { [writes] params in
            writes.add(params.optionalInt("tag") ?? 0)
            clock.advance(seconds: try params.int("seconds"))
            return "done"
        }
        let d = Dispatcher(methods: [slow], limits: limits, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
        func call(_ id: JSON?, seconds: Int64, tag: Int64) -> JSON {
            var request: [String: JSON] = ["jsonrpc": "2.0", "method": "test.slow", "params": ["seconds": .int(seconds), "tag": .int(tag)]]
            if let id { request["id"] = id }
            return .object(request)
        }
        let entries: [JSON] = [
            call(1, seconds: 10, tag: 1), call(nil, seconds: 10, tag: 2), call(3, seconds: 10, tag: 3),  // 30 s used when entry 3 ends
            call(4, seconds: 1, tag: 4), call(nil, seconds: 1, tag: 5), [6], call("seven", seconds: 1, tag: 7),
            ["jsonrpc": "2.0"], ["jsonrpc": "2.0", "id": "x", "method": "no.such"], ["jsonrpc": "1.0", "id": "y", "method": "test.slow"],
        ]
        let batch = try XCTUnwrap(BatchAnswer(entries: entries, maxBytes: 1 << 20, maxSeconds: 30, now: clock.read))
        while let i = batch.claimNext() { d.answer(i, of: batch) }
        let answers = try XCTUnwrap(try JSONParser.parse(Array(try XCTUnwrap(batch.serialized()).utf8)).arrayValue)
        XCTAssertEqual(answers.map { $0["id"] }, [1, 3, 4, .null, "seven", .null, "x", "y"])
        XCTAssertEqual(answers[5...].map { $0["error"]?["code"] }, [-32600, -32601, -32600], "invalid entries keep their own errors")
        XCTAssertEqual(answers[0]["result"], "done")
        XCTAssertEqual(answers[1]["result"], "done", "started before the bound: it ran and keeps its answer")
        for notRun in [answers[2], answers[4]] {
            XCTAssertEqual(notRun["error"]?["code"], 4132)
            XCTAssertEqual(notRun["error"]?["data"]?["code"], "batch_time_up")
            XCTAssertEqual(notRun["error"]?["data"]?["retryable"], true)
            XCTAssertEqual(notRun["error"]?["data"]?["max_batch_seconds"], 30)
            XCTAssertTrue(notRun["error"]?["message"]?.stringValue?.contains("MEETINGLEDGER_MAX_BATCH_SECONDS") ?? false)
        }
        XCTAssertEqual(answers[3]["error"]?["code"], -32600, "no request object: its own short error")
        XCTAssertEqual(writes.all, [1, 2, 3], "nothing started past the bound, the notification neither")
    }

    /// Through the dispatcher, on the real clock: a batch whose first entry takes longer than
    /// the bound answers the rest batch_time_up, and a batch within it runs whole.
    func testTheDispatcherBoundsABatchInTime() throws {
        var limits = Limits()
        limits.maxBatchSeconds = 1
        let fields: [Schema.Field] = [.init("ms", .integer(min: 0, max: 5000), required: true)]
        let nap = MethodSpec(name: "test.nap", summary: "nap", access: .anyone, mutating: false, params: fields, result: .text()) { params in
            usleep(UInt32(try params.int("ms")) * 1000)
            return "awake"
        }
        let d = Dispatcher(methods: [nap], limits: limits, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
        func naps(_ ms: [Int64]) throws -> [JSON] {
            let message = JSON.array(ms.enumerated().map { ["jsonrpc": "2.0", "id": .int(Int64($0.offset)), "method": "test.nap", "params": ["ms": .int($0.element)]] })
            return try XCTUnwrap(try JSONParser.parse(Array(try XCTUnwrap(d.handle(message: Array(message.serialized().utf8))).utf8)).arrayValue)
        }
        let late = try naps([1100, 0, 0])
        XCTAssertEqual(late.map { $0["result"] ?? $0["error"]?["code"] }, ["awake", 4132, 4132])
        let inTime = try naps([0, 0, 0])
        XCTAssertEqual(inTime.map { $0["result"] }, ["awake", "awake", "awake"])
    }

    /// The room kept for each entry holds the time bound's error too.
    func testTheTimeErrorFitsTheRoomKeptForIt() {
        let longest = BatchAnswer.longestErrorBytes(maxBytes: 1 << 24, maxSeconds: Int.max)
        let timeUp = Dispatcher.errorResponse(id: .null, error: BatchAnswer.timeUp(maxSeconds: Int.max)).serialized().utf8.count
        XCTAssertGreaterThanOrEqual(longest, timeUp)
    }
}
