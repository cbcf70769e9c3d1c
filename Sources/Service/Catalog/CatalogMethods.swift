import Community
import Core
import Pipeline
import Postgres
import RPC

enum CatalogMethods {
    static var all: [ServiceMethod] { [create, list, certify, decertify, assign, remove] }

    static let create = ServiceMethod(
        "service.create", "Adds a service: generic (any certified expert) or expert-specific", audience: .roles([.admin]), mutating: true,
        params: [
            .init("name", .name, required: true), .init("kind", .oneOf(["generic", "expert_specific"]), required: true),
            .init("default_length_minutes", .integer(min: 5, max: 1440), required: true), .init("price_credits", .credits, required: true),
            .init("expert_id", .id(.person), "Required for expert_specific"), .init("skills", .list(.name, max: 100)),
            .init("agenda_questions", .list(.text(min: 1, max: 500), max: 50)),
        ],
        result: ServiceRecord.schema
    ) { ctx, params in
        let kind = try params.string("kind")
        let expertId = params.optionalString("expert_id")
        if kind == "expert_specific" {
            guard let expertId else { throw AppError.invalidParams(field: "expert_id", reason: "is required for an expert_specific service") }
            _ = try Catalog.requireExpert(ctx, expertId)
        } else if expertId != nil {
            throw AppError.invalidParams(field: "expert_id", reason: "is only for expert_specific services; certify experts in a generic one")
        }
        return try insertService(
            ctx, name: try params.string("name"), kind: kind, expertId: expertId, lengthMinutes: try params.int("default_length_minutes"),
            priceCredits: try params.int("price_credits"), skills: params.stringList("skills"), agendaQuestions: params.stringList("agenda_questions")
        ).json
    }

    static func insertService(
        _ ctx: RequestContext, name: String, kind: String, expertId: String?, lengthMinutes: Int64, priceCredits: Int64, skills: [String], agendaQuestions: [String]
    ) throws -> ServiceRecord {
        do {
            let row = try ctx.db.query(
                """
                INSERT INTO services (community_id, id, name, kind, expert_id, default_length_minutes, price_credits, skills, agenda_questions)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING \(ServiceRecord.columns)
                """,
                [ctx.communityId, Identifier.make(.service), name, kind, expertId, lengthMinutes, priceCredits,
                 PostgresTextArray(skills), PostgresTextArray(agendaQuestions)])
            return try ServiceRecord(row: row.first!)
        } catch let e as PostgresError where e.isUniqueViolation {
            throw AppError.invalidParams(field: "name", reason: "is already the name of another service")
        }
    }

    static let list = ServiceMethod(
        "service.list", "The community's services; with expert_id, those the expert offers", audience: .member, mutating: false,
        params: [.init("expert_id", .id(.person))] + Page.fields, result: Page.resultSchema(ServiceRecord.schema)
    ) { ctx, params in
        let page = try Page(params, key: [.text])
        let rows = try ctx.db.query(
            """
            SELECT \(ServiceRecord.columns) FROM services s
            WHERE community_id = $1 AND ($2::text IS NULL OR s.expert_id = $2 OR EXISTS (
                SELECT 1 FROM certifications c WHERE c.community_id = $1 AND c.service_id = s.id AND c.expert_id = $2))
              AND ($3::text IS NULL OR s.id > $3)
            ORDER BY s.id LIMIT $4
            """, [ctx.communityId, params.optionalString("expert_id"), page.afterString(0), page.limit + 1])
        return page.result(try rows.map { try ServiceRecord(row: $0).json }) { [$0["id"]!] }
    }

