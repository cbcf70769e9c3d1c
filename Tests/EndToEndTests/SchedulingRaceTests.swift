import Foundation
import XCTest

/// No double booking (SPEC §5.3, §6): six `meetingd` processes on one database, one thread
/// each, released at the same instant, six users requesting one expert's slot (the same start,
/// or on odd rounds starts 30 minutes apart, which overlap too). Exactly one request wins; the
/// others get 4011 slot_unavailable, hold nothing and leave no meeting; the ledger shows one
/// hold per round and reconciles. The same with auto-accept, where the winner is agreed at once.
final class SchedulingRaceTests: EndToEndTestCase {
    static let processes = 6
    static let rounds = 5

    struct Arena {
        let world: MeetingWorld
        let processes: [Meetingd]
        let users: [String]
    }

    func arena(_ label: String, settings: [String: JSONValue] = [:]) throws -> Arena {
        let w = try MeetingWorld(self, label: label, settings: settings)
        var processes = [w.meetingd]
        for _ in 1..<Self.processes { processes.append(try startMeetingd(["--test-clock"])) }
        for p in processes { XCTAssertEqual(try Meetingd.result(of: p.call("system.ping"))["database"], "ok", "every process is up") }
        var users: [String] = []
        for i in 0..<Self.processes { users.append(try w.addNamedUser(firstName: "Racer\(i)", credits: MeetingWorld.price * Int64(Self.rounds))) }
        return Arena(world: w, processes: processes, users: users)
    }

