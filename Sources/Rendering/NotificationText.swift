import Community
import Core
import Meetings
import Scheduling

/// What a person reads for one outbox notification: a subject, a plain-text body and a short
/// push text, in the community's words, with times on the recipient's clock.
public enum NotificationText {
    /// The most characters a push text (a phone's notification line) takes.
    static let pushCharacters = 140

    public struct Texts: Sendable, Equatable {
        public let subject: String
        public let body: String
        public let push: String
    }

    /// The meeting a message is about, as it stood when the message was written: what the body
    /// lists under the message (where, how long, the video link, the topic).
    public struct MeetingDetails: Sendable, Equatable {
        public var lengthMinutes: Int64?
        public var location: String?
        public var videoURL: String?
        public var topic: String?
        public var sessionType: String?
        /// The session's class (seed 003), shown with the service.
        public var className: String?
        /// The session's length as the expert logged it.
        public var loggedMinutes: Int64?
        /// The student the meeting is for, where a message does not carry the meeting (reminders).
        public var studentName: String?
        /// The meeting is held at a virtual location (by video).
        public var byVideo: Bool?

        public init(
            lengthMinutes: Int64? = nil, location: String? = nil, videoURL: String? = nil, topic: String? = nil, sessionType: String? = nil,
            loggedMinutes: Int64? = nil, studentName: String? = nil, className: String? = nil, byVideo: Bool? = nil
        ) {
            self.byVideo = byVideo
            self.sessionType = sessionType
            self.className = className
            self.lengthMinutes = lengthMinutes
            self.location = location
            self.videoURL = videoURL
            self.topic = topic
            self.loggedMinutes = loggedMinutes
            self.studentName = studentName
        }
    }

    /// The service as a sentence names it: "Course CHEM101", or the name alone when it holds
    /// the community's word already ("Peer Mentoring with Talia K" or "All available Peer
    /// Mentoring", not "Peer Mentor All available Peer Mentoring").
    static func service(_ name: String, _ settings: CommunitySettings) -> String {
        let label = settings.label("class")
        // Seed 002's other naming, "Peer Mentoring Services" for services such as "Peer Mentoring
        // with Talia K": a name that begins with the label's words but its last ("Peer Mentoring")
        // names its kind already; one sharing a first word only ("Peer review") does not.
        let words = { (text: String) in text.lowercased().split(whereSeparator: \.isWhitespace) }
        let kind = words(label).dropLast()
        let saysItsKind = name.lowercased().contains(label.lowercased()) || (!kind.isEmpty && words(name).starts(with: kind))
        return saysItsKind ? name : "\(label) \(name)"
    }

