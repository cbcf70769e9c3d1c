import Core
import RPC

public enum Role: String, Sendable, CaseIterable {
    case user, expert, admin, finance, office
}

/// Who may call a method: anyone (no actor), any member of a community, or holders of a role.
public enum Audience: Sendable {
    case anyone
    case member
    case roles([Role])

    var access: Access {
        switch self {
        case .anyone: return .anyone
        case .member: return .roles(["member"])
        case .roles(let r): return .roles(r.map(\.rawValue))
        }
    }
}

/// A method as the service defines it: the handler receives a request context with the
/// authenticated actor, the service's time and an open transaction.
public struct ServiceMethod: Sendable {
    public let name: String
    public let summary: String
    public let audience: Audience
    public let mutating: Bool
    public let params: [Schema.Field]
    public let result: Schema
    public let errors: [AppError]
    let body: Body

    enum Body: Sendable {
        /// Runs for an authenticated actor inside a transaction.
        case authenticated(@Sendable (RequestContext, Params) throws -> JSON)
        /// Runs for anyone, with no actor and no transaction (`system.ping`).
        case open(@Sendable (Service, Params) throws -> JSON)
    }

    public init(
        _ name: String, _ summary: String, audience: Audience, mutating: Bool, params: [Schema.Field], result: Schema,
        errors: [AppError] = [], run: @escaping @Sendable (RequestContext, Params) throws -> JSON
    ) {
        self.name = name
        self.summary = summary
        self.audience = audience
        self.mutating = mutating
        self.params = params
        self.result = result
        self.errors = errors
        self.body = .authenticated(run)
    }

    public init(
        open name: String, _ summary: String, params: [Schema.Field], result: Schema, run: @escaping @Sendable (Service, Params) throws -> JSON
    ) {
        self.name = name
        self.summary = summary
        self.audience = .anyone
        self.mutating = false
        self.params = params
        self.result = result
        self.errors = []
        self.body = .open(run)
    }

    /// Params as published: the declared ones plus `actor` and, for mutating methods,
    /// `idempotency_key`.
    var publishedParams: [Schema.Field] {
        var fields: [Schema.Field] = []
        if case .anyone = audience {} else {
            fields.append(.init(
                "actor", .id(.person), required: true,
                "The signed-in person on whose behalf the call is made (under meetingd --pin-actor: optional, and only the pinned person)"))
        }
        fields += params
        if mutating {
            fields.append(.init("idempotency_key", .text(min: 1, max: 200), "A retry with the same key and params returns the first response and has no further effect"))
        }
        return fields
    }

    var commonErrors: [AppError] {
        var list: [AppError] = []
        if case .anyone = audience {} else { list += [.unknownActor(nil), .forbidden("")] }
        if mutating { list.append(.idempotencyKeyReused()) }
        list.append(.databaseUnavailable())
        return list + errors
    }
}

/// Sample errors for documentation in `rpc.discover` (only their codes are published).
public enum DocErrors {
    public static let notFound = AppError.notFound("", "")
    public static let invalidState = AppError.invalidState(status: "", action: "")
    public static let timeConflict = AppError.timeConflict(meetingIds: [])
    public static let slotUnavailable = AppError.slotUnavailable("")
    public static let meetingStarted = AppError.meetingStarted(start: Instant(seconds: 0))
    public static let lateCancellation = AppError.lateCancellationRequiresConfirmation(windowHours: 0, consequences: "")
    public static let insufficientCredits = AppError.insufficientCredits(available: 0, required: 0)
    public static let notEnrolled = AppError.notEnrolled("")
    public static let usageLimit = AppError.usageLimitReached(limit: 0)
    public static let suspended = AppError.suspended(until: Instant(seconds: 0))
    public static let sessionLog = AppError.sessionLogRequired(meetingIds: [])
}
