import Core
import Meetings

/// Who may be certified in a service (seed 002, "Tutors CSV: Certifying Providers in their
/// Services"): any expert in a generic service; in an expert-specific service only its own
/// expert, who holds it already by owning it. One rule for `service.certify`,
/// `service.decertify` and the certifications import.
public enum CertificationRule {
    public enum Outcome: Equatable, Sendable {
        /// A certification row is written (or already exists).
        case record
        /// The expert owns the expert-specific service: certified by ownership, nothing to write.
        case holdsByOwnership
    }

    /// What certifying `expert` in `service` means, or why it is refused.
    public static func certify(_ expert: PersonFacts, in service: ServiceFacts, ownerName: String?) throws -> Outcome {
        try expert.requiring(.expert, field: "expert_id")
        switch service.kind {
        case .generic:
            return .record
        case .expertSpecific where service.expertId == expert.id:
            return .holdsByOwnership
        case .expertSpecific:
            throw AppError.invalidParams(
                field: "service_id",
                reason: "is \(ownerName ?? "another expert")'s own service (expert_specific): only they are certified in it; "
                    + "certify \(expert.fullName) in a generic service or in their own")
        }
    }

    /// Whether a certification may be removed: an expert-specific service always belongs to its
    /// expert.
    public static func decertify(_ expertId: String, from service: ServiceFacts) throws {
        guard service.kind == .expertSpecific, service.expertId == expertId else { return }
        throw AppError.invalidParams(
            field: "service_id",
            reason: "is the expert's own service (expert_specific): its expert stays certified in it as long as the service exists")
    }
}
