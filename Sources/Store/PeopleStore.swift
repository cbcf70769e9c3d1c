import Community
import Core
import Ledger
import Meetings
import People
import Postgres

/// People of a community: their rows and the ledger accounts their roles open.
public enum PeopleStore {
    static let columns = "id, email, first_name, last_name, roles, time_zone, suspended_until"

    public static func person(_ row: Row) throws -> PersonFacts {
        PersonFacts(
            id: try row.string("id"), email: try row.string("email"), firstName: try row.string("first_name"), lastName: try row.string("last_name"),
            roles: Set(try row.stringArray("roles").compactMap(Role.init(rawValue:))), timeZone: try row.string("time_zone"),
            suspendedUntil: try row.optionalInstant("suspended_until"))
    }

    public static func byId(communityId: String, id: String) -> Statement {
        Statement("SELECT \(columns) FROM people WHERE community_id = $1 AND id = $2", [communityId, id])
    }

    public static func byEmail(communityId: String, email: String) -> Statement {
        Statement("SELECT \(columns) FROM people WHERE community_id = $1 AND lower(email) = lower($2)", [communityId, email])
    }

    /// A person of the community, or nil.
    public static func find(_ c: Connection, communityId: String, id: String) throws -> PersonFacts? {
        try c.query(byId(communityId: communityId, id: id)).first.map(person)
    }

    /// A person of the community, or not_found.
    public static func get(_ c: Connection, communityId: String, id: String) throws -> PersonFacts {
        guard let p = try find(c, communityId: communityId, id: id) else { throw AppError.notFound("person", id) }
        return p
    }

    public static func find(_ c: Connection, communityId: String, email: String) throws -> PersonFacts? {
        try c.query(byEmail(communityId: communityId, email: email)).first.map(person)
    }

    /// A page of the community's people in id order, optionally those with one role.
    public static func list(communityId: String, role: Role?, afterId: String?, limit: Int64) -> Statement {
        Statement(
            """
            SELECT \(columns) FROM people
            WHERE community_id = $1 AND ($2::text IS NULL OR $2 = ANY (roles)) AND ($3::text IS NULL OR id > $3)
            ORDER BY id LIMIT $4
            """, [communityId, role?.rawValue, afterId, limit])
    }

    /// Inserts a person and opens their ledger accounts (a wallet for users, earnings for experts).
    public static func insert(_ c: Connection, communityId: String, person p: PersonFacts, now: Instant) throws {
        try write(
            c, "INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            communityId: communityId, person: p, now: now)
    }

    /// Writes a person with `sql` (its params: community, id, email, names, roles, zone), an
    /// e-mail another person has refused by name, and opens the accounts their roles need.
    static func write(_ c: Connection, _ sql: String, communityId: String, person p: PersonFacts, now: Instant) throws {
        do {
            try c.query(sql, [communityId, p.id, p.email, p.firstName, p.lastName, PostgresTextArray(p.roles.map(\.rawValue).sorted()), p.timeZone])
        } catch let e as PostgresError where e.isUniqueViolation {
            throw AppError.invalidParams(field: "email", reason: "is already used by another person in this community")
        }
        try LedgerStore.openPersonAccounts(c, communityId: communityId, personId: p.id, user: p.has(.user), expert: p.has(.expert), now: now)
    }

    /// A person with what they are still part of at `now` (a finished series is not: as
    /// `series.list` reads it), and the roles the actor holds now, for
    /// `person.update` (run under the locks of `changeLocks`, so none of it moves before the
    /// change is written: an admin demoted while their call waited acts as what they are now);
    /// nil: no such person.
    public static func changeFacts(
        _ c: Connection, communityId: String, id: String, actorId: String, now: Instant
    ) throws -> (person: PersonFacts, commitments: PersonCommitments, actorRoles: Set<Role>)? {
        let rows = try c.query(
            """
            SELECT \(columns),
                (SELECT count(*) FROM meetings m WHERE m.community_id = p.community_id AND m.expert_id = p.id
                   AND m.status IN ('awaiting_approval', 'agreed')) AS open_as_expert,
                (SELECT count(*) FROM meetings m WHERE m.community_id = p.community_id AND (m.user_id = p.id OR m.student_id = p.id)
                   AND m.status IN ('awaiting_approval', 'agreed')) AS open_as_user,
                (SELECT count(*) FROM series s WHERE s.community_id = p.community_id AND s.expert_id = p.id
                   AND s.status = 'active' AND NOT coalesce(ml_series_ends_at(s) <= $4, false)) AS series_as_expert,
                (SELECT count(*) FROM series s WHERE s.community_id = p.community_id AND (s.user_id = p.id OR s.student_id = p.id)
                   AND s.status = 'active' AND NOT coalesce(ml_series_ends_at(s) <= $4, false)) AS series_as_user,
                (SELECT count(*) FROM people a WHERE a.community_id = p.community_id AND a.id <> p.id AND 'admin' = ANY (a.roles)) AS other_admins,
                (SELECT a.roles FROM people a WHERE a.community_id = p.community_id AND a.id = $3) AS actor_roles
            FROM people p WHERE p.community_id = $1 AND p.id = $2
            """, [communityId, id, actorId, now])
        guard let row = rows.first else { return nil }
        return (try person(row), PersonCommitments(
            openMeetingsAsExpert: try row.int("open_as_expert"), openMeetingsAsUser: try row.int("open_as_user"),
            activeSeriesAsExpert: try row.int("series_as_expert"), activeSeriesAsUser: try row.int("series_as_user"),
            otherAdmins: try row.int("other_admins")),
            Set(try row.stringArray("actor_roles").compactMap(Role.init(rawValue:))))
    }

    /// The locks `person.update` takes before reading: the directory (e-mails, and the admins
    /// that remain), and the person's bookings and calendar, which every booking for them holds
    /// while it reads their roles.
    public static func changeLocks(communityId: String, personId: String) -> [Statement] {
        [Locks.directory(communityId: communityId), Locks.parties(communityId: communityId, keySubject: nil, userId: personId, expertId: personId)]
    }

    /// Writes a person as `PersonChangeRules` decided, opening the accounts a new role needs.
    public static func update(_ c: Connection, communityId: String, person p: PersonFacts, now: Instant) throws {
        try write(
            c, "UPDATE people SET email = $3, first_name = $4, last_name = $5, roles = $6, time_zone = $7 WHERE community_id = $1 AND id = $2",
            communityId: communityId, person: p, now: now)
    }

    public static func unsuspend(_ c: Connection, communityId: String, id: String) throws {
        try c.query("UPDATE people SET suspended_until = NULL WHERE community_id = $1 AND id = $2", [communityId, id])
    }

    /// The expert's past agreed meetings not logged yet (at most 20), for the session-log rule.
    public static func unloggedMeetings(_ c: Connection, communityId: String, expertId: String, now: Instant) throws -> [String] {
        try c.query(
            """
            SELECT id FROM meetings
            WHERE community_id = $1 AND expert_id = $2 AND status = 'agreed' AND end_at <= $3
            ORDER BY start_at LIMIT 20
            """, [communityId, expertId, now]
        ).map { try $0.string("id") }
    }
}

/// A community's row: its name and settings, and the test clock.
public enum CommunityStore {
    public static func byId(communityId: String, forUpdate: Bool = false) -> Statement {
        Statement("SELECT name, settings FROM communities WHERE community_id = $1" + (forUpdate ? " FOR UPDATE" : ""), [communityId])
    }

