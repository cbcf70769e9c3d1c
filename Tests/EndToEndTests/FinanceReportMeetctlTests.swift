import Foundation
import XCTest

/// Issue 14's finance items as finance staff and admins use them: meetctl.
final class FinanceReportMeetctlTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// Python's csv module reading a file as a spreadsheet user's script would: utf-8-sig, which
    /// takes a byte-order mark away. Answers the rows and whether the file began with one.
    static func readWithPython(_ path: String) throws -> (rows: [[String]], hadBOM: Bool) {
        let script = """
            import csv, json, sys
            raw = open(sys.argv[1], 'rb').read()
            with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                print(json.dumps({'bom': raw.startswith(b'\\xef\\xbb\\xbf'), 'rows': list(csv.reader(f))}))
            """
        let run = try runTool("/usr/bin/env", ["python3", "-c", script, path], timeout: 60)
        guard run.succeeded else { throw HarnessError("python3 csv failed: \(run.stderr)") }
        let parsed = try JSONValue.parse(run.stdout)
        let rows = (parsed["rows"]?.array ?? []).map { ($0.array ?? []).compactMap(\.string) }
        return (rows, parsed["bom"]?.bool ?? false)
    }

    /// "today `meetctl balance` as a finance person prints 'No accounts.'": now it lists the
    /// community's accounts, like `meetctl accounts`.
    func testBalanceAsFinanceListsTheCommunitysAccounts() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let table = try finance.ok(["balance"])
        XCTAssertFalse(table.contains("No accounts."), table)
        for kind in ["user_wallet", "expert_earnings", "platform_revenue", "issuance", "payouts"] { XCTAssertTrue(table.contains(kind), "\(kind): \(table)") }
        XCTAssertTrue(table.contains(c.userEmail), table)
        XCTAssertEqual(try finance.json(["balance"])["items"]?.array?.count, 5)
        XCTAssertEqual(try finance.json(["accounts", "--kind", "user_wallet"])["items"]?.array?.compactMap { $0["owner_id"]?.string }, [c.userId])
        XCTAssertEqual(try finance.json(["balance", "--person", c.userId])["posted"], 500, "--person still shows that person's")
        XCTAssertTrue(try (try c.user).ok(["balance"]).contains("user_wallet"), "a user sees their own wallet")
        XCTAssertTrue(try (try c.user).fails(["accounts"], status: 1).stderr.contains("forbidden"))
        XCTAssertTrue(try finance.fails(["accounts", "--kind", "wallets"], status: 2).stderr.contains("user_wallet"))
    }

    /// A day at the calendar's first edge typed on a clock ahead of UTC (Prague) falls before the
    /// supported times once its offset is applied: said so by meetctl, not sent on to come back
    /// as "no such date 0-12-31" under an example of a time that is not RFC 3339.
    func testADayYourClockTakesPastTheCalendarsEdgeIsSaidToBe() throws {
        let c = try MeetctlCommunity.make(#function)
        let edge = try (try c.user).fails(["balance", "--as-of", "0001-01-01"], status: 2).stderr
        XCTAssertTrue(edge.contains("0001-01-01 on your clock (Europe/Prague) is outside the supported times 0001-01-01T00:00:00Z"), edge)
        XCTAssertFalse(edge.contains("no such date"), edge)
        let dayAfter = try (try c.user).run(["balance", "--as-of", "0001-01-02"])
        XCTAssertEqual(dayAfter.termination, .exited(0), "the day after is in range: \(dayAfter.stderr)")
    }

    /// An expert read their incoming credits as what they would be paid: they are the full
    /// prices held, and the platform's fee comes off each as it is captured. Under the figures,
    /// `balance` and `report earnings` say so with the fee in force; with nothing incoming, or
    /// as JSON, nothing is added.
    func testAnExpertsIncomingCreditsAreSaidToBeBeforeThePlatformsFee() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        try c.admin.ok(["settings", "set", "platform_fee_percent=15"])
        let note = "Incoming credits are the full prices of meetings not settled yet: the platform's fee (15 % now;"
        XCTAssertFalse(try expert.ok(["balance"]).contains("Incoming credits"), "nothing incoming yet")
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let balance = try expert.ok(["balance"])
        XCTAssertTrue(balance.contains(note), balance)
        XCTAssertFalse(try expert.run(["balance", "--json"]).stdout.contains("Incoming credits"), "JSON stays JSON")
        let earnings = try c.finance.ok(["report", "earnings"])
        XCTAssertTrue(earnings.contains("incoming 100") && earnings.contains(note), earnings)
        // Finance staff's list of the accounts (meetctl accounts, or balance with no option) too.
        for command in [["accounts"], ["balance"]] {
            XCTAssertTrue(try c.finance.ok(command).contains(note), command.joined())
        }
    }

    /// "CSV that spreadsheets open right: a UTF-8 byte-order mark option (--bom, and on by
    /// default when writing to a file with --output FILE)", read back by Python's csv with
    /// utf-8-sig, a name with an accent intact.
    func testCSVIntoAFileHasAByteOrderMarkThatPythonReads() throws {
        let c = try MeetctlCommunity.make(#function, userName: ("Zoë", "Łukasiewicz"))
        let finance = try c.finance
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finance-csv-\(c.tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("accounts.csv").path

        let written = try finance.run(["accounts", "--output", file])
        XCTAssertEqual(written.termination, .exited(0), written.stderr)
        XCTAssertEqual(written.stdout, "", "the CSV goes into the file")
        XCTAssertTrue(written.stderr.contains(file), written.stderr)
        let (rows, hadBOM) = try Self.readWithPython(file)
        XCTAssertTrue(hadBOM, "on by default into a file")
        XCTAssertEqual(rows.first?.first, "account_id", "utf-8-sig takes the mark away: the first column is named as it should be")
        XCTAssertEqual(rows.count, 6)
        XCTAssertTrue(try csvColumn(rows, "owner_first_name").contains("Zoë"))
        XCTAssertTrue(try csvColumn(rows, "owner_last_name").contains("Łukasiewicz"))
        XCTAssertTrue(try csvColumn(rows, "as_of_utc").allSatisfy { $0 == "2030-03-04 12:00:00" }, "a date a spreadsheet reads, in UTC")

        XCTAssertEqual(try finance.run(["accounts", "--output", file, "--no-bom"]).termination, .exited(0))
        XCTAssertFalse(try Self.readWithPython(file).hadBOM, "--no-bom")
        let stdout = try finance.ok(["accounts", "--csv"])
        XCTAssertTrue(stdout.hasPrefix("account_id,"), "no mark on stdout unless asked")
        XCTAssertTrue(try finance.ok(["trial-balance", "--csv", "--bom"]).hasPrefix("\u{FEFF}account_kind,accounts,"))

        for (arguments, message) in [
            (["accounts", "--bom", "--no-bom", "--csv"], "--bom or --no-bom"), (["accounts", "--output", file, "--json"], "not both"),
            (["accounts", "--output", folder.appendingPathComponent("missing/x.csv").path], "cannot write"),
        ] {
            let failed = try finance.run(arguments)
            XCTAssertNotEqual(failed.termination, .exited(0), "\(arguments)")
            XCTAssertTrue(failed.stderr.contains(message), "\(arguments): \(failed.stderr)")
        }
    }

    /// The reports at the terminal and as CSV; statements between their opening and closing balances.
    func testReportsAndStatementsAtTheTerminal() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let meeting = try c.agreedMeeting(start: "2030-03-11 10:00")
        try c.admin.ok(["clock", "set", "2030-03-11T15:30:00Z"])
        try (try c.expert).ok(["log", meeting, "--attendance", "attended"])

        let revenue = try finance.ok(["report", "revenue", "--from", "2030-02", "--to", "2030-03"])
        XCTAssertTrue(revenue.hasPrefix("MONTH "), revenue)
        let lines = revenue.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("2030-03") && $0.contains(" 20 ") }, "March: the 20 % fee of 100: \(revenue)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("total") }, revenue)
        XCTAssertTrue(revenue.contains("America/New_York"), revenue)
        let csv = try parseCSVWithPython(try finance.ok(["report", "settlements", "--from", "2030-03", "--to", "2030-03", "--csv"]))
        XCTAssertEqual(csv.first, ["month", "holds", "held", "captures", "captured", "returned_on_capture", "releases", "released", "blocked_change"])
        XCTAssertEqual(csv.last, ["2030-03", "1", "100", "1", "100", "0", "0", "0", "0"])
        // --to alone: the 12 months up to it, as the help says.
        let year = try finance.json(["report", "revenue", "--to", "2030-03"])
        XCTAssertEqual(year["months"]?.array?.compactMap { $0["month"]?.string }.first, "2029-04")
        XCTAssertEqual(year["months"]?.array?.count, 12)
        XCTAssertEqual(try finance.json(["report", "settlements", "--to", "2030-01"])["months"]?.array?.first?["month"], "2029-02", "across a year's end")
        XCTAssertTrue(try finance.fails(["report", "revenue", "--to", "March"], status: 1).stderr.contains("to_month"))
        XCTAssertTrue(try finance.fails(["report", "revenue", "--from", "March", "--to", "2030-03"], status: 1).stderr.contains("from_month"))
        // A reason naming another param of the command names its option ("before from_month").
        let backwards = try finance.fails(["report", "revenue", "--from", "2030-05", "--to", "2030-03"], status: 1).stderr
        XCTAssertTrue(backwards.contains("--to: must not be before --from"), backwards)

        let outstanding = try finance.json(["report", "outstanding"])
        XCTAssertEqual([outstanding["posted"], outstanding["blocked"], outstanding["available"]], [400, 0, 400])
        let earnings = try finance.ok(["report", "earnings"])
        XCTAssertTrue(earnings.contains(c.expertEmail) && earnings.contains("due 80"), earnings)

        let statement = try finance.ok(["statement", "--person", c.userId, "--from", "2030-03-05"])
        XCTAssertTrue(statement.contains("Opening balance (Tue 5 Mar 2030 00:00 EST): posted 500, blocked 100, available 400"), statement)
        XCTAssertTrue(statement.contains("Closing balance (Mon 11 Mar 2030 11:30 EDT): posted 400, blocked 0, available 400"), statement)
        XCTAssertTrue(statement.contains("Change: posted -100, blocked -100, available 0"), statement)
        // The expert's earnings: the hold came in as incoming credits and left them when captured.
        let earned = try finance.ok(["statement", "--person", c.expertEmail])
        XCTAssertTrue(earned.contains("INCOMING ±") && earned.contains("  INCOMING  "), earned)
        XCTAssertTrue(earned.contains("Change: posted +80, blocked 0, available +80, incoming 0"), earned)
        let earnedRows = try XCTUnwrap(try finance.json(["statement", "--person", c.expertEmail])["items"]?.array)
        XCTAssertEqual(earnedRows.map { $0["kind"]?.string ?? "" }, ["hold", "capture", "fee"])
        XCTAssertEqual(earnedRows.map { $0["incoming_change"] }, [100, -100, 0])
        XCTAssertEqual(earnedRows.map { $0["incoming"] }, [100, 0, 0])
        let account = try XCTUnwrap(try finance.json(["balance", "--person", c.userId])["accounts"]?[0]?["account_id"]?.string)
        for command in ["statement", "balance"] {
            let both = try finance.fails([command, "--person", c.userId, "--account", account], status: 2)
            XCTAssertTrue(both.stderr.contains("give --person or --account, not both"), "\(command): \(both.stderr)")
        }
        let statementCSV = try parseCSVWithPython(try finance.ok(["statement", "--person", c.userId, "--csv"]))
        XCTAssertEqual(try csvColumn(statementCSV, "transfer_kind"), ["opening_balance", "grant", "hold", "capture", "closing_balance"])

        // Neither: the year up to this month on the community's clock (New York's), not UTC's.
        try c.admin.ok(["clock", "set", "2030-04-01T02:00:00Z"])
        let thisYear = try finance.json(["report", "revenue"])["months"]?.array?.compactMap { $0["month"]?.string } ?? []
        XCTAssertEqual([thisYear.first, thisYear.last], ["2029-04", "2030-03"], "31 March 22:00 in New York")
    }

    /// "Dead letters: list them and put them back in the queue (`meetctl outbox dead`,
    /// `meetctl outbox retry ID`)."
    func testOutboxDeadAndRetry() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        XCTAssertEqual(try c.admin.ok(["outbox", "dead"]), "No dead letters.\n")
        // A mail program that always fails, eight times over: the messages are set aside.
        for _ in 1...8 {
            let failed = try c.admin.run(["outbox", "deliver", "--sendmail", "/bin/false"])
            XCTAssertEqual(failed.termination, .exited(1), failed.stderr)
            try c.admin.ok(["clock", "advance", "120"])
        }
        let dead = try c.admin.json(["outbox", "dead"])["items"]?.array ?? []
        XCTAssertFalse(dead.isEmpty)
        let table = try c.admin.ok(["outbox", "dead"])
        XCTAssertTrue(table.hasPrefix("MESSAGE ") && table.contains("/bin/false"), table)
        let id = try XCTUnwrap(dead.first?["id"]?.string)
        XCTAssertTrue(try c.admin.ok(["outbox", "retry", id]).contains("Put back in the queue: 1 message: \(id)"))
        XCTAssertFalse(try c.admin.json(["outbox", "dead"])["items"]?.array?.contains { $0["id"]?.string == id } ?? true)
        let again = try c.admin.fails(["outbox", "retry", id], status: 1)
        XCTAssertTrue(again.stderr.contains("not dead letters (unchanged): \(id)"), again.stderr)
        XCTAssertTrue(try (try c.finance).fails(["outbox", "dead"], status: 1).stderr.contains("forbidden"))
        let delivered = try c.admin.run(["outbox", "deliver", "--sendmail", "/bin/true"])
        XCTAssertEqual(delivered.termination, .exited(0), delivered.stderr)
        XCTAssertTrue(delivered.stdout.contains("Delivered"), delivered.stdout)
    }

    /// A day given alone to a finance command is read on the reader's clock; where that is not
    /// the community's, whose months the reports count, meetctl says when the community's day
    /// starts, so a month's close (`trial-balance --as-of 2030-04-01`) can match the reports.
    func testADayOnAnotherClockThanTheCommunitysIsNoted() throws {
        let c = try MeetctlCommunity.make(#function)
        let finance = try c.finance
        let same = try finance.run(["trial-balance", "--as-of", "2030-03-01"])
        XCTAssertEqual(same.termination, .exited(0), same.stderr)
        XCTAssertFalse(same.stderr.contains("note:"), "the same clock as the community's: \(same.stderr)")
        try finance.ok(["person", "set", "--tz", "Europe/London"])
        let other = try finance.run(["trial-balance", "--as-of", "2030-03-01"])
        XCTAssertEqual(other.termination, .exited(0), other.stderr)
        XCTAssertTrue(other.stderr.contains(
            "note: --as-of 2030-03-01 is the start of that day on your clock (Europe/London); the community's months, as the reports count "
                + "them, are on its clock (America/New_York), where that day starts at --as-of 2030-03-01T00:00:00-05:00"), other.stderr)
        let midnight = try finance.run(["trial-balance", "--as-of", "2030-03-01 00:00"])
        XCTAssertTrue(midnight.stderr.contains("where that day starts at --as-of 2030-03-01T00:00:00-05:00"), "its midnight written out: \(midnight.stderr)")
        let given = try finance.run(["trial-balance", "--as-of", "2030-03-01T00:00:00-05:00"])
        XCTAssertFalse(given.stderr.contains("note:"), "a time with its offset is what it says: \(given.stderr)")
        let statement = try finance.run(["statement", "--person", c.userId, "--from", "2030-03-01", "--to", "2030-04-01"])
        XCTAssertEqual(statement.termination, .exited(0), statement.stderr)
        XCTAssertTrue(statement.stderr.contains("--from 2030-03-01T00:00:00-05:00") && statement.stderr.contains("--to 2030-04-01T00:00:00-04:00"),
                      "each day, with the community's offset then (summer time by April): \(statement.stderr)")
        XCTAssertFalse(try finance.run(["trial-balance", "--as-of", "2030-03-01", "--json"]).stdout.contains("note:"), "the note is not in the output")
    }
}
