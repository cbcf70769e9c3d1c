import Core
import Foundation
import Scheduling

/// Turns results into aligned tables, records and CSV.
enum Render {
    /// The line under a list an answer cut short (`list`, with `count` saying how many in all):
    /// how many more there are; nil when every one is listed.
    static func unlisted(_ result: JSON, list: String, count: String) -> String? {
        let listed = Int64(result[list]?.arrayValue?.count ?? 0)
        guard let total = result[count]?.intValue, total > listed else { return nil }
        return "… and \(total - listed) more not listed here (\(total) in all; the soonest \(listed) are listed)"
    }

    /// The value at a dotted key (`alternate.start`).
    static func lookup(_ item: JSON, _ key: String) -> JSON? {
        var current: JSON? = item
        for part in key.split(separator: ".") { current = current?[String(part)] }
        return current
    }

    /// A cell as a terminal shows it: one line, control characters escaped (TerminalText), so
    /// the columns' widths are measured on what is shown.
    /// `inTable`: a person's name is cut to `maxCellWidth`, their e-mail kept whole beside it.
    static func cell(_ item: JSON, _ column: Column, _ session: Session, inTable: Bool = false) throws -> String {
        TerminalText.line(try content(item, column, session, inTable: inTable))
    }

    static func content(_ item: JSON, _ column: Column, _ session: Session, inTable: Bool = false) throws -> String {
        let value = lookup(item, column.key) ?? .null
        if value.isNull && column.format != .meetingCredits { return "-" }
        switch column.format {
        case .text, .paragraphs: return plain(value)
        case .time: return value.stringValue.map { (try? session.clock().format($0)) ?? $0 } ?? plain(value)
        case .bool: return value.boolValue.map { $0 ? "yes" : "no" } ?? plain(value)
        case .number: return plain(value)
        case .minutes: return value.intValue.map { "\($0) min" } ?? plain(value)
        case .weekday:
            guard let day = value.intValue, (1...7).contains(day) else { return plain(value) }
            return ZoneClock.weekdayNames[Int(day) - 1]
        case .service:
            guard let id = value.stringValue else { return plain(value) }
            return try session.serviceName(id).map { "\($0) (\(id))" } ?? id
        case .serviceName:
            guard let id = value.stringValue else { return plain(value) }
            return try session.serviceName(id) ?? id
        case .location:
            guard let id = value.stringValue else { return plain(value) }
            return try session.locationName(id).map { "\($0) (\(id))" } ?? id
        case .locations:
            let ids = (value.arrayValue ?? []).compactMap(\.stringValue)
            return ids.isEmpty ? "-" : try ids.map { try session.locationName($0) ?? $0 }.joined(separator: ", ")
        case .person, .personNamed:
            if case .personNamed(let key) = column.format, let name = item[key]?.stringValue, !name.isEmpty { return name }
            guard let id = value.stringValue else { return plain(value) }
            return try session.personName(id, nameWidth: inTable ? maxCellWidth : nil) ?? id
        case .account:
            guard let id = value.stringValue else { return plain(value) }
            return try session.accountName(id).map { "\($0) (\(id))" } ?? id
        case .accountName:
            guard let id = value.stringValue else { return plain(value) }
            if let name = try session.accountName(id) { return name }
            // One the reader may not look up (the user's wallet and platform revenue, to a
            // meeting's expert reading its trail): by the kind and owner the answer gives with it.
            let side = column.key.hasSuffix("_id") ? String(column.key.dropLast(3)) : column.key
            guard let kind = item[side + "_kind"]?.stringValue else { return id }
            return try session.accountName(kind: kind, owner: item[side + "_owner_id"]?.stringValue, ownerName: item[side + "_owner_name"]?.stringValue)
        case .ownerName:
            let name = Session.fullName(item, prefix: "owner_")
            return name.isEmpty ? plain(value) : name
        case .meetingCredits:
            // A late cancellation's charge is a share of the price: "100 (50 paid, 50 returned)".
            let price = item["price_credits"].map(plain) ?? "-"
            let status = item["credit_status"]?.stringValue ?? "-"
            if let charged = item["charged_credits"]?.intValue, charged != item["price_credits"]?.intValue {
                let returned = item["returned_credits"]?.intValue.map { ", \($0) returned" } ?? ""
                return "\(price) (\(charged) \(status)\(returned))"
            }
            // A counter-offer of another length leaves the user's earlier hold in place, and a
            // decline of it returns that hold, not the new price.
            if status == "blocked", let held = item["held_credits"]?.intValue, held != item["price_credits"]?.intValue {
                return "\(price) (\(held) \(status))"
            }
            if status == "returned", let returned = item["returned_credits"]?.intValue, returned != item["price_credits"]?.intValue {
                return "\(price) (\(returned) \(status))"
            }
            return "\(price) (\(status))"
        case .compact: return compact(value)
        }
    }

    /// A scalar as text; other values compactly.
    static func plain(_ value: JSON) -> String {
        switch value {
        case .null: return "-"
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "yes" : "no"
        case .number(let lexeme): return lexeme
        default: return compact(value)
        }
    }