    public static func compose(
        kind: String, recipient: PersonFacts, counterpart: PersonFacts?, service: String?, start: Instant?, payload: JSON, settings: CommunitySettings,
        counterpartCopied: Bool = false, details: MeetingDetails? = nil, counterpartName: String? = nil, readByOthers: Bool = false
    ) -> Texts {
        // Every text a person wrote is one line where it sits in a sentence, a note keeps its
        // paragraphs; nothing of theirs brings a control character or a reordering mark.
        let provider = PersonText.line(settings.label("provider"))
        // `counterpartName`: the name the recipient knows them by where it is not their legal name
        // (a chat message's author as the chat shows them).
        let other = counterpartName.map(PersonText.line) ?? counterpart.map { PersonText.line("\($0.firstName) \($0.lastName)") } ?? "your \(provider.lowercased())"
        let when = start.map { LocalTimeText.format($0, zone: recipient.timeZone) } ?? ""
        let what = service.map { PersonText.line(Self.service($0, settings)) } ?? "your meeting"
        let shortName = PersonText.line(settings.shortName)
        let short = shortName.isEmpty ? "" : "[\(shortName)] "
        let greeting = "Hello \(PersonText.line(recipient.firstName)),"
        let signature = "— \(shortName.isEmpty ? "MeetingLedger" : shortName)\n"
        // A meeting that hides its session details from the recipient (Meeting.hidesDetails: one
        // the expert's side declined, to its user's side) is told as meeting.get shows it: with
        // whom, for whom and the public reason, and the date asked for; the note the other side
        // wrote is theirs.
        let hidden = payload["details_hidden"]?.boolValue == true
        // What became of credits held for a meeting that ended unanswered or declined: said to
        // the user, whose credits they were, and only when this step returned them (a new date
        // after a decline holds nothing: its expiry returns nothing). A message written before
        // "released" was recorded goes by the credit status alone.
        let returned = payload["recipient_role"]?.stringValue != "expert" && payload["meeting"]?["credit_status"]?.stringValue == "returned"
            && payload["released"]?.boolValue != false
            ? " The credits held for it are returned." : ""
        let meeting = payload["meeting"] ?? .null
        // The public reason of a decline, told to whichever side did not decline.
        let declineReason = meeting["decline_reason"]?["label"]?.stringValue.map { " Reason: \(PersonText.line($0))." } ?? ""
        // What the office did for the expert is told to the expert as the office's doing.
        let byOffice = payload["actor_role"]?.stringValue == "office" && payload["recipient_role"]?.stringValue == "expert"
        var (subject, line): (String, String)
        switch kind {
        case "meeting_request" where payload["actor_role"]?.stringValue == "admin":
            // Seed 000: students or admins create appointments; the expert learns which.
            (subject, line) = ("New meeting request for \(other), made by an admin", "An admin asked for a meeting with you on \(when) for \(what), on \(other)'s behalf. Please confirm or decline.")
        case "meeting_request": (subject, line) = ("New meeting request from \(other)", "\(other) asks to meet on \(when) for \(what). Please confirm or decline.")
        case "expert_meeting_invitation":
            (subject, line) = ("\(provider) \(other) invites you to a meeting", "\(other) proposes a meeting on \(when)\(Self.terms(meeting)) for \(what). Please confirm or decline; confirming holds its price.")
        case "meeting_confirmed", "meeting_confirmed_by_expert", "meeting_confirmed_by_user": (subject, line) = ("Meeting confirmed: \(when)", "Your meeting with \(other) on \(when) for \(what) is confirmed.")
        case "meeting_rejected_by_user" where payload["recipient_role"]?.stringValue == "user":
            (subject, line) = ("You declined \(when)", "You declined the meeting on \(when) with \(other).\(returned)")
        case "meeting_rejected_by_expert", "meeting_rejected_by_user": (subject, line) = ("Meeting declined", "\(other) declined the meeting on \(when).\(returned)\(declineReason)")
        case "meeting_withdrawn_by_expert", "meeting_withdrawn_by_user": (subject, line) = ("Meeting withdrawn", "\(other) withdrew the meeting on \(when).\(returned)")
        case "cancellation_by_expert", "cancellation_by_user", "occurrence_skipped_by_expert", "occurrence_skipped_by_user":
            (subject, line) = ending(kind, payload, settings: settings, other: other, when: when, what: what)
        case "rescheduling_agreed_by_expert", "rescheduling_agreed_by_user":
            let alternate = payload["meeting"]?["alternate"] ?? .null
            let proposed = proposedStart(payload, zone: recipient.timeZone).map { " to " + $0 } ?? ""
            // A new length changes the price: both are said, as approving holds that price.
            let meeting = payload["meeting"] ?? .null
            let terms = alternate["length_minutes"]?.intValue != meeting["length_minutes"]?.intValue
                || alternate["price_credits"]?.intValue != meeting["price_credits"]?.intValue
                ? Self.terms(alternate) : ""
            (subject, line) = kind.hasSuffix("_by_user") && payload["recipient_role"]?.stringValue == "user"
                ? ("You proposed a new date", "You proposed to move your meeting with \(other) on \(when)\(proposed)\(terms). The original date stays in effect until \(other) approves the new one.")
                : ("New date proposed by \(other)", "\(other) proposes to move your meeting on \(when)\(proposed)\(terms). The original date stays in effect until you approve the new one.")
        case "rescheduling_rejected_by_user" where payload["recipient_role"]?.stringValue == "user":
            (subject, line) = ("You proposed \(when)", "You proposed a new date for the declined meeting with \(other): \(when)\(Self.terms(meeting)), which \(other) will confirm or decline.")
        case "rescheduling_rejected_by_expert", "rescheduling_rejected_by_user":
            (subject, line) = ("New date proposed by \(other)", "\(other) proposes a new date for the declined meeting: \(when)\(Self.terms(meeting)). Please confirm or decline.")
        case "counter_offer_by_user" where payload["recipient_role"]?.stringValue == "user":
            let instead = Self.previousStart(payload, zone: recipient.timeZone).map { " instead of " + $0 } ?? ""
            (subject, line) = ("You proposed \(when)", "You proposed \(when)\(Self.terms(payload["meeting"] ?? .null))\(instead) to \(other), who will confirm or decline it.")
        case "counter_offer_by_expert", "counter_offer_by_user":
            let instead = Self.previousStart(payload, zone: recipient.timeZone).map { " instead of " + $0 } ?? " instead"
            (subject, line) = ("\(other) proposes another time", "\(other) proposes \(when)\(Self.terms(payload["meeting"] ?? .null))\(instead). Please confirm or decline.\(Self.heldStays(payload))")
        case "new_date_accepted_by_user" where payload["recipient_role"]?.stringValue == "user":
            (subject, line) = ("You accepted \(when)", "You accepted \(when) for \(what) with \(other). \(other) will now make the session; you will be told when it is made.")
        case "new_date_accepted_by_user": (subject, line) = ("\(other) accepted the date: please make the session", "\(other) accepted \(when) for \(what). Please make the session: confirm it, giving its session type and place.")
        case "meeting_booked_for_user" where meeting["status"]?.stringValue == "agreed":
            // Booked by staff and agreed at once (auto-accept).
            let booker = payload["actor_role"]?.stringValue == "office" ? "the office" : "an admin"
            (subject, line) = payload["recipient_role"]?.stringValue == "expert"
                ? ("Meeting booked for \(other) by \(booker)", "\(booker.prefix(1).uppercased() + booker.dropFirst()) booked a meeting with you on \(when) for \(what) for \(other); it is confirmed.")
                : ("Meeting confirmed: \(when)", "A meeting with \(other) on \(when) for \(what) was booked for you by \(booker); it is confirmed.\(Self.heldForYou(meeting))")
        case "meeting_booked_for_user":
            // Who booked it, and what of the user's it holds: they did not ask for it themselves.
            let booker = payload["actor_role"]?.stringValue == "office" ? " by the office" : payload["actor_role"]?.stringValue == "admin" ? " by an admin" : ""
            (subject, line) = ("A meeting was requested for you",
                               "A meeting with \(other) on \(when) for \(what) was requested for you\(booker).\(Self.heldForYou(meeting)) It waits for the \(provider.lowercased())'s confirmation.")
        case let k where k.hasPrefix("alternative_date_approved"):
            (subject, line) = ("New date approved by \(other)", "\(other) approved the new date: your meeting is now on \(when)\(Self.terms(meeting)).")
        case let k where k.hasPrefix("alternative_date_rejected"):
            let stays = payload["meeting"]?["status"]?.stringValue == "rejected" ? "stays declined" : "stays on \(when)"
            // The reason chosen from the community's list, as a decline's is told.
            let reason = payload["reason_code"]?.stringValue.flatMap { code in settings.rejectionReasons.first { $0.code == code }?.label }
                .map { " Reason: \(PersonText.line($0))." } ?? ""
            (subject, line) = ("New date turned down by \(other)", "\(other) turned down the new date you proposed; the meeting \(stays).\(reason)")
        case "alternative_date_expired":
            // Closed when its own date or the meeting's start passed: the meeting kept its date.
            // Which of their new dates, as the other side is told (a proposer may have given several).
            let proposed = Self.localTime(payload["proposed_start"], zone: recipient.timeZone).map { " (\($0))" } ?? ""
            (subject, line) = ("New date passed unanswered",
                               "The new date you proposed for your meeting with \(other)\(proposed) was not answered in time; the meeting kept its date, \(when).")
        case "alternative_date_unanswered":
            // Told to the side that did not answer the other's new date, which can no longer be taken.
            let proposed = Self.localTime(payload["proposed_start"], zone: recipient.timeZone).map { " (\($0))" } ?? ""
            (subject, line) = ("New date closed unanswered", "The new date \(other) proposed for your meeting\(proposed) was not answered in time and is closed; the meeting stays on \(when).")
        case let k where k.hasPrefix("alternative_date_cancelled"): (subject, line) = ("New date withdrawn by \(other)", "\(other) withdrew the new date they proposed; the meeting stays on \(when).")
        case let k where k.hasPrefix("alternative_date_"): (subject, line) = ("Alternate date update", "\(other) answered the alternate date for your meeting (now \(when)).")
        case "meeting_reminder": (subject, line) = ("Reminder: meeting on \(when)", "Your meeting with \(other) for \(what) starts \(when).")
        case "meeting_link":
            // A video meeting whose link is not set yet says so, rather than nothing of it.
            let link = payload["video_url"]?.stringValue.map { " Join: \(PersonText.line($0))" }
                ?? (details?.byVideo == true ? " It is held by video, and no link has been set for it yet." : "")
            (subject, line) = ("Your meeting starts soon", "Your meeting with \(other) starts \(when).\(link)")
        case "session_logged": (subject, line) = ("Session logged", "\(other) logged your session of \(when).\(Self.paid(payload))")
        case "user_no_show":
            // A meeting booked for a student was missed by the student, not by the customer told.
            let absent = payload["meeting"]?["student_name"]?.stringValue.flatMap { $0.isEmpty ? nil : PersonText.line($0) } ?? "you"
            (subject, line) = ("Missed meeting", "\(other) reported that \(absent) did not attend the meeting of \(when).\(Self.paid(payload))")
        case "expert_no_show" where payload["recipient_role"]?.stringValue == "user":
            // An admin's report, told to the user whose credits it returned.
            (subject, line) = ("Missed meeting", "An admin recorded that \(other) did not attend your meeting of \(when).\(returned)")
        case "expert_no_show":
            // Who reported it, so the expert can answer it.
            let reporter = payload["actor_role"]?.stringValue == "admin" ? "An admin" : other
            let released = meeting["credit_status"]?.stringValue == "returned" ? "; the credits held for it were returned" : ""
            (subject, line) = ("Missed meeting reported", "\(reporter) reported that you did not attend the meeting of \(when)\(released).")
        case "request_expired":
            let asked = payload["meeting"]?["proposed_by"]?.stringValue == "expert" ? "proposal" : "request"
            (subject, line) = ("\(asked.capitalized) expired", "The meeting \(asked) with \(other) for \(when) was not answered in time and has expired.\(returned)")
        case "user_suspended":
            let until = Self.localTime(payload["until"], zone: recipient.timeZone) ?? "later"
            if payload["recipient_role"]?.stringValue == "student" {
                (subject, line) = ("Bookings suspended", "Because of missed meetings, you cannot be booked until \(until).")
            } else if let student = payload["student_name"]?.stringValue.map(PersonText.line) {
                (subject, line) = ("Bookings for \(student) suspended", "Because of missed meetings, \(student) cannot be booked until \(until).")
            } else {
                (subject, line) = ("Booking suspended", "Because of missed meetings, you cannot book until \(until).")
            }
        case "user_unsuspended":
            if payload["recipient_role"]?.stringValue == "student" {
                (subject, line) = ("Bookings open again", "An admin lifted your suspension: you can be booked again.")
            } else if let student = payload["student_name"]?.stringValue.map(PersonText.line) {
                (subject, line) = ("Bookings for \(student) open again", "An admin lifted \(student)'s suspension: \(student) can be booked again.")
            } else {
                (subject, line) = ("Booking open again", "An admin lifted your suspension: you can book again.")
            }
        case "series_date_not_booked":
            // The reason both sides may read; the detail (the user's balance) only where sent,
            // and only to them: a copy (the office's) does not carry it.
            // Their times (a full week's, a suspension's end) on the reader's clock, as the
            // rest of the message: the service's words name them in UTC.
            let local = { (text: String) in LocalTimeText.times(in: PersonText.line(text), zone: recipient.timeZone) }
            var why = local(payload["reason"]?.stringValue ?? "").replacingOccurrences(of: "not booked: ", with: "")
            // The detail where it says more than the reason (not the reason with a hint for callers).
            let detail = readByOthers ? "" : payload["detail"]?.stringValue.map(local).flatMap { $0.hasPrefix(why) ? nil : " (\($0))" } ?? ""
            // The user reads of themself as "you" ("your credits did not cover it").
            let userWord = "the " + CommunitySettings.inSentence(PersonText.line(settings.label("user")))
            // Only where the reason names the user who booked (a student's series names the student).
            if payload["recipient_role"]?.stringValue == "user", payload["for_student"]?.boolValue == false {
                if why.hasPrefix(userWord + "'s ") { why = "your " + why.dropFirst(userWord.count + 3) }
                if why.hasPrefix(userWord + " ") { why = "you " + why.dropFirst(userWord.count + 1) }
            }
            // Whose session, and of what: an expert has several series.
            let of = service.map { _ in " for \(what)" } ?? ""
            // With whom, where the message says (one queued before it did names nobody).
            let with = counterpart.map { _ in " with \(other)" } ?? ""
            // A date that had passed is not tried again (it would be only were the clock set back).
            let again = payload["reason"]?.stringValue == SeriesSkip.passedReason ? "" : " It is tried again while the date is ahead."
            (subject, line) = ("Weekly session not booked: \(when)",
                               "The weekly session\(with) on \(when)\(of) could not be booked: \(why)\(detail).\(again)")
        case "series_date_booked":
            // A date told as not booked, booked after all: nothing else tells the user.
            let of = service.map { _ in " for \(what)" } ?? ""
            let with = counterpart.map { _ in " with \(other)" } ?? ""
            // The credits are the user's own (a customer's, for their student's series too).
            (subject, line) = ("Weekly session booked after all: \(when)",
                               "The weekly session\(with) on \(when)\(of), which could not be booked before, is booked now and waits for \(other) to confirm."
                                   + Self.heldForYou(credits: payload["held_credits"]?.intValue))
        case "series_date_skipped":
            // Skipped before its meeting was made: nothing else tells it.
            let role = payload["actor_role"]?.stringValue
            let who = role == payload["recipient_role"]?.stringValue ? "You skipped" : role == "admin" ? "An admin skipped" : "\(other) skipped"
            (subject, line) = ("Weekly session skipped: \(when)", who + " the weekly session on \(when); no meeting is held that day.")
        case "calendar.invite": (subject, line) = invitation(payload, other: other, what: what, when: when)
        case "chat_message":
            let text = payload["text"]?.stringValue ?? ""
            let body = "\(greeting)\n\n\(other) wrote:\n\n\(PersonText.body(text))\n\nReply in the chat.\n\n\(signature)"
            return Texts(subject: short + "New message from \(other)", body: body, push: PersonText.cut(short + "\(other): " + PersonText.line(text), to: Self.pushCharacters))
        default: (subject, line) = ("Meeting update", "Your meeting on \(when) was updated.")
        }
        if hidden, !kind.hasSuffix("_by_user") {
            // The expert's side declined (the user's own decline is told as theirs, above; a
            // message queued before such a decline kept its details still says details_hidden). The
            // date says which of the user's requests it was (seed 001: the declined session stays
            // on their list; its details are not shown).
            (subject, line) = ("Meeting declined", "\(other) declined the meeting\(when.isEmpty ? "" : " on \(when)").\(returned)\(declineReason)")
        } else if byOffice, !(kind == "meeting_booked_for_user" && meeting["status"]?.stringValue == "agreed") {
            (subject, line) = officeLine(kind, payload, other: other, when: when, what: what, zone: recipient.timeZone)
        }
        // The user reads the expert's side's step as the expert's; where the office took it, they
        // are told so (it was told as the expert's own doing).
        if payload["actor_role"]?.stringValue == "office", payload["recipient_role"]?.stringValue == "user", kind != "meeting_booked_for_user",
            counterpart != nil
        {
            line += " The office acted for \(other)."
        }
        // Seed 003: meetings a customer booked for a student name the student.
        let studentName = payload["meeting"]?["student_name"]?.stringValue ?? (payload["meeting"] == nil ? details?.studentName : nil)
        // The student reads of their own meeting without being named to themself (a calendar
        // invitation, sent to each of its people, says whose it is by the meeting it carries).
        let toStudent = payload["recipient_role"]?.stringValue == "student"
            || (payload["meeting"]?["student_id"]?.stringValue).map { $0 == recipient.id } == true
        let student = studentName.map { $0.isEmpty || toStudent ? "" : " The meeting is for \(PersonText.line($0))." } ?? ""
        // A note the other side (or the office for the expert) wrote with the action (a
        // counter-offer's message, seed 003).
        // The side that acted is told of its own action with its own note as theirs.
        let actorRole = payload["actor_role"]?.stringValue
        let author = actorRole == "office" ? "the office" : other
        let noteHeading = actorRole != nil && actorRole == payload["recipient_role"]?.stringValue ? "Your note" : "Note from \(author)"
        // An expert's proposal carries its note on the meeting itself (meeting.propose's `note`).
        let written = payload["note"]?.stringValue ?? (kind == "expert_meeting_invitation" ? payload["meeting"]?["note"]?.stringValue : nil)
        let note = hidden ? "" : written.flatMap { $0.isEmpty ? nil : "\n\n\(noteHeading): \(PersonText.body($0))" } ?? ""
        // The expert copied on the user's mail reads the time on their own clock too.
        let copiedClock = counterpartCopied ? counterpart.flatMap { c -> (String, String)? in
            guard c.timeZone != recipient.timeZone, let start else { return nil }
            return (PersonText.line("\(c.firstName) \(c.lastName)"), LocalTimeText.format(start, zone: c.timeZone) + " on \(PersonText.line(c.firstName))'s clock (\(c.timeZone))")
        } : nil
        let listed = hidden ? "" : details.map {
            "\n\n" + detailLines($0, when: when, zone: recipient.timeZone, service: service, settings: settings, copiedClock: copiedClock)
        } ?? ""
        let body = "\(greeting)\n\n\(line)\(student)\(note)\(listed)\n\n\(signature)"
        return Texts(subject: short + subject, body: body, push: PersonText.cut(short + line + student, to: Self.pushCharacters))
    }

