import Foundation
import XCTest

/// SPEC §4: finance staff's database role reads the finance views of its own community and
/// nothing else: no writes of any kind, no lock that could stall meetingd, and only its own
/// community's rows (a platform-wide role only where an operator asks for one). Roles are made
/// as an operator makes them (README: "Finance staff's SQL access").
final class FinanceRoleTests: EndToEndTestCase {
    static let views = ["finance_accounts", "finance_transfers", "finance_meeting_trail"]

    /// What each view must show of one community, counted in the base tables by the superuser.
    func baseCounts(_ s: SeededLedger) throws -> [String] {
        let c = s.communityLiteral
        return try Psql.query(databaseURL, """
            SELECT (SELECT count(*) FROM accounts WHERE community_id = \(c)) || '/' ||
                   (SELECT 2 * count(*) FROM transfers WHERE community_id = \(c)) || '/' ||
                   (SELECT count(*) FROM transfers WHERE community_id = \(c) AND meeting_id IS NOT NULL)
            """)
    }

    func viewCounts(_ session: PsqlSession, where condition: String = "true") throws -> [String] {
        try session.query(
            "SELECT " + Self.views.map { "(SELECT count(*) FROM \($0) WHERE \(condition))" }.joined(separator: " || '/' || ") + ";")
    }

    func testACommunityRoleSeesItsCommunityAndNoOther() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let a = try SeededLedger.make(on: meetingd, "finance scope A")
        let b = try SeededLedger.make(on: meetingd, "finance scope B")
        let roleA = try FinanceSQLRole.create(databaseURL, community: a.ledger.community.id).dropAtEnd(of: self)
        let session = try PsqlSession(roleA.conninfo)

        XCTAssertEqual(try viewCounts(session), try baseCounts(a), "without a condition of its own, the role sees exactly its community's rows")
        XCTAssertEqual(try viewCounts(session, where: "community_id = \(b.communityLiteral)"), ["0/0/0"])
        for view in Self.views {
            XCTAssertEqual(try session.query("SELECT DISTINCT community_id FROM \(view);"), [a.ledger.community.id], view)
        }
        // A function in the caller's own condition, which reports every value it is given and
        // which the planner would run first (it costs nothing), never sees another community's
        // row: the views are security barriers. (A finance role cannot create functions; the
        // superuser makes this one for it, as the worst case.)
        let leak = "leak_\(TestEnvironment.uniqueTag())"
        _ = try Psql.query(databaseURL, """
            CREATE FUNCTION public.\(leak)(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$ BEGIN RAISE NOTICE 'seen %', $1; RETURN true; END $$;
            GRANT EXECUTE ON FUNCTION public.\(leak)(text) TO \(roleA.name)
            """)
        addTeardownBlock { [databaseURL] in _ = try? Psql.run(databaseURL, ["DROP FUNCTION IF EXISTS public.\(leak)(text)"]) }
        for view in Self.views {
            let seen = try session.run("SELECT count(*) FROM \(view) WHERE \(leak)(community_id);").error
            XCTAssertTrue(seen.contains("seen \(a.ledger.community.id)"), "the function ran on the role's own rows: \(seen)")
            XCTAssertFalse(seen.contains(b.ledger.community.id), "\(view): a condition of the caller's saw another community's row")
        }
        _ = try Psql.query(databaseURL, "DROP FUNCTION public.\(leak)(text)")
        session.close()

        let platform = try FinanceSQLRole.create(databaseURL, community: nil).dropAtEnd(of: self)
        let bothCommunities = "community_id IN (\(a.communityLiteral), \(b.communityLiteral))"
        let platformSession = try PsqlSession(platform.conninfo)
        let expected = try zip(baseCounts(a)[0].split(separator: "/"), baseCounts(b)[0].split(separator: "/"))
            .map { String(Int($0)! + Int($1)!) }.joined(separator: "/")
        XCTAssertEqual(try viewCounts(platformSession, where: bothCommunities), [expected], "a platform-wide role sees every community")
        platformSession.close()

        let group = try Psql.run(Psql.conninfo(databaseURL, user: "meetingledger_finance"), ["SELECT 1"])
        XCTAssertFalse(group.succeeded, "the group role holding the grants is confined to nothing and cannot log in")
        XCTAssertTrue(group.stderr.contains("not permitted to log in"), group.stderr)

