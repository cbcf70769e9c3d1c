import Foundation
import XCTest

/// What meetctl lists, for a spreadsheet or a person: `meetings --csv` read by Python's `csv`
/// module as a spreadsheet would, and weekly hours in the order of the week.
final class MeetctlListingTests: EndToEndTestCase {
    /// Rows of a CSV text as Python's csv.DictReader reads it (a byte-order mark allowed).
    func spreadsheetRows(_ csv: String) throws -> [JSONValue] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meetings-\(TestEnvironment.uniqueTag()).csv")
        try Data(csv.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let read = try runTool("python3", ["-c", """
            import csv, json, sys
            with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
                print(json.dumps(list(csv.DictReader(f))))
            """, file.path], timeout: 60)
        guard read.succeeded else { throw HarnessError("python3 could not read the CSV: \(read.stderr)") }
        return try JSONValue.parse(read.stdout).array ?? []
    }

    /// Seed 004, "List of sessions": the meetings an expert gives, here as a spreadsheet, one row
    /// each, with the names beside the ids and any text (commas, quotes, line breaks) intact.
    func testMeetingsAsCSVForASpreadsheet() throws {
        let c = try MeetctlCommunity.make(#function)
        let agreed = try c.agreedMeeting(start: "2030-03-11 10:00", location: "Room 101")
        let topic = "Moles, \"mass\"\r\nand volume"
        let meetingd = try startMeetingd(["--test-clock"])
        let requested = try meetingd.result("meeting.request", as: c.userId, [
            "service_id": .string(c.serviceId), "expert_id": .string(c.expertId), "start": "2030-03-12T14:00:00Z", "location_id": .string(c.videoId),
            "topic": .string(topic),
        ])
        let expert = try c.expert

        let csv = try expert.ok(["meetings", "--csv"])
        XCTAssertTrue(csv.hasPrefix("id,status,awaiting_action_by,start_utc,end_utc,"), csv)
        let rows = try spreadsheetRows(csv)
        XCTAssertEqual(rows.count, 2)
        let request = try XCTUnwrap(rows.first { $0["id"]?.string == requested["id"]?.string }, "\(rows)")
        XCTAssertEqual(request["status"], "awaiting_approval")
        XCTAssertEqual(request["awaiting_action_by"], "expert")
        XCTAssertEqual(request["start_utc"], "2030-03-12 14:00:00", "a time a spreadsheet reads as one")
        XCTAssertEqual(request["end_utc"], "2030-03-12 15:00:00")
        XCTAssertEqual(request["service_name"], "CHEM101")
        XCTAssertEqual(request["location_name"], "Video call")
        XCTAssertEqual(request["user_name"], "Sam Lee")
        XCTAssertEqual(request["price_credits"], "100")
        XCTAssertEqual(request["credit_status"], "blocked")
        XCTAssertEqual(request["topic"]?.string, topic, "the topic exactly, line break and all")
        let booked = try XCTUnwrap(rows.first { $0["id"]?.string == agreed })
        XCTAssertEqual(booked["location_name"], "Room 101")
        XCTAssertEqual(booked["status"], "agreed")
        XCTAssertEqual(booked["alternate_start_utc"], "")

        XCTAssertEqual(try spreadsheetRows(try expert.ok(["meetings", "--csv", "--status", "cancelled"])).count, 0, "the header alone")

        // --output writes the same table into a file, with the byte-order mark spreadsheets want.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meetings-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try expert.ok(["meetings", "--output", file.path]), "", "nothing on stdout")
        let written = try Data(contentsOf: file)
        XCTAssertEqual(Array(written.prefix(3)), [0xEF, 0xBB, 0xBF], "the byte-order mark")
        XCTAssertEqual(String(decoding: written.dropFirst(3), as: UTF8.self), csv)
    }

    /// CSV is exact bytes for a pipe or a file; at a terminal, another person's escape sequences
    /// and reordering marks are shown, not acted on.
    func testCSVAtATerminalShowsControlSequences() throws {
        let c = try MeetctlCommunity.make(#function, userName: ("Eve\u{1B}]52;c;aGk=\u{07}", "L\u{1B}[2J\u{202E}x\u{200F}y"))
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let expert = try c.expert
        let piped = try expert.ok(["meetings", "--csv"])
        XCTAssertTrue(piped.contains("\u{1B}[2J"), "a pipe gets the exact text")
        let shown = try expert.onTerminal(["meetings", "--csv"])
        XCTAssertEqual(shown.termination, .exited(0), shown.stdout)
        XCTAssertFalse(shown.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" || $0 == "\u{200F}" }, shown.stdout.debugDescription)
        XCTAssertTrue(shown.stdout.contains("Eve\\e]52;c;aGk=\\x07"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("L\\e[2J\\u{202E}x\\u{200F}y"), "the one-character marks too: \(shown.stdout)")
    }

    /// Seed 004: an expert sees their meetings "within the common list of meetings he is in as a
    /// user or expert". `meetings` lists both sides at once, each row saying which side it is;
    /// --role keeps one.
    func testMeetingsListsBothSidesInOneList() throws {
        let c = try MeetctlCommunity.make(#function)
        let riley = try c.admin.json([
            "person", "add", "--email", "riley-\(c.tag)@example.test", "--first", "Riley", "--last", "Reed", "--roles", "user,expert",
            "--tz", "America/New_York",
        ])["id"]?.string ?? ""
        try c.admin.ok(["certify", "--service", c.serviceId, "--expert", riley])
        let asRiley = try c.admin.acting(as: riley)
        try asRiley.ok(["availability", "set", "--rule", "Mon-Fri 09:00-17:00 @Video call"])
        try c.admin.acting(as: c.financeId).ok(["grant", "--user", riley, "--credits", "300", "--reference", "order-riley-\(c.tag)"])
        let meetingd = try startMeetingd(["--test-clock"])
        func request(by user: String, of expert: String, at start: String) throws -> String {
            try meetingd.result("meeting.request", as: user, [
                "service_id": .string(c.serviceId), "expert_id": .string(expert), "start": .string(start), "location_id": .string(c.videoId),
            ])["id"]?.string ?? ""
        }
        let asUser = try request(by: riley, of: c.expertId, at: "2030-03-12T14:00:00Z")
        let asExpert = try request(by: c.userId, of: riley, at: "2030-03-13T15:00:00Z")

        let both = try asRiley.json(["meetings"])
        XCTAssertEqual(both["role"], "all")
        XCTAssertEqual(Set(both["items"]?.array?.map { "\($0["id"]?.string ?? "") \($0["side"]?.string ?? "")" } ?? []),
                       ["\(asUser) user", "\(asExpert) expert"])
        let table = try asRiley.ok(["meetings"])
        XCTAssertTrue(table.contains(" AS "), table)
        let lines = table.split(separator: "\n").map(String.init)
        let expertRow = try XCTUnwrap(lines.first { $0.contains(asExpert) }, table)
        XCTAssertTrue(expertRow.contains("* ") && expertRow.contains("expert"), "riley's action is awaited on the request made to them: \(table)")
        XCTAssertFalse(try XCTUnwrap(lines.first { $0.contains(asUser) }).contains("*"), table)
        XCTAssertEqual(try asRiley.json(["meetings", "--role", "expert"])["items"]?.array?.map { $0["id"]?.string }, [asExpert])
        XCTAssertEqual(try asRiley.json(["meetings", "--role", "user"])["items"]?.array?.map { $0["id"]?.string }, [asUser])
        let csv = try spreadsheetRows(try asRiley.ok(["meetings", "--csv"]))
        XCTAssertEqual(Set(csv.map { "\($0["id"]?.string ?? "") \($0["side"]?.string ?? "")" }), ["\(asUser) user", "\(asExpert) expert"])
        XCTAssertFalse(try (try c.expert).ok(["meetings"]).contains(" AS "), "one side only: no AS column")
    }

    /// SPEC 5.3: a weekly window may be for some services only. `availability set` takes them
    /// after " #" (by name or id), sends them as the window's service_ids, and both it and
    /// `availability show` list them; a window without them is for every service.
    func testSessionsToLogAreListedFirstUntilLogged() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let ended = try c.agreedMeeting(start: "2030-03-05 10:00")
        let upcoming = try c.agreedMeeting(start: "2030-03-12 10:00")
        try c.admin.ok(["clock", "set", "2030-03-06T12:00:00Z"])
        // A session that has ended waits for its expert's log, whenever it was: listed first.
        let items = try expert.json(["meetings", "--role", "expert"])["items"]?.array ?? []
        XCTAssertEqual(items.map { $0["id"]?.string }, [ended, upcoming])
        XCTAssertEqual(items.map { $0["awaiting_action_by"] }, ["expert", .null])
        XCTAssertEqual(try expert.json(["meeting", "show", ended])["meeting"]?["awaiting_action_by"], "expert")
        let table = try expert.ok(["meetings"])
        let rows = table.split(separator: "\n").map(String.init)
        XCTAssertTrue(rows.count > 2 && rows[1].contains("*") && rows[1].contains(String(ended.suffix(6))), table)
        XCTAssertTrue(table.contains("a session that has ended: meetctl log"), table)
        let forAdmin = try c.admin.ok(["meetings", "--person", c.expertId])
        XCTAssertTrue(forAdmin.contains("* awaiting their action") && !forAdmin.contains("your action"), "another person's list: \(forAdmin)")
        // The user's side sees it by start (it holds their credits until logged), nothing to do.
        XCTAssertEqual(try (try c.user).json(["meetings"])["items"]?.array?.map { $0["id"]?.string }, [ended, upcoming])
        // With a --from, the list is what it asks for.
        XCTAssertEqual(try expert.json(["meetings", "--from", "2030-03-06 12:00"])["items"]?.array?.map { $0["id"]?.string }, [upcoming])
        try expert.ok(["log", ended, "--attendance", "attended"])
        XCTAssertEqual(try expert.json(["meetings"])["items"]?.array?.map { $0["id"]?.string }, [upcoming], "logged, it leaves the list")
        XCTAssertEqual(try (try c.user).json(["meetings"])["items"]?.array?.map { $0["id"]?.string }, [upcoming], "the user's too")
    }

    /// A block stops new bookings; the meetings already in the period stay, and the expert is
    /// told which.
    func testABlockOverMeetingsNamesThem() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let inside = try c.agreedMeeting(start: "2030-03-12 10:00")
        let outside = try c.agreedMeeting(start: "2030-03-13 10:00")
        let block = try expert.json(["availability", "block", "--start", "2030-03-12 08:00", "--end", "2030-03-12 12:00"])
        XCTAssertEqual(block["meetings_within"], [.string(inside)])
        let said = try expert.ok(["availability", "block", "--start", "2030-03-12 09:00", "--end", "2030-03-12 11:00"])
        XCTAssertTrue(said.contains("1 meeting already in this period (or with a new date in it) stays as it is") && said.contains("  \(inside)\n"), said)
        XCTAssertTrue(said.contains("meetctl alternate reject MEETING turns it down"), "a new date in the period is answered, not cancelled: \(said)")
        XCTAssertFalse(said.contains(outside), said)
        XCTAssertEqual(try expert.json(["meeting", "show", inside])["meeting"]?["status"], "agreed", "the block leaves it")
        XCTAssertFalse(try expert.ok(["availability", "block", "--start", "2030-03-14 08:00", "--end", "2030-03-14 12:00"]).contains("stay as they are"))
    }

    func testAWeeklyWindowCanBeForSomeServicesOnly() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let set = try expert.ok([
            "availability", "set", "--rule", "Mon 09:00-12:00 @Room 101", "--rule", "Sat 10:00-12:00 @Video call #chem101",
            "--rule", "Sun 10:00-11:00 @Video call #\(c.serviceId)",
        ])
        XCTAssertTrue(set.contains("SERVICES"), set)
        let lines = set.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Mon") && $0.hasSuffix("all") }, set)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Sat") && $0.hasSuffix("CHEM101") }, set)
        let shown = try expert.json(["availability", "show", "--from", "2030-03-11"])
        XCTAssertEqual(shown["weekly"]?.array?.map { $0["service_ids"] ?? .null }, [.null, [.string(c.serviceId)], [.string(c.serviceId)]])
        let table = try expert.ok(["availability", "show", "--from", "2030-03-11"])
        XCTAssertTrue(table.split(separator: "\n").contains { $0.hasPrefix("Sun") && $0.hasSuffix("CHEM101") }, table)

