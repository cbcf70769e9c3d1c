import Core
import Postgres
import Scheduling

/// Experts' availability: weekly rules in their own zone, one-off free and blocked periods, and
/// the meetings that take their time.
public enum AvailabilityStore {
    /// Experts' availability for a time range in three statements, whatever the number of
    /// experts: weekly rules, one-off periods, and the meetings that take their time.
    public static func load(_ c: Connection, communityId: String, expertIds: [String], from: Instant, to: Instant) throws -> [ExpertAvailability] {
        guard !expertIds.isEmpty else { return [] }
        let ids = PostgresTextArray(expertIds)
        var byExpert: [String: ExpertAvailability] = [:]
        for row in try c.query(
            """
            SELECT p.id, coalesce(w.time_zone, p.time_zone) AS time_zone, coalesce(w.rules, '[]') AS rules
            FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
            WHERE p.community_id = $1 AND p.id = ANY ($2)
            """, [communityId, ids])
        {
            let id = try row.string("id")
            byExpert[id] = ExpertAvailability(expertId: id, timeZone: try row.string("time_zone"), weekly: try Records.weeklyRules(try row.json("rules")))
        }
        for row in try c.query(
            """
            SELECT expert_id, kind, start_at, end_at, location_ids FROM availability_periods
            WHERE community_id = $1 AND expert_id = ANY ($2) AND start_at < $4 AND end_at > $3
            """, [communityId, ids, from, to])
        {
            let id = try row.string("expert_id")
            let (start, end) = (try row.instant("start_at"), try row.instant("end_at"))
            if try row.string("kind") == "free" {
                byExpert[id]?.free.append(FreePeriod(start: start, end: end, locationIds: try row.stringArray("location_ids")))
            } else {
                byExpert[id]?.blocked.append(BlockedPeriod(start: start, end: end))
            }
        }
        // Every agreed meeting and held request takes its time (`occupies`, one over an accepted
        // conflict too), and so does an agreed meeting the expert attends as a user or student
        // (a person with both roles), as a booking counts it, each read through its person's
        // index; a meeting lasts at most a day, so only those starting within a day before the
        // range are read, however long the history.
        for row in try c.query(
            """
            SELECT expert_id AS person_id, start_at, end_at FROM meetings
            WHERE community_id = $1 AND expert_id = ANY ($2) AND (occupies OR status = 'agreed')
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            UNION ALL
            SELECT user_id, start_at, end_at FROM meetings
            WHERE community_id = $1 AND user_id = ANY ($2) AND status = 'agreed'
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            UNION ALL
            SELECT student_id, start_at, end_at FROM meetings
            WHERE community_id = $1 AND student_id = ANY ($2) AND status = 'agreed'
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            """, [communityId, ids, from, to])
        {
            byExpert[try row.string("person_id")]?.busy.append(BusyPeriod(start: try row.instant("start_at"), end: try row.instant("end_at")))
        }
        return expertIds.compactMap { byExpert[$0] }
    }

    /// Replaces an expert's weekly rules (stored as given) and zone.
    public static func setWeekly(_ c: Connection, communityId: String, expertId: String, timeZone: String, rules: JSON, now: Instant) throws {
        try c.query(
            """
            INSERT INTO weekly_schedules (community_id, expert_id, time_zone, rules, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (community_id, expert_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, rules = EXCLUDED.rules, updated_at = EXCLUDED.updated_at
            """, [communityId, expertId, timeZone, rules, now])
    }

    public struct StoredPeriod: Sendable {
        public let id: String
        public let kind: String
        public let start: Instant
        public let end: Instant
        public let locationIds: [String]

        public init(id: String, kind: String, start: Instant, end: Instant, locationIds: [String]) {
            self.id = id
            self.kind = kind
            self.start = start
            self.end = end
            self.locationIds = locationIds
        }

