import Foundation
import XCTest

/// The database ties a meeting's row to the ledger moves written with it (migration 0147): what
/// a wrong decision could hand `ml_apply` is refused there, and staff's movements are made by
/// the community's finance staff (a grant by an admin too). Each write runs inside a transaction
/// rolled back, so the shared database is left as it was.
final class LedgerStepGuardTests: EndToEndTestCase {
    /// `ml_apply` of one change to the seeded meeting, as the decision would send it: the row as
    /// it is with `row` over it, the version raised unless `row` says otherwise, read as of
    /// `expected_version` (nil: the row as a new meeting), with these moves.
    func step(_ s: SeededLedger, row: String, ledger: String = "'[]'", expected: String? = "m.version") -> String {
        let change = "jsonb_build_object('row', to_jsonb(m) || jsonb_build_object('version', m.version + 1) || \(row), 'ledger', \(ledger)::jsonb"
            + (expected.map { ", 'expected_version', \($0))" } ?? ")")
        return """
            SELECT ml_apply(jsonb_build_object('community_id', m.community_id, 'now', now(), 'actor_id', m.user_id,
                'meetings', jsonb_build_array(\(change))))
            FROM meetings m WHERE m.community_id = \(s.communityLiteral) AND m.id = \(Psql.literal(s.meetingId))
            """
    }

    /// A transfer row written straight into the table (around ledger_transfer, its number given
    /// as the trigger replica mode skips would give it).
    func rawTransfer(_ s: SeededLedger, _ id: String, _ debit: String, _ credit: String, _ amount: Int, _ kind: String, _ phase: String,
                     pending: String = "NULL", meeting: String = "NULL", actor: String = "NULL") -> String {
        let c = s.communityLiteral
        return """
            INSERT INTO transfers (community_id, id, seq, debit_account_id, credit_account_id, amount, kind, phase, pending_id, meeting_id, reference,
                                   actor_id, created_at, debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                                   credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
            VALUES (\(c), '\(id)', nextval(ml_number_sequence('transfers', \(c))::regclass), \(debit), \(credit), \(amount), '\(kind)', '\(phase)',
                    \(pending), \(meeting), 'ref-\(id)', \(actor), now(), 0, 0, 0, 0, 0, 0, 0, 0)
            """
    }

    func assertStepRefused(_ statement: String, _ why: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try refusedInRolledBackTransaction(statement, file: file, line: line)
        XCTAssertTrue(report.contains("23514") && report.contains("meetings_ledger_step") && report.contains(why), "\(statement):\n\(report)", file: file, line: line)
    }

    func testAStepWhoseRowAndMovesDisagreeIsRefused() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let hold = s.holdId
        let release = "jsonb_build_array(jsonb_build_object('op', 'release', 'id', '\(newId("trf_"))', 'hold_id', '\(hold)', 'reason', 'test'))"
        func capture(_ credits: Int, fee: Int) -> String {
            "jsonb_build_array(jsonb_build_object('op', 'capture', 'id', '\(newId("trf_"))', 'hold_id', '\(hold)', 'credits', \(credits), "
                + "'fee_id', '\(newId("trf_"))', 'fee_credits', \(fee), 'reason', 'test', 'fee_reason', 'fee'))"
        }
        let logged = "jsonb_build_object('status', 'completed', 'credit_status', 'paid', 'hold_transfer_id', NULL, 'attendance', 'attended', "
            + "'duration_minutes', m.length_minutes, 'logged_at', now(), 'expert_approved', true)"