        try roleA.drop()
        let dropped = try Psql.run(roleA.conninfo, ["SELECT 1"])
        XCTAssertFalse(dropped.succeeded, "a dropped finance role cannot connect")
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT count(*) FROM finance_roles WHERE role_name = \(Psql.literal(roleA.name))"), ["0"])
    }

    /// What a restore leaves (README: Backups and restores). Restored into another cluster, a
    /// role comes back with another oid and its row confined it to nothing: it saw no rows and
    /// nothing said so. Restoring an older backup leaves a role made since without a row. Both are
    /// listed by finance_role_problems() and at meetingd's start, with their fixes, which work.
    func testWhatARestoreLeavesBetweenFinanceRolesAndTheirRowsIsListedAndFixed() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, "finance restore")
        let role = try FinanceSQLRole.create(databaseURL, community: s.ledger.community.id).dropAtEnd(of: self)
        let name = Psql.literal(role.name)
        func problems() throws -> [String] {
            try Psql.query(databaseURL, "SELECT problem || ' => ' || fix FROM finance_role_problems() WHERE problem LIKE '%' || \(name) || '%'")
        }
        XCTAssertEqual(try problems(), [])

        // The row as a dump from another cluster carries it: the oid the role had there.
        _ = try Psql.query(databaseURL, "UPDATE finance_roles SET role_oid = (SELECT max(oid)::bigint + 100000 FROM pg_roles)::oid WHERE role_name = \(name) RETURNING 1")
        let session = try PsqlSession(role.conninfo)
        XCTAssertEqual(try viewCounts(session), ["0/0/0"], "confined to nothing")
        let listed = try problems()
        XCTAssertEqual(listed.count, 1)
        XCTAssertTrue(listed.first?.contains("restored from another cluster") == true && listed.first?.contains("finance_role_reattach()") == true, "\(listed)")
        let started = try startMeetingd()
        _ = try started.call("system.ping")
        XCTAssertNoThrow(try started.waitForLog("meetingd warns at start", where: {
            let message = $0["message"]?.string ?? ""
            return message.contains(role.name) && message.contains("finance_role_reattach")
        }))
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT role_name FROM finance_role_reattach() WHERE role_name = \(name)"), [role.name])
        XCTAssertEqual(try viewCounts(session), try baseCounts(s), "the role sees its community again")
        XCTAssertEqual(try problems(), [])
        session.close()

        // Restored twice over: each of two rows carries the oid the other role has here. One
        // call attaches both.
        let other = try FinanceSQLRole.create(databaseURL, community: s.ledger.community.id).dropAtEnd(of: self)
        let otherName = Psql.literal(other.name)
        _ = try Psql.query(databaseURL, """
            UPDATE finance_roles SET role_oid = (SELECT max(oid)::bigint + 100000 FROM pg_roles)::oid WHERE role_name = \(name);
            UPDATE finance_roles SET role_oid = \(name)::regrole WHERE role_name = \(otherName);
            UPDATE finance_roles SET role_oid = \(otherName)::regrole WHERE role_name = \(name) RETURNING 1
            """)
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT role_name FROM finance_role_reattach() ORDER BY 1"), [role.name, other.name].sorted())
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT count(*) FROM finance_role_problems() WHERE problem LIKE '%' || \(otherName) || '%'"), ["0"])
        XCTAssertEqual(try problems(), [])
        let again = try PsqlSession(other.conninfo)
        XCTAssertEqual(try viewCounts(again), try baseCounts(s), "the other role sees its community again")
        again.close()

        // An older backup restored: the role was made after it, so its row is gone.
        _ = try Psql.query(databaseURL, "DELETE FROM finance_roles WHERE role_name = \(name) RETURNING 1")
        let stranded = try problems()
        XCTAssertTrue(stranded.count == 1 && stranded[0].contains("without a finance role's row") && stranded[0].contains("DROP ROLE"), "\(stranded)")
        XCTAssertEqual(try Psql.query(databaseURL, "DROP ROLE \(role.name); SELECT finance_role_create(\(s.communityLiteral), \(name))"), [role.name],
                       "the fix works: the role is made again")
        XCTAssertEqual(try problems(), [])

        // Restored without the cluster's roles: the group is missing (renamed here inside a
        // transaction that is rolled back). The checks say so instead of failing.
        // The group is the cluster's, shared with the tests running beside this one: one making a
        // finance role at the same moment updates the same catalog row ("tuple concurrently
        // updated"), so the rolled-back rename is tried again then.
        var missing = try Psql.run(databaseURL, ["SELECT 'not run'"])
        for _ in 0..<20 {
            missing = try Psql.run(databaseURL, [
                "BEGIN; ALTER ROLE meetingledger_finance RENAME TO meetingledger_finance_away; "
                    + "SELECT count(*) FROM finance_access_problems(); SELECT problem FROM finance_role_problems(); ROLLBACK"
            ])
            guard !missing.succeeded, missing.stderr.contains("tuple concurrently updated") else { break }
            usleep(100_000)
        }
        XCTAssertTrue(missing.succeeded, missing.stderr)
        XCTAssertTrue(missing.stdout.hasPrefix("0\n") && missing.stdout.contains("meetingledger_finance does not exist"), missing.stdout)
    }

    /// A restore with --no-owner loses the default that keeps the functions meetingd's role
    /// makes later from PUBLIC (migration 0010): finance roles could run a later migration's
    /// functions, and nothing said so. finance_access_problems() lists it, and the functions left
    /// open meanwhile, and finance_lockdown() sets it again and closes them. (In a transaction
    /// rolled back: the shared database keeps its default.)
    func testALostDefaultOfNoExecuteIsListedAndTheLockdownSetsItAgain() throws {
        let run = try Psql.run(databaseURL, [
            """
            BEGIN;
            DO $$ BEGIN EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s GRANT EXECUTE ON FUNCTIONS TO PUBLIC',
                (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'public.accounts'::regclass)); END $$;
            SELECT 'listed: ' || fix FROM finance_access_problems();
            CREATE FUNCTION ml_test_later_a() RETURNS int LANGUAGE sql AS 'SELECT 1';
            SELECT 'before: ' || has_function_privilege('meetingledger_finance', 'ml_test_later_a()', 'EXECUTE');
            SELECT 'open: ' || privilege FROM finance_access_problems();
            SELECT 'still open: ' || count(*) FROM finance_lockdown();
            CREATE FUNCTION ml_test_later_b() RETURNS int LANGUAGE sql AS 'SELECT 1';
            SELECT 'after: ' || has_function_privilege('meetingledger_finance', 'ml_test_later_b()', 'EXECUTE')
                || ' ' || has_function_privilege('meetingledger_finance', 'ml_test_later_a()', 'EXECUTE');
            ROLLBACK;
            """,
        ])
        XCTAssertTrue(run.succeeded, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("listed: ALTER DEFAULT PRIVILEGES FOR ROLE ") && $0.hasSuffix("REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC") }, "\(lines)")
        XCTAssertTrue(lines.contains("before: true"), "a later function was open to finance roles: \(lines)")
        XCTAssertTrue(lines.contains("open: EXECUTE on ml_test_later_a()"), "the open function is listed: \(lines)")
        XCTAssertTrue(lines.contains("still open: 0"), "\(lines)")
        XCTAssertTrue(lines.contains("after: false false"), "the default set again, the open function closed: \(lines)")
    }

    /// Everything a hostile finance user might try, with the role's defaults (read-only
    /// transactions, timeouts) switched off first — the guarantees must not rest on them.
    func testAFinanceRoleCanNeitherWriteNorLock() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let role = try FinanceSQLRole.create(databaseURL, community: s.ledger.community.id).dropAtEnd(of: self)
        let session = try PsqlSession(role.conninfo)
        let c = s.communityLiteral
        let before = try Psql.query(databaseURL, """
            SELECT (SELECT count(*) FROM pg_largeobject_metadata) || '/' || (SELECT count(*) FROM transfers WHERE community_id = \(c))
                   || '/' || (SELECT sum(credits_posted + debits_posted + debits_pending + credits_pending) FROM accounts WHERE community_id = \(c))
            """)

        XCTAssertEqual(try session.query(
            "SELECT current_setting('default_transaction_read_only') || ' ' || current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') || ' ' || current_setting('idle_in_transaction_session_timeout');"),
            ["on 2min 5s 1min"], "the role's defaults")
        let readOnly = try session.run("CREATE TEMP TABLE scratch (a int);")
        XCTAssertTrue(readOnly.error.contains("read-only transaction"), readOnly.error)
        try session.query("SELECT set_config('default_transaction_read_only', 'off', false), set_config('statement_timeout', '0', false);")
        try session.query("SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0;")

        let wallet = Psql.literal(s.wallet), expert = Psql.literal(s.expert)
        let anyId = Psql.literal("trf_" + String(repeating: "a", count: 32))
        let counter = "ml_seq_transfers_" + s.ledger.community.id
        var refused: [(String, String)] = [
            ("SELECT pg_advisory_lock(hashtextextended(\(c) || '/' || \(expert), 0))", "permission denied for function pg_advisory_lock"),
            ("SELECT pg_advisory_lock(1, 2)", "permission denied for function pg_advisory_lock"),
            ("SELECT pg_advisory_lock_shared(1)", "permission denied for function pg_advisory_lock_shared"),
            ("SELECT pg_try_advisory_lock(1)", "permission denied for function pg_try_advisory_lock"),
            ("SELECT pg_try_advisory_lock_shared(1, 2)", "permission denied for function pg_try_advisory_lock_shared"),
            ("SELECT pg_advisory_xact_lock(hashtextextended(\(c) || '/' || \(expert), 0))", "permission denied for function pg_advisory_xact_lock"),
            ("SELECT pg_advisory_xact_lock_shared(1, 2)", "permission denied for function pg_advisory_xact_lock_shared"),
            ("SELECT pg_try_advisory_xact_lock(1)", "permission denied for function pg_try_advisory_xact_lock"),
            ("SELECT pg_try_advisory_xact_lock_shared(1)", "permission denied for function pg_try_advisory_xact_lock_shared"),
            ("SELECT lo_from_bytea(0, 'written')", "permission denied for function lo_from_bytea"),
            ("SELECT lo_create(0)", "permission denied for function lo_create"),
            ("SELECT lo_creat(-1)", "permission denied for function lo_creat"),
            ("SELECT lo_put(1, 0, 'x')", "permission denied for function lo_put"),
            ("SELECT lo_import('/etc/hostname')", "permission denied for function lo_import"),
            ("SELECT pg_notify('meetingledger', 'x')", "permission denied for function pg_notify"),
            ("SELECT pg_logical_emit_message(false, 'meetingledger', 'x')", "permission denied for function pg_logical_emit_message"),
            ("SELECT txid_current()", "permission denied for function txid_current"),
            ("SELECT pg_current_xact_id()", "permission denied for function pg_current_xact_id"),
            // The community's own counters (migration 0085): neither read, nor taken, nor set.
            ("SELECT nextval('\(counter)')", "permission denied for sequence \(counter)"),
            ("SELECT setval('\(counter)', 1)", "permission denied for sequence \(counter)"),
            ("SELECT last_value FROM \(counter)", "permission denied for sequence \(counter)"),
            ("SELECT nextval(ml_number_sequence('meeting_events', \(c)))", "permission denied for function ml_number_sequence"),
            // Nor watch another community's activity through the statistics (migration 0086).
            ("SELECT blks_hit FROM pg_statio_all_sequences", "permission denied for function pg_stat_get_"),
            ("SELECT n_live_tup, n_tup_ins FROM pg_stat_user_tables", "permission denied for function pg_stat_get_"),
            ("SELECT xact_commit FROM pg_stat_database", "permission denied for function pg_stat_get_"),
            ("CREATE TEMP TABLE scratch (a int)", "permission denied to create temporary tables"),
            ("CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "permission denied to create temporary tables"),
            ("CREATE TABLE public.scratch (a int)", "permission denied for schema public"),
            ("LOCK TABLE accounts IN ACCESS SHARE MODE", "permission denied for table accounts"),
            ("SELECT count(*) FROM accounts", "permission denied for table accounts"),
            ("SELECT count(*) FROM transfers", "permission denied for table transfers"),
            ("SELECT count(*) FROM people", "permission denied for table people"),
            ("SELECT count(*) FROM finance_roles", "permission denied for table finance_roles"),
            ("SELECT count(*) FROM finance_scope", "permission denied for view finance_scope"),
            ("SELECT count(*) FROM finance_everywhere", "permission denied for view finance_everywhere"),
            ("SELECT count(*) FROM finance_transfer_sides", "permission denied for view finance_transfer_sides"),
            ("UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE community_id = \(c) AND id = \(wallet)", "permission denied for table accounts"),
            ("DELETE FROM people WHERE community_id = \(c)", "permission denied for table people"),
            ("INSERT INTO finance_meeting_trail (community_id, meeting_id) VALUES (\(c), 'mtg_x')", "permission denied for view finance_meeting_trail"),
            ("UPDATE finance_accounts SET owner_email = 'x@example.test'", "cannot update view \"finance_accounts\""),
            ("DELETE FROM finance_transfers", "cannot delete from view"),
            ("SELECT * FROM ledger_transfer(\(c), \(anyId), \(Psql.literal(s.earnings)), \(wallet), 1, 'adjustment', 'posted', NULL, NULL, NULL, NULL, NULL)",
             "permission denied for function ledger_transfer"),
            ("SELECT finance_role_create(\(c), 'finance_escalated')", "permission denied for function finance_role_create"),
            ("SELECT * FROM finance_lockdown()", "permission denied for function finance_lockdown"),
            ("PREPARE TRANSACTION 'kept'", "prepared transactions are disabled"),
        ]
        for view in Self.views {
            for clause in ["FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE"] {
                refused.append(("SELECT * FROM \(view) \(clause)", "permission denied for view \(view)"))
            }
            for mode in ["ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "EXCLUSIVE", "ACCESS EXCLUSIVE"] {
                refused.append(("LOCK TABLE \(view) IN \(mode) MODE", "permission denied for view \(view)"))
            }
        }
        for (statement, expected) in refused {
            let run = try session.run("BEGIN READ WRITE; \(statement); ROLLBACK;")
            XCTAssertTrue(run.error.contains(expected), "\(statement) should be refused with \"\(expected)\": \(run.error.isEmpty ? "it succeeded" : run.error)")
        }
        // What PostgreSQL lets every session do and cannot be revoked, shown so it stays known:
        // locking a view as a read does (ACCESS SHARE, which only DDL waits for, and meetingd's
        // migrations wait at most their lock timeout), and NOTIFY, which meetingd never listens to.
        XCTAssertEqual(try session.run("BEGIN; LOCK TABLE finance_accounts IN ACCESS SHARE MODE; NOTIFY meetingledger; ROLLBACK;").error, "")

        XCTAssertEqual(try Psql.query(databaseURL, """
            SELECT (SELECT count(*) FROM pg_largeobject_metadata) || '/' || (SELECT count(*) FROM transfers WHERE community_id = \(c))
                   || '/' || (SELECT sum(credits_posted + debits_posted + debits_pending + credits_pending) FROM accounts WHERE community_id = \(c))
            """), before, "nothing was written")
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }

    func testAStatementPastTheRolesTimeoutIsCut() throws {
        let community = try bootstrap()
        let role = try FinanceSQLRole.create(databaseURL, community: community.id, statementTimeout: "1 second").dropAtEnd(of: self)
        let started = Date()
        let sleep = try Psql.run(role.conninfo, ["SELECT pg_sleep(60)"])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertFalse(sleep.succeeded)
        XCTAssertTrue(sleep.stderr.contains("statement timeout"), sleep.stderr)
        XCTAssertLessThan(elapsed, 10, "cut after about a second")
        print("FinanceRoleTests: a 60 s pg_sleep was cut after \(String(format: "%.2f", elapsed)) s (statement_timeout 1 s, psql start included)")
    }

    func testConnectionsPastTheRolesLimitAreRefused() throws {
        let community = try bootstrap()
        let role = try FinanceSQLRole.create(databaseURL, community: community.id, connectionLimit: 2).dropAtEnd(of: self)
        let first = try PsqlSession(role.conninfo), second = try PsqlSession(role.conninfo)
        XCTAssertEqual(try first.query("SELECT 1;"), ["1"])
        XCTAssertEqual(try second.query("SELECT 1;"), ["1"])
        let third = try Psql.run(role.conninfo, ["SELECT 1"])
        XCTAssertFalse(third.succeeded)
        XCTAssertTrue(third.stderr.contains("too many connections for role"), third.stderr)

        first.close()
        let deadline = Date().addingTimeInterval(10)
        var again = try Psql.run(role.conninfo, ["SELECT 1"])
        while !again.succeeded && Date() < deadline {  // the first session's backend ends a moment after psql
            usleep(100_000)
            again = try Psql.run(role.conninfo, ["SELECT 1"])
        }
        XCTAssertTrue(again.succeeded, "a slot is free again once a session ends: \(again.stderr)")
        second.close()
    }

    /// End to end: while a finance session tries every lock it could want and then sits in an
    /// open transaction, sleeping, over all three views, bookings and grants through meetingd go
    /// straight through. (Before the lockdown, the advisory lock was granted and every request
    /// for that expert waited until the session ended.)
    func testNothingAFinanceRoleDoesStallsMeetingRequests() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let ledger = try LedgerCommunity.make(on: meetingd, #function)
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 20)
        try ledger.grant(on: meetingd, 100, to: user)
        let role = try FinanceSQLRole.create(databaseURL, community: ledger.community.id).dropAtEnd(of: self)
        let hostile = try PsqlSession(role.conninfo)
        let c = Psql.literal(ledger.community.id)

        let locks = [
            "SELECT pg_advisory_lock(hashtextextended(\(c) || '/' || \(Psql.literal(booking.expertId)), 0));",
            "SELECT pg_advisory_lock(hashtextextended(\(c) || '/' || \(Psql.literal(user)), 2));",
            "SELECT pg_try_advisory_lock(hashtextextended(\(c) || '/' || \(Psql.literal(booking.expertId)), 0));",
        ]
        for lock in locks {
            XCTAssertTrue(try hostile.run(lock).error.contains("permission denied"), "the finance role took a lock meetingd uses: \(lock)")
        }
        try hostile.query("""
            SET statement_timeout = 0; BEGIN;
            SELECT count(*) FROM finance_accounts; SELECT count(*) FROM finance_transfers; SELECT count(*) FROM finance_meeting_trail;
            LOCK TABLE finance_accounts, finance_transfers, finance_meeting_trail IN ACCESS SHARE MODE;
            """)
        try hostile.start("SELECT pg_sleep(8);")

        for hour in 1...3 {
            let started = Date()
            let meeting = try meetingd.call(
                "meeting.request", as: user, booking.requestParams(start: ledgerEpoch.addingTimeInterval(86_400 + Double(hour) * 3_600)), timeout: 20)
            let elapsed = Date().timeIntervalSince(started)
            XCTAssertEqual(meeting["result"]?["status"], "awaiting_approval", "\(meeting)")
            XCTAssertLessThan(elapsed, 5, "meeting.request waited on the finance session")
        }
        let started = Date()
        try ledger.grant(on: meetingd, 10, to: user)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        hostile.close()
    }

    /// A community's role reads its own rows by the tables' community indexes, never by reading
    /// every community's rows: its cost does not grow with other communities' history (the plan,
    /// with sequential scans priced out, takes each table by an index on the community).
    func testACommunityRoleReadsItsRowsByTheCommunityIndexes() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let a = try SeededLedger.make(on: meetingd, "finance by index")
        let role = try FinanceSQLRole.create(databaseURL, community: a.ledger.community.id).dropAtEnd(of: self)
        let session = try PsqlSession(role.conninfo)
        defer { session.close() }
        _ = try session.run("SET enable_seqscan = off;")
        for (view, table) in [("finance_transfers", "transfers"), ("finance_meeting_trail", "transfers"), ("finance_accounts", "accounts")] {
            let plan = try session.query("EXPLAIN SELECT * FROM \(view) ORDER BY community_id DESC LIMIT 50;").joined(separator: "\n")
            XCTAssertFalse(plan.contains("Seq Scan on \(table)"), "\(view) reads every community's \(table):\n\(plan)")
            XCTAssertTrue(plan.contains("community_id = ANY"), "\(view) takes \(table) by its community:\n\(plan)")
        }
        XCTAssertEqual(try viewCounts(session), try baseCounts(a), "and sees exactly its community's rows")
    }

    func testEveryFinanceViewAndColumnIsDescribed() throws {
        let community = try bootstrap()
        let role = try FinanceSQLRole.create(databaseURL, community: community.id).dropAtEnd(of: self)
        let undescribed = try Psql.query(role.conninfo, """
            SELECT c.relname || coalesce('.' || a.attname, '') FROM pg_class c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
            WHERE c.relname IN ('finance_accounts', 'finance_transfers', 'finance_meeting_trail') AND c.relnamespace = 'public'::regnamespace
              AND (a.attname IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NULL)
            """)
        XCTAssertEqual(undescribed, [], "COMMENT ON every finance view and column")
    }

    func testRoleCreationRefusesBadInputAndChangesNothing() throws {
        let community = try bootstrap()
        let c = Psql.literal(community.id)
        let cases: [(String, String)] = [
            ("SELECT finance_role_create(\(c), 'Finance; DROP ROLE postgres')", "22023"),
            ("SELECT finance_role_create(\(c), 'pg_finance')", "22023"),
            ("SELECT finance_role_create(\(c), 'ab')", "22023"),
            ("SELECT finance_role_create(\(c), NULL)", "22023"),
            ("SELECT finance_role_create(\(c), 'postgres')", "42710"),
            ("SELECT finance_role_create(\(c), 'meetingledger_finance')", "42710"),
            ("SELECT finance_role_create('com_' || repeat('0', 32), 'finance_nowhere')", "P0002"),
            ("SELECT finance_role_create(NULL, 'finance_nowhere')", "P0002"),
            ("SELECT finance_role_create(\(c), 'finance_too_many', 0)", "22023"),
            ("SELECT finance_role_create(\(c), 'finance_too_long', 2, '2 hours')", "22023"),
            ("SELECT finance_role_drop('postgres')", "P0002"),
        ]
        for (statement, sqlState) in cases {
            let run = try Psql.run(databaseURL, ["\\set VERBOSITY verbose", statement])
            XCTAssertFalse(run.succeeded, "accepted: \(statement)")
            XCTAssertTrue(run.stderr.contains(sqlState), "\(statement) should fail with \(sqlState): \(run.stderr)")
            // A taken name: the hint says how each kind of role is removed (it sent a role of no
            // row here to finance_role_drop, which refuses it).
            if sqlState == "42710" { XCTAssertTrue(run.stderr.contains("finance_role_problems()"), run.stderr) }
        }
        // Other tests create and drop roles meanwhile: only the names tried here are looked at.
        XCTAssertEqual(try Psql.query(databaseURL, """
            SELECT rolname || ' ' || rolcanlogin || ' ' || rolsuper FROM pg_roles
            WHERE rolname IN ('postgres', 'meetingledger_finance', 'pg_finance', 'ab', 'finance_nowhere', 'finance_too_many', 'finance_too_long')
               OR rolname ILIKE 'finance; drop%' ORDER BY rolname
            """), ["meetingledger_finance false false", "postgres true true"], "no role was created, dropped or changed")
    }

    /// A role without CREATEROLE cannot run the migrations that make the finance roles: the
    /// failure names the migration and says what the role needs; given it, migrate goes on.
    func testAServiceRoleWithoutCreateRoleIsToldWhatItNeeds() throws {
        let tag = TestEnvironment.uniqueTag()
        let serviceRole = "service_\(tag)", database = "meetingledger_\(tag)"
        _ = try Psql.query(databaseURL, "CREATE ROLE \(serviceRole) LOGIN")
        _ = try Psql.query(databaseURL, "CREATE DATABASE \(database) OWNER \(serviceRole)")
        addTeardownBlock { [databaseURL] in
            _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(database) WITH (FORCE)", "DROP ROLE IF EXISTS \(serviceRole)"])
        }
        let serviceURL = Psql.conninfo(Psql.conninfo(databaseURL, "dbname", database), user: serviceRole)
        let refused = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": serviceURL])
        XCTAssertEqual(refused.termination, .exited(1), refused.stderr)
        XCTAssertTrue(refused.stderr.range(of: #"migration \d{4}_\w+ failed"#, options: .regularExpression) != nil, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("CREATEROLE"), "says what the role needs: \(refused.stderr)")
        _ = try Psql.query(databaseURL, "ALTER ROLE \(serviceRole) CREATEROLE")
        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": serviceURL])
        XCTAssertTrue(migrated.succeeded, migrated.stderr)
    }

    /// meetingd's role need not be a superuser: it migrates, but cannot take the lock functions
    /// of pg_catalog away from PUBLIC. It says so at every start, refuses to create finance
    /// roles until a superuser has run finance_lockdown(), and keeps the advisory locks it uses.
    func testAServiceRoleThatIsNotSuperuserSaysWhatOnlyASuperuserCanClose() throws {
        let tag = TestEnvironment.uniqueTag()
        let serviceRole = "service_\(tag)", database = "meetingledger_\(tag)", financeRole = "finance_\(tag)"
        _ = try Psql.query(databaseURL, "CREATE ROLE \(serviceRole) LOGIN CREATEROLE")
        _ = try Psql.query(databaseURL, "CREATE DATABASE \(database) OWNER \(serviceRole)")
        addTeardownBlock { [databaseURL] in
            _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(database) WITH (FORCE)", "DROP ROLE IF EXISTS \(financeRole)", "DROP ROLE IF EXISTS \(serviceRole)"])
        }
        let superuserURL = Psql.conninfo(databaseURL, "dbname", database)
        let serviceURL = Psql.conninfo(superuserURL, user: serviceRole)

        let migrate = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": serviceURL])
        XCTAssertTrue(migrate.succeeded, migrate.stderr)
        XCTAssertTrue(migrate.stderr.contains("finance SQL roles are not locked down"), "the start says what is still open: \(migrate.stderr)")
        XCTAssertTrue(migrate.stderr.contains("has CREATEROLE") && migrate.stderr.contains("NOCREATEROLE"),
                      "and that its role can grant itself the server's roles: \(migrate.stderr)")
        // It can: PostgreSQL 15 lets a CREATEROLE role grant itself pg_execute_server_program.
        let granted = try Psql.run(serviceURL, ["BEGIN", "GRANT pg_execute_server_program TO \(serviceRole)", "ROLLBACK"])
        XCTAssertTrue(granted.succeeded, "what the warning is about: \(granted.stderr)")
        let open = try Psql.query(serviceURL, "SELECT privilege FROM finance_access_problems()")
        XCTAssertTrue(open.contains("EXECUTE on pg_advisory_lock(bigint)") && open.contains("EXECUTE on lo_from_bytea(oid,bytea)"), "\(open)")
        XCTAssertTrue(open.contains("EXECUTE on pg_stat_get_blocks_hit(oid)"), "the statistics too: \(open)")
        XCTAssertFalse(open.contains { $0.hasPrefix("TEMPORARY") || $0.hasPrefix("CREATE") }, "the database's owner closed what it owns: \(open)")

        let community = try TestCommunity.bootstrap("non-superuser", databaseURL: serviceURL)
        let refused = try Psql.run(serviceURL, ["SELECT finance_role_create(\(Psql.literal(community.id)), \(Psql.literal(financeRole)))"])
        XCTAssertFalse(refused.succeeded, "no finance role while it could still lock")
        XCTAssertTrue(refused.stderr.contains("finance_lockdown()"), refused.stderr)

        XCTAssertEqual(try Psql.query(superuserURL, "SELECT count(*) FROM finance_lockdown()"), ["0"])
        XCTAssertEqual(try Psql.query(serviceURL, "SELECT finance_role_create(\(Psql.literal(community.id)), \(Psql.literal(financeRole)))"), [financeRole])
        let finance = Psql.conninfo(superuserURL, user: financeRole)
        XCTAssertTrue(try Psql.run(finance, ["SELECT pg_advisory_lock(1)"]).stderr.contains("permission denied for function pg_advisory_lock"))
        XCTAssertEqual(try Psql.query(finance, "SELECT count(*) FROM finance_accounts"), try Psql.query(superuserURL, "SELECT count(*) FROM accounts"))

        // Migrated, the role needs CREATEROLE no more: taken away, it can grant itself nothing,
        // and meetingd, as that role, serves and still takes its own advisory locks (a booking
        // takes three).
        _ = try Psql.query(superuserURL, "ALTER ROLE \(serviceRole) NOCREATEROLE")
        let closed = try Psql.run(serviceURL, ["BEGIN", "GRANT pg_execute_server_program TO \(serviceRole)", "ROLLBACK"])
        XCTAssertFalse(closed.succeeded, closed.stdout)
        let meetingd = try startMeetingd(["--test-clock"], environment: ["DATABASE_URL": serviceURL])
        let ledger = LedgerCommunity(community: community, financeId: try community.createPersonId(on: meetingd, roles: ["finance"]))
        try ledger.pinClock(on: meetingd, at: ledgerEpoch)
        let user = try ledger.person(on: meetingd, ["user"])
        let booking = try BookableExpert.make(on: meetingd, community, priceCredits: 10)
        try ledger.grant(on: meetingd, 50, to: user)
        var request = booking.requestParams(start: ledgerEpoch.addingTimeInterval(86_400))
        request["idempotency_key"] = "booking-1"
        XCTAssertEqual(try meetingd.result("meeting.request", as: user, request)["status"], "awaiting_approval")

        // A community bootstrapped by another role (the superuser): its counters are the
        // service's too, so its transfers and messages are written.
        let other = try TestCommunity.bootstrap("superuser-made", databaseURL: superuserURL)
        let otherLedger = LedgerCommunity(community: other, financeId: try other.createPersonId(on: meetingd, roles: ["finance"]))
        let otherUser = try otherLedger.person(on: meetingd, ["user"])
        try otherLedger.grant(on: meetingd, 50, to: otherUser)
        XCTAssertEqual(try Psql.query(superuserURL, """
            SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relkind = 'S' AND relname LIKE 'ml\\_seq\\_%'
            """), [serviceRole], "every counter is the service role's")

        let again = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": serviceURL])
        XCTAssertTrue(again.succeeded, again.stderr)
        XCTAssertFalse(again.stderr.contains("not locked down"), "nothing left to say once a superuser closed it: \(again.stderr)")
        XCTAssertFalse(again.stderr.contains("CREATEROLE"), "nor of the role once CREATEROLE is gone: \(again.stderr)")
    }
}
