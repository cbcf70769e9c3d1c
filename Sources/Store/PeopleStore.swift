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

    /// The person with the e-mail, and whether `reader` books for them as their student
    /// (`reader_books_for`).
    public static func byEmail(communityId: String, email: String, reader: String? = nil) -> Statement {
        Statement(
            """
            SELECT \(columns), EXISTS (SELECT 1 FROM student_links k WHERE k.community_id = $1 AND k.customer_id = $3::text AND k.student_id = people.id)
                AS reader_books_for
            FROM people WHERE community_id = $1 AND lower(email) = lower($2)
            """, [communityId, email, reader])
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

    /// Inserts a person and opens the accounts their roles need (a wallet for users, earnings for
    /// experts) in one statement, for `bootstrap`'s admin and the store's tests: a statement of
    /// its own rather than `ml_person_apply`, so bootstrap also runs on a schema made by early
    /// migrations. An e-mail another person has is refused by name (`translate`).
    public static func insert(_ c: Connection, communityId: String, person p: PersonFacts, now: Instant) throws {
        let kinds = [(Role.user, AccountKind.userWallet), (.expert, .expertEarnings)].filter { p.roles.contains($0.0) }.map(\.1.rawValue)
        do {
            try c.query(
                """
                WITH p AS (INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone)
                           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING community_id, id)
                INSERT INTO accounts (community_id, id, kind, owner_id, created_at)
                SELECT p.community_id, k.id, k.kind, p.id, $8 FROM p, unnest($9::text[], $10::text[]) AS k(kind, id)
                ON CONFLICT DO NOTHING
                """,
                [communityId, p.id, p.email, p.firstName, p.lastName, PostgresTextArray(p.roles.map(\.rawValue).sorted()), p.timeZone, now,
                 PostgresTextArray(kinds), PostgresTextArray(kinds.map { _ in Identifier.make(.account) })])
        } catch let e as PostgresError {
            throw translate(e) ?? e
        }
    }

    // MARK: person.create and person.update as commands

    /// The locks of a step on a person (`person`; nil for a new one), in one statement: the key's,
    /// the community's directory, then the person's bookings and calendar (`ml_lock_person`).
    public static func lock(communityId: String, keySubject: String?, personId: String?) -> Statement {
        Statement(
            "SELECT ml_lock_person($1, $2, $3, $4, $5, $6, $7)",
            [communityId, keySubject, personId, LockClass.idempotencyKey.rawValue, LockClass.directory.rawValue, LockClass.userBookings.rawValue,
             LockClass.expertCalendar.rawValue])
    }

    /// What a change to a person decides on (`ml_person_context`), read with the actor's roles.
    public static func context(communityId: String, testClock: Bool, personId: String) -> SQLCall {
        SQLCall("ml_person_context", [.init(communityId, "text"), .init(testClock, "boolean"), .init(personId, "text")])
    }

    /// The person (nil: none) and what they are still part of, from `ml_person_context`.
    public static func decodeContext(_ json: JSON?) throws -> (person: PersonFacts?, commitments: PersonCommitments) {
        let j = StoredJSON(json ?? .null, path: "context")
        return (
            try j.field("person").map(Records.person),
            PersonCommitments(
                openMeetingsAsExpert: try j.int("open_as_expert"), openMeetingsAsUser: try j.int("open_as_user"),
                activeSeriesAsExpert: try j.int("series_as_expert"), activeSeriesAsUser: try j.int("series_as_user"),
                otherAdmins: try j.int("other_admins")))
    }

    /// The one statement writing a person as decided (`isNew`: inserted), opening the accounts a
    /// user or expert role in `openingFor` needs (the answer is the decided person, written as is).
    public static func apply(communityId: String, person p: PersonFacts, isNew: Bool, openingFor roles: Set<Role>, now: Instant) -> SQLCall {
        let open: [JSON] = [(Role.user, AccountKind.userWallet), (.expert, .expertEarnings)].filter { roles.contains($0.0) }.map {
            ["kind": .string($0.1.rawValue), "id": .string(Identifier.make(.account))]
        }
        let json: JSON = [
            "community_id": .string(communityId), "id": .string(p.id), "new": .bool(isNew), "email": .string(p.email),
            "first_name": .string(p.firstName), "last_name": .string(p.lastName), "roles": .array(p.roles.map(\.rawValue).sorted().map { .string($0) }),
            "time_zone": .string(p.timeZone), "now": .string(now.rfc3339), "open": .array(open),
        ]
        return SQLCall("ml_person_apply", [.init(json, "jsonb")])
    }

    /// An e-mail another person has, refused by name.
    public static func translate(_ error: PostgresError) -> Error? {
        error.isUniqueViolation ? AppError.invalidParams(field: "email", reason: "is already used by another person in this community") : nil
    }

    /// What lifting a suspension decides on (`ml_suspension_context`): the person and the
    /// notices their running suspension was told in.
    public static func suspensionContext(communityId: String, testClock: Bool, personId: String) -> SQLCall {
        SQLCall("ml_suspension_context", [.init(communityId, "text"), .init(testClock, "boolean"), .init(personId, "text")])
    }

    /// The person (nil: none), to whom their running suspensions since the last lift were told,
    /// and the customers who book for them, from `ml_suspension_context`.
    public static func decodeSuspensionContext(_ json: JSON?) throws -> (person: PersonFacts?, told: [SuspensionLift.Told], customerIds: [String]) {
        let j = StoredJSON(json ?? .null, path: "context")
        // A notice of an unknown reader's words is read as one to someone who books.
        let told = try j.list("told").map { t in
            SuspensionLift.Told(recipientId: try t.string("recipient_id"), reader: SuspensionLift.Reader(rawValue: try t.string("recipient_role")) ?? .user)
        }
        return (try j.field("person").map(Records.person), told, try j.strings("customers"))
    }

    /// The one statement lifting the person's suspension running at `now`, with its notices.
    public static func liftSuspension(communityId: String, personId: String, now: Instant, outbox: [OutboxMessage]) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "person_id": .string(personId), "now": .string(now.rfc3339), "outbox": .array(outbox.map(\.json)),
        ]
        return SQLCall("ml_suspension_lift", [.init(p, "jsonb")])
    }
}

