import Community
import Core
import Ledger

/// The meeting rules (SPEC §5.2, seed 004) as pure functions: a meeting, a command, who acts,
/// the time and the community's settings in; a decision or a typed error out.
public enum Lifecycle {
    // MARK: New meetings

    /// A user's request: awaiting the expert (or agreed at once under auto-accept), with the
    /// price held either way. `path` is `.seriesOccurrence` for a series' bookings;
    /// `bookedByStaff` when an admin or the office booked it for the user, who is told.
    public static func request(
        start: Instant, lengthMinutes: Int64, priceCredits: Int64, autoAccept: Bool, now: Instant, path: BookingPath = .request,
        bookedByStaff: Bool = false
    ) throws -> Decision {
        guard start > now else { throw AppError.invalidParams(field: "start", reason: "must be in the future") }
        var d = Decision(next: MeetingState(
            status: autoAccept ? .agreed : .awaitingApproval, creditStatus: .none, start: start, lengthMinutes: lengthMinutes,
            priceCredits: priceCredits, expertApproved: autoAccept, userApproved: true, proposedBy: .user))
        d.events = [TimelineEvent(bookedByStaff ? "requested_for_user" : "requested_by_user"), TimelineEvent("user_approval")]
        ensureHold(&d)
        if autoAccept {
            d.events.append(TimelineEvent("expert_approval", details: ["auto_accept": true], bySystem: true))
            d.video = [.create]
            // Booked for the user by staff: both sides learn who booked it, and that it is agreed.
            let kind = bookedByStaff ? "meeting_booked_for_user" : "meeting_confirmed"
            d.notifications = [Notification(kind, to: .user), Notification(kind, to: .expert)]
        } else {
            d.notifications = [Notification("meeting_request", to: .expert)]
            if bookedByStaff { d.notifications.append(Notification("meeting_booked_for_user", to: .user)) }
        }
        d.booking = BookingStep(path: path, start: start, lengthMinutes: lengthMinutes, becomesAgreed: autoAccept)
        return d
    }

    /// An expert's proposal: approved by the expert, waiting for the user; nothing held yet.
    public static func propose(start: Instant, lengthMinutes: Int64, priceCredits: Int64, now: Instant) throws -> Decision {
        guard start > now else { throw AppError.invalidParams(field: "start", reason: "must be in the future") }
        var d = Decision(next: MeetingState(
            status: .awaitingApproval, creditStatus: .none, start: start, lengthMinutes: lengthMinutes, priceCredits: priceCredits,
            expertApproved: true, userApproved: false, proposedBy: .expert))
        d.events = [TimelineEvent("expert_approval")]
        d.notifications = [Notification("expert_meeting_invitation", to: .user)]
        d.booking = BookingStep(path: .propose, start: start, lengthMinutes: lengthMinutes, becomesAgreed: false)
        return d
    }

    // MARK: Actions on a meeting

    /// `needsProcessing`: the community requires session details and the meeting has none yet, so
    /// a user's acceptance of the expert's date waits for the expert to make the session.
    /// `dateAfterRejection`: the meeting was declined and one side has since given it a new date
    /// (meeting.reschedule on a rejected meeting), which the other side may answer as the
    /// alternative date it is (seed 004).
    public static func decide(
        _ m: MeetingState, _ command: Command, by actor: MeetingActor, now: Instant, settings: CommunitySettings, needsProcessing: Bool = false,
        dateAfterRejection: Bool = false
    ) throws -> Decision {
        if actor == .office, let refusal = command.officeRefusal {
            throw AppError.forbidden("the office confirms, declines and proposes new dates for experts; \(refusal)")
        }
        switch command {
        case .logSession, .reportNoShow, .expire: break
        default:
            // A meeting whose story is over is refused for what it is, whenever it is asked:
            // "its start has passed" would send the reader looking at the wrong thing.
            guard m.status.isFinal || now < m.start else {
                // A meeting the expert's side declined hides its time from the user's side.
                let hidden = m.hidesDetailsFromUser && actor == .party(.user)
                throw AppError.meetingStarted(start: hidden ? nil : m.start, as: m.status == .agreed ? .agreed : m.status == .rejected ? .declined : .waiting)
            }
        }
        var d: Decision
        switch command {
        case .confirm(let accept): d = try confirm(m, actor, accept, needsProcessing)
        case .decline(let reason, let note): d = try decline(m, actor, reason, note, settings)
        case .withdraw(let note): d = try withdraw(m, actor, note)
        case .cancel(let reason, let note, let late, let series): d = try cancel(m, actor, reason, note, late, series, now, settings)
        case .reschedule(let start, let length, let price, let note): d = try reschedule(m, actor, start, length, price, note, now)
        case .confirmAlternate(let accept):
            d = try isNewDateAfterRejection(m, dateAfterRejection)
                ? confirmNewDateAfterRejection(m, actor, accept, needsProcessing) : confirmAlternate(m, actor, accept, now)
        case .rejectAlternate(let reason, let note):
            d = try isNewDateAfterRejection(m, dateAfterRejection)
                ? rejectNewDateAfterRejection(m, actor, reason, note, settings) : rejectAlternate(m, actor, reason, note, settings)
        case .withdrawAlternate:
            // A new date given after a decline is answered as an alternate (seed 004), and is
            // pulled back as one: by its proposer, as withdrawing the meeting does.
            if isNewDateAfterRejection(m, dateAfterRejection) {
                let p = try party(actor, action: "withdraw the new date of")
                guard m.approved(p) else {
                    throw AppError.invalidState(
                        status: m.status.rawValue, action: "withdraw_alternate",
                        why: "the other side proposed this new date; answer it with confirm_alternate or reject_alternate")
                }
                d = try withdraw(m, actor, nil)
            } else {
                d = try withdrawAlternate(m, actor)
            }
        case .logSession(let attendance, let adjust, let feedback): d = try logSession(m, actor, attendance, adjust, feedback, now)
        case .reportNoShow: d = try reportNoShow(m, actor, now)
        case .expire: d = try expire(m, actor, now)
        case .skipOccurrence(let late, let seriesCancelled, let note): d = try skipOccurrence(m, actor, late, seriesCancelled, note, now, settings)
        }
        // The expert learns what the office did in their calendar.
        if actor == .office {
            d.notifications += d.notifications.filter { $0.recipient == .user }.map { Notification($0.kind, to: .expert) }
        }
        return d
    }

