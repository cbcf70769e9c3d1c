import Core

/// Commands on meetings that need more than one call or a question to the person.
enum MeetingCommands {
    /// `meetings --csv` columns: the meeting's own fields with names beside ids; times in UTC as
    /// spreadsheets read them (`YYYY-MM-DD HH:MM:SS`, the column named `…_utc`), as in the finance CSVs.
    static let csvColumns: [CSVColumn] =
        [.value("id"), .value("status"), .value("awaiting_action_by"), .instant("start"), .instant("end")]
        + ["length_minutes", "price_credits", "held_credits", "charged_credits", "credit_status", "service_id", "service_name", "location_id", "location_name", "user_id",
           "user_name", "student_id", "student_name", "expert_id", "expert_name", "topic"].map { CSVColumn.value($0) }
        + [.instant("alternate_start"), .value("series_id"), .value("video_url"), .value("side")]

    /// `meetings`: by default the one list of the meetings the person is in, as user or as
    /// expert (seed 004: "the common list of meetings he is in as a user or expert"), each row
    /// with its side; `--role` keeps one side. Rows awaiting the person's action are marked,
    /// numbered, and the numbers kept so that commands take them in place of ids.
    @Sendable static func list(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if params["role"]?.stringValue == "all" { params["role"] = nil }
        let role = params["role"]?.stringValue
        let items = try session.allPages("meeting.list", params).items
        // Every listing renumbers, --json and --csv too: their items in order, as the table numbers them.
        ListingState(actorId: try session.actorId(), meetingIds: items.compactMap { $0["id"]?.stringValue }).save(session.out)
        if invocation.wantsJSON {
            session.out.json(JSON.object(["role": .string(role ?? "all"), "items": .array(items), "next_cursor": .null]))
            return
        }
        if invocation.wantsCSV {
            let rows: [JSON] = try items.map { item in
                var o = item.objectValue ?? [:]
                o["service_name"] = try item["service_id"]?.stringValue.flatMap { try session.serviceName($0) }.map { .string($0) } ?? .null
                o["location_name"] = try item["location_id"]?.stringValue.flatMap { try session.locationName($0) }.map { .string($0) } ?? .null
                o["alternate_start"] = item["alternate"]?["start"] ?? .null
                return .object(o)
            }
            try session.writeCSV(CSVWriter.table(csvColumns, rows))
            return
        }
        guard !items.isEmpty else {
            session.out.line(role.map { "No meetings as \($0)." } ?? "No meetings.")
            return
        }
        let listed = try params["person_id"]?.stringValue ?? session.actorId()
        let rows: [JSON] = items.enumerated().map { index, item in
            var o = item.objectValue ?? [:]
            let side = role ?? item["side"]?.stringValue ?? "user"
            o["row"] = .int(Int64(index + 1))
            // A student reads the meetings booked for them; only the customer acts on the user's side.
            let acts = side != "user" || item["user_id"]?.stringValue == listed
            o["marker"] = .string(acts && item["awaiting_action_by"]?.stringValue == side ? "*" : "")
            // The other party by name (the service sends both names), else by id.
            let other = side == "expert" ? (item["user_name"] ?? item["user_id"]) : (item["expert_name"] ?? item["expert_id"])
            // A meeting a parent booked for a student names the student too (seed 003).
            if let name = other?.stringValue, let student = item["student_name"]?.stringValue {
                o["with"] = .string("\(name) for \(student)")
            } else {
                o["with"] = other ?? .null
            }
            o["side"] = .string(side)
            // The step the expert's side takes, as `waiting` says it: a new date the user accepted
            // reads like the request it was until the session is made.
            if acts, side == "expert", item["awaiting_action_by"] == "expert", let step = expertsNextStep(item) ?? loggingStep(item) {
                o["status"] = .string("\(item["status"]?.stringValue ?? "-") (\(step))")
            } else if side == "user", loggingStep(item) != nil {
                // Listed after it ended: it holds the user's credits until the expert logs it.
                o["status"] = .string("agreed (ended, to be logged)")
            }
            // A new date that can no longer be taken is not shown as one to answer.
            if item["alternate"]?["lapsed"] == true {
                o["alternate"] = .null
                if o["status"] == "agreed" { o["status"] = .string("agreed (new date lapsed)") }
            }
            return .object(o)
        }
        guard case .table(_, var columns, _) = invocation.command.output else { return }
        // Both sides in one list: each row says which one the person is on.
        if role == nil, Set(rows.compactMap { $0["side"]?.stringValue }).count > 1 {
            columns.insert(Column(header: "AS", key: "side"), at: 2)
        }
        session.out.text(try Render.table(rows, columns, session))
        if rows.contains(where: { $0["marker"] == "*" }) {
            // Another person's list (--person) marks what waits for them.
            session.out.line(params["person_id"] == nil
                ? "* awaiting your action (meetctl confirm / decline / alternate …; a session that has ended: meetctl log)"
                : "* awaiting their action")
        }
        if rows.contains(where: { $0["awaiting_processing"] == true && $0["side"] == "expert" }) {
            session.out.line("make the session: \(stepCommand("make the session", "MEETING"))")
        }
    }

