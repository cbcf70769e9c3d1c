import Core
import XCTest

@testable import RPC

final class DispatcherTests: XCTestCase {
    func dispatcher() -> Dispatcher {
        let echo = MethodSpec(
            name: "test.echo", summary: "echo", access: .anyone, mutating: false, params: [.init("word", .text(min: 1, max: 10), required: true)],
            result: .text(), aliases: [MethodAlias("test.say", removedIn: "2")],
            examples: [MethodExample("Hello", params: ["word": "hi"], result: "hi")]
        ) { params in .string(try params.string("word")) }
        let fails = MethodSpec(name: "test.fail", summary: "fails", access: .anyone, mutating: false, params: [], result: .boolean) { _ in
            throw AppError.forbidden("never")
        }
        return Dispatcher(
            methods: [echo, fails], limits: .standard, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
    }

    func reply(_ text: String) throws -> JSON? {
        try dispatcher().handle(message: Array(text.utf8)).map { try JSONParser.parse($0) }
    }

    func testSingleCallsAndErrors() throws {
        XCTAssertEqual(try reply(#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"word":"hi"}}"#)?["result"], "hi")
        XCTAssertEqual(try reply(#"{"jsonrpc":"2.0","id":"a","method":"nope"}"#)?["error"]?["code"], -32601)
        XCTAssertEqual(try reply(#"{"jsonrpc":"2.0","id":2,"method":"test.echo","params":{}}"#)?["error"]?["data"]?["field"], "word")
        XCTAssertEqual(try reply(#"{"jsonrpc":"2.0","id":3,"method":"test.fail"}"#)?["error"]?["data"]?["code"], "forbidden")
        let parse = try reply(#"{"jsonrpc":"2.0","id":4,"#)
        XCTAssertEqual(parse?["error"]?["code"], -32700)
        XCTAssertEqual(parse?["id"], .null)
        XCTAssertEqual(try reply(#"{"jsonrpc":"1.0","id":5,"method":"test.echo"}"#)?["error"]?["code"], -32600)
        // A frame's body starting with a byte-order mark is read without it (RFC 8259 §8.1); a
        // second mark is no JSON.
        XCTAssertEqual(try reply("\u{FEFF}" + #"{"jsonrpc":"2.0","id":6,"method":"test.echo","params":{"word":"hi"}}"#)?["result"], "hi")
        XCTAssertEqual(try reply("\u{FEFF}\u{FEFF}" + #"{"jsonrpc":"2.0","id":7,"method":"test.echo","params":{"word":"hi"}}"#)?["error"]?["code"], -32700)
    }

    func testNotificationsAndBatches() throws {
        XCTAssertNil(try reply(#"{"jsonrpc":"2.0","method":"test.echo","params":{"word":"hi"}}"#), "a notification gets no response")
        XCTAssertNil(try reply(#"[{"jsonrpc":"2.0","method":"test.echo","params":{"word":"a"}}]"#), "nor does a batch of them")
        XCTAssertEqual(try reply("[]")?["error"]?["code"], -32600)
        let batch = try reply(
            #"[{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"word":"a"}},{"jsonrpc":"2.0","method":"test.echo","params":{"word":"b"}},5,{"jsonrpc":"2.0","id":2,"method":"nope"}]"#)
        let entries = try XCTUnwrap(batch?.arrayValue)
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries[0]["result"], "a")
        XCTAssertEqual(entries[1]["error"]?["code"], -32600)
        XCTAssertEqual(entries[2]["error"]?["code"], -32601)
    }

    /// An unknown method's name is echoed bounded in bytes too: one Character may hold any
    /// number of scalars ("a" and 150,000 combining marks is one).
    func testAnUnknownMethodsNameIsEchoedBoundedInBytes() throws {
        let name = "a" + String(repeating: "\u{301}", count: 150_000)
        let message = JSON.object(["jsonrpc": "2.0", "id": 1, "method": .string(name)]).serialized()
        let error = try XCTUnwrap(reply(message)?["error"])
        XCTAssertEqual(error["code"], -32601)
        let text = try XCTUnwrap(error["message"]?.stringValue)
        XCTAssertTrue(text.unicodeScalars.starts(with: "Method not found: a\u{301}\u{301}".unicodeScalars), String(text.unicodeScalars.prefix(40)))
        XCTAssertLessThan(text.utf8.count, 600, "echoed \(text.utf8.count) bytes")
    }

    /// A dispatcher of one mutating method, test.count, and how many times it ran.
    func countingDispatcher() -> (Dispatcher, Locked<Int>) {
        let runs = Locked(0)
        let counted = MethodSpec(name: "test.count", summary: "counts", access: .anyone, mutating: true, params: [], result: .boolean) { _ in
            runs.withLock { $0 += 1 }
            return true
        }
        return (Dispatcher(methods: [counted], limits: .standard, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d")), runs)
    }

    /// Stopping, requests are answered shutting_down (retryable) without running, a batch's
    /// entries each; a notification is dropped, not run.
    func testStoppingAnswersEachRequestWithoutRunningIt() throws {
        let (d, runs) = countingDispatcher()
        var ran: Int { runs.withLock { $0 } }
        d.notRunning = { AppError.shuttingDown() }
        func handle(_ text: String) throws -> JSON? { try d.handle(message: Array(text.utf8)).map { try JSONParser.parse($0) } }
        let one = try XCTUnwrap(try handle(#"{"jsonrpc":"2.0","id":1,"method":"test.count"}"#))
        XCTAssertEqual(one["error"]?["code"], 5036)
        XCTAssertEqual(one["error"]?["data"]?["code"], "shutting_down")
        XCTAssertEqual(one["error"]?["data"]?["retryable"], true)
        XCTAssertNil(try handle(#"{"jsonrpc":"2.0","method":"test.count"}"#))
        let batch = try XCTUnwrap(try handle(#"[{"jsonrpc":"2.0","id":2,"method":"test.count"},{"jsonrpc":"2.0","id":3,"method":"test.count"}]"#)?.arrayValue)
        XCTAssertEqual(batch.map { $0["error"]?["code"] }, [5036, 5036])
        XCTAssertEqual(ran, 0, "nothing ran")
        d.notRunning = { nil }
        XCTAssertEqual(try handle(#"{"jsonrpc":"2.0","id":4,"method":"test.count"}"#)?["result"], true)
        XCTAssertEqual(ran, 1)
    }

    /// A stop that comes during a batch spares the entries not yet started: each is answered
    /// shutting_down, the batch's answer whole. A batch read before the stop ran every entry.
    func testAStopDuringABatchAnswersTheEntriesNotStarted() throws {
        let (d, runs) = countingDispatcher()
        var ran: Int { runs.withLock { $0 } }
        d.notRunning = { ran >= 2 ? AppError.shuttingDown() : nil }
        let entries = (1...5).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"test.count"}"# }
        let batch = try XCTUnwrap(try d.handle(message: Array(("[" + entries.joined(separator: ",") + "]").utf8)).map { try JSONParser.parse($0) }?.arrayValue)
        XCTAssertEqual(batch.map { $0["id"] }, [1, 2, 3, 4, 5])
        XCTAssertEqual(batch.map { $0["result"] != nil }, [true, true, false, false, false])
        XCTAssertEqual(batch[2...].map { $0["error"]?["data"]?["code"] }, ["shutting_down", "shutting_down", "shutting_down"])
        XCTAssertEqual(ran, 2)
    }

    func testDiscoverListsEveryRegisteredMethod() throws {
        let doc = try XCTUnwrap(try reply(#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#)?["result"])
        XCTAssertEqual(doc["openrpc"], "1.2.6")
        XCTAssertEqual(doc["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["test.echo", "test.fail", "rpc.discover"])
    }

    func testAnAliasIsDispatchedButListedOnlyUnderItsMethod() throws {
        XCTAssertEqual(try reply(#"{"jsonrpc":"2.0","id":1,"method":"test.say","params":{"word":"hi"}}"#)?["result"], "hi")
        let document = dispatcher().openRPCDocument()
        let methods = document["methods"]?.arrayValue ?? []
        XCTAssertFalse(methods.contains { $0["name"] == "test.say" })
        let echo = methods.first { $0["name"] == "test.echo" }
        XCTAssertEqual(echo?["x-aliases"]?.arrayValue?.first?["name"], "test.say")
        XCTAssertEqual(echo?["examples"], [["name": "Hello", "params": [["name": "word", "value": "hi"]], "result": ["name": "test.echo.result", "value": "hi"]]])
        // Errors are listed once, under components, and referred to: the RPC layer's own included.
        XCTAssertEqual(echo?["errors"]?.arrayValue?.contains(["$ref": "#/components/errors/invalid_params"]), true)
        XCTAssertEqual(echo?["errors"]?.arrayValue?.contains(["$ref": "#/components/errors/answer_too_large"]), true, "a read-only answer may be too large")
        XCTAssertEqual(document["components"]?["errors"]?["batch_answer_full"]?["data"], ["code": "batch_answer_full", "retryable": true, "max_answer_bytes": 16_777_216], "the default bound as its example")
        XCTAssertEqual(document["components"]?["errors"]?["internal_error"]?["code"], -32603)
    }

    /// Each error's data members beyond code and retryable are published: an example of each in
    /// the error's data, and what each holds in info.x-error-data, from AppError.dataMembers; the
    /// errors the RPC layer makes itself carry no other detail.
    func testErrorsPublishEveryMemberOfTheirData() throws {
        let errors: [AppError] = [
            .notFound("", ""), .invalidState(status: "", action: ""), .timeConflict(meetingIds: []), .meetingStarted(start: Instant(seconds: 0)),
            .lateCancellationRequiresConfirmation(windowHours: 0, consequences: ""), .insufficientCredits(available: 0, required: 0),
            .usageLimitReached(limit: 0), .suspended(until: Instant(seconds: 0)), .sessionLogRequired(meetingIds: []),
        ]
        let spec = MethodSpec(name: "test.all", summary: "all", access: .anyone, mutating: false, params: [], result: .boolean, errors: errors) { _ in true }
        let document = Dispatcher(methods: [spec], limits: .standard, logger: Logger(minimum: .error), info: OpenRPCInfo(title: "t", version: "1", description: "d"))
            .openRPCDocument()
        let published = try XCTUnwrap(document["components"]?["errors"]?.objectValue)
        for error in errors + Dispatcher.protocolErrors(mutating: false) {
            let data = try XCTUnwrap(published[error.dataCode]?["data"], error.dataCode)
            let members = Set(AppError.dataMembers[error.code]?.map(\.name) ?? [])
            XCTAssertEqual(Set(data.objectValue?.keys.map { $0 } ?? []), members.union(["code", "retryable"]), error.dataCode)
            XCTAssertTrue(Set(error.details.keys).isSubset(of: members), "\(error.dataCode) makes details it does not publish: \(error.details.keys.sorted())")
            XCTAssertEqual(Set(document["info"]?["x-error-data"]?[error.dataCode]?.objectValue?.keys.map { $0 } ?? []), members, error.dataCode)
        }
        for (code, members) in [("insufficient_credits", ["available", "required"]), ("usage_limit_reached", ["limit", "week_start", "week_end"]),
                                ("time_conflict", ["meeting_ids"]), ("session_log_required", ["meeting_ids"]), ("not_found", ["id", "kind"]),
                                ("invalid_state", ["status", "action", "version"]), ("meeting_started", ["start"]),
                                ("late_cancellation_requires_confirmation", ["window_hours", "consequences"]), ("invalid_params", ["field", "reason"])] {
            for member in members { XCTAssertNotNil(published[code]?["data"]?[member], "\(code).\(member)") }
        }
    }
}
