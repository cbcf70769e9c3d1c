import Community
import Core
import Meetings
import Postgres
import Store

/// The operator's first step: a community and its first admin (`meetingd bootstrap`).
public enum Bootstrap {
    public static func run(
        db: Connection, community: String, shortName: String, adminEmail: String, adminFirst: String, adminLast: String,
        timeZone: String = "UTC"
    ) throws -> JSON {
        let fields: [(String, String, Schema)] = [
            ("--community", community, .givenName), ("--short-name", shortName, .givenName), ("--admin-email", adminEmail, .email),
            ("--admin-first", adminFirst, .givenName), ("--admin-last", adminLast, .givenName),
        ]
        for (flag, value, schema) in fields { try schema.validate(.string(value), path: flag, limits: .standard) }
        let timeZone = try TimeZoneNames.require(timeZone, field: "--time-zone", on: db)
        // The short name by the settings' own rule (trimmed, something visible), as
        // community.update_settings gives it; the name as names are stored.
        var settings = CommunitySettings()
        do {
            try settings.apply(["short_name": .string(shortName)], path: "")
        } catch let e as AppError where e.code == .invalidParams {
            throw AppError.invalidParams(field: "--short-name", reason: e.details["reason"]?.stringValue ?? e.message)
        }
        settings.timeZone = timeZone
        let name = try NameRule.stored(community, field: "--community")
        let communityId = Identifier.make(.community)
        let admin = PersonFacts(
            id: Identifier.make(.person), email: adminEmail,
            firstName: try NameRule.stored(adminFirst, field: "--admin-first"), lastName: try NameRule.stored(adminLast, field: "--admin-last"), roles: [.admin], timeZone: timeZone)
        // A new community has no pinned clock yet: its accounts open at the server's time.
        let now = SystemClock.now()
        // Run again (a provisioning script's retry), it finds the community it made: one of this
        // name whose admin has this e-mail. One of this name without such an admin is another
        // community, refused: two of one name could not be told apart. Two runs at once for one
        // name (by its key) take turns, so the second finds what the first made.
        var found: (communityId: String, adminId: String)?
        try db.transaction { c in
            _ = try c.query(Locks.bootstrap(communityName: NameRule.key(name)))
            if let named = try CommunityStore.named(c, name: name, adminEmail: adminEmail) {
                guard let adminId = named.adminId else { throw nameTaken(named.name, id: named.communityId, adminEmail: adminEmail) }
                found = (named.communityId, adminId)
                return
            }
            try CommunityStore.create(c, communityId: communityId, name: name, settings: settings, now: now)
            try PeopleStore.insert(c, communityId: communityId, person: admin, now: now)
            // MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY holds for this write too.
            if c.settings.requireSynchronousStandby { _ = try c.query(RequestQueries.requireSynchronousStandby) }
        }
        if let found { return ["community_id": .string(found.communityId), "admin_id": .string(found.adminId), "created": false] }
        return ["community_id": .string(communityId), "admin_id": .string(admin.id), "created": true]
    }

    static func nameTaken(_ name: String, id: String, adminEmail: String) -> AppError {
        AppError.invalidParams(
            field: "--community",
            reason: "is already the name of community \(name.debugDescription) (\(id)), whatever the case, the Unicode form and the spaces "
                + "around it, and \(adminEmail) is none of its admins: nothing was created. Give the new community another name; to find "
                + "that one's ids again, run bootstrap with the e-mail of its first admin")
    }
}
