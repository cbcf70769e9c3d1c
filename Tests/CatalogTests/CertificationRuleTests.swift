import Catalog
import Community
import Core
import Meetings
import XCTest

final class CertificationRuleTests: XCTestCase {
    let talia = PersonFacts(id: "per_t", email: "t@x.example", firstName: "Talia", lastName: "K", roles: [.expert], timeZone: "UTC")
    let bo = PersonFacts(id: "per_b", email: "b@x.example", firstName: "Bo", lastName: "N", roles: [.expert], timeZone: "UTC")
    let sam = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sam", lastName: "L", roles: [.user], timeZone: "UTC")
    var general: ServiceFacts { ServiceFacts(id: "svc_g", name: "All available Peer Mentoring", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 50) }
    var withTalia: ServiceFacts {
        ServiceFacts(id: "svc_t", name: "Peer Mentoring with Talia K", kind: .expertSpecific, expertId: talia.id, defaultLengthMinutes: 60, priceCredits: 50)
    }

    /// Seed 002: "certify your providers in their provider-specific service and the generic
    /// provider service".
    func testAProviderIsCertifiedInTheGenericServiceAndHoldsTheirOwn() throws {
        XCTAssertEqual(try CertificationRule.certify(talia, in: general, ownerName: nil), .record)
        XCTAssertEqual(try CertificationRule.certify(talia, in: withTalia, ownerName: "Talia K"), .holdsByOwnership)
    }

    func testAnyoneElseInAnExpertsOwnServiceIsRefusedByName() {
        XCTAssertThrowsError(try CertificationRule.certify(bo, in: withTalia, ownerName: "Talia K")) { error in
            let e = error as? AppError
            XCTAssertEqual(e?.details["field"], "service_id")
            XCTAssertTrue(e?.message.contains("Talia K's own service") ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("certify Bo N in a generic service") ?? false, "\(String(describing: e))")
        }
    }

    func testOnlyExpertsAreCertified() {
        XCTAssertThrowsError(try CertificationRule.certify(sam, in: general, ownerName: nil)) {
            XCTAssertEqual(($0 as? AppError)?.details["field"], "expert_id")
        }
    }

    func testTheOwnerCannotBeDecertifiedFromTheirOwnService() {
        XCTAssertThrowsError(try CertificationRule.decertify(talia.id, from: withTalia)) { XCTAssertEqual(($0 as? AppError)?.details["field"], "service_id") }
        XCTAssertNoThrow(try CertificationRule.decertify(talia.id, from: general))
        XCTAssertNoThrow(try CertificationRule.decertify(bo.id, from: withTalia))
    }

    func testOnlyStaffOrThePersonThemselfListEnrolments() {
        XCTAssertNoThrow(try EnrollmentListing.mayList(actorId: "per_a", actorRoles: [.admin], userId: nil, expertId: nil))
        XCTAssertNoThrow(try EnrollmentListing.mayList(actorId: "per_o", actorRoles: [.office], userId: sam.id, expertId: nil))
        XCTAssertNoThrow(try EnrollmentListing.mayList(actorId: sam.id, actorRoles: [.user], userId: sam.id, expertId: nil))
        XCTAssertNoThrow(try EnrollmentListing.mayList(actorId: talia.id, actorRoles: [.expert], userId: nil, expertId: talia.id))
        XCTAssertThrowsError(try EnrollmentListing.mayList(actorId: sam.id, actorRoles: [.user], userId: "per_other", expertId: nil))
        XCTAssertThrowsError(try EnrollmentListing.mayList(actorId: talia.id, actorRoles: [.expert], userId: nil, expertId: nil))
    }
}
