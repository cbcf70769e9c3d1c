import Community
import Core
import Meetings
import Postgres
import Scheduling

/// The one read of a meeting step (`ml_booking_context`): everything `MeetingDecider` needs,
/// as one JSON document.
public enum BookingContextQuery {
    /// Ids left nil are taken from the meeting; `from`…`to` is the time the step may book, on
    /// top of the meeting's own and alternate times (`to` nil: the service's default length).
    public static func call(
        communityId: String, testClock: Bool, meetingId: String? = nil, serviceId: String? = nil, userId: String? = nil, expertId: String? = nil,
        locationIds: [String] = [], from: Instant? = nil, to: Instant? = nil, studentId: String? = nil
    ) -> SQLCall {
        SQLCall(
            "ml_booking_context",
            [
                .init(communityId, "text"), .init(testClock, "boolean"), .init(meetingId, "text"), .init(serviceId, "text"), .init(userId, "text"),
                .init(expertId, "text"), .init(PostgresTextArray(locationIds), "text[]"), .init(from, "timestamptz"), .init(to, "timestamptz"),
                .init(studentId, "text"),
            ])
    }

    public static func decode(_ json: JSON) throws -> BookingContext {
        let j = StoredJSON(json, path: "context")
        let settings = try SettingsMemo.settings(stored: j.field("settings")?.value ?? [:])
        var c = BookingContext(now: try j.instant("now"), settings: settings)
        c.communityName = try j.optionalString("community_name") ?? ""
        c.meeting = try j.field("meeting").map(Records.meeting)
        c.service = try j.field("service").map(Records.service)
        c.user = try j.field("user").map(Records.person)
        c.expert = try j.field("expert").map(Records.person)
        c.student = try j.field("student").map(Records.person)
        c.studentLinked = j.has("student_linked") ? try j.bool("student_linked") : false
        c.learnerCustomerIds = j.has("learner_customers") ? try j.strings("learner_customers") : []
        if let stored = j.field("series") {
            let (series, skips, occurrences) = try SeriesQueries.decodeSeries(stored)
            (c.series, c.seriesSkips, c.seriesOccurrences) = (series, skips, occurrences)
        }
        for l in try j.list("locations") {
            let location = try Records.location(l)
            c.locations[location.id] = location
        }
        c.certified = try j.bool("certified")
        c.enrolled = try j.bool("enrolled")
        c.walletAvailable = try j.optionalInt("wallet_available") ?? 0
        if let schedule = j.field("schedule") {
            c.expertTimeZone = try schedule.string("time_zone")
            c.weeklyRules = try Records.weeklyRules(schedule.value["rules"] ?? [])
        }
        (c.freePeriods, c.blockedPeriods) = try Records.availabilityPeriods(try j.list("periods"))
        for m in try j.list("expert_meetings") {
            let slot = MeetingSlot(meetingId: try m.string("id"), start: try m.instant("start"), end: try m.instant("end"))
            if try m.bool("occupies") { c.occupying.append(slot) }
            if try m.string("status") == MeetingStatus.agreed.rawValue { c.agreed.append(slot) }
        }
        c.userBookings = try j.list("user_bookings").map {
            MeetingSlot(meetingId: try $0.string("id"), start: try $0.instant("start"), end: try $0.instant("end"))
        }
        c.learnerAgreedAsExpert = try (j.has("learner_expert_meetings") ? j.list("learner_expert_meetings") : []).map {
            MeetingSlot(meetingId: try $0.string("id"), start: try $0.instant("start"), end: try $0.instant("end"))
        }
        c.unloggedMeetingIds = try j.strings("unlogged")
        c.recentNoShows = try j.int("recent_no_shows")
        return c
    }
}
