import Core
import Ledger
import Postgres
import RPC
import Scheduling

public struct PersonRecord {
    public let id: String
    public let email: String
    public let firstName: String
    public let lastName: String
    public let roles: [String]
    public let timeZone: String
    public let suspendedUntil: Instant?

    static let selectSQL = "SELECT id, email, first_name, last_name, roles, time_zone, suspended_until FROM people"

    init(row: Row) throws {
        id = try row.string("id")
        email = try row.string("email")
        firstName = try row.string("first_name")
        lastName = try row.string("last_name")
        roles = try row.stringArray("roles")
        timeZone = try row.string("time_zone")
        suspendedUntil = try row.optionalInstant("suspended_until")
    }

    public var json: JSON {
        [
            "id": .string(id), "email": .string(email), "first_name": .string(firstName), "last_name": .string(lastName),
            "roles": .array(roles.map { .string($0) }), "time_zone": .string(timeZone),
            "suspended_until": .optional(suspendedUntil?.rfc3339),
        ]
    }

    public func has(_ role: Role) -> Bool { roles.contains(role.rawValue) }
}

enum PersonMethods {
    static var all: [ServiceMethod] { [create, get, list, findByEmail, unsuspend] }

    static let personSchema: Schema = .object([
        .init("id", .id(.person), required: true), .init("email", .email, required: true),
        .init("first_name", .name, required: true), .init("last_name", .name, required: true),
        .init("roles", .list(.oneOf(Role.allCases.map(\.rawValue))), required: true),
        .init("time_zone", .text(), required: true), .init("suspended_until", .nullable(.timestamp)),
    ], additional: true)

    /// Inserts a person and opens their ledger accounts (wallet for users, earnings for experts).
    static func insertPerson(
        _ c: Connection, communityId: String, id: String, email: String, first: String, last: String, roles: [Role], timeZone: String
    ) throws {
        try TimeZoneRule.require(timeZone, on: c)
        do {
            try c.query(
                "INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [communityId, id, email, first, last, PostgresTextArray(roles.map(\.rawValue)), timeZone])
        } catch let e as PostgresError where e.isUniqueViolation {
            throw AppError.invalidParams(field: "email", reason: "is already used by another person in this community")
        }
        try LedgerStore.openPersonAccounts(c, communityId: communityId, personId: id, user: roles.contains(.user), expert: roles.contains(.expert))
    }

    static let create = ServiceMethod(
        "person.create", "Adds a person to the community with their roles; opens their credit accounts",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("email", .email, required: true), .init("first_name", .name, required: true), .init("last_name", .name, required: true),
            .init("roles", .list(.oneOf(Role.allCases.map(\.rawValue)), min: 1, max: 5), required: true),
            .init("time_zone", .text(min: 1, max: 64), required: true, "IANA time zone, e.g. Europe/Prague"),
        ],
        result: personSchema
    ) { ctx, params in
        let roles = Array(Set(params.stringList("roles").compactMap(Role.init(rawValue:)))).sorted { $0.rawValue < $1.rawValue }
        let id = Identifier.make(.person)
        try insertPerson(
            ctx.db, communityId: ctx.communityId, id: id, email: try params.string("email"), first: try params.string("first_name"),
            last: try params.string("last_name"), roles: roles, timeZone: try params.string("time_zone"))
        return try ctx.person(id).json
    }

    static let get = ServiceMethod(
        "person.get", "One person (yourself, or anyone for admins, office and finance staff)", audience: .member, mutating: false,
        params: [.init("person_id", .id(.person), required: true)], result: personSchema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let id = try params.string("person_id")
        try ctx.requireSelfOr(id, .admin, .office, .finance, to: "see this person")
        return try ctx.person(id).json
    }

    static let list = ServiceMethod(
        "person.list", "The community's people, optionally those with one role, in creation order",
        audience: .roles([.admin, .office, .finance]), mutating: false,
        params: [.init("role", .oneOf(Role.allCases.map(\.rawValue)))] + Page.fields, result: Page.resultSchema(personSchema)
    ) { ctx, params in
        let page = try Page(params, key: [.text])
        let rows = try ctx.db.query(
            PersonRecord.selectSQL + """
                 WHERE community_id = $1 AND ($2::text IS NULL OR $2 = ANY (roles)) AND ($3::text IS NULL OR id > $3)
                 ORDER BY id LIMIT $4
                """, [ctx.communityId, params.optionalString("role"), page.afterString(0), page.limit + 1])
        return page.result(try rows.map { try PersonRecord(row: $0).json }) { [$0["id"]!] }
    }

    static let findByEmail = ServiceMethod(
        "person.find_by_email", "The person of your community with this e-mail: id, names and roles (for client tools that take e-mails)",
        audience: .member, mutating: false, params: [.init("email", .email, required: true)],
        result: .object([.init("id", .id(.person), required: true), .init("first_name", .name, required: true), .init("last_name", .name, required: true),
                         .init("roles", .list(.text()), required: true)]),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let email = try params.string("email")
        guard let row = try ctx.db.query(PersonRecord.selectSQL + " WHERE community_id = $1 AND lower(email) = lower($2)", [ctx.communityId, email]).first else {
            throw AppError.notFound("person with e-mail", email)
        }
        let p = try PersonRecord(row: row)
        return ["id": .string(p.id), "first_name": .string(p.firstName), "last_name": .string(p.lastName), "roles": .array(p.roles.map { .string($0) })]
    }

    static let unsuspend = ServiceMethod(
        "person.unsuspend", "Lifts a user's suspension (no-shows) so they can book again", audience: .roles([.admin]), mutating: true,
        params: [.init("person_id", .id(.person), required: true)], result: personSchema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let id = try params.string("person_id")
        _ = try ctx.person(id)
        try ctx.db.query("UPDATE people SET suspended_until = NULL WHERE community_id = $1 AND id = $2", [ctx.communityId, id])
        return try ctx.person(id).json
    }
}
