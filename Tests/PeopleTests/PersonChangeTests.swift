import Community
import Core
import Meetings
import People
import XCTest

/// Who may change a person, and which roles stay while something open needs them.
final class PersonChangeTests: XCTestCase {
    let person = PersonFacts(id: "per_p", email: "p@x.example", firstName: "Pia", lastName: "Park", roles: [.user, .expert], timeZone: "UTC")

    func decide(by actorId: String = "per_admin", roles: Set<Role> = [.admin], _ change: PersonChange, _ c: PersonCommitments = .init(otherAdmins: 1)) throws -> PersonFacts {
        try PersonChangeRules.decide(actorId: actorId, actorRoles: roles, person: person, commitments: c, change: change)
    }

    func refusal(_ body: () throws -> PersonFacts) -> AppError? {
        do {
            let after = try body()
            XCTFail("expected a refusal, got \(after)")
            return nil
        } catch { return error as? AppError }
    }

    func testAPersonChangesTheirOwnNamesAndZoneOnly() throws {
        let after = try decide(by: "per_p", roles: [.user, .expert], .init(firstName: "Pía", timeZone: "Asia/Tokyo"))
        XCTAssertEqual(after.firstName, "Pía")
        XCTAssertEqual(after.lastName, "Park", "what is not given stays")
        XCTAssertEqual(after.timeZone, "Asia/Tokyo")
        for change in [PersonChange(email: "n@x.example"), PersonChange(addRoles: [.admin]), PersonChange(removeRoles: [.expert])] {
            XCTAssertEqual(refusal { try decide(by: "per_p", roles: [.user, .expert], change) }?.code, .forbidden, "\(change)")
        }
        XCTAssertEqual(refusal { try decide(by: "per_other", roles: [.user, .office], .init(firstName: "X")) }?.code, .forbidden)
    }

    func testAnAdminChangesRolesWithinTheirRules() throws {
        XCTAssertEqual(try decide(.init(addRoles: [.office], removeRoles: [.user])).roles, [.expert, .office])
        XCTAssertEqual(try decide(.init(email: "n@x.example")).email, "n@x.example")
        XCTAssertEqual(refusal { try decide(.init(addRoles: [.office], removeRoles: [.office])) }?.details["field"], "remove_roles")
        XCTAssertEqual(refusal { try decide(.init(removeRoles: [.user, .expert])) }?.details["field"], "remove_roles", "at least one role")
        XCTAssertEqual(try decide(.init(removeRoles: [.admin])).roles, [.user, .expert], "a role not held: nothing to take")
    }

    func testARoleStaysWhileItsSideHasSomethingOpen() throws {
        let expertOpen = refusal { try decide(.init(removeRoles: [.expert]), .init(openMeetingsAsExpert: 2, otherAdmins: 1)) }
        XCTAssertEqual(expertOpen?.code, .invalidState)
        XCTAssertEqual(expertOpen?.details["open_meetings"], 2)
        XCTAssertTrue(expertOpen?.message.hasSuffix("meeting.list and series.list with person_id list them") ?? false, "where to find them")
        XCTAssertEqual(refusal { try decide(.init(removeRoles: [.expert]), .init(activeSeriesAsExpert: 1, otherAdmins: 1)) }?.details["active_series"], 1)
        XCTAssertEqual(refusal { try decide(.init(removeRoles: [.user]), .init(openMeetingsAsUser: 1, otherAdmins: 1)) }?.details["role"], "user")
        XCTAssertEqual(refusal { try decide(.init(removeRoles: [.user]), .init(activeSeriesAsUser: 1, otherAdmins: 1)) }?.details["role"], "user")
        XCTAssertEqual(try decide(.init(removeRoles: [.expert]), .init(openMeetingsAsUser: 3, otherAdmins: 1)).roles, [.user],
                       "the other side's meetings do not hold this role")
    }

    func testTheLastAdminStays() throws {
        let admin = PersonFacts(id: "per_a", email: "a@x.example", firstName: "A", lastName: "D", roles: [.admin, .user], timeZone: "UTC")
        func take(_ otherAdmins: Int64) throws -> PersonFacts {
            try PersonChangeRules.decide(actorId: "per_a", actorRoles: [.admin], person: admin, commitments: .init(otherAdmins: otherAdmins), change: .init(removeRoles: [.admin]))
        }
        XCTAssertEqual(refusal { try take(0) }?.details["role"], "admin")
        XCTAssertEqual(try take(1).roles, [.user])
    }
}