    static func party(_ actor: MeetingActor, action: String) throws -> Party {
        guard let p = actor.side else { throw AppError.forbidden("only the meeting's user or expert may \(action) it") }
        return p
    }

    /// An agreed meeting is ended by a cancel, which the office does not make for the expert:
    /// told so where the status would send anyone else to meeting.cancel.
    static func officeCannotCancel(_ m: MeetingState, _ actor: MeetingActor) -> String? {
        guard m.status == .agreed, actor == .office, let refusal = Command.cancel(reasonCode: "", note: nil, confirmLate: false).officeRefusal else { return nil }
        return "it is agreed, and \(refusal) (meeting.cancel): ask them to"
    }

    static func requireStatus(_ m: MeetingState, _ allowed: [MeetingStatus], _ action: String, why: String? = nil) throws {
        guard allowed.contains(m.status) else { throw AppError.invalidState(status: m.status.rawValue, action: action, why: why) }
    }

    @discardableResult
    static func requireReason(_ code: String, in list: [Reason], field: String = "reason_code") throws -> Reason {
        guard let reason = list.first(where: { $0.code == code }) else {
            throw AppError.invalidParams(
                field: field, reason: "must be one of the community's reasons: \(list.map(\.code).joined(separator: ", "))")
        }
        return reason
    }

    /// What an event given for a reason records of it beside its code: the label it had then, so
    /// the timeline still reads it after the community renames or removes the reason.
    static func reasonDetails(_ reason: Reason?) -> [String: JSON] {
        reason.map { ["reason_label": .string($0.label)] } ?? [:]
    }

    /// Once the user has approved, the hold is for exactly the price: held now if nothing is
    /// (a user confirming an expert's proposal, or approving a new date after a rejection), and
    /// replaced when the price changed since it was made (released when the price is 0).
    static func ensureHold(_ d: inout Decision) {
        guard d.next.userApproved, let change = holdChange(d.next, to: d.next.priceCredits) else { return }
        release(&d)
        guard change.held > 0 else { return }
        d.ledger.append(.hold)
        d.next.creditStatus = .blocked
        d.next.heldCredits = change.held
    }

    /// What making a meeting's hold exactly `price` takes: the credits its open hold returns and
    /// the credits a new hold takes; nil when the hold already is the price (or neither exists).
    public static func holdChange(_ s: MeetingState, to price: Int64) -> (released: Int64, held: Int64)? {
        if s.holdOpen ? s.heldCredits == price : price == 0 { return nil }
        return (s.holdOpen ? s.heldCredits : 0, max(price, 0))
    }

    /// Pays `credits` of the open hold to the expert; the rest returns to the user.
    static func capture(_ d: inout Decision, credits: Int64) {
        d.ledger = [.capture(credits: credits)]
        d.next.creditStatus = .paid
        d.next.heldCredits = 0
    }

    static func release(_ d: inout Decision) {
        guard d.next.holdOpen else { return }
        d.ledger.append(.release)
        d.next.creditStatus = .returned
        d.next.heldCredits = 0
    }

