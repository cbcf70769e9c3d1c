import Community
import Core
import Scheduling

/// A weekly 1:1 series (seeds 000, 001): occurrences on the same local weekday and time in the
/// expert's zone (so a daylight-saving change keeps the wall-clock time), each a meeting holding
/// its own credits, created ahead up to the community's horizon.
public struct Series: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var expertId: String
    public var serviceId: String
    public var locationId: String
    public var timeZone: String
    public var firstDate: LocalDate
    public var localMinutes: Int
    public var lengthMinutes: Int64
    public var weeks: Int64?
    /// The index of the next date not yet considered for booking.
    public var nextIndex: Int64
    public var status: String
    /// The student its meetings are for (nil: its user themself).
    public var studentId: String? = nil
    /// What the user wants to work through and their answers to the service's agenda questions,
    /// given when it was booked and carried by every occurrence (seed 001: each invitation has
    /// them), with the questions the answers answer as the service asked them then (nil: the
    /// first date was booked before meetings kept them). Kept on the occurrences, read back from
    /// its first one.
    public var topic: String? = nil
    public var agendaAnswers: [String] = []
    public var agendaQuestions: [String]? = nil

    public init(
        id: String, userId: String, expertId: String, serviceId: String, locationId: String, timeZone: String, firstDate: LocalDate,
        localMinutes: Int, lengthMinutes: Int64, weeks: Int64?, nextIndex: Int64, status: String
    ) {
        self.id = id
        self.userId = userId
        self.expertId = expertId
        self.serviceId = serviceId
        self.locationId = locationId
        self.timeZone = timeZone
        self.firstDate = firstDate
        self.localMinutes = localMinutes
        self.lengthMinutes = lengthMinutes
        self.weeks = weeks
        self.nextIndex = nextIndex
        self.status = status
    }

    /// When its last date ends, or a later occurrence still open (one moved past it), as the
    /// database reads it (`ml_series_ends_at`, the one place that computes it); nil for a series
    /// until cancelled, and for one not read back (a new series, which is never finished).
    public var endsAt: Instant? = nil

    public var isActive: Bool { status == "active" }

    /// The statuses a series reads as (`status(at:)`).
    public static let readStatuses = ["active", "finished", "cancelled"]

    /// Finished: active in the row, but its last date has ended; nothing is left to book, skip or
    /// cancel.
    public func isFinished(at now: Instant) -> Bool { isActive && endsAt.map { $0 <= now } == true }

    /// The status as the series reads at `now`.
    public func status(at now: Instant) -> String { isFinished(at: now) ? "finished" : status }

    public func date(_ index: Int64) -> LocalDate { firstDate.adding(days: 7 * index) }

    /// The occurrence's start on `date`; nil when the series' zone is unknown here.
    public func start(on date: LocalDate) -> Instant? { Self.start(on: date, at: localMinutes, in: timeZone) }

    /// A weekly time's start on `date` on the clock of `timeZone`.
    static func start(on date: LocalDate, at localMinutes: Int, in timeZone: String) -> Instant? {
        guard date <= .latestSupported else { return nil }
        return ZoneClock(identifier: timeZone)?.instant(on: date, at: LocalTimeOfDay(minutes: localMinutes))
    }

    /// The index of `date` in the series, if it is one of its dates.
    public func index(of date: LocalDate) -> Int64? {
        let days = date.day - firstDate.day
        guard days >= 0, days % 7 == 0 else { return nil }
        let i = days / 7
        if let weeks, i >= weeks { return nil }
        return i
    }

    /// The series with the topic and answers it was booked with, as its first occurrence keeps
    /// them (the series row does not).
    public func withDetails(of occurrences: [Meeting]) -> Series {
        guard let first = occurrences.min(by: { ($0.occurrenceDate?.day ?? .max) < ($1.occurrenceDate?.day ?? .max) }) else { return self }
        var s = self
        s.topic = first.topic
        s.agendaAnswers = first.agendaAnswers
        s.agendaQuestions = first.agendaQuestions
        return s
    }

    /// Whether the series has a date at `index`.
    func has(_ index: Int64) -> Bool { weeks.map { index < $0 } ?? true }
}

/// A date of a series that has no meeting: skipped by a party, or not bookable when its turn
/// came. `reason` is shown to both parties; `detail` (figures such as the user's balance) only
/// to the user and staff.
public struct SeriesSkip: Sendable, Equatable {
    public var date: LocalDate
    public var reason: String
    public var detail: String?
    public var actorId: String?

    public init(date: LocalDate, reason: String, detail: String? = nil, actorId: String? = nil) {
        self.date = date
        self.reason = reason
        self.detail = detail
        self.actorId = actorId
    }

    /// How the reason of a date the scheduler could not book begins: such a date is tried again
    /// while it is ahead, and stops being a skip date once booked (migration 0058).
    public static let notBookedPrefix = "not booked"

    /// The reason of a date whose time passed before the series came to book it (the scheduler
    /// not run for longer than the horizon, or the clock jumping ahead): listed and told, as any
    /// date not booked, and tried again should it be ahead again (a clock set back).
    public static let passedReason = notBookedPrefix + ": its time had passed before the series came to book it"

