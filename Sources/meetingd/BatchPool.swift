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

    /// Every worker a thread of its own (the first this one), so as many entries wait on the
    /// database at once as there are workers, whatever the number of CPUs
    /// (`DispatchQueue.concurrentPerform` ran only about one per CPU: the other workers began
    /// once the batch was drained).
    func run(_ batch: BatchAnswer) {
        let count = min(workers.count, batch.entries.count)
        let finished = DispatchGroup()
        for w in workers.indices.dropFirst().prefix(max(count - 1, 0)) {
            finished.enter()
            let thread = Thread {
                self.drain(batch, with: w)
                finished.leave()
            }
            thread.stackSize = BatchPool.stackBytes
            thread.start()
        }
        drain(batch, with: 0)
        finished.wait()
    }

    /// A worker's stack: eight times the 256 KiB the batch tests (and params nested to their
    /// bound) passed with, and small beside the memory cap (`RLIMIT_DATA` counts a stack whole:
    /// 32 workers take 64 MiB of the 256 MiB least cap).
    static let stackBytes = 2 << 20

    private func drain(_ batch: BatchAnswer, with worker: Int) {
        while let i = batch.claimNext() { workers[worker].answer(i, of: batch) }
    }
}
