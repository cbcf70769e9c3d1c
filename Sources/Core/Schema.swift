
/// The declared shape of a value. One description serves two jobs: validating params before
/// a handler runs, and producing the JSON Schema that `rpc.discover` publishes.
public indirect enum Schema: Sendable {
    case string(StringRule)
    /// A whole number in `min...max`, a multiple of `step` (`multipleOf` where it is not 1).
    case integer(min: Int64, max: Int64, step: Int64 = 1)
    case boolean
    case object(fields: [Field], additionalProperties: Bool)
    case array(of: Schema, minItems: Int, maxItems: Int?)
    /// An object whose members are not fixed (a message's payload, a published document).
    case openObject(description: String)
    case nullable(Schema)
    /// Any value of the inner schema but one (`credits.adjust` moves no credits of 0).
    case excluding(JSON, Schema)
    /// A shared shape (a meeting, a transfer): published once under `components.schemas` and
    /// referred to by `$ref` wherever it appears.
    case named(String, Schema)

    public struct Field: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool
        public let description: String

        public init(_ name: String, _ schema: Schema, required: Bool = false, _ description: String = "") {
            self.name = name
            self.schema = schema
            self.required = required
            self.description = description
        }
    }

    public enum StringFormat: Sendable {
        case plain
        case id(IdKind)
        case timestamp
        case enumeration([String])
        case email
        case timeOfDay
        case date
        /// A calendar month `YYYY-MM`, 0001-01 … 9999-12.
        case month
        /// One line of a person's text that others see as it is (a person's name): no control
        /// characters, line breaks or reordering marks.
        case line
        /// A name (of a person, service, skill or place): one line, and no mark that shows
        /// nothing where it stands (`HiddenMarks`), which would make one name pass for another.
        case name
        /// A web address a person's screen opens (`WebAddress`): https and nothing else.
        case https(example: String)
    }

    public struct StringRule: Sendable {
        public var minLength: Int
        public var maxLength: Int?
        public var format: StringFormat
    }

    // MARK: Builders

    public static func text(min: Int = 0, max: Int? = nil) -> Schema { .string(StringRule(minLength: min, maxLength: max, format: .plain)) }
    /// Text as given on one line (`StringFormat.line`): a label, a question, a short name.
    public static func line(min: Int = 0, max: Int? = nil) -> Schema { .string(StringRule(minLength: min, maxLength: max, format: .line)) }
    public static var name: Schema { .string(StringRule(minLength: 1, maxLength: Limits.standard.maxNameLength, format: .plain)) }
    /// A name as given — a person's first or last name, a service's, a skill's, a location's: one
    /// line (`StringFormat.line`). Names read back are `name`: stored text is shown escaped
    /// wherever it goes, whatever it holds.
    public static var givenName: Schema { .string(StringRule(minLength: 1, maxLength: Limits.standard.maxNameLength, format: .name)) }
    public static func id(_ kind: IdKind) -> Schema { .string(StringRule(minLength: 1, maxLength: 100, format: .id(kind))) }
    public static var timestamp: Schema { .string(StringRule(minLength: 1, maxLength: 64, format: .timestamp)) }
    public static var email: Schema { .string(StringRule(minLength: 3, maxLength: 200, format: .email)) }
    /// An https:// address (`WebAddress`), `example` shown to a caller who sent another.
    public static func https(min: Int = 8, max: Int, example: String) -> Schema {
        .string(StringRule(minLength: min, maxLength: max, format: .https(example: example)))
    }
    public static var timeOfDay: Schema { .string(StringRule(minLength: 5, maxLength: 5, format: .timeOfDay)) }
    public static var date: Schema { .string(StringRule(minLength: 10, maxLength: 10, format: .date)) }
    public static var month: Schema { .string(StringRule(minLength: 7, maxLength: 7, format: .month)) }
    /// Why a value is no `month`.
    public static let notAMonth = "must be a month YYYY-MM (0001-01 … 9999-12)"
    public static func oneOf(_ values: [String]) -> Schema { .string(StringRule(minLength: 1, maxLength: 200, format: .enumeration(values))) }
    public static var credits: Schema { .integer(min: 0, max: Limits.standard.maxCredits) }
    public static var positiveCredits: Schema { .integer(min: 1, max: Limits.standard.maxCredits) }
    public static func list(_ item: Schema, min: Int = 0, max: Int? = nil) -> Schema {
        .array(of: item, minItems: min, maxItems: max ?? Limits.standard.maxListItems)
    }
    public static func object(_ fields: [Field], additional: Bool = false) -> Schema { .object(fields: fields, additionalProperties: additional) }
}

