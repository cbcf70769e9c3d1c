import Foundation
import XCTest

extension EndToEndTestCase {
    /// Runs `statement` as the server's superuser inside BEGIN … ROLLBACK; it must fail, and
    /// psql's error report (verbose: with the SQLSTATE) is returned. A deadlock (40P01) is tried
    /// again: TRUNCATE … CASCADE locks table after table while other tests write to them, and
    /// what is asked is how the statement ends once it has its locks.
    func refusedInRolledBackTransaction(_ statement: String, conninfo: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var attempts = 0
        while true {
            attempts += 1
            let run = try Psql.run(conninfo ?? databaseURL, ["SET lock_timeout = '20s'", "\\set VERBOSITY verbose", "BEGIN READ WRITE", statement, "ROLLBACK"])
            XCTAssertFalse(run.succeeded, "the database accepted: \(statement)\n\(run.stdout)", file: file, line: line)
            if run.stderr.contains("40P01") && attempts < 5 { continue }
            return run.stderr
        }
    }
}

/// SPEC §4 in the database itself, below meetingd: transfers are append-only, the
/// overdraft rule is a constraint, a pending transfer is resolved at most once, and the finance
/// role reads its three views and nothing else. Every write that might succeed runs inside a
/// transaction that is rolled back, so a broken guard cannot damage the shared database.
final class LedgerDatabaseTests: EndToEndTestCase {
    /// This community's transfers with the balances recorded on them, summed, as the superuser sees them.
    func ledgerRows(_ s: SeededLedger) throws -> [String] {
        try Psql.query(databaseURL, """
            SELECT (SELECT count(*) || '/' || sum(amount) || '/' || string_agg(id || kind || phase || coalesce(reason, ''), ',' ORDER BY seq)
                    FROM transfers WHERE community_id = \(s.communityLiteral)),
                   (SELECT count(*) || '/' || sum(debit_debits_posted + debit_credits_posted + debit_debits_pending + debit_credits_pending
                                                  + credit_debits_posted + credit_credits_posted + credit_debits_pending + credit_credits_pending)
                    FROM transfers WHERE community_id = \(s.communityLiteral))
            """)
    }

