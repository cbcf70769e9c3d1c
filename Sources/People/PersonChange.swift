import Community
import Core
import Meetings

/// `person.update`: what changes about a person, who may change it, and which roles may not
/// be taken away yet. Pure: the caller reads the person and their open commitments under the
/// locks that keep them still, and writes the person this decides.
public struct PersonChange: Sendable, Equatable {
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var timeZone: String?
    public var addRoles: Set<Role>
    public var removeRoles: Set<Role>

    public init(
        email: String? = nil, firstName: String? = nil, lastName: String? = nil, timeZone: String? = nil, addRoles: Set<Role> = [],
        removeRoles: Set<Role> = []
    ) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.timeZone = timeZone
        self.addRoles = addRoles
        self.removeRoles = removeRoles
    }
}

/// What a person is still part of: a role whose commitments are open is not taken away.
public struct PersonCommitments: Sendable, Equatable {
    /// Meetings awaiting an answer or agreed (not logged yet, past ones included) on each side;
    /// a student's meetings are on the user's side.
    public var openMeetingsAsExpert: Int64
    public var openMeetingsAsUser: Int64
    /// Weekly series neither cancelled nor finished, on each side.
    public var activeSeriesAsExpert: Int64
    public var activeSeriesAsUser: Int64
    /// Admins of the community other than this person.
    public var otherAdmins: Int64

    public init(openMeetingsAsExpert: Int64 = 0, openMeetingsAsUser: Int64 = 0, activeSeriesAsExpert: Int64 = 0, activeSeriesAsUser: Int64 = 0, otherAdmins: Int64 = 0) {
        self.openMeetingsAsExpert = openMeetingsAsExpert
        self.openMeetingsAsUser = openMeetingsAsUser
        self.activeSeriesAsExpert = activeSeriesAsExpert
        self.activeSeriesAsUser = activeSeriesAsUser
        self.otherAdmins = otherAdmins
    }
}

public enum PersonChangeRules {
    /// The person after `change`, made by the actor: an admin changes anything; a person changes
    /// their own names and time zone. A role is taken away only when nothing open depends on it:
    /// expert or user while meetings or series on that side are open (they are ended first, by
    /// the ways a meeting ends), admin while no other admin would be left. A person keeps at
    /// least one role.
    public static func decide(
        actorId: String, actorRoles: Set<Role>, person: PersonFacts, commitments: PersonCommitments, change: PersonChange
    ) throws -> PersonFacts {
        let isAdmin = actorRoles.contains(.admin)
        guard isAdmin || actorId == person.id else { throw AppError.forbidden("only the person themself or an admin may change a person") }
        if !isAdmin {
            for (field, given) in [("email", change.email != nil), ("add_roles", !change.addRoles.isEmpty), ("remove_roles", !change.removeRoles.isEmpty)]
            where given {
                throw AppError.forbidden("only an admin may change \(field); you may change your own first_name, last_name and time_zone")
            }
        }
        if let both = change.addRoles.intersection(change.removeRoles).map(\.rawValue).sorted().first {
            throw AppError.invalidParams(field: "remove_roles", reason: "names \(both), which add_roles names too")
        }
        var after = person
        after.email = change.email ?? person.email
        after.firstName = change.firstName ?? person.firstName
        after.lastName = change.lastName ?? person.lastName
        after.timeZone = change.timeZone ?? person.timeZone
        after.roles = person.roles.union(change.addRoles).subtracting(change.removeRoles)
        guard !after.roles.isEmpty else {
            throw AppError.invalidParams(field: "remove_roles", reason: "would leave the person without a role; a person keeps at least one")
        }
        let removed = person.roles.subtracting(after.roles)
        let c = commitments
        if removed.contains(.expert) && (c.openMeetingsAsExpert > 0 || c.activeSeriesAsExpert > 0) {
            throw stillOpen(role: .expert, meetings: c.openMeetingsAsExpert, series: c.activeSeriesAsExpert)
        }
        if removed.contains(.user) && (c.openMeetingsAsUser > 0 || c.activeSeriesAsUser > 0) {
            throw stillOpen(role: .user, meetings: c.openMeetingsAsUser, series: c.activeSeriesAsUser)
        }
        if removed.contains(.admin) && c.otherAdmins == 0 {
            throw AppError(
                .invalidState, message: "This is the community's last admin: make another person an admin before taking the role away",
                details: ["role": "admin"])
        }
        return after
    }

    static func stillOpen(role: Role, meetings: Int64, series: Int64) -> AppError {
        AppError(
            .invalidState,
            message: "The \(role.rawValue) role is still needed: \(Counted.words(meetings, "open meeting")) and \(series) weekly series on the \(role.rawValue)'s side; "
                + "end them first (decline, withdraw or cancel the meetings, log the sessions that took place, cancel the series); "
                + "meeting.list and series.list with person_id list them",
            details: ["role": .string(role.rawValue), "open_meetings": .int(meetings), "active_series": .int(series)])
    }
}
