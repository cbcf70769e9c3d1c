import Community
import Core
import Scheduling

/// Every way a meeting is created, accepted or moved. Each path names who chose the time:
/// a user's choice must fit the expert's published availability; an expert's choice is theirs.
public enum BookingPath: String, Sendable, CaseIterable {
    /// A user asks for a slot (agreed at once under auto-accept).
    case request
    /// An expert proposes a meeting to a user.
    case propose
    /// The user approves the expert's proposal or the expert's new date.
    case userConfirm
    /// The expert approves the user's request or the user's new date.
    case expertConfirm
    /// The user proposes a new date: a counter-offer, an alternate, a date after a rejection.
    case userReschedule
    /// The expert proposes a new date.
    case expertReschedule
    /// The user approves the expert's alternate date of an agreed meeting.
    case userConfirmsAlternate
    /// The expert approves the user's alternate date of an agreed meeting.
    case expertConfirmsAlternate
    /// One occurrence of a weekly series, booked for its user.
    case seriesOccurrence

    /// The user chose this time, booking it or proposing it as a new date: it keeps the
    /// community's notice, horizon and slot grid, and the expert's hours (the expert may still
    /// propose any time outside their blocked periods themselves).
    public var userChoosesTime: Bool { [.request, .userReschedule, .seriesOccurrence].contains(self) }
    /// The user books a time straight from the expert's calendar, with nobody to approve it
    /// first: it must be free of meetings there too, and the user allowed to book that expert. A
    /// new date the user proposes goes to the expert, who is warned of overlaps when approving it
    /// (seed 004).
    public var booksFromCalendar: Bool { [.request, .seriesOccurrence].contains(self) }
    /// The step creates the meeting (its skill and agenda are given then).
    public var createsMeeting: Bool { [.request, .propose, .seriesOccurrence].contains(self) }
    /// The step answers a meeting waiting for an answer (a request or a proposal): it would agree
    /// the meeting as it stands, so what it cannot agree there it can only decline (or withdraw).
    public var answersWaitingMeeting: Bool { [.userConfirm, .expertConfirm].contains(self) }
    /// The user commits to the meeting by this step.
    public var userCommits: Bool {
        [.request, .userConfirm, .userReschedule, .userConfirmsAlternate, .seriesOccurrence].contains(self)
    }
}

/// The booking rules, each decided once, here, for every path.
public enum BookingRule: String, Sendable, CaseIterable {
    /// The user and the expert are two different people.
    case distinctParties
    /// The user holds the user role and the expert the expert role: a role taken away
    /// (`person.update`) stops every step that makes, accepts or moves their meetings, a new date
    /// for a declined meeting included; their meetings can still be declined, withdrawn or
    /// cancelled.
    case roles
    /// The meeting ends within the supported range of times (years 0001–9999).
    case supportedTime
    /// The service is offered, the expert certified for it, and the meeting's location not
    /// retired (a meeting agreed there may still move to another time there).
    case offered
    /// A meeting for a student is booked by a customer the student is linked to, and the student
    /// is not the expert (seed 003: "the customer associated with a student"). The link holds on
    /// every step that makes, accepts or moves the meeting, the expert's side included: once it
    /// ends (`student.unlink`), neither side accepts or moves the student's meetings (a yes or a
    /// new date would wait for a customer who can no longer give theirs); they can still be
    /// declined, withdrawn or cancelled, and logged, and go on once an admin or the office links
    /// the two again.
    case studentLink
    /// A skill named for the meeting is one of the service's skills.
    case skill
    /// A user's request that gives agenda answers answers the service's questions, one answer per
    /// question, in their order (seed 002: "the questions you have added for each appointment
    /// flow"); a request may leave the agenda out. A series' occurrences carry the answers its
    /// booking gave.
    case agenda
    /// A user books only the experts (or services) assigned to them, and an expert proposes
    /// only to users (or students) assigned to them, where the community requires it (seed 003:
    /// "customers cannot make requests to a tutor that is not assigned"). It holds on every step
    /// that accepts or moves a meeting too, as a certification does: once an assignment is
    /// removed (a student moved to another tutor), neither side accepts or moves the meetings it
    /// allowed; they can be declined, withdrawn or cancelled.
    case enrolment
    /// A suspended user cannot commit to meetings.
    case suspension
    /// A time the user chooses is at least the minimum notice ahead.
    case notice
    /// A time the user chooses is within the booking horizon.
    case horizon
    /// A time the user chooses starts on the community's slot grid.
    case slotGrid
    /// No meeting is booked, proposed, agreed or moved into a period the expert blocked
    /// (`availability.block`), whoever chose the time: a block is an explicit "not available
    /// then", which the expert's own choices keep too (they lift it with `availability.remove`).
    /// A meeting waiting for an answer in it can be declined or moved to another time.
    case blockedPeriod
    /// A time the user chooses is within the expert's availability: one booked from the calendar
    /// at its location and free of the expert's meetings, a new date the user proposes within
    /// the expert's hours at any location (and, as every time, outside their blocked periods:
    /// `blockedPeriod`).
    case availability
    /// A meeting never takes a time another request holds (its credits held, where the
    /// community's `pending_holds_slot` lets a request hold the expert's time): no acceptance of
    /// a conflict overrides it, so a time proposed there could never be agreed.
    case heldTime
    /// The user's meetings in the week stay within the community's weekly limit (a meeting the
    /// week counts already, moved within it, adds nothing).
    case weeklyLimit
    /// A meeting becoming agreed does not overlap the expert's agreed meetings, unless the
    /// expert (or the office for them) accepts the conflict: when confirming, or already when
    /// proposing the time the user then accepts (seed 004: warned in the confirmation dialog).
    case conflicts
    /// The user has the credits a new hold needs.
    case credits

