-- A lifted suspension is told to whom the suspension was told, in the same words: the notices
-- of the running suspension (those whose `until` is its end) name each recipient with their
-- role, and the student it was for. `customers` stays for callers of 0112's shape.
CREATE OR REPLACE FUNCTION ml_suspension_context(p_community text, p_test_clock boolean, p_person text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'now', ml_now(p_community, p_test_clock),
        'person', ml_person_json(p_community, p_person),
        'customers', coalesce((SELECT jsonb_agg(k.customer_id ORDER BY k.customer_id) FROM student_links k
                               WHERE k.community_id = p_community AND k.student_id = p_person), '[]'),
        'told', coalesce((
            SELECT jsonb_agg(jsonb_build_object('recipient_id', t.recipient_id, 'recipient_role', t.role, 'student_id', t.student_id)
                             ORDER BY t.recipient_id)
            FROM (SELECT DISTINCT o.recipient_id, o.payload ->> 'recipient_role' AS role, o.payload ->> 'student_id' AS student_id
                  FROM outbox o JOIN people p ON p.community_id = o.community_id AND p.id = p_person
                  WHERE o.community_id = p_community AND o.kind = 'user_suspended' AND o.recipient_id IS NOT NULL
                    AND coalesce(o.payload ->> 'student_id', o.recipient_id) = p_person
                    AND (o.payload ->> 'until')::timestamptz = p.suspended_until) t), '[]'))
$$;

-- The notices of one person's suspensions, found without reading the community's outbox.
CREATE INDEX outbox_suspension_notices ON outbox (community_id, (coalesce(payload ->> 'student_id', recipient_id))) WHERE kind = 'user_suspended';