    /// A time a payload carries, on `zone`'s clock.
    static func localTime(_ value: JSON?, zone: String) -> String? {
        (value?.stringValue).flatMap { try? Instant(lenient: $0) }.map { LocalTimeText.format($0, zone: zone) }
    }

    /// The time a counter-offer moved the request from, on the reader's clock.
    static func previousStart(_ payload: JSON, zone: String) -> String? {
        localTime(payload["previous_start"], zone: zone)
    }

    /// The start of the new date proposed for an agreed meeting (its alternate), on `zone`'s clock.
    static func proposedStart(_ payload: JSON, zone: String) -> String? {
        localTime(payload["meeting"]?["alternate"]?["start"], zone: zone)
    }

    /// What a logged session (or a missed one) cost its user, said to them: the credits paid.
    static func paid(_ payload: JSON) -> String {
        let meeting = payload["meeting"] ?? .null
        guard payload["recipient_role"]?.stringValue != "expert", meeting["credit_status"]?.stringValue == "paid",
            let charged = meeting["charged_credits"]?.intValue
        else { return "" }
        return " The \(Counted.words(charged, "credit")) held for it \(charged == 1 ? "was" : "were") paid."
    }

    /// " 100 credits of yours are held for it.": what a meeting booked for the user holds of theirs.
    static func heldForYou(_ meeting: JSON) -> String {
        guard meeting["credit_status"]?.stringValue == "blocked" else { return "" }
        return heldForYou(credits: meeting["held_credits"]?.intValue ?? meeting["price_credits"]?.intValue)
    }

