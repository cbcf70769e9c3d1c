import Core
import Meetings
import People
import XCTest

final class StudentLinkRuleTests: XCTestCase {
    let pat = PersonFacts(id: "per_pat", email: "pat@x.example", firstName: "Pat", lastName: "Lee", roles: [.user], timeZone: "UTC")
    let alex = PersonFacts(id: "per_alex", email: "alex@x.example", firstName: "Alex", lastName: "Lee", roles: [.user], timeZone: "UTC")
    let talia = PersonFacts(id: "per_talia", email: "talia@x.example", firstName: "Talia", lastName: "Kim", roles: [.expert], timeZone: "UTC")

    /// The code and the field (or the subject) of the error the rule throws; nil where it passes.
    func refusal(_ customerId: String, _ studentId: String, _ customer: PersonFacts?, _ student: PersonFacts?, reversed: Bool = false) -> String? {
        do {
            _ = try StudentLinkRule.decide(customerId: customerId, studentId: studentId, customer: customer, student: student, linked: false, reversed: reversed)
            return nil
        } catch let e as AppError {
            return "\(e.code.number) " + (e.details["field"]?.stringValue ?? e.message)
        } catch {
            return "\(error)"
        }
    }

    func testTwoUsersMayBeLinked() throws {
        XCTAssertNil(refusal(pat.id, alex.id, pat, alex))
        XCTAssertEqual(try StudentLinkRule.decide(customerId: pat.id, studentId: alex.id, customer: pat, student: alex, linked: false, reversed: false), .link)
    }

    /// A pair linked already stays as it is: nothing is written, even for a pair linked both
    /// ways before the rule; the people are still checked as they are now.
    func testAPairLinkedAlreadyIsLeftAsItIs() {
        XCTAssertEqual(try StudentLinkRule.decide(customerId: pat.id, studentId: alex.id, customer: pat, student: alex, linked: true, reversed: true), .linkedAlready)
        XCTAssertThrowsError(try StudentLinkRule.decide(customerId: pat.id, studentId: talia.id, customer: pat, student: talia, linked: true, reversed: false))
    }

    func testEachSideMustBeAUserWhoExists() {
        XCTAssertEqual(refusal(pat.id, talia.id, pat, talia), "-32602 student_id", "an expert alone is not a student")
        XCTAssertEqual(refusal(talia.id, alex.id, talia, alex), "-32602 customer_id")
        XCTAssertEqual(refusal("per_gone", alex.id, nil, alex)?.hasPrefix("4004 "), true, "a customer not found")
        XCTAssertEqual(refusal(pat.id, "per_gone", pat, nil)?.hasPrefix("4004 "), true, "a student not found")
    }

    /// One of two people acts for the other, not both ways: each would book on the other's wallet.
    func testALinkTheOtherWayIsRefused() {
        XCTAssertEqual(refusal(pat.id, alex.id, pat, alex, reversed: true), "-32602 student_id")
        XCTAssertThrowsError(try StudentLinkRule.decide(customerId: pat.id, studentId: alex.id, customer: pat, student: alex, linked: false, reversed: true)) {
            XCTAssertEqual(($0 as? AppError)?.details["reason"]?.stringValue?.hasPrefix("acts for this customer already"), true, "\($0)")
        }
        XCTAssertThrowsError(try StudentLinkRule.decide(customerId: pat.id, studentId: talia.id, customer: pat, student: talia, linked: false, reversed: true)) {
            XCTAssertEqual(($0 as? AppError)?.details["reason"]?.stringValue, "must be a person with the user role", "the roles are told first")
        }
        XCTAssertEqual(refusal("per_gone", alex.id, nil, alex, reversed: true)?.hasPrefix("4004 "), true)
    }

    /// The order a caller fixes them in: the pair, then the customer, then the student.
    func testTheRefusalsComeInOrder() {
        XCTAssertEqual(refusal(pat.id, pat.id, pat, pat), "-32602 student_id", "nobody is their own student, whatever else is wrong")
        XCTAssertEqual(refusal("per_gone", "per_gone", nil, nil), "-32602 student_id")
        XCTAssertEqual(refusal(talia.id, "per_gone", talia, nil), "-32602 customer_id", "the customer is checked before the student")
        XCTAssertEqual(refusal("per_gone", talia.id, nil, talia)?.hasPrefix("4004 "), true)
    }
}
