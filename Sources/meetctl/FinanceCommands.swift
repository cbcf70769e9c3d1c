import Core
import Foundation

enum FinanceCommands {
    /// A finance read: `--csv` (or `--output`) writes the service's own CSV of every page
    /// (`format: csv`); otherwise as the command's spec shows it.
    @Sendable static func read(_ invocation: Invocation, _ session: Session) throws {
        guard invocation.wantsCSV, let method = invocation.command.method else { return try CommandRunner.standard(invocation, session) }
        try writeServiceCSV(session, method, try session.mappedParams(), paged: invocation.command.allPages)
    }

    /// `balance`: the acting person's own accounts unless --person or --account says otherwise;
    /// finance staff without either see every account of the community (as `accounts`).
    @Sendable static func balance(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        try personOrAccount(person: params["person_id"], account: params["account_id"])
        if params["person_id"] == nil && params["account_id"] == nil {
            if try session.actorHasRole("finance") { return try accounts(invocation, session) }
            params["person_id"] = .string(try session.actorId())
        }
        if invocation.wantsCSV { return try writeServiceCSV(session, "ledger.balance", params, paged: false) }
        let result = try session.call("ledger.balance", params)
        try CommandRunner.show(result, session)
        if (result["accounts"]?.arrayValue ?? []).contains(where: earningsIncoming) && !invocation.wantsJSON { try feeNote(session) }
    }

    /// Under an expert's incoming credits: they are the full prices held, and the platform's fee
    /// comes off each as it is captured (an expert read them as what they would be paid).
    static func feeNote(_ session: Session) throws {
        let percent = try session.call("community.get")["settings"]?["platform_fee_percent"]?.intValue ?? 0
        guard percent > 0 else { return }
        session.out.line("Incoming credits are the full prices of meetings not settled yet: the platform's fee (\(percent) % now; "
            + "the percent in force when a meeting's credits are captured applies) comes off each as it is paid.")
    }

    /// --person and --account name one account two ways: at most one of them.
    static func personOrAccount(person: JSON?, account: JSON?) throws {
        if person != nil && account != nil { throw UsageError(message: "give --person or --account, not both") }
    }

    /// `accounts` (and `balance` for finance staff): every account, every page.
    static func accounts(_ invocation: Invocation, _ session: Session) throws {
        var params: [String: JSON] = [:]
        for (option, param) in [("kind", "kind"), ("as-of", "as_of")] { if let v = try session.value(option) { params[param] = v } }
        if invocation.wantsCSV { return try writeServiceCSV(session, "ledger.accounts", params, paged: true) }
        let (items, last) = try session.allPages("ledger.accounts", params)
        var result = last.objectValue ?? [:]
        result["items"] = .array(items)
        result["next_cursor"] = .null
        if invocation.wantsJSON { return session.out.json(.object(result)) }
        if items.isEmpty { return session.out.line("No accounts.") }
        session.out.text(try Render.table(items, Commands.communityAccountColumns, session))
        if items.contains(where: earningsIncoming) { try feeNote(session) }
    }

    /// An expert's earnings account with credits on their way in.
    static func earningsIncoming(_ account: JSON) -> Bool { account["kind"] == "expert_earnings" && (account["incoming"]?.intValue ?? 0) > 0 }

    @Sendable static func accountsCommand(_ invocation: Invocation, _ session: Session) throws { try accounts(invocation, session) }

    /// `statement`: every page, between its opening and closing balances; `--csv` joins the
    /// service's CSV pages under one header (the opening row first, the closing row last). The
    /// account is --account's, else the only one of --person, else (as `balance`) your own.
    @Sendable static func statement(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        try personOrAccount(person: try session.value("person"), account: params["account_id"])
        if params["account_id"] == nil { params["account_id"] = try onlyAccount(of: try session.value("person"), session) }
        if invocation.wantsCSV { return try writeServiceCSV(session, "ledger.statement", params, paged: true) }
        let (items, last) = try session.allPages("ledger.statement", params)
        var result = last.objectValue ?? [:]
        result["items"] = .array(items)
        result["next_cursor"] = .null
        if invocation.wantsJSON { return session.out.json(JSON.object(result)) }
        let clock = try session.clock()
        func bound(_ label: String, _ b: JSON?, missing: String) -> String {
            let at = b?["as_of"]?.stringValue.map { clock.format($0) } ?? missing
            return "\(label) (\(at)): posted \(Render.plain(b?["posted"] ?? nil)), blocked \(Render.plain(b?["blocked"] ?? nil)), available \(Render.plain(b?["available"] ?? nil)), incoming \(Render.plain(b?["incoming"] ?? nil))"
        }
        let account = Render.plain(params["account_id"]!)
        session.out.line("Statement of " + (try session.accountName(account).map { "\($0) (\(account))" } ?? account))
        session.out.line(bound("Opening balance", result["opening"], missing: "before the first entry"))
        try CommandRunner.show(.object(result), session)
        session.out.line(bound("Closing balance", result["closing"], missing: "now"))
        let change = result["change"]
        session.out.line("Change: posted \(signed(change?["posted"])), blocked \(signed(change?["blocked"])), available \(signed(change?["available"])), incoming \(signed(change?["incoming"]))")
    }