    /// Whether the rule is checked on a path (the rule × path table; `conflicts` also needs the
    /// meeting to become agreed, `credits` a hold to be made).
    public func applies(to path: BookingPath) -> Bool {
        switch self {
        case .distinctParties, .roles, .supportedTime, .offered, .studentLink, .enrolment, .blockedPeriod, .heldTime, .conflicts, .credits: return true
        case .skill: return path.createsMeeting
        case .agenda: return path == .request || path == .seriesOccurrence
        case .suspension: return path.userCommits
        case .notice, .horizon, .slotGrid: return path.userChoosesTime
        case .availability: return path.userChoosesTime
        case .weeklyLimit: return path.userCommits || path == .expertConfirmsAlternate
        }
    }
}

/// Who takes the step: the user, or the expert's side (the expert, or an admin acting for them).
public enum BookingSide: Sendable, Equatable {
    case user
    case expert
}

/// One attempt to create, accept or move a meeting to a time.
public struct BookingAttempt: Sendable {
    public var path: BookingPath
    public var start: Instant
    public var lengthMinutes: Int64
    public var locationId: String?
    /// The meeting being accepted or moved: its own time never stands in its way.
    public var meetingId: String?
    /// The step leaves the meeting agreed at this time (conflicts are checked).
    public var becomesAgreed: Bool
    public var acceptConflicts: Bool
    /// The expert's side sets the time the user will answer (a proposal, a counter-offer, a new
    /// date for a declined meeting): the expert is warned of their overlaps now (seed 004, the
    /// confirmation dialog), and an overlap they accept is theirs when the user says yes.
    public var expertProposesTime: Bool = false
    /// The agreed meetings whose overlap the expert accepted when they proposed this time.
    public var acceptedOverlaps: Set<String> = []
    /// The user proposes a new date for an agreed meeting (an alternate): it takes no time until
    /// the expert approves it, warned then of overlapping meetings (seed 004). A user's new date
    /// for a request or a declined meeting holds its time at once, as a request does.
    public var proposesAlternate: Bool = false
    public var side: BookingSide
    /// The one taking the step owns the wallet (the user, or the customer booking for their
    /// student): a refusal for want of credits tells them their balance. Staff booking for a
    /// user are told only what is required, as the expert is: a user's balance is theirs.
    public var readsBalance: Bool = true
    /// Credits a new hold takes (0: none).
    public var creditsToHold: Int64
    /// Credits of the meeting's old hold, returned in the same step before the new hold.
    public var creditsReleased: Int64
    /// A series may book its next occurrence past the horizon when none is ahead (seed 001).
    public var beyondHorizon: Bool
    /// Where the slot grid is checked, when not at `start`: a weekly series' dates keep its time on
    /// its own clock, checked at its first date's start (a clock change in the series' zone that
    /// the community's zone does not share moves its dates off the grid with nobody choosing
    /// another time; a changed grid still stops them).
    public var gridStart: Instant? = nil
    /// The student the meeting is for (nil: the user themself).
    public var studentId: String?
    /// The skill named for a new meeting, and a request's agenda answers.
    public var skill: String?
    public var agendaAnswers: [String]
    /// The questions those answers answer when not the service's as it asks them now: a
    /// series' later dates carry the questions its booking answered.
    public var agendaQuestions: [String]? = nil

