import Core
import RPC

#if canImport(Glibc)
    import Glibc
#endif

/// The first stop signal received (SIGTERM, SIGINT or SIGHUP; 0 before any), set by its handler.
nonisolated(unsafe) var stopSignalNumber: sig_atomic_t = 0
/// When it came (CLOCK_MONOTONIC nanoseconds), set by the handler before `stopSignalNumber`.
nonisolated(unsafe) var stopSignalNanoseconds: UInt64 = 0

/// A stop asked for by a signal, and its grace: after it, the requests already read are still run
/// for `graceMs` counted from the signal, and none is started once that is over.
final class StopSignal: @unchecked Sendable {
    let graceMs: Int
    let logger: Logger
    /// Whether the end of the grace was logged (batch workers ask at once).
    private let graceEndLogged = Locked(false)

    init(graceMs: Int, logger: Logger) {
        self.graceMs = graceMs
        self.logger = logger
    }

    /// Records each stop signal in the handler's only safe way: the time and the number, once.
    func install() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number) { received in
                guard stopSignalNumber == 0 else { return }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                stopSignalNanoseconds = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
                stopSignalNumber = received
            }
        }
    }

    var isRequested: Bool { stopSignalNumber != 0 }

    /// The signal's name for the log ("SIGINT").
    var signalName: String {
        switch stopSignalNumber {
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "SIGTERM"
        }
    }

    /// How long ago the grace after the signal ended; nil while it is not over (or no stop was
    /// asked for). Its end is logged when first found.
    var nanosecondsPastGrace: UInt64? {
        guard isRequested else { return nil }
        let passedNs = SystemClock.monotonicNanoseconds() &- stopSignalNanoseconds, graceNs = UInt64(graceMs) * 1_000_000
        guard passedNs >= graceNs else { return nil }
        let first = graceEndLogged.withLock { logged in
            defer { logged = true }
            return !logged
        }
        if first {
            // Found when the next request is about to start: the time since the signal, which may
            // be well past the grace (a long call was running), is what the operator reads.
            let passedMs = passedNs / 1_000_000
            logger.log(
                .warning,
                "\(signalName) came \(passedMs) ms ago, past its grace of \(graceMs) ms (MEETINGLEDGER_STOP_GRACE_MS); "
                    + "the requests read and not started are answered shutting_down",
                extra: ["since_signal_ms": .int(Int64(passedMs)), "grace_ms": .int(Int64(graceMs))])
        }
        return passedNs - graceNs
    }

    /// True once the grace is over: nothing more is started.
    var graceIsOver: Bool { nanosecondsPastGrace != nil }

    /// The error a request not started gets once the grace is over (`Dispatcher.notRunning`).
    func refusal() -> AppError? { graceIsOver ? AppError.shuttingDown() : nil }
}
