import XCTest

@testable import Core

/// Rules over several params: what each refuses (a -32602 naming a param and saying what to
/// give; a null is a param not given) and the sentence the method's description publishes.
final class ParamRuleTests: XCTestCase {
    func refusal(_ rule: ParamRule, _ params: [String: JSON]) -> (field: String, reason: String)? {
        do {
            try rule.check(params)
            return nil
        } catch let e as AppError {
            XCTAssertEqual(e.code, .invalidParams)
            return (e.details["field"]?.stringValue ?? "", e.details["reason"]?.stringValue ?? "")
        } catch { return ("?", "\(error)") }
    }

    func testExactlyOneOfTwo() {
        let rule = ParamRule.exactlyOne("service_id", "expert_id")
        XCTAssertEqual(rule.text, "Give exactly one of service_id and expert_id")
        XCTAssertNil(refusal(rule, ["service_id": "svc", "user_id": "per"]))
        XCTAssertNil(refusal(rule, ["expert_id": "per", "service_id": nil]), "null is not given")
        XCTAssertEqual(refusal(rule, [:])?.field, "service_id")
        XCTAssertEqual(refusal(rule, ["expert_id": nil])?.reason, "is needed when expert_id is not given: give exactly one of the two")
        XCTAssertEqual(refusal(rule, ["service_id": "svc", "expert_id": "per"])?.reason, "must not be given with expert_id: give exactly one of the two")
    }

    func testOneGroupWhole() {
        let rule = ParamRule.anyGroup([["period_id"], ["start", "end"]])
        XCTAssertEqual(rule.text, "Give period_id, or start and end")
        XCTAssertNil(refusal(rule, ["period_id": "avl"]))
        XCTAssertNil(refusal(rule, ["start": "s", "end": "e"]))
        XCTAssertNil(refusal(rule, ["period_id": "avl", "start": "s"]))
        for params: [String: JSON] in [[:], ["period_id": nil, "start": nil]] {
            XCTAssertEqual(refusal(rule, params)?.field, "period_id", "\(params)")
            XCTAssertEqual(refusal(rule, params)?.reason, "is required (or give start and end)", "\(params)")
        }
        // A group begun names what it lacks.
        for params: [String: JSON] in [["start": "s"], ["period_id": nil, "start": "s", "end": nil]] {
            XCTAssertEqual(refusal(rule, params)?.field, "end", "\(params)")
            XCTAssertEqual(refusal(rule, params)?.reason, "is required with start (or give period_id instead)", "\(params)")
        }
        XCTAssertEqual(refusal(rule, ["end": "e"])?.field, "start")
    }

    func testOneGroupAndNoOther() {
        let rule = ParamRule.oneGroup([["period_id"], ["start", "end"]])
        XCTAssertEqual(rule.text, "Give period_id, or start and end, not both")
        XCTAssertNil(refusal(rule, ["period_id": "avl", "start": nil]))
        XCTAssertNil(refusal(rule, ["start": "s", "end": "e"]))
        XCTAssertEqual(refusal(rule, ["start": "s"])?.reason, "is required with start (or give period_id instead)")
        for params: [String: JSON] in [["period_id": "avl", "start": "s"], ["period_id": "avl", "start": "s", "end": "e"], ["period_id": "avl", "end": "e"]] {
            let refused = refusal(rule, params)
            XCTAssertEqual(refused?.field, params["start"] == nil ? "end" : "start", "\(params)")
            XCTAssertEqual(refused?.reason, "must not be given with period_id: give period_id, or start and end", "\(params)")
        }
    }

    func testSomethingToChange() {
        let rule = ParamRule.somethingToChange(["first_name", "last_name", "email"], on: "person_id")
        XCTAssertEqual(rule.text, "Give at least one of first_name, last_name or email")
        XCTAssertNil(refusal(rule, ["person_id": "per", "email": "a@b.c"]))
        XCTAssertEqual(refusal(rule, ["person_id": "per"])?.field, "person_id")
        XCTAssertEqual(refusal(rule, ["person_id": "per", "first_name": nil])?.reason, "has nothing to change: give first_name, last_name or email")
    }
}
