import Community
import Core
import Postgres
import RPC
import Store

/// The signed-in person a call acts for.
public struct Actor: Sendable {
    public let id: String
    public let communityId: String
    public let roles: Set<Role>
    public let timeZone: String

    public init(id: String, communityId: String, roles: Set<Role>, timeZone: String) {
        self.id = id
        self.communityId = communityId
        self.roles = roles
        self.timeZone = timeZone
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
    public func hasAny(_ wanted: [Role]) -> Bool { wanted.contains { roles.contains($0) } }

    /// Refuses the call unless the actor holds one of `roles`.
    public func require(_ roles: Role..., to action: String) throws {
        guard hasAny(roles) else {
            throw AppError.roleRequired(action, roles: roles.map(\.rawValue))
        }
    }

    /// Refuses the call unless the actor is `personId` themself or holds one of `roles`.
    public func requireSelfOr(_ personId: String, _ roles: Role..., to action: String) throws {
        guard id == personId || hasAny(roles) else {
            throw AppError.forbidden("only the person themself or \(roles.map(\.rawValue).joined(separator: "/")) may \(action)")
        }
    }
}

/// Who may call a method: anyone (no actor), any member of a community, or holders of a role.
public enum Audience: Sendable {
    case anyone
    case member
    case roles([Role])

    /// Whether `actor` may call a method with this audience (the one check; its refusal is
    /// `forbidden`).
    func admits(_ actor: Actor) -> Bool {
        guard case .roles(let wanted) = self else { return true }
        return actor.hasAny(wanted)
    }

    var access: Access {
        switch self {
        case .anyone: return .anyone
        case .member: return .roles(["member"])
        case .roles(let r): return .roles(r.map(\.rawValue))
        }
    }
}

/// What a decision knows of its request: the actor, the service's time and how transfers are
/// stamped. No database access: decisions are pure.
public struct RequestContext: Sendable {
    public let actor: Actor
    public let now: Instant
    /// The process runs with `--test-clock`.
    public let testClock: Bool
    /// The idempotency key's lock subject, when the call carries a key.
    public let keySubject: String?
    /// The bound on an answer's size (`MEETINGLEDGER_MAX_ANSWER_BYTES`), for a call that
    /// chooses how much to take on (outbox.claim leases what its answer can carry).
    public var maxAnswerBytes = Limits.standard.maxAnswerBytes

    public var communityId: String { actor.communityId }
    /// The time to stamp on transfers: the service's time under a test clock, otherwise nil, so
    /// the database stamps each transfer once its accounts are locked (per-account order).
    public var ledgerTime: Instant? { testClock ? now : nil }
}

/// What a request knows before it reads anything: whom it acts for and in which community.
public struct RequestScope: Sendable {
    public let actorId: String
    public let communityId: String
    public let testClock: Bool
    public let keySubject: String?

    public init(actorId: String, communityId: String, testClock: Bool, keySubject: String?) {
        self.actorId = actorId
        self.communityId = communityId
        self.testClock = testClock
        self.keySubject = keySubject
    }

    /// The idempotency key's lock, when the call has a key: a retry waits for the first attempt
    /// and then replays it. Every mutating step takes it first.
    public var keyLock: [Statement] { keySubject.map { [Locks.key(communityId: communityId, keySubject: $0)] } ?? [] }
}

/// A read-only call: statements run with the actor's in one round trip (no explicit
/// transaction), then a pure step turns their rows into the answer.
///
/// A read whose later statements depend on what the first found (availability.search: the
/// calendars of the experts the learner may book, then the profiles its page names) reads its
/// context in the actor's statement, as a command does, and sends each further statement through
/// `ReadMore`, a round trip each; every statement counts toward the read's budget.
public struct ReadPlan: Sendable {
    /// Runs one more statement on the connection the read is answered from.
    public typealias ReadMore = (Statement) throws -> Rows

    public let statements: @Sendable (RequestScope, Params) throws -> [Statement]
    /// A function returning JSON, read in the actor's statement (nil: none).
    public let context: @Sendable (RequestScope, Params) throws -> SQLCall?
    let answer: @Sendable (RequestContext, JSON?, [Rows], Params, ReadMore) throws -> JSON
    /// Answered by the primary alone, never a hot standby: a read whose answer (a cursor) holds
    /// the server's snapshot, which a standby's does not show whole (it lists no transaction in
    /// progress), and which the pages of one pass must take from one history.
    public let primaryOnly: Bool
    /// A statement sent before `statements` (after the actor's), its rows not the answer's: the
    /// wait a figure as of a past time takes for the transfers timed before it
    /// (`LedgerQueries.settle`), so the statements after it read them. nil: none. A read that
    /// settles is answered by the primary, where the transfers are written.
    public let settle: @Sendable (RequestScope, Params) throws -> Statement?

    public init(
        primaryOnly: Bool = false,
        settle: @escaping @Sendable (RequestScope, Params) throws -> Statement? = { _, _ in nil },
        statements: @escaping @Sendable (RequestScope, Params) throws -> [Statement],
        respond: @escaping @Sendable (RequestContext, [Rows], Params) throws -> JSON
    ) {
        self.primaryOnly = primaryOnly
        self.settle = settle
        self.statements = statements
        self.context = { _, _ in nil }
        self.answer = { ctx, _, rows, params, _ in try respond(ctx, rows, params) }
    }

    /// A read from a context, with further statements as its answer needs them.
    public init(
        primaryOnly: Bool = false,
        context: @escaping @Sendable (RequestScope, Params) throws -> SQLCall,
        respond: @escaping @Sendable (RequestContext, JSON, Params, ReadMore) throws -> JSON
    ) {
        self.primaryOnly = primaryOnly
        self.settle = { _, _ in nil }
        self.statements = { _, _ in [] }
        self.context = context
        self.answer = { ctx, context, _, params, more in
            guard let context else { throw PostgresError(code: .decoding, message: "the read's context is missing") }
            return try respond(ctx, context, params, more)
        }
    }