    func runRounds(_ a: Arena, expectedStatus: String) throws {
        let w = a.world
        var wins = [Int](repeating: 0, count: a.users.count)
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let base = MeetingTime.at(day: 7 + round, hour: 10)
            let starts = a.users.indices.map { i in round % 2 == 0 ? base : MeetingTime.shifted(base, minutes: 30 * (i % 2)) }
            let wallets = try a.users.map { try w.wallet($0) }
            let incomingBefore = try w.earnings().incoming
            let lanes: [() throws -> JSONValue] = a.users.indices.map { i in
                let process = Unchecked(a.processes[(i + round) % a.processes.count])
                let (user, params) = (a.users[i], w.requestParams(start: starts[i]))
                return { try process.value.call("meeting.request", as: user, params) }
            }
            let responses = try raceAll(lanes)

            let winners = responses.indices.filter { responses[$0]["result"] != nil }
            XCTAssertEqual(winners.count, 1, "exactly one request takes the slot (\(label)): \(responses)")
            guard winners.count == 1, let winner = winners.first, let meeting = responses[winner]["result"] else { continue }
            wins[winner] += 1
            for loser in responses.indices where loser != winner {
                let error = responses[loser]["error"]
                XCTAssertEqual(error?["code"], 4011, "the others find the slot taken (\(label)): \(responses[loser])")
                XCTAssertEqual(error?["data"]?["code"], "slot_unavailable", label)
                XCTAssertEqual(error?["data"]?["retryable"], false, label)
                XCTAssertEqual(try w.wallet(a.users[loser]), wallets[loser], "a loser's credits are untouched (\(label))")
            }
            assertMeeting(meeting, status: expectedStatus, credit: "blocked", start: starts[winner], label)
            XCTAssertEqual(meeting["user_id"]?.string, a.users[winner], label)
            let id = try MeetingWorld.id(of: meeting)
            XCTAssertEqual(try w.trail(id), ["hold pending 100"], "one hold for the winner (\(label))")
            var held = wallets[winner]
            held.blocked += MeetingWorld.price
            held.available -= MeetingWorld.price
            XCTAssertEqual(try w.wallet(a.users[winner]), held, label)
            XCTAssertEqual(try w.earnings().incoming, incomingBefore + MeetingWorld.price, "one hold more on the expert's side (\(label))")

            let inRound = try w.meetingd.allPages("meeting.list", as: w.expert, [
                "role": "expert", "from": .string(MeetingTime.shifted(base, minutes: -60)), "to": .string(MeetingTime.shifted(base, minutes: 120)),
            ])
            XCTAssertEqual(inRound.map { $0["id"]?.string }, [id], "one meeting in the slot, none left behind by the losers (\(label))")
            if expectedStatus == "agreed" {
                let conflicts = try w.meetingd.result("meeting.conflicts", as: w.expert, ["start": .string(base), "length_minutes": 90])
                XCTAssertEqual(conflicts["meetings"]?.array?.map { $0["id"]?.string }, [id], "one agreed meeting at that time (\(label))")
            }
            try w.assertReconciled()
        }
        let blocked = try a.users.reduce(Int64(0)) { $0 + (try w.wallet($1).blocked) }
        XCTAssertEqual(blocked, MeetingWorld.price * Int64(Self.rounds), "one hold per round across all users")
        print("\(Self.processes) processes racing for one slot, wins per user over \(Self.rounds) rounds: \(wins)")
    }

    func testSixProcessesRequestOneSlot() throws {
        try runRounds(try arena(#function), expectedStatus: "awaiting_approval")
    }

    func testSixProcessesRequestOneSlotWithAutoAccept() throws {
        try runRounds(try arena(#function, settings: ["auto_accept": true]), expectedStatus: "agreed")
    }

    /// SPEC §7 weekly_usage_limit under concurrency: one user asks six experts at once (six
    /// processes, different days of one week, so no slot is contended) with a limit of 2 a week.
    /// Exactly two requests win; the rest get 4022 usage_limit_reached and hold nothing.
    func testOneUserAskingSixExpertsAtOnceStaysWithinTheWeeklyLimit() throws {
        let limit = 2
        let a = try arena(#function, settings: ["weekly_usage_limit": .int(Int64(limit))])
        let w = a.world
        var experts = [w.expert]
        for i in 1..<Self.processes { experts.append(try w.addExpert(name: "expert\(i)")) }
        let user = a.users[0]
        try w.grant(user, MeetingWorld.price * Int64(limit * Self.rounds))
        for round in 0..<Self.rounds {
            let label = "week \(round)"
            let walletBefore = try w.wallet(user)
            let lanes: [() throws -> JSONValue] = experts.indices.map { i in
                let process = Unchecked(a.processes[i])
                let params = w.requestParams(start: MeetingTime.at(day: 7 * (round + 1) + i, hour: 10), expert: experts[i])
                return { try process.value.call("meeting.request", as: user, params) }
            }
            let responses = try raceAll(lanes)
            let winners = responses.filter { $0["result"] != nil }
            XCTAssertEqual(winners.count, limit, "exactly the weekly limit of requests win (\(label)): \(responses)")
            for response in responses where response["result"] == nil {
                XCTAssertEqual(response["error"]?["data"]?["code"], "usage_limit_reached", "\(label): \(response)")
            }
            var held = walletBefore
            held.blocked += MeetingWorld.price * Int64(winners.count)
            held.available -= MeetingWorld.price * Int64(winners.count)
            XCTAssertEqual(try w.wallet(user), held, "one hold per winning request (\(label))")
        }
        try w.assertReconciled()
    }

    /// A student's meetings count for the student, whoever books them (METHODS.md,
    /// weekly_usage_limit): two customers of one student and the student themself book with
    /// three experts at the same instant (three processes, one week, a limit of 1). Exactly one
    /// wins; the others get 4022 and hold nothing.
    func testBookingsForOneStudentByDifferentPeopleStayWithinTheWeeklyLimit() throws {
        let a = try arena(#function, settings: ["weekly_usage_limit": 1])
        let w = a.world
        let student = a.users[0], customers = [a.users[1], a.users[2]]
        for customer in customers {
            try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(customer), "student_id": .string(student)])
        }
        let experts = [w.expert, try w.addExpert(name: "expert1"), try w.addExpert(name: "expert2")]
        let bookers = [customers[0], customers[1], student]
        for round in 0..<Self.rounds {
            let label = "week \(round)"
            let lanes: [() throws -> JSONValue] = bookers.indices.map { i in
                let process = Unchecked(a.processes[(i + round) % a.processes.count])
                var params = w.requestParams(start: MeetingTime.at(day: 7 * (round + 1) + i, hour: 10), expert: experts[i])
                if bookers[i] != student { params["student_id"] = .string(student) }
                let booker = bookers[i]
                return { try process.value.call("meeting.request", as: booker, params) }
            }
            let responses = try raceAll(lanes)
            XCTAssertEqual(responses.filter { $0["result"] != nil }.count, 1, "one booking a week for the student (\(label)): \(responses)")
            for response in responses where response["result"] == nil {
                XCTAssertEqual(response["error"]?["data"]?["code"], "usage_limit_reached", "\(label): \(response)")
            }
        }
        let held = try bookers.reduce(Int64(0)) { $0 + (try w.wallet($1).blocked) }
        XCTAssertEqual(held, MeetingWorld.price * Int64(Self.rounds), "one hold a week across the bookers")
        try w.assertReconciled()
    }

    /// The scheduler counts a student's week as a request does: a series date it books for the
    /// student (one customer's weekly series) and another customer's request for the student in
    /// the same week, at the same instant, never both stand past a limit of 1.
    func testTheSchedulerAndARequestForOneStudentStayWithinTheWeeklyLimit() throws {
        let a = try arena(#function, settings: ["weekly_usage_limit": 1, "horizon_days": 7])
        let w = a.world
        let student = a.users[0], first = a.users[1], second = a.users[2]
        for customer in [first, second] {
            try w.meetingd.result("student.link", as: w.admin, ["customer_id": .string(customer), "student_id": .string(student)])
        }
        let other = try w.addExpert(name: "expert1")
        try w.grant(first, MeetingWorld.price * 10)
        try w.grant(second, MeetingWorld.price * 10)
        try w.meetingd.result("series.create", as: first, [
            "student_id": .string(student), "service_id": .string(w.serviceId), "expert_id": .string(w.expert),
            "first_start": .string(MeetingTime.at(day: 7, hour: 10)), "location_id": .string(w.locationId),
        ])
        for round in 1...4 {
            // The horizon reaches the series' next date (a Monday); the other customer asks for the Tuesday.
            try w.setClock(MeetingTime.at(day: 7 * round + 1, hour: 12))
            let scheduler = Unchecked(a.processes[0]), booker = Unchecked(a.processes[1])
            var params = w.requestParams(start: MeetingTime.at(day: 7 * (round + 1) + 1, hour: 10), expert: other)
            params["student_id"] = .string(student)
            let responses = try raceAll([
                { try scheduler.value.call("jobs.run_due", as: w.admin) },
                { try booker.value.call("meeting.request", as: second, params) },
            ])
            XCTAssertNotNil(responses[0]["result"], "\(responses[0])")
            let week = try w.meetingd.allPages("meeting.list", as: w.admin, [
                "person_id": .string(student), "from": .string(MeetingTime.at(day: 7 * (round + 1), hour: 0)),
                "to": .string(MeetingTime.at(day: 7 * (round + 2), hour: 0)),
            ]).filter { ["awaiting_approval", "agreed"].contains($0["status"]?.string ?? "") }
            XCTAssertEqual(week.count, 1, "one meeting in the student's week \(round + 1): \(week.map { $0["start"] ?? .null }) \(responses)")
        }
        try w.assertReconciled()
    }

    /// jobs.run_due expiring many requests (each returning a hold: the user's wallet and the
    /// expert's earnings) while users confirm expert proposals (each holding: the wallet, then an
    /// earnings row) never waits in a circle with them. PostgreSQL found deadlocks here and
    /// broke each after deadlock_timeout (a second of stall; the calls were retried).
    func testTheSchedulerExpiringRequestsNeverDeadlocksWithConfirms() throws {
        let a = try arena(#function, settings: ["min_notice_minutes": 0])
        let w = a.world
        let users = Array(a.users.prefix(4))
        var experts: [String] = []
        for i in 0..<users.count { experts.append(try w.addExpert(name: "expert\(i)")) }
        for user in users { try w.grant(user, 10_000) }
        func deadlocks() throws -> Int {
            Thread.sleep(forTimeInterval: 1.5)  // each backend reports its counts within a second of going idle
            return Int(try Psql.query(try TestEnvironment.databaseURL(), "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").first ?? "") ?? -1
        }
        let before = try deadlocks()
        for round in 0..<4 {
            let day = 1 + 2 * round
            try w.setClock(MeetingTime.at(day: day, hour: 6))
            var proposals: [[String]] = Array(repeating: [], count: experts.count)
            for (i, user) in users.enumerated() {
                for expert in experts { try w.request(start: MeetingTime.at(day: day, hour: 7 + i), by: user, expert: expert) }
            }
            for (j, expert) in experts.enumerated() {
                for (i, user) in users.enumerated() {
                    proposals[j].append(try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: day + 1, hour: 7 + i), to: user, by: expert, price: 10)))
                }
            }
            try w.setClock(MeetingTime.at(day: day, hour: 20))  // every request's start has passed
            var lanes: [() throws -> JSONValue] = experts.indices.map { j in
                let process = Unchecked(a.processes[j])
                let confirms = zip(proposals[j], users).map { ($0, $1) }
                return {
                    var last: JSONValue = .null
                    for (meeting, user) in confirms { last = try process.value.call("meeting.confirm", as: user, ["meeting_id": .string(meeting)]) }
                    return last
                }
            }
            for k in 0..<2 {
                let process = Unchecked(a.processes[experts.count + k])
                lanes.append { try process.value.call("jobs.run_due", as: w.admin) }
            }
            let answers = try raceAll(lanes)
            for answer in answers { XCTAssertNotNil(answer["result"], "round \(round): \(answer)") }
        }
        XCTAssertEqual(try deadlocks(), before, "no deadlock between the scheduler and the confirms")
        try w.assertReconciled()
    }

    /// A no-show policy under concurrency: two experts log the same user's no-shows at the same
    /// instant (two processes) with a policy of 2 no-shows → suspended. Each count must see the
    /// other, so every round ends with the user suspended and told once.
    func testTwoNoShowsLoggedAtOnceSuspendTheUser() throws {
        let a = try arena(#function, settings: ["no_show_policy": ["max_no_shows": 2, "window_days": 30, "suspension_days": 14]])
        let w = a.world
        let second = try w.addExpert(name: "second expert")
        for round in 0..<Self.rounds {
            let label = "round \(round)"
            let user = a.users[round]
            let start = MeetingTime.at(day: 1 + round, hour: 10)
            let meetings = try [w.expert, second].map { try w.agreed(start: start, by: user, expert: $0) }
            try w.setClock(MeetingTime.shifted(start, minutes: 65))
            let lanes: [() throws -> JSONValue] = [(w.expert, meetings[0]), (second, meetings[1])].enumerated().map { i, pair in
                let process = Unchecked(a.processes[i])
                return { try process.value.call("meeting.log_session", as: pair.0, ["meeting_id": .string(pair.1), "attendance": "no_show"]) }
            }
            let responses = try raceAll(lanes)
            XCTAssertEqual(responses.filter { $0["result"]?["attendance"] == "no_show" }.count, 2, "both no-shows logged (\(label)): \(responses)")
            let person = try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(user)])
            XCTAssertEqual(person["suspended_until"], .string(MeetingTime.shifted(start, minutes: 65 + 14 * 24 * 60)), "the second no-show suspends (\(label))")
        }
        let suspensions = try w.drainOutbox().filter { $0.kind == "user_suspended" }
        XCTAssertEqual(suspensions.count, Self.rounds, "each user is told of the suspension once")
        try w.assertReconciled()
    }
}
