import Catalog
import Core
import Meetings
import Postgres

/// Services, certifications, enrolments and locations.
public enum CatalogStore {
    /// A service read as `to_jsonb` of its row (the column `service`), as every read of one is.
    public static func service(_ row: Row) throws -> ServiceFacts { try service(StoredJSON(try row.json("service"), path: "service")) }

    /// A service as `to_jsonb` of its row gives it.
    static func service(_ j: StoredJSON) throws -> ServiceFacts {
        guard let kind = ServiceFacts.Kind(rawValue: try j.string("kind")) else {
            throw PostgresError(code: .decoding, message: "\(j.path): unknown service kind")
        }
        return ServiceFacts(
            id: try j.string("id"), name: try j.string("name"), kind: kind, expertId: try j.optionalString("expert_id"),
            defaultLengthMinutes: try j.int("default_length_minutes"), priceCredits: try j.int("price_credits"),
            skills: try j.strings("skills"), agendaQuestions: try j.strings("agenda_questions"), active: try j.bool("active"))
    }

    /// What a new or changed service is decided on (`ml_service_context`), the directory locked.
    public static func serviceContext(communityId: String, serviceId: String?, expertId: String?, name: String?) -> SQLCall {
        SQLCall(
            "ml_service_context",
            [.init(communityId, "text"), .init(serviceId, "text"), .init(expertId, "text"), .init(name, "text")])
    }

    public static func decodeServiceContext(_ json: JSON) throws -> ServiceWriteFacts {
        let j = StoredJSON(json, path: "service_context")
        let taken = try j.field("name_taken").map { (id: try $0.string("id"), name: try $0.string("name")) }
        return ServiceWriteFacts(
            service: try j.field("service").map(service), expert: try j.field("expert").map(Records.person), nameTaken: taken)
    }

