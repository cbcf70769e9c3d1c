import Core
import Meetings
import People
import Postgres

/// What `availability.search` knows before it reads any calendar, read with the actor's row
/// in one statement (`ml_search_context`).
public struct SearchFacts: Sendable {
    /// The booking context a request for the same learner reads: settings, time, service, the
    /// location named, the booker and student (and their link), the learner's bookings as the
    /// weekly limit counts them and their agreed meetings as an expert.
    public var booking: BookingContext
    /// The person `expert_id` names, nil when none is named or nobody has that id.
    public var filterExpert: PersonFacts?
    /// Certified in the service (or its owner) and an expert still, in id order.
    public var certifiedExperts: [String]
    /// The learner is assigned to the service itself.
    public var enrolledInService: Bool
    /// The experts the learner is assigned to, in any service.
    public var assignedExperts: Set<String>
    public var retiredLocations: Set<String>
}

public enum SearchContextQuery {
    /// `userId` is whom the search is for (the booker), `studentId` the student named; the
    /// learner's facts are read over `from`…`to`.
    public static func call(
        communityId: String, testClock: Bool, serviceId: String, userId: String, studentId: String?, expertId: String?, locationId: String?,
        from: Instant, to: Instant
    ) -> SQLCall {
        SQLCall(
            "ml_search_context",
            [
                .init(communityId, "text"), .init(testClock, "boolean"), .init(serviceId, "text"), .init(userId, "text"), .init(studentId, "text"),
                .init(expertId, "text"), .init(locationId, "text"), .init(from, "timestamptz"), .init(to, "timestamptz"),
            ])
    }

    public static func decode(_ json: JSON) throws -> SearchFacts {
        let j = StoredJSON(json, path: "search")
        var inService = false
        var experts: Set<String> = []
        for e in try j.list("enrolments") {
            if try e.optionalString("service_id") != nil { inService = true }
            if let expert = try e.optionalString("expert_id") { experts.insert(expert) }
        }
        return SearchFacts(
            booking: try BookingContextQuery.decode(json), filterExpert: try j.field("filter_expert").map(Records.person),
            certifiedExperts: try j.strings("certified_experts"), enrolledInService: inService, assignedExperts: experts,
            retiredLocations: Set(try j.strings("retired_locations")))
    }
}