/// A community's row: its name and settings, and the test clock.
public enum CommunityStore {
    public static func byId(communityId: String) -> Statement {
        Statement("SELECT name, settings FROM communities WHERE community_id = $1", [communityId])
    }

    public static func decode(_ rows: Rows, communityId: String) throws -> (name: String, settings: CommunitySettings) {
        guard let row = rows.first else { throw AppError.notFound("community", communityId) }
        return (try row.string("name"), try SettingsMemo.settings(stored: try row.json("settings")))
    }

    public static func settings(_ c: Connection, communityId: String) throws -> (name: String, settings: CommunitySettings) {
        try decode(try c.query(byId(communityId: communityId)), communityId: communityId)
    }

    // MARK: community.update_settings as a command

    /// The community's row locked for a change of its settings in a later statement (FOR NO KEY
    /// UPDATE, as the UPDATE itself locks it: the rows that refer to the community are written
    /// beside it without waiting).
    public static func lockForChange(communityId: String) -> Statement {
        Statement("SELECT 1 FROM communities WHERE community_id = $1 FOR NO KEY UPDATE", [communityId])
    }

    /// The name and the stored settings, read setting by setting (`CommunitySettings.loading`):
    /// a change may give again a setting stored outside its rules, and so mend the document.
    public static func decodeContext(_ json: JSON?, communityId: String) throws -> (
        name: String, settings: CommunitySettings, unreadable: [String: AppError]
    ) {
        guard let json, !json.isNull else { throw AppError.notFound("community", communityId) }
        let j = StoredJSON(json, path: "community_context")
        guard let settings = j.field("settings") else { throw j.fail("settings", "is missing") }
        let loaded = CommunitySettings.loading(stored: settings.value)
        return (try j.string("name"), loaded.settings, loaded.unreadable)
    }

    /// What a change of the settings reads (`ml_community_settings_context`): the name and the
    /// settings, and with `series` the weekly times of at most `limit` active series with dates
    /// to come, which a new grid may leave off it.
    public static func settingsContext(communityId: String, testClock: Bool, series: Bool, limit: Int64) -> SQLCall {
        SQLCall(
            "ml_community_settings_context",
            [.init(communityId, "text"), .init(testClock, "boolean"), .init(series, "boolean"), .init(limit, "integer")])
    }

