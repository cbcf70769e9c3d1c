import Community
import Meetings
import XCTest

/// Which experts a search shows, and how many it leaves out for want of an assignment.
final class SearchedExpertsTests: XCTestCase {
    let certified = ["per_a", "per_b", "per_c", "per_me"]

    func learner(inService: Bool = false, assigned: Set<String> = [], selves: Set<String> = ["per_me"]) -> SearchLearner {
        SearchLearner(selves: selves, enrolledInService: inService, assignedExperts: assigned)
    }

    func testAnAdminBrowsingForNobodySeesEveryCertifiedExpert() {
        var s = CommunitySettings()
        s.requireEnrollment = true
        let shown = BookingRules.searchedExperts(certified: certified, only: nil, learner: nil, settings: s)
        XCTAssertEqual(shown.experts, certified)
        XCTAssertEqual(shown.notAssigned, 0)
    }

    func testNobodyIsOfferedTheirOwnTimes() {
        let shown = BookingRules.searchedExperts(certified: certified, only: nil, learner: learner(selves: ["per_me", "per_c"]), settings: CommunitySettings())
        XCTAssertEqual(shown.experts, ["per_a", "per_b"])
        XCTAssertEqual(shown.notAssigned, 0)
    }

    func testWhereEnrolmentIsRequiredOnlyAssignedExpertsAreShownAndTheOthersCounted() {
        var s = CommunitySettings()
        s.requireEnrollment = true
        let assigned = BookingRules.searchedExperts(certified: certified, only: nil, learner: learner(assigned: ["per_b", "per_z"]), settings: s)
        XCTAssertEqual(assigned.experts, ["per_b"])
        XCTAssertEqual(assigned.notAssigned, 2)
        let inService = BookingRules.searchedExperts(certified: certified, only: nil, learner: learner(inService: true), settings: s)
        XCTAssertEqual(inService.experts, ["per_a", "per_b", "per_c"])
        XCTAssertEqual(inService.notAssigned, 0)
        let filtered = BookingRules.searchedExperts(certified: certified, only: "per_a", learner: learner(assigned: ["per_b"]), settings: s)
        XCTAssertEqual(filtered.experts, [])
        XCTAssertEqual(filtered.notAssigned, 1)
    }

    func testTheExpertFilteredByIsTheOnlyOneShown() {
        let shown = BookingRules.searchedExperts(certified: certified, only: "per_b", learner: learner(), settings: CommunitySettings())
        XCTAssertEqual(shown.experts, ["per_b"])
        XCTAssertEqual(BookingRules.searchedExperts(certified: certified, only: "per_x", learner: learner(), settings: CommunitySettings()).experts, [])
    }
}
