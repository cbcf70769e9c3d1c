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

    func told(_ pairs: [(String, SuspensionLift.Reader)]) -> [SuspensionLift.Told] { pairs.map { SuspensionLift.Told(recipientId: $0.0, reader: $0.1) } }

    func testNothingIsLiftedWithoutASuspensionRunningNow() throws {
        let told = told([("per_s", .user)])
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: nil), told: told, customerIds: [], now: now))
        // One that ended, at this very moment or before, is no longer running.
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-04T12:00:00Z"), told: told, customerIds: [], now: now))
        XCTAssertNil(SuspensionLift.notices(person: try person(suspendedUntil: "2030-03-01T00:00:00Z"), told: [], customerIds: [], now: now))
    }

    func testAUserIsToldTheyCanBookAgain() throws {
        let p = try person(suspendedUntil: "2030-03-04T12:01:00Z")
        let told = told([("per_s", .user)])
        XCTAssertEqual(SuspensionLift.notices(person: p, told: told, customerIds: [], now: now), [.init(recipientId: "per_s", reader: .user, student: nil)])
    }

    /// Told as the suspensions since the last lift were: the student as a student, each customer
    /// who booked a missed meeting of their student by name, once; a customer never told is not.
    func testTheLiftIsToldToWhomTheSuspensionWas() throws {
        let student = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        let told = told([("per_a", .user), ("per_s", .student), ("per_b", .user), ("per_a", .user)])
        XCTAssertEqual(SuspensionLift.notices(person: student, told: told, customerIds: ["per_a", "per_b", "per_c"], now: now), [
            .init(recipientId: "per_s", reader: .student, student: nil),
            .init(recipientId: "per_a", reader: .user, student: student),
            .init(recipientId: "per_b", reader: .user, student: student),
        ])
    }

    /// A customer no longer linked to the student is not told, though told of the suspension.
    func testACustomerNoLongerLinkedIsNotTold() throws {
        let student = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        let told = told([("per_a", .user), ("per_s", .student), ("per_b", .user)])
        XCTAssertEqual(SuspensionLift.notices(person: student, told: told, customerIds: ["per_b"], now: now), [
            .init(recipientId: "per_s", reader: .student, student: nil), .init(recipientId: "per_b", reader: .user, student: student),
        ])
    }

    /// The person is told once, whatever they were told: as a user where they missed a meeting
    /// they booked, even if they were also told as a student.
    func testThePersonIsToldOnceInTheWordsOfWhatTheyMissed() throws {
        let p = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        let both = SuspensionLift.notices(person: p, told: told([("per_s", .student), ("per_s", .user)]), customerIds: ["per_a"], now: now)
        XCTAssertEqual(both, [.init(recipientId: "per_s", reader: .user, student: nil)])
    }

    /// With no notice known (one written by an older release, or none), the person is told all
    /// the same: as a student where customers book for them, else as a user.
    func testWithNoNoticeKnownThePersonIsToldAllTheSame() throws {
        let p = try person(suspendedUntil: "2030-03-10T00:00:00Z")
        XCTAssertEqual(SuspensionLift.notices(person: p, told: [], customerIds: [], now: now), [.init(recipientId: "per_s", reader: .user, student: nil)])
        XCTAssertEqual(SuspensionLift.notices(person: p, told: [], customerIds: ["per_a"], now: now), [.init(recipientId: "per_s", reader: .student, student: nil)])
        // Only the customer was told (an older release told no student): the student is told too.
        XCTAssertEqual(SuspensionLift.notices(person: p, told: told([("per_a", .user)]), customerIds: ["per_a"], now: now), [
            .init(recipientId: "per_s", reader: .student, student: nil), .init(recipientId: "per_a", reader: .user, student: p),
        ])
    }
}
