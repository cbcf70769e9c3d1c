import Core
import Foundation

/// `outbox deliver`: notifications and calendar invitations from the outbox to a
/// sendmail-compatible program, each acknowledged only once the program accepted it.
enum Delivery {
    /// The outbox channels that become e-mail, in the order they are delivered.
    static let channels = ["notification", "calendar"]

    static let defaultSendmail = "/usr/sbin/sendmail -t -i"
    static let defaultLimit: Int64 = 50
    static let defaultLeaseSeconds: Int64 = 300
    /// How long one message may take the program before it counts as failed.
    static let programTimeoutSeconds = 120.0

    struct Failure {
        let id: String
        let error: String
    }

    /// The most of a failure's text outbox.fail records (its `error` param's bound).
    static let maxRecordedErrorScalars = 2000

    /// A failure as outbox.fail takes it: the program's own words (its stderr may hold anything)
    /// without NUL, cut to the bound in Unicode scalars, which is what the bound counts (a cut by
    /// Characters let a text of combining marks run past it, and the refusal lost the failure).
    /// A longer text keeps its beginning and its end, where a program says what went wrong last.
    static func recordedError(_ text: String) -> String {
        let scalars = text.unicodeScalars.filter { $0 != "\u{0}" }
        guard !scalars.isEmpty else { return "delivery failed" }
        guard scalars.count > maxRecordedErrorScalars else { return String(String.UnicodeScalarView(scalars)) }
        let gap = Array(" … ".unicodeScalars), head = 200
        let tail = maxRecordedErrorScalars - head - gap.count
        return String(String.UnicodeScalarView(scalars.prefix(head) + gap + scalars.suffix(tail)))
    }

