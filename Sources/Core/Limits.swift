/// Bounds on everything a caller can send (SPEC §3.1) and make the process produce. Set once
/// at start-up.
public struct Limits: Sendable {
    public var maxMessageBytes = 1 << 20
    public var maxBatchEntries = 1000
    /// One call's answer, or one batch's: what passes it is answered with errors instead.
    public var maxAnswerBytes = 16 << 20
    /// How long a batch's entries are started for, from when its message was read: past it, an
    /// entry not started yet is not run (each entry is bounded by the session's timeouts).
    public var maxBatchSeconds = 60
    public var maxStringLength = 10_000
    public var maxNameLength = 200
    public var maxListItems = 1000
    public var maxCredits: Int64 = 1_000_000_000_000
    public var maxJSONDepth = 64

    public init() {}

    /// An idempotency key's longest, in characters (fixed: keys stored by one setting must
    /// still be taken by another).
    public static let idempotencyKeyCharacters = 200

    public static let standard = Limits()
}
