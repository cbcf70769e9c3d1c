import Foundation
import XCTest

/// SPEC §3.1 limits beyond the message size: batch entries, numbers, strings and lists. Over a
/// limit: a clear error naming the field, nothing changed, and the process keeps serving.
final class LimitsTests: EndToEndTestCase {
    static func pingBatch(_ count: Int) -> String {
        "[" + (0..<count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"system.ping"}"# }.joined(separator: ",") + "]"
    }

    func testBatchEntryLimit() throws {
        let small = try startMeetingd(environment: ["MEETINGLEDGER_MAX_BATCH": "5"])
        XCTAssertEqual(try small.exchange(Self.pingBatch(5)).array?.count, 5)
        let refused = try Meetingd.error(of: try small.exchange(Self.pingBatch(6)), code: -32600, "6 entries over a limit of 5")
        XCTAssertTrue(refused["message"]?.string?.contains("5") ?? false, "the message states the limit: \(refused)")
        XCTAssertEqual(try small.call("system.ping")["result"]?["database"], "ok")

        let standard = try startMeetingd()
        XCTAssertEqual(try standard.exchange(Self.pingBatch(1000)).array?.count, 1000)
        let over = try standard.exchange(Self.pingBatch(1001))
        XCTAssertNil(over.array, "one error for the whole batch, not per entry")
        try Meetingd.error(of: over, code: -32600, "1001 entries")
        XCTAssertEqual(try standard.call("system.ping")["result"]?["database"], "ok")
    }

    /// A string's length is its Unicode scalars, as the database counts: text that looks short
    /// (few Characters) but is over the limit is refused naming the field, not failed by a CHECK
    /// constraint as an internal error; what fits is stored whole.
    func testStringLengthsAreCountedAsTheDatabaseCountsThem() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let family = String(repeating: "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", count: 29)  // 29 Characters, 203 scalars
        let cases: [(String, [String: JSONValue], String)] = [
            ("person.create", ["email": "fam@example.test", "first_name": .string(family), "last_name": "L", "roles": ["user"], "time_zone": "UTC"], "first_name"),
            ("location.create", ["name": .string(String(repeating: "e\u{0301}\u{0301}", count: 100)), "kind": "virtual"], "name"),
            ("service.create", ["name": .string("S" + String(repeating: "\r\n", count: 150)), "kind": "generic", "default_length_minutes": 30, "price_credits": 5], "name"),
        ]
        for (method, params, field) in cases {
            let error = try Meetingd.error(of: try meetingd.call(method, as: community.adminId, params), code: -32602, method)
            XCTAssertEqual(error["data"]?["field"], .string(field), "\(method): \(error)")
        }
        XCTAssertEqual(try meetingd.result("person.list", as: community.adminId)["items"]?.array?.count, 1, "nothing created: only the admin")
        let fits = String(repeating: "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", count: 28)  // 196 scalars
        let person = try meetingd.result("person.create", as: community.adminId, [
            "email": "fits@example.test", "first_name": .string(fits), "last_name": "L", "roles": ["user"], "time_zone": "UTC"])
        XCTAssertEqual(person["first_name"], .string(fits))
    }

    /// Credits are whole numbers in 1…10^12 for a grant; anything else names the field.
    func testCreditsOutOfRange() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let user = try community.createPersonId(on: meetingd, roles: ["user"])
        let texts = ["1000000000001", "0", "-5", "1.5", "1e13", "1.0000000000001e12", "99999999999999999999", "\"10\"", "true", "null"]
        for text in texts {
            let request = #"{"jsonrpc":"2.0","id":"c","method":"credits.grant","params":{"actor":"\#(community.adminId)","user_id":"\#(user)","credits":\#(text),"reference":"order-\#(text.count)"}}"#
            let error = try Meetingd.error(of: try meetingd.exchange(request), code: -32602, "credits \(text)")
            XCTAssertEqual(error["data"]?["field"], "credits", "credits \(text): \(error)")
        }
        let granted = try meetingd.result("credits.grant", as: community.adminId, ["user_id": .string(user), "credits": 1_000_000_000_000, "reference": "max"])
        XCTAssertEqual(granted["credits"], 1_000_000_000_000, "the maximum itself is accepted")
        // A whole number written with an exponent is that number (JSON Schema's integer).
        let written = #"{"jsonrpc":"2.0","id":"e","method":"credits.grant","params":{"actor":"\#(community.adminId)","user_id":"\#(user)","credits":1e3,"reference":"exp"}}"#
        XCTAssertEqual(try Meetingd.result(of: try meetingd.exchange(written), "credits 1e3")["credits"], 1_000)
        let balance = try meetingd.result("ledger.balance", as: user, ["person_id": .string(user)])
        XCTAssertEqual(balance["available"], 1_000_000_001_000, "only the valid grants moved credits")
    }

    func testStringAndListLimits() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let admin = community.adminId
        var keyed = TestCommunity.personParams(roles: ["user"])
        keyed["idempotency_key"] = .string(String(repeating: "k", count: 201))
        XCTAssertEqual(try meetingd.error("person.create", as: admin, keyed, code: -32602)["data"]?["field"], "idempotency_key")

        let ids = JSONValue.array((0..<501).map { _ in .string("out_" + String(repeating: "0", count: 32)) })
        XCTAssertEqual(try meetingd.error("outbox.ack", as: admin, ["ids": ids], code: -32602)["data"]?["field"], "ids")

        let questions = JSONValue.array([.string(String(repeating: "q", count: 501))])
        XCTAssertEqual(
            try meetingd.error("community.update_settings", as: admin, ["feedback_questions": questions], code: -32602)["data"]?["field"],
            "feedback_questions[0]")
        XCTAssertEqual(try community.people(on: meetingd).count, 1, "nothing was created")
    }

    /// A limit set to something that is not a whole number of at least 1 stops meetingd with a
    /// message naming the variable, instead of serving with the default unnoticed.
    func testALimitThatIsNotAWholeNumberStopsMeetingd() throws {
        let variables = [
            "MEETINGLEDGER_MAX_MESSAGE_BYTES", "MEETINGLEDGER_MAX_BATCH", "MEETINGLEDGER_MAX_STRING", "MEETINGLEDGER_MAX_ANSWER_BYTES",
            "MEETINGLEDGER_MAX_BATCH_SECONDS",
        ]
        for variable in variables {
            for value in ["2M", "0", "-5", "abc", "99999999999999999999999"] {
                let run = try runTool(TestEnvironment.meetingdPath, ["discover"], environment: [variable: value])
                XCTAssertEqual(run.termination, .exited(2), "\(variable)=\(value): \(run.stderr)")
                XCTAssertTrue(run.stderr.contains("\(variable) must be a whole number"), run.stderr)
                XCTAssertTrue(run.stderr.contains("at most 9223372036854775807"), "a value too large to hold is told the bound it passed: \(run.stderr)")
                XCTAssertEqual(run.stdout, "")
            }
        }
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_MAX_BATCH": "7"]).termination, .exited(0))
        // A string bound shorter than an id would refuse every call naming a person.
        let short = try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_MAX_STRING": "35"])
        XCTAssertEqual(short.termination, .exited(2), short.stderr)
        XCTAssertTrue(short.stderr.contains("at least 36 (an id is 36 characters"), short.stderr)
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_MAX_STRING": "36"]).termination, .exited(0))
        // The stop grace may be 0 (run nothing more after SIGTERM), not less, and at most a day.
        for value in ["10s", "-1", "abc", "86400001", "9223372036854775807"] {
            let run = try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_STOP_GRACE_MS": value])
            XCTAssertEqual(run.termination, .exited(2), "MEETINGLEDGER_STOP_GRACE_MS=\(value): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("MEETINGLEDGER_STOP_GRACE_MS must be a whole number"), run.stderr)
        }
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_STOP_GRACE_MS": "0"]).termination, .exited(0))
    }

    /// A batch-workers count or memory cap out of range stops meetingd (exit 2) with a message
    /// naming both the flag and the variable, whichever of the two gave the value.
    func testWorkersAndMemoryCapOutOfRangeNameTheFlagAndTheVariable() throws {
        let refusals: [(arguments: [String], environment: [String: String], says: String)] = [
            (["--batch-workers", "0"], [:], "--batch-workers (MEETINGLEDGER_BATCH_WORKERS) takes 1…32"),
            ([], ["MEETINGLEDGER_BATCH_WORKERS": "33"], "--batch-workers (MEETINGLEDGER_BATCH_WORKERS) takes 1…32"),
            (["--max-memory-mb", "10"], [:], "--max-memory-mb (MEETINGLEDGER_MAX_MEMORY_MB) takes 0 (no cap) or 256 to 16777216"),
            ([], ["MEETINGLEDGER_MAX_MEMORY_MB": "255"], "--max-memory-mb (MEETINGLEDGER_MAX_MEMORY_MB) takes 0 (no cap) or 256 to 16777216"),
        ]
        for refusal in refusals {
            let run = try runTool(TestEnvironment.meetingdPath, refusal.arguments + ["discover"], environment: refusal.environment)
            XCTAssertEqual(run.termination, .exited(2), "\(refusal): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix(refusal.says), run.stderr)
            XCTAssertEqual(run.stdout, "")
        }
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_MAX_MEMORY_MB": "16777216"]).termination, .exited(0),
                       "16 TiB, the largest cap")
        XCTAssertEqual(try runTool(TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_MAX_MEMORY_MB": "16777217"]).termination, .exited(2))
        let bounds = try runTool(
            TestEnvironment.meetingdPath, ["discover"], environment: ["MEETINGLEDGER_BATCH_WORKERS": "32", "MEETINGLEDGER_MAX_MEMORY_MB": "256"])
        XCTAssertEqual(bounds.termination, .exited(0), bounds.stderr)
    }

    /// The document a meetingd publishes gives the bounds it checks: with MEETINGLEDGER_MAX_STRING
    /// at 50, credits.adjust's reason says 50 (not the standard 2,000), and 51 characters are
    /// refused while 50 are taken.
    func testPublishedParamBoundsAreThoseThisProcessChecks() throws {
        func reasonMax(_ document: JSONValue) -> JSONValue? {
            let method = document["methods"]?.array?.first { $0["name"] == "credits.adjust" }
            return method?["params"]?.array?.first { $0["name"] == "reason" }?["schema"]?["maxLength"]
        }
        let standard = try startMeetingd()
        XCTAssertEqual(reasonMax(try Meetingd.result(of: try standard.call("rpc.discover"))), 2000)
        let lowered = try startMeetingd(environment: ["MEETINGLEDGER_MAX_STRING": "50"])
        let document = try Meetingd.result(of: try lowered.call("rpc.discover"))
        XCTAssertEqual(reasonMax(document), 50)
        XCTAssertEqual(document["info"]?["x-bounds"]?["max_string_length"], 50)
        XCTAssertEqual(document["info"]?["x-bounds"]?["max_batch_seconds"], 60, "the batch's time bound is published")
        XCTAssertEqual(document["info"]?["x-bounds"]?["search_expert_start_times_max"], 4_000_000, "the search's work bound is published")
        let community = try bootstrap()
        let user = try community.createPersonId(on: lowered, roles: ["user"])
        let finance = try community.createPersonId(on: lowered, roles: ["finance"])
        let account = try XCTUnwrap(try lowered.result("ledger.balance", as: finance, ["person_id": .string(user)])["accounts"]?.array?.first?["account_id"])
        let refused = try lowered.error("credits.adjust", as: finance, ["account_id": account, "credits": 5, "reason": .string(String(repeating: "r", count: 51))], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "reason")
        XCTAssertEqual(try lowered.result("credits.adjust", as: finance, ["account_id": account, "credits": 5, "reason": .string(String(repeating: "r", count: 50))])["credits"], 5)
    }

    /// A string may be as long as its published schema says: rpc.discover documents
    /// catalog.import_csv's `csv` up to 1,000,000 characters, so an 18 kB file must not be refused for
    /// its length.
    func testPublishedStringLengthIsAccepted() throws {
        let rows = (1...300).map { "Service number \($0) with a long descriptive name,generic,60,10" }
        let csv = (["name,kind,default_length_minutes,price_credits"] + rows).joined(separator: "\n")
        XCTAssertGreaterThan(csv.count, 10_000)

        // The file itself is fine: with the general string limit raised it is imported.
        let raised = try startMeetingd(environment: ["MEETINGLEDGER_MAX_STRING": "1000000"])
        let control = try bootstrap("raised string limit")
        XCTAssertEqual(try raised.result("catalog.import_csv", as: control.adminId, ["kind": "services", "csv": .string(csv)])["created"], 300)

        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let response = try meetingd.call("catalog.import_csv", as: community.adminId, ["kind": "services", "csv": .string(csv)])
        XCTAssertEqual(response["result"]?["created"], 300, "a \(csv.count)-character CSV is imported with the default limits: \(response)")
    }
}
