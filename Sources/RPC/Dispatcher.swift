import Core

/// Turns one framed message into at most one response, following JSON-RPC 2.0: single calls,
/// batches, notifications, and the standard error codes. The registry that dispatches also
/// produces `rpc.discover`, so the published contract cannot drift from what runs.
public final class Dispatcher {
    public private(set) var methods: [String: MethodSpec] = [:]
    public private(set) var order: [String] = []
    public let limits: Limits
    public let logger: Logger
    let info: OpenRPCInfo

    /// Runs the entries of a batch, each through `answer(_:of:)`. Unset, they run one after
    /// another here; a pool may run independent entries at once.
    public var batchRunner: ((BatchAnswer) -> Void)? = nil

    /// Asked as each request is about to run, each entry of a batch too: an error when requests
    /// are no longer run (meetingd is stopping), which each is then answered with instead, a
    /// notification dropped.
    public var notRunning: () -> AppError? = { nil }

    public init(methods: [MethodSpec], limits: Limits, logger: Logger, info: OpenRPCInfo) {
        self.limits = limits
        self.logger = logger
        self.info = info
        for m in methods { register(m) }
        register(discoverSpec())
    }

    /// A method under its name and its aliases; only the name is listed (in `order`).
    func register(_ spec: MethodSpec) {
        for name in [spec.name] + spec.aliases.map(\.name) {
            precondition(methods[name] == nil, "method \(name) registered twice")
            methods[name] = spec
        }
        order.append(spec.name)
    }

    /// The response text for one message, or nil when nothing is to be written
    /// (a notification, or a batch of notifications only).
    public func handle(message bytes: [UInt8]) -> String? { handle(frame: bytes).answer }

    /// `handle(message:)`, and whether the message was not one JSON value (a frame's length was
    /// then perhaps wrong: `MessageReader.frameWasUnreadable`).
    public func handle(frame bytes: [UInt8]) -> (answer: String?, unreadable: Bool) {
        guard bytes.count <= limits.maxMessageBytes else {
            return (refused(id: .null, error: Dispatcher.oversized(limits)).serialized(), false)
        }
        do {
            // A frame's body may start with a byte-order mark too (see MessageReader.next).
            return (handle(try JSONParser.parse(MessageReader.withoutBOM(bytes), maxDepth: limits.maxJSONDepth)), false)
        } catch {
            return (refused(id: .null, error: RPCError(code: -32700, message: "Parse error: \(error)", data: nil)).serialized(), true)
        }
    }

    /// A message read whole.
    func handle(_ parsed: JSON) -> String? {
        if case .array(let entries) = parsed {
            guard !entries.isEmpty else {
                return refused(id: .null, error: RPCError(code: -32600, message: "Invalid Request: empty batch", data: nil)).serialized()
            }
            guard entries.count <= limits.maxBatchEntries else {
                let e = RPCError(code: -32600, message: "Invalid Request: a batch may hold at most \(limits.maxBatchEntries) entries, got \(entries.count)", data: nil)
                return refused(id: .null, error: e).serialized()
            }
            guard let batch = BatchAnswer(entries: entries, maxBytes: limits.maxAnswerBytes, maxSeconds: limits.maxBatchSeconds) else {
                return refused(id: .null, error: BatchAnswer.refusal(entries: entries.count, maxBytes: limits.maxAnswerBytes)).serialized()
            }
            if let batchRunner {
                batchRunner(batch)
            } else {
                while let i = batch.claimNext() { answer(i, of: batch) }
            }
            // The requests not run once the answer filled are calls answered 4131: each its line.
            for entry in batch.leftUnrun() {
                guard case .string(let method)? = entry["method"] else { continue }
                logCall(Outcome.Call(method: method, id: BatchAnswer.id(of: entry), durationMs: 0, code: nil), answeredWith: AppError.Code.batchAnswerFull.number)
            }
            return batch.serialized()
        }
        let outcome = respond(to: parsed)
        let (text, substitute) = BatchAnswer.single(outcome, maxBytes: limits.maxAnswerBytes)
        logCall(outcome.call, answeredWith: substitute)
        return text
    }

    /// Runs entry `i` of `batch` and records its answer there; past the batch's time bound its
    /// method is not started.
    public func answer(_ i: Int, of batch: BatchAnswer) {
        let outcome = respond(to: batch.entries[i], notStarted: { batch.timeIsUp() ? BatchAnswer.timeUpError(maxSeconds: batch.maxSeconds) : nil })
        logCall(outcome.call, answeredWith: batch.record(i, outcome))
    }

    /// A call's one `info` line, written once its answer is known: with the code it was
    /// answered with, an answer too large for its bound too (`answer_too_large`,
    /// `batch_answer_full`), not the method's own success.
    func logCall(_ call: Outcome.Call?, answeredWith substitute: Int?) {
        guard let call else { return }
        let code = substitute ?? call.code
        logger.log(.info, code.map { "error \($0)" } ?? "ok", method: call.method, id: call.id, durationMs: call.durationMs)
    }

    static func oversized(_ limits: Limits) -> RPCError {
        RPCError(code: -32600, message: "Invalid Request: a message may be at most \(limits.maxMessageBytes) bytes", data: nil)
    }

    /// A request's response (nil for a notification), and whether the call may have changed
    /// something: a mutating method's handler ran (its answer is then never replaced, whatever
    /// its size).
    struct Outcome {
        let response: JSON?
        let mayHaveChanged: Bool
        /// The method run, for its log line (nil when no method ran: the refusal is logged).
        let call: Call?

        struct Call {
            let method: String
            let id: JSON
            let durationMs: Double
            /// The method's error code; nil when it succeeded.
            let code: Int?
        }
    }

