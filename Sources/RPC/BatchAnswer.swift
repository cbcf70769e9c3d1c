import Core
import Foundation

/// The answer of one batch, assembled while its entries run (on several workers at once) and
/// kept within `Limits.maxAnswerBytes`.
///
/// Entries are handed out in order. Each answer is serialized as soon as its entry finishes, so
/// what is held is the text, never more than the bound of it. Until an entry is answered, room
/// is kept for the longest error that may stand in for it, so the errors always fit too: a batch
/// whose errors alone would not fit is refused whole, before anything runs. An answer that would
/// pass the bound is replaced by an error, but only where that hides nothing: an entry whose
/// mutating method ran keeps its real answer whatever its size, since it may have changed
/// something and must not be reported as not done (the one way past the bound in a batch; a
/// single call's error answer also goes as it is where only its echoed id makes it long, see
/// `single`). From the first
/// answer that did not fit, no further entry with an id is run; each is answered with
/// `batch_answer_full` (send it again). Notifications still run: they have no answer to bound,
/// and their sender could never learn they were skipped.
///
/// Its time is bounded too (`Limits.maxBatchSeconds`, from when the batch was read): past it,
/// no method is started (`timeIsUp`, asked as each entry is about to run its method): each
/// request is answered `batch_time_up` (send it again) and each notification dropped and
/// logged, since running it would let the batch go on past its bound; an entry that is no
/// valid request still gets its own error (nothing of it runs, and sent again it would fail
/// again). An entry already running finishes (the session's timeouts bound it).
public final class BatchAnswer: @unchecked Sendable {
    public let entries: [JSON]
    let maxBytes: Int
    let maxSeconds: Int
    /// When the batch's time is up, on the monotonic clock `now` reads.
    private let deadlineNanoseconds: UInt64
    private let now: @Sendable () -> UInt64
    /// Per entry, the room kept for it until it is answered: its longest possible error answer
    /// and the separator after it (0 for a notification, which is never answered).
    private let reserved: [Int]
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var pieces: [String?]
    private var nextUnclaimed = 0
    private var unclaimed: Set<Int> = []
    /// "[" and, for each answered piece, its text and the "," or "]" after it.
    private var bytes = 1
    /// The room kept for the entries not answered yet.
    private var reserve: Int
    private var isFull = false
    private var isTimeUp = false

    /// nil when the errors standing in for every entry would not fit the bound: the batch is
    /// then refused whole (`refusal`). `now` is a monotonic clock in nanoseconds.
    init?(
        entries: [JSON], maxBytes: Int, maxSeconds: Int = Limits.standard.maxBatchSeconds,
        now: @escaping @Sendable () -> UInt64 = SystemClock.monotonicNanoseconds
    ) {
        self.entries = entries
        self.maxBytes = maxBytes
        self.maxSeconds = maxSeconds
        self.now = now
        let (seconds, overflow) = UInt64(max(maxSeconds, 0)).multipliedReportingOverflow(by: 1_000_000_000)
        let (deadline, late) = now().addingReportingOverflow(overflow ? UInt64.max : seconds)
        deadlineNanoseconds = late ? UInt64.max : deadline
        let longest = BatchAnswer.longestErrorBytes(maxBytes: maxBytes, maxSeconds: maxSeconds)
        reserved = entries.map { entry in
            BatchAnswer.isNotification(entry) ? 0 : longest - 4 + BatchAnswer.id(of: entry).serialized().utf8.count + 1
        }
        reserve = reserved.reduce(0, +)
        guard 1 + reserve <= maxBytes else { return nil }
        pieces = Array(repeating: nil, count: entries.count)
    }

    /// The longest error answer an entry with a null id may get instead of its own.
    static func longestErrorBytes(maxBytes: Int, maxSeconds: Int) -> Int {
        [full(maxBytes: maxBytes), tooLarge(answerBytes: Int.max, maxBytes: maxBytes), timeUp(maxSeconds: maxSeconds)]
            .map { Dispatcher.errorResponse(id: .null, error: $0).serialized().utf8.count }.max()!
    }

    /// The answer to a batch `init` refused.
    static func refusal(entries: Int, maxBytes: Int) -> RPCError {
        RPCError(
            code: -32600,
            message: "Invalid Request: the answer to a batch of \(entries) entries may not fit the bound of \(maxBytes) bytes "
                + "(MEETINGLEDGER_MAX_ANSWER_BYTES), not even as an error per entry; nothing was run. Send fewer entries per batch",
            data: nil)
    }

    /// The next entry to run, or nil when none is left. Once the answer is full only
    /// notifications and entries that are no request object are handed out.
    public func claimNext() -> Int? {
        lock.withLock {
            while nextUnclaimed < entries.count {
                let i = nextUnclaimed
                nextUnclaimed += 1
                // Once full, a notification still runs, and an entry that is no request object
                // is still answered with its own short -32600 (nothing of it runs).
                if !isFull || BatchAnswer.isNotification(entries[i]) || !BatchAnswer.isObject(entries[i]) { return i }
                unclaimed.insert(i)
            }
            return nil
        }
    }

    /// Whether the batch's time is up: asked as an entry is about to run its method (once up,
    /// it stays up).
    func timeIsUp() -> Bool {
        lock.withLock {
            isTimeUp = isTimeUp || now() >= deadlineNanoseconds
            return isTimeUp
        }
    }

