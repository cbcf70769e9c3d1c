@testable import Catalog
import Community
import Core
import Meetings
import Foundation
import XCTest

final class SheetTests: XCTestCase {
    func testHeaderNamesMatchWhateverTheirCaseSpacesAndUnderscores() throws {
        let read = try Sheet.read(.people, csv: "EMAIL, First Name ,last_name,Roles,TIME_ZONE\r\na@x.example,Ann,Lee,user,UTC\r\n")
        XCTAssertEqual(read.rows, [SheetRow(line: 2, values: ["email": "a@x.example", "first_name": "Ann", "last_name": "Lee", "roles": "user", "time_zone": "UTC"])])
        XCTAssertEqual(Sheet.headerKey("Default Length_Minutes"), "defaultlengthminutes")
    }

    func testHeaderProblemsAreAllReportedAtLineOne() {
        XCTAssertThrowsError(try Sheet.read(.people, csv: "email,email,colour\n")) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [1, 1, 1, 1, 1, 1])
            XCTAssertEqual(list.map(\.message), [
                "column email is given twice", "unknown column colour (column 3); expected email, first_name, last_name, roles, time_zone",
                "missing column first_name", "missing column last_name", "missing column roles", "missing column time_zone",
            ])
        }
        XCTAssertThrowsError(try Sheet.read(.services, csv: "")) { XCTAssertEqual(($0 as? ImportProblems)?.list.first?.line, 1) }
    }

    func testAnExportedPageReadsBackAsItWasWrittenFormulaGuardsIncluded() throws {
        let cells: [[JSON]] = [["=HYPERLINK(\"x\")", "generic", 60, 10, nil, "@skill;+other", "-Why?\n=again", true]]
        let page = Sheet.write(.services, rows: cells)
        XCTAssertEqual(page.rows, 1)
        XCTAssertTrue(page.csv.contains("'=HYPERLINK"), page.csv)
        let back = try Sheet.read(.services, csv: page.csv).rows
        XCTAssertEqual(back.first?["name"], "=HYPERLINK(\"x\")")
        XCTAssertEqual(back.first?["skills"], "@skill;+other")
        XCTAssertEqual(back.first?["agenda_questions"], "-Why?\n=again")
    }

    func testAPageStopsBeforeTheImportsSize() {
        let row: [JSON] = [.string(String(repeating: "x", count: 200)), "generic", 60, 10, nil, nil, .string(String(repeating: "q", count: 9000))]
        let page = Sheet.write(.services, rows: Array(repeating: row, count: 200))
        XCTAssertLessThan(page.rows, 200)
        XCTAssertLessThanOrEqual(page.csv.unicodeScalars.count, Sheet.maxCharacters)
    }

    /// A spreadsheet saves an empty row as commas alone: it is skipped, as an empty line is.
    func testARowOfCommasAloneIsAnEmptyRow() throws {
        let read = try Sheet.read(.services, csv: "name,kind,default_length_minutes,price_credits\n,,,\nA,generic,60,10\n , ,\"\",\n")
        XCTAssertEqual(read.rows.map(\.line), [3])
        XCTAssertEqual(read.problems.list, [])
    }

    /// A spreadsheet that saved empty columns after the named ones (commas at each row's end)
    /// is read without them; a value in such a column is a problem of its line, said so.
    func testColumnsWithoutANameAreLeftOutWhileTheyHoldNothing() throws {
        let read = try Sheet.read(.services, csv: "name,kind,default_length_minutes,price_credits,,\r\nTrail,generic,30,10,,\r\n,,,,,\r\n")
        XCTAssertEqual(read.rows, [SheetRow(line: 2, values: ["name": "Trail", "kind": "generic", "default_length_minutes": "30", "price_credits": "10"])])
        XCTAssertEqual(read.problems.list, [])
        let held = try Sheet.read(.services, csv: "name,kind,default_length_minutes,price_credits,\nA,generic,30,10,oops\nB,generic,30,10,\n")
        XCTAssertEqual(held.rows.map(\.line), [3])
        XCTAssertEqual(held.problems.list.map(\.line), [2])
        XCTAssertTrue(held.problems.list.first?.message.contains("column 5 holds a value but has no name in the header") ?? false, "\(held.problems.list)")
    }

    /// Seed 002's Courses CSV has a Course Number column, "left blank" for general topics: a
    /// services file with it imports while every row leaves it blank (it was refused whole as an
    /// unknown column), and a value in it is a problem of its line; other kinds keep refusing it.
    func testTheCoursesCSVsCourseNumberColumnIsTakenWhileItIsBlank() throws {
        let csv = "Name,Course Number,Kind,Default Length Minutes,Price Credits\r\nAll available Peer Mentoring,,generic,30,50\r\n"
        let read = try Sheet.read(.services, csv: csv)
        XCTAssertEqual(read.rows, [SheetRow(line: 2, values: ["name": "All available Peer Mentoring", "kind": "generic", "default_length_minutes": "30", "price_credits": "50"])])
        XCTAssertEqual(read.problems.list, [])
        let numbered = try Sheet.read(.services, csv: "name,course_number,kind,default_length_minutes,price_credits\nA,CHEM-101,generic,30,10\nB, ,generic,30,10\n")
        XCTAssertEqual(numbered.rows.map(\.line), [3])
        XCTAssertEqual(numbered.problems.list.map(\.line), [2])
        XCTAssertTrue(numbered.problems.list.first?.message.contains("course_number holds a value, but services have no course number here; leave the column blank or remove it") ?? false,
                      "\(numbered.problems.list)")
        XCTAssertThrowsError(try Sheet.read(.services, csv: "name,course_number,kind,default_length_minutes,price_credits,Course Number\nA,,generic,30,10,\n")) {
            XCTAssertTrue((($0 as? ImportProblems)?.list.first?.message ?? "").contains("column course_number is given twice"), "\($0)")
        }
        XCTAssertThrowsError(try Sheet.read(.certifications, csv: "service,expert_email,course_number\nA,a@x.example,\n")) {
            XCTAssertTrue((($0 as? ImportProblems)?.list.first?.message ?? "").contains("unknown column course_number"), "\($0)")
        }
    }

    /// A file saved with semicolons between its columns is told so, once, not as five unknown
    /// and missing columns.
    /// So too where quoted cells make it no CSV at all: every cell quoted (as LibreOffice saves
    /// text), or a cell of several skills quoted for its semicolons (as Excel saves it); they
    /// were told "unexpected character after a closing quote" or "a quote inside an unquoted
    /// field".
    func testColumnsSeparatedBySemicolonsAreToldSo() {
        for csv in ["name;kind;default_length_minutes;price_credits\r\nSemi;generic;30;10\r\n",
                    "\"name\";\"kind\";\"default_length_minutes\";\"price_credits\"\r\n\"Semi\";\"generic\";30;10\r\n",
                    "\u{FEFF}name;kind;default_length_minutes;price_credits;skills\nSemi;generic;30;10;\"math;writing\"\n"] {
            XCTAssertThrowsError(try Sheet.read(.services, csv: csv)) { error in
                let list = (error as? ImportProblems)?.list ?? []
                XCTAssertEqual(list.count, 1, "\(list)")
                XCTAssertTrue(list.first?.message.contains("separated by semicolons") ?? false, "\(csv.debugDescription): \(list)")
            }
        }
        XCTAssertNil(Sheet.readingProblem("name,kind\nA;B,generic\n"), "a semicolon in a cell of a file with commas is a cell's")
        XCTAssertEqual(Sheet.readingProblem("name,kind\nA\"B,generic\n")?.line, 2, "a file that is no CSV is told its line")
    }

    /// The "at most N rows" problem is on the first row past the bound, not on the first row.
    func testTooManyRowsNamesTheFirstRowPastTheBound() {
        let csv = "service,expert_email\n" + String(repeating: "A,a@x.example\n", count: Sheet.maxRows + 1)
        XCTAssertThrowsError(try Sheet.read(.certifications, csv: csv)) {
            let list = ($0 as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [Sheet.maxRows + 2])
            XCTAssertTrue(list.first?.message.contains("row \(Sheet.maxRows + 1)") ?? false, "\(list)")
        }
    }

    /// The error lists at most `maxProblemsListed` problems and says how many there are.
    func testACutProblemListSaysHowManyThereAre() {
        let problems = ImportProblems((1...1_001).map { ImportProblem(line: $0 + 1, message: "bad") })
        XCTAssertEqual(problems.error.details["errors"]?.arrayValue?.count, Sheet.maxProblemsListed)
        XCTAssertEqual(problems.error.details["total"], 1_001)
        XCTAssertEqual(problems.error.details["truncated"], true)
        XCTAssertEqual(ImportProblems([ImportProblem(line: 2, message: "bad")]).error.details["truncated"], false)
    }

    /// A file larger than one import is cut between its rows into pages that each fit one: the
    /// header on every page, rows as written (quoted line breaks and apostrophes kept), and
    /// what to add to a page's line to get the file's.
    func testAFileIsCutIntoPagesWithinTheImportsBounds() throws {
        let header = "\u{FEFF}name,kind,default_length_minutes,price_credits,agenda_questions\r\n"
        let row = "'=Course,generic,60,10,\"\(String(repeating: "q", count: 300))\r\nsecond line\"\r\n"
        let csv = header + "\r\n" + String(repeating: row, count: 4_000)
        let pages = Sheet.pages(csv)
        XCTAssertGreaterThan(pages.count, 1)
        XCTAssertEqual(pages.map { try? Sheet.read(.services, csv: $0.csv).rows.count }.reduce(0) { $0 + ($1 ?? 0) }, 4_000)
        for page in pages {
            XCTAssertTrue(page.csv.hasPrefix(header), "every page has the header")
            XCTAssertLessThanOrEqual(Sheet.jsonStringBytes(page.csv), Sheet.maxPageJSONBytes)
            XCTAssertEqual(try Sheet.read(.services, csv: page.csv).rows.first?["name"], "=Course", "the apostrophe is as written")
        }
        // Row r (from 0) starts on line 3 + 2r of the file: the header, an empty line, two lines a row.
        let second = try Sheet.read(.services, csv: pages[1].csv).rows
        let rowsBefore = try Sheet.read(.services, csv: pages[0].csv).rows.count
        XCTAssertEqual(pages[1].fileLine(second[0].line), 3 + 2 * rowsBefore)
        XCTAssertEqual(pages[1].fileLine(1), 1, "the header is line 1 of the file too")
        XCTAssertEqual(Sheet.pages(header + row).map(\.csv), [header + row], "a file one import takes is one page, as it is")
        let many = "service,expert_email\n" + String(repeating: "A,a@x.example\n", count: Sheet.maxRows + 1)
        XCTAssertEqual(try Sheet.pages(many).map { try Sheet.read(.certifications, csv: $0.csv).rows.count }, [Sheet.maxRows, 1])
    }

    /// A page imports as it is: within the import's bound in scalars (CR LF is one Character and
    /// two scalars: 903 rows of 1,100 letters passed it by 36) and, as a JSON string from any
    /// client, within the 1 MiB message (615,085 characters of accented letters were 1,215,685
    /// bytes). The page is as long as those bounds allow, not shorter.
    func testAPageFitsTheImportsBoundsInScalarsAndBytes() {
        let ascii: [JSON] = ["Letters", "generic", 60, 10, nil, nil, .string([500, 500, 100].map { String(repeating: "a", count: $0) }.joined(separator: ";"))]
        let accented: [JSON] = ["Accents", "generic", 60, 10, nil, nil, .string(String(repeating: "é", count: 500) + ";" + String(repeating: "ř", count: 500))]
        for (what, row) in [("ASCII", ascii), ("accented", accented)] {
            let rows = Array(repeating: row, count: 2_000)
            let page = Sheet.write(.services, rows: rows)
            XCTAssertGreaterThan(page.rows, 0, what)
            XCTAssertLessThan(page.rows, rows.count, what)
            XCTAssertLessThanOrEqual(page.csv.unicodeScalars.count, Sheet.maxCharacters, what)
            XCTAssertLessThanOrEqual(Sheet.jsonStringBytes(page.csv), Sheet.maxPageJSONBytes, what)
            let escaped = try? JSONSerialization.data(withJSONObject: [page.csv])
            XCTAssertLessThanOrEqual((escaped?.count ?? .max) - 4, Sheet.maxPageJSONBytes, "\(what): as Foundation writes it")
            XCTAssertGreaterThan(Sheet.jsonStringBytes(Sheet.write(.services, rows: Array(rows.prefix(page.rows + 1)), maxBytes: .max).csv),
                                 Sheet.maxPageJSONBytes, "\(what): one row more would not fit")
        }
        XCTAssertEqual(Sheet.jsonStringBytes("a\"\\\r\n\u{1}é😀"), 1 + 2 + 2 + 2 + 2 + 6 + 6 + 12)
    }
}