    /// A date the series could not book (credits, the expert's time), not one a party skipped.
    public var isNotBooked: Bool { reason.hasPrefix(Self.notBookedPrefix) }
}

/// What a series step reads: the series, its skips and occurrences, and the booking context of
/// its parties over the time its bookings may fall in.
public struct SeriesContext: Sendable {
    public var series: Series?
    public var skips: [SeriesSkip]
    public var occurrences: [Meeting]
    public var booking: BookingContext

    public init(series: Series?, skips: [SeriesSkip], occurrences: [Meeting], booking: BookingContext) {
        self.series = series?.withDetails(of: occurrences)
        self.skips = skips
        self.occurrences = occurrences
        self.booking = booking
    }
}

/// Everything one series step changes.
public struct SeriesChange: Sendable {
    public var series: Series
    public var isNew: Bool
    public var skips: [SeriesSkip] = []
    public var meetings: [MeetingChange] = []

    public init(series: Series, isNew: Bool) {
        self.series = series
        self.isNew = isNew
    }
}

/// The series rules: booking its occurrences (each through `MeetingDecider.request`, so every
/// booking rule holds), skipping one date, cancelling the rest.
public enum SeriesDecider {
    /// How far ahead a date may be skipped, in days (or the booking horizon and a week, where
    /// that is longer).
    public static let skipDaysAhead: Int64 = 366
    /// Occurrences created per series per step: a bound on the work of one request.
    public static let maxOccurrencesPerStep: Int64 = 60

    public struct CreateInput: Sendable {
        public var userId: String
        public var expertId: String
        public var serviceId: String
        public var locationId: String
        public var firstStart: Instant
        public var weeks: Int64?
        public var lengthMinutes: Int64?
        public var studentId: String?
        public var topic: String?
        public var agendaAnswers: [String]
        /// An admin or the office books the series for the user, who is told of each date booked.
        public var bookedByStaff = false

        public init(
            userId: String, expertId: String, serviceId: String, locationId: String, firstStart: Instant, weeks: Int64?, lengthMinutes: Int64?,
            studentId: String? = nil, topic: String? = nil, agendaAnswers: [String] = []
        ) {
            self.studentId = studentId
            self.topic = topic
            self.agendaAnswers = agendaAnswers
            self.userId = userId
            self.expertId = expertId
            self.serviceId = serviceId
            self.locationId = locationId
            self.firstStart = firstStart
            self.weeks = weeks
            self.lengthMinutes = lengthMinutes
        }
    }

    /// A new series: the first occurrence is the booking asked for (its failure fails the
    /// step); later ones are booked up to the horizon.
    public static func create(_ c: SeriesContext, _ input: CreateInput, ids: IdSource = MeetingDecider.defaultIds) throws -> SeriesChange {
        var booking = c.booking
        guard let service = booking.service else { throw AppError.notFound("service", input.serviceId) }
        _ = try MeetingDecider.parties(booking, userId: input.userId, expertId: input.expertId)
        guard let clock = ZoneClock(identifier: booking.expertTimeZone) else {
            throw AppError.invalidParams(
                field: "expert_id", reason: "the expert's schedule has the zone \"\(booking.expertTimeZone)\" \(TimeZones.refusalReason); set a valid one first")
        }
        let local = clock.local(input.firstStart)
        guard local.date <= .latestSupported else {
            throw AppError.invalidParams(
                field: "first_start",
                reason: "falls on \(local.date) in the expert's zone (\(booking.expertTimeZone)), after \(LocalDate.latestSupported), the last supported date; choose an earlier time")
        }
        let length = input.lengthMinutes ?? service.defaultLengthMinutes
        if let weeks = input.weeks {
            let lastDate = local.date.adding(days: 7 * (weeks - 1))
            guard lastDate <= .latestSupported, clock.instant(on: lastDate, at: local.time).addingWithinRange(minutes: length) != nil else {
                throw AppError.invalidParams(
                    field: "weeks",
                    reason: "puts the last of the \(weeks) weekly dates after \(Instant.latestSupported.rfc3339) (\(LocalDate.latestSupported) in the expert's zone), the last supported time; ask for fewer weeks")
            }
        }
        var change = SeriesChange(
            series: Series(
                id: ids(.series), userId: input.userId, expertId: input.expertId, serviceId: service.id, locationId: input.locationId,
                timeZone: booking.expertTimeZone, firstDate: local.date, localMinutes: local.time.minutes, lengthMinutes: length, weeks: input.weeks,
                nextIndex: 1, status: "active"),
            isNew: true)
        change.series.studentId = input.studentId
        change.series.topic = input.topic
        change.series.agendaAnswers = input.agendaAnswers
        change.series.agendaQuestions = input.agendaAnswers.isEmpty ? nil : service.agendaQuestions
        let first: MeetingChange
        // The first date is the time asked for, on the grid as any request (its later dates are
        // checked at it); its answers are new, and bounded as a request's are.
        var asked = occurrence(change.series, date: local.date, start: input.firstStart, bookedByStaff: input.bookedByStaff)
        asked.gridStart = nil
        try BookingRules.checkAgendaSize(input.agendaAnswers)
        do {
            first = try MeetingDecider.request(booking, asked, ids: ids)
        } catch let error as AppError where error.details["field"] == "start" {
            // The series' param is first_start: a front end maps data.field to its input.
            throw AppError.invalidParams(field: "first_start", reason: error.details["reason"]?.stringValue ?? "is not a time that can be booked")
        }
        record(first, in: &booking)
        change.meetings.append(first)
        bookAhead(&change, &booking, skipped: [], bookedByStaff: input.bookedByStaff, ids: ids)
        return change
    }

