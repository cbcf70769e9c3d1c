import Core
import RPC
import XCTest

@testable import Pipeline

/// The pipeline's own rules, before any database: the actor a call acts as, and the text a
/// retry is matched by.
final class RequestRulesTests: XCTestCase {
    func method(_ audience: Audience = .member, mutating: Bool = true) -> MethodDefinition {
        MethodDefinition(
            "meeting.request", "test", audience: audience, mutating: mutating,
            params: [.init("start", .timestamp, "a time"), .init("note", .text(min: 1, max: 100), "a note")], result: .object([]),
            body: .open { _, _ in .null })
    }

    func code(_ body: () throws -> Any) -> AppError.Code? {
        do {
            _ = try body()
            return nil
        } catch let e as AppError { return e.code } catch { return nil }
    }

    func testAPinnedConnectionActsAsItsPersonOnly() throws {
        XCTAssertEqual(try RequestPipeline.pinActor("per_pinned", [:])["actor"], "per_pinned", "no actor: the pinned one")
        XCTAssertEqual(try RequestPipeline.pinActor("per_pinned", ["actor": nil])["actor"], "per_pinned")
        XCTAssertEqual(try RequestPipeline.pinActor("per_pinned", ["actor": "per_pinned"])["actor"], "per_pinned")
        XCTAssertEqual(code { try RequestPipeline.pinActor("per_pinned", ["actor": "per_other"]) }, .forbidden)
        XCTAssertEqual(code { try RequestPipeline.pinActor("per_pinned", ["actor": 5]) }, .forbidden)
        XCTAssertEqual(try RequestPipeline.pinActor(nil, ["actor": "per_any"])["actor"], "per_any", "not pinned: as sent")
    }

    /// Missing (left out or null), the actor is unknown (SPEC §3.3); given, it is a param like any
    /// other, refused -32602 on `actor` when it is no person's id as its schema says, pinned or not.
    func testACallWithoutAPersonIsAnUnknownActorBeforeItsParamsAreRead() throws {
        let check = RequestPipeline.actorPreflight(method(), pinnedActor: nil)
        XCTAssertEqual(code { try check([:]) }, .unknownActor)
        XCTAssertEqual(code { try check(["actor": nil]) }, .unknownActor)
        XCTAssertEqual(code { try check(["actor": 12]) }, .invalidParams)
        XCTAssertEqual(code { try check(["actor": "mtg_notaperson"]) }, .invalidParams)
        let person = "per_" + String(repeating: "0a", count: 16)
        XCTAssertEqual(code { try check(["actor": "per_abc"]) }, .invalidParams, "not an id a person can have")
        XCTAssertEqual(code { try check(["actor": .string(person.uppercased())]) }, .invalidParams)
        XCTAssertEqual(code { try RequestPipeline.actorPreflight(self.method(), pinnedActor: person)(["actor": 5]) }, .invalidParams)
        XCTAssertThrowsError(try check(["actor": ""])) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "actor")
        }
        XCTAssertEqual(try check(["actor": .string(person), "start": "nonsense"])["start"], "nonsense", "params are the method's to check")
        let open = RequestPipeline.actorPreflight(method(.anyone, mutating: false), pinnedActor: nil)
        XCTAssertEqual(try open([:]), [:], "a method open to anyone takes no actor")
        XCTAssertEqual(try RequestPipeline.actorPreflight(method(), pinnedActor: person)([:])["actor"], .string(person))
    }

    func testARetryIsMatchedByWhatItsParamsMeanAndWithoutItsKey() {
        let m = method()
        let first = RequestPipeline.requestText(m, Params(fields: ["actor": "per_a", "start": "2030-03-04T12:00:00+02:00", "idempotency_key": "k1"], method: m.name))
        let retry = RequestPipeline.requestText(m, Params(fields: ["actor": "per_a", "start": "2030-03-04T10:00:00Z", "idempotency_key": "k2"], method: m.name))
        XCTAssertEqual(first.canonical, retry.canonical, "the same time in another offset is the same request")
        XCTAssertNotEqual(first.asSent, retry.asSent, "as sent, they differ")
        XCTAssertFalse(first.asSent.contains("k1"), "the key is not part of the request")
        let other = RequestPipeline.requestText(m, Params(fields: ["actor": "per_a", "start": "2030-03-04T10:30:00Z"], method: m.name))
        XCTAssertNotEqual(first.canonical, other.canonical)
        let elsewhere = RequestPipeline.requestText(m, Params(fields: ["actor": "per_b", "start": "2030-03-04T10:00:00Z"], method: m.name))
        XCTAssertNotEqual(retry.canonical, elsewhere.canonical, "another actor's call is another request")
    }
}
