import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// JSON-RPC 2.0 over meetingd's pipes (SPEC §3.1–3.3): error codes, batches, both framings,
/// limits and hostile input, the split between stdout and stderr, and how the process ends.
final class ProtocolTests: EndToEndTestCase {
    static let ping = #"{"jsonrpc":"2.0","id":"ping","method":"system.ping"}"#

    /// Asserts the process still answers: the next line is the reply to a fresh ping.
    func assertStillServing(_ meetingd: Meetingd, file: StaticString = #filePath, line: UInt = #line) throws {
        let response = try meetingd.exchange(Self.ping)
        XCTAssertEqual(response["id"], "ping", "the next line should answer the ping: \(response)", file: file, line: line)
        XCTAssertEqual(response["result"]?["database"], "ok", file: file, line: line)
    }

    /// The command word may come after the options (`meetingd --test-clock serve`), but an
    /// option's value is never taken for it, and an unknown word is refused.
    func testTheCommandMayFollowTheOptions() throws {
        for arguments in [["--test-clock", "serve"], ["--log-level", "error", "serve", "--test-clock"]] {
            let md = try startMeetingd(arguments)
            XCTAssertEqual(try md.call("system.ping")["result"]?["database"], "ok", "\(arguments)")
        }
        let bogus = try runTool(TestEnvironment.meetingdPath, ["--log-level", "error", "bogus"])
        XCTAssertFalse(bogus.succeeded)
        XCTAssertTrue(bogus.stderr.contains("unknown command bogus"), bogus.stderr)
        let valueNotCommand = try runTool(TestEnvironment.meetingdPath, ["--log-level", "serve"])
        XCTAssertFalse(valueNotCommand.succeeded)
        XCTAssertTrue(valueNotCommand.stderr.contains("--log-level (MEETINGLEDGER_LOG_LEVEL) takes debug, info, warning or error (got \"serve\")"), valueNotCommand.stderr)
    }

    func testParseErrorHasNullId() throws {
        let meetingd = try startMeetingd()
        for text in [#"{"jsonrpc":"2.0","id":1,"method":"system.ping""#, "not json", #"{"jsonrpc":"2.0","id":1,}"#, #"{"a":1} {"b":2}"#] {
            let response = try meetingd.exchange(text)
            let error = try Meetingd.error(of: response, code: -32700, text)
            XCTAssertEqual(response["id"], .null, "a parse error cannot know the id: \(text)")
            XCTAssertEqual(response["jsonrpc"], "2.0")
            XCTAssertNotNil(error["message"]?.string)
        }
        try assertStillServing(meetingd)
    }