    static let certificationResult: Schema = .object([
        .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true), .init("certified", .boolean, required: true),
    ])

    static func certifyExpert(_ ctx: RequestContext, serviceId: String, expertId: String) throws -> Bool {
        let service = try Catalog.service(ctx, serviceId)
        _ = try Catalog.requireExpert(ctx, expertId)
        guard service.kind == "generic" else {
            throw AppError.invalidParams(field: "service_id", reason: "is expert_specific; only generic services take certifications")
        }
        return try ctx.db.query(
            "INSERT INTO certifications (community_id, service_id, expert_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [ctx.communityId, serviceId, expertId]
        ).affectedRows == 1
    }

    static let certify = ServiceMethod(
        "service.certify", "Certifies an expert in a generic service", audience: .roles([.admin]), mutating: true,
        params: [.init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true)],
        result: certificationResult, errors: [DocErrors.notFound]
    ) { ctx, params in
        let (serviceId, expertId) = (try params.string("service_id"), try params.string("expert_id"))
        _ = try certifyExpert(ctx, serviceId: serviceId, expertId: expertId)
        return ["service_id": .string(serviceId), "expert_id": .string(expertId), "certified": true]
    }

    static let decertify = ServiceMethod(
        "service.decertify", "Removes an expert's certification (booked meetings stay)", audience: .roles([.admin]), mutating: true,
        params: [.init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true)],
        result: certificationResult, errors: [DocErrors.notFound]
    ) { ctx, params in
        let (serviceId, expertId) = (try params.string("service_id"), try params.string("expert_id"))
        _ = try Catalog.service(ctx, serviceId)
        let removed = try ctx.db.query(
            "DELETE FROM certifications WHERE community_id = $1 AND service_id = $2 AND expert_id = $3", [ctx.communityId, serviceId, expertId]
        ).affectedRows
        guard removed == 1 else { throw AppError.notFound("certification", "\(expertId) in \(serviceId)") }
        return ["service_id": .string(serviceId), "expert_id": .string(expertId), "certified": false]
    }

    static let enrollmentParams: [Schema.Field] = [
        .init("user_id", .id(.person), required: true), .init("service_id", .id(.service)), .init("expert_id", .id(.person)),
    ]
    static let enrollmentResult: Schema = .object([
        .init("user_id", .id(.person), required: true), .init("service_id", .nullable(.id(.service)), required: true),
        .init("expert_id", .nullable(.id(.person)), required: true), .init("enrolled", .boolean, required: true),
    ])

    /// Exactly one of service_id / expert_id names what the user is assigned to.
    static func enrollmentTarget(_ params: Params) throws -> (service: String?, expert: String?) {
        let service = params.optionalString("service_id"), expert = params.optionalString("expert_id")
        guard (service == nil) != (expert == nil) else {
            throw AppError.invalidParams(field: "service_id", reason: "give exactly one of service_id or expert_id")
        }
        return (service, expert)
    }

    static func enroll(_ ctx: RequestContext, userId: String, serviceId: String?, expertId: String?) throws -> Bool {
        _ = try Catalog.requireUser(ctx, userId)
        if let serviceId { _ = try Catalog.service(ctx, serviceId) }
        if let expertId { _ = try Catalog.requireExpert(ctx, expertId) }
        return try ctx.db.query(
            "INSERT INTO enrollments (community_id, user_id, service_id, expert_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [ctx.communityId, userId, serviceId, expertId]
        ).affectedRows == 1
    }

    static let assign = ServiceMethod(
        "enrollment.assign", "Assigns a user to a service or to an expert", audience: .roles([.admin]), mutating: true,
        params: enrollmentParams, result: enrollmentResult, errors: [DocErrors.notFound]
    ) { ctx, params in
        let userId = try params.string("user_id")
        let (serviceId, expertId) = try enrollmentTarget(params)
        _ = try enroll(ctx, userId: userId, serviceId: serviceId, expertId: expertId)
        return ["user_id": .string(userId), "service_id": .optional(serviceId), "expert_id": .optional(expertId), "enrolled": true]
    }

    static let remove = ServiceMethod(
        "enrollment.remove", "Removes a user's assignment to a service or an expert", audience: .roles([.admin]), mutating: true,
        params: enrollmentParams, result: enrollmentResult, errors: [DocErrors.notFound]
    ) { ctx, params in
        let userId = try params.string("user_id")
        let (serviceId, expertId) = try enrollmentTarget(params)
        let removed = try ctx.db.query(
            """
            DELETE FROM enrollments WHERE community_id = $1 AND user_id = $2
              AND service_id IS NOT DISTINCT FROM $3 AND expert_id IS NOT DISTINCT FROM $4
            """, [ctx.communityId, userId, serviceId, expertId]
        ).affectedRows
        guard removed == 1 else { throw AppError.notFound("enrollment", userId) }
        return ["user_id": .string(userId), "service_id": .optional(serviceId), "expert_id": .optional(expertId), "enrolled": false]
    }
}