    /// The same of a number of credits (nothing for none).
    static func heldForYou(credits: Int64?) -> String {
        guard let held = credits, held > 0 else { return "" }
        return " \(Counted.words(held, "credit")) of yours \(held == 1 ? "is" : "are") held for it."
    }

    /// A counter-offer of another price leaves the user's hold as it was (SPEC §5.2): the user
    /// is told what stays held and what accepting does.
    static func heldStays(_ payload: JSON) -> String {
        let meeting = payload["meeting"] ?? .null
        guard payload["recipient_role"]?.stringValue != "expert", meeting["credit_status"]?.stringValue == "blocked",
            let held = meeting["held_credits"]?.intValue, let price = meeting["price_credits"]?.intValue, held != price
        else { return "" }
        return held == 1
            ? " The 1 credit held for your request stays held until you answer; confirming holds the new price in its place, declining returns it."
            : " The \(held) credits held for your request stay held until you answer; confirming holds the new price in their place, declining returns them."
    }

    /// " (90 minutes, 150 credits)": the length and price a proposed time comes with.
    static func terms(_ proposal: JSON) -> String {
        guard let minutes = proposal["length_minutes"]?.intValue, let credits = proposal["price_credits"]?.intValue else { return "" }
        return " (\(minutes) minutes, \(Counted.words(credits, "credit")))"
    }

