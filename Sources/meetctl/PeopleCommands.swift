import Catalog
import Core

/// Profiles and enrolments: what experts say about themselves, and who is assigned to whom.
extension Commands {
    /// The chat `chat show` and `chat send` take: a conversation, or a meeting's.
    static let chat = ArgumentSpec(name: "CHAT", kind: .chat, param: "conversation_id", help: "The conversation, or the meeting whose chat it is")

    static let profileRecord: OutputSpec = .record([
        Column(header: "Expert", key: "person_id"), Column(header: "Name", key: "display_name"),
        Column(header: "Languages", key: "languages", format: .compact, optional: true), Column(header: "Photo", key: "photo_url", optional: true),
        Column(header: "Bio", key: "bio", format: .paragraphs, optional: true),
    ])

    /// What `import` reads and `export` writes.
    static let catalogKind = ArgumentSpec(
        name: "KIND", kind: .choice(["people", "services", "certifications", "enrollments"]), param: "kind",
        help: "people (with their roles and time zones), services, certifications (which expert gives which service) "
            + "or enrollments (which user is assigned to which service or expert)")

    static let people: [CommandSpec] = [
        CommandSpec(
            path: ["profile", "show"], section: .experts, summary: "An expert's public profile, as users see it (default: yours)",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id", help: "Default: yourself", required: false)],
            method: "person.profile", output: profileRecord, run: PeopleCommands.showProfile),
        CommandSpec(
            path: ["profile", "set"], section: .experts, summary: "Write your public profile (admins: --person); options left out keep their value",
            options: [
                OptionSpec(name: "person", kind: .person, param: "person_id", help: "Whose profile (admins); default: yours"),
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "display_name", help: "The name users see"),
                OptionSpec(name: "bio", kind: .text(placeholder: "TEXT"), param: "bio", help: "A few lines about you (at most 2000 characters)"),
                OptionSpec(name: "bio-file", kind: .file, param: "bio", help: "The bio from a text file"),
                OptionSpec(name: "photo", kind: .text(placeholder: "URL"), param: "photo_url", help: "An https:// URL of your photo"),
                OptionSpec(name: "no-photo", kind: .flag, help: "Remove the photo"),
                OptionSpec(name: "language", kind: .text(placeholder: "TAG"), param: "languages", help: "A language you meet in (en, cs, pt-BR); repeat for more; replaces the list", repeatable: true),
            ],
            method: "person.set_profile", mutating: true, output: profileRecord, run: PeopleCommands.setProfile),
        CommandSpec(
            path: ["experts"], section: .experts, summary: "The community's experts and their profiles (--service: those who offer it)",
            options: [OptionSpec(name: "service", kind: .service, param: "service_id", help: "Only the experts of this service, by id or name")],
            method: "person.profiles",
            output: .table(key: "items", [
                Column(header: "EXPERT", key: "person_id"), Column(header: "NAME", key: "display_name"),
                Column(header: "LANGUAGES", key: "languages", format: .compact), Column(header: "PHOTO", key: "photo_url"),
            ], empty: "No experts."),
            allPages: true),
        CommandSpec(
            path: ["enrollments"], section: .admin, summary: "Enrolments of a user, a service or an expert (admins: all without options)",
            options: [
                OptionSpec(name: "user", kind: .person, param: "user_id", help: "This user's enrolments"),
                OptionSpec(name: "service", kind: .service, param: "service_id", help: "The users assigned to this service"),
                OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "The users assigned to this expert"),
            ],
            method: "enrollment.list",
            output: .table(key: "items", [
                Column(header: "USER", key: "user_id"), Column(header: "NAME", key: "user_name"), Column(header: "SERVICE", key: "service_name"),
                Column(header: "EXPERT", key: "expert_name"), Column(header: "SINCE", key: "created_at", format: .time),
            ], empty: "No enrolments."),
            allPages: true),
        CommandSpec(
            path: ["import"], section: .admin, summary: "Import people, services, certifications or enrollments from a CSV file: all rows or none",
            details: """
                Columns ([optional]) — people: email, first_name, last_name, roles, time_zone; services: name, kind,
                default_length_minutes, price_credits[, expert_email, skills, agenda_questions, active (true or false:
                retired or offered again)]; certifications: service, expert_email; enrollments: user_email[, service,
                expert_email]. Header names match whatever their case, spaces and underscores; lists (roles, skills,
                agenda questions) are separated by ";", and a ";" or "\\" inside one is written "\\;" or "\\\\" (another "\\" is
                kept as it is). A service named again keeps what a column the file leaves out
                holds (its expert too). meetctl export writes the same columns. A file with any problem changes
                nothing; each problem is listed with its line.
                --dry-run says what the import would create and update, and changes nothing. A file larger than one import
                (10,000 rows, or about 1 MB) goes in pages, each with the header: every page is dry-run first, and only if
                all pass are they imported, one by one, each page whole or not at all.
                """,
            arguments: [
                catalogKind,
                ArgumentSpec(name: "FILE", kind: .file, param: "csv", help: "A CSV file with a header row"),
            ],
            options: [OptionSpec(name: "dry-run", kind: .flag, param: "dry_run", help: "Report what would change; change nothing")],
            method: "catalog.import_csv", mutating: true, run: PeopleCommands.importFile),
        CommandSpec(
            path: ["export"], section: .admin, summary: "Write people, services, certifications or enrollments as CSV, in the columns import takes",
            details: "Edit the file in a spreadsheet and import it again (a dry run of meetctl import first says what it would change). --output writes a file with a byte-order mark, so spreadsheets read its names as UTF-8 (import takes the mark).",
            arguments: [catalogKind],
            method: "catalog.export_csv", csv: [], run: PeopleCommands.export),
        CommandSpec(
            path: ["chats"], section: .experts, summary: "Your conversations, latest activity first",
            method: "conversation.list",
            output: .table(key: "items", [
                Column(header: "CONVERSATION", key: "id"), Column(header: "WITH", key: "with"),
                Column(header: "MESSAGES", key: "message_count", format: .number), Column(header: "LAST", key: "last_message_at", format: .time),
            ], empty: "No conversations."),
            allPages: true, run: PeopleCommands.chats),
        CommandSpec(
            path: ["chat", "start"], section: .experts, summary: "Start a conversation with a user or an expert, before any meeting (or find yours)",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id", help: "The other person")],
            options: [
                OptionSpec(name: "text", kind: .text(placeholder: "TEXT"), param: "text", help: "A first message (they are notified)"),
                OptionSpec(name: "side", kind: .choice(["user", "expert"]), param: "as", help: "Your side, when you and they both are users and experts"),
            ],
            method: "conversation.start", mutating: true,
            output: .message { r, _ in
                let c = r["conversation"] ?? .null
                return "\(r["started"] == true ? "Started" : "Found") conversation \(Render.plain(c["id"] ?? nil)) of \(Render.plain(c["user_name"] ?? nil)) (user) "
                    + "and \(Render.plain(c["expert_name"] ?? nil)) (expert)\(r["message"].map { $0.isNull ? "" : "; message sent" } ?? "")."
            }),
        CommandSpec(
            path: ["chat", "show"], section: .experts, summary: "A conversation's messages, oldest first (a meeting's: its user's and expert's)",
            arguments: [chat],
            method: "conversation.messages",
            output: .table(key: "items", [
                Column(header: "TIME", key: "created_at", format: .time), Column(header: "FROM", key: "author_name"),
                Column(header: "MEETING", key: "meeting_id"), Column(header: "TEXT", key: "text"),
            ], empty: "No messages yet."),
            allPages: true, run: PeopleCommands.chat(inMeeting: "meeting.message.list")),
        CommandSpec(
            path: ["chat", "send"], section: .experts, summary: "Write a message in a conversation (or a meeting's chat, which starts it if need be)",
            arguments: [chat, ArgumentSpec(name: "TEXT", kind: .text(placeholder: "TEXT"), param: "text", help: "The message; quote it, or give it after --")],
            method: "conversation.post", mutating: true,
            output: .message { r, s in "Sent \(Render.plain(r["id"] ?? nil)) at \(try s.clock().format(r["created_at"]?.stringValue ?? "-"))." },
            run: PeopleCommands.chat(inMeeting: "meeting.message.post")),
    ]
}

