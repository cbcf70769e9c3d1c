import Foundation
import XCTest

/// Seed 002's spreadsheets as an admin uses them — "download the Courses CSV", "fill out",
/// "save and upload" — for people, services, certifications and enrolments, through meetctl
/// and meetingd's pipes.
final class SeedStepsPeopleImportTests: EndToEndTestCase {
    func file(_ text: String, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(TestEnvironment.uniqueTag()).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Seed 002 ("Courses CSV"): "First, download the Courses CSV … Next, you'll follow the steps
    /// to fill out your provider services … save and upload your Courses CSV." And the Tutors
    /// CSV: "download the Tutors CSV … fill out the emails of your providers … certify your
    /// providers in their provider-specific service and the generic provider service".
    func testDownloadFillInAndUploadTheSpreadsheets() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin, tag = c.tag
        let talia = "talia.\(tag)@peer.example", bo = "bo.\(tag)@peer.example", sam = "sam.\(tag)@peer.example"

        // People, with the header as a spreadsheet user types it.
        let people = "Email,First Name,Last Name,ROLES,Time_Zone\n\(talia),Talia,K,expert,America/New_York\n\(bo),Bo,N,expert,UTC\n\(sam),Sam,P,user,Europe/Prague\n"
        let preview = try admin.ok(["import", "people", try file(people, "people"), "--dry-run"])
        XCTAssertTrue(preview.hasPrefix("Dry run, nothing changed. The import would make: 3 created, 0 updated, 0 unchanged."), preview)
        XCTAssertTrue(preview.contains("line 2: create \(talia)") && preview.contains("line 4: create \(sam)"), preview)
        XCTAssertFalse(try admin.ok(["export", "people"]).contains(talia), "the dry run changed nothing")
        XCTAssertEqual(try admin.ok(["import", "people", try file(people, "people")]), "Imported: 3 created, 0 updated, 0 unchanged.\n")

        // "download the Courses CSV": the fixture's CHEM101 is in it; fill in two rows, upload.
        var courses = try admin.ok(["export", "services"])
        XCTAssertTrue(courses.hasPrefix("name,kind,default_length_minutes,price_credits,expert_email,skills,agenda_questions,active\r\n"), courses)
        XCTAssertTrue(courses.contains("CHEM101,generic,60,100,,,,true\r\n"), courses)
        courses = courses.replacingOccurrences(of: "CHEM101,generic,60,100,", with: "CHEM101,generic,60,120,")
        courses += "All available Peer Mentoring,generic,60,50,,,What would you like to talk about?,\r\n"
        courses += "Peer Mentoring with Talia K,expert_specific,60,50,\(talia),,,\r\n"
        let dry = try admin.ok(["import", "services", try file(courses, "courses"), "--dry-run"])
        XCTAssertTrue(dry.contains("1 updated") && dry.contains("2 created") && dry.contains("line 2: update CHEM101"), dry)
        XCTAssertTrue(try admin.ok(["export", "services"]).contains("CHEM101,generic,60,100,"), "the dry run changed nothing")
        XCTAssertEqual(try admin.ok(["import", "services", try file(courses, "courses")]), "Imported: 2 created, 1 updated, 0 unchanged.\n")
        let downloaded = try admin.ok(["export", "services"])
        XCTAssertEqual(try admin.ok(["import", "services", try file(downloaded, "again")]), "Imported: 0 created, 0 updated, 3 unchanged.\n",
                       "a downloaded file uploads unchanged")
        // Seed 002's figure has a Course Number column, "left blank" for general topics: taken.
        let figure = "Name,Course Number,Kind,Default Length Minutes,Price Credits\r\nAll available Peer Mentoring,,generic,60,50\r\n"
        XCTAssertEqual(try admin.ok(["import", "services", try file(figure, "figure")]), "Imported: 0 created, 0 updated, 1 unchanged.\n")

        // "Tutors CSV": both mentors in the generic service, Talia in her own (which she holds).
        let tutors = "service,expert_email\nAll available Peer Mentoring,\(talia)\nAll available Peer Mentoring,\(bo)\nPeer Mentoring with Talia K,\(talia)\n"
        XCTAssertEqual(try admin.ok(["import", "certifications", try file(tutors, "tutors")]), "Imported: 2 created, 0 updated, 1 unchanged.\n")
        let certified = try admin.ok(["export", "certifications"])
        XCTAssertTrue(certified.contains("Peer Mentoring with Talia K,\(talia)\r\n") && certified.contains("All available Peer Mentoring,\(bo)\r\n"), certified)
        XCTAssertEqual(try admin.ok(["import", "certifications", try file(certified, "certified")]).hasSuffix("0 created, 0 updated, 4 unchanged.\n"), true)

        // "Course Enrollment CSV", and its tab.
        let enrolment = "User Email,Service\n\(sam),Peer Mentoring with Talia K\n"
        XCTAssertEqual(try admin.ok(["import", "enrollments", try file(enrolment, "enrolment")]), "Imported: 1 created, 0 updated, 0 unchanged.\n")
        XCTAssertEqual(try admin.ok(["export", "enrollments"]), "user_email,service,expert_email\r\n\(sam),Peer Mentoring with Talia K,\r\n")

        // A bad file: each problem on its own line, nothing changed.
        let bad = "email,first_name,last_name,roles,time_zone\nnew.\(tag)@peer.example,New,Person,user,UTC\n\(bo),Bo,N,user,UTC\nx@y,,Z,user,Mars/Base\n"
        let refused = try admin.fails(["import", "people", try file(bad, "bad")], status: 1)
        let lines = refused.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  line 3: roles leaves out expert, which \(bo) holds") }, refused.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  line 4: email ") }, refused.stderr)
        XCTAssertFalse(try admin.ok(["export", "people"]).contains("new.\(tag)@peer.example"), "the good row was not kept")
    }

    /// People imported are people like any other: a user's wallet and an expert's earnings are
    /// opened, and a role added by a later import opens its account. The export pages through
    /// meetingd, each page a file the import takes as it is.
    func testImportedPeopleGetTheirAccountsAndTheExportPagesImportAsTheyAre() throws {
        let w = try MeetingWorld(self, label: #function)
        let tag = TestEnvironment.uniqueTag()
        let csv = (1...5).map { "p\($0).\(tag)@school.example,P\($0),Tester,user,UTC" }.joined(separator: "\n")
        let first = try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": "people", "csv": .string("email,first_name,last_name,roles,time_zone\n" + csv)])
        XCTAssertEqual(first["created"], 5)
        XCTAssertEqual(first["changes"]?.array?.first?["subject"]?.string, "p1.\(tag)@school.example")
        let p1 = try XCTUnwrap(try w.meetingd.result("person.find_by_email", as: w.admin, ["email": .string("p1.\(tag)@school.example")])["id"]?.string)
        try w.grant(p1, 30)
        let promoted = try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": "people", "csv": .string(
            "email,first_name,last_name,roles,time_zone\np1.\(tag)@school.example,Pat,Tester,user;expert,Europe/Prague\n")])
        XCTAssertEqual(promoted["updated"], 1)
        let accounts = try w.meetingd.result("ledger.balance", as: w.finance, ["person_id": .string(p1)])["accounts"]?.array ?? []
        XCTAssertEqual(Set(accounts.compactMap { $0["kind"]?.string }), ["user_wallet", "expert_earnings"])
        let person = try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(p1)])
        XCTAssertEqual(person["first_name"], "Pat")
        XCTAssertEqual(person["time_zone"], "Europe/Prague")
        XCTAssertEqual(person["roles"], ["expert", "user"])

        var cursor: JSONValue = .null, pages: [String] = []
        repeat {
            var params: [String: JSONValue] = ["kind": "people", "limit": 3]
            if !cursor.isNull { params["cursor"] = cursor }
            let page = try w.meetingd.result("catalog.export_csv", as: w.admin, params)
            pages.append(page["csv"]?.string ?? "")
            cursor = page["next_cursor"] ?? .null
        } while !cursor.isNull && pages.count < 10
        XCTAssertEqual(pages.count, 3, "9 people (the fixture's 4 and 5 imported), 3 a page")
        for page in pages {
            XCTAssertTrue(page.hasPrefix("email,first_name,last_name,roles,time_zone\r\n"), page)
            let again = try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": "people", "csv": .string(page), "dry_run": true])
            XCTAssertEqual(again["created"], 0)
            XCTAssertEqual(again["updated"], 0)
        }
        try w.meetingd.error("catalog.export_csv", as: w.user, ["kind": "people"], code: 4003)
        try w.meetingd.error("catalog.export_csv", as: w.admin, ["kind": "people", "cursor": "00"], code: -32602)
        try w.assertReconciled()
    }

    /// What was stored reads back from an exported page unchanged, whatever a name holds: an
    /// apostrophe of its own before a formula start, a line break, a `;` inside a skill or an
    /// agenda question. The page imports as it is: nothing created, nothing updated.
    func testAnExportedPageOfHostileValuesImportsUnchanged() throws {
        let w = try MeetingWorld(self, label: #function)
        let tag = TestEnvironment.uniqueTag()
        try w.meetingd.result("service.create", as: w.admin, [
            "name": .string("'=2+3 \(tag)"), "kind": "generic", "default_length_minutes": 30, "price_credits": 5,
            "skills": ["a;b", "C:\\dir"], "agenda_questions": ["Which one; A or B?", " Q2\t"],
        ])
        try w.meetingd.result("service.create", as: w.admin, [
            "name": .string("x\(tag) '-1"), "kind": "generic", "default_length_minutes": 30, "price_credits": 5,
            "agenda_questions": ["Bring:\n'-1\n=cmd"],
        ])
        try w.meetingd.result("person.create", as: w.admin, [
            "email": .string("apostrophe.\(tag)@school.example"), "first_name": "'@SUM(A1)", "last_name": "O'Neil", "roles": ["user"], "time_zone": "UTC",
        ])
        for kind in ["services", "people"] {
            let page = try w.meetingd.result("catalog.export_csv", as: w.admin, ["kind": .string(kind)])
            let csv = try XCTUnwrap(page["csv"]?.string)
            XCTAssertTrue(csv.contains(tag), csv)
            let again = try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": .string(kind), "csv": .string(csv), "dry_run": true])
            XCTAssertEqual(again["created"], 0, "\(kind): \(again)")
            XCTAssertEqual(again["updated"], 0, "\(kind): \(again)")
        }
        let services = try w.meetingd.result("service.list", as: w.admin)["items"]?.array ?? []
        let first = try XCTUnwrap(services.first { $0["name"]?.string == "'=2+3 \(tag)" })
        XCTAssertEqual(first["skills"], ["a;b", "C:\\dir"])
        XCTAssertEqual(first["agenda_questions"], ["Which one; A or B?", "Q2"], "questions are stored trimmed, as an import reads them")
        let blank = try w.meetingd.error("service.create", as: w.admin, [
            "name": .string("Blank \(tag)"), "kind": "generic", "default_length_minutes": 30, "price_credits": 5, "agenda_questions": ["Q1", " \u{A0}"],
        ], code: -32602)
        XCTAssertEqual(blank["data"]?["field"], "agenda_questions[1]")
    }

    /// `meetctl export people` joins its pages into one file; a file larger than one import
    /// (here 10,005 rows) goes back in pages within the import's bounds, each with the header:
    /// every page is dry-run first and imported only if all pass, then one by one. A bad row on
    /// the last page imports nothing, and is named by its line in the file and its page.
    /// A people file's header and 10,005 rows (one more page than one import takes).
    func bulkPeople(_ tag: String) -> (header: String, rows: [String]) {
        ("email,first_name,last_name,roles,time_zone\n", (1...10_005).map { "p\($0).\(tag)@bulk.example,P\($0),Bulk,user,UTC\n" })
    }

    func testAFileLargerThanOneImportGoesInPages() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin, tag = c.tag
        let (header, rows) = bulkPeople(tag)
        let count = rows.count
        var bad = rows
        bad[count - 2] = "broken.\(tag)@bulk.example,,Bulk,user,UTC\n"
        let refused = try admin.fails(["import", "people", try file(header + bad.joined(), "bad")], status: 1)
        XCTAssertTrue(refused.stderr.contains("page 2 of 2"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("line \(count): first_name"), "the line in the file: \(refused.stderr)")
        XCTAssertTrue(refused.stderr.contains("nothing was imported"), refused.stderr)
        XCTAssertFalse(try admin.ok(["export", "people"]).contains("p1.\(tag)@"), "page 1 was not imported either")

        let good = try file(header + rows.joined(), "good")
        let dry = try admin.ok(["import", "people", good, "--dry-run"])
        XCTAssertTrue(dry.contains("2 pages") && dry.contains("\(count) created, 0 updated, 0 unchanged"), dry)
        XCTAssertTrue(dry.contains("line \(count + 1): create p\(count).\(tag)@bulk.example"), "lines of the file: \(dry.suffix(300))")
        // Each page under the retry key and its number: the same command again answers as the
        // first run, and imports nothing twice.
        let done = try admin.ok(["import", "people", good, "--idempotency-key", String(repeating: "k", count: 193)])
        XCTAssertTrue(done.contains("2 pages") && done.contains("one by one") && done.contains("Imported: \(count) created, 0 updated, 0 unchanged."), done)
        let again = try admin.ok(["import", "people", good, "--idempotency-key", String(repeating: "k", count: 193)])
        XCTAssertTrue(again.contains("Imported: \(count) created, 0 updated, 0 unchanged."), "the first run's answer: \(again.suffix(300))")
        let exported = try admin.ok(["export", "people"])
        XCTAssertTrue(exported.contains("p1.\(tag)@") && exported.contains("p\(count).\(tag)@"))
        XCTAssertEqual(exported.components(separatedBy: "@bulk.example").count - 1, count, "each person once")
        XCTAssertTrue(try admin.ok(["import", "people", try file(exported, "again")]).contains("0 created, 0 updated"), "the joined export imports back")
    }

    /// A file of pages is imported under the retry key and each page's number: a key too long for
    /// that is refused before any page is sent (a later page's key was refused after earlier
    /// pages were imported, and so on every run again).
    func testARetryKeyIsCheckedForEveryPageBeforeAnyIsImported() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin, tag = c.tag
        let (header, rows) = bulkPeople(tag)
        let good = try file(header + rows.joined(), "keyed")
        let tooLong = String(repeating: "k", count: 194)
        let refused = try admin.fails(["import", "people", good, "--idempotency-key", tooLong], status: 2)
        XCTAssertTrue(refused.stderr.contains("the file goes in 2 pages") && refused.stderr.contains("at most 193 characters (got 194)"), refused.stderr)
        XCTAssertFalse(try admin.ok(["export", "people"]).contains("p1.\(tag)@"), "nothing was imported")
    }

    /// A row that repeats an e-mail of another page is refused for the whole file, as one import
    /// of it would be: each page's dry run alone passed, and the later row silently overwrote the
    /// earlier person.
    func testARowRepeatingOneOfAnotherPageIsRefusedForTheWholeFile() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin, tag = c.tag
        var (header, rows) = bulkPeople(tag)
        let count = rows.count
        rows[count - 2] = "P5.\(tag)@BULK.example,Again,Bulk,user,UTC\n"
        let refused = try admin.fails(["import", "people", try file(header + rows.joined(), "repeat")], status: 1)
        XCTAssertTrue(refused.stderr.contains("line \(count): repeats the e-mail P5.\(tag)@BULK.example of line 6"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("no page was imported"), refused.stderr)
        XCTAssertFalse(try admin.ok(["export", "people"]).contains("p1.\(tag)@"), "nothing was imported")
    }
}
