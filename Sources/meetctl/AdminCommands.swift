import Core
import Foundation

enum AdminCommands {
    /// `bootstrap` runs `meetingd bootstrap` (an operator action, not a JSON-RPC method).
    @Sendable static func bootstrap(_ invocation: Invocation, _ session: Session) throws {
        let executable = try Locator.meetingd(explicit: invocation.string("meetingd"))
        var arguments = ["bootstrap"]
        for name in ["community", "short-name", "admin-email", "admin-first", "admin-last", "time-zone"] {
            if let value = invocation.string(name) { arguments += ["--\(name)", value] }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = try Locator.databaseURL()
        let run = try Subprocess.run(executable, arguments, environment: environment)
        guard run.succeeded else {
            // Its log lines are JSON; the one saying why it stopped is at level error.
            let message = run.stderr.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("{") else { return String(line) }
                guard let entry = try? JSONParser.parse(String(line)), entry["level"]?.stringValue == "error" else { return nil }
                return entry["message"]?.stringValue
            }.joined(separator: " ")
            throw ToolError(message: message.isEmpty ? "meetingd bootstrap failed (exit status \(run.status))" : message)
        }
        guard let result = try? JSONParser.parse(run.stdout.trimmingCharacters(in: "\n")) else {
            throw ToolError(message: "meetingd bootstrap printed something unexpected: \(run.stdout.prefix(200))")
        }
        try CommandRunner.show(result, session)
        if !invocation.wantsJSON, result["created"] == false {
            session.out.line("Made before: a community of that name with that admin exists; nothing was created.")
        }
        if !invocation.wantsJSON, let admin = result["admin_id"]?.stringValue {
            session.out.line("Next: meetctl use --as \(admin)    (or export MEETINGLEDGER_ACTOR=\(admin))")
        }
    }