    /// What the expert's side does next with a meeting that waits for it (`waiting`'s NEXT STEP):
    /// nil for an agreed one with nothing to answer (a session that has ended waits for its log).
    static func expertsNextStep(_ meeting: JSON) -> String? {
        // A student's meeting whose customer no longer acts for them is not accepted or moved.
        let unlinked = meeting["student_linked"] == false
        if meeting["awaiting_processing"] == true { return unlinked ? "decline (unlinked)" : "make the session" }
        switch meeting["status"]?.stringValue {
        case "awaiting_approval": return unlinked ? "decline (unlinked)" : "confirm or decline"
        case "agreed" where meeting["alternate"]?["proposed_by"] == "user": return unlinked ? "reject the new date (unlinked)" : "answer the new date"
        default: return nil
        }
    }

    /// What the expert does next with an agreed meeting that waits for them with nothing to
    /// answer: its session has ended and waits for its log (seed 000: "You are responsible for
    /// logging sessions"). The expert's own step: the office does not log sessions.
    static func loggingStep(_ meeting: JSON) -> String? {
        meeting["status"] == "agreed" && meeting["awaiting_action_by"] == "expert" && expertsNextStep(meeting) == nil ? "log the session" : nil
    }

    /// The command (or commands) that take `step` for `meeting`; `detailsRequired`: the community
    /// requires the session's details with the expert's confirm (seed 003: "add location and
    /// session type to confirm").
    static func stepCommand(_ step: String, _ meeting: String, detailsRequired: Bool = false) -> String {
        switch step {
        case "make the session": return "meetctl confirm \(meeting) --session-type TYPE --location LOC"
        case "answer the new date": return "meetctl alternate confirm \(meeting), or meetctl alternate reject \(meeting) --reason CODE"
        case "decline (unlinked)": return "meetctl decline \(meeting) --reason CODE, or link them again: meetctl student link"
        case "reject the new date (unlinked)": return "meetctl alternate reject \(meeting) --reason CODE, or link them again: meetctl student link"
        case "log the session": return "meetctl log \(meeting) --attendance attended (or no_show)"
        default:
            return "meetctl confirm \(meeting)" + (detailsRequired ? " --session-type TYPE --location LOC" : "") + ", or meetctl decline \(meeting) --reason CODE"
        }
    }

    /// Whether confirming `meeting` needs the session's details given with it: the community
    /// requires them and the meeting lacks one (as the service decides it, `ProcessingRule`).
    static func confirmNeedsDetails(_ meeting: JSON, _ session: Session) throws -> Bool {
        guard meeting["session_type"]?.stringValue == nil || meeting["location_id"]?.stringValue == nil else { return false }
        return try session.call("community.get")["settings"]?["require_confirm_details"] == true
    }

    /// `waiting`: the office's list, numbered and kept as the last listing (a row number typed
    /// after it acted on the listing before it), each row with the step it waits for.
    @Sendable static func waiting(_ invocation: Invocation, _ session: Session) throws {
        let items = try session.allPages("meeting.waiting", try session.mappedParams()).items
        ListingState(actorId: try session.actorId(), meetingIds: items.compactMap { $0["id"]?.stringValue }).save(session.out)
        if invocation.wantsJSON {
            session.out.json(JSON.object(["items": .array(items), "next_cursor": .null]))
            return
        }
        let rows: [JSON] = items.enumerated().map { index, item in
            var o = item.objectValue ?? [:]
            o["row"] = .int(Int64(index + 1))
            o["next_step"] = expertsNextStep(item).map { .string($0) } ?? .null
            return .object(o)
        }
        try CommandRunner.show(["items": .array(rows)], session)
    }

