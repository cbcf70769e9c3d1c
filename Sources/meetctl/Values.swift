import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A command-line value after parsing: either final JSON, or something that still needs the
/// service (a time on the acting person's clock, an email, a location name).
enum Parsed: Sendable {
    case json(JSON)
    case time(TimeInput)
    /// `per_…` or an email.
    case person(String)
    /// `loc_…` or a location's name.
    case location(String)
    /// `svc_…` or a service's name.
    case service(String)
    case meeting(MeetingReference)
    case rules([WeeklyRuleInput])
    case list([Parsed])
}

/// How a meeting was named on the command line.
enum MeetingReference: Sendable, Equatable {
    case id(String)
    /// A row of the last `meetctl meetings` table, from 1.
    case row(Int)
    /// The last characters of an id (lowercase hex).
    case suffix(String)

    /// As it was typed: the id, the row number, or the end of the id.
    var typed: String {
        switch self {
        case .id(let id): return id
        case .row(let row): return String(row)
        case .suffix(let end): return end
        }
    }

    static let minSuffixLength = 6
    /// Row numbers have at most this many digits; a longer number is the end of an id.
    static let maxRowDigits = 5

    static func parse(_ text: String) -> MeetingReference? {
        if Identifier.isValid(text, kind: .meeting) { return .id(text) }
        let digits = text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
        if digits, (1...maxRowDigits).contains(text.count), let row = Int(text), row >= 1 { return .row(row) }
        let lower = text.lowercased()
        guard (minSuffixLength...32).contains(lower.count), lower.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
            return nil
        }
        return .suffix(lower)
    }
}

/// A mistake in how meetctl was called: exit status 2, with a hint.
struct UsageError: Error {
    let message: String
    var hint: String? = nil
}

/// A time as typed: an instant, or a wall-clock reading to place on the acting person's clock.
enum TimeInput: Sendable, Equatable {
    case instant(Instant)
    case local(LocalDate, LocalTimeOfDay)
    /// The start of a day: its midnight, or where the clocks skip midnight the moment they
    /// jump (01:00), or where midnight comes twice the first.
    case day(LocalDate)

    /// The time as it was typed, read back: `2030-03-13`, `2030-03-13 14:00`, or RFC 3339.
    var typed: String {
        switch self {
        case .instant(let i): return i.rfc3339
        case .local(let date, let time): return "\(date) \(time)"
        case .day(let date): return "\(date)"
        }
    }

    /// `2030-03-13T14:00:00-04:00`, `2030-03-13T14:00Z`, `2030-03-13 14:00` (local),
    /// `2030-03-13` (the start of that day).
    static func parse(_ text: String) -> TimeInput? {
        let trimmed = text.trimmingCharacters(in: " ")
        if let date = LocalDate(trimmed) { return .day(date) }
        let chars = Array(trimmed)
        guard chars.count >= 16, chars[10] == "T" || chars[10] == "t" || chars[10] == " ",
            let date = LocalDate(String(chars[0..<10])), let time = LocalTimeOfDay(String(chars[11..<16])), time.minutes < 1440
        else { return nil }
        var rest = String(chars[16...])
        var seconds = ":00"
        if rest.hasPrefix(":") {
            let digits = rest.dropFirst().prefix { $0.isNumber || $0 == "." }
            seconds = ":" + digits
            rest = String(rest.dropFirst(1 + digits.count))
        }
        if rest.isEmpty { return seconds == ":00" || seconds == ":00.0" ? .local(date, time) : nil }
        guard let instant = try? Instant(lenient: "\(date)T\(time)\(seconds)\(rest)") else { return nil }
        return .instant(instant)
    }
}