        public var json: JSON {
            ["id": .string(id), "kind": .string(kind), "start": .string(start.rfc3339), "end": .string(end.rfc3339),
             "location_ids": .array(locationIds.map { .string($0) })]
        }
    }

    public static func addPeriod(_ c: Connection, communityId: String, expertId: String, period p: StoredPeriod) throws {
        try c.query(
            "INSERT INTO availability_periods (community_id, id, expert_id, kind, start_at, end_at, location_ids) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [communityId, p.id, expertId, p.kind, p.start, p.end, PostgresTextArray(p.locationIds)])
    }

    /// The expert's agreed meetings and open requests overlapping start…end, or whose open new
    /// date does, soonest first (at most `Listed.atMost`), and how many in all: what a blocked
    /// period leaves standing.
    public static func meetingsWithin(_ c: Connection, communityId: String, expertId: String, start: Instant, end: Instant) throws -> (ids: [String], count: Int64) {
        let rows = try c.query(
            """
            SELECT id, count(*) OVER () AS count FROM meetings
            WHERE community_id = $1 AND expert_id = $2 AND status IN ('agreed', 'awaiting_approval')
              AND ((start_at < $4 AND end_at > $3)
                OR (alternate_start_at < $4 AND alternate_start_at + make_interval(mins => alternate_length_minutes) > $3))
            ORDER BY start_at, id LIMIT \(Listed.atMost)
            """, [communityId, expertId, start, end])
        return (try rows.map { try $0.string("id") }, try rows.first?.int("count") ?? 0)
    }

    /// An expert's meeting still to come, as the hours that should hold it are checked.
    public struct Upcoming: Sendable {
        public let id: String
        public let start: Instant
        public let end: Instant
        public let serviceId: String?
        public let locationId: String?
    }

    /// The expert's agreed meetings not yet ended and requests not yet started (at most `limit`,
    /// soonest first): a request whose start has passed waits for nobody, and expires.
    public static func upcomingMeetings(_ c: Connection, communityId: String, expertId: String, now: Instant, limit: Int64) throws -> [Upcoming] {
        try c.query(
            """
            SELECT id, start_at, end_at, service_id, location_id FROM meetings
            WHERE community_id = $1 AND expert_id = $2 AND ((status = 'agreed' AND end_at > $3) OR (status = 'awaiting_approval' AND start_at > $3))
            ORDER BY start_at, id LIMIT $4
            """, [communityId, expertId, now, limit]
        ).map { row in
            Upcoming(
                id: try row.string("id"), start: try row.instant("start_at"), end: try row.instant("end_at"),
                serviceId: try row.optionalString("service_id"), locationId: try row.optionalString("location_id"))
        }
    }

    /// Removes one period by id, or every period lying within start…end; returns how many.
    public static func removePeriods(_ c: Connection, communityId: String, expertId: String, id: String?, within: (Instant, Instant)?) throws -> Int {
        if let id {
            return try c.query(
                "DELETE FROM availability_periods WHERE community_id = $1 AND expert_id = $2 AND id = $3", [communityId, expertId, id]
            ).affectedRows
        }
        guard let (start, end) = within else { return 0 }
        return try c.query(
            "DELETE FROM availability_periods WHERE community_id = $1 AND expert_id = $2 AND start_at >= $3 AND end_at <= $4",
            [communityId, expertId, start, end]
        ).affectedRows
    }

    public static func periods(_ c: Connection, communityId: String, expertId: String, from: Instant, to: Instant) throws -> [StoredPeriod] {
        try c.query(
            """
            SELECT id, kind, start_at, end_at, location_ids FROM availability_periods
            WHERE community_id = $1 AND expert_id = $2 AND start_at < $4 AND end_at > $3 ORDER BY start_at, id
            """, [communityId, expertId, from, to]
        ).map { r in
            StoredPeriod(
                id: try r.string("id"), kind: try r.string("kind"), start: try r.instant("start_at"), end: try r.instant("end_at"),
                locationIds: try r.stringArray("location_ids"))
        }
    }
}
