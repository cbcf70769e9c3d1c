import Core
import Foundation
import XCTest

/// meetctl without pasted ids: people by e-mail (person.find_by_email, for every role),
/// services by name, meetings by the end of their id or by their row in the last listing.
final class MeetctlLookupTests: XCTestCase {
    override func setUpWithError() throws { _ = try TestEnvironment.databaseURL() }

    /// A refusal at the terminal names meetctl's commands and options, not the service's methods
    /// and params, in running text as in parentheses: the role a command needs, where free times
    /// are listed, the flag that goes ahead anyway.
    func testRefusalsNameCommandsAndOptions() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let jobs = try expert.fails(["jobs", "run"], status: 1)
        XCTAssertTrue(jobs.stderr.contains("meetctl jobs run needs the role admin") && !jobs.stderr.contains("jobs.run_due"), jobs.stderr)
        let late = try (try c.user).fails(["book", "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-11 03:00", "--location", "Room 101"], status: 1)
        XCTAssertTrue(late.stderr.contains("meetctl slots lists the times that are free") && !late.stderr.contains("availability.search"), late.stderr)
        // A param of the command run reads as its option: the key reused with other options.
        try expert.ok(["availability", "block", "--start", "2030-03-20 08:00", "--end", "2030-03-20 09:00", "--idempotency-key", "block-1"])
        let reused = try expert.fails(["availability", "block", "--start", "2030-03-20 08:00", "--end", "2030-03-20 10:00", "--idempotency-key", "block-1"], status: 1)
        XCTAssertTrue(reused.stderr.contains("This --idempotency-key was already used") && !reused.stderr.contains("This idempotency_key"), reused.stderr)
        // Names the service quotes stay as written, even one spelled like a method.
        let odd = try c.admin.json(["location", "add", "--name", "meeting.request", "--kind", "in_person"])
        let oddId = try XCTUnwrap(odd["id"]?.string)
        try c.admin.ok(["location", "set", "--location", oddId, "--retire"])
        let retired = try (try c.user).fails(["book", "--expert", c.expertId, "--service", c.serviceId, "--start", "2030-03-11 10:00", "--location", oddId], status: 1)
        XCTAssertTrue(retired.stderr.contains("meeting.request is retired"), retired.stderr)
    }

    /// Seed 004, "Designing a meeting by a user": the expert fills in the user, the service, the
    /// date, time, length and price — here the user by e-mail and the service by name, as an
    /// expert knows them (the expert may not list the community's people).
    /// The profile of someone who is not an expert says so, in the words the person was given
    /// by, and how the office makes them one: not "no expert profile per_…".
    func testTheProfileOfSomeoneWhoIsNoExpertSaysSo() throws {
        let c = try MeetctlCommunity.make(#function)
        let other = try c.admin.fails(["profile", "show", c.userEmail], status: 1)
        XCTAssertTrue(other.stderr.contains("meetctl: Sam Lee (\(c.userEmail)) is not an expert, so has no expert profile"), other.stderr)
        XCTAssertTrue(other.stderr.contains("hint: to make them one, an admin adds the role: meetctl person set \(c.userEmail) --add-roles expert"), other.stderr)
        XCTAssertFalse(other.stderr.contains("per_"), "no ids: \(other.stderr)")
        let own = try (try c.user).fails(["profile", "show"], status: 1)
        XCTAssertTrue(own.stderr.contains("meetctl: you are not an expert, so you have no expert profile"), own.stderr)
        // Whom the reader may not look up (or nobody has that id) is no expert they can see.
        let nobody = "per_0190f3a1b2c37d4e8f9a0b1c2d3e4f50"
        let unknown = try c.admin.fails(["profile", "show", nobody], status: 1)
        XCTAssertTrue(unknown.stderr.contains("meetctl: no expert of your community is \(nobody), so there is no expert profile to show"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("hint: meetctl experts lists the experts"), unknown.stderr)
    }

    func testAnExpertProposesToAUserByEmailAndAServiceByName() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert
        let proposed = try expert.json([
            "propose", "--user", c.userEmail.uppercased(), "--service", "chem101", "--start", "2030-03-11 10:00", "--length", "1h", "--price", "100",
        ])
        XCTAssertEqual(proposed["user_id"]?.string, c.userId)
        XCTAssertEqual(proposed["service_id"]?.string, c.serviceId)

        let unknown = try expert.fails(["propose", "--user", "nobody@example.test", "--service", "CHEM101", "--start", "2030-03-11 12:00",
                                        "--length", "1h", "--price", "100"], status: 1)
        XCTAssertTrue(unknown.stderr.contains("nobody you may look up has the e-mail nobody@example.test in your community"), unknown.stderr)
        // meetctl people is not the expert's to run: they are sent to their office instead.
        XCTAssertTrue(unknown.stderr.contains("ask your office for the person's id") && !unknown.stderr.contains("meetctl people"), unknown.stderr)
        let noService = try expert.fails(["propose", "--user", c.userEmail, "--service", "Biology", "--start", "2030-03-11 12:00",
                                          "--length", "1h", "--price", "100"], status: 2)
        XCTAssertTrue(noService.stderr.contains(#"no service called "Biology""#), noService.stderr)
        XCTAssertTrue(noService.stderr.contains("services: CHEM101"), "the hint names the services: \(noService.stderr)")
        XCTAssertEqual(try expert.json(["meetings"])["items"]?.array?.count, 1, "the refused proposals changed nothing")
    }

    /// A user names people by e-mail too, and --as takes an e-mail looked up as the person
    /// MEETINGLEDGER_ACTOR names, whatever their role.
    func testAUserActsAndIsNamedByEmail() throws {
        let c = try MeetctlCommunity.make(#function)
        let user = try c.user
        XCTAssertEqual(try user.json(["person", "show", c.userEmail])["id"]?.string, c.userId)
        XCTAssertEqual(try user.json(["--as", c.expertEmail, "person", "show"])["id"]?.string, c.expertId)
        let stranger = try user.fails(["person", "show", c.expertEmail], status: 1)
        XCTAssertTrue(stranger.stderr.contains("forbidden"), "finding a person is not seeing them: \(stranger.stderr)")
    }

    /// Services by name: a unique match of the start of a name, a clear error when it matches
    /// none or several.
    func testServicesByNameMatchOneOrSaySo() throws {
        let c = try MeetctlCommunity.make(#function)
        let admin = c.admin
        try admin.ok(["service", "add", "--name", "CHEM102", "--kind", "generic", "--length", "1h", "--price", "100"])
        let several = try admin.fails(["certify", "--service", "chem", "--expert", c.expertEmail], status: 2)
        XCTAssertTrue(several.stderr.contains(#"several services start with "chem": CHEM101, CHEM102"#), several.stderr)
        try admin.ok(["certify", "--service", "chem102", "--expert", c.expertEmail])
        let offered = try admin.json(["services", "--expert", c.expertEmail])
        XCTAssertEqual(Set(offered["items"]?.array?.compactMap { $0["name"]?.string } ?? []), ["CHEM101", "CHEM102"])
    }

    /// Meetings by the end of their id or by their row in the last `meetctl meetings`.
    func testMeetingsByIdSuffixAndByRowNumber() throws {
        let c = try MeetctlCommunity.make(#function)
        let first = try c.agreedMeeting(start: "2030-03-11 10:00")
        let second = try c.agreedMeeting(start: "2030-03-12 10:00")
        let expert = try c.expert

        let shown = try expert.json(["meeting", "show", String(second.suffix(8))])
        XCTAssertEqual(shown["meeting"]?["id"]?.string, second, "the last 8 characters of the id")

        let noListing = try expert.fails(["meeting", "show", "2"], status: 2)
        XCTAssertTrue(noListing.stderr.contains("run meetctl meetings (the office: meetctl waiting) first"), noListing.stderr)

        let table = try expert.ok(["meetings"])
        let rows = table.split(separator: "\n").dropFirst().prefix(2).map(String.init)
        XCTAssertTrue(rows[0].hasPrefix("1 ") && rows[0].contains(first), table)
        XCTAssertTrue(rows[1].hasPrefix("2 ") && rows[1].contains(second), table)
        XCTAssertEqual(try expert.json(["meeting", "show", "2"])["meeting"]?["id"]?.string, second, "row 2 of the listing")
        XCTAssertEqual(try expert.json(["cancel", "1", "--reason", "illness"])["id"]?.string, first)

        let beyond = try expert.fails(["meeting", "show", "3"], status: 2)
        XCTAssertTrue(beyond.stderr.contains("the last listing has 2 rows"), beyond.stderr)
        let someoneElse = try (try c.user).fails(["meeting", "show", "1"], status: 2)
        XCTAssertTrue(someoneElse.stderr.contains("was made as another person, not as you (\(c.userId))"), someoneElse.stderr)
        XCTAssertFalse(someoneElse.stderr.contains(c.expertId), "the one who made it is not named: \(someoneElse.stderr)")
        let tooShort = try expert.fails(["meeting", "show", "abc12"], status: 2)
        XCTAssertTrue(tooShort.stderr.contains("at least 6"), tooShort.stderr)
        let none = try expert.fails(["meeting", "show", "ffffff"], status: 2)
        XCTAssertTrue(none.stderr.contains(#"no meeting of yours ends in "ffffff""#), none.stderr)
    }

    /// A listing printed as --json or --csv numbers its meetings as its table would (in order,
    /// from 1): a row number then names one of them, not a row of an older table.
    func testAListingAsJSONOrCSVRenumbersTheRows() throws {
        let c = try MeetctlCommunity.make(#function)
        let ids = try ["2030-03-11 10:00", "2030-03-12 10:00", "2030-03-13 10:00"].map { try c.agreedMeeting(start: $0) }
        let expert = try c.expert
        XCTAssertTrue(try expert.ok(["meetings"]).contains(ids[2]))
        let later = try expert.json(["meetings", "--from", "2030-03-12"])
        XCTAssertEqual(later["items"]?.array?.compactMap { $0["id"]?.string }, [ids[1], ids[2]])
        XCTAssertEqual(try expert.json(["meeting", "show", "1"])["meeting"]?["id"]?.string, ids[1], "row 1 of the --json listing")
        let beyond = try expert.fails(["meeting", "show", "3"], status: 2)
        XCTAssertTrue(beyond.stderr.contains("the last listing has 2 rows"), beyond.stderr)
        try expert.ok(["meetings", "--csv", "--from", "2030-03-13"])
        XCTAssertEqual(try expert.json(["meeting", "show", "1"])["meeting"]?["id"]?.string, ids[2], "row 1 of the --csv listing")
    }

    /// Listings written at the same moment leave one whole listing: each run writes a file of
    /// its own and renames it over the last.
    func testListingsWrittenAtOnceLeaveOneWholeListing() throws {
        let c = try MeetctlCommunity.make(#function)
        let ids = [try c.agreedMeeting(start: "2030-03-11 10:00"), try c.agreedMeeting(start: "2030-03-12 10:00")]
        let expert = try c.expert
        let results = Locked<[Bool]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let ok = (try? expert.run(["meetings"]))?.succeeded ?? false
            results.withLock { $0.append(ok) }
        }
        XCTAssertEqual(results.withLock { $0 }, Array(repeating: true, count: 6))
        let folder = try XCTUnwrap(expert.environment["XDG_STATE_HOME"]) + "/meetingledger"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["last-listing.json"], "no partial file is left")
        XCTAssertEqual(try expert.json(["meeting", "show", "2"])["meeting"]?["id"]?.string, ids[1])
    }
}
