import Foundation
import XCTest

/// The shape of a request, counted by PostgreSQL itself: the counted `meetingd` connects as a
/// login role of its own with `log_statement = 'all'`, and the statements each call sends are
/// read back from the server's CSV log (scripts/lib.sh's clusters keep one). A mutating call
/// sends at most six statements, BEGIN and COMMIT included, with or without an idempotency key;
/// a read-only call at most three. Other tests' sessions are not counted: the role is this
/// test's alone.
final class StatementCountTests: EndToEndTestCase {
    static let mutatingLimit = 6
    static let readLimit = 3

    /// A `meetingd --test-clock` whose statements are counted, one call at a time.
    struct Counter {
        let meetingd: Meetingd
        let role: String
        let adminURL: String
        let logPath: String

        func logSize() throws -> Int {
            guard let size = try Psql.query(adminURL, "SELECT size FROM pg_stat_file(\(Psql.literal(logPath)))").first.flatMap({ Int($0) }) else {
                throw HarnessError("cannot read the size of \(logPath)")
            }
            return size
        }

        /// Statements the call sent: the role's `execute …` and `statement: …` log entries
        /// between the call and a marker statement sent afterwards on the role's own connection.
        func count(_ method: String, as actor: String, _ params: [String: JSONValue]) throws -> (Int, JSONValue) {
            try count { try meetingd.call(method, as: actor, params) }
        }

        func count(_ call: () throws -> JSONValue) throws -> (Int, JSONValue) {
            let (sent, answer) = try statements(call)
            return (sent.count, answer)
        }

        /// The log lines of the statements the call sent.
        func statements(_ call: () throws -> JSONValue) throws -> ([Substring], JSONValue) {
            let start = try logSize()
            let answer = try call()
            let marker = "counted-\(TestEnvironment.uniqueTag())"
            guard try Psql.run(Psql.conninfo(adminURL, user: role), ["SELECT \(Psql.literal(marker))"]).succeeded else {
                throw HarnessError("the marker statement failed")
            }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let end = try logSize()
                let text = try Psql.run(adminURL, ["SELECT pg_read_file(\(Psql.literal(logPath)), \(start), \(end - start))"]).stdout
                if let found = text.range(of: marker) {
                    // The marker's own entry is one line: everything before that line counts.
                    let lineStart = text[..<found.lowerBound].lastIndex(of: "\n") ?? text.startIndex
                    return (Self.statements(in: String(text[..<lineStart]), role: role), answer)
                }
                usleep(50_000)
            }
            throw HarnessError("the marker never reached \(logPath)")
        }

