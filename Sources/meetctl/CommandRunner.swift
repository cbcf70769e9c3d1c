import Core

/// Running a command and showing its result the way the command's spec says.
enum CommandRunner {
    /// Calls the command's method with the params its options map to, then shows the result.
    @Sendable static func standard(_ invocation: Invocation, _ session: Session) throws {
        // The flag's method where the flag is given (`--remove`).
        guard let method = invocation.command.method(for: invocation) else { preconditionFailure("\(invocation.command.name) has neither a method nor a runner") }
        try call(method, try session.mappedParams(), session)
    }

    /// Calls `method` (every page, where the command lists them) and shows the result.
    static func call(_ method: String, _ params: [String: JSON], _ session: Session) throws {
        let result: JSON
        if session.invocation.command.allPages {
            let (items, last) = try session.allPages(method, params)
            var all = last.objectValue ?? [:]
            all["items"] = .array(items)
            all["next_cursor"] = .null
            result = .object(all)
        } else {
            result = try session.call(method, params)
        }
        try show(result, session)
    }

    /// `--json`: the raw result; `--csv`: the listed keys of each item; otherwise the spec's view.
    static func show(_ result: JSON, _ session: Session) throws {
        let command = session.invocation.command
        if session.invocation.wantsJSON {
            session.out.json(result)
            return
        }
        if session.invocation.wantsCSV, let keys = command.csv {
            try session.writeCSV(Render.csv(items(of: result, command), keys: keys))
            return
        }
        switch command.output {
        case .record(let columns):
            session.out.text(try Render.record(result, columns, session))
        case .table(let key, let columns, let empty):
            let list = result[key]?.arrayValue ?? []
            if list.isEmpty { session.out.line(empty) } else { session.out.text(try Render.table(list, columns, session)) }
        case .message(let make):
            session.out.line(try make(result, session))
        case .document(let make):
            session.writeDocument(make(result))
        }
    }

    private static func items(of result: JSON, _ command: CommandSpec) -> [JSON] {
        if case .table(let key, _, _) = command.output { return result[key]?.arrayValue ?? [] }
        return [result]
    }
}
