import Core
import Meetings

/// `student.link` (seed 003): a customer (a parent) acts for a student, booking their meetings
/// paid from the customer's wallet. Both are users, and they are two people: a user books for
/// themself without a student. Pure: the caller reads both people and writes the link.
public enum StudentLinkRule {
    /// What linking does: a new link, or nothing (the pair is linked already, the link as made).
    public enum Outcome: Sendable, Equatable { case link, linkedAlready }

    /// Decides a link of `customerId` to `studentId`, the refusals in the order a caller fixes
    /// them: the pair, then the customer, then the student (nil: no such person), then the link
    /// the other way (`reversed`: the student acts for the customer already; one of two people
    /// acts for the other, not both, or each would book on the other's wallet). A pair `linked`
    /// already stays as it is, whatever else was linked before this rule.
    public static func decide(
        customerId: String, studentId: String, customer: PersonFacts?, student: PersonFacts?, linked: Bool, reversed: Bool
    ) throws -> Outcome {
        guard customerId != studentId else {
            throw AppError.invalidParams(field: "student_id", reason: "must be someone other than the customer: a user books for themself without student_id")
        }
        guard let customer else { throw AppError.notFound("person", customerId) }
        _ = try customer.requiring(.user, field: "customer_id")
        guard let student else { throw AppError.notFound("person", studentId) }
        _ = try student.requiring(.user, field: "student_id")
        if linked { return .linkedAlready }
        guard !reversed else { throw reversedRefusal }
        return .link
    }

    /// The refusal of a link whose reverse exists (also when the database's index finds it, made
    /// by another writer meanwhile).
    public static let reversedRefusal = AppError.invalidParams(
        field: "student_id",
        reason: "acts for this customer already (a link the other way): one of two people acts for the other, not both ways; end that link first (student.unlink; meetctl student link --remove) if it was a mistake")
}
