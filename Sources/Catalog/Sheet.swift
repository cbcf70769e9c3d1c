import Core

/// The spreadsheets of seed 002's "download, fill in, upload" loop: people, services
/// ("Courses CSV"), certifications ("Tutors CSV") and enrolments ("Course Enrollment CSV").
/// One list of columns per kind serves the import and the export, so a downloaded file goes
/// back up unchanged.
public enum SheetKind: String, Sendable, CaseIterable {
    case people, services, certifications, enrollments

    /// The columns in the order an export writes them.
    public var columns: [String] {
        switch self {
        case .people: return ["email", "first_name", "last_name", "roles", "time_zone"]
        case .services: return ["name", "kind", "default_length_minutes", "price_credits", "expert_email", "skills", "agenda_questions", "active"]
        case .certifications: return ["service", "expert_email"]
        case .enrollments: return ["user_email", "service", "expert_email"]
        }
    }

    /// What makes two rows of this kind one (an import takes each once per file), and how a
    /// refusal names it: the e-mail (lower-cased), the service name (`NameRule.key`), or the pair
    /// of them. The import's decider and meetctl's check across the pages of a file both ask here.
    public func identity(of row: SheetRow) -> (key: String, what: String) {
        func email(_ column: String) -> String { row[column].lowercased() }
        switch self {
        case .people: return ("person " + email("email"), "the e-mail \(row["email"])")
        case .services: return ("service " + NameRule.key(row["name"]), "the service \(row["name"])")
        case .certifications: return ("certification " + NameRule.key(row["service"]) + " " + email("expert_email"), "this certification")
        case .enrollments:
            let to = row["service"].isEmpty ? "expert " + email("expert_email") : "service " + NameRule.key(row["service"])
            return ("enrollment " + email("user_email") + " " + to, "this enrolment")
        }
    }

    /// The columns a file must have.
    public var required: [String] {
        switch self {
        case .people: return columns
        case .services: return ["name", "kind", "default_length_minutes", "price_credits"]
        case .certifications: return columns
        case .enrollments: return ["user_email"]
        }
    }

    /// Columns of the help centre's files this service keeps nothing of: taken as long as every
    /// row leaves them blank (seed 002's Courses CSV has a Course Number column, "left blank"
    /// for general topics), so its template imports as it is.
    public var blankColumns: [String] {
        self == .services ? ["course_number"] : []
    }

    /// Rows an export page holds at most: a service row can be long (50 agenda questions).
    public var maxRowsPerPage: Int { self == .services ? 1000 : Sheet.maxRows }
}

/// One row of a file: its physical line and its values by column, trimmed.
public struct SheetRow: Sendable, Equatable {
    public let line: Int
    public let values: [String: String]

    public init(line: Int, values: [String: String]) {
        self.line = line
        self.values = values
    }

    public subscript(_ column: String) -> String { values[column] ?? "" }

    /// Whether the file has this column (an optional column left out keeps what is stored).
    public func has(_ column: String) -> Bool { values[column] != nil }
}

public struct ImportProblem: Sendable, Equatable {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// A file that cannot be imported: every problem, each on its line.
public struct ImportProblems: Error, Sendable, Equatable {
    public var list: [ImportProblem] = []

    public init(_ list: [ImportProblem] = []) { self.list = list }

    mutating func add(_ line: Int, _ message: String) { list.append(ImportProblem(line: line, message: message)) }

    /// The error a caller reads: nothing was imported, and why, line by line in `data.errors`
    /// (the first `maxProblemsListed`; `data.total` counts them all, `data.truncated` says some were left out).
    public var error: AppError {
        AppError(
            .invalidParams,
            message: "Invalid params: csv has \(Counted.words(Int64(list.count), "problem")); nothing was imported. First: line \(list[0].line): \(list[0].message)",
            details: ["field": "csv", "reason": "has problems",
                      "errors": .array(list.prefix(Sheet.maxProblemsListed).map { ["line": .int(Int64($0.line)), "message": .string($0.message)] }),
                      "total": .int(Int64(list.count)), "truncated": .bool(list.count > Sheet.maxProblemsListed)])
    }
}

/// Each row once per file (`SheetKind.identity`): the first row of each identity is kept, and
/// a later one is a problem naming it. The import's decider and meetctl's check across the pages
/// of a file both count rows here.
public struct OncePerFile: Sendable {
    private var seen: [String: Int] = [:]

    public init() {}

    /// Nil the first time a row's identity is met; else the problem, naming the earlier line.
    public mutating func repeated(_ kind: SheetKind, _ row: SheetRow) -> String? {
        let (key, what) = kind.identity(of: row)
        if let first = seen[key] { return "repeats \(what) of line \(first)" }
        seen[key] = row.line
        return nil
    }
}

/// A page of a file too large for one import (`Sheet.pages`).
public struct SheetPage: Sendable, Equatable {
    public let csv: String
    /// What a line of the page's rows adds to be the line of the file.
    public let lineOffset: Int
    /// The header's lines, the same in the page and the file.
    public let headerLines: Int

