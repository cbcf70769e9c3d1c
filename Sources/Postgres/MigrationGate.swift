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

    public init(migrator: Migrator, onMigrated: @escaping @Sendable (Connection, [Int]) -> Void = { _, _ in }) {
        self.migrator = migrator
        self.onMigrated = onMigrated
    }

    public var isOpen: Bool { migrated.withLock { $0 } }

    /// Returns at once when the schema is known to be current; otherwise applies what is
    /// missing on `connection` (one caller at a time) and throws what stopped it.
    public func ensureMigrated(on connection: Connection) throws {
        try migrated.withLock { done in
            if done { return }
            let applied = try migrator.apply(on: connection)
            done = true
            onMigrated(connection, applied)
        }
    }
}