    /// A timeline actor's name: the meeting's parties by the names the meeting carries, anyone
    /// else (an admin, the office) where the reader may look them up.
    static func actorName(_ id: String, _ meeting: JSON, _ session: Session) throws -> String? {
        for side in ["user", "expert"] where meeting["\(side)_id"]?.stringValue == id {
            if let name = meeting["\(side)_name"]?.stringValue, !name.isEmpty { return name }
        }
        let name = try session.person(id).map { Session.fullName($0) } ?? ""
        return name.isEmpty ? nil : name
    }

    /// Who acted in a timeline event, by name where the reader may look them up, with the side
    /// they acted for.
    static func actedBy(_ event: JSON, _ meeting: JSON, _ session: Session) throws -> String {
        let role = event["actor_role"]?.stringValue ?? ""
        let name = try event["actor_id"]?.stringValue.flatMap { try actorName($0, meeting, session) }
        return name.map { role.isEmpty ? $0 : Render.cut($0, keeping: " (\(role))") } ?? role
    }

    /// A cancelled meeting's `cancelled_by` (who, and for the reason's label as it was given),
    /// `withdrawn_by` for a request or proposal its proposer withdrew, or, for a date skipped in
    /// its series, `skipped_by`: from the timeline's last such event, as a declined meeting says
    /// its reason.
    static func howCancelled(_ timeline: [JSON], _ meeting: JSON, _ session: Session) throws -> [String: JSON] {
        // Each ending's event kind (its prefix, before the side) and the line it is shown on.
        let endings = [("cancelled_by_", "cancelled_by"), ("withdrawn_by_", "withdrawn_by"), ("occurrence_skipped_by_", "skipped_by")]
        func ending(_ e: JSON) -> String? { e["kind"]?.stringValue.flatMap { kind in endings.first { kind.hasPrefix($0.0) }?.1 } }
        guard let event = timeline.last(where: { ending($0) != nil }), let line = ending(event) else { return [:] }
        let by = try actedBy(event, meeting, session)
        guard line == "cancelled_by" else { return [line: .string(by)] }
        let reason = event["reason_label"]?.stringValue ?? event["reason_code"]?.stringValue
        return [line: .string(reason.map { "\(by) for \($0)" } ?? by)]
    }

    /// `meeting show`: the meeting, then its timeline.
    @Sendable static func show(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        let meeting = try session.call("meeting.get", params)
        let timeline = try session.allPages("meeting.timeline", params).items
        if invocation.wantsJSON {
            session.out.json(JSON.object(["meeting": meeting, "timeline": .array(timeline)]))
            return
        }
        guard case .record(let columns) = invocation.command.output else { return }
        var shown = meeting.objectValue ?? [:]
        // The expert's side (the expert, the office) is told what it does next; the user's side is not.
        let reader = try session.actorId()
        let readerLogs = meeting["expert_id"] == .string(reader) ? loggingStep(meeting) : nil
        if meeting["awaiting_action_by"] == "expert", ![meeting["user_id"], meeting["student_id"]].contains(.string(reader)),
            let step = expertsNextStep(meeting) ?? readerLogs, let id = meeting["id"]?.stringValue
        {
            let detailsRequired = step == "confirm or decline" ? try confirmNeedsDetails(meeting, session) : false
            shown["next_step"] = .string("\(step): \(stepCommand(step, id, detailsRequired: detailsRequired))")
        }
        if meeting["status"] == "cancelled" { shown.merge(try howCancelled(timeline, meeting, session)) { _, said in said } }
        if meeting["alternate"]?["lapsed"] == true {
            shown["alternate_lapsed"] = .string("yes: it can no longer be taken (unanswered before it or the meeting started); the scheduler closes it when it next runs, telling its proposer")
        }
        // An expired meeting was not answered in time: by the side that had not approved it (the
        // expert's where both had, and the session was still to make).
        if meeting["status"] == "expired" {
            let side = meeting["user_approved"] == false && meeting["expert_approved"] == true ? "user" : "expert"
            let id = meeting[side == "expert" ? "expert_id" : "user_id"]?.stringValue
            let name = try id.flatMap { try actorName($0, meeting, session) }
            shown["unanswered_by"] = .string("\(name.map { "\($0) (\(side))" } ?? "the \(side)") before it started")
        }
        session.out.text(try Render.record(.object(shown), columns, session))
        session.out.line()
        session.out.line("Timeline:")
        let clock = try session.clock()
        let rows: [JSON] = try timeline.map { e in
            var o = e.objectValue ?? [:]
            var said: [String] = []
            if let r = e["reason_code"]?.stringValue {
                said.append("reason " + (e["reason_label"]?.stringValue.map { "\(Render.quotedIfNeeded($0)) (\(Render.quotedIfNeeded(r)))" } ?? Render.quotedIfNeeded(r)))
            }
            if let n = e["note"]?.stringValue { said.append(Render.quoted(n)) }
            var details = e["details"]?.objectValue ?? [:]
            details["reason_label"] = nil  // said with its code, above
            if !details.isEmpty {
                said.append(try details.keys.sorted().map { key in
                    let value = details[key]!
                    // A place by its name, a time on the reader's clock.
                    if key == "location_id", let id = value.stringValue { return "location=\(try session.locationName(id) ?? id)" }
                    let shown = value.stringValue.flatMap { try? Instant(rfc3339: $0) }.map { clock.format($0) }
                        ?? value.stringValue.map(Render.quotedIfNeeded) ?? Render.plain(value)
                    return "\(key)=\(shown)"
                }.joined(separator: ", "))
            }
            o["said"] = .string(said.joined(separator: "; "))
            o["by"] = .string(try actedBy(e, meeting, session))
            return .object(o)
        }
        session.out.text(try Render.table(rows, [
            Column(header: "TIME", key: "at", format: .time), Column(header: "EVENT", key: "kind"),
            Column(header: "BY", key: "by"), Column(header: "DETAILS", key: "said"),
        ], session))
    }

