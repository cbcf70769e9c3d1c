import Core
import Meetings

/// `person.unsuspend`: an admin lifts a no-show suspension before its end. Pure: the caller
/// reads the person, the notices of their suspensions and who books for them, and writes what
/// this decides.
public enum SuspensionLift {
    /// The words a notice of a suspension or its lift is in: to one who books (`user`: the
    /// person who booked the missed meeting, or a customer told of their student) or to a
    /// student booked for (`student`).
    public enum Reader: String, Sendable {
        case user, student
    }

    /// One notice of the lift: the person, in the words of their side, or a customer told of
    /// their student by name.
    public struct Notice: Sendable, Equatable {
        public var recipientId: String
        public var reader: Reader
        /// The student the customer books for; nil for the person themself.
        public var student: PersonFacts?

        public init(recipientId: String, reader: Reader, student: PersonFacts?) {
            self.recipientId = recipientId
            self.reader = reader
            self.student = student
        }
    }

    /// One notice of a suspension, as it was told: to whom and in which words.
    public struct Told: Sendable, Equatable {
        public var recipientId: String
        public var reader: Reader

        public init(recipientId: String, reader: Reader) {
            self.recipientId = recipientId
            self.reader = reader
        }
    }

    /// The notices of lifting the person's suspension, nil when none runs at `now` (nothing to
    /// lift: the person is answered unchanged). `told`: the notices of the suspensions still
    /// running since their last lift; `customerIds`: who books for them now. The person is
    /// always told, once: as one who books where any of those told them so (they missed a
    /// meeting they booked), as a student where they were told only so, and, with no notice
    /// known, as a student where customers book for them, else as one who books. Each customer
    /// told of the student, and still booking for them, is told of the lift once, by the
    /// student's name; a customer never told, or no longer linked, is not.
    public static func notices(person: PersonFacts, told: [Told], customerIds: [String], now: Instant) -> [Notice]? {
        guard let until = person.suspendedUntil, until > now else { return nil }
        let own = told.filter { $0.recipientId == person.id }.map(\.reader)
        let reader: Reader = own.contains(.user) ? .user : own.contains(.student) ? .student : customerIds.isEmpty ? .user : .student
        let customers = told.map(\.recipientId).filter { $0 != person.id && customerIds.contains($0) }.uniqued()
        return [Notice(recipientId: person.id, reader: reader, student: nil)]
            + customers.map { Notice(recipientId: $0, reader: .user, student: person) }
    }
}
