import Core

/// An action on an existing meeting.
public enum Command: Sendable, Equatable {
    case confirm(acceptConflicts: Bool)
    case decline(reasonCode: String, note: String?)
    case withdraw(note: String?)
    /// `seriesCancelled`: the meeting ends with its weekly series (told as such, with no note:
    /// the reason is the series').
    case cancel(reasonCode: String, note: String?, confirmLate: Bool, seriesCancelled: Bool = false)
    case reschedule(start: Instant, lengthMinutes: Int64, priceCredits: Int64, note: String?)
    case confirmAlternate(acceptConflicts: Bool)
    case rejectAlternate(reasonCode: String, note: String?)
    case withdrawAlternate
    case logSession(attendance: Attendance, durationAdjustMinutes: Int64, feedback: JSON?)
    case reportNoShow
    case expire
    /// One occurrence of a weekly series is skipped (seed 001): cancelled; a pending one's
    /// credits returned, an agreed one's by the cancellation window's terms (`confirmLate`).
    /// With `seriesCancelled`, the reason the whole series was cancelled for: the occurrence is
    /// cancelled with it (told as a cancellation, not a skip).
    case skipOccurrence(confirmLate: Bool, seriesCancelled: String? = nil, note: String? = nil)

    /// What the office may do for the experts of its community (seed 003): confirm and make
    /// sessions, decline, propose new dates and answer them; not cancel, log or skip for them.
    /// For what it may not, what it is told: who does it instead.
    public var officeRefusal: String? {
        switch self {
        case .confirm, .decline, .withdraw, .reschedule, .confirmAlternate, .rejectAlternate, .withdrawAlternate: return nil
        case .cancel: return "only the meeting's user or expert cancels it"
        case .logSession: return "only the meeting's expert logs its session"
        case .reportNoShow: return "only the meeting's user (or an admin) reports that its expert did not come"
        case .expire: return "only the scheduler expires a request"
        case .skipOccurrence: return "only the series' user or expert skips one of its dates"
        }
    }

    public var name: String {
        switch self {
        case .confirm: return "confirm"
        case .decline: return "decline"
        case .withdraw: return "withdraw"
        case .cancel: return "cancel"
        case .reschedule: return "reschedule"
        case .confirmAlternate: return "confirm_alternate"
        case .rejectAlternate: return "reject_alternate"
        case .withdrawAlternate: return "withdraw_alternate"
        case .logSession: return "log_session"
        case .reportNoShow: return "report_no_show"
        case .expire: return "expire"
        case .skipOccurrence: return "skip_occurrence"
        }
    }
}

/// A credit movement the decision asks for, applied in the same transaction.
public enum LedgerOp: Sendable, Equatable {
    /// Block the price on the user's wallet.
    case hold
    /// Return the open hold to the user.
    case release
    /// Pay this much of the open hold to the expert (the rest returns to the user).
    case capture(credits: Int64)
}

public struct TimelineEvent: Sendable, Equatable {
    public var kind: String
    public var reasonCode: String?
    public var note: String?
    public var details: [String: JSON]
    /// Taken by the service on a setting's behalf (an auto-accepted request's approval), not by
    /// the person whose call caused it: recorded with the system as its actor.
    public var bySystem: Bool

    public init(_ kind: String, reasonCode: String? = nil, note: String? = nil, details: [String: JSON] = [:], bySystem: Bool = false) {
        self.kind = kind
        self.reasonCode = reasonCode
        self.note = note
        self.details = details
        self.bySystem = bySystem
    }
}

public struct Notification: Sendable, Equatable {
    public var kind: String
    public var recipient: Party

    public init(_ kind: String, to recipient: Party) {
        self.kind = kind
        self.recipient = recipient
    }
}

public enum VideoOp: String, Sendable, Equatable {
    case create = "video.create"
    case cancel = "video.cancel"
}

/// A lifecycle step that creates, accepts or moves a meeting to a time.
public struct BookingStep: Sendable, Equatable {
    public var path: BookingPath
    public var start: Instant
    public var lengthMinutes: Int64
    /// The meeting is agreed at this time after the step (conflicts are checked).
    public var becomesAgreed: Bool
    public var acceptConflicts: Bool

    public init(path: BookingPath, start: Instant, lengthMinutes: Int64, becomesAgreed: Bool, acceptConflicts: Bool = false) {
        self.path = path
        self.start = start
        self.lengthMinutes = lengthMinutes
        self.becomesAgreed = becomesAgreed
        self.acceptConflicts = acceptConflicts
    }
}

/// Everything one action changes, decided without touching the database.
public struct Decision: Sendable, Equatable {
    /// The meeting as it will be.
    public var next: MeetingState
    public var ledger: [LedgerOp] = []
    public var events: [TimelineEvent] = []
    public var notifications: [Notification] = []
    public var video: [VideoOp] = []
    /// The step creates, accepts or moves the meeting: the booking rules of its path decide
    /// whether it may (`BookingRules`).
    public var booking: BookingStep? = nil
    /// The meeting's time changed or it ended: queued reminders are void, the calendar
    /// invite is sent again.
    public var timeChanged = false
    public var cancelledOrEnded = false
    public var attendance: Attendance? = nil
    public var durationMinutes: Int64? = nil
    public var feedback: JSON? = nil
    /// An expert no-show by the user counts toward the community's suspension policy.
    public var countsAsUserNoShow = false

    public init(next: MeetingState) { self.next = next }

    public static func == (a: Decision, b: Decision) -> Bool {
        a.next == b.next && a.ledger == b.ledger && a.events == b.events && a.notifications == b.notifications && a.video == b.video
            && a.booking == b.booking && a.timeChanged == b.timeChanged
            && a.cancelledOrEnded == b.cancelledOrEnded && a.attendance == b.attendance && a.durationMinutes == b.durationMinutes
            && a.countsAsUserNoShow == b.countsAsUserNoShow
    }
}
