import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one command line and returns the exit status: 0 done, 1 the service or a program
/// failed, 2 the command line was wrong.
func runMeetctl(_ arguments: [String]) -> Int32 {
    let output = Output()
    let outcome: ParseOutcome
    do {
        outcome = try Parser(commands: Commands.all).parse(arguments)
    } catch let e as UsageError {
        output.error("meetctl: \(e.message)")
        output.error("hint: \(e.hint ?? "see meetctl --help")")
        return 2
    } catch {
        output.error("meetctl: \(error)")
        return 2
    }
    switch outcome {
    case .version:
        output.text(Release.versionLine("meetctl"))
        return 0
    case .help(let path):
        output.text(Help.text(for: path, commands: Commands.all))
        return 0
    case .run(let invocation):
        let session = Session(invocation: invocation)
        defer { session.finish() }
        do {
            try invocation.command.run(invocation, session)
            // A finance figure as of a day on the reader's clock that is not the community's.
            if invocation.command.section == .finance {
                for note in (try? session.communityDayNotes()) ?? [] { output.error("note: \(note)") }
            }
            return 0
        } catch let e as UsageError {
            output.error("meetctl: \(e.message)")
            output.error("hint: \(e.hint ?? "see meetctl \(invocation.command.name) --help")")
            return 2
        } catch let e as ServiceError {
            let keyless = invocation.command.mutating && !invocation.has("idempotency-key")
            // Times the service names are read on the person's clock, as every table shows them
            // (not when the service itself is in trouble: asking it again would only wait).
            let clock = e.data["retryable"] == true ? nil : try? session.clock()
            let rule = ErrorText.rule(for: e, invocation) ?? ErrorText.actor(e, session)
            let option = rule?.option ?? ErrorText.option(for: e, invocation.command)
            for line in ErrorText.lines(e, keyless: keyless, option: option, reason: rule?.reason, clock: clock, invocation: invocation, typedEmails: session.typedEmails) {
                output.error(line)
            }
            return 1
        } catch let e as ToolError {
            output.error("meetctl: \(e.message)")
            if let service = e.serviceError { output.error("error \(service.code): \(service.dataCode)") }
            if let hint = e.hint { output.error("hint: \(hint)") }
            return 1
        } catch let e as Failed {
            if !e.message.isEmpty { output.error("meetctl: \(e.message)") }
            return 1
        } catch {
            output.error("meetctl: \(error)")
            return 1
        }
    }
}

/// A command that reported its own failure (reconcile problems, failed deliveries): exit 1.
struct Failed: Error {
    var message = ""
}

/// How a service error reads on stderr: the message, then `code: data.code`, then details, each
/// on its own line (a line break inside one is shown escaped, not obeyed).
enum ErrorText {
    /// The option (`--from`) or argument (`MEETING`) whose value filled the param a -32602
    /// names, if one did.
    static func option(for e: ServiceError, _ command: CommandSpec) -> String? {
        guard e.code == -32602, let field = e.data["field"]?.stringValue, e.data["reason"]?.stringValue != nil, e.data["errors"] == nil else { return nil }
        if let option = command.options.first(where: { $0.param == field }) { return "--" + option.name }
        return command.arguments.first(where: { $0.param == field })?.name
    }

    /// An unknown actor (4001), named by where meetctl took them from (`--as`,
    /// MEETINGLEDGER_ACTOR, `meetctl use`): the reader never typed the service's "actor".
    static func actor(_ e: ServiceError, _ session: Session) -> (option: String, reason: String)? {
        guard e.dataCode == "unknown_actor", let source = try? session.actorSource(), let id = try? session.actorId() else { return nil }
        return (source.description, "no person has the id \(id) (an admin or the office lists everyone's id with meetctl people)")
    }

    /// The --rule a -32602 on `rules[N]…` comes from, as it was written, and the reason led by
    /// the part of it the field names (`#SERVICE is …`, `@LOC …`): a rule of several days was
    /// sent as one rule per day, so N counts days, not --rule options.
    static func rule(for e: ServiceError, _ invocation: Invocation) -> (option: String, reason: String)? {
        guard e.code == -32602, let field = e.data["field"]?.stringValue, let n = index(in: field[...], after: "rules["),
            let close = field.firstIndex(of: "]")
        else { return nil }
        let rules = invocation.all("rule").flatMap { value -> [WeeklyRuleInput] in
            if case .rules(let list) = value { return list }
            return []
        }
        var first = 0
        for rule in rules {
            defer { first += rule.weekdays.count }
            guard n < first + rule.weekdays.count else { continue }
            let rest = field[field.index(after: close)...]
            let part: String?
            if let j = index(in: rest, after: ".service_ids["), j < rule.services.count {
                part = "#" + rule.services[j]
            } else if let j = index(in: rest, after: ".location_ids["), j < rule.locations.count {
                part = "@" + rule.locations[j]
            } else {
                part = nil
            }
            let reason = e.data["reason"]?.stringValue ?? e.message
            return ("--rule \"\(rule.text)\"", part.map { "\($0) \(reason)" } ?? reason)
        }
        return nil
    }

