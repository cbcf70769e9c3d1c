/// A JSON value. Integers are kept apart from other numbers so that credits and counts never
/// pass through floating point; any other number keeps the exact text it was written with, so
/// it is written back unchanged (a request id of 12345678901234567890, 1.50 or -0).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number that is not an exact Int64, as its RFC 8259 lexeme.
    case number(String)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [String: JSON]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in error messages and schemas.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var fields: [String: JSON] = [:]
        for (k, v) in elements { fields[k] = v }
        self = .object(fields)
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    /// `.string` of the value, or `.null` when absent.
    public static func optional(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }
    public static func optional(_ i: Int64?) -> JSON { i.map { .int($0) } ?? .null }
    public static func int(_ i: Int) -> JSON { .int(Int64(i)) }
    /// A measured quantity (a duration); not finite is null.
    public static func decimal(_ d: Double) -> JSON { d.isFinite ? .number("\(d)") : .null }
}