enum PeopleCommands {
    /// `chat show` and `chat send` with a meeting in place of a conversation (seed 004: from a
    /// meeting the expert switches to the chat): the chat of the meeting's user and expert, through
    /// meeting.message.list and meeting.message.post.
    static func chat(inMeeting meetingMethod: String) -> @Sendable (Invocation, Session) throws -> Void {
        { invocation, session in
            guard var method = invocation.command.method else { preconditionFailure("\(invocation.command.name) has no method") }
            var params = try session.mappedParams()
            if let id = params["conversation_id"]?.stringValue, Identifier.isValid(id, kind: .meeting) {
                params["conversation_id"] = nil
                params["meeting_id"] = .string(id)
                method = meetingMethod
            }
            try CommandRunner.call(method, params, session)
        }
    }

    @Sendable static func showProfile(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        let own = params["person_id"] == nil
        if own { params["person_id"] = .string(try session.actorId()) }
        do {
            try CommandRunner.show(try session.call("person.profile", params), session)
        } catch let e as ServiceError where e.dataCode == "not_found" && e.data["kind"] == "expert profile" {
            throw try noProfile(own: own, params["person_id"]?.stringValue ?? "", invocation, session)
        }
    }

    /// Only experts have a public profile. Of someone the reader may look up it says they are
    /// no expert and how one is made; of anyone else only that no expert they can see is them
    /// (whether that person exists at all is not theirs to learn).
    static func noProfile(own: Bool, _ id: String, _ invocation: Invocation, _ session: Session) throws -> ToolError {
        let make = "an admin adds the role: meetctl person set"
        if own { return ToolError(message: "you are not an expert, so you have no expert profile", hint: "to make you one, \(make) PERSON --add-roles expert") }
        let typed = invocation.string("PERSON") ?? id
        guard try session.person(id) != nil else {
            return ToolError(message: "no expert of your community is \(typed), so there is no expert profile to show", hint: "meetctl experts lists the experts")
        }
        return ToolError(
            message: "\(try session.personNamed(by: "PERSON")) is not an expert, so has no expert profile",
            hint: "to make them one, \(make) \(typed) --add-roles expert; meetctl experts lists the experts")
    }

