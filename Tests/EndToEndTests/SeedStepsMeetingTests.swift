import Foundation
import XCTest

/// The steps of seed 003 (TutorPlace: customers, students, the tutor's processing, the office)
/// and seeds 000/001 (who creates appointments), each through meetingd's pipes — and meetctl
/// where a tutor or an office person would use it.
final class SeedStepsMeetingTests: EndToEndTestCase {
    static let office = "office@tutorplace.example"

    /// A TutorPlace-like community: enrolment required, the office copied, session types.
    func tutorPlace(_ label: String = #function, settings: [String: JSONValue] = [:]) throws -> MeetingWorld {
        try MeetingWorld(self, label: label, settings: [
            "require_enrollment": true, "short_name": "TP", "office_email": .string(Self.office), "session_types": ["Tutoring", "Assessment"],
        ].merging(settings) { _, given in given })
    }

    func link(_ w: MeetingWorld, customer: String, student: String, as actor: String? = nil) throws {
        let linked = try w.meetingd.result("student.link", as: actor ?? w.admin, ["customer_id": .string(customer), "student_id": .string(student)])
        XCTAssertEqual(linked["linked"], true)
    }

    /// Alex Young, assigned to the world's tutor and linked to the world's user (the customer).
    func linkedStudent(_ w: MeetingWorld) throws -> String {
        let student = try w.addNamedUser(firstName: "Alex", lastName: "Young", credits: 0)
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        try link(w, customer: w.user, student: student)
        return student
    }

    // MARK: 1. Customers and students

