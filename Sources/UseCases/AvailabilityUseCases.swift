import Catalog
import Core
import Pipeline
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
            locks: { scope, params in
                (scope.keySubject.map { [Locks.key(communityId: scope.communityId, keySubject: $0)] } ?? [])
                    + [Locks.expertCalendar(communityId: scope.communityId, expertId: try params.string("expert_id"))]
            },
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
}
