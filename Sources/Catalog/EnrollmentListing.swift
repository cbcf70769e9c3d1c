import Community
import Core

/// Who may list enrolments (seed 002, the "Courses > Enrollment tab"): admins and office staff
/// any; a user their own; an expert those assigned to them.
public enum EnrollmentListing {
    public static func mayList(actorId: String, actorRoles: Set<Role>, userId: String?, expertId: String?) throws {
        if actorRoles.contains(.admin) || actorRoles.contains(.office) { return }
        if userId == actorId || expertId == actorId { return }
        throw AppError.forbidden("only admins and office staff list anyone's enrolments; pass user_id or expert_id with your own id for yours")
    }
}
