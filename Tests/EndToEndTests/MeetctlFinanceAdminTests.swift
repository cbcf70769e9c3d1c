import Foundation
import XCTest

/// Finance staff's and admins' meetctl commands, end to end.
final class MeetctlFinanceAdminTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// A bootstrap meetingd refuses says why: meetctl read its reason from the log line it
    /// writes (a JSON line), where it dropped every line of that shape and said only the status.
    func testABootstrapRefusedSaysWhy() throws {
        let url = Psql.conninfo(try TestEnvironment.databaseURL(), "dbname", "no_such_db_\(TestEnvironment.uniqueTag())")
        let run = try Meetctl().run(["bootstrap", "--community", "Nowhere", "--short-name", "NO", "--admin-email", "a@example.test",
                                     "--admin-first", "A", "--admin-last", "B"], environment: ["DATABASE_URL": url])
        XCTAssertEqual(run.termination, .exited(1), run.stderr)
        XCTAssertTrue(run.stderr.contains("the database refuses meetingd's login") && run.stderr.contains("does not exist"), run.stderr)
        XCTAssertFalse(run.stderr.contains("{"), "the reason, not the log line: \(run.stderr)")
    }

    /// A DATABASE_URL set but empty (a broken env file) is refused, as meetingd refuses it, and
    /// not read as unset: meetctl would otherwise act on the checkout's embedded database.
    func testAnEmptyDatabaseURLIsRefusedNotReadAsUnset() throws {
        for empty in ["", "  "] {
            let run = try Meetctl().run(["ping"], environment: ["DATABASE_URL": empty])
            XCTAssertEqual(run.termination, .exited(1), run.stderr)
            XCTAssertTrue(run.stderr.contains("DATABASE_URL is set but empty"), run.stderr)
            XCTAssertTrue(run.stdout.isEmpty, run.stdout)
        }
    }

    /// meetctl bootstrap run again says it made nothing, and shows the community made before.
    func testABootstrapRunAgainSaysItMadeNothing() throws {
        let tag = TestEnvironment.uniqueTag()
        let arguments = ["bootstrap", "--community", "Twice \(tag)", "--short-name", "TW", "--admin-email", "twice-\(tag)@example.test",
                         "--admin-first", "A", "--admin-last", "B"]
        let first = try Meetctl().ok(arguments)
        XCTAssertFalse(first.contains("Made before"), first)
        let again = try Meetctl().ok(arguments)
        XCTAssertTrue(again.contains("Made before: a community of that name with that admin exists; nothing was created."), again)
        let id = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("Community") }.map(String.init) }
        XCTAssertEqual(id(first), id(again), "the same community")
    }

    func testFinanceCommands() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let meeting = try c.agreedMeeting(start: "2030-03-11 10:00")

        let balance = try finance.json(["balance", "--person", c.userId])
        XCTAssertEqual(balance["posted"], 500)
        XCTAssertEqual(balance["blocked"], 100)
        XCTAssertEqual(balance["available"], 400)
        let walletId = try XCTUnwrap(balance["account_id"]?.string)
        let table = try finance.ok(["balance", "--person", c.userId])
        XCTAssertTrue(table.hasPrefix("ACCOUNT "), table)
        XCTAssertTrue(table.contains("user_wallet"), table)
        XCTAssertTrue(table.contains("Mon 4 Mar 2030 07:00 EST"), "as of, on the finance person's clock: \(table)")
        // The expert's earnings show the held meeting on its way in.
        let earnings = try (try c.expert).ok(["balance"]).split(separator: "\n")
        XCTAssertTrue(earnings.first?.contains("INCOMING") ?? false, "\(earnings)")
        let row = try XCTUnwrap(earnings.first { $0.contains("expert_earnings") }).split(separator: " ", omittingEmptySubsequences: true)
        // The owner's name and e-mail take three words; the as-of time the last six.
        XCTAssertEqual(Array(row.dropLast(6).suffix(4)), ["0", "0", "0", "100"], "posted, blocked, available, incoming: \(row)")
        let csv = try finance.ok(["balance", "--account", walletId, "--csv"])
        XCTAssertEqual(csv, "account_id,account_kind,owner_id,posted,blocked,available,incoming,debits_posted,credits_posted,debits_pending,credits_pending,as_of_utc\r\n"
                       + "\(walletId),user_wallet,\(c.userId),500,100,400,0,0,500,100,0,2030-03-04 12:00:00\r\n", "the figures of the table and the JSON")
        XCTAssertEqual(try (try c.user).json(["balance"])["account_id"]?.string, walletId, "without options: your own accounts")
        XCTAssertEqual(try finance.json(["balance", "--person", c.userId, "--as-of", "2030-03-01"])["posted"], 0, "before the grant")

        let down = try finance.json(["adjust", "--account", walletId, "--credits", "-50", "--reason", "Duplicate purchase refunded"])
        XCTAssertEqual(down["kind"], "adjustment")
        XCTAssertEqual(down["debit_account_id"]?.string, walletId)
        XCTAssertEqual(try finance.json(["adjust", "--account", walletId, "--credits", "25", "--reason", "Goodwill"])["credit_account_id"]?.string, walletId)
        let overdraw = try finance.fails(["adjust", "--account", walletId, "--credits", "-1000", "--reason", "Too much"], status: 1)
        XCTAssertTrue(overdraw.stderr.contains("insufficient_credits"), overdraw.stderr)

        // The meeting is logged: the expert earns 80 after the 20% fee, and is paid out.
        try c.admin.ok(["clock", "set", "2030-03-11T15:30:00Z"])
        try (try c.expert).ok(["log", meeting, "--attendance", "attended"])
        let payout = try finance.json(["payout", "--expert", c.expertId, "--credits", "60", "--reference", "payout-\(c.tag)"])
        XCTAssertEqual(payout["kind"], "payout")
        XCTAssertEqual(try finance.json(["balance", "--person", c.expertId])["available"], 20)
        XCTAssertTrue(try finance.fails(["payout", "--expert", c.expertId, "--credits", "21", "--reference", "too-much"], status: 1)
            .stderr.contains("error 4020: insufficient_credits"))
        XCTAssertEqual(try finance.json(["trail", meeting])["credit_status"], "paid")

        let trial = try finance.json(["trial-balance"])
        XCTAssertEqual(trial["total"], 0)
        let trialTable = try finance.ok(["trial-balance"])
        XCTAssertTrue(trialTable.contains("Total posted: 0;"), trialTable)
        XCTAssertTrue(trialTable.contains("platform_revenue"), trialTable)
        let trialCSV = try finance.ok(["trial-balance", "--csv", "--as-of", "2030-03-05"])
        XCTAssertTrue(
            trialCSV.hasPrefix("account_kind,accounts,debits_posted,credits_posted,debits_pending,credits_pending,posted,blocked,available,incoming,as_of_utc\r\n"),
            trialCSV)
        // As of 5 March: the grant, both adjustments and the hold; not yet the capture. Each
        // row says the time it is as of (the end of the day asked for, in the community's zone).
        let asOf = try XCTUnwrap(try finance.json(["trial-balance", "--as-of", "2030-03-05"])["as_of"]?.string)
        let asOfCell = String(asOf.prefix(19)).replacingOccurrences(of: "T", with: " ")
        XCTAssertTrue(trialCSV.contains("\r\nuser_wallet,1,50,525,100,0,475,100,375,0,\(asOfCell)\r\n"), trialCSV)
        XCTAssertTrue(trialCSV.contains("\r\nexpert_earnings,1,0,0,0,100,0,0,0,100,\(asOfCell)\r\n"), "the expert's incoming earnings: \(trialCSV)")

        XCTAssertTrue(try finance.ok(["reconcile"]).hasPrefix("Ledger consistent"))
        XCTAssertEqual(try finance.json(["reconcile"])["ok"], true)

        // A retried grant with its idempotency key happens once; the key cannot be reused for another grant.
        let grant = ["grant", "--user", c.userId, "--credits", "30", "--reference", "order-retry-\(c.tag)", "--idempotency-key", "grant-\(c.tag)"]
        let first = try finance.json(grant)
        XCTAssertEqual(try finance.json(grant)["id"], first["id"])
        let reused = try finance.fails(["grant", "--user", c.userId, "--credits", "31", "--reference", "order-other-\(c.tag)",
                                        "--idempotency-key", "grant-\(c.tag)"], status: 1)
        XCTAssertTrue(reused.stderr.contains("idempotency_key_reused"), reused.stderr)
    }

    /// A list of figures longer than one page (the service pages by 500) is read as of one time:
    /// the first page's, every page asking for it (the first again too), so rows and totals
    /// agree while others write. Seen in what meetctl sends its meetingd.
    func testPagesOfFiguresAreReadAsOfOneTime() throws {
        let c = try MeetctlCommunity.make(#function)
        let meetingd = try Meetingd(arguments: ["--test-clock"])
        defer { try? meetingd.finish() }
        _ = try meetingd.batch((0..<505).map { _ in
            var params = TestCommunity.personParams(roles: ["user"])
            params["actor"] = .string(c.adminId)
            return ("person.create", JSONValue.object(params))
        })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-pages-\(c.tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sent = folder.appendingPathComponent("sent.ndjson").path, wrapper = folder.appendingPathComponent("meetingd").path
        try "#!/bin/sh\ntee -a '\(sent)' | exec '\(TestEnvironment.meetingdPath)' \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)
        var finance = try c.finance
        finance.environment["MEETINGLEDGER_MEETINGD"] = wrapper

        for arguments in [["accounts", "--json"], ["accounts", "--csv"]] {
            try? FileManager.default.removeItem(atPath: sent)
            let printed = try finance.ok(arguments)
            let asked = try String(contentsOfFile: sent, encoding: .utf8).split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
                .filter { $0["method"]?.string == "ledger.accounts" }.map { $0["params"]?["as_of"] }
            XCTAssertGreaterThanOrEqual(asked.count, 3, "the first page, then every page as of its time: \(asked)")
            let first = try XCTUnwrap(asked.first, "no ledger.accounts call")
            XCTAssertNil(first, "the first page at its own time")
            let pinned = asked.dropFirst().compactMap { $0?.string }
            XCTAssertEqual(pinned.count, asked.count - 1, "every later page names the time: \(asked)")
            XCTAssertEqual(Set(pinned).count, 1, "one time: \(asked)")
            if arguments.last == "--json" {
                let items = try JSONValue.parse(printed)["items"]?.array ?? []
                XCTAssertGreaterThan(items.count, 505)
                XCTAssertEqual(items.compactMap { $0["posted"]?.int }.reduce(0, +), 0, "every credit has its debit")
            } else {
                XCTAssertGreaterThan(printed.split(separator: "\r\n").count, 506, "the header once, then every account")
            }
        }
    }

    /// Statements list every page (the service pages by 500), in a table, as JSON and as one CSV.
    /// Tables and records name the people and accounts behind the ids they show; a person the
    /// reader may not see stays an id.
    func testPeopleAndAccountsNamedBesideTheirIds() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let walletId = try XCTUnwrap(try finance.json(["balance", "--person", c.userId])["account_id"]?.string)

        let balance = try finance.ok(["balance", "--person", c.userId])
        XCTAssertTrue(balance.contains("Sam Lee (\(c.userEmail))"), balance)
        XCTAssertFalse(balance.contains(c.userId), "the owner by name and e-mail, not by id: \(balance)")
        XCTAssertTrue(try (try c.user).ok(["balance"]).contains("Sam Lee (\(c.userEmail))"), "a user's own accounts too")

        let grant = try finance.ok(["grant", "--user", c.userEmail, "--credits", "5", "--reference", "names-\(c.tag)"])
        XCTAssertTrue(grant.contains("\nFrom      issuance (acc_"), grant)
        XCTAssertTrue(grant.contains("\nTo        Sam Lee's wallet (\(walletId))\n"), grant)
        let adjust = try finance.ok(["adjust", "--account", walletId, "--credits", "-5", "--reason", "Names test"])
        XCTAssertTrue(adjust.contains("\nFrom      Sam Lee's wallet (\(walletId))\n"), adjust)
        XCTAssertTrue(try finance.ok(["statement", "--account", walletId]).hasPrefix("Statement of Sam Lee's wallet (\(walletId))\n"))
        XCTAssertEqual(try finance.json(["grant", "--user", c.userEmail, "--credits", "1", "--reference", "names-json-\(c.tag)"])["credit_account_id"]?.string,
                       walletId, "--json keeps the service's answer")
        // A refusal naming a person the reader typed by e-mail names the address too (it named the id alone).
        let notAUser = try finance.fails(["grant", "--user", c.expertEmail, "--credits", "1", "--reference", "names-expert-\(c.tag)"], status: 1).stderr
        XCTAssertTrue(notAUser.contains("\(c.expertEmail) (\(c.expertId))"), notAUser)

        let accounts = try finance.ok(["accounts"]).split(separator: "\n")
        XCTAssertTrue(accounts.contains { $0.contains("user_wallet") && $0.contains("Sam Lee  ") && !$0.contains(c.userId) }, "\(accounts)")
        // A meeting's trail names both sides of each movement.
        let meeting = try c.agreedMeeting(start: "2030-03-11 10:00")
        let trail = try finance.ok(["trail", meeting])
        XCTAssertTrue(trail.contains("Sam Lee's wallet") && trail.contains("Talia Kim's earnings"), trail)
        try c.admin.ok(["clock", "set", "2030-03-11T15:30:00Z"])
        try (try c.expert).ok(["log", meeting, "--attendance", "attended"])
        let earnings = try finance.ok(["report", "earnings"])
        XCTAssertTrue(earnings.contains("\nTalia Kim  \(c.expertEmail)"), earnings)
        XCTAssertTrue(try finance.ok(["trail", meeting]).contains("platform revenue"), "the fee's side")
        // Its CSV names the meeting and each side on every row: files of several meetings put
        // together still tell them apart.
        let trailCSV = try finance.ok(["trail", meeting, "--csv"]).split(separator: "\r\n").map(String.init)
        XCTAssertEqual(
            trailCSV.first?.components(separatedBy: ",").suffix(7),
            ["meeting_id", "debit_account_kind", "debit_account_owner_id", "debit_account_owner_name", "credit_account_kind",
             "credit_account_owner_id", "credit_account_owner_name"], "\(trailCSV)")
        XCTAssertEqual(trailCSV.count, 4, "the header, the hold, the capture and the fee: \(trailCSV)")
        for row in trailCSV.dropFirst() { XCTAssertTrue(row.contains(",\(meeting),"), row) }
        XCTAssertTrue(trailCSV[1].hasSuffix(",\(meeting),user_wallet,\(c.userId),Sam Lee,expert_earnings,\(c.expertId),Talia Kim"), trailCSV[1])
        // The meeting's expert reads the same trail: the accounts the expert may not look up
        // (the user's wallet, platform revenue) are named all the same (they were acc_ ids).
        let expertsTrail = try (try c.expert).ok(["trail", meeting])
        XCTAssertTrue(expertsTrail.contains("Talia Kim's earnings") && expertsTrail.contains("platform revenue") && expertsTrail.contains("Sam Lee's wallet"), expertsTrail)
        XCTAssertFalse(expertsTrail.split(separator: "\n").dropFirst().contains { $0.contains("  acc_") }, "no account by its id alone: \(expertsTrail)")

        let other = try c.admin.json(["person", "add", "--email", "other-\(c.tag)@example.test", "--first", "Omar", "--last", "Other",
                                      "--roles", "expert", "--tz", "UTC"])
        let otherId = try XCTUnwrap(other["id"]?.string)
        try c.admin.ok(["service", "add", "--name", "Essay coaching", "--kind", "expert_specific", "--length", "1h", "--price", "90", "--expert", otherId])
        let services = try c.admin.ok(["services"])
        XCTAssertTrue(services.contains("Omar Other (other-\(c.tag)@example.test)"), services)
        XCTAssertTrue(try (try c.expert).ok(["services"]).contains(otherId), "an expert may not look another up: the id stays")

        // person set, naming the person by e-mail: names, zone and a role added.
        let changed = try c.admin.json(["person", "set", "other-\(c.tag)@example.test", "--first", "Omid", "--tz", "Asia/Tehran", "--add-roles", "user"])
        XCTAssertEqual(changed["first_name"], "Omid")
        XCTAssertEqual(changed["time_zone"], "Asia/Tehran")
        XCTAssertEqual(changed["roles"], ["expert", "user"])
        // Now a user and an expert, their statement asks which account, naming each by its kind.
        let which = try finance.fails(["statement", "--person", "other-\(c.tag)@example.test"], status: 2)
        XCTAssertTrue(which.stderr.contains("Omid Other (other-\(c.tag)@example.test) has 2 accounts: choose one: --account acc_")
                      && which.stderr.contains("(user wallet)") && which.stderr.contains("(expert earnings)")
                      && which.stderr.contains("meetctl balance --person other-\(c.tag)@example.test"), which.stderr)
        let nothing = try c.admin.fails(["person", "set", otherId], status: 2)
        XCTAssertTrue(nothing.stderr.contains("--first"), "named by the command's options: \(nothing.stderr)")
        let shown = try c.admin.ok(["person", "show", otherId])
        XCTAssertTrue(shown.contains("Omid") && shown.contains("Asia/Tehran"), shown)
        // Without PERSON, yourself, as person show: an expert changes their own zone.
        XCTAssertEqual(try (try c.expert).json(["person", "set", "--tz", "Asia/Tokyo"])["time_zone"], "Asia/Tokyo")
        XCTAssertEqual(try c.admin.json(["person", "show", c.expertId])["time_zone"], "Asia/Tokyo")
    }

    /// `statement`, as `balance`, reads your own account unless --account or --person says whose.
    func testStatementIsOfYourOwnAccountByDefault() throws {
        let c = try MeetctlCommunity.make(#function)
        let user = try c.user
        let wallet = try XCTUnwrap(try user.json(["balance"])["account_id"]?.string)
        XCTAssertEqual(try user.json(["statement"])["account_id"]?.string, wallet)
        XCTAssertTrue(try user.ok(["statement"]).hasPrefix("Statement of Sam Lee's wallet (\(wallet))\n"))
        let earnings = try XCTUnwrap(try (try c.expert).json(["balance"])["account_id"]?.string)
        XCTAssertEqual(try (try c.expert).json(["statement"])["account_id"]?.string, earnings)
        // Someone with no account of their own names one.
        let none = try c.admin.fails(["statement"], status: 2)
        XCTAssertTrue(none.stderr.contains("you have no account of your own"), none.stderr)
        XCTAssertTrue(none.stderr.contains("hint: "), none.stderr)
    }

    func testStatementHasEveryPage() throws {
        let c = try MeetctlCommunity.make(#function)
        // --test-clock: the grants are stamped with the community's pinned time.
        let meetingd = try Meetingd(arguments: ["--test-clock"])
        defer { try? meetingd.finish() }
        let grants: [JSONValue] = (1...520).map { i in
            ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": "credits.grant",
             "params": ["actor": .string(c.financeId), "user_id": .string(c.userId), "credits": 1, "reference": .string("bulk-\(c.tag)-\(i)")]]
        }
        try meetingd.send(JSONValue.array(grants).serialized)
        let answers = try meetingd.readResponse(timeout: 120)
        XCTAssertEqual(answers.array?.count, 520)
        XCTAssertFalse(answers.array?.contains { $0["error"] != nil } ?? true, "every grant succeeds")

        let finance = try c.finance
        let statement = try finance.json(["statement", "--person", c.userId])
        XCTAssertEqual(statement["items"]?.array?.count, 521, "the first grant and 520 more")
        XCTAssertEqual(statement["items"]?.array?.last?["posted_balance"], 1020)
        let csv = try finance.ok(["statement", "--account", try XCTUnwrap(statement["account_id"]?.string), "--csv"])
        let lines = csv.split(separator: "\r\n")
        XCTAssertEqual(lines.count, 524, "one header, the opening balance, 521 rows and the closing balance")
        XCTAssertTrue(lines[0].hasPrefix("seq,created_at_utc,transfer_id,transfer_kind"), String(lines[0]))
        XCTAssertEqual(lines.filter { $0.hasPrefix("seq,") }.count, 1, "the header once")
        let table = try finance.ok(["statement", "--person", c.userId, "--from", "2030-03-04", "--to", "2030-03-05"])
        XCTAssertTrue(table.hasPrefix("Statement of Sam Lee's wallet (acc_"), table)
        XCTAssertEqual(table.split(separator: "\n").count, 526, "title, opening balance, header, 521 entries, closing balance and change")
    }

    /// A statement of more than 200 pages of 500 entries (a busy expert's account over years):
    /// `--csv --output` writes it whole, a page at a time, where meetctl used to gather at most
    /// 200 pages and refuse the rest.
    func testAStatementOfMoreThanTwoHundredPagesIsWrittenWhole() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let wallet = try XCTUnwrap(try finance.json(["statement", "--person", c.userId])["account_id"]?.string)
        let before = try finance.json(["statement", "--account", wallet])["items"]?.array?.count ?? 0
        // 100,500 adjustments of 1 credit into the wallet, written as the ledger writes them (each
        // with both accounts' balances after it), one second apart after the community's last.
        let added = 100_500
        let account = Psql.literal(wallet), actor = Psql.literal(c.financeId)
        let community = "(SELECT community_id FROM accounts WHERE id = \(account))"
        let bulk = try Psql.run(try TestEnvironment.databaseURL(), [
            "BEGIN",
            """
            INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, reason, actor_id, created_at,
                                   debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                                   credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
            SELECT w.community_id, 'trf_' || md5(w.id || g), i.id, w.id, 1, 'adjustment', 'posted', 'bulk', \(actor),
                   w.last_transfer_at + make_interval(secs => g),
                   i.debits_posted + g, i.credits_posted, i.debits_pending, i.credits_pending,
                   w.debits_posted, w.credits_posted + g, w.debits_pending, w.credits_pending
            FROM accounts w JOIN accounts i ON i.community_id = w.community_id AND i.kind = 'issuance', generate_series(1, \(added)) g
            WHERE w.community_id = \(community) AND w.id = \(account)
            """,
            """
            UPDATE accounts a SET debits_posted = a.debits_posted + CASE WHEN a.kind = 'issuance' THEN \(added) ELSE 0 END,
                                  credits_posted = a.credits_posted + CASE WHEN a.id = \(account) THEN \(added) ELSE 0 END,
                                  last_transfer_at = (SELECT max(created_at) FROM transfers t WHERE t.community_id = a.community_id)
            WHERE a.community_id = \(community) AND (a.id = \(account) OR a.kind = 'issuance')
            """,
            "COMMIT",
        ])
        XCTAssertTrue(bulk.succeeded, bulk.stderr)
        let path = NSTemporaryDirectory() + "statement-\(c.tag).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try finance.run(["statement", "--account", wallet, "--csv", "--output", path, "--no-bom"], timeout: 600)
        XCTAssertEqual(run.termination, .exited(0), run.stderr)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\r\n")
        XCTAssertEqual(lines.count, 1 + 1 + before + added + 1, "the header, the opening balance, every entry and the closing balance")
        XCTAssertEqual(lines.filter { $0.hasPrefix("seq,") }.count, 1, "the header once")
        XCTAssertTrue(lines.last?.contains("closing_balance") ?? false, String(lines.last ?? ""))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).contains { $0.hasPrefix("statement-\(c.tag).csv.partial") },
                       "nothing is left beside the file")
        XCTAssertEqual(try finance.json(["reconcile"])["ok"], true)
    }

    /// `statement --csv` with hostile references and reasons: one row per entry, nothing a
    /// spreadsheet would run.
    func testStatementCSVWithHostileText() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let wallet = try XCTUnwrap(try finance.json(["balance", "--person", c.userId])["account_id"]?.string)
        for (i, text) in HostileCSV.oneLine.enumerated() {
            try finance.ok(["grant", "--user", c.userId, "--credits", String(10 + i), "--reference", text])
            try finance.ok(["adjust", "--account", wallet, "--credits", String(-1 - i), "--reason", text])
        }
        try HostileCSV.storeMultiLine(wallet: wallet, actor: c.financeId)
        let items = try XCTUnwrap(try finance.json(["statement", "--account", wallet])["items"]?.array)
        XCTAssertEqual(items.count, 1 + 2 * (HostileCSV.oneLine.count + HostileCSV.multiLine.count), "the first grant, then the hostile ones")
        let csv = try finance.ok(["statement", "--account", wallet, "--csv"])
        HostileCSV.assertDefused(try parseCSVWithPython(csv), items: items)
    }

    func testReconcileExitsOneWhenTheLedgerIsBroken() throws {
        let c = try MeetctlCommunity.make(#function)
        let wallet = try XCTUnwrap(try (try c.finance).json(["balance", "--person", c.userId])["account_id"]?.string)
        // Behind the service's back, as the database owner: a stored balance that no transfer explains.
        let sql = try runTool("/usr/bin/env", ["psql", try TestEnvironment.databaseURL(), "-v", "ON_ERROR_STOP=1", "-c",
                                               "UPDATE accounts SET credits_posted = credits_posted + 7 WHERE id = '\(wallet)'"])
        XCTAssertTrue(sql.succeeded, sql.stderr)
        let result = try (try c.finance).fails(["reconcile"], status: 1)
        XCTAssertTrue(result.stdout.contains(wallet), "the problem names the account: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("debits posted/credits posted/debits pending/credits pending"), "the figures are named: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("give this output to your operators"), "and what to do: \(result.stdout)")
        XCTAssertTrue(result.stderr.contains("problem"), result.stderr)
        let trial = try (try c.finance).run(["trial-balance"])
        XCTAssertEqual(trial.termination, .exited(0))
        XCTAssertTrue(trial.stdout.contains("Total posted: 7"), trial.stdout)
        XCTAssertTrue(trial.stderr.contains("warning: the totals must be 0"), "a total that is not 0 is flagged: \(trial.stderr)")
        XCTAssertEqual(try (try c.finance).run(["reconcile", "--json"]).termination, .exited(1))
    }

    /// An unknown setting is told with the settings there are, not with the request's own
    /// params (the acting person and the retry key are meetctl's --as and --idempotency-key).
    func testAnUnknownSettingIsToldWithTheSettings() throws {
        let c = try MeetctlCommunity.make(#function)
        let refused = try c.admin.fails(["settings", "set", "max_no_shows=1"], status: 1)
        XCTAssertTrue(refused.stderr.contains("max_no_shows is not a setting"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("auto_accept") && refused.stderr.contains("require_confirm_details"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("idempotency_key"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("actor,") || refused.stderr.contains(", actor"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("error -32602: invalid_params"), refused.stderr)
        // KEY= is the empty text: a setting that may be unset is told how to clear it.
        let empty = try c.admin.fails(["settings", "set", "office_email="], status: 1)
        XCTAssertTrue(empty.stderr.contains("office_email") && empty.stderr.contains("office_email=null clears it"), empty.stderr)
        let cleared = try c.admin.json(["settings", "set", "office_email=null"])
        XCTAssertEqual(cleared["settings"]?["office_email"], .null, "\(cleared)")
    }

    /// A link or an enrolment removed again (it is gone already) is told in the people's terms,
    /// as the first removal was, with the command that lists what there is: not the service's
    /// bare 4004 naming ids.
    func testRemovingALinkOrAnEnrolmentThatIsNotThereSaysSo() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin
        let kid = "kid-\(c.tag)@example.test"
        try admin.ok(["person", "add", "--email", kid, "--first", "Kim", "--last", "Kid", "--roles", "user", "--tz", "Europe/Prague"])
        let link = ["student", "link", "--customer", c.userEmail, "--student", kid]
        try admin.ok(link)
        XCTAssertEqual(try admin.ok(link + ["--remove"]), "Sam Lee (\(c.userEmail)) no longer acts for Kim Kid (\(kid)).\n")
        /// A removal made again: said in people's words with the command that lists what there
        /// is, the service's code kept for scripts, and no ids.
        func assertToldNotThere(_ removedAgain: [String], _ message: String, hint: String, noIds: [String]) throws {
            let stderr = try admin.fails(removedAgain, status: 1).stderr
            XCTAssertTrue(stderr.contains("meetctl: " + message), stderr)
            XCTAssertTrue(stderr.contains("hint: " + hint), stderr)
            XCTAssertTrue(stderr.contains("\nerror 4004: not_found\n"), "the service's code stays for scripts: \(stderr)")
            for id in noIds { XCTAssertFalse(stderr.contains(id), "no ids: \(stderr)") }
        }
        try assertToldNotThere(
            link + ["--remove"], "Sam Lee (\(c.userEmail)) does not act for Kim Kid (\(kid)): there is no such link to end",
            hint: "meetctl students --customer \(c.userEmail) lists whom they act for", noIds: ["per_"])

        let enrolment = ["enroll", "--user", kid, "--service", "CHEM101"]
        try admin.ok(enrolment)
        XCTAssertEqual(try admin.ok(enrolment + ["--remove"]), "Kim Kid (\(kid)) is no longer enrolled for CHEM101.\n")
        try assertToldNotThere(
            enrolment + ["--remove"], "Kim Kid (\(kid)) is not enrolled for CHEM101: there is no such enrolment to remove",
            hint: "meetctl enrollments --user \(kid) lists their enrolments", noIds: ["per_", "svc_"])
        let withExpert = try admin.fails(["enroll", "--user", kid, "--expert", c.expertEmail, "--remove"], status: 1)
        XCTAssertTrue(withExpert.stderr.contains("meetctl: Kim Kid (\(kid)) is not enrolled with Talia Kim (\(c.expertEmail))"), withExpert.stderr)

        let tutor = "tutor-\(c.tag)@example.test"
        try admin.ok(["person", "add", "--email", tutor, "--first", "Tom", "--last", "Tutor", "--roles", "expert", "--tz", "Europe/Prague"])
        let certification = ["certify", "--service", "CHEM101", "--expert", tutor]
        try admin.ok(certification)
        try admin.ok(certification + ["--remove"])
        try assertToldNotThere(
            certification + ["--remove"], "Tom Tutor (\(tutor)) is not certified for CHEM101: there is no such certification to remove",
            hint: "meetctl services --expert \(tutor) lists the services they give", noIds: ["per_", "svc_"])
    }

    /// A reason code is an identifier: one with a space is refused naming the field, and the
    /// list stays as it was.
    func testAReasonCodeWithASpaceIsRefused() throws {
        let c = try MeetctlCommunity.make(#function)
        let refused = try c.admin.fails(["settings", "set", #"rejection_reasons=[{"code":"bad code","label":"Bad"}]"#], status: 1)
        XCTAssertTrue(refused.stderr.contains("error -32602: invalid_params"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("rejection_reasons[0].code"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("lowercase letters, digits and underscores"), refused.stderr)
        let reasons = try c.admin.json(["settings", "show"])["settings"]?["rejection_reasons"]?.array?.compactMap { $0["code"]?.string }
        XCTAssertEqual(reasons, ["schedule_conflict", "not_my_expertise", "illness", "other"], "nothing changed")
    }

    /// labels={} puts every label back to its default (the community renamed experts and
    /// services when it was made).
    func testEmptyLabelsPutTheDefaultsBack() throws {
        let c = try MeetctlCommunity.make(#function)
        XCTAssertEqual(try c.admin.json(["settings", "show"])["settings"]?["labels"]?["provider"], "Tutor")
        let reset = try c.admin.json(["settings", "set", "labels={}"])
        XCTAssertEqual(reset["settings"]?["labels"], ["provider": "Expert", "class": "Service", "user": "User"], "\(reset)")
    }

    func testAdminCommands() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin
        let ping = try admin.json(["ping"])
        XCTAssertEqual(ping["database"], "ok")
        XCTAssertEqual(ping["now"]?.string, MeetctlCommunity.start, "under --test-clock, the acting person's community's pinned time")
        // On the acting person's clock (Ada is in New York), as every time meetctl shows.
        let said = try admin.ok(["ping"])
        XCTAssertTrue(said.contains("service time Mon 4 Mar 2030 07:00 EST"), said)
        // Today, for a default, is the community's day too: the week from its pinned date.
        let week = try (try c.expert).ok(["availability", "show"])
        XCTAssertTrue(week.hasPrefix("Availability of Talia Kim (\(c.expertEmail)) from Mon 4 Mar 2030 00:00 EST to Mon 11 Mar 2030 00:00 EDT\n"), week)
        // A user may not read the expert's person, and sees the name the expert's profile shows.
        let asUser = try (try c.user).ok(["availability", "show", "--expert", c.expertId])
        XCTAssertTrue(asUser.hasPrefix("Availability of Talia Kim from "), asUser)
        XCTAssertEqual(try admin.json(["people"])["items"]?.array?.count, 4)
        let experts = try admin.json(["people", "--role", "expert"])["items"]?.array ?? []
        XCTAssertEqual(experts.map { $0["id"] }, [.string(c.expertId)])
        XCTAssertTrue(try admin.ok(["people", "--role", "user"]).contains(c.userEmail))
        XCTAssertEqual(try admin.json(["person", "show"])["id"]?.string, c.adminId)
        XCTAssertEqual(try admin.json(["person", "show", c.expertId])["time_zone"], "America/New_York")
        let office = try admin.json(["person", "add", "--email", "office-\(c.tag)@example.test", "--first", "Olga", "--last", "Office",
                                     "--roles", "office,finance", "--tz", "Europe/Prague"])
        XCTAssertEqual(Set(office["roles"]?.array ?? []), ["office", "finance"])

        XCTAssertTrue(try admin.ok(["locations"]).contains("Room 101"))
        XCTAssertEqual(try admin.json(["location", "add", "--name", "Lab 3", "--kind", "in_person"])["name"], "Lab 3")
        XCTAssertEqual(try admin.json(["locations"])["items"]?.array?.count, 3)

        let special = try admin.json(["service", "add", "--name", "Essay coaching", "--kind", "expert_specific", "--length", "1h30",
                                      "--price", "150", "--expert", c.expertId, "--skills", "essays,grammar", "--question", "Which essay?"])
        XCTAssertEqual(special["default_length_minutes"], 90)
        XCTAssertEqual(special["skills"], ["essays", "grammar"])
        XCTAssertEqual(try admin.json(["services"])["items"]?.array?.count, 2)
        XCTAssertTrue(try admin.ok(["services", "--expert", c.expertId]).contains("Essay coaching"))
        try (try c.user).ok(["book", "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-11T10:00:00-04:00", "--location", "Room 101"])
        let decertified = try admin.ok(["certify", "--service", c.serviceId, "--expert", c.expertId, "--remove"])
        XCTAssertTrue(decertified.hasPrefix("Talia Kim (\(c.expertEmail)) is not certified for CHEM101. 1 request for CHEM101 with Talia Kim"), decertified)
        XCTAssertTrue(decertified.contains("still waits for an answer (mtg_") && decertified.contains("its expert (or the office) declines it"), decertified)
        XCTAssertEqual(try admin.ok(["certify", "--service", c.serviceId, "--expert", c.expertId]), "Talia Kim (\(c.expertEmail)) is certified for CHEM101.\n")
        XCTAssertTrue(try admin.ok(["service", "add", "--name", "Essay review", "--kind", "expert_specific", "--length", "1h", "--price", "50",
                                    "--expert", c.expertId]).contains("\nExpert   Talia Kim (\(c.expertEmail))"), "the expert by name")
        XCTAssertEqual(try admin.json(["enroll", "--user", c.userId, "--service", c.serviceId])["enrolled"], true)
        XCTAssertEqual(try admin.json(["enroll", "--user", c.userId, "--service", c.serviceId, "--remove"])["enrolled"], false)
        let withExpert = try admin.ok(["enroll", "--user", c.userId, "--expert", c.expertId])
        XCTAssertTrue(withExpert.hasPrefix("Sam Lee (\(c.userEmail)) is enrolled with Talia Kim ("), "by name, as certify says it: \(withExpert)")
        XCTAssertEqual(try admin.ok(["enroll", "--user", c.userId, "--service", c.serviceId]), "Sam Lee (\(c.userEmail)) is enrolled for CHEM101.\n")
        XCTAssertTrue(try admin.fails(["enroll", "--user", c.userId], status: 2).stderr.contains("--service or --expert"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-import-\(c.tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("services.csv"), bad = folder.appendingPathComponent("bad.csv")
        try "name,kind,default_length_minutes,price_credits\nPHYS201,generic,45,80\nMATH110,generic,60,90\n".write(to: good, atomically: true, encoding: .utf8)
        try "name,kind,default_length_minutes,price_credits\nBIO1,generic,sixty,80\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertEqual(try admin.ok(["import", "services", good.path]), "Imported: 2 created, 0 updated, 0 unchanged.\n")
        let failed = try admin.fails(["import", "services", bad.path], status: 1)
        XCTAssertTrue(failed.stderr.contains("invalid_params"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("line 2"), failed.stderr)
        XCTAssertTrue(try admin.fails(["import", "courses", good.path], status: 2).stderr.contains("people, services, certifications, enrollments"))
        // A row longer than any page (a 1.2 MB cell) is told by its line before anything is sent;
        // it was refused whole as a message past meetingd's bound, with no line.
        let huge = folder.appendingPathComponent("huge.csv")
        try ("name,kind,default_length_minutes,price_credits,agenda_questions\nSmall,generic,30,10,\nHuge,generic,30,10,"
            + String(repeating: "x", count: 1_200_000) + "\n").write(to: huge, atomically: true, encoding: .utf8)
        let tooLong = try admin.fails(["import", "services", huge.path], status: 1)
        XCTAssertTrue(tooLong.stderr.contains("meetctl: line 3 of the file is longer than one import takes"), tooLong.stderr)
        XCTAssertTrue(tooLong.stderr.contains("nothing was imported"), tooLong.stderr)
        XCTAssertNil(try admin.json(["services"])["items"]?.array?.first { $0["name"] == "Small" }, "nothing was imported")
        // A file of several pages that is no CSV (a stray quote on line 15,001) is told that, by
        // its line: it was told its line 1 was longer than one import takes.
        let broken = folder.appendingPathComponent("broken.csv")
        var rows = (2...30_000).map { "Course \($0) with a name long enough to fill more than a page,generic,30,10" }
        rows[14_999] = "Bad\"quote,generic,30,10"
        try (["name,kind,default_length_minutes,price_credits"] + rows).joined(separator: "\n").appending("\n").write(to: broken, atomically: true, encoding: .utf8)
        let unreadable = try admin.fails(["import", "services", broken.path, "--dry-run"], status: 1)
        XCTAssertTrue(unreadable.stderr.contains("meetctl: line 15001 of the file: a quote inside an unquoted field"), unreadable.stderr)
        // A file in another encoding is told where and how to save it: the line and byte of a
        // Windows code page's "é", or UTF-16 by its byte-order mark.
        let latin1 = folder.appendingPathComponent("latin1.csv"), utf16 = folder.appendingPathComponent("utf16.csv")
        try Data("name,kind,default_length_minutes,price_credits\r\nPeer Mentoring with Jos".utf8 + [0xE9] + Data(" R,generic,30,10\r\n".utf8)).write(to: latin1)
        try ("name,kind,default_length_minutes,price_credits\r\n".data(using: .utf16) ?? Data()).write(to: utf16)
        let latin = try admin.fails(["import", "services", latin1.path, "--dry-run"], status: 2)
        XCTAssertTrue(latin.stderr.contains("line 2 has the byte 0xE9") && latin.stderr.contains("CSV UTF-8"), latin.stderr)
        XCTAssertTrue(try admin.fails(["import", "services", utf16.path, "--dry-run"], status: 2).stderr.contains("UTF-16"))
        // A path that is no file says why.
        XCTAssertTrue(try admin.fails(["import", "services", folder.path, "--dry-run"], status: 2).stderr.contains("it is a directory"))
        XCTAssertTrue(try admin.fails(["import", "services", folder.appendingPathComponent("none.csv").path, "--dry-run"], status: 2).stderr
            .contains("there is none at this path"))
        // export --output writes the file for a spreadsheet, with a byte-order mark, and it
        // imports back unchanged.
        let exported = folder.appendingPathComponent("people.csv")
        _ = try admin.ok(["export", "people", "--output", exported.path])
        let bytes = try Data(contentsOf: exported)
        XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF], "a byte-order mark")
        XCTAssertTrue(try admin.ok(["import", "people", exported.path, "--dry-run"]).contains("0 created, 0 updated"))

        let settings = try admin.ok(["settings"])
        XCTAssertTrue(settings.contains("cancellation_window_hours        48"), settings)
        let changed = try admin.json(["settings", "set", "cancellation_window_hours=24", "auto_accept=true", "office_email=office@example.test"])
        XCTAssertEqual(changed["settings"]?["cancellation_window_hours"], 24)
        XCTAssertEqual(changed["settings"]?["auto_accept"], true)
        XCTAssertEqual(try admin.json(["settings", "show"])["settings"]?["office_email"], "office@example.test")
        XCTAssertTrue(try admin.ok(["reasons"]).contains("not_my_expertise"))

        let jobs = try admin.json(["jobs", "run"])
        XCTAssertNotNil(jobs["requests_expired"]?.int, "\(jobs)")
        let table = try admin.ok(["jobs", "run"])
        XCTAssertTrue(table.contains("Requests expired") && table.contains("New dates closed"), table)
        XCTAssertTrue(try admin.ok(["clock", "advance", "90"]).hasPrefix("Service time: Mon 4 Mar 2030 08:30 EST"))
    }
}
