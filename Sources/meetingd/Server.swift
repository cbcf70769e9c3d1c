import Core
import RPC
import API
import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Reads messages until end of input (or a stop signal), answering each in order. After the
/// signal the reader reads no more input than was sent before it, and the loop answers what it
/// read whole, as at the end of input: running requests for `stopGraceMs` counted from the signal
/// (the one then in flight finishes) and answering the rest shutting_down, not run.
struct Server {
    let config: PipelineConfig
    let limits: Limits
    let logger: Logger
    let info: OpenRPCInfo
    /// Connections used to run one batch's entries at once.
    let batchWorkers: Int
    /// For how long after a stop signal requests already read are still started (MEETINGLEDGER_STOP_GRACE_MS).
    let stopGraceMs: Int

    /// Once the stop grace is over, how long stdout may take nothing of an answer before the
    /// answers not written are dropped and meetingd exits (status 1).
    static let stalledOutputLimitMs = 5_000

    /// Serves until end of input, SIGTERM or a broken schema; the process's exit status.
    func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // SIGTERM, and SIGINT (a Ctrl-C at the terminal it runs in; meetctl starts its meetingd
        // in a process group of its own, which a Ctrl-C at meetctl's terminal misses) and SIGHUP
        // (its terminal gone): what was read is answered rather than dropped.
        let stop = StopSignal(graceMs: stopGraceMs, logger: logger)
        stop.install()
        let methods = API.all
        // Each request, each batch entry too, is started only within the grace.
        func makeDispatcher() -> Dispatcher {
            let d = Dispatcher(methods: RequestPipeline(config: config, logger: logger).methodSpecs(methods), limits: limits, logger: logger, info: info)
            d.notRunning = stop.refusal
            return d
        }
        let dispatcher = makeDispatcher()
        if batchWorkers > 1 {
            let pool = BatchPool(size: batchWorkers, makeDispatcher: makeDispatcher)
            dispatcher.batchRunner = { pool.run($0) }
        }
        let reader = MessageReader(fd: 0, maxMessageBytes: limits.maxMessageBytes) { stop.isRequested }
        var settings: [String: JSON] = ["test_clock": .bool(config.testClock)]
        if let pinned = config.pinnedActor { settings["pinned_actor"] = .string(pinned) }
        logger.log(.info, "serving", extra: settings)
        while true {
            guard let incoming = reader.next() else { break }
            config.readRouting?.nextMessage()
            let (response, framing): (String?, Framing)
            switch incoming {
            case .message(let bytes, .line):
                (response, framing) = (dispatcher.handle(message: bytes), .line)
            case .message(let bytes, .contentLength):
                let (answer, unreadable) = dispatcher.handle(frame: bytes)
                if unreadable { reader.frameWasUnreadable() }
                (response, framing) = (answer, .contentLength)
            case .oversized(let f, let head):
                let message = "Invalid Request: a message may be at most \(limits.maxMessageBytes) bytes"
                let id = RequestIdPeek.id(in: head) ?? .null
                logger.log(.warning, "refused: \(message)", id: id, extra: ["code": -32600])
                (response, framing) = (Self.error(-32600, message, id: id), f)
            case .badHeader(let why):
                logger.log(.warning, "refused: Parse error: \(why)", extra: ["code": -32700])
                (response, framing) = (Self.error(-32700, "Parse error: \(why)"), .contentLength)
            }
            if let response {
                // Stopping, past the grace, a caller that reads no more answers does not keep
                // meetingd waiting for ever: stdout has the limit to take something, counted from
                // the later of the grace's end and the write's start.
                let written = ResponseWriter.write(response, framing: framing) { stalledNs in
                    guard let pastGraceNs = stop.nanosecondsPastGrace else { return false }
                    return min(stalledNs, pastGraceNs) >= UInt64(Server.stalledOutputLimitMs) * 1_000_000
                }
                if written == .closed {
                    // An answer is lost (a change it reports may have been made): the exit status
                    // says so, as when a stop gives answers up.
                    logger.log(.error, "stdout closed: an answer could not be written (the caller is gone); it and the requests not read are dropped; exiting")
                    return 1
                }
                if written == .abandoned {
                    logger.log(.error, "\(stop.signalName): stdout took nothing for \(Server.stalledOutputLimitMs) ms after the stop grace "
                        + "(the caller reads no more answers); the answers not written are dropped; exiting")
                    return 1
                }
            }
            // Met after start-up (the database was down then), a migration that cannot be applied
            // stops meetingd as it would have at start-up.
            if let broken = config.migrations?.broken {
                logger.log(.error, "migration failed: \(broken); stopping")
                return 1
            }
        }
        logger.log(.info, stop.isRequested ? "\(stop.signalName): the requests read answered; exiting" : "input closed; exiting")
        return 0
    }

    static func error(_ code: Int, _ message: String, id: JSON = .null) -> String {
        JSON.object(["jsonrpc": "2.0", "id": id, "error": ["code": .int(Int64(code)), "message": .string(message)]]).serialized()
    }
}