    /// Books the series' dates from `nextIndex` up to the horizon, in order, passing over listed
    /// and past dates; a date that cannot be booked is listed as skipped with the reason.
    static func bookAhead(_ change: inout SeriesChange, _ c: inout BookingContext, skipped: Set<LocalDate>, bookedByStaff: Bool = false, ids: IdSource) {
        let horizon = c.settings.horizonEnd(from: c.now)
        var steps: Int64 = 0
        while steps < maxOccurrencesPerStep, change.series.isActive, change.series.has(change.series.nextIndex) {
            let date = change.series.date(change.series.nextIndex)
            guard let start = change.series.start(on: date), start <= horizon,
                start.addingWithinRange(minutes: change.series.lengthMinutes) != nil
            else { break }
            change.series.nextIndex += 1
            steps += 1
            if skipped.contains(date) { continue }
            if start <= c.now {
                passed(&change, date: date, start: start, now: c.now)
                continue
            }
            book(&change, &c, date: date, start: start, beyondHorizon: false, bookedByStaff: bookedByStaff, ids: ids)
        }
    }

    /// Seed 001: once a skip leaves no session ahead, the next date of the series is booked at
    /// once, even past the horizon. Only the next uncreated date qualifies, so no date between
    /// is ever passed over.
    static func bookNextIfNoneAhead(
        _ change: inout SeriesChange, _ c: inout BookingContext, existing: [Meeting], skipped: Set<LocalDate>, bookedByStaff: Bool = false, ids: IdSource
    ) {
        let ahead = (existing + change.meetings.map(\.after)).contains { m in
            [.awaitingApproval, .agreed].contains(m.state.status) && m.state.start > c.now
        }
        guard !ahead else { return }
        for _ in 0..<maxOccurrencesPerStep {
            guard change.series.has(change.series.nextIndex) else { break }
            let date = change.series.date(change.series.nextIndex)
            guard let start = change.series.start(on: date), start.addingWithinRange(minutes: change.series.lengthMinutes) != nil else { break }
            change.series.nextIndex += 1
            if skipped.contains(date) { continue }
            if start <= c.now {
                passed(&change, date: date, start: start, now: c.now)
                continue
            }
            book(&change, &c, date: date, start: start, beyondHorizon: true, bookedByStaff: bookedByStaff, ids: ids)
            break
        }
    }

    /// A date whose time passed before its turn came is not dropped unseen: it is listed as not
    /// booked, and both sides are told (a scheduler stopped for weeks left such weeks out of the
    /// series without a word). Only those of the last `passedListedWeeks` weeks: a clock jumping
    /// years ahead would list (and tell) a date a week, past the series' bound of skip dates.
    static func passed(_ change: inout SeriesChange, date: LocalDate, start: Instant, now: Instant) {
        guard start > now.adding(minutes: -passedListedWeeks * 7 * 24 * 60) else { return }
        change.skips.append(SeriesSkip(date: date, reason: SeriesSkip.passedReason))
    }

    /// How many weeks back a date that passed unbooked is still listed and told.
    public static let passedListedWeeks: Int64 = 8

    static func occurrence(_ s: Series, date: LocalDate, start: Instant, beyondHorizon: Bool = false, bookedByStaff: Bool = false) -> MeetingDecider.RequestInput {
        MeetingDecider.RequestInput(
            serviceId: s.serviceId, expertId: s.expertId, userId: s.userId, start: start, lengthMinutes: s.lengthMinutes, locationId: s.locationId,
            topic: s.topic, agendaAnswers: s.agendaAnswers, agendaQuestions: s.agendaQuestions, seriesId: s.id, occurrenceDate: date, beyondHorizon: beyondHorizon,
            gridStart: s.start(on: s.firstDate), studentId: s.studentId,
            bookedByStaff: bookedByStaff)
    }

