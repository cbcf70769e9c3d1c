import Core

/// The one description of meetctl's commands: parsing, `--help` at every level, the JSON-RPC
/// call each command makes and how its output is shown all come from these values.
struct CommandSpec: Sendable {
    /// The words that name the command: `["availability", "set"]`.
    let path: [String]
    let section: Section
    let summary: String
    /// Extra help paragraphs (examples, what happens).
    var details: String = ""
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    /// The JSON-RPC method; nil for commands that do not call meetingd in one step.
    var method: String? = nil
    /// A flag that calls another method instead of `method` (`--remove` → `service.decertify`).
    var flagMethod: (flag: String, method: String)? = nil
    /// Params every call carries whatever the options say (`channel: notification`).
    var fixedParams: [String: JSON] = [:]
    /// Accepts `--idempotency-key` (the method changes something).
    var mutating: Bool = false
    var output: OutputSpec = .record([])
    /// Offers `--csv` (what finance opens in a spreadsheet): the item keys written as columns;
    /// empty when the command writes its own CSV.
    var csv: [String]? = nil
    /// A list method whose every page is fetched and shown.
    var allPages: Bool = false
    /// Runs meetingd on this machine, on its database (`bootstrap`): not over --remote.
    var local: Bool = false
    /// Runs the command; `CommandRunner.standard` calls `method` with the mapped params and
    /// shows `output`.
    var run: @Sendable (Invocation, Session) throws -> Void = CommandRunner.standard

    var name: String { path.joined(separator: " ") }
    /// The method an invocation calls: `flagMethod`'s when its flag is given.
    func method(for invocation: Invocation) -> String? {
        if let flagMethod, invocation.has(flagMethod.flag) { return flagMethod.method }
        return method
    }
    var allOptions: [OptionSpec] { options + GlobalOptions.specs(for: self) }
}

enum Section: String, CaseIterable, Sendable {
    case experts = "Experts (and users) managing meetings"
    case availability = "Availability"
    case finance = "Finance"
    case admin = "Administration"
    case delivery = "Notification delivery"
    case other = "Other"
}

/// A value given by position (`meetctl confirm MEETING`).
struct ArgumentSpec: Sendable {
    let name: String
    let kind: ValueKind
    /// The JSON-RPC param it fills; nil when the command's own code reads it.
    var param: String? = nil
    var help: String = ""
    var required: Bool = true
    /// Takes every remaining word (`settings set key=value …`).
    var variadic: Bool = false
}

/// A `--name VALUE` option (or a `--name` flag).
struct OptionSpec: Sendable {
    let name: String
    let kind: ValueKind
    var param: String? = nil
    var help: String = ""
    var required: Bool = false
    /// May be given several times; the values become a JSON array.
    var repeatable: Bool = false

    var flag: Bool { if case .flag = kind { return true } else { return false } }
}

/// What a value may be, how it reads on the command line, and what it becomes in params.
indirect enum ValueKind: Sendable {
    case text(placeholder: String)
    case id(IdKind)
    /// A person: `per_…`, or an email resolved through `person.list`.
    case person
    /// A whole number within the range, a multiple of `step` (the logged length's 5 minutes).
    case integer(ClosedRange<Int64>, placeholder: String, step: Int64 = 1)
    /// Minutes: `90`, `90m`, `1h`, `1h30`, `1:30`.
    case minutes(ClosedRange<Int64>)
    /// RFC 3339, or `YYYY-MM-DD HH:MM` (or a date) on the acting person's clock.
    case time
    case choice([String])
    /// Comma-separated values.
    case list(ValueKind)
    case flag
    /// `QUESTION=ANSWER` → `{question, answer}`.
    case feedback
    /// `Mon 09:00-12:00 @LOC[,LOC]` → weekly availability rules.
    case weeklyRule
    /// A location id or name.
    case location
    /// A service id, or its name (or the start of it) when that names one service.
    case service
    /// A meeting id, the end of one, or a row number of the last `meetctl meetings`.
    case meeting
    /// A conversation id, or a meeting as `meeting` takes it: the chat of its user and expert.
    case chat
    /// A file name; the value is the file's text.
    case file
    /// `key=value`, the value read as JSON when it parses, otherwise as text.
    case setting

    var placeholder: String {
        switch self {
        case .text(let p): return p
        case .id(let kind): return IdPlaceholder.name(kind)
        case .person: return "PERSON"
        case .integer(_, let p, _): return p
        case .minutes: return "MINUTES"
        case .time: return "TIME"
        case .choice(let values): return values.joined(separator: "|")
        // Choices are listed once: user|expert|admin[,…].
        case .list(.choice(let values)): return values.joined(separator: "|") + "[,…]"
        case .list(let inner): return "\(inner.placeholder)[,\(inner.placeholder)…]"
        case .flag: return ""
        case .feedback: return "QUESTION=ANSWER"
        case .weeklyRule: return "\"DAYS HH:MM-HH:MM @LOC[,LOC] [#SERVICE[,SERVICE]]\""
        case .location: return "LOC"
        case .service: return "SERVICE"
        case .meeting: return "MEETING"
        case .chat: return "CHAT"
        case .file: return "FILE"
        case .setting: return "KEY=VALUE"
        }
    }

    /// What the help says a value looks like.
    var explanation: String? {
        switch self {
        case .id(let kind): return "an id \(kind.rawValue)_…"
        case .person: return "a person id per_… or an email"
        case .integer(let range, _, let step):
            guard range.lowerBound != Int64.min else { return nil }
            return "\(range.lowerBound)…\(range.upperBound)" + (step == 1 ? "" : ", in steps of \(step)")
        case .minutes: return "minutes: 90, 90m, 1h30, 1:30"
        case .time: return "RFC 3339, or YYYY-MM-DD HH:MM in your time zone"
        case .location: return "a location id or name"
        case .service: return "a service id svc_… or its name"
        case .meeting: return "a meeting id mtg_…, its last \(MeetingReference.minSuffixLength) or more characters, or a row number of the last meetctl meetings or meetctl waiting"
        case .chat:
            return "a conversation id cnv_…, or a meeting (its id mtg_…, its last \(MeetingReference.minSuffixLength) or more characters, or a row number of "
                + "the last meetctl meetings or meetctl waiting) for the chat of its user and expert"
        case .list(let inner): return inner.explanation.map { "comma-separated; each \($0)" }
        default: return nil
        }
    }
}

