import Foundation
import XCTest

/// Fixed instants for meeting tests. Day 0 is Monday 2030-03-04 (UTC); the service clock is
/// pinned to day 0 at noon, so a meeting on day 7 is a week ahead, far outside the 48-hour
/// cancellation window, and well inside the 90-day booking horizon.
enum MeetingTime {
    static let dayZero = date("2030-03-04T00:00:00Z")
    static let startOfTest = "2030-03-04T12:00:00Z"

    static func date(_ text: String) -> Date {
        guard let d = ISO8601DateFormatter().date(from: text) else { preconditionFailure("not an RFC 3339 UTC time: \(text)") }
        return d
    }

    /// RFC 3339 in UTC with a `Z`, the form the service answers with.
    static func text(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func at(day: Int, hour: Int, minute: Int = 0) -> String {
        text(dayZero.addingTimeInterval(TimeInterval(((day * 24 + hour) * 60 + minute) * 60)))
    }

    static func shifted(_ time: String, seconds: Int) -> String { text(date(time).addingTimeInterval(TimeInterval(seconds))) }
    static func shifted(_ time: String, minutes: Int) -> String { shifted(time, seconds: minutes * 60) }
}

/// A wallet or earnings account as `ledger.balance` shows it.
struct AccountBalance: Equatable, CustomStringConvertible {
    var posted: Int64
    var blocked: Int64
    var available: Int64
    /// Credits on their way to an expert (held for their meetings).
    var incoming: Int64

    var description: String { "posted \(posted), blocked \(blocked), available \(available), incoming \(incoming)" }
}

/// One claimed outbox message, reduced to what tests compare.
struct ClaimedMessage {
    let id: String
    let kind: String
    let channel: String
    let recipientId: String?
    let meetingId: String?
    let attempts: Int64
    let raw: JSONValue
}

/// A community with an expert, a user with credits, finance staff, a service, a location and
/// weekly availability (every day 06:00–22:00 UTC), served by one `meetingd --test-clock`
/// whose clock is pinned to `MeetingTime.startOfTest`.
final class MeetingWorld {
    static let price: Int64 = 100
    static let lengthMinutes: Int64 = 60
    static let granted: Int64 = 500
    static let feePercent: Int64 = 10

    let test: EndToEndTestCase
    let community: TestCommunity
    let meetingd: Meetingd
    let admin: String
    private(set) var expert = ""
    private(set) var user = ""
    let finance: String
    let serviceId: String
    let locationId: String
    /// Names for people and channels in compact outbox summaries ("meeting_request→expert").
    private(set) var names: [String: String] = [:]

    init(_ test: EndToEndTestCase, label: String, settings: [String: JSONValue] = [:]) throws {
        self.test = test
        community = try test.bootstrap(label)
        meetingd = try test.startMeetingd(["--test-clock"])
        admin = community.adminId
        try meetingd.result("clock.set", as: admin, ["now": .string(MeetingTime.startOfTest)])
        if !settings.isEmpty { try meetingd.result("community.update_settings", as: admin, settings) }
        locationId = try Self.id(of: meetingd.result("location.create", as: admin, ["name": "Online room", "kind": "virtual"]))
        serviceId = try Self.id(of: meetingd.result(
            "service.create", as: admin,
            ["name": "CHEM101", "kind": "generic", "default_length_minutes": .int(Self.lengthMinutes), "price_credits": .int(Self.price),
             "skills": ["Titration", "Stoichiometry"]]))
        finance = try community.createPersonId(on: meetingd, roles: ["finance"])
        names[admin] = "admin"
        names[finance] = "finance"
        expert = try addExpert(name: "expert")
        user = try addUser(name: "user")
    }

    static func id(of value: JSONValue) throws -> String {
        guard let id = value["id"]?.string else { throw HarnessError("no id in \(value)") }
        return id
    }

    // MARK: People

