import Foundation
import XCTest

/// Weekly series (seeds 000 and 001, SPEC §5.3): occurrences on the same local weekday and
/// time, each a meeting holding its own credits, created up to the booking horizon and then as
/// time passes (`jobs.run_due`); skip dates (on the day or ahead, one at a time, listed; the
/// skipped occurrence's credits returned and the next one made); a daylight-saving change kept
/// on the expert's wall clock; cancelling the series cancels every future occurrence. The
/// fixture's clock stands at Monday 2030-03-04 12:00 UTC; its expert works 06:00–22:00 UTC.
final class SeriesTests: EndToEndTestCase {
    struct Occurrence: Equatable, CustomStringConvertible {
        let meetingId: String
        let date: String
        let start: String
        let status: String
        let credit: String
        var description: String { "\(date) \(start) \(status)/\(credit)" }
    }

    func occurrences(_ series: JSONValue) throws -> [Occurrence] {
        guard let list = series["occurrences"]?.array else { throw HarnessError("no occurrences in \(series)") }
        return list.map { o in
            Occurrence(meetingId: o["meeting_id"]?.string ?? "", date: o["date"]?.string ?? "", start: o["start"]?.string ?? "",
                       status: o["status"]?.string ?? "", credit: o["credit_status"]?.string ?? "")
        }
    }

    func skipDates(_ series: JSONValue) -> [String] { series["skip_dates"]?.array?.compactMap { $0["date"]?.string } ?? [] }

    func create(_ w: MeetingWorld, firstStart: String, by user: String? = nil, expert: String? = nil, _ extra: [String: JSONValue] = [:]) throws -> JSONValue {
        var params = extra
        params["service_id"] = .string(w.serviceId)
        params["expert_id"] = .string(expert ?? w.expert)
        params["first_start"] = .string(firstStart)
        params["location_id"] = .string(w.locationId)
        return try w.meetingd.result("series.create", as: user ?? w.user, params)
    }

    func skip(_ w: MeetingWorld, _ seriesId: String, _ date: String, as actor: String? = nil, confirmLate: Bool? = nil) throws -> JSONValue {
        var params: [String: JSONValue] = ["series_id": .string(seriesId), "date": .string(date)]
        if let confirmLate { params["confirm_late"] = .bool(confirmLate) }
        return try w.meetingd.result("series.skip", as: actor ?? w.user, params)
    }

    @discardableResult
    func refuseSkip(_ w: MeetingWorld, _ seriesId: String, _ date: String, as actor: String? = nil, code: Int64) throws -> JSONValue {
        try w.meetingd.error("series.skip", as: actor ?? w.user, ["series_id": .string(seriesId), "date": .string(date)], code: code)
    }

    func runJobs(_ w: MeetingWorld) throws -> JSONValue { try w.meetingd.result("jobs.run_due", as: w.admin) }

    // MARK: Occurrences

