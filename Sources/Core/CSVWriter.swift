/// RFC 4180 CSV that a hostile reason or reference can neither break nor run in someone's
/// spreadsheet. Decided on Unicode scalars: CR LF is one Swift Character, equal to neither CR
/// nor LF.
///
/// - A text cell holding a comma, a quote, CR or LF is quoted, so it stays one cell of one row.
/// - A spreadsheet runs a line that starts with `=`, `+`, `-`, `@` or a tab as a formula: such a
///   line gets an apostrophe, at the start of the cell and after every line break inside it, and
///   so does a cell that starts with a line break.
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

    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t"]
    static let lineBreaks: Set<Unicode.Scalar> = ["\r", "\n"]

    static func text(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var quoted = false
        if let first = s.unicodeScalars.first, lineBreaks.contains(first) { out.append("'") }
        var atLineStart = true
        for scalar in s.unicodeScalars {
            if atLineStart && formulaStarts.contains(scalar) { out.append("'") }
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
            if atLineStart, c == "'", i + 1 < scalars.count,
                formulaStarts.contains(scalars[i + 1]) || (i == 0 && lineBreaks.contains(scalars[i + 1]))
            {
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
