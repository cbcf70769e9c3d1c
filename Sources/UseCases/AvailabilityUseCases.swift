import Catalog
import Core
import Pipeline
import Postgres
import RPC
import Scheduling
import Store

/// Experts' weekly hours as a command: the key's and the expert calendar's locks (a booking that
/// read the hours holds the same lock, so new hours never land beside a request they neither
/// refused nor list), one read (`ml_weekly_context`, beside the actor's row), the rules of
/// `WeeklyHoursRules`, and the hours written by `ml_weekly_apply` in one statement.
public enum AvailabilityUseCases {
    /// `availability.set_weekly`.
    public static func setWeekly() -> CommandPlan {
        CommandPlan(
            locks: calendarLocks,
            context: { scope, params in
                let rules = params["rules"]?.arrayValue ?? []
                func named(_ key: String) -> [String] { rules.flatMap { ($0[key]?.arrayValue ?? []).compactMap(\.stringValue) }.uniqued() }
                return AvailabilityStore.weeklyContext(
                    communityId: scope.communityId, testClock: scope.testClock, expertId: try params.string("expert_id"),
                    locationIds: named("location_ids"), serviceIds: named("service_ids"), upcoming: Listed.atMost + 1)
            },
            decide: { ctx, json, params in
                let expert = try params.string("expert_id")
                guard let json else { throw AppError.internalError() }
                let facts = try AvailabilityStore.decodeWeeklyContext(json)
                try WeeklyHoursRules.requireOwner(expertId: expert, actorId: ctx.actor.id, actorIsAdmin: ctx.actor.has(.admin), facts: facts)
                let zone = try TimeZoneNames.require(try params.string("time_zone"))
                let rules = try WeeklyHoursRules.normalized(params["rules"]?.arrayValue ?? [])
                let parsed = try WeeklyHoursRules.check(rules, facts: facts)
                let ordered = zip(parsed, rules).sorted { WeeklyRule.listedBefore($0.0, $1.0) }
                let hours = ExpertAvailability(expertId: expert, timeZone: zone, weekly: ordered.map(\.0))
                let outside = WeeklyHoursRules.meetingsOutsideHours(hours, facts: facts, atMost: Int(Listed.atMost))
                let stored: JSON = .array(ordered.map(\.1))
                return Outcome(
                    response: ["expert_id": .string(expert), "time_zone": .string(zone), "rules": stored,
                               "meetings_outside_hours": .array(outside.ids.map { .string($0) }), "meetings_checked_all": .bool(outside.checkedAll)],
                    apply: AvailabilityStore.weeklyApply(communityId: ctx.communityId, expertId: expert, timeZone: zone, rules: stored, now: ctx.now))
            })
    }

    /// The key's and the expert calendar's locks, as new hours take them: every change of an
    /// expert's hours and periods, and every booking that read them, in turn.
    static func calendarLocks(_ scope: RequestScope, _ params: Params) throws -> [Statement] {
        scope.keyLock
            + [Locks.expertCalendar(communityId: scope.communityId, expertId: try params.string("expert_id"))]
    }

    /// The period's facts, with the caller checked as for new hours.
    static func periodFacts(_ ctx: RequestContext, _ json: JSON?, expertId: String) throws -> PeriodFacts {
        guard let json else { throw AppError.internalError() }
        let facts = try AvailabilityStore.decodePeriodContext(json)
        try WeeklyHoursRules.requireOwner(expertId: expertId, actorId: ctx.actor.id, actorIsAdmin: ctx.actor.has(.admin), facts: facts.owner)
        return facts
    }

    /// `availability.add_free` (kind "free") and `availability.block` ("blocked"). A block stops
    /// every time chosen in it; the meetings already in it stay, and the answer lists them.
    public static func addPeriod(kind: String) -> CommandPlan {
        let blocks = kind == "blocked"
        return CommandPlan(
            locks: calendarLocks,
            context: { scope, params in
                let within = blocks ? (try params.instant("start"), try params.instant("end")) : nil
                return AvailabilityStore.periodContext(
                    communityId: scope.communityId, testClock: scope.testClock, expertId: try params.string("expert_id"),
                    locationIds: params.stringList("location_ids").uniqued(), within: within, periodId: nil)
            },
            decide: { ctx, json, params in
                let expert = try params.string("expert_id")
                let facts = try periodFacts(ctx, json, expertId: expert)
                let (start, end) = (try params.instant("start"), try params.instant("end"))
                try PeriodRules.checkTimes(start: start, end: end)
                let locations = params.stringList("location_ids").uniqued()
                try PeriodRules.checkLocations(locations, facts: facts)
                let period = AvailabilityStore.StoredPeriod(id: Identifier.make(.availability), kind: kind, start: start, end: end, locationIds: locations)
                var answer = period.json.objectValue ?? [:]
                answer["expert_id"] = .string(expert)
                if blocks {
                    let inside = facts.meetingsWithin ?? .init(ids: [], count: 0)
                    answer["meetings_within"] = .array(inside.ids.map { .string($0) })
                    answer["meetings_within_count"] = .int(inside.count)
                }
                return Outcome(response: .object(answer), apply: AvailabilityStore.periodApply(communityId: ctx.communityId, expertId: expert, add: period))
            })
    }

    /// `availability.remove`: one period by id (the expert's own), or all lying within start…end.
    public static func removePeriods() -> CommandPlan {
        CommandPlan(
            locks: calendarLocks,
            context: { scope, params in
                AvailabilityStore.periodContext(
                    communityId: scope.communityId, testClock: scope.testClock, expertId: try params.string("expert_id"),
                    locationIds: [], within: nil, periodId: params.optionalString("period_id"))
            },
            decide: { ctx, json, params in
                let expert = try params.string("expert_id")
                let facts = try periodFacts(ctx, json, expertId: expert)
                let apply: SQLCall
                if let id = params.optionalString("period_id") {
                    try PeriodRules.requireTheirs(periodId: id, expertId: expert, facts: facts)
                    apply = AvailabilityStore.periodApply(communityId: ctx.communityId, expertId: expert, removeId: id)
                } else {
                    let (start, end) = (try params.instant("start"), try params.instant("end"))
                    try PeriodRules.checkRemovalRange(start: start, end: end)
                    apply = AvailabilityStore.periodApply(communityId: ctx.communityId, expertId: expert, removeWithin: (start, end))
                }
                // The count is the write's own.
                return Outcome(response: ["removed": .int(0)], apply: apply, applyCompletesResponse: true)
            })
    }
}