    @Sendable static func setProfile(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if invocation.has("bio") && invocation.has("bio-file") { throw UsageError(message: "give --bio or --bio-file, not both") }
        if invocation.has("no-photo") {
            guard !invocation.has("photo") else { throw UsageError(message: "give --photo or --no-photo, not both") }
            params["photo_url"] = .null
        }
        if params["person_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("person.set_profile", params), session)
    }
}

extension PeopleCommands {
    /// `chats`: each conversation with the other person's name.
    @Sendable static func chats(_ invocation: Invocation, _ session: Session) throws {
        let me = try session.actorId()
        let (items, _) = try session.allPages("conversation.list", try session.mappedParams())
        let shown: [JSON] = items.map { item in
            var o = item.objectValue ?? [:]
            o["with"] = item["user_id"]?.stringValue == me ? item["expert_name"] ?? .null : item["user_name"] ?? .null
            return .object(o)
        }
        try CommandRunner.show(["items": .array(shown), "next_cursor": .null], session)
    }
}

extension PeopleCommands {
    /// `import`: the counts; with --dry-run, each row's outcome too. A file larger than one
    /// import (`Sheet.pages`, as `export` joins its pages) goes in pages, each with the header:
    /// every page is dry-run first, and only if all pass are they imported, one by one.
    @Sendable static func importFile(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        let pages = Sheet.pages(params["csv"]?.stringValue ?? "")
        // A row no page can hold (a page is cut between rows) would be refused whole as a
        // message past meetingd's bound, with no line: said with its line before anything is sent.
        if let alone = pages.first(where: { Sheet.jsonStringBytes($0.csv) > Sheet.maxPageJSONBytes }) {
            // A file that cannot be read is one page as it is: told why, by its line, not as one long row.
            if pages.count == 1, let problem = Sheet.readingProblem(alone.csv) {
                throw ToolError(
                    message: "line \(problem.line) of the file: \(problem.message); nothing was imported",
                    hint: "fix that line (a spreadsheet's \"CSV UTF-8\" saves every row as an import reads it), then run the command again")
            }
            throw ToolError(
                message: "line \(alone.firstLine) of the file is longer than one import takes (\(Sheet.maxPageJSONBytes) bytes as sent, "
                    + "with the header); nothing was imported",
                hint: "shorten that row: its cells are names, skills and questions of at most a few hundred characters each")
        }
        guard pages.count > 1 else { return report(try session.call("catalog.import_csv", params), invocation, session) }
        try checkOnceAcrossPages(params)
        let key = params.removeValue(forKey: "idempotency_key")?.stringValue
        // Each page is imported under the key and its number, all numbers of one width: every
        // page's key is as long as the first's, so none is refused for its length after another
        // was imported (the file then imported only under a new key).
        let numberWidth = String(pages.count).count
        func pageKey(_ key: String, _ page: Int) -> String {
            let number = String(page + 1)
            return "\(key) page " + String(repeating: "0", count: numberWidth - number.count) + number
        }
        if let key, pageKey(key, 0).unicodeScalars.count > Limits.idempotencyKeyCharacters {
            let suffix = pageKey("", 0)
            throw UsageError(
                message: "--idempotency-key: the file goes in \(pages.count) pages, each imported under the key and \"\(suffix)\" (its number), "
                    + "which may have at most \(Limits.idempotencyKeyCharacters) characters: give a key of at most "
                    + "\(Limits.idempotencyKeyCharacters - suffix.unicodeScalars.count) characters (got \(key.unicodeScalars.count)); nothing was imported",
                hint: "a retry key only has to be unique to one change: a short name or a UUID")
        }
        let dryRun = params["dry_run"] == true
        if !invocation.wantsJSON {
            session.out.line(
                "The file is more than one import takes: \(pages.count) pages, each with the header. Every page is dry-run first; "
                    + (dryRun ? "nothing is changed." : "only if all pass are they imported, one by one, each page whole or not at all."))
        }
        func run(_ page: Int, dryRun: Bool) throws -> JSON {
            var p = params
            p["csv"] = .string(pages[page].csv)
            p["dry_run"] = .bool(dryRun)
            if !dryRun, let key { p["idempotency_key"] = .string(pageKey(key, page)) }
            do {
                return try session.call("catalog.import_csv", p)
            } catch let e as ServiceError {
                let done = dryRun || page == 0 ? "no page was imported" : "pages 1 to \(page) were imported, this one and those after it were not"
                throw inFile(e, pages[page], "\(page + 1) of \(pages.count), from line \(pages[page].firstLine) of the file; \(done)")
            }
        }
        var results = try pages.indices.map { try run($0, dryRun: true) }
        if !dryRun {
            results = []
            for page in pages.indices {
                results.append(try run(page, dryRun: false))
                if !invocation.wantsJSON { session.out.line("Page \(page + 1) of \(pages.count) imported.") }
            }
        }
        var total: [String: JSON] = ["kind": params["kind"] ?? .null, "dry_run": .bool(dryRun), "pages": .int(Int64(pages.count))]
        for count in ["created", "updated", "unchanged"] { total[count] = .int(results.reduce(0) { $0 + ($1[count]?.intValue ?? 0) }) }
        total["changes"] = .array(zip(pages, results).flatMap { page, result in
            (result["changes"]?.arrayValue ?? []).map { change in
                var c = change.objectValue ?? [:]
                c["line"] = .int(Int64(page.fileLine(Int(change["line"]?.intValue ?? 0))))
                return .object(c)
            }
        })
        report(.object(total), invocation, session)
    }

