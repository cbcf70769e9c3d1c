import Core

/// Availability commands act on the acting expert's own calendar unless --expert names another.
enum AvailabilityCommands {
    static func params(_ session: Session) throws -> [String: JSON] {
        var params = try session.mappedParams()
        if params["expert_id"] == nil { params["expert_id"] = .string(try session.actorId()) }
        return params
    }

    @Sendable static func forExpert(_ invocation: Invocation, _ session: Session) throws {
        try CommandRunner.show(try session.call(invocation.command.method!, try params(session)), session)
    }

    /// `availability remove`: one period by --period, or those within --start and --end.
    @Sendable static func remove(_ invocation: Invocation, _ session: Session) throws {
        let params = try params(session)
        let range = (params["start"] != nil, params["end"] != nil)
        guard (params["period_id"] != nil) != (range.0 || range.1), params["period_id"] != nil || (range.0 && range.1) else {
            throw UsageError(
                message: "availability remove needs --period PERIOD, or --start and --end for every period within that range",
                hint: "meetctl availability show lists the periods with their ids")
        }
        try CommandRunner.show(try session.call("availability.remove", params), session)
    }

    /// `availability block`: the period, and the meetings already in it, which stay.
    @Sendable static func block(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.call("availability.block", try params(session))
        try CommandRunner.show(result, session)
        guard !invocation.wantsJSON else { return }
        tellMeetingsThatStay(
            result["meetings_within"], "in this period (or with a new date in it)",
            "a block stops new bookings and moves into it; a request in it is not agreed there, nor a new date proposed in it", session,
            newDates: true)
        if let more = Render.unlisted(result, list: "meetings_within", count: "meetings_within_count") {
            session.out.line(more)
        }
    }

    @Sendable static func setWeekly(_ invocation: Invocation, _ session: Session) throws {
        var params = try params(session)
        if params["time_zone"] == nil { params["time_zone"] = .string(try session.clock().zoneName) }
        let result = try session.call("availability.set_weekly", params)
        if invocation.wantsJSON {
            session.out.json(result)
            return
        }
        session.out.line("Weekly hours (\(Render.plain(result["time_zone"] ?? nil))):")
        try CommandRunner.show(readableRules(result, session), session)
        tellMeetingsThatStay(result["meetings_outside_hours"], "outside these hours", "new hours stop new bookings only", session)
        if result["meetings_checked_all"] == false {
            session.out.line("Only the soonest 100 meetings to come were checked against these hours: meetctl meetings (with --person for another "
                + "expert's) lists the later ones.")
        }
    }

    /// Meetings an availability change leaves standing (`where` they are, `why` they stay), each
    /// by id with how to look at or end one; nothing when there are none.
    static func tellMeetingsThatStay(_ ids: JSON?, _ place: String, _ why: String, _ session: Session, newDates: Bool = false) {
        let meetings = (ids?.arrayValue ?? []).compactMap(\.stringValue)
        guard !meetings.isEmpty else { return }
        session.out.line()
        session.out.line(meetings.count == 1
            ? "1 meeting already \(place) stays as it is (\(why)):"
            : "\(meetings.count) meetings already \(place) stay as they are (\(why)):")
        for id in meetings { session.out.line("  \(id)") }
        session.out.line("meetctl meeting show MEETING shows one; meetctl cancel MEETING (or decline, for a request) ends it.")
        if newDates { session.out.line("A new date in the period: meetctl alternate reject MEETING turns it down (alternate withdraw, one you proposed).") }
    }

    /// Rules with day names and location names, as `availability set` and `show` print them.
    static func readableRules(_ result: JSON, _ session: Session) throws -> JSON {
        let rules = try (result["rules"]?.arrayValue ?? []).map { rule -> JSON in
            let day = rule["weekday"]?.intValue.flatMap { (1...7).contains($0) ? PersonClock.weekdays[Int($0) - 1] : nil } ?? "?"
            let names = try locationNames(rule["location_ids"], session)
            let services = try (rule["service_ids"]?.arrayValue ?? []).compactMap(\.stringValue).map { try session.serviceName($0) ?? $0 }
            return ["day": .string(day), "start": rule["start"] ?? .null, "end": rule["end"] ?? .null, "locations": .string(names.joined(separator: ", ")),
                    "services": .string(services.isEmpty ? "all" : services.joined(separator: ", "))]
        }
        return ["rules": .array(rules)]
    }