    /// The answer from the actor's row (its `context`) and the statements' rows.
    func respond(_ ctx: RequestContext, auth: Row, hasContext: Bool, _ rows: [Rows], _ params: Params, more: ReadMore) throws -> JSON {
        try answer(ctx, hasContext ? try auth.optionalJSON("context") : nil, rows, params, more)
    }
}

/// What a command decided: the answer, and the one statement that applies the decision.
public struct Outcome: Sendable {
    public var response: JSON
    public var apply: SQLCall?
    /// The apply statement returns a JSON object whose fields complete the answer (a transfer's
    /// sequence number and time, known only once it is written).
    public var applyCompletesResponse: Bool

    public init(response: JSON, apply: SQLCall?, applyCompletesResponse: Bool = false) {
        self.response = response
        self.apply = apply
        self.applyCompletesResponse = applyCompletesResponse
    }
}

/// A mutating call in the shape every one takes: lock what serializes it, read everything its
/// decision needs in one statement, decide in pure code, apply the decision in one statement.
public struct CommandPlan: Sendable {
    public let locks: @Sendable (RequestScope, Params) throws -> [Statement]
    /// The one read (a function returning JSON), run in the same statement as the actor's.
    public let context: @Sendable (RequestScope, Params) throws -> SQLCall?
    public let decide: @Sendable (RequestContext, JSON?, Params) throws -> Outcome
    /// Turns the apply statement's database errors into errors a caller can act on.
    public let translate: @Sendable (PostgresError, Params) -> Error?
    /// The decision reads nothing but the actor's roles (no context, no time: transfers are
    /// stamped by the database), so a connection that has read the actor before may decide on
    /// that read and send everything in one round trip, the apply guarded by a check that the
    /// actor is unchanged (`RequestQueries.expectActor`).
    public let decidesFromActorAlone: Bool

    public init(
        locks: @escaping @Sendable (RequestScope, Params) throws -> [Statement],
        context: @escaping @Sendable (RequestScope, Params) throws -> SQLCall?,
        decide: @escaping @Sendable (RequestContext, JSON?, Params) throws -> Outcome,
        translate: @escaping @Sendable (PostgresError, Params) -> Error? = { _, _ in nil },
        decidesFromActorAlone: Bool = false
    ) {
        self.locks = locks
        self.context = context
        self.decide = decide
        self.translate = translate
        self.decidesFromActorAlone = decidesFromActorAlone
    }
}

/// The transaction a step of the older shape runs its store calls in.
public struct TransactionContext {
    public let request: RequestContext
    public let db: Connection

    public var actor: Actor { request.actor }
    public var now: Instant { request.now }
    public var communityId: String { request.communityId }
    public var ledgerTime: Instant? { request.ledgerTime }
}

/// A method as the service defines it.
public struct MethodDefinition: Sendable {
    public let name: String
    public let summary: String
    public let audience: Audience
    public let mutating: Bool
    public let params: [Schema.Field]
    public let result: Schema
    public let errors: [AppError]
    /// Rules over several params the schema cannot say (`ParamRule`): checked before the body runs.
    public let paramRules: [ParamRule]
    /// Earlier names the method still answers to (see `MethodAlias`).
    public let aliases: [MethodAlias]
    /// Worked calls published in `rpc.discover`; a test checks each against the schemas.
    public let examples: [MethodExample]
    public let body: Body

    public enum Body: Sendable {
        /// No actor, no transaction (`system.ping`).
        case open(@Sendable (RequestPipeline, Params) throws -> JSON)
        case read(ReadPlan)
        case command(CommandPlan)
        /// Store calls inside one transaction, for steps whose work depends on what they read
        /// as they go (imports, outbox leases).
        case transaction(@Sendable (TransactionContext, Params) throws -> JSON)
    }

    public init(
        _ name: String, _ summary: String, audience: Audience, mutating: Bool, params: [Schema.Field], result: Schema, errors: [AppError] = [],
        paramRules: [ParamRule] = [], aliases: [MethodAlias] = [], examples: [MethodExample] = [], body: Body
    ) {
        self.name = name
        self.summary = summary
        self.audience = audience
        self.mutating = mutating
        self.params = params
        self.result = result
        self.errors = errors
        self.paramRules = paramRules
        self.aliases = aliases
        self.examples = examples
        self.body = body
    }

    /// The signed-in person, a param of every method but those open to anyone.
    public static let actor = Schema.Field(
        "actor", .id(.person), required: true,
        "The signed-in person on whose behalf the call is made (under meetingd --pin-actor: optional, and only the pinned person)")

    /// Params as published: the declared ones plus `actor` and, for mutating methods,
    /// `idempotency_key`.
    public var publishedParams: [Schema.Field] {
        var fields: [Schema.Field] = []
        if case .anyone = audience {} else { fields.append(MethodDefinition.actor) }
        fields += params
        if mutating {
            fields.append(.init("idempotency_key", .text(min: 1, max: Limits.idempotencyKeyCharacters), "A retry with the same key and params returns the first response and has no further effect"))
        }
        return fields
    }

    var commonErrors: [AppError] {
        var list: [AppError] = []
        if case .anyone = audience {} else { list += [.unknownActor(given: false), .forbidden("")] }
        if mutating { list.append(.idempotencyKeyReused()) }
        list += [.databaseUnavailable(), .databaseRefused()]
        if case .open = body {} else { list += DocErrors.databaseRetryable + [DocErrors.settingsUnreadable] }
        return list + errors
    }
}
