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
}
