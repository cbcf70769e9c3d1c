import Core
import Postgres
import RPC

struct ServiceRecord {
    let id: String
    let name: String
    let kind: String
    let expertId: String?
    let defaultLengthMinutes: Int64
    let priceCredits: Int64
    let skills: [String]
    let agendaQuestions: [String]
    let active: Bool

    static let columns = "id, name, kind, expert_id, default_length_minutes, price_credits, skills, agenda_questions, active"

    init(row: Row) throws {
        id = try row.string("id")
        name = try row.string("name")
        kind = try row.string("kind")
        expertId = try row.optionalString("expert_id")
        defaultLengthMinutes = try row.int("default_length_minutes")
        priceCredits = try row.int("price_credits")
        skills = try row.stringArray("skills")
        agendaQuestions = try row.stringArray("agenda_questions")
        active = try row.bool("active")
    }

    var json: JSON {
        [
            "id": .string(id), "name": .string(name), "kind": .string(kind), "expert_id": .optional(expertId),
            "default_length_minutes": .int(defaultLengthMinutes), "price_credits": .int(priceCredits),
            "skills": .array(skills.map { .string($0) }), "agenda_questions": .array(agendaQuestions.map { .string($0) }), "active": .bool(active),
        ]
    }

    static let schema: Schema = .object([
        .init("id", .id(.service), required: true), .init("name", .name, required: true),
        .init("kind", .oneOf(["generic", "expert_specific"]), required: true), .init("expert_id", .nullable(.id(.person)), required: true),
        .init("default_length_minutes", .integer(min: 5, max: 1440), required: true), .init("price_credits", .credits, required: true),
    ], additional: true)
}

/// Lookups and checks shared by the catalog, availability and meeting methods.
enum Catalog {
    static func service(_ ctx: RequestContext, _ id: String) throws -> ServiceRecord {
        guard let row = try ctx.db.query("SELECT \(ServiceRecord.columns) FROM services WHERE community_id = $1 AND id = $2", [ctx.communityId, id]).first else {
            throw AppError.notFound("service", id)
        }
        return try ServiceRecord(row: row)
    }

    /// An expert-specific service belongs to its expert; a generic one needs a certification.
    static func isCertified(_ ctx: RequestContext, service: ServiceRecord, expertId: String) throws -> Bool {
        if service.kind == "expert_specific" { return service.expertId == expertId }
        return try ctx.db.query(
            "SELECT 1 FROM certifications WHERE community_id = $1 AND service_id = $2 AND expert_id = $3", [ctx.communityId, service.id, expertId]
        ).first != nil
    }

    static func requireCertified(_ ctx: RequestContext, service: ServiceRecord, expertId: String) throws {
        guard try isCertified(ctx, service: service, expertId: expertId) else {
            throw AppError.slotUnavailable("the expert is not certified for \(service.name)")
        }
    }

    static func requireLocation(_ ctx: RequestContext, _ id: String) throws {
        guard try ctx.db.query("SELECT 1 FROM locations WHERE community_id = $1 AND id = $2", [ctx.communityId, id]).first != nil else {
            throw AppError.notFound("location", id)
        }
    }

    static func requireExpert(_ ctx: RequestContext, _ id: String, field: String = "expert_id") throws -> PersonRecord {
        let p = try ctx.person(id)
        guard p.has(.expert) else { throw AppError.invalidParams(field: field, reason: "must be a person with the expert role") }
        return p
    }

    static func requireUser(_ ctx: RequestContext, _ id: String, field: String = "user_id") throws -> PersonRecord {
        let p = try ctx.person(id)
        guard p.has(.user) else { throw AppError.invalidParams(field: field, reason: "must be a person with the user role") }
        return p
    }

    /// Enrolment (when the community requires it): the user is assigned to the service or the expert.
    static func isEnrolled(_ ctx: RequestContext, userId: String, serviceId: String, expertId: String) throws -> Bool {
        try ctx.db.query(
            "SELECT 1 FROM enrollments WHERE community_id = $1 AND user_id = $2 AND (service_id = $3 OR expert_id = $4) LIMIT 1",
            [ctx.communityId, userId, serviceId, expertId]
        ).first != nil
    }
}
