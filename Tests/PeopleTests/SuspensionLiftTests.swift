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
        let told = [SuspensionLift.Told(recipientId: "per_s", recipientRole: "user", studentId: nil)]
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: nil), told: told, now: now))
        // One that ended, at this very moment or before, is no longer running.
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-04T12:00:00Z"), told: told, now: now))
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-01T00:00:00Z"), told: [], now: now))
    }

    func testAUserIsToldTheyCanBookAgain() throws {
        let p = try person(suspendedUntil: "2030-03-04T12:01:00Z")
        let told = [SuspensionLift.Told(recipientId: "per_s", recipientRole: "user", studentId: nil)]
        XCTAssertEqual(SuspensionLift.notices(person: p, told: told, now: now), [.init(recipientId: "per_s", recipientRole: "user", student: nil)])
        // No notice of the suspension known (one set before notices were kept): the person is told.
        XCTAssertEqual(SuspensionLift.notices(person: p, told: [], now: now), [.init(recipientId: "per_s", recipientRole: "user", student: nil)])
    }

    /// Told as the suspension was: the student as a student, the customer who booked the
    /// missed meeting of their student by name; another customer of the student, never told of
    /// the suspension, is not told of its end either.
    func testTheLiftIsToldToWhomTheSuspensionWas() throws {
        let student = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        let told = [
            SuspensionLift.Told(recipientId: "per_a", recipientRole: "user", studentId: "per_s"),
            SuspensionLift.Told(recipientId: "per_s", recipientRole: "student", studentId: "per_s"),
        ]
        XCTAssertEqual(SuspensionLift.notices(person: student, told: told, now: now), [
            .init(recipientId: "per_a", recipientRole: "user", student: student),
            .init(recipientId: "per_s", recipientRole: "student", student: nil),
        ])
    }
}