/// One `--rule`: days, a time range, locations and, optionally, the only services offered then.
struct WeeklyRuleInput: Sendable, Equatable {
    let weekdays: [Int]
    let start: LocalTimeOfDay
    let end: LocalTimeOfDay
    let locations: [String]
    /// Empty: every service.
    var services: [String] = []
    /// The rule as it was written on the command line, to name it in an error.
    var text = ""

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// `Mon 09:00-12:00 @Room 101,loc_…`, `Mon-Fri 13:00-17:00 @Video`, `Tue,Thu 08:00-09:30 @… #CHEM101,svc_…`
    /// (after the last " #": the only services of the window, by id or name).
    static func parse(_ text: String) throws -> WeeklyRuleInput {
        let example = "write it like \"Mon 09:00-12:00 @LOC[,LOC] [#SERVICE[,SERVICE]]\" (days: Mon, Mon-Fri or Mon,Wed; LOC: a location id or name; "
            + "SERVICE: a service id or name, for a window offered to those services only)"
        let written = text
        var text = Substring(text)
        var services: [String] = []
        if let hash = text.range(of: " #", options: .backwards) {
            services = text[hash.upperBound...].split(separator: ",").map { String($0).trimmingCharacters(in: " ") }
            guard !services.isEmpty, !services.contains(where: \.isEmpty) else {
                throw UsageError(message: "the rule \"\(text)\" has an empty service after #", hint: example)
            }
            text = text[..<hash.lowerBound]
        }
        guard let at = text.firstIndex(of: "@") else { throw UsageError(message: "the rule \"\(text)\" names no location", hint: example) }
        let locations = text[text.index(after: at)...].split(separator: ",").map { String($0).trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        let words = text[..<at].split(separator: " ").map(String.init)
        guard words.count == 2, !locations.isEmpty else { throw UsageError(message: "cannot read the rule \"\(text)\"", hint: example) }
        guard let days = weekdays(words[0]) else { throw UsageError(message: "unknown days \"\(words[0])\" in the rule \"\(text)\"", hint: example) }
        let times = words[1].split(separator: "-").map(String.init)
        guard times.count == 2, let start = LocalTimeOfDay(times[0]), let end = LocalTimeOfDay(times[1]), start < end else {
            throw UsageError(message: "cannot read the hours \"\(words[1])\" in the rule \"\(text)\"", hint: "hours are HH:MM-HH:MM, the end after the start")
        }
        return WeeklyRuleInput(weekdays: days, start: start, end: end, locations: locations, services: services, text: written)
    }

    private static func weekday(_ word: String) -> Int? {
        let w = word.lowercased()
        if let n = Int(w), (1...7).contains(n) { return n }
        guard w.count >= 3, let i = dayNames.firstIndex(of: String(w.prefix(3))) else { return nil }
        let full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][i]
        return full.hasPrefix(w) ? i + 1 : nil
    }

    private static func weekdays(_ word: String) -> [Int]? {
        var days: [Int] = []
        for part in word.split(separator: ",") {
            let ends = part.split(separator: "-").map(String.init)
            if ends.count == 2, let a = weekday(ends[0]), let b = weekday(ends[1]), a <= b {
                days += Array(a...b)
            } else if ends.count == 1, let d = weekday(ends[0]) {
                days.append(d)
            } else {
                return nil
            }
        }
        return days.isEmpty ? nil : days
    }
}

extension ValueKind {
    /// The largest file meetctl reads (an import of several pages, a bio): bounded, so a file
    /// given by mistake (a disk image, a log) is refused before it fills the memory.
    static let maxFileBytes = 32 * 1_048_576