// MARK: Validation

extension Schema {
    /// The most of an unknown param's name an error echoes (JSON-RPC's unknown members too).
    public static let echoedNameCharacters = 50

    /// Checks `value` against the schema, naming the offending field (`rules[2].start`) in the
    /// -32602 error. `limits` caps strings and lists beyond what each field declares.
    /// `value` (valid for this schema) as one text per meaning: a time as its instant in UTC
    /// (`11:00+01:00` and `10:00Z` are one time), a whole number written `5.0` as `5`. What
    /// idempotency compares, so a retry that writes the same request differently is the same
    /// request. A value already in that form is returned as it is.
    public func canonical(_ value: JSON) -> JSON {
        switch (self, value) {
        case (.named(_, let inner), _): return inner.canonical(value)
        case (.nullable(let inner), _): return value.isNull ? value : inner.canonical(value)
        case (.excluding(_, let inner), _): return inner.canonical(value)
        case (.string(let rule), .string(let text)):
            guard case .timestamp = rule.format, let instant = try? Instant(rfc3339: text) else { return value }
            return .string(instant.rfc3339)
        case (.integer, .number): return value.intValue.map(JSON.int) ?? value
        case (.array(let item, _, _), .array(let items)): return .array(items.map(item.canonical))
        case (.object(let fields, _), .object(var members)):
            for field in fields { if let member = members[field.name] { members[field.name] = field.schema.canonical(member) } }
            return .object(members)
        default: return value
        }
    }