    @Sendable static func showPerson(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if params["person_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("person.get", params), session)
    }

    /// `certify` (or with --remove, decertify); one removed already is told by name, as an
    /// enrolment is, with the command that lists the services an expert gives.
    @Sendable static func certify(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        do {
            try CommandRunner.show(try session.call(invocation.command.method(for: invocation)!, params), session)
        } catch let e as ServiceError where e.dataCode == "not_found" && e.data["kind"] == "certification" {
            let service = try params["service_id"]?.stringValue.flatMap { try session.serviceName($0) } ?? invocation.string("service") ?? "the service"
            throw ToolError(
                message: "\(try session.personNamed(by: "expert")) is not certified for \(service): there is no such certification to remove",
                hint: "meetctl services --expert \(invocation.string("expert") ?? "EXPERT") lists the services they give", serviceError: e)
        }
    }

    /// `retire` (or with --restore, the service offered again).
    @Sendable static func retire(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        params["active"] = .bool(invocation.has("restore"))
        try CommandRunner.show(try session.call("service.set_active", params), session)
    }

    /// `person set`: at least one change, named by the command's own options.
    @Sendable static func setPerson(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        guard params.keys.contains(where: { $0 != "person_id" && $0 != "idempotency_key" }) else {
            throw UsageError(message: "person set needs something to change: --email, --first, --last, --tz, --add-roles or --remove-roles")
        }
        // Without PERSON, yourself (as person show): anyone may change their own names and zone.
        if params["person_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("person.update", params), session)
    }

    /// `service set`: at least one change; --no-skills and --no-questions give empty lists.
    @Sendable static func setService(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        for (flag, option, key) in [("no-skills", "skills", "skills"), ("no-questions", "question", "agenda_questions")] where invocation.has(flag) {
            guard params[key] == nil else { throw UsageError(message: "give --\(flag) or --\(option), not both") }
            params[key] = .array([])
        }
        guard params.keys.contains(where: { $0 != "service_id" && $0 != "idempotency_key" }) else {
            throw UsageError(message: "service set needs something to change: --name, --length, --price, --skills, --no-skills, --question or --no-questions")
        }
        try CommandRunner.show(try session.call("service.update", params), session)
    }

    /// What a retired service or location (or a certification removed) leaves open, said after
    /// it (nothing when restored or when nothing is open): requests still waiting for an answer
    /// and series going on.
    static func openWorkNote(_ r: JSON, what: String, elsewhere: Bool = false) -> String {
        guard r["active"] == false || r["certified"] == false else { return "" }
        var note = ""
        if let waiting = r["waiting_meetings"]?.arrayValue?.compactMap(\.stringValue), !waiting.isEmpty {
            let count = r["waiting_meetings_count"]?.intValue ?? Int64(waiting.count)
            let requests = Counted.words(count, "request")
            let listed = waiting.prefix(5).joined(separator: ", ") + (count > 5 ? ", …" : "")
            let one = count == 1
            let (them, their) = one ? ("it", "its") : ("them", "their")
            let expertSide = elsewhere ? "confirms \(them) at another location or declines \(them)" : "declines \(them)"
            note += " \(requests) for \(what) still \(one ? "waits" : "wait") for an answer (\(listed)): \(their) expert (or the office) \(expertSide),"
                + " \(their) \(one ? "user withdraws" : "users withdraw") \(them), or \(one ? "it expires" : "they expire") at the start."
        }
        if let series = r["active_series"]?.arrayValue, !series.isEmpty {
            let count = r["active_series_count"]?.intValue ?? Int64(series.count)
            let weekly = Counted.words(count, "weekly series", plural: "weekly series")
            let ids = series.compactMap(\.stringValue).joined(separator: ", ") + (count > Int64(series.count) ? ", …" : "")
            note += " \(weekly) \(count == 1 ? "goes" : "go") on without booking \(what): meetctl series cancel SERIES ends one (\(ids))."
        }
        if let moving = r["open_alternates"]?.arrayValue?.compactMap(\.stringValue), !moving.isEmpty {
            let count = r["open_alternates_count"]?.intValue ?? Int64(moving.count)
            let listed = moving.prefix(5).joined(separator: ", ") + (count > 5 ? ", …" : "")
            let one = count == 1
            note += " \(Counted.words(count, "agreed meeting")) \(one ? "has" : "have") a new date proposed (\(listed)) that can no longer be accepted:"
                + " \(one ? "it stays" : "they stay") at \(one ? "its" : "their") time; the proposer withdraws the new date, the other side rejects it, or it closes at its time."
        }
        return note
    }

    /// `location set`: a new name, --retire or --restore (not both).
    @Sendable static func setLocation(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        switch (invocation.has("retire"), invocation.has("restore")) {
        case (true, true): throw UsageError(message: "give --retire or --restore, not both")
        case (true, false): params["active"] = false
        case (false, true): params["active"] = true
        case (false, false):
            guard params["name"] != nil else { throw UsageError(message: "location set needs something to change: --name, --retire or --restore") }
        }
        let result = try session.call("location.update", params)
        try CommandRunner.show(result, session)
        // What it leaves open is said as it is retired, not again at each rename.
        let note = invocation.has("retire") ? openWorkNote(result, what: "it", elsewhere: true) : ""
        if !invocation.wantsJSON && !note.isEmpty { session.out.line(String(note.dropFirst())) }
    }

    /// `enroll` (or with --remove, the assignment taken back); one removed already is told by
    /// name, with the command that lists what there is.
    @Sendable static func enroll(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        guard (params["service_id"] == nil) != (params["expert_id"] == nil) else {
            throw UsageError(message: "enroll needs --service or --expert (one of them)")
        }
        do {
            try CommandRunner.show(try session.call(invocation.command.method(for: invocation)!, params), session)
        } catch let e as ServiceError where e.dataCode == "not_found" && e.data["kind"] == "enrollment" {
            let user = try session.personNamed(by: "user")
            let whom: String
            if let service = params["service_id"]?.stringValue {
                whom = "for " + (try session.serviceName(service) ?? invocation.string("service") ?? service)
            } else {
                whom = "with " + (try session.personNamed(by: "expert"))
            }
            throw ToolError(
                message: "\(user) is not enrolled \(whom): there is no such enrolment to remove",
                hint: "meetctl enrollments --user \(invocation.string("user") ?? "USER") lists their enrolments", serviceError: e)
        }
    }

    /// `student link` (or with --remove, the link ended); one ended already is told by name,
    /// with the command that lists the customer's students.
    @Sendable static func linkStudent(_ invocation: Invocation, _ session: Session) throws {
        do {
            try CommandRunner.standard(invocation, session)
        } catch let e as ServiceError where e.dataCode == "not_found" && e.data["kind"] == "student link" {
            throw ToolError(
                message: "\(try session.personNamed(by: "customer")) does not act for \(try session.personNamed(by: "student")): there is no such link to end",
                hint: "meetctl students --customer \(invocation.string("customer") ?? "CUSTOMER") lists whom they act for", serviceError: e)
        }
    }

    static func settingsLines(_ community: JSON, _ session: Session) throws -> String {
        let settings = community["settings"]?.objectValue ?? [:]
        var rows: [JSON] = [["key": "community", "value": .string("\(Render.plain(community["name"] ?? nil)) (\(Render.plain(community["id"] ?? nil)))")]]
        for key in settings.keys.sorted() { rows.append(["key": .string(key), "value": .string(Render.compact(settings[key]!))]) }
        return try Render.table(rows, [Column(header: "SETTING", key: "key"), Column(header: "VALUE", key: "value")], session)
    }

    @Sendable static func showSettings(_ invocation: Invocation, _ session: Session) throws {
        let community = try session.call("community.get")
        if invocation.wantsJSON { session.out.json(community) } else { session.out.text(try settingsLines(community, session)) }
    }

    /// `settings set k=v …`: every pair in one update_settings call.
    @Sendable static func setSettings(_ invocation: Invocation, _ session: Session) throws {
        var params: [String: JSON] = [:]
        for pair in invocation.all("KEY=VALUE") {
            if case .json(.object(let fields)) = pair { params.merge(fields) { _, new in new } }
        }
        // Not settings: who acts and the retry key are meetctl's own (--as, --idempotency-key).
        for (key, option) in [("actor", "--as"), ("idempotency_key", "--idempotency-key")] where params[key] != nil {
            throw UsageError(message: "\(key) is not a setting", hint: "give \(option) instead; meetctl settings shows the settings")
        }
        if let key = try session.idempotencyKey() { params["idempotency_key"] = .string(key) }
        let community: JSON
        do {
            community = try session.call("community.update_settings", params)
        } catch let e as ServiceError where e.code == -32602 && e.data["reason"]?.stringValue?.hasPrefix("is not a known parameter") == true {
            guard let key = e.data["field"]?.stringValue, params[key] != nil else { throw e }
            throw try unknownSetting(key, e, session)
        } catch let e as ServiceError where e.code == -32602 {
            // KEY= is the empty text; a setting that may be unset is cleared with KEY=null.
            guard let key = e.data["field"]?.stringValue, params[key] == .string(""), clearable.contains(key), let reason = e.data["reason"]?.stringValue else { throw e }
            var data = e.data.objectValue ?? [:]
            data["reason"] = .string(reason + "; \(key)=null clears it")
            throw ServiceError(code: e.code, message: "Invalid params: \(key) \(reason); \(key)=null clears it", data: .object(data))
        }
        if invocation.wantsJSON { return session.out.json(community) }
        session.out.text(try settingsLines(community, session))
        // What the change stops: weekly series whose time the new grid leaves off it.
        let offGrid = (community["series_off_grid"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard !offGrid.isEmpty || community["series_checked_all"] == false else { return }
        session.out.line()
        session.out.line("\(Counted.words(Int64(offGrid.count), "weekly series", plural: "weekly series")) now "
            + "\(offGrid.count == 1 ? "starts" : "start") off the new grid: none of their dates is booked again "
            + "(both sides are told as each date's turn comes) until cancelled and booked at a time on the grid:")
        for id in offGrid { session.out.line("  \(id)") }
        if community["series_checked_all"] == false { session.out.line("(and maybe more: not every active series was checked or listed)") }
        session.out.line("meetctl series cancel SERIES --reason R ends one; its user may then book it again at a time on the grid.")
    }

    /// The settings `null` unsets (the service's `community.update_settings`).
    static let clearable: Set<String> = ["office_email", "weekly_usage_limit"]

    /// The service's refusal of an unknown key, told with the settings there are: it lists every
    /// param of the call, among them meetctl's own (who acts, the retry key).
    static func unknownSetting(_ key: String, _ e: ServiceError, _ session: Session) throws -> ServiceError {
        let settings = (try session.call("community.get")["settings"]?.objectValue ?? [:]).keys.sorted()
        let guess = Suggest.didYouMean(key, settings).map { "; \($0)" } ?? ""
        let reason = "is not a setting\(guess) (settings: \(settings.joined(separator: ", ")))"
        var data = e.data.objectValue ?? [:]
        data["reason"] = .string(reason)
        return ServiceError(code: e.code, message: "Invalid params: \(key) \(reason)", data: .object(data))
    }

    /// `reasons`: the codes --reason accepts.
    @Sendable static func reasons(_ invocation: Invocation, _ session: Session) throws {
        let settings = try session.call("community.get")["settings"] ?? .null
        if invocation.wantsJSON {
            session.out.json(JSON.object(["rejection_reasons": settings["rejection_reasons"] ?? [], "cancellation_reasons": settings["cancellation_reasons"] ?? []]))
            return
        }
        let columns = [Column(header: "CODE", key: "code"), Column(header: "LABEL", key: "label")]
        session.out.line("For decline and alternate reject:")
        session.out.text(try Render.table(settings["rejection_reasons"]?.arrayValue ?? [], columns, session))
        session.out.line()
        session.out.line("For cancel:")
        session.out.text(try Render.table(settings["cancellation_reasons"]?.arrayValue ?? [], columns, session))
    }

    /// `ping` needs no acting person; with one, the service time is their community's.
    @Sendable static func ping(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.ping()
        if invocation.wantsJSON {
            session.out.json(result)
        } else {
            let pinned = result["pinned_actor"]?.stringValue.map { "; pinned to \($0)" } ?? ""
            // On the acting person's clock, as every time meetctl shows; UTC when nobody acts
            // (or the database that would say their zone is down).
            let clock = (try? session.actorId()) != nil && result["database"] == "ok" ? ((try? session.clock()) ?? .utc) : PersonClock.utc
            // Only when meetingd reads from a hot standby (MEETINGLEDGER_READ_DATABASE_URL).
            let standby = result["read_database"].map { "; read database \(Render.plain($0))" } ?? ""
            session.out.line(
                "meetingd \(Render.plain(result["version"] ?? nil)); database \(Render.plain(result["database"] ?? nil))\(standby); "
                    + "service time \(clock.format(result["now"]?.stringValue ?? "-"))\(pinned)")
        }
        if result["database"]?.stringValue == "read_only" {
            throw ToolError(
                message: "meetingd answers, but its database takes no writes (a standby, or a primary set read-only)",
                hint: "DATABASE_URL must lead to the writable primary: with every host and target_session_attrs=read-write")
        }
        guard result["database"]?.stringValue == "ok" else {
            throw ToolError(message: "meetingd answers, but its database does not", hint: try session.meetingd().databaseHint)
        }
    }
}
