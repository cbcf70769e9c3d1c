-- person.unsuspend in the shape of every command: its context (the person, and the customers
-- who book for them as their student: the ones a no-show suspension told) is read in one
-- statement, and the lift with its notices is written in one.

CREATE FUNCTION ml_suspension_context(p_community text, p_test_clock boolean, p_person text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'now', ml_now(p_community, p_test_clock),
        'person', ml_person_json(p_community, p_person),
        'customers', coalesce((SELECT jsonb_agg(k.customer_id ORDER BY k.customer_id) FROM student_links k
                               WHERE k.community_id = p_community AND k.student_id = p_person), '[]'))
$$;

-- Lifts the person's suspension running at `now` and queues the notices decided with it. A
-- suspension lifted by another call meanwhile is not lifted twice: its notices are not queued
-- again.
CREATE FUNCTION ml_suspension_lift(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    UPDATE people SET suspended_until = NULL
    WHERE community_id = p ->> 'community_id' AND id = p ->> 'person_id' AND suspended_until > (p ->> 'now')::timestamptz;
    IF FOUND THEN
        PERFORM ml_outbox_insert(p ->> 'community_id', (p ->> 'now')::timestamptz, p -> 'outbox');
    END IF;
    RETURN '{}'::jsonb;
END $$;
