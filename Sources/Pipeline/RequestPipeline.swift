import Community
import Core
import Postgres
import RPC
import Store

#if canImport(Glibc)
    import Glibc
#endif

public struct PipelineConfig: Sendable {
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
    /// `MEETINGLEDGER_READ_DATABASE_URL`: the hot standby read-only calls go to (nil: none).
    public var readRouting: ReadRouting?
    /// Shared by every pipeline made from this configuration (the main one and the batch
    /// workers'), so system.ping sees what any of them met.
    public let sessionHealth = SessionHealth()

    public init(
        conninfo: String, testClock: Bool, limits: Limits, pinnedActor: String? = nil, session: SessionSettings = .standard,
        migrations: MigrationGate? = nil, readRouting: ReadRouting? = nil
    ) {
        self.conninfo = conninfo
        self.testClock = testClock
        self.limits = limits
        self.pinnedActor = pinnedActor
        self.session = session
        self.migrations = migrations
        self.readRouting = readRouting
    }
}

/// When a call of this meetingd last met database sessions shared by a transaction-mode pooler it
/// was not told of (such a call is refused database_refused). system.ping answers "refused" for
/// `refusedForSeconds` after: one call landing on a session that happens to hold its statements
/// does not prove the pooler right, and a fixed pooler shows within that time without a call.
public final class SessionHealth: Sendable {
    public static let refusedForSeconds: UInt64 = 60
    private let lastMisconfiguredNs = Locked<UInt64?>(nil)

    public init() {}

    public func sawMisconfiguration() { lastMisconfiguredNs.withLock { $0 = SystemClock.monotonicNanoseconds() } }

    public var recentlyMisconfigured: Bool {
        guard let seen = lastMisconfiguredNs.withLock({ $0 }) else { return false }
        return SystemClock.monotonicNanoseconds() - seen < SessionHealth.refusedForSeconds * 1_000_000_000
    }
}

/// Runs requests for one database connection, one at a time: finds the actor's community,
/// then runs the method in its shape.
///
/// - A read: the actor's row and the method's statements in one round trip.
/// - A command: `BEGIN`, the locks and the one read (with the actor's row and stored
///   idempotency record) in one round trip; the pure decision; then the apply statement (which
///   also stores the idempotency record) and `COMMIT` in a second round trip. At most six
///   statements, the first call of a person in a process included.
/// - A transaction (older shape): `BEGIN` and the actor's row, the method's store calls, then
///   the idempotency record and `COMMIT`.
///
/// Serialization failures and deadlocks run the whole request again.
public final class RequestPipeline {
    public let config: PipelineConfig
    public let logger: Logger
    private var connection: Connection?
    /// The hot standby's connection (`config.readRouting`), and when a standby that failed
    /// may be tried again (seconds on the monotonic clock).
    private var standby: Connection?
    private var standbyRetryAt = 0.0
    /// Since when the standby's connection has found a primary (a failover promoted its server):
    /// past the retry time it is dropped, and reconnecting finds a standby again if there is one.
    private var standbyOnPrimarySince: Double?
    /// How long a read connection on a primary waits before reconnecting, and a read database
    /// found not to be a standby of the primary's cluster is left alone: `retryAfterSeconds`,
    /// doubled (up to an hour) each time reconnecting finds such a database again (a read URL
    /// that names the primary or a restored copy, or no standby up).
    private var standbyOnPrimaryPatience: Double?
    /// Person id → community id. A person never changes community, so this never goes stale.
    private var communities: [String: String] = [:]
    /// Actors as this connection last read them (roles and zone), for commands decided from the
    /// actor alone; every use is checked against the database in the same transaction.
    private var knownActors: [String: Actor] = [:]
    static let maxCachedPeople = 100_000
    static let maxAttempts = 8

