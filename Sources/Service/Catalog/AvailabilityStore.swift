import Core
import Postgres
import RPC
import Scheduling

/// Reads experts' availability for a time range in three statements, whatever the number of
/// experts: weekly rules, one-off periods, and the meetings that take their time.
enum AvailabilityStore {
    static func load(_ ctx: RequestContext, expertIds: [String], from: Instant, to: Instant) throws -> [ExpertAvailability] {
        guard !expertIds.isEmpty else { return [] }
        let ids = PostgresTextArray(expertIds)
        var byExpert: [String: ExpertAvailability] = [:]
        for row in try ctx.db.query(
            """
            SELECT p.id, coalesce(w.time_zone, p.time_zone) AS time_zone, coalesce(w.rules, '[]') AS rules
            FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
            WHERE p.community_id = $1 AND p.id = ANY ($2)
            """, [ctx.communityId, ids])
        {
            let id = try row.string("id")
            byExpert[id] = ExpertAvailability(expertId: id, timeZone: try row.string("time_zone"), weekly: try rules(from: try row.json("rules")))
        }
        for row in try ctx.db.query(
            """
            SELECT expert_id, kind, start_at, end_at, location_ids FROM availability_periods
            WHERE community_id = $1 AND expert_id = ANY ($2) AND start_at < $4 AND end_at > $3
            """, [ctx.communityId, ids, from, to])
        {
            let id = try row.string("expert_id")
            let (start, end) = (try row.instant("start_at"), try row.instant("end_at"))
            if try row.string("kind") == "free" {
                byExpert[id]?.free.append(FreePeriod(start: start, end: end, locationIds: try row.stringArray("location_ids")))
            } else {
                byExpert[id]?.blocked.append(BlockedPeriod(start: start, end: end))
            }
        }
        for row in try ctx.db.query(
            """
            SELECT expert_id, start_at, end_at FROM meetings
            WHERE community_id = $1 AND expert_id = ANY ($2) AND occupies AND start_at < $4 AND end_at > $3
            """, [ctx.communityId, ids, from, to])
        {
            byExpert[try row.string("expert_id")]?.busy.append(BusyPeriod(start: try row.instant("start_at"), end: try row.instant("end_at")))
        }
        return expertIds.compactMap { byExpert[$0] }
    }

    static func rules(from json: JSON) throws -> [WeeklyRule] {
        try (json.arrayValue ?? []).map { r in
            guard let weekday = r["weekday"]?.intValue, let start = r["start"]?.stringValue.flatMap(LocalTimeOfDay.init),
                let end = r["end"]?.stringValue.flatMap(LocalTimeOfDay.init)
            else { throw PostgresError(code: .decoding, message: "a stored weekly rule is malformed") }
            return try WeeklyRule(
                weekday: Int(weekday), start: start, end: end, locationIds: (r["location_ids"]?.arrayValue ?? []).compactMap(\.stringValue),
                serviceIds: r["service_ids"]?.arrayValue?.compactMap(\.stringValue))
        }
    }

    /// The booking check: [start, start+length) is inside the expert's availability at the
    /// location and not taken by another meeting.
    static func requireFree(_ ctx: RequestContext, expertId: String, serviceId: String, start: Instant, end: Instant, locationId: String) throws {
        guard var availability = try load(ctx, expertIds: [expertId], from: start, to: end).first else {
            throw AppError.notFound("expert", expertId)
        }
        if isAvailable(availability, serviceId: serviceId, start: start, end: end, locationId: locationId) { return }
        let busy = availability.busy
        availability.busy = []
        if !busy.isEmpty && isAvailable(availability, serviceId: serviceId, start: start, end: end, locationId: locationId) {
            throw AppError.slotUnavailable("the expert already has a meeting or a held request at that time")
        }
        throw AppError.slotUnavailable("the time is not within the expert's availability at that location")
    }
}
