import Core
import Meetings
import Postgres

/// Which students a customer acts for (seed 003): the links an admin or the office records.
public enum StudentStore {
    /// The two people a link would join (`ml_student_link_context`).
    public static func linkContext(communityId: String, customerId: String, studentId: String) -> SQLCall {
        SQLCall("ml_student_link_context", [.init(communityId, "text"), .init(customerId, "text"), .init(studentId, "text")])
    }

    /// The customer and the student (nil: no such person), whether they are linked already, and
    /// whether the student acts for the customer already.
    public static func decodeLinkContext(_ json: JSON?) throws -> (customer: PersonFacts?, student: PersonFacts?, linked: Bool, reversed: Bool) {
        let j = StoredJSON(json ?? .null, path: "student_link_context")
        return (try j.field("customer").map(Records.person), try j.field("student").map(Records.person), try j.bool("linked"), try j.bool("reverse"))
    }

    /// The link as decided (`ml_student_link_apply`): made by `actorId` at `now` (the community's
    /// clock, which a test clock may have moved); one made already stays as it was.
    public static func linkApply(communityId: String, customerId: String, studentId: String, by actorId: String, now: Instant) -> SQLCall {
        let p: JSON = [
            "community_id": .string(communityId), "customer_id": .string(customerId), "student_id": .string(studentId),
            "created_by": .string(actorId), "now": .string(now.rfc3339),
        ]
        return SQLCall("ml_student_link_apply", [.init(p, "jsonb")])
    }

    /// Removes the link; false when there was none.
    public static func unlink(_ c: Connection, communityId: String, customerId: String, studentId: String) throws -> Bool {
        try c.query(
            "DELETE FROM student_links WHERE community_id = $1 AND customer_id = $2 AND student_id = $3 RETURNING 1 AS removed",
            [communityId, customerId, studentId]
        ).count == 1
    }

    /// A page of links of one customer, or of one student, or (both nil) of the community, by
    /// (customer, student), after the pair `after`; with `involving`, only the links that person
    /// is part of, as customer or as student.
    public static func list(
        communityId: String, customerId: String?, studentId: String?, involving: String? = nil, after: (String, String)?, limit: Int64
    ) -> Statement {
        Statement(
            """
            SELECT k.customer_id, c.first_name || ' ' || c.last_name AS customer_name, k.student_id, s.first_name || ' ' || s.last_name AS student_name,
                   k.created_at
            FROM student_links k
            JOIN people c ON c.community_id = k.community_id AND c.id = k.customer_id
            JOIN people s ON s.community_id = k.community_id AND s.id = k.student_id
            WHERE k.community_id = $1 AND ($2::text IS NULL OR k.customer_id = $2) AND ($3::text IS NULL OR k.student_id = $3)
              AND ($4::text IS NULL OR (k.customer_id, k.student_id) > ($4::text, $5::text))
              AND ($7::text IS NULL OR k.customer_id = $7 OR k.student_id = $7)
            ORDER BY k.customer_id, k.student_id
            LIMIT $6
            """, [communityId, customerId, studentId, after?.0, after?.1, limit, involving])
    }

    public static func json(_ r: Row) throws -> JSON {
        [
            "customer_id": .string(try r.string("customer_id")), "customer_name": .string(try r.string("customer_name")),
            "student_id": .string(try r.string("student_id")), "student_name": .string(try r.string("student_name")),
            "linked_at": .string(try r.instant("created_at").rfc3339),
        ]
    }
}
