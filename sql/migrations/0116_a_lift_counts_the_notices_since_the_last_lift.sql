-- A lift is told to whom the suspensions since the person's last lift were told (0114 counted
-- only the notices whose end was the running end: a suspension a second no-show extended lost
-- the first one's people, and a suspension ending at the same minute as one lifted before
-- counted that one's people again). The order is the outbox's own (`seq`), so notices written
-- at one pinned time still fall on the right side of a lift.
CREATE OR REPLACE FUNCTION ml_suspension_context(p_community text, p_test_clock boolean, p_person text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'now', ml_now(p_community, p_test_clock),
        'person', ml_person_json(p_community, p_person),
        'customers', coalesce((SELECT jsonb_agg(k.customer_id ORDER BY k.customer_id) FROM student_links k
                               WHERE k.community_id = p_community AND k.student_id = p_person), '[]'),
        'told', coalesce((
            SELECT jsonb_agg(jsonb_build_object('recipient_id', t.recipient_id, 'recipient_role', t.role, 'student_id', t.student_id)
                             ORDER BY t.recipient_id, t.role)
            FROM (SELECT DISTINCT o.recipient_id, o.payload ->> 'recipient_role' AS role, o.payload ->> 'student_id' AS student_id
                  FROM outbox o
                  WHERE o.community_id = p_community AND o.kind = 'user_suspended' AND o.recipient_id IS NOT NULL
                    AND coalesce(o.payload ->> 'student_id', o.recipient_id) = p_person
                    AND o.seq > coalesce((SELECT max(l.seq) FROM outbox l
                                          WHERE l.community_id = p_community AND l.kind = 'user_unsuspended'
                                            AND coalesce(l.payload ->> 'student_id', l.recipient_id) = p_person), 0)) t), '[]'))
$$;

-- The notices of one person's suspensions and lifts, found without reading the community's outbox.
DROP INDEX outbox_suspension_notices;
CREATE INDEX outbox_suspensions ON outbox (community_id, (coalesce(payload ->> 'student_id', recipient_id)), kind, seq)
    WHERE kind IN ('user_suspended', 'user_unsuspended');
