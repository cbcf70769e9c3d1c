import Core
import Postgres
import RPC

public struct ServiceConfig: Sendable {
    public var conninfo: String
    public var testClock: Bool
    public var limits: Limits
    /// `meetingd --pin-actor`: the one person every call acts as; nil when `actor` says who.
    public var pinnedActor: String?
    /// Timeouts and application name of every session the service opens.
    public var session: SessionSettings
    /// Passed before any use of a connection: the schema is migrated first (nil: the caller
    /// migrated already, or nothing is served from the database).
    public var migrations: MigrationGate?
    public static let version = "0.1.0"

    public init(
        conninfo: String, testClock: Bool, limits: Limits, pinnedActor: String? = nil, session: SessionSettings = .standard,
        migrations: MigrationGate? = nil
    ) {
        self.conninfo = conninfo
        self.testClock = testClock
        self.limits = limits
        self.pinnedActor = pinnedActor
        self.session = session
        self.migrations = migrations
    }
}

/// One service instance owns one database connection and runs one request at a time.
/// Each call: the actor is authenticated, the service's time read, the idempotency record
/// consulted, the handler run and the record stored — all in one transaction.
public final class Service {
    public let config: ServiceConfig
    public let logger: Logger
    private var connection: Connection?

    public init(config: ServiceConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The open connection, re-established (with bounded retries) when it was lost, on a
    /// migrated schema.
    public func db() throws -> Connection {
        do {
            let c: Connection
            if let connection {
                try connection.ensureConnected()
                c = connection
            } else {
                c = try Connection(conninfo: config.conninfo, settings: config.session)
                connection = c
            }
            try config.migrations?.ensureMigrated(on: c)
            return c
        } catch let error as PostgresError {
            logger.log(error.isTemporary ? .warning : .error, "database unavailable: \(error)")
            throw AppError.databaseUnavailable()
        }
    }

    public static func allMethods() -> [ServiceMethod] {
        SystemMethods.all + CommunityMethods.all + PersonMethods.all + LocationMethods.all + LedgerMethods.all
            + CatalogMethods.all + ImportMethods.all + AvailabilityMethods.all + MeetingMethods.all + ChatMethods.all + SeriesMethods.all + OutboxMethods.all + JobMethods.all
    }

    /// The registry as the RPC layer sees it.
    public func methodSpecs() -> [MethodSpec] {
        Service.allMethods().map { m in
            MethodSpec(
                name: m.name, summary: m.summary, access: m.audience.access, mutating: m.mutating,
                params: m.publishedParams, result: m.result, errors: m.commonErrors, preflight: Service.actorPreflight(m, pinnedActor: config.pinnedActor)
            ) { params in try self.execute(m, params) }
        }
    }

    /// A call without a person's id in `actor` is refused as unknown_actor (SPEC §3.3), before
    /// its other params are looked at; a pinned meetingd settles the actor first.
    static func actorPreflight(_ method: ServiceMethod, pinnedActor: String?) -> ([String: JSON]) throws -> [String: JSON] {
        if case .anyone = method.audience { return { $0 } }
        return { given in
            let fields = try pinActor(pinnedActor, given)
            guard let actor = fields["actor"]?.stringValue else { throw AppError.unknownActor(nil) }
            guard Identifier.isValid(actor, kind: .person) else { throw AppError.unknownActor(actor) }
            return fields
        }
    }

    /// `meetingd --pin-actor PERSON` runs as an SSH forced command for one person (an expert
    /// given meetctl): `actor` is whatever the client sends, so without this rule the key would
    /// lend every other person's permissions. Pinned, every call acts as PERSON: a call without
    /// `actor` acts as them (the client need not know the id), one naming anyone else is refused.
    /// This is the only place the rule lives; every call that has an actor passes here first.
    static func pinActor(_ pinned: String?, _ fields: [String: JSON]) throws -> [String: JSON] {
        guard let pinned else { return fields }
        switch fields["actor"] {
        case nil, .null?:
            var filled = fields
            filled["actor"] = .string(pinned)
            return filled
        case .string(pinned)?:
            return fields
        default:
            throw AppError.forbidden("this connection is pinned to \(pinned) (meetingd --pin-actor) and cannot act as another person")
        }
    }

    func execute(_ method: ServiceMethod, _ params: Params) throws -> JSON {
        let run: (RequestContext, Params) throws -> JSON
        switch method.body {
        case .open(let body): return try withDatabaseErrors { try body(self, params) }
        case .authenticated(let body): run = body
        }
        let actorId = try params.string("actor")
        let key = params.optionalString("idempotency_key")
        let requestText = key == nil ? "" : Service.canonicalRequest(method.name, params)
        let connection = try db()
        return try withDatabaseErrors {
            try connection.transaction(retryIf: { $0.isUniqueViolation && $0.constraint == "idempotency_keys_pkey" }) { c in
                let (actor, now) = try self.authenticate(c, actorId, lockingKey: key)
                try Service.checkAudience(method, actor)
                if let key {
                    if let stored = try c.query(
                        """
                        SELECT request_hash = encode(sha256(convert_to($4, 'UTF8')), 'hex') AS same, response
                        FROM idempotency_keys WHERE community_id = $1 AND actor_id = $2 AND key = $3
                        """, [actor.communityId, actor.id, key, requestText]
                    ).first {
                        guard try stored.bool("same") else { throw AppError.idempotencyKeyReused() }
                        return try stored.json("response")
                    }
                }
                let context = RequestContext(db: c, actor: actor, now: now, service: self)
                let result = try run(context, params)
                if let key {
                    try c.query(
                        """
                        INSERT INTO idempotency_keys (community_id, actor_id, key, method, request_hash, response)
                        VALUES ($1, $2, $3, $4, encode(sha256(convert_to($5, 'UTF8')), 'hex'), $6)
                        """, [actor.communityId, actor.id, key, method.name, requestText, result])
                }
                return result
            }
        }
    }

    /// The method name and params (without the key itself) in one canonical text.
    static func canonicalRequest(_ method: String, _ params: Params) -> String {
        var fields = params.fields
        fields["idempotency_key"] = nil
        return method + "\n" + JSON.object(fields).serialized()
    }

    /// The actor and the service's time in one round trip. With `--test-clock` a community's
    /// pinned time (if any) replaces the transaction's timestamp.
    ///
    /// With an idempotency key, the same statement takes a transaction lock on (actor, key):
    /// a second request with that key waits here until the first commits or rolls back, and
    /// then finds its stored response.
    func authenticate(_ c: Connection, _ actorId: String, lockingKey key: String?) throws -> (Actor, Instant) {
        guard Identifier.isValid(actorId, kind: .person),
            let row = try c.query(
                """
                SELECT p.community_id, p.roles, p.time_zone, now() AS now,
                       (SELECT t.now FROM test_clocks t WHERE t.community_id = p.community_id) AS test_now,
                       CASE WHEN $2::text IS NOT NULL THEN pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 7)) END AS key_lock
                FROM people p WHERE p.id = $1
                """, [actorId, key]
            ).first
        else { throw AppError.unknownActor(actorId) }
        let roles = Set(try row.stringArray("roles").compactMap(Role.init(rawValue:)))
        let actor = Actor(id: actorId, communityId: try row.string("community_id"), roles: roles, timeZone: try row.string("time_zone"))
        var now = try row.instant("now")
        if config.testClock, let pinned = try row.optionalInstant("test_now") { now = pinned }
        return (actor, now)
    }

    static func checkAudience(_ method: ServiceMethod, _ actor: Actor) throws {
        if case .roles(let wanted) = method.audience, !actor.hasAny(wanted) {
            throw AppError.forbidden("\(method.name) needs the role \(wanted.map(\.rawValue).joined(separator: " or "))")
        }
    }

    /// Database failures become errors a caller can act on: a lost connection is retryable,
    /// a broken invariant is reported without internals.
    func withDatabaseErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            if error.isIdleInTransactionTimeout {
                logger.log(.warning, "the database ended a transaction left idle: \(error)")
                throw AppError.transactionIdleTimeout()
            }
            if error.isConnectionProblem {
                logger.log(.warning, "database connection lost: \(error)")
                throw AppError.databaseUnavailable()
            }
            if error.isLockTimeout {
                logger.log(.warning, "lock wait timed out: \(error)")
                throw AppError.lockTimeout()
            }
            if error.isStatementTimeout {
                logger.log(.warning, "statement timed out: \(error)")
                throw AppError.statementTimeout()
            }
            if error.isTransient {
                throw AppError(code: 5031, dataCode: "contention", message: "Too much contention on the same records; retry with the same idempotency_key", retryable: true)
            }
            logger.log(.error, "database error: \(error)")
            throw AppError.internalError()
        }
    }
}

