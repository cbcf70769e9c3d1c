import Foundation
import XCTest

/// SPEC §3.2 and §6: every call names its actor; the service checks the actor exists, belongs
/// to the community of what it touches, and holds a role that allows the call. A refused call
/// changes nothing.
final class AuthorizationTests: EndToEndTestCase {
    /// A well-formed person id that no person has.
    static func ghostId() -> String { "per_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    struct Snapshot: Equatable {
        let people: [JSONValue]
        let locations: [JSONValue]
        let community: JSONValue
    }

    /// Everything an admin can read of the community, to prove a refused call changed nothing.
    func snapshot(_ community: TestCommunity, _ meetingd: Meetingd) throws -> Snapshot {
        Snapshot(
            people: try community.people(on: meetingd),
            locations: try meetingd.allPages("location.list", as: community.adminId),
            community: try meetingd.result("community.get", as: community.adminId))
    }

    func assertRefused(_ error: JSONValue, _ code: Int64, _ dataCode: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(error["code"], .int(code), what, file: file, line: line)
        XCTAssertEqual(error["data"]?["code"], .string(dataCode), what, file: file, line: line)
        XCTAssertEqual(error["data"]?["retryable"], false, what, file: file, line: line)
    }

    func testUnknownActorIsRefused() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let before = try snapshot(community, meetingd)
        let ghost = Self.ghostId()
        let calls: [(String, [String: JSONValue])] = [
            ("community.get", [:]),
            ("person.get", ["person_id": .string(community.adminId)]),
            ("person.list", [:]),
            ("location.list", [:]),
            ("person.create", TestCommunity.personParams(roles: ["admin"])),
            ("community.update_settings", ["auto_accept": true]),
            ("location.create", ["name": "Ghost room", "kind": "virtual", "idempotency_key": "ghost-1"]),
            // Its `now` would be the server's clock, not a community's: a mistyped id is told.
            ("system.ping", [:]),
        ]
        for (method, params) in calls {
            assertRefused(try meetingd.error(method, as: ghost, params, code: 4001), 4001, "unknown_actor", "\(method) by an unknown actor")
        }
        XCTAssertEqual(try snapshot(community, meetingd), before, "nothing changed")
    }

    /// SPEC §3.3: 4001 unknown_actor when the actor is "missing" (left out, or null) or "not a
    /// person" (an id no person has: testUnknownActorIsRefused).
    func testMissingActorIsUnknownActor() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let before = try snapshot(community, meetingd)
        let missing = try meetingd.call("person.create", .object(TestCommunity.personParams(roles: ["user"])))
        assertRefused(missing["error"] ?? .null, 4001, "unknown_actor", "person.create without an actor: \(missing)")
        XCTAssertEqual(missing["error"]?["message"]?.string?.hasPrefix("Missing actor"), true, "\(missing)")
        let null = try meetingd.call("community.get", .object(["actor": .null]))
        assertRefused(null["error"] ?? .null, 4001, "unknown_actor", "a null actor: \(null)")
        XCTAssertEqual(null["error"]?["message"]?.string?.hasPrefix("Missing actor"), true, "\(null)")
        XCTAssertEqual(try snapshot(community, meetingd), before, "nothing changed")
    }

    /// An actor that is no person's id as its schema publishes it (^per_[0-9a-f]{32}$: not a
    /// string, "", upper case, another kind's id) is a param refused -32602 on `actor`, on every
    /// method as on system.ping, before the call's other params are read; null on system.ping
    /// is the actor left out, as on every other method.
    func testMalformedActorIsInvalidParamsOnEveryMethod() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let before = try snapshot(community, meetingd)
        let person = String(community.adminId.dropFirst(4))
        let calls: [(String, [String: JSONValue])] = [
            ("system.ping", [:]), ("community.get", [:]), ("person.list", ["limit": "not a number"]),
            ("person.create", TestCommunity.personParams(roles: ["admin"])), ("location.create", ["name": "Odd room", "kind": "virtual"]),
        ]
        for (method, params) in calls {
            for given: JSONValue in [7, true, ["per_x"], "", .string("PER_" + person), .string("per_" + person.uppercased()), .string(community.id),
                                     .string("per_" + person + " ")] {
                var sent = params
                sent["actor"] = given
                let refused = try Meetingd.error(of: try meetingd.call(method, .object(sent)), code: -32602, "\(method) as \(given)")
                XCTAssertEqual(refused["data"]?["field"], "actor", "\(method) as \(given): \(refused)")
            }
        }
        XCTAssertNotNil(try meetingd.call("system.ping", .object(["actor": .null]))["result"], "null: the actor left out")
        XCTAssertEqual(try snapshot(community, meetingd), before, "nothing changed")
    }

    func testAnotherCommunityIsInvisibleAndUntouchable() throws {
        let a = try bootstrap("community A")
        let b = try bootstrap("community B")
        let meetingd = try startMeetingd()
        let userA = try a.createPersonId(on: meetingd, roles: ["user"])
        let userB = try b.createPersonId(on: meetingd, roles: ["user"])
        let beforeA = try snapshot(a, meetingd)

        // B's admin cannot see A's people.
        for id in [userA, a.adminId] {
            let error = try meetingd.error("person.get", as: b.adminId, ["person_id": .string(id)], code: 4004)
            assertRefused(error, 4004, "not_found", "B's admin reading A's person")
            XCTAssertFalse(error.serialized.contains(a.name), "the error leaks nothing of A")
        }
        XCTAssertEqual(Set(try b.people(on: meetingd).compactMap { $0["id"]?.string }), [b.adminId, userB], "B lists only B")
        XCTAssertEqual(try meetingd.result("community.get", as: b.adminId)["id"], .string(b.id))

        // A's user cannot read B's people either.
        let crossUser = try meetingd.call("person.get", as: userA, ["person_id": .string(b.adminId)])
        XCTAssertNil(crossUser["result"], "A's user reads nothing of B: \(crossUser)")
        XCTAssertTrue([4003, 4004].contains(crossUser["error"]?["code"]?.int ?? 0), "\(crossUser)")

        // B's admin can neither grant credits to A's user nor read A's user's balance.
        let grant = try meetingd.call("credits.grant", as: b.adminId, ["user_id": .string(userA), "credits": 50, "reference": "cross"])
        XCTAssertNil(grant["result"], "B's admin granted credits to A's user: \(grant)")
        XCTAssertEqual(grant["error"]?["code"], 4004, "\(grant)")
        let peek = try meetingd.call("ledger.balance", as: b.adminId, ["person_id": .string(userA)])
        XCTAssertNil(peek["result"], "B's admin read A's balance: \(peek)")
        XCTAssertEqual(try meetingd.result("ledger.balance", as: userA, ["person_id": .string(userA)])["available"], 0)

        // B's admin cannot name A's community, and changes made as B stay in B.
        let aimed = try meetingd.error("community.update_settings", as: b.adminId, ["community_id": .string(a.id), "auto_accept": true], code: -32602)
        XCTAssertEqual(aimed["data"]?["field"], "community_id")
        try meetingd.result("community.update_settings", as: b.adminId, ["slot_minutes": 15, "auto_accept": true])
        try b.createPerson(on: meetingd, roles: ["expert"])
        try meetingd.result("location.create", as: b.adminId, ["name": "B's room", "kind": "in_person"])

        // The same idempotency key used by two admins means two different requests.
        var paramsA = TestCommunity.personParams(roles: ["user"]), paramsB = TestCommunity.personParams(roles: ["user"])
        paramsA["idempotency_key"] = "shared-key"
        paramsB["idempotency_key"] = "shared-key"
        let createdA = try meetingd.result("person.create", as: a.adminId, paramsA)
        let createdB = try meetingd.result("person.create", as: b.adminId, paramsB)
        XCTAssertEqual(createdB["email"], paramsB["email"], "B's call is not answered with A's person")
        XCTAssertNotEqual(createdB["id"], createdA["id"])

        let afterA = try snapshot(a, meetingd)
        XCTAssertEqual(afterA.community, beforeA.community, "A's settings are untouched")
        XCTAssertEqual(afterA.locations, beforeA.locations, "A has no new location")
        XCTAssertEqual(afterA.people, beforeA.people + [createdA], "A gained only the person A's admin created")
    }

    /// person.find_by_email is for tools that take e-mails: a user finds experts (shown as
    /// experts only), themself and the students they book for; another user, an admin or a finance person is "not found"
    /// for them, as an unknown address is. Experts and staff find anyone.
    func testAUserFindsExpertsByEmailAndNobodyElse() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        func person(_ roles: [String]) throws -> (id: String, email: String) {
            let params = TestCommunity.personParams(roles: roles)
            let made = try meetingd.result("person.create", as: community.adminId, params)
            return (try XCTUnwrap(made["id"]?.string), try XCTUnwrap(params["email"]?.string))
        }
        let user = try person(["user"]), other = try person(["user"]), expertAdmin = try person(["expert", "admin"]), finance = try person(["finance"])
        func find(_ email: String, as actor: String) throws -> JSONValue { try meetingd.call("person.find_by_email", as: actor, ["email": .string(email)]) }
        let expert = try find(expertAdmin.email, as: user.id)
        XCTAssertEqual(expert["result"]?["id"]?.string, expertAdmin.id)
        XCTAssertEqual(expert["result"]?["roles"], ["expert"], "a user sees the expert role alone")
        XCTAssertEqual(try find(user.email, as: user.id)["result"]?["id"]?.string, user.id, "themself")
        for hidden in [other.email, finance.email, "nobody-\(TestEnvironment.uniqueTag())@example.test"] {
            XCTAssertEqual(try find(hidden, as: user.id)["error"]?["code"], 4004, hidden)
        }
        XCTAssertEqual(try find(other.email, as: expertAdmin.id)["result"]?["roles"], ["user"], "an expert finds a user to propose to")
        // A customer finds the students they book for (no roles shown), and only while linked.
        try meetingd.result("student.link", as: community.adminId, ["customer_id": .string(user.id), "student_id": .string(other.id)])
        let student = try find(other.email, as: user.id)
        XCTAssertEqual(student["result"]?["id"]?.string, other.id, "\(student)")
        XCTAssertEqual(student["result"]?["roles"], [], "a customer sees their student's name and id, not their roles")
        XCTAssertEqual(try find(user.email, as: other.id)["error"]?["code"], 4004, "the student does not find their customer by it")
        try meetingd.result("student.unlink", as: community.adminId, ["customer_id": .string(user.id), "student_id": .string(other.id)])
        XCTAssertEqual(try find(other.email, as: user.id)["error"]?["code"], 4004, "unlinked: hidden again")
        XCTAssertEqual(try find(expertAdmin.email, as: finance.id)["result"]?["roles"], ["admin", "expert"], "staff see every role")
        // An address stored before addresses had to be dot-atoms is still found by it.
        let older = ".older..\(TestEnvironment.uniqueTag())@example.test"
        _ = try Psql.query(try TestEnvironment.databaseURL(), "UPDATE people SET email = \(Psql.literal(older)) WHERE id = \(Psql.literal(other.id)) RETURNING id")
        XCTAssertEqual(try find(older, as: expertAdmin.id)["result"]?["id"]?.string, other.id, "found by the address it was stored with")
        XCTAssertEqual(try find("no-at-sign", as: expertAdmin.id)["error"]?["code"], 4004, "an address nobody has is not found")
    }

    func testUsersAndExpertsCannotCallAdminMethods() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let user = try community.createPersonId(on: meetingd, roles: ["user"])
        let expert = try community.createPersonId(on: meetingd, roles: ["expert"])
        let before = try snapshot(community, meetingd)

        let adminOnly: [(String, [String: JSONValue])] = [
            ("person.create", TestCommunity.personParams(roles: ["admin"])),
            ("community.update_settings", ["auto_accept": true, "cancellation_window_hours": 0]),
            ("location.create", ["name": "Sneaky room", "kind": "in_person", "idempotency_key": "sneaky"]),
            ("person.list", [:]),
            ("clock.set", ["now": "2030-01-01T00:00:00Z"]),
        ]
        for actor in [user, expert] {
            for (method, params) in adminOnly {
                assertRefused(try meetingd.error(method, as: actor, params, code: 4003), 4003, "forbidden", "\(method) by a non-admin")
            }
        }
        // The roles a step needs are in data, for a front end to say who may.
        let settings = try meetingd.error("community.update_settings", as: user, ["auto_accept": true], code: 4003)
        XCTAssertEqual(settings["data"]?["roles"], ["admin"])
        XCTAssertTrue(settings["message"]?.string?.contains("an admin gives roles") ?? false, "\(settings)")
        assertRefused(
            try meetingd.error("person.get", as: user, ["person_id": .string(expert)], code: 4003), 4003, "forbidden",
            "a user reading another person")
        assertRefused(
            try meetingd.error("person.get", as: expert, ["person_id": .string(community.adminId)], code: 4003), 4003, "forbidden",
            "an expert reading another person")

        // What members may do still works for them.
        XCTAssertEqual(try meetingd.result("person.get", as: user, ["person_id": .string(user)])["id"], .string(user))
        XCTAssertEqual(try meetingd.result("community.get", as: expert)["id"], .string(community.id))
        XCTAssertEqual(try meetingd.result("location.list", as: user)["items"], [])

        XCTAssertEqual(try snapshot(community, meetingd), before, "nothing changed")
    }
}
