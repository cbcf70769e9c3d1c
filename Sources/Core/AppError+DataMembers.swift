/// The members an error's `data` carries beyond `code` and `retryable`, per error: the one list
/// rpc.discover publishes (each member with an example value in the error's `data` under
/// `components.errors`, and what it holds in `info.x-error-data`). Every detail an error is made
/// with is one of its code's members here (the makers' tests check it).
extension AppError {
    public struct DataMember: Sendable {
        public let name: String
        public let example: JSON
        /// What it holds, and when it is there if not always.
        public let about: String

        public init(_ name: String, _ example: JSON, _ about: String) {
            self.name = name
            self.example = example
            self.about = about
        }
    }

    static let meetingExample: JSON = "mtg_0190f5a1c2d37e4f8a9b0c1d2e3f4a5b"

    public static let dataMembers: [Code: [DataMember]] = [
        .forbidden: [
            DataMember("roles", ["admin", "office"], "Where a role is what the caller lacks: the roles any one of which the step needs"),
        ],
        .invalidParams: [
            DataMember("field", "rules[2].start", "The param refused, as a path into the params (`rules[2].start`); `params` when they are not an object"),
            DataMember("reason", "must be an RFC 3339 time with an offset", "Why, and what it must be"),
            DataMember("errors", [["line": 3, "message": "names no person"]],
                       "Only for catalog.import_csv's csv: the problems, each {line, message}, the first 1,000"),
            DataMember("total", 1, "Only for catalog.import_csv's csv: how many problems there are"),
            DataMember("truncated", false, "Only for catalog.import_csv's csv: whether problems were left out of errors"),
        ],
        .notFound: [
            DataMember("kind", "meeting", "What was not found (meeting, person, service, account, availability period, enrollment, …)"),
            DataMember("id", meetingExample, "The id given (or what names it: `of per_… to svc_…`)"),
        ],
        .invalidState: [
            DataMember("status", "cancelled", "The status that refuses the step: the meeting's (the series' or the outbox message's where those are refused; "
                       + "`resolved`: a credit hold already captured or released; `skipped`: a series date skipped already); absent where a role refuses it"),
            DataMember("action", "confirm", "The step refused, as the method's last part (confirm, cancel, log_session, …), where a meeting's lifecycle refused it"),
            DataMember("version", 4, "With expected_version: the meeting's version now"),
            DataMember("meeting_id", meetingExample, "series.skip: the meeting of that date, already ended"),
            DataMember("date", "2030-03-06", "series.skip: the date skipped already (status skipped)"),
            DataMember("role", "expert", "The role that stands in the way: one person.update cannot take away, or one a meeting's party no longer holds"),
            DataMember("party", "user", "The meeting's party who stands in the way: with role, one who lost it (user, expert or student); with student_id, the student"),
            DataMember("student_id", "per_0190f5a1c2d37e4f8a9b0c1d2e3f4a5c", "A meeting for a student the user no longer acts for (the link is gone): that student"),
            DataMember("open_meetings", 2, "person.update: how many meetings on that role's side are still open (awaiting approval or agreed)"),
            DataMember("active_series", 0, "person.update: how many weekly series on that role's side are not finished"),
        ],
        .timeConflict: [
            DataMember("meeting_ids", [meetingExample], "The expert's agreed meetings at that time (empty when it is told to the user, who may not see them)"),
        ],
        .meetingStarted: [DataMember("start", "2030-03-12T15:00:00Z", "The meeting's scheduled start, passed; left out where the meeting's details are hidden from the caller (a meeting the expert's side declined, to its user)")],
        .lateCancellationRequiresConfirmation: [
            DataMember("window_hours", 48, "The community's cancellation window, in hours"),
            DataMember("consequences", "The 100 credits will be charged.", "What cancelling now does to the credits, in words for a person"),
        ],
        .insufficientCredits: [
            DataMember("available", 3, "The credits the wallet has free (absent when the expert or staff booking for the user are told: the user's balance is theirs)"),
            DataMember("required", 10, "The credits the call needs (for a meeting holding credits already, what it needs more)"),
            DataMember("already_held", 5, "For a meeting holding credits already: the credits it holds"),
        ],
        .usageLimitReached: [
            DataMember("limit", 2, "The community's weekly usage limit (meetings per week)"),
            DataMember("week_start", "2030-03-11T04:00:00Z", "The full week's start (its Monday's midnight in the community's time zone), when one week is full"),
            DataMember("week_end", "2030-03-18T04:00:00Z", "The full week's end, with week_start"),
        ],
        .notEnrolled: [
            DataMember("user_id", "per_0190f5a1c2d37e4f8a9b0c1d2e3f4a5c", "The person the meeting is for (the student booked for, else the user), not assigned"),
            DataMember("service_id", "svc_0190f5a1c2d37e4f8a9b0c1d2e3f4a5d", "The meeting's service: an assignment to it would do (enrollment.assign)"),
            DataMember("expert_id", "per_0190f5a1c2d37e4f8a9b0c1d2e3f4a5e", "The meeting's expert: an assignment to them would do too"),
        ],
        .suspended: [DataMember("until", "2030-04-01T00:00:00Z", "When the suspension ends")],
        .sessionLogRequired: [DataMember("meeting_ids", [meetingExample], "The past meetings whose sessions are to be logged first")],
        .answerTooLarge: [
            DataMember("answer_bytes", 2_000_000, "The size the answer would have had"),
            DataMember("max_answer_bytes", .int(Int64(Limits.standard.maxAnswerBytes)), "The bound (MEETINGLEDGER_MAX_ANSWER_BYTES)"),
        ],
        .batchAnswerFull: [DataMember("max_answer_bytes", .int(Int64(Limits.standard.maxAnswerBytes)), "The bound of the batch's answer (MEETINGLEDGER_MAX_ANSWER_BYTES)")],
        .settingsUnreadable: [
            DataMember("field", "platform_fee_percent", "The stored setting that does not load, as a path into the settings (`no_show_policy.window_days`); empty when the document is no JSON object"),
            DataMember("reason", "must be between 0 and 100, got 250", "Why, as community.update_settings would refuse it"),
        ],
        .batchTimeUp: [DataMember("max_batch_seconds", .int(Int64(Limits.standard.maxBatchSeconds)), "The bound the batch ran past before this entry started (MEETINGLEDGER_MAX_BATCH_SECONDS)")],
    ]

    /// The error's `data` as published: its code, whether it is retryable, and an example of
    /// every member it may carry.
    public var publishedData: JSON {
        var fields: [String: JSON] = ["code": .string(dataCode), "retryable": .bool(retryable)]
        for member in AppError.dataMembers[code] ?? [] { fields[member.name] = member.example }
        return .object(fields)
    }
}
