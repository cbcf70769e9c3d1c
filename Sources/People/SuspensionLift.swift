import Core
import Meetings

/// `person.unsuspend`: an admin lifts a no-show suspension before its end. Pure: the caller
/// reads the person and the notices their suspension was told in, and writes what this decides.
public enum SuspensionLift {
    /// One notice of the lift: the person, in the words of their side (a student is booked, a
    /// user books), or a customer told of their student by name.
    public struct Notice: Sendable, Equatable {
        public var recipientId: String
        /// `user` (the person who books, or a customer told of their student) or `student`.
        public var recipientRole: String
        /// The student the customer books for; nil for the person themself.
        public var student: PersonFacts?

        public init(recipientId: String, recipientRole: String, student: PersonFacts?) {
            self.recipientId = recipientId
            self.recipientRole = recipientRole
            self.student = student
        }
    }

    /// One notice of a suspension, as it was told: to whom and in which words (`user` or
    /// `student`).
    public struct Told: Sendable, Equatable {
        public var recipientId: String
        public var recipientRole: String

        public init(recipientId: String, recipientRole: String) {
            self.recipientId = recipientId
            self.recipientRole = recipientRole
        }
    }

    /// The notices of lifting the person's suspension, nil when none runs at `now` (nothing to
    /// lift: the person is answered unchanged). `told`: the notices of the suspensions since
    /// their last lift. The person is always told, once: as a user where any of those told them
    /// so (they booked a meeting they missed), as a student where they were told only so, and,
    /// with no notice known, as a student where customers book for them (`customerIds`), else
    /// as a user. Each customer told of the student is told of the lift, once, by the
    /// student's name; a customer never told is not.
    public static func notices(person: PersonFacts, told: [Told], customerIds: [String], now: Instant) -> [Notice]? {
        guard let until = person.suspendedUntil, until > now else { return nil }
        let own = told.filter { $0.recipientId == person.id }.map(\.recipientRole)
        let role = own.contains("user") ? "user" : own.contains("student") ? "student" : customerIds.isEmpty ? "user" : "student"
        let customers = told.filter { $0.recipientId != person.id }.map(\.recipientId).uniqued()
        return [Notice(recipientId: person.id, recipientRole: role, student: nil)]
            + customers.map { Notice(recipientId: $0, recipientRole: "user", student: person) }
    }
}
