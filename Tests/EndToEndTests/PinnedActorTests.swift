import Foundation
import XCTest

/// `meetingd --pin-actor PERSON` (the SSH forced command that gives an expert meetctl): every
/// call acts as PERSON whatever the client sends, so holding the key never lends anyone else's
/// permissions. Driven over meetingd's pipes as a client on the far side of ssh would.
final class PinnedActorTests: EndToEndTestCase {
    struct People {
        let community: TestCommunity
        let expert: String
        let user: String
        let finance: String
        let otherAdmin: String
    }

    /// A community with an expert, a user, finance staff and a second admin, made unpinned.
    func people(_ label: String = #function) throws -> People {
        let community = try bootstrap(label)
        let meetingd = try startMeetingd()
        let people = People(
            community: community,
            expert: try community.createPersonId(on: meetingd, roles: ["expert"]),
            user: try community.createPersonId(on: meetingd, roles: ["user"]),
            finance: try community.createPersonId(on: meetingd, roles: ["finance"]),
            otherAdmin: try community.createPersonId(on: meetingd, roles: ["admin"]))
        try meetingd.finish()
        return people
    }

    static let week: [String: JSONValue] = ["from": "2030-03-04T00:00:00Z", "to": "2030-03-11T00:00:00Z"]
    static let hour: [String: JSONValue] = ["start": "2030-03-05T10:00:00Z", "end": "2030-03-05T11:00:00Z"]

    func call(_ meetingd: Meetingd, _ method: String, actor: JSONValue?, _ params: [String: JSONValue]) throws -> JSONValue {
        var all = params
        if let actor { all["actor"] = actor }
        return try meetingd.call(method, .object(all))
    }

    func assertPinnedRefusal(_ response: JSONValue, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let error = response["error"]
        XCTAssertEqual(error?["code"], 4003, "\(what): \(response)", file: file, line: line)
        XCTAssertEqual(error?["data"]?["code"], "forbidden", what, file: file, line: line)
        XCTAssertTrue(error?["message"]?.string?.contains("pinned to") ?? false, "\(what) says the connection is pinned: \(response)", file: file, line: line)
    }

