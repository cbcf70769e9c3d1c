import Community
import Core
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// Time-driven work, run by a scheduler calling `jobs.run_due`: expiring requests whose start
/// passed, queueing reminders exactly once per meeting as it stands, and booking series
/// occurrences as the horizon moves. One command like any other: the due series' parties are
/// locked, everything due is read in one statement, decided here, applied in one.
public enum JobsUseCases {
    static let maxExpiredPerRun = 500
    static let maxSeriesPerRun = 200
    /// Meetings with a reminder due and not queued yet, read by one run (the soonest first).
    static let maxUpcomingPerRun = 5000

    public static func runDue() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in
                scope.keyLock
                    + [SeriesQueries.lockDue(communityId: scope.communityId, testClock: scope.testClock, seriesLimit: maxSeriesPerRun, expireLimit: maxExpiredPerRun)]
            },
            context: { scope, _ in
                SeriesQueries.jobsContext(
                    communityId: scope.communityId, testClock: scope.testClock, expireLimit: maxExpiredPerRun, seriesLimit: maxSeriesPerRun,
                    upcomingLimit: maxUpcomingPerRun)
            },
            decide: { ctx, json, _ in
                guard let json else { throw AppError.internalError() }
                let jobs = try SeriesQueries.decodeJobs(json)
                var base = BookingContext(now: jobs.now, settings: jobs.settings)
                base.communityName = ""
                var expired: [MeetingChange] = []
                var alternatesClosed = 0
                for m in jobs.due {
                    var c = base
                    c.meeting = m
                    expired.append(try MeetingDecider.act(c, by: nil, .init(command: .expire)))
                    if m.state.status == .agreed { alternatesClosed += 1 }
                }
                var writes = MeetingWrites.writeSet(ctx, base, expired, by: .system)
                let (reminders, links) = queueReminders(jobs, into: &writes)
                var occurrences = 0
                var notBooked = 0
                var shared = SharedBookings()
                // Holds the expiries above release are the users' again for the series below.
                shared.released(expired)
                for series in jobs.series {
                    var booking = shared.applied(to: series.booking)
                    guard let change = SeriesDecider.due(series, booking: &booking) else { continue }
                    shared.record(change.meetings)
                    occurrences += change.meetings.count
                    let listedBefore = Set(series.skips.filter(\.isNotBooked).map(\.date))
                    notBooked += Set(change.skips.filter { $0.isNotBooked && !listedBefore.contains($0.date) }.map(\.date)).count
                    var step = MeetingWrites.writeSet(ctx, series.booking, change.meetings, by: .system)
                    step.add(change)
                    step.outbox += notBookedNotices(change) + bookedAfterAllNotices(change, listedNotBooked: listedBefore)
                    writes.merge(step)
                }
                return Outcome(
                    response: ["requests_expired": .int(expired.count - alternatesClosed), "alternates_closed": .int(alternatesClosed), "reminders_queued": .int(reminders), "links_queued": .int(links),
                               "series_occurrences_created": .int(occurrences), "series_dates_not_booked": .int(Int64(notBooked))],
                    apply: writes.call)
            },
            translate: MeetingWrites.translate)
    }

    /// A date the user was told could not be booked, booked now (their credits came, the
    /// expert's time freed) and waiting for the expert: the user is told, as nothing else tells
    /// them (the expert is asked as for any request; agreed at once, both are told so).
    static func bookedAfterAllNotices(_ change: SeriesChange, listedNotBooked: Set<LocalDate>) -> [OutboxMessage] {
        let s = change.series
        return change.meetings.compactMap { booked -> OutboxMessage? in
            let m = booked.after
            guard let date = m.occurrenceDate, listedNotBooked.contains(date), m.state.status == .awaitingApproval else { return nil }
            return OutboxMessage(
                kind: "series_date_booked", channel: "notification", recipientId: s.userId, meetingId: m.id, eventId: nil,
                payload: .object(seriesDate(s, date: date, start: m.state.start, role: "user").merging(
                    ["held_credits": .int(m.state.priceCredits), "told": ["user"]]) { _, added in added }),
                dedupeKey: "series_date_booked:\(s.id):\(date):\(m.state.start.rfc3339)")
        }
    }

    /// What a notice of one of a series' dates says to `role`'s side: which series and date, and
    /// whose session and of what, for the words (an expert has several series).
    static func seriesDate(_ s: Series, date: LocalDate, start: Instant, role: String) -> [String: JSON] {
        [
            "series_id": .string(s.id), "date": .string(date.description), "start": .string(start.rfc3339), "recipient_role": .string(role),
            "counterpart_id": .string(role == "user" ? s.expertId : s.userId), "service_id": .string(s.serviceId), "for_student": .bool(s.studentId != nil),
        ]
    }

    /// Both parties of a series are told of a date it could not book when its turn came (the
    /// user with the detail, such as their balance); once per date and person.
    static func notBookedNotices(_ change: SeriesChange) -> [OutboxMessage] {
        change.skips.filter(\.isNotBooked).flatMap { skip -> [OutboxMessage] in
            guard let start = change.series.start(on: skip.date) else { return [] }
            let s = change.series
            return [(s.userId, "user"), (s.expertId, "expert")].map { recipient, role in
                OutboxMessage(
                    kind: "series_date_not_booked", channel: "notification", recipientId: recipient, meetingId: nil, eventId: nil,
                    payload: .object(seriesDate(s, date: skip.date, start: start, role: role).merging([
                        "reason": .string(skip.reason), "detail": role == "user" ? .optional(skip.detail) : .null,
                        // Both sides are told: the office is copied once, on the user's.
                        "told": ["user", "expert"],
                    ]) { _, added in added }),
                    dedupeKey: "series_date_not_booked:\(change.series.id):\(skip.date):\(recipient)")
            }
        }
    }

    /// One reminder per agreed meeting, start time and reader: the dedupe key holds the start,
    /// so a moved meeting is reminded of its new time, and one already queued is not queued
    /// again. The user is reminded (a student booked for too, who comes to it), the expert sent
    /// the link.
    static func queueReminders(_ jobs: SeriesQueries.JobsContext, into writes: inout WriteSet) -> (reminders: Int, links: Int) {
        let userLead = jobs.now.adding(minutes: jobs.settings.reminderUserHours * 60)
        let expertLead = jobs.now.adding(minutes: jobs.settings.reminderExpertMinutes)
        var counts = (reminders: 0, links: 0)
        for m in jobs.upcoming {
            let student = m.studentId.map { [("meeting_reminder", $0, "student", userLead)] } ?? []
            for (kind, recipient, role, lead) in [("meeting_reminder", m.userId, "user", userLead)] + student + [("meeting_link", m.expertId, "expert", expertLead)] {
                // The user's and the expert's keys as they always were; the student's names them.
                let key = "\(kind):\(m.meetingId):\(m.start.rfc3339)" + (role == "student" ? ":student" : "")
                guard m.start <= lead, !m.queued.contains(key) else { continue }
                writes.outbox.append(OutboxMessage(
                    kind: kind, channel: "notification", recipientId: recipient, meetingId: m.meetingId, eventId: nil,
                    payload: ["meeting_id": .string(m.meetingId), "start": .string(m.start.rfc3339), "recipient_role": .string(role),
                              "video_url": .optional(m.videoURL)],
                    dedupeKey: key))
                if kind == "meeting_reminder" { counts.reminders += 1 } else { counts.links += 1 }
            }
        }
        return counts
    }
}

