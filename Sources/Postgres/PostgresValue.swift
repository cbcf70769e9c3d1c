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
    public var postgresText: String? {
        "{" + items.map { item in
            "\"" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

/// One SQL statement with its bound parameters, for `Connection.pipeline`.
public struct Statement: Sendable {
    public let sql: String
    public let params: [any PostgresBindable]

    public init(_ sql: String, _ params: [any PostgresBindable] = []) {
        self.sql = sql
        self.params = params
    }
}