    /// Without an actor, with the pinned actor, and with anyone else's (admins', finance's,
    /// a user's), for a mutating and a read-only method; a malformed one is a malformed param.
    func testPinnedCallsActAsThePinnedPersonAndRefuseAnyoneElse() throws {
        let p = try people()
        let pinned = try startMeetingd(["--pin-actor", p.expert])
        let own: [String: JSONValue] = ["expert_id": .string(p.expert)]

        let ping = try Meetingd.result(of: try pinned.call("system.ping"))
        XCTAssertEqual(ping["pinned_actor"], .string(p.expert), "ping tells the client who it is: \(ping)")
        XCTAssertEqual(try Meetingd.result(of: try call(pinned, "system.ping", actor: .string(p.expert), [:]))["pinned_actor"], .string(p.expert))
        assertPinnedRefusal(try call(pinned, "system.ping", actor: .string(p.user), [:]), "ping for another person's community")

        let before = try Meetingd.result(of: try call(pinned, "availability.get", actor: nil, own.merging(Self.week) { a, _ in a }))
        XCTAssertEqual(try Meetingd.result(of: try call(pinned, "availability.get", actor: .string(p.expert), own.merging(Self.week) { a, _ in a })), before)
        let me = try Meetingd.result(of: try call(pinned, "person.get", actor: nil, ["person_id": .string(p.expert)]))
        XCTAssertEqual(me["id"], .string(p.expert))

        let others: [(String, JSONValue)] = [
            ("the community's first admin", .string(p.community.adminId)), ("another admin", .string(p.otherAdmin)),
            ("finance staff", .string(p.finance)), ("a user", .string(p.user)), ("an unknown person", .string(AuthorizationTests.ghostId())),
        ]
        // What is no person's id is a malformed param, pinned or not (-32602 on actor), never run.
        for actor: JSONValue in ["", 7, .array([.string(p.expert)])] {
            for method in ["availability.block", "system.ping"] {
                let refused = try Meetingd.error(of: try call(pinned, method, actor: actor, own.merging(Self.hour) { a, _ in a }), code: -32602)
                XCTAssertEqual(refused["data"]?["field"], "actor", "\(method) as \(actor): \(refused)")
            }
        }
        for (who, actor) in others {
            assertPinnedRefusal(try call(pinned, "availability.block", actor: actor, own.merging(Self.hour) { a, _ in a }), "availability.block as \(who)")
            assertPinnedRefusal(try call(pinned, "availability.get", actor: actor, own.merging(Self.week) { a, _ in a }), "availability.get as \(who)")
            assertPinnedRefusal(
                try call(pinned, "person.create", actor: actor, TestCommunity.personParams(roles: ["admin"])), "person.create as \(who)")
            assertPinnedRefusal(
                try call(pinned, "credits.grant", actor: actor, ["user_id": .string(p.user), "credits": 1000, "reference": .string("pinned-\(who)")]),
                "credits.grant as \(who)")
        }
        XCTAssertEqual(
            try Meetingd.result(of: try call(pinned, "availability.get", actor: nil, own.merging(Self.week) { a, _ in a })), before,
            "no refused block changed the calendar")

        let blocked = try Meetingd.result(of: try call(pinned, "availability.block", actor: nil, own.merging(Self.hour) { a, _ in a }))
        XCTAssertEqual(blocked["kind"], "blocked", "the pinned expert blocks their own hour without naming themselves")
        let again = try Meetingd.result(of: try call(pinned, "availability.block", actor: .string(p.expert), own.merging(["start": "2030-03-06T10:00:00Z", "end": "2030-03-06T11:00:00Z"]) { a, _ in a }))
        XCTAssertEqual(again["kind"], "blocked")
        try pinned.finish()

        let unpinned = try startMeetingd()
        let people = try p.community.people(on: unpinned)
        XCTAssertEqual(people.count, 5, "no person was created through the pinned meetingd: \(people)")
        let balance = try unpinned.result("ledger.balance", as: p.finance, ["person_id": .string(p.user)])
        XCTAssertEqual(balance["posted"], 0, "no credits were granted: \(balance)")
        try unpinned.finish()
    }

    /// The pinned person's own permissions still hold: an expert cannot grant credits or read
    /// the people list, pinned or not.
    func testThePinnedPersonKeepsTheirOwnPermissions() throws {
        let p = try people()
        let pinned = try startMeetingd(["--pin-actor", p.expert])
        let grant = try call(pinned, "credits.grant", actor: nil, ["user_id": .string(p.user), "credits": 5, "reference": "expert-grant"])
        XCTAssertEqual(grant["error"]?["code"], 4003, "\(grant)")
        XCTAssertFalse(grant["error"]?["message"]?.string?.contains("pinned") ?? true, "refused for the role, not the pin: \(grant)")
        let list = try call(pinned, "person.get", actor: nil, ["person_id": .string(p.finance)])
        XCTAssertNotNil(list["error"], "an expert cannot read finance staff's record: \(list)")
        try pinned.finish()
    }

