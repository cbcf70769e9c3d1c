import Core
import Foundation
import Ledger
import Meetings
import Postgres
import Store
import XCTest

/// LedgerStore against the real PostgreSQL that scripts/test starts (DATABASE_URL), with
/// several connections moving credits out of two wallets at once. Skipped without a database.
final class LedgerStoreRaceTests: XCTestCase {
    static let connections = 4
    static let runSeconds: TimeInterval = 4
    static let grantCredits: Int64 = 100
    struct Wallets {
        let communityId: String
        let accounts: [String]
        let issuance: String
        /// Who grants and adjusts: staff's movements are made by a finance person of the
        /// community (the ledger refuses anyone else).
        let staff: String
    }

    func connect() throws -> Connection {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw XCTSkip("DATABASE_URL is not set") }
        return try Connection(conninfo: url)
    }

    /// A community of its own with two users, each granted `grantCredits`.
    func twoGrantedWallets(_ c: Connection) throws -> Wallets {
        let communityId = Identifier.make(.community)
        try c.query("INSERT INTO communities (community_id, name, settings) VALUES ($1, 'ledger race', '{}')", [communityId])
        try LedgerStore.openCommunityAccounts(c, communityId: communityId, now: SystemClock.now())
        let staff = Identifier.make(.person)
        try PeopleStore.insert(
            c, communityId: communityId,
            person: PersonFacts(id: staff, email: "finance-\(communityId)@example.com", firstName: "Fin", lastName: "Staff", roles: [.finance], timeZone: "UTC"),
            now: SystemClock.now())
        var accounts: [String] = []
        for index in 0..<2 {
            let personId = Identifier.make(.person)
            try PeopleStore.insert(
                c, communityId: communityId,
                person: PersonFacts(id: personId, email: "race\(index)-\(personId)@example.com", firstName: "Race", lastName: "User", roles: [.user], timeZone: "UTC"),
                now: SystemClock.now())
            let wallet = try XCTUnwrap(try c.query("SELECT ledger_account($1, 'user_wallet', $2) AS id", [communityId, personId]).first?.string("id"))
            _ = try LedgerStore.transfer(
                c, communityId: communityId,
                .init(debit: .owned(.issuance, owner: nil), credit: .account(wallet), amount: Self.grantCredits, kind: "grant", reference: "race-\(index)"),
                actorId: staff, at: nil)
            accounts.append(wallet)
        }
        let issuance = try c.query("SELECT ledger_account($1, 'issuance', NULL) AS issuance", [communityId]).one()
        return Wallets(communityId: communityId, accounts: accounts, issuance: try issuance.string("issuance"), staff: staff)
    }

    /// SPEC §4: a transfer is refused only when the credits are not there, and the refusal's
    /// `available` is the balance it was decided on — never enough for what was asked, even
    /// when another connection changes the wallet at the same moment. Each connection takes
    /// random amounts (some more than a wallet holds) out of either wallet, and puts each back
    /// (adjustments by finance staff: a hold is a meeting's, which this store test has none of).
    func testRefusalsReportTheBalanceTheyWereDecidedOn() throws {
        let setup = try connect()
        let wallets = try twoGrantedWallets(setup)
        let deadline = Date().addingTimeInterval(Self.runSeconds)
        let tally = Tally()

        let group = DispatchGroup()
        for worker in 0..<Self.connections {
            let c = UncheckedConnection(try connect())
            group.enter()
            Thread {
                defer { group.leave() }
                var generator = SystemRandomNumberGenerator()
                while Date() < deadline {
                    let from = Int.random(in: 0...1, using: &generator)
                    let amount = Int64.random(in: 1...(Self.grantCredits * 2), using: &generator)
                    let out = LedgerStore.Movement(
                        debit: .account(wallets.accounts[from]), credit: .account(wallets.issuance), amount: amount, kind: "adjustment", reason: "race \(worker)")
                    let back = LedgerStore.Movement(
                        debit: .account(wallets.issuance), credit: .account(wallets.accounts[from]), amount: amount, kind: "adjustment", reason: "race \(worker) back")
                    do {
                        _ = try LedgerStore.transfer(c.connection, communityId: wallets.communityId, out, actorId: wallets.staff, at: nil)
                        _ = try LedgerStore.transfer(c.connection, communityId: wallets.communityId, back, actorId: wallets.staff, at: nil)
                        tally.locked { $0.moved += 1 }
                    } catch let error as AppError where error.dataCode == "insufficient_credits" {
                        let available = error.details["available"]?.intValue ?? -1
                        tally.locked {
                            $0.refused += 1
                            if available >= amount || available < 0 { $0.wrongRefusals.append("refused \(amount) with \(available) available") }
                        }
                    } catch {
                        tally.locked { $0.failures.append("\(error)") }
                        return
                    }
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + Self.runSeconds + 60), .success, "the connections did not stop")
        let (moved, refused, wrongRefusals, failures) = tally.locked { ($0.moved, $0.refused, $0.wrongRefusals, $0.failures) }
        print("LedgerStoreRaceTests: \(moved) transfers, \(refused) refusals by \(Self.connections) connections in \(Self.runSeconds) s")

        XCTAssertEqual(failures, [])
        XCTAssertEqual(wrongRefusals, [], "a refusal reported a balance that would have allowed the transfer")
        XCTAssertGreaterThan(moved, 100, "too few transfers to mean anything")
        XCTAssertGreaterThan(refused, 100, "too few refusals to mean anything")
        let sums = try setup.query(
            "SELECT coalesce(sum(credits_posted - debits_posted), -1) AS posted, coalesce(sum(debits_pending + credits_pending), -1) AS pending, "
                + "count(*) FILTER (WHERE credits_posted - debits_posted - debits_pending < 0) AS overdrawn FROM accounts WHERE community_id = $1 AND kind = 'user_wallet'",
            [wallets.communityId]
        ).first
        XCTAssertEqual(try sums?.int("posted"), 2 * Self.grantCredits, "the two wallets still hold every granted credit")
        XCTAssertEqual(try sums?.int("pending"), 0, "nothing is pending")
        XCTAssertEqual(try sums?.int("overdrawn"), 0)
    }

    /// SPEC §4: a transfer locks its two accounts in id order, whatever order its scan visits
    /// them in; otherwise two transfers between the same accounts can deadlock (adjustments
    /// between a wallet and the issuance account go either way). The account with
    /// the lower id is moved so that its row lies after the other's in the table; while another
    /// transaction holds it, a transfer between the two waits for it without holding the other.
    func testATransferLocksItsAccountsInIdOrder() throws {
        let setup = try connect()
        let wallets = try twoGrantedWallets(setup)
        let pair = [wallets.accounts[0], wallets.issuance]
        let (low, high) = (pair.min()!, pair.max()!)
        // The moving connection has run transfers before, as a running meetingd has: its plans
        // are the cached, generic ones (a sequential scan of a small table visits rows as they lie).
        try setup.query("ANALYZE accounts")
        let mover = UncheckedConnection(try connect())
        for _ in 0..<8 {
            _ = try LedgerStore.transfer(
                mover.connection, communityId: wallets.communityId,
                .init(debit: .account(low), credit: .account(high), amount: 1, kind: "adjustment", reason: "warm"), actorId: wallets.staff, at: nil)
        }
        func tableOrder() throws -> [String] {
            try setup.query(
                "SELECT id FROM accounts WHERE community_id = $1 AND id = ANY($2::text[]) ORDER BY ctid", [wallets.communityId, PostgresTextArray([low, high])]
            ).map { try $0.string("id") }
        }
        // New versions of the rows (changes of nothing) move them until the lower id lies after
        // the other, as far as the table's free space lets them; in a small table it does at
        // once. Whatever the order, the check below holds for a service that locks in id order.
        for attempt in 0..<50 where try tableOrder() != [high, low] {
            try setup.query(
                "UPDATE accounts SET credits_posted = credits_posted WHERE community_id = $1 AND id = $2",
                [wallets.communityId, attempt % 3 == 2 ? high : low])
        }
        print("LedgerStoreRaceTests: rows in table order \(try tableOrder() == [high, low] ? "higher id first" : "lower id first")")

        let holder = try connect()
        try holder.query("BEGIN")
        try holder.query("SELECT 1 FROM accounts WHERE community_id = $1 AND id = $2 FOR UPDATE", [wallets.communityId, low])
        let done = DispatchSemaphore(value: 0)
        let finished = Locked(false)
        let moverPid = try mover.connection.query("SELECT pg_backend_pid() AS pid").one().int("pid")
        Thread {
            _ = try? LedgerStore.transfer(
                mover.connection, communityId: wallets.communityId,
                .init(debit: .account(high), credit: .account(low), amount: 1, kind: "adjustment", reason: "waits"), actorId: wallets.staff, at: nil)
            finished.withLock { $0 = true }
            done.signal()
        }.start()
        // Until the transfer waits on a lock (or has ended, which the next check reports).
        let deadline = Date().addingTimeInterval(20)
        while try setup.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [moverPid]).one().int("n") == 0,
              !finished.withLock({ $0 }), Date() < deadline {
            usleep(20_000)
        }
        XCTAssertEqual(done.wait(timeout: .now()), .timedOut, "the transfer waits for the account another transaction holds")
        let free = try setup.query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM accounts WHERE community_id = $1 AND id = $2 FOR UPDATE SKIP LOCKED) x", [wallets.communityId, high]
        ).one()
        XCTAssertEqual(try free.int("n"), 1, "while it waits for the lower id it holds no lock on the higher")
        try holder.query("ROLLBACK")
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
    }
}

/// What the connections saw, behind one lock.
final class Tally: @unchecked Sendable {
    struct Counts {
        var moved = 0
        var refused = 0
        var wrongRefusals: [String] = []
        var failures: [String] = []
    }
    private let lock = NSLock()
    private var counts = Counts()

    func locked<T>(_ body: (inout Counts) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&counts)
    }
}

/// A connection handed to the one thread that uses it.
final class UncheckedConnection: @unchecked Sendable {
    let connection: Connection
    init(_ connection: Connection) { self.connection = connection }
}
