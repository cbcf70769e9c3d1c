import Community
import Core
import Meetings
import People
import Pipeline
import Postgres
import RPC
import Scheduling
import Store
import UseCases

/// `availability.*`: experts' free time and the merged search over it.
enum AvailabilityAPI {
    static var all: [MethodDefinition] { [setWeekly, addFree, block, remove, get, search] }

    static let expertId = Schema.Field("expert_id", .id(.person), required: true)

    /// Experts manage their own calendar; admins anyone's. Experts with unlogged sessions must
    /// log them first where the community requires it. The expert's calendar lock is taken
    /// before anything is read, as bookings take it before they read the calendar.
    static let ruleSchema: Schema = .named("WeeklyRule", .object([
        .init("weekday", .integer(min: 1, max: 7), required: true, "ISO weekday: 1 Monday … 7 Sunday"),
        .init("start", .timeOfDay, required: true, "Local HH:MM"), .init("end", .timeOfDay, required: true, "Local HH:MM (24:00 ends the day)"),
        .init("location_ids", .list(.id(.location), min: 1, max: 50), required: true),
        .init("service_ids", .nullable(.list(.id(.service), min: 1, max: 200)), "Only these services in this window (absent or null: all)"),
    ]))

    static let setWeekly = MethodDefinition(
        "availability.set_weekly",
        "Replaces an expert's weekly rules, kept in their own time zone and read on its clock: on the day the clocks go forward, a time in the gap they skip is read on by the gap's length (02:30 is 03:30 where an hour is skipped; 02:15 is 02:45 on Lord Howe, which skips half an hour); on the day they go back, a time in the span they repeat is its first reading (the summer time's). A weekly series' time is read the same way",
        audience: .roles([.expert, .admin]), mutating: true,
        params: [expertId, .init("time_zone", .text(min: 1, max: 64), required: true),
                 .init("rules", .list(ruleSchema, max: 200), required: true, "Their location_ids together name at most 1,000 locations, and their service_ids 1,000 services")],
        result: .object([
            .init("expert_id", .id(.person), required: true), .init("time_zone", .text(), required: true), .init("rules", .list(ruleSchema), required: true),
            .init("meetings_outside_hours", .list(.id(.meeting), max: Int(Listed.atMost)), required: true,
                  "The expert's meetings still to come (agreed, or requests awaiting an answer; of the soonest \(Listed.atMost)) that the new hours and one-off free periods no longer hold at their place and for their service: new hours stop new bookings, these stay as they are until answered, moved or cancelled"),
            .init("meetings_checked_all", .boolean, required: true,
                  "Whether every meeting still to come was checked: false when the expert has more than \(Listed.atMost), of which only the soonest \(Listed.atMost) were (meeting.list shows the rest)"),
        ]),
        errors: [DocErrors.notFound, DocErrors.sessionLog],
        body: .command(AvailabilityUseCases.setWeekly()))

    static let periodSchema: Schema = .named("AvailabilityPeriod", .object([
        .init("id", .id(.availability), required: true), .init("kind", .oneOf(["free", "blocked"]), required: true),
        .init("start", .timestamp, required: true), .init("end", .timestamp, required: true), .init("location_ids", .list(.id(.location)), required: true),
        .init("expert_id", .id(.person), "Whose calendar (in the answer to adding a period)"),
    ], additional: true))

    static let addFree = MethodDefinition(
        "availability.add_free", "Adds a one-off free period at the given locations", audience: .roles([.expert, .admin]), mutating: true,
        params: [expertId, .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
                 .init("location_ids", .list(.id(.location), min: 1, max: 50), required: true)],
        result: periodSchema, errors: [DocErrors.notFound, DocErrors.sessionLog],
        body: .command(AvailabilityUseCases.addPeriod(kind: "free")))

    static let block = MethodDefinition(
        "availability.block", "Blocks a period: no meeting is booked, proposed, agreed or moved into it, by either side, whatever the weekly rules say (availability.remove lifts it)", audience: .roles([.expert, .admin]), mutating: true,
        params: [expertId, .init("start", .timestamp, required: true), .init("end", .timestamp, required: true)],
        result: .object([
            .init("id", .id(.availability), required: true), .init("kind", .oneOf(["blocked"]), required: true),
            .init("start", .timestamp, required: true), .init("end", .timestamp, required: true), .init("location_ids", .list(.id(.location)), required: true),
            .init("expert_id", .id(.person), required: true),
            .init("meetings_within", .list(.id(.meeting), max: Int(Listed.atMost)), required: true,
                  "The expert's agreed meetings and open requests in the period, and those whose open new date lies in it (the soonest \(Listed.atMost); meetings_within_count says how many in all): they stay as they are, but a request there is no longer agreed at that time (it can be declined or moved to another time), a new date there is no longer accepted, and nothing is moved into the period"),
            .init("meetings_within_count", .integer(min: 0, max: .max), required: true, "How many meetings the period holds in all"),
        ], additional: true),
        errors: [DocErrors.notFound, DocErrors.sessionLog],
        body: .command(AvailabilityUseCases.addPeriod(kind: "blocked")))