    /// The file's line of the page's first row.
    public var firstLine: Int { headerLines + 1 + lineOffset }

    /// The file's line of the page's `line`.
    public func fileLine(_ line: Int) -> Int { line <= headerLines ? line : line + lineOffset }
}

public enum Sheet {
    public static let maxRows = 10_000
    /// The most characters (Unicode scalars) of one file, the import's `csv` param.
    public static let maxCharacters = 1_000_000
    /// The most bytes an export page takes as a JSON string with every character outside ASCII
    /// written `\uXXXX` (as the Python client sends it): so the page is within `maxCharacters`
    /// and, sent back to catalog.import_csv by any client, within the default 1 MiB message.
    public static let maxPageJSONBytes = 1_000_000
    public static let maxProblemsListed = 1000
    /// The columns that list several values (`cell` and `list`).
    public static let listColumns: Set<String> = ["roles", "skills", "agenda_questions"]

    /// A header cell as matched: without regard to case, spaces and underscores
    /// (`User Email`, `user_email` and `USEREMAIL` name the same column).
    public static func headerKey(_ text: String) -> String {
        String(text.lowercased().filter { $0 != " " && $0 != "_" && $0 != "\t" })
    }

    /// The file's rows by column and the problems of the rows that could not be read (a wrong
    /// number of fields); a file whose header or quoting is broken throws its problems.
    public static func read(_ kind: SheetKind, csv: String, rowLimit: Int = maxRows) throws -> (rows: [SheetRow], problems: ImportProblems) {
        let records: [CSVRecord]
        do { records = try CSVReader.parse(csv) } catch { throw ImportProblems([problem(csv, failedWith: error)]) }
        guard let header = records.first else { throw ImportProblems([ImportProblem(line: 1, message: "the file is empty; the first row names the columns")]) }
        var problems = ImportProblems()
        let known = Dictionary(uniqueKeysWithValues: kind.columns.map { (headerKey($0), $0) })
        if header.fields.count == 1, header.fields[0].contains(";") { throw ImportProblems([semicolons]) }
        var columns: [String?] = []
        let blank = Dictionary(uniqueKeysWithValues: kind.blankColumns.map { (headerKey($0), $0) })
        var blankAt: [Int: String] = [:]
        for (index, cell) in header.fields.enumerated() {
            let name = cell.trimmingCharacters(in: " \t")
            // Columns a spreadsheet saved without a name (commas at the end of each row) hold
            // nothing: left out, as long as every row leaves them empty.
            if name.isEmpty {
                columns.append(nil)
                continue
            }
            if let column = blank[headerKey(name)] {
                if blankAt.values.contains(column) { problems.add(header.line, "column \(column) is given twice") }
                blankAt[index] = column
                columns.append(nil)
                continue
            }
            guard let column = known[headerKey(name)] else {
                problems.add(header.line, "unknown column \(name) (column \(index + 1)); expected \(kind.columns.joined(separator: ", "))")
                columns.append(nil)
                continue
            }
            if columns.contains(column) { problems.add(header.line, "column \(column) is given twice") }
            columns.append(column)
        }
        for required in kind.required where !columns.contains(required) { problems.add(header.line, "missing column \(required)") }
        // A spreadsheet saves an empty row as commas alone: skipped, as an empty line is.
        let rows = records.dropFirst().filter { !$0.fields.allSatisfy { $0.trimmingCharacters(in: " \t").isEmpty } }
        if rows.count > rowLimit {
            problems.add(rows[rowLimit].line, "is row \(rowLimit + 1), past the most one import takes (\(rowLimit) rows); split the file here")
        }
        guard problems.list.isEmpty else { throw problems }
        var out: [SheetRow] = []
        for record in rows {
            guard record.fields.count == columns.count else {
                problems.add(record.line, "has \(record.fields.count) fields, the header has \(columns.count)")
                continue
            }
            var values: [String: String] = [:]
            var unnamed: Int? = nil
            var heldInBlank: String? = nil
            for (index, (column, value)) in zip(columns, record.fields).enumerated() {
                let trimmed = value.trimmingCharacters(in: " \t")
                guard let column else {
                    if trimmed.isEmpty { continue }
                    if let kept = blankAt[index] { heldInBlank = heldInBlank ?? kept } else if unnamed == nil { unnamed = index + 1 }
                    continue
                }
                values[column] = CSVWriter.unguarded(trimmed)
            }
            if let heldInBlank {
                problems.add(record.line, "\(heldInBlank) holds a value, but services have no \(heldInBlank.replacingOccurrences(of: "_", with: " ")) here; leave the column blank or remove it")
                continue
            }
            if let unnamed {
                problems.add(record.line, "column \(unnamed) holds a value but has no name in the header; name it (\(kind.columns.joined(separator: ", "))) or empty it")
                continue
            }
            out.append(SheetRow(line: record.line, values: values))
        }
        return (out, problems)
    }

