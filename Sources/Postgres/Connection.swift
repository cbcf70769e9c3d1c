import CLibPQ
import Core

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Not shared between threads: each worker owns its own.
public final class Connection {
    private var handle: OpaquePointer?
    public let conninfo: String
    /// Applied to every session this connection opens, reconnections included.
    public let settings: SessionSettings
    /// Set while a transaction is open, so nested `transaction` calls join the outer one.
    public private(set) var inTransaction = false
    /// Set when the connection was found lost: the next use reconnects whatever PQstatus says.
    private var mustReconnect = false
    /// Statements prepared on this connection, by SQL text: parsed and planned once, not per call.
    private var prepared: [String: String] = [:]
    /// Numbers prepared statement names; never reused on one session.
    private var preparedNameCount = 0
    /// A random tag in every name this session prepares (`s<tag>_1`, `s<tag>_2`, …): where a
    /// pooler in transaction mode shares the server session with other clients, a name of theirs
    /// is never taken for one of ours (their statement run with our parameters); the clash shows
    /// as a missing statement instead, an error that names the setting.
    private var preparedNameTag = ""
    /// Set when the server said a prepared statement no longer fits the schema (another
    /// process migrated it): the statements are dropped before the next transaction.
    private var preparedAreStale = false
    public static let maxPreparedStatements = 512
    /// The SQLSTATE of a FATAL error the server sent while no statement was running: why it is
    /// about to close the session (25P03 a transaction left idle, 57P01 a shutdown…). libpq
    /// hands such a message to the notice receiver, and the next statement only finds the
    /// socket closed.
    fileprivate var stateOfSessionEnd: String?

    public static let maxReconnectAttempts = 5

    public init(conninfo: String, settings: SessionSettings = .standard) throws {
        self.conninfo = conninfo
        self.settings = settings
        try connect()
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    private func connect() throws {
        if let handle { PQfinish(handle) }
        handle = Connection.open(conninfo: conninfo, applicationName: settings.applicationName)
        mustReconnect = false
        prepared = [:]
        preparedNameTag = String(UInt32.random(in: .min ... .max), radix: 36)
        stateOfSessionEnd = nil
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError(code: .connectionFailed, message: Connection.redacted(message.trimmingTrailingNewlines(), conninfo: conninfo))
        }
        PQsetNoticeReceiver(handle, recordSessionEnd, Unmanaged.passUnretained(self).toOpaque())
        // Behind a pooler in transaction mode a session-level SET stays on whichever server
        // session ran it: only what the pooler carries from client to client (TimeZone,
        // DateStyle) is set; the bounds are the role's settings then (README).
        _ = try simpleExecute(
            "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'"
                + (settings.transactionPooled ? "" : "; SET IntervalStyle TO 'iso_8601'; " + settings.setStatements))
    }

    /// libpq's words for a connection string it cannot read quote the part it stopped at, which
    /// may be a password (`invalid percent-encoded token: "Se%zzcret"` for a `%` not written
    /// `%25`, `forbidden value %00 …`, `missing "=" after "cret"` or `invalid connection option
    /// "secret"` for an unquoted space): where `conninfo` holds a password, what the message
    /// quotes is left out of it, and so of the log (a wrong option is named where none is given).
    static func redacted(_ message: String, conninfo: String) -> String {
        let lowered = conninfo.lowercased()
        // key=value with a password, or a URI with user:password@.
        let uriPassword = lowered.range(of: "://").map { scheme in
            let rest = lowered[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            return authority.contains("@") && authority.prefix { $0 != "@" }.contains(":")
        } ?? false
        // A server's refusal ("connection to server … failed: …") quotes no part of the string.
        guard lowered.contains("password") || uriPassword, !message.contains("connection to server"),
            let open = message.firstIndex(of: "\""), let close = message.lastIndex(of: "\""), open < close
        else { return message }
        return String(message[...open]) + "…" + String(message[close...])
    }

    /// Why libpq cannot read `conninfo` as a connection string or URI (PQconninfoParse's words,
    /// what they quote of a password left out), or nil when it can. A string with neither `=`
    /// nor a URI's scheme is no connection string to libpq but a database's name: nil too.
    public static func unreadable(_ conninfo: String) -> String? {
        guard conninfo.contains("=") || conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") else { return nil }
        var error: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(conninfo, &error) {
            PQconninfoFree(options)
            return nil
        }
        defer { if let error { PQfreemem(error) } }
        return redacted(error.map { String(cString: $0) }?.trimmingTrailingNewlines() ?? "out of memory", conninfo: conninfo)
    }

    /// What a connection gets unless `conninfo` says otherwise: connecting gives up after 10 s,
    /// and over TCP a peer that stops answering is found dead within about a minute.
    static let connectionDefaults: [(String, String)] = [
        ("connect_timeout", "10"), ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "60000"),
    ]