    static func book(
        _ change: inout SeriesChange, _ c: inout BookingContext, date: LocalDate, start: Instant, beyondHorizon: Bool, bookedByStaff: Bool = false, ids: IdSource
    ) {
        var input = occurrence(change.series, date: date, start: start, beyondHorizon: beyondHorizon, bookedByStaff: bookedByStaff)
        // A date not booked keeps its refusal for the user to read, whoever booked the series.
        input.refusalReadByUser = true
        // A later date carries the series' answers with the questions they answer, whatever the
        // service asks now (service.update). A series booked before meetings kept their questions
        // carries its answers while the service asks as many, and is booked without them after.
        if input.agendaQuestions == nil, input.agendaAnswers.count != c.service?.agendaQuestions.count { input.agendaAnswers = [] }
        do {
            let booked = try MeetingDecider.request(c, input, ids: ids)
            record(booked, in: &c)
            change.meetings.append(booked)
        } catch let e as AppError {
            // The detail is the user's (their balance, the end of their suspension); a refused
            // param is a caller's words, which the reason already says for people.
            change.skips.append(SeriesSkip(
                date: date, reason: SeriesSkip.notBookedPrefix + ": " + sharedReason(e, c.settings, forStudent: change.series.studentId != nil),
                detail: e.dataCode == "invalid_params" ? nil : e.message))
        } catch {
            change.skips.append(SeriesSkip(date: date, reason: SeriesSkip.notBookedPrefix, detail: "\(error)"))
        }
    }

    /// Why a date was not booked, in words both parties may read and in the community's word for
    /// its users ("the student's credits did not cover it"): never the user's balance, the end
    /// of their suspension or their week's bookings (the user reads those in the detail).
    static func sharedReason(_ e: AppError, _ settings: CommunitySettings, forStudent: Bool = false) -> String {
        let who = "the " + settings.word("user")
        switch e.dataCode {
        case "insufficient_credits": return who + "'s credits did not cover it"
        case "suspended": return (forStudent ? "the student" : who) + " could not book at the time"
        // The limit's words name the learner's other bookings that week (the student's, for one).
        case "usage_limit_reached": return (forStudent ? "the student" : who) + "'s weekly limit of meetings was reached"
        // A customer whose link to the student was removed (the words name the method that links).
        case "invalid_params" where e.details["field"]?.stringValue == "student_id": return "the student is no longer linked to whoever booked the series"
        // Mail is for people: not the method a front end searches with.
        case "slot_unavailable": return e.message.replacingOccurrences(of: AppError.searchHint, with: "")
        default: return e.message
        }
    }

    /// A booking made in this step takes its time and credits from what later bookings see.
    static func record(_ booked: MeetingChange, in c: inout BookingContext) {
        let m = booked.after
        let slot = MeetingSlot(meetingId: m.id, start: m.state.start, end: m.state.end)
        if m.occupiesTime { c.occupying.append(slot) }
        if m.state.status == .agreed { c.agreed.append(slot) }
        c.userBookings.append(slot)
        if m.state.creditStatus == .blocked { c.walletAvailable -= m.state.heldCredits }
    }

    /// A meeting this step ended gives back its time and what its hold returns to the wallet, so
    /// a later booking in the same step sees them (a skip books the next date with the credits
    /// the skipped one released).
    static func release(_ ended: MeetingChange, in c: inout BookingContext) {
        let m = ended.after
        guard [.cancelled, .rejected].contains(m.state.status), let held = ended.before?.state.heldCredits else { return }
        c.occupying.removeAll { $0.meetingId == m.id }
        c.agreed.removeAll { $0.meetingId == m.id }
        c.userBookings.removeAll { $0.meetingId == m.id }
        for move in ended.ledger {
            switch move {
            case .release: c.walletAvailable += held
            case .capture(_, _, let credits, _, _, _): c.walletAvailable += held - credits
            case .hold: break
            }
        }
    }

    /// Who acts on a series: its user, or its expert where allowed, or an admin (for the user).
    public static func actor(_ s: Series, _ person: ActingPerson, expertToo: Bool) throws -> MeetingActor {
        if person.id == s.userId { return .party(.user) }
        if expertToo && person.id == s.expertId { return .party(.expert) }
        if person.has(.admin) { return .party(.user) }
        throw AppError.forbidden(expertToo ? "only the series' user or expert (or an admin) may do this" : "only the series' user (or an admin) may do this")
    }

    /// Who a step on the series is recorded as: an admin acting for its user is the admin.
    public static func recordedActor(_ s: Series, _ person: ActingPerson, expertToo: Bool) throws -> MeetingActor {
        let side = try actor(s, person, expertToo: expertToo)
        return person.id == s.userId || (expertToo && person.id == s.expertId) ? side : .admin
    }