    public init(
        path: BookingPath, start: Instant, lengthMinutes: Int64, locationId: String?, meetingId: String?, becomesAgreed: Bool,
        acceptConflicts: Bool = false, side: BookingSide, creditsToHold: Int64 = 0, creditsReleased: Int64 = 0, beyondHorizon: Bool = false,
        gridStart: Instant? = nil, studentId: String? = nil, skill: String? = nil, agendaAnswers: [String] = [], agendaQuestions: [String]? = nil
    ) {
        self.agendaQuestions = agendaQuestions
        self.gridStart = gridStart
        self.studentId = studentId
        self.skill = skill
        self.agendaAnswers = agendaAnswers
        self.path = path
        self.start = start
        self.lengthMinutes = lengthMinutes
        self.locationId = locationId
        self.meetingId = meetingId
        self.becomesAgreed = becomesAgreed
        self.acceptConflicts = acceptConflicts
        self.side = side
        self.creditsToHold = creditsToHold
        self.creditsReleased = creditsReleased
        self.beyondHorizon = beyondHorizon
    }

    public var end: Instant { start.adding(minutes: lengthMinutes) }
}

public struct BookingVerdict: Sendable, Equatable {
    /// The expert accepted an overlap with agreed meetings: the no-double-booking constraint lets
    /// this meeting overlap them.
    public var conflictAccepted: Bool
    /// Those meetings, by id.
    public var acceptedOverlaps: [String]
}

public enum BookingRules {
    /// What a meeting's agenda answers may hold together, in characters (Unicode scalars).
    public static let maxAgendaCharacters = 10_000

    /// Every meeting carries its answers into every list, invitation and series' date: they are
    /// bounded together where they are given (a request, a new series), as one text is (Unicode
    /// scalars, as the database counts). A series' later dates copy what it was given.
    public static func checkAgendaSize(_ answers: [String]) throws {
        let total = answers.reduce(0) { $0 + $1.unicodeScalars.count }
        guard total <= maxAgendaCharacters else {
            throw AppError.invalidParams(
                field: "agenda_answers",
                reason: "hold \(total) characters in all, past the \(maxAgendaCharacters) the answers together may hold; shorten them (a long text belongs in the chat)")
        }
    }

    /// A retired service is offered, searched and booked no more (`service.set_active`); a
    /// request for it still waiting can only be declined or withdrawn, and the refusal says so.
    /// `forSearch`: asked by availability.search itself, which is not pointed to.
    public static func requireOffered(_ service: ServiceFacts, path: BookingPath? = nil, forSearch: Bool = false, endings: String? = nil) throws {
        guard !service.active else { return }
        throw noLongerBookable("\(service.name) is not offered any more", path: path, forSearch: forSearch, endings: endings)
    }

    /// What can no longer be booked (a retired service, an expert no longer certified): a new
    /// request is pointed to the free times; a meeting waiting for an answer cannot be booked
    /// elsewhere in the calendar, so it is told to be declined or withdrawn (`whenWaiting`: its
    /// words then, `why` by default); a meeting moved to another time is told how it can end
    /// (`endings`), since no time is free for it; a weekly series' date is pointed nowhere.
    static func noLongerBookable(_ why: String, whenWaiting: String? = nil, path: BookingPath?, forSearch: Bool = false, endings: String? = nil) -> AppError {
        let waiting = path?.answersWaitingMeeting ?? false
        if let path, !path.createsMeeting, !waiting, let endings {
            return AppError.slotUnavailable((whenWaiting ?? why) + ": the meeting can be \(endings), not moved to another time", pointsToSearch: false)
        }
        return AppError.slotUnavailable(
            waiting ? (whenWaiting ?? why) + "; decline the meeting (or withdraw it), and any credits held return to the user" : why,
            pointsToSearch: !waiting && !forSearch && path != .seriesOccurrence)
    }

    /// How a meeting a rule no longer lets be accepted or moved can still end, as its state
    /// allows: an agreed one is cancelled, a waiting one declined or withdrawn (each side has one
    /// of the two), a declined one stays as it is.
    static func endings(_ c: BookingContext) -> String {
        switch c.meeting?.state.status {
        case .agreed?: return "cancelled"
        case .rejected?: return "left as it is"
        default: return "declined or withdrawn"
        }
    }