    /// N of `PREFIXN]` at the start of `text`.
    private static func index(in text: Substring, after prefix: String) -> Int? {
        guard text.hasPrefix(prefix), let close = text.firstIndex(of: "]") else { return nil }
        return Int(text[text.index(text.startIndex, offsetBy: prefix.count)..<close])
    }

    /// Methods the service names in parentheses, `(service.certify)` or `(meeting.confirm_alternate
    /// or meeting.reject_alternate)`, as the commands that call them: `(meetctl certify)`; left
    /// as they are unless meetctl has a command for each. A method leading a hint in
    /// parentheses ("(availability.search lists the times that are free)") or a role's refusal
    /// ("jobs.run_due needs the role admin") reads as its command too, and a param of the
    /// command run (`accept_conflicts: true`, `idempotency_key`) as its option (`--accept-conflicts`).
    static func inMeetctlWords(_ text: String, _ command: CommandSpec? = nil) -> String {
        let grouped = replacingMatches(of: #"\(([a-z_]+\.[a-z_]+(?: or [a-z_]+\.[a-z_]+)*)\)"#, in: text) { groups in
            let commands = groups[1].components(separatedBy: " or ").map(commandName)
            guard commands.allSatisfy({ $0 != nil }) else { return nil }
            return "(" + commands.compactMap { $0 }.joined(separator: " or ") + ")"
        }
        // Only where the service's own words put a method (a hint in parentheses led by it, a
        // role's refusal) or a param ("pass accept_conflicts: true", "idempotency_key"): names of
        // people, services and places it quotes stay as they were written.
        let named = replacingMatches(of: #"(\(|^Forbidden: )([a-z_]+\.[a-z_]+)( (?:lists|gives|shows|needs) )"#, in: grouped) { groups in
            commandName(groups[2]).map { groups[1] + $0 + groups[3] }
        }
        return replacingMatches(of: #"(?<![\w.-])(idempotency_key|[a-z]+_[a-z_]+: true)(?![\w.-])"#, in: named) { groups in
            if groups[1] == "idempotency_key" { return "--" + GlobalOptions.idempotencyKey.name }
            let param = String(groups[1].dropLast(": true".count))
            return command?.options.first { $0.param == param }.map { "--" + $0.name }
        }
    }

    /// The reason a param of the command run was refused for, naming another of its params
    /// ("--to: must not be before from_month"): that one as its option too. Only in such a
    /// reason, where the params named are the call's own: elsewhere a param may be another
    /// side's ("the expert's side confirms it at another location (location_id)"). Only names
    /// with an underscore, which no plain word has.
    static func paramsAsOptions(_ reason: String, _ command: CommandSpec?) -> String {
        replacingMatches(of: #"(?<![\w.-])([a-z]+_[a-z_]+)(?![\w.:-])"#, in: reason) { groups in
            command?.options.first { $0.param == groups[1] }.map { "--" + $0.name }
        }
    }

    /// A person the service names by id whom the reader named by e-mail: by both, the address
    /// first ("no user wallet of sam@example.org (per_…)"), unless the text names the address.
    static func withTypedEmails(_ text: String, _ typedEmails: [String: String]) -> String {
        typedEmails.reduce(text) { text, pair in
            let (id, email) = pair
            return text.contains(email) ? text : text.replacingOccurrences(of: id, with: "\(email) (\(id))")
        }
    }

    /// The meetctl command that calls `method`, if one does.
    static func commandName(_ method: String) -> String? {
        Commands.all.first(where: { $0.method == method }).map { "meetctl " + $0.path.joined(separator: " ") }
    }