    /// Seed 003, step 1: "When a session request is made it will come from the customer
    /// associated with a student assigned to you. Customers cannot make requests to a tutor that
    /// is not assigned." Step 3: the request shows "the name of the customer making the request
    /// and the student wanting the session".
    func testARequestComesFromTheCustomerAssociatedWithAStudentAssignedToYou() throws {
        let w = try tutorPlace()
        let customer = w.user
        let student = try w.addNamedUser(firstName: "Alex", lastName: "Young", credits: 0)
        let stranger = try w.addNamedUser(firstName: "Sky", credits: 0)
        let office = try MeetingWorld.id(of: w.addPerson(roles: ["office"], firstName: "Olga"))
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        let start = MeetingTime.at(day: 7, hour: 10)
        var params = w.requestParams(start: start)
        params["student_id"] = .string(student)

        // Not linked yet: refused, naming the field; nothing changes.
        let unlinked = try w.meetingd.error("meeting.request", as: customer, params, code: -32602)
        XCTAssertEqual(unlinked["data"]?["field"], "student_id")
        XCTAssertEqual(try w.wallet(customer), MeetingWorld.wallet())
        try w.meetingd.error("student.link", as: customer, ["customer_id": .string(customer), "student_id": .string(student)], code: 4003)
        try link(w, customer: customer, student: student, as: office)
        let links = try w.meetingd.result("student.list", as: customer, ["customer_id": .string(customer)])["items"]?.array ?? []
        XCTAssertEqual(links.map { $0["student_name"]?.string ?? "" }, ["Alex Young"])
        XCTAssertEqual(links.first?["linked_at"], .string(MeetingTime.startOfTest), "linked at the community's clock, as every other record")
        XCTAssertEqual(try w.meetingd.result("student.list", as: student, ["student_id": .string(student)])["items"]?.array?.count, 1)
        try w.meetingd.error("student.list", as: stranger, ["customer_id": .string(customer)], code: 4003)

        // The customer finds times with the student's tutors: their enrolment counts.
        let (dayStart, dayEnd) = (MeetingTime.at(day: 7, hour: 0), MeetingTime.at(day: 8, hour: 0))
        XCTAssertTrue(try w.search(as: customer, from: dayStart, to: dayEnd).isEmpty, "the customer is assigned to nobody")
        let forStudent = try w.search(as: customer, from: dayStart, to: dayEnd, ["student_id": .string(student)])
        XCTAssertTrue(forStudent.contains { $0.start == start && $0.experts[w.expert] != nil }, "the student's tutor is free then")
        let notTheirs = try w.meetingd.error("availability.search", as: stranger,
                                             w.searchParams(service: nil, from: dayStart, to: dayEnd, ["student_id": .string(student)]), code: -32602)
        XCTAssertEqual(notTheirs["data"]?["field"], "student_id")

        // "Customers cannot make requests to a tutor that is not assigned": the student's
        // assignment decides, not the customer's.
        let other = try w.addExpert(name: "other tutor")
        var toOther = params
        toOther["expert_id"] = .string(other)
        let notTheStudents = try w.meetingd.error("meeting.request", as: customer, toOther, code: 4021)
        XCTAssertEqual(notTheStudents["data"]?["user_id"], .string(student), "the student's assignment is the one missing")
        try w.meetingd.error("meeting.request", as: customer, w.requestParams(start: start), code: 4021)

        let requested = try w.meetingd.result("meeting.request", as: customer, params)
        let id = try MeetingWorld.id(of: requested)
        XCTAssertEqual(requested["user_id"]?.string, customer)
        XCTAssertEqual(requested["student_id"]?.string, student)
        // The tutor's list names the customer and the student the session is for.
        let listed = try Meetctl(actor: w.expert).ok(["meetings"])
        XCTAssertTrue(listed.contains("for Alex Young"), listed)
        XCTAssertEqual(requested["student_name"], "Alex Young")
        XCTAssertEqual(try w.wallet(customer), MeetingWorld.wallet(blocked: 100), "the hold comes from the customer's wallet")
        XCTAssertEqual(try w.wallet(student), MeetingWorld.wallet(granted: 0))

        // Step 2: "You will receive an email with the details", naming both.
        let request = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "meeting_request" })
        XCTAssertEqual(request["recipient_id"]?.string, w.expert)
        let text = request["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains(requested["user_name"]?.string ?? "?"), "the customer by name: \(text)")
        XCTAssertTrue(text.contains("The meeting is for Alex Young."), text)

        // Step 3: the tutor sees the customer and the student; the student can read it too.
        let seen = try w.meetingd.result("meeting.get", as: w.expert, ["meeting_id": .string(id)])
        XCTAssertEqual(seen["user_name"], requested["user_name"])
        XCTAssertEqual(seen["student_name"], "Alex Young")
        XCTAssertEqual(try w.meetingd.result("meeting.get", as: student, ["meeting_id": .string(id)])["id"]?.string, id)
        let studentsList = try w.meetingd.result("meeting.list", as: student)["items"]?.array ?? []
        XCTAssertEqual(studentsList.map { $0["id"]?.string ?? "" }, [id])
        XCTAssertEqual(studentsList.first?["side"], "user")
        try w.meetingd.error("meeting.get", as: stranger, ["meeting_id": .string(id)], code: 4003)
        // The student is told who answers for them, not that only "the meeting's user" may act.
        for method in ["meeting.withdraw", "meeting.confirm"] {
            let refused = try w.refuse(method, as: student, id, code: 4003)
            XCTAssertTrue(refused["message"]?.string?.contains("booked by \(requested["user_name"]?.string ?? "-"), who acts on it") ?? false, "\(refused)")
        }

        // The session made: the invitation goes to customer, student and tutor, titled for the student.
        try w.act("meeting.confirm", as: w.expert, id, ["session_type": "Tutoring"])
        let invites = try w.drainRaw().filter { $0["kind"] == "calendar.invite" }
        XCTAssertEqual(Set(invites.compactMap { $0["recipient_id"]?.string }), [customer, student, w.expert])
        let expertFirst = try XCTUnwrap(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.expert)])["first_name"]?.string)
        XCTAssertEqual(invites.first?["payload"]?["title"]?.string, "Alex and \(expertFirst) - TP")
        let ics = invites.first?["payload"]?["ics"]?.string ?? ""
        XCTAssertTrue(ics.contains("booked by"), ics)

        // Unlinked since, the customer may not move the student's meeting: refused for the link,
        // as the meeting's state, not for a param the call never had; cancelling stays theirs.
        try w.meetingd.result("student.unlink", as: w.admin, ["customer_id": .string(customer), "student_id": .string(student)])
        let moved = try w.refuse("meeting.reschedule", as: customer, id, ["start": .string(MeetingTime.at(day: 7, hour: 14))], code: 4009)
        XCTAssertTrue(moved["message"]?.string?.contains("no longer acts for") ?? false, "\(moved)")
        XCTAssertNil(moved["data"]?["field"], "\(moved)")
        try w.act("meeting.cancel", as: customer, id, ["reason_code": "other"])
        try w.assertReconciled()
    }

    /// A customer acts for a student, not the other way round as well: a link both ways would let
    /// each book on the other's wallet. The second link is refused and changes nothing; two links
    /// of one pair made both ways at once (two processes) leave one of them.
    func testAStudentCannotAlsoBeTheirCustomersCustomer() throws {
        let w = try tutorPlace()
        let student = try linkedStudent(w)
        let refused = try w.meetingd.error("student.link", as: w.admin, ["customer_id": .string(student), "student_id": .string(w.user)], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "student_id", "\(refused)")
        XCTAssertTrue(refused["data"]?["reason"]?.string?.hasPrefix("acts for this customer already") == true, "\(refused)")
        let links = try w.meetingd.result("student.list", as: w.admin, ["student_id": .string(w.user)])
        XCTAssertEqual(links["items"]?.array?.count, 0, "\(links)")

        let other = try startMeetingd(["--test-clock"])
        for round in 0..<6 {
            let (a, b) = (try w.addUser(name: "a\(round)", credits: 0), try w.addUser(name: "b\(round)", credits: 0))
            let params = [a, b].map { customer -> JSONValue in
                ["actor": .string(w.admin), "customer_id": .string(customer), "student_id": .string(customer == a ? b : a)]
            }
            try w.meetingd.send(#"{"jsonrpc":"2.0","id":1,"method":"student.link","params":\#(params[0].serialized)}"#)
            try other.send(#"{"jsonrpc":"2.0","id":2,"method":"student.link","params":\#(params[1].serialized)}"#)
            let answers = [try w.meetingd.readResponse(timeout: 60), try other.readResponse(timeout: 60)]
            XCTAssertEqual(answers.filter { $0["result"]?["linked"] == true }.count, 1, "round \(round): \(answers)")
            XCTAssertEqual(answers.compactMap { $0["error"]?["code"] }, [-32602], "round \(round): \(answers)")
            let stored = try Psql.query(databaseURL, "SELECT count(*) FROM student_links WHERE customer_id IN (\(Psql.literal(a)), \(Psql.literal(b)))")
            XCTAssertEqual(stored, ["1"], "round \(round)")
        }

        // The database guards it for any writer: another link changed into the reverse of one is refused.
        let z = try w.addUser(name: "z", credits: 0)
        try link(w, customer: w.user, student: z)
        let turned = try Psql.run(databaseURL, [
            "UPDATE student_links SET customer_id = \(Psql.literal(student)) WHERE customer_id = \(Psql.literal(w.user)) AND student_id = \(Psql.literal(z))",
            "UPDATE student_links SET student_id = \(Psql.literal(w.user)) WHERE customer_id = \(Psql.literal(student)) AND student_id = \(Psql.literal(z))",
        ])
        XCTAssertFalse(turned.succeeded, "an UPDATE making a link the reverse of another")
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT count(*) FROM student_links WHERE student_id = \(Psql.literal(w.user))"), ["0"])
        // Another writer's reverse link, committed while the link waits on the index: the same
        // refusal, not an internal error.
        let (p, q) = (try w.addUser(name: "p", credits: 0), try w.addUser(name: "q", credits: 0))
        let holder = try PsqlSession(databaseURL)
        defer { holder.close() }
        let holderPid = try backendPid(holder)
        try holder.run("BEGIN; INSERT INTO student_links (community_id, customer_id, student_id, created_at) VALUES (\(Psql.literal(w.community.id)), \(Psql.literal(q)), \(Psql.literal(p)), now());")
        try w.meetingd.send(#"{"jsonrpc":"2.0","id":"late","method":"student.link","params":{"actor":"\#(w.admin)","customer_id":"\#(p)","student_id":"\#(q)"}}"#)
        try backend(waitingFor: holderPid, "the link did not wait for the other writer's reverse")
        try holder.run("COMMIT;")
        let late = try w.meetingd.readResponse(timeout: 60)
        XCTAssertEqual(late["error"]?["code"], -32602, "\(late)")
        XCTAssertEqual(late["error"]?["data"]?["field"], "student_id", "\(late)")

        // A pair linked both ways before the rule (marked so by the migration, which alone marks
        // links so: written beneath the rule's trigger) stays linked, and linking it again
        // answers as for any pair linked already.
        let (x, y) = (try w.addUser(name: "x", credits: 0), try w.addUser(name: "y", credits: 0))
        XCTAssertTrue(try Psql.run(databaseURL, [
            "SET session_replication_role = replica",
            "INSERT INTO student_links (community_id, customer_id, student_id, created_at, linked_both_ways_before) VALUES "
                + "(\(Psql.literal(w.community.id)), \(Psql.literal(x)), \(Psql.literal(y)), now(), true), (\(Psql.literal(w.community.id)), \(Psql.literal(y)), \(Psql.literal(x)), now(), true)",
        ]).succeeded)
        for (customer, other) in [(x, y), (y, x)] {
            let again = try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(customer), "student_id": .string(other)])
            XCTAssertEqual(again["linked"], true, "\(again)")
        }
    }

    /// Once the link ends, the student's meetings are neither accepted nor moved by either side:
    /// the tutor's yes or new date would wait for a customer who may no longer give theirs. They
    /// can still be declined, withdrawn, cancelled and logged; linked again, they go on.
    func testAnEndedLinkStopsEitherSideAcceptingOrMovingTheStudentsMeetings() throws {
        let w = try tutorPlace()
        let customer = w.user
        let student = try linkedStudent(w)
        func requested(day: Int) throws -> String {
            var params = w.requestParams(start: MeetingTime.at(day: day, hour: 10))
            params["student_id"] = .string(student)
            return try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: customer, params))
        }
        let (waiting, agreed, withdrawn, later) = (try requested(day: 7), try requested(day: 8), try requested(day: 9), try requested(day: 10))
        try w.act("meeting.confirm", as: w.expert, agreed, ["session_type": "Tutoring"])
        try w.meetingd.result("student.unlink", as: w.admin, ["customer_id": .string(customer), "student_id": .string(student)])

        let elsewhere = MeetingTime.at(day: 11, hour: 14)
        for (method, actor, id, extra) in [
            ("meeting.confirm", w.expert, waiting, ["session_type": "Tutoring"]), ("meeting.reschedule", w.expert, waiting, ["start": .string(elsewhere)]),
            ("meeting.reschedule", w.expert, agreed, ["start": .string(elsewhere)]), ("meeting.reschedule", customer, agreed, ["start": .string(elsewhere)]),
        ] as [(String, String, String, [String: JSONValue])] {
            let before = try w.meeting(id)
            let refused = try w.refuse(method, as: actor, id, extra, code: 4009)
            let message = refused["message"]?.string ?? ""
            // What the meeting's state still allows: an agreed one is cancelled, a waiting one declined or withdrawn.
            let endings = id == agreed ? "can be cancelled, not accepted or moved" : "can be declined or withdrawn, not accepted or moved"
            XCTAssertTrue(message.contains("no longer acts for") && message.contains(endings), "\(method): \(message)")
            XCTAssertTrue(message.contains("student.link"), "\(method): \(message)")
            XCTAssertEqual(try w.meeting(id), before, "\(method) by \(actor) changed \(id)")
        }
        // The office's list says so, and meetctl's next step is the decline, not "confirm or decline".
        let listedNow = try w.meetingd.allPages("meeting.waiting", as: w.admin, [:])
        XCTAssertEqual(listedNow.first { $0["id"]?.string == waiting }?["student_linked"], false, "\(listedNow)")
        let shown = try Meetctl(actor: w.admin).ok(["waiting"])
        XCTAssertTrue(shown.contains("decline (unlinked)") && !shown.contains("confirm or decline"), shown)
        // The meeting itself and the tutor's own list say the same.
        XCTAssertEqual(try w.meeting(waiting)["student_linked"], false)
        let showing = try Meetctl(actor: w.admin).ok(["meeting", "show", waiting])
        XCTAssertTrue(showing.contains("decline (unlinked): meetctl decline") && !showing.contains("confirm or decline"), showing)
        let tutors = try Meetctl(actor: w.expert).ok(["meetings"])
        XCTAssertTrue(tutors.contains("(decline (unlinked))") && !tutors.contains("confirm or decline"), tutors)
        // What ends a meeting stays possible on both sides, and the session held is logged.
        assertMeeting(try w.act("meeting.decline", as: w.expert, waiting, ["reason_code": "other"]), status: "rejected", credit: "returned")
        assertMeeting(try w.act("meeting.withdraw", as: customer, withdrawn), status: "cancelled", credit: "returned")
        try w.setClock(MeetingTime.at(day: 8, hour: 11, minute: 5))
        assertMeeting(try w.act("meeting.log_session", as: w.expert, agreed, ["attendance": "attended"]), status: "completed", credit: "paid")
        // Linked again, the tutor makes the session.
        try link(w, customer: customer, student: student)
        XCTAssertEqual(try w.meetingd.allPages("meeting.waiting", as: w.admin, [:]).first { $0["id"]?.string == later }?["student_linked"], true)
        assertMeeting(try w.act("meeting.confirm", as: w.expert, later, ["session_type": "Tutoring"]), status: "agreed", credit: "blocked")
        try w.assertReconciled()
    }

    /// The customer's reminder and the tutor's link name the student too: they carry no meeting
    /// of their own, so the meeting as it is tells whom it is for. The student, who comes to the
    /// meeting, is reminded too (the customer alone was).
    func testRemindersOfAStudentsMeetingNameTheStudent() throws {
        let w = try tutorPlace()
        let customer = w.user
        let student = try linkedStudent(w)
        let start = MeetingTime.at(day: 7, hour: 10)
        var params = w.requestParams(start: start)
        params["student_id"] = .string(student)
        let id = try MeetingWorld.id(of: try w.meetingd.result("meeting.request", as: customer, params))
        try w.act("meeting.confirm", as: w.expert, id, ["session_type": "Tutoring"])
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 2, "the customer's and the student's")
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 0, "each once")
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 1)
        let soon = try w.drainRaw()
        for (kind, recipient) in [("meeting_reminder", customer), ("meeting_link", w.expert)] {
            let message = try XCTUnwrap(soon.first { $0["kind"]?.string == kind && $0["recipient_id"]?.string == recipient }, "\(kind) in \(soon)")
            XCTAssertTrue(message["rendered"]?["text"]?.string?.contains("The meeting is for Alex Young.") ?? false, "\(kind): \(message)")
        }
        let toStudent = try XCTUnwrap(soon.first { $0["kind"]?.string == "meeting_reminder" && $0["recipient_id"]?.string == student }, "\(soon)")
        XCTAssertEqual(toStudent["payload"]?["recipient_role"], "student")
        let studentsText = toStudent["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(studentsText.contains("Your meeting with") && !studentsText.contains("The meeting is for"), "not named to themself: \(toStudent)")
        // A move withdraws both reminders not yet sent; the next run reminds both of the new time.
        let later = MeetingTime.shifted(start, minutes: 24 * 60)
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(later)])
        try w.act("meeting.confirm_alternate", as: customer, id)
        try w.setClock(MeetingTime.shifted(later, minutes: -24 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 2)
    }

    /// A weekly date of a student no longer linked to the customer is not booked, and the
    /// customer reads why in words, not as the API's refusal of a param (their mail carried
    /// "Invalid params: student_id is not a student this user acts for…").
    func testASeriesDateOfAStudentNoLongerLinkedSaysWhyInWords() throws {
        let w = try tutorPlace(settings: ["horizon_days": 10, "office_email": .null])  // no copy: the customer reads every word
        let student = try linkedStudent(w)
        try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId), "weeks": 3, "student_id": .string(student),
        ])
        try w.meetingd.result("student.unlink", as: w.admin, ["customer_id": .string(w.user), "student_id": .string(student)])
        _ = try w.drainRaw()
        try w.setClock(MeetingTime.at(day: 8, hour: 12))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["series_occurrences_created"], 0)
        let told = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "series_date_not_booked" && $0["recipient_id"]?.string == w.user })
        let text = told["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("the student is no longer linked to whoever booked the series") && !text.contains("Invalid params"), text)
    }

    /// The weekly usage limit counts a student's meetings for the student, whoever booked them:
    /// a customer with two students books one meeting for each in the same week under a limit
    /// of one, and a student whose customer booked for them this week cannot book another.
    func testTheWeeklyLimitCountsTheStudentsMeetings() throws {
        let w = try tutorPlace(settings: ["weekly_usage_limit": 1])
        let customer = w.user
        let first = try w.addNamedUser(firstName: "Alex", lastName: "Young", credits: 500)
        let second = try w.addNamedUser(firstName: "Bea", lastName: "Young", credits: 0)
        for student in [first, second] {
            try link(w, customer: customer, student: student)
            try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        }
        func forStudent(_ student: String, day: Int) -> [String: JSONValue] {
            var params = w.requestParams(start: MeetingTime.at(day: day, hour: 10))
            params["student_id"] = .string(student)
            return params
        }
        try w.meetingd.result("meeting.request", as: customer, forStudent(first, day: 7))
        try w.meetingd.result("meeting.request", as: customer, forStudent(second, day: 8))
        let own = try w.meetingd.error("meeting.request", as: first, w.requestParams(start: MeetingTime.at(day: 9, hour: 10)), code: 4022)
        XCTAssertEqual(own["data"]?["limit"], 1)
        // A search shows no time that week for the student, whoever searches; the customer's own
        // search does (bookings for a student are not the customer's).
        let week = try XCTUnwrap(own["data"]?["week_start"]?.string.map(MeetingTime.date) ?? nil)..<XCTUnwrap(own["data"]?["week_end"]?.string.map(MeetingTime.date) ?? nil)
        let (from, to) = (MeetingTime.at(day: 5, hour: 0), MeetingTime.at(day: 20, hour: 0))
        func inWeek(_ slots: [FoundSlot]) -> Int { slots.filter { week.contains(MeetingTime.date($0.start)) }.count }
        for (actor, extra) in [(first, [:]), (customer, ["student_id": JSONValue.string(first)])] {
            let slots = try w.search(as: actor, from: from, to: to, extra)
            XCTAssertEqual(inWeek(slots), 0, "\(extra)")
            XCTAssertGreaterThan(slots.count, 0, "other weeks show")
        }
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(customer), "expert_id": .string(w.expert)])
        XCTAssertGreaterThan(inWeek(try w.search(as: customer, from: from, to: to)), 0)
        // One's own id is no student of one's own, in a search as in a request.
        for method in ["availability.search", "meeting.request"] {
            var params = method == "meeting.request" ? w.requestParams(start: MeetingTime.at(day: 15, hour: 10)) : w.searchParams(service: nil, from: from, to: to, [:])
            params["student_id"] = .string(customer)
            let refused = try w.meetingd.error(method, as: customer, params, code: -32602)
            XCTAssertEqual(refused["data"]?["field"], "student_id", "\(method): \(refused)")
            params["student_id"] = "per_00000000000000000000000000000001"
            let unknown = try w.meetingd.error(method, as: customer, params, code: 4004)
            XCTAssertTrue(unknown["message"]?.string?.contains("student") ?? false, "\(method): \(unknown)")
        }
        XCTAssertEqual(try w.wallet(first), MeetingWorld.wallet(granted: 500), "nothing held for the refused request")
        try w.meetingd.result("meeting.request", as: first, w.requestParams(start: MeetingTime.at(day: 14, hour: 10)))
        try w.assertReconciled()
    }

    /// A student's missed meeting counts for the student and suspends the student, whoever
    /// booked it: the customer's other student can still be booked, another customer linked to
    /// the suspended student cannot book them, and both customers are told by the student's name.
    func testAStudentsNoShowSuspendsTheStudentNotTheCustomer() throws {
        let w = try tutorPlace(settings: ["no_show_policy": ["max_no_shows": 1, "window_days": 30, "suspension_days": 14]])
        let customer = w.user
        let first = try w.addNamedUser(firstName: "Alex", lastName: "Young", credits: 0)
        let second = try w.addNamedUser(firstName: "Bea", lastName: "Young", credits: 0)
        let guardian = try w.addNamedUser(firstName: "Gil", lastName: "Young", credits: 500)
        for student in [first, second] {
            try link(w, customer: customer, student: student)
            try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        }
        try link(w, customer: guardian, student: first)
        func forStudent(_ student: String, day: Int) -> [String: JSONValue] {
            var params = w.requestParams(start: MeetingTime.at(day: day, hour: 10))
            params["student_id"] = .string(student)
            return params
        }
        let missed = try MeetingWorld.id(of: try w.meetingd.result("meeting.request", as: customer, forStudent(first, day: 1)))
        try w.act("meeting.confirm", as: w.expert, missed)
        let logTime = MeetingTime.at(day: 1, hour: 12)
        try w.setClock(logTime)
        _ = try w.drainOutbox()
        try w.act("meeting.log_session", as: w.expert, missed, ["attendance": "no_show"])

        func suspendedUntil(_ person: String) throws -> JSONValue? {
            try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(person)])["suspended_until"]
        }
        let until = MeetingTime.shifted(logTime, minutes: 14 * 24 * 60)
        XCTAssertEqual(try suspendedUntil(first), .string(until), "the student who missed the meeting is suspended")
        XCTAssertEqual(try suspendedUntil(customer), .null, "not the customer who booked it")
        let told = try w.drainOutbox().filter { $0.kind == "user_suspended" }
        XCTAssertEqual(told.compactMap(\.recipientId).sorted(), [customer, guardian, first].sorted(),
                       "the customer who booked for the student is told, the other customer linked to the student, and the student, once each")
        for parent in [customer, guardian] {
            let toCustomer = told.first { $0.recipientId == parent }
            XCTAssertEqual(toCustomer?.raw["payload"]?["student_name"], "Alex Young")
            XCTAssertTrue(toCustomer?.raw["rendered"]?["text"]?.string?.contains("Alex Young cannot be booked until") ?? false, "\(toCustomer?.raw ?? .null)")
        }
        let toStudent = told.first { $0.recipientId == first }
        XCTAssertTrue(toStudent?.raw["rendered"]?["text"]?.string?.contains("you cannot be booked until") ?? false, "\(toStudent?.raw ?? .null)")

        try w.meetingd.result("meeting.request", as: customer, forStudent(second, day: 7))
        for booker in [customer, guardian] {
            let refused = try w.meetingd.error("meeting.request", as: booker, forStudent(first, day: 8), code: 4023)
            XCTAssertEqual(refused["data"]?["until"], .string(until))
            XCTAssertTrue(refused["message"]?.string?.contains("student") ?? false, "\(refused)")
        }
        let (dayStart, dayEnd) = (MeetingTime.at(day: 8, hour: 0), MeetingTime.at(day: 9, hour: 0))
        let search = try w.meetingd.error("availability.search", as: customer,
                                          w.searchParams(service: nil, from: dayStart, to: dayEnd, ["student_id": .string(first)]), code: 4023)
        XCTAssertTrue(search["message"]?.string?.contains("student") ?? false, "searching for the suspended student: \(search)")
        XCTAssertFalse(try w.search(as: customer, from: dayStart, to: dayEnd, ["student_id": .string(second)]).isEmpty, "the other student's times show")

        // Lifted by an admin, the lift is told to whom the suspension was: the student and both
        // customers linked to them.
        _ = try w.drainOutbox()
        XCTAssertEqual(try w.meetingd.result("person.unsuspend", as: w.admin, ["person_id": .string(first)])["suspended_until"], .null)
        let lifted = try w.drainOutbox()
        XCTAssertEqual(lifted.map(\.kind), ["user_unsuspended", "user_unsuspended", "user_unsuspended"])
        XCTAssertEqual(lifted.compactMap(\.recipientId).sorted(), [first, customer, guardian].sorted())
        for parent in [customer, guardian] {
            let liftedForCustomer = lifted.first { $0.recipientId == parent }
            XCTAssertEqual(liftedForCustomer?.raw["payload"]?["student_id"], .string(first))
            XCTAssertTrue(liftedForCustomer?.raw["rendered"]?["text"]?.string?.contains("Alex Young can be booked again") ?? false, "\(liftedForCustomer?.raw ?? .null)")
        }
        let liftedForStudent = lifted.first { $0.recipientId == first }
        XCTAssertTrue(liftedForStudent?.raw["rendered"]?["text"]?.string?.contains("you can be booked again") ?? false, "\(liftedForStudent?.raw ?? .null)")
        try w.meetingd.result("meeting.request", as: guardian, forStudent(first, day: 8))
        try w.assertReconciled()
    }

    /// A student who also books for themself and misses their own meeting is told "you cannot
    /// book", and the customer linked to them, who can no longer book them either, is told by the
    /// student's name (no customer was told, and learnt of it only from a refused booking); the
    /// lift is told the same way: "you can book again" to the student (it said they could "be
    /// booked"), the student's name to the customer.
    func testALiftIsToldAsTheSuspensionWas() throws {
        let w = try tutorPlace(settings: ["no_show_policy": ["max_no_shows": 1, "window_days": 30, "suspension_days": 14]])
        let student = try w.addNamedUser(firstName: "Stu", lastName: "Dent")
        try link(w, customer: w.user, student: student)
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        let own = try MeetingWorld.id(of: try w.meetingd.result("meeting.request", as: student, w.requestParams(start: MeetingTime.at(day: 1, hour: 10))))
        try w.act("meeting.confirm", as: w.expert, own)
        try w.setClock(MeetingTime.at(day: 1, hour: 12))
        try w.act("meeting.log_session", as: w.expert, own, ["attendance": "no_show"])
        let told = try w.drainOutbox().filter { $0.kind == "user_suspended" }
        XCTAssertEqual(told.compactMap(\.recipientId), [student, w.user], "them, then the customer linked to them")
        XCTAssertTrue(told.first?.raw["rendered"]?["text"]?.string?.contains("you cannot book until") ?? false, "\(told.first?.raw ?? .null)")
        XCTAssertEqual(told.last?.raw["payload"]?["student_id"], .string(student))
        XCTAssertTrue(told.last?.raw["rendered"]?["text"]?.string?.contains("Stu Dent cannot be booked until") ?? false, "\(told.last?.raw ?? .null)")
        try w.meetingd.result("person.unsuspend", as: w.admin, ["person_id": .string(student)])
        let lifted = try w.drainOutbox()
        XCTAssertEqual(lifted.map(\.kind), ["user_unsuspended", "user_unsuspended"])
        let toStudent = lifted.first { $0.recipientId == student }, toCustomer = lifted.first { $0.recipientId == w.user }
        XCTAssertTrue(toStudent?.raw["rendered"]?["text"]?.string?.contains("you can book again") ?? false, "\(toStudent?.raw ?? .null)")
        XCTAssertTrue(toCustomer?.raw["rendered"]?["text"]?.string?.contains("Stu Dent can be booked again") ?? false, "\(toCustomer?.raw ?? .null)")
    }

    /// A student assigned to the world's tutor, linked to two customers of their own.
    func studentOfTwoCustomers(_ w: MeetingWorld) throws -> (student: String, first: String, second: String) {
        let student = try w.addNamedUser(firstName: "Stu", lastName: "Dent")
        let first = try w.addNamedUser(firstName: "Cai", lastName: "One"), second = try w.addNamedUser(firstName: "Cal", lastName: "Two")
        for customer in [first, second] { try link(w, customer: customer, student: student) }
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        return (student, first, second)
    }

    /// A lift is told to whom the suspensions since the last lift were told: a suspension a
    /// second customer's missed meeting extended tells both customers, and one that ends at the
    /// very minute of a suspension lifted before tells only its own people (the first counted
    /// only the notices of the running end: the first customer was not told, then the earlier
    /// people were told again, the student twice).
    func testALiftCountsTheNoticesSinceTheLastLift() throws {
        let w = try tutorPlace(settings: ["no_show_policy": ["max_no_shows": 1, "window_days": 30, "suspension_days": 14]])
        let (student, first, second) = try studentOfTwoCustomers(w)
        func book(_ booker: String, hour: Int, forStudent: Bool) throws -> String {
            var params = w.requestParams(start: MeetingTime.at(day: 1, hour: hour))
            if forStudent { params["student_id"] = .string(student) }
            let id = try MeetingWorld.id(of: try w.meetingd.result("meeting.request", as: booker, params))
            try w.act("meeting.confirm", as: w.expert, id)
            return id
        }
        let byFirst = try book(first, hour: 9, forStudent: true), bySecond = try book(second, hour: 10, forStudent: true)
        let own = try book(student, hour: 11, forStudent: false)
        func lifted() throws -> Set<String> {
            _ = try w.drainOutbox()
            try w.meetingd.result("person.unsuspend", as: w.admin, ["person_id": .string(student)])
            return Set(try w.drainOutbox().filter { $0.kind == "user_unsuspended" }.map { "\($0.recipientId ?? "-") \($0.raw["payload"]?["recipient_role"]?.string ?? "-")" })
        }
        try w.setClock(MeetingTime.at(day: 1, hour: 12))
        try w.act("meeting.log_session", as: w.expert, byFirst, ["attendance": "no_show"])
        try w.setClock(MeetingTime.at(day: 1, hour: 13))
        try w.act("meeting.log_session", as: w.expert, bySecond, ["attendance": "no_show"])
        XCTAssertEqual(try lifted(), ["\(student) student", "\(first) user", "\(second) user"], "both customers and the student, once")
        try w.act("meeting.log_session", as: w.expert, own, ["attendance": "no_show"])
        XCTAssertEqual(try lifted(), ["\(student) user", "\(first) user", "\(second) user"],
                       "the student's own missed meeting: them, as one who books, and both customers, who can no longer book them")
    }

    /// A suspension that ran out by itself is over: its people are not told of a later one's
    /// lift (the first customer was told "open again" of a suspension they never heard of).
    func testALiftLeavesOutTheNoticesOfASuspensionThatRanOut() throws {
        let w = try tutorPlace(settings: ["no_show_policy": ["max_no_shows": 1, "window_days": 7, "suspension_days": 3]])
        let (student, first, second) = try studentOfTwoCustomers(w)
        func missed(by booker: String, day: Int) throws {
            var params = w.requestParams(start: MeetingTime.at(day: day, hour: 10))
            params["student_id"] = .string(student)
            let id = try MeetingWorld.id(of: try w.meetingd.result("meeting.request", as: booker, params))
            try w.act("meeting.confirm", as: w.expert, id)
            try w.setClock(MeetingTime.at(day: day, hour: 12))
            try w.act("meeting.log_session", as: w.expert, id, ["attendance": "no_show"])
        }
        try missed(by: first, day: 1)
        XCTAssertEqual(Set(try w.drainOutbox().filter { $0.kind == "user_suspended" }.compactMap(\.recipientId)), [student, first, second])
        try w.setClock(MeetingTime.at(day: 12, hour: 8))
        // The first customer, unlinked while the student misses another meeting, is told of the
        // second suspension neither then nor when it is lifted (linked again by then): only of
        // the first, which ran out.
        let link: [String: JSONValue] = ["customer_id": .string(first), "student_id": .string(student)]
        try w.meetingd.result("student.unlink", as: w.admin, link)
        try missed(by: second, day: 14)
        XCTAssertEqual(Set(try w.drainOutbox().filter { $0.kind == "user_suspended" }.compactMap(\.recipientId)), [student, second])
        try w.meetingd.result("student.link", as: w.admin, link)
        try w.meetingd.result("person.unsuspend", as: w.admin, ["person_id": .string(student)])
        XCTAssertEqual(Set(try w.drainOutbox().filter { $0.kind == "user_unsuspended" }.compactMap(\.recipientId)), [student, second])
    }

    /// The student's invitation names the tutor they meet, not their own customer; and the
    /// first invitation of a request the tutor answered with another time is the invitation's
    /// first version ("Invitation:", SEQUENCE 0): no calendar held an earlier one.
    func testTheStudentsFirstInvitationNamesTheTutor() throws {
        let w = try tutorPlace()
        let tom = try w.addScheduledExpert(firstName: "Tom", timeZone: "UTC", services: [w.serviceId], rules: dailyRules("06:00", "22:00", at: [w.locationId]))
        let carla = try w.addNamedUser(firstName: "Carla", lastName: "Customer")
        let alex = try w.addNamedUser(firstName: "Alex", lastName: "Young", credits: 0)
        try link(w, customer: carla, student: alex)
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(alex), "expert_id": .string(tom)])
        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10), expert: tom)
        params["student_id"] = .string(alex)
        let id = try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: carla, params))
        try w.act("meeting.reschedule", as: tom, id, ["start": .string(MeetingTime.at(day: 7, hour: 14)), "note": "2 pm?"])
        _ = try w.drainOutbox()
        let agreed = try w.act("meeting.confirm", as: carla, id)
        XCTAssertEqual(agreed["status"], "agreed")
        XCTAssertEqual(agreed["calendar_sequence"], 0, "no invitation was sent before this one")
        let invites = try w.drainRaw().filter { $0["kind"] == "calendar.invite" }
        XCTAssertEqual(Set(invites.compactMap { $0["recipient_id"]?.string }), [carla, alex, tom])
        for invite in invites {
            XCTAssertTrue(invite["rendered"]?["subject"]?.string?.hasPrefix("[TP] Invitation: Alex and Tom - TP") == true, "\(invite)")
        }
        let toAlex = try XCTUnwrap(invites.first { $0["recipient_id"]?.string == alex }?["rendered"]?["text"]?.string)
        XCTAssertTrue(toAlex.contains("Your meeting with Tom Tester"), toAlex)
        XCTAssertFalse(toAlex.contains("Your meeting with Carla"), toAlex)
        let toCarla = try XCTUnwrap(invites.first { $0["recipient_id"]?.string == carla }?["rendered"]?["text"]?.string)
        XCTAssertTrue(toCarla.contains("Your meeting with Tom Tester"), toCarla)
        let toTom = try XCTUnwrap(invites.first { $0["recipient_id"]?.string == tom }?["rendered"]?["text"]?.string)
        XCTAssertTrue(toTom.contains("Your meeting with Carla Customer"), toTom)
        try w.assertReconciled()
    }

    /// Seed 003: "A user with no students books for themself as today" — and a weekly series
    /// for a student books every occurrence for them from the customer's wallet.
    func testACustomersWeeklySeriesIsForTheirStudent() throws {
        let w = try tutorPlace()
        let student = try w.addNamedUser(firstName: "Alex", credits: 0)
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(student), "expert_id": .string(w.expert)])
        try link(w, customer: w.user, student: student)
        let series = try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 9)),
            "location_id": .string(w.locationId), "weeks": 3, "student_id": .string(student),
        ])
        XCTAssertEqual(series["student_id"]?.string, student)
        let occurrences = series["occurrences"]?.array ?? []
        XCTAssertEqual(occurrences.count, 3)
        for o in occurrences {
            XCTAssertEqual(try w.meeting(o["meeting_id"]?.string ?? "")["student_id"]?.string, student)
        }
        // The student reads the series booked for them, as they read its meetings.
        let seriesId = try XCTUnwrap(series["id"]?.string)
        XCTAssertEqual(try w.meetingd.result("series.get", as: student, ["series_id": .string(seriesId)])["occurrences"]?.array?.count, 3)
        XCTAssertEqual(try w.meetingd.result("series.list", as: student)["items"]?.array?.compactMap { $0["id"]?.string }, [seriesId], "and lists it")
        let outsider = try w.addNamedUser(firstName: "Olly", credits: 0)
        try w.meetingd.error("series.get", as: outsider, ["series_id": .string(seriesId)], code: 4003)
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 300))
        try w.assertReconciled()
    }

    // MARK: 2. The tutor processes the customer's answer

    /// Seed 003, steps 8–13: "Press Propose New Date and time to counter offer [...] When your
    /// customer responds you will be notified by email and the lilac session will have stripes
    /// to let you know you need to take action [...] Process as required. Add selections to the
    /// compulsory fields of: Session Type, Location". The tutor makes the session with meetctl.
    func testWhenYourCustomerRespondsYouProcessTheRequestWithSessionTypeAndLocation() throws {
        let w = try tutorPlace(settings: ["require_confirm_details": true])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let proposed = MeetingTime.at(day: 7, hour: 14)
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(proposed), "note": "2 pm?"])
        _ = try w.drainOutbox()

        // The customer accepts: not a session yet; the tutor is told to act.
        let accepted = try w.act("meeting.confirm", as: w.user, id)
        assertMeeting(accepted, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: true, start: proposed)
        XCTAssertEqual(accepted["awaiting_processing"], true)
        XCTAssertEqual(accepted["awaiting_action_by"], "expert")
        // Step 15: the customer's update is mailed to them too, the office copied once (on theirs).
        let told = try w.drainRaw()
        XCTAssertEqual(told.map { "\($0["kind"]?.string ?? "")→\($0["payload"]?["recipient_role"]?.string ?? "")" }.sorted(),
                       ["new_date_accepted_by_user→expert", "new_date_accepted_by_user→user"])
        let customers = try XCTUnwrap(told.first { $0["payload"]?["recipient_role"] == "user" })
        XCTAssertTrue(customers["rendered"]?["text"]?.string?.contains("You accepted") ?? false, "\(customers)")
        XCTAssertTrue(customers["rendered"]?["text"]?.string?.contains("will now make the session") ?? false, "\(customers)")
        XCTAssertEqual(customers["cc"], [.string(Self.office)], "the tutor reads their own message; the office is copied here")
        let tutors = try XCTUnwrap(told.first { $0["payload"]?["recipient_role"] == "expert" })
        XCTAssertNil(tutors["cc"], "the office is copied once")
        let tutorsList = try w.meetingd.result("meeting.list", as: w.expert, ["role": "expert"])["items"]?.array ?? []
        XCTAssertEqual(tutorsList.first?["id"]?.string, id, "it is at the top of the tutor's list, awaiting action")
        try w.refuse("meeting.confirm", as: w.user, id, code: 4009)
        XCTAssertEqual(try w.trail(id), ["hold pending 100"], "the held credits stay held, once")

        // "Add selections to the compulsory fields": refused without them, nothing changes.
        let tutor = try Meetctl(actor: w.expert)
        let missing = try tutor.fails(["confirm", id], status: 1)
        XCTAssertTrue(missing.stderr.contains("session_type"), missing.stderr)
        assertMeeting(try w.meeting(id), status: "awaiting_approval", credit: "blocked")
        // "Add data to non compulsory fields if required: Class, Room", one line each, seen.
        let blank = try tutor.fails(["confirm", id, "--session-type", "Tutoring", "--location", w.locationId, "--class", " \u{200B} "], status: 1)
        XCTAssertTrue(blank.stderr.contains("class_name"), blank.stderr)
        let made = try tutor.json([
            "confirm", id, "--session-type", "Tutoring", "--location", w.locationId, "--class", " Year 10 Chemistry ", "--room", "Room 12",
        ])
        assertMeeting(made, status: "agreed", credit: "blocked", start: proposed)
        XCTAssertEqual(made["session_type"], "Tutoring")
        XCTAssertEqual(made["class_name"], "Year 10 Chemistry", "kept as a name is: trimmed")
        XCTAssertEqual(made["room"], "Room 12")
        XCTAssertEqual(try w.timeline(id).suffix(2), ["user_approval", "processed_by_expert"])
        XCTAssertEqual(try w.timelineEvents(id).last?["details"]?["room"], "Room 12")
        // The timeline names the place given, not its id.
        let place = try XCTUnwrap(try w.meetingd.result("location.list", as: w.admin, [:])["items"]?.array?
            .first { $0["id"]?.string == w.locationId }?["name"]?.string)
        let shown = try tutor.ok(["meeting", "show", id])
        XCTAssertTrue(shown.contains("location=\(place)") && !shown.contains("location_id="), shown)
        XCTAssertTrue(shown.contains("Class") && shown.contains("Year 10 Chemistry") && shown.contains("Room 12"), shown)
        // Step 14: "Your customer will be notified of all updates automatically."
        let messages = try w.drainOutbox()
        XCTAssertEqual(w.summary(messages).sorted(), MeetingWorld.withInvites(["meeting_confirmed_by_expert→user", "video.create→video"]))
        // The class and the room are where the session is said: the customer's mail and both invitations.
        let mail = try XCTUnwrap(messages.first { $0.kind == "meeting_confirmed_by_expert" }?.raw["rendered"]?["text"]?.string)
        XCTAssertTrue(mail.contains("\(place), Room 12") && mail.contains(", class Year 10 Chemistry"), mail)
        let ics = try XCTUnwrap(try w.meetingd.result("meeting.calendar", as: w.user, ["meeting_id": .string(id)])["ics"]?.string)
        let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
        XCTAssertTrue(unfolded.contains("LOCATION:\(place)\\, Room 12\r\n") && unfolded.contains("\\nClass: Year 10 Chemistry"), unfolded)
        try w.assertReconciled()
    }

    /// Where the community does not require session details, the customer's acceptance agrees
    /// the meeting at once (today's behaviour).
    func testWithoutRequiredDetailsTheCustomersAcceptanceAgreesAtOnce() throws {
        let w = try tutorPlace()
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 7, hour: 14))])
        assertMeeting(try w.act("meeting.confirm", as: w.user, id), status: "agreed", credit: "blocked")
    }

    // MARK: 3. Who is copied

    /// Seed 003, step 15: "Automatic emails will be sent to the customer and copy you and the
    /// office when a session request is updated." Delivered with meetctl, as e-mail.
    func testAutomaticEmailsGoToTheCustomerAndCopyYouAndTheOffice() throws {
        let w = try tutorPlace()
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        _ = try w.drainOutbox()
        try w.act("meeting.reschedule", as: w.expert, id, ["start": .string(MeetingTime.at(day: 7, hour: 14)), "note": "2 pm?"])
        let expertEmail = try XCTUnwrap(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.expert)])["email"]?.string)
        let update = try XCTUnwrap(try w.drainRaw().first { $0["kind"] == "counter_offer_by_expert" })
        XCTAssertEqual(update["recipient_id"]?.string, w.user)
        XCTAssertEqual(update["cc"], [.string(expertEmail), .string(Self.office)])

        // The customer answers with another time (step 15: the customer is mailed of every
        // update): the tutor is asked, and the customer gets a receipt, which the office is
        // copied on, once, as on any event told to both sides.
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(MeetingTime.at(day: 7, hour: 12))])
        let countered = try w.drainRaw().filter { $0["kind"] == "counter_offer_by_user" }
        let toTutor = try XCTUnwrap(countered.first { $0["recipient_id"]?.string == w.expert })
        let receipt = try XCTUnwrap(countered.first { $0["recipient_id"]?.string == w.user })
        XCTAssertEqual(toTutor["cc"] ?? [], [], "\(toTutor)")
        XCTAssertEqual(receipt["cc"], [.string(Self.office)])
        let receiptText = receipt["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(receiptText.contains("You proposed") && receiptText.contains("instead of") && receiptText.contains("who will confirm or decline it"), receiptText)

        // An event that tells both sides (a cancellation) is read once each: the tutor gets their
        // own mail, not a copy of the customer's, and the office one copy.
        try w.act("meeting.confirm", as: w.expert, id, ["session_type": "Tutoring", "location_id": .string(w.locationId)])
        _ = try w.drainOutbox()
        try w.act("meeting.cancel", as: w.user, id, ["reason_code": "other", "confirm_late": true])
        let cancelled = try w.drainRaw().filter { $0["kind"] == "cancellation_by_user" }
        let toCustomer = try XCTUnwrap(cancelled.first { $0["recipient_id"]?.string == w.user })
        let toExpert = try XCTUnwrap(cancelled.first { $0["recipient_id"]?.string == w.expert })
        XCTAssertEqual(toCustomer["cc"], [.string(Self.office)])
        XCTAssertEqual(toExpert["cc"] ?? [], [], "\(toExpert)")
    }

    // MARK: 4. The office processes requests

    /// Seed 003, overview: "This request can go to the office but it may also be sent directly
    /// to you for processing." The office confirms (makes the session, with meetctl), declines
    /// and counter-offers for the community's tutors; the timeline records the office.
    func testTheRequestCanGoToTheOfficeForProcessing() throws {
        let w = try tutorPlace(settings: ["require_confirm_details": true])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "expert_id": .string(w.expert)])
        let olga = try MeetingWorld.id(of: w.addPerson(roles: ["office"], firstName: "Olga"))
        let outsider = try w.addNamedUser(firstName: "Sky", credits: 0)

        let made = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        _ = try w.drainOutbox()
        // The office's list to process: what waits for the tutors' side, across the community.
        let waitingRows = try w.meetingd.allPages("meeting.waiting", as: olga, [:])
        XCTAssertEqual(waitingRows.compactMap { $0["id"]?.string }, [made])
        XCTAssertNil(waitingRows.first?["student_linked"], "a meeting for its user themself: no student to be linked")
        XCTAssertNil(try w.meeting(made)["student_linked"])
        try w.meetingd.error("meeting.waiting", as: olga, ["expert_id": "per_00000000000000000000000000000001"], code: 4004)
        XCTAssertEqual(try w.meetingd.allPages("meeting.waiting", as: olga, ["expert_id": .string(w.expert)]).compactMap { $0["id"]?.string }, [made])
        // Another community's person, or nobody: not found rather than an empty list.
        try w.meetingd.error("meeting.list", as: olga, ["person_id": "per_00000000000000000000000000000001"], code: 4004)
        try w.meetingd.error("meeting.waiting", as: outsider, [:], code: 4003)
        try w.meetingd.error("meeting.waiting", as: w.expert, [:], code: 4003)
        let officeTool = try Meetctl(actor: olga)
        let listed = try officeTool.ok(["waiting"])
        XCTAssertTrue(listed.contains(made) && listed.contains("awaiting_approval") && listed.contains("confirm or decline"), listed)
        // Its rows are numbered and are the last listing: row 1 is this request (it was whatever
        // the office's meetctl meetings listed before).
        XCTAssertTrue(listed.hasPrefix("#  NEXT STEP"), listed)
        XCTAssertEqual(try officeTool.json(["meeting", "show", "1"])["meeting"]?["id"]?.string, made)
        try w.refuse("meeting.confirm", as: outsider, made, ["session_type": "Tutoring"], code: 4003)
        // The office sees the tutor's clashes before it confirms for them, as the tutor would.
        XCTAssertEqual(try w.meetingd.result("meeting.conflicts", as: olga, ["meeting_id": .string(made)])["meetings"], [])
        try w.meetingd.error("meeting.conflicts", as: outsider, ["meeting_id": .string(made)], code: 4003)
        let office = try Meetctl(actor: olga)
        let confirmed = try office.json(["confirm", made, "--session-type", "Assessment", "--location", w.locationId])
        assertMeeting(confirmed, status: "agreed", credit: "blocked")
        XCTAssertEqual(try w.meetingd.allPages("meeting.waiting", as: olga, [:]).count, 0, "processed: nothing waits")
        let approval = try XCTUnwrap(try w.timelineEvents(made).last)
        XCTAssertEqual(approval["kind"], "expert_approval")
        XCTAssertEqual(approval["details"]?["session_type"], "Assessment", "the timeline keeps the details the office gave")
        XCTAssertEqual(approval["details"]?["location_id"]?.string, w.locationId)
        XCTAssertEqual(approval["actor_role"], "office")
        XCTAssertEqual(approval["actor_id"]?.string, olga)
        XCTAssertEqual(try w.drainedSummary().filter { !$0.hasPrefix("calendar") },
                       ["meeting_confirmed_by_expert→expert", "meeting_confirmed_by_expert→user", "video.create→video"],
                       "the customer and the tutor are told")
        // Cancelling stays with the meeting's parties.
        try w.refuse("meeting.cancel", as: olga, made, ["reason_code": "other"], code: 4003)

        let countered = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        let moved = try w.act("meeting.reschedule", as: olga, countered, ["start": .string(MeetingTime.at(day: 8, hour: 15)), "note": "Office: 3 pm?"])
        assertMeeting(moved, status: "awaiting_approval", credit: "blocked", expertApproved: true, userApproved: false)
        XCTAssertEqual(try w.timelineEvents(countered).last?["actor_role"], "office")

        let declined = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 9, hour: 10)))
        assertMeeting(try w.act("meeting.decline", as: olga, declined, ["reason_code": "schedule_conflict"]), status: "rejected", credit: "returned")
        XCTAssertEqual(try w.timelineEvents(declined).last?["actor_role"], "office")

        // Where declines are not e-mailed to users, the tutor still learns what the office did.
        try w.updateSettings(["email_user_on_decline": false])
        let quiet = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 9, hour: 14)))
        _ = try w.drainOutbox()
        try w.act("meeting.decline", as: olga, quiet, ["reason_code": "schedule_conflict"])
        XCTAssertEqual(try w.drainedSummary(), ["meeting_rejected_by_expert→expert"], "the tutor is told; the customer is not")
        try w.assertReconciled()
    }

    // MARK: 5. Admins and office book for a user; whether experts propose

    /// Seed 000: "Students or admins can create appointments (not Providers)". An admin (or the
    /// office) books for a user; a community that says so refuses experts' proposals.
    func testStudentsOrAdminsCanCreateAppointmentsNotProviders() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["experts_may_propose": false])
        let olga = try MeetingWorld.id(of: w.addPerson(roles: ["office"], firstName: "Olga"))
        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        params["user_id"] = .string(w.user)
        let booked = try w.meetingd.result("meeting.request", as: w.admin, params)
        assertMeeting(booked, status: "awaiting_approval", credit: "blocked")
        XCTAssertEqual(booked["user_id"]?.string, w.user)
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100))
        let first = try XCTUnwrap(try w.timelineEvents(MeetingWorld.id(of: booked)).first)
        XCTAssertEqual(first["kind"], "requested_for_user")
        XCTAssertEqual(first["actor_role"], "admin")
        let told = try w.drainOutbox().filter { $0.channel == "notification" }
        XCTAssertEqual(w.summary(told).sorted(), ["meeting_booked_for_user→user", "meeting_request→expert"])
        // The user did not ask for it: told who did, and what of theirs it holds.
        let toUser = told.first { $0.recipientId == w.user }?.raw["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toUser.contains("was requested for you by an admin. 100 credits of yours are held for it. It waits for"), toUser)

        params["start"] = .string(MeetingTime.at(day: 7, hour: 12))
        XCTAssertEqual(try w.meetingd.result("meeting.request", as: olga, params)["user_id"]?.string, w.user, "the office books too")
        // Left out, user_id is said to be missing (it read "must be a person with the user role").
        var noUser = params
        noUser["user_id"] = nil
        noUser["start"] = .string(MeetingTime.at(day: 7, hour: 16))
        let missing = try w.meetingd.error("meeting.request", as: olga, noUser, code: -32602)
        XCTAssertEqual(missing["data"]?["field"], "user_id")
        XCTAssertTrue(missing["message"]?.string?.contains("is required") ?? false, "\(missing)")
        let other = try w.addNamedUser(firstName: "Kim")
        params["start"] = .string(MeetingTime.at(day: 7, hour: 14))
        try w.meetingd.error("meeting.request", as: other, params, code: 4003)
        try w.meetingd.error("meeting.request", as: w.expert, params, code: 4003)

        let refused = try w.meetingd.error("meeting.propose", as: w.expert, [
            "user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 8, hour: 10)),
            "length_minutes": 60, "price_credits": 100,
        ], code: 4003)
        XCTAssertTrue(refused["message"]?.string?.contains("experts_may_propose") ?? false, "\(refused)")
        try w.updateSettings(["experts_may_propose": true])
        try w.propose(start: MeetingTime.at(day: 8, hour: 10))
        try w.assertReconciled()
    }

    /// Under auto-accept a meeting the office books for a user is agreed at once, and both sides
    /// learn who booked it: the user was told only "confirmed", and the tutor that the office
    /// confirmed it.
    func testAMeetingBookedForAUserUnderAutoAcceptSaysWhoBookedIt() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["auto_accept": true])
        let olga = try MeetingWorld.id(of: w.addPerson(roles: ["office"], firstName: "Olga"))
        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        params["user_id"] = .string(w.user)
        _ = try w.drainOutbox()
        assertMeeting(try w.meetingd.result("meeting.request", as: olga, params), status: "agreed", credit: "blocked")
        let told = try w.drainOutbox().filter { $0.channel == "notification" }
        XCTAssertEqual(w.summary(told).sorted(), ["meeting_booked_for_user→expert", "meeting_booked_for_user→user"])
        let toUser = told.first { $0.recipientId == w.user }?.raw["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toUser.contains("was booked for you by the office; it is confirmed. 100 credits of yours are held for it."), toUser)
        let toExpert = told.first { $0.recipientId == w.expert }?.raw["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toExpert.contains("The office booked a meeting with you on"), toExpert)
        XCTAssertFalse(toExpert.contains("The office confirmed"), toExpert)
        try w.assertReconciled()
    }
}