    public static func decode(_ rows: Rows, communityId: String) throws -> (name: String, settings: CommunitySettings) {
        guard let row = rows.first else { throw AppError.notFound("community", communityId) }
        return (try row.string("name"), try SettingsMemo.settings(stored: try row.json("settings")))
    }

    public static func settings(_ c: Connection, communityId: String, forUpdate: Bool = false) throws -> (name: String, settings: CommunitySettings) {
        try decode(try c.query(byId(communityId: communityId, forUpdate: forUpdate)), communityId: communityId)
    }

    public static func saveSettings(_ c: Connection, communityId: String, _ settings: CommunitySettings) throws {
        try c.query("UPDATE communities SET settings = $2 WHERE community_id = $1", [communityId, settings.json])
    }

    /// A new community with its own accounts (platform revenue, issuance, payouts).
    public static func create(_ c: Connection, communityId: String, name: String, settings: CommunitySettings, now: Instant) throws {
        try c.query("INSERT INTO communities (community_id, name, settings) VALUES ($1, $2, $3)", [communityId, name, settings.json])
        try LedgerStore.openCommunityAccounts(c, communityId: communityId, now: now)
    }

    /// Pins the community's time (for processes run with --test-clock).
    public static func setClock(_ c: Connection, communityId: String, now: Instant) throws -> Instant {
        try c.query(
            "INSERT INTO test_clocks (community_id, now) VALUES ($1, $2) ON CONFLICT (community_id) DO UPDATE SET now = EXCLUDED.now RETURNING now",
            [communityId, now]
        ).one().instant("now")
    }

    /// Moves the community's pinned time by `minutes`, added in the statement itself so advances
    /// made at once all count; nil when that would leave the supported times (checked there too,
    /// so a concurrent advance cannot carry it past).
    public static func advanceClock(_ c: Connection, communityId: String, minutes: Int64, from now: Instant) throws -> Instant? {
        try c.query(
            """
            INSERT INTO test_clocks (community_id, now) VALUES ($1, $2)
            ON CONFLICT (community_id) DO UPDATE SET now = test_clocks.now + make_interval(mins => $3::int)
            RETURNING CASE WHEN now BETWEEN $4 AND $5 THEN now END AS now
            """, [communityId, now.adding(minutes: minutes), minutes, Instant.earliestSupported, Instant.latestSupported]
        ).one().optionalInstant("now")
    }
}

public enum SystemQueries {
    /// The database's time.
    public static let now = Statement("SELECT now() AS now")

    /// The newest migration applied to the database (0: none).
    public static let schemaVersion = Statement("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")

    /// The service's time for `personId`'s community: its pinned time when `testClock` and it
    /// has one, else the database's (also when there is no such person).
    public static func now(of personId: String, testClock: Bool) -> Statement {
        Statement("SELECT coalesce((SELECT ml_now(p.community_id, $2) FROM people p WHERE p.id = $1), now()) AS now", [personId, testClock])
    }
}
