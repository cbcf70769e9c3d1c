import Catalog
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// Writes of the catalog as commands: the lock that serializes them (the directory's for a name
/// or an enrolment, as imports take it; a service's or a location's for a certification removed
/// or a retirement, as the bookings that read it take), one read beside the actor's row, the
/// rules of `Catalog` (ServiceRules, LocationRules, CertificationRule, EnrollmentRule), one write.
public enum CatalogUseCases {
    /// The command's read, which every one of these sends.
    static func read(_ json: JSON?) throws -> JSON {
        guard let json else { throw AppError.internalError() }
        return json
    }

    /// The name as it would be stored, for the read of the service that has it already (the
    /// rule refuses a name that cannot be stored once the actor is known).
    static func storedName(_ params: Params) -> String? {
        params.optionalString("name").map { (try? NameRule.stored($0, field: "name")) ?? $0 }
    }

    /// Two services given one name at once: the later is refused as the rule refuses it.
    static func nameTaken(_ error: PostgresError, _ params: Params) -> Error? {
        error.isUniqueViolation ? AppError.invalidParams(field: "name", reason: "is already the name of another service") : nil
    }

    static func facts(_ json: JSON?) throws -> ServiceWriteFacts { try CatalogStore.decodeServiceContext(try read(json)) }

    /// `service.create`.
    public static func createService() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                CatalogStore.serviceContext(communityId: scope.communityId, serviceId: nil, expertId: params.optionalString("expert_id"), name: storedName(params))
            },
            decide: { ctx, json, params in
                let facts = try facts(json)
                guard let kind = ServiceFacts.Kind(rawValue: try params.string("kind")) else { throw AppError.invalidParams(field: "kind", reason: "is not a kind") }
                let expertId = params.optionalString("expert_id")
                try ServiceRules.checkOwner(kind: kind, expertId: expertId, facts: facts)
                let service = ServiceFacts(
                    id: Identifier.make(.service), name: try NameRule.stored(try params.string("name"), field: "name"), kind: kind, expertId: expertId,
                    defaultLengthMinutes: try params.int("default_length_minutes"), priceCredits: try params.int("price_credits"),
                    skills: try ServiceRules.trimmed(params.stringList("skills"), field: "skills", distinct: true),
                    agendaQuestions: try ServiceRules.trimmed(params.stringList("agenda_questions"), field: "agenda_questions"))
                try ServiceRules.requireNameFree(facts)
                return Outcome(response: service.json, apply: CatalogStore.serviceApply(communityId: ctx.communityId, service, insert: true))
            },
            translate: nameTaken)
    }

    /// `service.update`: each field given replaces the service's; the rest stay.
    public static func updateService() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                CatalogStore.serviceContext(communityId: scope.communityId, serviceId: try params.string("service_id"), expertId: nil, name: storedName(params))
            },
            decide: { ctx, json, params in
                let facts = try facts(json)
                guard var service = facts.service else { throw AppError.notFound("service", try params.string("service_id")) }
                if params.has("name") { service.name = try NameRule.stored(try params.string("name"), field: "name") }
                if params.has("default_length_minutes") { service.defaultLengthMinutes = try params.int("default_length_minutes") }
                if params.has("price_credits") { service.priceCredits = try params.int("price_credits") }
                if params.has("skills") { service.skills = try ServiceRules.trimmed(params.stringList("skills"), field: "skills", distinct: true) }
                if params.has("agenda_questions") {
                    service.agendaQuestions = try ServiceRules.trimmed(params.stringList("agenda_questions"), field: "agenda_questions")
                }
                if params.has("name") { try ServiceRules.requireNameFree(facts) }
                return Outcome(response: service.json, apply: CatalogStore.serviceApply(communityId: ctx.communityId, service, insert: false))
            },
            translate: nameTaken)
    }

    /// `service.decertify`: the expert is not offered or booked in the service any more; the
    /// answer lists what their side leaves open in it.
    public static func decertify() -> CommandPlan {
        CommandPlan(
            // As a retirement: after the bookings that read the certification, before those that will.
            locks: { scope, params in scope.keyLock + [Locks.catalogEntry(communityId: scope.communityId, id: try params.string("service_id"))] },
            context: { scope, params in
                CatalogStore.decertifyContext(
                    communityId: scope.communityId, testClock: scope.testClock, serviceId: try params.string("service_id"),
                    expertId: try params.string("expert_id"))
            },
            decide: { ctx, json, params in
                let (serviceId, expertId) = (try params.string("service_id"), try params.string("expert_id"))
                let facts = try CatalogStore.decodeDecertifyContext(try read(json))
                guard let service = facts.service else { throw AppError.notFound("service", serviceId) }
                try CertificationRule.decertify(expertId, from: service)
                guard facts.certified else { throw AppError.notFound("certification", "\(expertId) in \(serviceId)") }
                return Outcome(
                    response: facts.leftOpen.answer(["service_id": .string(serviceId), "expert_id": .string(expertId), "certified": false]),
                    apply: CatalogStore.decertifyApply(communityId: ctx.communityId, serviceId: serviceId, expertId: expertId))
            })
    }

    /// `service.certify`: an expert in a generic service (the owner of an expert-specific one
    /// holds it already, and nothing is written).
    public static func certify() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock },
            context: { scope, params in
                CatalogStore.certifyContext(communityId: scope.communityId, serviceId: try params.string("service_id"), expertId: try params.string("expert_id"))
            },
            decide: { ctx, json, params in
                let (serviceId, expertId) = (try params.string("service_id"), try params.string("expert_id"))
                let facts = try CatalogStore.decodeCertifyContext(try read(json))
                guard let service = facts.service else { throw AppError.notFound("service", serviceId) }
                guard let expert = facts.expert else { throw AppError.notFound("person", expertId) }
                let outcome = try CertificationRule.certify(expert, in: service, ownerName: facts.ownerName)
                return Outcome(
                    response: ["service_id": .string(serviceId), "expert_id": .string(expertId), "certified": true],
                    apply: outcome == .record ? CatalogStore.certifyApply(communityId: ctx.communityId, serviceId: serviceId, expertId: expertId) : nil)
            })
    }

    /// `service.set_active`: retired (not offered, searched or booked any more) or offered
    /// again; the answer lists what it leaves open.
    public static func setActive() -> CommandPlan {
        CommandPlan(
            // After the bookings that read it, before those that will: the list has every request
            // made. After an import or an update of services, before the next: each keeps it.
            locks: { scope, params in
                scope.keyLock + [Locks.directoryAndCatalogEntry(communityId: scope.communityId, id: try params.string("service_id"))]
            },
            context: { scope, params in
                CatalogStore.retireContext(communityId: scope.communityId, testClock: scope.testClock, serviceId: try params.string("service_id"))
            },
            decide: { ctx, json, params in
                let serviceId = try params.string("service_id")
                let facts = try CatalogStore.decodeRetireContext(try read(json))
                guard var service = facts.service else { throw AppError.notFound("service", serviceId) }
                service.active = params.bool("active")
                return Outcome(
                    response: facts.leftOpen.answer(service.json),
                    apply: CatalogStore.retireApply(communityId: ctx.communityId, serviceId: serviceId, active: service.active))
            })
    }

    /// `enrollment.assign` (`enrolled` true: kept if it exists) and `enrollment.remove`. Both
    /// take the directory's lock, as an import of enrolments does: each decides on what the last
    /// wrote (two removals at once remove once, the second told there is nothing to remove).
    public static func enrollment(enrolled: Bool) -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                CatalogStore.enrollmentContext(
                    communityId: scope.communityId, userId: try params.string("user_id"), serviceId: params.optionalString("service_id"),
                    expertId: params.optionalString("expert_id"))
            },
            decide: { ctx, json, params in
                let userId = try params.string("user_id")
                let (serviceId, expertId) = (params.optionalString("service_id"), params.optionalString("expert_id"))
                let facts = try CatalogStore.decodeEnrollmentContext(try read(json))
                if enrolled {
                    try EnrollmentRule.assign(userId: userId, serviceId: serviceId, expertId: expertId, facts: facts)
                } else {
                    try EnrollmentRule.remove(userId: userId, serviceId: serviceId, expertId: expertId, facts: facts)
                }
                return Outcome(
                    response: ["user_id": .string(userId), "service_id": .optional(serviceId), "expert_id": .optional(expertId), "enrolled": .bool(enrolled)],
                    apply: CatalogStore.enrollmentApply(
                        communityId: ctx.communityId, userId: userId, serviceId: serviceId, expertId: expertId, enrolled: enrolled, now: ctx.now))
            })
    }

    /// Two locations given one name at once: the later is refused as the rule refuses it.
    static func locationNameTaken(_ error: PostgresError, _ params: Params) -> Error? {
        error.isUniqueViolation ? AppError.invalidParams(field: "name", reason: "is already the name of another location") : nil
    }

    static func locationFacts(_ json: JSON?) throws -> LocationWriteFacts { try CatalogStore.decodeLocationContext(try read(json)) }

    /// `location.create`: a place (or a virtual room) where meetings happen.
    public static func createLocation() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                CatalogStore.locationContext(communityId: scope.communityId, testClock: scope.testClock, locationId: nil, name: storedName(params))
            },
            decide: { ctx, json, params in
                let facts = try locationFacts(json)
                let location = LocationFacts(
                    id: Identifier.make(.location), name: try NameRule.stored(try params.string("name"), field: "name"), kind: try params.string("kind"))
                try LocationRules.requireNameFree(facts)
                return Outcome(response: location.json, apply: CatalogStore.locationApply(communityId: ctx.communityId, location, insert: true))
            },
            translate: locationNameTaken)
    }

    /// `location.update`: renamed, retired or offered again; the answer lists what it leaves open.
    public static func updateLocation() -> CommandPlan {
        CommandPlan(
            // After the bookings that read it, before those that will: the list has every request made.
            locks: { scope, params in scope.keyLock + [Locks.catalogEntry(communityId: scope.communityId, id: try params.string("location_id"))] },
            context: { scope, params in
                CatalogStore.locationContext(
                    communityId: scope.communityId, testClock: scope.testClock, locationId: try params.string("location_id"), name: storedName(params))
            },
            decide: { ctx, json, params in
                let facts = try locationFacts(json)
                // The name is checked first, as it always was: a name taken is refused even of a
                // location not found.
                let name = try params.optionalString("name").map { try NameRule.stored($0, field: "name") }
                if name != nil { try LocationRules.requireNameFree(facts) }
                guard var location = facts.location else { throw AppError.notFound("location", try params.string("location_id")) }
                if let name { location.name = name }
                if params.has("active") { location.active = params.bool("active") }
                let open = facts.leftOpen ?? LeftOpen(waiting: [], waitingCount: 0, series: [], seriesCount: 0)
                return Outcome(response: open.answer(location.json), apply: CatalogStore.locationApply(communityId: ctx.communityId, location, insert: false))
            },
            translate: locationNameTaken)
    }
}