    /// Why `bytes` are not UTF-8 text, where a person can find it: UTF-16 (a byte-order mark a
    /// spreadsheet's "Unicode text" starts with), or the line and byte of the first that is not
    /// UTF-8 (a file saved in a Windows code page: "José" as 0xE9).
    static func notUTF8(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return "the file is UTF-16 text, not UTF-8" }
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        guard offset < bytes.count else { return "the file is not UTF-8 text" }
        let line = bytes[..<offset].filter { $0 == 0x0A }.count + 1
        return "the file is not UTF-8 text: line \(line) has the byte 0x\(String(bytes[offset], radix: 16, uppercase: true)), which UTF-8 never has there "
            + "(a file saved in another encoding, such as Windows-1252)"
    }

    /// What the file at `path` is when it is no regular file (a link is followed to what it
    /// names), in words; nil for a regular file, or one `stat` cannot see. meetctl reads a file
    /// whole: a device or a pipe is a stream, which gives nothing (/dev/null) or never ends.
    static func specialFileKind(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFIFO: return "a pipe"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Reads one command-line word; a bad value is a usage error naming `what`.
    func parse(_ text: String, what: String) throws -> Parsed {
        func bad(_ reason: String, hint: String? = nil) -> UsageError {
            UsageError(message: "\(what): \(reason) (got \"\(text)\")", hint: hint)
        }
        switch self {
        case .text:
            guard !text.isEmpty else { throw bad("must not be empty") }
            return .json(.string(text))
        case .id(let kind):
            guard Identifier.isValid(text, kind: kind) else { throw bad("expects an id \(kind.rawValue)_ followed by 32 hex digits") }
            return .json(.string(text))
        case .person:
            if Identifier.isValid(text, kind: .person) { return .person(text) }
            guard text.contains("@"), !text.contains(" ") else { throw bad("expects a person id per_… or an email") }
            return .person(text)
        case .integer(let range, _, let step):
            let within = "must be within \(range.lowerBound)…\(range.upperBound)"
            guard let n = Int64(text) else {
                // A whole number too long for 64 bits is out of the range, not malformed.
                let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : text[...]
                throw bad(!digits.isEmpty && digits.utf8.allSatisfy { (0x30...0x39).contains($0) } ? within : "expects a whole number")
            }
            guard range.contains(n) else { throw bad(within) }
            guard n % step == 0 else {
                let below = n - ((n % step) + step) % step
                throw bad("must be a multiple of \(step)", hint: "the nearest are \(below) or \(below + step)")
            }
            return .json(.int(n))
        case .minutes(let range):
            guard let n = Self.minutes(text) else { throw bad("expects minutes such as 60, 90m, 1h30 or 1:30") }
            guard range.contains(n) else { throw bad("must be within \(range.lowerBound)…\(range.upperBound) minutes") }
            return .json(.int(n))
        case .time:
            guard let t = TimeInput.parse(text) else {
                throw bad("is not a time", hint: "give RFC 3339 (2030-03-13T14:00:00-04:00) or \"YYYY-MM-DD HH:MM\" on your own clock")
            }
            return .time(t)
        case .choice(let values):
            guard values.contains(text) else { throw bad("must be one of \(values.joined(separator: ", "))", hint: Suggest.didYouMean(text, values)) }
            return .json(.string(text))
        case .list(let inner):
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: " ") }
            guard !parts.contains(where: \.isEmpty) else { throw bad("has an empty item in its comma-separated list") }
            let items = try parts.map { try inner.parse($0, what: what) }
            if items.allSatisfy({ if case .json = $0 { return true } else { return false } }) {
                return .json(.array(items.map { if case .json(let j) = $0 { return j } else { return .null } }))
            }
            return .list(items)
        case .flag:
            return .json(true)
        case .feedback:
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw bad("expects QUESTION=ANSWER") }
            return .json(["question": .string(String(text[..<eq])), "answer": .string(String(text[text.index(after: eq)...]))])
        case .weeklyRule:
            return .rules([try WeeklyRuleInput.parse(text)])
        case .location:
            guard !text.isEmpty else { throw bad("must not be empty") }
            return .location(text)
        case .service:
            guard !text.isEmpty else { throw bad("must not be empty") }
            return .service(text)
        case .meeting:
            guard let reference = MeetingReference.parse(text) else {
                throw bad(
                    "expects a meeting id mtg_…, its last \(MeetingReference.minSuffixLength) or more characters, or a row number of the last meetctl meetings or meetctl waiting",
                    hint: "give at least \(MeetingReference.minSuffixLength) characters of the id's end, or the row number meetctl meetings (the office: meetctl waiting) shows")
            }
            return .meeting(reference)
        case .chat:
            if Identifier.isValid(text, kind: .conversation) { return .json(.string(text)) }
            guard let reference = MeetingReference.parse(text) else {
                throw bad("expects " + (explanation ?? ""), hint: "meetctl chats lists your conversations; a meeting's chat is its user's and expert's")
            }
            return .meeting(reference)
        case .file:
            // Why a file cannot be read, as its reader would fix it.
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) else { throw bad("cannot read the file: there is none at this path") }
            guard !isDirectory.boolValue else { throw bad("cannot read the file: it is a directory", hint: "give the path of a file in it") }
            if let kind = ValueKind.specialFileKind(text) {
                throw bad("cannot read the file: it is not a regular file but \(kind)", hint: "save what it gives to a file, then give that file's path")
            }
            guard FileManager.default.isReadableFile(atPath: text) else { throw bad("cannot read the file: you may not read it (its permissions)") }
            // Read up to the bound and a byte more, never the whole of a larger file (a 400 MB
            // file took 4.7 GB before it was refused row by row).
            guard let handle = FileHandle(forReadingAtPath: text), let data = try? handle.read(upToCount: ValueKind.maxFileBytes + 1) ?? Data() else {
                throw bad("cannot read the file")
            }
            try? handle.close()
            guard data.count <= ValueKind.maxFileBytes else {
                throw bad("cannot read the file: it is larger than meetctl reads (\(ValueKind.maxFileBytes / 1_048_576) MiB)",
                          hint: "split it into files of at most \(ValueKind.maxFileBytes / 1_048_576) MiB (a CSV file each with its header row), then give them one by one")
            }
            guard var contents = String(data: data, encoding: .utf8) else {
                throw bad(ValueKind.notUTF8(Array(data)), hint: "save it as UTF-8 text (a spreadsheet's \"CSV UTF-8\"), then run the command again")
            }
            // A text file ends its last line with a line break, which is not part of the text
            // (a bio written in an editor does not end in an empty line).
            if contents.hasSuffix("\n") || contents.hasSuffix("\r\n") { contents.removeLast() }
            return .json(.string(contents))
        case .setting:
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw bad("expects KEY=VALUE", hint: "for example: meetctl settings set cancellation_window_hours=24 auto_accept=true")
            }
            let key = String(text[..<eq]), raw = String(text[text.index(after: eq)...])
            let value = (try? JSONParser.parse(raw)) ?? .string(raw)
            return .json([key: value])
        }
    }

    /// Minutes as written: 90, 90m, 90min, 1h30, 1h30m, 1h or 1:30, with one sign before the
    /// whole (`-1h`); every part plain digits ("1h-30" is no length). A length past Int64 is
    /// read as the largest one, which a range then refuses (it was a trap: meetctl crashed).
    static func minutes(_ text: String) -> Int64? {
        var t = Substring(text.lowercased())
        var negative = false
        if let sign = t.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            t = t.dropFirst()
        }
        guard let magnitude = unsignedMinutes(t) else { return nil }
        return negative ? -magnitude : magnitude
    }

    private static func unsignedMinutes(_ t: Substring) -> Int64? {
        func digits(_ s: Substring) -> Int64? {
            guard s.isASCIIDigits else { return nil }
            return Int64(s) ?? .max
        }
        func hours(_ h: Int64, _ m: Int64) -> Int64 {
            let (inMinutes, over) = h.multipliedReportingOverflow(by: 60)
            return over ? .max : (inMinutes <= .max - m ? inMinutes + m : .max)
        }
        if let n = digits(t) { return n }
        if t.hasSuffix("min"), let n = digits(t.dropLast(3)) { return n }
        if t.hasSuffix("m"), let n = digits(t.dropLast()) { return n }
        let colon = t.split(separator: ":", omittingEmptySubsequences: false)
        if colon.count == 2, let h = digits(colon[0]), colon[1].count == 2, let m = digits(colon[1]), m < 60 { return hours(h, m) }
        if let mark = t.firstIndex(of: "h"), let h = digits(t[..<mark]) {
            var rest = t[t.index(after: mark)...]
            if rest.hasSuffix("m") { rest = rest.dropLast() }
            if rest.isEmpty { return hours(h, 0) }
            guard let m = digits(rest), m < 60 else { return nil }
            return hours(h, m)
        }
        return nil
    }
}

