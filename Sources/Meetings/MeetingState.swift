import Core

public enum MeetingStatus: String, Sendable, CaseIterable {
    case awaitingApproval = "awaiting_approval"
    case agreed, rejected, cancelled, completed, expired

    /// A meeting whose story is over: nothing but reading is left to do with it.
    public var isFinal: Bool { self == .cancelled || self == .completed || self == .expired }
}

public enum CreditStatus: String, Sendable, CaseIterable {
    case none, blocked, returned, paid
}

/// The two sides of a meeting.
public enum Party: String, Sendable, CaseIterable {
    case user, expert

    public var other: Party { self == .user ? .expert : .user }
}

/// Who acts on a meeting, relative to it.
public enum MeetingActor: Sendable, Equatable {
    case party(Party)
    case admin
    /// A person with the office role, acting on the expert's side (seed 003: "This request can
    /// go to the office but it may also be sent directly to you").
    case office
    case system

    public var role: String {
        switch self {
        case .party(let p): return p.rawValue
        case .admin: return "admin"
        case .office: return "office"
        case .system: return "system"
        }
    }

    /// The side of the meeting the actor takes: the office takes the expert's.
    public var side: Party? {
        switch self {
        case .party(let p): return p
        case .office: return .expert
        case .admin, .system: return nil
        }
    }
}

public enum Attendance: String, Sendable, CaseIterable {
    case attended
    case noShow = "no_show"
    case expertNoShow = "expert_no_show"
}

/// A proposed new date for an agreed meeting; the original date stays in effect until it
/// is approved.
public struct Alternate: Sendable, Equatable {
    public var start: Instant
    public var lengthMinutes: Int64
    /// The price the meeting takes if the alternate is approved (it follows the length).
    public var priceCredits: Int64
    public var proposedBy: Party
    public var note: String?
    /// The expert's agreed meetings it overlapped when the expert proposed it, warned and
    /// accepting the overlap: the user's approval then stands against those (not against one
    /// agreed later, which the expert never accepted).
    public var acceptedOverlaps: [String] = []

    public var conflictAccepted: Bool { !acceptedOverlaps.isEmpty }

    public init(start: Instant, lengthMinutes: Int64, priceCredits: Int64, proposedBy: Party, note: String?, acceptedOverlaps: [String] = []) {
        self.start = start
        self.lengthMinutes = lengthMinutes
        self.priceCredits = priceCredits
        self.proposedBy = proposedBy
        self.note = note
        self.acceptedOverlaps = acceptedOverlaps
    }

    public var end: Instant { start.adding(minutes: lengthMinutes) }

    /// Only the proposer has approved an open alternate.
    public func approved(by party: Party) -> Bool { party == proposedBy }
}

/// What the lifecycle needs to know about a meeting.
public struct MeetingState: Sendable, Equatable {
    public var status: MeetingStatus
    public var creditStatus: CreditStatus
    public var start: Instant
    public var lengthMinutes: Int64
    public var priceCredits: Int64
    public var expertApproved: Bool
    public var userApproved: Bool
    public var proposedBy: Party
    public var alternate: Alternate?
    /// What the open hold holds (0 without one): the price, except while an expert's
    /// counter-offer of another length waits for the user, when the hold the user made stays
    /// (SPEC §5.2) until their answer replaces or releases it.
    public var heldCredits: Int64

    /// `heldCredits` defaults to the price when a hold is open.
    public init(
        status: MeetingStatus, creditStatus: CreditStatus, start: Instant, lengthMinutes: Int64, priceCredits: Int64,
        expertApproved: Bool, userApproved: Bool, proposedBy: Party, alternate: Alternate? = nil, heldCredits: Int64? = nil
    ) {
        self.status = status
        self.creditStatus = creditStatus
        self.start = start
        self.lengthMinutes = lengthMinutes
        self.priceCredits = priceCredits
        self.expertApproved = expertApproved
        self.userApproved = userApproved
        self.proposedBy = proposedBy
        self.alternate = alternate
        self.heldCredits = heldCredits ?? (creditStatus == .blocked ? priceCredits : 0)
    }

    public var end: Instant { start.adding(minutes: lengthMinutes) }

    public func approved(_ party: Party) -> Bool { party == .user ? userApproved : expertApproved }

    /// Declined by the expert's side: the user's side sees it without its details
    /// (`Meeting.hidesDetails`).
    public var hidesDetailsFromUser: Bool { status == .rejected && userApproved }

    public var holdOpen: Bool { creditStatus == .blocked }

    /// Both sides approved the date, but the meeting is not a session yet: the user accepted the
    /// expert's new date where the community requires session details, and the expert (or the
    /// office) must process it, giving session type and location (seed 003, steps 11–13).
    public var awaitingProcessing: Bool { status == .awaitingApproval && userApproved && expertApproved }

    /// Whether the alternate can no longer be taken at `now`: its date, or the meeting's start,
    /// has passed unanswered. The scheduler then closes it (`Lifecycle.expireAlternate`); until it
    /// runs, a reader is told it lapsed rather than shown a date still to answer.
    public func alternateLapsed(at now: Instant) -> Bool {
        guard let alternate else { return false }
        return now >= alternate.start || now >= start
    }

    /// The party whose action the meeting waits for at `now`: as `awaiting`, except that an
    /// answer comes too late once the start has passed, and an agreed meeting that has ended
    /// waits for its expert to log the session (seed 000: pending sessions are shown first, with
    /// an action required).
    public func awaiting(at now: Instant) -> Party? {
        // A request or proposal whose start has passed can no longer be answered: it waits for
        // nobody until the jobs expire it.
        if status == .awaitingApproval && start <= now { return nil }
        // Nor is an agreed meeting's new date once the meeting has started; once it has ended
        // the meeting waits for its expert's session log.
        if status == .agreed && start <= now { return end <= now ? .expert : nil }
        // Nor a new date whose own time has passed before the meeting's (it lapsed).
        if status == .agreed && alternateLapsed(at: now) { return nil }
        return awaiting
    }

    /// The party whose action the meeting waits for, if any.
    public var awaiting: Party? {
        switch status {
        case .awaitingApproval:
            if !userApproved { return .user }
            return .expert
        case .agreed:
            return alternate.map { $0.proposedBy.other }
        default:
            return nil
        }
    }
}
