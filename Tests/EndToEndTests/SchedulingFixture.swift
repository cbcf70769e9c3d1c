import Foundation
import XCTest

/// What the scheduling, series, calendar and seed 000–003 tests share: more places, services
/// and experts (in their own time zones) for a `MeetingWorld`, searching, and the two Python
/// references (zoneinfo for local times, `icalendar` for invitations).

/// One weekly availability rule as `availability.set_weekly` takes it.
func weeklyRule(_ weekday: Int, _ start: String, _ end: String, at locations: [String], services: [String]? = nil) -> JSONValue {
    var rule: [String: JSONValue] = [
        "weekday": .int(Int64(weekday)), "start": .string(start), "end": .string(end), "location_ids": .array(locations.map { .string($0) }),
    ]
    if let services { rule["service_ids"] = .array(services.map { .string($0) }) }
    return .object(rule)
}

/// The same hours on every day of the week.
func dailyRules(_ start: String, _ end: String, at locations: [String], services: [String]? = nil) -> [JSONValue] {
    (1...7).map { weeklyRule($0, start, end, at: locations, services: services) }
}

/// A slot of `availability.search`, with each expert's locations.
struct FoundSlot: Equatable, CustomStringConvertible {
    let start: String
    let end: String
    /// Expert id → location ids, as listed.
    let experts: [String: [String]]
    /// The experts in the order the slot lists them.
    let expertOrder: [String]

    var description: String { "\(start)…\(end) \(expertOrder.map { "\($0.suffix(6)):\(experts[$0]!.map { String($0.suffix(6)) })" })" }

    init(_ value: JSONValue) throws {
        guard let start = value["start"]?.string, let end = value["end"]?.string, let list = value["experts"]?.array else {
            throw HarnessError("a slot without start, end or experts: \(value)")
        }
        self.start = start
        self.end = end
        var experts: [String: [String]] = [:], order: [String] = []
        for e in list {
            guard let id = e["expert_id"]?.string, let locations = e["location_ids"]?.array?.compactMap(\.string) else {
                throw HarnessError("a slot expert without expert_id or location_ids: \(e)")
            }
            experts[id] = locations
            order.append(id)
        }
        self.experts = experts
        expertOrder = order
    }
}

extension MeetingWorld {
    func updateSettings(_ settings: [String: JSONValue]) throws {
        try meetingd.result("community.update_settings", as: admin, settings)
    }

    func addLocation(_ name: String, kind: String = "in_person") throws -> String {
        try Self.id(of: meetingd.result("location.create", as: admin, ["name": .string(name), "kind": .string(kind)]))
    }

    /// A service (its name made unique unless `exactName`); returns its id.
    func addService(
        _ name: String, lengthMinutes: Int64 = MeetingWorld.lengthMinutes, price: Int64 = MeetingWorld.price, expertId: String? = nil,
        agendaQuestions: [String] = []
    ) throws -> String {
        var params: [String: JSONValue] = [
            "name": .string(name), "kind": expertId == nil ? "generic" : "expert_specific",
            "default_length_minutes": .int(lengthMinutes), "price_credits": .int(price),
        ]
        if let expertId { params["expert_id"] = .string(expertId) }
        if !agendaQuestions.isEmpty { params["agenda_questions"] = .array(agendaQuestions.map { .string($0) }) }
        return try Self.id(of: meetingd.result("service.create", as: admin, params))
    }

    func certify(_ expertId: String, in serviceId: String) throws {
        try meetingd.result("service.certify", as: admin, ["service_id": .string(serviceId), "expert_id": .string(expertId)])
    }

    /// A person with a unique email, a chosen name and zone; returns the person.
    func addPerson(roles: [String], firstName: String, lastName: String = "Tester", timeZone: String = "UTC", email: String? = nil) throws -> JSONValue {
        var params = TestCommunity.personParams(roles: roles, firstName: firstName, lastName: lastName, timeZone: timeZone)
        if let email { params["email"] = .string(email) }
        return try meetingd.result("person.create", as: admin, params)
    }

    /// An expert certified in `services` with weekly `rules` in `timeZone` (set by the expert).
    func addScheduledExpert(firstName: String, timeZone: String, services: [String], rules: [JSONValue]) throws -> String {
        let id = try Self.id(of: addPerson(roles: ["expert"], firstName: firstName, timeZone: timeZone))
        for service in services { try certify(id, in: service) }
        try setWeekly(id, timeZone: timeZone, rules)
        return id
    }

    func setWeekly(_ expertId: String, timeZone: String, _ rules: [JSONValue]) throws {
        try meetingd.result("availability.set_weekly", as: expertId, ["expert_id": .string(expertId), "time_zone": .string(timeZone), "rules": .array(rules)])
    }

    /// A user with a first name and credits; returns the id.
    func addNamedUser(firstName: String, lastName: String = "Tester", credits: Int64 = MeetingWorld.granted, timeZone: String = "UTC") throws -> String {
        let id = try Self.id(of: addPerson(roles: ["user"], firstName: firstName, lastName: lastName, timeZone: timeZone))
        if credits > 0 { try grant(id, credits) }
        return id
    }

