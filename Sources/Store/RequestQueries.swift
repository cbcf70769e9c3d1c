import Core
import Postgres

/// The statements every request shares: finding the actor, reading their roles with the
/// service's time and the stored idempotency record, storing a response under its key, and the
/// transaction's bounds.
public enum RequestQueries {
    public static let begin = Statement("BEGIN ISOLATION LEVEL READ COMMITTED")
    public static let commit = Statement("COMMIT")

    /// `lock`, taken only while the caller's key has no stored answer: a retry of a request
    /// that has finished is answered from its record without waiting for the locks of the work
    /// it already did (a directory an import holds, an expert's calendar). Each lock statement
    /// reads the record afresh (the statement before it may have waited for the first attempt,
    /// which then committed), and a stored record makes the next statement, the actor's, replay
    /// it; the condition holds no variable, so PostgreSQL skips the lock itself, not a row of it.
    /// One row when the lock was taken (whatever rows the lock's own statement found), none when
    /// it was skipped.
    public static func unlessAnswered(_ lock: Statement, communityId: String, actorId: String, key: String) -> Statement {
        let n = lock.params.count
        return Statement(
            "SELECT 1 AS locked FROM (SELECT count(*) FROM (\(lock.sql)) AS l) AS taken WHERE NOT EXISTS ("
                + "SELECT 1 FROM idempotency_keys k WHERE k.community_id = $\(n + 1) AND k.actor_id = $\(n + 2) AND k.key = $\(n + 3)::text)",
            lock.params + [communityId, actorId, key], plannedEachCall: lock.plannedEachCall)
    }

    /// The community of a person (found by id alone: ids are unique across communities), with
    /// their roles and zone as they are now.
    public static func community(of personId: String) -> Statement {
        Statement("SELECT community_id, roles, time_zone FROM people WHERE id = $1", [personId])
    }

    /// A keyed request's texts for its idempotency record: `canonical` (each param as its schema
    /// reads it) is what a record stores; `asSent` (the params as written) also matches a record
    /// stored by a release that compared requests as sent, so a retry across an upgrade replays.
    public struct RequestText: Sendable {
        public let canonical: String
        public let asSent: String

        public init(canonical: String, asSent: String) {
            self.canonical = canonical
            self.asSent = asSent
        }
    }

    /// The actor's roles and zone, the service's time, the stored response of the idempotency
    /// key (if any) and the method's context, in one statement. No row: no such actor.
    ///
    /// On a hot standby, `mustSee` (transaction ids, `xid8`) adds `caught_up`: whether the
    /// standby has replayed the commit of each of them (`replayed`, `ReadRouting`); the standby
    /// is not behind what it has received (replay paused, delayed or slow) unless its replay is
    /// under a second old; and the read runs READ COMMITTED, so each statement after this one
    /// sees what the check found replayed (under REPEATABLE READ all would keep this
    /// statement's snapshot, which may predate that replay: a transaction pooler's session,
    /// which meetingd's own SET does not reach); and `in_recovery`: whether the server is a
    /// standby still (not one promoted by a failover).
    public static func auth(
        communityId: String, actorId: String, testClock: Bool, key: String?, request: RequestText?, context: SQLCall?, mustSee: [String]? = nil
    ) -> Statement {
        var sql = """
            SELECT p.roles, p.time_zone, ml_now(p.community_id, $3) AS now,
                   k.request_hash IN (encode(sha256(convert_to($5, 'UTF8')), 'hex'), encode(sha256(convert_to($6, 'UTF8')), 'hex')) AS same_request,
                   k.response AS stored_response
            """
        var params: [any PostgresBindable] = [communityId, actorId, testClock, key, request?.canonical, request?.asSent]
        if let mustSee {
            sql += """
                , coalesce((SELECT coalesce(bool_and(\(replayed("x", "s"))), true) FROM unnest($\(params.count + 1)::xid8[]) x, pg_current_snapshot() s)
                    AND (coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), true)
                         OR clock_timestamp() - pg_last_xact_replay_timestamp() < interval '1 second')
                    AND current_setting('transaction_isolation') = 'read committed', false) AS caught_up
                """
            sql += ", pg_is_in_recovery() AS in_recovery"
            params.append(PostgresTextArray(mustSee))
        }
        if let context {
            sql += ", " + context.sql(firstParameter: params.count + 1) + " AS context"
            params += context.params
        }
        sql += """

            FROM people p LEFT JOIN idempotency_keys k ON k.community_id = p.community_id AND k.actor_id = p.id AND k.key = $4::text
            WHERE p.community_id = $1 AND p.id = $2
            """
        return Statement(sql, params)
    }

