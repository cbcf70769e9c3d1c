import Core
import Scheduling

public struct Reason: Sendable, Equatable {
    public let code: String
    public let label: String

    public init(code: String, label: String) {
        self.code = code
        self.label = label
    }
}

public struct NoShowPolicy: Sendable, Equatable {
    /// No-shows within `windowDays` that suspend the learner (the student booked for, else the
    /// user); 0 turns the policy off.
    public var maxNoShows: Int64
    public var windowDays: Int64
    public var suspensionDays: Int64
}

/// A community's settings with their defaults (SPEC §7). Stored whole as JSON in
/// `communities.settings`; every stored document is read back through `init(stored:)`.
public struct CommunitySettings: Sendable {
    public var autoAccept = false
    public var cancellationWindowHours: Int64 = 48
    public var userLateCancelChargePercent: Int64 = 100
    public var platformFeePercent: Int64 = 10
    public var reminderUserHours: Int64 = 24
    public var reminderExpertMinutes: Int64 = 60
    public var minNoticeMinutes: Int64 = 0
    public var horizonDays: Int64 = 90
    public var slotMinutes: Int64 = 30
    public var requireEnrollment = false
    public var allowExpertFilter = true
    public var requireSessionLog = false
    public var requireConfirmDetails = false
    /// Experts may create meetings with `meeting.propose` (seed 004); false where only users,
    /// admins and the office create them (seed 000: "Students or admins can create appointments").
    public var expertsMayPropose = true
    /// A user is notified when their request is declined (seed 000: Penji does not e-mail it).
    public var emailUserOnDecline = true
    /// A request holding credits takes the expert's time until it is answered; false lets several
    /// users ask for the same time, and only an agreed meeting takes it (seed 004).
    public var pendingHoldsSlot = true
    public var noShowPolicy = NoShowPolicy(maxNoShows: 0, windowDays: 30, suspensionDays: 14)
    public var weeklyUsageLimit: Int64? = nil
    public var labels: [String: String] = ["provider": "Expert", "class": "Service", "user": "User"]
    public var shortName = ""
    public var timeZone = "UTC"
    public var officeEmail: String? = nil
    public var sessionTypes: [String] = ["in_person", "online"]
    public var feedbackQuestions: [String] = []
    public var rejectionReasons: [Reason] = [
        Reason(code: "schedule_conflict", label: "Schedule conflict"),
        Reason(code: "not_my_expertise", label: "Outside my expertise"),
        Reason(code: "illness", label: "Illness"),
        Reason(code: "other", label: "Other"),
    ]
    public var cancellationReasons: [Reason] = [
        Reason(code: "schedule_conflict", label: "Schedule conflict"),
        Reason(code: "illness", label: "Illness"),
        Reason(code: "emergency", label: "Emergency"),
        Reason(code: "other", label: "Other"),
    ]

    public init() {}

    /// The settings a stored document holds; one that does not load is refused as
    /// `settings_unreadable` (5037) naming the setting, not as params of the call that read it.
    public init(stored: JSON) throws {
        self.init()
        guard stored.objectValue != nil else { throw Self.noObject }
        do {
            try apply(stored, path: "", given: false)
        } catch let error as AppError where error.code == .invalidParams {
            throw Self.unreadable(error, field: "")
        }
    }

    /// A stored document read setting by setting, for a change of it (`community.update_settings`):
    /// the settings that load, each as `init(stored:)` reads it (one that does not keeps its
    /// default), and the settings that do not load, each with its refusal (`settings_unreadable`).
    /// A key no setting has is left out, as every change writes the settings it knows; a document
    /// that is no object gives the defaults and its refusal under "" .
    public static func loading(stored: JSON) -> (settings: CommunitySettings, unreadable: [String: AppError]) {
        var settings = CommunitySettings()
        guard let document = stored.objectValue else { return (settings, ["": noObject]) }
        let known = Set(storedFields.map(\.name))
        var unreadable: [String: AppError] = [:]
        for (key, value) in document where known.contains(key) {
            do {
                try settings.apply(.object([key: value]), path: "", given: false)
            } catch let error as AppError {
                unreadable[key] = Self.unreadable(error, field: key)
            } catch {
                unreadable[key] = AppError.settingsUnreadable(field: key, reason: "does not load (\(error))")
            }
        }
        return (settings, unreadable)
    }