    /// The service as decided (`ml_service_apply`): new (`insert`), or its name, default
    /// length, price, skills and agenda questions changed.
    public static func serviceApply(communityId: String, _ s: ServiceFacts, insert: Bool) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "insert": .bool(insert),
            "service": [
                "id": .string(s.id), "name": .string(s.name), "kind": .string(s.kind.rawValue), "expert_id": .optional(s.expertId),
                "default_length_minutes": .int(s.defaultLengthMinutes), "price_credits": .int(s.priceCredits),
                "skills": .array(s.skills.map { .string($0) }), "agenda_questions": .array(s.agendaQuestions.map { .string($0) }),
            ],
        ]
        return SQLCall("ml_service_apply", [.init(p, "jsonb")])
    }

    /// What a retired service or location (or a removed certification) leaves open, as
    /// `ml_open_work` reads it in the commands' contexts.
    /// `forService`: a service's (or a certification's) open alternates are told too.
    static func leftOpen(_ j: StoredJSON, forService: Bool) throws -> LeftOpen {
        LeftOpen(
            waiting: try j.strings("waiting"), waitingCount: try j.int("waiting_count"),
            series: try j.strings("series"), seriesCount: try j.int("series_count"),
            alternates: forService ? ListedMeetings(ids: try j.strings("alternates"), count: try j.int("alternates_count")) : nil)
    }

    /// What removing an expert's certification is decided on (`ml_decertify_context`), the
    /// service locked: the service, whether the expert holds it, and what they leave open in it.
    public static func decertifyContext(communityId: String, testClock: Bool, serviceId: String, expertId: String) -> SQLCall {
        SQLCall(
            "ml_decertify_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(serviceId, "text"), .init(expertId, "text"), .init(Listed.atMost, "integer")])
    }

    public static func decodeDecertifyContext(_ json: JSON) throws -> (service: ServiceFacts?, certified: Bool, leftOpen: LeftOpen) {
        let j = StoredJSON(json, path: "decertify_context")
        return (try j.field("service").map(service), try j.bool("certified"), try leftOpen(StoredJSON(j.value["open_work"] ?? .null, path: "decertify_context.open_work"), forService: true))
    }

    public static func decertifyApply(communityId: String, serviceId: String, expertId: String) -> SQLCall {
        SQLCall("ml_decertify_apply", [.init(JSON.object(["community_id": .string(communityId), "service_id": .string(serviceId), "expert_id": .string(expertId)]), "jsonb")])
    }

    /// What certifying an expert is decided on (`ml_certify_context`): the service, the expert,
    /// and the name of the expert whose own service it is.
    public static func certifyContext(communityId: String, serviceId: String, expertId: String) -> SQLCall {
        SQLCall("ml_certify_context", [.init(communityId, "text"), .init(serviceId, "text"), .init(expertId, "text")])
    }

    public static func decodeCertifyContext(_ json: JSON) throws -> (service: ServiceFacts?, expert: PersonFacts?, ownerName: String?) {
        let j = StoredJSON(json, path: "certify_context")
        return (try j.field("service").map(service), try j.field("expert").map(Records.person), try j.optionalString("owner_name"))
    }

    public static func certifyApply(communityId: String, serviceId: String, expertId: String) -> SQLCall {
        SQLCall("ml_certify_apply", [.init(JSON.object(["community_id": .string(communityId), "service_id": .string(serviceId), "expert_id": .string(expertId)]), "jsonb")])
    }

    /// What retiring a service (or offering it again) is decided on (`ml_retire_context`), the
    /// service locked: the service and what it leaves open.
    public static func retireContext(communityId: String, testClock: Bool, serviceId: String) -> SQLCall {
        SQLCall("ml_retire_context", [.init(communityId, "text"), .init(testClock, "boolean"), .init(serviceId, "text"), .init(Listed.atMost, "integer")])
    }

    public static func decodeRetireContext(_ json: JSON) throws -> (service: ServiceFacts?, leftOpen: LeftOpen) {
        let j = StoredJSON(json, path: "retire_context")
        return (try j.field("service").map(service), try leftOpen(StoredJSON(j.value["open_work"] ?? .null, path: "retire_context.open_work"), forService: true))
    }

    public static func retireApply(communityId: String, serviceId: String, active: Bool) -> SQLCall {
        SQLCall("ml_retire_apply", [.init(JSON.object(["community_id": .string(communityId), "service_id": .string(serviceId), "active": .bool(active)]), "jsonb")])
    }

    /// What assigning a user, or removing the assignment, is decided on (`ml_enrollment_context`).
    public static func enrollmentContext(communityId: String, userId: String, serviceId: String?, expertId: String?) -> SQLCall {
        SQLCall("ml_enrollment_context", [.init(communityId, "text"), .init(userId, "text"), .init(serviceId, "text"), .init(expertId, "text")])
    }

    public static func decodeEnrollmentContext(_ json: JSON) throws -> EnrollmentFacts {
        let j = StoredJSON(json, path: "enrollment_context")
        return EnrollmentFacts(
            user: try j.field("user").map(Records.person), serviceExists: try j.bool("service_exists"),
            expert: try j.field("expert").map(Records.person), enrolled: try j.bool("enrolled"))
    }

    /// The assignment made (`enrolled`: kept if it exists) or removed (`ml_enrollment_apply`).
    public static func enrollmentApply(communityId: String, userId: String, serviceId: String?, expertId: String?, enrolled: Bool, now: Instant) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "user_id": .string(userId), "service_id": .optional(serviceId), "expert_id": .optional(expertId),
            "enrolled": .bool(enrolled), "now": .string(now.rfc3339),
        ]
        return SQLCall("ml_enrollment_apply", [.init(p, "jsonb")])
    }

    /// A page of services in id order; with an expert, those the expert offers (none while they
    /// do not hold the expert role).
    public static func listServices(communityId: String, expertId: String?, afterId: String?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT to_jsonb(s) AS service FROM services s
            WHERE community_id = $1 AND ($2::text IS NULL OR (
                EXISTS (SELECT 1 FROM people e WHERE e.community_id = $1 AND e.id = $2 AND 'expert' = ANY (e.roles))
                AND (s.expert_id = $2 OR EXISTS (
                    SELECT 1 FROM certifications c WHERE c.community_id = $1 AND c.service_id = s.id AND c.expert_id = $2))))
              AND ($3::text IS NULL OR s.id > $3)
            ORDER BY s.id LIMIT $4
            """, [communityId, expertId, afterId, limit])
    }

    /// A page of enrolments, optionally of one user, service or expert (with the expert, or with
    /// the expert's own service: both assign the user to them), in (user, target) order, with
    /// the names a list shows (an expert's profile name, never an e-mail).
    public static func listEnrollments(
        communityId: String, userId: String?, serviceId: String?, expertId: String?, after: (user: String, target: String)?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT e.user_id, u.first_name || ' ' || u.last_name AS user_name, e.service_id, s.name AS service_name, e.expert_id,
                   ml_display_name(e.community_id, e.expert_id) AS expert_name, e.created_at, coalesce(e.service_id, e.expert_id) AS target
            FROM enrollments e
            JOIN people u ON u.community_id = e.community_id AND u.id = e.user_id
            LEFT JOIN services s ON s.community_id = e.community_id AND s.id = e.service_id
            WHERE e.community_id = $1 AND ($2::text IS NULL OR e.user_id = $2) AND ($3::text IS NULL OR e.service_id = $3)
              AND ($4::text IS NULL OR e.expert_id = $4 OR s.expert_id = $4) AND ($5::text IS NULL OR (e.user_id, coalesce(e.service_id, e.expert_id)) > ($5, $6::text))
            ORDER BY e.user_id, target LIMIT $7
            """, [communityId, userId, serviceId, expertId, after?.user, after?.target, limit])
    }

    public static func enrollmentJSON(_ r: Row) throws -> JSON {
        [
            "user_id": .string(try r.string("user_id")), "user_name": .string(try r.string("user_name")),
            "service_id": .optional(try r.optionalString("service_id")), "service_name": .optional(try r.optionalString("service_name")),
            "expert_id": .optional(try r.optionalString("expert_id")), "expert_name": .optional(try r.optionalString("expert_name")),
            "created_at": .string(try r.instant("created_at").rfc3339), "target": .string(try r.string("target")),
        ]
    }

    // MARK: Locations

    /// What a new or changed location is decided on (`ml_location_context`): the location (for
    /// a change), another that has the name (for a name given), what it leaves open (for a change).
    public static func locationContext(communityId: String, testClock: Bool, locationId: String?, name: String?) -> SQLCall {
        SQLCall(
            "ml_location_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(locationId, "text"), .init(name, "text"), .init(Listed.atMost, "integer")])
    }

    public static func decodeLocationContext(_ json: JSON) throws -> LocationWriteFacts {
        let j = StoredJSON(json, path: "location_context")
        return LocationWriteFacts(
            location: try j.field("location").map(Records.location),
            nameTaken: try j.field("name_taken").map { (id: try $0.string("id"), name: try $0.string("name")) },
            leftOpen: try j.field("open_work").map { try leftOpen($0, forService: false) })
    }

    /// The location as decided (`ml_location_apply`): new (`insert`), or its name and whether it
    /// is offered.
    public static func locationApply(communityId: String, _ l: LocationFacts, insert: Bool) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "insert": .bool(insert),
            "location": ["id": .string(l.id), "name": .string(l.name), "kind": .string(l.kind), "active": .bool(l.active)],
        ]
        return SQLCall("ml_location_apply", [.init(p, "jsonb")])
    }

    public static func listLocations(communityId: String, afterId: String?, limit: Int64) -> Statement {
        Statement(
            "SELECT id, name, kind, active FROM locations WHERE community_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3",
            [communityId, afterId, limit])
    }

    public static func location(_ row: Row) throws -> LocationFacts {
        LocationFacts(id: try row.string("id"), name: try row.string("name"), kind: try row.string("kind"), active: try row.bool("active"))
    }
}