        // The audit's cases: logged as paid while its hold was released; a fee above the price; a
        // session logged for 1 credit of its 45.
        try assertStepRefused(step(s, row: logged, ledger: release), "its hold returned, but the row says paid")
        try assertStepRefused(step(s, row: logged, ledger: capture(45, fee: 75)), "a fee of 75 credits on a capture of 45")
        try assertStepRefused(step(s, row: logged, ledger: capture(1, fee: 0)), "a session logged captures its price of 45, not 1")
        // The price of a held request changed with no movement, and the credits' state changed
        // with none; a meeting written at the version it was read at.
        try assertStepRefused(step(s, row: "jsonb_build_object('price_credits', 7)"), "price 45 becomes 7 while its hold stays")
        try assertStepRefused(
            step(s, row: "jsonb_build_object('credit_status', 'returned', 'hold_transfer_id', NULL)"), "credit_status blocked becomes returned with no movement")
        try assertStepRefused(step(s, row: "jsonb_build_object('version', m.version)"), "version")
        // A second hold beside the open one; a new meeting holding credits it does not say it
        // holds; a new meeting resolving a hold.
        let secondHold = newId("trf_")
        let hold45 = "jsonb_build_array(jsonb_build_object('op', 'hold', 'id', '\(secondHold)', 'credits', 45))"
        try assertStepRefused(
            step(s, row: "jsonb_build_object('hold_transfer_id', '\(secondHold)')", ledger: hold45), "opens hold \(secondHold) beside its open hold \(hold)")
        let fresh = "jsonb_build_object('id', '\(newId("mtg_"))', 'version', 1, 'start_at', m.start_at + interval '7 days')"
        try assertStepRefused(
            step(s, row: fresh + " || jsonb_build_object('credit_status', 'none', 'hold_transfer_id', NULL)", ledger: hold45, expected: nil),
            "but the row holds nothing")
        try assertStepRefused(
            step(s, row: fresh + " || jsonb_build_object('credit_status', 'returned', 'hold_transfer_id', NULL)", ledger: release, expected: nil),
            "a new meeting with credit_status returned")

        // Another hold than the meeting's own (a second one made in its name) released by it.
        let stray = newId("trf_")
        let strayRelease = "jsonb_build_array(jsonb_build_object('op', 'release', 'id', '\(newId("trf_"))', 'hold_id', '\(stray)', 'reason', 'test'))"
        let report = try refusedInRolledBackTransaction("""
            SELECT ledger_transfer(\(s.communityLiteral), '\(stray)', \(Psql.literal(s.wallet)), \(Psql.literal(s.earnings)), 5, 'hold', 'pending',
                                   \(Psql.literal(s.meetingId)), NULL, NULL, NULL, NULL);
            \(step(s, row: "jsonb_build_object('status', 'cancelled', 'credit_status', 'returned', 'hold_transfer_id', NULL)", ledger: strayRelease))
            """)
        XCTAssertTrue(report.contains("meetings_ledger_step") && report.contains("resolves hold \(stray), not its own \(hold)"), report)

        // An agreed meeting taken back to wait for the user, its price changed while its hold
        // stays (a request's counter-offers may change the price; an agreed meeting's moves its
        // hold with it).
        try meetingd.result("meeting.confirm", as: s.expert, ["meeting_id": .string(s.meetingId)])
        try assertStepRefused(
            step(s, row: "jsonb_build_object('status', 'awaiting_approval', 'user_approved', false, 'price_credits', 1)"), "price 45 becomes 1 while its hold stays")

