import Catalog
import Community
import Core
import Meetings
import Pipeline
import RPC
import Store

/// What the methods of the older shape read as they go, through the store.
extension TransactionContext {
    func settings() throws -> CommunitySettings { try CommunityStore.settings(db, communityId: communityId).settings }

    func person(_ id: String) throws -> PersonFacts { try PeopleStore.get(db, communityId: communityId, id: id) }

    func requireUser(_ id: String, field: String = "user_id") throws -> PersonFacts { try person(id).requiring(.user, field: field) }
}

extension PersonFacts {
    static let schema: Schema = .named("Person", .object([
        .init("id", .id(.person), required: true), .init("email", .email, required: true),
        .init("first_name", .name, required: true), .init("last_name", .name, required: true),
        .init("roles", .list(.oneOf(Role.allCases.map(\.rawValue))), required: true),
        .init("time_zone", .text(), required: true), .init("suspended_until", .nullable(.timestamp), required: true),
    ], additional: true))
}

extension ServiceFacts {
    static let fields: [Schema.Field] = [
        .init("id", .id(.service), required: true), .init("name", .name, required: true),
        .init("kind", .oneOf(["generic", "expert_specific"]), required: true), .init("expert_id", .nullable(.id(.person)), required: true),
        .init("default_length_minutes", .integer(min: 5, max: 1440), required: true), .init("price_credits", .credits, required: true),
        .init("skills", .list(.text()), required: true), .init("agenda_questions", .list(.text()), required: true),
        .init("active", .boolean, required: true),
    ]
    static let schema: Schema = .named("Service", .object(fields, additional: true))
}

/// What a service or location leaves open as it is retired (`LeftOpen`, read by `ml_open_work`),
/// told with the answer so the admin knows what still waits on it: its fields in the schema.
enum OpenWork {
    /// A location's: an agreed meeting may still move to another time there.
    static let fields = fields(while: "it is retired", until: "it is offered again", alternates: false)
    /// A service's.
    static let serviceFields = fields(while: "it is retired", until: "it is offered again", alternates: true)

    /// The fields, saying what holds `while` the change lasts, `until` what; with `alternates`,
    /// the agreed meetings' new dates that can no longer be accepted meanwhile.
    static func fields(while change: String, until undone: String, alternates: Bool) -> [Schema.Field] {
        [
            .init("waiting_meetings", .list(.id(.meeting), max: Int(Listed.atMost)), required: true,
                  "Requests for it still waiting for an answer (the soonest \(Listed.atMost); waiting_meetings_count says how many in all): while \(change) they can only be declined or withdrawn (credits held return then, or when they expire at their start)"),
            .init("waiting_meetings_count", .integer(min: 0, max: .max), required: true, "How many requests for it wait in all"),
            .init("active_series", .list(.id(.series), max: Int(Listed.atMost)), required: true,
                  "Weekly series that go on (the first \(Listed.atMost) by id; active_series_count says how many in all): while \(change) their dates are not booked (both sides told each time) until \(undone) or the series is cancelled (series.cancel)"),
            .init("active_series_count", .integer(min: 0, max: .max), required: true, "How many of its weekly series go on in all"),
        ] + (!alternates ? [] : [
            .init("open_alternates", .list(.id(.meeting), max: Int(Listed.atMost)), required: true,
                  "Agreed meetings of it with a new date proposed (an alternate) not yet answered (the soonest \(Listed.atMost) by that date; open_alternates_count says how many in all): while \(change) the new date cannot be accepted; the meeting stays at its time, and its proposer withdraws the new date (meeting.withdraw_alternate), the other side rejects it, or it closes at its time"),
            .init("open_alternates_count", .integer(min: 0, max: .max), required: true, "How many of its agreed meetings have a new date proposed and not yet answered"),
        ])
    }
}

extension LocationFacts {
    static let fields: [Schema.Field] = [
        .init("id", .id(.location), required: true), .init("name", .name, required: true),
        .init("kind", .oneOf(["in_person", "virtual"]), required: true),
        .init("active", .boolean, required: true, "False once retired (location.update): no meeting is booked there or moved to it, and its hours offer no times"),
    ]
    static let schema: Schema = .named("Location", .object(fields, additional: true))
}
