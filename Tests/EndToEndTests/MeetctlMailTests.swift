import Foundation
import XCTest

/// `meetctl outbox deliver` for real: Debian's msmtp as the sendmail program, delivering over
/// SMTP to a local aiosmtpd server that writes each message it receives to a folder.
final class MeetctlMailTests: XCTestCase {
    var folder: URL!
    var sinks: [SMTPSink] = []

    override func setUpWithError() throws {
        _ = try TestEnvironment.databaseURL()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/msmtp") else {
            throw XCTSkip("msmtp is not installed: apt-get install -y msmtp (scripts/test installs it)")
        }
        guard SMTPSink.available else { throw XCTSkip("python3 cannot import aiosmtpd: pip install aiosmtpd (scripts/test installs it)") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("meetctl-mail-\(TestEnvironment.uniqueTag())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for sink in sinks { sink.stop() }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func sink(port: UInt16? = nil) throws -> SMTPSink {
        let sink = try SMTPSink(port: port, folder: folder.appendingPathComponent("received"))
        sinks.append(sink)
        return sink
    }

    func msmtpCommand(port: UInt16) throws -> String { try SMTPSink.msmtpCommand(port: port, configFolder: folder) }

    func deliver(_ c: MeetctlCommunity, _ sendmail: String, from: String = "Academy Office <noreply@academy.example>") throws -> (ToolResult, JSONValue) {
        let result = try c.admin.run(["outbox", "deliver", "--sendmail", sendmail, "--from", from, "--json"])
        return (result, try JSONValue.parse(result.stdout))
    }

    func testNotificationsArriveByEmailInEachRecipientsZone() throws {
        let office = "office-\(TestEnvironment.uniqueTag())@example.test"
        let c = try MeetctlCommunity.make(#function, officeEmail: office, userName: ("Zoë", "Müller"))
        let meeting = try c.agreedMeeting(start: "2030-03-11 10:00")
        // A line of a lone dot, and one beginning "From ": a sendmail without -i ends the message at
        // the first, an mbox rewrites the second; both travel encoded and arrive as written.
        try (try c.user).ok(["reschedule", meeting, "--start", "2030-03-13 19:00", "--note", "Mittwoch?\n.\nFrom then on, Wednesdays"])
        let smtp = try sink()
        try smtp.start()

        let human = try c.admin.ok(["outbox", "deliver", "--sendmail", try msmtpCommand(port: smtp.port), "--from", "Academy Office <noreply@academy.example>"])
        XCTAssertEqual(human, "Delivered 6, failed 0 (of 6 claimed).\n", "four notifications (Zoë's receipt of her new date among them), then the invitation to each party")
        let messages = try smtp.messages()
        XCTAssertEqual(messages.count, 6)

        // The user's invitation: to Zoë in Prague (CET), the tutor and the office copied (seed 003:
        // "Automatic emails will be sent to the customer and copy you and the office").
        let invitation = try XCTUnwrap(messages.first { $0["headers"]?["to"]?.string?.contains(c.userEmail) ?? false })
        XCTAssertEqual(invitation["headers"]?["to"]?.string, "Zoë Müller <\(c.userEmail)>")
        XCTAssertEqual(invitation["headers"]?["cc"]?.string, "\(c.expertEmail), \(office)")
        XCTAssertEqual(invitation["headers"]?["from"]?.string, "Academy Office <noreply@academy.example>")
        XCTAssertEqual(invitation["headers"]?["subject"]?.string, "[ACAD] Tutor Talia Kim invites you to a meeting")
        XCTAssertEqual(invitation["rcpt_tos"]?.array?.compactMap(\.string).sorted(), [c.userEmail, c.expertEmail, office].sorted(), "msmtp -t sends to To and Cc")
        XCTAssertEqual(invitation["mail_from"], "noreply@academy.example")
        let invitationText = try XCTUnwrap(invitation["body"]?.string)
        XCTAssertTrue(invitationText.hasPrefix("Hello Zoë,\n"), invitationText)
        XCTAssertTrue(invitationText.contains("Mon 11 Mar 2030 15:00"), "the time on Zoë's clock (Prague): \(invitationText)")
        XCTAssertTrue(invitationText.contains("Course CHEM101"), invitationText)
        // Talia, copied, reads the time on her own clock too.
        XCTAssertTrue(invitationText.contains("Talia Kim, copied: Mon 11 Mar 2030 10:00 EDT on Talia's clock (America/New_York)"), invitationText)

        // The expert's messages, on New York's clock; one subject needs RFC 2047 words.
        let toExpert = messages.filter { $0["headers"]?["to"]?.string == "Talia Kim <\(c.expertEmail)>" }
        XCTAssertEqual(toExpert.count, 3)
        let confirmed = try XCTUnwrap(toExpert.first { $0["headers"]?["subject"] == "[ACAD] Meeting confirmed: Mon 11 Mar 2030 10:00 EDT" })
        XCTAssertTrue(confirmed["body"]?.string?.contains("Your meeting with Zoë Müller on Mon 11 Mar 2030 10:00") ?? false, "\(confirmed)")
        let newDate = try XCTUnwrap(toExpert.first { $0["headers"]?["subject"] == "[ACAD] New date proposed by Zoë Müller" })
        XCTAssertNil(newDate["headers"]?["cc"], "the office is copied once, on Zoë's receipt")
        // Seed 003, step 15: the customer is mailed of their own update too, the office copied.
        let receipt = try XCTUnwrap(messages.first { $0["headers"]?["subject"] == "[ACAD] You proposed a new date" })
        XCTAssertEqual(receipt["headers"]?["to"]?.string, "Zoë Müller <\(c.userEmail)>")
        XCTAssertEqual(receipt["headers"]?["cc"]?.string, office)
        XCTAssertTrue(receipt["body"]?.string?.contains("You proposed to move your meeting with Talia Kim on Mon 11 Mar 2030 15:00") ?? false, "\(receipt)")
        XCTAssertTrue(newDate["body"]?.string?.contains("Mittwoch?\n.\nFrom then on, Wednesdays") ?? false, "\(newDate)")
        let raw = try smtp.rawMessages()
        let noted = try XCTUnwrap(raw.first { $0.contains("Mittwoch?") }, "\(raw)")
        XCTAssertTrue(noted.contains("\n=2E\n") || noted.contains("\r\n=2E\r\n"), noted)
        XCTAssertTrue(noted.contains("\n=46rom then on") && !noted.contains("\nFrom then on"), noted)
        XCTAssertTrue(raw.contains { $0.contains("\nSubject: =?UTF-8?B?") }, "a non-ASCII subject is encoded")
        for message in raw {
            XCTAssertTrue(message.contains("\nMIME-Version: 1.0\n") || message.contains("\r\nMIME-Version: 1.0\r\n"), message)
            XCTAssertTrue(message.contains("Content-Type: text/plain; charset=utf-8"), message)
            XCTAssertTrue(message.contains("Content-Transfer-Encoding: quoted-printable"), message)
            XCTAssertTrue(message.contains("Date: "), message)
        }
        let ids = messages.compactMap { $0["headers"]?["message-id"]?.string }
        XCTAssertEqual(Set(ids).count, 6, "each message has its own Message-ID: \(ids)")
        XCTAssertTrue(ids.allSatisfy { $0.hasPrefix("<out_") && $0.hasSuffix("@academy.example>") }, "\(ids)")

        // Everything was acknowledged: nothing is claimed again.
        let (again, summary) = try deliver(c, try msmtpCommand(port: smtp.port))
        XCTAssertEqual(again.termination, .exited(0), again.stderr)
        XCTAssertEqual(summary["claimed"], 0)
        XCTAssertEqual(try smtp.messages().count, 6)
    }

    /// RFC 5322 §3.2.4: a From name with quotes in it travels as one quoted string, each quote
    /// escaped, whether --from writes it plain or quoted; the closing quote of `Demo "HQ"` was
    /// dropped (`"Demo \"HQ"`), where `A "B" C` kept its quotes.
    func testQuotesInTheFromNameAreEscaped() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let smtp = try sink()
        try smtp.start()
        let sendmail = try msmtpCommand(port: smtp.port)
        let forms = [
            (#"Demo "HQ" <noreply@demo.example>"#, #"From: "Demo \"HQ\"" <noreply@demo.example>"#),
            (#"A "B" C <noreply@demo.example>"#, #"From: "A \"B\" C" <noreply@demo.example>"#),
            (#""Demo \"HQ\"" <noreply@demo.example>"#, #"From: "Demo \"HQ\"" <noreply@demo.example>"#),
            (#""Demo Academy" <noreply@demo.example>"#, "From: Demo Academy <noreply@demo.example>"),
        ]
        for (from, _) in forms {
            XCTAssertEqual(try c.admin.ok(["outbox", "deliver", "--limit", "1", "--sendmail", sendmail, "--from", from]),
                           "Delivered 1, failed 0 (of 1 claimed).\n", from)
        }
        let fromLines = try smtp.rawMessages().map { raw in raw.components(separatedBy: "\r\n").first { $0.hasPrefix("From:") } ?? raw }
        XCTAssertEqual(fromLines, forms.map(\.1))
        let parsed = try smtp.messages()
        XCTAssertEqual(parsed.map { $0["strict_error"] }, Array(repeating: .null, count: forms.count), "Python's strict policy finds no defect")
        XCTAssertEqual(parsed.map { $0["headers"]?["from"]?.string }, forms.map { $0.1.replacingOccurrences(of: "From: ", with: "") })
    }

    func testAFailedDeliveryStaysInTheOutboxAndIsSentOnceLater() throws {
        let c = try MeetctlCommunity.make(#function, officeEmail: "office-\(TestEnvironment.uniqueTag())@example.test")
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let smtp = try sink()  // not started yet: its port refuses connections
        let sendmail = try msmtpCommand(port: smtp.port)

        let (failedRun, failed) = try deliver(c, sendmail)
        XCTAssertEqual(failedRun.termination, .exited(1), "a failed delivery is an error")
        XCTAssertTrue(failedRun.stderr.contains("4 messages not delivered"), failedRun.stderr)
        XCTAssertEqual(failed["claimed"], 4, "two notifications and two invitations")
        XCTAssertEqual(failed["delivered"], [])
        let failures = failed["failed"]?.array ?? []
        XCTAssertEqual(failures.count, 4)
        for failure in failures {
            XCTAssertEqual(failure["status"], "pending", "kept for a retry: \(failure)")
            XCTAssertTrue(failure["error"]?.string?.hasPrefix("msmtp exited with status") ?? false, "msmtp's own words are kept: \(failure)")
        }
        let failedIds = Set(failures.compactMap { $0["id"]?.string })

        // Retries wait for their back-off (30 s after the first failure).
        let (soonRun, soon) = try deliver(c, sendmail)
        XCTAssertEqual(soonRun.termination, .exited(0), soonRun.stderr)
        XCTAssertEqual(soon["claimed"], 0)

        try smtp.start()
        try c.admin.ok(["clock", "advance", "5"])
        let (laterRun, later) = try deliver(c, sendmail, from: "Académie Öffice <noreply@academy.example>")
        XCTAssertEqual(laterRun.termination, .exited(0), laterRun.stderr)
        XCTAssertEqual(Set(later["delivered"]?.array?.compactMap(\.string) ?? []), failedIds)
        XCTAssertEqual(later["failed"], [])

        // And never again.
        try c.admin.ok(["clock", "advance", "120"])
        let (_, last) = try deliver(c, sendmail)
        XCTAssertEqual(last["claimed"], 0)
        let received = try smtp.messages()
        XCTAssertEqual(received.count, 4, "each message exactly once")
        XCTAssertEqual(Set(received.compactMap { $0["headers"]?["x-meetingledger-outbox-id"]?.string }), failedIds)
        XCTAssertEqual(received[0]["headers"]?["from"], "Académie Öffice <noreply@academy.example>", "a non-ASCII sender name is encoded")
    }

    /// A run stopped half-way (SIGTERM, as cron or systemd stop one) has acknowledged the message
    /// the program took and holds no lease on the others: the next run sends each of the rest
    /// at once, and none of them twice. A run acknowledged nothing before its end, so a stopped
    /// run's messages were all sent again, and leased ones it never tried waited out their lease.
    func testARunStoppedHalfWaySendsNothingTwice() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let sent = folder.appendingPathComponent("sent")
        try FileManager.default.createDirectory(at: sent, withIntermediateDirectories: true)
        // The program takes the message, then asks the meetctl that runs it to stop.
        let stopping = try c.admin.run(["outbox", "deliver", "--json", "--sendmail", #"/bin/sh -c 'cat > "$0/$$.eml"; kill -TERM $PPID' "# + sent.path])
        XCTAssertEqual(stopping.termination, .exited(0), stopping.stderr)
        let first = try JSONValue.parse(stopping.stdout)
        XCTAssertEqual(first["claimed"], 1, "one message leased at a time: \(first)")
        XCTAssertEqual(first["delivered"]?.array?.count, 1, "the message in hand, acknowledged")
        XCTAssertEqual(first["stopped"], true)

        let rest = try c.admin.run(["outbox", "deliver", "--json", "--sendmail", #"/bin/sh -c 'cat > "$0/$$.eml"' "# + sent.path])
        XCTAssertEqual(rest.termination, .exited(0), rest.stderr)
        let second = try JSONValue.parse(rest.stdout)
        let more = try XCTUnwrap(second["delivered"]?.array?.count)
        XCTAssertGreaterThan(more, 0, "the rest go at once, with no lease to wait out: \(second)")
        let ids = try FileManager.default.contentsOfDirectory(atPath: sent.path).map { name -> String in
            let mail = try String(contentsOf: sent.appendingPathComponent(name), encoding: .utf8)
            return mail.split(separator: "\r\n").first { $0.hasPrefix("X-MeetingLedger-Outbox-Id: ") }.map(String.init) ?? name
        }
        XCTAssertEqual(ids.count, 1 + more, "each message sent once")
        XCTAssertEqual(Set(ids).count, ids.count, "none twice: \(ids)")
        XCTAssertEqual(try JSONValue.parse(try c.admin.run(["outbox", "deliver", "--json", "--sendmail", "/bin/cat"]).stdout)["claimed"], 0, "nothing is left")
    }

    /// A Ctrl-C at the terminal signals meetctl's whole process group: meetctl stops after the
    /// message in hand and acknowledges it through its meetingd, which runs in a group of its
    /// own and so is not stopped first (the next run sends each of the rest once).
    func testACtrlCStopsAfterTheMessageInHandAndAcknowledgesIt() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let sent = folder.appendingPathComponent("sent")
        try FileManager.default.createDirectory(at: sent, withIntermediateDirectories: true)
        // meetctl leads a process group of its own (setsid), as at a terminal; the program (in its
        // own group) signals that group as the terminal's Ctrl-C does.
        let program = #"/bin/sh -c 'cat > "$0/$$.eml"; kill -INT -$(cut -d" " -f5 /proc/$PPID/stat)' "# + sent.path
        let stopped = try runTool(
            "/usr/bin/setsid", [Meetctl.path, "--test-clock", "outbox", "deliver", "--json", "--sendmail", program], environment: c.admin.environment)
        XCTAssertEqual(stopped.termination, .exited(0), stopped.stderr)
        let first = try JSONValue.parse(stopped.stdout)
        XCTAssertEqual(first["delivered"]?.array?.count, 1, "the message in hand, acknowledged: \(first)")
        XCTAssertEqual(first["stopped"], true)
        let rest = try c.admin.run(["outbox", "deliver", "--json", "--sendmail", #"/bin/sh -c 'cat > "$0/$$.eml"' "# + sent.path])
        XCTAssertEqual(rest.termination, .exited(0), rest.stderr)
        let ids = try FileManager.default.contentsOfDirectory(atPath: sent.path).map { name -> String in
            let mail = try String(contentsOf: sent.appendingPathComponent(name), encoding: .utf8)
            return mail.split(separator: "\r\n").first { $0.hasPrefix("X-MeetingLedger-Outbox-Id: ") }.map(String.init) ?? name
        }
        XCTAssertEqual(Set(ids).count, ids.count, "none twice: \(ids)")
        XCTAssertEqual(try JSONValue.parse(try c.admin.run(["outbox", "deliver", "--json", "--sendmail", "/bin/cat"]).stdout)["claimed"], 0, "nothing is left")
    }

    /// A program is done when it exits: one that leaves a child running (a sendmail's queue
    /// runner) is acknowledged at once, and one stuck in a child is stopped with all of it at its
    /// timeout. meetctl waited for every process holding the program's descriptors: it reported
    /// a program that had exited 0 as timed out (and the message went again), and a stuck child
    /// kept it waiting past its lease and past SIGTERM.
    func testAProgramIsDoneWhenItExits() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let started = Date()
        let (leftRunning, quick) = try deliver(c, "/bin/sh -c 'cat >/dev/null; sleep 30 & exit 0'")
        XCTAssertEqual(leftRunning.termination, .exited(0), leftRunning.stderr)
        XCTAssertFalse(quick["delivered"]?.array?.isEmpty ?? true, "\(quick)")
        XCTAssertEqual(quick["failed"]?.array?.count, 0, "\(quick)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "the children it left did not keep the run waiting")

        _ = try c.agreedMeeting(start: "2030-03-12 10:00")
        let stuckStart = Date()
        let stuck = try c.admin.run(["outbox", "deliver", "--json", "--lease", "12", "--limit", "1", "--sendmail", "/bin/sh -c 'cat >/dev/null; sleep 100; exit 0'"])
        XCTAssertEqual(stuck.termination, .exited(1), stuck.stderr)
        XCTAssertTrue((try JSONValue.parse(stuck.stdout))["failed"]?[0]?["error"]?.string?.contains("did not finish within") ?? false, stuck.stdout)
        XCTAssertLessThan(Date().timeIntervalSince(stuckStart), 15, "stopped at its timeout, child and all")
    }

    func testAProgramThatRefusesTheMessageFailsIt() throws {
        let c = try MeetctlCommunity.make(#function)
        _ = try c.agreedMeeting(start: "2030-03-11 10:00")
        let (run, summary) = try deliver(c, "/bin/sh -c 'cat >/dev/null; echo mailbox full >&2; exit 75'")
        XCTAssertEqual(run.termination, .exited(1))
        XCTAssertEqual(summary["failed"]?[0]?["error"], "/bin/sh exited with status 75: mailbox full")

        // Whatever the program says is recorded: a NUL and 3,990 scalars of combining marks (1,995
        // Characters) were refused by outbox.fail, and the failure was lost with the message leased.
        try c.admin.ok(["clock", "advance", "120"])
        let (_, noisy) = try deliver(c, #"/bin/sh -c 'cat >/dev/null; { printf "bad\000byte "; i=0; while [ $i -lt 1995 ]; do printf "e\314\201"; i=$((i+1)); done; printf " the real reason"; } >&2; exit 75'"#)
        let noisyFailures = noisy["failed"]?.array ?? []
        XCTAssertFalse(noisyFailures.isEmpty, "\(noisy)")
        for failure in noisyFailures {
            XCTAssertNotEqual(failure["attempts"], .null, "outbox.fail recorded it: \(failure)")
            XCTAssertEqual(failure["status"], "pending", "\(failure)")
        }
        let recorded = try Psql.query(try TestEnvironment.databaseURL(), """
            SELECT length(last_error) FROM outbox WHERE id = \(Psql.literal(noisyFailures[0]["id"]?.string ?? ""))
            """)
        XCTAssertEqual(recorded, ["2000"], "the error, cut to its bound in scalars")
        // Cut in the middle: a program says what went wrong last, and that is kept.
        let ends = try Psql.query(try TestEnvironment.databaseURL(), """
            SELECT left(last_error, 30) || '|' || right(last_error, 16) FROM outbox WHERE id = \(Psql.literal(noisyFailures[0]["id"]?.string ?? ""))
            """)
        XCTAssertEqual(ends, ["/bin/sh exited with status 75:| the real reason"])
        // The eighth failure sets the messages aside, and the run says so (not "will be retried").
        var last = noisy
        var lastRun: ToolResult?
        for _ in 0..<8 where last["failed"]?.array?.first?["status"] != "dead" {
            try c.admin.ok(["clock", "advance", "120"])
            let run = try c.admin.run(["outbox", "deliver", "--sendmail", "/bin/sh -c 'cat >/dev/null; exit 75'"])
            lastRun = run
            last = run.stderr.contains("set aside as dead") ? ["failed": [["status": "dead"]]] : [:]
        }
        let given = try XCTUnwrap(lastRun)
        XCTAssertTrue(given.stderr.contains("given up and set aside as dead (meetctl outbox dead lists them"), given.stderr)
        XCTAssertFalse(given.stderr.contains("will be retried"), given.stderr)
        let missing = try c.admin.fails(["outbox", "deliver", "--sendmail", "/nonexistent/sendmail -t"], status: 1)
        XCTAssertTrue(missing.stderr.contains("is not an executable"), missing.stderr)
    }
}