    static func confirm(_ m: MeetingState, _ actor: MeetingActor, _ acceptConflicts: Bool, _ needsProcessing: Bool) throws -> Decision {
        let p = try party(actor, action: "confirm")
        try requireStatus(m, [.awaitingApproval], "confirm")
        if m.awaitingProcessing { return try process(m, p, acceptConflicts) }
        guard !m.approved(p) else {
            // The office approves for the expert: it reads of the expert's approval, not its own.
            let approved = actor == .party(p) ? "you have already approved it" : "the \(p.rawValue) has already approved it"
            throw AppError.invalidState(status: m.status.rawValue, action: "confirm", why: "\(approved); it waits for the \(p.other.rawValue)")
        }
        var d = Decision(next: m)
        if p == .user { d.next.userApproved = true } else { d.next.expertApproved = true }
        d.events = [TimelineEvent("\(p.rawValue)_approval")]
        ensureHold(&d)
        let agreed = d.next.userApproved && d.next.expertApproved && !(p == .user && needsProcessing)
        if agreed {
            d.next.status = .agreed
            d.video = [.create]
        }
        // Seed 003, step 11: "When your customer responds you will be notified [...] to let you
        // know you need to take action." Step 15: "Automatic emails will be sent to the customer
        // and copy you and the office when a session request is updated": the customer's
        // acceptance, not yet a session, is confirmed to them too (the office copied on theirs).
        d.notifications = d.next.awaitingProcessing
            ? [Notification("new_date_accepted_by_user", to: .expert), Notification("new_date_accepted_by_user", to: .user)]
            : [Notification("meeting_confirmed_by_\(p.rawValue)", to: p.other)]
        d.booking = BookingStep(
            path: p == .user ? .userConfirm : .expertConfirm, start: m.start, lengthMinutes: m.lengthMinutes, becomesAgreed: agreed,
            acceptConflicts: acceptConflicts)
        return d
    }

    /// The expert's side makes the session the user accepted (seed 003, step 13): agreed now.
    static func process(_ m: MeetingState, _ p: Party, _ acceptConflicts: Bool) throws -> Decision {
        guard p == .expert else {
            throw AppError.invalidState(
                status: m.status.rawValue, action: "confirm", why: "you accepted it; it waits for the \(Party.expert.rawValue) to make the session")
        }
        var d = Decision(next: m)
        d.next.status = .agreed
        ensureHold(&d)
        d.events = [TimelineEvent("processed_by_expert")]
        d.video = [.create]
        d.notifications = [Notification("meeting_confirmed_by_expert", to: .user)]
        d.booking = BookingStep(path: .expertConfirm, start: m.start, lengthMinutes: m.lengthMinutes, becomesAgreed: true, acceptConflicts: acceptConflicts)
        return d
    }

