/// RFC 4180 CSV that a hostile reason or reference can neither break nor run in someone's
/// spreadsheet. Decided on Unicode scalars: CR LF is one Swift Character, equal to neither CR
/// nor LF.
///
/// - A text cell holding a comma, a quote, CR or LF is quoted, so it stays one cell of one row.
/// - A spreadsheet runs a line that starts with `=`, `+`, `-`, `@` or a tab as a formula (and
///   some, set for East Asian input, their fullwidth forms `＝＋－＠` as well), and some trim
///   the spaces before it first: such a line gets an apostrophe, at the start of the
///   cell and after every line break inside it, and so does a cell that starts with a line break.
///   A line whose own apostrophes and spaces come before such a start gets one more, so
///   `unguarded` takes exactly the one added and every text reads back as it was.
/// - Numbers are written as they are (a credit of -100 stays a number); only text is guarded.
public enum CSVWriter {
    public static func table(header: [String], rows: [[JSON]]) -> String {
        var out = header.joined(separator: ",") + "\r\n"
        for r in rows { out += row(r) }
        return out
    }

    /// One record with its line end.
    public static func row(_ cells: [JSON]) -> String { cells.map(cell).joined(separator: ",") + "\r\n" }

    public static func cell(_ value: JSON) -> String {
        switch value {
        case .null: return ""
        case .int(let i): return String(i)
        case .number, .bool: return value.serialized()
        case .string(let s): return text(s)
        case .array, .object: return text(value.serialized())
        }
    }

    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}"]
    static let lineBreaks: Set<Unicode.Scalar> = ["\r", "\n"]
    /// What may come before a formula start and still leave it one: the line's own apostrophes,
    /// and the spaces a spreadsheet trims (space, no-break space, ideographic space).
    static let beforeFormula: Set<Unicode.Scalar> = ["'", " ", "\u{A0}", "\u{3000}"]

    /// Whether the line starting at `index` needs the guard: after any apostrophes and spaces of
    /// its own, a formula start, or (on the cell's first line only) a line break.
    static func needsGuard(_ scalars: [Unicode.Scalar], from index: Int, cellStart: Bool) -> Bool {
        var j = index
        while j < scalars.count && beforeFormula.contains(scalars[j]) { j += 1 }
        guard j < scalars.count else { return false }
        return formulaStarts.contains(scalars[j]) || (cellStart && lineBreaks.contains(scalars[j]))
    }

    static func text(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var quoted = false
        var atLineStart = true
        for (i, scalar) in scalars.enumerated() {
            if atLineStart && needsGuard(scalars, from: i, cellStart: i == 0) { out.append("'") }
            atLineStart = lineBreaks.contains(scalar)
            switch scalar {
            case "\"":
                out.append(contentsOf: "\"\"".unicodeScalars)
                quoted = true
            case ",", "\r", "\n":
                out.append(scalar)
                quoted = true
            default:
                out.append(scalar)
            }
        }
        return quoted ? "\"" + String(out) + "\"" : String(out)
    }

    /// A cell as it was before `text` guarded it: the apostrophe put before a formula start (or
    /// a leading line break) is taken away again, so an exported file imports unchanged.
    public static func unguarded(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var atLineStart = true
        while i < scalars.count {
            let c = scalars[i]
            // The guard is the first apostrophe of a line that, without it, would still need one.
            if atLineStart, c == "'", needsGuard(scalars, from: i + 1, cellStart: i == 0) {
                i += 1
                atLineStart = false
                continue
            }
            atLineStart = lineBreaks.contains(c)
            out.append(c)
            i += 1
        }
        return String(out)
    }
}

/// One column of a table written for a spreadsheet: its name in the header and the key of the
/// item's value. An instant column is named `…_utc` and written `YYYY-MM-DD HH:MM:SS` in UTC
/// (whole seconds), which spreadsheets read as a date and time; the name says the zone.
public struct CSVColumn: Sendable, Equatable {
    public let name: String
    public let key: String
    public let isInstant: Bool

    /// A column whose name is the item's key (or `name` when the item calls it otherwise).
    public static func value(_ key: String, as name: String? = nil) -> CSVColumn { CSVColumn(name: name ?? key, key: key, isInstant: false) }

    /// An instant (RFC 3339 in the item) as `key_utc`.
    public static func instant(_ key: String, as name: String? = nil) -> CSVColumn {
        CSVColumn(name: (name ?? key) + "_utc", key: key, isInstant: true)
    }
}

extension CSVWriter {
    /// The UTF-8 byte-order mark: a spreadsheet that sees it reads the file as UTF-8 (without it
    /// some read an accented name as Windows-1252).
    public static let byteOrderMark = "\u{FEFF}"

    /// A header and one row per item, each cell taken at its column's key.
    public static func table(_ columns: [CSVColumn], _ items: [JSON]) -> String {
        table(header: columns.map(\.name), rows: items.map { item in columns.map { cell(item[$0.key] ?? .null, $0) } })
    }

    /// An instant column's value as a spreadsheet reads it; any other value unchanged.
    static func cell(_ value: JSON, _ column: CSVColumn) -> JSON {
        guard column.isInstant, let text = value.stringValue, let instant = try? Instant(lenient: text) else { return value }
        return .string(spreadsheetTime(instant))
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC, seconds truncated.
    public static func spreadsheetTime(_ instant: Instant) -> String {
        let text = Instant(seconds: instant.epochSeconds).rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8))
    }
}