/// "Did you mean …?" for a mistyped word.
enum Suggest {
    /// Words meetctl's commands use for the same thing, one command one way and another the
    /// other (`slots --from/--to`, `availability free --start/--end`).
    static let sameMeaning: [String: String] = ["--from": "--start", "--to": "--end", "--start": "--from", "--end": "--to"]

    /// An option named as another command names it, or one mistyped.
    static func option(_ word: String, _ candidates: [String]) -> String? {
        if let other = sameMeaning[word], candidates.contains(other) { return "this command calls it \"\(other)\"." }
        return didYouMean(word, candidates) ?? lastWords(word, candidates)
    }

    /// The one candidate that is the last words of `word` (`--display-name` for `--name`): an
    /// option named with a word before it that this command does not use.
    static func lastWords(_ word: String, _ candidates: [String]) -> String? {
        let parts = word.drop { $0 == "-" }.split(separator: "-").map(String.init)
        guard parts.count > 1 else { return nil }
        let tails = Set((1..<parts.count).map { "--" + parts[$0...].joined(separator: "-") })
        let matches = candidates.filter { tails.contains($0) }
        return matches.count == 1 ? "did you mean \"\(matches[0])\"?" : nil
    }

    static func didYouMean(_ word: String, _ candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }.filter { $0.1 <= max(1, word.count / 3) }
        if let best = scored.min(by: { $0.1 < $1.1 }) { return "did you mean \"\(best.0)\"?" }
        if let prefixed = candidates.first(where: { $0.hasPrefix(word) && !word.isEmpty }) { return "did you mean \"\(prefixed)\"?" }
        return nil
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