    static func decline(_ m: MeetingState, _ actor: MeetingActor, _ reason: String, _ note: String?, _ s: CommunitySettings) throws -> Decision {
        let p = try party(actor, action: "decline")
        try requireStatus(m, [.awaitingApproval], "decline", why: officeCannotCancel(m, actor))
        // The expert may still delete a request the user accepted a new date for.
        guard !m.approved(p) || (m.awaitingProcessing && p == .expert) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "decline", why: "you proposed this date; withdraw it instead (meeting.withdraw)")
        }
        let given = try requireReason(reason, in: s.rejectionReasons)
        var d = Decision(next: m)
        d.next.status = .rejected
        release(&d)
        d.events = [TimelineEvent("rejected_by_\(p.rawValue)", reasonCode: reason, note: note, details: reasonDetails(given))]
        // Seed 000: "you will not be notified via email of a declined session" where the
        // community says so; the user sees it in their list.
        if p == .user {
            // Seed 003, step 15: the customer is mailed of every update of their request, their
            // own too (a receipt, the office copied), as when they accept a new date or cancel;
            // not where the community mails users no declines (seed 000).
            d.notifications = [Notification("meeting_rejected_by_user", to: .expert)]
                + (s.emailUserOnDecline ? [Notification("meeting_rejected_by_user", to: .user)] : [])
        } else if s.emailUserOnDecline {
            d.notifications = [Notification("meeting_rejected_by_\(p.rawValue)", to: p.other)]
        } else if actor == .office {
            // The user is not told, but the expert learns what the office did in their calendar.
            d.notifications = [Notification("meeting_rejected_by_\(p.rawValue)", to: .expert)]
        }
        d.cancelledOrEnded = true
        return d
    }

    static func withdraw(_ m: MeetingState, _ actor: MeetingActor, _ note: String?) throws -> Decision {
        let p = try party(actor, action: "withdraw")
        try requireStatus(m, [.awaitingApproval], "withdraw", why: officeCannotCancel(m, actor))
        guard (m.approved(p) && !m.approved(p.other)) || (m.awaitingProcessing && p == .user) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "withdraw", why: "only the side waiting for an answer may withdraw; decline it instead (meeting.decline)")
        }
        var d = Decision(next: m)
        d.next.status = .cancelled
        release(&d)
        d.events = [TimelineEvent("withdrawn_by_\(p.rawValue)", note: note)]
        d.notifications = [Notification("meeting_withdrawn_by_\(p.rawValue)", to: p.other)]
        d.cancelledOrEnded = true
        return d
    }

    /// True when the start is less than the window away (exactly the window is on time).
    public static func isLate(start: Instant, now: Instant, windowHours: Int64) -> Bool {
        start.microseconds - now.microseconds < windowHours * 3_600_000_000
    }

    static func cancel(
        _ m: MeetingState, _ actor: MeetingActor, _ reason: String, _ note: String?, _ confirmLate: Bool, _ series: Bool, _ now: Instant, _ s: CommunitySettings
    ) throws -> Decision {
        let p = try party(actor, action: "cancel")
        // A request is not cancelled: its proposer withdraws it, the other side declines it.
        let instead = p == m.proposedBy
            ? "it is not agreed yet; withdraw it instead (meeting.withdraw)" : "it is not agreed yet; decline it instead (meeting.decline)"
        try requireStatus(m, [.agreed], "cancel", why: m.status == .awaitingApproval ? instead : nil)
        let given = try requireReason(reason, in: s.cancellationReasons)
        let terms = try endingTerms(m, p, confirmLate, now, s)
        var d = Decision(next: m)
        d.next.status = .cancelled
        d.next.alternate = nil
        settleEnding(&d, m, charge: terms.charge)
        var details: [String: JSON] = ["late": .bool(terms.late), "charged_credits": .int(terms.charge)].merging(reasonDetails(given)) { a, _ in a }
        if series { details["series_cancelled"] = true }
        d.events = [TimelineEvent("cancelled_by_\(p.rawValue)", reasonCode: reason, note: note, details: details)]
        // Both sides are told: the other that it was cancelled, the one who cancelled that it
        // took effect (seeds 000, 001: "Your session has been cancelled").
        d.notifications = [Notification("cancellation_by_\(p.rawValue)", to: p.other), Notification("cancellation_by_\(p.rawValue)", to: p)]
        d.video = [.cancel]
        d.cancelledOrEnded = true
        return d
    }

    /// The cancellation window's terms for ending an agreed meeting before its start, by a cancel
    /// or by skipping a series occurrence: inside the window only with `confirmLate`, and a user's
    /// late ending is charged `user_late_cancel_charge_percent` of the price.
    static func endingTerms(_ m: MeetingState, _ p: Party, _ confirmLate: Bool, _ now: Instant, _ s: CommunitySettings) throws -> (late: Bool, charge: Int64) {
        let late = isLate(start: m.start, now: now, windowHours: s.cancellationWindowHours)
        let charge = p == .user && late ? Fees.lateCancelCharge(price: m.priceCredits, percent: s.userLateCancelChargePercent) : 0
        if late && !confirmLate {
            throw AppError.lateCancellationRequiresConfirmation(
                windowHours: s.cancellationWindowHours,
                consequences: lateEndingConsequences(dates: 1, charged: charge, price: m.priceCredits, byExpert: p == .expert))
        }
        return (late, charge)
    }

    /// What ending `dates` meetings inside the cancellation window does, for the warning that asks
    /// to confirm it: `charged` of their `price` credits charged (the rest returned), or, by the
    /// expert, everything returned. One date is said on its own; several together, as a series
    /// ending them says them.
    static func lateEndingConsequences(dates: Int, charged: Int64, price: Int64, byExpert: Bool) -> String {
        let one = dates == 1, the = dates == 1 ? "the" : "their"
        let text = byExpert
            ? "the user's credits" + (one ? "" : " for them") + " will be returned."
            : price == 0 ? (one ? "nothing is charged: the meeting is free." : "nothing is charged, they are free.")
            : charged >= price ? "\(the) \(Counted.words(price, "credit")) will be charged."
            : charged > 0 ? "\(charged) of \(the) \(Counted.words(price, "credit")) will be charged and the rest returned."
            : "\(the) credits will be returned."
        return one ? text.prefix(1).uppercased() + text.dropFirst() : "\(dates) of the dates start within the window: " + text
    }

    /// The hold of a meeting ended early: the late charge captured, or all of it returned.
    static func settleEnding(_ d: inout Decision, _ m: MeetingState, charge: Int64) {
        if charge > 0 && m.holdOpen {
            capture(&d, credits: charge)
        } else {
            release(&d)
        }
    }

    static func reschedule(
        _ m: MeetingState, _ actor: MeetingActor, _ start: Instant, _ length: Int64, _ price: Int64, _ note: String?, _ now: Instant
    ) throws -> Decision {
        let p = try party(actor, action: "reschedule")
        try requireStatus(m, [.agreed, .rejected, .awaitingApproval], "reschedule")
        guard start > now else { throw AppError.invalidParams(field: "start", reason: "must be in the future") }
        var d = Decision(next: m)
        d.events = [TimelineEvent("alternative_date_selected_by_\(p.rawValue)", note: note, details: ["start": .string(start.rfc3339), "length_minutes": .int(length)]),
                    TimelineEvent("approved_by_\(p.rawValue)")]
        switch m.status {
        case .agreed:
            // An alternate whose date has passed can no longer be taken: a new one replaces it.
            if let open = m.alternate, open.start > now {
                let step = open.proposedBy == p
                    ? "withdraw yours first (meeting.withdraw_alternate), then propose the new one"
                    : "answer it first (meeting.confirm_alternate or meeting.reject_alternate)"
                throw AppError.invalidState(status: m.status.rawValue, action: "reschedule", why: "a new date (\(open.start.rfc3339)) is already open; " + step)
            }
            guard start != m.start || length != m.lengthMinutes || price != m.priceCredits else {
                throw AppError.invalidParams(field: "start", reason: "is the meeting's agreed date and length already; propose another date or length")
            }
            d.next.alternate = Alternate(start: start, lengthMinutes: length, priceCredits: price, proposedBy: p, note: note)
            d.notifications = [Notification("rescheduling_agreed_by_\(p.rawValue)", to: p.other)]
        case .rejected:
            d.next.status = .awaitingApproval
            replaceDate(&d, by: p, start: start, length: length, price: price)
            d.notifications = [Notification("rescheduling_rejected_by_\(p.rawValue)", to: p.other)]
        default:
            // A counter-offer of what is asked already would only clear the other side's approval
            // (and tell them of "another time"): the side asked confirms it instead.
            guard start != m.start || length != m.lengthMinutes || price != m.priceCredits else {
                let instead = !m.approved(p) ? "to take it, confirm the meeting (meeting.confirm)"
                    : m.awaitingProcessing && p == .expert ? "the user accepted it: make the session (meeting.confirm with its details)"
                    : "it waits for the other side's answer"
                throw AppError.invalidParams(field: "start", reason: "is the meeting's date and length already; propose another date or length, or leave it: \(instead)")
            }
            // A counter-offer: credits already held stay held; the user's approval makes the hold
            // the new price if it changed (SPEC §5.2). The expert's answer to a time the user
            // approved records that time: the user's weekly limit counts the request there until
            // the user accepts the new one (a move within its week then adds nothing).
            if p == .expert, m.userApproved { d.events[0].details["previous_start"] = .string(m.start.rfc3339) }
            replaceDate(&d, by: p, start: start, length: length, price: price)
            d.notifications = [Notification("counter_offer_by_\(p.rawValue)", to: p.other)]
        }
        // Seed 003, step 15: the customer is mailed of every update, their own new date too (a
        // counter-offer, an alternate, a date for a declined meeting: a receipt of what the
        // expert is told, the office copied on it), as their decline is.
        if p == .user, let told = d.notifications.first?.kind {
            d.notifications.append(Notification(told, to: .user))
        }
        d.booking = BookingStep(path: p == .user ? .userReschedule : .expertReschedule, start: start, lengthMinutes: length, becomesAgreed: false)
        return d
    }

    /// The new date replaces the old, the proposer approves it and the other side is asked
    /// again. The price follows the length; a hold already made stays until the user approves
    /// the new price, which the hold then becomes.
    static func replaceDate(_ d: inout Decision, by p: Party, start: Instant, length: Int64, price: Int64) {
        d.next.start = start
        d.next.lengthMinutes = length
        d.next.userApproved = p == .user
        d.next.expertApproved = p == .expert
        d.next.proposedBy = p
        d.next.priceCredits = price
        ensureHold(&d)
        d.timeChanged = true
    }

    /// The open alternate, or an error pointing to what the side asking can do with a date
    /// still waiting for an answer: the other side's is confirmed or declined, their own waits
    /// for the other side or is withdrawn.
    static func openAlternate(_ m: MeetingState, _ action: String, by p: Party) throws -> Alternate {
        guard let alternate = m.alternate else {
            var waiting = ""
            if m.status == .awaitingApproval {
                if m.awaitingProcessing {
                    // Both sides said yes; the expert's side makes the session.
                    waiting = p == .user
                        ? "; the date is accepted and waits for the expert to make the session"
                        : "; the user accepted the date: make the session with meeting.confirm (with its details)"
                } else if m.approved(p) {
                    waiting = "; the date waiting for an answer is your side's: it waits for the \(p.other.rawValue), or withdraw it with meeting.withdraw"
                } else {
                    waiting = "; a date waiting for an answer is confirmed with meeting.confirm (or declined with meeting.decline)"
                }
            }
            throw AppError.invalidState(status: m.status.rawValue, action: action, why: "there is no open alternate date" + waiting)
        }
        return alternate
    }

    static func confirmAlternate(_ m: MeetingState, _ actor: MeetingActor, _ acceptConflicts: Bool, _ now: Instant) throws -> Decision {
        let p = try party(actor, action: "confirm the alternate of")
        let alternate = try openAlternate(m, "confirm_alternate", by: p)
        guard now < alternate.start else {
            throw AppError.invalidState(
                status: m.status.rawValue, action: "confirm_alternate",
                why: "the proposed date (\(alternate.start.rfc3339)) has passed; reject it, or propose another date with meeting.reschedule")
        }
        guard !alternate.approved(by: p) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "confirm_alternate", why: "you proposed it; it waits for the \(p.other.rawValue)")
        }
        var d = Decision(next: m)
        d.next.start = alternate.start
        d.next.lengthMinutes = alternate.lengthMinutes
        d.next.alternate = nil
        d.next.status = .agreed
        d.next.userApproved = true
        d.next.expertApproved = true
        d.next.priceCredits = alternate.priceCredits
        // The date is now the one the alternate's proposer gave.
        d.next.proposedBy = alternate.proposedBy
        ensureHold(&d)
        d.booking = BookingStep(
            path: p == .user ? .userConfirmsAlternate : .expertConfirmsAlternate, start: alternate.start, lengthMinutes: alternate.lengthMinutes,
            becomesAgreed: true, acceptConflicts: acceptConflicts)
        d.events = [TimelineEvent("alternative_date_approved_by_\(p.rawValue)", details: ["previous_start": .string(m.start.rfc3339)])]
        d.notifications = [Notification("alternative_date_approved_by_\(p.rawValue)", to: p.other)]
        d.video = [.cancel, .create]
        d.timeChanged = true
        return d
    }

    static func rejectAlternate(_ m: MeetingState, _ actor: MeetingActor, _ reason: String, _ note: String?, _ s: CommunitySettings) throws -> Decision {
        let p = try party(actor, action: "reject the alternate of")
        let alternate = try openAlternate(m, "reject_alternate", by: p)
        guard !alternate.approved(by: p) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "reject_alternate", why: "you proposed it; withdraw it instead (meeting.withdraw_alternate)")
        }
        let given = try requireReason(reason, in: s.rejectionReasons)
        // Alternates are opened on agreed meetings only: the meeting keeps its date and hold.
        var d = Decision(next: m)
        d.next.alternate = nil
        d.events = [TimelineEvent("alternative_date_rejected_by_\(p.rawValue)", reasonCode: reason, note: note, details: reasonDetails(given))]
        d.notifications = [Notification("alternative_date_rejected_by_\(p.rawValue)", to: p.other)]
        return d
    }

    /// A declined meeting given a new date waits for the other side, who may answer that date as
    /// the alternative date seed 004 calls it (as well as with confirm / decline).
    static func isNewDateAfterRejection(_ m: MeetingState, _ dateAfterRejection: Bool) -> Bool {
        dateAfterRejection && m.status == .awaitingApproval && m.alternate == nil && !m.awaitingProcessing
    }

    /// Seed 004, "Confirmation of the alternative date": a confirmation, recorded as the
    /// alternative date's approval.
    static func confirmNewDateAfterRejection(_ m: MeetingState, _ actor: MeetingActor, _ acceptConflicts: Bool, _ needsProcessing: Bool) throws -> Decision {
        let p = try party(actor, action: "confirm the new date of")
        guard !m.approved(p) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "confirm_alternate", why: "you proposed this date; it waits for the \(p.other.rawValue)")
        }
        var d = try confirm(m, actor, acceptConflicts, needsProcessing)
        d.events = [TimelineEvent("alternative_date_approved_by_\(p.rawValue)")]
        return d
    }

    /// Seed 004, "Rejection of a replacement date": the date is turned down with a reason, the
    /// meeting is rejected again and the credits it blocked are returned.
    static func rejectNewDateAfterRejection(_ m: MeetingState, _ actor: MeetingActor, _ reason: String, _ note: String?, _ s: CommunitySettings) throws -> Decision {
        let p = try party(actor, action: "reject the new date of")
        guard !m.approved(p) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "reject_alternate", why: "you proposed this date; withdraw it instead (meeting.withdraw)")
        }
        // A decline of the meeting, told as the new date's rejection.
        var d = try decline(m, actor, reason, note, s)
        // Marked as the decline it is: its note stays with the side that declined (meeting.timeline).
        let details = (d.events.first?.details ?? [:]).merging(["declines_meeting": true]) { given, _ in given }
        d.events = [TimelineEvent("alternative_date_rejected_by_\(p.rawValue)", reasonCode: reason, note: note, details: details)]
        d.notifications = [Notification("alternative_date_rejected_by_\(p.rawValue)", to: p.other)]
        return d
    }

    static func withdrawAlternate(_ m: MeetingState, _ actor: MeetingActor) throws -> Decision {
        let p = try party(actor, action: "withdraw the alternate of")
        let alternate = try openAlternate(m, "withdraw_alternate", by: p)
        guard alternate.proposedBy == p else {
            throw AppError.invalidState(status: m.status.rawValue, action: "withdraw_alternate", why: "only its proposer may withdraw it; reject it instead")
        }
        var d = Decision(next: m)
        d.next.alternate = nil
        d.events = [TimelineEvent("alternative_date_cancelled_by_\(p.rawValue)")]
        d.notifications = [Notification("alternative_date_cancelled_by_\(p.rawValue)", to: p.other)]
        return d
    }

    public static let durationStepMinutes: Int64 = 5
    public static let maxDurationAdjustMinutes: Int64 = 240

    static func logSession(_ m: MeetingState, _ actor: MeetingActor, _ attendance: Attendance, _ adjust: Int64, _ feedback: JSON?, _ now: Instant) throws -> Decision {
        guard actor == .party(.expert) else { throw AppError.forbidden("only the meeting's expert logs the session") }
        try requireStatus(m, [.agreed], "log_session")
        guard now >= m.start else {
            throw AppError.invalidState(status: m.status.rawValue, action: "log_session", why: "the meeting has not started yet (\(m.start.rfc3339))")
        }
        guard attendance != .expertNoShow else {
            throw AppError.invalidParams(field: "attendance", reason: "must be attended or no_show; the user or an admin reports an expert's absence")
        }
        guard adjust % durationStepMinutes == 0, abs(adjust) <= maxDurationAdjustMinutes else {
            throw AppError.invalidParams(field: "duration_adjust_minutes", reason: "must be a multiple of 5 between -240 and 240")
        }
        guard attendance != .attended || m.lengthMinutes + adjust > 0 else {
            throw AppError.invalidParams(field: "duration_adjust_minutes", reason: "would leave an attended session no time; log no_show only if the user did not come; if the expert did not, the user or an admin reports it (meeting.report_no_show)")
        }
        if attendance == .noShow { try requireOver(m, now, "log_session") }
        var d = Decision(next: m)
        d.next.status = .completed
        d.next.alternate = nil
        d.attendance = attendance
        d.durationMinutes = attendance == .attended ? m.lengthMinutes + adjust : 0
        d.feedback = feedback
        if m.holdOpen { capture(&d, credits: m.priceCredits) }
        d.countsAsUserNoShow = attendance == .noShow
        d.events = [TimelineEvent("session_logged", details: ["attendance": .string(attendance.rawValue), "duration_minutes": .int(d.durationMinutes!)])]
        d.notifications = [Notification(attendance == .attended ? "session_logged" : "user_no_show", to: .user)]
        closeOpenAlternate(&d, m, endedBy: .expert)
        d.cancelledOrEnded = true
        return d
    }

    /// The alternate could no longer be taken (its date, or the meeting's start, passed
    /// unanswered): it closes, the agreed date and hold stay, and its proposer is told. The side
    /// that did not answer is told too while the meeting is still ahead, so neither side waits
    /// for a move that will not come; once the meeting has started it needs no word.
    static func expireAlternate(_ m: MeetingState, _ alternate: Alternate, _ now: Instant) throws -> Decision {
        guard m.alternateLapsed(at: now) else {
            throw AppError.invalidState(status: m.status.rawValue, action: "expire", why: "neither the proposed new date nor the meeting's start has passed")
        }
        var d = Decision(next: m)
        d.next.alternate = nil
        closeOpenAlternate(&d, m, endedBy: nil)
        if now < m.start { d.notifications.append(Notification("alternative_date_unanswered", to: alternate.proposedBy.other)) }
        return d
    }

    /// A new date still open closes, on the timeline as one that passed unanswered, and its
    /// proposer is told, unless their own side ended the meeting (`endedBy`; nil for the
    /// scheduler): as the scheduler closes it, and as a session logged or an expert's absence
    /// reported does, which end the meeting at its date.
    static func closeOpenAlternate(_ d: inout Decision, _ m: MeetingState, endedBy side: Party?) {
        guard let alternate = m.alternate else { return }
        d.events.append(TimelineEvent("alternative_date_expired", details: ["start": .string(alternate.start.rfc3339)]))
        if alternate.proposedBy != side { d.notifications.append(Notification("alternative_date_expired", to: alternate.proposedBy)) }
    }

    /// Nobody is recorded absent while the meeting may still happen: a no-show, which charges
    /// the user or returns the expert's earnings and cannot be undone, waits for the scheduled end
    /// (seed 000 logs "after meeting with the student": "make sure you really mean it").
    static func requireOver(_ m: MeetingState, _ now: Instant, _ action: String) throws {
        guard now >= m.end else {
            throw AppError.invalidState(
                status: m.status.rawValue, action: action, why: "a no-show is recorded once the meeting's time is over (\(m.end.rfc3339)); \(action == "report_no_show" ? "report" : "log") it then")
        }
    }

    static func reportNoShow(_ m: MeetingState, _ actor: MeetingActor, _ now: Instant) throws -> Decision {
        guard actor == .party(.user) || actor == .admin else { throw AppError.forbidden("only the meeting's user or an admin reports an expert's absence") }
        try requireStatus(m, [.agreed], "report_no_show")
        guard now >= m.start else {
            throw AppError.invalidState(status: m.status.rawValue, action: "report_no_show", why: "the meeting has not started yet (\(m.start.rfc3339))")
        }
        try requireOver(m, now, "report_no_show")
        var d = Decision(next: m)
        d.next.status = .completed
        d.next.alternate = nil
        d.attendance = .expertNoShow
        d.durationMinutes = 0
        release(&d)
        d.events = [TimelineEvent("expert_no_show_reported")]
        // An admin's report is told to the user too, whose credits it returned.
        d.notifications = [Notification("expert_no_show", to: .expert)] + (actor == .admin ? [Notification("expert_no_show", to: .user)] : [])
        closeOpenAlternate(&d, m, endedBy: actor.side)
        d.cancelledOrEnded = true
        return d
    }

    /// Skipping is allowed up to the start (seed 001: "on the same day"). A pending occurrence's
    /// credits are returned; an agreed one ends by the cancellation window's terms, as a cancel
    /// does: inside the window only with `confirmLate`, a user's late skip charged.
    static func skipOccurrence(
        _ m: MeetingState, _ actor: MeetingActor, _ confirmLate: Bool, _ seriesCancelled: String?, _ note: String?, _ now: Instant,
        _ s: CommunitySettings
    ) throws -> Decision {
        let p = try party(actor, action: "skip")
        try requireStatus(m, [.awaitingApproval, .agreed], "skip")
        let terms = m.status == .agreed ? try endingTerms(m, p, confirmLate, now, s) : (late: false, charge: 0)
        var d = Decision(next: m)
        d.next.status = .cancelled
        d.next.alternate = nil
        settleEnding(&d, m, charge: terms.charge)
        var details: [String: JSON] = ["late": .bool(terms.late), "charged_credits": .int(terms.charge)]
        if let code = seriesCancelled {
            details["series_cancelled"] = true
            details.merge(reasonDetails(s.cancellationReasons.first { $0.code == code })) { a, _ in a }
        }
        // Seed 001: whoever skips is "notified that the session has been canceled", as is the
        // other side; an occurrence ended with its series is a cancellation, with its reason
        // (and a note only where its person wrote one: the date they cancelled the series from).
        let kind = seriesCancelled == nil ? "occurrence_skipped_by_\(p.rawValue)" : "cancelled_by_\(p.rawValue)"
        d.events = [TimelineEvent(kind, reasonCode: seriesCancelled, note: note, details: details)]
        let told = seriesCancelled == nil ? kind : "cancellation_by_\(p.rawValue)"
        d.notifications = [Notification(told, to: p.other), Notification(told, to: p)]
        if m.status == .agreed { d.video = [.cancel] }
        d.cancelledOrEnded = true
        return d
    }

    /// What ran out of time: a request whose start passed unanswered, or the proposed new date
    /// of an agreed meeting that passed unanswered (then only the alternate closes).
    static func expire(_ m: MeetingState, _ actor: MeetingActor, _ now: Instant) throws -> Decision {
        guard actor == .system else { throw AppError.forbidden("meetings expire by themselves") }
        if m.status == .agreed, let alternate = m.alternate { return try expireAlternate(m, alternate, now) }
        try requireStatus(m, [.awaitingApproval], "expire")
        guard now >= m.start else {
            throw AppError.invalidState(status: m.status.rawValue, action: "expire", why: "the start has not passed")
        }
        var d = Decision(next: m)
        d.next.status = .expired
        release(&d)
        d.events = [TimelineEvent("expired")]
        d.notifications = [Notification("request_expired", to: .user), Notification("request_expired", to: .expert)]
        d.cancelledOrEnded = true
        return d
    }
}
