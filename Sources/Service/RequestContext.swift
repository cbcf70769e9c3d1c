import Community
import Core
import Postgres

/// The signed-in person a call acts for.
public struct Actor: Sendable {
    public let id: String
    public let communityId: String
    public let roles: Set<Role>
    public let timeZone: String

    public func has(_ role: Role) -> Bool { roles.contains(role) }
    public func hasAny(_ wanted: [Role]) -> Bool { wanted.contains { roles.contains($0) } }
}

/// Everything a handler needs: the open transaction, the actor, the service's time, and
/// the community's settings (read once per request, on first use).
public final class RequestContext {
    public let db: Connection
    public let actor: Actor
    public let now: Instant
    public let service: Service
    private var cachedSettings: CommunitySettings?

    init(db: Connection, actor: Actor, now: Instant, service: Service) {
        self.db = db
        self.actor = actor
        self.now = now
        self.service = service
    }

    public var communityId: String { actor.communityId }

    /// The time to stamp on transfers: the service's time under a test clock, otherwise nil, so
    /// the database stamps each transfer once its accounts are locked (per-account order).
    public var ledgerTime: Instant? { service.config.testClock ? now : nil }

    public func settings() throws -> CommunitySettings {
        if let cachedSettings { return cachedSettings }
        let row = try db.query("SELECT settings FROM communities WHERE community_id = $1", [communityId]).first
        guard let row else { throw AppError.notFound("community", communityId) }
        let s = try CommunitySettings(stored: try row.json("settings"))
        cachedSettings = s
        return s
    }

    /// Locks the community's settings row for this transaction (used before changing them).
    func settingsForUpdate() throws -> CommunitySettings {
        let row = try db.query("SELECT settings FROM communities WHERE community_id = $1 FOR UPDATE", [communityId]).first
        guard let row else { throw AppError.notFound("community", communityId) }
        cachedSettings = try CommunitySettings(stored: try row.json("settings"))
        return cachedSettings!
    }

    // MARK: Authorization

    public func require(_ roles: Role..., to action: String) throws {
        guard actor.hasAny(roles) else {
            throw AppError.forbidden("\(action) needs the role \(roles.map(\.rawValue).joined(separator: " or "))")
        }
    }

    /// The actor is `personId` themself, or holds one of `roles`.
    public func requireSelfOr(_ personId: String, _ roles: Role..., to action: String) throws {
        guard actor.id == personId || actor.hasAny(roles) else {
            throw AppError.forbidden("only the person themself or \(roles.map(\.rawValue).joined(separator: "/")) may \(action)")
        }
    }

    /// Loads a person of this community or fails with not_found.
    public func person(_ id: String) throws -> PersonRecord {
        guard let row = try db.query(PersonRecord.selectSQL + " WHERE community_id = $1 AND id = $2", [communityId, id]).first else {
            throw AppError.notFound("person", id)
        }
        return try PersonRecord(row: row)
    }
}
