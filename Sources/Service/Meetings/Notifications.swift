import Community
import Core
import Postgres
import Scheduling

/// Turns an outbox notification into what a person reads: a subject, a plain-text body and a
/// short push text, in the community's words, with times in the recipient's zone.
enum Notifications {
    struct Texts {
        let subject: String
        let body: String
        let push: String
    }

    /// Adds `rendered` and `recipient` to a claimed notification message.
    static func rendered(_ ctx: RequestContext, _ message: JSON) throws -> JSON {
        guard message["channel"] == "notification", var fields = message.objectValue,
            let recipientId = message["recipient_id"]?.stringValue
        else { return message }
        let recipient = try ctx.person(recipientId)
        let settings = try ctx.settings()
        let payload = message["payload"] ?? .null
        var counterpart: PersonRecord? = nil
        var service: String? = nil
        var start: Instant? = nil
        var meetingId = message["meeting_id"]?.stringValue
        if let id = meetingId {
            let m = try MeetingStore.load(ctx, id, lock: false)
            counterpart = try ctx.person(m.userId == recipientId ? m.expertId : m.userId)
            service = try? Catalog.service(ctx, m.serviceId).name
            start = m.state.start
            meetingId = m.id
        }
        // The time as it was when the message was written, not as the meeting is now.
        if let s = (payload["meeting"]?["start"] ?? payload["start"])?.stringValue, let t = try? Instant(rfc3339: s) { start = t }
        let texts = compose(
            kind: message["kind"]?.stringValue ?? "", recipient: recipient, counterpart: counterpart, service: service, start: start,
            payload: payload, settings: settings)
        fields["rendered"] = ["subject": .string(texts.subject), "text": .string(texts.body), "push": .string(texts.push)]
        fields["recipient"] = [
            "email": .string(recipient.email), "first_name": .string(recipient.firstName), "last_name": .string(recipient.lastName),
            "time_zone": .string(recipient.timeZone),
        ]
        if let office = settings.officeEmail { fields["cc"] = .array([.string(office)]) }
        return .object(fields)
    }

    static func compose(kind: String, recipient: PersonRecord, counterpart: PersonRecord?, service: String?, start: Instant?, payload: JSON, settings: CommunitySettings) -> Texts {
        let provider = settings.label("provider")
        let other = counterpart.map { "\($0.firstName) \($0.lastName)" } ?? "your \(provider.lowercased())"
        let when = start.map { LocalTimeText.format($0, zone: recipient.timeZone) } ?? ""
        let what = service.map { "\(settings.label("class")) \($0)" } ?? "your meeting"
        let short = settings.shortName.isEmpty ? "" : "[\(settings.shortName)] "
        let (subject, line): (String, String)
        switch kind {
        case "meeting_request": (subject, line) = ("New meeting request from \(other)", "\(other) asks to meet on \(when) for \(what). Please confirm or decline.")
        case "expert_meeting_invitation": (subject, line) = ("\(provider) \(other) invites you to a meeting", "\(other) proposes a meeting on \(when) for \(what). Please confirm or decline.")
        case "meeting_confirmed", "meeting_confirmed_by_expert", "meeting_confirmed_by_user": (subject, line) = ("Meeting confirmed", "Your meeting with \(other) on \(when) for \(what) is confirmed.")
        case "meeting_rejected_by_expert", "meeting_rejected_by_user": (subject, line) = ("Meeting declined", "\(other) declined the meeting on \(when). Any credits held for it are returned.")
        case "meeting_withdrawn_by_expert", "meeting_withdrawn_by_user": (subject, line) = ("Meeting withdrawn", "\(other) withdrew the meeting on \(when).")
        case "cancellation_by_expert", "cancellation_by_user": (subject, line) = ("Meeting cancelled by \(other)", "\(other) cancelled the meeting on \(when) for \(what).")
        case "rescheduling_agreed_by_expert", "rescheduling_agreed_by_user":
            let proposed = (payload["meeting"]?["alternate"]?["start"]?.stringValue).flatMap { try? Instant(rfc3339: $0) }
                .map { " to " + LocalTimeText.format($0, zone: recipient.timeZone) } ?? ""
            (subject, line) = ("New date proposed by \(other)", "\(other) proposes to move your meeting on \(when)\(proposed). The original date stays in effect until you approve the new one.")
        case "rescheduling_rejected_by_expert", "rescheduling_rejected_by_user": (subject, line) = ("New date proposed by \(other)", "\(other) proposes a new date for the declined meeting: \(when). Please confirm or decline.")
        case "counter_offer_by_expert", "counter_offer_by_user": (subject, line) = ("\(other) proposes another time", "\(other) proposes \(when) instead. Please confirm or decline.")
        case let k where k.hasPrefix("alternative_date_"): (subject, line) = ("Alternate date update", "\(other) answered the alternate date for your meeting (now \(when)).")
        case "meeting_reminder": (subject, line) = ("Reminder: meeting on \(when)", "Your meeting with \(other) for \(what) starts \(when).")
        case "meeting_link": (subject, line) = ("Your meeting starts soon", "Your meeting with \(other) starts \(when)." + (payload["video_url"]?.stringValue.map { " Join: \($0)" } ?? ""))
        case "session_logged": (subject, line) = ("Session logged", "\(other) logged your session of \(when).")
        case "user_no_show": (subject, line) = ("Missed meeting", "\(other) reported that you did not attend the meeting of \(when).")
        case "expert_no_show": (subject, line) = ("Missed meeting reported", "The meeting of \(when) was reported as missed by you; the credits were returned.")
        case "request_expired": (subject, line) = ("Request expired", "The meeting request for \(when) was not answered in time and has expired.")
        case "user_suspended": (subject, line) = ("Booking suspended", "Because of missed meetings you cannot book until \(payload["until"]?.stringValue.flatMap { try? Instant(rfc3339: $0) }.map { LocalTimeText.format($0, zone: recipient.timeZone) } ?? "later").")
        case "calendar.invite": (subject, line) = ("Calendar invitation", "The calendar invitation for your meeting on \(when) is attached.")
        default: (subject, line) = ("Meeting update", "Your meeting on \(when) was updated.")
        }
        // A note the other side wrote with the action (a counter-offer's message, seed 003).
        let note = payload["note"]?.stringValue.flatMap { $0.isEmpty ? nil : "\n\nNote from \(other): \($0)" } ?? ""
        let body = "Hello \(recipient.firstName),\n\n\(line)\(note)\n\n— \(settings.shortName.isEmpty ? "MeetingLedger" : settings.shortName)\n"
        return Texts(subject: short + subject, body: body, push: String((short + line).prefix(140)))
    }
}

/// "Mon 9 Mar 2026 09:00 EDT" in a person's zone.
enum LocalTimeText {
    static func format(_ instant: Instant, zone: String) -> String {
        (ZoneClock(identifier: zone) ?? ZoneClock(identifier: "UTC")!).describe(instant)
    }
}