    /// What became of the credits of the later dates a series' cancellation ended with the date
    /// it tells (`later_dates`): the user told what was returned and charged, the expert what is
    /// paid to them; nothing where nothing was.
    static func laterDatesCredits(_ later: JSON, recipient: String, windowHours: Int64, feePercent: Int64) -> String {
        let returned = later["returned_credits"]?.intValue ?? 0, charged = later["charged_credits"]?.intValue ?? 0
        let one = later["count"]?.intValue == 1
        let dates = one ? "the later date" : "the later dates", late = "cancelled within \(Counted.words(windowHours, "hour")) of \(one ? "its" : "their") start"
        if recipient == "user" {
            guard charged > 0 else { return returned > 0 ? " The \(Counted.words(returned, "credit")) held for \(dates) \(returned == 1 ? "was" : "were") returned." : "" }
            return " For \(dates), \(Counted.words(charged, "credit")) \(charged == 1 ? "was" : "were") charged, as \(one ? "it was" : "they were") \(late)"
                + (returned > 0 ? "; \(returned) \(returned == 1 ? "was" : "were") returned." : ".")
        }
        guard recipient == "expert", charged > 0 else { return "" }
        return " For \(dates), \(Counted.words(charged, "credit")) \(charged == 1 ? "is" : "are") charged and paid to you, as \(one ? "it was" : "they were") \(late)"
            + lessFee(percent: feePercent, credits: later["fee_credits"]?.intValue)
    }