    /// The values of a list cell, in order, trimmed of white space (as service.create stores
    /// them), without blanks. A `;` or `\` inside a value is
    /// written `\;` or `\\`; any other backslash is itself.
    public static func list(_ cell: String) -> [String] {
        var values: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = cell.unicodeScalars.makeIterator()
        while let s = scalars.next() {
            if s == "\\" {
                guard let next = scalars.next() else { current.append(s); break }
                if next != ";" && next != "\\" { current.append(s) }
                current.append(next)
            } else if s == ";" {
                values.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(s)
            }
        }
        values.append(String(current))
        return values.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// A list cell `list` reads back as `values`.
    public static func cell(_ values: [String]) -> String {
        values.map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;") }.joined(separator: ";")
    }

    /// A page of an export: the header and the rows that fit in `maxPageJSONBytes`; how many
    /// did. (Counting Characters let a page of CR LF line ends pass the import's bound in
    /// scalars, and one of accented text pass the message bound in bytes.)
    public static func write(_ kind: SheetKind, rows: [[JSON]], maxBytes: Int = maxPageJSONBytes) -> (csv: String, rows: Int) {
        var csv = CSVWriter.table(header: kind.columns, rows: [])
        // The size so far is kept, not counted again per row.
        var bytes = jsonStringBytes(csv)
        var written = 0
        for row in rows {
            let line = CSVWriter.row(row)
            let lineBytes = jsonStringBytes(line)
            guard bytes + lineBytes <= maxBytes else { break }
            csv += line
            bytes += lineBytes
            written += 1
        }
        return (csv, written)
    }

    /// Why a file cannot be read as CSV, with its line; nil when it can. A file saved with
    /// semicolons between its columns (a spreadsheet set for a comma decimal mark saves "CSV"
    /// so) is told so, whatever its quoted cells made of it (`"a";"b"` does not parse as CSV).
    public static func readingProblem(_ csv: String) -> ImportProblem? {
        do { _ = try CSVReader.parse(csv) } catch { return problem(csv, failedWith: error) }
        return nil
    }

    /// What a file CSV reading refused with `error` is told: its line, or that it was saved
    /// with semicolons.
    static func problem(_ csv: String, failedWith error: Error) -> ImportProblem {
        if savedWithSemicolons(csv) { return semicolons }
        if let e = error as? CSVError { return ImportProblem(line: e.line, message: e.message) }
        return ImportProblem(line: 1, message: "\(error)")
    }

    static let semicolons = ImportProblem(line: 1, message: "the columns are separated by semicolons (;); save the file as CSV with commas (\"CSV UTF-8\")")

    /// Whether the header line (the file's first, without a byte-order mark) separates its
    /// columns with semicolons and has no comma.
    static func savedWithSemicolons(_ csv: String) -> Bool {
        let first = csv.unicodeScalars.prefix { $0 != "\n" && $0 != "\r" }
        return first.contains(";") && !first.contains(",")
    }

    /// A file cut between its rows into pages one import takes each: the header and at most
    /// `maxRows` rows within `maxPageJSONBytes` (as an export page), each row as written. A file
    /// one import takes, or one that cannot be read, is one page as it is (the import says why).
    public static func pages(_ csv: String) -> [SheetPage] {
        guard let records = try? CSVReader.parse(csv), let header = records.first, records.count - 1 > maxRows || jsonStringBytes(csv) > maxPageJSONBytes
        else { return [SheetPage(csv: csv, lineOffset: 0, headerLines: 0)] }
        var scalars = Array(csv.unicodeScalars)
        let mark = scalars.first == "\u{FEFF}" ? String(scalars.removeFirst()) : ""
        let head = mark + String(String.UnicodeScalarView(scalars[..<header.end]))
        let headBytes = jsonStringBytes(head)
        var pages: [SheetPage] = []
        var start = header.end, startLine = header.nextLine, rows = 0, bytes = headBytes
        func cut(at end: Int, nextLine: Int) {
            pages.append(SheetPage(
                csv: head + String(String.UnicodeScalarView(scalars[start..<end])), lineOffset: startLine - header.nextLine, headerLines: header.nextLine - 1))
            (start, startLine, rows, bytes) = (end, nextLine, 0, headBytes)
        }
        var previous = header
        for record in records.dropFirst() {
            let recordBytes = jsonStringBytes(String(String.UnicodeScalarView(scalars[previous.end..<record.end])))
            if rows > 0 && (rows == maxRows || bytes + recordBytes > maxPageJSONBytes) { cut(at: previous.end, nextLine: previous.nextLine) }
            rows += 1
            bytes += recordBytes
            previous = record
        }
        cut(at: scalars.count, nextLine: previous.nextLine)
        return pages
    }

    /// The bytes of `text` inside a JSON string written with ASCII only: `"` `\` and the short
    /// escapes two, other controls and every scalar outside ASCII six (twelve past U+FFFF, a
    /// surrogate pair). Never fewer than its scalars or its UTF-8 bytes.
    public static func jsonStringBytes(_ text: String) -> Int {
        var total = 0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x5C, 0x08, 0x09, 0x0A, 0x0C, 0x0D: total += 2
            case 0x00..<0x20: total += 6
            case 0x20..<0x80: total += 1
            case 0x80...0xFFFF: total += 6
            default: total += 12
            }
        }
        return total
    }
}