    /// The one account of `person`, or of the acting person when nil; none or several is a
    /// usage mistake that says how to choose.
    static func onlyAccount(of person: JSON?, _ session: Session) throws -> JSON {
        let owner = try person ?? .string(session.actorId())
        let accounts = try session.call("ledger.balance", ["person_id": owner])["accounts"]?.arrayValue ?? []
        if accounts.count == 1, let id = accounts[0]["account_id"] { return id }
        // Each account by its kind, so the reader picks without another command.
        let listed = accounts.map { a in
            "--account \(Render.plain(a["account_id"] ?? nil)) (\((a["kind"]?.stringValue ?? "").replacingOccurrences(of: "_", with: " ")))"
        }.joined(separator: ", ")
        guard let person else {
            throw UsageError(
                message: accounts.isEmpty ? "you have no account of your own: give --account ACCOUNT_ID or --person PERSON" : "you have \(accounts.count) accounts: choose one: \(listed)",
                hint: accounts.isEmpty ? "meetctl balance --person PERSON shows a person's accounts" : "meetctl balance shows them")
        }
        let who = try person.stringValue.flatMap { try session.personName($0) } ?? Render.plain(person)
        // The person as people type them: by their e-mail where it is known.
        let typed = try person.stringValue.flatMap { try session.person($0)?["email"]?.stringValue } ?? Render.plain(person)
        throw UsageError(
            message: accounts.isEmpty ? "\(who) has no account: give --account ACCOUNT_ID" : "\(who) has \(accounts.count) accounts: choose one: \(listed)",
            hint: "meetctl balance --person \(typed)")
    }

    static func signed(_ value: JSON??) -> String {
        guard let n = value??.intValue else { return "-" }
        return n > 0 ? "+\(n)" : String(n)
    }

    /// The most pages of 500 rows one CSV gathers (5 million rows): written as they come, so
    /// meetctl holds one page at a time.
    static let maxCSVPages = 10_000

    /// The service's CSV of `method`: one page, or every page joined with the header once,
    /// each written as it arrives.
    static func writeServiceCSV(_ session: Session, _ method: String, _ params: [String: JSON], paged: Bool) throws {
        var page = params
        page["format"] = "csv"
        if paged { page["limit"] = 500 }
        try session.writeCSV { emit in
            var emitted = 0
            for _ in 0..<maxCSVPages {
                let result = try session.call(method, page)
                if paged, let pinned = Session.timeToPin(method, asked: page, answered: result) {
                    page["as_of"] = pinned
                    continue
                }
                let text = result["csv"]?.stringValue ?? ""
                if emitted == 0 {
                    try emit(text)
                } else if let headerEnd = text.range(of: "\r\n") {
                    try emit(String(text[headerEnd.upperBound...]))
                }
                emitted += 1
                guard paged, let next = result["next_cursor"], !next.isNull else { return }
                page["cursor"] = next
            }
            throw ToolError(message: "\(method) has more than \(maxCSVPages) pages of 500; \(session.narrowingHint)")
        }
    }

    @Sendable static func trialBalance(_ invocation: Invocation, _ session: Session) throws {
        if invocation.wantsCSV { return try read(invocation, session) }
        let result = try session.call("ledger.trial_balance", try session.mappedParams())
        try CommandRunner.show(result, session)
        if !invocation.wantsJSON {
            session.out.line("Total posted: \(Render.plain(result["total"] ?? nil)); pending: \(Render.plain(result["pending_total"] ?? 0)) (as of \(try session.clock().format(result["as_of"]?.stringValue ?? "-")))")
            // Double entry makes both totals 0: anything else is a broken ledger, not a figure.
            if result["total"]?.intValue != 0 || (result["pending_total"]?.intValue ?? 0) != 0 {
                session.out.error("warning: the totals must be 0 (every credit has its debit); the ledger is inconsistent: run meetctl reconcile")
            }
        }
    }

