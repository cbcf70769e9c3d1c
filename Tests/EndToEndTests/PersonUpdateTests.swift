import XCTest

/// `person.update`: a person changes their own names and time zone; an admin changes anyone's
/// e-mail and roles too; a role is not taken away while something open needs it.
final class PersonUpdateTests: EndToEndTestCase {
    func person(_ w: MeetingWorld, _ id: String) throws -> JSONValue { try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(id)]) }

    @discardableResult
    func update(_ w: MeetingWorld, as actor: String, _ id: String, _ params: [String: JSONValue]) throws -> JSONValue {
        var p = params
        p["person_id"] = .string(id)
        return try w.meetingd.result("person.update", as: actor, p)
    }

    @discardableResult
    func refuse(_ w: MeetingWorld, as actor: String, _ id: String, _ params: [String: JSONValue], code: Int64) throws -> JSONValue {
        var p = params
        p["person_id"] = .string(id)
        let before = try person(w, id)
        let error = try w.meetingd.error("person.update", as: actor, p, code: code)
        XCTAssertEqual(try person(w, id), before, "a refused change changes nothing: \(error)")
        return error
    }

    func testAPersonChangesTheirOwnNamesAndTimeZoneAndOnlyThose() throws {
        let w = try MeetingWorld(self, label: #function)
        let changed = try update(w, as: w.user, w.user, ["first_name": "  Zoë ", "last_name": "Nováková", "time_zone": "Asia/Tokyo"])
        XCTAssertEqual(changed["first_name"], "Zoë", "names are stored trimmed")
        XCTAssertEqual(changed["last_name"], "Nováková")
        XCTAssertEqual(changed["time_zone"], "Asia/Tokyo")
        XCTAssertEqual(try person(w, w.user)["time_zone"], "Asia/Tokyo")
        let id = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        XCTAssertEqual(try w.meeting(id)["user_name"], "Zoë Nováková", "the new name shows where the person appears")
        // The expert moves before the request's notice is delivered: it is written on their new zone.
        try update(w, as: w.admin, w.expert, ["time_zone": "America/Denver"])
        let notice = try XCTUnwrap(try w.drainOutbox().first { $0.recipientId == w.expert && $0.channel == "notification" })
        XCTAssertEqual(notice.raw["recipient"]?["time_zone"], "America/Denver")
        XCTAssertTrue(notice.raw["rendered"]?["text"]?.string?.contains("04:00 MDT") ?? false, "10:00 UTC on the expert's new clock: \(notice.raw)")

        XCTAssertEqual(try refuse(w, as: w.user, w.user, ["email": "new@example.org"], code: 4003)["message"]?.string?.contains("only an admin may change email"), true)
        try refuse(w, as: w.user, w.user, ["add_roles": ["admin"]], code: 4003)
        try refuse(w, as: w.user, w.expert, ["first_name": "Mallory"], code: 4003)
        XCTAssertEqual(try refuse(w, as: w.user, w.user, ["time_zone": "Mars/Olympus"], code: -32602)["data"]?["field"], "time_zone")
        // A zone given in another case is kept as the zone database spells it, as the import keeps it.
        XCTAssertEqual(try update(w, as: w.user, w.user, ["time_zone": "asia/TOKYO"])["time_zone"], "Asia/Tokyo")
        XCTAssertEqual(try w.meetingd.result("person.create", as: w.admin, TestCommunity.personParams(roles: ["user"]).merging(["time_zone": "europe/prague"]) { $1 })["time_zone"],
                       "Europe/Prague")
        XCTAssertEqual(try w.meetingd.result("community.update_settings", as: w.admin, ["time_zone": "america/new_york"])["settings"]?["time_zone"], "America/New_York")
        XCTAssertEqual(try refuse(w, as: w.user, w.user, [:], code: -32602)["data"]?["field"], "person_id", "nothing to change")
        XCTAssertEqual(try refuse(w, as: w.user, w.user, ["first_name": "Bad\u{202E}Name"], code: -32602)["data"]?["field"], "first_name")
        XCTAssertEqual(try refuse(w, as: w.user, w.user, ["last_name": "\u{200B}\u{2060}"], code: -32602)["data"]?["field"], "last_name", "a name nobody can see")
        try w.meetingd.error("person.update", as: w.admin, ["person_id": .string("per_" + String(repeating: "0", count: 32)), "first_name": "X"], code: 4004)
    }

    func testAnAdminChangesEmailAndRolesAndANewRoleOpensItsAccount() throws {
        let w = try MeetingWorld(self, label: #function)
        let other = try w.addUser(name: "other")
        let otherEmail = try XCTUnwrap(try person(w, other)["email"]?.string)
        XCTAssertEqual(try update(w, as: w.admin, w.user, ["email": "renamed@people.example"])["email"], "renamed@people.example")
        XCTAssertEqual(try refuse(w, as: w.admin, w.user, ["email": .string(otherEmail.uppercased())], code: -32602)["data"]?["field"], "email",
                       "an e-mail another person has, whatever its case")

        // An expert who becomes a user too gets a wallet: grants reach it and balances read it.
        let both = try update(w, as: w.admin, w.expert, ["add_roles": ["user", "office"]])
        XCTAssertEqual(Set(both["roles"]?.array?.compactMap(\.string) ?? []), ["expert", "user", "office"])
        try w.grant(w.expert, 40)
        XCTAssertEqual(try w.meetingd.result("ledger.balance", as: w.expert, ["person_id": .string(w.expert)])["available"], 40)
        XCTAssertEqual(try update(w, as: w.admin, w.expert, ["remove_roles": ["office"]])["roles"], ["expert", "user"])

        XCTAssertEqual(try refuse(w, as: w.admin, w.user, ["add_roles": ["admin"], "remove_roles": ["admin"]], code: -32602)["data"]?["field"], "remove_roles")
        XCTAssertEqual(try refuse(w, as: w.admin, other, ["remove_roles": ["user"]], code: -32602)["data"]?["field"], "remove_roles", "at least one role stays")
        try w.assertReconciled()
    }

    func testTheLastAdminKeepsTheRole() throws {
        let w = try MeetingWorld(self, label: #function)
        let admins = try w.meetingd.result("person.list", as: w.admin, ["role": "admin"])["items"]?.array ?? []
        XCTAssertEqual(admins.count, 1)
        let last = try refuse(w, as: w.admin, w.admin, ["remove_roles": ["admin"], "add_roles": ["user"]], code: 4009)
        XCTAssertEqual(last["data"]?["role"], "admin")
        try update(w, as: w.admin, w.finance, ["add_roles": ["admin"]])
        XCTAssertEqual(try update(w, as: w.finance, w.admin, ["remove_roles": ["admin"], "add_roles": ["user"]])["roles"], ["user"])
        try w.meetingd.error("person.update", as: w.admin, ["person_id": .string(w.user), "first_name": "X"], code: 4003)
    }

    /// An expert with an open request keeps the role until it is answered; without it they are
    /// not searched, listed or booked, and given it back they are again.
    func testAnExpertRoleIsTakenAwayOnlyOnceNothingIsOpen() throws {
        let w = try MeetingWorld(self, label: #function)
        let day7 = MeetingTime.at(day: 7, hour: 10)
        let request = try MeetingWorld.id(of: w.request(start: day7))
        let open = try refuse(w, as: w.admin, w.expert, ["remove_roles": ["expert"], "add_roles": ["user"]], code: 4009)
        XCTAssertEqual(open["data"]?["role"], "expert")
        XCTAssertEqual(open["data"]?["open_meetings"], 1)
        XCTAssertEqual(try refuse(w, as: w.admin, w.user, ["remove_roles": ["user"], "add_roles": ["office"]], code: 4009)["data"]?["open_meetings"], 1,
                       "nor the user's, on the other side of the same request")

        func searched() throws -> [String] {
            let answer = try w.meetingd.result("availability.search", as: w.user, w.searchParams(
                service: nil, from: MeetingTime.at(day: 8, hour: 10), to: MeetingTime.at(day: 8, hour: 11), [:]))
            return (answer["slots"]?.array ?? []).flatMap { $0["experts"]?.array?.compactMap { $0["expert_id"]?.string } ?? [] }
        }
        XCTAssertTrue(try searched().contains(w.expert))
        try w.act("meeting.decline", as: w.expert, request, ["reason_code": "other"])
        XCTAssertEqual(try update(w, as: w.admin, w.expert, ["remove_roles": ["expert"], "add_roles": ["user"]])["roles"], ["user"])

        XCTAssertFalse(try searched().contains(w.expert), "no longer searched")
        func offered() throws -> Int { try w.meetingd.result("service.list", as: w.user, ["expert_id": .string(w.expert)])["items"]?.array?.count ?? -1 }
        XCTAssertEqual(try offered(), 0, "offers no service")
        let profiles = try w.meetingd.result("person.profiles", as: w.user, [:])["items"]?.array ?? []
        XCTAssertFalse(profiles.contains { $0["id"]?.string == w.expert || $0["expert_id"]?.string == w.expert }, "nor listed")
        XCTAssertEqual(try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: MeetingTime.at(day: 8, hour: 10)), code: -32602)["data"]?["field"],
                       "expert_id", "nor booked")

        try update(w, as: w.admin, w.expert, ["add_roles": ["expert"]])
        XCTAssertTrue(try searched().contains(w.expert), "back with the role: certifications and hours were kept")
        XCTAssertEqual(try offered(), 1)
        try w.assertReconciled()
    }

    /// A declined meeting is not open, but it can be given a new date: not once a party has lost
    /// their role, on either side.
    func testADeclinedMeetingIsNotReopenedWithAPartyWithoutTheirRole() throws {
        let w = try MeetingWorld(self, label: #function)
        let declined = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        try w.act("meeting.decline", as: w.expert, declined, ["reason_code": "other"])
        try update(w, as: w.admin, w.expert, ["remove_roles": ["expert"], "add_roles": ["office"]])
        let refused = try w.refuse("meeting.reschedule", as: w.user, declined, ["start": .string(MeetingTime.at(day: 8, hour: 10))], code: 4009)
        XCTAssertEqual(refused["data"]?["role"], "expert", "\(refused)")
        XCTAssertEqual(try w.meeting(declined)["status"], "rejected")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 0), "nothing held again")

        // The user's side: the expert's proposal declined, the user's role taken away.
        let expert = try w.addUser(name: "second expert", credits: 0, roles: ["expert"])
        try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(w.serviceId), "expert_id": .string(expert)])
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 9, hour: 10), by: expert))
        try w.act("meeting.decline", as: w.user, proposal, ["reason_code": "other"])
        try update(w, as: w.admin, w.user, ["remove_roles": ["user"], "add_roles": ["office"]])
        let userGone = try w.refuse("meeting.reschedule", as: expert, proposal, ["start": .string(MeetingTime.at(day: 9, hour: 12))], code: 4009)
        XCTAssertEqual(userGone["data"]?["role"], "user")
        try w.assertReconciled()
    }

    /// A student is on the user's side: without the user role they are not booked for.
    func testAStudentWithoutTheUserRoleIsNotBookedFor() throws {
        let w = try MeetingWorld(self, label: #function)
        let student = try w.addUser(name: "student", credits: 0)
        try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(w.user), "student_id": .string(student)])
        var params = w.requestParams(start: MeetingTime.at(day: 7, hour: 10))
        params["student_id"] = .string(student)
        let declined = try MeetingWorld.id(of: w.meetingd.result("meeting.request", as: w.user, params))
        try w.act("meeting.decline", as: w.expert, declined, ["reason_code": "other"])
        try update(w, as: w.admin, student, ["remove_roles": ["user"], "add_roles": ["office"]])

        params["start"] = .string(MeetingTime.at(day: 8, hour: 10))
        XCTAssertEqual(try w.meetingd.error("meeting.request", as: w.user, params, code: -32602)["data"]?["field"], "student_id")
        let refused = try w.refuse("meeting.reschedule", as: w.user, declined, ["start": .string(MeetingTime.at(day: 9, hour: 10))], code: 4009)
        XCTAssertEqual(refused["data"]?["party"], "student", "\(refused)")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 0), "nothing held")
        try w.assertReconciled()
    }

    /// A weekly series that has finished holds no role; one still running does.
    func testAFinishedSeriesNoLongerHoldsTheRoles() throws {
        let w = try MeetingWorld(self, label: #function)
        let series = try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 7, hour: 10)),
            "location_id": .string(w.locationId), "weeks": 1,
        ])
        let occurrence = try XCTUnwrap(series["occurrences"]?.array?.first?["meeting_id"]?.string)
        try w.act("meeting.confirm", as: w.expert, occurrence)
        let running = try refuse(w, as: w.admin, w.user, ["remove_roles": ["user"], "add_roles": ["office"]], code: 4009)
        XCTAssertEqual(running["data"]?["active_series"], 1)
        try w.setClock(MeetingTime.at(day: 7, hour: 11, minute: 30))
        try w.act("meeting.log_session", as: w.expert, occurrence, ["attendance": "attended"])
        XCTAssertEqual(try w.meetingd.result("series.get", as: w.user, ["series_id": series["id"] ?? .null])["status"], "finished")
        XCTAssertEqual(try update(w, as: w.admin, w.user, ["remove_roles": ["user"], "add_roles": ["office"]])["roles"], ["office"])
        XCTAssertEqual(try update(w, as: w.admin, w.expert, ["remove_roles": ["expert"], "add_roles": ["office"]])["roles"], ["office"])
        try w.assertReconciled()
    }

    /// Two admins taking the role from each other at once: one stays an admin. The directory lock
    /// keeps the second from deciding on what the first is changing, and it acts with the roles
    /// its actor holds once the first has committed.
    func testTwoAdminsCannotBothStepDownAtOnce() throws {
        let w = try MeetingWorld(self, label: #function)
        try update(w, as: w.admin, w.finance, ["add_roles": ["admin"]])
        let second = try startMeetingd(["--test-clock"])
        let calls = [(w.meetingd, w.admin, w.finance), (second, w.finance, w.admin)].map { md, actor, target in
            (md, JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "person.update",
                                   "params": ["actor": .string(actor), "person_id": .string(target), "remove_roles": ["admin"], "add_roles": ["user"]]]))
        }
        // Both people rows held, so each call has read what it decides on before either writes.
        let holder = try PsqlSession(databaseURL)
        let holderPid = try XCTUnwrap(try holder.query("SELECT pg_backend_pid();").first)
        try holder.query("BEGIN; SELECT id FROM people WHERE id IN (\(Psql.literal(w.admin)), \(Psql.literal(w.finance))) FOR UPDATE;")
        for (md, line) in calls { try md.send(line.serialized) }
        // Both calls wait behind the held rows (the second perhaps behind the first), however
        // long a loaded machine takes to send them there.
        let blocked = """
            WITH w AS (SELECT pid, pg_blocking_pids(pid) AS by FROM pg_stat_activity WHERE wait_event_type = 'Lock')
            SELECT count(*) FROM w WHERE \(holderPid) = ANY (w.by) OR EXISTS (SELECT 1 FROM w AS v WHERE v.pid = ANY (w.by) AND \(holderPid) = ANY (v.by))
            """
        try Psql.waitFor(databaseURL, blocked, toSay: ["2"], "the two calls did not both wait behind the held rows")
        try holder.query("ROLLBACK;")
        holder.close()
        let answers = try calls.map { md, _ in try md.readResponse() }
        XCTAssertEqual(answers.filter { $0["result"] != nil }.count, 1, "\(answers)")
        // The other waited for the first and is refused as what it is now: no admin any more.
        XCTAssertEqual(answers.compactMap { $0["error"]?["code"]?.int }, [4003], "\(answers)")
        let stayed = answers[0]["result"] != nil ? w.admin : w.finance
        XCTAssertEqual(try w.meetingd.result("person.list", as: stayed, ["role": "admin"])["items"]?.array?.compactMap { $0["id"]?.string }, [stayed])
    }
}
