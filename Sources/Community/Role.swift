/// What a person may do in a community; a person may hold several roles.
public enum Role: String, Sendable, CaseIterable {
    case user, expert, admin, finance, office
}