    /// What the platform took of credits paid to the expert: ", less the platform's 10% fee (3
    /// credits)." where the fee taken is known (recorded with the message), nothing where none
    /// was taken (no fee, or one rounding down to nothing on a small charge); a message written
    /// before the fee was recorded says the percentage alone.
    static func lessFee(percent: Int64, credits: Int64?) -> String {
        guard percent > 0 else { return "." }
        guard let credits else { return ", less the platform's \(percent)% fee." }
        return credits > 0 ? ", less the platform's \(percent)% fee (\(Counted.words(credits, "credit")))." : "."
    }

    /// A cancelled or skipped meeting, told to the side that ended it ("Your session has been
    /// cancelled", seeds 000 and 001) and to the other side, with what became of the credits.
    static func ending(_ kind: String, _ payload: JSON, settings: CommunitySettings, other: String, when: String, what: String) -> (String, String) {
        let skipped = kind.hasPrefix("occurrence_skipped")
        let endedBy = kind.hasSuffix("_by_user") ? "user" : "expert"
        let recipient = payload["recipient_role"]?.stringValue ?? ""
        let meeting = payload["meeting"] ?? .null
        var credits = ""
        // The terms the ending was made under, as the message recorded them (a message written
        // before they were recorded goes by the settings).
        let windowHours = payload["window_hours"]?.intValue ?? settings.cancellationWindowHours
        let feePercent = payload["fee_percent"]?.intValue ?? settings.platformFeePercent
        if let charged = meeting["charged_credits"]?.intValue, meeting["credit_status"]?.stringValue == "paid" {
            let price = meeting["price_credits"]?.intValue ?? charged
            let late = "it was cancelled within \(Counted.words(windowHours, "hour")) of its start"
            credits = recipient == "user"
                ? " As \(late), \(charged) of its \(Counted.words(price, "credit")) \(charged == 1 ? "was" : "were") charged" + (charged < price ? "; the rest was returned." : ".")
                : " As \(late), \(charged) of its \(Counted.words(price, "credit")) \(charged == 1 ? "is" : "are") charged and paid to you"
                    + lessFee(percent: feePercent, credits: payload["fee_credits"]?.intValue)
        } else if recipient == "user", meeting["credit_status"]?.stringValue == "returned" {
            credits = " The credits held for it were returned."
        }
        credits += laterDatesCredits(payload["later_dates"] ?? .null, recipient: recipient, windowHours: windowHours, feePercent: feePercent)
        // The reason chosen from the community's list (seed 004), as a decline's is told.
        let label = payload["reason_label"]?.stringValue
            ?? payload["reason_code"]?.stringValue.flatMap { code in settings.cancellationReasons.first { $0.code == code }?.label }
        // A skip is a cancellation too: said so, where a cancellation says it itself.
        let cancelled = skipped ? "; it is cancelled" : ""
        // The later dates ended with it are told here, not each in a message of its own.
        let laterDates = payload["later_dates"]?["count"]?.intValue ?? 0
        let series = payload["series_cancelled"]?.boolValue != true && laterDates == 0 ? "" : SeriesDecider.laterDatesCancelled(Int(laterDates))
        let reason = label.map { " Reason: \(PersonText.line($0))." }.map { series + $0 } ?? series
        if payload["actor_role"]?.stringValue == "admin" {
            // An admin ends a series' date for its user: neither side did it themself.
            let did = skipped ? "skipped" : "cancelled"
            return recipient == endedBy
                ? ("Your session has been cancelled", "An admin \(did) your meeting with \(other) on \(when) for \(what), on your behalf\(cancelled).\(reason)\(credits)")
                : ("Meeting \(did) by an admin", "An admin \(did) \(other)'s meeting with you on \(when) for \(what)\(cancelled).\(reason)\(credits)")
        }
        if recipient == endedBy {
            let did = skipped ? "You skipped your meeting" : "You cancelled your meeting"
            return ("Your session has been cancelled", "\(did) with \(other) on \(when) for \(what)\(cancelled).\(reason)\(credits)")
        }
        let did = skipped ? "skipped" : "cancelled"
        return ("Meeting \(did) by \(other)", "\(other) \(did) the meeting on \(when) for \(what)\(cancelled).\(reason)\(credits)")
    }

