import Core
import Foundation

/// Brings the schema up to date once per process, on the first connection that can. A process
/// started while the database was down (or full) refuses work until then, and migrates as
/// soon as the database answers; afterwards passing the gate costs an uncontended lock.
/// Shared by every connection of the process.
public final class MigrationGate: Sendable {
    private let migrator: Migrator
    /// Told the versions applied, on the connection that applied them, once.
    private let onMigrated: @Sendable (Connection, [Int]) -> Void
    private let migrated = Locked(false)
    /// Why the migrations cannot be applied, once one failed for a reason other than the
    /// database being away (its SQL, a changed file, a missing privilege): nil until then.
    private let brokenReason = Locked<String?>(nil)

    public init(migrator: Migrator, onMigrated: @escaping @Sendable (Connection, [Int]) -> Void = { _, _ in }) {
        self.migrator = migrator
        self.onMigrated = onMigrated
    }

    public var isOpen: Bool { migrated.withLock { $0 } }

    /// The newest migration this process applies (`NNNN` of its last file): what tells two
    /// releases' schemas apart.
    public var newestVersion: Int { migrator.migrations.last?.version ?? 0 }

    /// Set when the migrations failed for good: the process should stop, as it does when this
    /// happens at start-up, rather than answer "unavailable" for ever.
    public var broken: String? { brokenReason.withLock { $0 } }

    /// Returns at once when the schema is known to be current; otherwise applies what is
    /// missing on `connection` (one caller at a time) and throws what stopped it.
    public func ensureMigrated(on connection: Connection) throws {
        try migrated.withLock { done in
            if done { return }
            let applied: [Int]
            do {
                applied = try migrator.apply(on: connection)
            } catch let error as PostgresError where !error.isTemporary && error.code != .configuration {
                // A session a pooler shares with other clients (`.configuration`) is not a fault
                // of the migrations: every call says what to set, as it would once migrated.
                brokenReason.withLock { $0 = error.description }
                throw error
            }
            done = true
            onMigrated(connection, applied)
        }
    }
}