    /// Every entry of a batch passes the same rule.
    func testBatchEntriesArePinnedOneByOne() throws {
        let p = try people()
        let pinned = try startMeetingd(["--pin-actor", p.expert])
        let entries: [JSONValue] = [
            ["jsonrpc": "2.0", "id": 1, "method": "person.get", "params": ["person_id": .string(p.expert)]],
            ["jsonrpc": "2.0", "id": 2, "method": "person.get", "params": ["person_id": .string(p.expert), "actor": .string(p.community.adminId)]],
            ["jsonrpc": "2.0", "id": 3, "method": "person.list", "params": ["actor": .string(p.finance)]],
            ["jsonrpc": "2.0", "id": 4, "method": "system.ping"],
        ]
        let response = try pinned.exchange(JSONValue.array(entries).serialized)
        guard let answers = response.array, answers.count == 4 else { return XCTFail("four answers: \(response)") }
        let byId = Dictionary(uniqueKeysWithValues: answers.compactMap { a in a["id"]?.int.map { ($0, a) } })
        XCTAssertEqual(byId[1]?["result"]?["id"], .string(p.expert), "\(answers)")
        assertPinnedRefusal(byId[2] ?? .null, "a batch entry as the admin")
        assertPinnedRefusal(byId[3] ?? .null, "a batch entry as finance")
        XCTAssertEqual(byId[4]?["result"]?["pinned_actor"], .string(p.expert))
        try pinned.finish()
    }

    /// A pin to a person who does not exist (a mistyped id, another database's) is refused at
    /// start-up as bad configuration, exit status 2, naming the id: it served, and every call
    /// was unknown_actor.
    func testPinnedToNobodyIsRefusedAtStartUp() throws {
        let ghost = AuthorizationTests.ghostId()
        let run = try runTool(TestEnvironment.meetingdPath, ["--pin-actor", ghost])
        XCTAssertEqual(run.termination, .exited(2), run.stderr)
        XCTAssertEqual(run.stdout, "", "nothing served")
        XCTAssertTrue(run.stderr.hasPrefix("--pin-actor \(ghost): no person has this id"), run.stderr)
        XCTAssertTrue(run.stderr.contains("meetctl people"), "says where ids are found: \(run.stderr)")
    }

    /// rpc.discover (and so docs/METHODS.md) says what a pin does to `actor`, and what ping answers.
    func testDiscoverDocumentsThePin() throws {
        let meetingd = try startMeetingd()
        let document = try Meetingd.result(of: try meetingd.call("rpc.discover"))
        let methods = document["methods"]?.array ?? []
        XCTAssertGreaterThan(methods.count, 40)
        for method in methods {
            guard let actor = method["params"]?.array?.first(where: { $0["name"] == "actor" }) else { continue }
            XCTAssertTrue(actor["description"]?.string?.contains("--pin-actor") ?? false, "\(method["name"] ?? nil): \(actor)")
        }
        let ping = methods.first { $0["name"] == "system.ping" }
        XCTAssertNotNil(ping?["result"]?["schema"]?["properties"]?["pinned_actor"], "\(ping ?? nil)")
        try meetingd.finish()
    }

    /// Unpinned, ping says nothing of a pin.
    func testUnpinnedPingHasNoPinnedActor() throws {
        let meetingd = try startMeetingd()
        let ping = try Meetingd.result(of: try meetingd.call("system.ping"))
        XCTAssertNil(ping["pinned_actor"], "\(ping)")
        try meetingd.finish()
    }

    /// --pin-actor goes with serve alone, and takes a person id.
    func testPinActorOnlyServes() throws {
        let person = AuthorizationTests.ghostId()
        let refused: [[String]] = [
            ["migrate", "--pin-actor", person],
            ["--pin-actor", person, "migrate"],
            ["discover", "--pin-actor", person],
            ["bootstrap", "--pin-actor", person, "--community", "X", "--short-name", "X", "--admin-email", "x@example.test", "--admin-first", "X", "--admin-last", "X"],
            ["--pin-actor", "com_0123456789abcdef0123456789abcdef"],
            ["--pin-actor", "--test-clock"],
            ["--pin-actor"],
        ]
        for arguments in refused {
            let run = try runTool(TestEnvironment.meetingdPath, arguments)
            XCTAssertEqual(run.termination, .exited(2), "meetingd \(arguments.joined(separator: " ")): \(run.stderr)")
            XCTAssertTrue(run.stdout.isEmpty, "nothing on stdout: \(run.stdout)")
            XCTAssertTrue(run.stderr.contains("usage: meetingd"), "the usage follows: \(run.stderr)")
        }
    }
}
