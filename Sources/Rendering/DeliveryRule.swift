import Core

/// How the outbox's consumers deliver: a failed attempt is tried again after a doubling back-off,
/// and a message is set aside as dead after its last attempt. Pure: the caller reads the message
/// under its row's lock and writes what this decides.
public enum DeliveryRule {
    public static let maxAttempts: Int64 = 8
    public static let maxBackoffSeconds: Int64 = 3600

    /// Seconds to wait before the next attempt: doubling from 30 s, capped at an hour.
    public static func backoffSeconds(attempts: Int64) -> Int64 {
        min(maxBackoffSeconds, 30 << min(max(attempts - 1, 0), 7))
    }

    /// The back-off after each number of attempts made, 0 through `maxAttempts`.
    public static var backoffTable: [Int64] { (0...maxAttempts).map { backoffSeconds(attempts: $0) } }

    /// A message as a failure report finds it.
    public struct Leased: Sendable, Equatable {
        public var status: String
        public var owner: String?
        public var attempts: Int64

        public init(status: String, owner: String?, attempts: Int64) {
            self.status = status
            self.owner = owner
            self.attempts = attempts
        }
    }

    /// What a failure report makes of the message: dead (after its last attempt, from `now`) or
    /// pending again from `availableAt`.
    public struct Failure: Sendable, Equatable {
        public var dead: Bool
        public var availableAt: Instant

        public init(dead: Bool, availableAt: Instant) {
            self.dead = dead
            self.availableAt = availableAt
        }
    }

    /// A failure reported by `consumer` (nil: any) of a message leased as `message` is, the
    /// receiver having asked for `retryAfterSeconds` at least. Only a leased message fails, and
    /// a consumer whose lease ran out and went to another does not fail the other's delivery.
    public static func failure(of message: Leased, consumer: String?, retryAfterSeconds: Int64?, now: Instant) throws -> Failure {
        guard message.status == "leased" else {
            throw AppError(.invalidState, message: "Only a leased message can fail; claim it first", details: ["status": .string(message.status)])
        }
        if let consumer, message.owner != consumer {
            throw AppError(.invalidState, message: "The message is leased to another consumer; leave it to them", details: ["status": .string(message.status)])
        }
        if message.attempts >= maxAttempts { return Failure(dead: true, availableAt: now) }
        return Failure(dead: false, availableAt: now.adding(seconds: max(retryAfterSeconds ?? 0, backoffSeconds(attempts: message.attempts))))
    }
}
