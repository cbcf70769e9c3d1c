import Core
import Postgres

/// Reads fields of a JSON document the database built (a row as `to_jsonb`, a context), with
/// errors that name the field instead of traps.
public struct StoredJSON: Sendable {
    public let value: JSON
    let path: String

    public init(_ value: JSON, path: String = "") {
        self.value = value
        self.path = path
    }

    func fail(_ key: String, _ what: String) -> PostgresError {
        PostgresError(code: .decoding, message: "\(path.isEmpty ? "" : path + ".")\(key) \(what)")
    }

    public func has(_ key: String) -> Bool { value[key].map { !$0.isNull } ?? false }

    public func field(_ key: String) -> StoredJSON? {
        guard let v = value[key], !v.isNull else { return nil }
        return StoredJSON(v, path: path.isEmpty ? key : path + "." + key)
    }

    public func string(_ key: String) throws -> String {
        guard let s = value[key]?.stringValue else { throw fail(key, "is not a string") }
        return s
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let v = value[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw fail(key, "is not a string") }
        return s
    }

    public func int(_ key: String) throws -> Int64 {
        guard let i = value[key]?.intValue else { throw fail(key, "is not an integer") }
        return i
    }

    public func optionalInt(_ key: String) throws -> Int64? {
        guard let v = value[key], !v.isNull else { return nil }
        guard let i = v.intValue else { throw fail(key, "is not an integer") }
        return i
    }

    public func bool(_ key: String) throws -> Bool {
        guard let b = value[key]?.boolValue else { throw fail(key, "is not a boolean") }
        return b
    }

    public func instant(_ key: String) throws -> Instant {
        guard let text = value[key]?.stringValue, let instant = try? Instant(lenient: text) else { throw fail(key, "is not a time") }
        return instant
    }

    public func optionalInstant(_ key: String) throws -> Instant? {
        guard let v = value[key], !v.isNull else { return nil }
        return try instant(key)
    }

    public func strings(_ key: String) throws -> [String] {
        guard let v = value[key], !v.isNull else { return [] }
        guard let items = v.arrayValue else { throw fail(key, "is not a list") }
        return try items.map { item in
            guard let s = item.stringValue else { throw fail(key, "holds a non-string") }
            return s
        }
    }

    /// The document itself as a list (a function that returns one).
    public func elements() throws -> [StoredJSON] {
        guard let items = value.arrayValue else { throw PostgresError(code: .decoding, message: "\(path.isEmpty ? "the document" : path) is not a list") }
        return items.enumerated().map { i, item in StoredJSON(item, path: "\(path)[\(i)]") }
    }

    public func list(_ key: String) throws -> [StoredJSON] {
        guard let v = value[key], !v.isNull else { return [] }
        guard let items = v.arrayValue else { throw fail(key, "is not a list") }
        return items.enumerated().map { i, item in StoredJSON(item, path: "\(path.isEmpty ? key : path + "." + key)[\(i)]") }
    }
}