    /// `slots`: one page of bookable times, each with the experts free then (by name) and where.
    @Sendable static func slots(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        let result = try session.call("availability.search", params)
        if invocation.wantsJSON {
            session.out.json(result)
            return
        }
        let clock = try session.clock()
        let names = Dictionary((result["experts"]?.arrayValue ?? []).compactMap { p -> (String, String)? in
            guard let id = p["person_id"]?.stringValue else { return nil }
            return (id, p["display_name"]?.stringValue ?? id)
        }, uniquingKeysWith: { first, _ in first })
        let rows: [[String]] = try (result["slots"]?.arrayValue ?? []).map { slot in
            var experts: [String] = []
            for e in slot["experts"]?.arrayValue ?? [] {
                let id = e["expert_id"]?.stringValue ?? ""
                var places: [String] = []
                for location in (e["location_ids"]?.arrayValue ?? []).compactMap(\.stringValue) {
                    places.append(TerminalText.line(try session.locationName(location) ?? location))
                }
                let name: String = TerminalText.line(names[id] ?? id)
                experts.append(name + " @ " + places.joined(separator: ", "))
            }
            let start: String = clock.format(slot["start"]?.stringValue ?? "")
            let end: String = clock.format(slot["end"]?.stringValue ?? "")
            return [start, end, experts.joined(separator: "; ")]
        }
        if rows.isEmpty {
            session.out.line("No bookable times in that range.")
        } else {
            session.out.text(Render.table(["START", "END", "EXPERTS"], rows, capped: [2]))
        }
        if let left = result["experts_not_assigned"]?.intValue, left > 0 {
            // Whom the search was for: the one searching, or the user or student named.
            let whom = params["student_id"] != nil || params["user_id"] != nil ? "them" : "you"
            session.out.line((left == 1 ? "1 expert of this service is" : "\(left) experts of this service are")
                + " not assigned to \(whom): their times are not shown (the office or an admin assigns \(whom)).")
        }
        if let weeks = result["full_weeks"]?.arrayValue, !weeks.isEmpty {
            session.out.line("Weeks the weekly limit has filled: " + weeks.map { clock.format($0["start"]?.stringValue ?? "") }.joined(separator: ", "))
        }
        if result["truncated"] == true, let next = result["next_cursor"]?.stringValue {
            session.out.line("More times after these: the same command with --cursor \(next)")
        }
    }

    /// `log --attendance no_show` at a terminal asks first: a no-show may suspend the user
    /// (seed 000: "make sure you really mean it!"). Without a terminal, or with --yes, it logs.
    /// It asks only about a meeting still agreed: one already logged (a run again with its key
    /// shows the first answer) or ended otherwise is the service's to answer, not a question.
    @Sendable static func log(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        if params["attendance"]?.stringValue == "no_show", !invocation.has("yes"), session.canAsk,
            try session.call("meeting.get", ["meeting_id": params["meeting_id"] ?? .null])["status"]?.stringValue == "agreed"
        {
            session.out.error("A no-show is paid for as if attended and counts toward the community's no-show policy: it may suspend the user from booking.")
            guard session.confirm("Log the user as a no-show?") else {
                throw Failed(message: "Not logged. Run again with --attendance attended, or with --yes to log the no-show.")
            }
        }
        try CommandRunner.show(try session.call("meeting.log_session", params), session)
    }

