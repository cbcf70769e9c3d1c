import Catalog
import Core
import Pipeline
import RPC
import Store
import UseCases

/// `catalog.import_csv` and `catalog.export_csv` (formerly `import.csv` and `import.export`;
/// seed 002: "download, fill in, upload"): people, services, certifications (by expert e-mail)
/// and enrolments (by user e-mail) as CSV, the same columns both ways. An import reads what its file names in one statement, decides over the whole
/// file (`ImportDecider`) and writes it in one statement: every row or none, each problem on
/// its line. A dry run decides and reports without writing.
enum ImportAPI {
    static var all: [MethodDefinition] { [importCSV, export] }

    static let kinds = SheetKind.allCases.map(\.rawValue)

    static let columnsHelp = SheetKind.allCases.map { kind in
        "\(kind.rawValue): " + kind.columns.map { kind.required.contains($0) ? $0 : "[\($0)]" }.joined(separator: ", ")
            + kind.blankColumns.map { " (and [\($0)], taken while blank)" }.joined()
    }.joined(separator: "; ")

    static let importCSV = MethodDefinition(
        "catalog.import_csv",
        "Imports people, services, certifications or enrolments from CSV: all rows or none, each problem on its line; dry_run reports without changing anything",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("kind", .oneOf(kinds), required: true, "Columns (header names match whatever their case, spaces and underscores) — \(columnsHelp). A service named again keeps its kind and expert (a row that changes them is a problem on its line) and what an optional column the file leaves out holds. A service's active is true or false (any case): false retires it and true offers it again, as service.set_active does; left out or blank, a new service is active and a named one keeps its state. Names match whatever their case, Unicode form and the spaces around them"),
            .init("csv", .text(min: 1, max: Sheet.maxCharacters), required: true, "The file's text, with a header row; lists (roles, skills, agenda questions) separated by ; with a ; or \\ inside a value written \\; or \\\\; a row of empty fields is skipped. A file with problems is refused whole: data.errors lists the first \(Sheet.maxProblemsListed) by line, data.total counts them all and data.truncated says some were left out"),
            .init("dry_run", .boolean, "Decide and report, change nothing"),
        ],
        result: .object([
            .init("kind", .oneOf(kinds), required: true), .init("dry_run", .boolean, required: true),
            .init("created", .integer(min: 0, max: .max), required: true), .init("updated", .integer(min: 0, max: .max), required: true),
            .init("unchanged", .integer(min: 0, max: .max), required: true),
            .init("changes", .list(.named("ImportChange", .object([
                .init("line", .integer(min: 1, max: .max), required: true), .init("action", .oneOf(["create", "update", "unchanged"]), required: true),
                .init("subject", .text(), required: true, "What the row is about: an e-mail, a service's name, a pair"),
            ])), max: Sheet.maxRows), required: true, "Every row's outcome"),
        ]),
        // `import` is a keyword in Python and JavaScript: a generated client could not call `import.csv`.
        aliases: [MethodAlias("import.csv", removedIn: "0.4.0")],
        body: .command(ImportUseCases.importCSV()))

    static let export = MethodDefinition(
        "catalog.export_csv",
        "A page of people, services, certifications or enrolments as CSV in the columns catalog.import_csv takes; each page (header included) imports as it is",
        audience: .roles([.admin]), mutating: false,
        params: [
            .init("kind", .oneOf(kinds), required: true),
            .init("limit", .integer(min: 1, max: Int64(Sheet.maxRows)),
                  "Most rows in this page (default and most: \(Sheet.maxRows), services \(SheetKind.services.maxRowsPerPage)); a page also stops before \(Sheet.maxPageJSONBytes) bytes as a JSON string with every character outside ASCII escaped, so it imports as it is"),
            .init("cursor", .text(min: 1, max: 1000), "next_cursor from the previous page"),
        ],
        result: .object([
            .init("kind", .oneOf(kinds), required: true), .init("csv", .text(), required: true, "RFC 4180 with CRLF line ends and a header row; services carry active (true, or false for a retired service)"),
            .init("rows", .integer(min: 0, max: .max), required: true), .init("next_cursor", .nullable(.text()), required: true),
        ]),
        // `import` and `export` are keywords in Python and JavaScript.
        aliases: [MethodAlias("import.export", removedIn: "0.4.0")],
        body: .read(ReadPlan(
            statements: { scope, p in
                let kind = SheetKind(rawValue: try p.string("kind"))!
                let limit = min(p.optionalInt("limit") ?? Int64(kind.maxRowsPerPage), Int64(kind.maxRowsPerPage))
                return [ImportStore.export(kind, communityId: scope.communityId, afterKey: try Page.cursor(p, key: [.text])?[0].stringValue, limit: limit + 1)]
            },
            respond: { _, rows, p in
                let kind = SheetKind(rawValue: try p.string("kind"))!
                let limit = Int(min(p.optionalInt("limit") ?? Int64(kind.maxRowsPerPage), Int64(kind.maxRowsPerPage)))
                let all = try rows[0].map { try ImportStore.exportRow(kind, $0) }
                let page = Sheet.write(kind, rows: all.prefix(limit).map(\.cells))
                let more = page.rows < all.count
                return ["kind": .string(kind.rawValue), "csv": .string(page.csv), "rows": .int(Int64(page.rows)),
                        "next_cursor": more && page.rows > 0 ? .string(Page.cursor(after: [.string(all[page.rows - 1].key)], for: p)) : .null]
            })))
}
