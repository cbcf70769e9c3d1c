import Core
import Foundation

/// Read-only calls sent to a hot standby (`MEETINGLEDGER_READ_DATABASE_URL`), with each
/// process reading its own writes. Shared by every connection of the process.
///
/// A standby replays the primary's WAL in order, and a transaction is visible there once its
/// commit record is replayed. The apply statement of every write reports its transaction id;
/// a read on the standby is answered there only when the standby has replayed the commit of
/// each write this process made since the last message (`nextMessage`) that wrote
/// (`RequestQueries.replayed`), and by the primary otherwise. One write's replayed commit
/// vouches for every write of earlier messages: each earlier message was answered (its
/// commits done) before this one's transaction began, so its commit records come first in the
/// WAL, which the standby replays in order. A batch's entries commit in any order, so all of a
/// message's writes are kept.
public final class ReadRouting: Sendable {
    /// The standby's libpq connection string (several hosts with
    /// `target_session_attrs=prefer-standby` are fine).
    public let conninfo: String
    /// How long a standby that failed (unreachable, behind the schema, refusing) is left
    /// alone before it is tried again; reads go to the primary meanwhile.
    public let retryAfterSeconds: Double

    private struct Marks {
        var message = 0
        var markedMessage = -1
        var transactionIds: [String] = []
        /// The last message with a write of this process whose transaction is not known (a
        /// keyed call answered from its stored response): reads go to the primary until a later
        /// message writes. A write of the same message (another entry of its batch, committed
        /// in any order) does not vouch for it.
        var unseenMessage: Int?

        var unseenWrite: Bool { unseenMessage.map { $0 >= markedMessage } ?? false }
    }

    private let marks = Locked(Marks())
    /// The primary's cluster (`pg_control_system()`'s system identifier) once a connection to it
    /// has said it: a read database must be a standby of that cluster, whose transaction ids are
    /// the primary's. A failover keeps it (a promoted standby has its primary's identifier).
    private let primaryCluster = Locked<String?>(nil)

    public init(conninfo: String, retryAfterSeconds: Double = 30) {
        self.conninfo = conninfo
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var primarySystemIdentifier: String? { primaryCluster.withLock { $0 } }

    public func notePrimary(systemIdentifier: String) {
        primaryCluster.withLock { $0 = systemIdentifier }
    }

    /// A new message (one call or one batch) begins: writes from here on belong to it.
    public func nextMessage() {
        marks.withLock { $0.message += 1 }
    }

    /// A write of this process committed in transaction `transactionId` (a `xid8`, as text).
    public func wrote(transactionId: String) {
        marks.withLock { m in
            if m.markedMessage != m.message {
                m.markedMessage = m.message
                m.transactionIds = []
            }
            m.transactionIds.append(transactionId)
        }
    }

    /// A keyed call was answered from its stored response: its write may have committed just
    /// now (its first answer was lost), in a transaction this process does not know.
    public func answeredFromStore() {
        marks.withLock { $0.unseenMessage = $0.message }
    }

    /// The transactions a standby must show committed before a read is answered there; nil
    /// when only the primary can answer.
    public var mustSee: [String]? { marks.withLock { $0.unseenWrite ? nil : $0.transactionIds } }
}
