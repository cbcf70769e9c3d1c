import Foundation
import XCTest

/// `meeting.list` (awaiting the actor's action first, then by start; keyset pages) for both
/// roles, and who may see or act on a meeting (SPEC §6 authorization).
final class MeetingListAccessTests: EndToEndTestCase {
    struct Calendar {
        let w: MeetingWorld
        let otherExpert: String
        /// Meeting ids by name.
        let ids: [String: String]
        func names(_ items: [JSONValue]) -> [String] {
            let byId = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
            return items.map { byId[$0["id"]?.string ?? ""] ?? "?" }
        }
    }

    /// One user and one expert with meetings in every situation:
    /// cancelled (day 4), rejected (day 5), a request waiting for the expert (day 7), agreed
    /// (day 8), the expert's proposal waiting for the user (day 9), agreed with the expert's
    /// alternate (day 10), agreed with the user's alternate (day 11), another request (day 12),
    /// and two requests at the same time with two experts (day 13).
    func calendar(_ label: String) throws -> Calendar {
        let w = try MeetingWorld(self, label: label)
        try w.grant(w.user, 1000)
        let otherExpert = try w.addExpert(name: "other expert")
        var ids: [String: String] = [:]
        func at(_ day: Int) -> String { MeetingTime.at(day: day, hour: 10) }
        ids["cancelled"] = try w.agreed(start: at(4))
        try w.act("meeting.cancel", as: w.user, ids["cancelled"]!, ["reason_code": "other"])
        ids["rejected"] = try MeetingWorld.id(of: w.request(start: at(5)))
        try w.act("meeting.decline", as: w.expert, ids["rejected"]!, ["reason_code": "schedule_conflict"])
        ids["request"] = try MeetingWorld.id(of: w.request(start: at(7)))
        ids["agreed"] = try w.agreed(start: at(8))
        ids["proposal"] = try MeetingWorld.id(of: w.propose(start: at(9)))
        ids["expert alternate"] = try w.agreed(start: at(10))
        try w.act("meeting.reschedule", as: w.expert, ids["expert alternate"]!, ["start": .string(MeetingTime.at(day: 20, hour: 10))])
        ids["user alternate"] = try w.agreed(start: at(11))
        try w.act("meeting.reschedule", as: w.user, ids["user alternate"]!, ["start": .string(MeetingTime.at(day: 21, hour: 10))])
        ids["late request"] = try MeetingWorld.id(of: w.request(start: at(12)))
        ids["twin 1"] = try MeetingWorld.id(of: w.request(start: at(13)))
        ids["twin 2"] = try MeetingWorld.id(of: w.request(start: at(13), expert: otherExpert))
        return Calendar(w: w, otherExpert: otherExpert, ids: ids)
    }

    /// Every page of `meeting.list` with `limit`, checking page sizes and cursors.
    func pages(_ w: MeetingWorld, as actor: String, _ params: [String: JSONValue], limit: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: JSONValue? = nil
        for _ in 0..<50 {
            var p = params
            p["limit"] = .int(limit)
            if let cursor { p["cursor"] = cursor }
            let page = try w.meetingd.result("meeting.list", as: actor, p)
            let pageItems = page["items"]?.array ?? []
            XCTAssertLessThanOrEqual(pageItems.count, Int(limit), file: file, line: line)
            items += pageItems
            guard let next = page["next_cursor"], next != .null else { return items }
            XCTAssertEqual(pageItems.count, Int(limit), "only the last page is short", file: file, line: line)
            cursor = next
        }
        throw HarnessError("meeting.list did not end after 50 pages")
    }

