import Community
import Core
import Meetings
import Scheduling

/// What a person reads for one outbox notification: a subject, a plain-text body and a short
/// push text, in the community's words, with times on the recipient's clock.
public enum NotificationText {
    public struct Texts: Sendable, Equatable {
        public let subject: String
        public let body: String
        public let push: String
    }

    public static func compose(
        kind: String, recipient: PersonFacts, counterpart: PersonFacts?, service: String?, start: Instant?, payload: JSON, settings: CommunitySettings
    ) -> Texts {
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
        case "new_date_accepted_by_user": (subject, line) = ("\(other) accepted the new date: please make the session", "\(other) accepted \(when) for \(what). Please process the request: give its session type and location to make the session.")
        case "meeting_booked_for_user": (subject, line) = ("A meeting was requested for you", "A meeting with \(other) on \(when) for \(what) was requested for you. It waits for the \(provider.lowercased())'s confirmation.")
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
        // Seed 003: meetings a customer booked for a student name the student.
        let student = payload["meeting"]?["student_name"]?.stringValue.map { $0.isEmpty ? "" : " The meeting is for \($0)." } ?? ""
        // A note the other side wrote with the action (a counter-offer's message, seed 003).
        let note = payload["note"]?.stringValue.flatMap { $0.isEmpty ? nil : "\n\nNote from \(other): \($0)" } ?? ""
        let body = "Hello \(recipient.firstName),\n\n\(line)\(student)\(note)\n\n— \(settings.shortName.isEmpty ? "MeetingLedger" : settings.shortName)\n"
        return Texts(subject: short + subject, body: body, push: String((short + line + student).prefix(140)))
    }
}

/// "Mon 9 Mar 2026 09:00 EDT" in a person's zone.
public enum LocalTimeText {
    public static func format(_ instant: Instant, zone: String) -> String {
        (ZoneClock(identifier: zone) ?? ZoneClock(identifier: "UTC")!).describe(instant)
    }
}