    public func validate(_ value: JSON, path: String, limits: Limits) throws {
        func fail(_ reason: String) -> AppError { AppError.invalidParams(field: path, reason: reason) }
        switch self {
        case .nullable(let inner):
            if value.isNull { return }
            try inner.validate(value, path: path, limits: limits)
        case .named(_, let inner):
            try inner.validate(value, path: path, limits: limits)
        case .excluding(let excluded, let inner):
            try inner.validate(value, path: path, limits: limits)
            guard inner.canonical(value) != excluded else { throw fail("must not be \(excluded.serialized())") }
        case .openObject:
            guard case .object = value else { throw fail("must be an object, not \(value.typeName)") }
        case .boolean:
            guard case .bool = value else { throw fail("must be a boolean, not \(value.typeName)") }
        case .integer(let min, let max, let step):
            guard let i = value.intValue else {
                if case .number(let lexeme) = value {
                    if lexeme.utf8.count > JSON.maxIntegerLexemeLength {
                        throw fail("is a number written with \(lexeme.utf8.count) characters; write a whole number between \(min) and \(max) with at most \(JSON.maxIntegerLexemeLength) (5, 5.0 or 5e0)")
                    }
                    throw fail("must be a whole number between \(min) and \(max)")
                }
                throw fail("must be an integer, not \(value.typeName)")
            }
            guard i >= min, i <= max else { throw fail("must be between \(min) and \(max), got \(i)") }
            guard i % step == 0 else {
                let below = i - ((i % step) + step) % step
                throw fail("must be a multiple of \(step), got \(i) (the nearest are \(below) and \(below + step))")
            }
        case .string(let rule):
            guard case .string(let s) = value else { throw fail("must be a string, not \(value.typeName)") }
            // Unicode scalars, as PostgreSQL's char_length and JSON Schema's maxLength count: a
            // count of Characters would let one Character of thousands of combining marks (or
            // "\r\n", one Character) through a limit the database then refuses.
            let length = s.unicodeScalars.count
            // The configured limit caps ordinary strings; a field declared larger than the standard
            // limit (a whole CSV file) keeps its own bound, which the message size limit also caps.
            let maxLength = Schema.maxLength(declared: rule.maxLength ?? limits.maxStringLength, limits)
            guard length >= rule.minLength else {
                // A time, date or id too short to be one is told what one looks like.
                if rule.format.hasShape { try rule.format.check(s, fail: fail) }
                throw fail(rule.minLength == 1 ? "must not be empty" : "must have at least \(rule.minLength) characters")
            }
            guard length <= maxLength else {
                // As one too short: a time, date or id a little too long ("2030-03-27 13:00" for
                // a date) is told what one looks like, not only its length.
                if rule.format.hasShape, length <= 4 * maxLength { try rule.format.check(s, fail: fail) }
                throw fail("must have at most \(maxLength) characters, got \(length)")
            }
            guard !s.unicodeScalars.contains(where: { $0.value == 0 }) else { throw fail("must not contain NUL characters") }
            try rule.format.check(s, fail: fail)
        case .array(let item, let minItems, let maxItems):
            guard case .array(let items) = value else { throw fail("must be an array, not \(value.typeName)") }
            let cap = Schema.maxItems(declared: maxItems ?? limits.maxListItems, limits)
            guard items.count >= minItems else { throw fail("must have at least \(minItems) \(minItems == 1 ? "item" : "items")") }
            guard items.count <= cap else { throw fail("must have at most \(cap) items, got \(items.count)") }
            for (i, element) in items.enumerated() { try item.validate(element, path: "\(path)[\(i)]", limits: limits) }
        case .object(let fields, let additional):
            guard case .object(let given) = value else { throw fail("must be an object, not \(value.typeName)") }
            let prefix = path.isEmpty ? "" : path + "."
            for field in fields {
                guard let v = given[field.name] else {
                    if field.required { throw AppError.invalidParams(field: prefix + field.name, reason: "is required") }
                    continue
                }
                // null is a value: allowed where the field's schema is nullable, never a way to
                // leave a field out (an `expected_version: null` would skip its check).
                if v.isNull, case .nullable = field.schema { continue }
                try field.schema.validate(v, path: prefix + field.name, limits: limits)
            }
            if !additional {
                let known = Set(fields.map(\.name))
                if let unknown = given.keys.sorted().first(where: { !known.contains($0) }) {
                    let listed = fields.isEmpty ? "none is taken here" : "known: " + fields.map(\.name).joined(separator: ", ")
                    // A name may be as long as the message: echoed cut, as a method name is.
                    let name = unknown.cut(toCharacters: Schema.echoedNameCharacters)
                    let cutNote = name == unknown ? "" : "; its name is cut here (to at most \(Schema.echoedNameCharacters) characters and \(Schema.echoedNameCharacters * 4) bytes)"
                    throw AppError.invalidParams(field: prefix + name, reason: "is not a known parameter (\(listed))\(cutNote)")
                }
            }
        }
    }
}

extension Schema.StringFormat {
    /// A format whose own message says the shape a value must have (a time, a date, an id).
    var hasShape: Bool {
        switch self {
        case .id, .timestamp, .timeOfDay, .date, .month: return true
        case .plain, .enumeration, .email, .line, .name, .https: return false
        }
    }