    /// `conflicts`: a meeting, or a time, is what it checks; neither is a usage mistake.
    @Sendable static func conflicts(_ invocation: Invocation, _ session: Session) throws {
        guard invocation.has("MEETING") || invocation.has("start") else {
            throw UsageError(message: "conflicts needs MEETING, or --start and --length for a time", hint: "see meetctl conflicts --help")
        }
        guard invocation.has("MEETING") || invocation.has("length") else {
            throw UsageError(message: "conflicts --start needs --length: how long the time to check is", hint: "see meetctl conflicts --help")
        }
        let result = try session.call("meeting.conflicts", try session.mappedParams())
        try CommandRunner.show(result, session)
        if !invocation.wantsJSON, let more = Render.unlisted(result, list: "meetings", count: "count") {
            session.out.line(more)
        }
    }

    /// `series skip`: what seed 001's skip page shows, each on its line: every skipped date, and
    /// the next date now.
    @Sendable static func skipSeriesDate(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.call("series.skip", try session.mappedParams())
        if invocation.wantsJSON { return session.out.json(result) }
        let next = try result["next_occurrence"]?["start"]?.stringValue.map { try session.clock().format($0) } ?? "none"
        session.out.line("Skipped; series \(Render.plain(result["id"] ?? nil)) is \(Render.plain(result["status"] ?? nil)).")
        session.out.line("Skipped dates: \(Render.compact(result["skip_dates"] ?? nil))")
        session.out.line("Next date: \(next)")
    }

    /// `cancel`: inside the cancellation window the service wants confirm_late; ask on a
    /// terminal, or go ahead with --yes (whose first call already says confirm_late). The
    /// confirmed call keeps the command's --idempotency-key (a refused call holds nothing under
    /// it), so the same command run again shows the first answer (`cancelCall`).
    @Sendable static func cancel(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if invocation.has("yes") { params["confirm_late"] = true }
        var consequencesShown = false
        let result: JSON
        do {
            result = try cancelCall(params, session)
        } catch let e as ServiceError where e.dataCode == "late_cancellation_requires_confirmation" {
            let window = "the \(e.data["window_hours"].map(Render.plain) ?? "?")-hour cancellation window"
            if session.canAsk {
                session.out.error("This meeting starts within \(window). \(e.data["consequences"]?.stringValue ?? "")")
                consequencesShown = true
            }
            guard session.confirm("Cancel anyway?") else {
                throw ServiceError(
                    code: e.code, message: "Not cancelled: the meeting starts within \(window). Run again with --yes to cancel anyway.", data: e.data)
            }
            params["confirm_late"] = true
            result = try session.call("meeting.cancel", params)
        }
        // A late cancellation's charge, said once it is done where it was not said before asking
        // (--yes agreed to it in advance; a run again shows the first answer).
        if !consequencesShown, result["credit_status"]?.stringValue == "paid", let charged = result["charged_credits"]?.intValue, charged > 0 {
            let price = result["price_credits"]?.intValue ?? charged
            session.out.error("Cancelled within the cancellation window: \(charged) of its \(Counted.words(price, "credit")) \(charged == 1 ? "was" : "were") charged.")
        }
        try CommandRunner.show(result, session)
        // A date of a weekly series takes the series and its later dates with it (seeds 000, 001).
        if let later = result["cancelled_occurrences"]?.arrayValue, !session.invocation.wantsJSON {
            let ids = later.compactMap(\.stringValue)
            session.out.error("The weekly series is cancelled too" + (ids.isEmpty ? "." : ", with its later dates: " + ids.joined(separator: ", ")))
        }
    }

    /// meeting.cancel under the command's key. The key holds the call its first run made,
    /// confirmed or not (that run was asked on a terminal, or had --yes, or needed neither): a
    /// run again that meets the key used with other params (4090) tries the call the other way
    /// once, which answers what the first run did if that was it; otherwise the 4090 stands.
    static func cancelCall(_ params: [String: JSON], _ session: Session) throws -> JSON {
        do {
            return try session.call("meeting.cancel", params)
        } catch let e as ServiceError where e.dataCode == "idempotency_key_reused" {
            var otherWay = params
            otherWay["confirm_late"] = params["confirm_late"] == true ? nil : true
            guard let first = try? session.call("meeting.cancel", otherWay) else { throw e }
            return first
        }
    }
}