    @Sendable static func deliver(_ invocation: Invocation, _ session: Session) throws {
        let environment = ProcessInfo.processInfo.environment
        let commandLine = invocation.string("sendmail") ?? environment["MEETINGLEDGER_SENDMAIL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultSendmail
        let program = try Subprocess.words(commandLine)
        guard let executable = program.first else { throw UsageError(message: "--sendmail: the command is empty") }
        guard let path = Subprocess.executable(executable) else {
            throw ToolError(message: "the sendmail program \(executable) is not an executable", hint: "install one (msmtp, a sendmail) or pass --sendmail \"PROGRAM ARGS\"")
        }
        let from = invocation.string("from") ?? environment["MEETINGLEDGER_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "meetingledger@\(ProcessInfo.processInfo.hostName)"
        let consumer = invocation.string("consumer") ?? "meetctl-mail"

        // One claim per channel (the video channel is another consumer's), within one limit.
        let limit = invocation.int("limit") ?? defaultLimit
        var messages: [JSON] = []
        for channel in invocation.string("channel").map({ [$0] }) ?? channels where messages.count < limit {
            let params: [String: JSON] = [
                "consumer": .string(consumer), "channel": .string(channel), "limit": .int(limit - Int64(messages.count)),
                "lease_seconds": .int(invocation.int("lease") ?? defaultLeaseSeconds),
            ]
            messages += try session.call("outbox.claim", params)["messages"]?.arrayValue ?? []
        }

        // Each message is acknowledged (or failed) as soon as the program has taken it (or not),
        // so a run killed half-way sends nothing twice but the message in hand; SIGTERM or
        // SIGINT stops the run after that message. Nothing is sent once its lease has run out
        // (another run may have it by then): the rest come back when their leases expire.
        let leaseEnds = Date().addingTimeInterval(Double(invocation.int("lease") ?? defaultLeaseSeconds))
        StopRequest.catchSignals()
        defer { StopRequest.releaseSignals() }
        var delivered: [String] = []
        var failures: [Failure] = []
        var notLeased: [JSON] = []
        var retries: [JSON] = []
        var left = 0
        for (index, message) in messages.enumerated() {
            guard let id = message["id"]?.stringValue else { continue }
            let leaseLeft = leaseEnds.timeIntervalSinceNow - leaseMarginSeconds
            guard !StopRequest.isRequested, leaseLeft > 0 else {
                left = messages.count - index
                break
            }
            var failure: String?
            do {
                let mail = try MailMessage.outboxMessage(message, from: from, now: SystemClock.now())
                let run = try Subprocess.run(
                    path, Array(program.dropFirst()), input: Array(mail.rendered.utf8), timeoutSeconds: min(programTimeoutSeconds, leaseLeft))
                if !run.succeeded {
                    let said = run.stderr.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: " \t") }.joined(separator: " ")
                    failure = "\(executable) exited with status \(run.status)" + (said.isEmpty ? "" : ": \(said)")
                }
            } catch let e as MailMessage.Invalid {
                failure = "cannot write the email: \(e.reason)"
            } catch let e as ToolError {
                failure = e.message
            }
            if let failure {
                // Reported so it comes back after a back-off.
                let answer: JSON
                do {
                    answer = try session.call("outbox.fail", ["id": .string(id), "error": .string(Self.recordedError(failure)), "consumer": .string(consumer)])
                } catch let e as ServiceError where e.dataCode == "invalid_state" {
                    // The lease ran out and another consumer has the message: theirs to deliver.
                    notLeased.append(.string(id))
                    continue
                }
                failures.append(Failure(id: id, error: failure))
                retries.append([
                    "id": .string(id), "error": .string(failure), "status": answer["status"] ?? .null,
                    "attempts": answer["attempts"] ?? .null, "retry_at": answer["available_at"] ?? .null,
                ])
            } else {
                delivered.append(id)
                let ack = try session.call("outbox.ack", ["ids": [.string(id)], "consumer": .string(consumer)])
                notLeased += ack["not_leased"]?.arrayValue ?? []
            }
        }

        if invocation.wantsJSON {
            session.out.json(JSON.object([
                "claimed": .int(Int64(messages.count)), "delivered": .array(delivered.map { .string($0) }), "failed": .array(retries),
                "ack_lost": .array(notLeased), "not_tried": .int(Int64(left)),
            ]))
        } else {
            for retry in retries {
                let attempt = Render.plain(retry["attempts"] ?? nil)
                let what = retry["status"] == "dead" ? "attempt \(attempt): given up, set aside as dead" : "attempt \(attempt): it will be retried"
                session.out.error("failed \(Render.plain(retry["id"] ?? nil)): \(Render.plain(retry["error"] ?? nil)) (\(what))")
            }
            if !notLeased.isEmpty {
                session.out.error("warning: \(notLeased.count) message(s) were sent after their lease ran out and may be sent again: \(notLeased.map(Render.plain).joined(separator: ", "))")
            }
            if left > 0 {
                session.out.error(
                    "stopped \(StopRequest.isRequested ? "as asked" : "as the lease ran out") with \(left) message(s) not tried; they come back when their lease expires")
            }
            session.out.line("Delivered \(delivered.count), failed \(failures.count) (of \(messages.count) claimed).")
        }
        let dead = retries.filter { $0["status"] == "dead" }.count
        if !failures.isEmpty {
            let retried = failures.count - dead
            throw Failed(message: [
                retried > 0 ? "\(retried) message(s) not delivered; they stay in the outbox and will be retried" : nil,
                dead > 0 ? "\(dead) message(s) given up and set aside as dead (meetctl outbox dead lists them; meetctl outbox retry sends them again)" : nil,
            ].compactMap { $0 }.joined(separator: "; "))
        }
    }

    /// Time kept between the end of a program's run and the end of the lease, for the ack.
    static let leaseMarginSeconds = 5.0
}

/// SIGTERM or SIGINT asked a delivery to stop after the message in hand. A handler (not an
/// ignored signal) so the programs it runs still stop on their own signals: a handler is reset
/// in a new program, an ignored signal would be inherited.
enum StopRequest {
    nonisolated(unsafe) private static var requested: sig_atomic_t = 0

    static var isRequested: Bool { requested != 0 }

    static func catchSignals() {
        requested = 0
        for signalNumber in [SIGTERM, SIGINT] { signal(signalNumber) { _ in StopRequest.requested = 1 } }
    }

    static func releaseSignals() {
        for signalNumber in [SIGTERM, SIGINT] { signal(signalNumber, SIG_DFL) }
    }
}
