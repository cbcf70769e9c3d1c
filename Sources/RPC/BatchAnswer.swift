import Core
import Foundation

/// The answer of one batch, assembled while its entries run (on several workers at once) and
/// kept within `Limits.maxAnswerBytes`.
///
/// Entries are handed out in order. Each answer is serialized as soon as its entry finishes, so
/// what is held is the text, never more than the bound of it. An answer that would pass the
/// bound is replaced by an error, but only where that hides nothing: an entry whose mutating
/// method ran keeps its real answer whatever its size, since it may have changed something and
/// must not be reported as not done. From the first answer that did not fit, no further entry
/// with an id is run; each is answered with `batch_answer_full` (send it again). Notifications
/// still run: they have no answer to bound, and their sender could never learn they were skipped.
public final class BatchAnswer: @unchecked Sendable {
    public let entries: [JSON]
    let maxBytes: Int
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var pieces: [String?]
    private var nextUnclaimed = 0
    private var unclaimed: Set<Int> = []
    /// "[" and, for each piece, its text and the "," or "]" after it.
    private var bytes = 1
    private var isFull = false

    init(entries: [JSON], maxBytes: Int) {
        self.entries = entries
        self.maxBytes = maxBytes
        pieces = Array(repeating: nil, count: entries.count)
    }

    /// The next entry to run, or nil when none is left. Once the answer is full only
    /// notifications are handed out.
    public func claimNext() -> Int? {
        lock.withLock {
            while nextUnclaimed < entries.count {
                let i = nextUnclaimed
                nextUnclaimed += 1
                if !isFull || BatchAnswer.isNotification(entries[i]) { return i }
                unclaimed.insert(i)
            }
            return nil
        }
    }

    /// Keeps entry `i`'s answer, or an error in its place when it does not fit.
    func record(_ i: Int, _ outcome: Dispatcher.Outcome) {
        guard let response = outcome.response else { return }
        let text = response.serialized()
        let cost = text.utf8.count + 1
        let tooLargeAlone = 2 + text.utf8.count > maxBytes
        lock.withLock {
            if bytes + cost <= maxBytes || outcome.mayHaveChanged {
                pieces[i] = text
                bytes += cost
                isFull = isFull || bytes >= maxBytes
            } else if tooLargeAlone {
                pieces[i] = Dispatcher.errorResponse(
                    id: response["id"] ?? .null, error: BatchAnswer.tooLarge(answerBytes: text.utf8.count, maxBytes: maxBytes)
                ).serialized()
            } else {
                isFull = true
                pieces[i] = Dispatcher.errorResponse(id: response["id"] ?? .null, error: BatchAnswer.full(maxBytes: maxBytes)).serialized()
            }
        }
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
    /// and its method changed nothing.
    static func single(_ outcome: Dispatcher.Outcome, maxBytes: Int) -> String? {
        guard let response = outcome.response else { return nil }
        let text = response.serialized()
        guard text.utf8.count > maxBytes, !outcome.mayHaveChanged else { return text }
        return Dispatcher.errorResponse(
            id: response["id"] ?? .null, error: tooLarge(answerBytes: text.utf8.count, maxBytes: maxBytes)
        ).serialized()
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
                + "(MEETINGLEDGER_MAX_ANSWER_BYTES); nothing was changed. Ask for less: a shorter range or a smaller limit",
            details: ["answer_bytes": .int(Int64(answerBytes)), "max_answer_bytes": .int(Int64(maxBytes))])
    }

    static func full(maxBytes: Int) -> RPCError { RPCError(fullError(maxBytes: maxBytes)) }

    static func fullError(maxBytes: Int) -> AppError {
        AppError(
            .batchAnswerFull,
            message: "Not answered: this batch's answer reached its bound of \(maxBytes) bytes (MEETINGLEDGER_MAX_ANSWER_BYTES) "
                + "before this entry; nothing was changed for it. Send it again, in another batch",
            retryable: true, details: ["max_answer_bytes": .int(Int64(maxBytes))])
    }
}
