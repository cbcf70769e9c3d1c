import Core
import Meetings
import Postgres
import RPC
import Scheduling

/// A weekly 1:1 series (seeds 000, 001): occurrences on the same local weekday and time in
/// the expert's zone (so a daylight-saving change keeps the wall-clock time), each a meeting
/// holding its own credits, created ahead up to the community's horizon.
struct SeriesRecord {
    let id: String
    let userId: String
    let expertId: String
    let serviceId: String
    let locationId: String
    let timeZone: String
    let firstDate: LocalDate
    let localMinutes: Int
    let lengthMinutes: Int64
    let weeks: Int64?
    var nextIndex: Int64
    let status: String

    static let columns = "id, user_id, expert_id, service_id, location_id, time_zone, first_date::text AS first_date, local_minutes, length_minutes, weeks, next_index, status"

    init(row: Row) throws {
        id = try row.string("id")
        userId = try row.string("user_id")
        expertId = try row.string("expert_id")
        serviceId = try row.string("service_id")
        locationId = try row.string("location_id")
        timeZone = try row.string("time_zone")
        guard TimeZones.isKnown(timeZone) else {
            throw AppError.invalidParams(field: "time_zone", reason: "\"\(timeZone)\" stored with series \(id) \(TimeZones.refusalReason)")
        }
        guard let first = LocalDate(try row.string("first_date")) else { throw PostgresError(code: .decoding, message: "bad first_date") }
        firstDate = first
        localMinutes = Int(try row.int("local_minutes"))
        lengthMinutes = try row.int("length_minutes")
        weeks = try row.optionalInt("weeks")
        nextIndex = try row.int("next_index")
        status = try row.string("status")
    }

    func date(_ index: Int64) -> LocalDate { firstDate.adding(days: 7 * index) }

    func start(on date: LocalDate) -> Instant {
        ZoneClock(identifier: timeZone)!.instant(on: date, at: LocalTimeOfDay(minutes: localMinutes))
    }

    /// Whether the occurrence on `date` ends by the last supported time; the series has no
    /// dates after the first that does not.
    func endsWithinSupportedTimes(on date: LocalDate) -> Bool {
        start(on: date).addingWithinRange(minutes: lengthMinutes) != nil
    }

    /// The index of `date` in the series, if it is one of its dates.
    func index(of date: LocalDate) -> Int64? {
        let days = date.day - firstDate.day
        guard days >= 0, days % 7 == 0 else { return nil }
        let i = days / 7
        if let weeks, i >= weeks { return nil }
        return i
    }
}

enum SeriesStore {
    /// Occurrences created per series per call: a bound on the work of one request.
    static let maxOccurrencesPerCall: Int64 = 60
    static let maxSeriesPerRun = 200

    static func load(_ ctx: RequestContext, _ id: String, lock: Bool) throws -> SeriesRecord {
        guard let row = try ctx.db.query(
            "SELECT \(SeriesRecord.columns) FROM series WHERE community_id = $1 AND id = $2" + (lock ? " FOR UPDATE" : ""), [ctx.communityId, id]
        ).first else { throw AppError.notFound("series", id) }
        return try SeriesRecord(row: row)
    }

    static func skips(_ ctx: RequestContext, _ seriesId: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for r in try ctx.db.query("SELECT skip_date::text AS d, reason FROM series_skips WHERE community_id = $1 AND series_id = $2", [ctx.communityId, seriesId]) {
            out[try r.string("d")] = try r.string("reason")
        }
        return out
    }

    static func addSkip(_ ctx: RequestContext, _ s: SeriesRecord, _ date: LocalDate, reason: String, actorId: String?) throws {
        try ctx.db.query(
            "INSERT INTO series_skips (community_id, series_id, skip_date, reason, actor_id, created_at) VALUES ($1, $2, $3::date, $4, $5, $6) ON CONFLICT DO NOTHING",
            [ctx.communityId, s.id, date.description, reason, actorId, ctx.now])
    }