    /// One request object → its outcome. `notStarted`: asked just before the method would run,
    /// an error to answer instead (a batch past its time bound), as `notRunning` is.
    func respond(to request: JSON, notStarted: () -> AppError? = { nil }) -> Outcome {
        var ranMutating = false
        var call: Outcome.Call? = nil
        let response = respond(to: request, notStarted: notStarted, ranMutating: &ranMutating, call: &call)
        return Outcome(response: response, mayHaveChanged: ranMutating, call: call)
    }

    private func respond(to request: JSON, notStarted: () -> AppError?, ranMutating: inout Bool, call: inout Outcome.Call?) -> JSON? {
        guard case .object(let fields) = request else {
            return refused(id: .null, error: RPCError(code: -32600, message: "Invalid Request: expected an object", data: nil))
        }
        let idField = fields["id"]
        var id: JSON = .null
        if let idField {
            switch idField {
            // Echoed untouched: a number keeps the text it was sent with.
            case .string, .int, .number, .null: id = idField
            default:
                return refused(id: .null, error: RPCError(code: -32600, message: "Invalid Request: id must be a string, a number or null", data: nil))
            }
        }
        let isNotification = idField == nil
        func reply(_ result: Result<JSON, RPCError>) -> JSON? {
            if isNotification { return nil }
            switch result {
            case .success(let value): return ["jsonrpc": "2.0", "id": id, "result": value]
            case .failure(let error): return Dispatcher.errorResponse(id: id, error: error)
            }
        }
        guard fields["jsonrpc"] == .string("2.0") else {
            return refused(id: id, error: RPCError(code: -32600, message: "Invalid Request: \"jsonrpc\" must be \"2.0\"", data: nil))
        }
        guard case .string(let methodName)? = fields["method"] else {
            return refused(id: id, error: RPCError(code: -32600, message: "Invalid Request: \"method\" must be a string", data: nil))
        }
        if let unknown = fields.keys.first(where: { !["jsonrpc", "id", "method", "params"].contains($0) }) {
            return refused(id: id, error: RPCError(code: -32600, message: "Invalid Request: unknown member \"\(unknown.cut(toCharacters: Schema.echoedNameCharacters))\"", data: nil))
        }
        // JSON-RPC 2.0 §4.2: params, when present, is a structured value; anything else makes no
        // Request object at all (answered with its id, or null, as §5.1's example does).
        switch fields["params"] {
        case nil, .object?, .array?: break
        default:
            return Dispatcher.errorResponse(
                id: id, error: RPCError(code: -32600, message: "Invalid Request: \"params\" must be an object of named params, or left out", data: nil))
        }
        guard let spec = methods[methodName] else {
            let unknown = RPCError(code: -32601, message: "Method not found: \(methodName.cut(toCharacters: 100)); rpc.discover lists the methods", data: nil)
            logger.log(.warning, "refused: \(unknown.message)", id: id, extra: ["code": .int(Int64(unknown.code))])
            return reply(.failure(unknown))
        }
        if let notRunning = notRunning() ?? notStarted() {
            // A notification dropped has no answer to say so: the log does.
            logger.log(.warning, "not run: \(notRunning.dataCode)" + (isNotification ? " (a notification, dropped)" : ""), method: methodName, id: id)
            return reply(.failure(RPCError(notRunning)))
        }
        let paramFields: [String: JSON]
        switch fields["params"] {
        case nil: paramFields = [:]
        case .object(let p)?: paramFields = p
        default:
            return reply(.failure(RPCError(AppError.invalidParams(field: "params", reason: "must be an object of named params"))))
        }
        let started = SystemClock.monotonicNanoseconds()
        let outcome: Result<JSON, RPCError>
        do {
            let checkedFields = try spec.preflight(paramFields)
            try spec.paramsSchema.validate(.object(checkedFields), path: "", limits: limits)
            for rule in spec.paramRules { try rule.check(checkedFields) }
            ranMutating = spec.mutating
            outcome = .success(try Logger.$request.withValue(Logger.RequestTag(method: methodName, id: id)) {
                try spec.handler(Params(fields: checkedFields, method: methodName))
            })
        } catch let error as AppError {
            outcome = .failure(RPCError(error))
        } catch {
            logger.log(.error, "unexpected error: \(error)", method: methodName, id: id)
            outcome = .failure(RPCError(AppError.internalError()))
        }
        let durationMs = Double(SystemClock.monotonicNanoseconds() - started) / 1_000_000
        switch outcome {
        case .success: call = Outcome.Call(method: methodName, id: id, durationMs: durationMs, code: nil)
        case .failure(let e): call = Outcome.Call(method: methodName, id: id, durationMs: durationMs, code: e.code)
        }
        return reply(outcome)
    }

    /// The answer to a message refused before any method ran (it does not parse, is no request,
    /// or names no method), logged: a caller sending such messages is seen in the log, not only
    /// in its own answers.
    func refused(id: JSON, error: RPCError) -> JSON {
        logger.log(.warning, "refused: \(error.message)", id: id, extra: ["code": .int(Int64(error.code))])
        return Dispatcher.errorResponse(id: id, error: error)
    }

    static func errorResponse(id: JSON, error: RPCError) -> JSON {
        var e: [String: JSON] = ["code": .int(Int64(error.code)), "message": .string(error.message)]
        if let data = error.data { e["data"] = data }
        return ["jsonrpc": "2.0", "id": id, "error": .object(e)]
    }
}

public struct RPCError: Error {
    public let code: Int
    public let message: String
    public let data: JSON?

    public init(code: Int, message: String, data: JSON?) {
        self.code = code
        self.message = message
        self.data = data
    }

    public init(_ app: AppError) {
        self.init(code: app.code.number, message: app.message, data: app.data)
    }
}