    /// A stored document that is no JSON object.
    static let noObject = AppError.settingsUnreadable(field: "", reason: "is no JSON object")

    /// `apply`'s refusal of a stored document as `settings_unreadable`: the setting's path
    /// (`field` where the refusal names none) and why.
    static func unreadable(_ error: AppError, field: String) -> AppError {
        AppError.settingsUnreadable(field: error.details["field"]?.stringValue ?? field, reason: error.details["reason"]?.stringValue ?? error.message)
    }

    /// A reason from the community's list (a decline's or a cancellation's), as settings list it
    /// and as a declined meeting names it.
    public static let reasonSchema: Schema = .named(
        "Reason", .object([.init("code", .text(min: 1, max: maxReasonCodeLength), required: true), .init("label", .name, required: true)]))

    /// A reason as an admin gives it: its code an identifier (`reasonCode`), its label on one line.
    static let givenReasonSchema: Schema = .named(
        "GivenReason", .object([
            .init("code", .line(min: 1, max: maxReasonCodeLength), required: true, "An identifier of lowercase letters, digits and underscores (schedule_conflict): what reason_code takes; a code the list held already may be given again as it is"),
            .init("label", .givenName, required: true),
        ]))

    public static let maxReasonCodeLength = 64

    /// A reason code as an admin gives it: an identifier people type after --reason and programs
    /// send as reason_code, so one word of lowercase ASCII letters, digits and underscores (a
    /// space, a capital or an accent would make codes that look alike and differ). Codes stored
    /// before this rule stand as they are.
    static func reasonCode(_ code: String, field: String) throws -> String {
        let allowed = code.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard allowed, (1...maxReasonCodeLength).contains(code.unicodeScalars.count) else {
            throw AppError.invalidParams(
                field: field, reason: "must be 1 to \(maxReasonCodeLength) lowercase letters, digits and underscores, such as schedule_conflict (the label says it in words)")
        }
        return code
    }

    /// The params of `community.update_settings` (every key optional): what people read — labels,
    /// the short name, session types, questions, reasons — is given on one line, without
    /// controls or reordering marks.
    public static let schemaFields: [Schema.Field] = fields(given: true)

    /// The same settings as stored: a document written before a rule was tightened still loads
    /// (what it holds is shown escaped wherever it goes).
    public static let storedFields: [Schema.Field] = fields(given: false)

