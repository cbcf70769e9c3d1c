import Catalog
import Core
import Meetings
import Postgres
import Scheduling

/// Experts' availability: weekly rules in their own zone, one-off free and blocked periods, and
/// the meetings that take their time.
public enum AvailabilityStore {
    /// Experts' availability for a time range in one statement, whatever the number of experts:
    /// their weekly rules and zone (`week` rows), their one-off periods (`period`), and the times
    /// their meetings take (`busy`): every agreed meeting and held request as the expert
    /// (`occupies`, one over an accepted conflict too), and every agreed meeting they attend as the
    /// one it is for (a person with both roles): as its student, or as its user where it names no
    /// student (a customer does not attend a student's meeting), as a booking counts them. Each part is one scan
    /// of its table for all the experts (`= ANY`), so its plan holds whatever the statistics say
    /// (one lookup per expert, planned on a table thought empty, scanned it once per expert); a
    /// meeting lasts at most a day, so only those starting within a day before the range are read.
    /// Planned for the experts given at every call: a plan kept for any list of experts reads the
    /// meetings of those the search names by testing each meeting against the whole list (800
    /// experts: 62 ms, where the plan for the list, planning included, takes 14–18 ms).
    public static func calendars(communityId: String, expertIds: [String], from: Instant, to: Instant) -> Statement {
        Statement(
            """
            SELECT 'week' AS part, p.id AS person_id, coalesce(w.time_zone, p.time_zone) AS time_zone, coalesce(w.rules, '[]') AS rules,
                   NULL::text AS kind, NULL::timestamptz AS start_at, NULL::timestamptz AS end_at, NULL::text[] AS location_ids
            FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
            WHERE p.community_id = $1 AND p.id = ANY ($2)
            UNION ALL
            SELECT 'period', expert_id, NULL, NULL, kind, start_at, end_at, location_ids FROM availability_periods
            WHERE community_id = $1 AND expert_id = ANY ($2) AND start_at < $4 AND end_at > $3
            UNION ALL
            SELECT 'busy', expert_id, NULL, NULL, NULL, start_at, end_at, NULL FROM meetings
            WHERE community_id = $1 AND expert_id = ANY ($2) AND (occupies OR status = 'agreed')
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            UNION ALL
            SELECT 'busy', user_id, NULL, NULL, NULL, start_at, end_at, NULL FROM meetings
            WHERE community_id = $1 AND user_id = ANY ($2) AND student_id IS NULL AND status = 'agreed'
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            UNION ALL
            SELECT 'busy', student_id, NULL, NULL, NULL, start_at, end_at, NULL FROM meetings
            WHERE community_id = $1 AND student_id = ANY ($2) AND status = 'agreed'
              AND start_at < $4 AND end_at > $3 AND start_at > $3::timestamptz - interval '1 day'
            """, [communityId, PostgresTextArray(expertIds), from, to], plannedEachCall: true)
    }

    /// The calendars `calendars` read, in the order of `expertIds` (an id of no person left out).
    public static func decodeCalendars(_ rows: Rows, expertIds: [String]) throws -> [ExpertAvailability] {
        var byExpert: [String: ExpertAvailability] = [:]
        for row in rows where try row.string("part") == "week" {
            let id = try row.string("person_id")
            byExpert[id] = ExpertAvailability(expertId: id, timeZone: try row.string("time_zone"), weekly: try Records.weeklyRules(try row.json("rules")))
        }
        for row in rows {
            let id = try row.string("person_id")
            switch try row.string("part") {
            case "period":
                let (start, end) = (try row.instant("start_at"), try row.instant("end_at"))
                if try row.string("kind") == "free" {
                    byExpert[id]?.free.append(FreePeriod(start: start, end: end, locationIds: try row.stringArray("location_ids")))
                } else {
                    byExpert[id]?.blocked.append(BlockedPeriod(start: start, end: end))
                }
            case "busy":
                byExpert[id]?.busy.append(BusyPeriod(start: try row.instant("start_at"), end: try row.instant("end_at")))
            default:
                continue
            }
        }
        return expertIds.compactMap { byExpert[$0] }
    }

