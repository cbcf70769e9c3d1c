import Core

/// Who may call a method, for documentation and the first authorization check.
public enum Access: Sendable, Equatable {
    case anyone
    case roles([String])

    public var text: String {
        switch self {
        case .anyone: return "anyone"
        case .roles(let r): return r.joined(separator: ", ")
        }
    }
}

/// A worked call published with a method (OpenRPC `examples`): params as a front end sends them
/// and the result it gets back.
public struct MethodExample: Sendable {
    public let name: String
    public let params: [String: JSON]
    public let result: JSON

    public init(_ name: String, params: [String: JSON], result: JSON) {
        self.name = name
        self.params = params
        self.result = result
    }
}

/// An earlier name a method still answers to for one release, so callers can move to the new
/// one; published under the method's `x-aliases`, never as a method of its own (a generator
/// would then produce the identifier the rename avoids).
public struct MethodAlias: Sendable {
    public let name: String
    /// The first release that no longer answers to it.
    public let removedIn: String

    public init(_ name: String, removedIn: String) {
        self.name = name
        self.removedIn = removedIn
    }
}

/// One entry of the registry: its name, its declared params (checked before the handler runs),
/// its result schema, the application errors it may return, and the handler.
public struct MethodSpec {
    public let name: String
    public let summary: String
    public let access: Access
    public let mutating: Bool
    public let params: [Schema.Field]
    public let result: Schema
    public let errors: [AppError]
    /// Rules over several params (`ParamRule`), checked after the schema and published.
    public let paramRules: [ParamRule]
    public let aliases: [MethodAlias]
    public let examples: [MethodExample]
    /// Runs before the params are checked against the schema (the actor check, whose failure
    /// is an application error rather than invalid params) and returns the params to check and
    /// run: those given, or those with the actor that a pinned meetingd fills in.
    public let preflight: ([String: JSON]) throws -> [String: JSON]
    public let handler: (Params) throws -> JSON

    public init(
        name: String, summary: String, access: Access, mutating: Bool, params: [Schema.Field], result: Schema,
        errors: [AppError] = [], paramRules: [ParamRule] = [], aliases: [MethodAlias] = [], examples: [MethodExample] = [],
        preflight: @escaping ([String: JSON]) throws -> [String: JSON] = { $0 }, handler: @escaping (Params) throws -> JSON
    ) {
        self.name = name
        self.summary = summary
        self.access = access
        self.mutating = mutating
        self.params = params
        self.result = result
        self.errors = errors
        self.paramRules = paramRules
        self.aliases = aliases
        self.examples = examples
        self.preflight = preflight
        self.handler = handler
    }

    public var paramsSchema: Schema { .object(params) }
}

/// Validated params with typed accessors. Every accessor throws -32602 naming the field
/// rather than trapping, so a handler can never crash on input.
public struct Params: Sendable {
    public let fields: [String: JSON]
    public let method: String

    public init(fields: [String: JSON], method: String) {
        self.fields = fields
        self.method = method
    }

    public func has(_ key: String) -> Bool {
        if let v = fields[key], !v.isNull { return true }
        return false
    }

    public subscript(key: String) -> JSON? {
        guard let v = fields[key], !v.isNull else { return nil }
        return v
    }

    public func string(_ key: String) throws -> String {
        guard let s = self[key]?.stringValue else { throw AppError.invalidParams(field: key, reason: "is required") }
        return s
    }

    public func optionalString(_ key: String) -> String? { self[key]?.stringValue }

    public func int(_ key: String) throws -> Int64 {
        guard let i = self[key]?.intValue else { throw AppError.invalidParams(field: key, reason: "is required") }
        return i
    }

    public func optionalInt(_ key: String) -> Int64? { self[key]?.intValue }

    public func bool(_ key: String, default value: Bool = false) -> Bool { self[key]?.boolValue ?? value }

    public func instant(_ key: String) throws -> Instant {
        let text = try string(key)
        do { return try Instant(rfc3339: text) } catch {
            throw AppError.invalidParams(field: key, reason: "must be an RFC 3339 time with an offset (\(error))")
        }
    }

    public func optionalInstant(_ key: String) throws -> Instant? {
        guard has(key) else { return nil }
        return try instant(key)
    }

    /// `from` and `to`, each optional; both given, `to` must come after `from` (a window that
    /// holds nothing is a mistake to say, not an empty answer).
    public func optionalWindow() throws -> (from: Instant?, to: Instant?) {
        let (from, to) = (try optionalInstant("from"), try optionalInstant("to"))
        if let from, let to, to <= from {
            throw AppError.invalidParams(field: "to", reason: "must be after from (\(from.rfc3339)), got \(to.rfc3339)")
        }
        return (from, to)
    }

    public func stringList(_ key: String) -> [String] {
        (self[key]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
