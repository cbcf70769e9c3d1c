import Community
import Core
import Pipeline
import RPC
import Store

/// `system.ping` and the test clock.
enum SystemAPI {
    static var all: [MethodDefinition] { [ping, clockSet, clockAdvance] }

    static let ping = MethodDefinition(
        "system.ping", "Liveness: the service version, its time, whether the database answers, and the person a pinned meetingd acts as",
        audience: .anyone, mutating: false,
        params: [.init("actor", .nullable(.id(.person)), "A person whose community's time `now` gives (under meetingd --test-clock, its pinned time); under meetingd --pin-actor only the pinned person, who is the default. null is the same as leaving it out, as for every method")],
        result: .object([
            .init("version", .text(), required: true), .init("now", .timestamp, required: true), .init("database", .oneOf(["ok", "read_only", "unavailable", "refused"]), required: true,
                  "ok; read_only (it answers but refuses writes: a standby, or a primary set read-only; every change is refused with 5030 until DATABASE_URL leads to a writable primary); unavailable (down, full or unreachable: retry later); refused (it refuses meetingd's login, or the connection is set up in a way meetingd cannot work with: an operator must fix the settings)"),
            .init("pinned_actor", .id(.person), "Only under meetingd --pin-actor: the person every call acts as"),
            .init("read_database", .oneOf(["ok", "unavailable"]),
                  "Only when meetingd has a read database (MEETINGLEDGER_READ_DATABASE_URL, a hot standby): ok, or unavailable (down, unreachable, not on this meetingd's schema, or no hot standby of DATABASE_URL's cluster, such as a restored copy; read-only calls go to the primary meanwhile)"),
            .init("build_schema_version", .integer(min: 1, max: 9999), required: true,
                  "The schema version this meetingd is written for (the NNNN of its release's last sql/migrations file, as meetingd --version says): two releases with other schemas tell apart by it, also while the database is down"),
            .init("schema_version", .integer(min: 0, max: 9999),
                  "The newest migration the database has applied, read by this ping: build_schema_version once meetingd migrated it. Absent when the database did not answer (database unavailable or refused): what it is on is not known then"),
        ]),
        errors: [AppError.unknownActor(given: true), AppError.forbidden(""), AppError.statementTimeout()],
        examples: [Examples.ping, Examples.pingDatabaseDown],
        body: .open { pipeline, params in
            var database = "ok"
            var now = SystemClock.now()
            // A pinned meetingd answers for its person only, as every other call does.
            let person = try RequestPipeline.pinActor(pipeline.config.pinnedActor, params.fields)["actor"]?.stringValue
            let statement = person.map { SystemQueries.now(of: $0, testClock: pipeline.config.testClock) } ?? SystemQueries.now
            var found = true
            var schemaVersion: Int64?
            do {
                let row = try pipeline.withDatabaseErrors { try pipeline.db().query(statement).one() }
                now = try row.instant("now")
                schemaVersion = try row.int("schema_version")
                if person != nil { found = try row.bool("found") }
                if try row.bool("read_only") { database = "read_only" }
                // A call refused for a pooler meetingd was not told of: ping's own plain query
                // passes on a fresh session, the calls do not.
                if pipeline.config.sessionHealth.recentlyMisconfigured { database = "refused" }
            } catch let error as AppError where error.code == .databaseRefused {
                database = "refused"
            } catch let error as AppError where error.code == .statementTimeout {
                // The database answers; the timeout is too low for even ping's statements (or a
                // session's first ones): told as every call tells it, not as a database down.
                throw error
            } catch {
                database = "unavailable"
            }
            // A person nobody is (a mistyped id) would be answered with the server's clock, not
            // their community's, under --test-clock hours apart: it is refused instead. (A pin
            // to nobody still answers a ping that names no one: the pin's calls say 4001.)
            guard found || params.fields["actor"]?.stringValue == nil else { throw AppError.unknownActor(given: true) }
            var result: [String: JSON] = ["version": .string(Release.version), "now": .string(now.rfc3339), "database": .string(database)]
            if let pinned = pipeline.config.pinnedActor { result["pinned_actor"] = .string(pinned) }
            result["build_schema_version"] = .int(Int64(Release.schemaVersion))
            if let schemaVersion { result["schema_version"] = .int(schemaVersion) }
            if let standby = pipeline.standbyStatus() { result["read_database"] = .string(standby) }
            return .object(result)
        })

    static func requireTestClock(_ ctx: TransactionContext) throws {
        guard ctx.request.testClock else {
            throw AppError.forbidden("the clock can only be moved when meetingd runs with --test-clock")
        }
    }

    static let clockResult: Schema = .object([.init("now", .timestamp, required: true)])

    static let clockSet = MethodDefinition(
        "clock.set", "Pins the service's time for the actor's community (only with --test-clock)",
        audience: .roles([.admin]), mutating: true, params: [.init("now", .timestamp, required: true)], result: clockResult,
        body: .transaction { ctx, params in
            try requireTestClock(ctx)
            return ["now": .string(try CommunityStore.setClock(ctx.db, communityId: ctx.communityId, now: try params.instant("now")).rfc3339)]
        })

    static let clockAdvance = MethodDefinition(
        "clock.advance", "Moves the service's time forward (or back) by minutes (only with --test-clock)",
        audience: .roles([.admin]), mutating: true, params: [.init("minutes", .integer(min: -525_600, max: 525_600), required: true)],
        result: clockResult,
        body: .transaction { ctx, params in
            try requireTestClock(ctx)
            let minutes = try params.int("minutes")
            _ = try ctx.now.adding(minutes: minutes, checkedFor: "minutes", what: "the clock")
            guard let now = try CommunityStore.advanceClock(ctx.db, communityId: ctx.communityId, minutes: minutes, from: ctx.now) else {
                throw AppError.invalidParams(field: "minutes", reason: "puts the clock outside the supported times \(Instant.supportedRangeText)")
            }
            return ["now": .string(now.rfc3339)]
        })
}
