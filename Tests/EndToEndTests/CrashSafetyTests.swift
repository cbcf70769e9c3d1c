import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// SPEC §6 crash safety: kill -9 at any instant, retry with the same idempotency_key in a new
/// process, and the effect happens exactly once.
final class CrashSafetyTests: EndToEndTestCase {
    func createRequest(_ community: TestCommunity, _ params: [String: JSONValue], key: String, id: Int = 1) -> String {
        var all = params
        all["actor"] = .string(community.adminId)
        all["idempotency_key"] = .string(key)
        return JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(id)), "method": "person.create", "params": .object(all)]).serialized
    }

    func people(withEmail email: JSONValue?, _ community: TestCommunity, on meetingd: Meetingd) throws -> [JSONValue] {
        try community.people(on: meetingd).filter { $0["email"] == email }
    }

    /// Killed right after the request was written (before, during or after its transaction,
    /// depending on the delay): the retry creates the person once, and only once.
    func testRetryAfterKillBeforeTheReply() throws {
        let community = try bootstrap()
        var attempts: [(params: [String: JSONValue], key: String)] = []
        // The first request opens a connection, then runs its transaction: these delays land
        // before, inside and after it.
        for delayMicroseconds: UInt32 in [0, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 15_000, 20_000, 40_000] {
            let params = TestCommunity.personParams(roles: ["user"])
            let key = "create-\(TestEnvironment.uniqueTag())"
            let doomed = try startMeetingd()
            try doomed.waitForLog("meetingd serves", where: { $0["message"] == "serving" })
            try doomed.send(createRequest(community, params, key: key))
            usleep(delayMicroseconds)
            try doomed.kill()
            attempts.append((params, key))
        }
        let meetingd = try startMeetingd()
        for attempt in attempts {
            var params = attempt.params
            params["idempotency_key"] = .string(attempt.key)
            let first = try meetingd.result("person.create", as: community.adminId, params)
            let again = try meetingd.result("person.create", as: community.adminId, params)
            XCTAssertEqual(first, again, "a second retry returns the same response")
            let found = try people(withEmail: attempt.params["email"], community, on: meetingd)
            XCTAssertEqual(found.count, 1, "exactly one person for key \(attempt.key)")
            XCTAssertEqual(found.first?["id"], first["id"], "the retry answers with the person that exists")
        }
        XCTAssertEqual(try community.people(on: meetingd).count, attempts.count + 1)
    }

    /// Killed after the reply: a new process returns exactly the first response.
    func testRetryAfterKillAfterTheReply() throws {
        let community = try bootstrap()
        let params = TestCommunity.personParams(roles: ["user", "expert"])
        let key = "create-\(TestEnvironment.uniqueTag())"
        let first = try startMeetingd()
        let original = try Meetingd.result(of: try first.exchange(createRequest(community, params, key: key)))
        try first.kill()

        let second = try startMeetingd()
        let retried = try Meetingd.result(of: try second.exchange(createRequest(community, params, key: key, id: 2)))
        XCTAssertEqual(retried, original, "the retry returns the first response")
        XCTAssertEqual(try people(withEmail: params["email"], community, on: second).count, 1)
        XCTAssertEqual(try community.people(on: second).count, 2, "the admin and one new person")
    }

    func testSameKeyWithDifferentParamsIsRefused() throws {
        let community = try bootstrap()
        let params = TestCommunity.personParams(roles: ["user"])
        let key = "create-\(TestEnvironment.uniqueTag())"
        let first = try startMeetingd()
        try Meetingd.result(of: try first.exchange(createRequest(community, params, key: key)))
        try first.kill()

        let second = try startMeetingd()
        var changed = params
        changed["first_name"] = "Someone Else"
        let error = try Meetingd.error(of: try second.exchange(createRequest(community, changed, key: key)), code: 4090)
        XCTAssertEqual(error["data"]?["code"], "idempotency_key_reused")
        XCTAssertEqual(error["data"]?["retryable"], false)
        let otherMethod = try second.call(
            "location.create", as: community.adminId, ["name": "Room 1", "kind": "in_person", "idempotency_key": .string(key)])
        try Meetingd.error(of: otherMethod, code: 4090, "the key on another method")

        let found = try people(withEmail: params["email"], community, on: second)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?["first_name"], params["first_name"], "the refused retry changed nothing")
        XCTAssertEqual(try second.allPages("location.list", as: community.adminId), [], "and created no location")
    }

    /// A refused call leaves nothing under its key: once what was wrong is put right, the same
    /// call with the same key is tried afresh (and then remembered).
    func testARefusedCallStoresNothingUnderItsKey() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let params = TestCommunity.personParams(roles: ["user"])
        let taken = try Meetingd.result(of: try meetingd.exchange(createRequest(community, params, key: "first-\(TestEnvironment.uniqueTag())", id: 1)))
        var again = TestCommunity.personParams(roles: ["user"])
        again["email"] = params["email"]
        let key = "create-\(TestEnvironment.uniqueTag())"
        let refused = try Meetingd.error(of: try meetingd.exchange(createRequest(community, again, key: key, id: 2)), code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "email", "the e-mail is taken")
        let holder = try XCTUnwrap(taken["id"]?.string)
        try Meetingd.result(of: try meetingd.call(
            "person.update", as: community.adminId, ["person_id": .string(holder), "email": .string("moved-\(TestEnvironment.uniqueTag())@example.test")]))
        let created = try Meetingd.result(of: try meetingd.exchange(createRequest(community, again, key: key, id: 3)), "the same key, tried afresh")
        XCTAssertEqual(created["email"], again["email"])
        XCTAssertEqual(try Meetingd.result(of: try meetingd.exchange(createRequest(community, again, key: key, id: 4))), created, "and now remembered")
    }

    /// One key used by many entries of a batch that runs them at once: one effect, and every
    /// entry with the same params gets the same answer; entries with other params are refused.
    func testOneKeyManyTimesInAConcurrentBatch() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd(["--batch-workers", "4"])
        // The entries race each other: a few rounds make a lost race show up every time.
        let rounds = 5
        for round in 0..<rounds {
            let params = TestCommunity.personParams(roles: ["user"])
            let key = "shared-\(TestEnvironment.uniqueTag())"
            let same = "[" + (0..<12).map { createRequest(community, params, key: key, id: $0) }.joined(separator: ",") + "]"
            let results = try meetingd.exchange(same).array ?? []
            XCTAssertEqual(results.count, 12)
            XCTAssertEqual(results.filter { $0["result"] == nil }, [], "round \(round): no entry fails")
            XCTAssertEqual(Set(results.compactMap { $0["result"] }).count, 1, "round \(round): every entry gets the same person")
            XCTAssertEqual(try people(withEmail: params["email"], community, on: meetingd).count, 1)
        }

        let otherKey = "contested-\(TestEnvironment.uniqueTag())"
        let contested = "[" + (0..<8).map { i -> String in
            var variant = TestCommunity.personParams(roles: ["user"])
            variant["first_name"] = .string("Variant \(i)")
            return createRequest(community, variant, key: otherKey, id: i)
        }.joined(separator: ",") + "]"
        let outcomes = try meetingd.exchange(contested).array ?? []
        XCTAssertEqual(outcomes.count, 8)
        let winners = outcomes.filter { $0["result"] != nil }
        XCTAssertEqual(winners.count, 1, "one entry wins the key: \(outcomes)")
        XCTAssertEqual(outcomes.filter { $0["error"]?["code"] == 4090 }.count, 7, "the others are told the key is taken")
        let people = try community.people(on: meetingd)
        XCTAssertEqual(people.count, 1 + rounds + 1, "the admin, one person per round, and the one winner")
        XCTAssertTrue(people.contains { $0["id"] == winners.first?["result"]?["id"] })
    }

    /// Killed in the middle of a batch of keyed creations: replaying the whole batch completes
    /// it, with one person per entry.
    func testReplayingABatchKilledHalfway() throws {
        let community = try bootstrap()
        let count = 400
        let entries = (0..<count).map { i in
            (params: TestCommunity.personParams(roles: ["user"]), key: "batch-\(i)-\(TestEnvironment.uniqueTag())")
        }
        let batch = "[" + entries.enumerated().map { i, e in createRequest(community, e.params, key: e.key, id: i) }.joined(separator: ",") + "]"
        // One entry at a time, so the batch is still running when the kill comes on a slow machine.
        let doomed = try startMeetingd(["--batch-workers", "1"])
        try doomed.send(batch)
        try doomed.waitForLog("the batch has started", where: { $0["method"] == "person.create" })
        try doomed.kill()
        let createdBeforeKill = doomed.stderrLines.filter { $0.contains(#""method":"person.create""#) }.count
        XCTAssertLessThan(createdBeforeKill, count, "the kill came while the batch was in flight")

        let meetingd = try startMeetingd()
        let response = try meetingd.exchange(batch)
        guard let results = response.array else { return XCTFail("a batch gets an array: \(response)") }
        XCTAssertEqual(results.count, count)
        let people = try community.people(on: meetingd)
        XCTAssertEqual(people.count, count + 1, "one person per entry, none twice")
        for (i, entry) in entries.enumerated() {
            let result = results.first { $0["id"] == .int(Int64(i)) }?["result"]
            let person = people.first { $0["email"] == entry.params["email"] }
            XCTAssertNotNil(person, "entry \(i) exists")
            XCTAssertEqual(result?["id"], person?["id"], "entry \(i) answers with the person that exists")
        }
    }
}
