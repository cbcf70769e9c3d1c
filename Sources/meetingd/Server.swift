import Core
import RPC
import API
import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Set by the SIGTERM handler: the reader reads no more input than was sent before the signal,
/// and the loop answers what it read whole, as at the end of input, running requests for
/// `stopGraceMs` after it notices (the one then in flight finishes) and answering the rest
/// shutting_down, not run.
nonisolated(unsafe) var terminationRequested: sig_atomic_t = 0

/// Reads messages until end of input (or SIGTERM), answering each in order.
struct Server {
    let config: PipelineConfig
    let limits: Limits
    let logger: Logger
    let info: OpenRPCInfo
    /// Connections used to run one batch's entries at once.
    let batchWorkers: Int
    /// How long after SIGTERM requests already read are still run (MEETINGLEDGER_STOP_GRACE_MS).
    let stopGraceMs: Int

    /// Serves until end of input, SIGTERM or a broken schema; the process's exit status.
    func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM) { _ in terminationRequested = 1 }
        // SIGINT (a Ctrl-C at the terminal it runs in) stops it as SIGTERM does. (meetctl starts
        // its meetingd in a process group of its own, which a Ctrl-C at meetctl's terminal misses.)
        signal(SIGINT) { _ in terminationRequested = 1 }
        // SIGHUP (its terminal gone) too: what was read is answered rather than dropped.
        signal(SIGHUP) { _ in terminationRequested = 1 }
        let methods = API.all
        let dispatcher = Dispatcher(methods: RequestPipeline(config: config, logger: logger).methodSpecs(methods), limits: limits, logger: logger, info: info)
        if batchWorkers > 1 {
            let pool = BatchPool(size: batchWorkers) {
                Dispatcher(methods: RequestPipeline(config: config, logger: logger).methodSpecs(methods), limits: limits, logger: logger, info: info)
            }
            dispatcher.batchRunner = { pool.run($0) }
        }
        let reader = MessageReader(fd: 0, maxMessageBytes: limits.maxMessageBytes) { terminationRequested != 0 }
        var settings: [String: JSON] = ["test_clock": .bool(config.testClock)]
        if let pinned = config.pinnedActor { settings["pinned_actor"] = .string(pinned) }
        logger.log(.info, "serving", extra: settings)
        var stopNoticedNs: UInt64? = nil
        while true {
            guard let incoming = reader.next() else { break }
            if terminationRequested != 0 && dispatcher.notRunning == nil {
                let now = SystemClock.monotonicNanoseconds()
                let noticed = stopNoticedNs ?? now
                stopNoticedNs = noticed
                if now - noticed >= UInt64(stopGraceMs) * 1_000_000 {
                    logger.log(.warning, "SIGTERM: \(stopGraceMs) ms passed; the requests read and not run are answered shutting_down")
                    dispatcher.notRunning = AppError.shuttingDown()
                    dispatcher.batchRunner = nil
                }
            }
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
            if let response, !ResponseWriter.write(response, framing: framing) {
                logger.log(.warning, "stdout closed; stopping")
                break
            }
            // Met after start-up (the database was down then), a migration that cannot be applied
            // stops meetingd as it would have at start-up.
            if let broken = config.migrations?.broken {
                logger.log(.error, "migration failed: \(broken); stopping")
                return 1
            }
        }
        logger.log(.info, terminationRequested != 0 ? "SIGTERM: the requests read answered; exiting" : "input closed; exiting")
        return 0
    }

    static func error(_ code: Int, _ message: String, id: JSON = .null) -> String {
        JSON.object(["jsonrpc": "2.0", "id": id, "error": ["code": .int(Int64(code)), "message": .string(message)]]).serialized()
    }
}
