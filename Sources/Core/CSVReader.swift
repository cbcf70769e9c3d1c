/// RFC 4180 CSV: quoted fields (with commas, quotes doubled, line breaks), CRLF or LF line
/// ends, an optional UTF-8 byte-order mark. Each record keeps the line it starts on, so errors
/// can name it, and where it ends, so a file can be cut between records as it is written.
public struct CSVRecord: Sendable, Equatable {
    public let line: Int
    public let fields: [String]
    /// The offset, in Unicode scalars after any byte-order mark, just past the record's line end.
    public let end: Int
    /// The line after the record's line end.
    public let nextLine: Int
}

public struct CSVError: Error, Equatable, Sendable {
    public let line: Int
    public let message: String
}

public enum CSVReader {
    public static func parse(_ text: String) throws -> [CSVRecord] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var i = 0
        var inQuotes = false
        var fieldWasQuoted = false
        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            fieldWasQuoted = false
        }
        func endRecord(end: Int, nextLine: Int) {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(CSVRecord(line: recordLine, fields: fields, end: end, nextLine: nextLine)) }
            fields = []
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" {
                        field.append("\"")
                        i += 2
                        continue
                    }
                    inQuotes = false
                    i += 1
                    if i < scalars.count, !["," , "\r", "\n"].contains(scalars[i]) {
                        throw CSVError(line: line, message: "unexpected character after a closing quote")
                    }
                    continue
                }
                if c == "\n" { line += 1 }
                field.append(c)
                i += 1
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !fieldWasQuoted else { throw CSVError(line: line, message: "a quote inside an unquoted field") }
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                endField()
            case "\r":
                if i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord(end: i + 1, nextLine: line + 1)
                line += 1
                recordLine = line
            case "\n":
                endRecord(end: i + 1, nextLine: line + 1)
                line += 1
                recordLine = line
            default:
                field.append(c)
            }
            i += 1
        }
        if inQuotes { throw CSVError(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord(end: scalars.count, nextLine: line) }
        return records
    }
}