    /// Whether transaction `xid` (a primary's `xid8`) is committed on this server as a snapshot
    /// taken now sees it; `snapshot` is `pg_current_snapshot()`. Not `pg_visible_in_snapshot`:
    /// on a hot standby `pg_current_snapshot()` lists no transaction in progress (a standby keeps
    /// them apart from the snapshot's own list), so a transaction whose commit the standby has not
    /// replayed looked visible once any later one had. Below the snapshot's xmax the standby knows
    /// the id (`pg_xact_status` refuses ids from its future); then its commit must be replayed.
    /// An id too old for the commit log (null) was replayed long ago; an aborted one (another
    /// server's history after a failover) is not caught up.
    public static func replayed(_ xid: String, _ snapshot: String) -> String {
        "CASE WHEN \(xid) < pg_snapshot_xmax(\(snapshot)) THEN coalesce(pg_xact_status(\(xid)), 'committed') = 'committed' ELSE false END"
    }

    /// Refuses (SQLSTATE ML090) unless the actor still has exactly `roles` and `timeZone`: what a
    /// decision made from a connection's earlier read of the actor rests on.
    public static func expectActor(communityId: String, actorId: String, roles: [String], timeZone: String) -> Statement {
        Statement("SELECT ml_expect_actor($1, $2, $3::text[], $4)", [communityId, actorId, PostgresTextArray(roles), timeZone])
    }

    /// The SQLSTATE of `expectActor`'s refusal.
    public static let actorChangedState = "ML090"

    /// Where a response is stored under its idempotency key.
    public struct Remember: Sendable {
        public let communityId: String
        public let actorId: String
        public let key: String
        public let method: String
        /// The canonical request text, hashed by the database.
        public let request: String

        public init(communityId: String, actorId: String, key: String, method: String, request: String) {
            self.communityId = communityId
            self.actorId = actorId
            self.key = key
            self.method = method
            self.request = request
        }
    }

    /// The statement applying a decision, storing the response under the idempotency key in the
    /// same statement. When `completes`, the apply returns a JSON object that completes the
    /// response, and the stored response is completed the same way.
    ///
    /// Each form also returns `written_transaction`, the id (`xid8` as text) the transaction was
    /// given by its first write, by which a hot standby shows whether it has the write yet
    /// (`ReadRouting`). It is read after the apply (from the apply's row), and with
    /// `pg_current_xact_id_if_assigned`, which never assigns one itself: `pg_current_xact_id`
    /// is among what finance_lockdown() takes from every role but a superuser.
    ///
    /// `synchronousOnly` (MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY): the statement first checks
    /// that the commit will wait for a synchronous standby, and fails (SQLSTATE
    /// `noSynchronousStandbyState`) before writing anything when it would not.
    public static func apply(_ apply: SQLCall?, response: JSON, completes: Bool, remember: Remember?, synchronousOnly: Bool = false) -> Statement? {
        func rememberSQL(_ n: Int) -> String { "ml_remember($\(n), $\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5)::jsonb" }
        let rememberParams: [any PostgresBindable] = remember.map { [$0.communityId, $0.actorId, $0.key, $0.method, $0.request, JSONBText(response)] } ?? []
        let first = synchronousOnly ? " WHERE \(synchronousStandbyCheck)" : ""
        guard let apply else {
            guard remember != nil else { return nil }
            return Statement(
                "WITH stored AS (SELECT " + rememberSQL(1) + ") AS remembered\(first)) SELECT remembered, \(writtenTransaction) FROM stored", rememberParams)
        }
        guard remember != nil else {
            return Statement(
                "WITH applied AS (SELECT \(apply.sql(firstParameter: 1)) AS result\(first)) SELECT result, \(writtenTransaction) FROM applied", apply.params)
        }
        let stored = rememberSQL(apply.arguments.count + 1) + (completes ? " || coalesce(result, '{}'::jsonb))" : ")")
        return Statement(
            """
            WITH applied AS (SELECT \(apply.sql(firstParameter: 1)) AS result\(first)), stored AS (SELECT result, \(stored) AS remembered FROM applied)
            SELECT result, remembered, \(writtenTransaction) FROM stored
            """,
            apply.params + rememberParams)
    }

    /// The check of `apply(synchronousOnly:)`: true, or an error (migration 0087).
    static let synchronousStandbyCheck = "ml_require_synchronous_standby()"

    /// The check alone, for a write made outside a request (`meetingd bootstrap`), before its COMMIT.
    public static let requireSynchronousStandby = Statement("SELECT \(synchronousStandbyCheck)")

    /// The SQLSTATE of a write refused for want of a synchronous standby.
    public static let noSynchronousStandbyState = "ML091"

    /// The column naming the writing transaction, read from a row the writes produced.
    static let writtenTransaction = "pg_current_xact_id_if_assigned()::text AS written_transaction"

    /// The transaction's id alone, for a transaction that wrote through earlier statements
    /// (with `synchronousOnly`, after the check of `apply` when it did write: one that only
    /// read has no id, and is not refused).
    public static func writtenTransactionAlone(synchronousOnly: Bool = false) -> Statement {
        Statement(
            "SELECT \(writtenTransaction)"
                + (synchronousOnly ? " WHERE CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN true ELSE \(synchronousStandbyCheck) END" : ""))
    }

    /// The transaction id an apply statement's row reports (nil when it wrote nothing).
    public static func writtenTransaction(_ rows: Rows) throws -> String? {
        try rows.first?.optionalString("written_transaction")
    }
}
