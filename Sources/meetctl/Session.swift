import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Everything one meetctl run shares: the meetingd it talks to (started on first use, here or
/// over ssh), who is acting, their clock, and names looked up once.
final class Session {
    let invocation: Invocation
    private var client: MeetingdClient?
    private var pinnedActorCache: String??
    private var actorIdCache: String?
    private var actorCache: JSON?
    private var clockCache: PersonClock?
    private var servicesCache: [JSON]?
    private var locationsCache: [JSON]?
    private var emailCache: [String: String] = [:]
    /// The people this run looked up by e-mail: each id with the address typed for it, so a
    /// refusal that names the id names the address too.
    private(set) var typedEmails: [String: String] = [:]
    private var peopleCache: [String: JSON?] = [:]
    private var accountsCache: [String: JSON?] = [:]
    private var pingCache: JSON?
    private var savedIdentityCache: SavedIdentity??
    var out = Output()

    init(invocation: Invocation) { self.invocation = invocation }

    /// The running meetingd, started on first use: here, or with --remote over ssh.
    func meetingd() throws -> MeetingdClient {
        if let client { return client }
        let launch: MeetingdLaunch
        if let destination = invocation.string("remote") {
            launch = try Remote.launch(try Remote.destination(destination))
        } else {
            let executable = try Locator.meetingd(explicit: invocation.string("meetingd"))
            launch = .local(executable: executable, databaseURL: try Locator.databaseURL(), testClock: invocation.has("test-clock"))
        }
        let started = try MeetingdClient(launch)
        client = started
        return started
    }

    func finish() { client?.finish() }

    // MARK: Calls

    /// Calls `method` as the acting person.
    func call(_ method: String, _ params: [String: JSON] = [:]) throws -> JSON {
        var all = params
        all["actor"] = .string(try actorId())
        return try meetingd().call(method, .object(all))
    }

    /// Lists whose later pages give an item that changed during the pass again, as it is now
    /// (docs/METHODS.md), so that no page skips it.
    static let listsRepeatingChangedItems: Set<String> = ["meeting.list", "meeting.waiting", "conversation.list"]

    /// Lists of figures as of a time, each page read as of its own time unless `as_of` is given
    /// (docs/METHODS.md): a pass over several pages is read as of one time.
    static let listsAsOfATime: Set<String> = ["ledger.accounts", "report.earnings_due"]

    /// The time a pass over `method`'s pages is read as of, when `result` is the first page of
    /// several read at its own time: that page's `as_of`, for the pass to begin again as of it
    /// (every page, the first too, then a cut at the same time, so rows and totals agree).
    static func timeToPin(_ method: String, asked page: [String: JSON], answered result: JSON) -> JSON? {
        guard listsAsOfATime.contains(method), page["as_of"] == nil, page["cursor"] == nil,
            let next = result["next_cursor"], !next.isNull, let asOf = result["as_of"], asOf.stringValue != nil
        else { return nil }
        return asOf
    }

    /// Every item of a paged list method (at most `maxPages` pages of 500); of a list that may
    /// give an item again, each id once, as it was last given, where it was last given; of a
    /// list of figures, every page as of one time.
    func allPages(_ method: String, _ params: [String: JSON] = [:], key: String = "items", maxPages: Int = 200) throws -> (items: [JSON], last: JSON) {
        var items: [JSON] = []
        var page = params
        page["limit"] = page["limit"] ?? 500
        for _ in 0..<maxPages {
            let result = try call(method, page)
            if let pinned = Self.timeToPin(method, asked: page, answered: result) {
                page["as_of"] = pinned
                continue
            }
            items += result[key]?.arrayValue ?? []
            guard let next = result["next_cursor"], !next.isNull else {
                return (Self.listsRepeatingChangedItems.contains(method) ? Self.latestOfEachId(items) : items, result)
            }
            page["cursor"] = next
        }
        throw ToolError(message: "\(method) returned more than \(maxPages) pages of 500; \(narrowingHint)")
    }

    /// Each id's last occurrence, in the order of those occurrences; items without an id kept.
    static func latestOfEachId(_ items: [JSON]) -> [JSON] {
        var seen = Set<String>()
        var kept: [JSON] = []
        for item in items.reversed() {
            if let id = item["id"]?.stringValue {
                guard seen.insert(id).inserted else { continue }
            }
            kept.append(item)
        }
        return kept.reversed()
    }

    /// What to do about a listing too long to gather: the options of this command that narrow it.
    var narrowingHint: String {
        let narrowing = invocation.command.options.map(\.name).filter { ["from", "to", "kind", "status", "role", "as-of"].contains($0) }
        return narrowing.isEmpty
            ? "narrow the request"
            : "narrow it with " + narrowing.map { "--" + $0 }.joined(separator: ", ")
    }

    // MARK: The acting person

    /// Under --remote, the person the far meetingd is pinned to (its system.ping says), if any.
    private func pinnedActor() throws -> String? {
        guard invocation.has("remote") else { return nil }
        if let pinnedActorCache { return pinnedActorCache }
        let pinned = try meetingd().call("system.ping", .object([:]))["pinned_actor"]?.stringValue
        if let pinned, !Identifier.isValid(pinned, kind: .person) {
            throw ToolError(message: "the meetingd at --remote answered a pinned_actor that is not a person id: \(pinned.prefix(60).debugDescription)")
        }
        pinnedActorCache = .some(pinned)
        return pinned
    }

    /// Where the acting person came from, as `whoami` says it.
    enum ActorSource: Equatable {
        case option, environment, pinned(String), saved(String)

        var description: String {
            switch self {
            case .option: return "--as"
            case .environment: return "MEETINGLEDGER_ACTOR"
            case .pinned(let host): return "the person the meetingd at \(host) is pinned to"
            case .saved(let file): return "meetctl use (saved in \(file))"
            }
        }
    }

    /// The identity `meetctl use` saved, read once.
    func savedIdentity() throws -> SavedIdentity? {
        if let savedIdentityCache { return savedIdentityCache }
        let saved = try SavedIdentity.load()
        savedIdentityCache = .some(saved)
        return saved
    }

    /// Who acts when --as is not given: MEETINGLEDGER_ACTOR, else the person --remote pins,
    /// else the person `meetctl use` saved.
    func standingActor() throws -> (given: String, source: ActorSource)? {
        if let actor = ProcessInfo.processInfo.environment["MEETINGLEDGER_ACTOR"], !actor.isEmpty { return (actor, .environment) }
        if let pinned = try pinnedActor() { return (pinned, .pinned(invocation.string("remote") ?? "")) }
        if let saved = try savedIdentity() { return (saved.personId, .saved(LocalFiles.configFile ?? "")) }
        return nil
    }

    /// How the acting person was given.
    func actorSource() throws -> ActorSource? {
        invocation.has("as") ? .option : try standingActor()?.source
    }

    /// `--as`, else the standing actor (MEETINGLEDGER_ACTOR, the person a --remote meetingd is
    /// pinned to, the person `meetctl use` saved). An e-mail is looked up with
    /// person.find_by_email, called as the standing actor: someone of the same community. A
    /// pinned meetingd refuses anyone else.
    func actorId() throws -> String {
        if let actorIdCache { return actorIdCache }
        guard let given = try invocation.string("as") ?? standingActor()?.given else {
            if let destination = invocation.string("remote") {
                throw UsageError(
                    message: "who is acting? the meetingd at \(destination) is not pinned to a person (meetingd --pin-actor): give --as PERSON_ID or set MEETINGLEDGER_ACTOR",
                    hint: "the machine's operator pins each person's key to their id (README: Giving an expert access)")
            }
            throw UsageError(
                message: "who is acting? give --as PERSON_ID (or an email), set MEETINGLEDGER_ACTOR, or save yourself with meetctl use --as PERSON",
                hint: "meetctl bootstrap prints the first admin's id; meetctl people lists the others")
        }
        if Identifier.isValid(given, kind: .person) {
            actorIdCache = given
            return given
        }
        guard given.contains("@") else {
            // Named as it was given: MEETINGLEDGER_ACTOR or the saved identity, when --as was not.
            let source = try actorSource()
            throw UsageError(
                message: "\(source?.description ?? "--as"): expects a person id per_… or an email (got \"\(given)\")",
                hint: source == .environment ? "set MEETINGLEDGER_ACTOR to a person id per_… or an email, or unset it" : nil)
        }
        guard let lookup = try standingActor()?.given, Identifier.isValid(lookup, kind: .person) else {
            throw UsageError(
                message: "cannot find who \(given) is: an e-mail is looked up as someone of the community, and nobody else is acting",
                hint: "give --as per_… (your id: your admin or office has it, from meetctl people), or set MEETINGLEDGER_ACTOR (or meetctl use) to a person of the community and use --as EMAIL")
        }
        actorIdCache = lookup
        let id = try personId(email: given)
        actorIdCache = id
        return id
    }

    /// The acting person as person.get shows them.
    func actor() throws -> JSON {
        if let actorCache { return actorCache }
        let id = try actorId()
        // One read of a person per run, whether asked as the actor or by id (`person(_:)`).
        let person = try peopleCache[id].flatMap { $0 } ?? call("person.get", ["person_id": .string(id)])
        actorCache = person
        peopleCache[id] = person
        return person
    }

    func actorHasRole(_ role: String) throws -> Bool {
        try actor()["roles"]?.arrayValue?.contains(.string(role)) ?? false
    }

    /// meetingd's `system.ping` for the acting person, if there is one: its `now` is their
    /// community's pinned time under --test-clock.
    func ping() throws -> JSON {
        if let pingCache { return pingCache }
        var params: [String: JSON] = [:]
        if let actor = try? actorId() { params["actor"] = .string(actor) }
        let answer = try meetingd().call("system.ping", .object(params))
        pingCache = answer
        return answer
    }

    /// The service's time: what "today" means for defaults.
    func serviceNow() throws -> Instant {
        try ping()["now"]?.stringValue.flatMap { try? Instant(rfc3339: $0) } ?? SystemClock.now()
    }

    /// The acting person's clock (UTC when the command has no actor).
    func clock() throws -> PersonClock {
        if let clockCache { return clockCache }
        let zone = try actor()["time_zone"]?.stringValue ?? "UTC"
        let clock = PersonClock(zoneName: zone) ?? .utc
        clockCache = clock
        return clock
    }

    /// Where a finance command was given a day alone (`--as-of 2030-04-01`, read on the reader's
    /// clock) and that day starts at another moment on the community's clock, whose months the
    /// reports count: what to give for the community's day, so a month's close matches them.
    func communityDayNotes() throws -> [String] {
        // A day alone, or its midnight written out on the reader's clock.
        let days: [(option: String, day: LocalDate)] = ["as-of", "from", "to"].compactMap { name in
            switch invocation.first(name) {
            case .time(.day(let day))?: return (name, day)
            case .time(.local(let day, let time))? where time.minutes == 0: return (name, day)
            default: return nil
            }
        }
        guard !days.isEmpty else { return [] }
        let mine = try clock()
        let zone = try call("community.get")["settings"]?["time_zone"]?.stringValue ?? "UTC"
        guard let theirs = PersonClock(zoneName: zone) else { return [] }
        return days.compactMap { given in
            let start = theirs.instant(.day(given.day))
            guard start != mine.instant(.day(given.day)) else { return nil }
            return "--\(given.option) \(given.day) is the start of that day on your clock (\(mine.zoneName)); the community's months, "
                + "as the reports count them, are on its clock (\(theirs.zoneName)), where that day starts at --\(given.option) \(theirs.withOffset(start))"
        }
    }

    /// The person of the acting person's community with `email` (person.find_by_email, which
    /// any member may call).
    func personId(email: String) throws -> String {
        let id = try emailCache[email.lowercased()] ?? lookUp(email: email)
        emailCache[email.lowercased()] = id
        typedEmails[id] = typedEmails[id] ?? email
        return id
    }

    private func lookUp(email: String) throws -> String {
        let found: JSON
        do {
            found = try call("person.find_by_email", ["email": .string(email)])
        } catch let e as ServiceError where e.dataCode == "not_found" {
            // meetctl people is staff's (person.list: admins, the office, finance): anyone else
            // asks the office.
            let seesEveryone = try ["admin", "office", "finance"].contains { try actorHasRole($0) }
            throw ToolError(
                message: "nobody you may look up has the e-mail \(email) in your community "
                    + "(someone who is only a user looks up experts, themself and the students they book for)",
                hint: seesEveryone ? "check the address; meetctl people lists everyone" : "check the address, or ask your office for the person's id")
        } catch let e as ServiceError where e.code == -32602 {
            throw UsageError(message: "\(email) is not an e-mail address", hint: "give a person id per_… or an e-mail such as sam@example.org")
        }
        guard let id = found["id"]?.stringValue else { throw ToolError(message: "person.find_by_email answered no id for \(email)") }
        return id
    }

    // MARK: Names

    func services() throws -> [JSON] {
        if let servicesCache { return servicesCache }
        let all = try allPages("service.list").items
        servicesCache = all
        return all
    }

    /// A person as `person.get` gives them, asked once per run; nil when the acting person may
    /// not see them (or they are not of the community).
    func person(_ id: String) throws -> JSON? {
        if let known = peopleCache[id] { return known }
        let found = try readableOrNil { try call("person.get", ["person_id": .string(id)]) }
        peopleCache[id] = found
        return found
    }

    /// `First Last (email)` of a person, the e-mail being what --person and --user take.
    func personName(_ id: String) throws -> String? { try personName(id, nameWidth: nil) }

    /// The person's name with their e-mail, the name cut to `nameWidth` terminal columns (a
    /// table's cell: the e-mail beside it tells two cut names apart).
    func personName(_ id: String, nameWidth: Int?) throws -> String? {
        guard let p = try person(id) else { return nil }
        var name = Session.fullName(p)
        if let nameWidth { name = name.truncated(toTerminalWidth: nameWidth) }
        guard let email = p["email"]?.stringValue else { return name.isEmpty ? nil : name }
        return name.isEmpty ? email : "\(name) (\(email))"
    }

    /// The person an option or argument of the command gave (`customer`, `PERSON`), named as
    /// `personName(_:)` names them where the reader may look them up, else as it was typed.
    func personNamed(by name: String) throws -> String {
        let typed = invocation.string(name) ?? name
        let command = invocation.command
        guard let param = command.options.first(where: { $0.name == name })?.param ?? command.arguments.first(where: { $0.name == name })?.param,
            let id = try mappedParams()[param]?.stringValue
        else { return typed }
        return try personName(id) ?? typed
    }

    /// An expert as anyone may name them: their name and e-mail where the acting person may read
    /// the person, else the name their public profile shows (`person.profile`).
    func expertName(_ id: String) throws -> String? {
        if let name = try personName(id) { return name }
        return try readableOrNil { try call("person.profile", ["person_id": .string(id)]) }?["display_name"]?.stringValue
    }

    /// An account's kind and owner (`ledger.balance`), asked once per run; nil when the acting
    /// person may not read it.
    func account(_ id: String) throws -> JSON? {
        if let known = accountsCache[id] { return known }
        let found = try readableOrNil { try call("ledger.balance", ["account_id": .string(id)])["accounts"]?.arrayValue?.first }
        accountsCache[id] = found
        return found
    }

    /// What an account is, in words: `Sam Lee's wallet`, `issuance`, `platform revenue`.
    func accountName(_ id: String) throws -> String? {
        guard let a = try account(id), let kind = a["kind"]?.stringValue else { return nil }
        return try accountName(kind: kind, owner: a["owner_id"]?.stringValue)
    }

    /// An account of `kind` (and `owner`) in words, as `accountName(_:)` says it; `ownerName`
    /// where the owner is one the reader may not look up.
    func accountName(kind: String, owner: String?, ownerName: String? = nil) throws -> String {
        let words = Session.accountKindWords[kind] ?? kind
        guard let owner else { return words }
        let who = try person(owner).map { Session.fullName($0) } ?? ownerName ?? ""
        return "\(who.isEmpty ? owner : who)'s \(words)"
    }

    /// `First Last` from `first_name` and `last_name`, or from the fields with `prefix`
    /// (`owner_first_name` in an account's row).
    static func fullName(_ person: JSON, prefix: String = "") -> String {
        [person[prefix + "first_name"]?.stringValue, person[prefix + "last_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
    }

    static let accountKindWords = [
        "user_wallet": "wallet", "expert_earnings": "earnings", "platform_revenue": "platform revenue", "issuance": "issuance", "payouts": "payouts",
    ]

    /// The answer of `read`, or nil when the service refuses it as forbidden or not found: a
    /// name meetctl adds to an id is left out rather than failing the command.
    private func readableOrNil(_ read: () throws -> JSON?) throws -> JSON? {
        do {
            return try read()
        } catch let e as ServiceError where e.code == 4003 || e.code == 4004 {
            return nil
        }
    }

    func serviceName(_ id: String) throws -> String? {
        try services().first { $0["id"]?.stringValue == id }?["name"]?.stringValue
    }

    /// A service id for an id or a name: the service called that (case-insensitively), else
    /// the only one whose name starts with it.
    func serviceId(_ given: String) throws -> String {
        if Identifier.isValid(given, kind: .service) { return given }
        let all = try services()
        let named = { (s: JSON) in s["name"]?.stringValue?.lowercased() ?? "" }
        let wanted = given.lowercased()
        let exact = all.filter { named($0) == wanted }
        let matches = exact.isEmpty ? all.filter { named($0).hasPrefix(wanted) } : exact
        if matches.count == 1, let id = matches[0]["id"]?.stringValue { return id }
        let names = { (list: [JSON]) in list.compactMap { $0["name"]?.stringValue }.sorted() }
        if matches.isEmpty {
            let known = names(all)
            throw UsageError(
                message: "no service called \"\(given)\"",
                hint: (Suggest.didYouMean(given, known).map { $0 + " " } ?? "") + "services: " + (known.isEmpty ? "none yet (meetctl service add)" : known.joined(separator: ", ")))
        }
        throw UsageError(
            message: "several services start with \"\(given)\": \(names(matches).joined(separator: ", "))",
            hint: "give more of the name, or the id (meetctl services)")
    }

    // MARK: Meetings

    /// A meeting id for what was typed: an id as it is; a row of the last listing (made as the
    /// acting person); the end of an id, found in that listing, else among the acting person's
    /// meetings on either side, past ones too.
    func meetingId(_ reference: MeetingReference) throws -> String {
        switch reference {
        case .id(let id):
            return id
        case .row(let row):
            guard let listing = try ListingState.load() else {
                throw UsageError(message: "no listing to take row \(row) from: run meetctl meetings (the office: meetctl waiting) first", hint: "or give the meeting's id, or its last 6 characters")
            }
            let me = try actorId()
            guard listing.actorId == me else {
                throw UsageError(
                    // Who made it is not named: it may be a person of another community.
                    message: "the last listing was made as another person, not as you (\(me)): run meetctl meetings (the office: meetctl waiting) first",
                    hint: "row numbers refer to the last table meetctl meetings or meetctl waiting printed")
            }
            guard row <= listing.meetingIds.count else {
                throw UsageError(message: "the last listing has \(Counted.words(Int64(listing.meetingIds.count), "row")); there is no row \(row)", hint: "run meetctl meetings (the office: meetctl waiting) again to see them")
            }
            return listing.meetingIds[row - 1]
        case .suffix(let end):
            let me = try actorId()
            if let listing = try ListingState.load(), listing.actorId == me {
                let listed = listing.meetingIds.filter { $0.hasSuffix(end) }
                if listed.count == 1 { return listed[0] }
            }
            var mine: [String] = []
            for role in try actor()["roles"]?.arrayValue?.compactMap(\.stringValue).filter({ ["expert", "user"].contains($0) }) ?? [] {
                mine += try allPages("meeting.list", ["role": .string(role), "from": "0001-01-01T00:00:00Z"]).items.compactMap { $0["id"]?.stringValue }
            }
            let matches = Array(Set(mine.filter { $0.hasSuffix(end) })).sorted()
            guard matches.count == 1 else {
                throw UsageError(
                    message: matches.isEmpty
                        ? "no meeting of yours ends in \"\(end)\"" : "several of your meetings end in \"\(end)\": \(matches.joined(separator: ", "))",
                    hint: matches.isEmpty ? "meetctl meetings lists yours (--from for past ones); others' meetings need their full id" : "give more characters")
            }
            return matches[0]
        }
    }

    func locations() throws -> [JSON] {
        if let locationsCache { return locationsCache }
        let all = try allPages("location.list").items
        locationsCache = all
        return all
    }

    func locationName(_ id: String) throws -> String? {
        try locations().first { $0["id"]?.stringValue == id }?["name"]?.stringValue
    }

    /// A location id for an id or a name (case-insensitive).
    func locationId(_ given: String) throws -> String {
        if Identifier.isValid(given, kind: .location) { return given }
        let matches = try locations().filter { $0["name"]?.stringValue?.lowercased() == given.lowercased() }
        guard matches.count == 1, let id = matches[0]["id"]?.stringValue else {
            let known = try locations().compactMap { $0["name"]?.stringValue }
            throw UsageError(
                message: matches.isEmpty ? "no location called \"\(given)\"" : "several locations are called \"\(given)\": give its id",
                hint: "locations: " + (known.isEmpty ? "none yet (meetctl location add)" : known.joined(separator: ", ")))
        }
        return id
    }

    // MARK: Values

    /// A parsed command-line value as JSON for the service.
    func resolve(_ value: Parsed) throws -> JSON {
        switch value {
        case .json(let j): return j
        case .time(let t):
            let clock = try clock()
            let instant = clock.instant(t)
            // A day or time at the edge of the calendar that your clock's offset takes past it.
            guard instant.isSupported else {
                throw UsageError(
                    message: "\(t.typed) on your clock (\(clock.zoneName)) is outside the supported times \(Instant.supportedRangeText)",
                    hint: "give a later or earlier time, or an RFC 3339 time with an offset")
            }
            if case .local(let date, let time) = t {
                let readings = clock.readings(date, time)
                // A wall-clock time the clock skips (summer time begins) would silently become
                // another: refused, naming the time it would have been.
                guard !readings.isEmpty else {
                    let read = clock.local(instant)
                    throw UsageError(
                        message: "\(date) \(time) does not exist on your clock (\(clock.zoneName)): the clocks skip it that day",
                        hint: "give a time that exists, such as \(read.date) \(read.time) (\(clock.format(instant)))")
                }
                // A wall-clock time the clock shows twice (summer time ends) is asked again with
                // its offset, rather than taken as the first.
                if readings.count > 1 {
                    throw UsageError(
                        message: "\(date) \(time) happens twice on your clock (\(clock.zoneName)): the clocks go back that day",
                        hint: "give it with its offset: " + readings.map { "\(clock.withOffset($0)) (\(clock.format($0)))" }.joined(separator: " or "))
                }
            }
            return .string(instant.rfc3339)
        case .person(let p): return .string(Identifier.isValid(p, kind: .person) ? p : try personId(email: p))
        case .location(let l): return .string(try locationId(l))
        case .service(let name): return .string(try serviceId(name))
        case .meeting(let reference): return .string(try meetingId(reference))
        case .list(let items): return .array(try items.map(resolve))
        case .rules(let rules):
            return .array(try rules.flatMap { rule in
                let ids = try rule.locations.map { JSON.string(try locationId($0)) }
                let services = try rule.services.map { JSON.string(try serviceId($0)) }
                return rule.weekdays.map { day -> JSON in
                    var o: [String: JSON] = [
                        "weekday": .int(Int64(day)), "start": .string(rule.start.description), "end": .string(rule.end.description), "location_ids": .array(ids),
                    ]
                    if !services.isEmpty { o["service_ids"] = .array(services) }
                    return .object(o)
                }
            })
        }
    }

    /// The value of an option (or argument) as JSON, or nil when it was not given.
    func value(_ name: String) throws -> JSON? {
        let given = invocation.all(name)
        guard !given.isEmpty else { return nil }
        let spec = invocation.command.allOptions.first { $0.name == name }
        if spec?.repeatable == true {
            return .array(try given.flatMap { v -> [JSON] in
                let j = try resolve(v)
                if case .rules = v, let a = j.arrayValue { return a }
                return [j]
            })
        }
        return try resolve(given[0])
    }

    /// The params that the command's options and arguments map to, with the fixed ones.
    func mappedParams() throws -> [String: JSON] {
        let command = invocation.command
        var params = command.fixedParams
        for argument in command.arguments {
            guard let param = argument.param, let v = try value(argument.name) else { continue }
            params[param] = argument.variadic ? .array(try invocation.all(argument.name).map(resolve)) : v
        }
        for option in command.options {
            guard let param = option.param, let v = try value(option.name) else { continue }
            params[param] = v
        }
        if command.mutating, let key = try idempotencyKey() { params["idempotency_key"] = .string(key) }
        return params
    }

    /// --idempotency-key as the service takes it: a longer one is a usage mistake here, not a
    /// refusal by the service after meetctl has started it.
    func idempotencyKey() throws -> String? {
        guard let key = invocation.string("idempotency-key") else { return nil }
        guard key.unicodeScalars.count <= Limits.idempotencyKeyCharacters else {
            throw UsageError(
                message: "--idempotency-key: must have at most \(Limits.idempotencyKeyCharacters) characters, got \(key.unicodeScalars.count)",
                hint: "a retry key only has to be unique to one change: a short name or a UUID")
        }
        return key
    }

    /// Whether a person can answer questions: standard input is a terminal.
    var canAsk: Bool { isatty(STDIN_FILENO) != 0 }

    /// Asks a yes/no question on the terminal; false without a terminal.
    func confirm(_ question: String) -> Bool {
        guard canAsk else { return false }
        out.error(question + " [y/N] ", newline: false)
        guard let answer = Swift.readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: " \t").lowercased())
    }
}

/// What meetctl prints: results on stdout, messages on stderr. Text for people has its control
/// characters shown escaped (TerminalText); JSON, CSV and iCalendar are written exactly.
struct Output {
    /// One line: a line break inside `text` is shown as `\n`, not obeyed.
    func line(_ text: String = "") { write(1, TerminalText.line(text) + "\n") }
    /// Lines meetctl laid out (tables, records, help).
    func text(_ text: String) { write(1, TerminalText.block(text)) }
    /// `--json`: the result exactly, on one line.
    func json(_ value: JSON) { write(1, value.serialized() + "\n") }
    /// A document as it is (CSV, an .ics), for a file or another program.
    func exact(_ document: String) { write(1, document) }
    /// One line on stderr.
    func error(_ text: String, newline: Bool = true) { write(2, TerminalText.line(text) + (newline ? "\n" : "")) }

    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}
