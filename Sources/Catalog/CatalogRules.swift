import Core
import Meetings

extension ServiceFacts {
    /// The service as `service.*` answers it.
    public var json: JSON {
        [
            "id": .string(id), "name": .string(name), "kind": .string(kind.rawValue), "expert_id": .optional(expertId),
            "default_length_minutes": .int(defaultLengthMinutes), "price_credits": .int(priceCredits),
            "skills": .array(skills.map { .string($0) }), "agenda_questions": .array(agendaQuestions.map { .string($0) }), "active": .bool(active),
        ]
    }
}

/// What a retired service or location (or an expert's certification removed) leaves open: its
/// waiting requests (the soonest `Listed.atMost`) and active series (the first by id), each with
/// how many in all; for a service, also its agreed meetings' new dates proposed and not yet
/// answered (the soonest by that date), which can no longer be accepted.
public struct LeftOpen: Sendable, Equatable {
    public let waiting: [String]
    public let waitingCount: Int64
    public let series: [String]
    public let seriesCount: Int64
    /// Nil for a location: an agreed meeting may still move to another time there.
    public let alternates: ListedMeetings?

    public init(waiting: [String], waitingCount: Int64, series: [String], seriesCount: Int64, alternates: ListedMeetings? = nil) {
        self.waiting = waiting
        self.waitingCount = waitingCount
        self.series = series
        self.seriesCount = seriesCount
        self.alternates = alternates
    }

    /// `base` (the service, location or certification changed) with what it leaves open.
    public func answer(_ base: JSON) -> JSON {
        var fields = base.objectValue ?? [:]
        fields["waiting_meetings"] = .array(waiting.map { .string($0) })
        fields["waiting_meetings_count"] = .int(waitingCount)
        fields["active_series"] = .array(series.map { .string($0) })
        fields["active_series_count"] = .int(seriesCount)
        if let alternates {
            fields["open_alternates"] = .array(alternates.ids.map { .string($0) })
            fields["open_alternates_count"] = .int(alternates.count)
        }
        return .object(fields)
    }
}

/// What a new or changed service is decided on, read in one statement once the directory (which
/// serializes names) is locked.
public struct ServiceWriteFacts: Sendable {
    /// The service changed, as it is.
    public var service: ServiceFacts?
    /// The expert an expert-specific service is for.
    public var expert: PersonFacts?
    /// Another service with the name already, by the name key (id, name).
    public var nameTaken: (id: String, name: String)?

    public init(service: ServiceFacts?, expert: PersonFacts?, nameTaken: (id: String, name: String)?) {
        self.service = service
        self.expert = expert
        self.nameTaken = nameTaken
    }
}

/// `service.create` and `service.update`: an expert-specific service is one expert's, a generic
/// one any certified expert's; names are the community's own, one service each; skills and
/// agenda questions are kept trimmed, none blank.
public enum ServiceRules {
    /// The expert a service of `kind` is for: an expert-specific one names an expert, a generic
    /// one none.
    public static func checkOwner(kind: ServiceFacts.Kind, expertId: String?, facts: ServiceWriteFacts) throws {
        if kind == .expertSpecific {
            guard let expertId else { throw AppError.invalidParams(field: "expert_id", reason: "is required for an expert_specific service") }
            guard let expert = facts.expert else { throw AppError.notFound("person", expertId) }
            try expert.requiring(.expert, field: "expert_id")
        } else if expertId != nil {
            throw AppError.invalidParams(field: "expert_id", reason: "is only for expert_specific services; certify experts in a generic one")
        }
    }

    /// The name is no other service's (refused naming the one that has it).
    public static func requireNameFree(_ facts: ServiceWriteFacts) throws {
        guard let taken = facts.nameTaken else { return }
        throw AppError.invalidParams(
            field: "name",
            reason: "is already the name of service \(taken.name) (\(taken.id)), whatever the case, the Unicode form and the spaces around it; give another name")
    }

    /// Skills and questions as a file of services would import them: trimmed of white space (so
    /// an export imports back unchanged), none blank; skills each named once.
    public static func trimmed(_ values: [String], field: String, distinct: Bool = false) throws -> [String] {
        let kept = try values.enumerated().map { i, value in
            let trimmed = value.trimmingWhitespace()
            guard !trimmed.isEmpty else { throw AppError.invalidParams(field: "\(field)[\(i)]", reason: "is blank") }
            return trimmed
        }
        if distinct, let twice = kept.firstRepeated() {
            throw AppError.invalidParams(field: field, reason: "names \"\(twice)\" twice")
        }
        return kept
    }
}

/// What assigning a user (to a service or an expert), or removing the assignment, is decided on.
public struct EnrollmentFacts: Sendable {
    public var user: PersonFacts?
    public var serviceExists: Bool
    public var expert: PersonFacts?
    /// The assignment exists.
    public var enrolled: Bool

    public init(user: PersonFacts?, serviceExists: Bool, expert: PersonFacts?, enrolled: Bool) {
        self.user = user
        self.serviceExists = serviceExists
        self.expert = expert
        self.enrolled = enrolled
    }
}

/// `enrollment.assign` and `enrollment.remove`: a user is assigned to a service or to an expert
/// that exists; only an assignment that exists is removed.
public enum EnrollmentRule {
    public static func assign(userId: String, serviceId: String?, expertId: String?, facts: EnrollmentFacts) throws {
        guard let user = facts.user else { throw AppError.notFound("person", userId) }
        try user.requiring(.user, field: "user_id")
        if let serviceId, !facts.serviceExists { throw AppError.notFound("service", serviceId) }
        if let expertId {
            guard let expert = facts.expert else { throw AppError.notFound("person", expertId) }
            try expert.requiring(.expert, field: "expert_id")
        }
    }

    /// Named as a removed certification is: whose, and to what.
    public static func remove(userId: String, serviceId: String?, expertId: String?, facts: EnrollmentFacts) throws {
        guard facts.enrolled else { throw AppError.notFound("enrollment", "of \(userId) to \(serviceId ?? expertId ?? "")") }
    }
}

extension LocationFacts {
    /// The location as `location.*` answers it.
    public var json: JSON { ["id": .string(id), "name": .string(name), "kind": .string(kind), "active": .bool(active)] }
}

/// What a new or changed location is decided on, read in one statement once its lock is held.
public struct LocationWriteFacts: Sendable {
    /// The location changed, as it is.
    public var location: LocationFacts?
    /// Another location with the name already, whatever its case (id, name).
    public var nameTaken: (id: String, name: String)?
    /// What the location leaves open (read for a change).
    public var leftOpen: LeftOpen?

    public init(location: LocationFacts?, nameTaken: (id: String, name: String)?, leftOpen: LeftOpen?) {
        self.location = location
        self.nameTaken = nameTaken
        self.leftOpen = leftOpen
    }
}

/// `location.create` and `location.update`: a location's name is no other's, whatever its case.
public enum LocationRules {
    public static func requireNameFree(_ facts: LocationWriteFacts) throws {
        guard let taken = facts.nameTaken else { return }
        throw AppError.invalidParams(field: "name", reason: "is already the name of location \(taken.name) (\(taken.id)), whatever the case; give another name")
    }
}