    /// A series booked with agenda answers goes on when the service's questions change, in
    /// number or in words: its later dates carry the answers with the questions they answered
    /// at the booking, not the service's new ones, and are not refused.
    func testASeriesGoesOnWhenTheServicesQuestionsChange() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        try w.meetingd.result("service.update", as: w.admin, ["service_id": .string(w.serviceId), "agenda_questions": ["Goal?"]])
        let id = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-06T10:00:00Z", ["agenda_answers": ["pass the exam"], "weeks": 4]))
        let booked = try occurrences(try w.series(id))
        XCTAssertEqual(booked.map(\.date), ["2030-03-06", "2030-03-13"])
        XCTAssertEqual(try w.meeting(booked[1].meetingId)["agenda_answers"], ["pass the exam"])
        XCTAssertEqual(try w.series(id)["agenda_questions"], ["Goal?"])
        // Reworded, as many: the next date keeps the words the answer answered.
        try w.meetingd.result("service.update", as: w.admin, ["service_id": .string(w.serviceId), "agenda_questions": ["Which book?"]])
        try w.advanceClock(minutes: 7 * 1440)
        try w.meetingd.result("jobs.run_due", as: w.admin, [:])
        // Two questions now: the date after too.
        try w.meetingd.result("service.update", as: w.admin, ["service_id": .string(w.serviceId), "agenda_questions": ["Goal?", "Chapter?"]])
        try w.advanceClock(minutes: 7 * 1440)
        try w.meetingd.result("jobs.run_due", as: w.admin, [:])
        let later = try w.series(id)
        XCTAssertEqual(skipDates(later), [], "\(later)")
        for date in ["2030-03-20", "2030-03-27"] {
            let occurrence = try XCTUnwrap(try occurrences(later).first { $0.date == date }, "\(date): \(later)")
            let meeting = try w.meeting(occurrence.meetingId)
            XCTAssertEqual(meeting["agenda_answers"], ["pass the exam"], date)
            XCTAssertEqual(meeting["agenda_questions"], ["Goal?"], "\(date): the question the answer answered")
        }
        XCTAssertEqual(try w.meeting(booked[1].meetingId)["agenda_answers"], ["pass the exam"], "a date booked before keeps its answers")
        XCTAssertEqual(later["agenda_questions"], ["Goal?"])
    }

    /// Where a request does not hold its slot (pending_holds_slot false), two users' series
    /// with one expert at one weekly time are both booked by the same run of the jobs: the
    /// first one's new request does not take the time from the second (as the database's
    /// `occupies` says), as it does not when each is booked on its own.
    func testOneRunBooksTwoSeriesAtOneTimeWhereRequestsDoNotHoldTheSlot() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 7, "pending_holds_slot": false, "auto_accept": false])
        let other = try w.addNamedUser(firstName: "Noor", credits: 1000)
        let first = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-05T10:00:00Z", ["weeks": 3]))
        let second = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-05T10:00:00Z", by: other, ["weeks": 3]))
        try w.advanceClock(minutes: 7 * 1440)
        _ = try runJobs(w)
        for (id, who) in [(first, w.user), (second, other)] {
            let series = try w.meetingd.result("series.get", as: who, ["series_id": .string(id)])
            XCTAssertEqual(skipDates(series), [], "\(series)")
            XCTAssertEqual(try occurrences(series).first { $0.date == "2030-03-12" }?.status, "awaiting_approval", "\(series)")
        }
    }

    /// A person lists their series (as user or as expert), staff anyone's; meetctl lists,
    /// skips and cancels them.
    func testAPersonListsTheirSeriesAndMeetctlSkipsAndCancelsThem() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let id = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-06T10:00:00Z"))
        let stranger = try w.addNamedUser(firstName: "Sky", credits: 0)
        for person in [w.user, w.expert] {
            XCTAssertEqual(try w.meetingd.allPages("series.list", as: person, [:]).compactMap { $0["id"]?.string }, [id], person)
        }
        XCTAssertEqual(try w.meetingd.allPages("series.list", as: stranger, [:]).count, 0)
        try w.meetingd.error("series.list", as: stranger, ["person_id": .string(w.user)], code: 4003)
        try w.meetingd.error("series.list", as: w.admin, ["person_id": "per_00000000000000000000000000000001"], code: 4004)
        XCTAssertEqual(try w.meetingd.allPages("series.list", as: w.admin, ["person_id": .string(w.user), "status": "cancelled"]).count, 0)
        let listed = try w.meetingd.allPages("series.list", as: w.admin, ["person_id": .string(w.user)])
        XCTAssertEqual(listed.first?["next_occurrence"]?["date"], "2030-03-06")

        let expert = try Meetctl(actor: w.expert)
        let table = try expert.ok(["series"])
        XCTAssertTrue(table.contains(id) && table.contains(" Wed "), "the weekday by name: \(table)")
        // It shows what seed 001's skip page shows: the skipped dates and the next date.
        let skippedOut = try expert.ok(["series", "skip", id, "2030-03-13"])
        XCTAssertTrue(skippedOut.contains("\nSkipped dates: 2030-03-13 ("), skippedOut)
        XCTAssertTrue(skippedOut.contains("\nNext date: Wed 6 Mar 2030"), skippedOut)
        XCTAssertFalse(skippedOut.contains(#"\n"#), "lines, not escaped line breaks: \(skippedOut)")
        XCTAssertEqual(skipDates(try w.series(id)), ["2030-03-13"])
        // The user by name, the skipped date with its reason.
        let user = try XCTUnwrap(try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])["first_name"]?.string)
        let skippedTable = try expert.ok(["series"])
        XCTAssertTrue(skippedTable.contains(user) && !skippedTable.contains(w.user), skippedTable)
        XCTAssertTrue(skippedTable.contains("2030-03-13 ("), skippedTable)
        XCTAssertFalse(skippedTable.contains("date="), skippedTable)
        // Inside the cancellation window the skip waits for --confirm-late, which meetctl names.
        let first = try XCTUnwrap(try occurrences(try w.series(id)).first { $0.date == "2030-03-06" })
        try w.act("meeting.confirm", as: w.expert, first.meetingId)
        let late = try expert.fails(["series", "skip", id, "2030-03-06"], status: 1)
        XCTAssertTrue(late.stderr.contains("run the command again with --confirm-late to go ahead anyway"), late.stderr)
        XCTAssertTrue(try expert.ok(["series", "skip", id, "2030-03-06", "--confirm-late"]).contains("Skipped"))
        XCTAssertTrue(try expert.ok(["series", "cancel", id, "--reason", "illness"]).contains("cancelled"))
        XCTAssertEqual(try w.meetingd.allPages("series.list", as: w.user, ["status": "cancelled"]).compactMap { $0["id"]?.string }, [id])
        // `series` takes its own options though it has subcommands (they were refused as unknown).
        let admin = try Meetctl(actor: w.admin)
        XCTAssertTrue(try admin.ok(["series", "--person", w.user, "--status", "cancelled"]).contains(id))
        XCTAssertEqual(try admin.ok(["series", "--person", w.user, "--status", "active"]), "No series.\n")
    }

    /// A week the series could not book when its turn came — the expert's hours had changed, the
    /// user's credits were short — is tried again by later runs while it is ahead: booked once
    /// the time is free or the credits are there, and then no longer a skip date.
    func testAWeekNotBookedIsBookedOnceItCanBe() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13"])
        func hours(_ start: String) throws {
            let rules: [JSONValue] = (1...7).map { ["weekday": .int(Int64($0)), "start": .string(start), "end": "22:00", "location_ids": [.string(w.locationId)]] }
            try w.meetingd.result("availability.set_weekly", as: w.expert, ["expert_id": .string(w.expert), "time_zone": "UTC", "rules": .array(rules)])
        }
        func get() throws -> JSONValue { try w.meetingd.result("series.get", as: w.user, ["series_id": .string(id)]) }

        try hours("12:00")
        try w.setClock("2030-03-07T12:00:00Z")
        _ = try w.drainOutbox()
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0)
        XCTAssertEqual(skipDates(try get()), ["2030-03-20"], "not bookable when its turn came")
        // Both sides are told, once.
        let told = try w.drainRaw().filter { $0["kind"]?.string == "series_date_not_booked" }
        XCTAssertEqual(Set(told.compactMap { $0["recipient_id"]?.string }), [w.user, w.expert])
        let text = told.first { $0["recipient_id"]?.string == w.user }?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("could not be booked: Slot unavailable") && text.contains("tried again"), text)
        XCTAssertEqual(text.components(separatedBy: "Slot unavailable").count, 2, "the reason is said once: \(text)")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "still not bookable")
        XCTAssertEqual(skipDates(try get()), ["2030-03-20"])
        XCTAssertEqual(try w.drainOutbox().filter { $0.kind == "series_date_not_booked" }.count, 0, "told once")

        try hours("06:00")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 1)
        // The user, told it could not be booked, is told it is booked after all (the expert is
        // asked to confirm as for any request).
        let booked = try w.drainRaw().filter { $0["kind"]?.string == "series_date_booked" }
        XCTAssertEqual(booked.compactMap { $0["recipient_id"]?.string }, [w.user], "\(booked)")
        let bookedText = booked.first?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(bookedText.contains("which could not be booked before, is booked now and waits for") && bookedText.contains("100 credits of yours are held for it."), bookedText)
        let after = try get()
        XCTAssertEqual(skipDates(after), [], "booked, so no longer a skip date")
        XCTAssertEqual(try occurrences(after).map { "\($0.date) \($0.status)/\($0.credit)" },
                       ["2030-03-06 expired/returned", "2030-03-13 awaiting_approval/blocked", "2030-03-20 awaiting_approval/blocked"])
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "booked once")
    }

    /// The scheduler reads the due series' contexts within a budget of bytes (4 MB), in their
    /// turns' order, the first always: a user's hundred series with long topics made one read of
    /// 250 MB that failed every run, for the whole community.
    func testTheSchedulerReadsDueSeriesWithinABudget() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        try w.grant(w.user, 10_000)
        let ids = try ["2030-03-06T10:00:00Z", "2030-03-06T12:00:00Z", "2030-03-06T14:00:00Z"].map { try MeetingWorld.id(of: create(w, firstStart: $0)) }
        // As the run's lock step leaves them: the three chosen, each with its turn taken; then the
        // contexts read, and the turns left.
        func contexts(budget: String?) throws -> [String] {
            let list = "'{\(ids.joined(separator: ","))}'"
            let run = try Psql.run(databaseURL, [
                "BEGIN", "SET LOCAL ml.due_series = \(list)", budget.map { "SET LOCAL ml.jobs_series_bytes = '\($0)'" } ?? "SELECT 'default'",
                "INSERT INTO series_turns (community_id, series_id, taken_at) SELECT \(Psql.literal(w.community.id)), x, clock_timestamp() FROM unnest(\(list)::text[]) x "
                    + "ON CONFLICT (community_id, series_id) DO UPDATE SET taken_at = excluded.taken_at",
                "SELECT 'read ' || (x -> 'series' -> 'series' ->> 'id') FROM jsonb_array_elements(ml_jobs_context(\(Psql.literal(w.community.id)), true, 500, 200, 5000) -> 'series') x",
                "SELECT 'turn ' || series_id FROM series_turns WHERE community_id = \(Psql.literal(w.community.id)) ORDER BY taken_at",
                "ROLLBACK",
            ])
            XCTAssertTrue(run.succeeded, run.stderr)
            return run.stdout.split(separator: "\n").map(String.init)
        }
        XCTAssertEqual(try contexts(budget: nil), ["default"] + ids.map { "read " + $0 } + ids.map { "turn " + $0 }, "all three within 4 MB, in their turns' order")
        // The default holds the three contexts; a budget that ends within the third takes two.
        let sized = try Psql.query(databaseURL, """
            SELECT octet_length(ml_series_context(\(Psql.literal(w.community.id)), true, x, NULL, NULL, NULL, NULL, ml_now(\(Psql.literal(w.community.id)), true))::text)
            FROM unnest('{\(ids.joined(separator: ","))}'::text[]) x
            """).compactMap { Int($0) }
        XCTAssertEqual(sized.count, 3)
        XCTAssertLessThan(sized.reduce(0, +), 4_194_304)
        XCTAssertEqual(try contexts(budget: String(sized[0] + sized[1] + sized[2] / 2)), ["read " + ids[0], "read " + ids[1], "turn " + ids[0], "turn " + ids[1]],
                       "past the budget with the third: it waits its turn")
        // A series left out keeps its place at the head of the turns (it went behind every series
        // read since, and could be left out for good).
        XCTAssertEqual(try contexts(budget: "1"), ["read " + ids[0], "turn " + ids[0]], "the first always, then none past the budget; their turns given back")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "a run reads them and has nothing to book yet")
    }

    /// A date the series could not book may be skipped (it was refused as "already a skip
    /// date", and then booked when credits came, inside the cancellation window and charged to
    /// undo): the skip takes its place, the expert is told, and the date is not tried again.
    func testADateNotBookedMayBeSkippedAndIsNotBookedLater() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let tight = try w.addUser(name: "tight", credits: 250)
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", by: tight)
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(skipDates(series), ["2030-03-20"])
        _ = try w.drainOutbox()
        let skipped = try skip(w, id, "2030-03-20", as: tight)
        XCTAssertEqual(skipped["skip_dates"]?.array?.map { "\($0["date"]?.string ?? "") \($0["reason"]?.string ?? "")" }, ["2030-03-20 skipped by user"])
        XCTAssertEqual(try w.drainRaw().filter { $0["kind"] == "series_date_skipped" }.count, 2, "both sides are told")
        try w.grant(tight, 500)
        try w.setClock("2030-03-18T12:00:00Z")
        _ = try runJobs(w)
        let later = try w.series(id)
        let dates = try occurrences(later).map(\.date)
        XCTAssertFalse(dates.contains("2030-03-20"), "a skipped date is not booked: \(dates)")
        XCTAssertEqual(later["skip_dates"]?.array?.map { $0["reason"]?.string ?? "" }, ["skipped by user"])
        try refuseSkip(w, id, "2030-03-20", as: tight, code: 4009)
    }

    /// A week the series could not book when it was created is told to both sides as the
    /// scheduler tells a week it could not book later (the user with the detail), once.
    func testAWeekNotBookedWhenTheSeriesIsCreatedIsTold() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let tight = try w.addUser(name: "tight", credits: 250)
        _ = try w.drainOutbox()
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", by: tight)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13"])
        XCTAssertEqual(skipDates(series), ["2030-03-20"])
        let told = try w.drainRaw().filter { $0["kind"]?.string == "series_date_not_booked" }
        XCTAssertEqual(told.compactMap { $0["recipient_id"]?.string }.sorted(), [tight, w.expert].sorted())
        XCTAssertEqual(told.first { $0["recipient_id"]?.string == w.expert }?["payload"]?["detail"], .null, "the user's balance is theirs")
        XCTAssertNotEqual(told.first { $0["recipient_id"]?.string == tight }?["payload"]?["detail"], .null)
        // Each reads whose session it is, of what; the user reads of their own credits.
        let toExpert = told.first { $0["recipient_id"]?.string == w.expert }?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toExpert.contains("The weekly session with ") && toExpert.contains(" for "), toExpert)
        XCTAssertTrue(toExpert.contains("could not be booked: the user's credits did not cover it."), toExpert)
        let toUser = told.first { $0["recipient_id"]?.string == tight }?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toUser.contains("could not be booked: your credits did not cover it ("), toUser)
        _ = try runJobs(w)
        XCTAssertEqual(try w.drainOutbox().filter { $0.kind == "series_date_not_booked" }.count, 0, "told once")
    }

    /// A date the expert declined shows its user no time in the series either, as meeting.get
    /// shows them that meeting (seed 001: a declined session shows no details); the expert
    /// still reads it. Before, series.get and series.list named the time meeting.get hid.
    func testADeclinedDateShowsItsUserNoTimeInTheSeries() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14, "auto_accept": false])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        let declined = try XCTUnwrap(try occurrences(series).first)
        try w.meetingd.result("meeting.decline", as: w.expert, ["meeting_id": .string(declined.meetingId), "reason_code": "illness"])
        XCTAssertEqual(try w.meetingd.result("meeting.get", as: w.user, ["meeting_id": .string(declined.meetingId)])["start"], .null)
        for read in [try w.meetingd.result("series.get", as: w.user, ["series_id": .string(id)]),
                     try XCTUnwrap(try w.meetingd.result("series.list", as: w.user)["items"]?.array?.first)] {
            let shown = try XCTUnwrap(read["occurrences"]?.array?.first { $0["meeting_id"]?.string == declined.meetingId })
            XCTAssertEqual(shown["status"], "rejected")
            XCTAssertEqual(shown["start"], .null, "\(shown)")
            XCTAssertEqual(shown["date"], .null, "\(shown)")
            XCTAssertNotEqual(try occurrences(read).last?.start, "", "the dates not declined keep their times")
        }
        let toExpert = try occurrences(try w.meetingd.result("series.get", as: w.expert, ["series_id": .string(id)]))
        XCTAssertEqual(toExpert.first { $0.meetingId == declined.meetingId }?.start, "2030-03-06T10:00:00Z")
    }

    /// A week whose time passed before the series came to book it (the scheduler not run for
    /// longer than the horizon, or the clock jumping ahead) is listed as not booked and told to
    /// both sides, not tried again while it is past, and booked should it be ahead again (a clock
    /// set back). Before, such weeks were left out of the series without a word.
    func testAWeekWhoseTimePassedBeforeItsTurnIsListedAndTold() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"])
        func get() throws -> JSONValue { try w.meetingd.result("series.get", as: w.user, ["series_id": .string(id)]) }

        // The scheduler's next run comes after 27 March and 3 April have passed.
        try w.setClock("2030-04-09T12:00:00Z")
        _ = try w.drainOutbox()
        XCTAssertEqual(try runJobs(w)["series_dates_not_booked"], 2, "the run says what it listed")
        let listed = try get()["skip_dates"]?.array ?? []
        XCTAssertEqual(listed.compactMap { $0["date"]?.string }, ["2030-03-27", "2030-04-03"], "\(listed)")
        XCTAssertEqual(Set(listed.compactMap { $0["reason"]?.string }), ["not booked: its time had passed before the series came to book it"])
        XCTAssertTrue(try occurrences(try get()).map(\.date).contains("2030-04-10"), "the weeks ahead are booked as ever")
        let told = try w.drainRaw().filter { $0["kind"]?.string == "series_date_not_booked" }
        XCTAssertEqual(told.compactMap { $0["recipient_id"]?.string }.sorted(), [w.user, w.user, w.expert, w.expert].sorted())
        let text = told.first { $0["recipient_id"]?.string == w.user }?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("could not be booked: its time had passed before the series came to book it."), text)
        XCTAssertFalse(text.contains("tried again"), "a past date is not tried again: \(text)")
        _ = try runJobs(w)
        XCTAssertEqual(try w.drainOutbox().filter { $0.kind == "series_date_not_booked" }.count, 0, "told once")

        // The clock set back before them: they are ahead again, and booked.
        try w.setClock("2030-03-25T12:00:00Z")
        _ = try runJobs(w)
        let after = try get()
        XCTAssertEqual(skipDates(after), [], "\(after)")
        XCTAssertTrue(Set(try occurrences(after).map(\.date)).isSuperset(of: ["2030-03-27", "2030-04-03"]), "\(after)")

        // A jump of more than a year lists only the weeks of the last eight (a date a week would
        // pass the series' bound of skip dates, and tell both sides of each).
        try w.setClock("2031-06-01T12:00:00Z")
        _ = try w.drainOutbox()
        XCTAssertEqual(try runJobs(w)["series_dates_not_booked"], 8)
        XCTAssertEqual(skipDates(try get()), ["2031-04-09", "2031-04-16", "2031-04-23", "2031-04-30", "2031-05-07", "2031-05-14", "2031-05-21", "2031-05-28"])
        XCTAssertEqual(try w.drainRaw().filter { $0["kind"]?.string == "series_date_not_booked" }.count, 16)
    }

    /// One scheduler run expires a request and books the next occurrence: the credits the
    /// expiry returns pay for the occurrence (they did not when occurrences were decided on the
    /// balance read before the run's expiries).
    func testCreditsAnExpiryReturnsPayForAnOccurrenceBookedInTheSameRun() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21, "min_notice_minutes": 0])
        let vic = try w.addNamedUser(firstName: "Vic", credits: 3 * MeetingWorld.price)
        let series = try create(w, firstStart: "2030-03-04T15:00:00Z", by: vic)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-04", "2030-03-11", "2030-03-18"])
        XCTAssertEqual(try w.wallet(vic).available, 0)
        try w.setClock("2030-03-05T12:00:00Z")
        let run = try runJobs(w)
        XCTAssertEqual(run["requests_expired"], 1, "\(run)")
        XCTAssertEqual(run["series_occurrences_created"], 1, "\(run)")
        let after = try w.meetingd.result("series.get", as: vic, ["series_id": .string(try MeetingWorld.id(of: series))])
        XCTAssertEqual(skipDates(after), [])
        XCTAssertEqual(try occurrences(after).last.map { "\($0.date) \($0.credit)" }, "2030-03-25 blocked")
        XCTAssertEqual(try w.wallet(vic).available, 0)
    }

    /// One scheduler run expires a request and books a series date in the same week: the
    /// expired request leaves the week to the series under a weekly limit of one. Before, the
    /// week still counted it (the run's expiries gave back only their credits): the date was
    /// refused, both sides told so, and booked by the next run.
    func testAWeekAnExpiryFreesTakesASeriesDateInTheSameRun() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 3, "weekly_usage_limit": 1, "auto_accept": false])
        let id = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-07T10:00:00Z", ["weeks": 3]))
        try w.setClock("2030-03-10T12:00:00Z")
        try w.request(start: "2030-03-11T10:00:00Z")
        try w.setClock("2030-03-11T12:00:00Z")
        let run = try runJobs(w)
        XCTAssertEqual(run["requests_expired"], 2, "the request and the series' first date: \(run)")
        XCTAssertEqual(run["series_occurrences_created"], 1, "\(run)")
        let series = try w.meetingd.result("series.get", as: w.user, ["series_id": .string(id)])
        XCTAssertEqual(skipDates(series), [], "\(series)")
        XCTAssertEqual(try occurrences(series).first { $0.date == "2030-03-14" }?.status, "awaiting_approval", "\(series)")
        XCTAssertEqual(try w.drainOutbox().filter { $0.kind == "series_date_not_booked" }.count, 0)
    }

    /// One run books the series of a person who is the user of one and the expert of the other
    /// at one weekly time: the date booked first takes the person's time, and the other is not
    /// booked, as a request then would be refused (4010). Before, each series saw only what the
    /// run booked with its own expert: the person had two agreed meetings at one hour.
    func testOneRunDoesNotBookAPersonIntoTwoMeetingsAtOnceAsUserAndExpert() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 3, "auto_accept": true])
        let both = try w.addExpert(name: "Xena", roles: ["user", "expert"])
        try w.grant(both, 10 * MeetingWorld.price)
        let asExpert = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-06T10:00:00Z", expert: both, ["weeks": 4]))
        try w.setClock("2030-03-10T12:00:00Z")
        let asUser = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-13T10:00:00Z", by: both, ["weeks": 3]))
        try w.setClock("2030-03-18T12:00:00Z")
        _ = try runJobs(w)
        var agreed: [String] = []
        for (id, who) in [(asExpert, w.user), (asUser, both)] {
            let series = try w.meetingd.result("series.get", as: who, ["series_id": .string(id)])
            agreed += try occurrences(series).filter { $0.date == "2030-03-20" && $0.status == "agreed" }.map(\.meetingId)
        }
        XCTAssertEqual(agreed.count, 1, "one of the two dates at Wednesday 20 March 10:00 is agreed, not both: \(agreed)")
        try w.assertReconciled()
    }

    /// Occurrences up to the horizon, each holding the price; more as the horizon moves; a
    /// series of a few weeks stops there.
    /// jobs.run_due books ahead for the series with something due, soonest first: once a
    /// community had made 200 series, the first 200 by id (their weeks all passed, yet still
    /// active in their rows) took every run, and no newer series was booked ahead again.
    func testFinishedSeriesDoNotCrowdOutOnesStillRunning() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let buyer = try w.addUser(name: "buyer", credits: 100_000)
        let entries: [String] = (0..<200).map { i in
            let start = String(format: "2030-03-%02dT%02d:00:00Z", 5 + i / 16, 6 + i % 16)
            let params: JSONValue = ["actor": .string(buyer), "service_id": .string(w.serviceId), "expert_id": .string(w.expert),
                                     "first_start": .string(start), "location_id": .string(w.locationId), "weeks": 1]
            return #"{"jsonrpc":"2.0","id":\#(i),"method":"series.create","params":\#(params.serialized)}"#
        }
        try w.meetingd.send("[" + entries.joined(separator: ",") + "]", timeout: 120)
        let made = try w.meetingd.readResponse(timeout: 120).array ?? []
        XCTAssertEqual(made.filter { $0["result"]?["status"] != nil }.count, 200, "200 one-week series: \(made.first { $0["error"] != nil } ?? [:])")

        let other = try w.addExpert(name: "Other")
        let running = try MeetingWorld.id(of: create(w, firstStart: "2030-03-05T10:00:00Z", expert: other))
        XCTAssertEqual(try occurrences(try w.series(running)).map(\.date), ["2030-03-05", "2030-03-12"])
        try w.setClock("2030-03-12T12:00:00Z")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 2)
        XCTAssertEqual(try occurrences(try w.series(running)).map(\.date), ["2030-03-05", "2030-03-12", "2030-03-19", "2030-03-26"])
    }

    /// 200 series of 200 users who can pay for one week each, on three experts from 03-05 to
    /// 03-10 (the fixture's clock at 03-04): every later week is "not booked".
    func seriesShortOfCredits(_ w: MeetingWorld, _ extra: [String: JSONValue] = [:]) throws {
        let experts = [w.expert, try w.addExpert(name: "Two"), try w.addExpert(name: "Three")]
        let people = try w.meetingd.batch((0..<200).map { _ in
            var params = TestCommunity.personParams(roles: ["user"])
            params["actor"] = .string(w.admin)
            return ("person.create", .object(params))
        }).compactMap { $0["id"]?.string }
        _ = try w.meetingd.batch(people.enumerated().map { i, user in
            ("credits.grant", ["actor": .string(w.finance), "user_id": .string(user), "credits": 100, "reference": .string("tight-\(i)")])
        })
        _ = try w.meetingd.batch(people.enumerated().map { i, user in
            let start = String(format: "2030-03-%02dT%02d:00:00Z", 5 + (i / 3) / 16, 6 + (i / 3) % 16)
            return ("series.create", .object(extra.merging([
                "actor": .string(user), "service_id": .string(w.serviceId), "expert_id": .string(experts[i % 3]), "first_start": .string(start),
                "location_id": .string(w.locationId)]) { _, given in given }))
        })
    }

    /// Series whose dates cannot be booked (credits short) do not take every run: the scheduler
    /// takes the series with something to do in turns (ordered by the earliest date not booked,
    /// 200 such series came first in every run and a healthy series was never booked ahead
    /// again), whether they are open-ended or have booked all their weeks.
    func testSeriesThatCannotBookDoNotTakeEveryRun() throws {
        for extra: [String: JSONValue] in [[:], ["weeks": 2]] {
            let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
            try seriesShortOfCredits(w, extra)
            let healthy = try MeetingWorld.id(of: create(w, firstStart: "2030-03-09T10:00:00Z", expert: try w.addExpert(name: "Four")))
            XCTAssertEqual(try occurrences(try w.series(healthy)).map(\.date), ["2030-03-09", "2030-03-16"])
            // The horizon moves (the requests held stay held: nothing expires to pay the dates not booked).
            try w.updateSettings(["horizon_days": 21])
            _ = try runJobs(w)
            _ = try runJobs(w)
            XCTAssertEqual(try occurrences(try w.series(healthy)).map(\.date), ["2030-03-09", "2030-03-16", "2030-03-23"],
                           "booked ahead within two runs (\(extra))")
        }
    }

    func testOccurrencesUpToTheHorizonEachHoldingItsCredits() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(series["status"], "active")
        XCTAssertEqual(series["weekday"], 3)
        XCTAssertEqual(series["local_time"], "10:00")
        let made = try occurrences(series)
        XCTAssertEqual(made.map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"], "Wednesdays up to now + 21 days")
        XCTAssertEqual(made.map(\.start), ["2030-03-06T10:00:00Z", "2030-03-13T10:00:00Z", "2030-03-20T10:00:00Z"])
        XCTAssertTrue(made.allSatisfy { $0.status == "awaiting_approval" && $0.credit == "blocked" }, "\(made)")
        XCTAssertEqual(series["next_occurrence"]?["meeting_id"]?.string, made[0].meetingId)
        XCTAssertEqual(skipDates(series), [])
        for o in made {
            XCTAssertEqual(try w.trail(o.meetingId), ["hold pending 100"], "one hold per occurrence (\(o.date))")
            let m = try w.meeting(o.meetingId)
            XCTAssertEqual(m["series_id"]?.string, id)
            XCTAssertEqual(m["user_id"]?.string, w.user)
        }
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 300))
        XCTAssertEqual(try w.drainedSummary(), Array(repeating: "meeting_request→expert", count: 3), "the expert is asked for each occurrence")
        assertMeeting(try w.act("meeting.confirm", as: w.expert, made[0].meetingId), status: "agreed", credit: "blocked")

        try w.setClock("2030-03-11T12:00:00Z")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 1)
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "nothing more until the horizon moves again")
        let later = try occurrences(try w.series(id))
        XCTAssertEqual(later.map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20", "2030-03-27"])
        XCTAssertEqual(later.last?.credit, "blocked")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 400))

        try w.grant(w.user, 200)
        let short = try create(w, firstStart: "2030-03-12T14:00:00Z", ["weeks": 2])
        XCTAssertEqual(try occurrences(short).map(\.date), ["2030-03-12", "2030-03-19"])
        XCTAssertEqual(short["status"], "active")
        let untilCancelled = try MeetingWorld.id(of: create(w, firstStart: "2030-03-13T14:00:00Z"))
        let shortId = try MeetingWorld.id(of: short)
        func listed(_ status: String) throws -> [String] {
            try w.meetingd.allPages("series.list", as: w.user, ["status": .string(status)]).compactMap { $0["id"]?.string }
        }
        // Finished once its last date has ended: read, listed and refused as such.
        try w.setClock("2030-03-19T14:59:00Z")
        XCTAssertEqual(try w.series(shortId)["status"], "active", "its last date has not ended")
        XCTAssertTrue(try listed("active").contains(shortId))
        try w.setClock("2030-03-19T15:00:00Z")
        XCTAssertEqual(try w.series(shortId)["status"], "finished")
        XCTAssertEqual(try listed("finished"), [shortId])
        XCTAssertFalse(try listed("active").contains(shortId))
        XCTAssertFalse(try listed("cancelled").contains(shortId))
        XCTAssertTrue(try listed("active").contains(untilCancelled), "a series until cancelled never finishes")
        let done = try w.meetingd.error("series.cancel", as: w.user, ["series_id": .string(shortId), "reason_code": "other"], code: 4009)
        XCTAssertEqual(done["data"]?["status"], "finished")
        XCTAssertTrue(done["message"]?.string?.contains("finished") ?? false, "\(done)")
        // A date of a finished series moved past its last date keeps it going until that date ends.
        try w.setClock("2030-03-19T15:30:00Z")
        try w.grant(w.user, 100)
        let moving = try MeetingWorld.id(of: create(w, firstStart: "2030-03-20T14:00:00Z", ["weeks": 1]))
        let onlyDate = try XCTUnwrap(try w.series(moving)["occurrences"]?[0]?["meeting_id"]?.string)
        try w.act("meeting.confirm", as: w.expert, onlyDate)
        try w.act("meeting.reschedule", as: w.user, onlyDate, ["start": "2030-03-27T14:00:00Z"])
        try w.act("meeting.confirm_alternate", as: w.expert, onlyDate)
        try w.setClock("2030-03-21T12:00:00Z")
        XCTAssertEqual(try w.series(moving)["status"], "active", "its moved date is still to come")
        XCTAssertTrue(try listed("active").contains(moving))
        try w.setClock("2030-03-27T15:00:00Z")
        XCTAssertEqual(try w.series(moving)["status"], "finished")

        try w.setClock("2030-04-01T12:00:00Z")
        _ = try runJobs(w)
        XCTAssertEqual(try occurrences(try w.series(MeetingWorld.id(of: short))).count, 2, "a two-week series ends after two")
        let beyond = try refuseSkip(w, MeetingWorld.id(of: short), "2030-04-02", code: -32602)
        XCTAssertTrue(beyond["data"]?["reason"]?.string?.contains("every Tue from 2030-03-12 to 2030-03-19, 2 weeks") ?? false, "its end is said: \(beyond)")
        try w.assertReconciled()
    }

    /// Seed 001: every session's invitation says what the user wants to work through. The
    /// topic given to series.create goes with every occurrence, those made later by the jobs too.
    func testTheSeriesTopicGoesWithEveryOccurrence() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", ["topic": "Titration practice"])
        XCTAssertEqual(series["topic"], "Titration practice")
        XCTAssertEqual(series["agenda_answers"], [])
        try w.setClock("2030-03-11T12:00:00Z")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 1)
        let all = try occurrences(try w.series(MeetingWorld.id(of: series)))
        XCTAssertEqual(all.count, 3)
        for o in all { XCTAssertEqual(try w.meeting(o.meetingId)["topic"], "Titration practice", o.date) }
        XCTAssertEqual(try w.series(MeetingWorld.id(of: series))["topic"], "Titration practice", "read back from its sessions")
        _ = try w.drainOutbox()
        try w.act("meeting.confirm", as: w.expert, all[2].meetingId)
        let ics = try w.meetingd.result("meeting.calendar", as: w.user, ["meeting_id": .string(all[2].meetingId)])["ics"]?.string ?? ""
        XCTAssertTrue(ics.contains("Titration practice"), "the invitation says the topic: \(ics)")
        XCTAssertEqual(try w.meetingd.error("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": "2030-03-14T12:00:00Z",
            "location_id": .string(w.locationId), "agenda_answers": ["An answer to no question"],
        ], code: -32602)["data"]?["field"], "agenda_answers", "answers must match the service's questions")
    }

    /// The first occurrence is the booking asked for: if it cannot be booked, nothing is.
    func testTheFirstOccurrenceMustBeBookable() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let outside = try w.meetingd.error("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": "2030-03-06T23:00:00Z", "location_id": .string(w.locationId),
        ], code: 4011)
        XCTAssertEqual(outside["data"]?["code"], "slot_unavailable")
        let poor = try w.addUser(name: "poor", credits: 50)
        let broke = try w.meetingd.error("series.create", as: poor, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": "2030-03-06T10:00:00Z", "location_id": .string(w.locationId),
        ], code: 4020)
        XCTAssertEqual(broke["data"]?["code"], "insufficient_credits")
        // A time in the past is named by the series' own param, which a front end maps to its input.
        let past = try w.meetingd.error("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": "2030-03-01T10:00:00Z", "location_id": .string(w.locationId),
        ], code: -32602)
        XCTAssertEqual(past["data"]?["field"], "first_start", "\(past)")
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: w.expert, ["role": "expert"]), [], "no occurrence was left behind")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet())
        try w.assertReconciled()
    }

    // MARK: Skipping

    /// Skip rules (seed 001): a skipped session is cancelled with its credits returned; skip
    /// dates are listed, one at a time, only dates of the series, never twice, never in the
    /// past; the same day is fine until the session starts, and a pending session is skipped
    /// inside the cancellation window without a charge.
    func testSkipRules() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"])

        let skipped = try skip(w, id, "2030-03-06")
        let after = try occurrences(skipped)
        XCTAssertEqual(after.map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"])
        XCTAssertEqual(after.map(\.status), ["cancelled", "awaiting_approval", "awaiting_approval"])
        XCTAssertEqual(after.map(\.credit), ["returned", "blocked", "blocked"])
        XCTAssertEqual(skipped["next_occurrence"]?["date"], "2030-03-13")
        XCTAssertEqual(skipDates(skipped), ["2030-03-06"])
        XCTAssertEqual(try w.trail(after[0].meetingId), ["hold pending 100", "release void_pending 100"], "the skipped session's credits are returned")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 200))
        XCTAssertEqual(try w.timeline(after[0].meetingId).last, "occurrence_skipped_by_user")
        XCTAssertEqual(try w.drainedSummary().filter { $0.hasPrefix("occurrence_skipped") }, ["occurrence_skipped_by_user→expert", "occurrence_skipped_by_user→user"], "both sides are told")

        // Skipped already (again, or by a call that won a race): the series' state refuses it.
        XCTAssertEqual(try refuseSkip(w, id, "2030-03-06", code: 4009)["data"]?["status"], "skipped", "already a skip date")
        let thursday = try refuseSkip(w, id, "2030-03-14", code: -32602)["data"]
        XCTAssertEqual(thursday?["field"], "date", "a Thursday is not a date of this series")
        // Dates are the expert's: a user on another clock reads whose they are.
        XCTAssertTrue(thursday?["reason"]?.string?.hasSuffix(", dated on the expert's clock, UTC: a date on another clock may differ by a day)") ?? false,
                      "\(String(describing: thursday))")
        XCTAssertEqual(try refuseSkip(w, id, "2030-02-27", code: -32602)["data"]?["field"], "date", "before the series began")
        // A year ahead at most: every skip date is listed with the series (a thousand far ahead
        // passed its list's bound).
        XCTAssertTrue(try refuseSkip(w, id, "2031-03-12", code: -32602)["data"]?["reason"]?.string?.hasPrefix("is more than 366 days ahead") == true)
        try w.meetingd.error("series.skip", as: w.user, ["series_id": .string(id), "dates": ["2030-03-20", "2030-03-27"]], code: -32602)

        // On the day of the session, two hours ahead: allowed, nothing charged.
        try w.setClock("2030-03-13T08:00:00Z")
        let sameDay = try skip(w, id, "2030-03-13")
        let now = try occurrences(sameDay)
        let thirteenth = try XCTUnwrap(now.first { $0.date == "2030-03-13" })
        XCTAssertEqual(thirteenth.status, "cancelled")
        XCTAssertEqual(thirteenth.credit, "returned")
        XCTAssertEqual(try w.trail(thirteenth.meetingId), ["hold pending 100", "release void_pending 100"], "no late charge for a skip")
        XCTAssertEqual(skipDates(sameDay), ["2030-03-06", "2030-03-13"], "all skip dates are listed")
        XCTAssertEqual(sameDay["next_occurrence"]?["date"], "2030-03-20")

        // After the start, and for a date already gone, it is too late.
        let twentieth = try XCTUnwrap(now.first { $0.date == "2030-03-20" })
        assertMeeting(try w.act("meeting.confirm", as: w.expert, twentieth.meetingId), status: "agreed", credit: "blocked")
        try w.setClock("2030-03-20T10:30:00Z")
        XCTAssertEqual(try refuseSkip(w, id, "2030-03-20", code: 4012)["data"]?["code"], "meeting_started")
        XCTAssertEqual(try refuseSkip(w, id, "2030-03-13", code: -32602)["data"]?["field"], "date", "in the past")
        assertMeeting(try w.meeting(twentieth.meetingId), status: "agreed", credit: "blocked", "the started session keeps its hold")

        // A session that took place (logged and paid) is not skipped afterwards, even on its day.
        try w.setClock("2030-03-20T11:30:00Z")
        assertMeeting(try w.act("meeting.log_session", as: w.expert, twentieth.meetingId, ["attendance": "attended"]), status: "completed", credit: "paid")
        let done = try refuseSkip(w, id, "2030-03-20", code: 4009)
        XCTAssertEqual(done["data"]?["status"], "completed", "\(done)")
        XCTAssertEqual(skipDates(try w.series(id)), ["2030-03-06", "2030-03-13"], "no skip date was added")
        assertMeeting(try w.meeting(twentieth.meetingId), status: "completed", credit: "paid")
        try w.assertReconciled()
    }

    /// A session moved to a later day is skipped by its series date while it is still to come,
    /// though that date has passed; once it has started, the date is in the past.
    func testASessionMovedPastItsDateIsSkippedByThatDate() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let id = try MeetingWorld.id(of: create(w, firstStart: "2030-03-06T10:00:00Z"))
        let first = try XCTUnwrap(try occurrences(try w.series(id)).first { $0.date == "2030-03-06" })
        try w.act("meeting.reschedule", as: w.user, first.meetingId, ["start": "2030-03-08T10:00:00Z"])
        try w.setClock("2030-03-07T12:00:00Z")

        let skipped = try skip(w, id, "2030-03-06")
        let moved = try XCTUnwrap(try occurrences(skipped).first { $0.meetingId == first.meetingId })
        XCTAssertEqual(moved.status, "cancelled", "\(moved)")
        XCTAssertEqual(moved.credit, "returned")
        XCTAssertEqual(skipDates(skipped), ["2030-03-06"])
        XCTAssertEqual(try w.trail(first.meetingId), ["hold pending 100", "release void_pending 100"])

        // Another session moved ahead, skipped once it has started: too late.
        let second = try XCTUnwrap(try occurrences(skipped).first { $0.date == "2030-03-13" })
        try w.act("meeting.reschedule", as: w.user, second.meetingId, ["start": "2030-03-15T10:00:00Z"])
        try w.setClock("2030-03-15T10:30:00Z")
        XCTAssertEqual(try refuseSkip(w, id, "2030-03-13", code: -32602)["data"]?["field"], "date", "in the past once started")
        XCTAssertEqual(try w.meeting(second.meetingId)["status"], "awaiting_approval")
        try w.assertReconciled()
    }

    /// Seed 001's example: "skipping a 1/6/2023 session will create a new session for
    /// 1/13/23". With a short booking horizon only the upcoming session exists; skipping it
    /// cancels it (credits returned) and makes the next one, which is not itself a skip date.
    func testSkippingTheUpcomingSessionMakesTheNextOne() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 3])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06"], "one session within the 3-day horizon")

        let skipped = try skip(w, id, "2030-03-06")
        XCTAssertEqual(skipDates(skipped), ["2030-03-06"], "only the date skipped is a skip date: \(skipped["skip_dates"] ?? .null)")
        let after = try occurrences(skipped)
        XCTAssertEqual(after.map(\.date), ["2030-03-06", "2030-03-13"], "skipping 03-06 makes the session of 03-13")
        XCTAssertEqual(after.first?.credit, "returned")
        XCTAssertEqual(skipped["next_occurrence"]?["date"], "2030-03-13")

        // Whether made at once or when the horizon reaches it, 03-13 is a session of the series.
        try w.setClock("2030-03-10T12:00:00Z")
        _ = try runJobs(w)
        let later = try w.series(id)
        let laterOccurrences = try occurrences(later)
        XCTAssertTrue(laterOccurrences.contains { $0.date == "2030-03-13" && $0.status == "awaiting_approval" },
                      "the session of 03-13 exists: \(laterOccurrences)")
        XCTAssertEqual(skipDates(later), ["2030-03-06"])
        try w.assertReconciled()
    }

    /// A user whose credits cover one session at a time skips it: the next date is booked with
    /// the credits the skip returned, not refused for the balance before it.
    func testTheSkipsReturnedCreditsPayForTheNextSession() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 3])
        let user = try w.addUser(name: "One Session", credits: MeetingWorld.price)
        let id = try MeetingWorld.id(of: create(w, firstStart: "2030-03-06T10:00:00Z", by: user))
        let skipped = try skip(w, id, "2030-03-06", as: user)
        let after = try occurrences(skipped)
        XCTAssertEqual(after.map(\.date), ["2030-03-06", "2030-03-13"], "\(skipped)")
        XCTAssertEqual(after.map(\.credit), ["returned", "blocked"])
        XCTAssertEqual(skipDates(skipped), ["2030-03-06"], "03-13 is booked, not listed as not booked: \(skipped["skip_dates"] ?? .null)")
        XCTAssertEqual(try w.drainedSummary().filter { $0.hasPrefix("series_date_not_booked") }, [], "nobody is told of a shortage there is not")
        try w.assertReconciled()
    }

    /// SPEC 5.3: a skip "creates the next upcoming occurrence". A date the series could not book
    /// for the user's credits is booked by the skip with the credits it returned, not left
    /// listed as not booked until the scheduler's next run; the date skipped is not booked again.
    func testASkipBooksTheDateNotBookedForCreditsWithWhatItReturned() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let tight = try w.addUser(name: "tight", credits: 250)
        let id = try MeetingWorld.id(of: try create(w, firstStart: "2030-03-06T10:00:00Z", by: tight))
        XCTAssertEqual(skipDates(try w.series(id)), ["2030-03-20"], "two sessions' credits: the third week is not booked")
        let skipped = try skip(w, id, "2030-03-13", as: tight)
        let after = try occurrences(skipped)
        XCTAssertEqual(after.map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"], "\(skipped)")
        XCTAssertEqual(after.map(\.credit), ["blocked", "returned", "blocked"], "03-20 holds what 03-13 gave back")
        XCTAssertEqual(skipped["skip_dates"]?.array?.map { "\($0["date"]?.string ?? "") \($0["reason"]?.string ?? "")" }, ["2030-03-13 skipped by user"])
        // The user is told the date once not booked is booked now, as the scheduler's retry tells it.
        let booked = try w.drainRaw().filter { $0["kind"] == "series_date_booked" }
        XCTAssertEqual(booked.compactMap { $0["recipient_id"]?.string }, [tight], "\(booked)")
        XCTAssertEqual(booked.first?["payload"]?["date"], "2030-03-20")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "nothing was left for the scheduler")
        try w.assertReconciled()
    }

    /// README, "Admins: booking for a user": `series.create` with `user_id` books for that user as
    /// `meeting.request` does: the timeline says an admin asked for it, and the user is told. An
    /// admin's skip is the admin's, not the user's.
    func testAnAdminBooksAndSkipsASeriesForTheUser() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 10])
        _ = try w.drainOutbox()
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", by: w.admin, ["user_id": .string(w.user), "weeks": 2])
        let id = try MeetingWorld.id(of: series)
        let first = try XCTUnwrap(try occurrences(series).first)
        let opening = try w.timelineEvents(first.meetingId).first
        XCTAssertEqual(opening?["kind"], "requested_for_user")
        XCTAssertEqual(opening?["actor_role"], "admin")
        XCTAssertEqual(opening?["actor_id"]?.string, w.admin)
        XCTAssertEqual(try w.drainedSummary(), ["meeting_booked_for_user→user", "meeting_booked_for_user→user", "meeting_request→expert", "meeting_request→expert"],
                       "each date booked is told to both sides")

        let skipped = try skip(w, id, "2030-03-06", as: w.admin)
        XCTAssertEqual(skipped["skip_dates"]?.array?.first?["reason"], "skipped by admin")
        let ending = try XCTUnwrap(try w.timelineEvents(first.meetingId).last)
        XCTAssertEqual(ending["actor_role"], "admin", "\(ending)")
        XCTAssertEqual(ending["actor_id"]?.string, w.admin)

        // A date the admin's skip books (none was ahead within a 3-day horizon) is the admin's too.
        let near = try MeetingWorld(self, label: #function + "-near", settings: ["horizon_days": 3])
        let nearId = try MeetingWorld.id(of: try create(near, firstStart: "2030-03-06T10:00:00Z", by: near.admin, ["user_id": .string(near.user)]))
        _ = try near.drainOutbox()
        let next = try XCTUnwrap(try occurrences(try skip(near, nearId, "2030-03-06", as: near.admin)).first { $0.date == "2030-03-13" })
        let booked = try near.timelineEvents(next.meetingId).first
        XCTAssertEqual(booked?["kind"], "requested_for_user", "\(booked ?? .null)")
        XCTAssertEqual(booked?["actor_role"], "admin")
        XCTAssertTrue(try near.drainedSummary().contains("meeting_booked_for_user→user"), "the user is told of the date booked for them")
        try w.assertReconciled()
        try near.assertReconciled()
    }

    /// "If you are skipping a session that is more than a week out [...] you will see the Skip
    /// Session page with the date listed as a current skip date" (seed 001): a date beyond the
    /// horizon is listed and never booked, while the dates before and after it are booked as
    /// the horizon reaches them.
    func testSkippingADateBeyondTheHorizonKeepsTheDatesAroundIt() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 20])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"])

        _ = try w.drainOutbox()
        let skipped = try skip(w, id, "2030-04-10")
        XCTAssertEqual(skipDates(skipped), ["2030-04-10"], "only the date asked for is listed")
        XCTAssertEqual(try occurrences(skipped).map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20"], "nothing new is booked ahead of the horizon")
        // Seed 001: "you will be notified that the session has been canceled and removed from
        // your calendar"; the expert learns of it too (nothing else tells them: no meeting yet).
        let told = try w.drainRaw().filter { $0["kind"] == "series_date_skipped" }
        XCTAssertEqual(told.compactMap { $0["recipient_id"]?.string }.sorted(), [w.user, w.expert].sorted())
        let toUser = try XCTUnwrap(told.first { $0["recipient_id"]?.string == w.user }?["rendered"]?["text"]?.string)
        XCTAssertTrue(toUser.contains("You skipped the weekly session on Wed 10 Apr 2030"), toUser)
        let toExpert = try XCTUnwrap(told.first { $0["recipient_id"]?.string == w.expert }?["rendered"]?["text"]?.string)
        let userName = try w.meetingd.result("person.get", as: w.admin, ["person_id": .string(w.user)])
        XCTAssertTrue(toExpert.contains("\(userName["first_name"]?.string ?? "?") \(userName["last_name"]?.string ?? "?") skipped the weekly session on"), toExpert)

        try w.setClock("2030-03-20T12:00:00Z")  // the horizon reaches 2030-04-09
        _ = try runJobs(w)
        try w.setClock("2030-04-01T12:00:00Z")  // the horizon reaches 2030-04-21
        _ = try runJobs(w)
        let later = try w.series(id)
        XCTAssertEqual(try occurrences(later).map(\.date), ["2030-03-06", "2030-03-13", "2030-03-20", "2030-03-27", "2030-04-03", "2030-04-17"],
                       "03-27, 04-03 and 04-17 are booked; 04-10 is not")
        XCTAssertEqual(skipDates(later), ["2030-04-10"])
        try w.assertReconciled()
    }

    /// The expert may skip a session too (seed 001, note 3): the user is told, the calendar
    /// event of an agreed session is removed, the credits are returned.
    func testTheExpertSkipsASession() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 10, "auto_accept": true])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        let made = try occurrences(series)
        XCTAssertEqual(made.map(\.status), ["agreed", "agreed"], "auto-accept agrees each occurrence")
        _ = try w.drainOutbox()

        // The session is agreed and starts within 48 hours: the expert confirms, as for a cancel.
        let late = try refuseSkip(w, id, "2030-03-06", as: w.expert, code: 4013)
        XCTAssertEqual(late["data"]?["consequences"], "The user's credits will be returned.")
        XCTAssertTrue(late["message"]?.string?.hasSuffix("Pass confirm_late: true to go ahead anyway") == true, "a skip, not a cancel: \(late)")
        XCTAssertEqual(try occurrences(try w.series(id)).map(\.status), ["agreed", "agreed"], "nothing skipped without confirmation")
        XCTAssertEqual(try w.drainedSummary(), [])
        let skipped = try skip(w, id, "2030-03-06", as: w.expert, confirmLate: true)
        XCTAssertEqual(try occurrences(skipped).map(\.status), ["cancelled", "agreed"])
        XCTAssertEqual(skipDates(skipped), ["2030-03-06"])
        XCTAssertEqual(skipped["skip_dates"]?[0]?["reason"], "skipped by expert")
        XCTAssertEqual(try w.drainedSummary(), MeetingWorld.withInvites(["occurrence_skipped_by_expert→user", "occurrence_skipped_by_expert→expert", "video.cancel→video"]),
                       "the user is told and both calendars drop the event")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100))

        let stranger = try w.addUser(name: "stranger")
        try refuseSkip(w, id, "2030-03-13", as: stranger, code: 4003)
        try w.meetingd.error("series.get", as: stranger, ["series_id": .string(id)], code: 4003)
        let refused = try w.meetingd.error("series.cancel", as: stranger, ["series_id": .string(id), "reason_code": "other"], code: 4003)
        XCTAssertEqual(refused["message"], "Forbidden: only the series' user or expert (or an admin) may do this", "its expert may too")
        XCTAssertEqual(try w.meetingd.result("series.get", as: w.expert, ["series_id": .string(id)])["id"]?.string, id, "the expert sees the series")
        try w.assertReconciled()
    }

    /// Skip dates are the expert's local dates: a Kolkata session at 01:00 on Wednesdays is on
    /// Tuesday evening in UTC, and is skipped by its Wednesday.
    func testSkipDatesAreTheExpertsLocalDates() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let kolkata = try w.addScheduledExpert(firstName: "Ravi", timeZone: "Asia/Kolkata", services: [w.serviceId],
                                               rules: [weeklyRule(3, "00:00", "03:00", at: [w.locationId])])
        let firstStart = try PythonReference.utc("Asia/Kolkata", "2030-03-06", "01:00")
        XCTAssertEqual(firstStart, "2030-03-05T19:30:00Z")
        let series = try create(w, firstStart: firstStart, expert: kolkata)
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.date), ["2030-03-06", "2030-03-13"], "local Wednesdays")
        XCTAssertEqual(try occurrences(series).map(\.start), [firstStart, "2030-03-12T19:30:00Z"])
        XCTAssertEqual(try refuseSkip(w, id, "2030-03-12", code: -32602)["data"]?["field"], "date", "the UTC date is not the session's date")
        XCTAssertEqual(try occurrences(try skip(w, id, "2030-03-13")).map(\.status), ["awaiting_approval", "cancelled"])
        try w.assertReconciled()
    }

    // MARK: Daylight saving time

    /// An expert in New York, a series every Thursday at 10:00 there: 15:00 UTC before the
    /// change of 2030-03-10, 14:00 UTC after it, and back to 15:00 after 2030-11-03 (zoneinfo
    /// is the reference). Each occurrence holds its own credits.
    /// A series whose last date falls in the hour New York repeats (01:30 on 3 November 2030)
    /// is booked at the first 01:30 (EDT, 05:30Z) and finished once that date has ended, not an
    /// hour later as the second 01:30 would have it.
    func testASeriesEndingInARepeatedHourFinishesWhenItsLastDateEnds() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 30])
        let ny = try w.addScheduledExpert(firstName: "Nell", timeZone: "America/New_York", services: [w.serviceId],
                                          rules: [weeklyRule(7, "00:00", "03:00", at: [w.locationId])])
        try w.setClock("2030-10-21T12:00:00Z")
        let series = try create(w, firstStart: "2030-10-27T05:30:00Z", expert: ny, ["weeks": 2])
        XCTAssertEqual(try occurrences(series).map(\.start), ["2030-10-27T05:30:00Z", "2030-11-03T05:30:00Z"], "01:30 EDT both weeks")
        let id = try MeetingWorld.id(of: series)
        try w.setClock("2030-11-03T06:29:00Z")
        XCTAssertEqual(try w.series(id)["status"], "active", "its last date has not ended")
        try w.setClock("2030-11-03T06:30:00Z")
        XCTAssertEqual(try w.series(id)["status"], "finished")
    }

    func testTheWallClockTimeIsKeptAcrossDaylightSavingChanges() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 30])
        let ny = try w.addScheduledExpert(firstName: "Nora", timeZone: "America/New_York", services: [w.serviceId],
                                          rules: [weeklyRule(4, "09:00", "12:00", at: [w.locationId])])
        try w.grant(w.user, 500)
        let spring = ["2030-03-07", "2030-03-14", "2030-03-21", "2030-03-28"], autumn = ["2030-10-24", "2030-10-31", "2030-11-07", "2030-11-14"]
        let reference = try PythonReference.utc((spring + autumn).map { ("America/New_York", $0, "10:00") })
        XCTAssertEqual(reference[0], "2030-03-07T15:00:00Z")
        XCTAssertEqual(reference[1], "2030-03-14T14:00:00Z")
        XCTAssertEqual(reference[5], "2030-10-31T14:00:00Z")
        XCTAssertEqual(reference[6], "2030-11-07T15:00:00Z")

        let march = try create(w, firstStart: reference[0], expert: ny, ["weeks": 4])
        XCTAssertEqual(march["time_zone"], "America/New_York")
        XCTAssertEqual(march["local_time"], "10:00")
        let first = try occurrences(march)
        XCTAssertEqual(first.map(\.date), spring)
        XCTAssertEqual(first.map(\.start), Array(reference[0..<4]), "10:00 in New York every week")
        for o in first { XCTAssertEqual(try w.trail(o.meetingId), ["hold pending 100"], o.date) }

        try w.setClock("2030-10-21T12:00:00Z")
        _ = try runJobs(w)  // the March requests were never answered: they expire and return their credits
        let october = try create(w, firstStart: reference[4], expert: ny, ["weeks": 4])
        let second = try occurrences(october)
        XCTAssertEqual(second.map(\.date), autumn)
        XCTAssertEqual(second.map(\.start), Array(reference[4..<8]))
        XCTAssertEqual(try w.wallet().blocked, 400, "four holds, one per occurrence")
        try w.assertReconciled()
    }

    // MARK: Cancelling

    /// "Canceling a weekly appointment will cancel all future weekly appointments as well"
    /// (seeds 000, 001): every future occurrence, agreed or waiting, is cancelled with its
    /// credits returned; a session that took place stays; no more occurrences are made.
    func testCancellingTheSeriesCancelsEveryFutureOccurrence() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        let made = try occurrences(series)
        for o in made.prefix(2) { try w.act("meeting.confirm", as: w.expert, o.meetingId) }
        try w.setClock("2030-03-06T11:05:00Z")
        assertMeeting(try w.act("meeting.log_session", as: w.expert, made[0].meetingId, ["attendance": "attended"]), status: "completed", credit: "paid")
        _ = try w.drainOutbox()

        XCTAssertEqual(try w.meetingd.error("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "bored"], code: -32602)["data"]?["field"],
                       "reason_code")
        XCTAssertEqual(try occurrences(try w.series(id)).map(\.status), ["completed", "agreed", "awaiting_approval"], "a refused cancel changes nothing")

        let cancelled = try w.meetingd.result("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "schedule_conflict"])
        XCTAssertEqual(cancelled["status"], "cancelled")
        let after = try occurrences(cancelled)
        XCTAssertEqual(after.map(\.status), ["completed", "cancelled", "cancelled"])
        XCTAssertEqual(after.map(\.credit), ["paid", "returned", "returned"])
        XCTAssertEqual(cancelled["next_occurrence"], .null)
        XCTAssertEqual(try w.trail(after[1].meetingId), ["hold pending 100", "release void_pending 100"])
        XCTAssertEqual(try w.trail(after[2].meetingId), ["hold pending 100", "release void_pending 100"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        let messages = try w.drainOutbox()
        let told = w.summary(messages).sorted()
        // Each side is told once (seeds 000, 001: "Your session has been cancelled"), of the
        // first date and the later one with it: a message per date sent a series booked a year
        // ahead 52 to each side.
        XCTAssertEqual(told.filter { $0.hasPrefix("cancellation_by_user") }, ["cancellation_by_user→expert", "cancellation_by_user→user"], "\(told)")
        // Told as the series' end, with its reason; no note, as nobody wrote one (it read "Note
        // from …: series cancelled").
        for text in messages.filter({ $0.kind == "cancellation_by_user" }).compactMap({ $0.raw["rendered"]?["text"]?.string }) {
            XCTAssertTrue(text.contains("The weekly series is cancelled with it, and so is its 1 later date. Reason: Schedule conflict."), text)
            XCTAssertFalse(text.contains("note") || text.contains("Note"), text)
        }
        let toUser = try XCTUnwrap(messages.first { $0.kind == "cancellation_by_user" && $0.recipientId == w.user })
        XCTAssertTrue(
            toUser.raw["rendered"]?["text"]?.string?.contains("The credits held for it were returned. The 100 credits held for the later date were returned.") ?? false,
            "\(toUser.raw)")
        XCTAssertFalse(told.contains { $0.hasPrefix("occurrence_skipped") }, "a cancelled series is told as cancelled, not skipped: \(told)")
        for o in after[1...] {
            let ended = try XCTUnwrap(try w.timelineEvents(o.meetingId).last)
            XCTAssertEqual(ended["kind"], "cancelled_by_user", "\(o)")
            XCTAssertEqual(ended["reason_code"], "schedule_conflict", "\(o)")
            XCTAssertEqual(ended["note"], .null, "\(o)")
        }
        XCTAssertEqual(told.filter { $0.hasPrefix("calendar.invite") }.count, 2, "the agreed session leaves both calendars: \(told)")

        try w.setClock("2030-03-20T12:00:00Z")
        XCTAssertEqual(try runJobs(w)["series_occurrences_created"], 0, "a cancelled series makes no more occurrences")
        XCTAssertEqual(try occurrences(try w.series(id)).count, 3)
        try refuseSkip(w, id, "2030-03-27", code: 4009)
        try w.meetingd.error("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "other"], code: 4009)
        try w.assertReconciled()
    }

    /// Cancelling a series' last date with meeting.cancel ends the series too, and both sides
    /// read so (the messages said only that the meeting was cancelled).
    func testCancellingTheLastDateTellsTheSeriesEndsWithIt() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", ["weeks": 2])
        let made = try occurrences(series)
        for o in made { try w.act("meeting.confirm", as: w.expert, o.meetingId) }
        _ = try w.drainOutbox()
        let cancelled = try w.act("meeting.cancel", as: w.user, made[1].meetingId, ["reason_code": "other", "note": "Moving away"])
        XCTAssertEqual(cancelled["series_status"], "cancelled")
        XCTAssertEqual(cancelled["cancelled_occurrences"], [])
        let told = try w.drainOutbox().filter { $0.kind == "cancellation_by_user" }
        XCTAssertEqual(told.count, 2, "\(told.map(\.raw))")
        for text in told.compactMap({ $0.raw["rendered"]?["text"]?.string }) {
            XCTAssertTrue(text.contains("The weekly series is cancelled with it. Reason: Other."), text)
        }
        let ended = try XCTUnwrap(try w.timelineEvents(made[1].meetingId).last)
        XCTAssertEqual(ended["details"]?["series_cancelled"], true)
        XCTAssertEqual(ended["note"], "Moving away", "the note its person wrote stays")
    }

    /// The late-cancel warning says what the step costs: with two agreed dates inside a 10-day
    /// window, both charged when confirmed, it names both charges, not the first one's alone;
    /// the same from meeting.cancel on the first date, which ends the series with it.
    func testTheLateCancelWarningNamesEveryDateItCharges() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 21, "cancellation_window_hours": 240])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z", ["weeks": 3])
        let id = try MeetingWorld.id(of: series)
        let made = try occurrences(series)
        for o in made { try w.act("meeting.confirm", as: w.expert, o.meetingId) }
        let walletBefore = try w.wallet()

        let warned = try w.meetingd.error("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "other"], code: 4013)
        XCTAssertEqual(warned["data"]?["consequences"],
                       "2 of the dates start within the window: their 200 credits will be charged. Its 1 other date is cancelled too, and the credits held for it returned.",
                       "\(warned)")
        let fromTheFirst = try w.meetingd.error("meeting.cancel", as: w.user, ["meeting_id": .string(made[0].meetingId), "reason_code": "other"], code: 4013)
        XCTAssertEqual(fromTheFirst["data"]?["consequences"],
                       "2 of the dates start within the window: their 200 credits will be charged. The weekly series is cancelled with it, and so are its 2 later dates.")
        let byExpert = try w.meetingd.error("series.cancel", as: w.expert, ["series_id": .string(id), "reason_code": "other"], code: 4013)
        XCTAssertEqual(byExpert["data"]?["consequences"],
                       .string("2 of the dates start within the window: the user's credits for them will be returned. "
                        + "Its 1 other date is cancelled too, and the credits held for it returned."))
        XCTAssertEqual(try w.wallet(), walletBefore, "a warning changes nothing")

        XCTAssertEqual(walletBefore, MeetingWorld.wallet(blocked: 300))
        try w.meetingd.result("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "other", "confirm_late": true])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 200), "what the warning said: 200 charged, the third date's 100 returned")
        try w.assertReconciled()
    }

    /// The reason must come from the community's list whatever the occurrences' state, even
    /// when none of them is agreed yet.
    func testCancellingTheSeriesNeedsAReasonFromTheList() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 14])
        let series = try create(w, firstStart: "2030-03-06T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.status), ["awaiting_approval", "awaiting_approval"])
        let answer = try w.meetingd.call("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "bored-of-it"])
        XCTAssertEqual(answer["error"]?["code"], -32602, "an unknown reason is refused: \(answer)")
        XCTAssertEqual(answer["error"]?["data"]?["field"], "reason_code")
        XCTAssertEqual(try w.series(id)["status"], "active", "nothing cancelled")
        XCTAssertEqual(try occurrences(try w.series(id)).map(\.status), ["awaiting_approval", "awaiting_approval"])
    }

    /// Skipping an agreed session ends it on a cancel's terms, so a skip is no way around the
    /// late-cancellation charge: outside the window its credits are returned; inside it the user
    /// confirms with confirm_late (nothing changes without it) and is charged as meeting.cancel
    /// would charge, fee included.
    func testSkippingAnAgreedSessionLateIsChargedAsALateCancel() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 10, "auto_accept": true, "user_late_cancel_charge_percent": 50])
        let series = try create(w, firstStart: "2030-03-05T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        let made = try occurrences(series)
        XCTAssertEqual(made.map(\.status), ["agreed", "agreed"])
        _ = try w.drainOutbox()

        // 2030-03-12 is a week away: returned without a question.
        let early = try skip(w, id, "2030-03-12")
        XCTAssertEqual(try occurrences(early).map(\.credit), ["blocked", "returned"])
        XCTAssertEqual(try w.trail(made[1].meetingId), ["hold pending 100", "release void_pending 100"])

        // 2030-03-05 starts within 48 hours of the clock (2030-03-04 12:00).
        let late = try refuseSkip(w, id, "2030-03-05", code: 4013)
        XCTAssertEqual(late["data"]?["consequences"], "50 of the 100 credits will be charged and the rest returned.")
        assertMeeting(try w.meeting(made[0].meetingId), status: "agreed", credit: "blocked", "nothing changes without confirm_late")
        XCTAssertEqual(skipDates(try w.series(id)), ["2030-03-12"])
        let confirmed = try skip(w, id, "2030-03-05", confirmLate: true)
        // No session is left ahead, so the next date is made (seed 001), holding its price.
        XCTAssertEqual(try occurrences(confirmed).map(\.credit), ["paid", "returned", "blocked"])
        XCTAssertEqual(confirmed["next_occurrence"]?["date"], "2030-03-19")
        XCTAssertEqual(try w.trail(made[0].meetingId), ["hold pending 100", "capture post_pending 50", "fee posted 5"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100, spent: 50))
        XCTAssertEqual(skipDates(confirmed), ["2030-03-05", "2030-03-12"])
        try w.assertReconciled()
    }

    /// The cancellation rules apply to each occurrence: an agreed one inside the window needs
    /// confirm_late (nothing changes without it), and is then charged as a late cancellation.
    func testCancellingTheSeriesInsideTheWindowNeedsConfirmation() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 10, "auto_accept": true])
        let series = try create(w, firstStart: "2030-03-05T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        let made = try occurrences(series)
        XCTAssertEqual(made.map(\.status), ["agreed", "agreed"])
        let late = try w.meetingd.error("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "illness"], code: 4013)
        XCTAssertEqual(late["data"]?["code"], "late_cancellation_requires_confirmation")
        XCTAssertEqual(try occurrences(try w.series(id)).map(\.status), ["agreed", "agreed"], "nothing cancelled without confirmation")
        XCTAssertEqual(try w.series(id)["status"], "active")

        let cancelled = try w.meetingd.result("series.cancel", as: w.user, ["series_id": .string(id), "reason_code": "illness", "confirm_late": true])
        XCTAssertEqual(try occurrences(cancelled).map(\.credit), ["paid", "returned"], "the late one is charged, the other returned")
        XCTAssertEqual(try w.trail(made[0].meetingId), ["hold pending 100", "capture post_pending 100", "fee posted 10"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(spent: 100))
        try w.assertReconciled()
    }

    /// Seed 000 is the expert's article: "Canceling a weekly appointment will cancel all future
    /// weekly appointments as well." The expert cancels the series; every future occurrence is
    /// cancelled and its credits returned (an expert's cancellation never charges the user).
    func testTheExpertCancelsTheSeries() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["horizon_days": 10, "auto_accept": true])
        let series = try create(w, firstStart: "2030-03-07T10:00:00Z")
        let id = try MeetingWorld.id(of: series)
        XCTAssertEqual(try occurrences(series).map(\.status), ["agreed", "agreed"])
        let cancelled = try w.meetingd.result("series.cancel", as: w.expert, ["series_id": .string(id), "reason_code": "illness"])
        XCTAssertEqual(cancelled["status"], "cancelled")
        XCTAssertEqual(try occurrences(cancelled).map(\.status), ["cancelled", "cancelled"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet())
        try w.assertReconciled()
    }
}
