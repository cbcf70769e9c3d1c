import Catalog
import Community
import Core
import Meetings
import Pipeline
import RPC
import Store
import UseCases

/// `service.*` and `enrollment.*`: what can be booked, by whom.
enum CatalogAPI {
    static var all: [MethodDefinition] { [create, update, list, setActive, certify, decertify, assign, remove, listEnrollments] }

    static let create = MethodDefinition(
        "service.create", "Adds a service: generic (any certified expert) or expert-specific", audience: .roles([.admin]), mutating: true,
        params: [
            .init("name", .givenName, required: true), .init("kind", .oneOf(["generic", "expert_specific"]), required: true),
            .init("default_length_minutes", MeetingAPI.minutes, required: true), .init("price_credits", .credits, required: true),
            .init("expert_id", .id(.person), "Required for expert_specific"), .init("skills", .list(.givenName, max: 100)),
            .init("agenda_questions", .list(.text(min: 1, max: 500), max: 50)),
        ],
        result: ServiceFacts.schema, errors: [DocErrors.notFound], examples: [Examples.serviceCreate],
        body: .command(CatalogUseCases.createService()))

    static let updatable = ["name", "default_length_minutes", "price_credits", "skills", "agenda_questions"]

    static let update = MethodDefinition(
        "service.update",
        "Changes a service's name, default length, price, skills or agenda questions (each left out stays). Meetings already booked keep their length, price, skill, answers and the questions they answer, and one moved to another length is priced from what it was booked on; a new booking takes the service as it is then; a weekly series' later dates keep the series' length, priced pro rata from the service's price and default length then, and the answers and questions the series was booked with",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("service_id", .id(.service), required: true), .init("name", .givenName),
            .init("default_length_minutes", MeetingAPI.minutes), .init("price_credits", .credits),
            .init("skills", .list(.givenName, max: 100), "The whole list: it replaces the one the service had"),
            .init("agenda_questions", .list(.text(min: 1, max: 500), max: 50), "The whole list: it replaces the one the service had"),
        ],
        result: ServiceFacts.schema, errors: [DocErrors.notFound], paramRules: [.somethingToChange(updatable, on: "service_id")],
        examples: [Examples.serviceUpdate],
        body: .command(CatalogUseCases.updateService()))

    static let list = MethodDefinition(
        "service.list", "The community's services; with expert_id, those the expert offers (none while they do not hold the expert role)", audience: .member, mutating: false,
        params: [.init("expert_id", .id(.person))] + Page.fields, result: Page.resultSchema(ServiceFacts.schema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [CatalogStore.listServices(
                    communityId: scope.communityId, expertId: p.optionalString("expert_id"), afterId: page.afterString(0), limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [p.optionalString("expert_id")])
            },
            respond: { _, rows, p in
                try Existence.require(rows, at: 1)
                return try Page(p, key: [.text]).result(try rows[0].map { try CatalogStore.service($0).json }, keyFields: "id")
            })))

    static let setActive = MethodDefinition(
        "service.set_active",
        "Retires a service (active false: it is not offered, searched or booked any more; agreed meetings stay, a request not yet confirmed can only be declined or withdrawn) or offers it again",
        audience: .roles([.admin]), mutating: true,
        params: [.init("service_id", .id(.service), required: true), .init("active", .boolean, required: true)],
        result: .object(ServiceFacts.fields + OpenWork.serviceFields, additional: true), errors: [DocErrors.notFound],
        body: .command(CatalogUseCases.setActive()))

    static let certificationFields: [Schema.Field] = [
        .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true), .init("certified", .boolean, required: true),
    ]
    static let certificationResult: Schema = .named("Certification", .object(certificationFields))

    static let certify = MethodDefinition(
        "service.certify", "Certifies an expert in a generic service (an expert-specific service's own expert holds it already)", audience: .roles([.admin]), mutating: true,
        params: [.init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true)],
        result: certificationResult, errors: [DocErrors.notFound],
        body: .command(CatalogUseCases.certify()))

    static let decertify = MethodDefinition(
        "service.decertify",
        "Removes an expert's certification: the expert is not offered or booked in the service any more; agreed meetings stay (they are held, cancelled and logged as before, and not moved to another time), and the answer lists the expert's requests and weekly series in the service that are left open",
        audience: .roles([.admin]), mutating: true,
        params: [.init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true)],
        result: .named("Decertification", .object(
            certificationFields + OpenWork.fields(while: "the expert is not certified in it", until: "the expert is certified again", alternates: true))),
        errors: [DocErrors.notFound],
        body: .command(CatalogUseCases.decertify()))

    static let enrollmentParams: [Schema.Field] = [
        .init("user_id", .id(.person), required: true), .init("service_id", .id(.service)), .init("expert_id", .id(.person)),
    ]
    static let enrollmentResult: Schema = .named("Enrollment", .object([
        .init("user_id", .id(.person), required: true), .init("service_id", .nullable(.id(.service)), required: true),
        .init("expert_id", .nullable(.id(.person)), required: true), .init("enrolled", .boolean, required: true),
    ]))

    /// Exactly one of service_id / expert_id names what the user is assigned to.
    static let enrollmentTarget = ParamRule.exactlyOne("service_id", "expert_id")

    static let assign = MethodDefinition(
        "enrollment.assign", "Assigns a user to a service or to an expert", audience: .roles([.admin]), mutating: true,
        params: enrollmentParams, result: enrollmentResult, errors: [DocErrors.notFound], paramRules: [enrollmentTarget],
        body: .command(CatalogUseCases.enrollment(enrolled: true)))

    static let remove = MethodDefinition(
        "enrollment.remove",
        "Removes a user's assignment to a service or an expert. Where the community requires enrolment, the meetings it allowed stay as they are: they can be declined, withdrawn or cancelled, but neither side accepts or moves them (not_enrolled) until the user is assigned again",
        audience: .roles([.admin]), mutating: true,
        params: enrollmentParams, result: enrollmentResult, errors: [DocErrors.notFound], paramRules: [enrollmentTarget],
        body: .command(CatalogUseCases.enrollment(enrolled: false)))

    static let listEnrollments = MethodDefinition(
        "enrollment.list", "Enrolments of a user, a service or an expert (admins and office staff: any; users and experts: their own)",
        audience: .member, mutating: false,
        params: [
            .init("user_id", .id(.person)), .init("service_id", .id(.service)),
            .init("expert_id", .id(.person), "Enrolments with the expert, and with the expert's own (expert_specific) services"),
        ] + Page.fields,
        result: Page.resultSchema(.named("EnrollmentListing", .object([
            .init("user_id", .id(.person), required: true), .init("user_name", .text(), required: true),
            .init("service_id", .nullable(.id(.service)), required: true), .init("service_name", .nullable(.text()), required: true),
            .init("expert_id", .nullable(.id(.person)), required: true), .init("expert_name", .nullable(.text()), required: true),
            .init("target", .text(), required: true, "The service_id or expert_id the user is enrolled with (the page's order)"),
            .init("created_at", .timestamp, required: true),
        ], additional: true))),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text, .text])
                let after = page.after.map { (user: $0[0].stringValue!, target: $0[1].stringValue!) }
                return [CatalogStore.listEnrollments(
                    communityId: scope.communityId, userId: p.optionalString("user_id"), serviceId: p.optionalString("service_id"),
                    expertId: p.optionalString("expert_id"), after: after, limit: page.limit + 1)]
                    + Existence.check(
                        communityId: scope.communityId, people: [p.optionalString("user_id"), p.optionalString("expert_id")],
                        services: [p.optionalString("service_id")])
            },
            respond: { ctx, rows, p in
                try EnrollmentListing.mayList(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, userId: p.optionalString("user_id"), expertId: p.optionalString("expert_id"))
                try Existence.require(rows, at: 1)
                return try Page(p, key: [.text, .text]).result(try rows[0].map(CatalogStore.enrollmentJSON), keyFields: "user_id", "target")
            })))
}