    /// What the expert reads of an action the office took on their side of a meeting with
    /// `other` (seed 003: the office confirms, declines and proposes new dates for tutors).
    /// The expert told that the office agreed a meeting that overlaps another of theirs (an
    /// overlap accepted, by the office's accept_conflicts or the expert's own earlier): they may
    /// not have seen the warning.
    static func overlapAccepted(_ payload: JSON) -> String {
        payload["meeting"]?["conflict_accepted"]?.boolValue == true
            ? " It overlaps another of your agreed meetings; that overlap was accepted." : ""
    }

    static func officeLine(_ kind: String, _ payload: JSON, other: String, when: String, what: String, zone: String) -> (String, String) {
        let subject = "The office updated your meeting with \(other)"
        switch kind {
        case "meeting_request", "meeting_booked_for_user":
            return ("New meeting request for \(other), made by the office", "The office asked for a meeting with you on \(when) for \(what), on \(other)'s behalf. Please confirm or decline.")
        case let k where k.hasPrefix("meeting_confirmed"):
            return (subject, "The office confirmed your meeting with \(other) on \(when) for \(what), on your behalf." + overlapAccepted(payload))
        case let k where k.hasPrefix("meeting_rejected"): return (subject, "The office declined the meeting with \(other) on \(when), on your behalf.")
        case let k where k.hasPrefix("meeting_withdrawn"): return (subject, "The office withdrew the meeting with \(other) on \(when), on your behalf.")
        case let k where k.hasPrefix("rescheduling_agreed"):
            // The proposed date is the alternate; the agreed one stays until it is approved.
            let proposed = proposedStart(payload, zone: zone) ?? when
            return (subject, "On your behalf, the office proposed to move your meeting with \(other) on \(when) to \(proposed). It waits for \(other)'s answer.")
        case let k where k.hasPrefix("counter_offer") || k.hasPrefix("rescheduling_"):
            return (subject, "On your behalf, the office proposed \(when) to \(other) for \(what). It waits for \(other)'s answer.")
        case let k where k.hasPrefix("alternative_date_approved"):
            return (subject, "On your behalf, the office approved the new date \(other) proposed: your meeting is now on \(when)." + overlapAccepted(payload))
        case let k where k.hasPrefix("alternative_date_rejected"):
            let stays = payload["meeting"]?["status"]?.stringValue == "rejected" ? "stays declined" : "stays on \(when)"
            return (subject, "On your behalf, the office turned down the new date \(other) proposed; the meeting \(stays).")
        case let k where k.hasPrefix("alternative_date_cancelled"):
            return (subject, "On your behalf, the office withdrew the new date it proposed to \(other); the meeting stays on \(when).")
        case let k where k.hasPrefix("cancellation_by"): return (subject, "The office cancelled your meeting with \(other) on \(when) for \(what), on your behalf.")
        case let k where k.hasPrefix("occurrence_skipped"): return (subject, "The office skipped your meeting with \(other) on \(when) for \(what), on your behalf; it is cancelled.")
        default: return (subject, "The office updated your meeting with \(other) on \(when), on your behalf.")
        }
    }

