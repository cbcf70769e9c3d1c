import Foundation
import XCTest

/// What the ledger tests share: a community with finance staff, bookable experts (so meetings
/// can hold, release and capture credits), balance reading and snapshots, psql, and CSV parsing.

/// RFC 3339 in UTC with whole seconds, as meetingd answers.
func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

func parseRFC3339(_ text: String) throws -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = formatter.date(from: text) else { throw HarnessError("not an RFC 3339 time: \(text)") }
    return date
}

/// Where the ledger tests pin a community's clock: a Monday, far from any real date.
let ledgerEpoch = try! parseRFC3339("2031-01-06T00:00:00Z")

/// A fresh id of the kind `prefix` names ("trf_", "mtg_", "msg_"…), as the service makes them.
func newId(_ prefix: String) -> String { prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

/// An expert who can be booked at any time (weekly rules 00:00–24:00 every day, UTC) for one
/// service of `priceCredits`, at one virtual location.
struct BookableExpert {
    let expertId: String
    let serviceId: String
    let locationId: String
    let priceCredits: Int64

    static func make(on meetingd: Meetingd, _ community: TestCommunity, priceCredits: Int64, lengthMinutes: Int64 = 30,
                     expertId given: String? = nil, locationId givenLocation: String? = nil) throws -> BookableExpert {
        let admin = community.adminId
        let expertId = try given ?? community.createPersonId(on: meetingd, roles: ["expert"])
        var locationId = givenLocation ?? ""
        if givenLocation == nil {
            let location = try meetingd.result("location.create", as: admin, ["name": .string("Video \(TestEnvironment.uniqueTag())"), "kind": "virtual"])
            guard let id = location["id"]?.string else { throw HarnessError("location.create returned no id: \(location)") }
            locationId = id
        }
        guard let serviceId = try meetingd.result("service.create", as: admin, [
            "name": .string("Ledger \(priceCredits) \(TestEnvironment.uniqueTag())"), "kind": "generic",
            "default_length_minutes": .int(lengthMinutes), "price_credits": .int(priceCredits),
        ])["id"]?.string else { throw HarnessError("service.create returned no id") }
        try meetingd.result("service.certify", as: admin, ["service_id": .string(serviceId), "expert_id": .string(expertId)])
        let rules: [JSONValue] = (1...7).map { day in
            ["weekday": .int(Int64(day)), "start": "00:00", "end": "24:00", "location_ids": [.string(locationId)]]
        }
        try meetingd.result("availability.set_weekly", as: expertId, [
            "expert_id": .string(expertId), "time_zone": "UTC", "rules": .array(rules),
        ])
        return BookableExpert(expertId: expertId, serviceId: serviceId, locationId: locationId, priceCredits: priceCredits)
    }

    func requestParams(start: Date) -> [String: JSONValue] {
        ["service_id": .string(serviceId), "expert_id": .string(expertId), "start": .string(rfc3339(start)), "location_id": .string(locationId)]
    }

    /// `meeting.request` by `userId`, which must succeed; returns the meeting.
    @discardableResult
    func request(on meetingd: Meetingd, by userId: String, start: Date) throws -> JSONValue {
        try meetingd.result("meeting.request", as: userId, requestParams(start: start))
    }
}

extension Meetingd {
    /// Calls sent as one JSON-RPC batch, each answered with a result (in order).
    func batch(_ calls: [(String, JSONValue)]) throws -> [JSONValue] {
        let entries = calls.enumerated().map { i, call in #"{"jsonrpc":"2.0","id":\#(i),"method":"\#(call.0)","params":\#(call.1.serialized)}"# }
        try send("[" + entries.joined(separator: ",") + "]", timeout: 120)
        let answers = (try readResponse(timeout: 120).array ?? []).sorted { ($0["id"]?.int ?? 0) < ($1["id"]?.int ?? 0) }
        XCTAssertEqual(answers.filter { $0["result"] != nil }.count, calls.count, "\(answers.first { $0["error"] != nil } ?? [:])")
        return answers.map { $0["result"] ?? .null }
    }

    /// `ledger.balance` of one account, as `actor`.
    func balance(account accountId: String, as actor: String, asOf: String? = nil) throws -> JSONValue {
        var params: [String: JSONValue] = ["account_id": .string(accountId)]
        if let asOf { params["as_of"] = .string(asOf) }
        return try result("ledger.balance", as: actor, params)
    }

    /// The id of the account of `kind` that `personId` owns (read by `actor`: the owner or finance).
    func accountId(of personId: String, kind: String, as actor: String) throws -> String {
        let answer = try result("ledger.balance", as: actor, ["person_id": .string(personId)])
        guard let id = answer["accounts"]?.array?.first(where: { $0["kind"]?.string == kind })?["account_id"]?.string else {
            throw HarnessError("\(personId) has no \(kind) account: \(answer)")
        }
        return id
    }

    /// The trial balance's totals of one account kind.
    func trialBalanceKind(_ kind: String, as finance: String, asOf: String? = nil) throws -> JSONValue {
        var params: [String: JSONValue] = [:]
        if let asOf { params["as_of"] = .string(asOf) }
        let trial = try result("ledger.trial_balance", as: finance, params)
        guard let totals = trial["kinds"]?.array?.first(where: { $0["kind"]?.string == kind }) else {
            throw HarnessError("the trial balance has no kind \(kind): \(trial)")
        }
        return totals
    }

    /// Everything the ledger shows about a community and some of its accounts, to compare
    /// before and after a call that must change nothing.
    func ledgerSnapshot(finance: String, accounts: [String]) throws -> JSONValue {
        let trial = try result("ledger.trial_balance", as: finance)
        var balances: [String: JSONValue] = [:]
        for account in accounts {
            guard case .object(var fields) = try balance(account: account, as: finance) else { throw HarnessError("balance is not an object") }
            fields["as_of"] = nil
            fields["accounts"] = nil
            balances[account] = .object(fields)
            let statement = try allPages("ledger.statement", as: finance, ["account_id": .string(account)])
            balances[account + " entries"] = .int(Int64(statement.count))
        }
        return ["kinds": trial["kinds"] ?? .null, "total": trial["total"] ?? .null, "accounts": .object(balances)]
    }
}

/// A community with one finance person, for ledger tests.
struct LedgerCommunity {
    let community: TestCommunity
    let financeId: String

    var adminId: String { community.adminId }

    /// `databaseURL`: a database of the test's own, which `meetingd` serves (else the shared one).
    static func make(on meetingd: Meetingd, _ label: String, databaseURL: String? = nil) throws -> LedgerCommunity {
        let community = try TestCommunity.bootstrap(String(label.prefix(40)), databaseURL: databaseURL)
        return LedgerCommunity(community: community, financeId: try community.createPersonId(on: meetingd, roles: ["finance"]))
    }

    func person(on meetingd: Meetingd, _ roles: [String]) throws -> String { try community.createPersonId(on: meetingd, roles: roles) }

    /// Grants `credits` to `userId` as finance, with a fresh reference; returns the transfer.
    @discardableResult
    func grant(on meetingd: Meetingd, _ credits: Int64, to userId: String, reference: String? = nil) throws -> JSONValue {
        try meetingd.result("credits.grant", as: financeId, [
            "user_id": .string(userId), "credits": .int(credits), "reference": .string(reference ?? "order-\(TestEnvironment.uniqueTag())"),
        ])
    }

    func pinClock(on meetingd: Meetingd, at date: Date) throws {
        try meetingd.result("clock.set", as: adminId, ["now": .string(rfc3339(date))])
    }

    func advanceClock(on meetingd: Meetingd, minutes: Int64) throws {
        try meetingd.result("clock.advance", as: adminId, ["minutes": .int(minutes)])
    }
}

/// A community with a granted wallet (100, 45 of it held), expert earnings (30 adjusted in, 10
/// paid out, 45 incoming) and a meeting whose hold is open.
struct SeededLedger {
    let ledger: LedgerCommunity
    let user: String
    let expert: String
    let wallet: String
    let earnings: String
    let meetingId: String
    let holdId: String

    var communityLiteral: String { Psql.literal(ledger.community.id) }

    static func make(on meetingd: Meetingd, _ label: String) throws -> SeededLedger {
        let ledger = try LedgerCommunity.make(on: meetingd, label)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 45)
        try ledger.grant(on: meetingd, 100, to: user)
        let earnings = try meetingd.accountId(of: booking.expertId, kind: "expert_earnings", as: booking.expertId)
        try meetingd.result("credits.adjust", as: ledger.financeId, ["account_id": .string(earnings), "credits": 30, "reason": "seed"])
        try meetingd.result("payout.create", as: ledger.financeId, ["expert_id": .string(booking.expertId), "credits": 10, "reference": "bank-1"])
        let meeting = try booking.request(on: meetingd, by: user, start: ledgerEpoch.addingTimeInterval(86_400))
        return SeededLedger(
            ledger: ledger, user: user, expert: booking.expertId, wallet: try meetingd.accountId(of: user, kind: "user_wallet", as: user),
            earnings: earnings, meetingId: try XCTUnwrap(meeting["id"]?.string), holdId: try XCTUnwrap(meeting["hold_transfer_id"]?.string))
    }
}

/// psql against DATABASE_URL, as the server's superuser or as another role.
enum Psql {
    static var path: String {
        ["/usr/bin/psql", "/usr/local/bin/psql"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/psql"
    }

    /// `databaseURL` (a keyword/value string or a URI) connecting as `user` instead.
    static func conninfo(_ databaseURL: String, user: String) -> String { conninfo(databaseURL, "user", user) }

    /// `databaseURL` with one connection parameter set (`value` is a test's own name: no quoting).
    static func conninfo(_ databaseURL: String, _ keyword: String, _ value: String) -> String {
        if databaseURL.contains("://") {
            return databaseURL + (databaseURL.contains("?") ? "&" : "?") + "\(keyword)=\(value)"
        }
        return databaseURL + " \(keyword)=\(value)"
    }

    /// Runs each statement in order in one session (unaligned, tuples only), stopping at the
    /// first error; psql exits non-zero then.
    static func run(_ conninfo: String, _ statements: [String]) throws -> ToolResult {
        var arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo]
        for statement in statements { arguments += ["-c", statement] }
        return try runTool(path, arguments, timeout: 60)
    }

    /// A query that must succeed; its output lines.
    static func query(_ conninfo: String, _ sql: String) throws -> [String] {
        let run = try run(conninfo, [sql])
        guard run.succeeded else { throw HarnessError("psql failed (\(run.termination)) on \(sql): \(run.stderr)") }
        return run.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Polls `sql` until its output lines are `expected`; throws `failure` after `timeout`
    /// seconds: for a test that must wait until the server has done something (a reload, a
    /// session ended, a call waiting on a lock) instead of sleeping a guessed time.
    static func waitFor(_ conninfo: String, _ sql: String, toSay expected: [String], _ failure: String, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try query(conninfo, sql) != expected {
            guard Date() < deadline else { throw HarnessError("\(failure) (after \(Int(timeout)) s \(sql) said \(try query(conninfo, sql)))") }
            usleep(20_000)
        }
    }

    /// Quotes a text as an SQL literal (test values are ids and tags, but quote them anyway).
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}

/// A finance SQL role created as an operator creates one (README: "Finance staff's SQL access"):
/// `finance_role_create` (or `finance_platform_role_create`) run as the cluster's superuser.
/// Roles belong to the whole cluster: each test drops its own (`drop`, or at the end of the test
/// with `dropAtEnd(of:)`).
struct FinanceSQLRole {
    let name: String
    /// How to connect as the role.
    let conninfo: String
    let adminURL: String

    /// A role confined to `communityId`, or to every community when it is nil.
    static func create(_ adminURL: String, community communityId: String?, connectionLimit: Int = 4,
                       statementTimeout: String = "2 minutes") throws -> FinanceSQLRole {
        let name = "finance_" + TestEnvironment.uniqueTag()
        let call = communityId.map {
            "finance_role_create(\(Psql.literal($0)), \(Psql.literal(name)), \(connectionLimit), \(Psql.literal(statementTimeout)))"
        } ?? "finance_platform_role_create(\(Psql.literal(name)), \(connectionLimit), \(Psql.literal(statementTimeout)))"
        XCTAssertEqual(try Psql.query(adminURL, "SELECT \(call)"), [name])
        return FinanceSQLRole(name: name, conninfo: Psql.conninfo(adminURL, user: name), adminURL: adminURL)
    }

    func drop() throws {
        _ = try Psql.query(adminURL, "SELECT finance_role_drop(\(Psql.literal(name)))")
    }

    /// Drops the role when `test` ends, whatever happened.
    @discardableResult
    func dropAtEnd(of test: XCTestCase) -> FinanceSQLRole {
        test.addTeardownBlock { try? self.drop() }
        return self
    }
}

/// Parses RFC 4180 CSV with Python's csv module (an independent reader, not ours).
func parseCSVWithPython(_ text: String) throws -> [[String]] {
    let script = "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.argv[1], newline='')))))"
    let run = try runTool("/usr/bin/env", ["python3", "-c", script, text], timeout: 60)
    guard run.succeeded else { throw HarnessError("python3 csv failed: \(run.stderr)") }
    guard let rows = try JSONValue.parse(run.stdout).array else { throw HarnessError("python3 printed \(run.stdout)") }
    return try rows.map { row in
        try (row.array ?? []).map { cell in
            guard let text = cell.string else { throw HarnessError("a CSV cell is not text: \(cell)") }
            return text
        }
    }
}