    /// Each page is checked alone, so a row that repeats one of another page (the same e-mail,
    /// service or pair: `SheetKind.identity`) is refused here, for the whole file, before any
    /// page is sent: what one import of the file would refuse.
    static func checkOnceAcrossPages(_ params: [String: JSON]) throws {
        guard let kind = SheetKind(rawValue: params["kind"]?.stringValue ?? ""),
            let (rows, _) = try? Sheet.read(kind, csv: params["csv"]?.stringValue ?? "", rowLimit: .max)
        else { return }
        var once = OncePerFile()
        for row in rows {
            if let problem = once.repeated(kind, row) {
                throw ServiceError(
                    code: -32602, message: "csv: line \(row.line): \(problem), in another page of the file; no page was imported",
                    data: ["code": "invalid_params", "field": "csv", "errors": [["line": .int(Int64(row.line)), "message": .string(problem)]]])
            }
        }
    }

    /// A page's refusal in the file's words: its lines are the file's, and `page` says which.
    static func inFile(_ e: ServiceError, _ page: SheetPage, _ which: String) -> ServiceError {
        guard var data = e.data.objectValue else { return e }
        var message = e.message
        if let problems = data["errors"]?.arrayValue {
            data["errors"] = .array(problems.map { problem in
                var p = problem.objectValue ?? [:]
                p["line"] = .int(Int64(page.fileLine(Int(problem["line"]?.intValue ?? 0))))
                return .object(p)
            })
            if let line = problems.first?["line"]?.intValue {
                message = message.replacingOccurrences(of: "First: line \(line):", with: "First: line \(page.fileLine(Int(line))):")
            }
        }
        data["page"] = .string(which)
        return ServiceError(code: e.code, message: message + " (page \(which))", data: .object(data))
    }

    static func report(_ result: JSON, _ invocation: Invocation, _ session: Session) {
        if invocation.wantsJSON { return session.out.json(result) }
        let counts = "\(Render.plain(result["created"] ?? 0)) created, \(Render.plain(result["updated"] ?? 0)) updated, \(Render.plain(result["unchanged"] ?? 0)) unchanged"
        guard result["dry_run"] == true else { return session.out.line("Imported: \(counts).") }
        session.out.line("Dry run, nothing changed. The import would make: \(counts).")
        for change in result["changes"]?.arrayValue ?? [] where change["action"]?.stringValue != "unchanged" {
            session.out.line("line \(Render.plain(change["line"] ?? nil)): \(Render.plain(change["action"] ?? nil)) \(Render.plain(change["subject"] ?? nil))")
        }
    }

    /// `export`: every page, the header once, written exactly.
    @Sendable static func export(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        var first = true
        // Page by page, on stdout or into --output (with a byte-order mark there, or with --bom).
        try session.writeCSV { write in
            for _ in 0..<10_000 {
                let page = try session.call("catalog.export_csv", params)
                var csv = page["csv"]?.stringValue ?? ""
                if !first, let end = csv.firstIndex(of: "\r\n") { csv = String(csv[csv.index(after: end)...]) }
                try write(csv)
                first = false
                guard let next = page["next_cursor"], !next.isNull else { return }
                params["cursor"] = next
            }
        }
    }
}
