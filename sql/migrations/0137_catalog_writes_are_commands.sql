-- The rest of the catalog's writes become commands, as service.create, update and decertify
-- did (0136): service.certify, service.set_active, enrollment.assign and enrollment.remove read
-- each fact with the actor's row and write in one statement.

-- What certifying an expert in a service is decided on: the service, the expert, and the name of
-- the expert whose own service it is (another's refuses the certification, naming them).
CREATE FUNCTION ml_certify_context(p_community text, p_service text, p_expert text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'service', to_jsonb(s),
        'expert', ml_person_json(p_community, p_expert),
        'owner_name', (SELECT o.first_name || ' ' || o.last_name FROM people o WHERE o.community_id = p_community AND o.id = s.expert_id))
    FROM (SELECT 1) one LEFT JOIN services s ON s.community_id = p_community AND s.id = p_service
$$;

CREATE FUNCTION ml_certify_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO certifications (community_id, service_id, expert_id) VALUES (p ->> 'community_id', p ->> 'service_id', p ->> 'expert_id')
        ON CONFLICT DO NOTHING
        RETURNING 1)
    SELECT jsonb_build_object('added', (SELECT count(*) FROM added))
$$;

-- What retiring a service, or offering it again, is decided on: the service and what it leaves open.
CREATE FUNCTION ml_retire_context(p_community text, p_test_clock boolean, p_service text, p_listed integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'service', (SELECT to_jsonb(s) FROM services s WHERE s.community_id = p_community AND s.id = p_service),
        'open_work', ml_open_work(p_community, ml_now(p_community, p_test_clock), p_service, NULL, NULL, p_listed))
$$;

CREATE FUNCTION ml_retire_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH changed AS (
        UPDATE services SET active = (p ->> 'active')::boolean WHERE community_id = p ->> 'community_id' AND id = p ->> 'service_id'
        RETURNING 1)
    SELECT jsonb_build_object('changed', (SELECT count(*) FROM changed))
$$;

-- What assigning a user (to a service or an expert), or removing the assignment, is decided on:
-- the user, the service or expert named, and whether the assignment exists.
CREATE FUNCTION ml_enrollment_context(p_community text, p_user text, p_service text, p_expert text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'user', ml_person_json(p_community, p_user),
        'service_exists', EXISTS (SELECT 1 FROM services s WHERE s.community_id = p_community AND s.id = p_service),
        'expert', CASE WHEN p_expert IS NOT NULL THEN ml_person_json(p_community, p_expert) END,
        'enrolled', EXISTS (
            SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = p_user
              AND e.service_id IS NOT DISTINCT FROM p_service AND e.expert_id IS NOT DISTINCT FROM p_expert))
$$;

-- The assignment as decided: made ("enrolled": true, kept if it exists) or removed.
CREATE FUNCTION ml_enrollment_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO enrollments (community_id, user_id, service_id, expert_id, created_at)
        SELECT p ->> 'community_id', p ->> 'user_id', p ->> 'service_id', p ->> 'expert_id', (p ->> 'now')::timestamptz
        WHERE (p ->> 'enrolled')::boolean
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), removed AS (
        DELETE FROM enrollments e
        WHERE NOT (p ->> 'enrolled')::boolean AND e.community_id = p ->> 'community_id' AND e.user_id = p ->> 'user_id'
          AND e.service_id IS NOT DISTINCT FROM p ->> 'service_id' AND e.expert_id IS NOT DISTINCT FROM p ->> 'expert_id'
        RETURNING 1)
    SELECT jsonb_build_object('added', (SELECT count(*) FROM added), 'removed', (SELECT count(*) FROM removed))
$$;