    static func fields(given: Bool) -> [Schema.Field] {
        let reasons: Schema = .list(given ? givenReasonSchema : reasonSchema, min: 1, max: 50)
        let label: Schema = given ? .givenName : .name
        return [
            .init("auto_accept", .boolean, "Requests go straight to agreed; not on together with require_confirm_details. Turned on, it agrees the requests made from then on: those already waiting stay for the expert to answer"),
            .init("cancellation_window_hours", .integer(min: 0, max: 720),
                  "A cancellation (or skip) is late when the meeting starts less than this many hours after it; exactly this many hours before is not late. The window in force when the meeting is cancelled applies, also to meetings booked before a change"),
            .init("user_late_cancel_charge_percent", .integer(min: 0, max: 100),
                  "The part of the price a user's late cancellation keeps for the expert, in whole credits rounded down (33 % of 99 is 32); the rest is returned, and a charge that rounds to 0 returns the whole hold. The percent in force when the meeting is cancelled applies, also to meetings booked before a change (the cancellation's consequences and notice say the figure)"),
            .init("platform_fee_percent", .integer(min: 0, max: 100),
                  "The platform's share of what an expert is paid for a meeting (the whole price for a logged session, the charge for a late cancellation), in whole credits rounded down (15 % of 99 is 14, of a 32-credit charge 4). The percent in force when the credits are captured applies"),
            .init("reminder_user_hours", .integer(min: 1, max: 720)),
            .init("reminder_expert_minutes", .integer(min: 1, max: 10_080)),
            .init("min_notice_minutes", .integer(min: 0, max: 43_200),
                  "How far ahead of now a meeting a user books must start, exactly that far included; with 0 any start after now (a meeting starting now has started). Search offers the same starts"),
            .init("horizon_days", .integer(min: 1, max: 730),
                  "How far ahead of now a meeting a user books may start, in days, exactly that far included"),
            .init("slot_minutes", .integer(min: 5, max: 240),
                  "Meetings a user books start on the clock times local midnight + k × slot_minutes in the community's time_zone, the same times every day (clock changes included); it divides the day evenly. An expert's hours that begin between two grid times are bookable from the next one (with 45, hours from 10:00 from 10:30)"),
            .init("require_enrollment", .boolean),
            .init("allow_expert_filter", .boolean),
            .init("require_session_log", .boolean,
                  "An expert with a past agreed meeting not logged yet does nothing else until it is logged (meeting.log_session): their other meeting steps, chat and series are refused 4024 with the meetings' ids in data.meeting_ids; the office and admins acting for them, and users, are not held"),
            .init("require_confirm_details", .boolean,
                  "Experts must give session_type when confirming a request, and location_id where the meeting has no place yet (the request's place stands unless another is given); a user's acceptance of an expert's new date, or of a proposal without a session type or a location, then waits for the expert to make the session. Not on together with auto_accept"),
            .init("experts_may_propose", .boolean, "Experts may create meetings with meeting.propose (default true)"),
            .init("email_user_on_decline", .boolean, "The user is notified when a request is declined (default true)"),
            .init("pending_holds_slot", .boolean,
                  "A request holding credits takes the expert's time (default true); false: several users may request the same time, and confirming one that overlaps an agreed meeting gives time_conflict"),
            .init("no_show_policy", .object([
                .init("max_no_shows", .integer(min: 0, max: 100), required: true, "0 turns suspensions off"),
                .init("window_days", .integer(min: 1, max: 365), required: true),
                .init("suspension_days", .integer(min: 1, max: 365), required: true),
            ]), "A user's no-shows logged within the last window_days (one logged exactly window_days earlier no longer counts), max_no_shows of them, suspend the person the meetings were for (the student a customer booked for, else the user) for suspension_days of 24 hours each from the log (across a change of the clocks too: a day is not a calendar day), to the next whole minute (a longer suspension already running keeps its end, which the notice tells): no one can book for them meanwhile (person.unsuspend lifts it)"),
            .init("weekly_usage_limit", .nullable(.integer(min: 1, max: 1000)),
                  "Most meetings a user may have in one week (Monday to Monday in the community's zone; null: no limit). A student's meetings count for the student, whoever booked them (a customer's bookings for a student are not the customer's). It counts the meetings the user has committed to: requested (also one the expert answered with another time, which still holds the user's credits: it counts at the time the user asked for until they accept the new one, which then counts in its own week), agreed or completed; declined, expired and cancelled ones, an expert's proposals not yet accepted, and a meeting the expert did not come to (reported as the expert's no-show), do not count. A meeting the week counts already, moved within it, adds nothing to it (allowed even in a week over a limit lowered since). A week already full shows no times in the user's (or student's) availability.search"),
            .init("labels", .object([
                .init("provider", label, "What experts are called (default Expert; e.g. Tutor, Peer Mentor)"),
                .init("class", label, "What services are called (default Service; e.g. Course)"),
                .init("user", label, "What users are called (default User; e.g. Student)"),
            ]), "The words notifications use for experts, services and users (meetctl's headers stay Expert, Service, User); the keys given are changed, the others kept; {} puts every one back to its default. Each is trimmed and needs a character that can be seen"),
            .init("short_name", label, "The community's name in invitation titles and mail subjects; trimmed, and needs a character that can be seen"),
            .init("time_zone", .text(min: 1, max: 64)),
            .init("office_email", .nullable(.email)),
            .init("session_types", .list(given ? .line(min: 1, max: 64) : .text(min: 1, max: 64), min: 1, max: 20)),
            .init("feedback_questions", .list(given ? .line(min: 1, max: 500) : .text(min: 1, max: 500), max: 20)),
            .init("rejection_reasons", reasons),
            .init("cancellation_reasons", reasons),
        ]
    }

    /// What every stored or given settings document is checked against.
    static let documentSchema: Schema = .object(storedFields, additional: true)

