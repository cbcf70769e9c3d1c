import Catalog
import Core
import Meetings
import Postgres

/// The import's one read and one write, and the export's pages (`catalog.export_csv`).
public enum ImportStore {
    /// What the file names (`ml_import_read`): people by e-mail (compared lower-cased) and
    /// services by name (`NameRule.key`, worked out by its SQL twin on both sides, so that the
    /// database's own case mapping decides both).
    public static func context(communityId: String, emails: [String], serviceNames: [String]) -> SQLCall {
        SQLCall("ml_import_read", [
            .init(communityId, "text"), .init(PostgresTextArray(Array(Set(emails.map { $0.lowercased() })).sorted()), "text[]"),
            .init(PostgresTextArray(Array(Set(serviceNames)).sorted()), "text[]"),
        ])
    }

    /// The facts the file is decided on, with the zone names PostgreSQL reads.
    public static func decodeContext(_ json: JSON?) throws -> ImportFacts {
        let j = StoredJSON(json ?? .null, path: "import_context")
        return ImportFacts(
            people: try j.list("people").map(Records.person), services: try j.list("services").map(Records.service),
            certifications: Set(try j.list("certifications").map { Certification(serviceId: try $0.string("service_id"), expertId: try $0.string("expert_id")) }),
            enrollments: Set(try j.list("enrollments").map {
                Enrollment(userId: try $0.string("user_id"), serviceId: try $0.optionalString("service_id"), expertId: try $0.optionalString("expert_id"))
            }),
            databaseZones: try TimeZoneNames.loaded())
    }

    /// `now`: when the accounts and enrolments it opens are opened (the community's pinned time
    /// under --test-clock).
    public static func apply(communityId: String, _ w: ImportWrites, now: Instant) -> SQLCall {
        func person(_ p: PersonFacts) -> JSON {
            ["id": .string(p.id), "email": .string(p.email), "first_name": .string(p.firstName), "last_name": .string(p.lastName),
             "roles": .array(p.roles.map(\.rawValue).sorted().map { .string($0) }), "time_zone": .string(p.timeZone)]
        }
        func service(_ s: ServiceFacts) -> JSON {
            ["id": .string(s.id), "name": .string(s.name), "kind": .string(s.kind.rawValue), "expert_id": .optional(s.expertId),
             "default_length_minutes": .int(s.defaultLengthMinutes), "price_credits": .int(s.priceCredits),
             "skills": .array(s.skills.map { .string($0) }), "agenda_questions": .array(s.agendaQuestions.map { .string($0) }), "active": .bool(s.active)]
        }
        let p: JSON = [
            "now": .string(now.rfc3339),
            "community_id": .string(communityId), "people_new": .array(w.newPeople.map(person)), "people_changed": .array(w.changedPeople.map(person)),
            "accounts": .array(w.accounts.map { ["id": .string($0.id), "kind": .string($0.kind.rawValue), "owner_id": .string($0.ownerId)] }),
            "services_new": .array(w.newServices.map(service)), "services_changed": .array(w.changedServices.map(service)),
            "certifications": .array(w.certifications.map { ["service_id": .string($0.serviceId), "expert_id": .string($0.expertId)] }),
            "enrollments": .array(w.enrollments.map { ["user_id": .string($0.userId), "service_id": .optional($0.serviceId), "expert_id": .optional($0.expertId)] }),
        ]
        return SQLCall("ml_import_apply", [.init(p, "jsonb")])
    }

    // MARK: Export

    /// A page of a sheet's rows in key order: `key` and the sheet's columns.
    public static func export(_ kind: SheetKind, communityId: String, afterKey: String?, limit: Int64) -> Statement {
        let sql: String
        switch kind {
        case .people:
            sql = """
                SELECT id AS key, email, first_name, last_name, roles, time_zone FROM people
                WHERE community_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3
                """
        case .services:
            sql = """
                SELECT s.id AS key, s.name, s.kind, s.default_length_minutes, s.price_credits, e.email AS expert_email,
                       s.skills, s.agenda_questions, s.active
                FROM services s LEFT JOIN people e ON e.community_id = s.community_id AND e.id = s.expert_id
                WHERE s.community_id = $1 AND ($2::text IS NULL OR s.id > $2) ORDER BY s.id LIMIT $3
                """
        case .certifications:
            // An expert-specific service's own expert is listed too, as the seed's Tutors CSV lists them.
            sql = """
                SELECT x.key, s.name AS service, e.email AS expert_email FROM (
                    SELECT service_id || '/' || expert_id AS key, service_id, expert_id FROM certifications WHERE community_id = $1
                    UNION ALL
                    SELECT id || '/' || expert_id, id, expert_id FROM services WHERE community_id = $1 AND expert_id IS NOT NULL
                ) x
                JOIN services s ON s.community_id = $1 AND s.id = x.service_id
                JOIN people e ON e.community_id = $1 AND e.id = x.expert_id
                WHERE ($2::text IS NULL OR x.key > $2) ORDER BY x.key LIMIT $3
                """
        case .enrollments:
            sql = """
                SELECT x.user_id || '/' || coalesce(x.service_id, x.expert_id) AS key, u.email AS user_email, s.name AS service, e.email AS expert_email
                FROM enrollments x
                JOIN people u ON u.community_id = x.community_id AND u.id = x.user_id
                LEFT JOIN services s ON s.community_id = x.community_id AND s.id = x.service_id
                LEFT JOIN people e ON e.community_id = x.community_id AND e.id = x.expert_id
                WHERE x.community_id = $1 AND ($2::text IS NULL OR (x.user_id, coalesce(x.service_id, x.expert_id)) > (split_part($2, '/', 1), split_part($2, '/', 2)))
                ORDER BY x.user_id, coalesce(x.service_id, x.expert_id) LIMIT $3
                """
        }
        return Statement(sql, [communityId, afterKey, limit])
    }

    /// A row's cells in the sheet's column order (numbers as numbers, empty cells as null).
    public static func exportRow(_ kind: SheetKind, _ r: Row) throws -> (key: String, cells: [JSON]) {
        let cells = try kind.columns.map { column -> JSON in
            if column == "default_length_minutes" || column == "price_credits" { return .int(try r.int(column)) }
            if column == "active" { return .bool(try r.bool(column)) }
            if Sheet.listColumns.contains(column) {
                let values = try r.stringArray(column)
                return values.isEmpty ? .null : .string(Sheet.cell(values))
            }
            return .optional(try r.optionalString(column))
        }
        return (try r.string("key"), cells)
    }
}
