import Community
import Core
import Scheduling

/// A person as the meeting rules see them.
public struct PersonFacts: Sendable, Equatable {
    public var id: String
    public var email: String
    public var firstName: String
    public var lastName: String
    public var roles: Set<Role>
    public var timeZone: String
    public var suspendedUntil: Instant?

    public init(
        id: String, email: String, firstName: String, lastName: String, roles: Set<Role>, timeZone: String, suspendedUntil: Instant? = nil
    ) {
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.roles = roles
        self.timeZone = timeZone
        self.suspendedUntil = suspendedUntil
    }

    public var fullName: String { firstName + " " + lastName }
    public func has(_ role: Role) -> Bool { roles.contains(role) }

    /// The person, where `field` must name one with `role` (-32602 on `field` otherwise).
    @discardableResult
    public func requiring(_ role: Role, field: String) throws -> PersonFacts {
        guard has(role) else { throw AppError.invalidParams(field: field, reason: "must be a person with the \(role.rawValue) role") }
        return self
    }

    /// The person as the API answers them (`person.get`, `person.create`, `person.update`).
    public var json: JSON {
        [
            "id": .string(id), "email": .string(email), "first_name": .string(firstName), "last_name": .string(lastName),
            "roles": .array(roles.map(\.rawValue).sorted().map { .string($0) }), "time_zone": .string(timeZone),
            "suspended_until": .optional(suspendedUntil?.rfc3339),
        ]
    }
}

/// A service as the meeting rules see it.
public struct ServiceFacts: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case generic
        case expertSpecific = "expert_specific"
    }

    public var id: String
    public var name: String
    public var kind: Kind
    /// The expert an expert-specific service belongs to.
    public var expertId: String?
    public var defaultLengthMinutes: Int64
    /// The price of one meeting of the default length.
    public var priceCredits: Int64
    public var skills: [String]
    public var agendaQuestions: [String]
    public var active: Bool

    public init(
        id: String, name: String, kind: Kind, expertId: String?, defaultLengthMinutes: Int64, priceCredits: Int64, skills: [String] = [],
        agendaQuestions: [String] = [], active: Bool = true
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.expertId = expertId
        self.defaultLengthMinutes = defaultLengthMinutes
        self.priceCredits = priceCredits
        self.skills = skills
        self.agendaQuestions = agendaQuestions
        self.active = active
    }
}

public struct LocationFacts: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: String
    /// False once retired (`location.update`): no meeting is booked there or moved to it.
    public var active: Bool

    public init(id: String, name: String, kind: String, active: Bool = true) {
        self.id = id
        self.name = name
        self.kind = kind
        self.active = active
    }

    /// Why a retired location is refused where new hours, periods or searches name it.
    public static func retiredReason(_ name: String) -> String {
        "names \(name), a retired location: nothing is booked there any more; an admin offers it again with location.update (meetctl location set --location LOCATION --restore)"
    }

    /// Locations that exist (`known`: those of `ids` found) and are offered, where new hours or
    /// periods name them: -32602 on `field` otherwise, a retired one named by the first name.
    public static func requireOffered(_ ids: [String], known: [String: LocationFacts], field: String) throws {
        guard ids.allSatisfy({ known[$0] != nil }) else { throw AppError.invalidParams(field: field, reason: "names a location that does not exist") }
        if let retired = ids.compactMap({ known[$0] }).filter({ !$0.active }).map(\.name).sorted().first {
            throw AppError.invalidParams(field: field, reason: retiredReason(retired))
        }
    }
}

/// Another meeting's time, for overlaps and counts.
public struct MeetingSlot: Sendable, Equatable {
    public var meetingId: String
    public var start: Instant
    public var end: Instant

    public init(meetingId: String, start: Instant, end: Instant) {
        self.meetingId = meetingId
        self.start = start
        self.end = end
    }

    public func overlaps(start s: Instant, end e: Instant) -> Bool { start < e && s < end }
}