    /// Applies the given keys (already schema-checked at the RPC boundary, re-checked here for
    /// stored documents and for rules a schema cannot express).
    /// `given`: settings an admin gives now (stricter than a document stored before a rule).
    public mutating func apply(_ json: JSON, path: String, given: Bool = true) throws {
        guard let o = json.objectValue else { throw AppError.invalidParams(field: path, reason: "must be an object") }
        try Self.documentSchema.validate(json, path: "", limits: .standard)
        for (key, value) in o {
            switch key {
            case "auto_accept": autoAccept = value.boolValue!
            case "cancellation_window_hours": cancellationWindowHours = value.intValue!
            case "user_late_cancel_charge_percent": userLateCancelChargePercent = value.intValue!
            case "platform_fee_percent": platformFeePercent = value.intValue!
            case "reminder_user_hours": reminderUserHours = value.intValue!
            case "reminder_expert_minutes": reminderExpertMinutes = value.intValue!
            case "min_notice_minutes": minNoticeMinutes = value.intValue!
            case "horizon_days": horizonDays = value.intValue!
            case "slot_minutes":
                // The grid starts at each local midnight: a length that does not divide the day
                // would leave an odd last slot before every midnight (stored values stand as they are).
                guard !given || 1440 % value.intValue! == 0 else {
                    throw AppError.invalidParams(
                        field: key, reason: "must divide the day (1440 minutes) evenly, so every day has the same grid: such as 5, 10, 15, 20, 30, 40, 45, 60, 90, 120, 180 or 240")
                }
                slotMinutes = value.intValue!
            case "require_enrollment": requireEnrollment = value.boolValue!
            case "allow_expert_filter": allowExpertFilter = value.boolValue!
            case "require_session_log": requireSessionLog = value.boolValue!
            case "require_confirm_details": requireConfirmDetails = value.boolValue!
            case "experts_may_propose": expertsMayPropose = value.boolValue!
            case "email_user_on_decline": emailUserOnDecline = value.boolValue!
            case "pending_holds_slot": pendingHoldsSlot = value.boolValue!
            case "no_show_policy":
                noShowPolicy = NoShowPolicy(
                    maxNoShows: value["max_no_shows"]!.intValue!, windowDays: value["window_days"]!.intValue!,
                    suspensionDays: value["suspension_days"]!.intValue!)
            case "weekly_usage_limit": weeklyUsageLimit = value.intValue
            case "labels":
                // {} is how an admin undoes every renaming: each label back to its default.
                if value.objectValue!.isEmpty { labels = Self().labels }
                // Given, each is a name people read (trimmed, something visible), as names are.
                for (k, v) in value.objectValue! { labels[k] = given ? try NameRule.stored(v.stringValue!, field: "labels.\(k)") : v.stringValue! }
            case "short_name": shortName = given ? try NameRule.stored(value.stringValue!, field: key) : value.stringValue!
            case "time_zone":
                // Checked against the database's zones where it is given (TimeZoneRule) and
                // where it is used, so a stored zone never locks the settings.
                timeZone = value.stringValue!
            case "office_email": officeEmail = value.stringValue
            case "session_types": sessionTypes = try Self.distinct(value, key: key, given: given, what: "type")
            case "feedback_questions": feedbackQuestions = try Self.distinct(value, key: key, given: given, what: "question")
            case "rejection_reasons", "cancellation_reasons":
                // A code stored before codes were identifiers may be kept as it is when the list
                // is given again (meetings recorded with it name it); a new one must be one.
                let stored = Set((key == "rejection_reasons" ? rejectionReasons : cancellationReasons).map(\.code))
                let list = try value.arrayValue!.enumerated().map { i, item in
                    let (code, label) = (item["code"]!.stringValue!, item["label"]!.stringValue!)
                    guard given else { return Reason(code: code, label: label) }
                    let kept = stored.contains(code) ? code : try Self.reasonCode(code, field: "\(key)[\(i)].code")
                    return Reason(code: kept, label: try NameRule.stored(label, field: "\(key)[\(i)].label"))
                }
                guard list.map(\.code).firstRepeated() == nil else {
                    throw AppError.invalidParams(field: key, reason: "has the same code twice")
                }
                if key == "rejection_reasons" { rejectionReasons = list } else { cancellationReasons = list }
            default:
                throw AppError.invalidParams(field: key, reason: "is not a known setting")
            }
        }
        // Auto-accept agrees a request without the expert, so nobody would give the session's
        // details that require_confirm_details asks the expert for.
        if given, autoAccept, requireConfirmDetails, let key = ["auto_accept", "require_confirm_details"].first(where: { o[$0] != nil }) {
            throw AppError.invalidParams(
                field: key,
                reason: "cannot be on while \(key == "auto_accept" ? "require_confirm_details" : "auto_accept") is: auto-accept agrees a request without the expert, who gives the session type and location the other asks for; turn one of them off")
        }
    }