    /// The person a meeting is for (the student booked for, else the user) is not suspended
    /// (missed meetings): no one books for them before `suspendedUntil`. A search for them is
    /// told so at once, rather than shown times that every request would be refused.
    public static func requireNotSuspended(_ learner: PersonFacts?, asStudent: Bool, now: Instant) throws {
        if let until = learner?.suspendedUntil, until > now { throw AppError.suspended(until: until, who: asStudent ? "student" : "user") }
    }

    /// Checks every rule that applies to the attempt's path, in a fixed order, and throws the
    /// first one broken. Errors shown to a user never name another user's meeting.
    public static func check(_ a: BookingAttempt, _ c: BookingContext) throws -> BookingVerdict {
        for rule in BookingRule.allCases where rule.applies(to: a.path) {
            try check(rule, a, c)
        }
        let overlaps = a.becomesAgreed || a.expertProposesTime ? overlapping(a, c).map(\.meetingId).sorted() : []
        return BookingVerdict(conflictAccepted: !overlaps.isEmpty, acceptedOverlaps: overlaps)
    }

    static func check(_ rule: BookingRule, _ a: BookingAttempt, _ c: BookingContext) throws {
        let s = c.settings
        switch rule {
        case .distinctParties:
            guard let user = c.user, let expert = c.expert, user.id != expert.id else {
                // Named as the caller gave it: an expert proposing names the user.
                if a.path == .propose {
                    throw AppError.invalidParams(field: "user_id", reason: "must be someone other than the expert: nobody meets themself")
                }
                throw AppError.invalidParams(field: "expert_id", reason: "must be someone other than the user: nobody meets themself")
            }
        case .roles:
            guard let user = c.user, let expert = c.expert else { return }  // distinctParties refused a missing party
            // A student is on the user's side and holds the user role as the user does.
            let sides = [(user, Role.user, "user", "user_id"), (expert, .expert, "expert", "expert_id")]
                + (c.student.map { [($0, Role.user, "student", "student_id")] } ?? [])
            for (person, role, who, field) in sides where !person.has(role) {
                if a.path.createsMeeting { throw AppError.invalidParams(field: field, reason: "must be a person with the \(role.rawValue) role") }
                throw AppError(
                    .invalidState,
                    message: "The meeting's \(who) no longer holds the \(role.rawValue) role: the meeting can be \(endings(c)), not accepted or moved",
                    details: ["role": .string(role.rawValue), "party": .string(who)])
            }
        case .supportedTime:
            _ = try a.start.adding(minutes: a.lengthMinutes, checkedFor: "start", what: "the meeting's end")
        case .offered:
            guard let service = c.service else { throw AppError.notFound("service", "") }
            // The expert's side names the service it proposes: which one and why is a param to
            // change, not a time to search for.
            if a.path == .propose, !service.active || !c.certified {
                throw AppError.invalidParams(
                    field: "service_id",
                    reason: !service.active ? "is \(service.name), which is not offered any more: propose a service the community offers"
                        : service.kind == .expertSpecific ? "is \(service.name), another \(s.word("provider"))'s own service: propose a service you give"
                        : "is \(service.name), which the \(s.word("provider")) does not give: an admin certifies them in it (service.certify), or propose a service they give")
            }
            try requireOffered(service, path: a.path, endings: endings(c))
            guard c.certified else {
                let why = "the \(s.word("provider")) is not certified for \(service.name)"
                throw noLongerBookable(why, whenWaiting: why + " any more", path: a.path, endings: endings(c))
            }
            // A retired location books nothing: no new meeting, no request agreed or moved there,
            // no meeting moved to it. A meeting agreed there may still move to another time there.
            let agreedThere = c.meeting.map { $0.state.status == .agreed && $0.locationId == a.locationId } ?? false
            if let id = a.locationId, let location = c.locations[id], !location.active,
                a.path.createsMeeting || a.path.answersWaitingMeeting || !agreedThere {
                let instead = a.path == .seriesOccurrence ? "a weekly series there books no date: book the series at another location"
                    : a.path.answersWaitingMeeting ? "the expert's side confirms it at another location (location_id)"
                    : "choose another location"
                throw noLongerBookable("\(location.name) is retired: no meeting is booked there or moved to it any more; \(instead)", path: a.path)
            }
        case .studentLink:
            guard let studentId = a.studentId else { return }
            guard let student = c.student, student.id == studentId else { throw AppError.notFound("student", studentId) }
            guard c.studentLinked else {
                // Named in the call, the param is wrong; a meeting already for the student is
                // stopped, as its state, by the link that has gone since (as by a role taken away).
                guard a.path.createsMeeting else {
                    throw AppError(
                        .invalidState,
                        message: "This meeting is for a student the user no longer acts for: the meeting can be \(endings(c)), "
                            + "not accepted or moved; an admin or the office links them again with student.link (meetctl student link)",
                        details: ["party": .string("student"), "student_id": .string(studentId)])
                }
                throw AppError.invalidParams(
                    field: "student_id", reason: "is not a student this user acts for; an admin or the office links them with student.link (meetctl student link)")
            }
            guard student.id != c.expert?.id else {
                throw AppError.invalidParams(field: "student_id", reason: "must be someone other than the expert: nobody meets themself")
            }
        case .skill:
            guard let skill = a.skill, let service = c.service else { return }
            guard service.skills.contains(skill) else {
                throw AppError.invalidParams(
                    field: "skill",
                    reason: service.skills.isEmpty
                        ? "must be left out: \(service.name) lists no skills"
                        : "must be one of the skills of \(service.name): \(service.skills.joined(separator: ", "))")
            }
        case .agenda:
            guard let service = c.service, !a.agendaAnswers.isEmpty else { return }
            let questions = a.agendaQuestions ?? service.agendaQuestions
            guard a.agendaAnswers.count != questions.count else { return }
            throw AppError.invalidParams(
                field: "agenda_answers",
                reason: questions.isEmpty
                    ? "must be left out: \(service.name) asks no agenda questions"
                    : "must answer the \(Counted.words(Int64(questions.count), "agenda question")) of \(service.name) in their order (got \(a.agendaAnswers.count)): "
                        + questions.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: " "))
        case .enrolment:
            guard !s.requireEnrollment || c.enrolled else {
                // Whose enrolment counts: the student's, for a meeting booked for one. Staff assign
                // them; a user asks them.
                let who = a.studentId == nil ? "the \(s.word("user"))" : "the student the meeting is for"
                let what = s.labelsOf(["provider", "class"]).map(CommunitySettings.inSentence).joined(separator: " or ")
                // A meeting made without an assignment now wanted (one removed since, or required
                // since) stays, and is not accepted or moved while there is none.
                let existing = a.path.createsMeeting ? "" : ": the meeting can be \(endings(c)), not accepted or moved, until"
                throw AppError.notEnrolled(
                    "\(who) is not assigned to this \(what)\(existing.isEmpty ? "; " : existing + " ")"
                        + "an admin assigns them (enrollment.assign, meetctl enroll)\(existing.isEmpty ? ": ask your office" : "")",
                    userId: a.studentId ?? c.user?.id, serviceId: c.service?.id, expertId: c.expert?.id)
            }
        case .suspension:
            // The person the meeting is for: a student's missed meetings suspend the student,
            // whoever books for them (and not the customer's other students).
            try requireNotSuspended(a.studentId == nil ? c.user : c.student, asStudent: a.studentId != nil, now: c.now)
        case .notice:
            guard a.start >= s.earliestStart(from: c.now) else {
                throw AppError.slotUnavailable("meetings must be booked at least \(Counted.words(s.minNoticeMinutes, "minute")) ahead")
            }
        case .horizon:
            guard a.beyondHorizon || a.start <= s.horizonEnd(from: c.now) else {
                throw AppError.slotUnavailable("meetings can be booked at most \(Counted.words(s.horizonDays, "day")) ahead")
            }
        case .slotGrid:
            guard SlotGrid.isOnGrid(a.gridStart ?? a.start, slotMinutes: s.slotMinutes, timeZone: s.timeZone) else {
                // A series keeps its weekly time: off the grid, none of its dates is booked again.
                let instead = a.path == .seriesOccurrence
                    ? "the series' weekly time is off it; to go on, cancel the series and book it again at a time on the grid"
                    : "search for slots with availability.search"
                throw AppError.slotUnavailable(
                    "meetings start on the community's \(s.slotMinutes)-minute grid (\(s.timeZone)); \(instead)", pointsToSearch: false)
            }
        case .blockedPeriod:
            guard c.blockedPeriods.contains(where: { $0.start < a.end && a.start < $0.end }) else { return }
            // The community's word for its experts, as the availability rule says it.
            let provider = s.word("provider")
            var why = "the \(provider) has blocked that time in their availability"
            let waiting = [.userConfirm, .expertConfirm, .userConfirmsAlternate, .expertConfirmsAlternate].contains(a.path)
            if waiting {
                why += a.path.answersWaitingMeeting
                    ? "; the meeting can be declined, or moved to another time (meeting.reschedule)"
                    : "; the new date can be declined (meeting.reject_alternate), or another time proposed (meeting.reschedule)"
            }
            if a.side == .expert { why += "; the \(provider) lifts the block with availability.remove to meet then" }
            throw AppError.slotUnavailable(why, pointsToSearch: a.side == .user && !waiting)
        case .availability:
            // The community's word for its experts, as the enrolment refusal says it.
            let provider = s.word("provider")
            let fromCalendar = a.path.booksFromCalendar
            guard a.locationId != nil || !fromCalendar else {
                throw AppError.invalidParams(field: "location_id", reason: "is required")
            }
            var availability = c.availability(excluding: a.meetingId, overlapping: a.start, a.end)
            // A new date the user proposes keeps the expert's hours, at any of their locations:
            // it goes to the expert, who says where it happens when accepting it (location_id).
            // For an agreed meeting the expert is warned of overlapping meetings when approving
            // it (seed 004), not the meetings in it; for a request it holds its time at once, so
            // it is free of them.
            if a.proposesAlternate { availability.busy = [] }
            let serviceId = c.service?.id
            let locationId = fromCalendar ? a.locationId : nil
            // At any location: those still offered, as a search shows them, and the meeting's own
            // (an agreed meeting there may still move to another time; a waiting one there was
            // refused by `.offered` before this).
            if locationId == nil {
                let retired = c.locations.values.filter { !$0.active && $0.id != c.meeting?.locationId }.map(\.id)
                availability = availability.without(locations: Set(retired))
            }
            if isAvailable(availability, serviceId: serviceId, start: a.start, end: a.end, locationId: locationId) { return }
            // Without its meetings, is the time free? Then a meeting stands in the way (asked only
            // when there were meetings to set aside).
            if !availability.busy.isEmpty {
                availability.busy = []
                if isAvailable(availability, serviceId: serviceId, start: a.start, end: a.end, locationId: locationId) {
                    throw AppError.slotUnavailable("the \(provider) already has a meeting or a held request at that time")
                }
            }
            // Why not, said as it is (a blocked period is `blockedPeriod`'s, checked before):
            // hours kept for other services, hours at other places, or none.
            if serviceId != nil, isAvailable(availability, serviceId: nil, start: a.start, end: a.end, locationId: locationId) {
                throw AppError.slotUnavailable("the \(provider)'s hours at that time are for other services only")
            }
            if locationId != nil, isAvailable(availability, serviceId: serviceId, start: a.start, end: a.end, locationId: nil) {
                throw AppError.slotUnavailable("the \(provider)'s hours at that time are at another location")
            }
            throw AppError.slotUnavailable("the time is not within the \(provider)'s hours")
        case .heldTime:
            // The overlapping times first (a few), then which of them are agreed: an expert's
            // thousands of meetings are compared, never hashed, at each date a series books.
            let held = c.occupying.filter { $0.meetingId != a.meetingId && $0.overlaps(start: a.start, end: a.end) }
                .filter { slot in !c.agreed.contains { $0.meetingId == slot.meetingId } }
            guard held.isEmpty else {
                throw AppError.slotUnavailable(
                    "another request holds the \(s.word("provider"))'s time then; choose another time", pointsToSearch: false)
            }
        case .weeklyLimit:
            guard let limit = s.weeklyUsageLimit else { return }
            let week = UsageWeek(containing: a.start, timeZone: s.timeZone)
            // A meeting the week already counts, moved within it, adds nothing to it (even in a
            // week over a limit lowered since).
            if let id = a.meetingId, c.userBookings.contains(where: { $0.meetingId == id && week.contains($0.start) }) { return }
            if week.counted(c.userBookings, except: a.meetingId) >= limit {
                throw AppError.usageLimitReached(limit: limit, week: (week.start, week.end))
            }
        case .conflicts:
            if a.acceptConflicts && a.side == .user {
                throw AppError.invalidParams(
                    field: "accept_conflicts", reason: "is given by the expert (or the office for them) alone: only they accept a time conflict")
            }
            // The learner attends their own agreed meetings as an expert (a person with both
            // roles): a time they commit to, or one agreed for them, may not overlap those.
            if a.becomesAgreed || a.path.userCommits,
               c.learnerAgreedAsExpert.contains(where: { $0.meetingId != a.meetingId && $0.overlaps(start: a.start, end: a.end) }) {
                // Told to the learner asking as their own; to anyone else as the learner's (a
                // weekly date's refusal is read by both sides and by staff).
                let asking = a.side == .user && a.readsBalance && c.student == nil && a.path != .seriesOccurrence
                throw AppError.timeConflictOfTheLearner(asking ? "you have" : "the \(c.student != nil ? "student" : s.word("user")) has")
            }
            guard a.becomesAgreed || a.expertProposesTime else { return }
            let overlaps = overlapping(a, c)
            if !a.acceptConflicts && !overlaps.allSatisfy({ a.acceptedOverlaps.contains($0.meetingId) }) {
                // The expert sees which of their meetings overlap; a user only that one does, and
                // is not told to accept what only the expert may.
                throw a.side == .expert ? AppError.timeConflict(meetingIds: overlaps.map(\.meetingId)) : AppError.timeConflictForUser()
            }
        case .credits:
            guard a.creditsToHold > 0, c.walletAvailable + a.creditsReleased < a.creditsToHold else { return }
            // A new price replacing a hold needs only the difference from the wallet: that is what
            // is said to be required, beside the wallet's available credits as ledger.balance
            // shows them (the hold is not part of them).
            let more = a.creditsToHold - a.creditsReleased
            let needs = a.creditsReleased > 0
                ? "\(Counted.words(more, "more credit", plural: "more credits")) (\(a.creditsToHold) in all, \(a.creditsReleased) already held for this meeting)"
                : Counted.words(more, "credit")
            // The user's balance is theirs: the expert, or staff booking for the user, learn only
            // that the credits are missing.
            if a.side == .expert || !a.readsBalance {
                throw AppError(
                    .insufficientCredits,
                    message: "Insufficient credits: the user does not have the \(needs) this needs; it can be booked once their wallet has them, or shorter",
                    details: ["required": .int(more)])
            }
            let then = "add credits to your wallet first (bought credits are granted by the community's finance staff), or choose a shorter meeting"
            guard a.creditsReleased > 0 else { throw AppError.insufficientCredits(available: c.walletAvailable, required: more, then: then) }
            throw AppError(
                .insufficientCredits, message: "Insufficient credits: \(c.walletAvailable) available, \(needs) required; \(then)",
                details: ["available": .int(c.walletAvailable), "required": .int(more), "already_held": .int(a.creditsReleased)])
        }
    }

    /// The weeks reaching into `window` whose bookings (the learner's, as the weekly limit counts
    /// them) already reach the community's weekly limit, in order: the weekly-limit rule refuses
    /// any new meeting starting in them, so a search lists none of their times. Empty without a
    /// limit.
    public static func fullWeeks(_ bookings: [MeetingSlot], settings s: CommunitySettings, within window: Period) -> [Period] {
        guard let limit = s.weeklyUsageLimit, !window.isEmpty else { return [] }
        var full: [Period] = []
        var week = UsageWeek(containing: window.start, timeZone: s.timeZone)
        while week.start < window.end {
            if week.counted(bookings) >= limit { full.append(week.period) }
            week = UsageWeek(containing: week.end, timeZone: s.timeZone)
        }
        return full
    }

    /// The experts a search shows, of those certified in the service, and how many of them it
    /// leaves out for want of an assignment. `learner` is nil for an admin browsing for nobody, who
    /// sees every certified expert; otherwise nobody meets themself (the booker and the learner are
    /// not offered their own times), and where the community requires enrolment a learner assigned
    /// to the service sees all its experts, others only the experts they are assigned to — as a
    /// request's enrolment rule decides.
    public static func searchedExperts(
        certified: [String], only: String?, learner: SearchLearner?, settings s: CommunitySettings
    ) -> (experts: [String], notAssigned: Int) {
        var experts = certified.filter { only == nil || $0 == only }
        guard let learner else { return (experts, 0) }
        experts.removeAll { learner.selves.contains($0) }
        guard s.requireEnrollment, !learner.enrolledInService else { return (experts, 0) }
        let assigned = experts.filter { learner.assignedExperts.contains($0) }
        return (assigned, experts.count - assigned.count)
    }

    /// The spans no slot of `lengthMinutes` may start in for a learner who attends `meetings` as
    /// the expert of other meetings (a person with both roles): a request then would meet them
    /// (the conflicts rule), so a search does not offer it.
    public static func learnerBusy(_ meetings: [MeetingSlot], lengthMinutes: Int64) -> [Period] {
        // A slot starting exactly its length before a meeting ends as it begins: it stays open.
        meetings.map { Period(start: $0.start.adding(seconds: -lengthMinutes * 60 + 1), end: $0.end) }
    }

    /// The expert's agreed meetings overlapping the attempt, other than the meeting itself.
    static func overlapping(_ a: BookingAttempt, _ c: BookingContext) -> [MeetingSlot] {
        c.agreed.filter { $0.meetingId != a.meetingId && $0.overlaps(start: a.start, end: a.end) }
    }
}

