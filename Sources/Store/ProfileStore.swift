import Core
import Meetings
import People
import Postgres

/// Experts' public profiles (`expert_profiles`), read with the person they belong to.
public enum ProfileStore {
    /// The person's columns and their profile's (NULL when they have not written one).
    static let select = """
        SELECT p.id, p.email, p.first_name, p.last_name, p.roles, p.time_zone, p.suspended_until, x.display_name, x.bio, x.photo_url, x.languages AS profile_languages
        FROM people p LEFT JOIN expert_profiles x ON x.community_id = p.community_id AND x.expert_id = p.id
        """

    /// One person with their profile.
    public static func byId(communityId: String, id: String) -> Statement {
        Statement(select + " WHERE p.community_id = $1 AND p.id = $2", [communityId, id])
    }

    /// A page of the community's experts (with a service, those who offer it: nobody for a retired
    /// one) in id order.
    public static func experts(communityId: String, serviceId: String?, afterId: String?, limit: Int64) -> Statement {
        Statement(
            select + """
                 WHERE p.community_id = $1 AND 'expert' = ANY (p.roles) AND ($3::text IS NULL OR p.id > $3)
                  AND ($2::text IS NULL
                       OR (EXISTS (SELECT 1 FROM services s WHERE s.community_id = $1 AND s.id = $2 AND s.active)
                           AND (EXISTS (SELECT 1 FROM certifications c WHERE c.community_id = $1 AND c.service_id = $2 AND c.expert_id = p.id)
                                OR EXISTS (SELECT 1 FROM services s WHERE s.community_id = $1 AND s.id = $2 AND s.expert_id = p.id))))
                ORDER BY p.id LIMIT $4
                """, [communityId, serviceId, afterId, limit])
    }

    /// The profiles of the given experts, for search results.
    public static func profiles(communityId: String, ids: [String]) -> Statement {
        Statement(select + " WHERE p.community_id = $1 AND p.id = ANY ($2) ORDER BY p.id", [communityId, PostgresTextArray(ids)])
    }

    /// The person and their profile as written, or their unwritten one.
    public static func decode(_ row: Row) throws -> (person: PersonFacts, profile: ExpertProfile) {
        let person = try PeopleStore.person(row)
        guard let name = try row.optionalString("display_name") else { return (person, .unwritten(person)) }
        return (person, ExpertProfile(
            expertId: person.id, displayName: name, bio: try row.string("bio"), photoURL: try row.optionalString("photo_url"),
            languages: try row.stringArray("profile_languages")))
    }

    // MARK: person.set_profile as a command

    /// The person's row locked for a change of their profile in a later statement (FOR NO KEY
    /// UPDATE, as a change of the person locks it).
    public static func lockForChange(communityId: String, personId: String) -> Statement {
        Statement("SELECT 1 FROM people WHERE community_id = $1 AND id = $2 FOR NO KEY UPDATE", [communityId, personId])
    }

    /// The person and the profile they wrote (`ml_profile_context`).
    public static func context(communityId: String, personId: String) -> SQLCall {
        SQLCall("ml_profile_context", [.init(communityId, "text"), .init(personId, "text")])
    }

    /// The person (nil: none) with their profile as written, or their unwritten one.
    public static func decodeContext(_ json: JSON?) throws -> (person: PersonFacts, profile: ExpertProfile)? {
        let j = StoredJSON(json ?? .null, path: "profile_context")
        guard let person = try j.field("person").map(Records.person) else { return nil }
        guard let x = j.field("profile") else { return (person, .unwritten(person)) }
        return (person, ExpertProfile(
            expertId: person.id, displayName: try x.string("display_name"), bio: try x.string("bio"), photoURL: try x.optionalString("photo_url"),
            languages: try x.strings("languages")))
    }

    /// The profile as decided, written whole (`ml_profile_apply`), stamped `now`.
    public static func apply(communityId: String, _ profile: ExpertProfile, now: Instant) -> SQLCall {
        let p: JSON = ["community_id": .string(communityId), "profile": profile.publicJSON, "now": .string(now.rfc3339)]
        return SQLCall("ml_profile_apply", [.init(p, "jsonb")])
    }
}