    /// What new weekly hours are decided on (`ml_weekly_context`), read with the actor's row once
    /// the expert's calendar is locked: the meetings still to come, `upcoming` of them.
    public static func weeklyContext(
        communityId: String, testClock: Bool, expertId: String, locationIds: [String], serviceIds: [String], upcoming: Int64
    ) -> SQLCall {
        SQLCall(
            "ml_weekly_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(expertId, "text"), .init(PostgresTextArray(locationIds), "text[]"),
             .init(PostgresTextArray(serviceIds), "text[]"), .init(upcoming, "integer")])
    }

    public static func decodeWeeklyContext(_ json: JSON) throws -> WeeklyHoursFacts {
        let j = StoredJSON(json, path: "weekly")
        let c = try BookingContextQuery.decode(json)
        var services: [String: WeeklyHoursFacts.NamedService] = [:]
        for s in try j.list("services") {
            guard let kind = ServiceFacts.Kind(rawValue: try s.string("kind")) else { throw PostgresError(code: .decoding, message: "weekly.services: unknown kind") }
            let id = try s.string("id")
            services[id] = .init(id: id, name: try s.string("name"), kind: kind, offered: try s.bool("offered"))
        }
        return WeeklyHoursFacts(
            settings: c.settings, expert: c.expert, unloggedMeetingIds: c.unloggedMeetingIds, locations: c.locations, services: services,
            upcoming: try j.list("upcoming").map {
                .init(id: try $0.string("id"), start: try $0.instant("start"), end: try $0.instant("end"),
                      serviceId: try $0.optionalString("service_id"), locationId: try $0.optionalString("location_id"))
            },
            upcomingFree: try Records.availabilityPeriods(try j.list("upcoming_free")).free)
    }

    /// Replaces an expert's weekly rules (stored as given) and zone (`ml_weekly_apply`).
    public static func weeklyApply(communityId: String, expertId: String, timeZone: String, rules: JSON, now: Instant) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "expert_id": .string(expertId), "time_zone": .string(timeZone), "rules": rules,
            "now": .string(now.rfc3339),
        ]
        return SQLCall("ml_weekly_apply", [.init(p, "jsonb")])
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

    /// What a one-off period is decided on (`ml_period_context`): the expert and the locations
    /// named, as new hours read them; for a block (`within`), the meetings in it; for the removal
    /// of one period, whether it is the expert's.
    public static func periodContext(
        communityId: String, testClock: Bool, expertId: String, locationIds: [String], within: (Instant, Instant)?, periodId: String?
    ) -> SQLCall {
        SQLCall(
            "ml_period_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(expertId, "text"), .init(PostgresTextArray(locationIds), "text[]"),
             .init(within?.0, "timestamptz"), .init(within?.1, "timestamptz"), .init(periodId, "text"), .init(Listed.atMost, "integer")])
    }

    public static func decodePeriodContext(_ json: JSON) throws -> PeriodFacts {
        let j = StoredJSON(json, path: "period")
        let within = try j.field("meetings_within").map { w in
            ListedMeetings(ids: try w.strings("ids"), count: try w.int("count"))
        }
        return PeriodFacts(
            owner: try decodeWeeklyContext(json), meetingsWithin: within,
            periodIsTheirs: j.has("period_is_theirs") ? try j.bool("period_is_theirs") : nil)
    }

    /// An expert's one-off periods as decided (`ml_period_apply`): the period added, or the one
    /// removed by id, or those lying within a range; its result is `{"removed": n}`.
    public static func periodApply(
        communityId: String, expertId: String, add: StoredPeriod? = nil, removeId: String? = nil, removeWithin: (Instant, Instant)? = nil
    ) -> SQLCall {
        var p: [String: JSON] = ["community_id": .string(communityId), "expert_id": .string(expertId)]
        if let add {
            p["add"] = ["id": .string(add.id), "kind": .string(add.kind), "start_at": .string(add.start.rfc3339), "end_at": .string(add.end.rfc3339),
                        "location_ids": .array(add.locationIds.map { .string($0) })]
        }
        if let removeId { p["remove_id"] = .string(removeId) }
        if let (from, to) = removeWithin {
            p["remove_from"] = .string(from.rfc3339)
            p["remove_to"] = .string(to.rfc3339)
        }
        return SQLCall("ml_period_apply", [.init(JSON.object(p), "jsonb")])
    }

    /// What `availability.get` answers besides the calendar, in one statement: the expert (null:
    /// nobody has that id), whether the service named exists in the community and whether it can
    /// be booked with the expert (offered, and the expert certified in it or its owner; both true
    /// when none is named), the retired locations, and the one-off periods stored in the range
    /// with their ids.
    public static func getFacts(communityId: String, expertId: String, serviceId: String?, from: Instant, to: Instant) -> Statement {
        Statement(
            """
            SELECT ml_person_json($1, $2) AS expert,
                   ($3::text IS NULL OR s.id IS NOT NULL) AS service_known,
                   ($3::text IS NULL OR coalesce(s.active AND $2 = ANY (ml_certified_experts($1, $3)), false)) AS service_offered,
                   (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM locations WHERE community_id = $1 AND NOT active) AS retired,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'kind', kind, 'start', start_at, 'end', end_at,
                                                                 'location_ids', to_jsonb(location_ids)) ORDER BY start_at, id), '[]')
                    FROM availability_periods WHERE community_id = $1 AND expert_id = $2 AND start_at < $5 AND end_at > $4) AS periods
            FROM (SELECT 1) one LEFT JOIN services s ON s.community_id = $1 AND s.id = $3
            """, [communityId, expertId, serviceId, from, to])
    }

    public static func decodeGetFacts(
        _ rows: Rows
    ) throws -> (expert: PersonFacts?, serviceKnown: Bool, serviceOffered: Bool, retired: Set<String>, stored: [StoredPeriod]) {
        let row = try rows.one()
        let stored = try StoredJSON(try row.json("periods"), path: "periods").elements().map { p in
            StoredPeriod(id: try p.string("id"), kind: try p.string("kind"), start: try p.instant("start"), end: try p.instant("end"),
                         locationIds: try p.strings("location_ids"))
        }
        return (try row.optionalJSON("expert").map { try Records.person(StoredJSON($0, path: "expert")) }, try row.bool("service_known"),
                try row.bool("service_offered"), Set(try row.stringArray("retired")), stored)
    }
}