    /// An expert certified in the service with the fixture's weekly availability.
    func addExpert(name: String, roles: [String] = ["expert"]) throws -> String {
        let id = try community.createPersonId(on: meetingd, roles: roles)
        names[id] = name
        try meetingd.result("service.certify", as: admin, ["service_id": .string(serviceId), "expert_id": .string(id)])
        let rules: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(locationId)]] }
        try meetingd.result("availability.set_weekly", as: admin, ["expert_id": .string(id), "time_zone": "UTC", "rules": .array(rules)])
        return id
    }

    /// A user granted `credits` by finance.
    func addUser(name: String, credits: Int64 = MeetingWorld.granted, roles: [String] = ["user"]) throws -> String {
        let id = try community.createPersonId(on: meetingd, roles: roles)
        names[id] = name
        if credits > 0 { try grant(id, credits) }
        return id
    }

    func grant(_ userId: String, _ credits: Int64) throws {
        try meetingd.result("credits.grant", as: finance, ["user_id": .string(userId), "credits": .int(credits), "reference": .string("order-\(TestEnvironment.uniqueTag())")])
    }

    // MARK: Clock

    func setClock(_ now: String, on process: Meetingd? = nil) throws {
        let answer = try (process ?? meetingd).result("clock.set", as: admin, ["now": .string(now)])
        guard answer["now"]?.string == now else { throw HarnessError("clock.set answered \(answer) for \(now)") }
    }

    func advanceClock(minutes: Int64) throws {
        try meetingd.result("clock.advance", as: admin, ["minutes": .int(minutes)])
    }

    // MARK: Meetings

    func requestParams(start: String, expert: String? = nil) -> [String: JSONValue] {
        ["service_id": .string(serviceId), "expert_id": .string(expert ?? self.expert), "start": .string(start), "location_id": .string(locationId)]
    }

    /// A user's request (the user defaults to the fixture's user).
    @discardableResult
    func request(start: String, by userId: String? = nil, expert: String? = nil) throws -> JSONValue {
        try meetingd.result("meeting.request", as: userId ?? user, requestParams(start: start, expert: expert))
    }

    /// An expert's proposal to a user.
    @discardableResult
    func propose(start: String, to userId: String? = nil, by expertId: String? = nil, price: Int64 = MeetingWorld.price,
                 lengthMinutes: Int64 = MeetingWorld.lengthMinutes, extra: [String: JSONValue] = [:]) throws -> JSONValue {
        var params: [String: JSONValue] = [
            "user_id": .string(userId ?? user), "service_id": .string(serviceId), "start": .string(start),
            "length_minutes": .int(lengthMinutes), "price_credits": .int(price),
        ]
        params.merge(extra) { _, given in given }
        return try meetingd.result("meeting.propose", as: expertId ?? expert, params)
    }

    /// A user's request confirmed by the expert: agreed, the price held.
    @discardableResult
    func agreed(start: String, by userId: String? = nil, expert: String? = nil) throws -> String {
        let id = try Self.id(of: request(start: start, by: userId, expert: expert))
        let confirmed = try act("meeting.confirm", as: expert ?? self.expert, id)
        guard confirmed["status"] == "agreed" else { throw HarnessError("confirm did not agree the meeting: \(confirmed)") }
        return id
    }

    /// A meeting method on `meetingId` that must succeed; returns the meeting.
    @discardableResult
    func act(_ method: String, as actor: String, _ meetingId: String, _ extra: [String: JSONValue] = [:]) throws -> JSONValue {
        var params = extra
        params["meeting_id"] = .string(meetingId)
        return try meetingd.result(method, as: actor, params)
    }

    /// A meeting method on `meetingId` that must fail with `code`; returns the error.
    @discardableResult
    func refuse(_ method: String, as actor: String, _ meetingId: String, _ extra: [String: JSONValue] = [:], code: Int64) throws -> JSONValue {
        var params = extra
        params["meeting_id"] = .string(meetingId)
        return try meetingd.error(method, as: actor, params, code: code)
    }

    func meeting(_ id: String) throws -> JSONValue { try meetingd.result("meeting.get", as: admin, ["meeting_id": .string(id)]) }

    /// The kinds of the meeting's timeline events, oldest first.
    func timeline(_ id: String) throws -> [String] {
        try meetingd.allPages("meeting.timeline", as: admin, ["meeting_id": .string(id)]).map { $0["kind"]?.string ?? "?" }
    }

    func timelineEvents(_ id: String) throws -> [JSONValue] {
        try meetingd.allPages("meeting.timeline", as: admin, ["meeting_id": .string(id)])
    }

    /// The meeting's transfers as "kind phase credits", in order (read by finance).
    func trail(_ id: String) throws -> [String] {
        let trail = try meetingd.result("ledger.meeting_trail", as: finance, ["meeting_id": .string(id)])
        guard let transfers = trail["transfers"]?.array else { throw HarnessError("no transfers in \(trail)") }
        return transfers.map { "\($0["kind"]?.string ?? "?") \($0["phase"]?.string ?? "?") \($0["credits"]?.int ?? -1)" }
    }

    // MARK: Ledger

    /// The person's account of `kind` (user_wallet or expert_earnings), as the person reads it.
    func balance(_ personId: String, kind: String) throws -> AccountBalance {
        let answer = try meetingd.result("ledger.balance", as: personId, ["person_id": .string(personId)])
        guard let account = answer["accounts"]?.array?.first(where: { $0["kind"]?.string == kind }),
            let posted = account["posted"]?.int, let blocked = account["blocked"]?.int, let available = account["available"]?.int,
            let incoming = account["incoming"]?.int
        else { throw HarnessError("no \(kind) account in \(answer)") }
        return AccountBalance(posted: posted, blocked: blocked, available: available, incoming: incoming)
    }

    func wallet(_ userId: String? = nil) throws -> AccountBalance { try balance(userId ?? user, kind: "user_wallet") }
    func earnings(_ expertId: String? = nil) throws -> AccountBalance { try balance(expertId ?? expert, kind: "expert_earnings") }

    /// A user wallet after `blocked` is held and `spent` paid out of the fixture's grant.
    static func wallet(blocked: Int64 = 0, spent: Int64 = 0, granted: Int64 = MeetingWorld.granted) -> AccountBalance {
        AccountBalance(posted: granted - spent, blocked: blocked, available: granted - spent - blocked, incoming: 0)
    }

    /// An expert's earnings with `incoming` held for them and `captured` paid (less the fee).
    static func earnings(incoming: Int64 = 0, captured: Int64 = 0) -> AccountBalance {
        let kept = captured - captured * feePercent / 100
        return AccountBalance(posted: kept, blocked: 0, available: kept, incoming: incoming)
    }

    func assertReconciled(file: StaticString = #filePath, line: UInt = #line) throws {
        let answer = try meetingd.result("ledger.reconcile", as: finance)
        XCTAssertEqual(answer["ok"], true, "ledger.reconcile found problems: \(answer["problems"] ?? .null)", file: file, line: line)
    }

    // MARK: Outbox

    /// Claims every ready message (all channels), acknowledges them, and returns them in order.
    func drainOutbox(consumer: String = "test") throws -> [ClaimedMessage] {
        var all: [ClaimedMessage] = []
        for _ in 0..<20 {
            let claimed = try claim(consumer: consumer, limit: 500)
            if claimed.isEmpty { return all }
            try meetingd.result("outbox.ack", as: admin, ["ids": .array(claimed.map { .string($0.id) })])
            all += claimed
        }
        throw HarnessError("the outbox never ran dry")
    }

    func claim(consumer: String, limit: Int64, extra: [String: JSONValue] = [:]) throws -> [ClaimedMessage] {
        var params = extra
        params["consumer"] = .string(consumer)
        params["limit"] = .int(limit)
        let answer = try meetingd.result("outbox.claim", as: admin, params)
        guard let messages = answer["messages"]?.array else { throw HarnessError("outbox.claim answered \(answer)") }
        return messages.map { m in
            ClaimedMessage(
                id: m["id"]?.string ?? "", kind: m["kind"]?.string ?? "", channel: m["channel"]?.string ?? "",
                recipientId: m["recipient_id"]?.string, meetingId: m["meeting_id"]?.string, attempts: m["attempts"]?.int ?? -1, raw: m)
        }
    }

    /// The fixture's name for a person ("user", "expert", …), or the id.
    func name(_ personId: String) -> String { names[personId] ?? personId }

    /// "kind→recipient" for each message: the recipient's fixture name for notifications,
    /// the channel for integration messages.
    func summary(_ messages: [ClaimedMessage]) -> [String] {
        messages.map { m in "\(m.kind)→\(m.recipientId.map(name) ?? m.channel)" }
    }

    /// `kinds` plus the calendar invitation both parties get whenever an agreed date appears,
    /// moves or is cancelled (seed 001), sorted as `drainedSummary()` is.
    static func withInvites(_ kinds: [String], user: String = "user") -> [String] {
        (kinds + ["calendar.invite→expert", "calendar.invite→\(user)"]).sorted()
    }

    /// Drains the outbox and returns its summary, sorted (messages of one change have no order).
    func drainedSummary() throws -> [String] { summary(try drainOutbox()).sorted() }
}

