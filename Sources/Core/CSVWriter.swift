import Foundation

/// RFC 4180 CSV. Text cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
/// first) get an apostrophe, so a hostile reason or reference cannot execute in someone's
/// spreadsheet.
public enum CSVWriter {
    public static func table(header: [String], rows: [[JSON]]) -> String {
        var out = header.joined(separator: ",") + "\r\n"
        for row in rows { out += row.map(cell).joined(separator: ",") + "\r\n" }
        return out
    }

    public static func cell(_ value: JSON) -> String {
        switch value {
        case .null: return ""
        case .int(let i): return String(i)
        case .string(var s):
            if let first = s.first, "=+-@\t\r".contains(first) { s = "'" + s }
            if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return s
        default: return value.serialized()
        }
    }
}
