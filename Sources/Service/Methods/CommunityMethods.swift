import Core
import Ledger
import Postgres
import RPC
import Scheduling

enum CommunityMethods {
    static var all: [ServiceMethod] { [get, updateSettings] }

    static let communitySchema: Schema = .object([
        .init("id", .id(.community), required: true), .init("name", .name, required: true),
        .init("settings", .anyJSON(description: "Every setting with its current value"), required: true),
    ], additional: true)

    static func communityJSON(_ ctx: RequestContext, _ settings: CommunitySettings) throws -> JSON {
        let row = try ctx.db.query("SELECT name FROM communities WHERE community_id = $1", [ctx.communityId]).first!
        return ["id": .string(ctx.communityId), "name": .string(try row.string("name")), "settings": settings.json]
    }

    static let get = ServiceMethod(
        "community.get", "The actor's community with its settings", audience: .member, mutating: false, params: [],
        result: communitySchema
    ) { ctx, _ in try communityJSON(ctx, try ctx.settings()) }

    static let updateSettings = ServiceMethod(
        "community.update_settings", "Changes any of the community's settings; the others keep their values",
        audience: .roles([.admin]), mutating: true, params: CommunitySettings.schemaFields, result: communitySchema
    ) { ctx, params in
        var settings = try ctx.settingsForUpdate()
        var given = params.fields
        for key in ["actor", "idempotency_key"] { given[key] = nil }
        try settings.apply(.object(given.filter { !$0.value.isNull || $0.key == "weekly_usage_limit" || $0.key == "office_email" }), path: "")
        if given["time_zone"] != nil { try TimeZoneRule.require(settings.timeZone, on: ctx.db) }
        try ctx.db.query("UPDATE communities SET settings = $2 WHERE community_id = $1", [ctx.communityId, settings.json])
        return try communityJSON(ctx, settings)
    }
}

/// The operator's first step: a community and its first admin (`meetingd bootstrap`).
public enum Bootstrap {
    public static func run(
        db: Connection, community: String, shortName: String, adminEmail: String, adminFirst: String, adminLast: String,
        timeZone: String = "UTC"
    ) throws -> JSON {
        let fields: [(String, String, Schema)] = [
            ("--community", community, .name), ("--short-name", shortName, .name), ("--admin-email", adminEmail, .email),
            ("--admin-first", adminFirst, .name), ("--admin-last", adminLast, .name),
        ]
        for (flag, value, schema) in fields { try schema.validate(.string(value), path: flag, limits: .standard) }
        try TimeZoneRule.require(timeZone, field: "--time-zone", on: db)
        var settings = CommunitySettings()
        settings.shortName = shortName
        settings.timeZone = timeZone
        let communityId = Identifier.make(.community)
        let adminId = Identifier.make(.person)
        try db.transaction { c in
            try c.query("INSERT INTO communities (community_id, name, settings) VALUES ($1, $2, $3)", [communityId, community, settings.json])
            try LedgerStore.openCommunityAccounts(c, communityId: communityId)
            try PersonMethods.insertPerson(
                c, communityId: communityId, id: adminId, email: adminEmail, first: adminFirst, last: adminLast,
                roles: [.admin], timeZone: timeZone)
        }
        return ["community_id": .string(communityId), "admin_id": .string(adminId)]
    }
}
