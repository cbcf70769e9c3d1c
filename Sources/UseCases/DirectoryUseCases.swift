import Community
import Core
import Meetings
import People
import Pipeline
import Postgres
import RPC
import Store

/// The community's settings, an expert's profile and a customer's students as commands: the
/// lock that serializes each (the community's row, the person's row, the directory for a link;
/// a link's write keeps one made already), one read beside the actor's row, the rules
/// (`CommunitySettings.apply`, `ProfileRules`, `StudentLinkRule`), one write.
public enum DirectoryUseCases {
    /// The most active series a change of the grid checks.
    static let seriesChecked: Int64 = 1_000

    /// `community.update_settings`: the settings given replace the stored ones; the rest stay.
    public static func updateSettings() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [CommunityStore.lockForChange(communityId: scope.communityId)] },
            // The weekly series' times are read where the grid may move, at most a thousand.
            context: { scope, params in
                CommunityStore.settingsContext(
                    communityId: scope.communityId, testClock: scope.testClock, series: params.has("time_zone") || params.has("slot_minutes"),
                    limit: seriesChecked + 1)
            },
            decide: { ctx, json, params in
                let (name, stored, unreadable) = try CommunityStore.decodeContext(json, communityId: ctx.communityId)
                var given = params.fields
                for key in ["actor", "idempotency_key"] { given[key] = nil }
                if let zone = given["time_zone"]?.stringValue { given["time_zone"] = .string(try TimeZoneNames.require(zone)) }
                // A null clears the two settings that may be unset; for the others it says nothing.
                given = given.filter { !$0.value.isNull || $0.key == "weekly_usage_limit" || $0.key == "office_email" }
                // A setting stored outside its rules is mended by giving it again; until then no
                // change is written over it (the first one not given is named).
                if let (_, refusal) = unreadable.filter({ given[$0.key] == nil }).min(by: { $0.key < $1.key }) { throw refusal }
                var settings = stored
                try settings.apply(.object(given), path: "")
                // What the change stops: the series whose weekly time the new grid leaves off it.
                let series = try CommunityStore.decodeSeriesTimes(json)
                let offGrid = SeriesTime.leftOffGrid(Array(series.prefix(Int(seriesChecked))), before: stored, after: settings)
                return Outcome(
                    response: [
                        "id": .string(ctx.communityId), "name": .string(name), "settings": settings.json,
                        "series_off_grid": .array(offGrid.prefix(Int(Listed.atMost)).map { .string($0) }),
                        "series_checked_all": .bool(series.count <= Int(seriesChecked) && offGrid.count <= Int(Listed.atMost)),
                    ],
                    apply: CommunityStore.settingsApply(communityId: ctx.communityId, settings))
            })
    }

    /// `person.set_profile`: each field given replaces the profile's; the rest stay.
    public static func setProfile() -> CommandPlan {
        CommandPlan(
            locks: { scope, params in
                scope.keyLock + [ProfileStore.lockForChange(communityId: scope.communityId, personId: try params.string("person_id"))]
            },
            context: { scope, params in ProfileStore.context(communityId: scope.communityId, personId: try params.string("person_id")) },
            decide: { ctx, json, params in
                let id = try params.string("person_id")
                guard let (person, stored) = try ProfileStore.decodeContext(json) else { throw AppError.notFound("person", id) }
                try ProfileRules.mayWrite(actorId: ctx.actor.id, actorRoles: ctx.actor.roles, subject: person)
                let change = ProfileChange(
                    displayName: params.optionalString("display_name"), bio: params.optionalString("bio"),
                    photoURL: params.fields["photo_url"].map { $0.stringValue }, languages: params.has("languages") ? params.stringList("languages") : nil)
                let profile = try ProfileRules.apply(change, to: stored)
                return Outcome(response: profile.publicJSON, apply: ProfileStore.apply(communityId: ctx.communityId, profile, now: ctx.now))
            })
    }

    /// `student.link`: under the directory's lock, as enrolments, so two links of one pair made
    /// both ways at once are decided one after the other.
    public static func linkStudent() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                StudentStore.linkContext(communityId: scope.communityId, customerId: try params.string("customer_id"), studentId: try params.string("student_id"))
            },
            decide: { ctx, json, params in
                let (customerId, studentId) = (try params.string("customer_id"), try params.string("student_id"))
                let (customer, student, linked, reversed) = try StudentStore.decodeLinkContext(json)
                let outcome = try StudentLinkRule.decide(
                    customerId: customerId, studentId: studentId, customer: customer, student: student, linked: linked, reversed: reversed)
                return Outcome(
                    response: ["customer_id": .string(customerId), "student_id": .string(studentId), "linked": true],
                    apply: outcome == .link
                        ? StudentStore.linkApply(communityId: ctx.communityId, customerId: customerId, studentId: studentId, by: ctx.actor.id, now: ctx.now) : nil)
            },
            // The link's own conflict is no error (a link made already stays): a unique violation is
            // the one-way index, a reverse another writer made meanwhile.
            translate: { error, _ in error.isUniqueViolation ? StudentLinkRule.reversedRefusal : nil })
    }
}