    func check(_ s: String, fail: (String) -> AppError) throws {
        switch self {
        case .plain: return
        case .id(let kind):
            guard Identifier.isValid(s, kind: kind) else { throw fail("must be an id: \(kind.rawValue)_ followed by 32 lowercase hexadecimal digits") }
        case .timestamp:
            do { _ = try Instant(rfc3339: s) } catch {
                throw fail("must be an RFC 3339 time with an offset, like 2026-03-08T09:00:00-05:00 (\(error))")
            }
        case .enumeration(let values):
            guard values.contains(s) else { throw fail("must be one of \(values.joined(separator: ", "))") }
        case .email:
            if let refusal = EmailAddress.refusal(s) { throw fail(refusal) }
        case .timeOfDay:
            guard LocalTimeOfDay(s) != nil else { throw fail("must be a local time HH:MM between 00:00 and 24:00") }
        case .date:
            guard LocalDate(s) != nil else { throw fail("must be a date YYYY-MM-DD") }
        case .month:
            let b = Array(s.utf8), digit = { (i: Int) in b[i] >= 0x30 && b[i] <= 0x39 }
            guard b.count == 7, b[4] == UInt8(ascii: "-"), [0, 1, 2, 3, 5, 6].allSatisfy(digit), s.prefix(4) != "0000",
                let month = Int(s.suffix(2)), (1...12).contains(month)
            else { throw fail(Schema.notAMonth) }
        case .https(let example):
            do { _ = try WebAddress.https(s, field: "", maxCharacters: Int.max, example: example) } catch let refused as AppError {
                throw fail(refused.details["reason"]?.stringValue ?? WebAddress.description)
            }
        case .line, .name:
            if let bad = s.unicodeScalars.first(where: \.breaksALine) {
                throw fail("must be one line without control characters or reordering marks (found \(bad.codePoint))")
            }
            if case .name = self, let hidden = HiddenMarks.first(in: s) {
                throw fail(NameRule.hiddenMarkReason(hidden))
            }
        }
    }
}

// MARK: JSON Schema output