    /// Skips one date (on the day or ahead, one at a time): its occurrence is cancelled, and the
    /// next one is made. A pending occurrence's credits are returned; an agreed one ends by the
    /// cancellation window's terms, as a cancel does (late only with `confirmLate`, a user's late
    /// skip charged).
    public static func skip(
        _ c: SeriesContext, by person: ActingPerson, date: LocalDate, confirmLate: Bool = false, ids: IdSource = MeetingDecider.defaultIds
    ) throws -> SeriesChange {
        guard let s = c.series else { throw AppError.notFound("series", "") }
        let actor = try actor(s, person, expertToo: true)
        var booking = c.booking
        if actor == .party(.expert) { try SessionLogRule.check(booking.settings, unlogged: booking.unloggedMeetingIds) }
        guard s.isActive else { throw AppError(.invalidState, message: "The series is cancelled", details: ["status": "cancelled"]) }
        guard s.index(of: date) != nil else {
            throw AppError.invalidParams(
                field: "date",
                reason: "is not a date of this series (every \(ZoneClock.weekdayNames[s.firstDate.isoWeekday - 1]) from \(s.firstDate)"
                    + (s.weeks.map { " to \(s.date($0 - 1)), \(Counted.words($0, "week"))" } ?? "")
                    + ", dated on the expert's clock, \(s.timeZone): a date on another clock may differ by a day)")
        }
        let today = (ZoneClock(identifier: s.timeZone) ?? ZoneClock(identifier: "UTC")!).local(booking.now).date
        let onDate = c.occurrences.filter { $0.occurrenceDate == date }
        // A session moved to a later day is still skipped by its series date until it starts.
        let movedAhead = onDate.contains { [.awaitingApproval, .agreed].contains($0.state.status) && $0.state.start > booking.now }
        guard date >= today || movedAhead else {
            throw AppError.invalidParams(field: "date", reason: "is in the past; skip today's session or a later one")
        }
        // Every skip date is listed with the series: they are taken a year ahead at most (or as
        // far as the booking horizon, where it is longer, so a date booked may be skipped), so a
        // series' list stays bounded (a thousand skips far ahead passed its documented bound).
        let daysAhead = max(SeriesDecider.skipDaysAhead, booking.settings.horizonDays + 7)
        guard date <= today.adding(days: daysAhead) else {
            throw AppError.invalidParams(field: "date", reason: "is more than \(daysAhead) days ahead; skip it once it is nearer")
        }
        // A date the scheduler could not book may still be skipped: the skip takes its place, and
        // the date is no longer tried again (migration 0072 swaps the two as it is written).
        // Skipped already (by the other side, or by a call that won a race): the date is fine,
        // the series' state refuses it, as a session already ended does.
        guard !c.skips.contains(where: { $0.date == date && !$0.isNotBooked }) else {
            throw AppError(
                .invalidState, message: "\(date) is already a skip date of this series; nothing is left to skip on it",
                details: ["status": "skipped", "date": .string("\(date)")])
        }
        if let ended = onDate.first, !onDate.contains(where: { [.awaitingApproval, .agreed].contains($0.state.status) }) {
            // Seed 001: a session is skipped on its day or ahead; one that already took place or
            // ended another way has nothing left to skip.
            let status = ended.state.status.rawValue
            throw AppError(
                .invalidState, message: "The session of \(date) is already \(status); only a session still to come can be skipped",
                details: ["status": .string(status), "meeting_id": .string(ended.id)])
        }
        var change = SeriesChange(series: s, isNew: false)
        if let m = onDate.first(where: { [.awaitingApproval, .agreed].contains($0.state.status) }) {
            var one = booking
            one.meeting = m
            let skipped = try MeetingDecider.act(one, by: person, .init(command: .skipOccurrence(confirmLate: confirmLate), actingAs: actor), ids: ids)
            release(skipped, in: &booking)
            change.meetings.append(skipped)
        }
        let recorded = try recordedActor(s, person, expertToo: true)
        change.skips.append(SeriesSkip(date: date, reason: "skipped by \(recorded.role)", actorId: person.id))
        let skipped = Set(c.skips.map(\.date) + [date])
        // A date an admin's skip books is the admin's booking for the user, told to them as such.
        let byStaff = recorded == .admin
        // SPEC 5.3: a skip creates the next upcoming occurrence. Dates the series could not book
        // (the user's credits, the expert's time) are tried first with what the skip gave back,
        // as the scheduler tries them; the date skipped is no longer one of them.
        var notBooked = c
        notBooked.skips.removeAll { $0.date == date }
        retryNotBooked(notBooked, &change, &booking, bookedByStaff: byStaff, ids: ids)
        bookAhead(&change, &booking, skipped: skipped, bookedByStaff: byStaff, ids: ids)
        let remaining = c.occurrences.filter { m in !change.meetings.contains { $0.after.id == m.id } } + change.meetings.map(\.after)
        bookNextIfNoneAhead(&change, &booking, existing: remaining, skipped: skipped, bookedByStaff: byStaff, ids: ids)
        return change
    }