    /// Opens a session from `conninfo` (a connection string or URI), naming it
    /// `applicationName` unless `conninfo` names it itself. The defaults come first: what
    /// `conninfo` sets replaces them.
    private static func open(conninfo: String, applicationName: String) -> OpaquePointer? {
        let keywords = connectionDefaults.map(\.0) + ["dbname", "fallback_application_name"]
        let values = connectionDefaults.map(\.1) + [conninfo, applicationName]
        return withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers + [nil], valuePointers + [nil], 1)
            }
        }
    }

    /// A transaction block is open on the server (possibly failed, waiting for ROLLBACK).
    public var transactionOpen: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    public var isConnected: Bool {
        guard let handle, !mustReconnect else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// A session the server ended while this connection was idle (a restart, a terminated
    /// backend) leaves its socket readable, its goodbye or end of file waiting, while libpq
    /// still says CONNECTION_OK: the next request's first statement would meet the lost
    /// connection, and the call be answered 5030 with the database back. Between requests every
    /// answer has been read and nothing else is sent unasked (no LISTEN), so a socket readable
    /// then is a session to open again, before anything of the request is sent. One poll that
    /// does not wait.
    func noticeSessionEndedWhileIdle() {
        guard let handle, !mustReconnect, !inTransaction, PQstatus(handle) == CONNECTION_OK else { return }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return }
        var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        if poll(&ready, 1, 0) > 0 { mustReconnect = true }
    }

    /// Re-establishes a lost connection with a bounded number of attempts and a short,
    /// growing pause between them.
    public func ensureConnected(attempts: Int = maxReconnectAttempts) throws {
        noticeSessionEndedWhileIdle()
        if isConnected { return }
        inTransaction = false
        var lastError: Error = PostgresError(code: .connectionFailed, message: "not connected")
        for attempt in 0..<max(1, attempts) {
            do {
                try connect()
                return
            } catch {
                lastError = error
                usleep(UInt32(50_000 * (attempt + 1)))
            }
        }
        throw lastError
    }

    /// Runs one statement with bound parameters (`$1`, `$2`, …) as a prepared statement
    /// (`plannedEachCall`: through the unnamed statement, planned for these values).
    @discardableResult
    public func query(_ sql: String, _ params: [any PostgresBindable] = [], plannedEachCall: Bool = false) throws -> Rows {
        guard let handle, isConnected else {
            throw PostgresError(code: .connectionLost, message: "the database connection is not open")
        }
        // PostgreSQL stores years up to 294276 and BC; what it stores must read back, so a
        // time the decoder refuses never leaves here.
        if let outside = params.lazy.compactMap({ $0 as? Instant }).first(where: { !$0.isSupported }) {
            throw PostgresError(
                code: .decoding, message: "refusing to write \(outside.microseconds) µs since 1970, outside \(Instant.supportedRangeText)")
        }
        readSessionEnd(handle)
        let texts = params.map { $0.postgresText }
        // Behind a transaction-mode pooler nothing is prepared under a name: parsed with its call.
        let name = keepsPrepared(plannedEachCall: plannedEachCall) ? try preparedName(for: sql, parameterCount: texts.count, on: handle) : nil
        return try consume(try exec(handle, waitMs: answerWaitMs) {
            withCStringArray(texts) { pointers in
                name.map { PQsendQueryPrepared(handle, $0, Int32(texts.count), pointers, nil, nil, 0) }
                    ?? PQsendQueryParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
            }
        })
    }

    /// Whether a statement is prepared under a name and kept: not behind a transaction-mode
    /// pooler (nothing is, each is parsed with its call), nor one planned at each call.
    private func keepsPrepared(plannedEachCall: Bool) -> Bool { !settings.transactionPooled && !plannedEachCall }

    @discardableResult
    public func query(_ statement: Statement) throws -> Rows { try query(statement.sql, statement.params, plannedEachCall: statement.plannedEachCall) }

    /// Sends every statement at once in libpq's pipeline mode and waits for the answers: one
    /// round trip for all of them. They run in order, each with its own snapshot under READ
    /// COMMITTED, so a lock taken by one statement protects what the next one reads. Outside an
    /// open transaction they form one implicit transaction. The first error is thrown once every
    /// answer is in (statements after a failed one are not run).
    public func pipeline(_ statements: [Statement]) throws -> [Rows] {
        guard let handle, isConnected else {
            throw PostgresError(code: .connectionLost, message: "the database connection is not open")
        }
        guard !statements.isEmpty else { return [] }
        readSessionEnd(handle)
        guard PQenterPipelineMode(handle) == 1 else { throw connectionOrServerError(nil) }
        defer { PQexitPipelineMode(handle) }
        enum Answer { case prepared(sql: String, name: String), rows(Int) }
        var answers: [Answer] = []
        for (index, statement) in statements.enumerated() {
            let texts = statement.params.map { $0.postgresText }
            let keeps = keepsPrepared(plannedEachCall: statement.plannedEachCall)
            var name = keeps ? prepared[statement.sql] ?? "" : ""
            if name.isEmpty && keeps && prepared.count + answers.count < Connection.maxPreparedStatements {
                preparedNameCount += 1
                name = "s\(preparedNameTag)_\(preparedNameCount)"
                guard PQsendPrepare(handle, name, statement.sql, Int32(texts.count), nil) == 1 else { throw connectionOrServerError(nil) }
                answers.append(.prepared(sql: statement.sql, name: name))
            }
            let sent = withCStringArray(texts) { pointers in
                name.isEmpty
                    ? PQsendQueryParams(handle, statement.sql, Int32(texts.count), nil, pointers, nil, nil, 0)
                    : PQsendQueryPrepared(handle, name, Int32(texts.count), pointers, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionOrServerError(nil) }
            answers.append(.rows(index))
        }
        guard PQpipelineSync(handle) == 1 else { throw connectionOrServerError(nil) }
        var results = [Rows?](repeating: nil, count: statements.count)
        var firstError: PostgresError? = nil
        for answer in answers {
            guard let result = try nextResult(handle, waitMs: answerWaitMs) else { throw lostInPipeline(after: firstError) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else {
                switch answer {
                case .prepared(let sql, let name):
                    do {
                        _ = try consume(result)
                        prepared[sql] = name
                    } catch let error as PostgresError {
                        firstError = firstError ?? error
                    }
                case .rows(let index):
                    do { results[index] = try consume(result) } catch let error as PostgresError { firstError = firstError ?? error }
                }
            }
            // Each command's answer ends with a NULL result.
            while let extra = try nextResult(handle, waitMs: answerWaitMs) { PQclear(extra) }
        }
        guard let sync = try nextResult(handle, waitMs: answerWaitMs) else { throw lostInPipeline(after: firstError) }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced else { throw lostInPipeline(after: firstError) }
        if let firstError { throw firstError }
        return results.map { $0 ?? Rows(columns: [], values: [], affectedRows: 0) }
    }

    /// The socket closed before the pipeline's answers were all read. The reason the server
    /// gave (an error already read, or a FATAL notice such as 25P03) is kept.
    private func lostInPipeline(after firstError: PostgresError?) -> PostgresError {
        mustReconnect = true
        let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "connection lost"
        return PostgresError(
            code: .connectionLost, sqlState: firstError?.sqlState ?? stateOfSessionEnd,
            message: "pipeline ended early: " + (firstError?.message ?? message.trimmingTrailingNewlines()))
    }

    /// The name of `sql` prepared on this connection, preparing it on first use. Past the cache's
    /// bound, further statements go through the unnamed statement, prepared anew each call.
    private func preparedName(for sql: String, parameterCount: Int, on handle: OpaquePointer) throws -> String {
        if let name = prepared[sql] { return name }
        let cacheable = prepared.count < Connection.maxPreparedStatements
        if cacheable { preparedNameCount += 1 }
        let name = cacheable ? "s\(preparedNameTag)_\(preparedNameCount)" : ""
        _ = try consume(try exec(handle, waitMs: answerWaitMs) { PQsendPrepare(handle, name, sql, Int32(parameterCount), nil) })
        if cacheable { prepared[sql] = name }
        return name
    }

    /// Runs SQL without parameters through the simple protocol; several statements allowed.
    /// For fixed SQL only (migrations, BEGIN/COMMIT): never for text that contains values.
    /// `unbounded`: no wait limit (a migration, which runs without statement_timeout).
    @discardableResult
    public func simpleExecute(_ sql: String, unbounded: Bool = false) throws -> Rows {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "the database connection is not open")
        }
        readSessionEnd(handle)
        return try consume(try exec(handle, waitMs: unbounded ? nil : answerWaitMs) { PQsendQuery(handle, sql) })
    }

    // MARK: Waiting for answers

    /// The longest wait for one answer: the server's statement_timeout and 5 s more (nil when
    /// statements are unbounded). A server that stops answering without closing the
    /// connection (stopped, or behind a stalled proxy) makes the call fail then.
    var answerWaitMs: Int? { settings.statementTimeoutMs > 0 ? settings.statementTimeoutMs + 5_000 : nil }

    /// Sends with `send`, then collects the answer as PQexec would (the first error, or else
    /// the last result), waiting at most `waitMs` for each result (nil: as long as it takes).
    private func exec(_ handle: OpaquePointer, waitMs: Int?, _ send: () -> Int32) throws -> OpaquePointer? {
        guard send() == 1 else { return nil }
        var last: OpaquePointer? = nil, failed: OpaquePointer? = nil
        while let result = try nextResult(handle, waitMs: waitMs) {
            if failed == nil && PQresultStatus(result) == PGRES_FATAL_ERROR {
                failed = result
            } else {
                if let previous = last { PQclear(previous) }
                last = result
            }
        }
        if let failed {
            if let last { PQclear(last) }
            return failed
        }
        return last
    }

    /// PQgetResult, but waiting on the socket at most `waitMs` (nil: as long as it takes); past
    /// it the connection is given up (opened again on the next call) and the call fails as a
    /// lost connection.
    private func nextResult(_ handle: OpaquePointer, waitMs: Int?) throws -> OpaquePointer? {
        guard let waitMs else { return PQgetResult(handle) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(waitMs))
        while PQisBusy(handle) == 1 {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else {
                mustReconnect = true
                throw PostgresError(
                    code: .connectionLost,
                    message: "the database did not answer within \(waitMs) ms (statement timeout and 5 s); the connection is given up and opened again")
            }
            let leftMs = Int32(clamping: left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            var socket = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            if poll(&socket, 1, min(leftMs, 1_000)) < 0 && errno != EINTR { throw connectionOrServerError(nil) }
            guard PQconsumeInput(handle) == 1 else { throw connectionOrServerError(nil) }
        }
        return PQgetResult(handle)
    }

    /// Inside a transaction, reads (without waiting) what the server sent since the last
    /// statement: if it ended the session meanwhile, its reason reaches the notice receiver
    /// before the next statement finds the socket closed.
    private func readSessionEnd(_ handle: OpaquePointer) {
        guard inTransaction || transactionOpen else { return }
        _ = PQconsumeInput(handle)
        _ = PQisBusy(handle)
    }

    private func consume(_ result: OpaquePointer?) throws -> Rows {
        guard let result else {
            throw connectionOrServerError(nil)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columnCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            var columns: [String] = []
            columns.reserveCapacity(columnCount)
            for c in 0..<columnCount { columns.append(String(cString: PQfname(result, Int32(c)))) }
            var values: [[String?]] = []
            values.reserveCapacity(rowCount)
            for r in 0..<rowCount {
                var row: [String?] = []
                row.reserveCapacity(columnCount)
                for c in 0..<columnCount {
                    if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                        row.append(nil)
                    } else {
                        row.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                    }
                }
                values.append(row)
            }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return Rows(columns: columns, values: values, affectedRows: affected)
        default:
            throw connectionOrServerError(result)
        }
    }

    private func connectionOrServerError(_ result: OpaquePointer?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let sqlState = field("C") ?? stateOfSessionEnd
        // An error without SQLSTATE comes from libpq itself: the socket closed under it (the
        // server restarted), even when PQstatus has not noticed yet. A session the server ended
        // for sitting idle says so (25P03, 57P05) before the socket closes.
        let lost = sqlState == nil || (handle.map { PQstatus($0) != CONNECTION_OK } ?? true)
        let endedByServer = sqlState.map { PostgresError.sessionEndingStates.contains($0) } ?? false
        if endedByServer || (lost && (sqlState == nil || sqlState!.hasPrefix("08") || sqlState!.hasPrefix("57P"))) {
            mustReconnect = true
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "connection lost"
            return PostgresError(code: .connectionLost, sqlState: sqlState, message: message.trimmingTrailingNewlines())
        }
        let message = field("M") ?? handle.map { String(cString: PQerrorMessage($0)) } ?? "unknown error"
        // A write refused because the server is read-only: this session reached a standby, or a
        // primary that was demoted under it (a failover). The next call connects afresh, and
        // libpq's target_session_attrs=read-write then finds the primary among DATABASE_URL's hosts.
        if sqlState == "25006" {
            mustReconnect = true
            return PostgresError(
                code: .readOnly, sqlState: sqlState,
                message: "\(message.trimmingTrailingNewlines()): the server takes no writes: a standby, a primary demoted by a failover, "
                    + "or a primary set read-only (default_transaction_read_only on, for the database, the role or the server); "
                    + "the session is dropped. DATABASE_URL must lead to the primary: with every host and target_session_attrs=read-write, "
                    + "connecting again finds it; a primary set read-only takes writes once that setting is off again")
        }
        if sqlState == "0A000" && message.contains("cached plan") { preparedAreStale = true }
        // A name this session prepared is missing, or one it never prepared exists: the session
        // is shared with other clients by a transaction-mode pooler.
        if (sqlState == "42P05" || sqlState == "26000") && !settings.transactionPooled {
            return PostgresError(
                code: .configuration, sqlState: sqlState,
                message: "\(message.trimmingTrailingNewlines()): DATABASE_URL seems to lead to a pooler in transaction mode, which shares "
                    + "sessions between clients; set \(SessionSettings.poolerVariable)=transaction (README: Behind a connection pooler) "
                    + "or use the pooler's session mode")
        }
        return PostgresError(
            code: .server, sqlState: sqlState, message: message.trimmingTrailingNewlines(),
            detail: field("D"), constraint: field("n"))
    }

    /// Runs `body` in one transaction. Serialization failures and deadlocks (and whatever
    /// `retryIf` accepts) roll back and run the body again, at most `maxAttempts` times.
    /// A nested call joins the open transaction.
    public func transaction<T>(
        maxAttempts: Int = 8,
        retryIf: (PostgresError) -> Bool = { $0.isTransient },
        _ body: (Connection) throws -> T
    ) throws -> T {
        if inTransaction { return try body(self) }
        var attempt = 0
        while true {
            attempt += 1
            do {
                if preparedAreStale {
                    try simpleExecute("DEALLOCATE ALL")
                    prepared = [:]
                    preparedAreStale = false
                }
                try simpleExecute("BEGIN ISOLATION LEVEL READ COMMITTED")
                inTransaction = true
                let value = try body(self)
                inTransaction = false
                try simpleExecute("COMMIT")
                return value
            } catch let error as PostgresError {
                inTransaction = false
                if isConnected { _ = try? simpleExecute("ROLLBACK") }
                guard !error.isConnectionProblem, attempt < maxAttempts, error.isTransient || preparedAreStale || retryIf(error) else {
                    throw error
                }
                usleep(UInt32.random(in: 0...UInt32(1000 << min(attempt, 6))))
            } catch {
                inTransaction = false
                if isConnected { _ = try? simpleExecute("ROLLBACK") }
                throw error
            }
        }
    }
}

extension Connection {
    /// Runs `body` inside the open transaction so that its failure undoes only its own work
    /// (the transaction stays usable).
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try simpleExecute("SAVEPOINT meetingledger_step")
        do {
            let value = try body()
            try simpleExecute("RELEASE SAVEPOINT meetingledger_step")
            return value
        } catch {
            if isConnected { _ = try? simpleExecute("ROLLBACK TO SAVEPOINT meetingledger_step") }
            throw error
        }
    }
}

/// Notices are dropped, except a FATAL error that arrives while the session is idle: its
/// SQLSTATE is kept for the error the next statement meets.
private func recordSessionEnd(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result, let severity = PQresultErrorField(result, Int32(Character("V").asciiValue!)),
        String(cString: severity) == "FATAL", let state = PQresultErrorField(result, Int32(Character("C").asciiValue!))
    else { return }
    Unmanaged<Connection>.fromOpaque(context).takeUnretainedValue().stateOfSessionEnd = String(cString: state)
}

/// Keeps a C string array alive exactly for the duration of `body`.
private func withCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for p in owned { free(p) } }
    return body(owned.map { $0.map { UnsafePointer($0) } })
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == " " { s = s.dropLast() }
        return String(s)
    }
}
