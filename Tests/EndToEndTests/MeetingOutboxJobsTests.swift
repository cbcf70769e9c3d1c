import Foundation
import XCTest

/// The transactional outbox as its consumers use it (leases, acks, failures with back-off,
/// dead messages) and `jobs.run_due` (reminders exactly once, never for cancelled meetings,
/// replanned for moved ones; unanswered requests expire and return their credits).
final class MeetingOutboxJobsTests: EndToEndTestCase {
    func world(_ label: String = #function) throws -> MeetingWorld { try MeetingWorld(self, label: label) }

    // MARK: Leases

    func testAClaimedMessageIsNotClaimedAgainUntilItsLeaseExpires() throws {
        let w = try world()
        let meeting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let first = try w.claim(consumer: "mailer-a", limit: 10, extra: ["lease_seconds": 120])
        XCTAssertEqual(w.summary(first), ["meeting_request→expert"])
        guard let message = first.first else { return }
        XCTAssertEqual(message.meetingId, meeting)
        XCTAssertEqual(message.attempts, 1)
        XCTAssertEqual(message.raw["status"], "leased")
        XCTAssertEqual(message.raw["lease_expires_at"]?.string, "2030-03-04T12:02:00Z")
        XCTAssertNotNil(message.raw["rendered"]?["subject"]?.string, "a notification is rendered for the consumer")
        XCTAssertEqual(message.raw["recipient"]?["email"]?.string?.hasPrefix("expert-"), true)

        XCTAssertEqual(try w.claim(consumer: "mailer-b", limit: 10).count, 0, "leased to mailer-a")
        try w.advanceClock(minutes: 1)
        XCTAssertEqual(try w.claim(consumer: "mailer-b", limit: 10).count, 0, "a minute of the lease is left")
        try w.advanceClock(minutes: 1)
        XCTAssertEqual(try w.claim(consumer: "mailer-b", limit: 10).count, 0, "an expired lease is a failed attempt: its 30 s of back-off first")
        try w.advanceClock(minutes: 1)
        let again = try w.claim(consumer: "mailer-b", limit: 10)
        XCTAssertEqual(again.map(\.id), [message.id], "the expired lease comes back after the back-off")
        XCTAssertEqual(again.first?.attempts, 2)

        // mailer-a's lease ran out: it may not fail mailer-b's delivery either.
        try w.meetingd.error("outbox.fail", as: w.admin, ["id": .string(message.id), "error": "timed out", "consumer": "mailer-a"], code: 4009)
        let document = try Meetingd.result(of: try w.meetingd.call("rpc.discover"))
        let fail = document["methods"]?.array?.first { $0["name"] == "outbox.fail" }
        XCTAssertTrue(fail?["errors"]?.array?.contains { $0["code"] == 4009 || $0["$ref"]?.string?.hasSuffix("invalid_state") == true } ?? false,
                      "the 4009 outbox.fail answers is declared: \(fail?["errors"] ?? .null)")
        let stale = try w.meetingd.result("outbox.ack", as: w.admin, ["ids": [.string(message.id)], "consumer": "mailer-a"])
        XCTAssertEqual(stale["acked"], [], "mailer-a's lease is gone")
        XCTAssertEqual(stale["not_leased"], [.string(message.id)])
        let acked = try w.meetingd.result("outbox.ack", as: w.admin, ["ids": [.string(message.id)], "consumer": "mailer-b"])
        XCTAssertEqual(acked["acked"], [.string(message.id)])
        try w.advanceClock(minutes: 60)
        XCTAssertEqual(try w.claim(consumer: "mailer-a", limit: 10).count, 0, "a delivered message is never handed out again")
        let twice = try w.meetingd.result("outbox.ack", as: w.admin, ["ids": [.string(message.id)]])
        XCTAssertEqual(twice["not_leased"], [.string(message.id)])
    }

    /// A consumer that crashes on a message (its lease runs out, no ack, no fail) meets the same
    /// back-off as one that reports the failure, and after the last attempt the message is set
    /// aside as dead: it was handed out again every time its lease ran out, for ever.
    func testALeaseThatRunsOutIsAFailedAttempt() throws {
        let w = try world()
        let meeting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        let backoffMinutes = [1, 1, 2, 4, 8, 16, 32]  // 30 s doubling, to the next whole minute
        for attempt in 1...8 {
            let claimed = try w.claim(consumer: "crashy", limit: 10, extra: ["lease_seconds": 60, "channel": "notification"])
            XCTAssertEqual(claimed.map(\.meetingId), [meeting], "attempt \(attempt)")
            XCTAssertEqual(claimed.first?.attempts, Int64(attempt))
            try w.advanceClock(minutes: 1)  // the lease runs out: no ack, no fail
            guard attempt < 8 else { break }
            XCTAssertEqual(try w.claim(consumer: "crashy", limit: 10, extra: ["channel": "notification"]).count, 0, "back-off after attempt \(attempt)")
            try w.advanceClock(minutes: Int64(backoffMinutes[attempt - 1]))
        }
        // Dead as its last lease ran out, before any claim writes it so (no deliverer may run).
        let dead = try w.meetingd.allPages("outbox.dead_letters", as: w.admin, [:])
        XCTAssertEqual(dead.compactMap { $0["meeting_id"]?.string }, [meeting], "set aside after the last attempt")
        XCTAssertEqual(dead.first?["attempts"], 8)
        XCTAssertTrue(dead.first?["last_error"]?.string?.contains("attempt 8 ran out of its lease without an ack or a failure") ?? false, "\(dead)")
        let deadAt = dead.first?["dead_at"]
        XCTAssertEqual(try w.claim(consumer: "crashy", limit: 10, extra: ["channel": "notification"]).count, 0, "not handed out again")
        let written = try w.meetingd.allPages("outbox.dead_letters", as: w.admin, [:])
        XCTAssertEqual(written.first?["dead_at"], deadAt, "dead since its lease ended, once written so too")
        let id = try XCTUnwrap(dead.first?["id"]?.string)
        XCTAssertEqual(try w.meetingd.result("outbox.retry", as: w.admin, ["ids": [.string(id)]])["retried"], [.string(id)])
        XCTAssertEqual(try w.claim(consumer: "fixed", limit: 10, extra: ["channel": "notification"]).map(\.id), [id], "back in the queue")
    }

    /// A message that failed, then ran out of its last lease, is listed with both (the failure
    /// first), the same before and after a claim sets it aside: the listing named only the failure.
    /// The messages whose lease ran out after their last attempt are found by an index of the
    /// leased ones, not among every message still to be delivered: a claim and the dead-letter
    /// list stay quick behind a backlog. (The conditions of OutboxStore's claim and dead-letter
    /// reads, planned behind a backlog of 3,000 messages with sequential scans priced out; the
    /// backlog is rolled back.)
    func testLostLeasesAreFoundAmongTheLeasedMessagesAlone() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let community = try SeededLedger.make(on: meetingd, #function).communityLiteral
        let plans = try Psql.run(databaseURL, [
            "BEGIN", "SET LOCAL session_replication_role = replica",
            "INSERT INTO outbox SELECT (jsonb_populate_record(o, jsonb_build_object('id', 'out_' || md5(g::text || o.id), "
                + "'seq', 1000000000 + g * 1000 + o.seq, 'status', 'pending', 'dedupe_key', NULL))).* "
                + "FROM outbox o, generate_series(1, 3000 / (SELECT count(*) FROM outbox WHERE community_id = \(community))::int + 1) g "
                + "WHERE o.community_id = \(community)",
            "ANALYZE outbox", "SET LOCAL enable_seqscan = off",
            "EXPLAIN SELECT id FROM outbox WHERE community_id = \(community) AND status = 'leased' AND lease_expires_at <= now() AND attempts >= 8",
            "SELECT '--'",
            "EXPLAIN SELECT id FROM outbox WHERE community_id = \(community) "
                + "AND (status = 'dead' OR (status = 'leased' AND attempts >= 8 AND lease_expires_at <= now())) ORDER BY seq LIMIT 50",
            "ROLLBACK",
        ])
        XCTAssertTrue(plans.succeeded, plans.stderr)
        let (claim, deadLetters) = (plans.stdout.components(separatedBy: "\n--\n").first ?? "", plans.stdout.components(separatedBy: "\n--\n").last ?? "")
        XCTAssertTrue(claim.contains("outbox_leased"), "a claim's lost leases:\n\(claim)")
        XCTAssertTrue(deadLetters.contains("outbox_leased"), "the dead letters:\n\(deadLetters)")
    }

    func testADeadLettersLastErrorSaysTheFailureAndTheLostLease() throws {
        let w = try world()
        let meeting = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 7, hour: 10)))
        for attempt in 1...8 {
            let claimed = try w.claim(consumer: "mail", limit: 10, extra: ["lease_seconds": 60, "channel": "notification"])
            XCTAssertEqual(claimed.map(\.meetingId), [meeting], "attempt \(attempt)")
            if attempt < 8, let id = claimed.first?.id {
                try w.meetingd.result("outbox.fail", as: w.admin, ["id": .string(id), "error": "msmtp exited with status 74", "consumer": "mail"])
            }
            try w.advanceClock(minutes: 120)
        }
        let listed = try w.meetingd.allPages("outbox.dead_letters", as: w.admin, [:]).first?["last_error"]
        XCTAssertEqual(listed, "msmtp exited with status 74; then attempt 8 ran out of its lease without an ack or a failure")
        XCTAssertEqual(try w.claim(consumer: "mail", limit: 10).count, 0)
        XCTAssertEqual(try w.meetingd.allPages("outbox.dead_letters", as: w.admin, [:]).first?["last_error"], listed, "the same once written")
    }

    /// Four consumers (four processes) claim and acknowledge small batches at the same time
    /// until the outbox is dry: every message is handed to exactly one of them.
    func testConsumersClaimingAtOnceNeverShareAMessage() throws {
        let w = try world()
        let requests = 30
        try w.grant(w.user, MeetingWorld.price * Int64(requests))
        for i in 0..<requests { try w.request(start: MeetingTime.at(day: 7 + i / 10, hour: 8 + i % 10)) }
        let processes = try [w.meetingd] + (1..<4).map { _ in try startMeetingd(["--test-clock"]) }
        let lanes: [() throws -> JSONValue] = processes.enumerated().map { index, process in
            let boxed = Unchecked(process), admin = w.admin
            return {
                var ids: [JSONValue] = []
                for _ in 0..<100 {
                    let answer = try boxed.value.call("outbox.claim", as: admin, ["consumer": .string("mailer-\(index)"), "limit": 3])
                    guard let batch = answer["result"]?["messages"]?.array else { return answer }
                    if batch.isEmpty { return .array(ids) }
                    let batchIds = batch.compactMap { $0["id"] }
                    let acked = try boxed.value.call("outbox.ack", as: admin, ["ids": .array(batchIds), "consumer": .string("mailer-\(index)")])
                    guard acked["result"]?["acked"]?.array?.count == batchIds.count else { return acked }
                    ids += batchIds
                }
                return .array(ids)
            }
        }
        let perConsumer = try raceAll(lanes).map { answer -> [String] in
            guard let ids = answer.array else { XCTFail("a consumer got \(answer)"); return [] }
            return ids.compactMap(\.string)
        }
        let all = perConsumer.flatMap { $0 }
        print("outbox consumers racing: \(perConsumer.map(\.count)) messages each")
        XCTAssertEqual(all.count, Set(all).count, "no message handed to two consumers")
        XCTAssertEqual(all.count, requests, "every request's message delivered once: \(perConsumer.map(\.count)) per consumer")
        XCTAssertEqual(try w.claim(consumer: "late", limit: 500).count, 0, "nothing left")
    }

    func testClaimFiltersByChannelAndKindAndHonoursTheLimit() throws {
        let w = try world()
        let meeting = try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let video = try w.claim(consumer: "video", limit: 10, extra: ["channel": "video"])
        XCTAssertEqual(w.summary(video), ["video.create→video"])
        XCTAssertEqual(video.first?.raw["payload"]?["meeting"]?["id"]?.string, meeting, "the platform gets the meeting")
        XCTAssertNil(video.first?.recipientId)
        let confirmed = try w.claim(consumer: "mail", limit: 10, extra: ["kinds": ["meeting_confirmed_by_expert"]])
        XCTAssertEqual(w.summary(confirmed), ["meeting_confirmed_by_expert→user"])
        XCTAssertEqual(confirmed.first?.recipientId, w.user)
        let oldest = try w.claim(consumer: "mail", limit: 1)
        XCTAssertEqual(w.summary(oldest), ["meeting_request→expert"], "the limit, oldest first")
        let invites = try w.claim(consumer: "calendar", limit: 10, extra: ["channel": "calendar"])
        XCTAssertEqual(w.summary(invites).sorted(), ["calendar.invite→expert", "calendar.invite→user"])
        XCTAssertEqual(try w.claim(consumer: "mail", limit: 10).count, 0)
        try w.meetingd.error("outbox.claim", as: w.admin, ["consumer": "mail", "limit": 10, "channel": "pigeon"], code: -32602)
        try w.meetingd.error("outbox.claim", as: w.admin, ["consumer": "mail", "limit": 0], code: -32602)
    }

    /// A claim leases what its answer can carry: long messages (each request's topic of 20 KB
    /// goes out in its notification) come a few at a time, oldest first, the first of a claim
    /// whatever its size, every one once, and no answer passes MEETINGLEDGER_MAX_ANSWER_BYTES
    /// (hundreds of long messages made one answer of 256 MB, built for minutes in its transaction).
    func testAClaimLeasesWhatItsAnswerCanCarry() throws {
        let w = try world()
        let bounded = try startMeetingd(["--test-clock"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "150000"])
        try w.grant(w.user, 1_000)
        _ = try w.drainOutbox()
        let topic = String(repeating: "é", count: 10_000)
        for day in 7..<13 {
            var params = w.requestParams(start: MeetingTime.at(day: day, hour: 10))
            params["topic"] = .string(topic)
            try w.meetingd.result("meeting.request", as: w.user, params)
        }
        var claimed: [String] = []
        for _ in 0..<10 {
            let line = try bounded.call("outbox.claim", as: w.admin, ["consumer": "mail", "limit": 500, "channel": "notification"])
            let messages = try XCTUnwrap(try Meetingd.result(of: line)["messages"]?.array)
            if messages.isEmpty { break }
            XCTAssertLessThanOrEqual(line.serialized.utf8.count, 150_000, "the answer stays within its bound")
            XCTAssertLessThanOrEqual(messages.count, 2, "about 21 KB each: two fit a third of the bound")
            claimed += messages.compactMap { $0["id"]?.string }
        }
        XCTAssertEqual(claimed.count, 6, "every request's message, each once")
        XCTAssertEqual(Set(claimed).count, 6)
        // A message larger than the share still goes, alone.
        let tiny = try startMeetingd(["--test-clock"], environment: ["MEETINGLEDGER_MAX_ANSWER_BYTES": "30000"])
        var params = w.requestParams(start: MeetingTime.at(day: 14, hour: 10))
        params["topic"] = .string(topic)
        try w.meetingd.result("meeting.request", as: w.user, params)
        let alone = try tiny.call("outbox.claim", as: w.admin, ["consumer": "mail", "limit": 500, "channel": "notification"])
        XCTAssertEqual(try Meetingd.result(of: alone)["messages"]?.array?.count, 1, "\(alone.serialized.prefix(300))")
    }

    // MARK: Failures

    /// A clock set back (the test clock, or a server clock stepped back) neither holds back the
    /// messages written before it nor puts later ones ahead of them: a message not tried yet is
    /// ready whatever the clock says, and claims come in the order the messages were written.
    /// Before, the confirmation written at 6 March waited until the clock reached it again,
    /// and the cancellation written after the clock went back to 5 March came first.
    func testAClockSetBackNeitherHoldsBackNorReordersMessages() throws {
        let w = try MeetingWorld(self, label: #function)
        let id = try MeetingWorld.id(of: try w.request(start: "2030-03-20T10:00:00Z"))
        try w.setClock("2030-03-06T12:00:00Z")
        try w.meetingd.result("meeting.confirm", as: w.expert, ["meeting_id": .string(id)])
        try w.setClock("2030-03-05T12:00:00Z")
        try w.meetingd.result("meeting.cancel", as: w.user, ["meeting_id": .string(id), "reason_code": "other"])
        let kinds = try w.drainOutbox().filter { $0.meetingId == id && $0.channel == "notification" }.map(\.kind)
        let confirmed = try XCTUnwrap(kinds.firstIndex(of: "meeting_confirmed_by_expert"), "\(kinds)")
        let cancelled = try XCTUnwrap(kinds.firstIndex(of: "cancellation_by_user"), "\(kinds)")
        XCTAssertLessThan(confirmed, cancelled, "in the order they were written: \(kinds)")
    }

    /// Each failure waits longer (30 s, doubling, capped at an hour); the eighth failed attempt
    /// sets the message aside as dead, and it is never handed out again.
    func testFailedDeliveriesBackOffAndEndDead() throws {
        let w = try world()
        try w.request(start: MeetingTime.at(day: 20, hour: 10))
        var now = MeetingTime.startOfTest
        var id = ""
        for attempt in 1...8 {
            let label = "attempt \(attempt)"
            let claimed = try w.claim(consumer: "mailer", limit: 10, extra: ["lease_seconds": 30])
            XCTAssertEqual(claimed.count, 1, label)
            guard let message = claimed.first else { return }
            if attempt == 1 { id = message.id }
            XCTAssertEqual(message.id, id, label)
            XCTAssertEqual(message.attempts, Int64(attempt), label)
            let failed = try w.meetingd.result("outbox.fail", as: w.admin, ["id": .string(id), "error": "SMTP 451 try later"])
            XCTAssertEqual(failed["attempts"]?.int, Int64(attempt), label)
            if attempt == 8 {
                XCTAssertEqual(failed["status"], "dead", label)
                XCTAssertEqual(failed["available_at"]?.string, now, "set aside now: no attempt follows")
                let dead = try w.meetingd.result("outbox.dead_letters", as: w.admin, [:])["items"]?.array?.first { $0["id"]?.string == id }
                XCTAssertEqual(dead?["dead_at"]?.string, now)
                break
            }
            XCTAssertEqual(failed["status"], "pending", label)
            let backoff = min(3600, 30 << (attempt - 1))
            let retryAt = MeetingTime.shifted(now, seconds: backoff)
            XCTAssertEqual(failed["available_at"]?.string, retryAt, "back-off of \(backoff) s (\(label))")
            XCTAssertEqual(try w.claim(consumer: "mailer", limit: 10).count, 0, "not before the back-off (\(label))")
            try w.setClock(MeetingTime.shifted(retryAt, seconds: -1))
            XCTAssertEqual(try w.claim(consumer: "mailer", limit: 10).count, 0, "a second early (\(label))")
            now = retryAt
            try w.setClock(now)
        }
        try w.setClock(MeetingTime.shifted(now, seconds: 86_400))
        XCTAssertEqual(try w.claim(consumer: "mailer", limit: 10).count, 0, "a dead message stays set aside")
        let error = try w.meetingd.error("outbox.fail", as: w.admin, ["id": .string(id), "error": "again"], code: 4009)
        XCTAssertEqual(error["data"]?["status"], "dead")
    }

    func testRetryAfterIsHonouredWhenLongerThanTheBackoff() throws {
        let w = try world()
        try w.agreed(start: MeetingTime.at(day: 7, hour: 10))
        let messages = try w.claim(consumer: "mailer", limit: 10, extra: ["channel": "notification"])
        XCTAssertEqual(messages.count, 2)
        guard messages.count == 2 else { return }
        let long = try w.meetingd.result("outbox.fail", as: w.admin, ["id": .string(messages[0].id), "error": "rate limited", "retry_after_seconds": 600])
        XCTAssertEqual(long["available_at"]?.string, MeetingTime.shifted(MeetingTime.startOfTest, seconds: 600))
        let short = try w.meetingd.result("outbox.fail", as: w.admin, ["id": .string(messages[1].id), "error": "busy", "retry_after_seconds": 5])
        XCTAssertEqual(short["available_at"]?.string, MeetingTime.shifted(MeetingTime.startOfTest, seconds: 30), "never sooner than the back-off")
        try w.advanceClock(minutes: 1)
        XCTAssertEqual(try w.claim(consumer: "mailer", limit: 10, extra: ["channel": "notification"]).map(\.id), [messages[1].id])

        let pending = try w.claim(consumer: "video", limit: 10, extra: ["channel": "video"])
        XCTAssertEqual(pending.count, 1)
        try w.meetingd.result("outbox.ack", as: w.admin, ["ids": .array(pending.map { .string($0.id) })])
        let notLeased = try w.meetingd.error("outbox.fail", as: w.admin, ["id": .string(pending[0].id), "error": "late"], code: 4009)
        XCTAssertEqual(notLeased["data"]?["status"], "done", "only a leased message can fail")
        try w.meetingd.error("outbox.fail", as: w.admin, ["id": "out_0123456789abcdef0123456789abcdef", "error": "x"], code: 4004)
    }

    // MARK: Reminders

    func testRemindersAreQueuedExactlyOnce() throws {
        let w = try world()
        let second = try startMeetingd(["--test-clock"])
        let start = MeetingTime.at(day: 3, hour: 10)
        let id = try w.agreed(start: start)
        _ = try w.drainOutbox()
        func runDue(on process: Meetingd? = nil) throws -> (Int64?, Int64?) {
            let r = try (process ?? w.meetingd).result("jobs.run_due", as: w.admin)
            return (r["reminders_queued"]?.int, r["links_queued"]?.int)
        }
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60 - 1))
        XCTAssertTrue(try runDue() == (0, 0), "a minute before the 24-hour mark")
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        XCTAssertTrue(try runDue() == (1, 0), "24 hours before: the user's reminder")
        XCTAssertTrue(try runDue() == (0, 0), "run again: nothing new")
        let reminder = try w.drainOutbox()
        XCTAssertEqual(w.summary(reminder), ["meeting_reminder→user"])
        XCTAssertEqual(reminder.first?.meetingId, id)
        XCTAssertEqual(reminder.first?.raw["payload"]?["start"].flatMap { $0.string.map(MeetingTime.date) }, MeetingTime.date(start))
        XCTAssertTrue(try runDue() == (0, 0), "delivered: still not queued again")

        try w.setClock(MeetingTime.shifted(start, minutes: -61))
        XCTAssertTrue(try runDue() == (0, 0))
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        // Two schedulers at once: the link is queued once between them.
        let (a, b) = try race({ try w.meetingd.call("jobs.run_due", as: w.admin) }, { try second.call("jobs.run_due", as: w.admin) })
        let links = (try Meetingd.result(of: a)["links_queued"]?.int ?? -1) + (try Meetingd.result(of: b)["links_queued"]?.int ?? -1)
        XCTAssertEqual(links, 1, "one link between two concurrent runs: \(a) / \(b)")
        XCTAssertTrue(try runDue(on: second) == (0, 0))
        XCTAssertEqual(w.summary(try w.drainOutbox()), ["meeting_link→expert"])
        try w.setClock(MeetingTime.shifted(start, minutes: -5))
        XCTAssertTrue(try runDue() == (0, 0), "nothing more before the start")
    }

    /// The expert's link message says the video link as it was when queued: a new link before
    /// it is sent withdraws it, and the next run queues it again with the new link (it told
    /// the old link beside the new one, and a push carried the old one alone).
    func testANewVideoLinkRequeuesTheLinkNotYetSent() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10)
        let id = try w.agreed(start: start)
        try w.act("meeting.set_video_link", as: w.admin, id, ["url": "https://video.example/room-1"])
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 1)
        try w.act("meeting.set_video_link", as: w.admin, id, ["url": "https://video.example/room-2"])
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 1, "queued again with the new link")
        let links = try w.drainOutbox().filter { $0.kind == "meeting_link" }
        XCTAssertEqual(links.map { $0.raw["payload"]?["video_url"] }, [.string("https://video.example/room-2")], "the old one was withdrawn")
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 0)
    }

    /// The expert's link message for a video meeting no link was set for says so: it said
    /// nothing of the link, as if none were needed.
    func testTheLinkMessageOfAVideoMeetingWithoutALinkSaysSo() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10)
        _ = try w.agreed(start: start)
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 1)
        let links = try w.drainRaw().filter { $0["kind"]?.string == "meeting_link" }
        XCTAssertEqual(links.count, 1)
        let text = links.first?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("starts") && text.contains("It is held by video, and no link has been set for it yet."), text)
    }

    func testNoRemindersForACancelledMeeting() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10)
        let early = try w.agreed(start: start)
        let late = try w.agreed(start: MeetingTime.at(day: 3, hour: 14))
        try w.act("meeting.cancel", as: w.expert, early, ["reason_code": "illness"])
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 0, "the cancelled meeting gets none")
        // Queued for the later meeting, then the meeting is cancelled before delivery.
        try w.setClock(MeetingTime.at(day: 2, hour: 14))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
        try w.act("meeting.cancel", as: w.user, late, ["reason_code": "illness", "confirm_late": true])
        XCTAssertEqual(w.summary(try w.drainOutbox()).sorted(), MeetingWorld.withInvites(["cancellation_by_user→expert", "cancellation_by_user→user", "video.cancel→video"]),
                       "the queued reminder of a cancelled meeting is withdrawn")
        try w.setClock(MeetingTime.at(day: 3, hour: 13))
        let links = try w.meetingd.result("jobs.run_due", as: w.admin)
        XCTAssertEqual(links["links_queued"], 0)
        XCTAssertEqual(links["reminders_queued"], 0)
        XCTAssertEqual(try w.drainOutbox().count, 0)
    }

    /// A claim never hands out a reminder its meeting no longer matches (here another start than
    /// it says: a run that read the meeting before a move may queue it after the move withdrew
    /// the others), and such a reminder at the head of the queue does not take the claim's
    /// place: a claim of one withdraws it and leases the next message.
    func testAStaleReminderIsWithdrawnAtClaimAndTheNextMessageIsLeased() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10)
        let first = try w.agreed(start: start)
        let second = try w.agreed(start: MeetingTime.at(day: 3, hour: 11))
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(start, minutes: -23 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 2)
        // The first reminder as a run that read the meeting at another time would have queued it
        // (written beneath the rule that a message keeps what it says).
        _ = try Psql.query(databaseURL, """
            SET LOCAL session_replication_role = replica; UPDATE outbox SET payload = jsonb_set(payload, '{start}', '"2031-01-01T09:00:00Z"')
            WHERE meeting_id = \(Psql.literal(first)) AND kind = 'meeting_reminder'
            """)
        let claimed = try w.claim(consumer: "mailer", limit: 1, extra: ["kinds": ["meeting_reminder"]])
        XCTAssertEqual(claimed.map(\.meetingId), [second], "the stale reminder was leased, or took the claim's place")
        XCTAssertEqual(try Psql.query(databaseURL, "SELECT status FROM outbox WHERE meeting_id = \(Psql.literal(first)) AND kind = 'meeting_reminder'"),
                       ["cancelled"])
    }

    func testAMovedMeetingIsRemindedOfItsNewTime() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10), newStart = MeetingTime.at(day: 5, hour: 10)
        let id = try w.agreed(start: start)
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        _ = try w.drainOutbox()
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
        try w.act("meeting.reschedule", as: w.user, id, ["start": .string(newStart)])
        try w.act("meeting.confirm_alternate", as: w.expert, id)
        let afterMove = w.summary(try w.drainOutbox())
        XCTAssertFalse(afterMove.contains("meeting_reminder→user"), "the reminder of the old time is withdrawn: \(afterMove)")
        try w.setClock(MeetingTime.shifted(start, minutes: -60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 0, "no link for the old time")
        try w.setClock(MeetingTime.shifted(newStart, minutes: -24 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
        let reminder = try w.drainOutbox()
        XCTAssertEqual(w.summary(reminder), ["meeting_reminder→user"])
        XCTAssertEqual(reminder.first?.raw["payload"]?["start"].flatMap { $0.string.map(MeetingTime.date) }, MeetingTime.date(newStart))
        try w.setClock(MeetingTime.shifted(newStart, minutes: -60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["links_queued"], 1)
    }

    /// A reminder withdrawn because the meeting moved must be queued again when the meeting
    /// moves back to that time: otherwise the user is never reminded of it.
    func testAMeetingMovedAwayAndBackIsStillReminded() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10), elsewhere = MeetingTime.at(day: 3, hour: 14)
        let id = try w.agreed(start: start)
        try w.setClock(MeetingTime.shifted(start, minutes: -24 * 60))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
        for target in [elsewhere, start] {
            try w.act("meeting.reschedule", as: w.user, id, ["start": .string(target)])
            try w.act("meeting.confirm_alternate", as: w.expert, id)
        }
        assertMeeting(try w.meeting(id), status: "agreed", credit: "blocked", start: start)
        XCTAssertFalse(w.summary(try w.drainOutbox()).contains("meeting_reminder→user"), "the queued reminder was withdrawn by the first move")
        try w.advanceClock(minutes: 5)
        let run = try w.meetingd.result("jobs.run_due", as: w.admin)
        XCTAssertEqual(run["reminders_queued"], 1, "the meeting is back at a time whose reminder was never sent: \(run)")
        XCTAssertEqual(w.summary(try w.drainOutbox()), ["meeting_reminder→user"])
    }

    /// A meeting whose reminder was sent, moved away (the new time reminded) and back, is
    /// reminded of the time it is at again: the sent reminder kept its key, and the last one the
    /// user had named the other time.
    func testAMeetingMovedBackAfterItsRemindersWereSentIsRemindedAgain() throws {
        let w = try world()
        let start = MeetingTime.at(day: 3, hour: 10), elsewhere = MeetingTime.at(day: 3, hour: 14)
        let id = try w.agreed(start: start)
        // Both times are within the user's 24 hours.
        try w.setClock(MeetingTime.shifted(start, minutes: -16 * 60))
        func remindedOf() throws -> [String] {
            XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
            return try w.drainOutbox().filter { $0.kind == "meeting_reminder" }.compactMap { $0.raw["payload"]?["start"]?.string }
        }
        XCTAssertEqual(try remindedOf(), [start], "sent and acknowledged")
        for target in [elsewhere, start] {
            try w.act("meeting.reschedule", as: w.user, id, ["start": .string(target)])
            try w.act("meeting.confirm_alternate", as: w.expert, id)
            _ = try w.drainOutbox()
            try w.advanceClock(minutes: 5)
            XCTAssertEqual(try remindedOf(), [target], "the meeting as it is now")
        }
        try w.advanceClock(minutes: 5)
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 0, "each time once")
    }

    /// A run reads a limited number of meetings within the reminder lead: only those with a
    /// reminder still to queue count. It took the first by start whether reminded or not, so past
    /// the limit (5,000 in one community's lead) later meetings were reminded only as earlier
    /// ones started. Here the read's limit is 2 and two meetings are reminded already.
    func testARunsReadOfUpcomingMeetingsSkipsThoseRemindedAlready() throws {
        let w = try world()
        let first = try w.agreed(start: MeetingTime.at(day: 3, hour: 10))
        let second = try w.agreed(start: MeetingTime.at(day: 3, hour: 11))
        let third = try w.agreed(start: MeetingTime.at(day: 3, hour: 14))
        // The user's 24 hours reach the first two; the run reminds them.
        try w.setClock(MeetingTime.at(day: 2, hour: 11, minute: 30))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 2)
        // Now the third is within the lead too, and the expert's links of none yet.
        try w.setClock(MeetingTime.at(day: 2, hour: 14, minute: 30))
        let read = try Psql.query(databaseURL, """
            SELECT x ->> 'id' FROM jsonb_array_elements(ml_jobs_context(\(Psql.literal(w.community.id)), true, 500, 200, 2) -> 'upcoming') x
            """)
        XCTAssertEqual(read, [third], "the two reminded already take no place of the limit (\([first, second]))")
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["reminders_queued"], 1)
    }

    // MARK: Expiry

    /// A new date proposed for an agreed meeting that passes unanswered is closed by the jobs:
    /// the agreed date and its hold stay, the proposer is told, and another date may be proposed.
    func testAProposedNewDateThatPassesUnansweredIsClosed() throws {
        let w = try world()
        let meetingStart = MeetingTime.at(day: 5, hour: 10), proposed = MeetingTime.at(day: 2, hour: 10)
        let agreed = try w.agreed(start: meetingStart)
        try w.act("meeting.reschedule", as: w.user, agreed, ["start": .string(proposed)])
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(proposed, minutes: -1))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["alternates_closed"], 0, "not before its date")
        try w.setClock(proposed)
        let run = try w.meetingd.result("jobs.run_due", as: w.admin)
        XCTAssertEqual(run["alternates_closed"], 1)
        XCTAssertEqual(run["requests_expired"], 0)
        let after = try w.meeting(agreed)
        assertMeeting(after, status: "agreed", credit: "blocked", "the agreed date and its hold stay")
        XCTAssertEqual(after["alternate"], .null)
        XCTAssertEqual(after["start"]?.string, meetingStart)
        XCTAssertEqual(try w.timeline(agreed).last, "alternative_date_expired")
        let drained = try w.drainRaw()
        let told = drained.filter { $0["kind"] == "alternative_date_expired" }
        XCTAssertEqual(told.compactMap { $0["recipient_id"]?.string }, [w.user], "the proposer is told")
        XCTAssertTrue(told.first?["rendered"]?["text"]?.string?.contains("was not answered in time") ?? false, "\(told)")
        // The proposer reads which of their dates lapsed, as the other side does.
        let toProposer = told.first?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(toProposer.contains(" (Wed 6 Mar 2030 10:00 UTC) was not answered in time"), toProposer)
        // The expert, who did not answer, is told the new date is closed and which date stays.
        let unanswered = drained.filter { $0["kind"] == "alternative_date_unanswered" }
        XCTAssertEqual(unanswered.compactMap { $0["recipient_id"]?.string }, [w.expert], "the side that did not answer is told")
        let text = unanswered.first?["rendered"]?["text"]?.string ?? ""
        XCTAssertTrue(text.contains("proposed for your meeting (Wed 6 Mar 2030 10:00 UTC) was not answered in time"), "names the date proposed: \(text)")
        XCTAssertTrue(text.contains("is closed; the meeting stays on Sat 9 Mar 2030 10:00 UTC."), "and the date that stays: \(text)")
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["alternates_closed"], 0, "closed once")
        try w.act("meeting.reschedule", as: w.user, agreed, ["start": .string(MeetingTime.at(day: 4, hour: 10))])
        XCTAssertNotEqual(try w.meeting(agreed)["alternate"], .null, "another date may be proposed")
        try w.assertReconciled()
    }

    /// A new date proposed for an agreed meeting can no longer be answered once the meeting
    /// starts: from then it waits for no one, and the jobs close it at the start rather than at
    /// its own, later date.
    func testAProposedNewDateIsClosedWhenTheMeetingStarts() throws {
        let w = try world()
        let meetingStart = MeetingTime.at(day: 2, hour: 10), proposed = MeetingTime.at(day: 5, hour: 10)
        let agreed = try w.agreed(start: meetingStart)
        try w.act("meeting.reschedule", as: w.user, agreed, ["start": .string(proposed)])
        XCTAssertEqual(try w.meeting(agreed)["awaiting_action_by"], "expert")
        _ = try w.drainOutbox()
        try w.setClock(MeetingTime.shifted(meetingStart, minutes: -1))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["alternates_closed"], 0, "not before the meeting starts")
        try w.setClock(meetingStart)
        XCTAssertEqual(try w.meeting(agreed)["awaiting_action_by"], .null, "no one may answer it now")
        let waiting = try w.meetingd.allPages("meeting.waiting", as: w.admin, [:]).compactMap { $0["id"]?.string }
        XCTAssertFalse(waiting.contains(agreed), "not in the office's list: \(waiting)")
        try w.refuse("meeting.confirm_alternate", as: w.expert, agreed, code: 4012)
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["alternates_closed"], 1)
        let after = try w.meeting(agreed)
        assertMeeting(after, status: "agreed", credit: "blocked", start: meetingStart)
        XCTAssertEqual(after["alternate"], .null)
        XCTAssertEqual(try w.timeline(agreed).last, "alternative_date_expired")
        XCTAssertEqual(try w.drainRaw().filter { $0["kind"] == "alternative_date_expired" }.compactMap { $0["recipient_id"]?.string }, [w.user])
        try w.setClock(MeetingTime.shifted(meetingStart, minutes: 60))
        XCTAssertEqual(try w.meeting(agreed)["awaiting_action_by"], "expert", "the session to log")
        try w.assertReconciled()
    }

    func testRequestsWhoseStartPassedExpireAndReturnTheirCredits() throws {
        let w = try world()
        let requestStart = MeetingTime.at(day: 1, hour: 10), proposalStart = MeetingTime.at(day: 1, hour: 12)
        let request = try MeetingWorld.id(of: w.request(start: requestStart))
        let proposal = try MeetingWorld.id(of: w.propose(start: proposalStart))
        let agreed = try w.agreed(start: MeetingTime.at(day: 1, hour: 14))
        _ = try w.drainOutbox()
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 200))

        try w.setClock(MeetingTime.shifted(requestStart, minutes: -1))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["requests_expired"], 0)
        try w.setClock(requestStart)
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["requests_expired"], 1)
        assertMeeting(try w.meeting(request), status: "expired", credit: "returned")
        let last = try w.timelineEvents(request).last
        XCTAssertEqual(last?["kind"], "expired")
        XCTAssertEqual(last?["actor_role"], "system")
        XCTAssertEqual(try w.trail(request), ["hold pending 100", "release void_pending 100"])
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100), "the request's credits are back")
        XCTAssertEqual(try w.drainedSummary(), ["meeting_reminder→user", "request_expired→expert", "request_expired→user"],
                       "both sides are told; the agreed meeting, 4 hours away, gets its reminder")
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["requests_expired"], 0, "expired once")

        try w.setClock(MeetingTime.shifted(proposalStart, minutes: 1))
        XCTAssertEqual(try w.meetingd.result("jobs.run_due", as: w.admin)["requests_expired"], 1)
        assertMeeting(try w.meeting(proposal), status: "expired", credit: "none", "an unanswered proposal held nothing")
        assertMeeting(try w.meeting(agreed), status: "agreed", credit: "blocked", "agreed meetings do not expire")
        XCTAssertEqual(try w.wallet(), MeetingWorld.wallet(blocked: 100))
        try w.assertReconciled()
    }

    func testOnlyAdminsRunJobsAndConsumeTheOutbox() throws {
        let w = try world()
        for actor in [w.user, w.expert, w.finance] {
            try w.meetingd.error("jobs.run_due", as: actor, code: 4003)
            try w.meetingd.error("outbox.claim", as: actor, ["consumer": "x", "limit": 1], code: 4003)
        }
    }
}