extension Schema {
    /// `StringFormat.line` as a JSON Schema pattern (ECMA-262 and Python `re` alike).
    static let linePattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u200e\\u200f\\u061c\\u202a-\\u202e\\u2066-\\u2069]*$"

    /// What every string without a pattern of its own says it holds: no NUL (U+0000), which the
    /// service refuses in any text (PostgreSQL's text cannot hold it). Patterns of the other
    /// formats refuse NUL themselves.
    static let noNULPattern = "^[^\\x00]*$"

    /// A published schema with a field's description: the field's words first, then what the
    /// schema's own rule says (an e-mail address's), so neither is lost.
    static func described(_ schema: JSON, _ description: String) -> JSON {
        guard !description.isEmpty, case .object(var o) = schema else { return schema }
        o["description"] = .string([description, o["description"]?.stringValue].compactMap { $0 }.joined(separator: ". "))
        return .object(o)
    }

    /// Where a named schema is published in the OpenRPC document.
    public static func reference(_ name: String) -> String { "#/components/schemas/\(name)" }

    /// The JSON Schema `type` of the values this schema accepts (null aside).
    var jsonType: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .boolean: return "boolean"
        case .object, .openObject: return "object"
        case .array: return "array"
        case .nullable(let inner), .named(_, let inner), .excluding(_, let inner): return inner.jsonType
        }
    }

    /// The most characters a string declared with `declared` may have under `limits`: the
    /// configured limit caps ordinary strings; a field declared larger than the standard limit
    /// (a whole CSV file) keeps its own bound, which the message size limit also caps.
    static func maxLength(declared: Int, _ limits: Limits) -> Int {
        declared > Limits.standard.maxStringLength ? declared : Swift.min(declared, limits.maxStringLength)
    }

    /// The most items a list declared with `declared` may have under `limits`, as for strings: a
    /// list declared larger than the standard limit (an import's every row) keeps its own bound.
    static func maxItems(declared: Int, _ limits: Limits) -> Int {
        declared > Limits.standard.maxListItems ? declared : Swift.min(declared, limits.maxListItems)
    }

    /// The schema as JSON Schema (draft-07) under the standard limits.
    public var jsonSchema: JSON { jsonSchema(limits: .standard) }

    /// The schema as JSON Schema (draft-07), its declared bounds as `limits` make them (what
    /// `validate` enforces): every schema has a `type` or a `$ref`, a named one is a `$ref` to
    /// its entry in `namedSchemas`.
    public func jsonSchema(limits: Limits) -> JSON {
        switch self {
        case .named(let name, _):
            return ["$ref": .string(Schema.reference(name))]
        case .nullable(let inner):
            let typeOrNull: JSON = [.string(inner.jsonType), "null"]
            if case .named = inner { return ["type": typeOrNull, "oneOf": [inner.jsonSchema(limits: limits), ["type": "null"]]] }
            guard case .object(var out) = inner.jsonSchema(limits: limits) else { return inner.jsonSchema(limits: limits) }
            out["type"] = typeOrNull
            if case .array(let values)? = out["enum"] { out["enum"] = .array(values + [.null]) }
            return .object(out)
        case .excluding(let excluded, let inner):
            guard case .object(var out) = inner.jsonSchema(limits: limits) else { return inner.jsonSchema(limits: limits) }
            out["not"] = ["const": excluded]
            return .object(out)
        case .openObject(let description):
            return ["type": "object", "additionalProperties": true, "description": .string(description)]
        case .boolean:
            return ["type": "boolean"]
        case .integer(let min, let max, let step):
            var out: [String: JSON] = ["type": "integer", "minimum": .int(min), "maximum": .int(max)]
            if step != 1 { out["multipleOf"] = .int(step) }
            return .object(out)
        case .string(let rule):
            var out: [String: JSON] = ["type": "string", "minLength": .int(Int64(rule.minLength))]
            if let max = rule.maxLength { out["maxLength"] = .int(Int64(Schema.maxLength(declared: max, limits))) }
            switch rule.format {
            case .plain: break
            case .id(let kind): out["pattern"] = .string("^\(kind.rawValue)_[0-9a-f]{32}$")
            // RFC 3339 allows a leap second (:60), which no time here can be: the pattern says so.
            case .timestamp: out["format"] = "date-time"; out["pattern"] = "^.{17}[0-5]"
            case .enumeration(let values): out["enum"] = .array(values.map { .string($0) })
            case .email:
                // Not `format: email`: RFC 5322's addresses, which some validators check, are not
                // the ones taken here (a quoted local part, a bare host).
                out["pattern"] = .string(EmailAddress.pattern)
                out["description"] = .string(EmailAddress.description)
            case .https:
                out["pattern"] = .string(WebAddress.pattern)
                out["description"] = .string(WebAddress.description)
            case .timeOfDay: out["pattern"] = "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
            case .date: out["format"] = "date"
            case .month: out["pattern"] = "^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"
            case .line, .name: out["pattern"] = .string(Schema.linePattern)
            }
            if out["pattern"] == nil, out["enum"] == nil { out["pattern"] = .string(Schema.noNULPattern) }
            return .object(out)
        case .array(let item, let minItems, let maxItems):
            var out: [String: JSON] = ["type": "array", "items": item.jsonSchema(limits: limits), "minItems": .int(Int64(minItems))]
            if let maxItems { out["maxItems"] = .int(Int64(Schema.maxItems(declared: maxItems, limits))) }
            return .object(out)
        case .object(let fields, let additional):
            var properties: [String: JSON] = [:]
            for f in fields {
                properties[f.name] = Schema.described(f.schema.jsonSchema(limits: limits), f.description)
            }
            var out: [String: JSON] = [
                "type": "object", "properties": .object(properties), "additionalProperties": .bool(additional),
            ]
            let required = fields.filter(\.required).map { JSON.string($0.name) }
            if !required.isEmpty { out["required"] = .array(required) }
            return .object(out)
        }
    }

    /// Every named schema this one refers to, at any depth, with the JSON Schema it is published
    /// as. One name stands for one shape: a name used for two different shapes is a mistake in
    /// the registry, reported as a conflict.
    public func collectNamedSchemas(into found: inout [String: JSON], conflicts: inout Set<String>) {
        switch self {
        case .named(let name, let inner):
            let published = inner.jsonSchema
            if let existing = found[name] {
                if existing != published { conflicts.insert(name) }
                return
            }
            found[name] = published
            inner.collectNamedSchemas(into: &found, conflicts: &conflicts)
        case .nullable(let inner), .array(let inner, _, _), .excluding(_, let inner):
            inner.collectNamedSchemas(into: &found, conflicts: &conflicts)
        case .object(let fields, _):
            for f in fields { f.schema.collectNamedSchemas(into: &found, conflicts: &conflicts) }
        case .string, .integer, .boolean, .openObject:
            return
        }
    }
}