    /// Keeps entry `i`'s answer, or an error in its place when it does not fit (an error always
    /// fits the room kept for it): that error's code, nil when the answer was kept.
    @discardableResult
    func record(_ i: Int, _ outcome: Dispatcher.Outcome) -> Int? {
        guard let response = outcome.response else { return nil }
        let text = response.serialized()
        let cost = text.utf8.count + 1
        let tooLargeAlone = 2 + text.utf8.count > maxBytes
        return lock.withLock {
            let rest = reserve - reserved[i]
            reserve = rest
            let fits = outcome.mayHaveChanged || cost <= reserved[i] || bytes + cost + rest <= maxBytes
            let substitute: RPCError? =
                fits ? nil : tooLargeAlone ? BatchAnswer.tooLarge(answerBytes: text.utf8.count, maxBytes: maxBytes) : BatchAnswer.full(maxBytes: maxBytes)
            isFull = isFull || (!fits && !tooLargeAlone)
            let piece = substitute.map { Dispatcher.errorResponse(id: response["id"] ?? .null, error: $0).serialized() } ?? text
            pieces[i] = piece
            bytes += piece.utf8.count + 1
            // The bound reached (a change's answer may pass it): nothing more is run.
            isFull = isFull || bytes + reserve >= maxBytes
            return substitute?.code
        }
    }

    /// The requests left unrun once the answer filled (answered 4131 by `serialized`), in entry
    /// order.
    func leftUnrun() -> [JSON] {
        lock.withLock { unclaimed.sorted().map { entries[$0] } }
    }

    /// The batch's response text in entry order; nil when no entry has an answer (all were
    /// notifications).
    func serialized() -> String? {
        lock.withLock {
            let full = BatchAnswer.full(maxBytes: maxBytes)
            for i in unclaimed {
                pieces[i] = Dispatcher.errorResponse(id: BatchAnswer.id(of: entries[i]), error: full).serialized()
            }
            let answered = pieces.compactMap { $0 }
            return answered.isEmpty ? nil : "[" + answered.joined(separator: ",") + "]"
        }
    }

    /// One call's response text, or `answer_too_large` in its place when it passes `maxBytes`
    /// and its method changed nothing (then with that error's code). An error answer is kept
    /// when the `answer_too_large` would pass the bound too: then the id it echoes is what makes
    /// any answer long (the message limit bounds it), and the real error is the one worth reading.
    static func single(_ outcome: Dispatcher.Outcome, maxBytes: Int) -> (text: String?, substitute: Int?) {
        guard let response = outcome.response else { return (nil, nil) }
        let text = response.serialized()
        guard text.utf8.count > maxBytes, !outcome.mayHaveChanged else { return (text, nil) }
        let error = tooLarge(answerBytes: text.utf8.count, maxBytes: maxBytes)
        let refusal = Dispatcher.errorResponse(id: response["id"] ?? .null, error: error).serialized()
        return response["error"] != nil && refusal.utf8.count > maxBytes ? (text, nil) : (refusal, error.code)
    }

    static func isObject(_ entry: JSON) -> Bool {
        if case .object = entry { return true }
        return false
    }

    static func isNotification(_ entry: JSON) -> Bool {
        guard case .object(let fields) = entry else { return false }
        return fields["id"] == nil
    }

    /// The id to answer an entry that was not run with: its own when it is a valid one.
    static func id(of entry: JSON) -> JSON {
        guard case .object(let fields) = entry, let id = fields["id"] else { return .null }
        switch id {
        case .string, .int, .number: return id
        default: return .null
        }
    }

    static func tooLarge(answerBytes: Int, maxBytes: Int) -> RPCError { RPCError(tooLargeError(answerBytes: answerBytes, maxBytes: maxBytes)) }

    static func tooLargeError(answerBytes: Int, maxBytes: Int) -> AppError {
        AppError(
            .answerTooLarge,
            message: "Answer too large: it would be \(answerBytes) bytes, over the bound of \(maxBytes) bytes "
                + "(MEETINGLEDGER_MAX_ANSWER_BYTES); nothing was changed. Ask for less (a shorter range, a smaller limit) or have the operator raise it",
            details: ["answer_bytes": .int(Int64(answerBytes)), "max_answer_bytes": .int(Int64(maxBytes))])
    }

    static func timeUp(maxSeconds: Int) -> RPCError { RPCError(timeUpError(maxSeconds: maxSeconds)) }

    static func timeUpError(maxSeconds: Int) -> AppError {
        AppError(
            .batchTimeUp,
            message: "Not run: this batch ran past its bound of \(maxSeconds) s (MEETINGLEDGER_MAX_BATCH_SECONDS) "
                + "before this entry started; nothing was changed for it. Send it again, in another batch",
            retryable: true, details: ["max_batch_seconds": .int(Int64(maxSeconds))])
    }

    static func full(maxBytes: Int) -> RPCError { RPCError(fullError(maxBytes: maxBytes)) }

    static func fullError(maxBytes: Int) -> AppError {
        AppError(
            .batchAnswerFull,
            message: "Not answered: this batch's answer reached its bound of \(maxBytes) bytes (MEETINGLEDGER_MAX_ANSWER_BYTES), "
                + "or an answer would have passed it; nothing was changed for this entry. Send it again, in another batch",
            retryable: true, details: ["max_answer_bytes": .int(Int64(maxBytes))])
    }
}