        /// Log entries of `role` that record a statement run (`execute s1: …`, `statement: …`).
        /// Every field before the message is free of line breaks, so one line holds them.
        static func statements(in log: String, role: String) -> [Substring] {
            log.split(separator: "\n").filter { line in
                guard let user = line.range(of: ",\"\(role)\",") else { return false }
                let rest = line[user.upperBound...]
                return rest.contains(",LOG,00000,\"execute ") || rest.contains(",LOG,00000,\"statement: ")
            }
        }
    }

    func counter(_ label: String, arguments: [String] = ["--test-clock"]) throws -> Counter {
        let role = "stmtcount_\(TestEnvironment.uniqueTag())"
        let logPath = try Psql.query(databaseURL, "SELECT current_setting('data_directory') || '/' || pg_current_logfile('csvlog')").first ?? ""
        guard !logPath.isEmpty else {
            throw XCTSkip("this server keeps no CSV log to count statements in (scripts/lib.sh's clusters do)")
        }
        guard try Psql.run(databaseURL, ["CREATE ROLE \(role) LOGIN SUPERUSER", "ALTER ROLE \(role) SET log_statement = 'all'"]).succeeded else {
            throw HarnessError("cannot create the counted role")
        }
        let meetingd = try startMeetingd(arguments, environment: ["DATABASE_URL": Psql.conninfo(databaseURL, user: role)])
        // Started and connected: its migrations and session settings are not counted.
        _ = try meetingd.call("system.ping")
        return Counter(meetingd: meetingd, role: role, adminURL: databaseURL, logPath: logPath)
    }

    /// Every mutating meeting, chat, series, scheduler, people, catalog and ledger method, once without and once with an
    /// idempotency key where a second call makes sense, and every read of them.
    func testEachCallStaysWithinItsStatementBudget() throws {
        let w = try MeetingWorld(self, label: #function)
        let counter = try counter(#function)
        var counts: [(String, Int, Int)] = []
        var failures: [String] = []

        @discardableResult
        func measure(_ label: String, _ method: String, as actor: String, _ params: [String: JSONValue], key: Bool = false) throws -> JSONValue {
            var p = params
            if key { p["idempotency_key"] = .string("k-\(TestEnvironment.uniqueTag())") }
            let (n, answer) = try counter.count(method, as: actor, p)
            let limit = ["get", "list", "timeline", "conflicts", "calendar", "balance", "statement", "trial_balance", "reconcile", "meeting_trail",
                         "accounts", "credits_outstanding", "revenue_by_month", "settlements_by_month", "earnings_due", "dead_letters", "messages", "search",
                         "profile", "profiles", "find_by_email", "waiting", "export_csv"]
                .contains(where: { method.hasSuffix("." + $0) }) ? Self.readLimit : Self.mutatingLimit
            counts.append((label + (key ? " (key)" : ""), n, limit))
            if n > limit { failures.append("\(label)\(key ? " with a key" : ""): \(n) statements, at most \(limit)") }
            guard answer["error"] == nil else { throw HarnessError("\(label) failed: \(answer)") }
            return answer["result"] ?? .null
        }
        func id(_ v: JSONValue) throws -> String { try MeetingWorld.id(of: v) }
        func slot(_ day: Int, _ hour: Int) -> String { MeetingTime.at(day: day, hour: hour) }

        // First calls through this process look each person up once; the budget holds for them too.
        try measure("credits.grant", "credits.grant", as: w.finance, ["user_id": .string(w.user), "credits": 1000, "reference": .string("cold-\(TestEnvironment.uniqueTag())")], key: true)
        try measure("credits.grant", "credits.grant", as: w.finance, ["user_id": .string(w.user), "credits": 10, "reference": .string("r-\(TestEnvironment.uniqueTag())")])
        try measure("credits.grant", "credits.grant", as: w.finance, ["user_id": .string(w.user), "credits": 10, "reference": .string("r-\(TestEnvironment.uniqueTag())")], key: true)
        let m1 = try id(measure("meeting.request", "meeting.request", as: w.user, w.requestParams(start: slot(7, 9))))
        let m2 = try id(measure("meeting.request", "meeting.request", as: w.user, w.requestParams(start: slot(7, 11)), key: true))
        try measure("meeting.confirm by the expert", "meeting.confirm", as: w.expert, ["meeting_id": .string(m1)])
        try measure("meeting.reschedule (alternate)", "meeting.reschedule", as: w.user, ["meeting_id": .string(m1), "start": .string(slot(8, 9))])
        try measure("meeting.confirm_alternate", "meeting.confirm_alternate", as: w.expert, ["meeting_id": .string(m1)], key: true)
        try measure("meeting.reschedule (alternate)", "meeting.reschedule", as: w.expert, ["meeting_id": .string(m1), "start": .string(slot(8, 13))], key: true)
        try measure("meeting.reject_alternate", "meeting.reject_alternate", as: w.user, ["meeting_id": .string(m1), "reason_code": "other"])
        try measure("meeting.reschedule (alternate)", "meeting.reschedule", as: w.user, ["meeting_id": .string(m1), "start": .string(slot(8, 15))])
        try measure("meeting.withdraw_alternate", "meeting.withdraw_alternate", as: w.user, ["meeting_id": .string(m1)])
        try measure("meeting.decline", "meeting.decline", as: w.expert, ["meeting_id": .string(m2), "reason_code": "other"], key: true)
        let p1 = try id(measure("meeting.propose", "meeting.propose", as: w.expert, [
            "user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(slot(9, 9)), "length_minutes": 60, "price_credits": 80,
        ]))
        try measure("meeting.confirm by the user", "meeting.confirm", as: w.user, ["meeting_id": .string(p1)], key: true)
        try measure("meeting.cancel", "meeting.cancel", as: w.user, ["meeting_id": .string(p1), "reason_code": "other"])
        let m3 = try id(measure("meeting.request", "meeting.request", as: w.user, w.requestParams(start: slot(10, 9))))
        try measure("meeting.withdraw", "meeting.withdraw", as: w.user, ["meeting_id": .string(m3)])
        try measure("meeting.set_video_link", "meeting.set_video_link", as: w.admin, ["meeting_id": .string(m1), "url": "https://video.example/m1"])
        try measure("meeting.message.post", "meeting.message.post", as: w.user, ["meeting_id": .string(m1), "text": "See you then"], key: true)
        let other = try w.addUser(name: "other")
        let started = try measure("conversation.start", "conversation.start", as: w.expert, ["person_id": .string(other), "text": "Questions first?"], key: true)
        let conversation = started["conversation"]?["id"]?.string ?? ""
        try measure("conversation.start (found)", "conversation.start", as: other, ["person_id": .string(w.expert)])
        try measure("conversation.post", "conversation.post", as: other, ["conversation_id": .string(conversation), "text": "Yes"], key: true)
        try measure("conversation.post", "conversation.post", as: w.expert, ["conversation_id": .string(conversation), "text": "Go ahead"])
        let m4 = try w.agreed(start: slot(8, 17))

        // Reads.
        try measure("meeting.get", "meeting.get", as: w.user, ["meeting_id": .string(m1)])
        try measure("meeting.list", "meeting.list", as: w.expert, ["role": "expert"])
        try measure("meeting.timeline", "meeting.timeline", as: w.user, ["meeting_id": .string(m1)])
        try measure("meeting.conflicts", "meeting.conflicts", as: w.expert, ["meeting_id": .string(m1)])
        try measure("meeting.calendar", "meeting.calendar", as: w.user, ["meeting_id": .string(m1)])
        try measure("meeting.message.list", "meeting.message.list", as: w.expert, ["meeting_id": .string(m1)])
        try measure("conversation.list", "conversation.list", as: w.expert, [:])
        try measure("conversation.list (person_id)", "conversation.list", as: w.admin, ["person_id": .string(w.expert)])
        try measure("enrollment.list (filtered)", "enrollment.list", as: w.admin,
                    ["user_id": .string(w.user), "expert_id": .string(w.expert), "service_id": .string(w.serviceId)])
        try measure("conversation.messages", "conversation.messages", as: other, ["conversation_id": .string(conversation)])
        try measure("ledger.balance", "ledger.balance", as: w.user, ["person_id": .string(w.user)])
        let wallet = try counter.meetingd.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])["account_id"]?.string ?? ""
        try measure("ledger.statement", "ledger.statement", as: w.finance, ["account_id": .string(wallet)])
        try measure("ledger.trial_balance", "ledger.trial_balance", as: w.finance, [:])
        // As of a past time: the actor, the wait for the transfers timed before it, the read.
        try measure("ledger.balance (as_of)", "ledger.balance", as: w.user, ["person_id": .string(w.user), "as_of": .string(slot(7, 0))])
        try measure("ledger.trial_balance (as_of)", "ledger.trial_balance", as: w.finance, ["as_of": .string(slot(7, 0))])
        try measure("report.credits_outstanding (as_of)", "report.credits_outstanding", as: w.finance, ["as_of": .string(slot(7, 0))])
        try measure("ledger.reconcile", "ledger.reconcile", as: w.finance, [:])
        try measure("ledger.meeting_trail", "ledger.meeting_trail", as: w.finance, ["meeting_id": .string(m1)])
        try measure("ledger.statement (from, to, csv)", "ledger.statement", as: w.finance, [
            "account_id": .string(wallet), "from": .string(slot(0, 0)), "to": .string(slot(30, 0)), "format": "csv",
        ])
        try measure("ledger.accounts", "ledger.accounts", as: w.finance, ["limit": 2, "as_of": .string(slot(7, 0))])
        try measure("ledger.accounts (csv)", "ledger.accounts", as: w.finance, ["kind": "user_wallet", "format": "csv"])
        try measure("report.credits_outstanding", "report.credits_outstanding", as: w.finance, [:])
        try measure("report.revenue_by_month", "report.revenue_by_month", as: w.finance, ["from_month": "2021-01", "to_month": "2030-12"])
        try measure("report.settlements_by_month", "report.settlements_by_month", as: w.finance, ["from_month": "2030-01", "to_month": "2030-12", "format": "csv"])
        try measure("report.earnings_due", "report.earnings_due", as: w.finance, ["include_zero": true, "as_of": .string(slot(7, 0))])
        // A search reads its facts with the actor's row, then the calendars of the experts it
        // shows and the profiles its page names: three statements, for whomever it searches.
        let week: [String: JSONValue] = ["service_id": .string(w.serviceId), "from": .string(slot(7, 0)), "to": .string(slot(14, 0))]
        let found = try measure("availability.search", "availability.search", as: w.user, week)
        if found["slots"]?.array?.isEmpty != false { failures.append("availability.search found no slot to count the profiles' statement on") }
        try measure("availability.search (an admin for a user, by expert, at a location)", "availability.search", as: w.admin,
                    week.merging(["user_id": .string(w.user), "expert_id": .string(w.expert), "location_id": .string(w.locationId)]) { $1 })
        try w.meetingd.result("community.update_settings", as: w.admin, ["weekly_usage_limit": 5, "require_enrollment": true])
        try w.meetingd.result("enrollment.assign", as: w.admin, ["user_id": .string(w.user), "service_id": .string(w.serviceId)])
        try measure("availability.search (a weekly limit, enrolment)", "availability.search", as: w.user, week)
        try w.meetingd.result("community.update_settings", as: w.admin, ["weekly_usage_limit": .null, "require_enrollment": false])
        try measure("availability.get", "availability.get", as: w.user,
                    ["expert_id": .string(w.expert), "from": .string(slot(7, 0)), "to": .string(slot(14, 0)), "service_id": .string(w.serviceId)])
        // New weekly hours: the calendar's lock, one read, one write, whoever sets them.
        let hours: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": "06:00", "end": "22:00", "location_ids": [.string(w.locationId)],
                                               "service_ids": [.string(w.serviceId)]] }
        try measure("availability.set_weekly", "availability.set_weekly", as: w.expert,
                    ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(hours)], key: true)
        try measure("availability.set_weekly (an admin)", "availability.set_weekly", as: w.admin,
                    ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(hours)])
        // One-off periods, as new hours: the calendar's lock, one read, one write.
        let free = try measure("availability.add_free", "availability.add_free", as: w.expert, [
            "expert_id": .string(w.expert), "start": .string(slot(20, 8)), "end": .string(slot(20, 12)), "location_ids": [.string(w.locationId)],
        ], key: true)
        try measure("availability.block", "availability.block", as: w.admin, ["expert_id": .string(w.expert), "start": .string(slot(21, 8)), "end": .string(slot(21, 12))])
        try measure("availability.remove (one)", "availability.remove", as: w.expert, ["expert_id": .string(w.expert), "period_id": free["id"] ?? .null])
        try measure("availability.remove (within)", "availability.remove", as: w.expert,
                    ["expert_id": .string(w.expert), "start": .string(slot(21, 0)), "end": .string(slot(22, 0))], key: true)
        try measure("outbox.dead_letters", "outbox.dead_letters", as: w.admin, [:])
        try measure("outbox.retry", "outbox.retry", as: w.admin, ["ids": [.string("out_" + String(repeating: "0", count: 32))]], key: true)

        // After the start: logging, a no-show report, then the expert's earnings move.
        try w.setClock(MeetingTime.at(day: 8, hour: 18))
        try measure("meeting.log_session", "meeting.log_session", as: w.expert, ["meeting_id": .string(m1), "attendance": "attended"], key: true)
        try measure("meeting.report_no_show", "meeting.report_no_show", as: w.user, ["meeting_id": .string(m4)])
        let earnings = try counter.meetingd.result("ledger.balance", as: w.expert, ["person_id": .string(w.expert)])["account_id"]?.string ?? ""
        try measure("credits.adjust", "credits.adjust", as: w.finance, ["account_id": .string(earnings), "credits": 5, "reason": "correction"], key: true)
        try measure("payout.create", "payout.create", as: w.finance, ["expert_id": .string(w.expert), "credits": 50, "reference": .string("bank-\(TestEnvironment.uniqueTag())")])
        try measure("payout.create", "payout.create", as: w.finance, ["expert_id": .string(w.expert), "credits": 5, "reference": .string("bank-\(TestEnvironment.uniqueTag())")], key: true)

        // Issue 13: a student's request, staff booking for a user, the tutor's processing done by
        // the office, the common list, and a weekly cancel that reaches every later occurrence.
        let student = try w.addUser(name: "student", credits: 0)
        let office = try w.community.createPersonId(on: w.meetingd, roles: ["office"])
        try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(w.user), "student_id": .string(student)])
        var forStudent = w.requestParams(start: slot(11, 9))
        forStudent["student_id"] = .string(student)
        try measure("meeting.request for a student", "meeting.request", as: w.user, forStudent, key: true)
        var forUser = w.requestParams(start: slot(11, 11))
        forUser["user_id"] = .string(w.user)
        try measure("meeting.request by an admin for a user", "meeting.request", as: w.admin, forUser)
        try w.meetingd.result("community.update_settings", as: w.admin, ["require_confirm_details": true])
        let p2 = try id(w.propose(start: slot(12, 9)))
        try measure("meeting.confirm by the user (awaiting processing)", "meeting.confirm", as: w.user, ["meeting_id": .string(p2)])
        try measure("meeting.confirm by the office (making the session)", "meeting.confirm", as: office,
                    ["meeting_id": .string(p2), "session_type": "online", "location_id": .string(w.locationId)], key: true)
        try w.meetingd.result("community.update_settings", as: w.admin, ["require_confirm_details": false])
        try measure("meeting.list (both sides)", "meeting.list", as: w.user, [:])
        let weekly = try w.meetingd.result("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(slot(15, 14)),
            "location_id": .string(w.locationId), "weeks": 3,
        ])
        let firstOccurrence = weekly["occurrences"]?.array?.first?["meeting_id"]?.string ?? ""
        try w.act("meeting.confirm", as: w.expert, firstOccurrence)
        try measure("meeting.cancel (a weekly occurrence and every later one)", "meeting.cancel", as: w.user,
                    ["meeting_id": .string(firstOccurrence), "reason_code": "other"], key: true)

        // People: the community's list of time zone names is read once per process (the first call
        // that checks a zone reads it), so one person is made before counting.
        try counter.meetingd.result("person.create", as: w.admin, TestCommunity.personParams(roles: ["user"]))
        let made = try measure("person.create", "person.create", as: w.admin, TestCommunity.personParams(roles: ["user", "expert"]), key: true)
        try measure("person.update (names, zone, a role)", "person.update", as: w.admin, [
            "person_id": made["id"] ?? .null, "first_name": "Renamed", "time_zone": "Europe/Prague", "add_roles": ["office"],
        ], key: true)
        try measure("person.update (a role taken away)", "person.update", as: w.admin, ["person_id": made["id"] ?? .null, "remove_roles": ["expert"]])

        // The catalog: a service's name under the directory's lock, a certification under the service's.
        let svc = try measure("service.create", "service.create", as: w.admin, ["name": "Bio", "kind": "generic", "default_length_minutes": 30, "price_credits": 5], key: true)
        try measure("service.update", "service.update", as: w.admin, ["service_id": svc["id"] ?? .null, "price_credits": 6])
        try measure("service.certify", "service.certify", as: w.admin, ["service_id": svc["id"] ?? .null, "expert_id": .string(w.expert)])
        try measure("service.decertify", "service.decertify", as: w.admin, ["service_id": svc["id"] ?? .null, "expert_id": .string(w.expert)])
        try measure("service.set_active", "service.set_active", as: w.admin, ["service_id": svc["id"] ?? .null, "active": false])
        let loc = try measure("location.create", "location.create", as: w.admin, ["name": "Lab", "kind": "in_person"])
        try measure("location.update", "location.update", as: w.admin, ["location_id": loc["id"] ?? .null, "active": false])
        try measure("enrollment.assign", "enrollment.assign", as: w.admin, ["user_id": .string(w.user), "service_id": svc["id"] ?? .null])
        try measure("enrollment.remove", "enrollment.remove", as: w.admin, ["user_id": .string(w.user), "service_id": svc["id"] ?? .null])
        try measure("community.update_settings", "community.update_settings", as: w.admin, ["min_notice_minutes": 30])
        let community = try measure("community.get", "community.get", as: w.user, [:])
        try measure("community.update_settings", "community.update_settings", as: w.admin,
                    ["min_notice_minutes": 30, "time_zone": community["settings"]?["time_zone"] ?? .null], key: true)
        try measure("catalog.import_csv", "catalog.import_csv", as: w.admin,
                    ["kind": "services", "csv": "name,kind,default_length_minutes,price_credits\nGeo,generic,45,30\nBio,generic,30,7"], key: true)
        // Profiles, students, a suspension lifted, the reads of the directory.
        try measure("person.set_profile", "person.set_profile", as: w.expert, ["person_id": .string(w.expert), "bio": "Twenty years of chemistry."], key: true)
        try measure("person.set_profile (an admin)", "person.set_profile", as: w.admin,
                    ["person_id": .string(w.expert), "display_name": "Dr. Expert", "languages": ["en", "cs"]])
        let pupil = try w.addUser(name: "pupil", credits: 0)
        try measure("student.link", "student.link", as: w.admin, ["customer_id": .string(w.user), "student_id": .string(pupil)], key: true)
        try measure("student.link (again)", "student.link", as: office, ["customer_id": .string(w.user), "student_id": .string(pupil)])
        try measure("student.unlink", "student.unlink", as: w.admin, ["customer_id": .string(w.user), "student_id": .string(pupil)], key: true)
        try measure("person.unsuspend", "person.unsuspend", as: w.admin, ["person_id": .string(w.user)], key: true)
        try measure("person.get", "person.get", as: w.admin, ["person_id": .string(w.user)])
        try measure("person.list", "person.list", as: w.admin, [:])
        try measure("person.find_by_email", "person.find_by_email", as: w.admin, ["email": .string(made["email"]?.string ?? "")])
        try measure("person.profile", "person.profile", as: w.user, ["person_id": .string(w.expert)])
        try measure("person.profiles", "person.profiles", as: w.user, ["service_id": .string(w.serviceId)])
        try measure("student.list", "student.list", as: w.user, [:])
        try measure("service.list", "service.list", as: w.user, [:])
        try measure("location.list", "location.list", as: w.user, [:])
        try measure("catalog.export_csv", "catalog.export_csv", as: w.admin, ["kind": "services"])
        try measure("meeting.waiting", "meeting.waiting", as: w.admin, [:])
        // The outbox as a mail worker drains it.
        let leased = try measure("outbox.claim", "outbox.claim", as: w.admin, ["consumer": "mail", "limit": 3, "channel": "notification"], key: true)
        let leasedIds = (leased["messages"]?.array ?? []).compactMap { $0["id"]?.string }
        guard leasedIds.count == 3 else { throw HarnessError("outbox.claim leased \(leasedIds.count) of 3: \(leased)") }
        try measure("outbox.ack", "outbox.ack", as: w.admin, ["ids": .array(leasedIds.prefix(2).map { .string($0) }), "consumer": "mail"], key: true)
        try measure("outbox.fail", "outbox.fail", as: w.admin, ["id": .string(leasedIds[2]), "error": "smtp refused", "consumer": "mail"], key: true)
        // Series and the scheduler.
        let series = try measure("series.create", "series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(slot(14, 10)),
            "location_id": .string(w.locationId), "weeks": 4,
        ], key: true)
        let seriesId = try id(series)
        try measure("series.get", "series.get", as: w.expert, ["series_id": .string(seriesId)])
        try measure("series.list", "series.list", as: w.user, [:])
        try measure("series.skip", "series.skip", as: w.user, ["series_id": .string(seriesId), "date": "2030-03-25"])
        try measure("jobs.run_due", "jobs.run_due", as: w.admin, [:], key: true)
        try measure("series.cancel", "series.cancel", as: w.user, ["series_id": .string(seriesId), "reason_code": "other"])

        print("statements per call (limit): " + counts.map { "\($0.0) \($0.1) (\($0.2))" }.joined(separator: "; "))
        XCTAssertEqual(failures, [], "calls over their statement budget")
        try w.assertReconciled()
    }

    /// The booking context is read with a generic plan (0052): a migration that redefines the
    /// function resets its settings, and 0092 left it planned anew on every call until 0093.
    func testTheBookingContextKeepsItsGenericPlan() throws {
        let settings = try Psql.query(databaseURL, "SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE proname = 'ml_booking_context'")
        XCTAssertFalse(settings.isEmpty, "ml_booking_context is not in the database")
        XCTAssertEqual(Set(settings), ["plan_cache_mode=force_generic_plan"], "every ml_booking_context keeps its generic plan")
    }

    /// The counter itself sees statements: `system.ping` reads the database's time once, and a
    /// credits.grant with a key is BEGIN, the key's lock, the read, the write and COMMIT.
    func testTheCounterSeesEveryStatement() throws {
        let counter = try counter(#function)
        let (one, _) = try counter.count { try counter.meetingd.call("system.ping") }
        XCTAssertEqual(one, 1, "system.ping sends one statement")
        let c = try TestCommunity.bootstrap(#function)
        let finance = try c.createPersonId(on: counter.meetingd, roles: ["finance"])
        let user = try c.createPersonId(on: counter.meetingd, roles: ["user"])
        let params: [String: JSONValue] = ["user_id": .string(user), "credits": 5, "reference": "r-1", "idempotency_key": "k-1"]
        let (warm, _) = try counter.count("credits.grant", as: finance, params)
        XCTAssertEqual(warm, 6, "BEGIN, the finance person's community lookup, the key's lock, the read, the write, COMMIT")
        let (replayed, _) = try counter.count("credits.grant", as: finance, params)
        XCTAssertEqual(replayed, 4, "BEGIN, the key's lock, the read finding the stored answer, COMMIT")
    }

    /// A grant by a person this process has read before is decided on that read: BEGIN, the check
    /// that the person is unchanged, the write and COMMIT, sent in one round trip. Under a test
    /// clock (whose time can move between calls) every grant reads the actor afresh.
    func testARepeatedGrantChecksTheActorInsteadOfReadingThem() throws {
        for (arguments, check) in [([String](), "ml_expect_actor"), (["--test-clock"], "ml_now")] {
            let counter = try counter(#function, arguments: arguments)
            let c = try TestCommunity.bootstrap(#function)
            let finance = try c.createPersonId(on: counter.meetingd, roles: ["finance"])
            let user = try c.createPersonId(on: counter.meetingd, roles: ["user"])
            func grant(_ reference: String) throws -> [Substring] {
                let (sent, answer) = try counter.statements {
                    try counter.meetingd.call("credits.grant", as: finance, ["user_id": .string(user), "credits": 5, "reference": .string(reference)])
                }
                XCTAssertNotNil(answer["result"], "\(answer)")
                return sent
            }
            _ = try grant("first")
            let second = try grant("second")
            XCTAssertEqual(second.count, 4, "BEGIN, the actor, the write, COMMIT: \(second)")
            XCTAssertEqual(second.filter { $0.contains(check) }.count, 1, "\(arguments): the actor by \(check): \(second)")
            XCTAssertEqual(second.filter { $0.contains("ml_apply_transfer") }.count, 1, "\(second)")
        }
    }
}
