import Core
import Postgres

/// Where a paged list of meetings stands among the meetings changed since its first page.
///
/// The first page reads in a snapshot (`prev` and `cur` both that one) and lists the meetings by
/// their own order. A meeting whose row was written since by a transaction that snapshot did
/// not see is listed after the others, in rounds: a round lists, by (transaction, id), the
/// meetings whose last change `prev` did not see and `cur` does; when a round runs out, the next
/// takes `cur` as its `prev` and the page's own snapshot as its `cur`. A round's meetings are
/// fixed (a change `cur` sees has committed: none can join it later, and one changed again
/// leaves it for a later round), so a page never skips one, whatever order transactions commit
/// in; a meeting changed again is listed again.
///
/// The transaction that last wrote a row is its version's xmin (PostgreSQL keeps it with every
/// row version, whatever path wrote it), widened to 64 bits against the reading statement's own
/// snapshot: exact for every transaction of the last 2^32. A row not written in that long
/// (frozen, its raw xmin kept) widens to the latest id of the same low 32 bits as each page
/// reads it: it reads as a change when that id came after the pass's first page (a chance of
/// the ids handed out during the pass in 2^32: a ten-minute pass at 5,000 a second, 0.07 %),
/// and is then listed again, never skipped (the id is past every earlier snapshot). Meetings are never written in a
/// subtransaction (a savepoint, a PL/pgSQL block with EXCEPTION): its xid is not in a snapshot's
/// list of transactions in progress, and its change would read as seen while its transaction was open.
public struct ChangePage: Sendable {
    public var prev: TransactionSnapshot
    public var cur: TransactionSnapshot
    /// The last change listed in the round: the transaction (0 outside the changed group); its
    /// meeting id is the cursor's id.
    public var changedBy: Int64

    public init(prev: TransactionSnapshot, cur: TransactionSnapshot, changedBy: Int64) {
        self.prev = prev
        self.cur = cur
        self.changedBy = changedBy
    }

    /// The round's snapshots (`b`), and for meeting `m` (its row version's xmin, `rowXmin`) the
    /// transaction that last wrote it (`x.changed_by`), whether it changed since `prev`
    /// (`c.changed`) and in the next round (`c.later`, after `cur`); `prev` and `cur` are the
    /// cursor's, or the statement's own snapshot on a first page. `OFFSET 0` keeps `b` a row of
    /// its own, read once: pulled up into the scan, the snapshots were parsed and taken again
    /// for every candidate row (with 300 transactions open, 60 ms instead of 0.5 ms for 2,754
    /// rows).
    static func join(prev: Int, cur: Int, rowXmin: String = "m.xmin") -> String {
        """
        CROSS JOIN (SELECT coalesce($\(prev)::text::pg_snapshot, pg_current_snapshot()) AS prev,
                           coalesce($\(cur)::text::pg_snapshot, pg_current_snapshot()) AS cur, pg_current_snapshot() AS now,
                           pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax OFFSET 0) b
        CROSS JOIN LATERAL (
            SELECT greatest(b.xmax - ((b.xmax % 4294967296) - \(rowXmin)::text::bigint + 4294967296) % 4294967296, 1)::text::xid8 AS changed_by) x
        CROSS JOIN LATERAL (
            SELECT NOT pg_visible_in_snapshot(x.changed_by, b.prev) AS changed, NOT pg_visible_in_snapshot(x.changed_by, b.cur) AS later) c
        """
    }

    /// Each row's place for the cursor after it: the round it is in, and its change.
    static let columns = """
        CASE WHEN c.later THEN b.cur ELSE b.prev END::text AS changes_prev, CASE WHEN c.later THEN b.now ELSE b.cur END::text AS changes_cur,
        CASE WHEN c.changed THEN x.changed_by::text::bigint ELSE 0 END AS changed_by
        """

    /// A changed meeting after the cursor's: in its round, after its change; or in the next.
    static func after(changedBy: Int, id: Int) -> String {
        "c.changed AND (c.later OR (x.changed_by, m.id) > (greatest($\(changedBy)::bigint, 0)::text::xid8, $\(id)::text))"
    }

    /// The order after a list's own key: unchanged meetings by start, changed ones by round and change.
    static let order = """
        CASE WHEN NOT c.changed THEN m.start_at END, CASE WHEN NOT c.changed THEN m.id END, c.later, x.changed_by, m.id
        """

    /// The place after `row` (a row read with `columns`).
    public static func after(_ row: Row) throws -> ChangePage {
        guard let prev = TransactionSnapshot(text: try row.string("changes_prev")), let cur = TransactionSnapshot(text: try row.string("changes_cur")) else {
            throw AppError.internalError()
        }
        return ChangePage(prev: prev.bounded(), cur: cur.bounded(), changedBy: try row.int("changed_by"))
    }
}
