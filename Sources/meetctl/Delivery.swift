import Core
import Foundation
import Synchronization

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
        // Each run is a consumer of its own, so two runs at once never ack or fail each other's leases.
        let consumer = invocation.string("consumer") ?? "meetctl-mail@\(ProcessInfo.processInfo.hostName):\(getpid())"
        let leaseSeconds = invocation.int("lease") ?? defaultLeaseSeconds
        // The program's time within the lease, with room for the ack after it.
        let programSeconds = min(programTimeoutSeconds, max(1, (Double(leaseSeconds) - leaseMarginSeconds) / 2))

        // One message leased at a time, channel by channel (the video channel is another
        // consumer's), and acknowledged (or failed) as soon as the program has taken it (or not):
        // a run holds no lease on a message it is not sending, so one killed half-way sends
        // nothing twice but the message in hand, and SIGTERM or SIGINT stops it after that one.
        StopRequest.catchSignals()
        defer { StopRequest.releaseSignals() }
        let limit = invocation.int("limit") ?? defaultLimit
        var claimed = 0
        var delivered: [String] = []
        var failures: [Failure] = []
        var notLeased: [JSON] = []
        var failLost: [JSON] = []
        var retries: [JSON] = []
        for channel in invocation.string("channel").map({ [$0] }) ?? channels {
            while Int64(claimed) < limit, !StopRequest.isRequested {
                let leasedAt = Date()
                let params: [String: JSON] = ["consumer": .string(consumer), "channel": .string(channel), "limit": 1, "lease_seconds": .int(leaseSeconds)]
                guard let message = try session.call("outbox.claim", params)["messages"]?.arrayValue?.first, let id = message["id"]?.stringValue else { break }
                claimed += 1
                var failure: String?
                do {
                    let mail = try MailMessage.outboxMessage(message, from: from, now: SystemClock.now())
                    // Never run past the lease: another run may have the message by then.
                    let timeout = min(programSeconds, leasedAt.addingTimeInterval(Double(leaseSeconds) - leaseMarginSeconds).timeIntervalSinceNow)
                    let run = try Subprocess.run(path, Array(program.dropFirst()), input: Array(mail.rendered.utf8), timeoutSeconds: max(1, timeout), ownGroup: true)
                    if !run.succeeded {
                        let said = run.stderr.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: " \t") }.joined(separator: " ")
                        failure = "\(executable) exited with status \(run.status)" + (said.isEmpty ? "" : ": \(said)")
                    }
                } catch let e as MailMessage.Invalid {
                    failure = "cannot write the email: \(e.reason)"
                } catch let e as ToolError {
                    failure = e.message
                }
                guard let failure else {
                    delivered.append(id)
                    let ack = try session.call("outbox.ack", ["ids": [.string(id)], "consumer": .string(consumer)])
                    notLeased += ack["not_leased"]?.arrayValue ?? []
                    continue
                }
                // Reported so it comes back after a back-off.
                let answer: JSON
                do {
                    answer = try session.call("outbox.fail", ["id": .string(id), "error": .string(Self.recordedError(failure)), "consumer": .string(consumer)])
                } catch let e as ServiceError where e.dataCode == "invalid_state" {
                    // The lease ran out: the message is another consumer's now, or set aside.
                    failLost.append(.string(id))
                    continue
                }
                failures.append(Failure(id: id, error: failure))
                retries.append([
                    "id": .string(id), "error": .string(failure), "status": answer["status"] ?? .null,
                    "attempts": answer["attempts"] ?? .null, "retry_at": answer["available_at"] ?? .null,
                ])
            }
        }

        if invocation.wantsJSON {
            session.out.json(JSON.object([
                "claimed": .int(Int64(claimed)), "delivered": .array(delivered.map { .string($0) }), "failed": .array(retries),
                "ack_lost": .array(notLeased), "fail_lost": .array(failLost), "stopped": .bool(StopRequest.isRequested),
            ]))
        } else {
            for retry in retries {
                let attempt = Render.plain(retry["attempts"] ?? nil)
                let what = retry["status"] == "dead" ? "attempt \(attempt): given up, set aside as dead" : "attempt \(attempt): it will be retried"
                session.out.error("failed \(Render.plain(retry["id"] ?? nil)): \(Render.plain(retry["error"] ?? nil)) (\(what))")
            }
            if !notLeased.isEmpty {
                session.out.error("warning: \(Counted.words(Int64(notLeased.count), "message")) \(notLeased.count == 1 ? "was" : "were") sent after their lease ran out and may be sent again: \(notLeased.map(Render.plain).joined(separator: ", "))")
            }
            if !failLost.isEmpty {
                session.out.error(
                    "warning: \(Counted.words(Int64(failLost.count), "message")) failed after their lease ran out, so the failure was not recorded; they come back after their back-off, or are set aside as dead after the last attempt (meetctl outbox dead): \(failLost.map(Render.plain).joined(separator: ", "))")
            }
            if StopRequest.isRequested { session.out.error("stopped as asked, after the message in hand") }
            session.out.line("Delivered \(delivered.count), failed \(failures.count) (of \(claimed) claimed).")
        }
        let dead = retries.filter { $0["status"] == "dead" }.count
        if !failures.isEmpty || !failLost.isEmpty {
            let retried = failures.count - dead
            throw Failed(message: [
                retried > 0 ? "\(Counted.words(Int64(retried), "message")) not delivered; \(retried == 1 ? "it stays" : "they stay") in the outbox and will be retried" : nil,
                dead > 0 ? "\(Counted.words(Int64(dead), "message")) given up and set aside as dead (meetctl outbox dead lists them; meetctl outbox retry sends them again)" : nil,
                failLost.isEmpty ? nil : "\(Counted.words(Int64(failLost.count), "message")) not delivered, past their lease; \(failLost.count == 1 ? "it comes" : "they come") back after their back-off, or are dead after the last attempt",
            ].compactMap { $0 }.joined(separator: "; "))
        }
    }

    /// Time kept between the end of a program's run and the end of the lease, for the ack.
    static let leaseMarginSeconds = 5.0
}

/// SIGTERM or SIGINT asked a delivery to stop after the message in hand. A handler (not an
/// ignored signal) so the programs it runs still stop on their own signals: a handler is reset
/// in a new program, an ignored signal would be inherited. The handler only stores to an atomic.
enum StopRequest {
    private static let requested = Atomic<Bool>(false)

    static var isRequested: Bool { requested.load(ordering: .relaxed) }

    static func catchSignals() {
        requested.store(false, ordering: .relaxed)
        for signalNumber in [SIGTERM, SIGINT] { signal(signalNumber) { _ in StopRequest.requested.store(true, ordering: .relaxed) } }
    }

    static func releaseSignals() {
        for signalNumber in [SIGTERM, SIGINT] { signal(signalNumber, SIG_DFL) }
    }
}