    func testInvalidRequests() throws {
        let meetingd = try startMeetingd()
        let cases: [(request: String, id: JSONValue, why: String)] = [
            ("42", .null, "not an object"),
            (#""system.ping""#, .null, "a string"),
            (#"{"jsonrpc":"1.0","id":3,"method":"system.ping"}"#, 3, "wrong jsonrpc"),
            (#"{"id":4,"method":"system.ping"}"#, 4, "no jsonrpc"),
            (#"{"jsonrpc":"2.0","id":5,"method":7}"#, 5, "method not a string"),
            (#"{"jsonrpc":"2.0","id":"six"}"#, "six", "no method"),
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"system.ping"}"#, .null, "id an object"),
            (#"{"jsonrpc":"2.0","id":8,"method":"system.ping","params":"bar"}"#, 8, "params a string (JSON-RPC 2.0 §4.2)"),
            (#"{"jsonrpc":"2.0","id":9,"method":"no.such","params":5}"#, 9, "params a number, whatever the method"),
            (#"{"jsonrpc":"2.0","id":10,"method":"system.ping","params":null}"#, 10, "params null"),
            (#"{"jsonrpc":"2.0","method":"system.ping","params":"bar"}"#, .null, "no Request object, so no notification either: §5.1's example"),
        ]
        for c in cases {
            let response = try meetingd.exchange(c.request)
            try Meetingd.error(of: response, code: -32600, c.why)
            XCTAssertEqual(response["id"], c.id, c.why)
        }
        try assertStillServing(meetingd)
    }

    /// Any string, number or null id comes back exactly as sent.
    func testRequestIdsAreEchoed() throws {
        let meetingd = try startMeetingd()
        // Numbers past a double's range are valid JSON too (SPEC §3.1: ids of any size).
        for id in ["1e400", "1" + String(repeating: "0", count: 309)] {
            try meetingd.write(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"system.ping"}"#.utf8) + [0x0A])
            let line = try meetingd.readLine()
            XCTAssertTrue(line.contains(#""id":\#(id),"#) || line.contains(#""id":\#(id)}"#), "id \(id.prefix(20)): \(line.prefix(200))")
            XCTAssertTrue(line.contains(#""result""#), line)
        }
        for id in [#""abc""#, "0", "-7", "1.5", "null", "9007199254740993", #""ü🙂 \"quoted\"""#, #""""#] {
            let response = try meetingd.exchange(#"{"jsonrpc":"2.0","id":\#(id),"method":"system.ping"}"#)
            XCTAssertEqual(response["id"], try JSONValue.parse(id), "id \(id)")
            XCTAssertNotNil(response["result"], "id \(id): \(response)")
        }
    }

    func testUnknownMethod() throws {
        let meetingd = try startMeetingd()
        let response = try meetingd.exchange(#"{"jsonrpc":"2.0","id":"u1","method":"meeting.teleport","params":{}}"#)
        let error = try Meetingd.error(of: response, code: -32601, "an unknown method")
        XCTAssertEqual(response["id"], "u1")
        XCTAssertTrue(error["message"]?.string?.contains("meeting.teleport") ?? false, "the message names the method: \(error)")
        // A notification for an unknown method gets no response either.
        try meetingd.send(#"{"jsonrpc":"2.0","method":"meeting.teleport"}"#)
        try assertStillServing(meetingd)
    }

    /// Each bad param is named in `data.field` with a `data.reason`, and nothing is created.
    func testInvalidParamsNameTheField() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let admin = community.adminId
        let valid = TestCommunity.personParams(roles: ["user"])
        func with(_ changes: [String: JSONValue?]) -> [String: JSONValue] {
            var p = valid
            for (k, v) in changes { p[k] = v }
            return p
        }
        let cases: [(method: String, params: [String: JSONValue], field: String, why: String)] = [
            ("person.create", with(["email": .none]), "email", "missing required"),
            ("person.create", with(["first_name": 5]), "first_name", "wrong type"),
            ("person.create", with(["roles": "user"]), "roles", "a string where a list is expected"),
            ("person.create", with(["roles": ["user", "wizard"]]), "roles[1]", "a value outside the enumeration"),
            ("person.create", with(["roles": []]), "roles", "an empty list"),
            ("person.create", with(["nickname": "P"]), "nickname", "unknown field"),
            ("person.create", with(["email": "not-an-email"]), "email", "malformed email"),
            ("person.create", with(["first_name": .string(String(repeating: "x", count: 201))]), "first_name", "name over 200 characters"),
            ("person.create", with(["time_zone": "Mars/Olympus_Mons"]), "time_zone", "unknown time zone"),
            ("community.update_settings", ["cancellation_window_hours": 100_000], "cancellation_window_hours", "out of range"),
            ("community.update_settings", ["platform_fee_percent": -1], "platform_fee_percent", "negative"),
            ("community.update_settings", ["slot_minutes": 30.5], "slot_minutes", "fraction for an integer"),
            ("community.update_settings", ["auto_accept": "yes"], "auto_accept", "string for a boolean"),
            ("community.update_settings", ["no_show_policy": ["max_no_shows": 1, "window_days": 30]], "no_show_policy.suspension_days", "nested missing"),
            ("person.list", ["limit": 501], "limit", "page size over 500"),
            ("person.list", ["limit": 0], "limit", "page size 0"),
            ("person.list", ["cursor": "zz"], "cursor", "a cursor the service never gave"),
            ("person.get", ["person_id": "loc_0123456789abcdef0123456789abcdef"], "person_id", "an id of another kind"),
            ("clock.set", ["now": "2026-13-45T09:00:00Z"], "now", "impossible month and day"),
            ("clock.set", ["now": "2026-02-30T09:00:00Z"], "now", "February 30th"),
            ("clock.set", ["now": "2026-03-08T09:00:00"], "now", "timestamp without an offset"),
            ("clock.set", ["now": "2026-03-08T25:00:00+01:00"], "now", "hour 25"),
            ("clock.set", ["now": "yesterday"], "now", "not a timestamp"),
        ]
        for c in cases {
            let error = try meetingd.error(c.method, as: admin, c.params, code: -32602)
            XCTAssertEqual(error["data"]?["field"], .string(c.field), "\(c.why): \(error)")
            XCTAssertFalse(error["data"]?["reason"]?.string?.isEmpty ?? true, "\(c.why): a reason is given: \(error)")
            XCTAssertEqual(error["data"]?["retryable"], false, c.why)
        }
        // Params by position are refused, naming "params".
        let positional = try meetingd.exchange(#"{"jsonrpc":"2.0","id":9,"method":"person.get","params":["per_0"]}"#)
        XCTAssertEqual(try Meetingd.error(of: positional, code: -32602)["data"]?["field"], "params")

        let people = try community.people(on: meetingd)
        XCTAssertEqual(people.map { $0["id"] }, [.string(admin)], "no invalid call created anyone")
        let settings = try meetingd.result("community.get", as: admin)["settings"]
        XCTAssertEqual(settings?["cancellation_window_hours"], 48, "no invalid call changed the settings")
    }

    func testBatchAnswersEachEntryById() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let admin = community.adminId
        let batch = """
            [{"jsonrpc":"2.0","id":1,"method":"system.ping"},
             {"jsonrpc":"2.0","id":"get","method":"community.get","params":{"actor":"\(admin)"}},
             {"jsonrpc":"2.0","method":"system.ping"},
             {"jsonrpc":"2.0","id":3,"method":"nope.nothing"},
             {"jsonrpc":"2.0","id":4,"method":"person.get","params":{"actor":"\(admin)"}},
             {"jsonrpc":"2.0","method":"person.create","params":{"actor":"\(admin)"}},
             {"foo":"bar"},
             7,
             {"jsonrpc":"2.0","id":5,"method":"person.get","params":{"actor":"\(admin)","person_id":"\(admin)"}}]
            """.replacingOccurrences(of: "\n", with: "")
        let response = try meetingd.exchange(batch)
        guard let entries = response.array else { return XCTFail("a batch gets an array: \(response)") }
        XCTAssertEqual(entries.count, 7, "9 entries, 2 notifications: \(response)")
        var byId: [JSONValue: JSONValue] = [:]
        var nullIds: [JSONValue] = []
        for entry in entries {
            XCTAssertEqual(entry["jsonrpc"], "2.0")
            if entry["id"] == .null { nullIds.append(entry) } else { byId[entry["id"]!] = entry }
        }
        XCTAssertEqual(try Meetingd.result(of: byId[1] ?? .null)["database"], "ok")
        XCTAssertEqual(try Meetingd.result(of: byId["get"] ?? .null)["id"], .string(community.id))
        try Meetingd.error(of: byId[3] ?? .null, code: -32601)
        XCTAssertEqual(try Meetingd.error(of: byId[4] ?? .null, code: -32602)["data"]?["field"], "person_id")
        XCTAssertEqual(try Meetingd.result(of: byId[5] ?? .null)["id"], .string(admin))
        XCTAssertEqual(nullIds.count, 2, "the two invalid entries are answered with id null")
        for entry in nullIds { try Meetingd.error(of: entry, code: -32600) }
        try assertStillServing(meetingd)
    }

    func testEmptyBatchIsOneInvalidRequest() throws {
        let meetingd = try startMeetingd()
        let response = try meetingd.exchange("[]")
        XCTAssertNil(response.array, "one error object, not an array")
        try Meetingd.error(of: response, code: -32600, "[]")
        XCTAssertEqual(response["id"], .null)
        try assertStillServing(meetingd)
    }

    func testNotificationsPrintNothing() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        try meetingd.send(#"[{"jsonrpc":"2.0","method":"system.ping"},{"jsonrpc":"2.0","method":"community.get","params":{"actor":"\#(community.adminId)"}}]"#)
        try meetingd.send(#"{"jsonrpc":"2.0","method":"system.ping"}"#)
        // A notification whose call fails prints nothing either.
        try meetingd.send(#"{"jsonrpc":"2.0","method":"person.get","params":{}}"#)
        try assertStillServing(meetingd)
        // A notification still takes effect.
        try meetingd.send(#"{"jsonrpc":"2.0","method":"community.update_settings","params":{"actor":"\#(community.adminId)","slot_minutes":15}}"#)
        XCTAssertEqual(try meetingd.result("community.get", as: community.adminId)["settings"]?["slot_minutes"], 15)
    }

    func testBothFramingsPerMessage() throws {
        let meetingd = try startMeetingd()
        try meetingd.sendFrame(#"{"jsonrpc":"2.0","id":"f1","method":"system.ping"}"#)
        let first = try meetingd.readFrame()
        XCTAssertEqual(try JSONValue.parse(first.body)["id"], "f1")

        let line = try meetingd.exchange(#"{"jsonrpc":"2.0","id":"l1","method":"system.ping"}"#)
        XCTAssertEqual(line["id"], "l1", "a line after a frame is answered with a line")

        // A pretty-printed body with newlines, a lower-case header name, and a multi-byte
        // method name: the reply's Content-Length counts bytes.
        let body = "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": \"f2\",\n  \"method\": \"café.crème\"\n}"
        try meetingd.write(Array("content-length: \(Array(body.utf8).count)\r\n\r\n\(body)".utf8))
        let second = try meetingd.readFrame()
        XCTAssertEqual(second.header, "Content-Length: \(Array(second.body.utf8).count)")
        let reply = try JSONValue.parse(second.body)
        XCTAssertEqual(reply["id"], "f2")
        XCTAssertEqual(reply["error"]?["code"], -32601)

        // A batch in a frame, then a frame and a line written back to back.
        try meetingd.sendFrame(#"[{"jsonrpc":"2.0","id":1,"method":"system.ping"},{"jsonrpc":"2.0","id":2,"method":"system.ping"}]"#)
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body).array?.count, 2)
        let frame = #"{"jsonrpc":"2.0","id":"f3","method":"system.ping"}"#
        try meetingd.write(Array("Content-Length: \(frame.utf8.count)\r\n\r\n\(frame)\(Self.ping)\n".utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"], "f3")
        XCTAssertEqual(try meetingd.readResponse()["id"], "ping")

        // Further headers after Content-Length (as LSP clients send) are allowed.
        let typed = #"{"jsonrpc":"2.0","id":"f4","method":"system.ping"}"#
        try meetingd.write(Array("Content-Length: \(typed.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(typed)".utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"], "f4")

        // A line ending in CRLF is a line; the reply ends in a bare newline.
        try meetingd.write(Array(#"{"jsonrpc":"2.0","id":"crlf","method":"system.ping"}"#.utf8) + [0x0D, 0x0A])
        let crlf = try meetingd.readLine()
        XCTAssertFalse(crlf.hasSuffix("\r"))
        XCTAssertEqual(try JSONValue.parse(crlf)["id"], "crlf")

        // A header without a usable length is a parse error, framed. Where its body ends is
        // unknown, so nothing runs up to the next header (the ping after it is not answered);
        // the next frame is served, and lines after it.
        for header in ["Content-Length: lots", "Content-Length: 99999999999999999999"] {
            try meetingd.write(Array("\(header)\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":\"skipped\",\"method\":\"system.ping\"}\n".utf8))
            let bad = try JSONValue.parse(try meetingd.readFrame().body)
            try Meetingd.error(of: bad, code: -32700, "a bad Content-Length")
            let after = #"{"jsonrpc":"2.0","id":"after","method":"system.ping"}"#
            try meetingd.write(Array("Content-Length: \(after.utf8.count)\r\n\r\n\(after)".utf8))
            XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"], "after", "the skipped ping was not run: \(header)")
            try assertStillServing(meetingd)
        }
    }

    /// Blank space between messages costs no more to skip than an oversized message of the same
    /// size costs to refuse (both are bytes a caller may send in any amount): it was skipped ten
    /// times slower per byte, 30 MB of spaces holding the next request 23 s in a debug build.
    func testBlankSpaceBetweenMessagesIsSkippedAsFastAsAnOversizedMessage() throws {
        let meetingd = try startMeetingd()
        let bytes = 8 << 20
        let ping = #"{"jsonrpc":"2.0","id":"after","method":"system.ping"}"#
        /// The processor time meetingd spent from the first byte of `filler` to the answer to a
        /// ping sent after it (its own work, which other processes on the machine do not
        /// lengthen, as they would the time on the clock), and the ids answered on the way.
        func timed(_ filler: [UInt8]) throws -> (TimeInterval, [JSONValue]) {
            let started = try processorSeconds(of: meetingd.pid)
            try meetingd.write(filler, timeout: 60)
            try meetingd.send(ping, timeout: 60)
            var ids: [JSONValue] = []
            while ids.last != "after" { ids.append(try meetingd.readResponse(timeout: 60)["id"] ?? .null) }
            return (try processorSeconds(of: meetingd.pid) - started, ids)
        }
        _ = try timed(Array("\n".utf8))  // started and connected
        let (oversized, refused) = try timed(
            Array(#"{"jsonrpc":"2.0","id":"big","method":"system.ping","params":{"pad":""#.utf8) + [UInt8](repeating: 0x61, count: bytes) + [0x22, 0x7D, 0x7D, 0x0A])
        XCTAssertEqual(refused, ["big", "after"], "the oversized one is refused with its id")
        let (blanks, answered) = try timed((0..<bytes).map { [0x20, 0x0A, 0x0D, 0x09][$0 % 4] })
        XCTAssertEqual(answered, ["after"])
        print("ProtocolTests: \(bytes) bytes skipped: blank space \(String(format: "%.2f", blanks)) s of processor time, an oversized message \(String(format: "%.2f", oversized)) s")
        XCTAssertLessThan(blanks, oversized * 2 + 0.5, "blank space is skipped at least about as fast as an oversized message")
    }

    func testOversizedMessageIsRefusedAndServingContinues() throws {
        let limit = 2_000
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_MAX_MESSAGE_BYTES": String(limit)])
        func ping(padding: Int, id: String) -> String {
            #"{"jsonrpc":"2.0","id":"\#(id)","method":"system.ping","params":{"pad":"\#(String(repeating: "a", count: padding))"}}"#
        }
        // At the limit it is parsed (and refused for the unknown param, not the size); one byte
        // more is too much.
        let padding = limit - ping(padding: 0, id: "at").utf8.count
        let atLimit = ping(padding: padding, id: "at")
        XCTAssertEqual(atLimit.utf8.count, limit)
        XCTAssertEqual(try Meetingd.error(of: try meetingd.exchange(atLimit), code: -32602)["data"]?["field"], "pad")
        try meetingd.sendFrame(atLimit)
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["error"]?["data"]?["field"], "pad")
        try Meetingd.error(of: try meetingd.exchange(ping(padding: padding + 1, id: "over")), code: -32600, "one byte over")

        for size in [limit + 10, 200_000] {
            let response = try meetingd.exchange(ping(padding: size, id: "over"))
            let error = try Meetingd.error(of: response, code: -32600, "a \(size)-byte message")
            XCTAssertTrue(error["message"]?.string?.contains(String(limit)) ?? false, "the message states the limit: \(error)")
            XCTAssertEqual(response["id"], "over", "the id read from the message's first bytes answers it")
            try assertStillServing(meetingd)
        }
        // An id that comes only after the padding cannot be read: the answer's id is null.
        let late = #"{"jsonrpc":"2.0","method":"system.ping","params":{"pad":"\#(String(repeating: "a", count: 5_000))"},"id":"late"}"#
        let unread = try meetingd.exchange(late)
        try Meetingd.error(of: unread, code: -32600, "an id past the first bytes")
        XCTAssertEqual(unread["id"], .null)

        // Framed: the body is skipped by its length, the reply is framed.
        try meetingd.sendFrame(ping(padding: 50_000, id: "framed"))
        let framed = try JSONValue.parse(try meetingd.readFrame().body)
        try Meetingd.error(of: framed, code: -32600, "an oversized frame")
        XCTAssertEqual(framed["id"], "framed")
        try assertStillServing(meetingd)
    }

    func testDefaultMessageLimitIsOneMebibyte() throws {
        let meetingd = try startMeetingd()
        let big = #"{"jsonrpc":"2.0","id":"big","method":"system.ping","params":{"pad":"\#(String(repeating: "b", count: 1 << 20))"}}"#
        try Meetingd.error(of: try meetingd.exchange(big), code: -32600, "a message over 1 MiB")
        try assertStillServing(meetingd)
    }

    func testDeeplyNestedJSONIsRefused() throws {
        let meetingd = try startMeetingd()
        func nested(_ depth: Int) -> String {
            #"{"jsonrpc":"2.0","id":"deep","method":"system.ping","params":{"x":"# + String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth) + "}}"
        }
        // Within the nesting limit the message is parsed (the param is then unknown).
        XCTAssertEqual(try Meetingd.error(of: try meetingd.exchange(nested(50)), code: -32602)["data"]?["field"], "x")
        for depth in [70, 100_000] {
            let response = try meetingd.exchange(nested(depth))
            let code = response["error"]?["code"]?.int
            XCTAssertTrue(code == -32700 || code == -32600, "nesting \(depth) deep is refused: \(response)")
            try assertStillServing(meetingd)
        }
    }

    /// A writer that starts its stream with a byte-order mark (as .NET's UTF-8 encoding does) had
    /// its first request refused -32700: a mark before a line or a header, or at the start of a
    /// frame's body, is skipped (RFC 8259 §8.1).
    func testAByteOrderMarkBeforeAMessageIsSkipped() throws {
        let meetingd = try startMeetingd()
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        try meetingd.write(bom + Array(#"{"jsonrpc":"2.0","id":"first","method":"system.ping"}"#.utf8) + [0x0A])
        XCTAssertEqual(try meetingd.readResponse()["result"]?["database"], "ok")
        let body = bom + Array(#"{"jsonrpc":"2.0","id":"framed","method":"system.ping"}"#.utf8)
        try meetingd.write(bom + Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        let framed = try JSONValue.parse(try meetingd.readFrame().body)
        XCTAssertEqual([framed["id"], framed["result"]?["database"]], ["framed", "ok"])
        try assertStillServing(meetingd)
    }

    func testInvalidUTF8IsAParseError() throws {
        let meetingd = try startMeetingd()
        let prefix = Array(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"x":""#.utf8)
        let suffix = Array(#""}}"#.utf8) + [0x0A]
        for bad: [UInt8] in [[0xFF, 0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82]] {
            try meetingd.write(prefix + bad + suffix)
            let response = try meetingd.readResponse()
            try Meetingd.error(of: response, code: -32700, "bytes \(bad)")
            XCTAssertEqual(response["id"], .null)
            try assertStillServing(meetingd)
        }
        // An escaped lone surrogate is not a character either.
        let surrogate = try meetingd.exchange(#"{"jsonrpc":"2.0","id":2,"method":"system.ping","params":{"x":"\ud800"}}"#)
        try Meetingd.error(of: surrogate, code: -32700, "a lone surrogate")
        try assertStillServing(meetingd)
    }

    /// Every stdout line is a JSON-RPC response (one per request, none for notifications) and
    /// every stderr line is a JSON log record; the log never carries params.
    func testStdoutHoldsOnlyResponsesAndStderrJSONLogs() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let secretEmail = "secret-\(TestEnvironment.uniqueTag())@example.test"
        var params = TestCommunity.personParams(roles: ["user"])
        params["email"] = .string(secretEmail)
        params["actor"] = .string(community.adminId)
        let inputs = [
            Self.ping, "garbage", "[]", #"{"jsonrpc":"2.0","method":"system.ping"}"#, "",
            #"[{"jsonrpc":"2.0","id":1,"method":"system.ping"},{"jsonrpc":"2.0","method":"system.ping"}]"#,
            #"{"jsonrpc":"2.0","id":2,"method":"person.create","params":\#(JSONValue.object(params).serialized)}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"nope"}"#,
        ]
        for input in inputs { try meetingd.send(input) }
        meetingd.closeInput()
        let stdout = try meetingd.readToEnd()
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))

        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.last, "", "stdout ends with a newline")
        let responses = lines.dropLast()
        XCTAssertEqual(responses.count, 6, "one line per request, none for the notification or the blank line: \(stdout)")
        for line in responses {
            let value = try JSONValue.parse(line)
            for response in value.array ?? [value] {
                XCTAssertEqual(response["jsonrpc"], "2.0", line)
                XCTAssertNotNil(response["id"], "every response has an id: \(line)")
                XCTAssertTrue((response["result"] == nil) != (response["error"] == nil), "exactly one of result and error: \(line)")
                XCTAssertEqual(Set(response.object?.keys.map { $0 } ?? []).subtracting(["jsonrpc", "id", "result", "error"]), [], line)
            }
        }
        XCTAssertEqual(try Meetingd.result(of: try JSONValue.parse(responses[4]))["email"], .string(secretEmail))

        let logs = meetingd.stderrLines
        XCTAssertFalse(logs.isEmpty)
        for line in logs {
            guard let record = try? JSONValue.parse(line) else { XCTFail("stderr line is not JSON: \(line)"); continue }
            XCTAssertTrue(["debug", "info", "warning", "error"].contains(record["level"]?.string ?? ""), line)
            XCTAssertNotNil(record["message"]?.string, line)
            XCTAssertNotNil(record["ts"]?.string, line)
        }
        let create = logs.compactMap { try? JSONValue.parse($0) }.first { $0["method"] == "person.create" }
        XCTAssertEqual(create?["id"], 2, "the request's log line names its id")
        XCTAssertNotNil(create?["duration_ms"]?.number, "and its duration")
        XCTAssertFalse(meetingd.stderrText.contains(secretEmail), "params never reach the log")
    }

    /// `--test-clock` pins a community's time for every process on the database; without the
    /// flag the clock cannot be moved.
    func testTestClockOnlyWithTheFlag() throws {
        let community = try bootstrap()
        let other = try bootstrap("other community")
        let plain = try startMeetingd()
        let refused = try plain.error("clock.set", as: community.adminId, ["now": "2026-03-08T09:00:00-05:00"], code: 4003)
        XCTAssertTrue(refused["message"]?.string?.contains("--test-clock") ?? false, "the error says how: \(refused)")

        let clocked = try startMeetingd(["--test-clock"])
        let set = try clocked.result("clock.set", as: community.adminId, ["now": "2026-03-08T09:00:00-05:00"])
        XCTAssertEqual(set["now"], "2026-03-08T14:00:00Z", "answered in UTC")
        XCTAssertEqual(try clocked.result("clock.advance", as: community.adminId, ["minutes": 90])["now"], "2026-03-08T15:30:00Z")

        let second = try startMeetingd(["--test-clock"])
        XCTAssertEqual(
            try second.result("clock.advance", as: community.adminId, ["minutes": 0])["now"], "2026-03-08T15:30:00Z",
            "another process sees the same pinned time")
        let elsewhere = try second.result("clock.advance", as: other.adminId, ["minutes": 0])["now"]?.string ?? ""
        XCTAssertFalse(elsewhere.hasPrefix("2026-03-08T15:30"), "another community keeps its own time: \(elsewhere)")
    }

    /// Advances made at once through several processes all count: none is lost to another.
    func testConcurrentClockAdvancesAddUp() throws {
        let community = try bootstrap()
        let processes = try (0..<4).map { _ in try startMeetingd(["--test-clock"]) }
        try processes[0].result("clock.set", as: community.adminId, ["now": "2030-01-01T00:00:00Z"])
        let advancesEach = 10
        let lanes: [() throws -> JSONValue] = processes.map { process in
            let boxed = Unchecked(process)
            return {
                var last: JSONValue = .null
                for _ in 0..<advancesEach { last = try boxed.value.call("clock.advance", as: community.adminId, ["minutes": 15]) }
                return last
            }
        }
        let answers = try raceAll(lanes)
        XCTAssertEqual(answers.filter { $0["result"] == nil }, [], "every advance succeeded")
        let minutes = processes.count * advancesEach * 15
        XCTAssertEqual(try processes[0].result("clock.advance", as: community.adminId, ["minutes": 0])["now"],
                       .string(MeetingTime.shifted("2030-01-01T00:00:00Z", minutes: minutes)), "all \(processes.count * advancesEach) advances of 15 minutes")
    }

    func testExitsZeroOnEOF() throws {
        let meetingd = try startMeetingd()
        try assertStillServing(meetingd)
        meetingd.closeInput()
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
        XCTAssertEqual(try meetingd.readToEnd(), "", "nothing more on stdout")
    }

    func testExitsZeroOnSIGTERMWhenIdle() throws {
        let meetingd = try startMeetingd()
        try assertStillServing(meetingd)
        meetingd.signal(SIGTERM)
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
    }

    /// SIGINT (a Ctrl-C at meetingd's terminal) and SIGHUP (its terminal gone) stop it as
    /// SIGTERM does; each killed it at once.
    func testExitsZeroOnSIGINTOrSIGHUPWhenIdle() throws {
        for signal in [SIGINT, SIGHUP] {
            let meetingd = try startMeetingd()
            try assertStillServing(meetingd)
            meetingd.signal(signal)
            XCTAssertEqual(try meetingd.waitForExit(), .exited(0), "signal \(signal)")
            // The log names the signal that came; every one was called SIGTERM.
            let name = signal == SIGINT ? "SIGINT" : "SIGHUP"
            XCTAssertTrue(meetingd.stderrLines.last?.contains("\(name): the requests read answered") ?? false, "\(meetingd.stderrLines.suffix(1))")
        }
    }

    /// DATABASE_URL set but empty is a mistake told at start (it served, unable to reach
    /// anything); unset, libpq's defaults apply.
    func testAnEmptyDatabaseURLStopsTheStart() throws {
        let run = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": ""])
        XCTAssertEqual(run.termination, .exited(2), run.stderr)
        XCTAssertTrue(run.stderr.contains("DATABASE_URL is set but empty"), run.stderr)
        XCTAssertTrue(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["DATABASE_URL": ""]).succeeded, "discover reads no database")
    }

    /// A DATABASE_URL that is one bare word is a database name to libpq, on its default host:
    /// the failure says so (it read "could not connect" and nothing of the slip).
    func testABareWordDatabaseURLIsExplained() throws {
        let run = try runTool(
            TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": "meetingledger", "PGHOST": "/nonexistent-socket-folder"])
        XCTAssertEqual(run.termination, .exited(75), "a database not reached: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("libpq reads it as the name of a database on its default host"), run.stderr)
        let spelled = try runTool(
            TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": "host=/nonexistent-socket-folder dbname=x"])
        XCTAssertEqual(spelled.termination, .exited(75), spelled.stderr)
        XCTAssertFalse(spelled.stderr.contains("libpq reads it"), "a connection string is not a bare word: \(spelled.stderr)")
    }

    /// libpq quotes the part of a connection string it cannot read, which may be a password (a
    /// `%` not written `%25`, a space not quoted): it is left out of the message and the log.
    func testAPasswordLibpqCannotReadStaysOutOfTheMessage() throws {
        for (url, phrase) in [("postgresql://postgres:Se%zzcret@/meetingledger?host=/nonexistent", "percent-encoded token: \"…\""),
                              ("postgresql://postgres:Se%00cret@/meetingledger?host=/nonexistent", "percent-encoded value: \"…\""),
                              ("postgresql://postgres:Se%zz\"cret@/meetingledger?host=/nonexistent", "percent-encoded token: \"…\""),
                              ("host=/nonexistent dbname=x password=my secret=1", "invalid connection option \"…\""),
                              ("host=/nonexistent dbname=x password=my secret", "missing \"…\" in connection info string")] {
            let run = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
            XCTAssertEqual(run.termination, .exited(2), run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("DATABASE_URL cannot be parsed as a connection string: ") && run.stderr.contains(phrase), run.stderr)
            XCTAssertFalse(run.stderr.contains("cret"), run.stderr)
        }
        // Without a password in it, a misspelt option is named.
        let misspelt = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": "host=/nonexistent dbnmae=x"])
        XCTAssertTrue(misspelt.stderr.contains("invalid connection option \"dbnmae\""), misspelt.stderr)
    }

    /// The message of the log line meetingd stopped with (its last line on stderr).
    func loggedMessage(_ stderr: String) throws -> String {
        try JSONValue.parse(String(stderr.split(separator: "\n").last ?? ""))["message"]?.string ?? ""
    }

    /// SIGTERM during a long batch: the batch is finished and answered, then the process exits 0.
    /// Messages refused before any method runs are in the log too (they were answered and not
    /// logged: an operator could not see a front end sending broken requests), each with its
    /// code and id; an id thousands of digits long is logged cut.
    func testRefusedMessagesAreLogged() throws {
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_MAX_MESSAGE_BYTES": "5000"])
        let longId = String(repeating: "7", count: 3_000)
        let messages: [(String, Int64)] = [
            ("{not json", -32700), (#"{"jsonrpc":"2.0","id":"m","method":"no.such"}"#, -32601), (#"{"jsonrpc":"1.0","id":"v","method":"system.ping"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":"pad","method":"system.ping","params":{"x":"\#(String(repeating: "a", count: 6_000))"}}"#, -32600),
            (#"{"jsonrpc":"2.0","id":"\#(longId)","method":"no.such"}"#, -32601), ("[]", -32600),
        ]
        for (message, code) in messages {
            XCTAssertEqual(try meetingd.exchange(message)["error"]?["code"]?.int, code, message.prefix(60).description)
        }
        try meetingd.send(#"{"jsonrpc":"2.0","method":"no.such.notification"}"#)
        try assertStillServing(meetingd)
        func refusalLines(_ lines: [String]) -> [JSONValue] {
            lines.compactMap { try? JSONValue.parse($0) }.filter { $0["message"]?.string?.hasPrefix("refused: ") ?? false }
        }
        try meetingd.waitForStderr("a refusal logged for each message") { refusalLines($0).count >= messages.count + 1 }
        let refusals = refusalLines(meetingd.stderrLines)
        XCTAssertEqual(refusals.compactMap { $0["code"]?.int }, messages.map(\.1) + [-32601], "\(refusals)")
        XCTAssertEqual(refusals.map { $0["level"] }, Array(repeating: "warning", count: messages.count + 1))
        XCTAssertEqual(refusals[1]["id"], "m")
        XCTAssertEqual(refusals[3]["id"], "pad", "an oversized message's id, as its answer has it")
        XCTAssertEqual(refusals[4]["id"]?.string, String(longId.prefix(200)) + "…")
        XCTAssertTrue(meetingd.stderrLines.allSatisfy { $0.utf8.count < 5_000 }, "no log line carries a message's bulk")
    }

    func testSIGTERMFinishesTheRequestInFlight() throws {
        let community = try bootstrap()
        // One entry at a time, so the batch is still running when the signal comes on a slow machine.
        let meetingd = try startMeetingd(["--batch-workers", "1"])
        let count = 300
        let entries = (0..<count).map { i -> String in
            var params = TestCommunity.personParams(roles: ["user"])
            params["actor"] = .string(community.adminId)
            return #"{"jsonrpc":"2.0","id":\#(i),"method":"person.create","params":\#(JSONValue.object(params).serialized)}"#
        }
        try meetingd.send("[" + entries.joined(separator: ",") + "]")
        try meetingd.waitForLog("the batch has started", where: { $0["method"] == "person.create" })
        meetingd.signal(SIGTERM)
        let doneBeforeSignal = meetingd.stderrLines.filter { $0.contains(#""method":"person.create""#) }.count
        XCTAssertLessThan(doneBeforeSignal, count, "the signal came while the batch was in flight")
        let response = try meetingd.readResponse()
        XCTAssertEqual(response.array?.count, count, "the whole batch is answered")
        XCTAssertEqual(response.array?.filter { $0["result"] != nil }.count, count)
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
        XCTAssertTrue(meetingd.stderrLines.last?.contains("SIGTERM") ?? false, "the log says why it stopped: \(meetingd.stderrLines.suffix(2))")

        let reader = try startMeetingd()
        XCTAssertEqual(try community.people(on: reader).count, count + 1, "every person of the batch was created")
    }

    /// `count` grants to a new user sent in one write of less than PIPE_BUF bytes, which a pipe
    /// moves whole (meetingd reads them at once); SIGTERM comes while the first waits on the
    /// user's wallet, held by another session, which is then let go. The answers, in the order
    /// read, and the wallet.
    func grantsSignalledWhileTheFirstWaits(_ meetingd: Meetingd, count: Int, _ label: String) throws -> (answers: [JSONValue], wallet: String) {
        let held = try HeldWallet(on: meetingd, label, databaseURL: databaseURL)
        let lines = held.grants(count)
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        XCTAssertLessThan(bytes.count, Int(PIPE_BUF))
        try meetingd.write(bytes)
        try held.waitUntilWaitedOn(by: 1)
        meetingd.signal(SIGTERM)
        try held.release()
        let answers = try lines.map { _ in try meetingd.readResponse() }
        XCTAssertEqual(answers.compactMap { $0["id"]?.int }, (1...count).map { Int64($0) }, "each answered, in order")
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
        return (answers, held.wallet)
    }

    /// A new user's wallet locked by another session (psql), which grants to it wait on.
    struct HeldWallet {
        let ledger: LedgerCommunity
        let user: String
        let wallet: String
        let holder: PsqlSession
        let holderPid: String
        let databaseURL: String

        init(on meetingd: Meetingd, _ label: String, databaseURL: String) throws {
            self.databaseURL = databaseURL
            ledger = try LedgerCommunity.make(on: meetingd, label)
            user = try ledger.person(on: meetingd, ["user"])
            wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
            holder = try PsqlSession(databaseURL)
            holderPid = try XCTUnwrap(try holder.query("SELECT pg_backend_pid();").first)
            try holder.query("BEGIN; SELECT id FROM accounts WHERE id = \(Psql.literal(wallet)) FOR UPDATE;")
        }

        /// `count` grants of 1 credit to the user, ids 1…count, as JSON-RPC requests.
        func grants(_ count: Int) -> [String] {
            (1...count).map { i in
                #"{"jsonrpc":"2.0","id":\#(i),"method":"credits.grant","params":{"actor":"\#(ledger.financeId)","user_id":"\#(user)","credits":1,"reference":"sigterm-\#(i)"}}"#
            }
        }

        /// Until `sessions` wait on the holder, or on one that waits on it (a row's later waiters
        /// queue behind its first).
        func waitUntilWaitedOn(by sessions: Int) throws {
            try Psql.waitFor(
                databaseURL, """
                    WITH RECURSIVE waiting (pid) AS (
                        SELECT pid FROM pg_stat_activity WHERE \(holderPid) = ANY (pg_blocking_pids(pid))
                        UNION SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY (pg_blocking_pids(a.pid)))
                    SELECT count(*) >= \(sessions) FROM waiting
                    """, toSay: ["t"], "fewer than \(sessions) grants waited on the held wallet")
        }

        func release() throws {
            try holder.query("ROLLBACK;")
            holder.close()
        }
    }

    /// The grace is counted from the signal, and no request is started once it is over: the
    /// one in flight waits out its lock timeout, past the grace, and the rest are answered
    /// shutting_down. The grace was counted from the end of the request in flight, so the next
    /// one was started and waited out a lock timeout of its own.
    func testTheStopGraceIsCountedFromTheSignal() throws {
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_STOP_GRACE_MS": "1000", "MEETINGLEDGER_LOCK_TIMEOUT_MS": "3000"])
        let held = try HeldWallet(on: meetingd, #function, databaseURL: databaseURL)
        let lines = held.grants(10)
        try meetingd.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try held.waitUntilWaitedOn(by: 1)
        usleep(500_000)
        meetingd.signal(SIGTERM)
        let answers = try lines.map { _ in try meetingd.readResponse() }
        try held.release()
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
        XCTAssertEqual(answers[0]["error"]?["data"]?["code"], "lock_timeout", "the request in flight ran to its end: \(answers[0])")
        XCTAssertEqual(answers[1...].map { $0["error"]?["data"]?["code"] }, Array(repeating: "shutting_down", count: 9), "\(answers[1])")
        XCTAssertEqual(try storedBalance(held.wallet), "0/0")
        // The log says how long ago the signal came when the grace's end was found (after the
        // request in flight, some 2.5 s on), not the grace (it said "1000 ms passed").
        let ended = try XCTUnwrap(meetingd.stderrLines.compactMap { try? JSONValue.parse($0) }.first { $0["grace_ms"] != nil }, meetingd.stderrText)
        XCTAssertEqual(ended["grace_ms"], 1000)
        XCTAssertGreaterThanOrEqual(ended["since_signal_ms"]?.int ?? 0, 2000, "\(ended)")
        XCTAssertTrue(ended["message"]?.string?.hasPrefix("SIGTERM came ") ?? false, "\(ended)")
    }

    /// A batch's entries not started when the grace is over are each answered shutting_down, the
    /// batch's answer whole and in order: the grace bounds a batch as it bounds a queue of lines.
    /// A 40-entry batch waiting on a held wallet ran every entry, 24 s past the signal.
    func testTheStopGraceBoundsABatch() throws {
        let workers = 4
        let meetingd = try startMeetingd(
            ["--batch-workers", "\(workers)"], environment: ["MEETINGLEDGER_STOP_GRACE_MS": "1000", "MEETINGLEDGER_LOCK_TIMEOUT_MS": "2000"])
        let held = try HeldWallet(on: meetingd, #function, databaseURL: databaseURL)
        let entries = held.grants(40)
        try meetingd.send("[" + entries.joined(separator: ",") + "]")
        // As many entries run at once as the machine has cores, up to the workers.
        try held.waitUntilWaitedOn(by: 1)
        usleep(500_000)
        meetingd.signal(SIGTERM)
        let answer = try XCTUnwrap(try meetingd.readResponse().array)
        try held.release()
        XCTAssertEqual(try meetingd.waitForExit(), .exited(0))
        XCTAssertEqual(answer.compactMap { $0["id"]?.int }, (1...40).map { Int64($0) }, "each entry answered, in order")
        let codes = answer.map { $0["error"]?["data"]?["code"]?.string ?? "ok" }
        let ranToTheirEnd = codes.filter { $0 == "lock_timeout" }.count
        XCTAssertTrue((1...workers).contains(ranToTheirEnd), "only the entries in flight ran to their end: \(codes)")
        XCTAssertEqual(codes.filter { $0 == "shutting_down" }.count, 40 - ranToTheirEnd, "\(codes)")
        XCTAssertEqual(try storedBalance(held.wallet), "0/0")
    }

    /// SIGTERM answers every request read before it, as the end of input does (SPEC: "SIGTERM
    /// does the same"). A front end that had sent several at once got the one in flight answered
    /// and the others dropped without an answer.
    func testSIGTERMAnswersEveryRequestAlreadyRead() throws {
        let (answers, wallet) = try grantsSignalledWhileTheFirstWaits(try startMeetingd(), count: 10, #function)
        XCTAssertEqual(answers.filter { $0["result"] != nil }.count, 10, "\(answers)")
        XCTAssertEqual(try storedBalance(wallet), "10/0", "every grant read was made")
    }

    /// After SIGTERM, the requests read are run for MEETINGLEDGER_STOP_GRACE_MS; past it each is
    /// answered shutting_down, retryable and not run, so a stop never waits on a long queue
    /// (a database gone, locks held) for longer than that and the request then in flight.
    func testAfterTheStopGraceTheRequestsReadAreAnsweredNotRun() throws {
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_STOP_GRACE_MS": "0"])
        let (answers, wallet) = try grantsSignalledWhileTheFirstWaits(meetingd, count: 3, #function)
        XCTAssertNotNil(answers[0]["result"], "the request in flight finishes: \(answers[0])")
        for refused in answers[1...] {
            XCTAssertEqual(refused["error"]?["data"]?["code"], "shutting_down", "\(refused)")
            XCTAssertEqual(refused["error"]?["data"]?["retryable"], true)
        }
        XCTAssertEqual(try storedBalance(wallet), "1/0", "only the request in flight was made")
    }

    /// A stop does not wait for ever on a caller that reads no more answers: once the grace is
    /// over, an answer stdout takes nothing of for 5 s is given up with the rest, logged, and
    /// meetingd exits 1 (not all answers were delivered). It waited for ever, blocked writing.
    func testAStopGivesUpAnswersNobodyReads() throws {
        let meetingd = try startMeetingd(environment: ["MEETINGLEDGER_STOP_GRACE_MS": "1000"])
        // Far more answers than a pipe holds (64 KiB), none read.
        let id = String(repeating: "i", count: 500)
        let pings = (1...150).map { #"{"jsonrpc":"2.0","id":"\#(id)-\#($0)","method":"system.ping"}"# }
        try meetingd.send(pings.joined(separator: "\n"))
        try meetingd.waitForStderr("pings answered") { $0.filter { $0.contains(#""method":"system.ping""#) }.count >= 50 }
        // The writer has waited on stdout for a while before the signal: its 5 s count from the
        // grace's end all the same (they were counted from the write's start, so it gave up at
        // the grace's end).
        usleep(2_500_000)
        let signalled = Date()
        meetingd.signal(SIGTERM)
        XCTAssertEqual(try meetingd.waitForExit(timeout: 20), .exited(1))
        let waited = Date().timeIntervalSince(signalled)
        XCTAssertGreaterThanOrEqual(waited, 5.8, "the grace, then 5 s for stdout to take more")
        XCTAssertLessThan(waited, 12)
        let last = try JSONValue.parse(try XCTUnwrap(meetingd.stderrLines.last))
        XCTAssertEqual(last["level"], "error")
        XCTAssertTrue(last["message"]?.string?.hasPrefix("SIGTERM: stdout took nothing for 5000 ms after the stop grace") ?? false, "\(last)")
    }

    /// A caller that goes away (closes its end of stdout) loses the answer meetingd writes next,
    /// whose change may have been made: meetingd stops with exit status 1 and an error line, as
    /// when a stop gives answers up (it exited 0 with a warning, and an operator saw no loss).
    func testAnAnswerNobodyCanReadStopsMeetingdWithAnError() throws {
        let meetingd = try startMeetingd()
        meetingd.closeOutputReader()
        try meetingd.send(#"{"jsonrpc":"2.0","id":"lost","method":"system.ping"}"#)
        XCTAssertEqual(try meetingd.waitForExit(timeout: 20), .exited(1))
        let last = try JSONValue.parse(try XCTUnwrap(meetingd.stderrLines.last))
        XCTAssertEqual(last["level"], "error")
        XCTAssertTrue(last["message"]?.string?.hasPrefix("stdout closed: an answer could not be written") ?? false, "\(last)")
    }

    /// The nesting bound is published (`x-bounds.max_nesting_depth`) and is the one the parser
    /// holds: a message nested that deep is read, one level more is refused -32700.
    func testTheNestingBoundIsPublishedAndHeld() throws {
        let meetingd = try startMeetingd()
        let depth = try XCTUnwrap(try Meetingd.result(of: try meetingd.call("rpc.discover"))["info"]?["x-bounds"]?["max_nesting_depth"]?.int)
        XCTAssertEqual(depth, 64)
        // The message is the first level and its params the second.
        func ping(nesting levels: Int) throws -> JSONValue {
            try meetingd.exchange(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"x":\#(String(repeating: "[", count: levels - 2) + String(repeating: "]", count: levels - 2))}}"#)
        }
        XCTAssertEqual(try ping(nesting: Int(depth))["error"]?["code"], -32602, "read, and refused for its unknown param")
        let deeper = try ping(nesting: Int(depth) + 1)
        XCTAssertEqual(deeper["error"]?["code"], -32700)
        XCTAssertTrue(deeper["error"]?["message"]?.string?.contains("nesting deeper than \(depth) levels") ?? false, "\(deeper)")
    }

    // MARK: Framing mixes and exact ids

    func testLFAndCRLFFramesInOneWriteEachGetTheirAnswer() throws {
        let meetingd = try startMeetingd()
        let first = #"{"jsonrpc":"2.0","id":"lf","method":"system.ping"}"#, second = #"{"jsonrpc":"2.0","id":"crlf","method":"system.ping"}"#
        let third = "{\"jsonrpc\":\"2.0\",\r\n\r\n\"id\":\"inside\",\"method\":\"system.ping\"}"
        var bytes = Array("Content-Length: \(first.utf8.count)\n\n\(first)".utf8)
        bytes += Array("Content-Length: \(second.utf8.count)\r\n\r\n\(second)".utf8)
        bytes += Array("Content-Length: \(third.utf8.count)\n\n\(third)".utf8)
        try meetingd.write(bytes)
        for id in ["lf", "crlf", "inside"] {
            let answer = try JSONValue.parse(try meetingd.readFrame().body)
            XCTAssertEqual(answer["id"]?.string, id, "\(answer)")
            XCTAssertNotNil(answer["result"], "\(answer)")
        }
        let ping = try meetingd.exchange(#"{"jsonrpc":"2.0","id":"after","method":"system.ping"}"#)
        XCTAssertEqual(ping["id"], "after")
    }

    /// A frame whose Content-Length counts characters, not bytes ("café" in it), is answered
    /// -32700 and costs only itself and the frame it ran into: the next frame is read from its
    /// header. Its leftover was read as a line glued to the next header, and every later frame
    /// was answered unframed and never ran. A line after a frame read whole, or after an
    /// unreadable one, is a line as ever, whatever it holds.
    func testAWrongContentLengthCostsOnlyTheFramesItTouches() throws {
        let meetingd = try startMeetingd()
        func ping(_ id: String) -> String { #"{"jsonrpc":"2.0","id":"\#(id)","method":"system.ping"}"# }
        func frame(_ body: String, length: Int? = nil) -> String { "Content-Length: \(length ?? body.utf8.count)\r\n\r\n\(body)" }
        let cafe = ping("café")
        // One byte short.
        try meetingd.write(Array((frame(cafe, length: cafe.count) + frame(ping("f2")) + frame(ping("f3"))).utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["error"]?["code"], -32700)
        for id in ["f2", "f3"] { XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"]?.string, id) }
        // Too long: it takes the start of the next header, and that frame with it; the header's
        // rest ("gth: 50") is a line, answered as one, and the frame after is a frame again.
        try meetingd.write(Array((frame(cafe, length: cafe.utf8.count + 11) + frame(ping("lost")) + frame(ping("f4"))).utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["error"]?["code"], -32700)
        XCTAssertEqual(try meetingd.readResponse()["error"]?["code"], -32700, "the rest of the header it took")
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"]?.string, "f4")
        // Lines after a frame read whole, one of them not JSON, one naming a header in its text.
        try meetingd.write(Array((frame(ping("f5")) + "hello\n" + ping("Content-Length: 10") + "\n").utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["id"]?.string, "f5")
        XCTAssertEqual(try meetingd.readResponse()["error"]?["code"], -32700, "hello is a line, not JSON")
        XCTAssertEqual(try meetingd.readResponse()["id"], "Content-Length: 10")
        // A frame of the right length that is not JSON, then a line: the line is answered.
        try meetingd.write(Array((frame("{]") + ping("l1") + "\n").utf8))
        XCTAssertEqual(try JSONValue.parse(try meetingd.readFrame().body)["error"]?["code"], -32700)
        XCTAssertEqual(try meetingd.readResponse()["id"], "l1", "a line after an unreadable frame is a line")
    }

    func testIdsComeBackExactlyAsSent() throws {
        let meetingd = try startMeetingd()
        for id in ["12345678901234567890", "-99999999999999999999", "1.50", "-0", "1e5", "0.1", "9223372036854775807", "-9223372036854775808", "1E-7"] {
            try meetingd.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"system.ping"}"#)
            let line = try meetingd.readLine()
            XCTAssertTrue(line.contains(#""id":\#(id),"#) || line.contains(#""id":\#(id)}"#), "id \(id) comes back as sent: \(line)")
        }
        try meetingd.send(#"{"jsonrpc":"2.0","id":1.0,"method":"person.get","params":{"actor":"per_x","person_id":1.0}}"#)
        let line = try meetingd.readLine()
        XCTAssertTrue(line.contains(#""id":1.0"#), "an error answer echoes the id too: \(line)")
    }
}