    func testTheUsersListPutsTheirPendingAnswersFirstAndPagesByKeyset() throws {
        let c = try calendar(#function)
        let w = c.w
        let expected = ["proposal", "expert alternate", "cancelled", "rejected", "request", "agreed", "user alternate", "late request"]
        let whole = try w.meetingd.result("meeting.list", as: w.user, ["role": "user"])
        let wholeNames = c.names(whole["items"]?.array ?? [])
        XCTAssertEqual(Array(wholeNames.prefix(expected.count)), expected, "awaiting the user first, then by start")
        XCTAssertEqual(Set(wholeNames.suffix(2)), ["twin 1", "twin 2"], "same start: both, ordered by id")
        XCTAssertEqual(whole["next_cursor"], .null)
        let awaiting = (whole["items"]?.array ?? []).map { $0["awaiting_action_by"]?.string }
        XCTAssertEqual(Array(awaiting.prefix(2)), ["user", "user"])
        for limit: Int64 in [1, 2, 3, 4] {
            let paged = try pages(w, as: w.user, ["role": "user"], limit: limit)
            XCTAssertEqual(c.names(paged), wholeNames, "pages of \(limit) give the same list")
        }
        let agreed = try w.meetingd.allPages("meeting.list", as: w.user, ["role": "user", "status": "agreed"])
        XCTAssertEqual(c.names(agreed), ["expert alternate", "agreed", "user alternate"])
        let window = try w.meetingd.allPages("meeting.list", as: w.user, [
            "role": "user", "from": .string(MeetingTime.at(day: 7, hour: 0)), "to": .string(MeetingTime.at(day: 9, hour: 0)),
        ])
        XCTAssertEqual(c.names(window), ["request", "agreed"])
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: w.user, ["role": "expert"]).count, 0, "the user is no one's expert")
    }

    /// A person's list (the user's by default) paged `limit` meetings at a time: the ids of the
    /// pages read until `cursor` ends (nil: from the first page) or `pages` of them are read;
    /// the cursor left.
    func page(_ w: MeetingWorld, as reader: String? = nil, limit: Int64 = 1, from cursor: JSONValue? = nil, pages: Int = .max) throws
        -> (ids: [String], cursor: JSONValue?)
    {
        var (ids, cursor, read) = ([String](), cursor, 0)
        repeat {
            let params: [String: JSONValue] = ["limit": .int(limit)].merging(cursor.map { ["cursor": $0] } ?? [:]) { a, _ in a }
            let page = try w.meetingd.result("meeting.list", as: reader ?? w.user, params)
            ids += (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
            (cursor, read) = (page["next_cursor"], read + 1)
        } while cursor != nil && cursor != .null && read < pages
        return (ids, cursor)
    }

    /// A meeting that comes to wait for the user while they page (the expert proposes a new
    /// date for one further down) is still listed: after the others, with its new state, not
    /// in the top group the pages have already passed.
    func testAMeetingThatComesToWaitForTheUserWhilePagingIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let agreed = try [7, 14, 21].map { try w.agreed(start: MeetingTime.at(day: $0, hour: 10)) }
        let first = try page(w, pages: 1)
        XCTAssertEqual(first.ids, [agreed[0]])
        try w.act("meeting.reschedule", as: w.expert, agreed[2], ["start": .string(MeetingTime.at(day: 22, hour: 10))])
        XCTAssertEqual(first.ids + (try page(w, from: first.cursor).ids), agreed, "every meeting once, the changed one after the others")
        let fresh = try w.meetingd.result("meeting.list", as: w.user, [:])["items"]?.array?.compactMap { $0["id"]?.string }
        XCTAssertEqual(fresh, [agreed[2], agreed[0], agreed[1]], "a new listing puts it first, awaiting the user")
    }

    /// A meeting further down the list that is moved to a date the pages have already passed
    /// (a new date proposed and accepted while the user pages) is still listed, once.
    func testAMeetingMovedBehindThePagesReadIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let agreed = try [7, 14, 21].map { try w.agreed(start: MeetingTime.at(day: $0, hour: 10)) }
        let read = try page(w, pages: 2)
        XCTAssertEqual(read.ids, [agreed[0], agreed[1]])
        try w.act("meeting.reschedule", as: w.expert, agreed[2], ["start": .string(MeetingTime.at(day: 8, hour: 10))])
        try w.act("meeting.confirm_alternate", as: w.user, agreed[2])
        XCTAssertEqual(try w.meeting(agreed[2])["start"]?.string, MeetingTime.at(day: 8, hour: 10), "moved before the second")
        XCTAssertEqual(read.ids + (try page(w, from: read.cursor).ids), agreed, "every meeting listed once")
    }

    /// A step whose writes are held open (played by psql: the meeting moved and its timeline
    /// event written, numbered before the event of a later step that commits first), begun
    /// before a page was read and committed after it.
    func holdMove(_ w: MeetingWorld, _ meeting: String, days: Int) throws -> PsqlSession {
        let writer = try PsqlSession(databaseURL)
        let community = Psql.literal(w.community.id), moved = Psql.literal(meeting)
        let event = Psql.literal("evt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
        try writer.query("""
            BEGIN;
            UPDATE meetings SET start_at = start_at - interval '\(days) days', end_at = end_at - interval '\(days) days'
             WHERE community_id = \(community) AND id = \(moved);
            INSERT INTO meeting_events (community_id, id, meeting_id, kind, actor_role, created_at)
            VALUES (\(community), \(event), \(moved), 'alternate_accepted', 'system', now());
            """)
        return writer
    }

    /// A change committing after the first page, in a transaction that began before it, still
    /// moves its meeting after the others: by event numbers the first page had read past it
    /// (a later step committed first), and the meeting, moved before the pages, was skipped.
    func testAChangeCommittingAfterTheFirstPageIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let agreed = try [7, 14, 21].map { try w.agreed(start: MeetingTime.at(day: $0, hour: 10)) }
        let other = try w.agreed(start: MeetingTime.at(day: 28, hour: 10))
        let writer = try holdMove(w, agreed[2], days: 15)
        defer { writer.close() }
        try w.act("meeting.set_video_link", as: w.admin, other, ["url": "https://video.example/late"])
        let first = try page(w, pages: 1)
        XCTAssertEqual(first.ids, [agreed[0]])
        try writer.query("COMMIT;")
        XCTAssertEqual(try w.meeting(agreed[2])["start"]?.string, MeetingTime.at(day: 6, hour: 10), "moved before the first")
        let all = first.ids + (try page(w, from: first.cursor).ids)
        XCTAssertEqual(all, [agreed[0], agreed[1], other, agreed[2]], "every meeting once, the moved one after the others")
    }

    /// Among the meetings changed while the list is paged, a new one whose step commits after
    /// later changes were read is not skipped either (psql plays the step held open: a copy of
    /// a meeting a week later, with its event): it comes in a round of its own. By event numbers
    /// it came before the change already listed, and was never listed.
    func testANewMeetingCommittingAfterALaterChangeWasListedIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let agreed = try [7, 14, 21, 28].map { try w.agreed(start: MeetingTime.at(day: $0, hour: 10)) }
        let first = try page(w, pages: 1)
        XCTAssertEqual(first.ids, [agreed[0]])
        let writer = try PsqlSession(databaseURL)
        defer { writer.close() }
        let community = Psql.literal(w.community.id)
        let hex = { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
        let copy = "mtg_" + hex()
        let moved = #"{"id": "\#(copy)", "start_at": "\#(MeetingTime.at(day: 35, hour: 10))", "end_at": "\#(MeetingTime.at(day: 35, hour: 11))"}"#
        try writer.query("""
            BEGIN;
            DO $$
            DECLARE
                v_columns text := (SELECT string_agg(quote_ident(column_name::text), ',' ORDER BY ordinal_position) FROM information_schema.columns
                                   WHERE table_name = 'meetings' AND table_schema = current_schema() AND is_generated = 'NEVER');
            BEGIN
                EXECUTE format('INSERT INTO meetings (%s) SELECT r.* FROM (SELECT %s FROM jsonb_populate_record('
                               '(SELECT m FROM meetings m WHERE m.community_id = %L AND m.id = %L), %L::jsonb)) r',
                               v_columns, v_columns, \(community), \(Psql.literal(agreed[3])), \(Psql.literal(moved)));
            END $$;
            INSERT INTO meeting_events (community_id, id, meeting_id, kind, actor_role, created_at)
            VALUES (\(community), \(Psql.literal("evt_" + hex())), \(Psql.literal(copy)), 'requested', 'system', now());
            """)
        for id in [agreed[2], agreed[3]] {
            try w.act("meeting.set_video_link", as: w.admin, id, ["url": .string("https://video.example/\(id)")])
        }
        let read = try page(w, from: first.cursor, pages: 2)
        XCTAssertEqual(read.ids, [agreed[1], agreed[2]], "the unchanged one, then the first changed since")
        try writer.query("COMMIT;")
        XCTAssertEqual(try page(w, from: read.cursor).ids, [agreed[3], copy], "the other changed since, then the step that committed last")
    }

    /// Meetings that end while the expert pages (their sessions now to log, which a new listing
    /// puts first) keep their place by start in the pass already begun: the pages have passed
    /// the top group they would move up to.
    func testMeetingsThatEndWhileTheExpertPagesAreNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.grant(w.user, 1_000)
        let agreed = try [13, 14, 15, 16].map { try w.agreed(start: MeetingTime.at(day: 1, hour: $0)) }
        let requests = try [13, 14].map { try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 2, hour: $0))) }
        let first = try page(w, as: w.expert, limit: 2, pages: 1)
        XCTAssertEqual(first.ids, requests, "the requests to answer first")
        try w.setClock(MeetingTime.at(day: 1, hour: 15))
        let rest = try page(w, as: w.expert, limit: 2, from: first.cursor).ids
        XCTAssertEqual(rest, agreed, "the agreed meetings by start, the two that ended meanwhile included")
        let fresh = try w.meetingd.result("meeting.list", as: w.expert, [:])["items"]?.array?.compactMap { $0["id"]?.string }
        XCTAssertEqual(Array(fresh?.prefix(2) ?? []), Array(agreed.prefix(2)), "a new listing puts the sessions to log first")
    }

    /// An agreed meeting that has ended unlogged holds its user's credits until the expert logs
    /// it: the user's default list shows it (by start, after what awaits them), so the credits
    /// blocked in their balance have a meeting to show; once logged it ends and leaves the list.
    func testTheUsersDefaultListShowsTheEndedMeetingsThatHoldTheirCredits() throws {
        let w = try MeetingWorld(self, label: #function)
        try w.grant(w.user, 1_000)
        let ended = try w.agreed(start: MeetingTime.at(day: 1, hour: 10))
        let cancelled = try w.agreed(start: MeetingTime.at(day: 1, hour: 12))
        try w.act("meeting.cancel", as: w.user, cancelled, ["reason_code": "other", "confirm_late": true])
        let ahead = try w.agreed(start: MeetingTime.at(day: 5, hour: 10))
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 6, hour: 10)))
        try w.setClock(MeetingTime.at(day: 3, hour: 10))
        XCTAssertEqual(try w.meeting(ended)["credit_status"], "blocked", "its credits stay held until the session is logged")
        let listed = try w.meetingd.allPages("meeting.list", as: w.user, [:]).compactMap { $0["id"]?.string }
        XCTAssertEqual(listed, [proposal, ended, ahead], "the proposal to answer, then by start: the ended one holding credits, the one ahead")
        XCTAssertEqual(try pages(w, as: w.user, [:], limit: 1).compactMap { $0["id"]?.string }, listed, "the same in pages of one")
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: w.user, ["role": "expert"]).count, 0, "not on the expert's side")
        try w.act("meeting.log_session", as: w.expert, ended, ["attendance": "attended"])
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: w.user, [:]).compactMap { $0["id"]?.string }, [proposal, ahead], "logged, it has ended")
    }

    /// The office's list of what waits for the experts (soonest first) does not lose a request
    /// its user moves to a time the pages have passed: it comes after the others.
    func testARequestMovedBehindTheOfficesPagesIsNotSkipped() throws {
        let w = try MeetingWorld(self, label: #function)
        let requests = try [7, 14, 21].map { try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: $0, hour: 10))) }
        var page = try w.meetingd.result("meeting.waiting", as: w.admin, ["limit": 1])
        var seen = (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
        XCTAssertEqual(seen, [requests[0]])
        try w.act("meeting.reschedule", as: w.user, requests[2], ["start": .string(MeetingTime.at(day: 6, hour: 10))])
        XCTAssertEqual(try w.meeting(requests[2])["start"]?.string, MeetingTime.at(day: 6, hour: 10), "a request's new date is its date")
        while let next = page["next_cursor"], next != .null {
            page = try w.meetingd.result("meeting.waiting", as: w.admin, ["limit": 1, "cursor": next])
            seen += (page["items"]?.array ?? []).compactMap { $0["id"]?.string }
        }
        XCTAssertEqual(seen, requests, "every request once, the moved one after the others")
    }

    func testTheExpertsListPutsTheirPendingAnswersFirstAndPagesByKeyset() throws {
        let c = try calendar(#function)
        let w = c.w
        let expected = ["request", "user alternate", "late request", "twin 1", "cancelled", "rejected", "agreed", "proposal", "expert alternate"]
        let whole = try w.meetingd.result("meeting.list", as: w.expert, ["role": "expert"])
        let wholeNames = c.names(whole["items"]?.array ?? [])
        XCTAssertEqual(wholeNames, expected)
        for limit: Int64 in [1, 2, 3, 5] {
            XCTAssertEqual(c.names(try pages(w, as: w.expert, ["role": "expert"], limit: limit)), expected, "pages of \(limit)")
        }
        XCTAssertEqual(c.names(try w.meetingd.allPages("meeting.list", as: c.otherExpert, ["role": "expert"])), ["twin 2"])
        // An answer moves a meeting out of the top group.
        try w.act("meeting.confirm", as: w.expert, c.ids["request"]!)
        let after = c.names(try w.meetingd.allPages("meeting.list", as: w.expert, ["role": "expert"]))
        XCTAssertEqual(after, ["user alternate", "late request", "twin 1", "cancelled", "rejected", "request", "agreed", "proposal", "expert alternate"])
    }

    func testAdminsListAnyonesMeetingsOthersOnlyTheirOwn() throws {
        let c = try calendar(#function)
        let w = c.w
        let byAdmin = try w.meetingd.allPages("meeting.list", as: w.admin, ["role": "user", "person_id": .string(w.user)])
        XCTAssertEqual(byAdmin.count, 10)
        for actor in [w.expert, w.finance, c.otherExpert] {
            try w.meetingd.error("meeting.list", as: actor, ["role": "user", "person_id": .string(w.user)], code: 4003)
        }
        try w.meetingd.error("meeting.list", as: w.user, ["role": "admin"], code: -32602)
        try w.meetingd.error("meeting.list", as: w.user, ["role": "user", "cursor": "not-a-cursor"], code: -32602)
    }

    // MARK: Authorization

    func testAThirdPersonCanNeitherSeeNorActOnAMeeting() throws {
        let w = try MeetingWorld(self, label: #function)
        let stranger = try w.addUser(name: "stranger")
        let otherExpert = try w.addExpert(name: "other expert")
        let agreed = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let pending = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        try w.act("meeting.reschedule", as: w.user, agreed, ["start": .string(MeetingTime.at(day: 9, hour: 10))])
        _ = try w.drainOutbox()
        let before = [try w.meeting(agreed), try w.meeting(pending)]
        let timelines = [try w.timeline(agreed), try w.timeline(pending)]

        let actions: [(String, [String: JSONValue])] = [
            ("meeting.get", [:]), ("meeting.timeline", [:]), ("ledger.meeting_trail", [:]),
            ("meeting.confirm", [:]), ("meeting.decline", ["reason_code": "other"]), ("meeting.withdraw", [:]),
            ("meeting.cancel", ["reason_code": "other", "confirm_late": true]),
            ("meeting.reschedule", ["start": .string(MeetingTime.at(day: 10, hour: 10))]),
            ("meeting.confirm_alternate", [:]), ("meeting.reject_alternate", ["reason_code": "other"]), ("meeting.withdraw_alternate", [:]),
        ]
        for id in [agreed, pending] {
            for actor in [stranger, otherExpert] {
                for (method, params) in actions {
                    let error = try w.refuse(method, as: actor, id, params, code: 4003)
                    XCTAssertEqual(error["data"]?["code"], "forbidden", "\(method) by \(w.name(actor))")
                }
            }
            try w.refuse("meeting.conflicts", as: otherExpert, id, code: 4003)
            try w.refuse("meeting.report_no_show", as: stranger, id, code: 4003)
            try w.refuse("meeting.log_session", as: otherExpert, id, ["attendance": "attended"], code: 4003)
            try w.refuse("meeting.set_video_link", as: stranger, id, ["url": "https://evil.example/x"], code: 4003)
        }
        // An admin is told who cancels a meeting (it read "user and expert (or the office)", and
        // the office may not cancel either).
        let byAdmin = try w.refuse("meeting.cancel", as: w.admin, agreed, ["reason_code": "other"], code: 4003)
        XCTAssertEqual(byAdmin["message"]?.string?.contains("only the meeting's user or expert cancels it"), true, "\(byAdmin)")
        try w.meetingd.error("ledger.balance", as: stranger, ["person_id": .string(w.user)], code: 4003)
        XCTAssertEqual(try w.meetingd.allPages("meeting.list", as: stranger, ["role": "user"]).count, 0)
        XCTAssertEqual([try w.meeting(agreed), try w.meeting(pending)], before, "nothing changed")
        XCTAssertEqual([try w.timeline(agreed), try w.timeline(pending)], timelines)
        XCTAssertEqual(try w.drainOutbox().count, 0, "no message was written")
        try w.assertReconciled()
    }

    /// SPEC §6: finance staff read a meeting's credits (`ledger.meeting_trail`, with its price,
    /// status, times and parties), not its contents (meeting.get, timeline and calendar are for
    /// its parties, admins and the office), and act on none.
    func testFinanceReadsMeetingsMoneyButNotTheirContentsAndCannotActOnThem() throws {
        let w = try MeetingWorld(self, label: #function)
        let agreed = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let pending = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        let proposal = try MeetingWorld.id(of: w.propose(start: MeetingTime.at(day: 9, hour: 10)))
        _ = try w.drainOutbox()
        for method in ["meeting.get", "meeting.timeline", "meeting.calendar"] {
            let error = try w.meetingd.error(method, as: w.finance, ["meeting_id": .string(agreed)], code: 4003)
            XCTAssertTrue(error["message"]?.string?.contains("ledger.meeting_trail") ?? false, "the error says where finance reads it: \(error)")
        }
        let trail = try w.meetingd.result("ledger.meeting_trail", as: w.finance, ["meeting_id": .string(agreed)])
        XCTAssertEqual(trail["credit_status"], "blocked")
        XCTAssertEqual(trail["status"], "agreed")
        XCTAssertEqual(trail["price_credits"], .int(MeetingWorld.price))
        XCTAssertEqual(trail["held_credits"], .int(MeetingWorld.price))
        XCTAssertEqual(trail["charged_credits"], .null)
        XCTAssertEqual(trail["user_id"]?.string, w.user)
        XCTAssertEqual(trail["expert_id"]?.string, w.expert)
        XCTAssertEqual(trail["start"]?.string, MeetingTime.at(day: 7, hour: 10))
        XCTAssertNil(trail["topic"], "no contents")
        let adminsView = try w.meeting(agreed)
        XCTAssertEqual(adminsView["id"]?.string, agreed, "admins read it")
        let refused: [(String, String, [String: JSONValue])] = [
            ("meeting.confirm", pending, [:]), ("meeting.confirm", proposal, [:]), ("meeting.decline", pending, ["reason_code": "other"]),
            ("meeting.withdraw", pending, [:]), ("meeting.cancel", agreed, ["reason_code": "other", "confirm_late": true]),
            ("meeting.reschedule", agreed, ["start": .string(MeetingTime.at(day: 10, hour: 10))]),
            ("meeting.report_no_show", agreed, [:]), ("meeting.log_session", agreed, ["attendance": "attended"]),
        ]
        for (method, id, params) in refused {
            XCTAssertEqual(try w.refuse(method, as: w.finance, id, params, code: 4003)["data"]?["code"], "forbidden", method)
        }
        try w.meetingd.error("meeting.request", as: w.finance, w.requestParams(start: MeetingTime.at(day: 11, hour: 10)), code: 4003)
        try w.meetingd.error("meeting.propose", as: w.finance, [
            "user_id": .string(w.user), "service_id": .string(w.serviceId), "start": .string(MeetingTime.at(day: 11, hour: 10)),
            "length_minutes": 60, "price_credits": 100,
        ], code: 4003)
        assertMeeting(try w.meeting(agreed), status: "agreed", credit: "blocked")
        assertMeeting(try w.meeting(pending), status: "awaiting_approval", credit: "blocked")
        assertMeeting(try w.meeting(proposal), status: "awaiting_approval", credit: "none")
        XCTAssertEqual(try w.drainOutbox().count, 0)
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 200))
    }

    /// People of another community do not even learn that the meeting exists.
    func testAnotherCommunityCannotSeeTheMeeting() throws {
        let w = try MeetingWorld(self, label: #function)
        let id = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let elsewhere = try MeetingWorld(self, label: #function + " elsewhere")
        for actor in [elsewhere.admin, elsewhere.user, elsewhere.expert, elsewhere.finance] {
            XCTAssertEqual(try elsewhere.refuse("meeting.get", as: actor, id, code: 4004)["data"]?["code"], "not_found")
            try elsewhere.refuse("ledger.meeting_trail", as: actor, id, code: 4004)
        }
        try elsewhere.refuse("meeting.cancel", as: elsewhere.user, id, ["reason_code": "other"], code: 4004)
        try elsewhere.refuse("meeting.confirm_alternate", as: elsewhere.expert, id, code: 4004)
        assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked")
    }
}
