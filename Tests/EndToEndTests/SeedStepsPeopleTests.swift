import Foundation
import XCTest

/// The people steps of seeds 000–002 through meetingd's pipes and meetctl: experts' public
/// profiles that students read before picking one, certifying providers in their own services,
/// and listing enrolments.
final class SeedStepsPeopleTests: EndToEndTestCase {
    /// Every string of a JSON answer, keys and values, for "does this leak anywhere" checks.
    func texts(_ value: JSONValue) -> String { value.serialized }

    // MARK: Seed 000 / 001: provider profiles

    /// Seed 000: "With a time selected, students see the available providers at that time (could
    /// be multiple), view provider profiles, and pick one." Seed 002: "Students will click on the
    /// Peer Mentor, see their bio, and select the Peer Mentor."
    func testStudentsSeeTheAvailableProvidersViewTheirProfilesAndPickOne() throws {
        let w = try MeetingWorld(self, label: #function)
        let tag = TestEnvironment.uniqueTag()
        let talia = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "Kim", email: "talia.\(tag)@school.example"))
        try w.certify(talia, in: w.serviceId)
        try w.setWeekly(talia, timeZone: "UTC", dailyRules("06:00", "22:00", at: [w.locationId]))

        // The expert writes their own profile; an admin writes the fixture expert's.
        let written = try w.meetingd.result("person.set_profile", as: talia, [
            "person_id": .string(talia), "display_name": "Talia K", "bio": "Chemistry tutor.\nAsk me about stoichiometry.",
            "photo_url": "HTTPS://photos.example.org/talia.jpg", "languages": ["EN", "cs"],
        ])
        XCTAssertEqual(written["languages"], ["en", "cs"])
        XCTAssertEqual(written["photo_url"], "https://photos.example.org/talia.jpg", "the scheme in its canonical case (it was an internal error)")
        try w.meetingd.result("person.set_profile", as: w.admin, ["person_id": .string(w.expert), "display_name": "Expert E", "languages": ["de"]])
        // A tag with a variant or private use is stored as BCP 47 writes it.
        let tagged = try w.meetingd.result("person.set_profile", as: w.admin, ["person_id": .string(w.expert), "languages": ["de-ch-1901", "en-US-x-twain"]])
        XCTAssertEqual(tagged["languages"], ["de-CH-1901", "en-US-x-twain"])
        try w.meetingd.result("person.set_profile", as: w.admin, ["person_id": .string(w.expert), "languages": ["de"]])
        let forbidden = try w.meetingd.error("person.set_profile", as: w.user, ["person_id": .string(talia), "display_name": "Hacked"], code: 4003)
        XCTAssertTrue(forbidden["message"]?.string?.contains("only the expert themself or an admin") ?? false, "\(forbidden)")

        // "students see the available providers at that time": each slot lists its experts, and
        // the answer carries the profile of every one of them, once.
        let answer = try w.meetingd.result("availability.search", as: w.user, w.searchParams(
            service: nil, from: MeetingTime.at(day: 7, hour: 10), to: MeetingTime.at(day: 7, hour: 11), [:]))
        let slot = try XCTUnwrap(answer["slots"]?.array?.first)
        let profiles = try XCTUnwrap(answer["experts"]?.array)
        let names = Dictionary(uniqueKeysWithValues: profiles.map { ($0["person_id"]?.string ?? "", $0["display_name"]?.string ?? "") })
        XCTAssertEqual(names, [talia: "Talia K", w.expert: "Expert E"])
        XCTAssertEqual(Set((slot["experts"]?.array ?? []).compactMap { $0["expert_id"]?.string }), Set(names.keys))
        let taliaProfile = try XCTUnwrap(profiles.first { $0["person_id"]?.string == talia })
        XCTAssertEqual(taliaProfile["bio"], "Chemistry tutor.\nAsk me about stoichiometry.")
        XCTAssertEqual(taliaProfile["photo_url"], "https://photos.example.org/talia.jpg")

        // "view provider profiles … see their bio": the profile, and nothing private.
        let profile = try w.meetingd.result("person.profile", as: w.user, ["person_id": .string(talia)])
        XCTAssertEqual(profile, taliaProfile)
        XCTAssertEqual(Set(profile.object.map { Array($0.keys) } ?? []), ["person_id", "display_name", "bio", "photo_url", "languages"])
        for leaked in [texts(answer), texts(profile), texts(try w.meetingd.result("person.profiles", as: w.user, ["service_id": .string(w.serviceId)]))] {
            XCTAssertFalse(leaked.contains("@school.example"), "no e-mail reaches a user: \(leaked)")
            XCTAssertFalse(leaked.contains("\"roles\""), "no roles reach a user: \(leaked)")
            XCTAssertFalse(leaked.contains("time_zone"), "no time zone reaches a user: \(leaked)")
        }
        try w.meetingd.error("person.get", as: w.user, ["person_id": .string(talia)], code: 4003)
        try w.meetingd.error("person.profile", as: w.user, ["person_id": .string(w.finance)], code: 4004)
        let listed = try w.meetingd.allPages("person.profiles", as: w.user, ["service_id": .string(w.serviceId)]).compactMap { $0["person_id"]?.string }
        XCTAssertEqual(Set(listed), [talia, w.expert], "the experts of the service")