    /// Cancels the series and every future occurrence: agreed ones by the cancellation rules
    /// (late ones only with `confirmLate`), pending ones released, each told as a cancellation
    /// with the series' reason.
    public static func cancel(
        _ c: SeriesContext, by person: ActingPerson, reasonCode: String, confirmLate: Bool, ids: IdSource = MeetingDecider.defaultIds
    ) throws -> SeriesChange {
        guard let s = c.series else { throw AppError.notFound("series", "") }
        let actor = try actor(s, person, expertToo: true)
        guard s.isActive else {
            throw AppError(.invalidState, message: "The series is already cancelled", details: ["status": "cancelled"])
        }
        guard !s.isFinished(at: c.booking.now) else {
            throw AppError(
                .invalidState, message: "The series is finished: its last date ended \(s.endsAt?.rfc3339 ?? ""); nothing is left to cancel",
                details: ["status": "finished"])
        }
        let settings = c.booking.settings
        try Lifecycle.requireReason(reasonCode, in: settings.cancellationReasons)
        if actor == .party(.expert) { try SessionLogRule.check(settings, unlogged: c.booking.unloggedMeetingIds) }
        var change = SeriesChange(series: s, isNew: false)
        change.series.status = "cancelled"
        let future = c.occurrences
            .filter { [.awaitingApproval, .agreed].contains($0.state.status) && $0.state.start > c.booking.now }
            .sorted { $0.state.start < $1.state.start }
        // Asked to confirm a late ending, the person is told what becomes of the other dates too.
        let late = future.filter { $0.state.status == .agreed && Lifecycle.isLate(start: $0.state.start, now: c.booking.now, windowHours: settings.cancellationWindowHours) }
        let others = future.count - late.count
        let suffix = others == 0 ? ""
            : " Its \(Counted.words(Int64(others), "other date")) \(others == 1 ? "is" : "are") cancelled too, and the credits held for \(others == 1 ? "it" : "them") returned."
        change.meetings = try endingAll(confirmLate: confirmLate, settings: settings, suffix: suffix) { confirmLate in
            try future.map { m in
                var one = c.booking
                one.meeting = m
                let command: Command = m.state.status == .agreed
                    ? .cancel(reasonCode: reasonCode, note: nil, confirmLate: confirmLate, seriesCancelled: true)
                    : .skipOccurrence(confirmLate: false, seriesCancelled: reasonCode)
                return try MeetingDecider.act(one, by: person, .init(command: command, actingAs: actor), ids: ids)
            }
        }
        change.meetings = toldTogether(change.meetings)
        return change
    }

    /// Seeds 000 and 001 tell a cancellation once ("Your session has been cancelled"): the dates
    /// ended with their series are told in the first date's notifications, which count them and
    /// their credits, not each in its own (a series booked a year ahead sent each side 52 mails).
    /// Each keeps its own timeline event, calendar cancellation and video cancellation.
    static func toldTogether(_ changes: [MeetingChange]) -> [MeetingChange] {
        guard var first = changes.first, changes.count > 1 else { return changes }
        let later = changes.dropFirst().map { change -> MeetingChange in
            var quiet = change
            quiet.decision.notifications = []
            return quiet
        }
        let charged = later.map { $0.decision.events.first?.details["charged_credits"]?.intValue ?? 0 }
        let held = later.map { change in change.before.map { $0.state.holdOpen ? $0.state.heldCredits : 0 } ?? 0 }
        first.laterDates = LaterDatesEnded(
            count: later.count, returnedCredits: zip(held, charged).reduce(Int64(0)) { $0 + max($1.0 - $1.1, 0) },
            chargedCredits: charged.reduce(0, +), feeCredits: later.reduce(0) { $0 + ($1.feeCredits ?? 0) })
        return [first] + later
    }

    /// Ends several dates of a series in one step (`end` decides them all, late ones only when
    /// told to). Asked to confirm a late ending, the person is told what the late dates cost
    /// together, each by its own terms, not what the first of them costs alone; `suffix` says
    /// what else the step does.
    static func endingAll(
        confirmLate: Bool, settings: CommunitySettings, suffix: String = "", _ end: (Bool) throws -> [MeetingChange]
    ) throws -> [MeetingChange] {
        do {
            return try end(confirmLate)
        } catch let e as AppError where e.code == .lateCancellationRequiresConfirmation {
            let first = e.details["consequences"]?.stringValue ?? ""
            let consequences = (try? end(true)).flatMap(lateConsequences) ?? first
            throw AppError.lateCancellationRequiresConfirmation(
                windowHours: e.details["window_hours"]?.intValue ?? settings.cancellationWindowHours, consequences: consequences + suffix)
        }
    }

    /// What ending two or more dates inside the cancellation window does, in one sentence; nil
    /// for one date or none (its own consequences say it).
    static func lateConsequences(_ changes: [MeetingChange]) -> String? {
        let late = changes.compactMap { change -> (ending: TimelineEvent, price: Int64)? in
            guard let event = change.decision.events.first, event.details["late"]?.boolValue == true else { return nil }
            return (event, change.before?.state.priceCredits ?? 0)
        }
        guard late.count > 1 else { return nil }
        return Lifecycle.lateEndingConsequences(
            dates: late.count, charged: late.reduce(Int64(0)) { $0 + ($1.ending.details["charged_credits"]?.intValue ?? 0) },
            price: late.reduce(Int64(0)) { $0 + $1.price }, byExpert: late.allSatisfy { $0.ending.kind.hasSuffix("_by_expert") })
    }

