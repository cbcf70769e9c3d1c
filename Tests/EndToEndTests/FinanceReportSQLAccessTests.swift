import Foundation
import XCTest

/// Issue 14, "SQL access per community: the finance SQL role sees only its own community's rows
/// … and COMMENT ON every view and column" — for every view a finance role is granted, today's
/// and any added later, found in the catalog rather than listed by hand.
final class FinanceReportSQLAccessTests: EndToEndTestCase {
    /// The relations finance roles may read: whatever the group role holds SELECT on.
    func grantedViews() throws -> [String] {
        try Psql.query(databaseURL, """
            SELECT table_name FROM information_schema.role_table_grants
            WHERE grantee = 'meetingledger_finance' AND privilege_type = 'SELECT' AND table_schema = 'public' ORDER BY table_name
            """)
    }

    func testEveryGrantedViewShowsACommunityRoleOnlyItsCommunitysRows() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let a = try ReportLedger.make(on: meetingd, #function + " A")
        let b = try ReportLedger.make(on: meetingd, #function + " B")
        let roleA = try FinanceSQLRole.create(databaseURL, community: a.ledger.community.id).dropAtEnd(of: self)
        let views = try grantedViews()
        XCTAssertTrue(Set(views).isSuperset(of: ["finance_accounts", "finance_transfers", "finance_meeting_trail"]), "\(views)")
        let session = try PsqlSession(roleA.conninfo)
        defer { session.close() }
        for view in views {
            XCTAssertEqual(try session.query("SELECT DISTINCT community_id FROM \(view);"), [a.ledger.community.id], "\(view) shows role A its community only")
            XCTAssertEqual(try session.query("SELECT count(*) FROM \(view) WHERE community_id = \(Psql.literal(b.ledger.community.id));"), ["0"],
                           "\(view): not a row of community B, even when asked for")
            XCTAssertEqual(
                try session.query("SELECT count(*) FROM \(view);"),
                try Psql.query(databaseURL, "SELECT count(*) FROM \(view) WHERE community_id = \(Psql.literal(a.ledger.community.id))"),
                "\(view): every row of its own community")
        }
        // The same figures a finance person reads through meetctl's reports, from SQL.
        XCTAssertEqual(
            try session.query("SELECT sum(posted_balance) || '/' || sum(blocked) FROM finance_accounts WHERE kind = 'user_wallet';"), ["650/50"])
        // What the wallets hold is on its way to the experts' earnings: their incoming credits,
        // as meetctl's accounts and balance call them (the view had no such column).
        XCTAssertEqual(try session.query("SELECT sum(incoming) FROM finance_accounts WHERE kind = 'expert_earnings';"), ["50"])
    }

    func testEveryFinanceViewAndColumnIsDescribed() throws {
        let undescribed = try Psql.query(databaseURL, """
            SELECT c.relname || coalesce('.' || a.attname, '') FROM pg_class c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'r')
              AND (c.relname LIKE 'finance\\_%' OR c.relname IN (SELECT table_name FROM information_schema.role_table_grants
                                                                 WHERE grantee = 'meetingledger_finance'))
              AND (a.attname IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NULL)
            ORDER BY 1
            """)
        XCTAssertEqual(undescribed, [], "COMMENT ON every finance view, table and column")
    }

    /// finance_transfers.signed_amount is the movement's direction for the account, not its
    /// effect: the comment says so, and says how a balance's change is read (this row's *_after
    /// minus the account's previous row's). That recipe, run by a finance role, gives exactly
    /// what ledger.statement reports for every entry of a wallet with a grant, a hold and its
    /// release (whose signed_amount is negative though it gives the credits back).
    func testTheViewsBalanceChangesAreWhatTheStatementReports() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        try meetingd.result("meeting.withdraw", as: s.user, ["meeting_id": .string(s.meetingId)])
        let role = try FinanceSQLRole.create(databaseURL, community: s.ledger.community.id).dropAtEnd(of: self)
        let session = try PsqlSession(role.conninfo)
        defer { session.close() }
        let fromView = try session.query("""
            SELECT seq || ' ' || phase || ' ' || signed_amount || ' '
                   || (posted_balance_after - coalesce(lag(posted_balance_after) OVER w, 0)) || ' '
                   || (blocked_after - coalesce(lag(blocked_after) OVER w, 0)) || ' '
                   || (available_after - coalesce(lag(available_after) OVER w, 0))
            FROM finance_transfers WHERE account_id = \(Psql.literal(s.wallet))
            WINDOW w AS (ORDER BY created_at, seq) ORDER BY created_at, seq;
            """)
        let entries = try meetingd.result("ledger.statement", as: s.ledger.financeId, ["account_id": .string(s.wallet)])["items"]?.array ?? []
        let fromStatement = entries.map { e in
            [e["seq"], e["phase"], e["credits"], e["posted_change"], e["blocked_change"], e["available_change"]]
                .map { $0?.int.map(String.init) ?? $0?.string ?? "?" }.joined(separator: " ")
        }
        XCTAssertEqual(fromView, fromStatement)
        XCTAssertEqual(fromView.map { $0.split(separator: " ").dropFirst().joined(separator: " ") },
                       ["posted 100 100 0 100", "pending -45 0 45 -45", "void_pending -45 0 -45 45"],
                       "a grant of 100, the hold of 45, its release")
        let comment = try Psql.query(databaseURL, """
            SELECT col_description(attrelid, attnum) FROM pg_attribute WHERE attrelid = 'finance_transfers'::regclass AND attname = 'signed_amount'
            """)
        XCTAssertTrue(comment.joined().contains("not its effect on a balance"), "\(comment)")
    }
}