        // "and pick one": the student books the provider they picked.
        try w.requestWith(start: MeetingTime.at(day: 7, hour: 10), expert: talia, [:])

        // Bad input changes nothing.
        for (field, value) in [("photo_url", JSONValue.string("javascript:alert(1)")), ("photo_url", "http://photos.example.org/t.jpg"),
                               ("display_name", "Talia\u{1B}[2J"), ("bio", "\u{202E}evil"), ("languages", ["english"])] {
            var params: [String: JSONValue] = ["person_id": .string(talia), "display_name": "Changed"]
            params[field] = value
            let error = try w.meetingd.error("person.set_profile", as: talia, params, code: -32602)
            XCTAssertTrue(error["data"]?["field"]?.string?.hasPrefix(field) ?? false, "\(field): \(error)")
        }
        XCTAssertEqual(try w.meetingd.result("person.profile", as: w.user, ["person_id": .string(talia)]), taliaProfile, "unchanged")
        let notExpert = try w.meetingd.error("person.set_profile", as: w.admin, ["person_id": .string(w.user), "display_name": "Sam"], code: -32602)
        XCTAssertEqual(notExpert["data"]?["field"], "person_id")
    }

    /// The same through meetctl: the expert writes their profile, a student reads it.
    func testAnExpertWritesTheirProfileAndAStudentReadsItWithMeetctl() throws {
        let c = try MeetctlCommunity.make(#function)
        let expert = try c.expert, user = try c.user
        let bioFile = FileManager.default.temporaryDirectory.appendingPathComponent("bio-\(c.tag).txt")
        // As an editor saves it: the last line ends with a line break, which is not part of the bio.
        try "Chemistry since 2010.\nAsk me anything.\n".write(to: bioFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bioFile) }
        try expert.ok(["profile", "set", "--name", "Talia K", "--bio-file", bioFile.path, "--language", "en", "--language", "es-419",
                       "--photo", "https://photos.example.org/talia.jpg"])
        let shown = try user.ok(["profile", "show", c.expertId])
        XCTAssertTrue(shown.contains("Talia K"), shown)
        // The bio's paragraphs on lines of their own under its label (it holds no other control).
        let bio = shown.components(separatedBy: "\n").drop { !$0.hasPrefix("Bio ") }.prefix(2)
        XCTAssertEqual(bio.count, 2, shown)
        XCTAssertTrue(bio.first?.hasSuffix("  Chemistry since 2010.") == true, shown)
        let indent = (bio.first?.count ?? 0) - "Chemistry since 2010.".count
        XCTAssertEqual(bio.last, String(repeating: " ", count: indent) + "Ask me anything.", "under the first line: \(shown)")
        XCTAssertFalse(shown.contains(c.expertEmail), shown)
        XCTAssertEqual(try user.json(["profile", "show", c.expertId])["bio"], "Chemistry since 2010.\nAsk me anything.", "no final line break")
        let experts = try user.ok(["experts", "--service", c.serviceId])
        XCTAssertTrue(experts.contains("Talia K") && experts.contains("en, es-419"), experts)
        XCTAssertEqual(try user.ok(["experts", "--service", "CHEM101"]), experts, "the service by name, as every command takes it")
        try expert.ok(["profile", "set", "--no-photo"])
        XCTAssertEqual(try user.json(["profile", "show", c.expertId])["photo_url"], .null)
        XCTAssertEqual(try user.json(["profile", "show", c.expertId])["display_name"], "Talia K", "left out, kept")
        let refused = try expert.fails(["profile", "set", "--photo", "ftp://photos.example.org/t.jpg"], status: 1)
        XCTAssertTrue(refused.stderr.contains("meetctl: --photo: must be an https:// URL"), "named by the option given: \(refused.stderr)")
        try user.fails(["profile", "set", "--person", c.expertId, "--name", "Hacked"], status: 1)
    }

    // MARK: Seed 002: certifying providers in their own services

    /// Seed 002 ("Tutors CSV"): "certify your providers in their provider-specific service and
    /// the generic provider service". Certifying a provider in their own service is accepted —
    /// they hold it by owning it — and anyone else is refused with a message that says why.
    func testCertifyingAProviderInTheirOwnServiceHoldsAndAnyoneElseIsRefused() throws {
        let w = try MeetingWorld(self, label: #function)
        let talia = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "K"))
        let bo = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Bo", lastName: "N"))
        let own = try w.addService("Peer Mentoring with Talia K \(TestEnvironment.uniqueTag())", expertId: talia)

        let held = try w.meetingd.result("service.certify", as: w.admin, ["service_id": .string(own), "expert_id": .string(talia)])
        XCTAssertEqual(held["certified"], true)
        let refused = try w.meetingd.error("service.certify", as: w.admin, ["service_id": .string(own), "expert_id": .string(bo)], code: -32602)
        XCTAssertEqual(refused["data"]?["field"], "service_id")
        let message = refused["message"]?.string ?? ""
        XCTAssertTrue(message.contains("Talia K's own service") && message.contains("certify Bo N in a generic service"), message)
        try w.meetingd.error("service.decertify", as: w.admin, ["service_id": .string(own), "expert_id": .string(talia)], code: -32602)
        XCTAssertEqual(try w.meetingd.allPages("service.list", as: w.admin, ["expert_id": .string(bo)]).compactMap { $0["id"]?.string }, [],
                       "Bo offers nothing")
        XCTAssertTrue(try w.meetingd.allPages("service.list", as: w.admin, ["expert_id": .string(talia)]).contains { $0["id"]?.string == own })
    }

    // MARK: Seed 002: enrolments

    /// Seed 002 ("Course Enrollment CSV"): "You'll now be able to see which provider services
    /// (i.e., which providers) students are assigned to in the Courses > Enrollment tab."
    func testListingAServicesAndAUsersEnrolments() throws {
        let w = try MeetingWorld(self, label: #function)
        let talia = try MeetingWorld.id(of: w.addPerson(roles: ["expert"], firstName: "Talia", lastName: "K"))
        let own = try w.addService("Peer Mentoring with Talia K \(TestEnvironment.uniqueTag())", expertId: talia)
        let kim = try w.addNamedUser(firstName: "Kim", credits: 0)
        for (user, target) in [(w.user, ["service_id": JSONValue.string(own)]), (kim, ["service_id": .string(own)]), (kim, ["expert_id": .string(w.expert)]),
                               (w.user, ["service_id": .string(w.serviceId)])] {
            try w.meetingd.result("enrollment.assign", as: w.admin, target.merging(["user_id": .string(user)]) { a, _ in a })
        }
        let ofService = try w.meetingd.allPages("enrollment.list", as: w.admin, ["service_id": .string(own), "limit": 1])
        XCTAssertEqual(Set(ofService.compactMap { $0["user_id"]?.string }), [w.user, kim], "both users, a page at a time")
        XCTAssertTrue(ofService.allSatisfy { $0["service_name"]?.string?.hasPrefix("Peer Mentoring with Talia K") ?? false })
        let kims = try w.meetingd.allPages("enrollment.list", as: w.admin, ["user_id": .string(kim)])
        XCTAssertEqual(kims.count, 2)
        XCTAssertEqual(kims.first { $0["expert_id"]?.string == w.expert }?["service_id"], .null)
        XCTAssertEqual(try w.meetingd.allPages("enrollment.list", as: kim, ["user_id": .string(kim)]).count, 2, "a user lists their own")
        XCTAssertEqual(try w.meetingd.allPages("enrollment.list", as: w.expert, ["expert_id": .string(w.expert)]).compactMap { $0["user_id"]?.string }, [kim])
        try w.meetingd.error("enrollment.list", as: kim, ["user_id": .string(w.user)], code: 4003)
        try w.meetingd.error("enrollment.list", as: kim, ["service_id": .string(own)], code: 4003)
        // Assigned to Talia's own service is assigned to Talia: she lists both users.
        XCTAssertEqual(Set(try w.meetingd.allPages("enrollment.list", as: talia, ["expert_id": .string(talia)]).compactMap { $0["user_id"]?.string }), [w.user, kim])

        let c = try MeetctlCommunity.make(#function)
        try c.admin.ok(["enroll", "--user", c.userEmail, "--service", c.serviceId])
        let table = try c.admin.ok(["enrollments", "--service", c.serviceId])
        XCTAssertTrue(table.contains(c.userId) && table.contains("Sam Lee") && table.contains("CHEM101"), table)
        // --service takes the service's name, as every other --service does.
        XCTAssertEqual(try c.admin.ok(["enrollments", "--service", "chem101"]), table)
        XCTAssertTrue(try (try c.user).ok(["enrollments", "--user", c.userId]).contains("CHEM101"))
    }
}
