import Core
import Postgres
import RPC

enum SystemMethods {
    static var all: [ServiceMethod] { [ping, clockSet, clockAdvance] }

    static let ping = ServiceMethod(
        open: "system.ping", "Liveness: the service version, its time, whether the database answers, and the person a pinned meetingd acts as",
        params: [],
        result: .object([
            .init("version", .text(), required: true), .init("now", .timestamp, required: true), .init("database", .oneOf(["ok", "unavailable"]), required: true),
            .init("pinned_actor", .id(.person), "Only under meetingd --pin-actor: the person every call acts as"),
        ])
    ) { service, _ in
        var database = "ok"
        var now = SystemClock.now()
        do {
            let row = try service.db().query("SELECT now() AS now").first!
            now = try row.instant("now")
        } catch {
            database = "unavailable"
        }
        var result: [String: JSON] = ["version": .string(ServiceConfig.version), "now": .string(now.rfc3339), "database": .string(database)]
        if let pinned = service.config.pinnedActor { result["pinned_actor"] = .string(pinned) }
        return .object(result)
    }

    static func requireTestClock(_ ctx: RequestContext) throws {
        guard ctx.service.config.testClock else {
            throw AppError.forbidden("the clock can only be moved when meetingd runs with --test-clock")
        }
    }

    static let clockResult: Schema = .object([.init("now", .timestamp, required: true)])

    static let clockSet = ServiceMethod(
        "clock.set", "Pins the service's time for the actor's community (only with --test-clock)",
        audience: .roles([.admin]), mutating: true, params: [.init("now", .timestamp, required: true)], result: clockResult
    ) { ctx, params in
        try requireTestClock(ctx)
        let now = try params.instant("now")
        try ctx.db.query(
            "INSERT INTO test_clocks (community_id, now) VALUES ($1, $2) ON CONFLICT (community_id) DO UPDATE SET now = EXCLUDED.now",
            [ctx.communityId, now])
        return ["now": .string(now.rfc3339)]
    }

    static let clockAdvance = ServiceMethod(
        "clock.advance", "Moves the service's time forward (or back) by minutes (only with --test-clock)",
        audience: .roles([.admin]), mutating: true, params: [.init("minutes", .integer(min: -525_600, max: 525_600), required: true)],
        result: clockResult
    ) { ctx, params in
        try requireTestClock(ctx)
        let minutes = try params.int("minutes")
        let moved = try ctx.now.adding(minutes: minutes, checkedFor: "minutes", what: "the clock")
        // Added to the stored time in the statement itself, so advances made at once all count;
        // the range is checked there too, so a concurrent advance cannot carry it past.
        let row = try ctx.db.query(
            """
            INSERT INTO test_clocks (community_id, now) VALUES ($1, $2)
            ON CONFLICT (community_id) DO UPDATE SET now = test_clocks.now + make_interval(mins => $3::int)
            RETURNING CASE WHEN now BETWEEN $4 AND $5 THEN now END AS now
            """,
            [ctx.communityId, moved, minutes, Instant.earliestSupported, Instant.latestSupported]
        ).first!
        guard let now = try row.optionalInstant("now") else {
            throw AppError.invalidParams(field: "minutes", reason: "puts the clock outside the supported times \(Instant.supportedRangeText)")
        }
        return ["now": .string(now.rfc3339)]
    }
}