        let unknown = try expert.fails(["availability", "set", "--rule", "Mon 09:00-12:00 @Room 101 #Knitting"], status: 2)
        XCTAssertTrue(unknown.stderr.contains("Knitting"), unknown.stderr)
        let empty = try expert.fails(["availability", "set", "--rule", "Mon 09:00-12:00 @Room 101 #"], status: 2)
        XCTAssertTrue(empty.stderr.contains("empty service"), empty.stderr)
        XCTAssertEqual(try expert.json(["availability", "show", "--from", "2030-03-11"])["weekly"]?.array?.count, 3, "a refused set changes nothing")

        // A service the expert does not offer, in the second --rule (sent as the sixth rule, one
        // per day): the error names that --rule as written and the service in it, and says
        // which meetctl command certifies.
        try c.admin.ok(["service", "add", "--name", "PHYS9", "--kind", "generic", "--length", "1h", "--price", "50"])
        let offered = try expert.fails(["availability", "set", "--rule", "Mon-Fri 09:00-12:00 @Room 101", "--rule", "Sat 10:00-12:00 @Video call #CHEM101,PHYS9"],
                                       status: 1)
        let first = offered.stderr.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.hasPrefix("meetctl: --rule \"Sat 10:00-12:00 @Video call #CHEM101,PHYS9\": #PHYS9 is PHYS9, which this expert does not offer"), first)
        XCTAssertTrue(first.contains("certify them in it first (meetctl certify)"), first)
        XCTAssertTrue(offered.stderr.contains("field: rules[5].service_ids[1]"), "the service's own words below: \(offered.stderr)")
    }

    /// The one-off periods are listed with the ids `availability remove --period` takes, and one
    /// removed by its id is gone.
    func testOneOffPeriodsAreListedWithTheIdsRemoveTakes() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let free = try XCTUnwrap(try expert.json(["availability", "free", "--start", "2030-03-13 13:00", "--end", "2030-03-13 17:00", "--location", "Room 101"])["id"]?.string)
        let block = try XCTUnwrap(try expert.json(["availability", "block", "--start", "2030-03-12 09:00", "--end", "2030-03-12 10:00"])["id"]?.string)
        let table = try expert.ok(["availability", "show", "--from", "2030-03-11", "--to", "2030-03-15"])
        XCTAssertTrue(table.contains("One-off periods (meetctl availability remove --period ID):"), table)
        let rows = table.split(separator: "\n").map(String.init)
        XCTAssertTrue(rows.contains { $0.hasPrefix(free) && $0.contains("free") && $0.contains("Room 101") }, table)
        XCTAssertTrue(rows.contains { $0.hasPrefix(block) && $0.contains("blocked") }, table)
        try expert.ok(["availability", "remove", "--period", free])
        XCTAssertFalse(try expert.ok(["availability", "show", "--from", "2030-03-11", "--to", "2030-03-15"]).contains(free))
    }

    /// Seed 000, "Providers: Setting Up & Editing Hours": weekly hours read in the week's order
    /// (weekday, then start), whatever order they were typed in.
    func testWeeklyHoursAreListedInOrder() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let set = try expert.ok([
            "availability", "set", "--rule", "Wed 13:00-17:00 @Video call", "--rule", "Mon 13:00-15:00 @Room 101", "--rule", "Sun 08:00-09:00 @Room 101",
            "--rule", "Mon 09:00-12:00 @Room 101,Video call",
        ])
        let days = set.split(separator: "\n").dropFirst(2).map { String($0.prefix(16)) }
        XCTAssertEqual(days, ["Mon  09:00  12:00", "Mon  13:00  15:00", "Wed  13:00  17:00", "Sun  08:00  09:00"].map { String($0.prefix(16)) }, set)
        let shown = try expert.json(["availability", "show", "--from", "2030-03-11"])
        XCTAssertEqual(shown["weekly"]?.array?.map { "\($0["weekday"]?.int ?? 0) \($0["start"]?.string ?? "")" }, ["1 09:00", "1 13:00", "3 13:00", "7 08:00"])
    }

    /// meeting.list gives a meeting that changed between its pages again on a later page, as
    /// it is now; meetctl gathers every page, and shows that meeting once, as it is now. Here
    /// the user accepts the first of 501 proposals (more than one page of 500) between the
    /// pages meetctl asks for: a meetingd between meetctl and the real one has the acceptance made,
    /// by another meetingd, just before it passes on the request for the second page.
    func testAMeetingThatChangesBetweenPagesIsShownOnceAsItIsNow() throws {
        let c = try MeetctlCommunity.make(#function)
        try c.admin.ok(["settings", "set", "horizon_days=365"])
        let meetingd = try startMeetingd(["--test-clock"])
        // Weekdays from 03-05, 15:00 to 20:00 UTC (inside the expert's New York hours in winter and summer time), every 30 minutes.
        var starts: [String] = []
        var day = try XCTUnwrap(ISO8601DateFormatter().date(from: "2030-03-05T00:00:00Z"))
        while starts.count < 501 {
            let weekday = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: day).weekday!
            if (2...6).contains(weekday) {
                for minutes in stride(from: 15 * 60, to: 20 * 60, by: 30) where starts.count < 501 {
                    starts.append(ISO8601DateFormatter().string(from: day.addingTimeInterval(Double(minutes * 60))))
                }
            }
            day = day.addingTimeInterval(86_400)
        }
        let entries = starts.enumerated().map { i, start in
            #"{"jsonrpc":"2.0","id":\#(i),"method":"meeting.propose","params":{"actor":"\#(c.expertId)","user_id":"\#(c.userId)","service_id":"\#(c.serviceId)","start":"\#(start)","length_minutes":30,"price_credits":1,"location_id":"\#(c.videoId)"}}"#
        }
        try meetingd.send("[" + entries.joined(separator: ",") + "]", timeout: 120)
        let proposed = (try meetingd.readResponse(timeout: 120).array ?? []).sorted { ($0["id"]?.int ?? 0) < ($1["id"]?.int ?? 0) }
        let ids = proposed.compactMap { $0["result"]?["id"]?.string }
        XCTAssertEqual(ids.count, 501, "\(proposed.first { $0["error"] != nil } ?? [:])")
        let first = ids[0]

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-between-pages-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let between = folder.appendingPathComponent("meetingd-between")
        try """
            #!/usr/bin/env python3
            import json, os, subprocess, sys
            real = os.environ["REAL_MEETINGD"]
            inner = subprocess.Popen([real] + sys.argv[1:], stdin=subprocess.PIPE, stdout=sys.stdout, text=True)
            changed = False
            for line in sys.stdin:
                message = json.loads(line)
                if not changed and message.get("method") == "meeting.list" and "cursor" in message.get("params", {}):
                    done = subprocess.run([real, "--test-clock"], input=os.environ["CHANGE"] + "\\n", text=True, capture_output=True)
                    if '"result"' not in done.stdout:
                        sys.exit("the change between the pages failed: " + done.stdout + done.stderr)
                    changed = True
                inner.stdin.write(line)
                inner.stdin.flush()
            inner.stdin.close()
            sys.exit(inner.wait())
            """.write(to: between, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: between.path)
        func change(_ id: String) -> String {
            #"{"jsonrpc":"2.0","id":1,"method":"meeting.confirm","params":{"actor":"\#(c.userId)","meeting_id":"\#(id)"}}"#
        }
        var expert = try c.expert
        expert.environment["REAL_MEETINGD"] = TestEnvironment.meetingdPath
        expert.environment["MEETINGLEDGER_MEETINGD"] = between.path

        expert.environment["CHANGE"] = change(first)
        let rows = try spreadsheetRows(try expert.ok(["meetings", "--csv"]))
        XCTAssertEqual(rows.count, 501, "one row per meeting")
        XCTAssertEqual(Set(rows.compactMap { $0["id"]?.string }).count, 501)
        XCTAssertEqual(rows.filter { $0["id"]?.string == first }.map { $0["status"]?.string }, ["agreed"], "once, as it is now")

        expert.environment["CHANGE"] = change(ids[1])
        let table = try expert.ok(["meetings"])
        XCTAssertEqual(table.components(separatedBy: ids[1]).count - 1, 1, "the table shows it once too")
        expert.environment["CHANGE"] = change(ids[2])
        let json = try expert.json(["meetings"])
        XCTAssertEqual(json["items"]?.array?.compactMap { $0["id"]?.string }.filter { $0 == ids[2] }.count, 1, "and --json")
        XCTAssertEqual(json["items"]?.array?.count, 501)
    }
}
