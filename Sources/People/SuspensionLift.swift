import Core
import Meetings

/// `person.unsuspend`: an admin lifts a no-show suspension before its end. Pure: the caller
/// reads the person and the customers who book for them as their student, and writes what this
/// decides.
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

    /// The notices of lifting the person's suspension, told to everyone a suspension tells; nil
    /// when no suspension runs at `now` (nothing to lift: the person is answered unchanged).
    public static func notices(person: PersonFacts, customerIds: [String], now: Instant) -> [Notice]? {
        guard let until = person.suspendedUntil, until > now else { return nil }
        // A person customers book for reads "you can be booked" (as the suspension's notice told
        // them "you cannot be booked"); anyone else, "you can book".
        let ownRole = customerIds.isEmpty ? "user" : "student"
        return [Notice(recipientId: person.id, recipientRole: ownRole, student: nil)]
            + customerIds.filter { $0 != person.id }.map { Notice(recipientId: $0, recipientRole: "user", student: person) }
    }
}
