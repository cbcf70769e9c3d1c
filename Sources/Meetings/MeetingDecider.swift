import Community
import Core
import Ledger

/// The person a call acts for, as the meeting rules see them.
public struct ActingPerson: Sendable, Equatable {
    public var id: String
    public var roles: Set<Role>

    public init(id: String, roles: Set<Role>) {
        self.id = id
        self.roles = roles
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

/// A credit movement with the ids it will be recorded under.
public enum LedgerMove: Sendable, Equatable {
    /// Block `credits` on the user's wallet for the meeting: a pending transfer to the expert.
    case hold(transferId: String, credits: Int64)
    /// Return the open hold to the user.
    case release(transferId: String, holdId: String)
    /// Pay `credits` of the hold to the expert (the rest returns to the user), then move the
    /// platform's fee from the expert's earnings.
    case capture(transferId: String, holdId: String, credits: Int64, feeTransferId: String, feeCredits: Int64, feePercent: Int64)
}

/// Everything one meeting step changes: the row before and after, the credit movements, and
/// the lifecycle's events, notifications and video operations.
public struct MeetingChange: Sendable {
    public var before: Meeting?
    public var after: Meeting
    public var decision: Decision
    public var ledger: [LedgerMove]
    /// A no-show that suspends the user: until when, and the count that did it.
    public var suspension: (until: Instant, noShows: Int64)?
    /// Later dates of its weekly series ended in the same step: told in this change's
    /// notifications, not each in its own (`Series.toldTogether`).
    public var laterDates: LaterDatesEnded? = nil

    /// The platform's fee this step took of a capture (nil: it captured nothing).
    public var feeCredits: Int64? {
        ledger.lazy.compactMap { move -> Int64? in
            if case .capture(_, _, _, _, let fee, _) = move { return fee } else { return nil }
        }.first
    }

    /// The agreed date appeared, moved or was cancelled: invitations are sent again.
    public var invitationChanged: Bool {
        let wasAgreed = before?.state.status == .agreed, isAgreed = after.state.status == .agreed
        let moved = before.map { MeetingChange.invitationDiffers($0, after) } ?? true
        return (isAgreed && (!wasAgreed || moved)) || (wasAgreed && after.state.status == .cancelled)
    }

    /// Whether the two versions of a meeting show differently on its invitation: its time, its
    /// length, its place or its video link.
    public static func invitationDiffers(_ a: Meeting, _ b: Meeting) -> Bool {
        a.state.start != b.state.start || a.state.lengthMinutes != b.state.lengthMinutes || a.locationId != b.locationId || a.videoURL != b.videoURL
    }
}

/// Dates of a weekly series ended together with an earlier date of it, as that date's
/// notifications count them.
public struct LaterDatesEnded: Sendable, Equatable {
    public var count: Int
    /// Of their holds: what went back to the user, and what late ones the user ended charged.
    public var returnedCredits: Int64
    public var chargedCredits: Int64
    /// The platform's fees taken of those charges, each date's rounded down on its own.
    public var feeCredits: Int64 = 0
}

/// Makes ids for new rows; tests pass a deterministic one.
public typealias IdSource = @Sendable (IdKind) -> String

/// The meeting use cases' decisions: a loaded context and a command in, a `MeetingChange` or a
/// typed error out. Every path that creates, accepts or moves a meeting runs the lifecycle and
/// then the booking rules of its path, here and nowhere else.
public enum MeetingDecider {
    public static let defaultIds: IdSource = { Identifier.make($0) }

    /// A video link's bound, and what one looks like (told to a caller who sent another).
    public static let maxVideoURLCharacters = 2000
    public static let videoURLExample = "https://video.example.com/room-1"

    // MARK: New meetings

    public struct RequestInput: Sendable {
        public var serviceId: String
        public var expertId: String
        public var userId: String
        public var start: Instant
        public var lengthMinutes: Int64?
        public var locationId: String
        public var skill: String?
        public var topic: String?
        public var agendaAnswers: [String]
        /// The questions the answers answer, when not the service's as it asks them now (a
        /// series' later dates keep the questions its booking answered).
        public var agendaQuestions: [String]? = nil
        /// For a series' occurrences.
        public var seriesId: String?
        public var occurrenceDate: LocalDate?
        public var beyondHorizon: Bool
        /// A series' first date's start, where its dates are checked against the slot grid.
        public var gridStart: Instant?
        /// The student the meeting is for (nil: the user themself).
        public var studentId: String?
        /// An admin or the office books for the user (seed 000: "Students or admins can create
        /// appointments").
        public var bookedByStaff: Bool
        /// A refusal is kept for the user to read (a series' date not booked), whoever booked:
        /// it tells them their balance, which staff booking for them are not told.
        public var refusalReadByUser = false

        public init(
            serviceId: String, expertId: String, userId: String, start: Instant, lengthMinutes: Int64?, locationId: String,
            skill: String? = nil, topic: String? = nil, agendaAnswers: [String] = [], agendaQuestions: [String]? = nil, seriesId: String? = nil,
            occurrenceDate: LocalDate? = nil, beyondHorizon: Bool = false, gridStart: Instant? = nil, studentId: String? = nil,
            bookedByStaff: Bool = false
        ) {
            self.agendaQuestions = agendaQuestions
            self.gridStart = gridStart
            self.studentId = studentId
            self.bookedByStaff = bookedByStaff
            self.serviceId = serviceId
            self.expertId = expertId
            self.userId = userId
            self.start = start
            self.lengthMinutes = lengthMinutes
            self.locationId = locationId
            self.skill = skill
            self.topic = topic
            self.agendaAnswers = agendaAnswers
            self.seriesId = seriesId
            self.occurrenceDate = occurrenceDate
            self.beyondHorizon = beyondHorizon
        }
    }

    /// A user's request for a slot (or a series occurrence booked for its user): the price of
    /// its length held, the expert asked, or agreed at once under auto-accept.
    public static func request(_ c: BookingContext, _ input: RequestInput, ids: IdSource = defaultIds) throws -> MeetingChange {
        guard let service = c.service else { throw AppError.notFound("service", input.serviceId) }
        let (user, expert) = try parties(c, userId: input.userId, expertId: input.expertId)
        guard c.locations[input.locationId] != nil else { throw AppError.notFound("location", input.locationId) }
        // A series' dates copy the answers its creation took (checked there).
        if input.seriesId == nil { try BookingRules.checkAgendaSize(input.agendaAnswers) }
        let length = input.lengthMinutes ?? service.defaultLengthMinutes
        let price = try Pricing.price(of: service, lengthMinutes: length)
        let path: BookingPath = input.seriesId == nil ? .request : .seriesOccurrence
        let d = try Lifecycle.request(
            start: input.start, lengthMinutes: length, priceCredits: price, autoAccept: c.settings.autoAccept, now: c.now, path: path,
            bookedByStaff: input.bookedByStaff)
        var attempt = BookingAttempt(
            path: path, start: input.start, lengthMinutes: length, locationId: input.locationId, meetingId: nil,
            becomesAgreed: d.next.status == .agreed, side: .user, creditsToHold: d.ledger.contains(.hold) ? price : 0,
            beyondHorizon: input.beyondHorizon, gridStart: input.gridStart, studentId: input.studentId, skill: input.skill, agendaAnswers: input.agendaAnswers,
            agendaQuestions: input.agendaQuestions)
        attempt.readsBalance = !input.bookedByStaff || input.refusalReadByUser
        let verdict = try BookingRules.check(attempt, c)
        var m = newMeeting(c, ids: ids, state: d.next, priceSource: .service, serviceId: service.id, user: user, expert: expert, studentId: input.studentId)
        m.priceBasis = Pricing.basis(of: service)
        m.skill = input.skill
        m.locationId = input.locationId
        m.topic = input.topic
        m.agendaAnswers = input.agendaAnswers
        m.agendaQuestions = input.agendaAnswers.isEmpty ? nil : input.agendaQuestions ?? service.agendaQuestions
        m.seriesId = input.seriesId
        m.occurrenceDate = input.occurrenceDate
        m.accept(verdict)
        return try finish(c, before: nil, after: m, decision: d, ids: ids)
    }

    public struct ProposeInput: Sendable {
        public var userId: String
        public var serviceId: String
        public var start: Instant
        public var lengthMinutes: Int64
        public var priceCredits: Int64
        public var skill: String?
        public var locationId: String?
        public var note: String?
        /// The meeting or conversation this proposal follows (loaded as the context's meeting).
        public var fromMeetingId: String?
        /// The student the meeting is for (nil: the user themself).
        public var studentId: String?
        /// The session's type, given up front: the user's acceptance then makes the session.
        public var sessionType: String?
        /// The session's class and room, given up front (`ConfirmDetails`).
        public var className: String? = nil
        public var room: String? = nil
        /// The expert proposes the time knowing it overlaps their agreed meetings.
        public var acceptConflicts: Bool

        public init(
            userId: String, serviceId: String, start: Instant, lengthMinutes: Int64, priceCredits: Int64, skill: String?, locationId: String?,
            note: String?, fromMeetingId: String?, studentId: String? = nil, sessionType: String? = nil, className: String? = nil, room: String? = nil,
            acceptConflicts: Bool = false
        ) {
            self.acceptConflicts = acceptConflicts
            self.className = className
            self.room = room
            self.studentId = studentId
            self.sessionType = sessionType
            self.userId = userId
            self.serviceId = serviceId
            self.start = start
            self.lengthMinutes = lengthMinutes
            self.priceCredits = priceCredits
            self.skill = skill
            self.locationId = locationId
            self.note = note
            self.fromMeetingId = fromMeetingId
        }
    }

    /// An expert's proposal: approved by the expert at the price they set, waiting for the user.
    public static func propose(_ c: BookingContext, by person: ActingPerson, _ input: ProposeInput, ids: IdSource = defaultIds) throws -> MeetingChange {
        guard let service = c.service else { throw AppError.notFound("service", input.serviceId) }
        let (user, expert) = try parties(c, userId: input.userId, expertId: person.id)
        guard expert.id == person.id else { throw AppError.forbidden("experts propose meetings as themselves") }
        guard c.settings.expertsMayPropose else {
            throw AppError.forbidden(
                "in this community users, admins and the office create meetings, not \(c.settings.word("provider"))s (setting experts_may_propose); propose a new date of an existing meeting with meeting.reschedule")
        }
        if let type = input.sessionType { try checkSessionType(type, c.settings) }
        try SessionLogRule.check(c, expertId: expert.id, except: nil)
        if let location = input.locationId, c.locations[location] == nil { throw AppError.notFound("location", location) }
        if let from = input.fromMeetingId {
            guard let previous = c.meeting, previous.id == from, previous.expertId == expert.id, previous.userId == user.id else {
                throw AppError.invalidParams(field: "from_meeting_id", reason: "must be a meeting between you and this user")
            }
        }
        let d = try Lifecycle.propose(start: input.start, lengthMinutes: input.lengthMinutes, priceCredits: input.priceCredits, now: c.now)
        var attempt = BookingAttempt(
            path: .propose, start: input.start, lengthMinutes: input.lengthMinutes, locationId: input.locationId, meetingId: nil,
            becomesAgreed: false, acceptConflicts: input.acceptConflicts, side: .expert, studentId: input.studentId, skill: input.skill)
        attempt.expertProposesTime = true
        let verdict = try BookingRules.check(attempt, c)
        var m = newMeeting(c, ids: ids, state: d.next, priceSource: .expert, serviceId: service.id, user: user, expert: expert, studentId: input.studentId)
        m.priceBasis = PriceBasis(credits: input.priceCredits, minutes: input.lengthMinutes)
        m.accept(verdict)
        m.skill = input.skill
        m.sessionType = input.sessionType
        m.className = try SessionDetail.text(input.className, field: "class_name")
        m.room = try SessionDetail.text(input.room, field: "room")
        m.locationId = input.locationId
        m.note = input.note
        m.followsMeetingId = input.fromMeetingId
        return try finish(c, before: nil, after: m, decision: d, ids: ids)
    }

    // MARK: Acting on a meeting

    /// What an expert adds when confirming a request where the community asks for it (seed 003).
    public struct ConfirmDetails: Sendable, Equatable {
        public var sessionType: String?
        public var locationId: String?
        /// Seed 003's "non compulsory fields": the session's class, and its room within the location.
        public var className: String?
        public var room: String?

        public init(sessionType: String?, locationId: String?, className: String? = nil, room: String? = nil) {
            self.sessionType = sessionType
            self.locationId = locationId
            self.className = className
            self.room = room
        }

        /// The params given, in the order a refusal names the first.
        public var given: [String] {
            [("session_type", sessionType), ("location_id", locationId), ("class_name", className), ("room", room)].filter { $0.1 != nil }.map(\.0)
        }
    }

    public struct ActInput: Sendable {
        public var command: Command
        public var expectedVersion: Int64?
        /// Admins may take this action for a party (reporting an expert's absence).
        public var allowAdmin: Bool
        public var confirmDetails: ConfirmDetails?
        /// The side taken when it is not the person's own (an admin acting for a series' user).
        public var actingAs: MeetingActor?
        /// The expert's side proposes a new time knowing it overlaps their agreed meetings.
        public var acceptConflicts: Bool
        /// A message with a confirmation (seed 003: "you will also see the customer's response"),
        /// kept on its timeline event and sent with the notification.
        public var note: String?

        public init(
            command: Command, expectedVersion: Int64? = nil, allowAdmin: Bool = false, confirmDetails: ConfirmDetails? = nil,
            actingAs: MeetingActor? = nil, acceptConflicts: Bool = false, note: String? = nil
        ) {
            self.acceptConflicts = acceptConflicts
            self.note = note
            self.command = command
            self.expectedVersion = expectedVersion
            self.allowAdmin = allowAdmin
            self.confirmDetails = confirmDetails
            self.actingAs = actingAs
        }
    }

    /// Any action on an existing meeting: confirm, decline, withdraw, cancel, reschedule, the
    /// alternates, logging, no-show reports, skips and expiry.
    public static func act(_ c: BookingContext, by person: ActingPerson?, _ input: ActInput, ids: IdSource = defaultIds) throws -> MeetingChange {
        guard let m = c.meeting else { throw AppError.notFound("meeting", "") }
        let actor = try input.actingAs ?? meetingActor(m, person, allowAdmin: input.allowAdmin, for: input.command)
        if let expected = input.expectedVersion, expected != m.version {
            // A version ahead of the meeting's is one it never had: not a change since it was read.
            let said = expected < m.version
                ? "The meeting changed since version \(expected) (now \(m.version)); read it again"
                : "The meeting has never had version \(expected): it is at version \(m.version); read it again"
            throw AppError(.invalidState, message: said,
                details: ["status": .string(m.state.status.rawValue), "version": .int(m.version)])
        }
        var command = input.command
        // Logging is what the rule asks for; a no-show report is never the expert's to make, and
        // is refused as such (4003), not sent to log first.
        switch command {
        case .logSession, .reportNoShow: break
        default: if actor == .party(.expert) { try SessionLogRule.check(c, expertId: m.expertId, except: m.id) }
        }
        if case .logSession(_, _, let feedback) = command { try checkFeedback(feedback, c.settings) }
        if case .reschedule(let start, let length, _, let note) = command {
            command = .reschedule(start: start, lengthMinutes: length, priceCredits: try Pricing.price(of: m, lengthMinutes: length), note: note)
        }
        var after = m
        var details = input.confirmDetails
        // A waiting meeting's date confirmed as its alternative (a new date after a rejection) is
        // a confirmation: the session's details are taken and required as meeting.confirm takes
        // and requires them. An agreed meeting's alternate moves a session already made: its
        // type stays, and the expert's side may say where the new date happens (location_id,
        // class_name, room), as the user's new date may lie in hours kept at another location.
        var detailsNotTaken: ConfirmDetails?
        if case .confirmAlternate = command {
            if m.state.status == .awaitingApproval {
                details = details ?? ConfirmDetails(sessionType: nil, locationId: nil)
            } else if let given = details, given.sessionType != nil {
                (detailsNotTaken, details) = (given, nil)
            }
        }
        var d = try Lifecycle.decide(
            m.state, command, by: actor, now: c.now, settings: c.settings, needsProcessing: ProcessingRule.needed(c.settings, sessionType: m.sessionType, locationId: m.locationId),
            dateAfterRejection: m.declineReason != nil)
        // The session's details are asked for only of a step the meeting's state and time allow.
        if detailsNotTaken != nil {
            throw AppError.invalidParams(
                field: "session_type",
                reason: "is given when making the session; this meeting's session is made already (its alternate date moves it, location_id saying where)")
        }
        if let details { try applyConfirmDetails(details, c, m, actor, &after) }
        // The timeline keeps the session details the expert's side gave when making the session,
        // or with an agreed meeting's new date (where it happens).
        if details != nil, let i = d.events.firstIndex(where: {
            ["expert_approval", "processed_by_expert", "alternative_date_approved_by_expert"].contains($0.kind)
        }) {
            d.events[i].details["session_type"] = .optional(after.sessionType)
            d.events[i].details["location_id"] = .optional(after.locationId)
            if let name = after.className { d.events[i].details["class_name"] = .string(name) }
            if let room = after.room { d.events[i].details["room"] = .string(room) }
        }
        if let note = input.note, case .confirm = command, !d.events.isEmpty { d.events[0].note = note }
        if let step = d.booking {
            // A user's new date of another price for an agreed meeting is their approval of that
            // price, held when the expert approves it: the user must have it when proposing it.
            let alternateHold = step.path == .userReschedule && m.state.status == .agreed
                ? d.next.alternate.flatMap { Lifecycle.holdChange(m.state, to: $0.priceCredits) } : nil
            let released = d.ledger.contains(.release) && m.state.holdOpen ? m.state.heldCredits : alternateHold?.released ?? 0
            let held = d.ledger.contains(.hold) ? d.next.heldCredits : alternateHold?.held ?? 0
            // Only a meeting not yet agreed carries an overlap its expert accepted when proposing its
            // time (an agreed one's conflict_accepted is about its agreed time, which an alternate
            // leaves in effect).
            let side: BookingSide = actor == .party(.user) ? .user : .expert
            let pending = m.state.status != .agreed
            var attempt = BookingAttempt(
                path: step.path, start: step.start, lengthMinutes: step.lengthMinutes, locationId: after.locationId, meetingId: m.id,
                becomesAgreed: step.becomesAgreed, acceptConflicts: step.acceptConflicts || input.acceptConflicts, side: side,
                creditsToHold: held, creditsReleased: released, studentId: m.studentId)
            // The expert proposing a time (a counter-offer, or a new date for an agreed meeting) is
            // warned of their agreed meetings then; proposing it anyway is their acceptance, kept
            // with the meeting (a pending one) or with the alternate, for the user's yes.
            attempt.expertProposesTime = side == .expert && !step.becomesAgreed && step.path == .expertReschedule
            attempt.proposesAlternate = !pending && step.path == .userReschedule
            if step.becomesAgreed {
                attempt.acceptedOverlaps = Set(pending ? m.acceptedOverlaps : step.path == .userConfirmsAlternate ? m.state.alternate?.acceptedOverlaps ?? [] : [])
            }
            let verdict = try BookingRules.check(attempt, c)
            if step.becomesAgreed || pending { after.accept(verdict) }
            if !pending && step.path == .expertReschedule { d.next.alternate?.acceptedOverlaps = verdict.acceptedOverlaps }
        }
        // The reason a meeting was declined stays with it while it is rejected, and while a new
        // date given it afterwards waits for an answer; a new date turned down gives it its reason.
        switch command {
        case .decline(let code, _) where d.next.status == .rejected, .rejectAlternate(let code, _) where d.next.status == .rejected:
            after.declineReason = c.settings.rejectionReasons.first { $0.code == code }
        default:
            if ![.rejected, .awaitingApproval].contains(d.next.status) { after.declineReason = nil }
        }
        after.state = d.next
        if let attendance = d.attendance {
            after.attendance = attendance
            after.loggedAt = after.loggedAt ?? c.now
        }
        if let duration = d.durationMinutes { after.durationMinutes = duration }
        if let feedback = d.feedback { after.feedback = feedback }
        var change = try finish(c, before: m, after: after, decision: d, ids: ids)
        if d.countsAsUserNoShow { change.suspension = NoShowRule.suspension(c) }
        return change
    }

    /// The video platform's integration records the meeting's link.
    public static func setVideoLink(_ c: BookingContext, url: String, ids: IdSource = defaultIds) throws -> MeetingChange {
        guard let m = c.meeting else { throw AppError.notFound("meeting", "") }
        // A link is for a meeting still to be held: one that ended, was cancelled or declined
        // has no use for it (it was recorded, with an event, on any meeting).
        guard [.awaitingApproval, .agreed].contains(m.state.status) else {
            throw AppError.invalidState(status: m.state.status.rawValue, action: "set_video_link", why: "it is \(m.state.status.rawValue); a video link is for a meeting still to be held")
        }
        // Agreed, its time over (its session still to log); awaiting an answer past its start.
        guard c.now < (m.state.status == .agreed ? m.state.end : m.state.start) else {
            throw AppError.invalidState(
                status: m.state.status.rawValue, action: "set_video_link", why: "its time has passed; a video link is for a meeting still to be held")
        }
        var after = m
        after.videoURL = try WebAddress.https(url, field: "url", maxCharacters: MeetingDecider.maxVideoURLCharacters, example: MeetingDecider.videoURLExample)
        var d = Decision(next: m.state)
        d.events = [TimelineEvent("video_link_set")]
        return try finish(c, before: m, after: after, decision: d, ids: ids)
    }

    // MARK: Shared steps

    /// The meeting's two people as read, named by the ids asked for when one is not found (their
    /// roles are the booking rule `roles`).
    static func parties(_ c: BookingContext, userId: String, expertId: String) throws -> (PersonFacts, PersonFacts) {
        guard let user = c.user else { throw AppError.notFound("person", userId) }
        guard let expert = c.expert else { throw AppError.notFound("person", expertId) }
        return (user, expert)
    }

    static func newMeeting(
        _ c: BookingContext, ids: IdSource, state: MeetingState, priceSource: PriceSource, serviceId: String, user: PersonFacts, expert: PersonFacts,
        studentId: String?
    ) -> Meeting {
        var m = Meeting(
            id: ids(.meeting), state: state, priceSource: priceSource, serviceId: serviceId, skill: nil, userId: user.id, expertId: expert.id,
            locationId: nil, topic: nil, agendaAnswers: [], sessionType: nil, holdTransferId: nil, conflictAccepted: false, note: nil,
            videoURL: nil, seriesId: nil, occurrenceDate: nil, attendance: nil, durationMinutes: nil, feedback: nil, loggedAt: nil,
            calendarSequence: 0, version: 0, createdAt: c.now, updatedAt: c.now, userName: user.fullName, expertName: expert.fullName)
        m.studentId = studentId
        m.studentName = studentId == nil ? nil : c.student?.fullName
        m.pendingHoldsSlot = c.settings.pendingHoldsSlot
        return m
    }

    /// The actor's relation to the meeting: a party; an admin where allowed; a person with the
    /// office role, on the expert's side (seed 003). Anyone else is refused, told who may take
    /// `command` where it says so (an admin cancelling read that the office might).
    public static func meetingActor(_ m: Meeting, _ person: ActingPerson?, allowAdmin: Bool, for command: Command? = nil) throws -> MeetingActor {
        guard let person else { return .system }
        if let p = m.party(of: person.id) { return .party(p) }
        if allowAdmin && person.has(.admin) { return .admin }
        if person.has(.office) { return .office }
        // The student a customer booked for reads the meeting; the customer answers for them.
        if let student = m.studentId, student == person.id {
            throw AppError.forbidden(
                "this meeting is for you, booked by \(m.userName), who acts on it (accepts, declines, moves or cancels it); you may read it")
        }
        throw AppError.forbidden(command?.officeRefusal ?? "only the meeting's user and expert (or the office) may act on it")
    }

    static func checkSessionType(_ type: String, _ s: CommunitySettings) throws {
        guard s.sessionTypes.contains(type) else {
            throw AppError.invalidParams(field: "session_type", reason: "must be one of \(s.sessionTypes.joined(separator: ", "))")
        }
    }

    /// Seed 003: "Press Make Session and add location and session type to confirm" — the
    /// expert's side gives the session's details; where the community requires them, a
    /// confirmation that leaves the meeting without a session type or a location is refused.
    static func applyConfirmDetails(_ details: ConfirmDetails, _ c: BookingContext, _ m: Meeting, _ actor: MeetingActor, _ after: inout Meeting) throws {
        let s = c.settings
        let expertSide = actor.side == .expert
        if !expertSide, let field = details.given.first {
            throw AppError.invalidParams(field: field, reason: "is given by the expert (or the office) when making the session")
        }
        if expertSide, s.requireConfirmDetails {
            guard details.sessionType != nil || m.sessionType != nil else {
                throw AppError.invalidParams(
                    field: "session_type", reason: "is required by this community when making the session (one of \(s.sessionTypes.joined(separator: ", ")))")
            }
            guard details.locationId != nil || m.locationId != nil else {
                throw AppError.invalidParams(field: "location_id", reason: "is required by this community when making the session")
            }
        }
        if let type = details.sessionType {
            try checkSessionType(type, s)
            after.sessionType = type
        }
        if let location = details.locationId {
            guard c.locations[location] != nil else { throw AppError.notFound("location", location) }
            // A room is within its location: a meeting moved to another place leaves the old
            // place's room behind unless a room is given with it.
            if location != m.locationId { after.room = nil }
            after.locationId = location
        }
        if let name = try SessionDetail.text(details.className, field: "class_name") { after.className = name }
        if let room = try SessionDetail.text(details.room, field: "room") { after.room = room }
    }

    /// What a session's feedback answers may hold together, in characters (Unicode scalars): the
    /// meeting carries them into every read, list and series context (the questions are the
    /// community's, bounded by its settings).
    public static let maxFeedbackCharacters = 10_000

    /// Each answer is to one of the community's questions, each question answered once, and
    /// all of it within `maxFeedbackCharacters`.
    static func checkFeedback(_ feedback: JSON?, _ s: CommunitySettings) throws {
        guard let answers = feedback?.arrayValue else { return }
        let total = answers.reduce(0) { $0 + ($1["answer"]?.stringValue?.unicodeScalars.count ?? 0) }
        guard total <= maxFeedbackCharacters else {
            throw AppError.invalidParams(
                field: "feedback",
                reason: "answers hold \(total) characters in all, past the \(maxFeedbackCharacters) a session's feedback may hold; shorten them")
        }
        let asked = Set(s.feedbackQuestions)
        var answered: Set<String> = []
        for (i, a) in answers.enumerated() {
            let question = a["question"]?.stringValue ?? ""
            if !s.feedbackQuestions.isEmpty && !asked.contains(question) {
                throw AppError.invalidParams(
                    field: "feedback[\(i)].question",
                    reason: "is not one of the community's feedback questions: " + s.feedbackQuestions.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            guard answered.insert(question).inserted else {
                throw AppError.invalidParams(field: "feedback[\(i)].question", reason: "is answered twice; give one answer per question")
            }
        }
    }

    /// Turns the lifecycle's credit operations into movements with ids and the platform's fee,
    /// and stamps the row: hold id, calendar sequence, version and time.
    static func finish(_ c: BookingContext, before: Meeting?, after: Meeting, decision: Decision, ids: IdSource) throws -> MeetingChange {
        var m = after
        var d = decision
        d.video = VideoRoom.operations(d.video, before: before, after: after, c)
        var moves: [LedgerMove] = []
        for op in d.ledger {
            switch op {
            case .hold:
                let id = ids(.transfer)
                moves.append(.hold(transferId: id, credits: m.state.heldCredits))
                m.holdTransferId = id
            case .release:
                guard let hold = m.holdTransferId else { continue }
                moves.append(.release(transferId: ids(.transfer), holdId: hold))
                m.holdTransferId = nil
                m.returnedCredits = before?.state.heldCredits
            case .capture(let credits):
                guard let hold = m.holdTransferId else { continue }
                let percent = c.settings.platformFeePercent
                moves.append(.capture(
                    transferId: ids(.transfer), holdId: hold, credits: credits, feeTransferId: ids(.transfer),
                    feeCredits: Fees.platformFee(captured: credits, percent: percent), feePercent: percent))
                m.holdTransferId = nil
                m.chargedCredits = credits
                // A partial charge returns the rest of the hold.
                let held = before?.state.heldCredits ?? m.state.heldCredits
                m.returnedCredits = held > credits ? held - credits : nil
            }
        }
        // As a meeting is read back: what was returned only while its credits stand returned, or
        // the rest of a hold charged in part.
        if m.state.creditStatus != .returned && m.state.creditStatus != .paid { m.returnedCredits = nil }
        // SEQUENCE is raised for every revision of an invitation already sent (RFC 5545
        // 3.8.7.4): a move, a cancellation, or a new place or video link of the agreed meeting,
        // which calendar clients would otherwise ignore as the version they already hold. The
        // invitation is sent when the meeting is agreed: a request's dates before that revise
        // nothing anyone holds, so its first invitation has SEQUENCE 0.
        if let b = before, b.state.status == .agreed,
            d.timeChanged || (d.cancelledOrEnded && d.next.status == .cancelled) || (m.state.status == .agreed && MeetingChange.invitationDiffers(b, m))
        {
            m.calendarSequence += 1
        }
        m.version += 1
        m.updatedAt = c.now
        return MeetingChange(before: before, after: m, decision: d, ledger: moves, suspension: nil)
    }
}

/// A video room is made for a meeting agreed at a virtual place (or at none given), and only
/// for one: an in-person meeting has no room to create, move or cancel (seed 000: "If a virtual
/// session, the link is embedded in the session").
public enum VideoRoom {
    /// Whether a meeting at `locationId` has a room: a virtual location's, or one with no
    /// location (a room is where such a meeting can happen).
    public static func needed(at locationId: String?, _ c: BookingContext) -> Bool {
        guard let id = locationId, let location = c.locations[id] else { return true }
        return location.kind != "in_person"
    }

    /// The lifecycle's video operations for a change from `before` to `after`: a room is
    /// cancelled only where the meeting had one, and created only where it will have one and has
    /// none yet (a request whose link was recorded before it was agreed keeps that room; a new
    /// date cancels the old room and makes another).
    public static func operations(_ ops: [VideoOp], before: Meeting?, after: Meeting, _ c: BookingContext) -> [VideoOp] {
        ops.filter { op in
            switch op {
            case .create: return needed(at: after.locationId, c) && (after.videoURL == nil || ops.contains(.cancel))
            case .cancel: return needed(at: (before ?? after).locationId, c)
            }
        }
    }
}

/// Seed 003's optional session fields, a class and a room: one line each, as a name is kept
/// (trimmed, NFC, nothing invisible), at most `maxCharacters`.
public enum SessionDetail {
    public static let maxCharacters = 100

    static func text(_ given: String?, field: String) throws -> String? {
        try given.map { try NameRule.stored($0, field: field) }
    }
}

/// Seed 003: where a community requires session details, a meeting becomes a session only once
/// the expert's side has given them; until then a user's acceptance of the expert's date waits
/// for the expert to process it.
public enum ProcessingRule {
    public static func needed(_ settings: CommunitySettings, sessionType: String?, locationId: String?) -> Bool {
        settings.requireConfirmDetails && (sessionType == nil || locationId == nil)
    }
}

/// A community may require experts to log their past sessions before doing anything else.
public enum SessionLogRule {
    /// `unlogged`: the expert's past agreed meetings not logged yet.
    public static func check(_ settings: CommunitySettings, unlogged: [String], except meetingId: String? = nil) throws {
        guard settings.requireSessionLog else { return }
        let open = unlogged.filter { $0 != meetingId }
        if !open.isEmpty { throw AppError.sessionLogRequired(meetingIds: open) }
    }

    static func check(_ c: BookingContext, expertId: String, except meetingId: String?) throws {
        try check(c.settings, unlogged: c.unloggedMeetingIds, except: meetingId)
    }
}

/// No-shows within the community's window suspend the user for a number of days.
public enum NoShowRule {
    /// The suspension this no-show brings, if any (the context counts the earlier ones): it ends
    /// on a whole minute, so the notice that tells its end to the minute tells it exactly (one
    /// logged at 13:59:59 ended at 14:59:59 two weeks later, told as "until 14:59"). A
    /// suspension never gets shorter: one running longer (the policy's days lowered since) keeps
    /// its end, which the notice tells.
    public static func suspension(_ c: BookingContext) -> (until: Instant, noShows: Int64)? {
        let policy = c.settings.noShowPolicy
        guard policy.maxNoShows > 0 else { return nil }
        let count = c.recentNoShows + 1
        guard count >= policy.maxNoShows else { return nil }
        let until = c.now.adding(minutes: policy.suspensionDays * 24 * 60).roundedUpToMinute
        let running = (c.student ?? c.user)?.suspendedUntil
        return (max(until, running ?? until), count)
    }
}