/// The week a meeting counts in for the weekly usage limit: Monday 00:00 to the next Monday
/// 00:00 on the community's clock.
public struct UsageWeek: Sendable, Equatable {
    public let start: Instant
    public let end: Instant

    public init(containing instant: Instant, timeZone: String) {
        let clock = ZoneClock(identifier: timeZone) ?? ZoneClock(identifier: "UTC")!
        let date = clock.local(instant).date
        let monday = date.adding(days: -Int64(date.isoWeekday - 1))
        let midnight = LocalTimeOfDay(minutes: 0)
        start = clock.instant(on: monday, at: midnight)
        end = clock.instant(on: monday.adding(days: 7), at: midnight)
    }

    public var period: Period { Period(start: start, end: end) }

    public func contains(_ instant: Instant) -> Bool { period.contains(instant) }

    /// The bookings the limit counts in this week: those starting in it, the meeting being
    /// booked (`meetingId`, when it exists already) left out.
    public func counted(_ bookings: [MeetingSlot], except meetingId: String? = nil) -> Int {
        bookings.filter { $0.meetingId != meetingId && contains($0.start) }.count
    }
}

/// What a meeting costs.
public enum Pricing {
    /// The service's price for a length: pro rata to its price for its default length, rounded
    /// up to whole credits.
    public static func price(of service: ServiceFacts, lengthMinutes: Int64) throws -> Int64 {
        try scaled(service.priceCredits, from: service.defaultLengthMinutes, to: lengthMinutes)
    }