    /// Books one occurrence as a request by the series' user. Returns nil when it could not be
    /// booked; the date is then listed as skipped with the reason, and nothing else changes.
    static func book(_ ctx: RequestContext, _ s: SeriesRecord, _ date: LocalDate, actor: MeetingActor, beyondHorizon: Bool = false) throws -> MeetingRecord? {
        let start = s.start(on: date)
        do {
            return try ctx.db.savepoint {
                let booking = try Booking.check(
                    ctx, userId: s.userId, serviceId: s.serviceId, expertId: s.expertId, start: start, lengthMinutes: s.lengthMinutes, locationId: s.locationId,
                    beyondHorizon: beyondHorizon)
                let d = try Lifecycle.request(start: start, lengthMinutes: s.lengthMinutes, priceCredits: booking.service.priceCredits,
                                              autoAccept: try ctx.settings().autoAccept, now: ctx.now)
                return try MeetingStore.create(
                    ctx, d, serviceId: s.serviceId, skill: nil, userId: s.userId, expertId: s.expertId, locationId: s.locationId, topic: nil,
                    agendaAnswers: .array([]), note: nil, seriesId: s.id, occurrenceDate: date.description, actor: actor)
            }
        } catch let e as AppError {
            try addSkip(ctx, s, date, reason: "not booked: \(e.message)", actorId: nil)
            return nil
        }
    }

    /// Creates the occurrences due up to the horizon, in order, skipping listed dates. Returns
    /// how many meetings were created.
    @discardableResult
    static func ensureOccurrences(_ ctx: RequestContext, _ series: SeriesRecord, actor: MeetingActor) throws -> Int {
        var s = series
        guard s.status == "active" else { return 0 }
        let horizon = ctx.now.adding(minutes: try ctx.settings().horizonDays * 24 * 60)
        let skipped = try skips(ctx, s.id)
        var created = 0
        var steps: Int64 = 0
        while steps < maxOccurrencesPerCall {
            if let weeks = s.weeks, s.nextIndex >= weeks { break }
            let date = s.date(s.nextIndex)
            let start = s.start(on: date)
            guard start <= horizon, s.endsWithinSupportedTimes(on: date) else { break }
            s.nextIndex += 1
            steps += 1
            if start <= ctx.now || skipped[date.description] != nil { continue }
            if try book(ctx, s, date, actor: actor) != nil { created += 1 }
        }
        try saveNextIndex(ctx, s)
        return created
    }

    static func saveNextIndex(_ ctx: RequestContext, _ s: SeriesRecord) throws {
        try ctx.db.query("UPDATE series SET next_index = $3 WHERE community_id = $1 AND id = $2", [ctx.communityId, s.id, s.nextIndex])
    }

    /// Seed 001: once a skip leaves no session ahead, the next date of the series is booked at
    /// once, even past the horizon. Only the next uncreated date qualifies, so no date between
    /// is ever passed over.
    static func bookNextIfNoneAhead(_ ctx: RequestContext, _ series: SeriesRecord, actor: MeetingActor) throws {
        var s = series
        let ahead = try ctx.db.query(
            "SELECT 1 FROM meetings WHERE community_id = $1 AND series_id = $2 AND status IN ('awaiting_approval', 'agreed') AND start_at > $3 LIMIT 1",
            [ctx.communityId, s.id, ctx.now])
        guard ahead.isEmpty else { return }
        let skipped = try skips(ctx, s.id)
        for _ in 0..<maxOccurrencesPerCall {
            if let weeks = s.weeks, s.nextIndex >= weeks { break }
            let date = s.date(s.nextIndex)
            guard s.endsWithinSupportedTimes(on: date) else { break }
            s.nextIndex += 1
            if s.start(on: date) <= ctx.now || skipped[date.description] != nil { continue }
            _ = try book(ctx, s, date, actor: actor, beyondHorizon: true)
            break
        }
        try saveNextIndex(ctx, s)
    }

    /// For jobs.run_due: every active series of the community moves up to the horizon.
    static func createDueOccurrences(_ ctx: RequestContext) throws -> Int {
        let rows = try ctx.db.query(
            "SELECT \(SeriesRecord.columns) FROM series WHERE community_id = $1 AND status = 'active' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
            [ctx.communityId, maxSeriesPerRun])
        var created = 0
        for row in rows { created += try ensureOccurrences(ctx, try SeriesRecord(row: row), actor: .system) }
        return created
    }