    static let remove = MethodDefinition(
        "availability.remove", "Removes one-off free and blocked periods: one by period_id, or all lying within start…end",
        audience: .roles([.expert, .admin]), mutating: true,
        params: [expertId, .init("period_id", .id(.availability)), .init("start", .timestamp), .init("end", .timestamp)],
        result: .object([.init("removed", .integer(min: 0, max: .max), required: true)]), errors: [DocErrors.notFound, DocErrors.sessionLog],
        paramRules: [.oneGroup([["period_id"], ["start", "end"]])],
        body: .command(AvailabilityUseCases.removePeriods()))

    static func range(_ params: Params) throws -> (Instant, Instant) {
        let (from, to) = (try params.instant("from"), try params.instant("to"))
        try SchedulingLimits.checkRange(from: from, to: to)
        return (from, to)
    }

    /// The range a read's statements cover: `range`, or none (`from` to `from`) when it will be
    /// refused, which the answer does once the actor's roles and what the params name are known,
    /// as the errors come in that order.
    static func readRange(_ params: Params) throws -> (Instant, Instant) {
        let start = try params.instant("from")
        return (try? range(params)) ?? (start, start)
    }

    static let get = MethodDefinition(
        "availability.get",
        "An expert's free periods (per location) in a range, with their weekly rules and blocked periods; up to \(SchedulingLimits.maxPeriodsPerAnswer) periods an answer",
        audience: .member, mutating: false,
        params: [expertId, .init("from", .timestamp, required: true), .init("to", .timestamp, required: true),
                 .init("service_id", .id(.service),
                       "Only the hours open to this service; none where it cannot be booked with the expert (retired, or the expert neither certified in it nor its owner), as availability.search then lists no slots of theirs")],
        result: .object([.init("expert_id", .id(.person), required: true), .init("time_zone", .text(), required: true),
                         .init("free", .list(.named("FreePeriod", .object([
                            .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
                            .init("location_id", .id(.location), required: true),
                         ], additional: true)), max: SchedulingLimits.maxPeriodsPerAnswer), required: true,
                               "The expert's free time, per location: their hours and one-off free periods less their blocks and the meetings that hold their time (none at a retired location; with service_id, only where that service can be booked with them); the community's notice, horizon and slot grid are not applied here: availability.search lists the starts a request takes"),
                         .init("weekly", .list(ruleSchema), required: true),
                         .init("blocked", .list(timeRangeSchema, max: SchedulingLimits.maxPeriodsPerAnswer), required: true),
                         .init("periods", .list(periodSchema, max: SchedulingLimits.maxPeriodsPerAnswer), required: true, "The one-off free and blocked periods stored in the range"),
                         .init("truncated", .boolean, required: true,
                               "The answer stops at next_from (more than \(SchedulingLimits.maxPeriodsPerAnswer) periods): ask again with from: next_from for the rest"),
                         .init("next_from", .nullable(.timestamp), required: true)], additional: true),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            // Two statements with the actor's: the expert and what else the answer names, and the
            // calendar.
            statements: { scope, params in
                let expert = try params.string("expert_id")
                let (from, to) = try readRange(params)
                return [
                    AvailabilityStore.getFacts(communityId: scope.communityId, expertId: expert, serviceId: params.optionalString("service_id"), from: from, to: to),
                    AvailabilityStore.calendars(communityId: scope.communityId, expertIds: [expert], from: from, to: to),
                ]
            },
            respond: { _, rows, params in try availabilityAnswer(rows, params) })))

    /// `availability.get`'s answer from its two statements' rows.
    static func availabilityAnswer(_ rows: [Rows], _ params: Params) throws -> JSON {
        let expert = try params.string("expert_id")
        let facts = try AvailabilityStore.decodeGetFacts(rows[0])
        guard let person = facts.expert else { throw AppError.notFound("person", expert) }
        try person.requiring(.expert, field: "expert_id")
        // A service of another community (or none) is unknown here, not "all services".
        if let service = params.optionalString("service_id"), !facts.serviceKnown { throw AppError.notFound("service", service) }
        let (from, requestedTo) = try range(params)
        guard var a = try AvailabilityStore.decodeCalendars(rows[1], expertIds: [expert]).first else { throw AppError.notFound("person", expert) }
        // Bookable time is at offered locations, and of a service named only where it can be booked
        // with the expert (as a search finds no slots of theirs); the weekly rules are listed as written.
        var free = facts.serviceOffered
            ? try a.without(locations: facts.retired).freePeriods(serviceId: params.optionalString("service_id"), from: from, to: requestedTo) : [:]
        var stored = facts.stored
        // Past the bound, the answer covers [from, cut) exactly, free periods cut there.
        let cut = listingCut(
            starts: free.values.flatMap { $0.map(\.start) } + a.blocked.map(\.start) + stored.map(\.start),
            maxItems: SchedulingLimits.maxPeriodsPerAnswer)
        let to = cut ?? requestedTo
        if cut != nil {
            free = free.mapValues { $0.filter { $0.start < to }.map { Period(start: $0.start, end: min($0.end, to)) } }
            a.blocked.removeAll { $0.start >= to }
            stored.removeAll { $0.start >= to }
        }
        let items: [(Instant, String, JSON)] = free.flatMap { location, periods in
            periods.map { p in (p.start, location, JSON.object(["start": .string(p.start.rfc3339), "end": .string(p.end.rfc3339), "location_id": .string(location)])) }
        }
        let sorted = items.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        let weekly: [JSON] = a.weekly.sorted(by: WeeklyRule.listedBefore).map { r in
            ["weekday": .int(Int64(r.weekday)), "start": .string(r.start.description), "end": .string(r.end.description),
             "location_ids": .array(r.locationIds.map { .string($0) }), "service_ids": r.serviceIds.map { .array($0.map { .string($0) }) } ?? .null]
        }
        let blocked: [JSON] = a.blocked.map { ["start": .string($0.start.rfc3339), "end": .string($0.end.rfc3339)] }
        return ["expert_id": .string(expert), "time_zone": .string(a.timeZone), "free": .array(sorted), "weekly": .array(weekly),
                "blocked": .array(blocked), "periods": .array(stored.map(\.json)), "truncated": .bool(cut != nil),
                "next_from": cut.map { .string($0.rfc3339) } ?? .null]
    }

    static let timeRangeSchema: Schema = .named("TimeRange", .object([
        .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
    ], additional: true))

    static let search = MethodDefinition(
        "availability.search", "One merged calendar of bookable slots for a service across its certified experts, a page at a time; a suspended user (or student searched for) is answered 4023 with until, as a request would be, and a week the user's (or student's) weekly usage limit has filled shows no slots, as a request then would be refused 4022; a user who is an expert too is not offered their own times, nor a time they attend as the expert of another meeting (a request then is refused 4010). One search checks at most \(SchedulingLimits.maxExpertStartTimes) expert × start-time pairs (x-bounds search_expert_start_times_max: about 800 experts over 90 days of 30-minute slots); past that it is refused on `to`: search a shorter range or filter by expert",
        audience: .roles([.user, .admin, .office]), mutating: false,
        params: [.init("service_id", .id(.service), required: true),
                 .init("from", .timestamp, required: true, "The earliest start offered"),
                 .init("to", .timestamp, required: true, "The latest start offered (exclusive); a slot starting before it may end after it"),
                 .init("user_id", .id(.person),
                       "Admins and the office: search as this user would before booking for them (meeting.request with user_id): their enrolment, weekly limit and suspension count, and student_id names one of their students. The office searches for a user only. Without it, a caller with the user role searches as the user they book as (an admin who is a user too: their own enrolment); an admin who is not a user sees every certified expert"),
                 .init("location_id", .id(.location)), .init("expert_id", .id(.person), "Only where the community allows filtering by expert; an unknown person is not_found, one without the expert role invalid, an expert not certified in the service has no slots"),
                 .init("length_minutes", MeetingAPI.minutes),
                 .init("student_id", .id(.person), "Search for one of your students: their enrolment decides which experts are shown"),
                 .init("limit", .integer(min: 1, max: Int64(SchedulingLimits.maxSlotsPerPage)),
                       "Most slots in this answer (default \(SchedulingLimits.defaultSlotsPerPage)); an answer also ends before a slot that would take it past \(SchedulingLimits.maxListingsPerPage) expert-location pairs (its first slot is always listed, whatever it lists)"),
                 .init("cursor", .text(min: 1, max: 1000), "next_cursor from the previous answer, sent with the same other params")],
        result: .object([.init("service_id", .id(.service), required: true), .init("length_minutes", .integer(min: 5, max: 1440), required: true),
            .init("slots", .list(.named("Slot", .object([
            .init("start", .timestamp, required: true), .init("end", .timestamp, required: true),
            .init("experts", .list(.named("SlotExpert", .object([
                .init("expert_id", .id(.person), required: true), .init("location_ids", .list(.id(.location)), required: true),
            ])), max: SchedulingLimits.maxListingsPerPage), required: true, "The experts free then, each with the locations they offer"),
        ])), max: SchedulingLimits.maxSlotsPerPage), required: true),
            .init("experts", .list(ProfileAPI.profileSchema, max: SchedulingLimits.maxListingsPerPage), required: true, "The public profile (person.profile) of every expert the page's slots name, each once"),
            .init("truncated", .boolean, required: true, "The answer stopped at its bound before the end of the range: ask again with cursor: next_cursor for the rest"),
            .init("next_cursor", .nullable(.text()), required: true),
            .init("experts_not_assigned", .integer(min: 0, max: .max), required: true,
                  "Where the community requires enrolment: how many of the service's experts (of those searched) the user (or student) is not assigned to, whose times are left out — a request to one would be refused 4021; the office or an admin assigns them (enrollment.assign). 0 otherwise"),
            .init("full_weeks", .list(timeRangeSchema), required: true,
                  "The weeks from this page on that the user's (or student's) weekly usage limit has filled: they show no slot, as a request there would be refused 4022 (empty without a limit)"),
        ], additional: true),
        errors: [DocErrors.notFound, DocErrors.suspended, DocErrors.slotUnavailable], examples: [Examples.search],
        body: .read(ReadPlan(
            // One statement with the actor's reads every fact the search decides on; the experts'
            // calendars and the page's profiles are one statement each.
            context: { scope, params in
                let (from, to) = try readRange(params)
                // Over the longest slot: the learner's meetings and weeks reaching past `to`.
                let readTo = to == from ? to : to.addingWithinRange(minutes: params.optionalInt("length_minutes") ?? 1440) ?? Instant.latestSupported
                return SearchContextQuery.call(
                    communityId: scope.communityId, testClock: scope.testClock, serviceId: try params.string("service_id"),
                    userId: params.optionalString("user_id") ?? scope.actorId, studentId: params.optionalString("student_id"),
                    expertId: params.optionalString("expert_id"), locationId: params.optionalString("location_id"), from: from, to: readTo)
            },
            respond: { ctx, context, params, readMore in try searchAnswer(ctx, try SearchContextQuery.decode(context), params, readMore) })))

    /// The search decided on its facts: who searches for whom, which experts they are shown,
    /// then the slots of those experts' calendars.
    static func searchAnswer(_ ctx: RequestContext, _ facts: SearchFacts, _ params: Params, _ readMore: ReadPlan.ReadMore) throws -> JSON {
        let c = facts.booking
        let settings = c.settings
        let serviceId = try params.string("service_id")
        guard let service = c.service else { throw AppError.notFound("service", serviceId) }
        try BookingRules.requireOffered(service, forSearch: true)
        let (from, to) = try range(params)
        if let location = params.optionalString("location_id") {
            guard let named = c.locations[location] else { throw AppError.notFound("location", location) }
            if !named.active { throw AppError.invalidParams(field: "location_id", reason: LocationFacts.retiredReason(named.name)) }
        }
        let onlyExpert = params.optionalString("expert_id")
        if let onlyExpert {
            if !settings.allowExpertFilter && !ctx.actor.has(.admin) && !ctx.actor.has(.office) {
                let provider = settings.word("provider")
                throw AppError.forbidden("this community does not allow filtering by \(provider): leave out expert_id to see every \(provider)'s times")
            }
            guard let expert = facts.filterExpert else { throw AppError.notFound("person", onlyExpert) }
            try expert.requiring(.expert, field: "expert_id")
        }
        // Staff search for the user they book for, as that user would (seed 000: admins book).
        let forUser = params.optionalString("user_id").flatMap { $0 == ctx.actor.id ? nil : $0 }
        if let forUser {
            try ctx.actor.require(.admin, .office, to: "search for another user")
            guard let user = c.user else { throw AppError.notFound("person", forUser) }
            try user.requiring(.user, field: "user_id")
        } else if !ctx.actor.has(.user) && !ctx.actor.has(.admin) {
            throw AppError.forbidden("the office searches for the user it books for: give user_id")
        }
        let booker = forUser ?? ctx.actor.id
        // A customer searches for a student they act for (seed 003): the student's enrolment counts.
        if let studentId = params.optionalString("student_id") {
            // As a request answers: an unknown person is not found, a known one not linked is the wrong param.
            guard c.student != nil else { throw AppError.notFound("student", studentId) }
            if studentId == booker || !c.studentLinked {
                throw AppError.invalidParams(
                    field: "student_id", reason: "is not a student \(forUser == nil ? "you act" : "this user acts") for; an admin or the office links them with student.link (meetctl student link)")
            }
        }
        let student = params.has("student_id") ? c.student : nil
        // The search is for someone who books (a user, the user searched for, or the student
        // named), so their suspension and weekly limit count, as they would in a request.
        let searchesForBooker = forUser != nil || ctx.actor.has(.user) || student != nil
        if searchesForBooker {
            guard let learner = student ?? c.user else { throw AppError.notFound("person", booker) }
            try BookingRules.requireNotSuspended(learner, asStudent: student != nil, now: ctx.now)
        }
        // Experts whose times the learner may not book for want of an assignment are counted, so
        // an empty calendar says why (seed 002: the office assigns students to providers).
        let (experts, notAssigned) = BookingRules.searchedExperts(
            certified: facts.certifiedExperts, only: onlyExpert,
            learner: searchesForBooker
                ? SearchLearner(selves: Set([booker] + (student.map { [$0.id] } ?? [])), enrolledInService: facts.enrolledInService,
                                assignedExperts: facts.assignedExperts)
                : nil,
            settings: settings)
        let length = params.optionalInt("length_minutes") ?? service.defaultLengthMinutes
        _ = try to.adding(minutes: length, checkedFor: "to", what: "the end of the last slot")
        var query = SlotQuery(
            from: from, to: to, lengthMinutes: length, slotMinutes: settings.slotMinutes,
            earliestStart: settings.earliestStart(from: ctx.now), latestStart: settings.horizonEnd(from: ctx.now),
            locationId: params.optionalString("location_id"), serviceId: service.id, gridTimeZone: settings.timeZone,
            after: try Page.cursor(params, key: [.time])?[0].stringValue.map { try Instant(rfc3339: $0) },
            maxSlots: Int(params.optionalInt("limit") ?? Int64(SchedulingLimits.defaultSlotsPerPage)))
        let window = query.startWindow
        // The weeks the learner's weekly limit has filled show no times, nor do the times the
        // learner attends as the expert of other meetings: a request then is refused.
        var fullWeeks: [Period] = []
        if !window.isEmpty, searchesForBooker {
            fullWeeks = BookingRules.fullWeeks(c.userBookings, settings: settings, within: window)
            query.closed = (fullWeeks + BookingRules.learnerBusy(c.learnerAgreedAsExpert, lengthMinutes: length)).normalized()
        }
        // Hours at a retired location offer no time.
        let calendarEnd = window.end.adding(minutes: length)
        let availability = window.isEmpty || experts.isEmpty
            ? []
            : try AvailabilityStore.decodeCalendars(
                try readMore(AvailabilityStore.calendars(communityId: ctx.communityId, expertIds: experts, from: window.start, to: calendarEnd)),
                expertIds: experts
            ).map { $0.without(locations: facts.retiredLocations) }
        let page = try slots(for: availability, query: query)
        // Each free expert named, once per page, with the profile a picker shows (seed 000:
        // "view provider profiles, and pick one"); slots refer to them by id.
        let listed = Set(page.slots.flatMap { $0.experts.map(\.expertId) }).sorted()
        let profiles = listed.isEmpty ? [] : try readMore(ProfileStore.profiles(communityId: ctx.communityId, ids: listed)).map { try ProfileStore.decode($0).profile }
        let items: [JSON] = page.slots.map { s in
            ["start": .string(s.start.rfc3339), "end": .string(s.end.rfc3339),
             "experts": .array(s.experts.map { ["expert_id": .string($0.expertId), "location_ids": .array($0.locationIds.map { .string($0) })] })]
        }
        let next: JSON = page.isCut ? .string(Page.cursor(after: [.string(page.slots.last!.start.rfc3339)], for: params)) : .null
        return ["service_id": .string(service.id), "length_minutes": .int(length), "slots": .array(items), "experts": .array(profiles.map(\.publicJSON)),
                "truncated": .bool(page.isCut), "next_cursor": next, "experts_not_assigned": .int(Int64(notAssigned)),
                "full_weeks": .array(fullWeeks.map { ["start": .string($0.start.rfc3339), "end": .string($0.end.rfc3339)] })]
    }
}
