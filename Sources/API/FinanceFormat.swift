import Core
import Ledger
import RPC

/// `format: csv` on the finance reads: the answer's `csv` holds its rows as a spreadsheet opens
/// them (the columns of `FinanceTables`), in place of the JSON list.
enum FinanceFormat {
    static let param = Schema.Field(
        "format", .oneOf(["json", "csv"]),
        "csv: `csv` holds the rows as RFC 4180 CSV with a header (README: Finance CSV), in place of the list; json by default")

    /// The members a finance read answers for its list: the list itself (format json), or `csv`
    /// and `format` in its place (format csv).
    static func listFields(_ key: String, _ item: Schema, _ description: String) -> [Schema.Field] {
        [
            .init(key, .list(item), "\(description) (format json)"),
            .init("csv", .text(), "The same rows as CSV with a header row (format csv)"),
            .init("format", .oneOf(["csv"]), "csv when the rows are given as CSV"),
        ]
    }

    static func wantsCSV(_ p: Params) -> Bool { p.optionalString("format") == "csv" }

    /// `result` with the list at `key` written as CSV under `csv` when the caller asked for it,
    /// `leading` and `trailing` rows around it (a statement's opening and closing balances).
    /// `shared`: members of the answer every row of the file carries too (what the rows are of,
    /// such as the time they are as of), so a file saved alone still says it.
    static func respond(
        _ result: [String: JSON], key: String, _ columns: [CSVColumn], _ p: Params, leading: [JSON] = [], trailing: [JSON] = [],
        shared: [String] = []
    ) -> JSON {
        guard wantsCSV(p) else { return .object(result) }
        var answer = result
        let rows = (leading + (result[key]?.arrayValue ?? []) + trailing).map { row -> JSON in
            guard var fields = row.objectValue, !shared.isEmpty else { return row }
            for name in shared where fields[name] == nil { fields[name] = result[name] }
            return .object(fields)
        }
        answer["csv"] = .string(CSVWriter.table(columns, rows))
        answer[key] = nil
        answer["format"] = "csv"
        return .object(answer)
    }
}
