import Community
import Core
import Meetings
import People
import Pipeline
import Postgres
import RPC
import Store

/// People as commands: the key's and the directory's locks (and the person's, for a change),
/// one read of the person with what they are still part of (`ml_person_context`, beside the
/// actor's roles), the rules of `PersonChangeRules`, and the person and their new accounts
/// written by `ml_person_apply` in one statement.
public enum PeopleUseCases {
    /// `person.create`.
    public static func create() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in [PeopleStore.lock(communityId: scope.communityId, keySubject: scope.keySubject, personId: nil)] },
            context: { _, _ in nil },
            decide: { ctx, _, params in
                let zone = try TimeZoneNames.require(try params.string("time_zone"))
                let person = PersonFacts(
                    id: Identifier.make(.person), email: try params.string("email"),
                    firstName: try NameRule.stored(try params.string("first_name"), field: "first_name"),
                    lastName: try NameRule.stored(try params.string("last_name"), field: "last_name"),
                    roles: Set(params.stringList("roles").compactMap(Role.init(rawValue:))), timeZone: zone)
                return Outcome(
                    response: person.json,
                    apply: PeopleStore.apply(communityId: ctx.communityId, person: person, isNew: true, openingFor: person.roles, now: ctx.now))
            },
            translate: { error, _ in PeopleStore.translate(error) })
    }

    /// `person.update`: decided on the person and the actor's roles as they are once the locks
    /// are held (an admin demoted while the call waited acts as what they are now).
    public static func update() -> CommandPlan {
        CommandPlan(
            locks: { scope, p in [PeopleStore.lock(communityId: scope.communityId, keySubject: scope.keySubject, personId: try p.string("person_id"))] },
            context: { scope, p in PeopleStore.context(communityId: scope.communityId, testClock: scope.testClock, personId: try p.string("person_id")) },
            decide: { ctx, json, params in
                let id = try params.string("person_id")
                let change = PersonChange(
                    email: params.optionalString("email"),
                    firstName: try params.optionalString("first_name").map { try NameRule.stored($0, field: "first_name") },
                    lastName: try params.optionalString("last_name").map { try NameRule.stored($0, field: "last_name") },
                    timeZone: try params.optionalString("time_zone").map { try TimeZoneNames.require($0) },
                    addRoles: Set(params.stringList("add_roles").compactMap(Role.init(rawValue:))),
                    removeRoles: Set(params.stringList("remove_roles").compactMap(Role.init(rawValue:))))
                let (stored, commitments) = try PeopleStore.decodeContext(json)
                guard let person = stored else { throw AppError.notFound("person", id) }
                let after = try PersonChangeRules.decide(
                    actorId: ctx.actor.id, actorRoles: ctx.actor.roles, person: person, commitments: commitments, change: change)
                guard after != person else { return Outcome(response: after.json, apply: nil) }
                return Outcome(
                    response: after.json,
                    apply: PeopleStore.apply(
                        communityId: ctx.communityId, person: after, isNew: false, openingFor: after.roles.subtracting(person.roles), now: ctx.now))
            },
            translate: { error, _ in PeopleStore.translate(error) })
    }

    /// `person.unsuspend`: decided on the person as they are once the locks are held (a no-show
    /// logged meanwhile may have suspended them longer: the lift ends that one).
    public static func unsuspend() -> CommandPlan {
        CommandPlan(
            locks: { scope, p in [PeopleStore.lock(communityId: scope.communityId, keySubject: scope.keySubject, personId: try p.string("person_id"))] },
            context: { scope, p in
                PeopleStore.suspensionContext(communityId: scope.communityId, testClock: scope.testClock, personId: try p.string("person_id"))
            },
            decide: { ctx, json, params in
                let id = try params.string("person_id")
                let (stored, told, customerIds) = try PeopleStore.decodeSuspensionContext(json)
                guard var person = stored else { throw AppError.notFound("person", id) }
                guard let notices = SuspensionLift.notices(person: person, told: told, customerIds: customerIds, now: ctx.now) else {
                    return Outcome(response: person.json, apply: nil)
                }
                let lifted = person.suspendedUntil
                person.suspendedUntil = nil
                let outbox = notices.map { notice in
                    var payload: [String: JSON] = ["recipient_role": .string(notice.reader.rawValue), "suspended_until": .optional(lifted?.rfc3339)]
                    if let student = notice.student {
                        payload["student_id"] = .string(student.id)
                        payload["student_name"] = .string(student.fullName)
                    }
                    return OutboxMessage(
                        kind: "user_unsuspended", channel: "notification", recipientId: notice.recipientId, meetingId: nil, eventId: nil,
                        payload: .object(payload))
                }
                return Outcome(
                    response: person.json, apply: PeopleStore.liftSuspension(communityId: ctx.communityId, personId: id, now: ctx.now, outbox: outbox))
            })
    }
}