    /// A list of names given once each: given twice, a name is refused; a document stored before
    /// that rule keeps each once.
    static func distinct(_ value: JSON, key: String, given: Bool, what: String) throws -> [String] {
        let items = value.arrayValue!.map { $0.stringValue! }
        guard given else { return items.uniqued() }
        for (i, item) in items.enumerated() { try NameRule.requireSeen(item, field: "\(key)[\(i)]") }
        guard items.firstRepeated() == nil else { throw AppError.invalidParams(field: key, reason: "names the same \(what) twice") }
        return items
    }


    public var json: JSON {
        func reasons(_ list: [Reason]) -> JSON { .array(list.map { ["code": .string($0.code), "label": .string($0.label)] }) }
        return [
            "auto_accept": .bool(autoAccept),
            "cancellation_window_hours": .int(cancellationWindowHours),
            "user_late_cancel_charge_percent": .int(userLateCancelChargePercent),
            "platform_fee_percent": .int(platformFeePercent),
            "reminder_user_hours": .int(reminderUserHours),
            "reminder_expert_minutes": .int(reminderExpertMinutes),
            "min_notice_minutes": .int(minNoticeMinutes),
            "horizon_days": .int(horizonDays),
            "slot_minutes": .int(slotMinutes),
            "require_enrollment": .bool(requireEnrollment),
            "allow_expert_filter": .bool(allowExpertFilter),
            "require_session_log": .bool(requireSessionLog),
            "require_confirm_details": .bool(requireConfirmDetails),
            "experts_may_propose": .bool(expertsMayPropose),
            "email_user_on_decline": .bool(emailUserOnDecline),
            "pending_holds_slot": .bool(pendingHoldsSlot),
            "no_show_policy": [
                "max_no_shows": .int(noShowPolicy.maxNoShows), "window_days": .int(noShowPolicy.windowDays),
                "suspension_days": .int(noShowPolicy.suspensionDays),
            ],
            "weekly_usage_limit": .optional(weeklyUsageLimit),
            "labels": .object(labels.mapValues { .string($0) }),
            "short_name": .string(shortName),
            "time_zone": .string(timeZone),
            "office_email": .optional(officeEmail),
            "session_types": .array(sessionTypes.map { .string($0) }),
            "feedback_questions": .array(feedbackQuestions.map { .string($0) }),
            "rejection_reasons": reasons(rejectionReasons),
            "cancellation_reasons": reasons(cancellationReasons),
        ]
    }

    public func label(_ key: String) -> String { labels[key] ?? key.capitalized }

    /// A label as it reads inside a sentence ("the peer mentor"): each word lower-cased, but for
    /// one with capitals past its first letter, an acronym or a brand ("MBA candidate", "TA").
    public func word(_ key: String) -> String { Self.inSentence(label(key)) }

    /// `text` as `word` writes a label inside a sentence.
    public static func inSentence(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { w in w.dropFirst().contains(where: \.isUppercase) ? String(w) : w.lowercased() }.joined(separator: " ")
    }

    /// The earliest start a user may book from `now`: the minimum notice ahead, and always after
    /// `now` itself (a meeting starting now has started), so search and request agree at notice 0.
    public func earliestStart(from now: Instant) -> Instant {
        max(now.adding(minutes: minNoticeMinutes), Instant(microseconds: now.microseconds + 1))
    }

    /// The latest start a user may book from `now`: the booking horizon.
    public func horizonEnd(from now: Instant) -> Instant { now.adding(minutes: horizonDays * 24 * 60) }

    /// The community's words for `keys`, each once ("peer mentor or peer mentor" would read as a
    /// slip where both labels are the same word).
    public func labelsOf(_ keys: [String]) -> [String] {
        var seen = Set<String>()
        return keys.map(label).filter { seen.insert($0.lowercased()).inserted }
    }
}