final class ImportDeciderTests: XCTestCase {
    let ann = PersonFacts(id: "per_ann", email: "Ann@X.example", firstName: "Ann", lastName: "Lee", roles: [.user], timeZone: "UTC")
    let talia = PersonFacts(id: "per_t", email: "talia@x.example", firstName: "Talia", lastName: "K", roles: [.expert], timeZone: "UTC")
    var counter = 0

    func facts(people: [PersonFacts] = [], services: [ServiceFacts] = []) -> ImportFacts {
        ImportFacts(people: people, services: services, certifications: [], enrollments: [], databaseZones: nil)
    }

    func rows(_ kind: SheetKind, _ csv: String) throws -> [SheetRow] { try Sheet.read(kind, csv: csv).rows }

    func decide(_ kind: SheetKind, _ csv: String, _ f: ImportFacts) throws -> ImportPlan {
        try ImportDecider.decide(kind, rows: try rows(kind, csv), facts: f) { "\($0.rawValue)_new" }
    }

    func testPeopleAreCreatedUpdatedOrLeftAndRolesOpenAccounts() throws {
        let csv = """
            email,first_name,last_name,roles,time_zone
            ann@x.example,Ann,Lee,user;expert,UTC
            bo@x.example,Bo,N,expert,Europe/Prague
            talia@x.example,Talia,K,expert,UTC
            """
        let plan = try decide(.people, csv, facts(people: [ann, talia]))
        XCTAssertEqual(plan.changes.map(\.action), [.update, .create, .unchanged])
        XCTAssertEqual(plan.writes.changedPeople.map(\.roles), [[.user, .expert]])
        XCTAssertEqual(plan.writes.newPeople.map(\.email), ["bo@x.example"])
        XCTAssertEqual(plan.writes.accounts.map { "\($0.kind.rawValue) \($0.ownerId)" }, ["expert_earnings per_ann", "expert_earnings per_new"])
    }

