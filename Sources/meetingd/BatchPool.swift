import Core
import Foundation
import RPC


/// Runs the entries of one JSON-RPC batch at once over a few workers, each with its own
/// dispatcher and database connection, so PostgreSQL can group their commits. Entries are
/// independent (JSON-RPC lets a server handle them in any order); the batch's answer keeps
/// entry order and its size bound (`BatchAnswer`).
final class BatchPool: @unchecked Sendable {
    private let workers: [Dispatcher]

    init(size: Int, makeDispatcher: () -> Dispatcher) {
        workers = (0..<max(1, size)).map { _ in makeDispatcher() }
    }

    func run(_ batch: BatchAnswer) {
        DispatchQueue.concurrentPerform(iterations: min(workers.count, batch.entries.count)) { w in
            let dispatcher = workers[w]
            while let i = batch.claimNext() { dispatcher.answer(i, of: batch) }
        }
    }
}