enum IdPlaceholder {
    static func name(_ kind: IdKind) -> String {
        switch kind {
        case .meeting: return "MEETING_ID"
        case .person: return "PERSON_ID"
        case .service: return "SERVICE_ID"
        case .location: return "LOCATION_ID"
        case .account: return "ACCOUNT_ID"
        case .availability: return "PERIOD_ID"
        case .series: return "SERIES_ID"
        case .conversation: return "CONVERSATION_ID"
        default: return "ID"
        }
    }
}

/// How a command shows its result when neither `--json` nor `--csv` is given.
enum OutputSpec: Sendable {
    /// One object, one field per line.
    case record([Column])
    /// A list at `key` of the result, one row per item.
    case table(key: String, [Column], empty: String)
    /// A one-line message made from the result.
    case message(@Sendable (JSON, Session) throws -> String)
    /// A document from the result, written exactly as the service made it (an .ics with its CRLF
    /// line ends) into a file or another program; at a terminal with its controls and reordering
    /// marks shown escaped (`Session.writeDocument`).
    case document(@Sendable (JSON) -> String)
}

/// One column of a table (or one line of a record).
struct Column: Sendable {
    let header: String
    /// A key of the item; dots reach into nested objects (`alternate.start`).
    let key: String
    var format: CellFormat = .text
    /// For records: leave the line out when the value is null or empty.
    var optional: Bool = false
}

enum CellFormat: Sendable, Equatable {
    case text
    /// An instant shown on the acting person's clock.
    case time
    case bool
    /// Integers aligned right.
    case number
    /// A service id shown with its name.
    case service
    /// A service's name alone (its id when it has none).
    case serviceName
    /// A location id shown with its name.
    case location
    /// A list of location ids by their names.
    case locations
    /// A person id shown as `First Last (email)` (the id when the actor may not see them).
    case person
    /// A person id shown by the name the item carries under this key, else as `person`.
    case personNamed(String)
    /// An account id shown with what it is: `Sam Lee's wallet (acc_…)`.
    case account
    /// What an account is alone, for narrow columns: `Sam Lee's wallet` (its id when unknown).
    case accountName
    /// An account's owner by the names the row carries (`owner_first_name`, `owner_last_name`).
    case ownerName
    /// `price (credit_status)` of a meeting; `price (charged credit_status, returned returned)` when the user paid a share of it.
    case meetingCredits
    case minutes
    /// An ISO weekday (1 Monday … 7 Sunday) by its short name.
    case weekday
    /// Lists and objects in a readable line.
    case compact
    /// Text with paragraphs (a bio): in a record, each line on a line of its own under the
    /// first, every other control still shown escaped; in a table, one line.
    case paragraphs
}

extension CellFormat {
    /// Text people wrote or named (names, topics, lists of them), cut in a table when it is long;
    /// never times, figures or a name shown with the id or e-mail that tells it apart.
    var isPeoplesText: Bool {
        switch self {
        case .text, .personNamed, .serviceName, .accountName, .ownerName, .locations, .compact, .paragraphs: return true
        case .time, .bool, .number, .person, .service, .location, .account, .meetingCredits, .minutes, .weekday: return false
        }
    }
}
