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
        output.line("meetctl 0.1.0")
        return 0
    case .help(let path):
        output.text(Help.text(for: path, commands: Commands.all))
        return 0
    case .run(let invocation):
        let session = Session(invocation: invocation)
        defer { session.finish() }
        do {
            try invocation.command.run(invocation, session)
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
            for line in ErrorText.lines(e, keyless: keyless, option: ErrorText.option(for: e, invocation.command), clock: clock) { output.error(line) }
            return 1
        } catch let e as ToolError {
            output.error("meetctl: \(e.message)")
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

    /// Every RFC 3339 time in `text` (the service names them in UTC) as `clock` reads it.
    static func localTimes(_ text: String, _ clock: PersonClock) -> String {
        let pattern = #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
        var out = text
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let range = Range(match.range, in: out) else { continue }
            out.replaceSubrange(range, with: clock.format(String(out[range])))
        }
        return out
    }

    /// What to do about a refusal, said in meetctl's words where the service's name its methods.
    static func hint(_ e: ServiceError) -> String? {
        switch e.dataCode {
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
    static func lines(_ e: ServiceError, keyless: Bool = false, option: String? = nil, clock: PersonClock? = nil) -> [String] {
        let local = { (text: String) in clock.map { localTimes(text, $0) } ?? text }
        let first = option.map { "meetctl: \($0): \(local(e.data["reason"]?.stringValue ?? e.message))" } ?? "meetctl: \(local(e.message))"
        var lines = [first, "error \(e.code): \(e.dataCode)"]
        for (key, value) in (e.data.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) where !["code", "retryable"].contains(key) {
            // A file's problems (catalog.import_csv), each on its own line as `line N: …`.
            if key == "errors", let problems = value.arrayValue, problems.allSatisfy({ $0["line"]?.intValue != nil }) {
                lines += problems.map { "  line \(Render.plain($0["line"] ?? nil)): \(Render.plain($0["message"] ?? nil))" }
                continue
            }
            lines.append("  \(key): \(local(Render.plain(value)))")
        }
        if let hint = hint(e) { lines.append("  (\(hint))") }
        if e.data["retryable"] == true {
            lines.append(keyless
                ? "  (temporary: trying again may succeed; run it with --idempotency-key KEY, the same KEY on each try, so that a retry never does it twice)"
                : "  (temporary: trying again may succeed)")
        }
        return lines
    }
}

exit(runMeetctl(Array(CommandLine.arguments.dropFirst())))
