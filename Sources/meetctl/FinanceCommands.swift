import Core

enum FinanceCommands {
    /// `balance`: the acting person's own accounts unless --person or --account says otherwise.
    @Sendable static func balance(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if params["person_id"] != nil && params["account_id"] != nil {
            throw UsageError(message: "give --person or --account, not both")
        }
        if params["person_id"] == nil && params["account_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("ledger.balance", params), session)
    }

    /// `statement`: every page; `--csv` joins the service's CSV pages under one header.
    @Sendable static func statement(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if params["account_id"] == nil {
            guard let person = try session.value("person") else {
                throw UsageError(message: "statement needs --account ACCOUNT_ID (or --person PERSON)", hint: "meetctl balance --person PERSON shows a person's accounts")
            }
            let accounts = try session.call("ledger.balance", ["person_id": person])["accounts"]?.arrayValue ?? []
            guard accounts.count == 1, let id = accounts[0]["account_id"] else {
                throw UsageError(message: "\(Render.plain(person)) has \(accounts.count) accounts: choose one with --account", hint: "meetctl balance --person \(Render.plain(person))")
            }
            params["account_id"] = id
        }
        if invocation.wantsCSV {
            params["format"] = "csv"
            let (pages, _) = try csvPages(session, params)
            session.out.exact(pages)
            return
        }
        let (items, last) = try session.allPages("ledger.statement", params)
        var result = last.objectValue ?? [:]
        result["items"] = .array(items)
        result["next_cursor"] = .null
        if invocation.wantsJSON {
            session.out.json(JSON.object(result))
            return
        }
        session.out.line("Statement of \(Render.plain(params["account_id"]!))")
        try CommandRunner.show(.object(result), session)
    }

    /// The service's CSV pages joined: the header once, then every page's rows.
    private static func csvPages(_ session: Session, _ params: [String: JSON]) throws -> (String, Int) {
        var page = params
        page["limit"] = 500
        var out = ""
        var pages = 0
        while pages < 200 {
            let result = try session.call("ledger.statement", page)
            let text = result["csv"]?.stringValue ?? ""
            if pages == 0 {
                out += text
            } else if let headerEnd = text.range(of: "\r\n") {
                out += text[headerEnd.upperBound...]
            }
            pages += 1
            guard let next = result["next_cursor"], !next.isNull else { return (out, pages) }
            page["cursor"] = next
        }
        throw ToolError(message: "the statement has more than 200 pages; narrow it with --from and --to")
    }

    @Sendable static func trialBalance(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.call("ledger.trial_balance", try session.mappedParams())
        try CommandRunner.show(result, session)
        if !invocation.wantsJSON && !invocation.wantsCSV {
            session.out.line("Total posted: \(Render.plain(result["total"] ?? nil)); pending: \(Render.plain(result["pending_total"] ?? 0)) (as of \(try session.clock().format(result["as_of"]?.stringValue ?? "-")))")
        }
    }

    /// `reconcile`: exit status 1 when any invariant is broken.
    @Sendable static func reconcile(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.call("ledger.reconcile")
        let problems = result["problems"]?.arrayValue ?? []
        if invocation.wantsJSON {
            session.out.json(result)
        } else if problems.isEmpty {
            session.out.line("Ledger consistent: every invariant holds (checked \(try session.clock().format(result["checked_at"]?.stringValue ?? "-"))).")
        } else {
            session.out.text(try Render.table(problems, [Column(header: "PROBLEM", key: "kind"), Column(header: "SUBJECT", key: "subject"), Column(header: "DETAIL", key: "detail")], session))
        }
        if result["ok"] != true { throw Failed(message: "the ledger has \(problems.count) problem(s)") }
    }
}
