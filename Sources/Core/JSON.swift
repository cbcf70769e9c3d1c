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

    /// The whole number this value is: an integer, or a number written with a fraction or an
    /// exponent whose value is whole and fits (`5.0`, `1e1`, `250e-2` is not), as JSON Schema's
    /// "integer" counts it.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .number(let lexeme): return JSON.exactInteger(lexeme)
        default: return nil
        }
    }

    /// The longest number text read as a whole number: Int64 has 19 digits, and a text much
    /// longer than that (hundreds of thousands of zeros) is refused before any work on it.
    public static let maxIntegerLexemeLength = 64

    /// The value of a JSON number's text when it is a whole number within Int64, exactly (no
    /// binary floating point on the way); nil otherwise.
    static func exactInteger(_ lexeme: String) -> Int64? {
        guard lexeme.utf8.count <= maxIntegerLexemeLength else { return nil }
        var scalars = Substring(lexeme).unicodeScalars[...]
        let negative = scalars.first == "-"
        if negative { scalars = scalars.dropFirst() }
        var digits: [UInt8] = []
        var fractionDigits = 0, seenPoint = false
        while let s = scalars.first, s != "e" && s != "E" {
            scalars = scalars.dropFirst()
            if s == "." { seenPoint = true; continue }
            guard s.value >= 48 && s.value <= 57 else { return nil }
            digits.append(UInt8(s.value - 48))
            if seenPoint { fractionDigits += 1 }
        }
        var exponent = 0
        if !scalars.isEmpty {
            scalars = scalars.dropFirst()
            let sign = scalars.first == "-" ? -1 : 1
            if scalars.first == "-" || scalars.first == "+" { scalars = scalars.dropFirst() }
            guard !scalars.isEmpty, scalars.allSatisfy({ $0.value >= 48 && $0.value <= 57 }) else { return nil }
            let digitsOnly = String(String.UnicodeScalarView(scalars.drop { $0 == "0" }))
            guard digitsOnly.count <= 6 else { return nil }
            exponent = sign * (Int(digitsOnly) ?? 0)
        }
        exponent -= fractionDigits
        while digits.first == 0 { digits.removeFirst() }
        if digits.isEmpty { return 0 }
        while exponent < 0 {
            guard digits.last == 0 else { return nil }
            digits.removeLast()
            exponent += 1
        }
        guard digits.count + exponent <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for d in digits + [UInt8](repeating: 0, count: exponent) {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            magnitude = sum
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
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
