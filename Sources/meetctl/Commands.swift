import Core

/// Every meetctl command: its words, options, the JSON-RPC method it calls, how each option
/// maps to a param, and what it shows. Parsing, help and output are all driven by this table.
enum Commands {
    // MARK: Shared pieces

    static let meetingId = ArgumentSpec(name: "MEETING", kind: .meeting, param: "meeting_id", help: "The meeting")
    /// The session's details the expert's side gives when making the session.
    static let sessionType = OptionSpec(
        name: "session-type", kind: .text(placeholder: "TYPE"), param: "session_type",
        help: "One of the community's session types (meetctl settings show), where it asks for one")
    static let sessionLocation = OptionSpec(name: "location", kind: .location, param: "location_id", help: "Set the location while confirming")
    /// Seed 003's optional fields of a session: its class, and its room within the location.
    static let sessionClass = OptionSpec(name: "class", kind: .text(placeholder: "CLASS"), param: "class_name", help: "The session's class (optional)")
    static let sessionRoom = OptionSpec(name: "room", kind: .text(placeholder: "ROOM"), param: "room", help: "The session's room within its location (optional)")
    static let acceptConflicts = OptionSpec(
        name: "accept-conflicts", kind: .flag, param: "accept_conflicts", help: "Confirm even though the expert has an agreed meeting then (see meetctl conflicts)")
    static let proposeOverConflicts = OptionSpec(
        name: "accept-conflicts", kind: .flag, param: "accept_conflicts",
        help: "Propose the time even though you have an agreed meeting then (see meetctl conflicts); the user's yes then stands")
    static let note = OptionSpec(name: "note", kind: .text(placeholder: "TEXT"), param: "note", help: "A note to the other side")
    /// Every step on a meeting: refused (4009) if the meeting changed since the version read, so
    /// an answer given while someone else (the expert, the office) acted is not laid over theirs.
    static let expectedVersion = OptionSpec(
        name: "expected-version", kind: .integer(1...Int64.max, placeholder: "VERSION"), param: "expected_version",
        help: "Only if the meeting is still at this version (meeting show's Version): what another person did meanwhile is not overwritten")
    static func reason(_ list: String) -> OptionSpec {
        OptionSpec(name: "reason", kind: .text(placeholder: "CODE"), param: "reason_code", help: "A code from the community's \(list) list (meetctl reasons)", required: true)
    }
    static let expert = OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "Whose availability; default: yourself. Anyone may show an expert's free times; only admins change another's")

    static let meetingRecord: OutputSpec = .record([
        Column(header: "Meeting", key: "id"),
        Column(header: "Status", key: "status"),
        // Also on a declined meeting given a new date since, so it says what it is a reason for.
        Column(header: "  declined for", key: "decline_reason.label", optional: true),
        // `meeting show` of a cancelled meeting: who ended it and for what (its timeline says).
        Column(header: "  cancelled by", key: "cancelled_by", optional: true),
        Column(header: "  withdrawn by", key: "withdrawn_by", optional: true),
        Column(header: "  skipped by", key: "skipped_by", optional: true),
        Column(header: "  unanswered", key: "unanswered_by", optional: true),
        Column(header: "Awaiting", key: "awaiting_action_by", optional: true),
        // `meeting show` to the expert's side: what it does next, and with which command.
        Column(header: "Next step", key: "next_step", optional: true),
        Column(header: "Start", key: "start", format: .time),
        Column(header: "End", key: "end", format: .time),
        Column(header: "Length", key: "length_minutes", format: .minutes),
        Column(header: "Credits", key: "price_credits", format: .meetingCredits),
        Column(header: "Service", key: "service_id", format: .service),
        Column(header: "Skill", key: "skill", optional: true),
        Column(header: "Location", key: "location_id", format: .location, optional: true),
        Column(header: "User", key: "user_id"),
        Column(header: "  name", key: "user_name", optional: true),
        Column(header: "Student", key: "student_id", optional: true),
        Column(header: "  name", key: "student_name", optional: true),
        Column(header: "Expert", key: "expert_id"),
        Column(header: "  name", key: "expert_name", optional: true),
        Column(header: "Topic", key: "topic", optional: true),
        Column(header: "Agenda", key: "agenda_answers", format: .compact, optional: true),
        Column(header: "Note", key: "note", optional: true),
        Column(header: "New date", key: "alternate.start", format: .time, optional: true),
        Column(header: "  proposed by", key: "alternate.proposed_by", optional: true),
        // What the new date comes with: a length (and so a price) other than the meeting's own.
        Column(header: "  length", key: "alternate.length_minutes", format: .minutes, optional: true),
        Column(header: "  credits", key: "alternate.price_credits", optional: true),
        Column(header: "  note", key: "alternate.note", optional: true),
        Column(header: "  lapsed", key: "alternate_lapsed", optional: true),
        Column(header: "Session type", key: "session_type", optional: true),
        Column(header: "Class", key: "class_name", optional: true),
        Column(header: "Room", key: "room", optional: true),
        Column(header: "Video", key: "video_url", optional: true),
        Column(header: "Series", key: "series_id", optional: true),
        Column(header: "Follows", key: "follows_meeting_id", optional: true),
        Column(header: "Attendance", key: "attendance", optional: true),
        Column(header: "Duration", key: "duration_minutes", format: .minutes, optional: true),
        Column(header: "Feedback", key: "feedback", format: .compact, optional: true),
        Column(header: "Version", key: "version"),
    ])

    static let meetingColumns = [
        Column(header: "#", key: "row", format: .number),
        Column(header: "", key: "marker"),
        Column(header: "START", key: "start", format: .time),
        Column(header: "LENGTH", key: "length_minutes", format: .minutes),
        Column(header: "STATUS", key: "status"),
        Column(header: "CREDITS", key: "price_credits", format: .meetingCredits),
        Column(header: "WITH", key: "with"),
        Column(header: "SERVICE", key: "service_id", format: .serviceName),
        Column(header: "NEW DATE?", key: "alternate.start", format: .time),
        Column(header: "MEETING", key: "id"),
    ]

    static let transferRecord: OutputSpec = .record([
        Column(header: "Transfer", key: "id"), Column(header: "Kind", key: "kind"), Column(header: "Credits", key: "credits"),
        Column(header: "From", key: "debit_account_id", format: .account), Column(header: "To", key: "credit_account_id", format: .account),
        Column(header: "Time", key: "created_at", format: .time), Column(header: "Seq", key: "seq"),
    ])

    static let periodRecord: OutputSpec = .record([
        Column(header: "Period", key: "id"), Column(header: "Kind", key: "kind"), Column(header: "Start", key: "start", format: .time),
        Column(header: "End", key: "end", format: .time), Column(header: "Locations", key: "location_ids", format: .locations),
    ])

    static let serviceRecord: OutputSpec = .record([
        Column(header: "Service", key: "id"), Column(header: "Name", key: "name"), Column(header: "Kind", key: "kind"),
        Column(header: "Length", key: "default_length_minutes", format: .minutes), Column(header: "Price", key: "price_credits"),
        Column(header: "Expert", key: "expert_id", format: .person, optional: true), Column(header: "Skills", key: "skills", format: .compact, optional: true),
        Column(header: "Agenda", key: "agenda_questions", format: .compact, optional: true),
    ])
    static let locationRecord: OutputSpec = .record([
        Column(header: "Location", key: "id"), Column(header: "Name", key: "name"), Column(header: "Kind", key: "kind"),
        Column(header: "Active", key: "active", format: .bool),
    ])
    static let personRecord: OutputSpec = .record([
        Column(header: "Person", key: "id"), Column(header: "First name", key: "first_name"), Column(header: "Last name", key: "last_name"),
        Column(header: "Email", key: "email"), Column(header: "Roles", key: "roles", format: .compact),
        Column(header: "Time zone", key: "time_zone"), Column(header: "Suspended until", key: "suspended_until", format: .time, optional: true),
    ])

    // MARK: The table

    static let all: [CommandSpec] = experts + people + availability + finance + admin + delivery + other

    /// Whom a booking is for, with whom and of what: `book` and `series create` take them alike.
    static let bookingParties: [OptionSpec] = [
        OptionSpec(name: "user", kind: .person, param: "user_id", help: "Admins and the office: the user you book for (default: yourself)"),
        OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "The expert", required: true),
        OptionSpec(name: "service", kind: .service, param: "service_id", help: "The service (meetctl services), by id or name", required: true),
    ]

    static let experts: [CommandSpec] = [
        CommandSpec(
            path: ["meetings"], section: .experts, summary: "Your meetings from now on and sessions still to log, those awaiting your action first (marked *)",
            details: """
                One list of the meetings you are in, as user and as expert (an AS column tells them apart where you are on
                both sides); --role expert or --role user keeps one side. A meeting awaiting you as expert has your next step
                beside its status, as meetctl waiting words it: confirm or decline, answer the new date, or make the session
                (a new date the user accepted where the community requires session details; meetctl meeting show gives the command).
                A session that has ended waits for its expert's log: "agreed (log the session)" to the expert, and
                "agreed (ended, to be logged)" to its user, whose credits it holds until then. A new date left unanswered
                until it or the meeting started can no longer be taken: "agreed (new date lapsed)", with no NEW DATE?.
                Rows are numbered: until the next listing, other commands take the number in place of the meeting's id
                (meetctl confirm 2), as they take the id's last 6 or more characters. A listing printed with --json or --csv
                is the last listing too, numbered as its table would be (its Nth item is row N). --json prints {role, items} with
                every page of meeting.list; --csv one row per meeting with names beside ids, times in UTC as spreadsheets
                read them (--output FILE writes it into a file).
                """,
            options: [
                OptionSpec(name: "role", kind: .choice(["all", "expert", "user"]), param: "role", help: "Your side of the meetings; default: all"),
                OptionSpec(name: "status", kind: .choice(["awaiting_approval", "agreed", "rejected", "cancelled", "completed", "expired"]), param: "status", help: "Only meetings in this state"),
                OptionSpec(name: "from", kind: .time, param: "from", help: "Meetings ending after this time; default: now"),
                OptionSpec(name: "to", kind: .time, param: "to", help: "Meetings starting before this time"),
                OptionSpec(name: "person", kind: .person, param: "person_id", help: "Another person's meetings (admins and office staff)"),
            ],
            method: "meeting.list", output: .table(key: "items", meetingColumns, empty: "No meetings."), csv: MeetingCommands.csvColumns.map(\.name),
            allPages: true, run: MeetingCommands.list),
        CommandSpec(
            path: ["waiting"], section: .admin, summary: "What waits for the experts' side across the community, soonest first (admins and office staff)",
            details: "Requests to answer, new dates users accepted (sessions to make) and users' new dates for agreed meetings: the office's list to process (meeting.waiting; admins see it, office staff act on it, for the experts). Rows are numbered as meetctl meetings numbers them: until the next listing, commands take the number in place of the meeting's id (with --json, its Nth item is row N).",
            options: [OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "Only this expert's")],
            method: "meeting.waiting",
            output: .table(key: "items", [
                Column(header: "#", key: "row", format: .number), Column(header: "NEXT STEP", key: "next_step"),
                Column(header: "START", key: "start", format: .time), Column(header: "LENGTH", key: "length_minutes", format: .minutes),
                Column(header: "STATUS", key: "status"), Column(header: "USER", key: "user_name"), Column(header: "FOR", key: "student_name"),
                Column(header: "EXPERT", key: "expert_name"), Column(header: "SERVICE", key: "service_id", format: .serviceName),
                Column(header: "NEW DATE?", key: "alternate.start", format: .time), Column(header: "MEETING", key: "id"),
            ], empty: "Nothing waits."),
            allPages: true, run: MeetingCommands.waiting),
        CommandSpec(
            path: ["series"], section: .experts, summary: "Your weekly series (as user or expert), each with its next date",
            options: [
                OptionSpec(name: "status", kind: .choice(["active", "finished", "cancelled"]), param: "status", help: "Only series in this state"),
                OptionSpec(name: "person", kind: .person, param: "person_id", help: "Another person's series (admins and office staff)"),
            ],
            method: "series.list",
            output: .table(key: "items", [
                Column(header: "SERIES", key: "id"), Column(header: "STATUS", key: "status"), Column(header: "WEEKDAY", key: "weekday", format: .weekday),
                Column(header: "TIME", key: "local_time"), Column(header: "ZONE", key: "time_zone"),
                Column(header: "NEXT", key: "next_occurrence.start", format: .time), Column(header: "USER", key: "user_id", format: .personNamed("user_name")),
                Column(header: "EXPERT", key: "expert_id", format: .personNamed("expert_name")),
                Column(header: "FOR", key: "student_id", format: .personNamed("student_name")),
                Column(header: "SKIPPED", key: "skip_dates", format: .compact),
            ], empty: "No series."),
            allPages: true),
        CommandSpec(
            path: ["series", "create"], section: .experts, summary: "Book a weekly series: the first date now, the later ones as the booking horizon reaches them",
            details: """
                The first date must be bookable (as meetctl book would book it); the series repeats at its time on the expert's
                clock every week, for --weeks dates or until cancelled, each date holding its own credits. Admins and the office
                book for a user with --user (and --student).
                """,
            options: bookingParties + [
                OptionSpec(name: "start", kind: .time, param: "first_start", help: "The first date's start", required: true),
                OptionSpec(name: "location", kind: .location, param: "location_id", help: "Where", required: true),
                OptionSpec(name: "weeks", kind: .integer(1...520, placeholder: "N"), param: "weeks", help: "How many weekly dates (default: until cancelled)"),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "How long each (default: the service's length; the price follows it)"),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "The user's student the series is for"),
                OptionSpec(name: "topic", kind: .text(placeholder: "TEXT"), param: "topic", help: "What to work through, for every date"),
            ],
            method: "series.create", mutating: true,
            output: .record([
                Column(header: "Series", key: "id"), Column(header: "Status", key: "status"), Column(header: "Weekday", key: "weekday", format: .weekday),
                Column(header: "Time", key: "local_time"), Column(header: "Zone", key: "time_zone"), Column(header: "Weeks", key: "weeks"),
                Column(header: "Next", key: "next_occurrence.start", format: .time), Column(header: "User", key: "user_id", format: .personNamed("user_name")),
                Column(header: "Expert", key: "expert_id", format: .personNamed("expert_name")),
                Column(header: "For", key: "student_id", format: .personNamed("student_name"), optional: true),
                Column(header: "Not booked", key: "skip_dates", format: .compact, optional: true),
            ])),
        CommandSpec(
            path: ["series", "skip"], section: .experts, summary: "Skip one date of a weekly series (credits returned, a user's late skip charged as a late cancel; the next date booked)",
            arguments: [
                ArgumentSpec(name: "SERIES", kind: .id(.series), param: "series_id", help: "The weekly series (meetctl series)"),
                ArgumentSpec(name: "DATE", kind: .text(placeholder: "YYYY-MM-DD"), param: "date", help: "The series' date to skip"),
            ],
            options: [OptionSpec(name: "confirm-late", kind: .flag, param: "confirm_late", help: "Skip inside the cancellation window, with its consequences")],
            method: "series.skip", mutating: true, run: MeetingCommands.skipSeriesDate),
        CommandSpec(
            path: ["series", "cancel"], section: .experts, summary: "Cancel a weekly series and every future date of it",
            arguments: [ArgumentSpec(name: "SERIES", kind: .id(.series), param: "series_id", help: "The weekly series (meetctl series)")],
            options: [
                OptionSpec(name: "reason", kind: .text(placeholder: "CODE"), param: "reason_code", help: "One of the community's cancellation reasons (meetctl reasons)", required: true),
                OptionSpec(name: "confirm-late", kind: .flag, param: "confirm_late", help: "Cancel dates inside the cancellation window, with their consequences"),
            ],
            method: "series.cancel", mutating: true,
            output: .message { r, _ in "Series \(Render.plain(r["id"] ?? nil)) is \(Render.plain(r["status"] ?? nil))." }),
        CommandSpec(
            path: ["meeting", "show"], section: .experts, summary: "One meeting with its timeline",
            details: "Also reads meeting.timeline; --json prints {meeting, timeline}.",
            arguments: [meetingId], method: "meeting.get", output: meetingRecord, run: MeetingCommands.show),
        CommandSpec(
            path: ["propose"], section: .experts, summary: "Propose a meeting to a user (you approve it; the user confirms)",
            options: [
                OptionSpec(name: "user", kind: .person, param: "user_id", help: "The user", required: true),
                OptionSpec(name: "service", kind: .service, param: "service_id", help: "The service (meetctl services), by id or name", required: true),
                OptionSpec(name: "start", kind: .time, param: "start", help: "When it starts", required: true),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "How long", required: true),
                OptionSpec(name: "price", kind: .integer(0...1_000_000_000_000, placeholder: "CREDITS"), param: "price_credits", help: "Its price in credits", required: true),
                OptionSpec(name: "skill", kind: .text(placeholder: "SKILL"), param: "skill", help: "The skill it is about"),
                OptionSpec(name: "location", kind: .location, param: "location_id", help: "Where"),
                note,
                OptionSpec(name: "after", kind: .meeting, param: "from_meeting_id", help: "The meeting this proposal follows"),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "The user's student the meeting is for"),
                OptionSpec(name: "session-type", kind: .text(placeholder: "TYPE"), param: "session_type", help: "The session's type, so the user's acceptance makes the session"),
                sessionClass, sessionRoom, proposeOverConflicts,
            ],
            method: "meeting.propose", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["slots"], section: .experts, summary: "Bookable times of a service, as a user (or the user you book for) would see them",
            details: """
                Admins and the office give --user (and --student) to see the times as that user would: their enrolment,
                weekly limit and suspension count. One page: --cursor with the next_cursor it prints gives the next.
                """,
            options: [
                OptionSpec(name: "service", kind: .service, param: "service_id", help: "The service (meetctl services), by id or name", required: true),
                OptionSpec(name: "from", kind: .time, param: "from", help: "From (a date is the start of that day)", required: true),
                OptionSpec(name: "to", kind: .time, param: "to", help: "Until (at most 366 days after --from)", required: true),
                OptionSpec(name: "user", kind: .person, param: "user_id", help: "Admins and the office: the user you book for"),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "The user's student the meeting would be for"),
                OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "Only this expert's times"),
                OptionSpec(name: "location", kind: .location, param: "location_id", help: "Only times at this location"),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "How long (default: the service's length)"),
                OptionSpec(name: "limit", kind: .integer(1...2000, placeholder: "N"), param: "limit", help: "At most this many slots (default 500)"),
                OptionSpec(name: "cursor", kind: .text(placeholder: "CURSOR"), param: "cursor", help: "The next page: the cursor the last page printed, with the same other options"),
            ],
            method: "availability.search", run: MeetingCommands.slots),
        CommandSpec(
            path: ["book"], section: .experts, summary: "Request a meeting: for yourself, or (admins and the office) for a user",
            details: """
                The user's credits are held; the user is told the meeting was booked for them, and the expert confirms it
                (at once under the community's auto-accept). meetctl slots shows the times that can be booked.
                """,
            options: bookingParties + [
                OptionSpec(name: "start", kind: .time, param: "start", help: "When it starts", required: true),
                OptionSpec(name: "location", kind: .location, param: "location_id", help: "Where", required: true),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "How long (default: the service's length; the price follows it)"),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "The user's student the meeting is for"),
                OptionSpec(name: "topic", kind: .text(placeholder: "TEXT"), param: "topic", help: "What it is about"),
            ],
            method: "meeting.request", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["confirm"], section: .experts, summary: "Confirm a meeting awaiting your approval, or make the session a user accepted",
            details: """
                If you already have an agreed meeting at that time the service refuses (time_conflict) unless --accept-conflicts.
                Where the community requires session details, give --session-type and --location (a request, or a new date the user accepted).
                Office staff confirm for the community's experts the same way.
                """,
            arguments: [meetingId],
            options: [
                acceptConflicts,
                sessionType, sessionLocation, sessionClass, sessionRoom,
                OptionSpec(name: "note", kind: .text(placeholder: "TEXT"), param: "note", help: "A message to the other side with your answer"),
                expectedVersion,
            ],
            method: "meeting.confirm", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["decline"], section: .experts, summary: "Decline a meeting awaiting your approval; held credits return to the user",
            arguments: [meetingId],
            options: [
                reason("rejection"),
                OptionSpec(
                    name: "note", kind: .text(placeholder: "TEXT"), param: "note",
                    help: "A note kept on the timeline; a user declining writes it to the expert, while the user of a meeting the expert declines reads only the reason"),
                expectedVersion,
            ],
            method: "meeting.decline", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["withdraw"], section: .experts, summary: "Withdraw your proposal before the other side answers",
            arguments: [meetingId], options: [note, expectedVersion], method: "meeting.withdraw", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["cancel"], section: .experts, summary: "Cancel an agreed meeting",
            details: """
                Inside the cancellation window the service asks for confirmation and says what it costs:
                meetctl shows that and asks "Cancel anyway? [y/N]" on a terminal. --yes answers yes; without a
                terminal and without --yes nothing is cancelled and the exit status is 1. Cancelling a date of a
                weekly series cancels the series and its later dates too (as the help centre says); meetctl lists them.
                """,
            arguments: [meetingId],
            options: [reason("cancellation"), note, OptionSpec(name: "yes", kind: .flag, help: "Cancel even inside the cancellation window, without asking"), expectedVersion],
            method: "meeting.cancel", mutating: true, output: meetingRecord, run: MeetingCommands.cancel),
        CommandSpec(
            path: ["reschedule"], section: .experts, summary: "Propose a new date (agreed: an alternate the other side approves; otherwise a counter-offer)",
            arguments: [meetingId],
            options: [
                OptionSpec(name: "start", kind: .time, param: "start", help: "The new start", required: true),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "A new length"),
                note,
                proposeOverConflicts,
                expectedVersion,
            ],
            method: "meeting.reschedule", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["alternate", "confirm"], section: .experts, summary: "Approve the new date the other side proposed",
            details: """
                A declined meeting the user gave a new date is made by this approval: where the community requires
                session details, give --session-type and --location as with meetctl confirm. A user's new date for an
                agreed meeting may lie in hours you keep at another location: --location says where it happens
                (--class and --room too; its session type stays as it was made).
                """,
            arguments: [meetingId], options: [acceptConflicts, sessionType, sessionLocation, sessionClass, sessionRoom, expectedVersion],
            method: "meeting.confirm_alternate", mutating: true,
            output: meetingRecord),
        CommandSpec(
            path: ["alternate", "reject"], section: .experts,
            summary: "Reject the proposed new date; the meeting keeps its date (a declined meeting's new date: it stays declined)",
            arguments: [meetingId],
            options: [
                reason("rejection"),
                OptionSpec(
                    name: "note", kind: .text(placeholder: "TEXT"), param: "note",
                    help: "A note to the other side; the user of a declined meeting whose new date the expert turns down reads only the reason"),
                expectedVersion,
            ], method: "meeting.reject_alternate", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["alternate", "withdraw"], section: .experts, summary: "Withdraw the new date you proposed",
            arguments: [meetingId], options: [expectedVersion], method: "meeting.withdraw_alternate", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["log"], section: .experts, summary: "Log a meeting after it started: attendance, duration, feedback",
            details: "attended (or the user's no_show) pays you; --adjust changes the logged length in steps of 5 minutes.",
            arguments: [meetingId],
            options: [
                OptionSpec(name: "attendance", kind: .choice(["attended", "no_show"]), param: "attendance", help: "Did the user come?", required: true),
                OptionSpec(
                    name: "adjust", kind: .integer(-240...240, placeholder: "MINUTES", step: 5), param: "duration_adjust_minutes",
                    help: "Minutes more (or fewer, negative) than scheduled"),
                OptionSpec(name: "feedback", kind: .feedback, param: "feedback", help: "An answer, QUESTION=ANSWER, to one of the community's feedback questions (meetctl settings shows them; any question where it sets none)", repeatable: true),
                OptionSpec(name: "yes", kind: .flag, help: "Log a no-show without asking (at a terminal meetctl asks first)"),
                expectedVersion,
            ],
            method: "meeting.log_session", mutating: true, output: meetingRecord, run: MeetingCommands.log),
        CommandSpec(
            path: ["report-no-show"], section: .experts, summary: "Report that the expert did not come (the user, or an admin): the held credits go back",
            details: """
                Once the meeting's time is over, its user (meetctl --as USER) or an admin reports that the expert did not
                come: the meeting ends unpaid, the credits it held go back to the user, the expert is told (and the user,
                when an admin reports it), and it no longer counts toward the weekly limit. An expert who could not come
                asks the user or an admin to report it; meetctl log is for sessions that took place or the user missed.
                """,
            arguments: [meetingId], options: [expectedVersion], method: "meeting.report_no_show", mutating: true, output: meetingRecord),
        CommandSpec(
            path: ["conflicts"], section: .experts, summary: "Your agreed meetings that overlap a meeting (or a time): the warning before confirming",
            arguments: [ArgumentSpec(name: "MEETING", kind: .meeting, param: "meeting_id", help: "The meeting to check", required: false)],
            options: [
                OptionSpec(name: "start", kind: .time, param: "start", help: "Check this time instead of a meeting"),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "length_minutes", help: "With --start"),
            ],
            method: "meeting.conflicts",
            output: .table(
                key: "meetings", meetingColumns.filter { !["row", "marker", "with"].contains($0.key) }
                    + [Column(header: "USER", key: "user_name"), Column(header: "FOR", key: "student_name")],
                empty: "No agreed meetings overlap."),
            run: MeetingCommands.conflicts),
        CommandSpec(
            path: ["calendar"], section: .experts, summary: "An agreed meeting's iCalendar invitation (.ics), as its parties were mailed it, on stdout",
            arguments: [meetingId], method: "meeting.calendar",
            output: .document { result in result["ics"]?.stringValue ?? "" }),
        CommandSpec(
            path: ["reasons"], section: .experts, summary: "The community's rejection and cancellation reason codes",
            method: "community.get", run: AdminCommands.reasons),
    ]

    static let availability: [CommandSpec] = [
        CommandSpec(
            path: ["availability", "show"], section: .availability, summary: "Free periods, weekly rules and blocks (default: the next 7 days)",
            options: [
                expert,
                OptionSpec(name: "from", kind: .time, param: "from", help: "Default: today"),
                OptionSpec(name: "to", kind: .time, param: "to", help: "Default: 7 days after --from"),
                OptionSpec(name: "service", kind: .service, param: "service_id", help: "Only where this service can be given"),
            ],
            method: "availability.get", run: AvailabilityCommands.show),
        CommandSpec(
            path: ["availability", "set"], section: .availability, summary: "Replace your weekly hours",
            details: """
                Each --rule is DAYS HH:MM-HH:MM @LOC[,LOC] [#SERVICE[,SERVICE]]: days like Mon, Mon-Fri or Tue,Thu; locations
                by id or name; after " #", the only services the window is for (by id or name; without it, every service).
                The rules replace all your weekly hours, their service lists too: give every window you keep.
                """,
            options: [
                OptionSpec(name: "tz", kind: .text(placeholder: "ZONE"), param: "time_zone", help: "IANA zone the hours are in; default: yours"),
                OptionSpec(name: "rule", kind: .weeklyRule, param: "rules", help: "Weekly hours", required: true, repeatable: true),
                expert,
            ],
            method: "availability.set_weekly", mutating: true,
            output: .table(key: "rules", AvailabilityCommands.ruleColumns, empty: "No weekly hours: nobody can book you except in one-off free periods."),
            run: AvailabilityCommands.setWeekly),
        CommandSpec(
            path: ["availability", "free"], section: .availability, summary: "Add a one-off free period",
            options: [
                OptionSpec(name: "start", kind: .time, param: "start", required: true),
                OptionSpec(name: "end", kind: .time, param: "end", required: true),
                OptionSpec(name: "location", kind: .list(.location), param: "location_ids", help: "Where", required: true),
                expert,
            ],
            method: "availability.add_free", mutating: true, output: periodRecord, run: AvailabilityCommands.forExpert),
        CommandSpec(
            path: ["availability", "block"], section: .availability, summary: "Block a period: nothing booked, agreed or moved into it, whatever the weekly hours say",
            options: [OptionSpec(name: "start", kind: .time, param: "start", required: true), OptionSpec(name: "end", kind: .time, param: "end", required: true), expert],
            method: "availability.block", mutating: true, output: periodRecord, run: AvailabilityCommands.block),
        CommandSpec(
            path: ["availability", "remove"], section: .availability, summary: "Remove one-off free and blocked periods (one by id, or all within a range)",
            options: [
                OptionSpec(name: "period", kind: .id(.availability), param: "period_id", help: "The period (availability show lists them)"),
                OptionSpec(name: "start", kind: .time, param: "start"), OptionSpec(name: "end", kind: .time, param: "end"), expert,
            ],
            method: "availability.remove", mutating: true,
            output: .message { result, _ in "Removed \(Counted.words(result["removed"]?.intValue ?? 0, "period"))." }, run: AvailabilityCommands.remove),
    ]

    static let accountColumns = [
        Column(header: "ACCOUNT", key: "account_id"), Column(header: "KIND", key: "kind"), Column(header: "OWNER", key: "owner_id", format: .person),
        Column(header: "POSTED", key: "posted", format: .number), Column(header: "BLOCKED", key: "blocked", format: .number),
        Column(header: "AVAILABLE", key: "available", format: .number), Column(header: "INCOMING", key: "incoming", format: .number),
        Column(header: "AS OF", key: "as_of", format: .time),
    ]

    /// The figures just before T, as the service takes as_of: a month-end close as of 1 May is
    /// the end of April.
    static let asOf = OptionSpec(
        name: "as-of", kind: .time, param: "as_of", help: "Just before a past time: transfers made at it are left out (a time ahead is read as now)")

    static let finance: [CommandSpec] = [
        CommandSpec(
            path: ["balance"], section: .finance, summary: "Posted, blocked and available credits of a person's accounts or one account",
            details: "Finance staff without --person or --account see every account of the community (as meetctl accounts).",
            options: [
                OptionSpec(name: "person", kind: .person, param: "person_id", help: "Whose accounts; default: yours"),
                OptionSpec(name: "account", kind: .id(.account), param: "account_id", help: "One account"),
                asOf,
            ],
            method: "ledger.balance", output: .table(key: "accounts", accountColumns, empty: "No accounts."),
            csv: [], run: FinanceCommands.balance),
        CommandSpec(
            path: ["accounts"], section: .finance, summary: "Every account of the community with its owner and posted, blocked and available credits",
            options: [
                OptionSpec(name: "kind", kind: .choice(["user_wallet", "expert_earnings", "platform_revenue", "issuance", "payouts"]), param: "kind", help: "Only accounts of this kind"),
                asOf,
            ],
            method: "ledger.accounts", output: .table(key: "items", communityAccountColumns, empty: "No accounts."), csv: [], allPages: true,
            run: FinanceCommands.accountsCommand),
        CommandSpec(
            path: ["statement"], section: .finance, summary: "An account's entries with the running balance, oldest first (every page)",
            details: """
                CREDITS is the entry's amount signed by side (negative where credits leave the account, whatever the phase:
                a release on a wallet reads negative though it gives the credits back); POSTED ±, BLOCKED ± and INCOMING ± are
                what the entry changed, and POSTED, BLOCKED, AVAILABLE and INCOMING the balances after it (INCOMING: holds to
                the account, such as an expert's earnings from meetings not settled yet).
                """,
            options: [
                OptionSpec(name: "account", kind: .id(.account), param: "account_id", help: "The account; default: your own (as balance)"),
                OptionSpec(name: "person", kind: .person, help: "The person whose only account it is (instead of --account)"),
                OptionSpec(name: "from", kind: .time, param: "from", help: "Entries at or after"),
                OptionSpec(name: "to", kind: .time, param: "to", help: "Entries before"),
            ],
            method: "ledger.statement",
            output: .table(key: "items", [
                Column(header: "SEQ", key: "seq", format: .number), Column(header: "TIME", key: "created_at", format: .time),
                Column(header: "KIND", key: "kind"), Column(header: "PHASE", key: "phase"), Column(header: "CREDITS", key: "credits", format: .number),
                Column(header: "POSTED ±", key: "posted_change", format: .number), Column(header: "BLOCKED ±", key: "blocked_change", format: .number),
                Column(header: "INCOMING ±", key: "incoming_change", format: .number),
                Column(header: "POSTED", key: "posted_balance", format: .number), Column(header: "BLOCKED", key: "blocked", format: .number),
                Column(header: "AVAILABLE", key: "available", format: .number), Column(header: "INCOMING", key: "incoming", format: .number),
                Column(header: "MEETING", key: "meeting_id"),
                Column(header: "REFERENCE", key: "reference"), Column(header: "REASON", key: "reason"),
            ], empty: "No entries."),
            csv: [], run: FinanceCommands.statement),
        CommandSpec(
            path: ["trial-balance"], section: .finance, summary: "Totals per account kind; the grand total is always 0",
            options: [asOf],
            method: "ledger.trial_balance",
            output: .table(key: "kinds", [
                Column(header: "KIND", key: "kind"), Column(header: "ACCOUNTS", key: "accounts", format: .number),
                Column(header: "DEBITS", key: "debits_posted", format: .number), Column(header: "CREDITS", key: "credits_posted", format: .number),
                Column(header: "POSTED", key: "posted", format: .number), Column(header: "PENDING DEBITS", key: "debits_pending", format: .number),
                Column(header: "PENDING CREDITS", key: "credits_pending", format: .number),
            ], empty: "No accounts."),
            csv: [], run: FinanceCommands.trialBalance),
        CommandSpec(
            path: ["reconcile"], section: .finance, summary: "Check every ledger invariant; exit status 1 when there are problems",
            method: "ledger.reconcile", run: FinanceCommands.reconcile),
        CommandSpec(
            path: ["grant"], section: .finance, summary: "Add purchased credits to a user's wallet (each reference once)",
            options: [
                OptionSpec(name: "user", kind: .person, param: "user_id", help: "The user", required: true),
                OptionSpec(name: "credits", kind: .integer(1...1_000_000_000_000, placeholder: "N"), param: "credits", required: true),
                OptionSpec(name: "reference", kind: .text(placeholder: "REF"), param: "reference", help: "The purchase's order id", required: true),
            ],
            method: "credits.grant", mutating: true, output: transferRecord),
        CommandSpec(
            path: ["adjust"], section: .finance, summary: "Correct an account by a signed amount, with a reason",
            options: [
                OptionSpec(name: "account", kind: .id(.account), param: "account_id", required: true),
                OptionSpec(name: "credits", kind: .integer(-1_000_000_000_000...1_000_000_000_000, placeholder: "±N"), param: "credits", help: "Positive adds, negative removes", required: true),
                OptionSpec(name: "reason", kind: .text(placeholder: "TEXT"), param: "reason", required: true),
            ],
            method: "credits.adjust", mutating: true, output: transferRecord),
        CommandSpec(
            path: ["payout"], section: .finance, summary: "Pay an expert's available earnings out",
            options: [
                OptionSpec(name: "expert", kind: .person, param: "expert_id", required: true),
                OptionSpec(name: "credits", kind: .integer(1...1_000_000_000_000, placeholder: "N"), param: "credits", required: true),
                OptionSpec(name: "reference", kind: .text(placeholder: "REF"), param: "reference", help: "The payment's reference", required: true),
            ],
            method: "payout.create", mutating: true, output: transferRecord),
        CommandSpec(
            path: ["trail"], section: .finance, summary: "Every credit movement of one meeting",
            arguments: [meetingId], method: "ledger.meeting_trail",
            output: .table(key: "transfers", [
                Column(header: "SEQ", key: "seq", format: .number), Column(header: "TIME", key: "created_at", format: .time),
                Column(header: "KIND", key: "kind"), Column(header: "PHASE", key: "phase"), Column(header: "CREDITS", key: "credits", format: .number),
                Column(header: "FROM", key: "debit_account_id", format: .accountName), Column(header: "TO", key: "credit_account_id", format: .accountName),
                Column(header: "TRANSFER", key: "id"),
            ], empty: "No credits have moved for this meeting."),
            csv: [], run: FinanceCommands.read),
    ] + reports

    static let communityAccountColumns = [
        Column(header: "ACCOUNT", key: "account_id"), Column(header: "KIND", key: "kind"), Column(header: "OWNER", key: "owner_id", format: .ownerName),
        Column(header: "EMAIL", key: "owner_email"), Column(header: "POSTED", key: "posted", format: .number),
        Column(header: "BLOCKED", key: "blocked", format: .number), Column(header: "AVAILABLE", key: "available", format: .number),
        Column(header: "INCOMING", key: "incoming", format: .number),
    ]

    static let monthOptions = [
        OptionSpec(name: "from", kind: .text(placeholder: "YYYY-MM"), param: "from_month", help: "The first month; default: 11 months before --to"),
        OptionSpec(name: "to", kind: .text(placeholder: "YYYY-MM"), param: "to_month", help: "The last month, included; default: this month on the community's clock"),
    ]

    static let reports: [CommandSpec] = [
        CommandSpec(
            path: ["report", "outstanding"], section: .finance, summary: "Credits users hold: posted, blocked for meetings and available (the platform's liability)",
            options: [asOf],
            method: "report.credits_outstanding",
            output: .record([
                Column(header: "Wallets", key: "wallets"), Column(header: "With credits", key: "wallets_with_credits"),
                Column(header: "Posted", key: "posted"), Column(header: "Blocked", key: "blocked"), Column(header: "Available", key: "available"),
                Column(header: "As of", key: "as_of", format: .time),
            ]),
            csv: [], run: FinanceCommands.read),
        CommandSpec(
            path: ["report", "revenue"], section: .finance, summary: "The platform's revenue per month: fees, corrections, late-cancel charges",
            details: "Months on the community's clock; the table's last row is the total (--csv has the months alone). revenue = fees + adjustments, the change of platform_revenue's posted balance.",
            options: monthOptions, method: "report.revenue_by_month",
            output: .table(key: "months", [
                Column(header: "MONTH", key: "month"), Column(header: "FEES", key: "fees", format: .number),
                Column(header: "FEE TRANSFERS", key: "fee_transfers", format: .number), Column(header: "ADJUSTMENTS", key: "adjustments", format: .number),
                Column(header: "REVENUE", key: "revenue", format: .number), Column(header: "LATE-CANCEL CHARGES", key: "late_cancel_charges", format: .number),
                Column(header: "LATE CANCELLATIONS", key: "late_cancellations", format: .number),
            ], empty: "No months."),
            csv: [], run: FinanceCommands.monthly),
        CommandSpec(
            path: ["report", "settlements"], section: .finance, summary: "Holds, captures and releases per month",
            details: "Months on the community's clock; the table's last row is the total (--csv has the months alone). blocked ± = held − captured − returned on capture − released.",
            options: monthOptions, method: "report.settlements_by_month",
            output: .table(key: "months", [
                Column(header: "MONTH", key: "month"), Column(header: "HOLDS", key: "holds", format: .number), Column(header: "HELD", key: "held", format: .number),
                Column(header: "CAPTURES", key: "captures", format: .number), Column(header: "CAPTURED", key: "captured", format: .number),
                Column(header: "RETURNED ON CAPTURE", key: "returned_on_capture", format: .number),
                Column(header: "RELEASES", key: "releases", format: .number), Column(header: "RELEASED", key: "released", format: .number),
                Column(header: "BLOCKED ±", key: "blocked_change", format: .number),
            ], empty: "No months."),
            csv: [], run: FinanceCommands.monthly),
        CommandSpec(
            path: ["report", "earnings"], section: .finance, summary: "Experts' earnings due for payout, with what is still incoming from held meetings",
            options: [
                asOf,
                OptionSpec(name: "all", kind: .flag, param: "include_zero", help: "Also experts with nothing due"),
            ],
            method: "report.earnings_due",
            output: .table(key: "items", [
                Column(header: "EXPERT", key: "owner_id", format: .ownerName), Column(header: "EMAIL", key: "owner_email"), Column(header: "DUE", key: "due", format: .number),
                Column(header: "INCOMING", key: "incoming", format: .number), Column(header: "ACCOUNT", key: "account_id"),
            ], empty: "No earnings due."),
            csv: [], allPages: true, run: FinanceCommands.earnings),
    ]

    static let admin: [CommandSpec] = [
        CommandSpec(
            path: ["bootstrap"], section: .admin, summary: "Create a community and its first admin (runs meetingd bootstrap here; not with --remote)",
            options: [
                OptionSpec(name: "community", kind: .text(placeholder: "NAME"), required: true),
                OptionSpec(name: "short-name", kind: .text(placeholder: "SHORT"), help: "Used in subjects and calendar titles", required: true),
                OptionSpec(name: "admin-email", kind: .text(placeholder: "EMAIL"), required: true),
                OptionSpec(name: "admin-first", kind: .text(placeholder: "FIRST"), required: true),
                OptionSpec(name: "admin-last", kind: .text(placeholder: "LAST"), required: true),
                OptionSpec(name: "time-zone", kind: .text(placeholder: "ZONE"), help: "The community's zone; default UTC"),
            ],
            output: .record([Column(header: "Community", key: "community_id"), Column(header: "Admin", key: "admin_id")]),
            local: true, run: AdminCommands.bootstrap),
        CommandSpec(
            path: ["people"], section: .admin, summary: "The community's people",
            options: [OptionSpec(name: "role", kind: .choice(["user", "expert", "admin", "finance", "office"]), param: "role", help: "Only people with this role")],
            method: "person.list",
            output: .table(key: "items", [
                Column(header: "PERSON", key: "id"), Column(header: "FIRST", key: "first_name"), Column(header: "LAST", key: "last_name"),
                Column(header: "EMAIL", key: "email"), Column(header: "ROLES", key: "roles", format: .compact), Column(header: "TIME ZONE", key: "time_zone"),
                Column(header: "SUSPENDED UNTIL", key: "suspended_until", format: .time),
            ], empty: "No people."),
            allPages: true),
        CommandSpec(
            path: ["person", "add"], section: .admin, summary: "Add a person with their roles (opens their credit accounts)",
            options: [
                OptionSpec(name: "email", kind: .text(placeholder: "EMAIL"), param: "email", help: "Their e-mail address", required: true),
                OptionSpec(name: "first", kind: .text(placeholder: "NAME"), param: "first_name", help: "First name", required: true),
                OptionSpec(name: "last", kind: .text(placeholder: "NAME"), param: "last_name", help: "Last name", required: true),
                OptionSpec(name: "roles", kind: .list(.choice(["user", "expert", "admin", "finance", "office"])), param: "roles", help: "Their roles, comma-separated", required: true),
                OptionSpec(name: "tz", kind: .text(placeholder: "ZONE"), param: "time_zone", help: "IANA time zone, e.g. Europe/Prague", required: true),
            ],
            method: "person.create", mutating: true, output: personRecord),
        CommandSpec(
            path: ["person", "set"], section: .admin,
            summary: "Change a person: e-mail, names, time zone, roles (anyone may change their own names and time zone)",
            details: "A role is taken away only when nothing open needs it (the expert's or user's open meetings and series, the last admin).",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id", help: "Default: yourself", required: false)],
            options: [
                OptionSpec(name: "email", kind: .text(placeholder: "EMAIL"), param: "email", help: "A new e-mail address"),
                OptionSpec(name: "first", kind: .text(placeholder: "NAME"), param: "first_name", help: "A new first name"),
                OptionSpec(name: "last", kind: .text(placeholder: "NAME"), param: "last_name", help: "A new last name"),
                OptionSpec(name: "tz", kind: .text(placeholder: "ZONE"), param: "time_zone", help: "IANA time zone, e.g. Europe/Prague"),
                OptionSpec(name: "add-roles", kind: .list(.choice(["user", "expert", "admin", "finance", "office"])), param: "add_roles", help: "Roles to give, comma-separated"),
                OptionSpec(name: "remove-roles", kind: .list(.choice(["user", "expert", "admin", "finance", "office"])), param: "remove_roles", help: "Roles to take away, comma-separated"),
            ],
            method: "person.update", mutating: true, output: personRecord, run: AdminCommands.setPerson),
        CommandSpec(
            path: ["person", "unsuspend"], section: .admin,
            summary: "Lift a user's suspension for missed meetings, so they can book (and be booked for) again",
            details: "The SUSPENDED UNTIL column of meetctl people shows who is suspended and until when (person.unsuspend).",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id")],
            method: "person.unsuspend", mutating: true, output: personRecord),
        CommandSpec(
            path: ["person", "show"], section: .admin, summary: "One person (default: yourself)",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id", help: "Default: yourself", required: false)],
            method: "person.get", output: personRecord, run: AdminCommands.showPerson),
        CommandSpec(
            path: ["services"], section: .admin, summary: "The community's services",
            options: [OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "Only those this expert offers")],
            method: "service.list",
            output: .table(key: "items", [
                Column(header: "SERVICE", key: "id"), Column(header: "NAME", key: "name"), Column(header: "KIND", key: "kind"),
                Column(header: "LENGTH", key: "default_length_minutes", format: .minutes), Column(header: "PRICE", key: "price_credits", format: .number),
                Column(header: "EXPERT", key: "expert_id", format: .person), Column(header: "SKILLS", key: "skills", format: .compact),
                Column(header: "ACTIVE", key: "active", format: .bool),
            ], empty: "No services."),
            allPages: true),
        CommandSpec(
            path: ["service", "add"], section: .admin, summary: "Add a service: generic (any certified expert) or expert_specific",
            options: [
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "name", required: true),
                OptionSpec(name: "kind", kind: .choice(["generic", "expert_specific"]), param: "kind", required: true),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "default_length_minutes", help: "Default length", required: true),
                OptionSpec(name: "price", kind: .integer(0...1_000_000_000_000, placeholder: "CREDITS"), param: "price_credits", required: true),
                OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "The expert of an expert_specific service"),
                OptionSpec(name: "skills", kind: .list(.text(placeholder: "SKILL")), param: "skills"),
                OptionSpec(name: "question", kind: .text(placeholder: "TEXT"), param: "agenda_questions", help: "An agenda question users answer when booking", repeatable: true),
            ],
            method: "service.create", mutating: true, output: serviceRecord),
        CommandSpec(
            path: ["service", "set"], section: .admin,
            summary: "Change a service: name, default length, price, skills, agenda questions (booked meetings keep theirs)",
            details: "--skills and the --question options give the whole new list; --no-skills and --no-questions leave none.",
            options: [
                OptionSpec(name: "service", kind: .service, param: "service_id", required: true),
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "name"),
                OptionSpec(name: "length", kind: .minutes(5...1440), param: "default_length_minutes", help: "Default length"),
                OptionSpec(name: "price", kind: .integer(0...1_000_000_000_000, placeholder: "CREDITS"), param: "price_credits"),
                OptionSpec(name: "skills", kind: .list(.text(placeholder: "SKILL")), param: "skills"),
                OptionSpec(name: "no-skills", kind: .flag, help: "List no skills any more"),
                OptionSpec(name: "question", kind: .text(placeholder: "TEXT"), param: "agenda_questions", help: "An agenda question (repeat for each)", repeatable: true),
                OptionSpec(name: "no-questions", kind: .flag, help: "Ask no agenda questions any more"),
            ],
            method: "service.update", mutating: true, output: serviceRecord, run: AdminCommands.setService),
        CommandSpec(
            path: ["certify"], section: .admin, summary: "Certify an expert in a generic service (--remove takes it back)",
            options: [
                OptionSpec(name: "service", kind: .service, param: "service_id", required: true),
                OptionSpec(name: "expert", kind: .person, param: "expert_id", required: true),
                OptionSpec(name: "remove", kind: .flag, help: "Decertify instead (agreed meetings stay; the requests and series left open are listed)"),
            ],
            method: "service.certify", flagMethod: (flag: "remove", method: "service.decertify"), mutating: true,
            output: .message { r, session in
                let expert = Render.plain(r["expert_id"] ?? nil), service = Render.plain(r["service_id"] ?? nil)
                let who = try session.personName(expert) ?? expert, what = try session.serviceName(service) ?? service
                return "\(who) is \(r["certified"] == true ? "certified" : "not certified") for \(what)."
                    + AdminCommands.openWorkNote(r, what: "\(what) with \(who)")
            },
            run: AdminCommands.certify),
        CommandSpec(
            path: ["retire"], section: .admin, summary: "Retire a service: not offered, searched or booked any more; booked meetings stay (--restore offers it again)",
            options: [
                OptionSpec(name: "service", kind: .service, param: "service_id", required: true),
                OptionSpec(name: "restore", kind: .flag, help: "Offer it again"),
            ],
            method: "service.set_active", mutating: true,
            output: .message { r, _ in
                "\(Render.plain(r["name"] ?? nil)) is \(r["active"] == true ? "offered again" : "retired")." + AdminCommands.openWorkNote(r, what: "it")
            },
            run: AdminCommands.retire),
        CommandSpec(
            path: ["enroll"], section: .admin, summary: "Assign a user to a service or an expert (--remove takes it back)",
            options: [
                OptionSpec(name: "user", kind: .person, param: "user_id", required: true),
                OptionSpec(name: "service", kind: .service, param: "service_id"),
                OptionSpec(name: "expert", kind: .person, param: "expert_id"),
                OptionSpec(name: "remove", kind: .flag, help: "Remove the assignment instead"),
            ],
            method: "enrollment.assign", flagMethod: (flag: "remove", method: "enrollment.remove"), mutating: true,
            output: .message { r, session in
                // By name, as certify says it.
                let user = Render.plain(r["user_id"] ?? nil)
                let whom: String
                if let service = r["service_id"]?.stringValue {
                    whom = "for " + (try session.serviceName(service) ?? service)
                } else {
                    let expert = Render.plain(r["expert_id"] ?? nil)
                    whom = "with " + (try session.personName(expert) ?? expert)
                }
                return "\(try session.personName(user) ?? user) is \(r["enrolled"] == true ? "enrolled" : "no longer enrolled") \(whom)."
            },
            run: AdminCommands.enroll),
        CommandSpec(
            path: ["students"], section: .admin,
            summary: "Which students customers act for (admins and the office: everyone's; anyone else: their own, as customer or as student)",
            options: [
                OptionSpec(name: "customer", kind: .person, param: "customer_id", help: "This customer's students"),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "This student's customers"),
            ],
            method: "student.list",
            output: .table(key: "items", [
                Column(header: "CUSTOMER", key: "customer_id", format: .personNamed("customer_name")),
                Column(header: "STUDENT", key: "student_id", format: .personNamed("student_name")),
                Column(header: "SINCE", key: "linked_at", format: .time),
            ], empty: "No students."),
            allPages: true),
        CommandSpec(
            path: ["student", "link"], section: .admin,
            summary: "Let a customer act for a student: book their meetings, paid from the customer's credits (--remove ends it)",
            details: "The student's own enrolment decides whom they may be booked with. When the link ends their meetings stay as they are: either side can still decline, withdraw or cancel them (and the tutor log them), but not accept or move them until the two are linked again. One of two people acts for the other, not both ways: a link the other way is refused.",
            options: [
                OptionSpec(name: "customer", kind: .person, param: "customer_id", help: "The user who books and pays (a parent)", required: true),
                OptionSpec(name: "student", kind: .person, param: "student_id", help: "The person the meetings are for", required: true),
                OptionSpec(name: "remove", kind: .flag, help: "End the link instead"),
            ],
            method: "student.link", flagMethod: (flag: "remove", method: "student.unlink"), mutating: true,
            output: .message { r, session in
                let customer = Render.plain(r["customer_id"] ?? nil), student = Render.plain(r["student_id"] ?? nil)
                let (who, whom) = (try session.personName(customer) ?? customer, try session.personName(student) ?? student)
                return r["linked"] == true ? "\(who) acts for \(whom)." : "\(who) no longer acts for \(whom)."
            },
            run: AdminCommands.linkStudent),
        CommandSpec(
            path: ["settings", "show"], section: .admin, summary: "The community's settings (also: meetctl settings)",
            method: "community.get", run: AdminCommands.showSettings),
        CommandSpec(
            path: ["settings", "set"], section: .admin, summary: "Change settings: KEY=VALUE …, values read as JSON when they parse",
            arguments: [ArgumentSpec(name: "KEY=VALUE", kind: .setting, help: "A setting and its new value, such as platform_fee_percent=15 (meetctl settings show lists them)", variadic: true)],
            method: "community.update_settings", mutating: true, run: AdminCommands.setSettings),
        CommandSpec(
            path: ["locations"], section: .admin, summary: "The community's locations",
            method: "location.list",
            output: .table(key: "items", [
                Column(header: "LOCATION", key: "id"), Column(header: "NAME", key: "name"), Column(header: "KIND", key: "kind"),
                Column(header: "ACTIVE", key: "active", format: .bool),
            ], empty: "No locations."),
            allPages: true),
        CommandSpec(
            path: ["location", "add"], section: .admin, summary: "Add a place or a virtual room",
            options: [
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "name", required: true),
                OptionSpec(name: "kind", kind: .choice(["in_person", "virtual"]), param: "kind", required: true),
            ],
            method: "location.create", mutating: true, output: locationRecord),
        CommandSpec(
            path: ["location", "set"], section: .admin,
            summary: "Rename a location, or retire it: nothing booked or moved there any more, meetings there stay (--restore offers it again)",
            options: [
                OptionSpec(name: "location", kind: .location, param: "location_id", required: true),
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "name"),
                OptionSpec(name: "retire", kind: .flag, help: "No meeting is booked there or moved to it any more; its hours offer no times"),
                OptionSpec(name: "restore", kind: .flag, help: "Offer it again"),
            ],
            method: "location.update", mutating: true, output: locationRecord, run: AdminCommands.setLocation),
        CommandSpec(
            path: ["jobs", "run"], section: .admin, summary: "Run due work: expire unanswered requests, queue reminders, create series occurrences",
            method: "jobs.run_due", mutating: true,
            output: .record([
                Column(header: "Requests expired", key: "requests_expired"), Column(header: "Reminders queued", key: "reminders_queued"),
                Column(header: "Links queued", key: "links_queued"), Column(header: "Series occurrences", key: "series_occurrences_created"),
                Column(header: "New dates closed", key: "alternates_closed", optional: true),
                Column(header: "Series dates not booked", key: "series_dates_not_booked", optional: true),
            ])),
    ]

    static let delivery: [CommandSpec] = [
        CommandSpec(
            path: ["outbox", "deliver"], section: .delivery, summary: "Email pending notifications and calendar invitations through a sendmail-compatible program",
            details: """
                Claims notification messages, then calendar invitations, and writes each as an RFC 5322 email and
                pipes it to the program. A notification goes to its recipient with the community office copied
                (Cc); an invitation goes to its recipient alone with the .ics as a text/calendar part
                (method=REQUEST or CANCEL) that mail clients show with accept/decline, and as invite.ics. Every
                mail says Auto-Submitted: auto-generated. One message is leased at a time: one the program accepts
                (exit 0) is acknowledged at once; the others are reported failed with its stderr and retried later.
                SIGTERM or SIGINT stops the run after the message in hand. Exit status 1 when any failed.
                """,
            options: [
                OptionSpec(name: "limit", kind: .integer(1...500, placeholder: "N"), help: "At most this many messages (default 50)"),
                OptionSpec(name: "channel", kind: .choice(Delivery.channels), help: "Only this channel; default: both, notifications first"),
                OptionSpec(name: "sendmail", kind: .text(placeholder: "COMMAND"), help: "The program and its arguments; default: $MEETINGLEDGER_SENDMAIL or /usr/sbin/sendmail -t -i"),
                OptionSpec(name: "from", kind: .text(placeholder: "ADDRESS"), help: "The From: address; default: $MEETINGLEDGER_MAIL_FROM or meetingledger@HOSTNAME"),
                OptionSpec(name: "consumer", kind: .text(placeholder: "NAME"), help: "The name leases are held under (default meetctl-mail@HOST:PID, one per run)"),
                OptionSpec(name: "lease", kind: .integer(10...3600, placeholder: "SECONDS"), help: "How long a claim holds its message (default 300; the program gets at most half, up to 120 s)"),
            ],
            method: "outbox.claim", run: Delivery.deliver),
        CommandSpec(
            path: ["outbox", "dead"], section: .delivery, summary: "Messages set aside after their last failed attempt (dead letters), with the last error",
            method: "outbox.dead_letters",
            output: .table(key: "items", [
                Column(header: "MESSAGE", key: "id"), Column(header: "KIND", key: "kind"), Column(header: "CHANNEL", key: "channel"),
                Column(header: "ATTEMPTS", key: "attempts", format: .number), Column(header: "DEAD SINCE", key: "dead_at", format: .time),
                Column(header: "LAST ERROR", key: "last_error"),
            ], empty: "No dead letters."),
            allPages: true),
        CommandSpec(
            path: ["outbox", "retry"], section: .delivery, summary: "Put dead letters back in the queue (due now, with every attempt again)",
            details: "Exit status 1 when an id is not a dead letter (it is left as it is).",
            arguments: [ArgumentSpec(name: "MESSAGE_ID", kind: .id(.outbox), param: "ids", help: "A dead message (meetctl outbox dead)", variadic: true)],
            method: "outbox.retry", mutating: true, run: FinanceCommands.retry),
    ]

    static let other: [CommandSpec] = [
        CommandSpec(
            path: ["use"], section: .other, summary: "Save who you act as (--as PERSON) for the commands that follow; --clear forgets",
            details: """
                An e-mail after --as is looked up as the person acting now, so give an id the first time (or set
                MEETINGLEDGER_ACTOR). Kept in $XDG_CONFIG_HOME/meetingledger/meetctl.json
                (~/.config by default). --as and MEETINGLEDGER_ACTOR still go first, and with --remote the person the
                server pins you to.
                """,
            options: [OptionSpec(name: "clear", kind: .flag, help: "Forget the saved identity")],
            method: "person.get", run: IdentityCommands.use),
        CommandSpec(
            path: ["whoami"], section: .other, summary: "Who meetctl acts as, in which community, and why",
            method: "person.get", run: IdentityCommands.whoami),
        CommandSpec(
            path: ["completion"], section: .other, summary: "Print a shell completion script: bash, zsh or fish",
            details: """
                bash: source <(meetctl completion bash)
                zsh:  source <(meetctl completion zsh)
                fish: meetctl completion fish | source
                Written from meetctl's own command table: every command, option and choice it accepts.
                """,
            arguments: [ArgumentSpec(name: "SHELL", kind: .choice(Completion.shells), help: "The shell: " + Completion.shells.joined(separator: ", "))],
            run: { invocation, session in
                if case .json(.string(let shell))? = invocation.first("SHELL") { session.out.exact(Completion.script(shell, commands: Commands.all)) }
            }),
        CommandSpec(path: ["ping"], section: .other, summary: "Whether meetingd answers, and its database (the service time on your clock)", method: "system.ping", run: AdminCommands.ping),
        CommandSpec(
            path: ["clock", "set"], section: .other, summary: "Pin the community's service time (only with --test-clock)",
            arguments: [ArgumentSpec(name: "TIME", kind: .time, param: "now")], method: "clock.set", mutating: true,
            output: .message { r, s in "Service time: \(try s.clock().format(r["now"]?.stringValue ?? "-"))" }),
        CommandSpec(
            path: ["clock", "advance"], section: .other, summary: "Move the community's service time on by minutes, 90m or 1h30 (only with --test-clock)",
            arguments: [ArgumentSpec(name: "MINUTES", kind: .minutes(-525_600...525_600), param: "minutes")], method: "clock.advance", mutating: true,
            output: .message { r, s in "Service time: \(try s.clock().format(r["now"]?.stringValue ?? "-"))" }),
    ]
}