/// Checks of a meeting object's lifecycle fields.
func assertMeeting(
    _ m: JSONValue, status: String, credit: String, expertApproved: Bool? = nil, userApproved: Bool? = nil, start: String? = nil,
    _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(m["status"]?.string, status, "status \(message)", file: file, line: line)
    XCTAssertEqual(m["credit_status"]?.string, credit, "credit_status \(message)", file: file, line: line)
    if let expertApproved { XCTAssertEqual(m["expert_approved"]?.bool, expertApproved, "expert_approved \(message)", file: file, line: line) }
    if let userApproved { XCTAssertEqual(m["user_approved"]?.bool, userApproved, "user_approved \(message)", file: file, line: line) }
    if let start { XCTAssertEqual(m["start"]?.string, start, "start \(message)", file: file, line: line) }
}

/// A box for handing non-Sendable harness objects to a thread the test waits for.
final class Unchecked<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Runs two calls on two threads released at the same instant and returns both responses
/// (result or error), in argument order.
func race(_ first: @escaping () throws -> JSONValue, _ second: @escaping () throws -> JSONValue) throws -> (JSONValue, JSONValue) {
    let lanes = Unchecked([first, second])
    let results = Unchecked<[Result<JSONValue, Error>?]>([nil, nil])
    let lock = NSLock()
    let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    for lane in 0..<2 {
        Thread {
            ready.signal()
            go.wait()
            let outcome = Result { try lanes.value[lane]() }
            lock.lock()
            results.value[lane] = outcome
            lock.unlock()
            done.signal()
        }.start()
    }
    ready.wait()
    ready.wait()
    go.signal()
    go.signal()
    for _ in 0..<2 {
        guard done.wait(timeout: .now() + 120) == .success else { throw HarnessError("a raced call did not finish within 120 s") }
    }
    lock.lock()
    defer { lock.unlock() }
    return (try results.value[0]!.get(), try results.value[1]!.get())
}
