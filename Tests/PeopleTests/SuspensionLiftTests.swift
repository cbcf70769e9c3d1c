import Core
import Meetings
import People
import XCTest

final class SuspensionLiftTests: XCTestCase {
    let now = try! Instant(lenient: "2030-03-04T12:00:00Z")

    func person(suspendedUntil: String?) throws -> PersonFacts {
        PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sam", lastName: "Lee", roles: [.user], timeZone: "UTC",
                    suspendedUntil: try suspendedUntil.map { try Instant(lenient: $0) })
    }

    func testNothingIsLiftedWithoutASuspensionRunningNow() throws {
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: nil), customerIds: ["per_c"], now: now))
        // One that ended, at this very moment or before, is no longer running.
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-04T12:00:00Z"), customerIds: [], now: now))
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-01T00:00:00Z"), customerIds: [], now: now))
    }

    func testAUserIsToldTheyCanBookAgain() throws {
        let told = try XCTUnwrap(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-04T12:01:00Z"), customerIds: [], now: now))
        XCTAssertEqual(told, [.init(recipientId: "per_s", recipientRole: "user", student: nil)])
    }

    func testAStudentAndEveryCustomerWhoBooksForThemAreTold() throws {
        let student = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        let told = try XCTUnwrap(SuspensionLift.notices(person: student, customerIds: ["per_a", "per_b"], now: now))
        XCTAssertEqual(told, [
            .init(recipientId: "per_s", recipientRole: "student", student: nil),
            .init(recipientId: "per_a", recipientRole: "user", student: student),
            .init(recipientId: "per_b", recipientRole: "user", student: student),
        ])
    }
}
