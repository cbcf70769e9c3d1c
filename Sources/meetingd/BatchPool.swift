import Core
import Foundation
import RPC
import Service

/// Runs the entries of one JSON-RPC batch at once over a few workers, each with its own
/// dispatcher and database connection, so PostgreSQL can group their commits. Entries are
/// independent (JSON-RPC lets a server handle them in any order); responses keep entry order.
final class BatchPool: @unchecked Sendable {
    private let workers: [Dispatcher]

    init(size: Int, makeDispatcher: () -> Dispatcher) {
        workers = (0..<max(1, size)).map { _ in makeDispatcher() }
    }

    func run(_ entries: [JSON]) -> [JSON?] {
        guard workers.count > 1, entries.count > 1 else { return entries.map { workers[0].handle(request: $0) } }
        let results = ResultSlots(count: entries.count)
        DispatchQueue.concurrentPerform(iterations: min(workers.count, entries.count)) { w in
            let dispatcher = workers[w]
            while let i = results.claimNext() {
                results.set(i, dispatcher.handle(request: entries[i]))
            }
        }
        return results.values
    }
}

/// One slot per entry, each claimed and written by exactly one worker.
private final class ResultSlots: Sendable {
    private let state: Locked<(slots: [JSON?], nextUnclaimed: Int)>

    init(count: Int) { state = Locked((Array(repeating: nil, count: count), 0)) }

    func claimNext() -> Int? {
        state.withLock { s in
            guard s.nextUnclaimed < s.slots.count else { return nil }
            s.nextUnclaimed += 1
            return s.nextUnclaimed - 1
        }
    }

    func set(_ i: Int, _ value: JSON?) { state.withLock { $0.slots[i] = value } }

    var values: [JSON?] { state.withLock { $0.slots } }
}
