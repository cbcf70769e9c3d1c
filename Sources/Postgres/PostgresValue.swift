import Core

/// A value bound as a `$N` parameter, sent in PostgreSQL's text format. Values never become
/// part of the SQL text.
public protocol PostgresBindable: Sendable {
    var postgresText: String? { get }
}

extension String: PostgresBindable { public var postgresText: String? { self } }
extension Int: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String? { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String? { self ? "t" : "f" } }
extension Instant: PostgresBindable { public var postgresText: String? { rfc3339 } }
extension JSON: PostgresBindable { public var postgresText: String? { serialized() } }

/// A JSON document for a parameter cast to jsonb, which orders an object's keys its own way:
/// written without sorting them.
public struct JSONBText: PostgresBindable, Sendable {
    public let json: JSON
    public init(_ json: JSON) { self.json = json }
    public var postgresText: String? { json.serialized(sortingKeys: false) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? {
        switch self {
        case .none: return nil
        case .some(let w): return w.postgresText
        }
    }
}

/// A text[] parameter (`{"a","b"}` with quoting).
public struct PostgresTextArray: PostgresBindable {
    public let items: [String]
    public init(_ items: [String]) { self.items = items }
    /// The array literal: each item quoted, with backslash and double quote escaped by a
    /// backslash (scalar by scalar: Foundation's replacing is a large share of a request's time).
    public var postgresText: String? {
        var text = "{"
        for (index, item) in items.enumerated() {
            if index > 0 { text.unicodeScalars.append(",") }
            text.unicodeScalars.append("\"")
            for scalar in item.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { text.unicodeScalars.append("\\") }
                text.unicodeScalars.append(scalar)
            }
            text.unicodeScalars.append("\"")
        }
        text.unicodeScalars.append("}")
        return text
    }
}

/// One SQL statement with its bound parameters, for `Connection.pipeline`.
public struct Statement: Sendable {
    public let sql: String
    public let params: [any PostgresBindable]
    /// Planned at every call for the values bound, never kept prepared on the session. For a
    /// statement that reads all of a community's rows of a kind: a plan kept on a long-lived
    /// session was made for the tables as they were then, and PostgreSQL makes a new one only
    /// after the tables are analyzed, so a community grown since (a fresh cluster, an import)
    /// would be read with joins chosen for a handful of rows (seconds, then minutes).
    public let plannedEachCall: Bool

    public init(_ sql: String, _ params: [any PostgresBindable] = [], plannedEachCall: Bool = false) {
        self.sql = sql
        self.params = params
        self.plannedEachCall = plannedEachCall
    }
}

/// A call of one SQL function with typed arguments, to be placed inside a larger statement
/// whose earlier parameters it follows (`sql(firstParameter:)`).
public struct SQLCall: Sendable {
    public struct Argument: Sendable {
        public let value: any PostgresBindable
        /// The SQL type the argument is cast to (`text`, `jsonb`, `text[]`, …), so the function
        /// is chosen by its declared signature.
        public let type: String

        public init(_ value: any PostgresBindable, _ type: String) {
            // jsonb keeps keys in an order of its own: a document cast to it is written unsorted.
            if type == "jsonb", let json = value as? JSON {
                self.value = JSONBText(json)
            } else {
                self.value = value
            }
            self.type = type
        }
    }

    public let function: String
    public let arguments: [Argument]

    public init(_ function: String, _ arguments: [Argument]) {
        self.function = function
        self.arguments = arguments
    }

    /// `function($n::type, …)` with parameters numbered from `firstParameter`.
    public func sql(firstParameter: Int) -> String {
        let list = arguments.enumerated().map { i, a in "$\(firstParameter + i)::\(a.type)" }.joined(separator: ", ")
        return "\(function)(\(list))"
    }

    public var params: [any PostgresBindable] { arguments.map(\.value) }

    /// The call as a statement of its own: `SELECT function(…) AS result`.
    public var statement: Statement { Statement("SELECT \(sql(firstParameter: 1)) AS result", params) }
}