    public init(config: PipelineConfig, logger: Logger) {
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
                // Read as the first connection opens (once per process), so decisions check time
                // zone names without a statement.
                _ = try TimeZoneNames.names(c)
                connection = c
            }
            try config.migrations?.ensureMigrated(on: c)
            return c
        } catch let error as PostgresError {
            if error.isRefusedLogin {
                logger.log(.error, "the database refuses meetingd's login (fix DATABASE_URL, the role or the database): \(error)")
                throw AppError.databaseRefused()
            }
            // The database answered: a session's first statements stopped by its own bounds are
            // those bounds' errors, not a database that is down.
            if let bound = boundReached(error, "opening the session") { throw bound }
            if error.code == .configuration { throw misconfigured(error) }
            if error.code == .readOnly {
                logger.log(.warning, "the database is read-only: \(error)")
                throw AppError.databaseReadOnly()
            }
            logger.log(error.isTemporary ? .warning : .error, "database unavailable: \(error)")
            throw AppError.databaseUnavailable()
        }
    }

    /// The registry as the RPC layer sees it.
    public func methodSpecs(_ methods: [MethodDefinition]) -> [MethodSpec] {
        methods.map { m in
            MethodSpec(
                name: m.name, summary: m.summary, access: m.audience.access, mutating: m.mutating, params: m.publishedParams,
                result: m.result, errors: m.commonErrors, paramRules: m.paramRules, aliases: m.aliases, examples: m.examples, preflight: RequestPipeline.actorPreflight(m, pinnedActor: config.pinnedActor)
            ) { params in try self.execute(m, params) }
        }
    }

    /// The actor, before a call's other params are looked at: one given that is not a person's
    /// id as its schema publishes it (a number, "", an id of another kind) is a param refused
    /// -32602, as any other param is; a call without one (left out or null) is refused as
    /// unknown_actor (SPEC §3.3: "actor missing"), as is an id of no person once it is looked
    /// up. A pinned meetingd settles the actor first.
    static func actorPreflight(_ method: MethodDefinition, pinnedActor: String?) -> @Sendable ([String: JSON]) throws -> [String: JSON] {
        if case .anyone = method.audience { return { $0 } }
        return { given in
            if let actor = given["actor"], !actor.isNull { try MethodDefinition.actor.schema.validate(actor, path: "actor", limits: .standard) }
            let fields = try pinActor(pinnedActor, given)
            guard fields["actor"]?.stringValue != nil else { throw AppError.unknownActor(given: false) }
            return fields
        }
    }

    /// `meetingd --pin-actor PERSON` runs as an SSH forced command for one person (an expert
    /// given meetctl): `actor` is whatever the client sends, so without this rule the key would
    /// lend every other person's permissions. Pinned, every call acts as PERSON: a call without
    /// `actor` acts as them (the client need not know the id), one naming anyone else is refused.
    /// This is the only place the rule lives; every call that has an actor passes here first.
    public static func pinActor(_ pinned: String?, _ fields: [String: JSON]) throws -> [String: JSON] {
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

    public func execute(_ method: MethodDefinition, _ params: Params) throws -> JSON {
        if case .open(let body) = method.body { return try withDatabaseErrors { try body(self, params) } }
        let actorId = try params.string("actor")
        if case .read(let plan) = method.body, let answer = readOnStandby(plan, method, actorId, params) { return answer }
        return try withDatabaseErrors {
            let c = try db()
            let key = method.mutating ? params.optionalString("idempotency_key") : nil
            let scope = RequestScope(
                actorId: actorId, communityId: try community(of: actorId, c), testClock: config.testClock,
                keySubject: key.map { actorId + "/" + $0 })
            if method.mutating { try refuseKnownOutsider(method, scope, c) }
            var attempt = 0
            while true {
                attempt += 1
                do {
                    switch method.body {
                    case .open: fatalError("handled above")
                    case .read(let plan): return try read(plan, method, scope, params, c)
                    case .command(let plan): return try command(plan, method, scope, key, params, c)
                    case .transaction(let body): return try transaction(body, method, scope, key, params, c)
                    }
                } catch let error as PostgresError where error.isTransient && attempt < RequestPipeline.maxAttempts {
                    usleep(UInt32.random(in: 0...UInt32(1000 << min(attempt, 6))))
                }
            }
        }
    }

    // MARK: The three shapes

    func read(_ plan: ReadPlan, _ method: MethodDefinition, _ scope: RequestScope, _ params: Params, _ c: Connection) throws -> JSON {
        let context = try plan.context(scope, params)
        // The settle, in a statement of its own between the actor's and the read's: the read's
        // snapshot is taken after its wait.
        let settle = try plan.settle(scope, params).map { [$0] } ?? []
        let rows = try c.pipeline([auth(scope, key: nil, request: nil, context: context)] + settle + plan.statements(scope, params))
        let (ctx, auth) = try authenticate(rows[0], scope, method)
        return try plan.respond(ctx, auth: auth, hasContext: context != nil, Array(rows.dropFirst(1 + settle.count)), params, more: { try c.query($0) })
    }

    /// A read answered by the hot standby, or nil when the primary must answer it: no standby
    /// is set or it failed lately, it has not replayed this process's latest writes, or the
    /// read failed there (an actor or row it does not have yet, a query cancelled by replay,
    /// the connection). Only answers come from the standby; every refusal is the primary's.
    func readOnStandby(_ plan: ReadPlan, _ method: MethodDefinition, _ actorId: String, _ params: Params) -> JSON? {
        guard !plan.primaryOnly, let routing = config.readRouting, let mustSee = routing.mustSee, let standby = standbyConnection(routing) else { return nil }
        do {
            let scope = RequestScope(actorId: actorId, communityId: try community(of: actorId, standby), testClock: config.testClock, keySubject: nil)
            // A figure as of a past time waits for the transfers in flight, which only the primary has.
            guard try plan.settle(scope, params) == nil else { return nil }
            let context = try plan.context(scope, params)
            let rows = try standby.pipeline([auth(scope, key: nil, request: nil, context: context, mustSee: mustSee)] + plan.statements(scope, params))
            guard try rows[0].first?.bool("caught_up") == true else { return nil }
            try noteStandbyRole(inRecovery: rows[0].one().bool("in_recovery"), routing)
            let (ctx, auth) = try authenticate(rows[0], scope, method)
            return try plan.respond(ctx, auth: auth, hasContext: context != nil, Array(rows.dropFirst()), params, more: { try standby.query($0) })
        } catch let error as PostgresError where error.isTransient {
            // A query cancelled by replay (or a deadlock): this read only.
            return nil
        } catch let error as PostgresError {
            // Lost, timed out (a lock the replay holds), or refusing this meetingd's statements:
            // set aside, so one read pays for it and not every read.
            setStandbyAside(routing, because: "\(error)")
            return nil
        } catch {
            return nil
        }
    }

    /// Drops the standby's connection and leaves it alone for `seconds` (`retryAfterSeconds`
    /// unless said), with a warning.
    func setStandbyAside(_ routing: ReadRouting, because reason: String, seconds: Double? = nil) {
        let seconds = seconds ?? routing.retryAfterSeconds
        logger.log(.warning, "the read database (MEETINGLEDGER_READ_DATABASE_URL) is unavailable; reads go to the primary for \(Int(seconds)) s: \(reason)")
        standby = nil
        standbyRetryAt = Self.monotonicSeconds() + seconds
    }

    /// Records the primary's cluster, which every read database is checked against.
    public static func notePrimary(_ primary: Connection, _ routing: ReadRouting) throws {
        routing.notePrimary(systemIdentifier: try primary.query(SystemQueries.serverIdentity).one().string("system_identifier"))
    }

    /// The primary's cluster, asked of the primary when meetingd's start-up could not (the
    /// database was away then); nil when it cannot be asked now either, the read database set
    /// aside meanwhile.
    func primaryCluster(_ routing: ReadRouting) -> String? {
        if let known = routing.primarySystemIdentifier { return known }
        do {
            try Self.notePrimary(try db(), routing)
            return routing.primarySystemIdentifier
        } catch {
            setStandbyAside(routing, because: "the primary cannot be asked which cluster it is (\(error)), so the read database cannot be checked against it")
            return nil
        }
    }

    /// Why the server of `candidate` must not answer reads, or nil when it is a hot standby of
    /// `primary`'s cluster. Only there does "the standby shows this process's transactions
    /// committed" (`pg_xact_status`) mean it has its writes: a restored copy or another cluster
    /// counts transaction ids of its own, and a primary (not in recovery) replays nothing of
    /// this one's.
    func notAStandbyOfThePrimary(_ candidate: Connection, primary: String) throws -> String? {
        let identity = try candidate.query(SystemQueries.serverIdentity).one()
        let cluster = try identity.string("system_identifier")
        let fix = "point MEETINGLEDGER_READ_DATABASE_URL at a hot standby streaming from DATABASE_URL's primary (pg_basebackup -R; README: Reading from a hot standby, and failover)"
        if cluster != primary {
            return "it belongs to another cluster than DATABASE_URL's (system identifier \(cluster), the primary's \(primary)): "
                + "a restored copy or another service's database, whose rows and transaction ids are not the primary's; \(fix)"
        }
        guard try identity.bool("in_recovery") else {
            return "it is not a hot standby (pg_is_in_recovery() is false): a primary (a restored copy, a promoted standby, "
                + "the primary itself) answers from its own history, not by replaying the primary's; \(fix)"
        }
        return nil
    }

    /// A standby promoted under its connection answers as a primary, correctly but without
    /// sparing the primary: after `retryAfterSeconds` of that the connection is dropped, and the
    /// next read reconnects (libpq's `target_session_attrs=prefer-standby` then finds a standby).
    func noteStandbyRole(inRecovery: Bool, _ routing: ReadRouting) {
        guard !inRecovery else {
            standbyOnPrimarySince = nil
            standbyOnPrimaryPatience = nil
            return
        }
        let now = Self.monotonicSeconds()
        guard let since = standbyOnPrimarySince else {
            standbyOnPrimarySince = now
            return
        }
        let patience = standbyOnPrimaryPatience ?? routing.retryAfterSeconds
        if now - since >= patience {
            logger.log(.info, "the read database (MEETINGLEDGER_READ_DATABASE_URL) is a primary, not a standby; reconnecting to find a standby")
            standby = nil
            standbyOnPrimarySince = nil
            standbyOnPrimaryPatience = min(patience * 2, 3600)
        }
    }

    /// The standby's connection, opened (one attempt) when it is not open and checked at each
    /// opening: nil while one that failed is set aside, when it is no hot standby of the
    /// primary's cluster (`notAStandbyOfThePrimary`), or when it is not on this meetingd's
    /// schema (still replaying a migration, another release's, or no MeetingLedger database).
    /// Its lock timeout is at most `standbyLockTimeoutMs`: a lock the replay holds (a table
    /// altered on the primary) is waited out by the primary's answer, not by the reader.
    func standbyConnection(_ routing: ReadRouting) -> Connection? {
        if let standby, standby.isConnected { return standby }
        guard Self.monotonicSeconds() >= standbyRetryAt else { return nil }
        guard let primary = primaryCluster(routing) else { return nil }
        do {
            var settings = config.session
            settings.lockTimeoutMs = min(settings.lockTimeoutMs, Self.standbyLockTimeoutMs)
            let c = try Connection(conninfo: routing.conninfo, settings: settings)
            if let refusal = try notAStandbyOfThePrimary(c, primary: primary) {
                let patience = standbyOnPrimaryPatience ?? routing.retryAfterSeconds
                standbyOnPrimaryPatience = min(patience * 2, 3600)
                setStandbyAside(routing, because: refusal, seconds: patience)
                return nil
            }
            if let gate = config.migrations {
                let version = try c.query(SystemQueries.schemaVersion).one().int("version")
                guard version == gate.newestVersion else {
                    setStandbyAside(routing, because: "it has schema \(version), not \(gate.newestVersion)")
                    return nil
                }
            }
            standby = c
            return c
        } catch {
            setStandbyAside(routing, because: "\(error)")
            return nil
        }
    }

    static let standbyLockTimeoutMs = 1000

    /// `system.ping`'s word for the standby: ok, or unavailable (set aside: reads go to the primary).
    public func standbyStatus() -> String? {
        guard let routing = config.readRouting else { return nil }
        guard let c = standbyConnection(routing) else { return "unavailable" }
        do {
            _ = try c.query(SystemQueries.schemaVersion).one()
            return "ok"
        } catch {
            setStandbyAside(routing, because: "\(error)")
            return "unavailable"
        }
    }

    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func command(
        _ plan: CommandPlan, _ method: MethodDefinition, _ scope: RequestScope, _ key: String?, _ params: Params, _ c: Connection
    ) throws -> JSON {
        if plan.decidesFromActorAlone, key == nil, !config.testClock, let actor = knownActors[scope.actorId],
            let answer = try commandInOneRoundTrip(plan, method, scope, actor, params, c)
        {
            return answer
        }
        let request = key.map { _ in RequestPipeline.requestText(method, params) }
        let contextCall = try plan.context(scope, params)
        return try inTransaction(c) {
            let (ctx, auth, stored) = try begin(c, try plan.locks(scope, params), scope, key: key, request: request, context: contextCall, method)
            if let stored { return stored }
            let outcome = try plan.decide(ctx, contextCall == nil ? nil : try auth.optionalJSON("context"), params)
            let applied: Rows?
            do {
                applied = try finish(
                    c, outcome.apply, response: outcome.response, completes: outcome.applyCompletesResponse,
                    remember: remember(scope, key: key, method: method.name, request: request))
            } catch let error as PostgresError {
                throw plan.translate(error, params) ?? error
            }
            return try RequestPipeline.answer(outcome, applied: applied)
        }
    }

    /// A command decided from the actor as this connection last read them: BEGIN, the locks, the
    /// check that the actor is unchanged, the apply and COMMIT in one round trip. Nil when the
    /// read must be made afresh (the actor changed, or the decision refused on the earlier read:
    /// a refusal is only given on a fresh one).
    func commandInOneRoundTrip(
        _ plan: CommandPlan, _ method: MethodDefinition, _ scope: RequestScope, _ actor: Actor, _ params: Params, _ c: Connection
    ) throws -> JSON? {
        guard method.audience.admits(actor) else { return nil }
        let ctx = RequestContext(actor: actor, now: SystemClock.now(), testClock: false, keySubject: nil, maxAnswerBytes: config.limits.maxAnswerBytes)
        guard let outcome = try? plan.decide(ctx, nil, params),
            let apply = RequestQueries.apply(
                outcome.apply, response: outcome.response, completes: outcome.applyCompletesResponse, remember: nil,
                synchronousOnly: config.session.requireSynchronousStandby)
        else { return nil }
        let expect = RequestQueries.expectActor(
            communityId: scope.communityId, actorId: actor.id, roles: actor.roles.map(\.rawValue).sorted(), timeZone: actor.timeZone)
        let statements = [RequestQueries.begin] + (try plan.locks(scope, params)) + [expect, apply, RequestQueries.commit]
        do {
            return try inTransaction(c) {
                let applied = try c.pipeline(statements)[statements.count - 2]
                noteWrite(applied)
                return try RequestPipeline.answer(outcome, applied: applied)
            }
        } catch let error as PostgresError where error.sqlState == RequestQueries.actorChangedState {
            knownActors[actor.id] = nil
            return nil
        } catch let error as PostgresError {
            throw plan.translate(error, params) ?? error
        }
    }

    /// The decision's answer, completed by the apply statement's result when it completes it.
    static func answer(_ outcome: Outcome, applied: Rows?) throws -> JSON {
        guard outcome.applyCompletesResponse, outcome.apply != nil, var answer = outcome.response.objectValue,
            let overlay = try applied?.one().optionalJSON("result")?.objectValue
        else { return outcome.response }
        for (k, v) in overlay { answer[k] = v }
        return .object(answer)
    }

    func transaction(
        _ body: (TransactionContext, Params) throws -> JSON, _ method: MethodDefinition, _ scope: RequestScope, _ key: String?,
        _ params: Params, _ c: Connection
    ) throws -> JSON {
        let request = key.map { _ in RequestPipeline.requestText(method, params) }
        let locks = scope.keyLock
        return try inTransaction(c) {
            let (ctx, _, stored) = try begin(c, locks, scope, key: key, request: request, context: nil, method)
            if let stored { return stored }
            let response = try body(TransactionContext(request: ctx, db: c), params)
            _ = try finish(c, nil, response: response, completes: false, remember: remember(scope, key: key, method: method.name, request: request), wrote: true)
            return response
        }
    }

    /// The first round trip of a mutating call: BEGIN, the locks, then the actor's row with the
    /// stored idempotency record and the method's context. A stored answer to the same request
    /// ends the transaction and is returned as `stored`.
    func begin(
        _ c: Connection, _ locks: [Statement], _ scope: RequestScope, key: String?, request: RequestQueries.RequestText?, context: SQLCall?, _ method: MethodDefinition
    ) throws -> (RequestContext, Row, stored: JSON?) {
        let guarded = key.map { key in
            locks.map { RequestQueries.unlessAnswered($0, communityId: scope.communityId, actorId: scope.actorId, key: key) }
        } ?? locks
        let rows = try c.pipeline([RequestQueries.begin] + guarded + [auth(scope, key: key, request: request, context: context)])
        let (ctx, auth) = try authenticate(rows[rows.count - 1], scope, method)
        guard let stored = try replay(auth) else {
            // A lock skipped for an answer that is not there (its record removed meanwhile): the
            // decision would run unserialized, so the request is not decided on this read.
            if key != nil, rows[1 ..< rows.count - 1].contains(where: { $0.isEmpty }) { throw AppError.internalError() }
            return (ctx, auth, nil)
        }
        _ = try c.pipeline([RequestQueries.commit])
        config.readRouting?.answeredFromStore()
        return (ctx, auth, stored)
    }

    /// The second round trip: the apply statement (storing the response under its key) and
    /// COMMIT. The apply statement's rows, nil when there was none.
    /// `wrote`: the transaction wrote before (a transaction-shaped call), so a standby must
    /// show it even when nothing is applied or remembered here.
    func finish(
        _ c: Connection, _ apply: SQLCall?, response: JSON, completes: Bool, remember: RequestQueries.Remember?, wrote: Bool = false
    ) throws -> Rows? {
        let synchronousOnly = config.session.requireSynchronousStandby
        var statement = RequestQueries.apply(apply, response: response, completes: completes, remember: remember, synchronousOnly: synchronousOnly)
        if statement == nil, wrote, config.readRouting != nil || synchronousOnly {
            statement = RequestQueries.writtenTransactionAlone(synchronousOnly: synchronousOnly)
        }
        let results = try c.pipeline((statement.map { [$0] } ?? []) + [RequestQueries.commit])
        guard statement != nil else { return nil }
        noteWrite(results[0])
        return results[0]
    }

    /// Tells the read routing of a committed write, by the apply statement's rows.
    /// Never fails the call: it runs after COMMIT, and the write stands whatever happens here.
    func noteWrite(_ applied: Rows) {
        guard let routing = config.readRouting else { return }
        do {
            // None: the transaction wrote nothing.
            guard let transaction = try RequestQueries.writtenTransaction(applied) else { return }
            routing.wrote(transactionId: transaction)
        } catch {
            // Unknown: this process's reads go to the primary until it writes again.
            routing.answeredFromStore()
        }
    }

    // MARK: Pieces

    /// Runs `body` with a transaction open on `c`; whatever fails rolls it back.
    func inTransaction(_ c: Connection, _ body: () throws -> JSON) throws -> JSON {
        do {
            return try body()
        } catch {
            if c.isConnected && c.transactionOpen { _ = try? c.simpleExecute("ROLLBACK") }
            throw error
        }
    }

    /// The actor's community: a lookup the first time a person calls through this connection.
    func community(of actorId: String, _ c: Connection) throws -> String {
        if let known = communities[actorId] { return known }
        let lookup = RequestQueries.community(of: actorId)
        guard let row = try c.query(lookup.sql, lookup.params).first else {
            // The caller named nobody: the operator pinned this meetingd to a person the database
            // does not have (checked at start-up only when the database answered then).
            throw actorId == config.pinnedActor ? AppError.unknownPinnedActor(actorId) : AppError.unknownActor(given: true)
        }
        let community = try row.string("community_id")
        if communities.count >= RequestPipeline.maxCachedPeople { communities.removeAll(keepingCapacity: true) }
        communities[actorId] = community
        // The person as this read found them, for what is decided before the request's own read
        // (`refuseKnownOutsider`; a command decided on the actor alone checks them again).
        if knownActors[actorId] == nil {
            if knownActors.count >= RequestPipeline.maxCachedPeople { knownActors.removeAll(keepingCapacity: true) }
            knownActors[actorId] = Actor(
                id: actorId, communityId: community, roles: Set(try row.stringArray("roles").compactMap(Role.init(rawValue:))),
                timeZone: try row.string("time_zone"))
        }
        return community
    }

    func auth(_ scope: RequestScope, key: String?, request: RequestQueries.RequestText?, context: SQLCall?, mustSee: [String]? = nil) -> Statement {
        RequestQueries.auth(
            communityId: scope.communityId, actorId: scope.actorId, testClock: scope.testClock, key: key, request: request, context: context,
            mustSee: mustSee)
    }

    func remember(_ scope: RequestScope, key: String?, method: String, request: RequestQueries.RequestText?) -> RequestQueries.Remember? {
        guard let key, let request else { return nil }
        return RequestQueries.Remember(communityId: scope.communityId, actorId: scope.actorId, key: key, method: method, request: request.canonical)
    }

    func authenticate(_ rows: Rows, _ scope: RequestScope, _ method: MethodDefinition) throws -> (RequestContext, Row) {
        guard let row = rows.first else { throw AppError.unknownActor(given: true) }
        let actor = Actor(
            id: scope.actorId, communityId: scope.communityId, roles: Set(try row.stringArray("roles").compactMap(Role.init(rawValue:))),
            timeZone: try row.string("time_zone"))
        if !method.audience.admits(actor), case .roles(let wanted) = method.audience {
            throw AppError.roleRequired(method.name, roles: wanted.map(\.rawValue))
        }
        let ctx = RequestContext(
            actor: actor, now: try row.instant("now"), testClock: scope.testClock, keySubject: scope.keySubject, maxAnswerBytes: config.limits.maxAnswerBytes)
        if knownActors.count >= RequestPipeline.maxCachedPeople { knownActors.removeAll(keepingCapacity: true) }
        knownActors[actor.id] = actor
        return (ctx, row)
    }

    /// A caller this process last read without the role a method asks for is refused on a fresh
    /// read of their roles alone, before any lock is taken and before the params are read for a
    /// context: a member cannot make a write wait for the directory's or a row's lock, or have a
    /// file read, only to be refused (a refusal is only ever given on a fresh read; given the
    /// role since, the call goes on as any other).
    func refuseKnownOutsider(_ method: MethodDefinition, _ scope: RequestScope, _ c: Connection) throws {
        guard case .roles = method.audience, let known = knownActors[scope.actorId], !method.audience.admits(known) else { return }
        _ = try authenticate(try c.pipeline([auth(scope, key: nil, request: nil, context: nil)])[0], scope, method)
    }

    /// The first response to this key, when the key was used before with the same params.
    func replay(_ auth: Row) throws -> JSON? {
        guard !(try auth.isNull("same_request")) else { return nil }
        guard try auth.bool("same_request") else { throw AppError.idempotencyKeyReused() }
        return try auth.json("stored_response")
    }

    /// The method name and params (without the key itself) in one canonical text: each param as
    /// its schema reads it (`Schema.canonical`: a time in UTC, a whole number as an integer), so
    /// a retry that writes the same time with another offset is the same request; and the same
    /// as sent, which releases before the canonical text stored (a retry sent across an upgrade
    /// still matches its record: equal texts are equal params either way).
    static func requestText(_ method: MethodDefinition, _ params: Params) -> RequestQueries.RequestText {
        var fields = params.fields
        fields["idempotency_key"] = nil
        let asSent = method.name + "\n" + JSON.object(fields).serialized()
        for field in method.params { if let value = fields[field.name] { fields[field.name] = field.schema.canonical(value) } }
        return RequestQueries.RequestText(canonical: method.name + "\n" + JSON.object(fields).serialized(), asSent: asSent)
    }

    /// A session bound the statement ran into (MEETINGLEDGER_LOCK_TIMEOUT_MS,
    /// MEETINGLEDGER_STATEMENT_TIMEOUT_MS) as the retryable error that names it, logged with
    /// `when` it happened.
    func boundReached(_ error: PostgresError, _ when: String) -> AppError? {
        if error.isLockTimeout {
            logger.log(.warning, "lock wait timed out \(when): \(error)")
            return AppError.lockTimeout()
        }
        if error.isStatementTimeout {
            logger.log(.warning, "statement timed out \(when) (\(SessionSettings.statementTimeoutVariable) is \(config.session.statementTimeoutMs) ms): \(error)")
            return AppError.statementTimeout()
        }
        return nil
    }

    /// A connection set up in a way meetingd cannot work with (a pooler in transaction mode it
    /// was not told of), met opening a session or in a call: system.ping says refused, and the
    /// caller gets 5035, not retryable.
    func misconfigured(_ error: PostgresError) -> AppError {
        config.sessionHealth.sawMisconfiguration()
        logger.log(.error, "the database connection is misconfigured: \(error)")
        return AppError.databaseMisconfigured()
    }

    /// Database failures become errors a caller can act on: a lost connection is retryable,
    /// a broken invariant is reported without internals.
    public func withDatabaseErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            if error.isIdleInTransactionTimeout {
                logger.log(.warning, "the database ended a transaction left idle: \(error)")
                throw AppError.transactionIdleTimeout()
            }
            if error.code == .readOnly {
                logger.log(.warning, "the database is read-only, a write refused: \(error)")
                throw AppError.databaseReadOnly()
            }
            if error.isConnectionProblem {
                logger.log(.warning, "database connection lost: \(error)")
                throw AppError.databaseUnavailable()
            }
            if error.sqlState == RequestQueries.noSynchronousStandbyState {
                logger.log(.warning, "a write refused (\(SessionSettings.requireSynchronousStandbyVariable)): \(error)")
                throw AppError.noSynchronousStandby()
            }
            if let bound = boundReached(error, "in a request") { throw bound }
            if error.isTransient {
                throw AppError(.contention, message: "Too much contention on the same records; retry (a change with the same idempotency_key)", retryable: true)
            }
            if error.code == .configuration { throw misconfigured(error) }
            logger.log(.error, "database error: \(error)")
            throw AppError.internalError()
        }
    }
}
