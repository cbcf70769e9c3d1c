import Core

#if canImport(Glibc)
    import Glibc
#endif

/// JSON lines on stderr: level, message, method, duration_ms, request id. Never params, so
/// never secrets.
public struct Logger: Sendable {
    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error
        var rank: Int {
            switch self {
            case .debug: 0
            case .info: 1
            case .warning: 2
            case .error: 3
            }
        }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    public let minimum: Level

    public init(minimum: Level) { self.minimum = minimum }

    /// The request a line is logged while handling: its method and id.
    public struct RequestTag: Sendable {
        public let method: String
        public let id: JSON
    }

    /// The request being handled (on this thread or task), which every line logged while it
    /// runs names: a warning met deep inside a call (a lock timeout, a lost connection) is told
    /// with the call's method and id, so an operator can pair it with the call's own line.
    @TaskLocal public static var request: RequestTag?

    /// A request's id as the log shows it: as it was sent, unless its text passes 200
    /// characters (an id may be any JSON string or number), then its first 200 and "…".
    static func bounded(_ id: JSON) -> JSON {
        let text: String
        switch id {
        case .string(let s): text = s
        case .number(let lexeme): text = lexeme
        default: return id
        }
        guard text.unicodeScalars.count > 200 else { return id }
        return .string(String(String.UnicodeScalarView(text.unicodeScalars.prefix(200))) + "…")
    }

    public func log(_ level: Level, _ message: String, method: String? = nil, id: JSON? = nil, durationMs: Double? = nil, extra: [String: JSON] = [:]) {
        guard level >= minimum else { return }
        var fields = extra
        fields["ts"] = .string(SystemClock.now().rfc3339)
        fields["level"] = .string(level.rawValue)
        fields["message"] = .string(message.cut(toCharacters: 2000))
        if let method = method ?? Logger.request?.method { fields["method"] = .string(method.cut(toCharacters: 200)) }
        if let id = id ?? Logger.request?.id { fields["id"] = Logger.bounded(id) }
        if let durationMs { fields["duration_ms"] = .decimal((durationMs * 1000).rounded() / 1000) }
        let line = JSON.object(fields).serialized() + "\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