    /// `reconcile`: exit status 1 when any invariant is broken.
    @Sendable static func reconcile(_ invocation: Invocation, _ session: Session) throws {
        let result = try session.call("ledger.reconcile")
        let problems = result["problems"]?.arrayValue ?? []
        let total = Render.plain(result["problems_total"] ?? .int(Int64(problems.count)))
        if invocation.wantsJSON {
            session.out.json(result)
        } else if problems.isEmpty {
            session.out.line("Ledger consistent: every invariant holds (checked \(try session.clock().format(result["checked_at"]?.stringValue ?? "-"))).")
        } else {
            session.out.text(try Render.table(problems, [Column(header: "PROBLEM", key: "kind"), Column(header: "SUBJECT", key: "subject"), Column(header: "DETAIL", key: "detail")], session))
            session.out.line("")
            if result["truncated"] == true {
                session.out.line("Only the first \(problems.count) of the \(total) problems are listed: mend these and run reconcile again for the rest.")
            }
            session.out.line("An account_balance detail gives four figures: debits posted/credits posted/debits pending/credits pending.")
            session.out.line("The ledger disagrees with its own transfers: correct nothing by hand (transfers are never edited);")
            session.out.line("give this output to your operators, and keep payouts from the accounts named until they have answered.")
        }
        if result["ok"] != true { throw Failed(message: "the ledger has \(Counted.words(result["problems_total"]?.intValue ?? Int64(problems.count), "problem"))") }
    }

    // MARK: Reports

    /// A monthly report: the months the service reads (a year up to --to, or up to this month
    /// on the community's clock, unless --from says), then their total.
    @Sendable static func monthly(_ invocation: Invocation, _ session: Session) throws {
        let params = try session.mappedParams()
        guard let method = invocation.command.method else { return }
        if invocation.wantsCSV { return try writeServiceCSV(session, method, params, paged: false) }
        let result = try session.call(method, params)
        if invocation.wantsJSON { return session.out.json(result) }
        var shown = result.objectValue ?? [:]
        shown["months"] = .array((result["months"]?.arrayValue ?? []) + [result["totals"] ?? .null])
        try CommandRunner.show(.object(shown), session)
        session.out.line("Months on the community's clock (\(Render.plain(result["time_zone"] ?? nil))).")
    }

    /// `report earnings`: every page, then the totals over every expert.
    @Sendable static func earnings(_ invocation: Invocation, _ session: Session) throws {
        if invocation.wantsCSV { return try read(invocation, session) }
        let params = try session.mappedParams()
        let (items, last) = try session.allPages("report.earnings_due", params)
        var result = last.objectValue ?? [:]
        result["items"] = .array(items)
        result["next_cursor"] = .null
        if invocation.wantsJSON { return session.out.json(.object(result)) }
        try CommandRunner.show(.object(result), session)
        let t = result["totals"]
        session.out.line("Every expert (\(Render.plain(t?["experts"] ?? nil))): due \(Render.plain(t?["due"] ?? nil)), incoming \(Render.plain(t?["incoming"] ?? nil)) (as of \(try session.clock().format(result["as_of"]?.stringValue ?? "-"))).")
        if (t?["incoming"]?.intValue ?? 0) > 0 { try feeNote(session) }
    }

    /// `outbox retry`: exit status 1 when any id was not a dead message.
    @Sendable static func retry(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        params["ids"] = params["ids"] ?? .array([])
        let result = try session.call("outbox.retry", params)
        if invocation.wantsJSON { session.out.json(result) } else {
            let retried = result["retried"]?.arrayValue ?? []
            session.out.line("Put back in the queue: \(Counted.words(Int64(retried.count), "message"))" + (retried.isEmpty ? "." : ": " + retried.map(Render.plain).joined(separator: ", ")))
        }
        let notDead = result["not_dead"]?.arrayValue ?? []
        if !notDead.isEmpty {
            throw Failed(message: "not dead letters (unchanged): \(notDead.map(Render.plain).joined(separator: ", ")); meetctl outbox dead lists them")
        }
    }
}