    func searchParams(service: String?, from: String, to: String, _ extra: [String: JSONValue]) -> [String: JSONValue] {
        var params = extra
        params["service_id"] = .string(service ?? serviceId)
        params["from"] = .string(from)
        params["to"] = .string(to)
        return params
    }

    /// `availability.search` by `actor` (default: the fixture's user), which must succeed.
    func search(as actor: String? = nil, service: String? = nil, from: String, to: String, _ extra: [String: JSONValue] = [:]) throws -> [FoundSlot] {
        let answer = try meetingd.result("availability.search", as: actor ?? user, searchParams(service: service, from: from, to: to, extra))
        guard let slots = answer["slots"]?.array else { throw HarnessError("availability.search answered \(answer)") }
        return try slots.map(FoundSlot.init)
    }

    /// The starts of the slots where `expert` is listed.
    func starts(of expert: String, in slots: [FoundSlot]) -> [String] {
        slots.filter { $0.experts[expert] != nil }.map(\.start)
    }

    /// A request with any extra params (service, location, length, topic…), which must succeed.
    @discardableResult
    func requestWith(start: String, by userId: String? = nil, expert: String? = nil, _ extra: [String: JSONValue]) throws -> JSONValue {
        var params = requestParams(start: start, expert: expert)
        params.merge(extra) { _, given in given }
        return try meetingd.result("meeting.request", as: userId ?? user, params)
    }

    /// Claims and acknowledges every ready message and returns them as the service gave them.
    func drainRaw() throws -> [JSONValue] { try drainOutbox().map(\.raw) }

    /// The series as `series.get` shows it to the admin.
    func series(_ id: String) throws -> JSONValue { try meetingd.result("series.get", as: admin, ["series_id": .string(id)]) }
}

/// Times every `minutes` from `from` up to and including `last`, RFC 3339 UTC.
func grid(from: String, through last: String, minutes: Int = 30) -> [String] {
    var out: [String] = []
    var t = MeetingTime.date(from)
    let end = MeetingTime.date(last)
    while t <= end {
        out.append(MeetingTime.text(t))
        t = t.addingTimeInterval(TimeInterval(minutes * 60))
    }
    return out
}

/// The Python references in Tests/EndToEndTests/Support, run with python3.
enum PythonReference {
    static func script(_ name: String) -> String { TestEnvironment.repoRoot + "/Tests/EndToEndTests/Support/" + name }

    static func run(_ name: String, _ arguments: [String]) throws -> JSONValue {
        let run = try runTool("python3", [script(name)] + arguments, timeout: 60)
        guard run.succeeded else { throw HarnessError("python3 \(name) failed (\(run.termination)): \(run.stderr)") }
        return try JSONValue.parse(run.stdout)
    }

    /// UTC instants (RFC 3339, `Z`) of local wall-clock times, by zoneinfo.
    static func utc(_ queries: [(zone: String, date: String, time: String)]) throws -> [String] {
        let argument = JSONValue.array(queries.map { [.string($0.zone), .string($0.date), .string($0.time)] }).serialized
        guard let instants = try run("zone_instants.py", [argument]).array?.compactMap(\.string), instants.count == queries.count else {
            throw HarnessError("zone_instants.py gave no answer for \(argument)")
        }
        return instants
    }

    static func utc(_ zone: String, _ date: String, _ time: String) throws -> String { try utc([(zone, date, time)])[0] }

    /// The fields of each invitation as the `icalendar` package parses them.
    static func invitations(_ ics: [String]) throws -> [JSONValue] {
        guard let parsed = try run("ics_fields.py", ics).array, parsed.count == ics.count else {
            throw HarnessError("ics_fields.py did not parse \(ics.count) invitations")
        }
        return parsed
    }

    static func invitation(_ ics: String) throws -> JSONValue { try invitations([ics])[0] }
}

/// Runs `lanes` on as many threads, released together, and returns every response (result or
/// error) in lane order.
func raceAll(_ lanes: [() throws -> JSONValue], timeout: TimeInterval = 120) throws -> [JSONValue] {
    let work = Unchecked(lanes)
    let results = Unchecked<[Result<JSONValue, Error>?]>(Array(repeating: nil, count: lanes.count))
    let lock = NSLock()
    let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    for lane in lanes.indices {
        Thread {
            ready.signal()
            go.wait()
            let outcome = Result { try work.value[lane]() }
            lock.lock()
            results.value[lane] = outcome
            lock.unlock()
            done.signal()
        }.start()
    }
    for _ in lanes { ready.wait() }
    for _ in lanes { go.signal() }
    for _ in lanes {
        guard done.wait(timeout: .now() + timeout) == .success else { throw HarnessError("a raced call did not finish within \(timeout) s") }
    }
    lock.lock()
    defer { lock.unlock() }
    return try results.value.map { try $0!.get() }
}

/// The ISO weekday (1 Monday … 7 Sunday) of a `YYYY-MM-DD` date.
func isoWeekday(_ date: String) -> Int {
    let days = Int(MeetingTime.date(date + "T00:00:00Z").timeIntervalSince1970 / 86_400)
    return ((days % 7) + 7 + 3) % 7 + 1
}