    static func json(_ ctx: RequestContext, _ s: SeriesRecord) throws -> JSON {
        let skipped = try skips(ctx, s.id)
        let occurrences = try ctx.db.query(
            "SELECT id, occurrence_date::text AS d, start_at, status, credit_status FROM meetings WHERE community_id = $1 AND series_id = $2 ORDER BY occurrence_date",
            [ctx.communityId, s.id]
        ).map { r -> JSON in
            ["meeting_id": .string(try r.string("id")), "date": .string(try r.string("d")), "start": .string(try r.instant("start_at").rfc3339),
             "status": .string(try r.string("status")), "credit_status": .string(try r.string("credit_status"))]
        }
        let next = occurrences.first { o in
            (o["status"] == "agreed" || o["status"] == "awaiting_approval") && (try? Instant(rfc3339: o["start"]!.stringValue!)).map { $0 > ctx.now } == true
        }
        let current = try ctx.db.query("SELECT status FROM series WHERE community_id = $1 AND id = $2", [ctx.communityId, s.id]).first!.string("status")
        return [
            "id": .string(s.id), "status": .string(current), "user_id": .string(s.userId), "expert_id": .string(s.expertId),
            "service_id": .string(s.serviceId), "location_id": .string(s.locationId), "time_zone": .string(s.timeZone),
            "weekday": .int(Int64(s.firstDate.isoWeekday)), "local_time": .string(LocalTimeOfDay(minutes: s.localMinutes).description),
            "first_date": .string(s.firstDate.description), "length_minutes": .int(s.lengthMinutes), "weeks": .optional(s.weeks),
            "skip_dates": .array(skipped.keys.sorted().map { ["date": .string($0), "reason": .string(skipped[$0]!)] }),
            "occurrences": .array(occurrences), "next_occurrence": next ?? .null,
        ]
    }
}

enum SeriesMethods {
    static var all: [ServiceMethod] { [create, skip, cancel, get] }

    static let seriesId = Schema.Field("series_id", .id(.series), required: true)
    static let seriesSchema: Schema = .object([
        .init("id", .id(.series), required: true), .init("status", .oneOf(["active", "cancelled"]), required: true),
        .init("skip_dates", .list(.anyJSON(description: "{date, reason}")), required: true),
        .init("occurrences", .list(.anyJSON(description: "{meeting_id, date, start, status, credit_status}")), required: true),
        .init("next_occurrence", .anyJSON(description: "the next upcoming occurrence or null"), required: true),
    ], additional: true)

    /// The series' user or an admin; for skips and cancelling also its expert (seeds 000, 001).
    static func actor(_ ctx: RequestContext, _ s: SeriesRecord, expertToo: Bool) throws -> MeetingActor {
        if ctx.actor.id == s.userId { return .party(.user) }
        if expertToo && ctx.actor.id == s.expertId { return .party(.expert) }
        if ctx.actor.has(.admin) { return .party(.user) }
        throw AppError.forbidden("only the series' user (or an admin) may do this")
    }

