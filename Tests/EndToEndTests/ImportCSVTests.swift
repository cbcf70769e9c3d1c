import Foundation
import XCTest

/// `catalog.import_csv` (seed 002, SPEC §5.3): services ("Courses CSV"), certifications ("Tutors CSV")
/// and enrolments ("Course Enrollment CSV"). A good file creates, and imported again updates;
/// any bad row fails the whole file with every problem listed by line and nothing written;
/// RFC 4180 quoting, UTF-8, a byte-order mark and CRLF line ends are read as spreadsheets
/// write them.
final class ImportCSVTests: EndToEndTestCase {
    /// The fixture world plus people with known emails: two experts and two users.
    struct School {
        let w: MeetingWorld
        let talia: String, bo: String, sam: String, kim: String
        let taliaEmail: String, boEmail: String, samEmail: String, kimEmail: String
    }

    func school(_ label: String = #function) throws -> School {
        let w = try MeetingWorld(self, label: label)
        let tag = TestEnvironment.uniqueTag()
        let emails = ["talia.\(tag)@school.example", "bo.\(tag)@school.example", "sam.\(tag)@school.example", "kim.\(tag)@school.example"]
        let talia = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "Kim", email: emails[0]))
        let bo = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Bo", email: emails[1]))
        let sam = try MeetingWorld.id(of: w.addPerson(roles: ["user"], firstName: "Sam", email: emails[2]))
        let kim = try MeetingWorld.id(of: w.addPerson(roles: ["user"], firstName: "Kim", email: emails[3]))
        return School(w: w, talia: talia, bo: bo, sam: sam, kim: kim, taliaEmail: emails[0], boEmail: emails[1], samEmail: emails[2], kimEmail: emails[3])
    }

    @discardableResult
    func importCSV(_ w: MeetingWorld, _ kind: String, _ csv: String, file: StaticString = #filePath, line: UInt = #line) throws -> (created: Int64, updated: Int64, unchanged: Int64) {
        let answer = try w.meetingd.result("catalog.import_csv", as: w.admin, ["kind": .string(kind), "csv": .string(csv)])
        guard let created = answer["created"]?.int, let updated = answer["updated"]?.int, let unchanged = answer["unchanged"]?.int else {
            throw HarnessError("catalog.import_csv answered \(answer)")
        }
        return (created, updated, unchanged)
    }

    /// The line-numbered problems of an import that must fail as a whole.
    func problems(_ w: MeetingWorld, _ kind: String, _ csv: String, file: StaticString = #filePath, line: UInt = #line) throws -> [(line: Int64, message: String)] {
        let error = try w.meetingd.error("catalog.import_csv", as: w.admin, ["kind": .string(kind), "csv": .string(csv)], code: -32602)
        XCTAssertEqual(error["data"]?["field"], "csv", file: file, line: line)
        XCTAssertTrue(error["message"]?.string?.contains("nothing was imported") ?? false, "the message says nothing was kept: \(error)", file: file, line: line)
        guard let list = error["data"]?["errors"]?.array else { throw HarnessError("no data.errors in \(error)") }
        return list.map { ($0["line"]?.int ?? -1, $0["message"]?.string ?? "") }
    }

    /// Asserts the problems are on `lines`, in order, each message containing its phrase.
    func assertProblems(_ got: [(line: Int64, message: String)], _ want: [(Int64, String)], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.map(\.line), want.map(\.0), "problem lines: \(got)", file: file, line: line)
        for ((_, message), (l, phrase)) in zip(got, want) {
            XCTAssertTrue(message.contains(phrase), "line \(l): \"\(message)\" should mention \"\(phrase)\"", file: file, line: line)
        }
    }

    func services(_ w: MeetingWorld) throws -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: try w.meetingd.allPages("service.list", as: w.admin).map { ($0["name"]?.string ?? "", $0) })
    }

    /// service.create's answer (a result or an error) for a generic service of that name.
    func createService(_ w: MeetingWorld, _ name: String) throws -> JSONValue {
        try w.meetingd.call("service.create", as: w.admin, ["name": .string(name), "kind": "generic", "default_length_minutes": 30, "price_credits": 5])
    }

    func serviceIds(offeredBy expert: String, _ w: MeetingWorld) throws -> Set<String> {
        Set(try w.meetingd.allPages("service.list", as: w.admin, ["expert_id": .string(expert)]).compactMap { $0["id"]?.string })
    }

    // MARK: Good files

    /// The "Courses CSV" of a provider-first community: a generic service for everyone and one
    /// expert-specific service per expert. Importing it again updates rather than duplicates.
    func testServicesAreCreatedThenUpdated() throws {
        let s = try school()
        let header = "name,kind,default_length_minutes,price_credits,expert_email,skills,agenda_questions"
        let first = [
            header,
            "All available Peer Mentoring,generic,30,50,,,What would you like to talk about?",
            "Peer Mentoring with Talia K,expert_specific,45,80,\(s.taliaEmail),Study skills;Time management,What is your goal?;Anything else?",
            "Peer Mentoring with Bo,expert_specific,45,80,\(s.boEmail.uppercased()),,",
        ].joined(separator: "\n") + "\n"
        XCTAssertTrue(try importCSV(s.w, "services", first) == (3, 0, 0))
        var all = try services(s.w)
        XCTAssertEqual(all.count, 4, "the fixture's CHEM101 and three imported: \(all.keys.sorted())")
        let general = all["All available Peer Mentoring"], talias = all["Peer Mentoring with Talia K"]
        XCTAssertEqual(general?["kind"], "generic")
        XCTAssertEqual(general?["expert_id"], .null)
        XCTAssertEqual(general?["default_length_minutes"], 30)
        XCTAssertEqual(general?["price_credits"], 50)
        XCTAssertEqual(general?["agenda_questions"], ["What would you like to talk about?"])
        XCTAssertEqual(talias?["kind"], "expert_specific")
        XCTAssertEqual(talias?["expert_id"]?.string, s.talia)
        XCTAssertEqual(talias?["skills"], ["Study skills", "Time management"])
        XCTAssertEqual(talias?["agenda_questions"], ["What is your goal?", "Anything else?"])
        XCTAssertEqual(all["Peer Mentoring with Bo"]?["expert_id"]?.string, s.bo, "emails match whatever their case")

        let second = [
            header,
            "all available peer mentoring,generic,30,40,,,What would you like to talk about?",
            "Peer Mentoring with Talia K,expert_specific,60,90,\(s.taliaEmail),Study skills,What is your goal?",
            "Peer Mentoring with Bo,expert_specific,45,80,\(s.boEmail),,",
            "Career Coaching,generic,50,120,,,",
        ].joined(separator: "\n")
        XCTAssertTrue(try importCSV(s.w, "services", second) == (1, 2, 1), "names match whatever their case; no trailing newline needed; Bo's row is as it was")
        all = try services(s.w)
        XCTAssertEqual(all.count, 5)
        XCTAssertEqual(all["All available Peer Mentoring"]?["price_credits"], 40, "updated in place")
        XCTAssertEqual(all["All available Peer Mentoring"]?["id"], general?["id"], "the same service, not a new one")
        XCTAssertEqual(all["Peer Mentoring with Talia K"]?["default_length_minutes"], 60)
        XCTAssertEqual(all["Peer Mentoring with Talia K"]?["skills"], ["Study skills"])
        XCTAssertEqual(all["Career Coaching"]?["price_credits"], 120)

        XCTAssertTrue(try importCSV(s.w, "services", header + "\n") == (0, 0, 0), "a header alone imports nothing")
        // A name or skill with a control character, a line break or a reordering mark is refused, by the
        // line it starts on (the quoted line break makes the first row two lines).
        let hostile = header + "\n\"Chem\r\nBcc: x@evil.example\",generic,30,5,,,\nChem \u{1B}[2J,generic,30,5,,,\nChem 2,generic,30,5,,\"Stoich\u{202E}\",\n"
        assertProblems(try problems(s.w, "services", hostile), [(2, "one line"), (4, "one line"), (5, "one line")])
        try s.w.meetingd.error("catalog.import_csv", as: s.talia, ["kind": "services", "csv": .string(second)], code: 4003)
        // The role is checked before the file is read: a file with problems from an expert is 4003 too.
        try s.w.meetingd.error("catalog.import_csv", as: s.talia, ["kind": "services", "csv": .string(hostile)], code: 4003)
        try s.w.meetingd.error("catalog.import_csv", as: s.talia, ["kind": "services", "csv": "no,such,columns\n"], code: 4003)
        // The same file imported again right after it was refused for a problem is refused again (it
        // is read afresh, not taken from what an earlier call read).
        assertProblems(try problems(s.w, "services", hostile), [(2, "one line"), (4, "one line"), (5, "one line")])
    }

    /// The "Tutors CSV": experts certified in generic services, then found by searches for them.
    /// Two admins import the same new services at the same moment (two processes): both
    /// imports succeed, each service exists once, and between them every row was created once
    /// and found unchanged once (the second import waits for the first and reads what it wrote).
    func testTheSameServicesImportedAtOnceAreCreatedOnce() throws {
        let w = try MeetingWorld(self, label: #function)
        let second = try startMeetingd(["--test-clock"])
        let names = (1...400).map { "Course \($0) \(TestEnvironment.uniqueTag())" }
        let csv = "name,kind,default_length_minutes,price_credits\n" + names.map { "\($0),generic,45,30" }.joined(separator: "\n")
        let lanes: [() throws -> JSONValue] = [w.meetingd, second].map { process in
            let boxed = Unchecked(process)
            return { try boxed.value.call("catalog.import_csv", as: w.admin, ["kind": "services", "csv": .string(csv)]) }
        }
        let answers = try raceAll(lanes)
        XCTAssertEqual(answers.filter { $0["result"] == nil }, [], "both imports succeed")
        XCTAssertEqual(answers.compactMap { $0["result"]?["created"]?.int }.reduce(0, +), Int64(names.count), "each service created once: \(answers)")
        XCTAssertEqual(answers.compactMap { $0["result"]?["unchanged"]?.int }.reduce(0, +), Int64(names.count), "and found as it was by the other import")
        let services = try self.services(w)
        XCTAssertEqual(names.filter { services[$0] != nil }.count, names.count, "every service is there")
        XCTAssertEqual(services.count, names.count + 1, "no service twice (the fixture's own service is the one more)")
    }

    func testCertificationsAreCreatedThenKept() throws {
        let s = try school()
        let general = try s.w.addService("All available Peer Mentoring"), writing = try s.w.addService("Writing Help")
        let csv = "service,expert_email\r\nAll available Peer Mentoring,\(s.taliaEmail)\r\nall available peer mentoring,\(s.boEmail)\r\nWriting Help,\(s.boEmail.uppercased())\r\n"
        XCTAssertTrue(try importCSV(s.w, "certifications", csv) == (3, 0, 0))
        XCTAssertEqual(try serviceIds(offeredBy: s.talia, s.w), [general])
        XCTAssertEqual(try serviceIds(offeredBy: s.bo, s.w), [general, writing])
        XCTAssertTrue(try importCSV(s.w, "certifications", csv) == (0, 0, 3), "certified already: unchanged, nothing doubled")
        XCTAssertEqual(try serviceIds(offeredBy: s.bo, s.w), [general, writing])

        let room = try s.w.addLocation("Mentoring room")
        try s.w.setWeekly(s.talia, timeZone: "UTC", [weeklyRule(2, "09:00", "10:00", at: [room])])
        let slots = try s.w.search(service: general, from: "2030-03-12T00:00:00Z", to: "2030-03-13T00:00:00Z")
        XCTAssertEqual(slots.map(\.expertOrder), [[s.talia]], "the imported certification makes Talia bookable for the service")
    }

    /// The "Course Enrollment CSV": users assigned to a service or to an expert; with enrolment
    /// required, exactly those assignments let them book.
    func testEnrollmentsAreCreatedThenKept() throws {
        let s = try school()
        let w = s.w
        try w.updateSettings(["require_enrollment": true])
        let expertEmail = try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.expert)])["email"]?.string ?? ""
        try w.grant(s.sam, 500)
        try w.grant(s.kim, 500)
        let start = MeetingTime.at(day: 7, hour: 10)
        try w.meetingd.error("meeting.request", as: s.sam, w.requestParams(start: start), code: 4021)

        let csv = "user_email,service,expert_email\n\(s.samEmail),CHEM101,\n\(s.kimEmail.uppercased()),,\(expertEmail)\n"
        XCTAssertTrue(try importCSV(w, "enrollments", csv) == (2, 0, 0))
        XCTAssertTrue(try importCSV(w, "enrollments", csv) == (0, 0, 2), "assigned already: nothing doubled")
        try w.request(start: start, by: s.sam)
        try w.request(start: MeetingTime.at(day: 7, hour: 12), by: s.kim)

        // Kim is assigned to the fixture's expert only, not to Bo.
        let service = try w.addService("Essay Help")
        try w.certify(s.bo, in: service)
        try w.certify(w.expert, in: service)
        try w.setWeekly(s.bo, timeZone: "UTC", dailyRules("06:00", "22:00", at: [w.locationId]))
        let refused = try w.meetingd.error("meeting.request", as: s.kim, [
            "service_id": .string(service), "expert_id": .string(s.bo), "start": .string(MeetingTime.at(day: 8, hour: 10)), "location_id": .string(w.locationId),
        ], code: 4021)
        XCTAssertEqual(refused["data"]?["code"], "not_enrolled")
        try w.requestWith(start: MeetingTime.at(day: 8, hour: 10), by: s.kim, ["service_id": .string(service)])
        try w.assertReconciled()
    }

    // MARK: Bad files

    /// A bad header fails at line 1: a missing required column, an unknown column.
    func testHeaderProblems() throws {
        let s = try school()
        assertProblems(try problems(s.w, "services", "name,kind,default_length_minutes\nA,generic,60\n"), [(1, "missing column price_credits")])
        assertProblems(try problems(s.w, "services", "name,kind,default_length_minutes,price_credits,colour\nA,generic,60,10,red\n"),
                       [(1, "unknown column colour")])
        assertProblems(try problems(s.w, "certifications", "service\nCHEM101\n"), [(1, "missing column expert_email")])
        assertProblems(try problems(s.w, "enrollments", "user_email,course\n\(s.samEmail),CHEM101\n"), [(1, "unknown column course")])
        XCTAssertEqual(try services(s.w).count, 1, "nothing imported")
    }

    /// Every bad service row is reported with its line; the good rows around them are not kept.
    func testBadServiceRowsAreAllReportedAndNothingIsImported() throws {
        let s = try school()
        let csv = [
            "name,kind,default_length_minutes,price_credits,expert_email",
            "Good One,generic,60,100,",
            "Bad Number,generic,sixty,100,",
            "Too Few,generic,60",
            "Unknown Expert,expert_specific,60,100,nobody@nowhere.example",
            "Wrong Role,expert_specific,60,100,\(s.samEmail)",
            "Bad Kind,group,60,100,",
            "Negative Price,generic,60,-5,",
            "Too Many,generic,60,100,,extra",
            "Odd Length,generic,47,100,",
            "Good Two,generic,30,10,",
        ].joined(separator: "\n")
        let found = try problems(s.w, "services", csv)
        assertProblems(found, [
            (3, "default_length_minutes"), (4, "has 3 fields, the header has 5"), (5, "names no person"), (6, "does not have the expert role"),
            (7, "kind"), (8, "price_credits"), (9, "has 6 fields, the header has 5"), (10, "default_length_minutes"),
        ])
        XCTAssertTrue(found.contains { $0.line == 10 && $0.message.contains("from 5 to 1440 in steps of 5") }, "a length in 5-minute steps: \(found)")
        let names = Set(try services(s.w).keys)
        XCTAssertEqual(names, ["CHEM101"], "neither Good One nor Good Two was kept")
    }

    func testBadCertificationRowsAreAllReportedAndNothingIsImported() throws {
        let s = try school()
        _ = try s.w.addService("Writing Help")
        _ = try s.w.addService("Mentoring with Talia", expertId: s.talia)
        let csv = [
            "service,expert_email",
            "Writing Help,\(s.taliaEmail)",
            "Astrology,\(s.taliaEmail)",
            "Writing Help,ghost@nowhere.example",
            "Writing Help,\(s.samEmail)",
            "Mentoring with Talia,\(s.boEmail)",
            "Writing Help,\(s.boEmail)",
        ].joined(separator: "\n")
        assertProblems(try problems(s.w, "certifications", csv), [
            (3, "names no service"), (4, "names no person"), (5, "does not have the expert role"), (6, "expert_specific"),
        ])
        XCTAssertEqual(try serviceIds(offeredBy: s.bo, s.w), [], "Bo's good row was not kept")
        XCTAssertEqual(try serviceIds(offeredBy: s.talia, s.w).count, 1, "Talia has only her own expert-specific service")
    }

    func testBadEnrollmentRowsAreAllReportedAndNothingIsImported() throws {
        let s = try school()
        let w = s.w
        try w.updateSettings(["require_enrollment": true])
        try w.grant(s.sam, 500)
        let csv = [
            "user_email,service,expert_email",
            "\(s.samEmail),CHEM101,",
            "\(s.kimEmail),CHEM101,\(s.taliaEmail)",
            "\(s.kimEmail),,",
            "stranger@nowhere.example,CHEM101,",
            "\(s.taliaEmail),CHEM101,",
            "\(s.kimEmail),Underwater Basket Weaving,",
            "\(s.kimEmail),,\(s.samEmail)",
        ].joined(separator: "\n")
        assertProblems(try problems(w, "enrollments", csv), [
            (3, "service or expert_email: give exactly one of the two"), (4, "service or expert_email: give exactly one of the two"), (5, "names no person"),
            (6, "does not have the user role"), (7, "names no service"), (8, "does not have the expert role"),
        ])
        let refused = try w.meetingd.error("meeting.request", as: s.sam, w.requestParams(start: MeetingTime.at(day: 7, hour: 10)), code: 4021)
        XCTAssertEqual(refused["data"]?["code"], "not_enrolled", "Sam's good row was not kept")
    }

    /// A services export says which services are retired, and an import with `active` retires
    /// or restores one as service.set_active does; a file without it keeps each one's state.
    func testTheActiveColumnGoesOutWithTheExportAndBackWithTheImport() throws {
        let s = try school()
        let w = s.w
        let retired = try w.addService("Old Course")
        try w.meetingd.result("service.set_active", as: w.admin, ["service_id": .string(retired), "active": false])
        let page = try w.meetingd.result("catalog.export_csv", as: w.admin, ["kind": "services"])
        let csv = page["csv"]?.string ?? ""
        XCTAssertTrue(csv.hasPrefix("name,kind,default_length_minutes,price_credits,expert_email,skills,agenda_questions,active\r\n"), csv)
        XCTAssertTrue(csv.contains("Old Course,generic,") && csv.contains(",false\r\n") && csv.contains(",true\r\n"), csv)
        XCTAssertTrue(try importCSV(w, "services", csv) == (0, 0, 2), "the export imports back unchanged")

        let header = "name,kind,default_length_minutes,price_credits,active\n"
        XCTAssertTrue(try importCSV(w, "services", header + "Old Course,generic,60,10,true\nCHEM101,generic,60,10,false\nNew Course,generic,30,5,false\n") == (1, 2, 0))
        let all = try services(w)
        XCTAssertEqual(all["Old Course"]?["active"], true)
        XCTAssertEqual(all["CHEM101"]?["active"], false)
        XCTAssertEqual(all["New Course"]?["active"], false)
        XCTAssertTrue(try importCSV(w, "services", "name,kind,default_length_minutes,price_credits\nCHEM101,generic,60,10\n") == (0, 0, 1), "left out: kept")
        XCTAssertEqual(try services(w)["CHEM101"]?["active"], false)
    }

    /// Lengths are imported in 5-minute steps, but a service stored with another length before
    /// that rule exports and imports back unchanged; changing it takes a length in steps.
    func testAnOddLengthStoredBeforeTheStepRuleImportsBackUnchanged() throws {
        let s = try school()
        let odd = try s.w.addService("Seven Minutes")
        _ = try Psql.query(databaseURL, "UPDATE services SET default_length_minutes = 7 WHERE id = \(Psql.literal(odd))")
        let name = try XCTUnwrap(try services(s.w).first { $0.value["id"]?.string == odd }?.key)
        let csv = try XCTUnwrap(try s.w.meetingd.result("catalog.export_csv", as: s.w.admin, ["kind": "services"])["csv"]?.string)
        XCTAssertTrue(csv.contains("\(name),generic,7,"), csv)
        XCTAssertTrue(try importCSV(s.w, "services", csv) == (0, 0, 2), "the export imports back unchanged")
        let header = "name,kind,default_length_minutes,price_credits\n"
        assertProblems(try problems(s.w, "services", header + "\(name),generic,8,10\n"), [(2, "in steps of 5")])
        XCTAssertTrue(try importCSV(s.w, "services", header + "\(name),generic,10,10\n") == (0, 1, 0))
    }

    /// A page exported after an expert's or a user's role was taken away (their services,
    /// certifications and enrolments are kept for a return) imports back unchanged; a row that
    /// would make something new for them still needs the role.
    func testAPageExportedAfterARoleWasTakenAwayImportsBack() throws {
        let s = try school()
        let w = s.w
        _ = try w.addService("Coaching with Talia", expertId: s.talia)
        let general = try w.addService("Peer Mentoring")
        try w.certify(s.talia, in: general)
        XCTAssertTrue(try importCSV(w, "enrollments", "user_email,service,expert_email\n\(s.samEmail),,\(s.taliaEmail)\n\(s.kimEmail),Peer Mentoring,\n") == (2, 0, 0))
        try w.meetingd.result("person.update", as: w.admin, ["person_id": .string(s.talia), "add_roles": ["user"], "remove_roles": ["expert"]])
        try w.meetingd.result("person.update", as: w.admin, ["person_id": .string(s.kim), "add_roles": ["finance"], "remove_roles": ["user"]])
        for kind in ["services", "certifications", "enrollments"] {
            let csv = try w.meetingd.result("catalog.export_csv", as: w.admin, ["kind": .string(kind)])["csv"]?.string ?? ""
            XCTAssertTrue(csv.contains(s.taliaEmail) || csv.contains(s.kimEmail), "\(kind): their rows are kept: \(csv)")
            let counts = try importCSV(w, kind, csv)
            XCTAssertEqual(counts.created + counts.updated, 0, "\(kind) imports back unchanged: \(csv)")
        }
        assertProblems(try problems(w, "certifications", "service,expert_email\nCHEM101,\(s.taliaEmail)\n"), [(2, "does not have the expert role")])
        assertProblems(try problems(w, "enrollments", "user_email,service,expert_email\n\(s.kimEmail),CHEM101,\n"), [(2, "does not have the user role")])
        XCTAssertTrue(try importCSV(w, "enrollments", "user_email,service,expert_email\n\(s.samEmail),,\(s.taliaEmail.uppercased())\n") == (0, 0, 1))
        assertProblems(
            try problems(w, "services", "name,kind,default_length_minutes,price_credits,expert_email\nTalia Two,expert_specific,60,10,\(s.taliaEmail)\n"),
            [(2, "does not have the expert role")])
    }

    /// service.create stores skills as an import reads them (trimmed, none blank, each once), so
    /// an exported page imports back unchanged: padded skills came back as an update.
    func testSkillsAreStoredAsAnImportReadsThem() throws {
        let s = try school()
        let w = s.w
        func create(_ name: String, _ skills: [JSONValue]) throws -> JSONValue {
            try w.meetingd.call("service.create", as: w.admin, [
                "name": .string(name), "kind": "generic", "default_length_minutes": 30, "price_credits": 1, "skills": .array(skills),
            ])
        }
        let made = try Meetingd.result(of: try create("Padded", [" x", "y ", "a;b"]))
        XCTAssertEqual(made["skills"], ["x", "y", "a;b"])
        XCTAssertEqual(try Meetingd.error(of: try create("Blank", ["x", "  "]), code: -32602)["data"]?["field"], "skills[1]")
        XCTAssertEqual(try Meetingd.error(of: try create("Twice", ["a", "b", "a "]), code: -32602)["data"]?["field"], "skills")
        XCTAssertNil(try services(w)["Blank"], "a refused service is not made")
        let csv = try w.meetingd.result("catalog.export_csv", as: w.admin, ["kind": "services"])["csv"]?.string ?? ""
        let padded = csv.split(separator: "\r\n").filter { $0.hasPrefix("Padded,") || $0.hasPrefix("name,") }.joined(separator: "\r\n") + "\r\n"
        XCTAssertTrue(try importCSV(w, "services", padded) == (0, 0, 1), "the export imports back unchanged: \(padded)")
    }

    // MARK: One rule for names

    /// A service's or a person's name is stored without the white space around it and in
    /// Unicode NFC, and two service names equal after that and case folding are one service:
    /// service.create refuses the second, naming the first, and an export imports back as it is.
    func testNamesAreTrimmedNormalizedAndMatchedByOneRuleOnEveryPath() throws {
        let s = try school()
        let w = s.w
        func create(_ name: String) throws -> JSONValue {
            try w.meetingd.call("service.create", as: w.admin, ["name": .string(name), "kind": "generic", "default_length_minutes": 60, "price_credits": 99])
        }
        for name in ["CHEM101 ", "chem101", "\u{00A0}Chem101\u{2003}"] {
            let refused = try Meetingd.error(of: try create(name), code: -32602, "service.create \(name.debugDescription)")
            XCTAssertEqual(refused["data"]?["field"], "name")
            XCTAssertTrue(refused["message"]?.string?.contains("CHEM101 (\(w.serviceId))") ?? false, "names the service that has it: \(refused)")
        }
        let cafe = try Meetingd.result(of: try create(" Cafe\u{301} "))
        XCTAssertEqual(cafe["name"]?.string.map { Array($0.unicodeScalars) }, Array("Caf\u{E9}".unicodeScalars), "trimmed, in NFC")
        let twin = try Meetingd.error(of: try create("CAF\u{C9}"), code: -32602)
        XCTAssertTrue(twin["message"]?.string?.contains("Caf\u{E9} (") ?? false, "\(twin)")

        let lead = try MeetingWorld.id(of: w.addPerson(roles: ["user"], firstName: " Lead", lastName: "Ro\u{301}s\u{2003}"))
        let stored = try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(lead)])
        XCTAssertEqual(stored["first_name"]?.string, "Lead")
        XCTAssertEqual(stored["last_name"]?.string.map { Array($0.unicodeScalars) }, Array("R\u{F3}s".unicodeScalars))

        for kind in ["services", "people"] {
            let page = try w.meetingd.result("catalog.export_csv", as: w.admin, ["kind": .string(kind)])
            let again = try importCSV(w, kind, page["csv"]?.string ?? "")
            XCTAssertTrue(again.created == 0 && again.updated == 0, "an export of \(kind) imports back unchanged: \(again)")
        }
        // A name the import writes follows the same rule, and matches whatever its form.
        let header = "name,kind,default_length_minutes,price_credits\n"
        XCTAssertTrue(try importCSV(w, "services", header + "CAFE\u{301},generic,60,100\n\"\u{00A0}Tea\",generic,60,5\n") == (1, 1, 0))
        let all = try services(w)
        XCTAssertEqual(all.count, 3, "CHEM101, Café and Tea: \(all.keys.sorted())")
        XCTAssertEqual(all["Tea"]?["name"]?.string.map { Array($0.unicodeScalars) }, Array("Tea".unicodeScalars))
    }

    /// The database keys names as NameRule.key does, character for character: "İzmir" and
    /// "i̇zmir" (i and U+0307) are one name on every path. PostgreSQL's own lower() gave "izmir"
    /// for the first, so service.create took the second beside it and an import of "İzmir,…,false"
    /// retired the other one.
    func testANameIsKeyedAlikeInSwiftAndInTheDatabase() throws {
        let s = try school()
        let w = s.w
        let create = { (name: String) in try self.createService(w, name) }
        let izmir = try MeetingWorld.id(of: try Meetingd.result(of: try create("\u{130}zmir")))
        let twin = try Meetingd.error(of: try create("i\u{307}zmir"), code: -32602, "the same name by NameRule.key")
        XCTAssertTrue(twin["message"]?.string?.contains(izmir) ?? false, "\(twin)")
        let header = "name,kind,default_length_minutes,price_credits,active\n"
        XCTAssertTrue(try importCSV(w, "services", header + "i\u{307}zmir,generic,30,6,false\n") == (0, 1, 0))
        XCTAssertEqual(try services(w)["\u{130}zmir"]?["active"], false, "the service of that name was retired")
    }

    /// The database's guard on service names is the key itself: "ΟΔΟΣ" and "οδος" are one
    /// name on every path (an import created the second beside the first, which service.create
    /// refused), and "ISTANBUL", another name than "İstanbul" by the key, is imported beside it
    /// (a unique index on the database's own lower() took them for one, and the import that
    /// planned it ended in an internal error).
    func testTheDatabaseGuardsServiceNamesByTheKey() throws {
        let s = try school()
        let w = s.w
        let create = { (name: String) in try self.createService(w, name) }
        let odos = try MeetingWorld.id(of: try Meetingd.result(of: try create("ΟΔΟΣ")))
        let header = "name,kind,default_length_minutes,price_credits\n"
        XCTAssertTrue(try importCSV(w, "services", header + "οδος,generic,30,6\n") == (0, 1, 0), "the same service, its price changed")
        XCTAssertEqual(try services(w)["ΟΔΟΣ"]?["id"]?.string, odos)
        XCTAssertNil(try services(w)["οδος"])
        XCTAssertTrue(try Meetingd.error(of: try create("Οδοσ"), code: -32602)["message"]?.string?.contains(odos) ?? false)

        _ = try MeetingWorld.id(of: try Meetingd.result(of: try create("\u{130}stanbul")))
        XCTAssertTrue(try importCSV(w, "services", header + "ISTANBUL,generic,30,1\n") == (1, 0, 0))
        XCTAssertNotNil(try services(w)["ISTANBUL"])
    }

    /// Names written before the rule are not rewritten, and an import still finds them.
    func testAnImportFindsANameStoredBeforeTheRule() throws {
        let s = try school()
        let w = s.w
        let psql = try PsqlSession(try TestEnvironment.databaseURL())
        defer { psql.close() }
        try psql.query(
            "INSERT INTO services (community_id, id, name, kind, default_length_minutes, price_credits) "
                + "VALUES ('\(w.community.id)', 'svc_\(String(repeating: "0", count: 31))1', U&' Cafe\\0301 Old ', 'generic', 60, 10);")
        XCTAssertTrue(try importCSV(w, "services", "name,kind,default_length_minutes,price_credits\ncaf\u{E9} old,generic,60,20\n") == (0, 1, 0))
        XCTAssertEqual(try services(w).count, 2, "updated, not created beside it")
        let refused = try w.meetingd.error("service.create", as: w.admin, ["name": "Caf\u{E9} Old", "kind": "generic", "default_length_minutes": 60, "price_credits": 9], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "name")
    }

    /// Both sides of a name comparison are keyed by the database, so a database whose case
    /// mapping knows ASCII alone (LC_CTYPE C) still refuses a service named as another one with
    /// the same letters (its key of "ÉCOLE" kept the É; the service's own key was worked out in
    /// Swift as "école", and a second "École" was created).
    func testAServiceNameIsComparedByTheDatabasesCaseMappingOnBothSides() throws {
        let db = "names_c_\(TestEnvironment.uniqueTag())".lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        guard try Psql.run(databaseURL, ["CREATE DATABASE \(db) TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"]).succeeded else {
            throw HarnessError("cannot create database \(db)")
        }
        addTeardownBlock { [databaseURL] in _ = try? Psql.run(databaseURL, ["DROP DATABASE IF EXISTS \(db) WITH (FORCE)"]) }
        let url = Psql.conninfo(databaseURL, "dbname", db)
        let migrated = try runTool(TestEnvironment.meetingdPath, ["migrate"], environment: ["DATABASE_URL": url])
        XCTAssertTrue(migrated.succeeded, migrated.stderr)
        let community = try TestCommunity.bootstrap("names in C", databaseURL: url)
        let meetingd = try startMeetingd(environment: ["DATABASE_URL": url])
        func create(_ name: String) throws -> JSONValue {
            try meetingd.call("service.create", as: community.adminId, ["name": .string(name), "kind": "generic", "default_length_minutes": 60, "price_credits": 9])
        }
        _ = try Meetingd.result(of: try create("\u{C9}COLE"))
        let refused = try Meetingd.error(of: try create("\u{C9}cole"), code: -32602, "the same letters, whatever the case of the ASCII ones")
        XCTAssertEqual(refused["data"]?["field"], "name")
        let header = "name,kind,default_length_minutes,price_credits\n"
        let imported = try meetingd.call("catalog.import_csv", as: community.adminId, ["kind": "services", "csv": .string(header + "\u{C9}cole,generic,60,12\n")])
        XCTAssertEqual(imported["result"]?["created"], .int(0), "the import finds it: \(imported)")
        XCTAssertEqual(imported["result"]?["updated"], .int(1), "the import updates its price: \(imported)")
    }

    // MARK: What spreadsheets write

    /// Quoted fields with commas, doubled quotes and line breaks; UTF-8 names; a byte-order
    /// mark before the header; CRLF line ends (line numbers count physical lines).
    func testQuotingUTF8ByteOrderMarkAndCRLF() throws {
        let s = try school()
        let csv = "\u{FEFF}name,kind,default_length_minutes,price_credits,agenda_questions\r\n"
            + "\"Writing, Advanced \"\"Essay\"\" Help\",generic,60,100,\"What is your thesis, in one line?;Which \"\"style\"\" guide?\"\r\n"
            + "Čeština pro začátečníky – 日本語 🎓,generic,45,90,\r\n"
            + "\"  Padded  \",generic,30,10,\r\n"
        XCTAssertTrue(try importCSV(s.w, "services", csv) == (3, 0, 0))
        let all = try services(s.w)
        XCTAssertEqual(Set(all.keys), ["CHEM101", "Writing, Advanced \"Essay\" Help", "Čeština pro začátečníky – 日本語 🎓", "Padded"],
                       "the header's name column is found behind the byte-order mark; fields are unquoted and trimmed")
        XCTAssertEqual(all["Writing, Advanced \"Essay\" Help"]?["agenda_questions"], ["What is your thesis, in one line?", "Which \"style\" guide?"])
        XCTAssertEqual(all["Čeština pro začátečníky – 日本語 🎓"]?["default_length_minutes"], 45)

        // Line numbers: a quoted field spanning two lines, then a bad row on physical line 4.
        let multiline = "name,kind,default_length_minutes,price_credits,agenda_questions\r\n"
            + "Long Questions,generic,60,100,\"First line\r\nsecond line\"\r\n"
            + "Bad,generic,60,lots,\r\n"
        assertProblems(try problems(s.w, "services", multiline), [(4, "price_credits")])
        assertProblems(try problems(s.w, "services", "name,kind,default_length_minutes,price_credits\n\"Open,generic,60,10\n"),
                       [(2, "not closed")])
        assertProblems(try problems(s.w, "services", "name,kind,default_length_minutes,price_credits\nA,generic,60,10\n\"B\"x,generic,60,10\n"),
                       [(3, "closing quote")])
        XCTAssertNil(try services(s.w)["Long Questions"])
    }
}
