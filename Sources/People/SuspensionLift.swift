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

    /// One notice of the suspension itself, as it was told: to whom, in which words, and of
    /// which student (nil: the person themself).
    public struct Told: Sendable, Equatable {
        public var recipientId: String
        public var recipientRole: String
        public var studentId: String?

        public init(recipientId: String, recipientRole: String, studentId: String?) {
            self.recipientId = recipientId
            self.recipientRole = recipientRole
            self.studentId = studentId
        }
    }

    /// The notices of lifting the person's suspension: to whom the suspension was told, in the
    /// same words (a customer who booked for the student of their student by name), or, where
    /// no notice of it is known, to the person; nil when no suspension runs at `now` (nothing
    /// to lift: the person is answered unchanged).
    public static func notices(person: PersonFacts, told: [Told], now: Instant) -> [Notice]? {
        guard let until = person.suspendedUntil, until > now else { return nil }
        guard !told.isEmpty else { return [Notice(recipientId: person.id, recipientRole: "user", student: nil)] }
        return told.map { t in
            Notice(recipientId: t.recipientId, recipientRole: t.recipientRole, student: t.recipientId == person.id ? nil : person)
        }
    }
}