    static let create = ServiceMethod(
        "series.create", "Books a weekly 1:1 series: the first occurrence must be bookable; later ones are created up to the booking horizon",
        audience: .roles([.user, .admin]), mutating: true,
        params: [
            .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true),
            .init("first_start", .timestamp, required: true), .init("location_id", .id(.location), required: true),
            .init("weeks", .integer(min: 1, max: 520), "How many weekly dates (default: until cancelled)"),
            .init("length_minutes", .integer(min: 5, max: 1440)), .init("user_id", .id(.person), "Admins book for a user"),
        ],
        result: seriesSchema,
        errors: [DocErrors.notFound, DocErrors.slotUnavailable, DocErrors.insufficientCredits, DocErrors.notEnrolled, DocErrors.suspended]
    ) { ctx, params in
        var userId = ctx.actor.id
        if let other = params.optionalString("user_id"), other != ctx.actor.id {
            try ctx.require(.admin, to: "book a series for another user")
            userId = other
        }
        _ = try Catalog.requireUser(ctx, userId)
        let expertId = try params.string("expert_id")
        _ = try Catalog.requireExpert(ctx, expertId)
        try Catalog.requireLocation(ctx, try params.string("location_id"))
        let service = try Catalog.service(ctx, try params.string("service_id"))
        let zone = try AvailabilityStore.load(ctx, expertIds: [expertId], from: ctx.now, to: ctx.now.adding(minutes: 1)).first?.timeZone ?? "UTC"
        let firstStart = try params.instant("first_start")
        try TimeZoneRule.require(zone, storedIn: "the expert's schedule", on: ctx.db)
        let clock = ZoneClock(identifier: zone)!
        let local = clock.local(firstStart)
        let id = Identifier.make(.series)
        let length = params.optionalInt("length_minutes") ?? service.defaultLengthMinutes
        if let weeks = params.optionalInt("weeks") {
            let lastStart = clock.instant(on: local.date.adding(days: 7 * (weeks - 1)), at: local.time)
            guard lastStart.addingWithinRange(minutes: length) != nil else {
                throw AppError.invalidParams(
                    field: "weeks", reason: "puts the last of the \(weeks) weekly dates after \(Instant.latestSupported.rfc3339), the last supported time; ask for fewer weeks")
            }
        }
        try ctx.db.query(
            """
            INSERT INTO series (community_id, id, user_id, expert_id, service_id, location_id, time_zone, first_date, local_minutes, length_minutes, weeks, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10, $11, $12)
            """,
            [ctx.communityId, id, userId, expertId, service.id, try params.string("location_id"), zone, local.date.description, local.time.minutes,
             length, params.optionalInt("weeks"), ctx.now])
        var s = try SeriesStore.load(ctx, id, lock: true)
        // The first occurrence is the booking the user asked for: its failure fails the call.
        let booking = try Booking.check(ctx, userId: userId, serviceId: service.id, expertId: expertId, start: firstStart, lengthMinutes: length,
                                        locationId: s.locationId)
        let d = try Lifecycle.request(start: firstStart, lengthMinutes: length, priceCredits: booking.service.priceCredits,
                                      autoAccept: try ctx.settings().autoAccept, now: ctx.now)
        _ = try MeetingStore.create(ctx, d, serviceId: service.id, skill: nil, userId: userId, expertId: expertId, locationId: s.locationId,
                                    topic: nil, agendaAnswers: .array([]), note: nil, seriesId: id, occurrenceDate: local.date.description, actor: .party(.user))
        s.nextIndex = 1
        try SeriesStore.saveNextIndex(ctx, s)
        try SeriesStore.ensureOccurrences(ctx, s, actor: .party(.user))
        return try SeriesStore.json(ctx, s)
    }

    static let skip = ServiceMethod(
        "series.skip", "Skips one date of a weekly series (on the day or ahead, one at a time): that occurrence is cancelled with its credits returned and the next one is made",
        audience: .member, mutating: true,
        params: [seriesId, .init("date", .date, required: true, "The local date (YYYY-MM-DD) of the occurrence to skip")],
        result: seriesSchema, errors: [DocErrors.notFound, DocErrors.meetingStarted]
    ) { ctx, params in
        let s = try SeriesStore.load(ctx, try params.string("series_id"), lock: true)
        let actor = try actor(ctx, s, expertToo: true)
        if case .party(.expert) = actor { try SessionLog.requireLogged(ctx, expertId: s.expertId, except: nil) }
        guard s.status == "active" else { throw AppError(code: 4009, dataCode: "invalid_state", message: "The series is cancelled", details: ["status": "cancelled"]) }
        let date = LocalDate(try params.string("date"))!
        guard s.index(of: date) != nil else {
            throw AppError.invalidParams(field: "date", reason: "is not a date of this series (every \(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][s.firstDate.isoWeekday - 1]) from \(s.firstDate))")
        }
        let today = ZoneClock(identifier: s.timeZone)!.local(ctx.now).date
        guard date >= today else { throw AppError.invalidParams(field: "date", reason: "is in the past; skip today's session or a later one") }
        guard try SeriesStore.skips(ctx, s.id)[date.description] == nil else {
            throw AppError.invalidParams(field: "date", reason: "is already a skip date")
        }
        if let row = try ctx.db.query(
            "SELECT id FROM meetings WHERE community_id = $1 AND series_id = $2 AND occurrence_date = $3::date AND status IN ('awaiting_approval', 'agreed') FOR UPDATE",
            [ctx.communityId, s.id, date.description]
        ).first {
            let m = try MeetingStore.load(ctx, try row.string("id"), lock: true)
            let d = try Lifecycle.decide(m.state, .skipOccurrence, by: actor, now: ctx.now, settings: MeetingStore.lifecycleSettings(try ctx.settings()))
            _ = try MeetingStore.apply(ctx, m, d, actor: actor)
        }
        try SeriesStore.addSkip(ctx, s, date, reason: "skipped by \(actor.role)", actorId: ctx.actor.id)
        try SeriesStore.ensureOccurrences(ctx, s, actor: actor)
        try SeriesStore.bookNextIfNoneAhead(ctx, try SeriesStore.load(ctx, s.id, lock: true), actor: actor)
        return try SeriesStore.json(ctx, try SeriesStore.load(ctx, s.id, lock: false))
    }

    static let cancel = ServiceMethod(
        "series.cancel", "The user or the expert cancels a weekly series and every future occurrence (the cancellation rules apply to each)",
        audience: .member, mutating: true,
        params: [seriesId, .init("reason_code", .text(min: 1, max: 64), required: true), .init("confirm_late", .boolean, "Needed when an occurrence is inside the cancellation window")],
        result: seriesSchema, errors: [DocErrors.notFound, DocErrors.lateCancellation]
    ) { ctx, params in
        let s = try SeriesStore.load(ctx, try params.string("series_id"), lock: true)
        // Seed 000 (the expert's article): cancelling a weekly appointment cancels the future ones.
        let actor = try actor(ctx, s, expertToo: true)
        guard s.status == "active" else { throw AppError(code: 4009, dataCode: "invalid_state", message: "The series is already cancelled", details: ["status": "cancelled"]) }
        let reason = try params.string("reason_code")
        let settings = MeetingStore.lifecycleSettings(try ctx.settings())
        guard settings.cancellationReasonCodes.contains(reason) else {
            throw AppError.invalidParams(field: "reason_code", reason: "must be one of the community's reasons: \(settings.cancellationReasonCodes.joined(separator: ", "))")
        }
        if case .party(.expert) = actor { try SessionLog.requireLogged(ctx, expertId: s.expertId, except: nil) }
        let future = try ctx.db.query(
            "SELECT id FROM meetings WHERE community_id = $1 AND series_id = $2 AND status IN ('awaiting_approval', 'agreed') AND start_at > $3 ORDER BY start_at FOR UPDATE",
            [ctx.communityId, s.id, ctx.now]
        ).map { try $0.string("id") }
        for id in future {
            let m = try MeetingStore.load(ctx, id, lock: true)
            let command: Command = m.state.status == .agreed
                ? .cancel(reasonCode: reason, note: "series cancelled", confirmLate: params.bool("confirm_late"))
                : .skipOccurrence
            let d = try Lifecycle.decide(m.state, command, by: actor, now: ctx.now, settings: settings)
            _ = try MeetingStore.apply(ctx, m, d, actor: actor)
        }
        try ctx.db.query("UPDATE series SET status = 'cancelled', cancelled_at = $3 WHERE community_id = $1 AND id = $2", [ctx.communityId, s.id, ctx.now])
        return try SeriesStore.json(ctx, s)
    }

    static let get = ServiceMethod(
        "series.get", "A weekly series with its skip dates and occurrences", audience: .member, mutating: false, params: [seriesId],
        result: seriesSchema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let s = try SeriesStore.load(ctx, try params.string("series_id"), lock: false)
        guard [s.userId, s.expertId].contains(ctx.actor.id) || ctx.actor.hasAny([.admin, .office]) else {
            throw AppError.forbidden("only the series' user and expert (and staff) may see it")
        }
        return try SeriesStore.json(ctx, s)
    }
}