    /// A person's text between double quotes, its own quotes and backslashes escaped, so it
    /// cannot seem to end early and let what follows read as the line's own fields.
    static func quoted(_ text: String) -> String {
        var out = String.UnicodeScalarView(["\""])
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out.append("\\") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }

    /// A person's text among others on a line: as it is when it holds none of the separators
    /// (`,` `;` `=` `"`) nor edge spaces, else `quoted`.
    static func quotedIfNeeded(_ text: String) -> String {
        let plain = !text.isEmpty && !text.unicodeScalars.contains { [",", ";", "=", "\"", "\\"].contains($0) }
            && text.unicodeScalars.first != " " && text.unicodeScalars.last != " "
        return plain ? text : quoted(text)
    }

    /// Lists and objects on one readable line: `a, b`; `key=value`; reason lists as `code (label)`;
    /// agenda answers as `question=answer`; a person's text quoted where it holds a separator,
    /// so `a, b` is always two items.
    static func compact(_ value: JSON) -> String {
        switch value {
        case .array(let items):
            if items.isEmpty { return "-" }
            return items.map { item in
                if let code = item["code"]?.stringValue, let label = item["label"]?.stringValue { return "\(code) (\(label))" }
                if let q = item["question"]?.stringValue {
                    return quotedIfNeeded(q) + "=" + quotedIfNeeded(item["answer"].map(plain) ?? "")
                }
                // A skipped date of a series: `2030-03-18 (skipped by expert)`.
                if let date = item["date"]?.stringValue, let reason = item["reason"]?.stringValue { return "\(date) (\(reason))" }
                return item.stringValue.map(quotedIfNeeded) ?? plain(item)
            }.joined(separator: ", ")
        case .object(let fields):
            if fields.isEmpty { return "-" }
            return fields.keys.sorted().map { "\($0)=\(plain(fields[$0]!))" }.joined(separator: ", ")
        default: return plain(value)
        }
    }

    /// The most terminal columns a cell of people's text takes in a table (a longer one is cut
    /// with "…"), so one long name does not widen its column for every row.
    static let maxCellWidth = 40

    /// A capped cell of people's text followed by what says what it is (a name's " (user)"):
    /// the text is cut, so the cell fits `maxCellWidth` with `suffix` whole.
    static func cut(_ text: String, keeping suffix: String) -> String {
        TerminalText.line(text).truncated(toTerminalWidth: maxCellWidth - suffix.terminalWidth) + suffix
    }

    /// An aligned table: headers, then one line per row; numbers aligned right. Widths are
    /// terminal columns (山田 takes four). The cells of the `capped` columns are cut to
    /// `maxCellWidth`, but for the last column's: nothing follows it to push aside.
    static func table(_ headers: [String], _ rows: [[String]], rightAligned: Set<Int> = [], capped: Set<Int> = []) -> String {
        let rows = rows.map { row in
            row.enumerated().map { i, c in capped.contains(i) && i != headers.count - 1 ? c.truncated(toTerminalWidth: maxCellWidth) : c }
        }
        var widths = headers.map(\.terminalWidth)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.terminalWidth) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.terminalWidth)
                if i == cells.count - 1 && !rightAligned.contains(i) { parts.append(c) } else { parts.append(rightAligned.contains(i) ? pad + c : c + pad) }
            }
            return parts.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func table(_ items: [JSON], _ columns: [Column], _ session: Session) throws -> String {
        let rows = try items.map { item in try columns.map { try cell(item, $0, session, inTable: true) } }
        let right = Set(columns.enumerated().filter { $0.element.format == .number }.map(\.offset))
        let capped = Set(columns.enumerated().filter { $0.element.format.isPeoplesText }.map(\.offset))
        return table(columns.map(\.header), rows, rightAligned: right, capped: capped)
    }

    /// One field per line, labels aligned.
    static func record(_ item: JSON, _ columns: [Column], _ session: Session) throws -> String {
        var lines: [(String, String)] = []
        for column in columns {
            let value = lookup(item, column.key)
            if column.optional, value == nil || value!.isNull || value == .array([]) || value == .string("") { continue }
            if column.format == .paragraphs, let text = value?.stringValue {
                // Each line escaped alone, then laid out under the first.
                lines.append((column.header, text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.line(String($0)) }.joined(separator: "\n")))
            } else {
                lines.append((column.header, try cell(item, column, session)))
            }
        }
        let width = lines.map(\.0.count).max() ?? 0
        let indent = "\n" + String(repeating: " ", count: width + 2)
        return lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1.replacingOccurrences(of: "\n", with: indent) }
            .joined(separator: "\n") + "\n"
    }

    /// CSV with raw values (instants in UTC as the service gives them), written as the service's
    /// own CSV is.
    static func csv(_ items: [JSON], keys: [String]) -> String {
        CSVWriter.table(header: keys, rows: items.map { item in keys.map { lookup(item, $0) ?? .null } })
    }
}