    /// A list of location ids as their names (an id without a known name as it is).
    static func locationNames(_ ids: JSON?, _ session: Session) throws -> [String] {
        try (ids?.arrayValue ?? []).compactMap(\.stringValue).map { try session.locationName($0) ?? $0 }
    }

    /// `availability show`: the next 7 days from today (on the person's clock, the service's
    /// day: under --test-clock the community's pinned one) by default.
    @Sendable static func show(_ invocation: Invocation, _ session: Session) throws {
        var params = try params(session)
        let clock = try session.clock()
        if params["from"] == nil {
            params["from"] = .string(clock.instant(.day(clock.localDate(try session.serviceNow()))).rfc3339)
        }
        if params["to"] == nil, let from = params["from"]?.stringValue, let start = try? Instant(rfc3339: from) {
            // Seven days on the person's clock: the same wall-clock time a week on, whatever a
            // change of summer time in between does to the hours; from the start of a day, to
            // the start of the day a week on (a day whose midnight is skipped starts at 01:00).
            let local = clock.local(start)
            let fromDayStart = clock.instant(.day(local.date)) == start
            params["to"] = .string(clock.instant(fromDayStart ? .day(local.date.adding(days: 7)) : .local(local.date.adding(days: 7), local.time)).rfc3339)
        }
        let result = try session.call("availability.get", params)
        if invocation.wantsJSON {
            session.out.json(result)
            return
        }
        let from = clock.format(params["from"]!.stringValue!), to = clock.format(params["to"]!.stringValue!)
        let expert = Render.plain(result["expert_id"] ?? nil)
        session.out.line("Availability of \(try session.expertName(expert) ?? expert) from \(from) to \(to)")
        session.out.line()
        session.out.line("Weekly hours (\(Render.plain(result["time_zone"] ?? nil))):")
        let rules = try readableRules(["rules": result["weekly"] ?? []], session)["rules"]?.arrayValue ?? []
        session.out.text(rules.isEmpty ? "none\n" : try Render.table(rules, ruleColumns, session))
        let blocked = result["blocked"]?.arrayValue ?? []
        if !blocked.isEmpty {
            session.out.line()
            session.out.line("Blocked:")
            session.out.text(try Render.table(blocked, [Column(header: "START", key: "start", format: .time), Column(header: "END", key: "end", format: .time)], session))
        }
        // The one-off periods as stored, with the ids `availability remove --period` takes.
        let periods = try (result["periods"]?.arrayValue ?? []).map { period -> JSON in
            let places = try locationNames(period["location_ids"], session)
            return ["id": period["id"] ?? .null, "kind": period["kind"] ?? .null, "start": period["start"] ?? .null, "end": period["end"] ?? .null,
                    "where": .string(places.isEmpty ? "-" : places.joined(separator: ", "))]
        }
        if !periods.isEmpty {
            session.out.line()
            session.out.line("One-off periods (meetctl availability remove --period ID):")
            session.out.text(try Render.table(periods, [
                Column(header: "ID", key: "id"), Column(header: "KIND", key: "kind"), Column(header: "START", key: "start", format: .time),
                Column(header: "END", key: "end", format: .time), Column(header: "WHERE", key: "where"),
            ], session))
        }
        // One row per period, with every location free then.
        var free: [(start: String, end: String, places: [String])] = []
        for period in result["free"]?.arrayValue ?? [] {
            let start = period["start"]?.stringValue ?? "", end = period["end"]?.stringValue ?? ""
            let place = try period["location_id"]?.stringValue.map { try session.locationName($0) ?? $0 } ?? "-"
            if let i = free.firstIndex(where: { $0.start == start && $0.end == end }) { free[i].places.append(place) } else { free.append((start, end, [place])) }
        }
        session.out.line()
        session.out.line("Free:")
        let rows: [JSON] = free.map { ["start": .string($0.start), "end": .string($0.end), "where": .string($0.places.joined(separator: ", "))] }
        session.out.text(rows.isEmpty ? "nothing free in this range\n" : try Render.table(rows, [
            Column(header: "START", key: "start", format: .time), Column(header: "END", key: "end", format: .time), Column(header: "WHERE", key: "where"),
        ], session))
        if let next = result["next_from"]?.stringValue {
            session.out.line()
            session.out.line("Shown up to \(clock.format(next)) (an answer holds at most 2,000 periods); for the rest: --from \(next)")
        }
    }

    static let ruleColumns = [
        Column(header: "DAY", key: "day"), Column(header: "FROM", key: "start"), Column(header: "TO", key: "end"), Column(header: "LOCATIONS", key: "locations"),
        Column(header: "SERVICES", key: "services"),
    ]
}