    func testTransfersRefuseUpdateDeleteAndTruncate() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let before = try ledgerRows(s)
        let balancesBefore = try meetingd.ledgerSnapshot(finance: s.ledger.financeId, accounts: [s.wallet, s.earnings])
        let c = s.communityLiteral
        let statements = [
            "UPDATE transfers SET amount = amount + 1 WHERE community_id = \(c)",
            "UPDATE transfers SET reason = 'edited' WHERE community_id = \(c) AND kind = 'grant'",
            "DELETE FROM transfers WHERE community_id = \(c) AND kind = 'payout'",
            "UPDATE transfers SET credit_credits_posted = credit_credits_posted + 1000 WHERE community_id = \(c)",
            "DELETE FROM transfers WHERE community_id = \(c)",
        ]
        for statement in statements {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("55000") && report.contains("append-only"), "\(statement) should be refused as append-only: \(report)")
        }
        // TRUNCATE … CASCADE locks every table that refers to transfers before its guard refuses
        // it: on the shared database it would queue every other test's writes behind it.
        let (own, _) = try databaseMigrated(before: "9999", name: "truncate")
        let truncated = try refusedInRolledBackTransaction("TRUNCATE transfers CASCADE", conninfo: own)
        XCTAssertTrue(truncated.contains("55000") && truncated.contains("append-only"), "TRUNCATE should be refused as append-only: \(truncated)")
        XCTAssertEqual(try ledgerRows(s), before)
        XCTAssertEqual(try meetingd.ledgerSnapshot(finance: s.ledger.financeId, accounts: [s.wallet, s.earnings]), balancesBefore)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    func testOverdraftIsAConstraintOnTheAccount() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let wallet = Psql.literal(s.wallet), earnings = Psql.literal(s.earnings), c = s.communityLiteral
        // The wallet: 100 posted, 45 held. The earnings: 30 − 10 posted, 45 incoming.
        let statements = [
            "UPDATE accounts SET debits_posted = credits_posted + 1 WHERE community_id = \(c) AND id = \(wallet)",
            "UPDATE accounts SET debits_pending = credits_posted - debits_posted + 1 WHERE community_id = \(c) AND id = \(wallet)",
            "UPDATE accounts SET debits_posted = debits_posted + 56 WHERE community_id = \(c) AND id = \(wallet)",
            "UPDATE accounts SET debits_posted = debits_posted + 21 WHERE community_id = \(c) AND id = \(earnings)",
            "UPDATE accounts SET credits_posted = credits_posted - 21 WHERE community_id = \(c) AND id = \(earnings)",
            "UPDATE accounts SET debits_posted = credits_posted + 1 WHERE community_id = \(c) AND kind IN ('platform_revenue', 'payouts')",
        ]
        for statement in statements {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains("accounts_no_overdraft"), "\(statement): \(report)")
        }
        // One credit less is allowed (and rolled back): the constraint is exact.
        let exact = try Psql.run(databaseURL, [
            "BEGIN",
            "UPDATE accounts SET debits_posted = debits_posted + 55 WHERE community_id = \(c) AND id = \(wallet)",
            "UPDATE accounts SET debits_posted = debits_posted + 20 WHERE community_id = \(c) AND id = \(earnings)",
            "UPDATE accounts SET debits_posted = debits_posted + 1000000 WHERE community_id = \(c) AND kind = 'issuance'",
            "ROLLBACK",
        ])
        XCTAssertTrue(exact.succeeded, "spending exactly what is available, or issuance going negative, is allowed: \(exact.stderr)")
        XCTAssertEqual(try meetingd.balance(account: s.wallet, as: s.user)["available"], 55)
        XCTAssertEqual(try meetingd.balance(account: s.earnings, as: s.expert)["available"], 20)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    /// Reconcile's meeting checks (meeting_problems) name a meeting whose credit status its
    /// ledger contradicts and one with two open holds. The damage is done around every guard
    /// (replica mode skips triggers and foreign keys), inside a transaction rolled back.
    func testReconcileNamesMeetingsTheLedgerContradicts() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        let secondHold = newId("trf_")
        let run = try Psql.run(databaseURL, [
            "BEGIN", "SET LOCAL session_replication_role = replica",
            "SELECT count(*) FROM meeting_problems(\(c))",
            "UPDATE meetings SET status = 'cancelled', credit_status = 'returned', hold_transfer_id = NULL WHERE community_id = \(c) AND id = \(meeting)",
            "SELECT kind || ' ' || subject FROM meeting_problems(\(c)) ORDER BY 1",
            """
            INSERT INTO transfers (community_id, id, seq, debit_account_id, credit_account_id, amount, kind, phase, meeting_id, created_at,
                                   debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                                   credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
            SELECT community_id, '\(secondHold)', nextval(ml_number_sequence('transfers', community_id)::regclass), debit_account_id,
                   credit_account_id, amount, kind, phase, meeting_id, created_at, 0, 0, 0, 0, 0, 0, 0, 0
            FROM transfers WHERE community_id = \(c) AND id = \(Psql.literal(s.holdId))
            """,
            """
            UPDATE meetings SET status = 'awaiting_approval', credit_status = 'blocked', hold_transfer_id = \(Psql.literal(s.holdId))
            WHERE community_id = \(c) AND id = \(meeting)
            """,
            "SELECT kind || ' ' || subject FROM meeting_problems(\(c)) ORDER BY 1",
            "ROLLBACK",
        ])
        XCTAssertTrue(run.succeeded, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init), [
            "0",
            "meeting_credit_status \(s.meetingId)",
            "meeting_credit_status \(s.meetingId)", "meeting_open_holds \(s.meetingId)",
        ], "returned with its hold open; then blocked with two open holds")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true, "all of it was rolled back")
    }

    /// Each kind of transfer moves credits between its own kinds of account, and staff's
    /// movements carry who made them and their reference or reason: ledger_transfer refuses the
    /// rest from the account rows it locks, whoever calls it. An account never changes hands, and
    /// the meetings' timelines cannot be truncated.
    func testEachTransferKindMovesCreditsBetweenItsOwnAccounts() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, wallet = Psql.literal(s.wallet), earnings = Psql.literal(s.earnings), actor = Psql.literal(s.ledger.financeId)
        let revenue = "ledger_account(\(c), 'platform_revenue', NULL)", issuance = "ledger_account(\(c), 'issuance', NULL)"
        let payouts = "ledger_account(\(c), 'payouts', NULL)", meeting = Psql.literal(s.meetingId)
        func transfer(_ debit: String, _ credit: String, _ kind: String, _ phase: String = "posted", meeting: String = "NULL",
                      reference: String = "'ref-1'", reason: String = "'why'", actor: String = actor) -> String {
            "SELECT * FROM ledger_transfer(\(c), 'trf_' || md5(random()::text), \(debit), \(credit), 5, '\(kind)', '\(phase)', \(meeting), "
                + "\(reference), \(reason), \(actor), NULL)"
        }
        let refused = [
            transfer(wallet, revenue, "fee", meeting: meeting),
            transfer(wallet, earnings, "fee", meeting: meeting),
            transfer(wallet, revenue, "hold", "pending", meeting: meeting),
            transfer(earnings, wallet, "hold", "pending", meeting: meeting),
            transfer(wallet, earnings, "hold", "pending"),
            transfer(wallet, payouts, "payout"),
            transfer(earnings, wallet, "payout"),
            transfer(earnings, payouts, "payout", reference: "NULL"),
            transfer(issuance, earnings, "grant"),
            transfer(issuance, wallet, "grant", actor: "NULL"),
            transfer(issuance, wallet, "grant", reference: "NULL"),
            transfer(wallet, earnings, "adjustment"),
            transfer(issuance, wallet, "adjustment", reason: "NULL"),
            transfer(issuance, wallet, "adjustment", actor: "NULL"),
        ]
        for statement in refused {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains("transfers_kind_accounts"), "\(statement): \(report)")
        }
        // What the service moves is allowed (and rolled back).
        let allowed = try Psql.run(databaseURL, [
            "BEGIN",
            transfer(issuance, wallet, "grant", reference: "'ref-allowed'"), transfer(wallet, earnings, "hold", "pending", meeting: meeting),
            transfer(earnings, revenue, "fee", meeting: meeting), transfer(earnings, payouts, "payout", reference: "'payout-allowed'"),
            transfer(issuance, earnings, "adjustment"), transfer(wallet, issuance, "adjustment"),
            "ROLLBACK",
        ])
        XCTAssertTrue(allowed.succeeded, allowed.stderr)

        for statement in [
            "UPDATE accounts SET owner_id = \(Psql.literal(s.expert)) WHERE community_id = \(c) AND id = \(wallet)",
            "UPDATE accounts SET kind = 'expert_earnings' WHERE community_id = \(c) AND id = \(wallet)",
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("55000") && report.contains("keeps its community, kind and owner"), "\(statement): \(report)")
        }
        let (own, _) = try databaseMigrated(before: "9999", name: "timeline")
        let truncated = try refusedInRolledBackTransaction("TRUNCATE meeting_events", conninfo: own)
        XCTAssertTrue(truncated.contains("55000") && truncated.contains("append-only"), truncated)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    /// What a bug in the service could write straight into the tables, around ledger_transfer and
    /// the steps: a transfer row of the wrong accounts or actor, a meeting's status taken back, a
    /// role taken from a person whose meetings need it, and retry records, chat and outbox
    /// messages rewritten or deleted. Each is refused by its table (rolled back either way).
    func testTheTablesRefuseWhatABugCouldWriteAroundTheFunctions() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, wallet = Psql.literal(s.wallet), earnings = Psql.literal(s.earnings)
        let issuance = "ledger_account(\(c), 'issuance', NULL)", payouts = "ledger_account(\(c), 'payouts', NULL)"
        func row(_ debit: String, _ credit: String, _ kind: String, actor: String, phase: String = "posted", meeting: String = "NULL") -> String {
            "INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, meeting_id, reference, reason, actor_id, "
                + "created_at, debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending, credit_debits_posted, "
                + "credit_credits_posted, credit_debits_pending, credit_credits_pending) VALUES (\(c), 'trf_' || md5(random()::text), \(debit), \(credit), "
                + "5, '\(kind)', '\(phase)', \(meeting), 'ref-' || md5(random()::text), 'why', \(Psql.literal(actor)), now(), 0, 0, 0, 0, 0, 0, 0, 0)"
        }
        for (statement, rule) in [
            (row(wallet, issuance, "grant", actor: s.user), "transfers_kind_accounts"),
            (row(wallet, Psql.literal(try meetingd.accountId(of: try s.ledger.person(on: meetingd, ["user"]), kind: "user_wallet", as: s.ledger.financeId)),
                 "adjustment", actor: s.ledger.financeId), "transfers_kind_accounts"),
            (row(wallet, payouts, "payout", actor: s.ledger.financeId), "transfers_kind_accounts"),
            (row(issuance, earnings, "grant", actor: s.ledger.financeId), "transfers_kind_accounts"),
            (row(wallet, earnings, "hold", actor: s.user, phase: "pending"), "transfers_kind_accounts"),
            (row(earnings, payouts, "payout", actor: s.expert), "transfers_staff_actor"),
            (row(issuance, wallet, "adjustment", actor: s.user), "transfers_staff_actor"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains(rule), "\(statement):\n\(report)")
        }

        // An agreed meeting taken back to wait for its expert; a request's user losing the role.
        let meeting = Psql.literal(s.meetingId)
        try meetingd.result("meeting.confirm", as: s.expert, ["meeting_id": .string(s.meetingId)])
        let back = try refusedInRolledBackTransaction(
            "UPDATE meetings SET status = 'awaiting_approval', expert_approved = false, version = version + 1 WHERE community_id = \(c) AND id = \(meeting)")
        XCTAssertTrue(back.contains("55000") && back.contains("may not go from agreed to awaiting_approval"), back)
        for (person, role, other) in [(s.user, "user", "expert"), (s.expert, "expert", "user")] {
            let report = try refusedInRolledBackTransaction(
                "UPDATE people SET roles = '{\(other)}' WHERE community_id = \(c) AND id = \(Psql.literal(person))")
            XCTAssertTrue(report.contains("55000") && report.contains("keeps the \(role) role"), report)
        }

        // Retry records, chat and outbox messages: the community has each.
        try meetingd.result("meeting.message.post", as: s.user, ["meeting_id": .string(s.meetingId), "text": "hello", "idempotency_key": "chat-1"])
        for statement in [
            "UPDATE idempotency_keys SET response = '{}' WHERE community_id = \(c)", "DELETE FROM idempotency_keys WHERE community_id = \(c)",
            "UPDATE meeting_messages SET text = 'edited' WHERE community_id = \(c)", "DELETE FROM meeting_messages WHERE community_id = \(c)",
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("55000") && report.contains("append-only"), "\(statement): \(report)")
        }
        let deleted = try refusedInRolledBackTransaction("DELETE FROM outbox WHERE community_id = \(c)")
        XCTAssertTrue(deleted.contains("55000") && deleted.contains("outbox messages are kept"), deleted)
        let (own, _) = try databaseMigrated(before: "9999", name: "kept")
        for table in ["idempotency_keys", "meeting_messages", "outbox"] {
            let report = try refusedInRolledBackTransaction("TRUNCATE \(table)", conninfo: own)
            XCTAssertTrue(report.contains("55000"), "TRUNCATE \(table): \(report)")
        }
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    /// Straight into transfers, around ledger_resolve and ml_apply: a resolution that does not
    /// match its hold, a hold of other people than its meeting's, a fee beyond what its meeting
    /// captured, an actor who is not a person of the community. The meeting checks run at commit; each case asks for them at once (SET
    /// CONSTRAINTS) and is rolled back, so nothing lands in the shared database either way.
    func testMoneyMovesAgreeWithTheirHoldsAndMeetings() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, wallet = Psql.literal(s.wallet), earnings = Psql.literal(s.earnings)
        let hold = Psql.literal(s.holdId), meeting = Psql.literal(s.meetingId)
        let otherUser = try s.ledger.person(on: meetingd, ["user"]), otherExpert = try s.ledger.person(on: meetingd, ["expert"])
        let otherWallet = Psql.literal(try meetingd.accountId(of: otherUser, kind: "user_wallet", as: s.ledger.financeId))
        let otherEarnings = Psql.literal(try meetingd.accountId(of: otherExpert, kind: "expert_earnings", as: s.ledger.financeId))
        let revenue = "ledger_account(\(c), 'platform_revenue', NULL)"
        let grant = "(SELECT id FROM transfers WHERE community_id = \(c) AND kind = 'grant' LIMIT 1)"
        func row(
            _ debit: String, _ credit: String, _ credits: Int, _ kind: String, _ phase: String, pending: String = "NULL", meeting m: String? = nil,
            actor: String = "NULL"
        ) -> String {
            "INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, pending_id, meeting_id, actor_id, "
                + "created_at, debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending, credit_debits_posted, "
                + "credit_credits_posted, credit_debits_pending, credit_credits_pending) VALUES (\(c), 'trf_' || md5(random()::text), \(debit), \(credit), "
                + "\(credits), '\(kind)', '\(phase)', \(pending), \(m ?? meeting), \(actor), now(), 0, 0, 0, 0, 0, 0, 0, 0)"
        }
        let elsewhere = "(SELECT id FROM people WHERE community_id <> \(c) LIMIT 1)"
        let atOnce = "SET CONSTRAINTS ALL IMMEDIATE; "
        let capture = "SELECT ledger_resolve(\(c), 'trf_' || md5(random()::text), \(hold), true, 45, NULL, 'test', NULL); "
        for (statement, rule) in [
            (row(wallet, earnings, 46, "capture", "post_pending", pending: hold), "transfers_resolution_matches_its_hold"),
            (row(wallet, earnings, 44, "release", "void_pending", pending: hold), "transfers_resolution_matches_its_hold"),
            (row(otherWallet, earnings, 45, "capture", "post_pending", pending: hold), "transfers_resolution_matches_its_hold"),
            (row(wallet, otherEarnings, 45, "release", "void_pending", pending: hold), "transfers_resolution_matches_its_hold"),
            (row(wallet, earnings, 45, "capture", "post_pending", pending: hold, meeting: "NULL"), "transfers_resolution_matches_its_hold"),
            (row(wallet, earnings, 5, "capture", "post_pending", pending: grant), "transfers_resolution_matches_its_hold"),
            (atOnce + row(otherWallet, earnings, 5, "hold", "pending"), "transfers_hold_of_its_meeting"),
            (atOnce + row(wallet, otherEarnings, 5, "hold", "pending"), "transfers_hold_of_its_meeting"),
            (atOnce + row(earnings, revenue, 5, "fee", "posted"), "transfers_fee_of_its_capture"),
            (capture + atOnce + row(earnings, revenue, 46, "fee", "posted"), "transfers_fee_of_its_capture"),
            (capture + atOnce + row(otherEarnings, revenue, 5, "fee", "posted"), "transfers_fee_of_its_capture"),
            (row(wallet, earnings, 45, "release", "void_pending", pending: hold, actor: elsewhere), "transfers_actor_of_the_community"),
            (row(wallet, earnings, 45, "release", "void_pending", pending: hold, actor: "'per_00000000000000000000000000000000'"),
             "transfers_actor_of_the_community"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains(rule), "\(statement):\n\(report)")
        }
        // What the service writes passes: the hold is captured and a fee taken, in one transaction
        // rolled back.
        let paid = try Psql.run(databaseURL, [
            "BEGIN", capture + atOnce + row(earnings, revenue, 45, "fee", "posted"), "SELECT count(*) FROM transfers WHERE community_id = \(c) AND meeting_id = \(meeting)", "ROLLBACK",
        ])
        XCTAssertTrue(paid.succeeded, paid.stderr)
        XCTAssertEqual(paid.stdout.split(separator: "\n").last, "3", paid.stdout)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    /// Straight into the tables: a meeting whose parties lack their roles, a completed meeting
    /// paid less than its price or logged before it started, an outbox message rewritten or sent
    /// again, a person moved out of their community. Each case is rolled back.
    func testMeetingsMessagesAndPeopleKeepWhatTheyAre() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, hold = Psql.literal(s.holdId), meeting = Psql.literal(s.meetingId)
        let finance = Psql.literal(s.ledger.financeId)
        try meetingd.result("meeting.confirm", as: s.expert, ["meeting_id": .string(s.meetingId)])

        func copy(_ party: String, _ person: String) -> String { copiedMeeting(s, ["\(party)": "\"\(person)\""]) }
        func capture(_ credits: Int) -> String { "SELECT ledger_resolve(\(c), 'trf_' || md5(random()::text), \(hold), true, \(credits), NULL, 'test', NULL); " }
        func completed(loggedAt: String) -> String {
            "SET CONSTRAINTS ALL IMMEDIATE; UPDATE meetings SET status = 'completed', attendance = 'attended', "
                + "duration_minutes = length_minutes, logged_at = \(loggedAt), credit_status = 'paid', hold_transfer_id = NULL, version = version + 1 "
                + "WHERE community_id = \(c) AND id = \(meeting)"
        }
        let someMessage = "(SELECT id FROM outbox WHERE community_id = \(c) ORDER BY seq LIMIT 1)"
        for (statement, says) in [
            (copy("expert_id", s.ledger.financeId), "meetings_parties_hold_their_roles"),
            (copy("user_id", s.ledger.financeId), "meetings_parties_hold_their_roles"),
            (copy("student_id", s.ledger.financeId), "meetings_parties_hold_their_roles"),
            (capture(1) + completed(loggedAt: "start_at + interval '1 hour'"), "meetings_completed_paid_its_price"),
            (capture(45) + completed(loggedAt: "start_at - interval '1 day'"), "meetings_logged_once_started"),
            ("UPDATE outbox SET recipient_id = \(finance) WHERE community_id = \(c) AND id = \(someMessage)", "keeps its recipient"),
            ("UPDATE outbox SET payload = payload || '{\"injected\": true}' WHERE community_id = \(c) AND id = \(someMessage)", "keeps its recipient"),
            ("UPDATE outbox SET dedupe_key = 'another' WHERE community_id = \(c) AND id = \(someMessage)", "keeps its recipient"),
            ("UPDATE outbox SET status = 'done', done_at = now() WHERE community_id = \(c) AND id = \(someMessage); "
                + "UPDATE outbox SET status = 'pending', done_at = NULL WHERE community_id = \(c) AND id = \(someMessage)", "a done message stays done"),
            ("UPDATE people SET community_id = (SELECT community_id FROM communities WHERE community_id <> \(c) LIMIT 1) "
                + "WHERE community_id = \(c) AND id = \(finance)", "stays there under that id"),
            ("UPDATE people SET id = 'per_' || md5(random()::text) WHERE community_id = \(c) AND id = \(finance)", "stays there under that id"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue((report.contains("23514") || report.contains("55000")) && report.contains(says), "\(statement):\n\(report)")
        }
        // What the service writes passes: the whole price captured, the session logged after the
        // start; a message delivered. Rolled back.
        let paid = try Psql.run(databaseURL, [
            "BEGIN", capture(45) + completed(loggedAt: "start_at + interval '1 hour'"),
            "UPDATE outbox SET status = 'done', done_at = now() WHERE community_id = \(c) AND id = \(someMessage)",
            "SELECT status FROM meetings WHERE community_id = \(c) AND id = \(meeting)", "ROLLBACK",
        ])
        XCTAssertTrue(paid.succeeded, paid.stderr)
        XCTAssertEqual(paid.stdout.split(separator: "\n").last, "completed", paid.stdout)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    /// The seeded meeting's row under a new id a week later, free of charge, with `changes`
    /// (column → JSON text) made: its columns but the generated ones, read from the catalog.
    func copiedMeeting(_ s: SeededLedger, _ changes: [String: String]) -> String {
        let fields = ["\"id\": \"\(newId("mtg_"))\"", "\"hold_transfer_id\": null", "\"credit_status\": \"none\"", "\"price_credits\": 0"]
            + changes.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }
        return """
            DO $do$ DECLARE v_columns text; BEGIN
                SELECT string_agg(quote_ident(attname), ', ') INTO v_columns FROM pg_attribute
                WHERE attrelid = 'meetings'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
                EXECUTE format('INSERT INTO meetings (%1$s) SELECT %1$s FROM jsonb_populate_record(NULL::meetings, '
                    || '(SELECT to_jsonb(m) || jsonb_build_object(''start_at'', m.start_at + interval ''7 days'', ''end_at'', m.end_at + interval ''7 days'') '
                    || 'FROM meetings m WHERE community_id = %2$L AND id = %3$L) || %4$L::jsonb)',
                    v_columns, \(s.communityLiteral), \(Psql.literal(s.meetingId)), \(Psql.literal("{" + fields.joined(separator: ", ") + "}")));
            END $do$
            """
    }

    /// Straight into the tables: a chat message by someone outside its conversation, or written
    /// from another pair's meeting; a meeting following itself or another pair's meeting. Each
    /// case is rolled back; what the service writes (a party's or an admin's message from their
    /// meeting, a proposal following the pair's meeting) passes.
    func testMessagesAndFollowUpsStayWithTheirPair() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        let other = try s.ledger.person(on: meetingd, ["user"])
        func conversation(_ user: String) throws -> String {
            let started = try meetingd.result("conversation.start", as: user, ["person_id": .string(s.expert), "text": "Hello"])
            return try XCTUnwrap(started["conversation"]?["id"]?.string, "\(started)")
        }
        let ours = Psql.literal(try conversation(s.user)), theirs = Psql.literal(try conversation(other))
        func message(in conversation: String, by author: String, meeting: String) -> String {
            "INSERT INTO meeting_messages (community_id, id, conversation_id, meeting_id, author_id, text, created_at) VALUES "
                + "(\(c), \(Psql.literal(newId("msg_"))), \(conversation), \(meeting), \(Psql.literal(author)), 'hi', now())"
        }
        for (statement, says) in [
            (message(in: ours, by: s.ledger.financeId, meeting: "NULL"), "meeting_messages_author_of_the_conversation"),
            (message(in: ours, by: other, meeting: meeting), "meeting_messages_author_of_the_conversation"),
            (message(in: theirs, by: other, meeting: meeting), "meeting_messages_meeting_of_the_conversation"),
            ("UPDATE meetings SET follows_meeting_id = id WHERE community_id = \(c) AND id = \(meeting)", "meetings_follow_their_pairs_meeting"),
            (copiedMeeting(s, ["user_id": "\"\(other)\"", "follows_meeting_id": "\"\(s.meetingId)\""]), "meetings_follow_their_pairs_meeting"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains(says), "\(statement):\n\(report)")
        }
        let written = try Psql.run(databaseURL, [
            "BEGIN", message(in: ours, by: s.expert, meeting: meeting), message(in: ours, by: s.ledger.adminId, meeting: meeting),
            copiedMeeting(s, ["follows_meeting_id": "\"\(s.meetingId)\""]),
            "SELECT count(*) FROM meetings WHERE community_id = \(c) AND follows_meeting_id = \(meeting)", "ROLLBACK",
        ])
        XCTAssertTrue(written.succeeded, written.stderr)
        XCTAssertEqual(written.stdout.split(separator: "\n").last, "1", written.stdout)
    }

    /// Straight into the tables: a series given to another user, revived or lengthened, or in no
    /// zone; a finance role's row widened; a conversation handed to another user; a service given
    /// another kind or expert, a certification in another expert's own service; a location
    /// deleted; hours and free periods at unknown places or times, or in no zone; a student link
    /// marked as made both ways, or rewritten. Each case is rolled back; what the service writes
    /// (a service renamed, a series moved on and cancelled, a message counted, valid hours and a
    /// free period, a location retired, a role found again) passes.
    func testCatalogHoursSeriesChatsAndFinanceRolesKeepWhatTheyAre() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        let other = Psql.literal(try s.ledger.person(on: meetingd, ["user"])), expert2 = Psql.literal(try s.ledger.person(on: meetingd, ["expert"]))
        let expert = Psql.literal(s.expert), user = Psql.literal(s.user)
        let started = try meetingd.result("conversation.start", as: s.user, ["person_id": .string(s.expert), "text": "Hello"])
        let conversation = Psql.literal(try XCTUnwrap(started["conversation"]?["id"]?.string, "\(started)"))
        let ofTheMeeting = "FROM meetings WHERE community_id = \(c) AND id = \(meeting)"
        let service = "(SELECT service_id \(ofTheMeeting))", location = "(SELECT location_id \(ofTheMeeting))"
        let seriesId = Psql.literal(newId("ser_")), ownService = Psql.literal(newId("svc_")), spare = Psql.literal(newId("loc_"))
        func series(zone: String = "Europe/Berlin") -> String {
            "INSERT INTO series (community_id, id, user_id, expert_id, service_id, location_id, time_zone, first_date, local_minutes, length_minutes, weeks, created_at) "
                + "SELECT community_id, \(seriesId), user_id, expert_id, service_id, location_id, \(Psql.literal(zone)), current_date, 600, 30, 4, now() \(ofTheMeeting); "
        }
        let ofTheSeries = "WHERE community_id = \(c) AND id = \(seriesId)"
        let role = "INSERT INTO finance_roles (role_name, community_id, platform_wide) VALUES ('ml_test_guard_role', \(c), false); "
        func hours(_ rules: String, zone: String = "Europe/Berlin") -> String {
            "INSERT INTO weekly_schedules (community_id, expert_id, time_zone, rules) VALUES (\(c), \(expert), \(Psql.literal(zone)), \(rules)) "
                + "ON CONFLICT (community_id, expert_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, rules = EXCLUDED.rules"
        }
        func window(weekday: String = "1", start: String = "09:00", end: String = "17:00", at place: String = location) -> String {
            "jsonb_build_array(jsonb_build_object('weekday', \(weekday), 'start', '\(start)', 'end', '\(end)', 'location_ids', jsonb_build_array(\(place))))"
        }
        func period(at place: String) -> String {
            "INSERT INTO availability_periods (community_id, id, expert_id, kind, start_at, end_at, location_ids) "
                + "VALUES (\(c), \(Psql.literal(newId("avl_"))), \(expert), 'free', now(), now() + interval '1 hour', ARRAY[\(place)])"
        }
        let link = "INSERT INTO student_links (community_id, customer_id, student_id) VALUES (\(c), \(user), \(other)); "
        for (statement, says) in [
            (series() + "UPDATE series SET user_id = \(other) \(ofTheSeries)", "keeps its people"),
            (series() + "UPDATE series SET length_minutes = 360 \(ofTheSeries)", "keeps its people"),
            (series() + "UPDATE series SET status = 'cancelled', cancelled_at = now() \(ofTheSeries); "
                + "UPDATE series SET status = 'active', cancelled_at = NULL \(ofTheSeries)", "a cancelled series stays cancelled"),
            (series(zone: "Mars/Olympus"), "series_zone_is_a_time_zone"),
            (role + "UPDATE finance_roles SET community_id = NULL, platform_wide = true WHERE role_name = 'ml_test_guard_role'", "keeps its name and the community"),
            ("UPDATE conversations SET user_id = \(other) WHERE community_id = \(c) AND id = \(conversation)", "keeps its two people"),
            ("UPDATE services SET kind = 'expert_specific', expert_id = \(expert) WHERE community_id = \(c) AND id = \(service)", "keeps its kind and its expert"),
            ("INSERT INTO services (community_id, id, name, kind, expert_id, default_length_minutes, price_credits) "
                + "VALUES (\(c), \(ownService), 'Own \(UUID().uuidString)', 'expert_specific', \(expert), 30, 10); "
                + "INSERT INTO certifications (community_id, service_id, expert_id) VALUES (\(c), \(ownService), \(expert2))",
             "certifications_not_in_another_experts_service"),
            ("INSERT INTO locations (community_id, id, name, kind) VALUES (\(c), \(spare), 'Spare \(UUID().uuidString)', 'virtual'); "
                + "DELETE FROM locations WHERE community_id = \(c) AND id = \(spare)", "never deleted"),
            (period(at: spare), "availability_periods_at_the_communitys_locations"),
            (hours(window(weekday: "9", start: "25:00", end: "01:00")), "weekly_schedules_windows_hold"),
            (hours(window(start: "17:00", end: "09:00")), "weekly_schedules_windows_hold"),
            (hours(window(at: spare)), "weekly_schedules_windows_hold"),
            (hours(window(), zone: "Mars/Olympus"), "weekly_schedules_zone_is_a_time_zone"),
            ("INSERT INTO student_links (community_id, customer_id, student_id, linked_both_ways_before) VALUES (\(c), \(user), \(other), true)",
             "are made one way"),
            (link + "UPDATE student_links SET created_by = \(user) WHERE community_id = \(c) AND student_id = \(other)", "never rewritten"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue((report.contains("23514") || report.contains("55000")) && report.contains(says), "\(statement):\n\(report)")
        }
        let written = try Psql.run(databaseURL, [
            "BEGIN", "UPDATE services SET name = 'Renamed \(UUID().uuidString)' WHERE community_id = \(c) AND id = \(service)",
            series() + "UPDATE series SET next_index = next_index + 1 \(ofTheSeries)",
            "UPDATE series SET status = 'cancelled', cancelled_at = now() \(ofTheSeries)",
            "UPDATE conversations SET message_count = message_count + 1, last_message_at = now() - interval '1 day' WHERE community_id = \(c) AND id = \(conversation)",
            hours(window(end: "24:00")), period(at: location), "UPDATE locations SET active = false WHERE community_id = \(c) AND id = \(location)",
            role + "UPDATE finance_roles SET role_oid = NULL WHERE role_name = 'ml_test_guard_role'", link,
            "SELECT count(*) FROM series \(ofTheSeries) AND status = 'cancelled'", "ROLLBACK",
        ])
        XCTAssertTrue(written.succeeded, written.stderr)
        XCTAssertEqual(written.stdout.split(separator: "\n").last, "1", written.stdout)
    }

    /// A transfer that waits for another writer of its account takes its time once the wait is
    /// over, not before it: a figure as of a time during the wait, answered then, stays as it was
    /// after the transfer commits. The real clock; a session holds the wallet's row meanwhile.
    func testATransferIsTimedOnceItsAccountsAreItsNotBeforeItWaits() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        let wallet = try meetingd.accountId(of: user, kind: "user_wallet", as: user)
        let c = Psql.literal(ledger.community.id)
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        _ = try holder.run("BEGIN; SELECT 1 FROM accounts WHERE community_id = \(c) AND id = \(Psql.literal(wallet)) FOR UPDATE;")
        try meetingd.send(#"{"jsonrpc":"2.0","id":"waits","method":"credits.grant","params":{"actor":"\#(ledger.financeId)","user_id":"\#(user)","credits":7,"reference":"waits-\#(TestEnvironment.uniqueTag())"}}"#)
        try backend(waitingFor: holderPid, "the grant did not wait for the session holding the wallet")
        Thread.sleep(forTimeInterval: 0.5)
        let released = try XCTUnwrap(try holder.run("SELECT clock_timestamp(); COMMIT;").output.first)
        let answer = try meetingd.readResponse(timeout: 60)
        let transfer = try XCTUnwrap(answer["result"]?["id"]?.string, "\(answer)")
        XCTAssertEqual(
            try Psql.query(databaseURL, "SELECT created_at >= \(Psql.literal(released))::timestamptz FROM transfers WHERE community_id = \(c) AND id = \(Psql.literal(transfer))"),
            ["t"], "timed at or after \(released), when the wallet was the grant's: \(answer)")
    }

    /// A figure as of a past time is read once the transfers timed before that time have
    /// committed: a grant written as meetingd writes one, timed and not yet committed, is waited
    /// for by a balance as of a time after its time, which then counts it, as a later read as of
    /// that time does; a balance now does not wait for it.
    func testAFigureAsOfATimeWaitsForTheTransfersTimedBeforeIt() throws {
        let meetingd = try startMeetingd()
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        let expert = try ledger.person(on: meetingd, ["expert"])
        try meetingd.result("credits.adjust", as: ledger.financeId, [
            "account_id": .string(try meetingd.accountId(of: expert, kind: "expert_earnings", as: ledger.financeId)), "credits": 10, "reason": "Earnings to pay out",
        ])
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        let grant = """
            SELECT ml_apply_transfer(jsonb_build_object('community_id', \(Psql.literal(ledger.community.id)), 'id', \(Psql.literal(newId("trf_"))),
                'credits', 7, 'kind', 'grant', 'reference', \(Psql.literal("in-flight-\(TestEnvironment.uniqueTag())")),
                'actor_id', \(Psql.literal(ledger.financeId)), 'debit_kind', 'issuance', 'credit_kind', 'user_wallet', 'credit_owner', \(Psql.literal(user))))
            """
        // A time just after the grant took its own.
        let asOf = try XCTUnwrap(try holder.query("""
            BEGIN; \(grant) IS NOT NULL;
            SELECT to_char((clock_timestamp() + interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
            """).last)
        let now = try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user)])
        XCTAssertEqual(now["posted"], 0, "a balance now reads what is committed, without waiting: \(now)")

        try meetingd.send(#"{"jsonrpc":"2.0","id":"as-of","method":"ledger.balance","params":{"actor":"\#(ledger.financeId)","person_id":"\#(user)","as_of":"\#(asOf)"}}"#)
        try backend(waitingFor: holderPid, "the balance as of \(asOf) did not wait for the grant timed before it")
        // It waits for the writer in flight alone: a transfer of other accounts started meanwhile
        // (a payout of an expert's earnings) goes on beside it.
        let other = try startMeetingd()
        try other.send(#"{"jsonrpc":"2.0","id":"beside","method":"payout.create","params":{"actor":"\#(ledger.financeId)","expert_id":"\#(expert)","credits":3,"reference":"beside-\#(TestEnvironment.uniqueTag())"}}"#)
        let beside = try other.readResponse(timeout: 8)
        XCTAssertNotNil(beside["result"], "a payout started while the read waited was not held behind it: \(beside)")
        try holder.query("COMMIT;")
        let answer = try meetingd.readResponse(timeout: 60)
        XCTAssertEqual(answer["result"]?["posted"], 7, "\(answer)")
        let again = try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user), "as_of": .string(asOf)])
        XCTAssertEqual(again, answer["result"], "read again as of the same time")
    }

    /// Under the test clock a transfer is timed by the pinned time as it is when the transfer is
    /// timed, not as its request read it: a clock moved on meanwhile, and a figure answered as of
    /// a time in between, the transfer does not land before that time afterwards.
    func testATransferUnderTheTestClockTakesThePinnedTimeAsItIsThen() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        let user = try ledger.person(on: meetingd, ["user"])
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let requestRead = rfc3339(ledgerEpoch)
        try meetingd.result("clock.advance", as: ledger.adminId, ["minutes": 60])
        let between = rfc3339(ledgerEpoch.addingTimeInterval(1_800))
        let answered = try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user), "as_of": .string(between)])
        XCTAssertEqual(answered["posted"], 0, "\(answered)")
        // A grant whose request read the clock before it moved, applied now.
        let id = newId("trf_")
        _ = try Psql.query(databaseURL, """
            SELECT ml_apply_transfer(jsonb_build_object('community_id', \(Psql.literal(ledger.community.id)), 'id', \(Psql.literal(id)),
                'credits', 7, 'kind', 'grant', 'reference', \(Psql.literal("late-\(TestEnvironment.uniqueTag())")), 'at', \(Psql.literal(requestRead)),
                'actor_id', \(Psql.literal(ledger.financeId)), 'debit_kind', 'issuance', 'credit_kind', 'user_wallet', 'credit_owner', \(Psql.literal(user))))
            """)
        XCTAssertEqual(try Psql.query(databaseURL, """
            SELECT created_at = \(Psql.literal(rfc3339(ledgerEpoch.addingTimeInterval(3_600))))::timestamptz FROM transfers
            WHERE community_id = \(Psql.literal(ledger.community.id)) AND id = \(Psql.literal(id))
            """), ["t"], "timed at the pinned time as it was when the transfer was written")
        let again = try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user), "as_of": .string(between)])
        XCTAssertEqual(again, answered, "the figure as of \(between), answered before, is the same")
        XCTAssertEqual(try meetingd.result("ledger.balance", as: ledger.financeId, ["person_id": .string(user)])["posted"], 7)
    }

    /// Reconcile names a meeting whose story ended with its credits still held, and a hold drawn
    /// from someone other than its meeting's user: written around every guard (replica mode skips
    /// triggers and the row rules' foreign keys; the row rules are a CHECK, so the rows are
    /// changed where those allow), inside a transaction rolled back.
    func testReconcileNamesMeetingsEndedHoldingCreditsAndHoldsOfOtherPeople() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        // The ALTER takes the meetings table whole until the rollback: it waits at most 100 ms
        // for it and tries again, so the tests running beside this one (sharing the database)
        // never queue behind it for long (one waited past meetingd's 10 s lock timeout).
        var run = ToolResult(termination: .exited(1), stdout: "", stderr: "not run")
        for _ in 0..<200 {
            run = try Psql.run(databaseURL, [
                "BEGIN", "SET LOCAL lock_timeout = '100ms'", "SET LOCAL session_replication_role = replica",
                "ALTER TABLE meetings DROP CONSTRAINT meetings_row_rules",
                "UPDATE meetings SET status = 'cancelled' WHERE community_id = \(c) AND id = \(meeting)",
                "UPDATE accounts SET owner_id = \(Psql.literal(s.ledger.financeId)) WHERE community_id = \(c) AND id = \(Psql.literal(s.wallet))",
                "SELECT kind || ' ' || subject FROM meeting_problems(\(c)) ORDER BY 1",
                "ROLLBACK",
            ])
            guard !run.succeeded, run.stderr.contains("lock timeout") else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(run.succeeded, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init), [
            "meeting_hold_parties \(s.meetingId)", "meeting_status \(s.meetingId)",
        ])
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true, "all of it was rolled back")
    }

    func testAPendingTransferIsResolvedAtMostOnce() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        func transferId() -> String { newId("trf_") }
        let c = s.communityLiteral, hold = Psql.literal(s.holdId)
        let release = transferId(), capture = transferId()

        // Through the ledger's own function: a release, then a capture of the same hold.
        let twice = try Psql.run(databaseURL, [
            "\\set VERBOSITY verbose", "BEGIN",
            "SELECT transfer_id FROM ledger_resolve(\(c), '\(release)', \(hold), false, NULL, NULL, 'test', NULL)",
            "SELECT transfer_id FROM ledger_resolve(\(c), '\(capture)', \(hold), true, NULL, NULL, 'test', NULL)",
            "ROLLBACK",
        ])
        XCTAssertFalse(twice.succeeded)
        XCTAssertTrue(twice.stdout.contains(release), "the first resolution succeeds: \(twice.stdout) \(twice.stderr)")
        XCTAssertTrue(twice.stderr.contains("ML003"), "the second is refused as already resolved: \(twice.stderr)")

        // Around the function, straight into the table: the unique index refuses the second.
        func resolutionRow(_ id: String, kind: String, phase: String) -> String {
            """
            INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, pending_id, meeting_id, created_at,
                                   debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                                   credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
            SELECT community_id, '\(id)', debit_account_id, credit_account_id, amount, '\(kind)', '\(phase)', id, meeting_id, now(),
                   0, 0, 0, 0, 0, 0, 0, 0
            FROM transfers WHERE community_id = \(c) AND id = \(hold)
            """
        }
        let raw = try Psql.run(databaseURL, [
            "\\set VERBOSITY verbose", "BEGIN",
            resolutionRow(transferId(), kind: "release", phase: "void_pending"),
            resolutionRow(transferId(), kind: "capture", phase: "post_pending"),
            "ROLLBACK",
        ])
        XCTAssertFalse(raw.succeeded)
        XCTAssertTrue(raw.stderr.contains("23505") && raw.stderr.contains("transfers_resolved_once"), raw.stderr)

        let trail = try meetingd.result("ledger.meeting_trail", as: s.ledger.financeId, ["meeting_id": .string(s.meetingId)])
        XCTAssertEqual(trail["transfers"]?.array?.count, 1, "only the hold: everything above was rolled back")
        XCTAssertEqual(trail["credit_status"], "blocked")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    func testFinanceRoleReadsTheThreeViewsAndNothingElse() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let role = try FinanceSQLRole.create(databaseURL, community: s.ledger.community.id).dropAtEnd(of: self)
        let finance = role.conninfo
        let c = s.communityLiteral

        XCTAssertEqual(try Psql.query(finance, "SELECT current_user"), [role.name])
        // The views answer with what the base tables hold.
        let viewCounts = [
            ("finance_accounts", "SELECT count(*) FROM accounts WHERE community_id = \(c)"),
            ("finance_transfers", "SELECT 2 * count(*) FROM transfers WHERE community_id = \(c)"),
            ("finance_meeting_trail", "SELECT count(*) FROM transfers WHERE community_id = \(c) AND meeting_id IS NOT NULL"),
        ]
        for (view, baseQuery) in viewCounts {
            let expected = try Psql.query(databaseURL, baseQuery)
            let seen = try Psql.query(finance, "SELECT count(*) FROM \(view) WHERE community_id = \(c)")
            XCTAssertEqual(seen, expected, view)
            XCTAssertNotEqual(seen, ["0"], "\(view) shows this community's rows")
        }
        let wallet = try Psql.query(finance, "SELECT posted_balance || '/' || blocked || '/' || available FROM finance_accounts WHERE community_id = \(c) AND account_id = \(Psql.literal(s.wallet))")
        XCTAssertEqual(wallet, ["100/45/55"])
        let trail = try Psql.query(finance, "SELECT kind || '/' || phase || '/' || amount FROM finance_meeting_trail WHERE community_id = \(c) AND meeting_id = \(Psql.literal(s.meetingId))")
        XCTAssertEqual(trail, ["hold/pending/45"])

        let before = try ledgerRows(s)
        let anyId = "'trf_" + String(repeating: "a", count: 32) + "'"
        let refused = [
            "SELECT count(*) FROM accounts",
            "SELECT count(*) FROM transfers",
            "SELECT count(*) FROM people",
            "SELECT count(*) FROM meetings",
            "SELECT count(*) FROM communities",
            "SELECT count(*) FROM idempotency_keys",
            "SELECT * FROM ledger_problems(\(c))",
            "INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, created_at) VALUES (\(c), \(anyId), 'acc_x', 'acc_y', 1, 'grant', 'posted', now())",
            "UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE community_id = \(c)",
            "DELETE FROM people WHERE community_id = \(c)",
            "INSERT INTO finance_meeting_trail (community_id, meeting_id) VALUES (\(c), 'mtg_x')",
            "SELECT * FROM ledger_transfer(\(c), \(anyId), \(Psql.literal(s.earnings)), \(Psql.literal(s.wallet)), 1, 'adjustment', 'posted', NULL, NULL, NULL, NULL, NULL)",
            "CREATE TABLE public.finance_scratch (a int)",
        ]
        for statement in refused {
            let report = try refusedInRolledBackTransaction(statement, conninfo: finance)
            XCTAssertTrue(report.contains("42501") && report.contains("permission denied"), "finance ran \(statement): \(report)")
        }
        // The joined views are not updatable at all, whoever asks.
        for statement in ["UPDATE finance_accounts SET owner_email = 'x@example.test' WHERE community_id = \(c)",
                          "DELETE FROM finance_transfers WHERE community_id = \(c)"] {
            let report = try refusedInRolledBackTransaction(statement, conninfo: finance)
            XCTAssertTrue(report.contains("permission denied") || report.contains("cannot"), "finance ran \(statement): \(report)")
        }
        XCTAssertEqual(try ledgerRows(s), before)
        XCTAssertEqual(try meetingd.balance(account: s.wallet, as: s.user)["available"], 55)
    }
}