    /// Seeds 000 and 001: "Canceling a weekly appointment will cancel all future weekly
    /// appointments as well." Cancelling an occurrence of an active series cancels it (an agreed
    /// one by the cancellation rules of a single meeting, late ones only with `confirmLate`; the
    /// user's one still awaiting the expert as a skip would end it: it was refused, and
    /// withdrawing it instead dropped that date alone), every later occurrence (agreed ones by
    /// the same rules, pending ones as a skip would) and the series itself. Nil when the
    /// context's meeting is no occurrence of an active series.
    public static func cancelOccurrence(
        _ c: BookingContext, by person: ActingPerson, reasonCode: String, note: String?, confirmLate: Bool, expectedVersion: Int64?,
        ids: IdSource = MeetingDecider.defaultIds
    ) throws -> (cancelled: MeetingChange, series: SeriesChange)? {
        guard let m = c.meeting, let s = c.series, s.id == m.seriesId, s.isActive else { return nil }
        // Checked here for every date: a date ended as a skip does not check it itself.
        try Lifecycle.requireReason(reasonCode, in: c.settings.cancellationReasons)
        let later = c.seriesOccurrences
            .filter { $0.id != m.id && [.awaitingApproval, .agreed].contains($0.state.status) && $0.state.start > m.state.start }
            .sorted { $0.state.start < $1.state.start }
        var change = SeriesChange(series: s, isNew: false)
        change.series.status = "cancelled"
        // Asked to confirm a late cancellation (of this date, or of a later agreed one when this
        // one is still pending), the person is told all it does (seeds 000, 001: "Canceling a
        // weekly appointment will cancel all future weekly appointments").
        change.meetings = try endingAll(confirmLate: confirmLate, settings: c.settings, suffix: Self.laterDatesCancelled(later.count)) { confirmLate in
            // The user's own request the expert has not answered yet (one the expert proposed is
            // the user's to decline); the expert still declines one date of theirs.
            let usersPending = m.state.status == .awaitingApproval && m.party(of: person.id) == .user
                && m.state.approved(.user) && !m.state.approved(.expert)
            let command: Command = usersPending
                ? .skipOccurrence(confirmLate: false, seriesCancelled: reasonCode, note: note)
                : .cancel(reasonCode: reasonCode, note: note, confirmLate: confirmLate, seriesCancelled: true)
            var all = [try MeetingDecider.act(c, by: person, .init(command: command, expectedVersion: expectedVersion), ids: ids)]
            for occurrence in later {
                var one = c
                one.meeting = occurrence
                let command: Command = occurrence.state.status == .agreed
                    ? .cancel(reasonCode: reasonCode, note: nil, confirmLate: confirmLate, seriesCancelled: true)
                    : .skipOccurrence(confirmLate: false, seriesCancelled: reasonCode)
                all.append(try MeetingDecider.act(one, by: person, .init(command: command), ids: ids))
            }
            return all
        }
        change.meetings = toldTogether(change.meetings)
        let first = change.meetings[0]
        return (first, change)
    }

    /// A date of an active weekly series that its user withdrew before the expert answered it: the
    /// series goes on without it and lists it among its skip dates (it was dropped and listed
    /// nowhere); the next date is booked by the scheduler in its turn. Nil for any other
    /// withdrawal.
    public static func withdrawnDate(_ c: BookingContext, _ withdrawn: MeetingChange, by person: ActingPerson) -> SeriesChange? {
        guard let m = c.meeting, let s = c.series, s.id == m.seriesId, s.isActive, let date = m.occurrenceDate,
              m.party(of: person.id) == .user, withdrawn.after.state.status == .cancelled
        else { return nil }
        var change = SeriesChange(series: s, isNew: false)
        change.meetings = [withdrawn]
        change.skips = [SeriesSkip(date: date, reason: "withdrawn by user", actorId: person.id)]
        return change
    }

    /// What cancelling one date of a weekly series does to its later dates, said with its
    /// consequences.
    public static func laterDatesCancelled(_ count: Int) -> String {
        " The weekly series is cancelled with it" + (count == 0 ? "." : count == 1 ? ", and so is its 1 later date." : ", and so are its \(count) later dates.")
    }

    /// For the scheduler: books what is due of an active series as the horizon moves.
    public static func due(_ c: SeriesContext, booking: inout BookingContext, ids: IdSource = MeetingDecider.defaultIds) -> SeriesChange? {
        guard let s = c.series, s.isActive else { return nil }
        var change = SeriesChange(series: s, isNew: false)
        retryNotBooked(c, &change, &booking, ids: ids)
        bookAhead(&change, &booking, skipped: Set(c.skips.map(\.date)), ids: ids)
        return change.series.nextIndex == s.nextIndex && change.meetings.isEmpty && change.skips.isEmpty ? nil : change
    }

