import Community
import Core
import Meetings
import Pipeline
import RPC
import Store
import UseCases

/// `series.*` and `jobs.run_due`.
enum SeriesAPI {
    static var all: [MethodDefinition] { [create, skip, cancel, get, list, runDue] }

    static let seriesId = Schema.Field("series_id", .id(.series), required: true)
    static let occurrenceSchema: Schema = .named("Occurrence", .object([
        .init("meeting_id", .id(.meeting), required: true),
        .init("date", .nullable(.date), required: true, "Its local date (null where its meeting hides its details from the reader)"),
        .init("start", .nullable(.timestamp), required: true,
              "null only where its meeting hides its details from the reader (one the expert's side declined, read by its user or student), as meeting.get does"),
        .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue)), required: true),
        .init("credit_status", .oneOf(CreditStatus.allCases.map(\.rawValue)), required: true),
    ], additional: true))

    static let seriesSchema: Schema = .named("Series", .object([
        .init("id", .id(.series), required: true),
        .init("status", .oneOf(Series.readStatuses), required: true, "finished: a series of `weeks` dates whose last date has ended, and every occurrence still open with it (one moved later too)"),
        .init("user_id", .id(.person), required: true), .init("expert_id", .id(.person), required: true),
        .init("student_id", .nullable(.id(.person)), required: true, "The student its meetings are for; null: its user themself"),
        .init("service_id", .id(.service), required: true), .init("location_id", .id(.location), required: true),
        .init("time_zone", .text(), required: true,
              "The expert's zone when it was booked: every date is at local_time on that zone's clock, so where the user's zone changes its clocks on other days the time moves on the user's clock for those weeks"),
        .init("weekday", .integer(min: 1, max: 7), required: true, "ISO weekday: 1 Monday … 7 Sunday"),
        .init("local_time", .timeOfDay, required: true), .init("first_date", .date, required: true),
        .init("length_minutes", .integer(min: 5, max: 1440), required: true),
        .init("weeks", .nullable(.integer(min: 1, max: 520)), required: true, "How many weekly dates; null: until cancelled"),
        .init("topic", .nullable(.text()), required: true, "Given when it was booked; every occurrence carries it"),
        .init("agenda_answers", .list(.text()), required: true, "Given when it was booked; every occurrence carries them"),
        .init("agenda_questions", .nullable(.list(.text())), required: true,
              "The questions agenda_answers answer, as the service asked them when the series was booked (null: no answers, or a series booked before meetings kept them)"),
        .init("skip_dates", .list(.named("SkipDate", .object([
            .init("date", .date, required: true), .init("reason", .text(), required: true,
                  "Why the date is skipped, for both parties; one beginning \"not booked\" (the user's credits, the expert's time) is tried again by jobs.run_due while it is ahead, and leaves this list once booked"),
            .init("detail", .text(), "More (such as the user's balance), for the series' user only (their wallet and bookings)"),
        ], additional: true))), required: true),
        .init("occurrences", .list(occurrenceSchema, max: 5_200), required: true,
              "Every date booked so far, one a week at most (a series open-ended for a century would reach 5,200)"),
        .init("next_occurrence", .nullable(occurrenceSchema), required: true, "The next upcoming occurrence"),
        .init("user_name", .nullable(.text()), required: true, "The user's name (null while the series has no occurrence)"),
        .init("expert_name", .nullable(.text()), required: true, "The expert's name (null while the series has no occurrence)"),
        .init("student_name", .nullable(.text()), required: true, "The name of the student the series is for (null for the user themself, or while it has no occurrence)"),
    ], additional: true))

    static let create = MethodDefinition(
        "series.create", "Books a weekly 1:1 series: the first occurrence must be bookable; later ones are created up to the booking horizon",
        audience: .roles([.user, .admin, .office]), mutating: true,
        params: [
            .init("service_id", .id(.service), required: true), .init("expert_id", .id(.person), required: true),
            .init("first_start", .timestamp, required: true), .init("location_id", .id(.location), required: true),
            .init("weeks", .integer(min: 1, max: 520), "How many weekly dates (default: until cancelled)"),
            .init("length_minutes", MeetingAPI.minutes), .init("user_id", .id(.person), "Admins and the office book for a user"),
            .init("student_id", .id(.person), "The student of the user the series is for"),
            .init("topic", .text(max: 10_000), "What to work through, for every occurrence (its invitation says it)"),
            .init("agenda_answers", .list(.text(max: 10_000), max: 50),
                  "One answer per agenda question of the service, in the questions' order, for every occurrence; may be left out, and when given must answer every question; 10,000 characters in all. Every date carries them with the questions they answer, as the service asked them at the booking, whatever it asks later (service.update)"),
        ],
        result: seriesSchema,
        errors: [DocErrors.notFound, DocErrors.slotUnavailable, DocErrors.insufficientCredits, DocErrors.notEnrolled, DocErrors.suspended, DocErrors.usageLimit, DocErrors.timeConflict],
        body: .command(SeriesUseCases.create { params, scope in
            SeriesDecider.CreateInput(
                userId: params.optionalString("user_id") ?? scope.actorId, expertId: try params.string("expert_id"),
                serviceId: try params.string("service_id"), locationId: try params.string("location_id"), firstStart: try params.instant("first_start"),
                weeks: params.optionalInt("weeks"), lengthMinutes: params.optionalInt("length_minutes"), studentId: params.optionalString("student_id"),
                topic: params.optionalString("topic"), agendaAnswers: params.stringList("agenda_answers"))
        }))

    static let skip = MethodDefinition(
        "series.skip",
        "Skips one date of a weekly series (on the day or up to 366 days ahead, or the booking horizon and a week where that is longer, or a past date whose session was moved to a time still to come; one at a time): that occurrence is cancelled and the next one is made. "
            + "A pending occurrence's credits are returned; an agreed one ends as meeting.cancel ends it: inside the cancellation window only with "
            + "confirm_late, and a user's late skip is charged user_late_cancel_charge_percent. A date with no meeting yet (beyond the horizon, "
            + "or one the series could not book) is skipped too, and both sides are told (series_date_skipped); a date not booked is then no longer tried again",
        audience: .member, mutating: true,
        params: [seriesId, .init("date", .date, required: true, "The local date (YYYY-MM-DD) of the occurrence to skip"),
                 .init("confirm_late", .boolean, "Needed when the occurrence is agreed and inside the cancellation window")],
        result: seriesSchema, errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.meetingStarted, DocErrors.lateCancellation, DocErrors.sessionLog],
        body: .command(SeriesUseCases.skip()))

    static let cancel = MethodDefinition(
        "series.cancel", "The user or the expert cancels a weekly series and every future occurrence (the cancellation rules apply to each)",
        audience: .member, mutating: true,
        params: [seriesId, .init("reason_code", .text(min: 1, max: 64), required: true),
                 .init("confirm_late", .boolean, "Needed when an occurrence is inside the cancellation window")],
        result: seriesSchema, errors: [DocErrors.notFound, DocErrors.invalidState, DocErrors.lateCancellation, DocErrors.sessionLog],
        body: .command(SeriesUseCases.cancel()))

    static let get = MethodDefinition(
        "series.get", "A weekly series with its skip dates and occurrences", audience: .member, mutating: false, params: [seriesId],
        result: seriesSchema, errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in [SeriesQueries.series(communityId: scope.communityId, seriesId: try p.string("series_id"))] },
            respond: { ctx, rows, p in
                guard let json = try rows[0].first?.optionalJSON("series") else { throw AppError.notFound("series", try p.string("series_id")) }
                let (series, skips, occurrences) = try SeriesQueries.decodeSeries(StoredJSON(json, path: "series"))
                // The student a series is booked for reads it, as they read its meetings.
                guard [series.userId, series.expertId, series.studentId].contains(ctx.actor.id) || ctx.actor.hasAny([.admin, .office]) else {
                    throw AppError.forbidden("only the series' user, student and expert (and staff) may see it")
                }
                let person = ActingPerson(id: ctx.actor.id, roles: ctx.actor.roles)
                return series.json(skips: skips, occurrences: occurrences, now: ctx.now, showDetail: Series.showsDetail(to: person, userId: series.userId), reader: person.id)
            })))

    static let list = MethodDefinition(
        "series.list", "A person's weekly series, as user, expert or the student they are booked for, in the order they were made, each as series.get shows it",
        audience: .member, mutating: false,
        params: [
            .init("person_id", .id(.person), "Whose series (default: the actor's; admins and office staff: anyone's)"),
            .init("status", .oneOf(Series.readStatuses), "As the series reads: active, finished or cancelled"),
        ] + Page.fields,
        result: Page.resultSchema(seriesSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [SeriesQueries.list(
                    communityId: scope.communityId, testClock: scope.testClock, personId: p.optionalString("person_id") ?? scope.actorId, status: p.optionalString("status"),
                    afterId: page.afterString(0), limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [p.optionalString("person_id")])
            },
            respond: { ctx, rows, p in
                if let other = p.optionalString("person_id"), other != ctx.actor.id {
                    try ctx.actor.require(.admin, .office, to: "list another person's series")
                    try Existence.require(rows, at: 1)
                }
                let person = ActingPerson(id: ctx.actor.id, roles: ctx.actor.roles)
                let items: [JSON] = try rows[0].map { r in
                    let (series, skips, occurrences) = try SeriesQueries.decodeSeries(StoredJSON(try r.json("series"), path: "series"))
                    return series.json(skips: skips, occurrences: occurrences, now: ctx.now, showDetail: Series.showsDetail(to: person, userId: series.userId), reader: person.id)
                }
                return try Page(p, key: [.text]).result(items, keyFields: "id")
            })))

    static let runDue = MethodDefinition(
        "jobs.run_due", "Runs due work: expires unanswered requests, closes proposed new dates that passed unanswered, queues reminders, creates series occurrences (for at most 200 series a run, as many as are read within 4 MB, at least one, in turns: those it took longest ago first, then those whose next week comes soonest; call it every few minutes)",
        audience: .roles([.admin]), mutating: true, params: [],
        result: .object([
            .init("requests_expired", .integer(min: 0, max: .max), required: true),
            .init("reminders_queued", .integer(min: 0, max: .max), required: true, "The users' reminders, and the students' booked for (reminder_user_hours ahead: meeting_reminder)"),
            .init("links_queued", .integer(min: 0, max: .max), required: true,
                  "The experts' reminders, which carry the video link (reminder_expert_minutes ahead: meeting_link)"),
            .init("alternates_closed", .integer(min: 0, max: .max), required: true, "Agreed meetings whose proposed new date passed unanswered (the date stays)"),
            .init("series_occurrences_created", .integer(min: 0, max: .max), required: true),
            .init("series_dates_not_booked", .integer(min: 0, max: .max), required: true,
                  "Series dates this run listed as not booked (the user's credits, the expert's time, or a time that had passed before its turn), each told to both sides; a run that lists some may have more to do"),
        ]),
        body: .command(JobsUseCases.runDue()))
}
