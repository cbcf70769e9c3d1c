/// An error a caller can act on: a JSON-RPC code, a stable `data.code` string, whether a retry
/// may succeed, a message for a person, and details. Pure modules throw these; the RPC layer
/// turns them into error responses unchanged.
public struct AppError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An error's JSON-RPC number and its stable name (`data.code`), always together. A struct of
    /// static values, so a new kind never breaks a caller that switches on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let number: Int
        public let name: String

        public init(_ number: Int, _ name: String) {
            self.number = number
            self.name = name
        }

        public var description: String { "\(number) \(name)" }

        public static let invalidParams = Code(-32602, "invalid_params")
        public static let internalError = Code(-32603, "internal_error")
        public static let unknownActor = Code(4001, "unknown_actor")
        public static let forbidden = Code(4003, "forbidden")
        public static let notFound = Code(4004, "not_found")
        public static let invalidState = Code(4009, "invalid_state")
        public static let timeConflict = Code(4010, "time_conflict")
        public static let slotUnavailable = Code(4011, "slot_unavailable")
        public static let meetingStarted = Code(4012, "meeting_started")
        public static let lateCancellationRequiresConfirmation = Code(4013, "late_cancellation_requires_confirmation")
        public static let insufficientCredits = Code(4020, "insufficient_credits")
        public static let notEnrolled = Code(4021, "not_enrolled")
        public static let usageLimitReached = Code(4022, "usage_limit_reached")
        public static let suspended = Code(4023, "suspended")
        public static let sessionLogRequired = Code(4024, "session_log_required")
        public static let idempotencyKeyReused = Code(4090, "idempotency_key_reused")
        public static let databaseUnavailable = Code(5030, "database_unavailable")
        public static let contention = Code(5031, "contention")
        public static let lockTimeout = Code(5032, "lock_timeout")
        public static let statementTimeout = Code(5033, "statement_timeout")
        public static let transactionIdleTimeout = Code(5034, "transaction_idle_timeout")
        public static let databaseRefused = Code(5035, "database_refused")
        public static let shuttingDown = Code(5036, "shutting_down")
        public static let settingsUnreadable = Code(5037, "settings_unreadable")
        public static let answerTooLarge = Code(4130, "answer_too_large")
        public static let batchAnswerFull = Code(4131, "batch_answer_full")
        public static let batchTimeUp = Code(4132, "batch_time_up")
    }

    public let code: Code
    public let message: String
    public let retryable: Bool
    public let details: [String: JSON]

    public init(_ code: Code, message: String, retryable: Bool = false, details: [String: JSON] = [:]) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.details = details
    }

    /// The stable name callers branch on (`data.code`).
    public var dataCode: String { code.name }

    public var description: String { "\(dataCode): \(message)" }

    public var data: JSON {
        var fields = details
        fields["code"] = .string(dataCode)
        fields["retryable"] = .bool(retryable)
        return .object(fields)
    }

    // MARK: JSON-RPC standard errors

    public static func invalidParams(field: String, reason: String) -> AppError {
        AppError(.invalidParams, message: "Invalid params: \(field) \(reason)",
            details: ["field": .string(field), "reason": .string(reason)])
    }

    public static func internalError() -> AppError {
        AppError(
            .internalError,
            message: "Internal error: the request was not completed; it is safe to retry (a change with the same idempotency_key)")
    }

    // MARK: Application errors (SPEC §3.3)

    /// `given`: the call named an actor (not a person's id, or no person's), rather than none.
    public static func unknownActor(given: Bool) -> AppError {
        AppError(
            .unknownActor,
            message: given
                ? "Unknown actor: no person has the id given in \"actor\""
                : "Missing actor: pass \"actor\" with the id of the signed-in person")
    }

    /// A meetingd pinned to `id` (`--pin-actor`), which is no person's in its database.
    public static func unknownPinnedActor(_ id: String) -> AppError {
        AppError(
            .unknownActor,
            message: "Unknown actor: this meetingd acts for \(id) (--pin-actor), whom its database does not have; ask its operator to pin an existing person")
    }

    public static func forbidden(_ why: String) -> AppError {
        AppError(.forbidden, message: "Forbidden: \(why)")
    }

    /// `action` (a method, or a step of one) is for people with one of `roles`, and the caller
    /// has none of them: the roles are in `data`, for a front end to say who may.
    public static func roleRequired(_ action: String, roles: [String]) -> AppError {
        AppError(
            .forbidden, message: "Forbidden: \(action) needs the role \(roles.joined(separator: " or ")) (an admin gives roles, person.update)",
            details: ["roles": .array(roles.map { .string($0) })])
    }

    public static func notFound(_ kind: String, _ id: String) -> AppError {
        notFound(kind, id, saying: "no \(kind) \(id) in this community")
    }

    /// Not found, said in the words of where it was looked for (`what`: after "Not found: ").
    public static func notFound(_ kind: String, _ id: String, saying what: String) -> AppError {
        AppError(.notFound, message: "Not found: \(what)", details: ["kind": .string(kind), "id": .string(id)])
    }

    /// A step the meeting's state refuses. The message says the step in words (`action` stays
    /// the method's name in the details) and, given a reason, that reason rather than the status.
    public static func invalidState(status: String, action: String, why: String? = nil) -> AppError {
        let step = stepWords[action] ?? action.replacingOccurrences(of: "_", with: " ")
        return AppError(
            .invalidState,
            message: why.map { "Cannot \(step) this meeting: \($0)" } ?? "Cannot \(step) a meeting whose status is \(status)" + (instead[action + " " + status] ?? afterItsEnd[status] ?? ""),
            details: ["status": .string(status), "action": .string(action)])
    }

    /// What the reader can do instead, where the status leaves them something.
    static let instead = [
        "decline agreed": ": cancel it instead (meeting.cancel)",
        "withdraw agreed": ": cancel it instead (meeting.cancel)",
        "confirm agreed": ": there is nothing left to confirm",
        "confirm rejected": ": it was declined; a new date for it is proposed with meeting.reschedule, which the other side then confirms (meeting.confirm_alternate)",
        "log_session awaiting_approval": ": it was never agreed, so there is no session to log; nobody confirming it before its start, it expires then",
        "log_session rejected": ": it was declined, so there is no session to log",
        // Closed already (logged, or a no-show reported): what was recorded is changed by staff only.
        "report_no_show completed": ": it is already closed (its session logged, or a no-show reported); to dispute that, ask the community's staff (finance staff correct credits, an admin lifts a suspension)",
        "log_session completed": ": it is already closed (its session logged, or a no-show reported); to dispute that, ask the community's finance staff, who correct credits",
    ]

    /// What is left to do with a meeting whose story ended, whatever was asked of it.
    static let afterItsEnd = [
        "cancelled": ": it was cancelled, and a meeting that ended is kept as it was; book another (meeting.request)",
        "expired": ": it expired unanswered, and a meeting that ended is kept as it was; book another (meeting.request)",
        "completed": ": it is closed (its session logged, or a no-show reported); to dispute that, ask the community's staff",
        "rejected": ": it was declined; before its start a new date for it is proposed with meeting.reschedule, after it another time is a new request (meeting.request)",
    ]

    /// A meeting step as a sentence says it: "Cannot log the session of this meeting".
    static let stepWords = [
        "log_session": "log the session of", "report_no_show": "report a no-show for", "reschedule": "give a new date to",
        "confirm_alternate": "confirm the new date of", "reject_alternate": "reject the new date of",
        "withdraw_alternate": "withdraw the new date of", "calendar": "give the calendar invitation of", "skip": "skip",
        "set_video_link": "set the video link of",
    ]

    public static func timeConflict(meetingIds: [String]) -> AppError {
        AppError(
            .timeConflict,
            message: "Time conflict: the expert already has an agreed meeting at that time; "
                + "pass accept_conflicts: true to go ahead anyway",
            details: ["meeting_ids": .array(meetingIds.map { .string($0) })])
    }

    /// The same conflict told to a user: no other meeting named, nothing they may not do suggested.
    /// A user meets it answering a time the expert proposed, which has met another of the
    /// expert's meetings since: only the expert, proposing it again, may accept that overlap.
    public static func timeConflictForUser() -> AppError {
        AppError(
            .timeConflict,
            message: "Time conflict: the expert now has another agreed meeting at that time; choose another time (meeting.reschedule), "
                + "or ask the expert to propose this one again, accepting the overlap",
            details: ["meeting_ids": []])
    }

    /// The learner (the user, or the student booked for) is an expert too, agreed at that time as
    /// the expert of another meeting: no meeting named, as the other side may be the one asking.
    /// `whoHas`: "you have" to the learner asking, else "the user has", "the student has".
    public static func timeConflictOfTheLearner(_ whoHas: String) -> AppError {
        AppError(
            .timeConflict,
            message: "Time conflict: \(whoHas) an agreed meeting at that time as the expert of another meeting; choose another time",
            details: ["meeting_ids": []])
    }

    /// `why` says what stands in the way, followed by where the free times are unless
    /// `pointsToSearch` is false: a `why` that says itself what to do instead.
    public static func slotUnavailable(_ why: String, pointsToSearch: Bool = true) -> AppError {
        AppError(.slotUnavailable, message: "Slot unavailable: \(why)" + (pointsToSearch ? searchHint : ""))
    }

    /// What a caller of slot_unavailable is pointed to (not words for a person's mail).
    public static let searchHint = " (availability.search lists the times that are free)"

    /// What became of a meeting whose start passed, as `meetingStarted` tells it.
    public enum StartedAs: Sendable {
        /// Agreed: the session is logged, or the expert's absence reported.
        case agreed
        /// Still waiting for an answer: it expires, and its credits go back.
        case waiting
        /// Declined: nothing is held for it, and it stays declined.
        case declined
    }

    /// A request or proposal nobody agreed to in time has no session to log: it expires, and its
    /// credits go back; a declined one holds nothing and stays as it is.
    /// `start` is nil where the meeting's details are hidden from the reader (a declined
    /// meeting shown to its user): the error names no time then.
    public static func meetingStarted(start: Instant?, as state: StartedAs = .agreed) -> AppError {
        let next: String
        switch state {
        case .agreed:
            next = "From its start the expert logs the session (meeting.log_session); once its time is over, the user may report that the "
                + "expert did not come (meeting.report_no_show)"
        case .waiting:
            next = "It was not agreed before its start, so there is no session to log: it expires when the scheduler next runs (jobs.run_due), "
                + "and any credits it held go back to the user"
        case .declined:
            next = "It was declined and holds no credits; it stays declined. Another time is a new request (meeting.request) or the expert's proposal (meeting.propose)"
        }
        return AppError(
            .meetingStarted,
            message: "The meeting's scheduled start\(start.map { " (\($0.rfc3339))" } ?? "") has passed: it can no longer be changed or cancelled. " + next,
            details: start.map { ["start": .string($0.rfc3339)] } ?? [:])
    }

    public static func lateCancellationRequiresConfirmation(windowHours: Int64, consequences: String) -> AppError {
        AppError(
            .lateCancellationRequiresConfirmation,
            message: "The meeting starts within \(Counted.words(windowHours, "hour")): \(consequences.prefix(1).lowercased() + consequences.dropFirst()) Pass confirm_late: true to go ahead anyway",
            details: ["window_hours": .int(windowHours), "consequences": .string(consequences)])
    }

    /// `then`: what the reader does about it (nil: the ledger's movements by staff, which move at
    /// most what is available; a booking names its own remedies).
    public static func insufficientCredits(available: Int64, required: Int64, then: String? = nil) -> AppError {
        AppError(
            .insufficientCredits,
            message: "Insufficient credits: \(available) available, \(required) required; \(then ?? "move at most the credits available")",
            details: ["available": .int(available), "required": .int(required)])
    }

    /// `userId`, `serviceId`, `expertId`: enrollment.assign's params for either assignment that
    /// would do (the person the meeting is for, to the service or to the expert).
    public static func notEnrolled(_ why: String, userId: String? = nil, serviceId: String? = nil, expertId: String? = nil) -> AppError {
        var details: [String: JSON] = [:]
        details["user_id"] = userId.map(JSON.string)
        details["service_id"] = serviceId.map(JSON.string)
        details["expert_id"] = expertId.map(JSON.string)
        return AppError(.notEnrolled, message: "Not enrolled: \(why)", details: details)
    }

    /// `week`: the week (in the community's time zone) that is full, from its Monday's midnight.
    public static func usageLimitReached(limit: Int64, week: (start: Instant, end: Instant)? = nil) -> AppError {
        let full = week.map { ", and the week from \($0.start.rfc3339) to \($0.end.rfc3339) is full: only a meeting in another week can be booked" } ?? ""
        var details: [String: JSON] = ["limit": .int(limit)]
        if let week { (details["week_start"], details["week_end"]) = (.string(week.start.rfc3339), .string(week.end.rfc3339)) }
        return AppError(
            .usageLimitReached, message: "Usage limit reached: at most \(limit) \(limit == 1 ? "meeting" : "meetings") per week" + full, details: details)
    }

    /// `who`: the person the meeting is for (the user, or the student booked for).
    public static func suspended(until: Instant, who: String = "user") -> AppError {
        AppError(.suspended, message: "The \(who) is suspended until \(until.rfc3339) (missed meetings): no meeting is booked for them, and they accept or move none, until then, whatever its date "
            + "(their requests and new dates given before stay for the expert to answer, and the expert may still propose one); an admin may lift it sooner (person.unsuspend)",
            details: ["until": .string(until.rfc3339)])
    }

    public static func sessionLogRequired(meetingIds: [String]) -> AppError {
        AppError(
            .sessionLogRequired,
            message: "Log your past sessions first (meeting.log_session) before doing anything else",
            details: ["meeting_ids": .array(meetingIds.map { .string($0) })])
    }

    public static func idempotencyKeyReused() -> AppError {
        AppError(
            .idempotencyKeyReused,
            message: "This idempotency_key was already used with different params; use a new key for a new request")
    }

    public static func databaseUnavailable() -> AppError {
        AppError(
            .databaseUnavailable,
            message: "The database is unavailable; retry shortly. A change whose connection was lost as it committed may have been made: its retry with the same idempotency_key answers what was done (without a key, read before sending it again)",
            retryable: true)
    }

    /// A write refused by a database that takes none (25006: a standby, a primary demoted in a
    /// failover, or one its operator set read-only): it answers and nothing was written, so the
    /// generic text ("a change … may have been made") would send the reader looking for an outage
    /// and for a half-made change that are not there.
    public static func databaseReadOnly() -> AppError {
        AppError(
            .databaseUnavailable,
            message: "Not written: the database takes no changes now (a standby, a failover under way, or writes turned off by its "
                + "operator); nothing was changed. Retry shortly (a change with the same idempotency_key); reads are answered meanwhile",
            retryable: true)
    }

    /// A write refused because no synchronous standby would confirm its commit, where the
    /// operator asked for one (MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY): the database answers,
    /// so "unavailable" alone would send the reader looking for an outage that is not there.
    public static func noSynchronousStandby() -> AppError {
        AppError(
            .databaseUnavailable,
            message: "Not written: this service writes only where a synchronous standby confirms each commit, and its database has none now "
                + "(a standby away or catching up, or a failover under way); nothing was changed. Retry shortly (a change with the same "
                + "idempotency_key); reads are answered meanwhile",
            retryable: true)
    }

    /// The database refuses meetingd's login for good (wrong password, no such role or
    /// database): not the caller's fault, and not worth retrying until an operator fixes it.
    public static func databaseRefused() -> AppError {
        AppError(
            .databaseRefused,
            message: "The service cannot log in to its database (its operator must fix the connection settings; meetingd's log says why); nothing was changed")
    }

    /// The database connection is set up in a way meetingd cannot work with (a pooler in
    /// transaction mode it was not told of): as with a refused login, an operator must act.
    public static func databaseMisconfigured() -> AppError {
        AppError(
            .databaseRefused,
            message: "The service's database connection is set up in a way it cannot work with (its operator must fix the connection settings, "
                + "such as MEETINGLEDGER_POOLER=transaction behind a pooler in transaction mode; meetingd's log says why); nothing was changed")
    }

    /// The community's stored settings document does not load (written beside the service, or
    /// by a version with other rules): no call that needs the settings can run until an admin
    /// gives the setting named again. `field` is the setting's path inside the document.
    public static func settingsUnreadable(field: String, reason: String) -> AppError {
        let remedy = field.isEmpty
            ? "its operator must restore the document (communities.settings holds no JSON object)"
            : "an admin mends it by giving \(field.prefix { $0 != "." && $0 != "[" }) to community.update_settings (meetctl settings set), which takes that one setting again and keeps the others"
        return AppError(
            .settingsUnreadable,
            message: "The community's stored settings do not load: \(field.isEmpty ? "the document" : "setting " + field) \(reason); nothing was changed. To go on, \(remedy)",
            details: ["field": .string(field), "reason": .string(reason)])
    }

    /// meetingd was told to stop (SIGTERM) and its time to answer what it had read ran out before
    /// this request's turn: it was not run.
    public static func shuttingDown() -> AppError {
        AppError(
            .shuttingDown,
            message: "Not run: the service is stopping and its time to finish the requests it had read is over; nothing was changed. "
                + "Send it again (a change with the same idempotency_key)",
            retryable: true)
    }

    /// Another session held a lock this request needed for longer than the lock timeout.
    public static func lockTimeout() -> AppError {
        AppError(
            .lockTimeout,
            message: "Another session held a record this request needed for too long; nothing was changed. Retry (a change with the same idempotency_key)",
            retryable: true)
    }

    /// A statement of this request ran longer than the statement timeout (or was cancelled).
    public static func statementTimeout() -> AppError {
        AppError(
            .statementTimeout,
            message: "The database stopped this request because it ran longer than the statement timeout; nothing was changed. Retry (a change with the same idempotency_key); if it keeps happening, ask for less at once (a shorter range, a smaller page) or have the operator raise MEETINGLEDGER_STATEMENT_TIMEOUT_MS",
            retryable: true)
    }

    /// The database ended the request's transaction because the service sat idle inside it
    /// (the process was paused or stopped) for longer than the idle-in-transaction timeout.
    public static func transactionIdleTimeout() -> AppError {
        AppError(
            .transactionIdleTimeout,
            message: "The database ended this request's transaction because the service paused inside it for too long; nothing was changed. Retry (a change with the same idempotency_key)",
            retryable: true)
    }
}