    /// `text` with each match of `pattern` replaced by what `replacement` makes of its groups
    /// (the whole match first; a group that did not take part is empty); a match it gives nil for
    /// stays.
    static func replacingMatches(of pattern: String, in text: String, _ replacement: ([String]) -> String?) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
        var out = text
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let whole = Range(match.range, in: out) else { continue }
            let groups = (0..<match.numberOfRanges).map { i in Range(match.range(at: i), in: out).map { String(out[$0]) } ?? "" }
            if let replaced = replacement(groups) { out.replaceSubrange(whole, with: replaced) }
        }
        return out
    }

    /// What to do about a refusal, said in meetctl's words where the service's name its methods.
    static func hint(_ e: ServiceError, _ invocation: Invocation? = nil) -> String? {
        switch e.dataCode {
        case "late_cancellation_requires_confirmation":
            // The service says to pass confirm_late: the command's own flag for it.
            return invocation?.command.options.first { $0.param == "confirm_late" }.map { "run the command again with --\($0.name) to go ahead anyway" }
        case "forbidden" where e.message.contains("meeting.reschedule"):
            return "a meeting of yours moves to a new date with meetctl reschedule MEETING --start TIME"
        case "invalid_state" where invocation?.has("expected-version") == true && e.data["version"]?.intValue != nil:
            // Refused for --expected-version: the meeting as it is now, under the name it was given by.
            let meeting = invocation?.first("MEETING").flatMap { if case .meeting(let reference) = $0 { return reference.typed } else { return nil } } ?? "MEETING"
            // A version ahead of the meeting's was never read: nothing changed since, it was mistyped.
            if let given = invocation?.int("expected-version"), let now = e.data["version"]?.intValue, given > now {
                return "meetctl meeting show \(meeting) shows its Version; run the command again with that --expected-version"
            }
            return "meetctl meeting show \(meeting) shows what changed and its Version now; run the command again with that --expected-version if it still applies"
        case "idempotency_key_reused":
            // A row number names whatever the last listing put there: after a new listing the
            // same command may name another meeting than the key was first used for.
            guard let row = invocation?.first("MEETING").flatMap({ value -> Int? in
                if case .meeting(.row(let row)) = value { return row } else { return nil }
            }) else { return nil }
            return "the key was first used with other options, or for another meeting: row \(row) is the meeting in the last listing, "
                + "which may not be the one it named then; run the command again as first run, with the meeting's id in place of \(row), or use a new key"
        case "session_log_required":
            return "log each of them first: meetctl log MEETING --attendance attended (or no_show); meetctl meeting show MEETING shows one"
        case "time_conflict" where !(e.data["meeting_ids"]?.arrayValue ?? []).isEmpty:
            return "meetctl conflicts MEETING shows them; run the command again with --accept-conflicts to go ahead anyway"
        default:
            return nil
        }
    }

    /// `keyless`: a command that changes something, run without --idempotency-key. `option`:
    /// the option whose value the service refused, named in place of the param it filled.
    static func lines(
        _ e: ServiceError, keyless: Bool = false, option: String? = nil, reason: String? = nil, clock: PersonClock? = nil, invocation: Invocation? = nil,
        typedEmails: [String: String] = [:]
    ) -> [String] {
        let local = { (text: String) in clock.map { $0.describingTimes(in: text) } ?? text }
        let said = { (text: String) in withTypedEmails(inMeetctlWords(local(text), invocation?.command), typedEmails) }
        let first = option.map { "meetctl: \($0): \(paramsAsOptions(said(reason ?? e.data["reason"]?.stringValue ?? e.message), invocation?.command))" }
            ?? "meetctl: \(said(e.message))"
        var lines = [first, "error \(e.code): \(e.dataCode)"]
        for (key, value) in (e.data.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) where !["code", "retryable"].contains(key) {
            // An empty list says nothing to the reader (a user's time_conflict names no meetings).
            if value.arrayValue?.isEmpty == true { continue }
            // A file's problems (catalog.import_csv), each on its own line as `line N: …`.
            if key == "errors", let problems = value.arrayValue, problems.allSatisfy({ $0["line"]?.intValue != nil }) {
                lines += problems.map { "  line \(Render.plain($0["line"] ?? nil)): \(Render.plain($0["message"] ?? nil))" }
                continue
            }
            lines.append("  \(key): \(local(Render.plain(value)))")
        }
        if let hint = hint(e, invocation) { lines.append("  (\(hint))") }
        if e.data["retryable"] == true {
            lines.append(keyless
                ? "  (temporary: trying again may succeed; run it with --idempotency-key KEY, the same KEY on each try, so that a retry never does it twice)"
                : "  (temporary: trying again may succeed)")
        }
        return lines
    }
}

exit(runMeetctl(Array(CommandLine.arguments.dropFirst())))