/// What series booked earlier in one scheduler run take from the experts' time and the users'
/// credits, and what the run's expiries gave back, so later series (sharing an expert or a
/// user, or a person who is the user of one and the expert of another) see it: the contexts were
/// all read before the run decided anything.
struct SharedBookings {
    var expertSlots: [String: [MeetingSlot]] = [:]
    /// Agreed meetings by their expert: the expert's time, and a learner's time as the expert of
    /// another meeting (a person with both roles).
    var expertAgreed: [String: [MeetingSlot]] = [:]
    /// Agreed meetings by the one they are for (the student, else the user): time that person,
    /// as the expert of another series, attends then (as the booking context reads it).
    var attendeeAgreed: [String: [MeetingSlot]] = [:]
    /// By learner (the student a meeting is for, else its user), as the weekly limit counts.
    var userSlots: [String: [MeetingSlot]] = [:]
    /// By the user whose wallet pays.
    var userCredits: [String: Int64] = [:]
    /// Meetings the run ended (an expired request): they hold no time and count in no week now.
    var ended: Set<String> = []

    func applied(to c: BookingContext) -> BookingContext {
        var out = c
        if !ended.isEmpty {
            out.occupying.removeAll { ended.contains($0.meetingId) }
            out.agreed.removeAll { ended.contains($0.meetingId) }
            out.userBookings.removeAll { ended.contains($0.meetingId) }
            out.learnerAgreedAsExpert.removeAll { ended.contains($0.meetingId) }
        }
        if let expert = c.expert?.id {
            out.occupying += expertSlots[expert] ?? []
            out.agreed += (expertAgreed[expert] ?? []) + (attendeeAgreed[expert] ?? [])
        }
        if let user = c.user?.id {
            // The week counts the learner's meetings: the student's, whoever booked them.
            let learner = c.student?.id ?? user
            out.userBookings += userSlots[learner] ?? []
            out.learnerAgreedAsExpert += expertAgreed[learner] ?? []
            out.walletAvailable -= userCredits[user] ?? 0
        }
        return out
    }

    /// What changes decided earlier in the run gave back: an expired request's hold, its time and
    /// its place in its week.
    mutating func released(_ changes: [MeetingChange]) {
        for change in changes where ![.awaitingApproval, .agreed].contains(change.after.state.status) {
            ended.insert(change.after.id)
            guard let before = change.before, before.state.creditStatus == .blocked, change.after.state.creditStatus != .blocked else { continue }
            userCredits[change.after.userId, default: 0] -= before.state.heldCredits
        }
    }

    mutating func record(_ changes: [MeetingChange]) {
        for change in changes {
            let m = change.after
            let slot = MeetingSlot(meetingId: m.id, start: m.state.start, end: m.state.end)
            if m.occupiesTime { expertSlots[m.expertId, default: []].append(slot) }
            if m.state.status == .agreed {
                expertAgreed[m.expertId, default: []].append(slot)
                attendeeAgreed[m.studentId ?? m.userId, default: []].append(slot)
            }
            userSlots[m.studentId ?? m.userId, default: []].append(slot)
            if m.state.creditStatus == .blocked { userCredits[m.userId, default: 0] += m.state.heldCredits }
        }
    }
}