    func testEveryBadPeopleRowIsReportedByLineAndNothingIsPlanned() throws {
        let csv = """
            email,first_name,last_name,roles,time_zone
            ann@x.example,Ann,Lee,expert,UTC
            not-an-email,A,B,user,UTC
            c@x.example,C,D,wizard,UTC
            d@x.example,D,E,user,Mars/Olympus
            e@x.example,,E,user,UTC
            f@x.example,F,F,,UTC
            C@X.example,C,D,user,UTC
            """
        XCTAssertThrowsError(try decide(.people, csv, facts(people: [ann]))) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [2, 3, 4, 5, 6, 7, 8])
            XCTAssertTrue(list[0].message.contains("leaves out user, which ann@x.example holds"), list[0].message)
            XCTAssertTrue(list[1].message.hasPrefix("email "), list[1].message)
            XCTAssertTrue(list[2].message.contains("wizard"), list[2].message)
            XCTAssertTrue(list[3].message.hasPrefix("time_zone "), list[3].message)
            XCTAssertTrue(list[4].message.hasPrefix("first_name "), list[4].message)
            XCTAssertTrue(list[5].message.hasPrefix("roles is empty"), list[5].message)
            XCTAssertEqual(list[6].message, "repeats the e-mail C@X.example of line 4")
        }
    }

    /// Roles written as a spreadsheet's comma list are told how a list is written.
    func testRolesWithCommasAreToldTheListSeparator() throws {
        let csv = "email,first_name,last_name,roles,time_zone\ng@x.example,G,H,\"user,office\",UTC\nh@x.example,H,I,wizard,UTC\n"
        XCTAssertThrowsError(try decide(.people, csv, facts())) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [2, 3])
            XCTAssertTrue(list.first?.message.hasSuffix("a list's items are separated by ; (user;office)") == true, list.first?.message ?? "")
            XCTAssertFalse(list.last?.message.contains("separated") == true, "no comma, no hint: \(list.last?.message ?? "")")
        }
    }

    /// A spreadsheet's capitals are no mistake: a kind in any case is the kind, a zone's name in
    /// any case the zone PostgreSQL names; an empty kind or zone is told as empty.
    func testKindsAndZonesAreReadInAnyCaseAndAnEmptyOneIsToldSo() throws {
        let services = "name,kind,default_length_minutes,price_credits\nA,Generic,30,10\nB,GENERIC,45,0\n"
        XCTAssertEqual(try decide(.services, services, facts()).changes.map(\.action), [.create, .create])
        XCTAssertThrowsError(try decide(.services, "name,kind,default_length_minutes,price_credits\nC,,30,10\n", facts())) { error in
            XCTAssertEqual((error as? ImportProblems)?.list.first?.message, "kind is empty; give generic or expert_specific")
        }
        var zoned = facts()
        zoned.databaseZones = ["America/New_York", "UTC"]
        let people = "email,first_name,last_name,roles,time_zone\neli@x.example,Eli,Fox,expert,america/new_york\n"
        XCTAssertEqual(try decide(.people, people, zoned).writes.newPeople.map(\.timeZone), ["America/New_York"])
        XCTAssertThrowsError(try decide(.people, "email,first_name,last_name,roles,time_zone\nfay@x.example,Fay,Fox,user,\n", zoned)) { error in
            XCTAssertTrue((error as? ImportProblems)?.list.first?.message.hasPrefix("time_zone is empty") ?? false, "\(error)")
        }
    }

    /// Every column's problem of a row is listed, not only the first: an admin mends the
    /// row in one pass (a bad role hid the bad zone until the role was fixed).
    func testARowWithSeveralBadColumnsListsEachOfThem() throws {
        let people = """
            email,first_name,last_name,roles,time_zone
            not-an-email,,B,user;wizard,Mars/Base
            """
        XCTAssertThrowsError(try decide(.people, people, facts())) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [2, 2, 2, 2])
            XCTAssertEqual(list.map { String($0.message.prefix { $0 != " " }) }, ["email", "first_name", "roles", "time_zone"], "\(list)")
        }
        // A row repeating an earlier one is told so beside its own bad columns.
        let repeated = """
            email,first_name,last_name,roles,time_zone
            a@x.example,A,B,user,UTC
            A@x.example,A,B,wizard,UTC
            """
        XCTAssertThrowsError(try decide(.people, repeated, facts())) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [3, 3], "\(list)")
            XCTAssertEqual(list.map { String($0.message.prefix { $0 != " " }) }, ["repeats", "roles"], "\(list)")
        }
        let services = """
            name,kind,default_length_minutes,price_credits,active
            Chemistry,shared,0,-5,maybe
            """
        XCTAssertThrowsError(try decide(.services, services, facts())) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map { String($0.message.prefix { $0 != " " }) }, ["kind", "default_length_minutes", "price_credits", "active"], "\(list)")
        }
        // The expert column is checked with the rest: a generic service naming one, and a
        // stored service given another kind, beside a bad price.
        let stored = ServiceFacts(id: "svc_c", name: "Chem", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 10)
        let experts = """
            name,kind,default_length_minutes,price_credits,expert_email
            Bio,generic,60,abc,talia@x.example
            Chem,expert_specific,60,-1,talia@x.example
            """
        XCTAssertThrowsError(try decide(.services, experts, facts(people: [talia], services: [stored]))) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [2, 2, 3, 3])
            XCTAssertEqual(list.map { String($0.message.prefix { $0 != " " }) }, ["price_credits", "expert_email", "price_credits", "kind"], "\(list)")
        }
        // A stored service's kind is refused whatever the expert column says, and another
        // person named for an expert's own service is told whose it is, expert or not.
        let own = ServiceFacts(id: "svc_o", name: "Own", kind: .expertSpecific, expertId: talia.id, defaultLengthMinutes: 60, priceCredits: 10)
        let changes = """
            name,kind,default_length_minutes,price_credits,expert_email
            Chem,expert_specific,30,zz,nobody@x.example
            Own,generic,30,-3,talia@x.example
            Own2,expert_specific,30,5,ann@x.example
            """
        let own2 = ServiceFacts(id: "svc_o2", name: "Own2", kind: .expertSpecific, expertId: talia.id, defaultLengthMinutes: 60, priceCredits: 10)
        XCTAssertThrowsError(try decide(.services, changes, facts(people: [talia, ann], services: [stored, own, own2]))) { error in
            let list = (error as? ImportProblems)?.list ?? []
            XCTAssertEqual(list.map(\.line), [2, 2, 2, 3, 3, 3, 4])
            XCTAssertEqual(list.map { String($0.message.prefix { $0 != " " }) },
                           ["price_credits", "kind", "expert_email", "price_credits", "kind", "expert_email", "expert_email"], "\(list)")
            let last = list.last?.message ?? ""
            XCTAssertTrue(last.contains("cannot change: Own2 is Talia K's (talia@x.example) own service"), last)
        }
    }

    func testCertifyingInAnExpertsOwnServiceIsUnchangedAndAnyoneElseIsAProblem() throws {
        let own = ServiceFacts(id: "svc_t", name: "Peer Mentoring with Talia K", kind: .expertSpecific, expertId: talia.id, defaultLengthMinutes: 60, priceCredits: 5)
        let bo = PersonFacts(id: "per_b", email: "bo@x.example", firstName: "Bo", lastName: "N", roles: [.expert], timeZone: "UTC")
        let f = facts(people: [talia, bo], services: [own])
        XCTAssertEqual(try decide(.certifications, "service,expert_email\npeer mentoring with talia k,TALIA@x.example\n", f).changes.map(\.action), [.unchanged])
        XCTAssertThrowsError(try decide(.certifications, "service,expert_email\nPeer Mentoring with Talia K,bo@x.example\n", f)) {
            let message = ($0 as? ImportProblems)?.list.first?.message ?? ""
            XCTAssertTrue(message.contains("Talia K's own service"), "\($0)")
            XCTAssertTrue(message.hasPrefix("service is "), "the CSV column, not the method's param: \(message)")
        }
    }

    /// A file changes a service's length and price, never its kind or its expert (what its
    /// certifications and meetings rest on), and an optional column it leaves out keeps what
    /// is stored.
    func testAServiceKeepsItsKindItsExpertAndTheColumnsAFileLeavesOut() throws {
        let bo = PersonFacts(id: "per_b", email: "bo@x.example", firstName: "Bo", lastName: "N", roles: [.expert], timeZone: "UTC")
        let shared = ServiceFacts(
            id: "svc_g", name: "Group X", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 50, skills: ["Careers"],
            agendaQuestions: ["What is your goal?"])
        let own = ServiceFacts(id: "svc_t", name: "Coaching with Talia", kind: .expertSpecific, expertId: talia.id, defaultLengthMinutes: 60, priceCredits: 5)
        let f = facts(people: [talia, bo], services: [shared, own])
        let header = "name,kind,default_length_minutes,price_credits,expert_email\n"
        XCTAssertThrowsError(try decide(.services, header + "Group X,expert_specific,60,50,bo@x.example\n", f)) {
            XCTAssertEqual(($0 as? ImportProblems)?.list.map(\.line), [2])
            XCTAssertTrue(($0 as? ImportProblems)?.list.first?.message.contains("cannot change from generic to expert_specific") ?? false, "\($0)")
        }
        XCTAssertThrowsError(try decide(.services, header + "Coaching with Talia,generic,60,5,\n", f))
        XCTAssertThrowsError(try decide(.services, header + "Coaching with Talia,expert_specific,60,5,bo@x.example\n", f)) {
            XCTAssertTrue(($0 as? ImportProblems)?.list.first?.message.contains("Talia K's (talia@x.example) own service") ?? false, "\($0)")
        }
        let repriced = try decide(.services, "name,kind,default_length_minutes,price_credits\nGroup X,generic,60,120\n", f)
        XCTAssertEqual(repriced.writes.changedServices.map(\.priceCredits), [120])
        XCTAssertEqual(repriced.writes.changedServices.map(\.skills), [["Careers"]])
        XCTAssertEqual(repriced.writes.changedServices.map(\.agendaQuestions), [["What is your goal?"]])
        let cleared = try decide(.services, "name,kind,default_length_minutes,price_credits,skills,agenda_questions\nGroup X,generic,60,50,,\n", f)
        XCTAssertEqual(cleared.writes.changedServices.map(\.skills), [[]])
        XCTAssertEqual(cleared.writes.changedServices.map(\.agendaQuestions), [[]])
        // A file without the expert_email column keeps an expert's own service theirs (it was
        // refused: "expert_email is empty"); a new one still needs its expert.
        let ownRepriced = try decide(.services, "name,kind,default_length_minutes,price_credits\nCoaching with Talia,expert_specific,45,8\n", f)
        XCTAssertEqual(ownRepriced.writes.changedServices.map(\.expertId), [talia.id])
        XCTAssertEqual(ownRepriced.writes.changedServices.map(\.priceCredits), [8])
        XCTAssertThrowsError(try decide(.services, "name,kind,default_length_minutes,price_credits\nNew Coaching,expert_specific,45,8\n", f))
    }

    /// A skill is named once (a meeting names one of them): one a file names twice is kept once,
    /// so the export of a service stored before that rule still imports.
    func testASkillGivenTwiceIsKeptOnce() throws {
        let plan = try decide(.services, "name,kind,default_length_minutes,price_credits,skills\nA,generic,60,10,Maths;Art;Maths\n", facts())
        XCTAssertEqual(plan.writes.newServices.map(\.skills), [["Maths", "Art"]])
    }

    /// Names are stored without the white space around them and in NFC, and a service's name
    /// matches a stored one (and repeats one earlier in the file) whatever its case and form.
    func testNamesAreStoredTrimmedInNFCAndMatchedWhateverTheirForm() throws {
        let cafe = ServiceFacts(id: "svc_c", name: "Caf\u{E9}", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 10)
        let header = "name,kind,default_length_minutes,price_credits\n"
        let plan = try decide(.services, header + "\"CAFE\u{301}\u{00A0}\",generic,60,20\nTe\u{301},generic,60,5\n", facts(services: [cafe]))
        XCTAssertEqual(plan.changes.map(\.action), [.update, .create])
        XCTAssertEqual(plan.writes.changedServices.map(\.id), ["svc_c"])
        XCTAssertEqual(plan.writes.newServices.map { Array($0.name.unicodeScalars) }, [Array("T\u{E9}".unicodeScalars)])
        XCTAssertThrowsError(try decide(.services, header + "Te\u{301},generic,60,5\nT\u{C9},generic,60,5\n", facts())) {
            XCTAssertEqual(($0 as? ImportProblems)?.list.map(\.message), ["repeats the service T\u{C9} of line 2"])
        }
        let people = try decide(.people, "email,first_name,last_name,roles,time_zone\nr@x.example,\"\u{00A0}Ro\u{301}s\",Lee,user,UTC\n", facts())
        XCTAssertEqual(people.writes.newPeople.map { Array($0.firstName.unicodeScalars) }, [Array("R\u{F3}s".unicodeScalars)])
    }

    /// The optional `active` column retires a service or offers it again; left out (or blank), a
    /// new service is active and a stored one keeps its state.
    func testTheActiveColumnRetiresOrRestoresAServiceAndLeftOutKeepsItsState() throws {
        let retired = ServiceFacts(id: "svc_r", name: "Old", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 10, active: false)
        let offered = ServiceFacts(id: "svc_o", name: "Live", kind: .generic, expertId: nil, defaultLengthMinutes: 60, priceCredits: 10)
        let f = facts(services: [retired, offered])
        let header = "name,kind,default_length_minutes,price_credits,active\n"
        let plan = try decide(.services, header + "Old,generic,60,10,TRUE\nLive,generic,60,10,false\nNew,generic,60,10,false\nNewer,generic,60,10,\n", f)
        XCTAssertEqual(plan.changes.map(\.action), [.update, .update, .create, .create])
        XCTAssertEqual(plan.writes.changedServices.map(\.active), [true, false])
        XCTAssertEqual(plan.writes.newServices.map(\.active), [false, true])
        let kept = try decide(.services, "name,kind,default_length_minutes,price_credits\nOld,generic,60,10\nLive,generic,60,10\nNew,generic,60,10\n", f)
        XCTAssertEqual(kept.changes.map(\.action), [.unchanged, .unchanged, .create])
        XCTAssertEqual(kept.writes.newServices.map(\.active), [true])
        XCTAssertThrowsError(try decide(.services, header + "Old,generic,60,10,retired\n", f)) {
            XCTAssertEqual(($0 as? ImportProblems)?.list.map(\.message), ["active must be true or false"])
        }
    }

    /// Skills and agenda questions name the column and the bound a row breaks.
    func testTooManySkillsOrQuestionsNameTheirColumnAndBound() {
        let header = "name,kind,default_length_minutes,price_credits,skills,agenda_questions\n"
        let skills = (1...101).map { "s\($0)" }.joined(separator: ";"), questions = (1...51).map { "q\($0)?" }.joined(separator: ";")
        let csv = header + "A,generic,60,10,\(skills),\nB,generic,60,10,,\(questions)\n"
        XCTAssertThrowsError(try decide(.services, csv, facts())) {
            XCTAssertEqual(($0 as? ImportProblems)?.list.map(\.message), ["skills has 101 values; at most 100", "agenda_questions has 51 values; at most 50"])
        }
    }

    func testUnreadRowsAreReportedInLineOrderWithTheOthers() throws {
        let (rows, unread) = try Sheet.read(.services, csv: "name,kind,default_length_minutes,price_credits\nA,generic,60\nB,group,60,1\n")
        XCTAssertThrowsError(try ImportDecider.decide(.services, rows: rows, unread: unread, facts: facts()) { "\($0)" }) {
            XCTAssertEqual(($0 as? ImportProblems)?.list.map(\.line), [2, 3])
        }
    }

    /// A list cell reads back as the values written: a `;` or `\` inside a value is escaped; any
    /// other backslash, as hand-written files have it, is itself.
    func testListCellsReadBackTheirValues() {
        let lists: [[String]] = [["a;b"], ["Which one; A or B?", "Q2"], ["C:\\path", "end\\"], ["x\\;y", "\\\\"], ["plain", "two"]]
        for values in lists {
            XCTAssertEqual(Sheet.list(Sheet.cell(values)), values, "\(values) as \(Sheet.cell(values))")
        }
        XCTAssertEqual(Sheet.cell(["a;b", "c"]), "a\\;b;c")
        XCTAssertEqual(Sheet.list("user; expert ;;"), ["user", "expert"])
        XCTAssertEqual(Sheet.list("C:\\dir\\file"), ["C:\\dir\\file"], "a lone backslash is itself")
    }
}
