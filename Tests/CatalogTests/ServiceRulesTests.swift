import Catalog
import Core
import Meetings
import XCTest

/// `service.create` and `service.update`'s rules, decided on the facts their one read gives.
final class ServiceRulesTests: XCTestCase {
    let talia = PersonFacts(id: "per_t", email: "t@x.example", firstName: "Talia", lastName: "K", roles: [.expert], timeZone: "UTC")
    let sam = PersonFacts(id: "per_s", email: "s@x.example", firstName: "Sam", lastName: "U", roles: [.user], timeZone: "UTC")

    func facts(expert: PersonFacts? = nil, taken: (id: String, name: String)? = nil) -> ServiceWriteFacts {
        ServiceWriteFacts(service: nil, expert: expert, nameTaken: taken)
    }

    func testAnExpertSpecificServiceIsOneExpertsAndAGenericOneNobodys() {
        XCTAssertNil(refusal { try ServiceRules.checkOwner(kind: .generic, expertId: nil, facts: facts()) })
        XCTAssertNil(refusal { try ServiceRules.checkOwner(kind: .expertSpecific, expertId: "per_t", facts: facts(expert: talia)) })
        XCTAssertEqual(refusal { try ServiceRules.checkOwner(kind: .expertSpecific, expertId: nil, facts: facts()) },
                       "-32602 Invalid params: expert_id is required for an expert_specific service")
        XCTAssertEqual(refusal { try ServiceRules.checkOwner(kind: .expertSpecific, expertId: "per_x", facts: facts()) }?.prefix(4), "4004")
        XCTAssertEqual(refusal { try ServiceRules.checkOwner(kind: .expertSpecific, expertId: "per_s", facts: facts(expert: sam)) },
                       "-32602 Invalid params: expert_id must be a person with the expert role")
        XCTAssertEqual(refusal { try ServiceRules.checkOwner(kind: .generic, expertId: "per_t", facts: facts(expert: talia)) },
                       "-32602 Invalid params: expert_id is only for expert_specific services; certify experts in a generic one")
    }

    func testANameTakenByAnotherServiceIsRefusedNamingIt() {
        XCTAssertNil(refusal { try ServiceRules.requireNameFree(facts()) })
        XCTAssertEqual(refusal { try ServiceRules.requireNameFree(facts(taken: (id: "svc_1", name: "Chemistry"))) },
                       "-32602 Invalid params: name is already the name of service Chemistry (svc_1), whatever the case, the Unicode form and the spaces around it; give another name")
    }

    func testSkillsAndQuestionsAreKeptTrimmedNoneBlankSkillsOnce() throws {
        XCTAssertEqual(try ServiceRules.trimmed([" Titration ", "Moles\n"], field: "skills", distinct: true), ["Titration", "Moles"])
        XCTAssertEqual(refusal { _ = try ServiceRules.trimmed(["a", " \u{3000}"], field: "agenda_questions") },
                       "-32602 Invalid params: agenda_questions[1] is blank")
        XCTAssertEqual(refusal { _ = try ServiceRules.trimmed(["Moles", " Moles"], field: "skills", distinct: true) },
                       "-32602 Invalid params: skills names \"Moles\" twice")
        XCTAssertEqual(try ServiceRules.trimmed(["Why?", "Why?"], field: "agenda_questions"), ["Why?", "Why?"], "questions may repeat")
    }

    func testWhatIsLeftOpenIsToldWithTheAnswer() {
        let open = LeftOpen(waiting: ["mtg_1"], waitingCount: 3, series: [], seriesCount: 0)
        XCTAssertEqual(open.answer(["certified": false]), [
            "certified": false, "waiting_meetings": ["mtg_1"], "waiting_meetings_count": 3, "active_series": [], "active_series_count": 0,
        ], "a location's: no alternates")
        let service = LeftOpen(waiting: [], waitingCount: 0, series: ["ser_1"], seriesCount: 1, alternates: ListedMeetings(ids: ["mtg_2"], count: 2))
        XCTAssertEqual(service.answer(["active": false]), [
            "active": false, "waiting_meetings": [], "waiting_meetings_count": 0, "active_series": ["ser_1"], "active_series_count": 1,
            "open_alternates": ["mtg_2"], "open_alternates_count": 2,
        ])
    }

    func testAUserIsAssignedToAServiceOrAnExpertThatExistsAndOnlyAnAssignmentThatExistsIsRemoved() {
        func facts(user: PersonFacts? = nil, service: Bool = false, expert: PersonFacts? = nil, enrolled: Bool = false) -> EnrollmentFacts {
            EnrollmentFacts(user: user, serviceExists: service, expert: expert, enrolled: enrolled)
        }
        XCTAssertNil(refusal { try EnrollmentRule.assign(userId: "per_s", serviceId: "svc_1", expertId: nil, facts: facts(user: sam, service: true)) })
        XCTAssertNil(refusal { try EnrollmentRule.assign(userId: "per_s", serviceId: nil, expertId: "per_t", facts: facts(user: sam, expert: talia)) })
        XCTAssertEqual(refusal { try EnrollmentRule.assign(userId: "per_x", serviceId: "svc_1", expertId: nil, facts: facts(service: true)) }?.prefix(4), "4004")
        XCTAssertEqual(refusal { try EnrollmentRule.assign(userId: "per_t", serviceId: "svc_1", expertId: nil, facts: facts(user: talia, service: true)) },
                       "-32602 Invalid params: user_id must be a person with the user role")
        XCTAssertTrue(refusal { try EnrollmentRule.assign(userId: "per_s", serviceId: "svc_9", expertId: nil, facts: facts(user: sam)) }?.hasPrefix("4004") == true)
        XCTAssertEqual(refusal { try EnrollmentRule.assign(userId: "per_s", serviceId: nil, expertId: "per_s", facts: facts(user: sam, expert: sam)) },
                       "-32602 Invalid params: expert_id must be a person with the expert role")
        XCTAssertNil(refusal { try EnrollmentRule.remove(userId: "per_s", serviceId: "svc_1", expertId: nil, facts: facts(enrolled: true)) })
        XCTAssertEqual(refusal { try EnrollmentRule.remove(userId: "per_s", serviceId: "svc_1", expertId: nil, facts: facts()) },
                       "4004 Not found: no enrollment of per_s to svc_1 in this community")
    }
}
