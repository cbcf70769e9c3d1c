import Community
import Core
import Pipeline
import Postgres
import RPC

enum LocationMethods {
    static var all: [ServiceMethod] { [create, list] }

    static let locationSchema: Schema = .object([
        .init("id", .id(.location), required: true), .init("name", .name, required: true),
        .init("kind", .oneOf(["in_person", "virtual"]), required: true),
    ])

    static func json(_ row: Row) throws -> JSON {
        ["id": .string(try row.string("id")), "name": .string(try row.string("name")), "kind": .string(try row.string("kind"))]
    }

    static let create = ServiceMethod(
        "location.create", "Adds a place (or a virtual room) where meetings happen", audience: .roles([.admin]), mutating: true,
        params: [.init("name", .name, required: true), .init("kind", .oneOf(["in_person", "virtual"]), required: true)],
        result: locationSchema
    ) { ctx, params in
        do {
            let row = try ctx.db.query(
                "INSERT INTO locations (community_id, id, name, kind) VALUES ($1, $2, $3, $4) RETURNING id, name, kind",
                [ctx.communityId, Identifier.make(.location), try params.string("name"), try params.string("kind")]
            ).first!
            return try json(row)
        } catch let e as PostgresError where e.isUniqueViolation {
            throw AppError.invalidParams(field: "name", reason: "is already the name of another location")
        }
    }

    static let list = ServiceMethod(
        "location.list", "The community's locations", audience: .member, mutating: false, params: Page.fields,
        result: Page.resultSchema(locationSchema)
    ) { ctx, params in
        let page = try Page(params, key: [.text])
        let rows = try ctx.db.query(
            "SELECT id, name, kind FROM locations WHERE community_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3",
            [ctx.communityId, page.afterString(0), page.limit + 1])
        return page.result(try rows.map(json)) { [$0["id"]!] }
    }
}