    /// The basis a booking is priced on: the service's price for its default length.
    public static func basis(of service: ServiceFacts) -> PriceBasis {
        PriceBasis(credits: service.priceCredits, minutes: service.defaultLengthMinutes)
    }

    /// The price of a meeting moved to a new length: pro rata from the basis it was booked on
    /// (the service's price for its default length then, or the price and length the expert
    /// set), so a change to the service's price reaches no meeting booked before it, and a length
    /// changed and changed back costs what it did. A meeting booked before its basis was kept
    /// scales from its own price and length.
    public static func price(of meeting: Meeting, lengthMinutes: Int64) throws -> Int64 {
        guard lengthMinutes != meeting.state.lengthMinutes else { return meeting.state.priceCredits }
        let basis = meeting.priceBasis ?? PriceBasis(credits: meeting.state.priceCredits, minutes: meeting.state.lengthMinutes)
        return try scaled(basis.credits, from: basis.minutes, to: lengthMinutes)
    }

    static func scaled(_ credits: Int64, from baseMinutes: Int64, to minutes: Int64) throws -> Int64 {
        precondition(baseMinutes > 0 && minutes > 0 && credits >= 0)
        let (product, overflow) = credits.multipliedReportingOverflow(by: minutes)
        let price = overflow ? Int64.max : (product + baseMinutes - 1) / baseMinutes
        guard price <= Limits.standard.maxCredits else {
            throw AppError.invalidParams(
                field: "length_minutes", reason: "makes the price \(price) credits, above the limit of \(Limits.standard.maxCredits)")
        }
        return price
    }
}

/// Whom a search is for, as its expert rules see them.
public struct SearchLearner: Sendable {
    /// The booker and the student searched for: never offered their own times.
    public var selves: Set<String>
    public var enrolledInService: Bool
    /// The experts the learner is assigned to (in any service).
    public var assignedExperts: Set<String>

    public init(selves: Set<String>, enrolledInService: Bool, assignedExperts: Set<String>) {
        self.selves = selves
        self.enrolledInService = enrolledInService
        self.assignedExperts = assignedExperts
    }
}