    /// Dates the series could not book when their turn came (the user's credits, the expert's
    /// time) are tried again while they are ahead and within the horizon: once the credits are
    /// there or the time is free, the week is booked. A date that still cannot be booked stays
    /// listed, saying why as it is now (the parties were told once, when it was first not booked).
    static func retryNotBooked(
        _ c: SeriesContext, _ change: inout SeriesChange, _ booking: inout BookingContext, bookedByStaff: Bool = false, ids: IdSource
    ) {
        let horizon = booking.settings.horizonEnd(from: booking.now)
        let held = Set(c.occurrences.compactMap(\.occurrenceDate))
        for skip in c.skips.sorted(by: { $0.date < $1.date }) where skip.isNotBooked && !held.contains(skip.date) {
            guard let start = change.series.start(on: skip.date), start > booking.now, start <= horizon,
                start.addingWithinRange(minutes: change.series.lengthMinutes) != nil
            else { continue }
            var attempt = SeriesChange(series: change.series, isNew: false)
            book(&attempt, &booking, date: skip.date, start: start, beyondHorizon: false, bookedByStaff: bookedByStaff, ids: ids)
            change.meetings += attempt.meetings
            change.skips += attempt.skips.filter { $0.reason != skip.reason || $0.detail != skip.detail }
        }
    }
}

extension Series {
    /// The series as `series.*` answers to `reader`: its dates, skips (with their private detail
    /// only when `showDetail`), occurrences and the next one ahead of `now`. An occurrence whose
    /// meeting hides its details from the reader (declined by the expert's side) shows no time,
    /// as meeting.get shows it.
    public func json(skips: [SeriesSkip], occurrences: [Meeting], now: Instant, showDetail: Bool, reader: String) -> JSON {
        let booked = withDetails(of: occurrences)
        let sortedOccurrences = occurrences.sorted { ($0.occurrenceDate?.day ?? 0) < ($1.occurrenceDate?.day ?? 0) }
        let items: [JSON] = sortedOccurrences.map { m in
            let hidden = m.hidesDetails(from: reader)
            return ["meeting_id": .string(m.id), "date": hidden ? .null : .optional(m.occurrenceDate?.description), "start": hidden ? .null : .string(m.state.start.rfc3339),
             "status": .string(m.state.status.rawValue), "credit_status": .string(m.state.creditStatus.rawValue)]
        }
        let next = zip(sortedOccurrences, items).first { m, _ in [.agreed, .awaitingApproval].contains(m.state.status) && m.state.start > now }?.1
        let skipItems: [JSON] = skips.sorted { $0.date < $1.date }.map { k in
            var o: [String: JSON] = ["date": .string(k.date.description), "reason": .string(k.reason)]
            if showDetail, let detail = k.detail { o["detail"] = .string(detail) }
            return .object(o)
        }
        return [
            "id": .string(id), "status": .string(status(at: now)), "user_id": .string(userId), "expert_id": .string(expertId), "student_id": .optional(studentId),
            "service_id": .string(serviceId), "location_id": .string(locationId), "time_zone": .string(timeZone),
            "weekday": .int(Int64(firstDate.isoWeekday)), "local_time": .string(LocalTimeOfDay(minutes: localMinutes).description),
            "first_date": .string(firstDate.description), "length_minutes": .int(lengthMinutes), "weeks": .optional(weeks),
            "topic": .optional(booked.topic), "agenda_answers": .array(booked.agendaAnswers.map { .string($0) }),
            "agenda_questions": booked.agendaQuestions.map { .array($0.map { .string($0) }) } ?? .null,
            "skip_dates": .array(skipItems), "occurrences": .array(items), "next_occurrence": next ?? .null,
            // The parties by name, as every occurrence carries them (none before the first).
            "user_name": .optional(sortedOccurrences.first?.userName), "expert_name": .optional(sortedOccurrences.first?.expertName),
            "student_name": .optional(sortedOccurrences.first?.studentName),
        ]
    }

    /// Who may read a skip's private detail (the user's balance, the end of their suspension,
    /// their week's bookings): the series' user alone, whose wallet and bookings they are.
    public static func showsDetail(to person: ActingPerson, userId: String) -> Bool {
        person.id == userId
    }
}

/// A series' weekly time as the community's grid checks it: at its first date's start
/// (`BookingAttempt.gridStart`).
public struct SeriesTime: Sendable, Equatable {
    public var id: String
    public var timeZone: String
    public var firstDate: LocalDate
    public var localMinutes: Int

    public init(id: String, timeZone: String, firstDate: LocalDate, localMinutes: Int) {
        self.id = id
        self.timeZone = timeZone
        self.firstDate = firstDate
        self.localMinutes = localMinutes
    }

    /// The series a change of the community's grid (its `slot_minutes` or `time_zone`) leaves
    /// off it: on the grid before, off it after, so none of their dates is booked again (the
    /// slot-grid rule), and the admin making the change is told which.
    public static func leftOffGrid(_ series: [SeriesTime], before: CommunitySettings, after: CommunitySettings) -> [String] {
        series.filter { s in
            guard let start = Series.start(on: s.firstDate, at: s.localMinutes, in: s.timeZone) else { return false }
            return SlotGrid.isOnGrid(start, slotMinutes: before.slotMinutes, timeZone: before.timeZone)
                && !SlotGrid.isOnGrid(start, slotMinutes: after.slotMinutes, timeZone: after.timeZone)
        }.map(\.id)
    }
}