    /// The mail that carries a calendar invitation (iTIP REQUEST, a move's updated REQUEST, or
    /// CANCEL): the title the calendar shows and the date on the recipient's clock.
    static func invitation(_ payload: JSON, other: String, what: String, when: String) -> (String, String) {
        let title = PersonText.line(payload["title"]?.stringValue ?? "Meeting")
        if payload["method"]?.stringValue == "CANCEL" {
            return ("Cancelled: \(title) @ \(when)", "Your meeting with \(other) on \(when) is cancelled. The attached cancellation removes it from your calendar.")
        }
        if (payload["sequence"]?.intValue ?? 0) > 0 {
            // An update may move the meeting or only change its details (a video link): it is
            // told as an update, with the time as it stands, never as a move it may not be.
            return ("Updated invitation: \(title) @ \(when)",
                    "Your meeting with \(other) for \(what) on \(when) was updated (its details are below). The attached invitation updates the entry in your calendar.")
        }
        return ("Invitation: \(title) @ \(when)",
                "Your meeting with \(other) for \(what) is on \(when). Accept the attached invitation to add it to your calendar.")
    }

    /// "When / Where / Video / Course / Topic" lines, labels aligned, each value on one line.
    /// `copiedClock`: the name and time of the expert copied on a user's mail, who lives on
    /// another clock.
    static func detailLines(
        _ d: MeetingDetails, when: String, zone: String, service: String?, settings: CommunitySettings, copiedClock: (name: String, time: String)? = nil
    ) -> String {
        let oneLine = PersonText.line
        var rows: [(String, String)] = []
        if !when.isEmpty { rows.append(("When", when + (d.lengthMinutes.map { ", \($0) minutes" } ?? "") + " (your time zone: \(zone))")) }
        if !when.isEmpty, let copiedClock {
            rows.append((oneLine(settings.label("provider")), "\(copiedClock.name), copied: \(copiedClock.time)"))
        }
        if let logged = d.loggedMinutes { rows.append(("Logged", "\(logged) minutes")) }
        if let place = d.location { rows.append(("Where", oneLine(place))) }
        if let url = d.videoURL { rows.append(("Video", oneLine(url))) }
        if let service {
            let ofClass = d.className.flatMap { $0.isEmpty ? nil : ", class " + oneLine($0) } ?? ""
            rows.append((oneLine(settings.label("class")), oneLine(service) + ofClass))
        }
        if let type = d.sessionType, !type.isEmpty { rows.append(("Session", oneLine(type))) }
        if let topic = d.topic, !topic.isEmpty { rows.append(("Topic", oneLine(topic))) }
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }.joined(separator: "\n")
    }
}

/// "Mon 9 Mar 2026 09:00 EDT" in a person's zone.
public enum LocalTimeText {
    public static func format(_ instant: Instant, zone: String) -> String {
        clock(zone).describe(instant)
    }

    /// Every RFC 3339 time in `text` in the person's zone, as `format` writes it.
    public static func times(in text: String, zone: String) -> String {
        clock(zone).describingTimes(in: text)
    }

    static func clock(_ zone: String) -> ZoneClock { ZoneClock(identifier: zone) ?? ZoneClock(identifier: "UTC")! }
}

/// A person's text where other people read it (a chat message, a name, a note, a service's
/// name). Other control characters and the marks that reorder text (bidirectional overrides)
/// become U+FFFD, so the text can neither move a terminal's cursor nor disguise what follows
/// it. In a body each line break (CR LF counted once, CR, NEL, U+2028 …) becomes LF and TAB
/// stays; on one line (a subject, a push, a name inside a sentence) each becomes a space.
public enum PersonText {
    public static func body(_ text: String) -> String { mapped(text, lineBreak: "\n", tab: "\t") }

    public static func line(_ text: String) -> String { mapped(text, lineBreak: " ", tab: " ") }

    /// `text` in at most `limit` characters and 4 UTF-8 bytes a character (a push service takes
    /// a few kilobytes; one character may hold any number of combining marks): whole, or cut at
    /// the last space that leaves room for "…" (a push text cut mid-word read "confirm or
    /// decline; con"); a text without a space in reach is cut where the limit falls.
    public static func cut(_ text: String, to limit: Int) -> String {
        let bytes = limit * 4
        let whole = text.boundedPrefix(characters: limit, utf8Bytes: bytes)
        guard whole.endIndex < text.endIndex else { return text }
        let head = text.boundedPrefix(characters: limit - 1, utf8Bytes: bytes - "…".utf8.count)
        let atSpace = head.lastIndex(of: " ").map { head[..<$0] } ?? head
        return String(atSpace.count >= limit / 2 ? atSpace : head).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Scalar by scalar: "\r\n" is one Character but two scalars, one line break.
    static func mapped(_ text: String, lineBreak: Unicode.Scalar, tab: Unicode.Scalar) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        // Marks that show nothing are left out: a run of tags would carry text no reader sees.
        for s in HiddenMarks.removed(from: text).unicodeScalars {
            defer { previous = s }
            if s == "\n" && previous == "\r" { continue }
            if s.isLineBreak {
                out.append(lineBreak)
            } else if s == "\t" {
                out.append(tab)
            } else {
                out.append(s.isControlCharacter || s.isBidiControl ? "\u{FFFD}" : s)
            }
        }
        return String(out)
    }
}
