import Core
import Meetings
import Scheduling

/// Meetings an answer tells of in passing: the soonest (`Listed.atMost`) and how many in all.
public struct ListedMeetings: Sendable, Equatable {
    public let ids: [String]
    public let count: Int64

    public init(ids: [String], count: Int64) {
        self.ids = ids
        self.count = count
    }
}

/// What a one-off period (free or blocked) is decided on, read in one statement once the
/// expert's calendar is locked: the expert and the locations named, as new weekly hours read
/// them, and what the step asks besides.
public struct PeriodFacts: Sendable {
    public var owner: WeeklyHoursFacts
    /// Read for a block: the expert's agreed meetings and open requests in the period, or whose
    /// open new date lies in it.
    public var meetingsWithin: ListedMeetings?
    /// Read for the removal of one period by id: whether it is the expert's.
    public var periodIsTheirs: Bool?

    public init(owner: WeeklyHoursFacts, meetingsWithin: ListedMeetings?, periodIsTheirs: Bool?) {
        self.owner = owner
        self.meetingsWithin = meetingsWithin
        self.periodIsTheirs = periodIsTheirs
    }
}

/// `availability.add_free`, `availability.block` and `availability.remove`: the caller, as for
/// weekly hours (`WeeklyHoursRules.requireOwner`), the period's times and places, and which
/// period a removal names.
public enum PeriodRules {
    /// A period ends after it starts and lasts at most as long as a search may cover.
    public static func checkTimes(start: Instant, end: Instant) throws {
        guard end > start else { throw AppError.invalidParams(field: "end", reason: "must be after start") }
        guard start.minutes(until: end) <= SchedulingLimits.maxRangeDays * 24 * 60 else {
            throw AppError.invalidParams(field: "end", reason: "must be at most \(SchedulingLimits.maxRangeDays) days after start")
        }
    }

    /// The periods a removal names by their times lie within a range that ends after it starts:
    /// one reversed or empty would remove nothing and say so as if none were there.
    public static func checkRemovalRange(start: Instant, end: Instant) throws {
        guard end > start else { throw AppError.invalidParams(field: "end", reason: "must be after start") }
    }

    /// A free period's places exist and are offered (a blocked one names none).
    public static func checkLocations(_ ids: [String], facts: PeriodFacts) throws {
        guard !ids.isEmpty else { return }
        try LocationFacts.requireOffered(ids, known: facts.owner.locations, field: "location_ids")
    }

    /// The period named for removal is the expert's: another expert's is not theirs to remove,
    /// whether or not it exists, and is not found either way.
    public static func requireTheirs(periodId: String, expertId: String, facts: PeriodFacts) throws {
        guard facts.periodIsTheirs == true else {
            throw AppError.notFound("availability period", periodId, saying: "expert \(expertId) has no availability period \(periodId); availability.get lists their periods")
        }
    }
}
