import Core
import Postgres

/// Whether the ids a list is filtered by are in the community: a list asked for someone or
/// something unknown says so (4004) instead of answering an empty page that reads as "none".
public enum Existence {
    /// The first of `people` and then `services` not in the community (kind and id); no row
    /// when all are.
    public static func missing(communityId: String, people: [String] = [], services: [String] = []) -> Statement {
        Statement(
            """
            SELECT m.kind, m.id FROM (
                SELECT 'person' AS kind, x.id, x.n FROM unnest($2::text[]) WITH ORDINALITY AS x(id, n)
                WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = $1 AND p.id = x.id)
                UNION ALL
                SELECT 'service', x.id, 1000 + x.n FROM unnest($3::text[]) WITH ORDINALITY AS x(id, n)
                WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.community_id = $1 AND s.id = x.id)) m
            ORDER BY m.n LIMIT 1
            """, [communityId, PostgresTextArray(people), PostgresTextArray(services)])
    }

    /// The statement when any id is given (appended last to a read), nothing otherwise.
    public static func check(communityId: String, people: [String?] = [], services: [String?] = []) -> [Statement] {
        let people = people.compactMap { $0 }, services = services.compactMap { $0 }
        return people.isEmpty && services.isEmpty ? [] : [missing(communityId: communityId, people: people, services: services)]
    }

    /// Not found, naming the first unknown id, when `rows` (of `missing`) hold one. Without the
    /// statement (no id given) there is nothing to check.
    public static func require(_ rows: [Rows], at index: Int) throws {
        guard index < rows.count, let row = rows[index].first else { return }
        throw AppError.notFound(try row.string("kind"), try row.string("id"))
    }
}