        // What the service writes passes: the session logged, its whole price captured and the
        // fee a part of it (rolled back).
        let allowed = try Psql.run(databaseURL, ["BEGIN", step(s, row: logged, ledger: capture(45, fee: 4)), "ROLLBACK"])
        XCTAssertTrue(allowed.succeeded, allowed.stderr)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true, "all of it was rolled back")
    }

    /// Grants, adjustments and payouts name a finance person of the community (or, for a grant,
    /// an admin); anyone else, or someone of another community, is refused.
    func testStaffMovementsAreMadeByFinanceStaff() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let other = try LedgerCommunity.make(on: meetingd, #function + "-other")
        let c = s.communityLiteral, wallet = Psql.literal(s.wallet), earnings = Psql.literal(s.earnings)
        let issuance = "ledger_account(\(c), 'issuance', NULL)", payouts = "ledger_account(\(c), 'payouts', NULL)"
        func transfer(_ debit: String, _ credit: String, _ kind: String, actor: String) -> String {
            "SELECT * FROM ledger_transfer(\(c), 'trf_' || md5(random()::text), \(debit), \(credit), 5, '\(kind)', 'posted', NULL, "
                + "'ref-' || md5(random()::text), 'why', \(Psql.literal(actor)), NULL)"
        }
        for (statement, who) in [
            (transfer(issuance, wallet, "grant", actor: s.expert), "a grant is made by finance staff or an admin of the community, not by \(s.expert)"),
            (transfer(issuance, wallet, "grant", actor: "per_nobody"), "not by per_nobody"),
            (transfer(issuance, wallet, "grant", actor: other.financeId), "not by \(other.financeId)"),
            (transfer(issuance, wallet, "adjustment", actor: s.ledger.adminId), "an adjustment is made by finance staff of the community"),
            (transfer(earnings, payouts, "payout", actor: s.user), "a payout is made by finance staff of the community, not by \(s.user)"),
        ] {
            let report = try refusedInRolledBackTransaction(statement)
            XCTAssertTrue(report.contains("23514") && report.contains("transfers_staff_actor") && report.contains(who), "\(statement):\n\(report)")
        }
        let allowed = try Psql.run(databaseURL, [
            "BEGIN", transfer(issuance, wallet, "grant", actor: s.ledger.adminId), transfer(issuance, wallet, "adjustment", actor: s.ledger.financeId),
            transfer(earnings, payouts, "payout", actor: s.ledger.financeId), "ROLLBACK",
        ])
        XCTAssertTrue(allowed.succeeded, allowed.stderr)
    }

    /// Rows written before these rules (here around every guard: replica mode skips triggers,
    /// foreign keys and the functions' checks, the rows written straight into the tables) are
    /// named by reconcile: a fee over its capture, a logged session's short capture, a staff
    /// movement, a message and an event of no person of the community.
    func testReconcileNamesOlderRowsTheRulesRefuse() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        let (capture, fee, grant, message, event) = (newId("trf_"), newId("trf_"), newId("trf_"), newId("out_"), newId("evt_"))
        let earnings = Psql.literal(s.earnings), revenue = "ledger_account(\(c), 'platform_revenue', NULL)"
        let run = try Psql.run(databaseURL, [
            "BEGIN", "SET LOCAL session_replication_role = replica",
            "SELECT count(*) FROM ledger_movement_problems(\(c))",
            rawTransfer(s, capture, Psql.literal(s.wallet), earnings, 1, "capture", "post_pending", pending: Psql.literal(s.holdId), meeting: meeting),
            rawTransfer(s, fee, earnings, revenue, 30, "fee", "posted", meeting: meeting),
            """
            UPDATE meetings SET status = 'completed', credit_status = 'paid', hold_transfer_id = NULL, attendance = 'attended', logged_at = now(),
                duration_minutes = length_minutes WHERE community_id = \(c) AND id = \(meeting)
            """,
            rawTransfer(s, grant, "ledger_account(\(c), 'issuance', NULL)", Psql.literal(s.wallet), 5, "grant", "posted", actor: "'per_nobody'"),
            """
            INSERT INTO outbox (community_id, id, seq, kind, channel, recipient_id, payload, available_at, created_at)
            VALUES (\(c), '\(message)', nextval(ml_number_sequence('outbox', \(c))::regclass), 'test', 'notification', 'per_nobody', '{}', now(), now())
            """,
            """
            INSERT INTO meeting_events (community_id, id, seq, meeting_id, kind, actor_id, actor_role, created_at)
            VALUES (\(c), '\(event)', nextval(ml_number_sequence('meeting_events', \(c))::regclass), \(meeting), 'test', 'per_nobody', 'user', now())
            """,
            "SELECT kind || ' ' || subject FROM ledger_movement_problems(\(c)) ORDER BY 1",
            "ROLLBACK",
        ])
        XCTAssertTrue(run.succeeded, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init), [
            "0", "event_actor \(event)", "meeting_capture \(s.meetingId)", "meeting_fee \(s.meetingId)", "outbox_recipient \(message)", "transfer_actor \(grant)",
        ])
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true, "all of it was rolled back")
    }

    /// A message's recipient and an event's actor are persons of the community: another
    /// community's person is refused by the foreign keys, whoever writes the row.
    func testMessagesAndEventsNameOnlyPersonsOfTheCommunity() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let other = try LedgerCommunity.make(on: meetingd, #function + "-other")
        let c = s.communityLiteral, stranger = Psql.literal(other.financeId)
        let message = try refusedInRolledBackTransaction("""
            INSERT INTO outbox (community_id, id, seq, kind, channel, recipient_id, payload, available_at, created_at)
            VALUES (\(c), '\(newId("out_"))', nextval(ml_number_sequence('outbox', \(c))::regclass), 'test', 'notification', \(stranger), '{}', now(), now())
            """)
        XCTAssertTrue(message.contains("23503") && message.contains("outbox_recipient_fk"), message)
        let event = try refusedInRolledBackTransaction("""
            INSERT INTO meeting_events (community_id, id, seq, meeting_id, kind, actor_id, actor_role, created_at)
            VALUES (\(c), '\(newId("evt_"))', nextval(ml_number_sequence('meeting_events', \(c))::regclass), \(Psql.literal(s.meetingId)), 'test',
                    \(stranger), 'user', now())
            """)
        XCTAssertTrue(event.contains("23503") && event.contains("meeting_events_actor_fk"), event)
    }

    /// A meeting whose story ended keeps it (its status, times, price, credits and attendance),
    /// and no meeting changes hands, whoever writes the row (migration 0148).
    func testAnEndedMeetingKeepsItsStoryAndNoMeetingChangesHands() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId)
        let other = try s.ledger.person(on: meetingd, ["expert"])
        let moved = try refusedInRolledBackTransaction("UPDATE meetings SET expert_id = \(Psql.literal(other)) WHERE community_id = \(c) AND id = \(meeting)")
        XCTAssertTrue(moved.contains("55000") && moved.contains("keeps its user, expert and student"), moved)

        let withdrawn = try meetingd.result("meeting.withdraw", as: s.user, ["meeting_id": .string(s.meetingId)])
        XCTAssertEqual(withdrawn["status"], "cancelled")
        for change in [
            "price_credits = 7", "status = 'awaiting_approval', credit_status = 'none'", "start_at = start_at + interval '1 day', end_at = end_at + interval '1 day'",
            "attendance = 'attended', logged_at = now(), status = 'completed', duration_minutes = 60",
        ] {
            let report = try refusedInRolledBackTransaction("UPDATE meetings SET \(change), version = version + 1 WHERE community_id = \(c) AND id = \(meeting)")
            XCTAssertTrue(report.contains("55000") && report.contains("is cancelled: its story ended"), "\(change):\n\(report)")
        }
        let allowed = try Psql.run(databaseURL, ["BEGIN", "UPDATE meetings SET note = 'kept' WHERE community_id = \(c) AND id = \(meeting)", "ROLLBACK"])
        XCTAssertTrue(allowed.succeeded, "what is not its story may change: \(allowed.stderr)")
    }


    /// Older rows the rules of 0150 refuse are named too (written around every guard: replica
    /// mode, the meetings' row rules dropped inside the transaction): a session logged as
    /// attended that paid nothing, and two fees on one capture.
    func testReconcileNamesALoggedSessionUnpaidAndAFeeTooMany() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, meeting = Psql.literal(s.meetingId), earnings = Psql.literal(s.earnings)
        let revenue = "ledger_account(\(c), 'platform_revenue', NULL)"
        func fee() -> String { rawTransfer(s, newId("trf_"), earnings, revenue, 1, "fee", "posted", meeting: meeting) }
        var run = ToolResult(termination: .exited(1), stdout: "", stderr: "not run")
        // The ALTER takes the table until the rollback: it waits at most 100 ms and tries again,
        // so the tests beside it never queue behind it for long.
        for _ in 0..<200 {
            run = try Psql.run(databaseURL, [
                "BEGIN", "SET LOCAL lock_timeout = '100ms'", "SET LOCAL session_replication_role = replica",
                "ALTER TABLE meetings DROP CONSTRAINT meetings_row_rules",
                """
                UPDATE meetings SET status = 'completed', attendance = 'attended', logged_at = now(), duration_minutes = 60, credit_status = 'returned',
                    hold_transfer_id = NULL WHERE community_id = \(c) AND id = \(meeting)
                """,
                rawTransfer(s, newId("trf_"), Psql.literal(s.wallet), earnings, 45, "capture", "post_pending", pending: Psql.literal(s.holdId), meeting: meeting),
                fee(), fee(),
                "SELECT kind || ' ' || subject FROM ledger_movement_problems(\(c)) ORDER BY 1",
                "ROLLBACK",
            ])
            guard !run.succeeded, run.stderr.contains("lock timeout") else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(run.succeeded, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init),
                       ["meeting_attendance \(s.meetingId)", "meeting_fee \(s.meetingId)"], run.stdout)
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true, "all of it was rolled back")
    }

}
