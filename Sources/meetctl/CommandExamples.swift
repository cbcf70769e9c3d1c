/// Every command's examples, as its help shows them: the words after `meetctl`, and what the
/// line does. They are read by the same parser as a command line before help shows them (a debug
/// build stops on one that no longer parses; see `Help.examples`), so they keep up with the
/// options they use. People and places are the help's running cast: the expert Talia
/// (talia@example.org), the user Sam (sam@example.org), the service CHEM101.
struct CommandExample: Sendable {
    let words: String
    let does: String
}

enum CommandExamples {
    static let meetingId = "mtg_0193a1c47e2b7d4f9a0b1c2d3e4f5a6b"
    static let seriesId = "ser_0193a1c47e2b7d4f9a0b1c2d3e4f7788"
    static let accountId = "acc_0193a1c47e2b7d4f9a0b1c2d3e4f0011"

    static func of(_ command: String) -> [CommandExample] { all[command] ?? [] }

    /// An example's words as a shell splits them: at spaces outside quotes; "…" takes \" and \\,
    /// '…' takes everything; an unquoted > or | ends meetctl's words (what follows is the shell's).
    static func words(_ line: String) -> [String] {
        var words: [String] = [], word = "", inWord = false, quote: Unicode.Scalar? = nil, escaped = false
        for scalar in line.unicodeScalars {
            if escaped { word.unicodeScalars.append(scalar); escaped = false; continue }
            if let open = quote {
                if scalar == open { quote = nil } else if scalar == "\\" && open == "\"" { escaped = true } else { word.unicodeScalars.append(scalar) }
                continue
            }
            switch scalar {
            case "\"", "'": quote = scalar; inWord = true
            case "\\": escaped = true; inWord = true
            case " ":
                if inWord { words.append(word); word = ""; inWord = false }
            case ">", "|":
                if !inWord { return words }
                word.unicodeScalars.append(scalar)
            default: word.unicodeScalars.append(scalar); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    static let all: [String: [CommandExample]] = [
        // Experts (and users) managing meetings
        "meetings": [
            .init(words: "meetings", does: "Your meetings from now on; those waiting for you first, marked *"),
            .init(words: "meetings --role expert --status awaiting_approval", does: "As expert, what is not agreed yet: yours to answer marked *, your proposals waiting for the user"),
            .init(words: "meetings --from 2030-03-01 --to 2030-04-01 --output march.csv", does: "March's meetings as a spreadsheet file"),
        ],
        "waiting": [
            .init(words: "waiting", does: "What waits for the experts' side, soonest first; office staff then act on a row: meetctl confirm 1"),
            .init(words: "waiting --expert talia@example.org", does: "Only Talia's"),
        ],
        "series": [
            .init(words: "series", does: "Your weekly series with their next dates"),
            .init(words: "series --status active --person sam@example.org", does: "Sam's active series (admins and the office)"),
        ],
        "series create": [
            .init(
                words: "series create --expert talia@example.org --service CHEM101 --start \"2030-03-13 14:00\" --location \"Room 101\" --weeks 10",
                does: "Ten Wednesdays at 14:00 with Talia, each date holding its credits"),
            .init(
                words: "series create --user sam@example.org --expert talia@example.org --service CHEM101 --start \"2030-03-13 14:00\" --location \"Video call\"",
                does: "Weekly for Sam until cancelled (admins and the office)"),
        ],
        "series skip": [
            .init(words: "series skip \(seriesId) 2030-03-20", does: "No session on 20 March; the user's credits come back"),
        ],
        "series cancel": [
            .init(words: "series cancel \(seriesId) --reason schedule_conflict", does: "End the series (refused, nothing cancelled, while a date is inside the cancellation window)"),
            .init(words: "series cancel \(seriesId) --reason illness --confirm-late", does: "End it, late dates too, with their consequences"),
        ],
        "meeting show": [
            .init(words: "meeting show 2", does: "Row 2 of the last meetctl meetings, with its timeline"),
            .init(words: "meeting show 4f5a6b", does: "The meeting whose id ends in 4f5a6b"),
        ],
        "propose": [
            .init(
                words: "propose --user sam@example.org --service CHEM101 --start \"2030-03-13 14:00\" --length 1h --price 100 --location \"Video call\"",
                does: "Offer Sam an hour on 13 March at 14:00 on your clock, for 100 credits"),
        ],
        "slots": [
            .init(words: "slots --service CHEM101 --from 2030-03-11 --to 2030-03-14", does: "Times you could book"),
            .init(words: "slots --service CHEM101 --from 2030-03-11 --to 2030-03-14 --user sam@example.org --expert talia@example.org", does: "Talia's times as Sam sees them (admins and the office)"),
        ],
        "book": [
            .init(words: "book --expert talia@example.org --service CHEM101 --start \"2030-03-13 14:00\" --location \"Room 101\"", does: "Request a meeting for yourself; your credits are held"),
            .init(
                words: "book --user sam@example.org --expert talia@example.org --service CHEM101 --start \"2030-03-13 14:00\" --location \"Video call\" --length 90",
                does: "Book 90 minutes for Sam (admins and the office); the price follows the length"),
        ],
        "confirm": [
            .init(words: "confirm 1", does: "Confirm row 1 of the last listing"),
            .init(words: "confirm 4f5a6b --accept-conflicts --note \"See you in Room 101\"", does: "Confirm though you have another meeting then"),
        ],
        "decline": [
            .init(words: "decline 1 --reason schedule_conflict --note \"Away at the March conference\"", does: "Decline; the user's held credits return, and they read the reason, not your note"),
        ],
        "withdraw": [
            .init(words: "withdraw 4f5a6b --note \"Sent by mistake\"", does: "Take back your proposal before the other side answers"),
        ],
        "cancel": [
            .init(words: "cancel 3 --reason illness", does: "Cancel an agreed meeting; inside the cancellation window meetctl asks first"),
            .init(words: "cancel \(meetingId) --reason emergency --yes", does: "Cancel from a script, late or not"),
        ],
        "reschedule": [
            .init(words: "reschedule 3 --start \"2030-03-15 10:00\"", does: "An agreed meeting: propose a new date; it keeps its date until the other side approves"),
            .init(words: "reschedule 3 --start \"2030-03-15 10:00\" --length 45 --note \"Shorter this time?\"", does: "A new date and length"),
        ],
        "alternate confirm": [
            .init(words: "alternate confirm 3", does: "Take the new date the other side proposed"),
        ],
        "alternate reject": [
            .init(words: "alternate reject 3 --reason schedule_conflict", does: "Keep the meeting's date"),
        ],
        "alternate withdraw": [
            .init(words: "alternate withdraw 3", does: "Take back the new date you proposed"),
        ],
        "log": [
            .init(words: "log 2 --attendance attended", does: "The session happened as planned; its credits go to your earnings"),
            .init(words: "log 2 --attendance attended --adjust 15 --feedback \"Topic covered=Titration\"", does: "It ran 15 minutes over, with an answer to a feedback question"),
            .init(words: "log 2 --attendance no_show --yes", does: "The user did not come (meetctl asks first at a terminal)"),
        ],
        "report-no-show": [
            .init(words: "report-no-show 2", does: "The expert of row 2 did not come (you are its user, or an admin): its credits go back to the user"),
        ],
        "conflicts": [
            .init(words: "conflicts 1", does: "Your agreed meetings overlapping row 1, before you confirm it"),
            .init(words: "conflicts --start \"2030-03-13 14:00\" --length 1h", does: "What overlaps a time"),
        ],
        "calendar": [
            .init(words: "calendar 2 > meeting.ics", does: "The invitation of row 2, for a calendar program"),
        ],
        "reasons": [
            .init(words: "reasons", does: "The codes --reason takes"),
        ],
        "profile show": [
            .init(words: "profile show", does: "Your profile as users see it"),
            .init(words: "profile show talia@example.org", does: "Talia's"),
        ],
        "profile set": [
            .init(
                words: "profile set --name \"Talia K\" --bio-file bio.txt --language en --language cs --photo https://photos.example.org/talia.jpg",
                does: "Your name, bio, languages and photo for users"),
            .init(words: "profile set --no-photo", does: "Remove the photo; the rest stays"),
        ],
        "experts": [
            .init(words: "experts --service CHEM101", does: "The experts who give CHEM101"),
        ],
        "chats": [
            .init(words: "chats", does: "Your conversations, latest first"),
        ],
        "chat start": [
            .init(words: "chat start talia@example.org --text \"Could we meet about titration?\"", does: "Write to Talia before any meeting"),
        ],
        "chat show": [
            .init(words: "chat show 2", does: "The chat of row 2's meeting"),
        ],
        "chat send": [
            .init(words: "chat send 2 \"Running five minutes late\"", does: "Write in row 2's meeting chat"),
            .init(words: "chat send 2 -- \"--help is what I typed\"", does: "After --, every word is the message"),
        ],
        // Availability
        "availability show": [
            .init(words: "availability show", does: "Your free periods, weekly hours and blocks for the next 7 days"),
            .init(words: "availability show --expert talia@example.org --from 2030-03-01 --to 2030-04-01 --service CHEM101", does: "Talia's March, where CHEM101 can be given"),
        ],
        "availability set": [
            .init(
                words: "availability set --tz America/New_York --rule \"Mon-Fri 09:00-12:00 @Room 101,Video call\" --rule \"Sat 10:00-12:00 @Video call #CHEM101\"",
                does: "Weekday mornings in two places, Saturday mornings for CHEM101 only"),
        ],
        "availability free": [
            .init(words: "availability free --start \"2030-03-14 18:00\" --end \"2030-03-14 20:00\" --location \"Video call\"", does: "An extra evening, once"),
        ],
        "availability block": [
            .init(words: "availability block --start 2030-03-20 --end 2030-03-27", does: "A week away: nothing can be booked then"),
        ],
        "availability remove": [
            .init(words: "availability remove --period avl_0193a1c47e2b7d4f9a0b1c2d3e4f2233", does: "One period (availability show lists their ids)"),
            .init(words: "availability remove --start 2030-03-20 --end 2030-03-27", does: "Every one-off period within that week"),
        ],
        // Finance
        "balance": [
            .init(words: "balance", does: "Your credits: posted, blocked for meetings and available"),
            .init(words: "balance --person sam@example.org --as-of 2030-01-01", does: "Sam's at the start of the year (finance staff)"),
        ],
        "accounts": [
            .init(words: "accounts --kind expert_earnings", does: "Every expert's earnings account"),
            .init(words: "accounts --as-of 2030-01-01 --output accounts.csv", does: "Every account at the year's start, as a spreadsheet file"),
        ],
        "statement": [
            .init(words: "statement --from 2030-03-01", does: "Your own account's entries since March (as balance, yours when no --account or --person says whose)"),
            .init(words: "statement --person sam@example.org --from 2030-03-01 --to 2030-04-01", does: "Sam's entries in March, with the running balance"),
            .init(words: "statement --account \(accountId) --csv > account.csv", does: "One account's every entry as CSV"),
        ],
        "trial-balance": [
            .init(words: "trial-balance --as-of 2030-04-01", does: "Totals per account kind at the start of April"),
        ],
        "reconcile": [
            .init(words: "reconcile", does: "Check every ledger invariant; exit status 1 names the problems"),
        ],
        "grant": [
            .init(words: "grant --user sam@example.org --credits 500 --reference order-1042", does: "Sam bought 500 credits; order-1042 can be granted once only"),
        ],
        "adjust": [
            .init(words: "adjust --account \(accountId) --credits -20 --reason \"Refund of a duplicate grant, ticket 77\"", does: "Take 20 credits off, with the reason on record"),
        ],
        "payout": [
            .init(words: "payout --expert talia@example.org --credits 300 --reference transfer-2030-03", does: "Pay 300 of Talia's available earnings out"),
        ],
        "trail": [
            .init(words: "trail \(meetingId)", does: "Every credit movement of one meeting: held, returned, paid (finance staff give the whole id)"),
        ],
        "report outstanding": [
            .init(words: "report outstanding --as-of 2030-04-01", does: "Credits users held at the start of April"),
        ],
        "report revenue": [
            .init(words: "report revenue --from 2030-01 --to 2030-03", does: "The platform's revenue for the first quarter"),
        ],
        "report settlements": [
            .init(words: "report settlements --from 2030-01 --to 2030-03 --output settlements.csv", does: "Holds, captures and releases per month, as a spreadsheet file"),
        ],
        "report earnings": [
            .init(words: "report earnings", does: "What each expert may be paid out now"),
            .init(words: "report earnings --all --as-of 2030-04-01", does: "Every expert, at the start of April"),
        ],
        // Administration
        "enrollments": [
            .init(words: "enrollments --user sam@example.org", does: "What Sam is assigned to"),
            .init(words: "enrollments --expert talia@example.org", does: "The users assigned to Talia"),
        ],
        "import": [
            .init(words: "import people people.csv --dry-run", does: "What the file would change, changing nothing"),
            .init(words: "import people people.csv", does: "Every row or none"),
        ],
        "export": [
            .init(words: "export people --output people.csv", does: "The people in the columns import takes; edit, then meetctl import people people.csv"),
            .init(words: "export certifications > certifications.csv", does: "Which expert gives which service"),
        ],
        "bootstrap": [
            .init(
                words: "bootstrap --community \"Chemistry Tutors\" --short-name ChemT --admin-email ada@example.org --admin-first Ada --admin-last Lovelace --time-zone Europe/Prague",
                does: "A new community and its first admin, on this machine's database"),
        ],
        "people": [
            .init(words: "people --role expert", does: "The community's experts"),
        ],
        "person add": [
            .init(words: "person add --email talia@example.org --first Talia --last Kim --roles expert --tz America/New_York", does: "A new expert; their credit accounts are opened"),
            .init(words: "person add --email sam@example.org --first Sam --last Reyes --roles user --tz Europe/Berlin", does: "A new user"),
        ],
        "person set": [
            .init(words: "person set --tz Europe/Prague", does: "Your own time zone"),
            .init(words: "person set sam@example.org --add-roles expert", does: "Sam becomes an expert too (admins)"),
        ],
        "person unsuspend": [
            .init(words: "person unsuspend sam@example.org", does: "Sam can book again after missed meetings"),
        ],
        "person show": [
            .init(words: "person show", does: "Yourself"),
            .init(words: "person show sam@example.org", does: "Sam, with roles, zone and any suspension"),
        ],
        "services": [
            .init(words: "services --expert talia@example.org", does: "The services Talia gives"),
        ],
        "service add": [
            .init(words: "service add --name CHEM101 --kind generic --length 1h --price 100 --skills titration,stoichiometry", does: "A service any certified expert gives"),
            .init(
                words: "service add --name \"Talia's lab hour\" --kind expert_specific --expert talia@example.org --length 90 --price 150 --question \"What will you bring?\"",
                does: "Talia's own service, with a question users answer when booking"),
        ],
        "certify": [
            .init(words: "certify --service CHEM101 --expert talia@example.org", does: "Talia may give CHEM101"),
            .init(words: "certify --service CHEM101 --expert talia@example.org --remove", does: "She may no longer"),
        ],
        "location set": [
            .init(words: "location set --location \"Room 101\" --name \"Library Room 101\"", does: "Rename it"),
            .init(words: "location set --location \"Library Room 101\" --retire", does: "Book nothing there any more; meetings there stay"),
        ],
        "service set": [
            .init(words: "service set --service CHEM101 --name \"CHEM 101: General Chemistry\" --price 120", does: "Rename it and raise its price; booked meetings keep theirs"),
            .init(words: "service set --service \"CHEM 101: General Chemistry\" --question \"What do you want to work on?\" --question \"Which chapter?\"", does: "Ask these two agenda questions from now on"),
        ],
        "retire": [
            .init(words: "retire --service CHEM101", does: "No longer offered; booked meetings stay"),
            .init(words: "retire --service CHEM101 --restore", does: "Offer it again"),
        ],
        "enroll": [
            .init(words: "enroll --user sam@example.org --service CHEM101", does: "Assign Sam to CHEM101"),
            .init(words: "enroll --user sam@example.org --expert talia@example.org --remove", does: "Take back Sam's assignment to Talia"),
        ],
        "students": [
            .init(words: "students --customer pat@example.org", does: "The students Pat books for"),
            .init(words: "students", does: "As a customer or a student: the links you are part of"),
        ],
        "student link": [
            .init(words: "student link --customer pat@example.org --student alex@example.org", does: "Pat books Alex's meetings, paid from Pat's credits"),
            .init(words: "student link --customer pat@example.org --student alex@example.org --remove", does: "End it; Alex's meetings stay"),
        ],
        "settings show": [
            .init(words: "settings show", does: "The community's settings"),
        ],
        "settings set": [
            .init(
                words: "settings set cancellation_window_hours=24 auto_accept=true office_email=office@example.org 'labels={\"provider\":\"Tutor\"}'",
                does: "Values are read as JSON when they parse"),
        ],
        "locations": [
            .init(words: "locations", does: "Places and virtual rooms, with their ids"),
        ],
        "location add": [
            .init(words: "location add --name \"Room 101\" --kind in_person", does: "A place"),
            .init(words: "location add --name \"Video call\" --kind virtual", does: "A virtual room"),
        ],
        "jobs run": [
            .init(words: "jobs run", does: "Do what time brings now; run it every few minutes from cron or a timer (README: Running the work time brings)"),
        ],
        // Notification delivery
        "outbox deliver": [
            .init(words: "outbox deliver", does: "Mail up to 50 pending messages through $MEETINGLEDGER_SENDMAIL (default /usr/sbin/sendmail -t -i)"),
            .init(words: "outbox deliver --channel calendar --sendmail \"/usr/sbin/sendmail -t -i\" --from office@example.org --limit 200", does: "Only calendar invitations"),
        ],
        "outbox dead": [
            .init(words: "outbox dead", does: "Messages set aside after their last failed attempt"),
        ],
        "outbox retry": [
            .init(words: "outbox retry out_0193a1c47e2b7d4f9a0b1c2d3e4f4455", does: "Queue a dead letter again"),
        ],
        // Other
        "use": [
            .init(words: "use --as per_0193a1c47e2b7d4f9a0b1c2d3e4f9900", does: "Act as this person in the commands that follow"),
            .init(words: "use --as talia@example.org", does: "By e-mail: looked up as the person acting now ($MEETINGLEDGER_ACTOR or the one saved)"),
            .init(words: "use --clear", does: "Forget it"),
        ],
        "whoami": [
            .init(words: "whoami", does: "Who acts, in which community, and why"),
        ],
        "completion": [
            .init(words: "completion bash > ~/.local/share/bash-completion/completions/meetctl", does: "Tab completion for bash"),
        ],
        "ping": [
            .init(words: "ping", does: "Whether meetingd and its database answer; exit status 1 when not"),
        ],
        "clock set": [
            .init(words: "--test-clock clock set \"2030-03-13 09:00\"", does: "Pin the service time (demos and tests)"),
        ],
        "clock advance": [
            .init(words: "--test-clock clock advance 2h", does: "Move it two hours on"),
        ],
    ]
}