    /// The series times of a `settingsContext` read.
    public static func decodeSeriesTimes(_ json: JSON?) throws -> [SeriesTime] {
        try StoredJSON(json ?? .null, path: "community_context").list("series").map { s in
            guard let date = LocalDate(try s.string("first_date")) else { throw s.fail("first_date", "is not a date") }
            return SeriesTime(id: try s.string("id"), timeZone: try s.string("time_zone"), firstDate: date, localMinutes: Int(try s.int("local_minutes")))
        }
    }

    /// The settings as decided, the whole document (`ml_community_settings_apply`).
    public static func settingsApply(communityId: String, _ settings: CommunitySettings) -> SQLCall {
        SQLCall("ml_community_settings_apply", [.init(["community_id": .string(communityId), "settings": settings.json] as JSON, "jsonb")])
    }

    /// The community `name` names, whatever its case, the Unicode form and the spaces around it
    /// (`ml_name_key`; as written on a schema from before it, which only tests make), with its
    /// admin of this e-mail (whatever its case) if it has one: what a bootstrap run again finds,
    /// and what a bootstrap of another admin is refused for. One with such an admin first.
    public static func named(_ c: Connection, name: String, adminEmail: String) throws -> (communityId: String, name: String, adminId: String?)? {
        let keyed = try c.query("SELECT to_regprocedure('ml_name_key(text)') IS NOT NULL AS keyed").one().bool("keyed")
        return try c.query(
            """
            SELECT c.community_id, c.name, p.id FROM communities c
            LEFT JOIN people p ON p.community_id = c.community_id AND lower(p.email) = lower($2) AND 'admin' = ANY (p.roles)
            WHERE \(keyed ? "ml_name_key(c.name) = ml_name_key($1)" : "c.name = $1") ORDER BY p.id IS NULL, c.community_id LIMIT 1
            """, [name, adminEmail]
        ).first.map { (try $0.string("community_id"), try $0.string("name"), try $0.optionalString("id")) }
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
    /// The database's time, whether it takes writes, and its schema version (as `schemaVersion`).
    public static let now = Statement("SELECT now() AS now, \(health)")

    /// What system.ping reads of the database besides the time.
    static let health = "current_setting('transaction_read_only') = 'on' AS read_only, \(newestApplied) AS schema_version"

    /// The newest migration applied to the database (0: none).
    static let newestApplied = "(SELECT coalesce(max(version), 0) FROM schema_migrations)"

    /// Which cluster the server belongs to (a standby has its primary's system identifier; a
    /// restored copy or another service's cluster has its own), and whether it is a standby.
    /// `pg_control_system()` is PUBLIC's to call.
    public static let serverIdentity = Statement(
        "SELECT system_identifier::text AS system_identifier, pg_is_in_recovery() AS in_recovery FROM pg_control_system()")

    /// The newest migration applied to the database (0: none).
    public static let schemaVersion = Statement("SELECT \(newestApplied) AS version")

    /// Whether meetingd's role may still make itself a member of the server's roles: CREATEROLE
    /// without superuser before PostgreSQL 16 (`role`, `open`).
    public static let roleCanGrantServerRoles = Statement("""
        SELECT current_user AS role, r.rolcreaterole AND NOT r.rolsuper AND current_setting('server_version_num')::int < 160000 AS open
        FROM pg_roles r WHERE r.rolname = current_user
        """)

    /// What finance staff's SQL roles may still do that a read-only role must not (`privilege`).
    public static let financeAccessProblems = Statement("SELECT privilege FROM finance_access_problems()")

    /// What a restore can leave between the finance roles and their rows (`problem`, `fix`).
    public static let financeRoleProblems = Statement("SELECT problem, fix FROM finance_role_problems()")

    /// The service's time for `personId`'s community: its pinned time when `testClock` and it
    /// has one, else the database's (also when there is no such person).
    public static func now(of personId: String, testClock: Bool) -> Statement {
        Statement(
            """
            SELECT coalesce(x.now, now()) AS now, x.now IS NOT NULL AS found, \(health)
            FROM (SELECT (SELECT ml_now(p.community_id, $2) FROM people p WHERE p.id = $1) AS now) x
            """,
            [personId, testClock])
    }
}