/// Everything a meeting decision reads, loaded in one statement after the locks that keep it
/// true until the decision is applied: the meeting (if any), the people, service and location,
/// the community's settings, and the expert's calendar and the user's bookings around every
/// time the decision may involve.
public struct BookingContext: Sendable {
    public var now: Instant
    public var settings: CommunitySettings
    public var communityName: String
    public var meeting: Meeting?
    public var service: ServiceFacts?
    public var user: PersonFacts?
    public var expert: PersonFacts?
    /// The student the meeting is for (asked for, or the meeting's), and whether the user is
    /// linked to them (acts for them).
    public var student: PersonFacts?
    public var studentLinked: Bool
    /// The customers linked to the learner (the student, else the user; oldest link first), read
    /// for a meeting's steps: each is told of the learner's suspension.
    public var learnerCustomerIds: [String]
    /// The weekly series the meeting is an occurrence of, with its open occurrences from the
    /// meeting on (what cancelling it reaches); no skips.
    public var series: Series?
    public var seriesSkips: [SeriesSkip]
    public var seriesOccurrences: [Meeting]
    /// Every location the decision may name (the meeting's and the one asked for), and every
    /// retired one (hours kept there offer no time), by id.
    public var locations: [String: LocationFacts]
    /// The expert is certified for the service (or it is their own expert-specific service).
    public var certified: Bool
    /// The person the meeting is for (the student, or else the user) is assigned to the service
    /// or the expert.
    public var enrolled: Bool
    /// The user's wallet: credits available to hold (locked before this was read).
    public var walletAvailable: Int64
    /// The expert's weekly rules and one-off periods near the times of interest.
    public var expertTimeZone: String
    public var weeklyRules: [WeeklyRule]
    public var freePeriods: [FreePeriod]
    public var blockedPeriods: [BlockedPeriod]
    /// The expert's meetings that take their time (`occupies`): agreed, or requested with credits
    /// held where a request holds its slot, whether or not the expert accepted an overlap on them
    /// (the no-double-booking constraint lets only that accepted overlap stand).
    public var occupying: [MeetingSlot]
    /// The expert's agreed meetings (whether or not a conflict was accepted on them).
    public var agreed: [MeetingSlot]
    /// The user's meetings that count toward the weekly usage limit.
    public var userBookings: [MeetingSlot]
    /// The learner's (the student's, else the user's) agreed meetings as the expert of other
    /// meetings: a person with both roles attends those then.
    public var learnerAgreedAsExpert: [MeetingSlot]
    /// The expert's past agreed meetings that are not logged yet.
    public var unloggedMeetingIds: [String]
    /// The user's no-shows inside the community's no-show window.
    public var recentNoShows: Int64

    public init(now: Instant, settings: CommunitySettings) {
        self.now = now
        self.settings = settings
        self.communityName = ""
        self.meeting = nil
        self.service = nil
        self.user = nil
        self.expert = nil
        self.student = nil
        self.studentLinked = false
        self.learnerCustomerIds = []
        self.series = nil
        self.seriesSkips = []
        self.seriesOccurrences = []
        self.locations = [:]
        self.certified = false
        self.enrolled = false
        self.walletAvailable = 0
        self.expertTimeZone = "UTC"
        self.weeklyRules = []
        self.freePeriods = []
        self.blockedPeriods = []
        self.occupying = []
        self.agreed = []
        self.userBookings = []
        self.learnerAgreedAsExpert = []
        self.unloggedMeetingIds = []
        self.recentNoShows = 0
    }

    /// The expert's availability, leaving out the meeting being decided (its own time never
    /// stands in its way). Every agreed meeting and every request holding its slot takes its time
    /// out of availability (SPEC §5.3), including one whose overlap the expert accepted. With
    /// `start`…`end`, only the meetings overlapping that time are listed (all a check of that
    /// time reads): an expert's thousands of meetings are compared, not copied and hashed, at
    /// each date a series books.
    public func availability(excluding meetingId: String?, overlapping start: Instant? = nil, _ end: Instant? = nil) -> ExpertAvailability {
        var seen = Set<String>()
        let within: (MeetingSlot) -> Bool = { slot in
            guard let start, let end else { return true }
            return slot.overlaps(start: start, end: end)
        }
        let busy = (occupying.filter(within) + agreed.filter(within)).filter { $0.meetingId != meetingId && seen.insert($0.meetingId).inserted }
        return ExpertAvailability(
            expertId: expert?.id ?? "", timeZone: expertTimeZone, weekly: weeklyRules, free: freePeriods, blocked: blockedPeriods,
            busy: busy.map { BusyPeriod(start: $0.start, end: $0.end) })
    }
}
