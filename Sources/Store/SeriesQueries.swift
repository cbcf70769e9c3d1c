import Community
import Core
import Meetings
import Postgres

/// Weekly series: their locks, reads and rows.
public enum SeriesQueries {
    /// The locks of a step on one series: the key, its parties, its row, its open meetings, the
    /// wallet, then its service and location, shared (an occurrence is booked there).
    public static func lock(communityId: String, seriesId: String, keySubject: String?) -> Statement {
        Statement(
            "SELECT ml_lock_series($1, $2, $3, $4, $5, $6, $7)",
            [communityId, seriesId, keySubject, LockClass.idempotencyKey.rawValue, LockClass.userBookings.rawValue,
             LockClass.expertCalendar.rawValue, LockClass.catalogEntry.rawValue])
    }

    /// A series' context (`seriesId`), or a new series' (its parties, service and location), from `from`.
    public static func context(
        communityId: String, testClock: Bool, seriesId: String?, serviceId: String? = nil, userId: String? = nil, expertId: String? = nil,
        locationId: String? = nil, from: Instant? = nil, studentId: String? = nil
    ) -> SQLCall {
        SQLCall(
            "ml_series_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(seriesId, "text"), .init(serviceId, "text"), .init(userId, "text"),
             .init(expertId, "text"), .init(locationId, "text"), .init(from, "timestamptz"), .init(studentId, "text")])
    }

    /// One series with its skips and occurrences (`ml_series_json`), for reading.
    public static func series(communityId: String, seriesId: String) -> Statement {
        Statement("SELECT ml_series_json($1, $2) AS series", [communityId, seriesId])
    }

    /// A page of one person's series (as user or expert), in id order, each as `series` reads it.
    /// `status` is as read (`Series.status(at:)`): active, finished (active in the row, its last
    /// date ended on the community's clock) or cancelled.
    public static func list(communityId: String, testClock: Bool, personId: String, status: String?, afterId: String?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT ml_series_json(s.community_id, s.id) AS series FROM series s
            WHERE s.community_id = $1 AND (s.user_id = $2 OR s.expert_id = $2 OR s.student_id = $2)
              AND ($3::text IS NULL OR s.status = CASE $3 WHEN 'finished' THEN 'active' ELSE $3 END
                   AND ($3 = 'cancelled' OR (coalesce(ml_series_ends_at(s) <= ml_now($1, $6), false) = ($3 = 'finished'))))
              AND ($4::text IS NULL OR s.id > $4)
            ORDER BY s.id LIMIT $5
            """, [communityId, personId, status, afterId, limit, testClock])
    }

    public static func decodeContext(_ json: JSON) throws -> SeriesContext {
        let j = StoredJSON(json, path: "context")
        let booking = try BookingContextQuery.decode(j.value["booking"] ?? .null)
        guard let stored = j.field("series") else { return SeriesContext(series: nil, skips: [], occurrences: [], booking: booking) }
        let (series, skips, occurrences) = try decodeSeries(stored)
        return SeriesContext(series: series, skips: skips, occurrences: occurrences, booking: booking)
    }

    /// A series, its skips and occurrences, from `ml_series_json`.
    public static func decodeSeries(_ j: StoredJSON) throws -> (Series, [SeriesSkip], [Meeting]) {
        guard let s = j.field("series") else { throw j.fail("series", "is missing") }
        guard let first = LocalDate(try s.string("first_date")) else { throw s.fail("first_date", "is not a date") }
        var series = Series(
            id: try s.string("id"), userId: try s.string("user_id"), expertId: try s.string("expert_id"), serviceId: try s.string("service_id"),
            locationId: try s.string("location_id"), timeZone: try s.string("time_zone"), firstDate: first,
            localMinutes: Int(try s.int("local_minutes")), lengthMinutes: try s.int("length_minutes"), weeks: try s.optionalInt("weeks"),
            nextIndex: try s.int("next_index"), status: try s.string("status"))
        series.studentId = try s.optionalString("student_id")
        series.endsAt = try s.optionalInstant("ends_at")
        let skips = try j.list("skips").map { k -> SeriesSkip in
            guard let date = LocalDate(try k.string("date")) else { throw k.fail("date", "is not a date") }
            return SeriesSkip(date: date, reason: try k.string("reason"), detail: try k.optionalString("detail"))
        }
        let occurrences = try j.list("occurrences").map(Records.meeting)
        return (series, skips, occurrences)
    }

    static func row(_ s: Series) -> JSON {
        [
            "id": .string(s.id), "user_id": .string(s.userId), "expert_id": .string(s.expertId), "service_id": .string(s.serviceId),
            "location_id": .string(s.locationId), "time_zone": .string(s.timeZone), "first_date": .string(s.firstDate.description),
            "local_minutes": .int(Int64(s.localMinutes)), "length_minutes": .int(s.lengthMinutes), "weeks": .optional(s.weeks),
            "next_index": .int(s.nextIndex), "status": .string(s.status), "student_id": .optional(s.studentId),
        ]
    }

    // MARK: The scheduler

    /// What jobs.run_due locks before it reads: the series with something due (soonest first, at
    /// most `seriesLimit`), their parties, rows and wallets, and the counted bookings of the users
    /// whose requests it may expire (at most `expireLimit`, as its context picks them), then the
    /// series' services and locations, shared (occurrences are booked there); its context reads
    /// exactly those.
    public static func lockDue(communityId: String, testClock: Bool, seriesLimit: Int, expireLimit: Int) -> Statement {
        Statement(
            "SELECT ml_lock_due_series($1, $2, $3, $4, $5, $6, $7, $8)",
            [communityId, testClock, seriesLimit, LockClass.jobs.rawValue, LockClass.userBookings.rawValue, LockClass.expertCalendar.rawValue,
             expireLimit, LockClass.catalogEntry.rawValue])
    }

    public static func jobsContext(communityId: String, testClock: Bool, expireLimit: Int, seriesLimit: Int, upcomingLimit: Int) -> SQLCall {
        SQLCall(
            "ml_jobs_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(expireLimit, "integer"), .init(seriesLimit, "integer"),
             .init(upcomingLimit, "integer")])
    }

    /// An agreed meeting starting soon, for reminders.
    public struct Upcoming: Sendable {
        public let meetingId: String
        public let userId: String
        /// The student the meeting is for, who comes to it (nil: the user themself).
        public let studentId: String?
        public let expertId: String
        public let start: Instant
        public let videoURL: String?
        /// Dedupe keys of the reminders already queued for it.
        public let queued: Set<String>
    }

    public struct JobsContext: Sendable {
        public let now: Instant
        public let settings: CommunitySettings
        public let due: [Meeting]
        public let upcoming: [Upcoming]
        public let series: [SeriesContext]
    }

    public static func decodeJobs(_ json: JSON) throws -> JobsContext {
        let j = StoredJSON(json, path: "context")
        return JobsContext(
            now: try j.instant("now"), settings: try SettingsMemo.settings(stored: j.value["settings"] ?? [:]),
            due: try j.list("due").map(Records.meeting),
            upcoming: try j.list("upcoming").map {
                Upcoming(
                    meetingId: try $0.string("id"), userId: try $0.string("user_id"), studentId: try $0.optionalString("student_id"),
                    expertId: try $0.string("expert_id"), start: try $0.instant("start"),
                    videoURL: try $0.optionalString("video_url"), queued: Set(try $0.strings("queued")))
            },
            series: try j.list("series").map { try decodeContext($0.value) })
    }
}

extension WriteSet {
    /// Records a series step: the series row (new or changed) and its new skip dates.
    public mutating func add(_ change: SeriesChange) {
        let row = SeriesQueries.row(change.series)
        if change.isNew { seriesNew.append(row) } else { seriesChanged.append(row) }
        seriesSkips += change.skips.map { k in
            ["series_id": .string(change.series.id), "skip_date": .string(k.date.description), "reason": .string(k.reason),
             "detail": .optional(k.detail), "actor_id": .optional(k.actorId)]
        }
    }
}
