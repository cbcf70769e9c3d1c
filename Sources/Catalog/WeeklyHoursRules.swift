import Community
import Core
import Meetings
import Scheduling

/// What new weekly hours are decided on, read in one statement once the expert's calendar is
/// locked.
public struct WeeklyHoursFacts: Sendable {
    /// A service a rule names, and whether the expert offers it (certified, or its owner).
    public struct NamedService: Sendable {
        public let id: String
        public let name: String
        public let kind: ServiceFacts.Kind
        public let offered: Bool

        public init(id: String, name: String, kind: ServiceFacts.Kind, offered: Bool) {
            self.id = id
            self.name = name
            self.kind = kind
            self.offered = offered
        }
    }

    /// An expert's meeting still to come, as the hours that should hold it are checked.
    public struct Upcoming: Sendable {
        public let id: String
        public let start: Instant
        public let end: Instant
        public let serviceId: String?
        public let locationId: String?

        public init(id: String, start: Instant, end: Instant, serviceId: String?, locationId: String?) {
            self.id = id
            self.start = start
            self.end = end
            self.serviceId = serviceId
            self.locationId = locationId
        }
    }

    public var settings: CommunitySettings
    public var expert: PersonFacts?
    public var unloggedMeetingIds: [String]
    /// The locations the rules name that exist.
    public var locations: [String: LocationFacts]
    /// The services the rules name that exist.
    public var services: [String: NamedService]
    /// The soonest of the expert's meetings still to come (one more than are checked, to know
    /// whether there are others), soonest first.
    public var upcoming: [Upcoming]
    /// The expert's one-off free periods over the upcoming meetings.
    public var upcomingFree: [FreePeriod]

    public init(
        settings: CommunitySettings, expert: PersonFacts?, unloggedMeetingIds: [String], locations: [String: LocationFacts],
        services: [String: NamedService], upcoming: [Upcoming], upcomingFree: [FreePeriod]
    ) {
        self.settings = settings
        self.expert = expert
        self.unloggedMeetingIds = unloggedMeetingIds
        self.locations = locations
        self.services = services
        self.upcoming = upcoming
        self.upcomingFree = upcomingFree
    }
}

/// `availability.set_weekly`'s rules: who may set them, what they may name, and which meetings
/// still to come the new hours no longer hold.
public enum WeeklyHoursRules {
    /// Experts manage their own calendar; admins anyone's. Experts with unlogged sessions must
    /// log them first where the community requires it.
    public static func requireOwner(expertId: String, actorId: String, actorIsAdmin: Bool, facts: WeeklyHoursFacts) throws {
        guard expertId == actorId || actorIsAdmin else { throw AppError.forbidden("experts manage only their own availability") }
        guard let expert = facts.expert else { throw AppError.notFound("person", expertId) }
        try expert.requiring(.expert, field: "expert_id")
        if expertId == actorId { try SessionLogRule.check(facts.settings, unlogged: facts.unloggedMeetingIds) }
    }

    /// The rules as given, a location or service named twice in a rule named once (as a search
    /// reads it), within the bound on how many they name in all.
    public static func normalized(_ given: [JSON]) throws -> [JSON] {
        let rules = given.map { rule -> JSON in
            guard var o = rule.objectValue else { return rule }
            for key in ["location_ids", "service_ids"] {
                if let ids = o[key]?.arrayValue { o[key] = .array(ids.compactMap(\.stringValue).uniqued().map { .string($0) }) }
            }
            return .object(o)
        }
        for key in ["location_ids", "service_ids"] {
            let named = rules.reduce(0) { $0 + ($1[key]?.arrayValue?.count ?? 0) }
            guard named <= SchedulingLimits.maxWeeklyReferences else {
                throw AppError.invalidParams(
                    field: "rules",
                    reason: "name \(named) \(key == "location_ids" ? "locations" : "services") in all, past the \(SchedulingLimits.maxWeeklyReferences) weekly hours may name (each window's \(key) added up); use fewer, longer windows")
            }
        }
        return rules
    }

    /// The windows, each checked in turn: it ends after it starts, at offered locations, for
    /// services the expert offers (hours for another could never be booked). The first fault
    /// met is the one named.
    public static func check(_ given: [JSON], facts: WeeklyHoursFacts) throws -> [WeeklyRule] {
        var rules: [WeeklyRule] = []
        for (i, json) in given.enumerated() {
            guard let weekday = json["weekday"]?.intValue, let start = json["start"]?.stringValue.flatMap(LocalTimeOfDay.init),
                let end = json["end"]?.stringValue.flatMap(LocalTimeOfDay.init)
            else { throw AppError.invalidParams(field: "rules[\(i)]", reason: "must give weekday, start and end") }
            guard start < end else { throw AppError.invalidParams(field: "rules[\(i)].end", reason: "must be after start") }
            let r = try WeeklyRule(
                weekday: Int(weekday), start: start, end: end, locationIds: (json["location_ids"]?.arrayValue ?? []).compactMap(\.stringValue),
                serviceIds: json["service_ids"]?.arrayValue?.compactMap(\.stringValue))
            rules.append(r)
            try LocationFacts.requireOffered(r.locationIds, known: facts.locations, field: "rules[\(i)].location_ids")
            for (j, id) in (r.serviceIds ?? []).enumerated() {
                guard let service = facts.services[id] else { throw AppError.notFound("service", id) }
                guard service.offered else {
                    // Another expert's own service is theirs alone; a generic one takes a certification.
                    let remedy = service.kind == .expertSpecific ? "it is another expert's own service; leave it out" : "certify them in it first (service.certify), or leave it out"
                    throw AppError.invalidParams(field: "rules[\(i)].service_ids[\(j)]", reason: "is \(service.name), which this expert does not offer: \(remedy)")
                }
            }
        }
        return rules
    }

    /// New hours stop new bookings outside them; the meetings already made stay. These are the
    /// expert's meetings still to come (agreed or awaiting an answer, the soonest `atMost`) whose
    /// time the new weekly `hours` and the one-off free periods no longer hold at their place for
    /// their service, so the expert is told of them, as a block tells of the meetings within it.
    /// The hours alone are asked: not the meetings themselves, nor blocked periods.
    public static func meetingsOutsideHours(_ hours: ExpertAvailability, facts: WeeklyHoursFacts, atMost: Int) -> (ids: [String], checkedAll: Bool) {
        let upcoming = facts.upcoming.prefix(atMost), checkedAll = facts.upcoming.count <= atMost
        var hours = hours
        hours.free = facts.upcomingFree
        return (upcoming.filter { !isAvailable(hours, serviceId: $0.serviceId, start: $0.start, end: $0.end, locationId: $0.locationId) }.map(\.id), checkedAll)
    }
}
