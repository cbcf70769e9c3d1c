-- service.create (8 statements with an idempotency key), service.update (7) and
-- service.decertify (7) read and wrote as they went. Each is now a command: its lock (the
-- directory's for a service's name, the service's for a certification), one read with the
-- actor's row, the rules decided in Swift, one write. What a retirement or a removed
-- certification leaves open is one function (`ml_open_work`), read by the commands and by the
-- transactions that still read it after their write (service.set_active, location.update).

-- The requests still waiting for an answer (the soonest `p_listed`: one whose start has passed
-- waits for nobody, and expires) and the weekly series that go on booking a service or a
-- location, or one expert's of them; each with how many in all.
CREATE FUNCTION ml_open_work(
    p_community text, p_now timestamptz, p_service text, p_location text, p_expert text, p_listed integer
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH waiting AS (
        SELECT m.id, m.start_at FROM meetings m
        WHERE m.community_id = p_community AND m.status = 'awaiting_approval' AND m.start_at > p_now
          AND (m.service_id = p_service OR m.location_id = p_location) AND (p_expert IS NULL OR m.expert_id = p_expert)
    ), going_on AS (
        SELECT s.id FROM series s
        WHERE s.community_id = p_community AND s.status = 'active' AND (s.service_id = p_service OR s.location_id = p_location)
          AND (p_expert IS NULL OR s.expert_id = p_expert)
    )
    SELECT jsonb_build_object(
        'waiting', (SELECT coalesce(jsonb_agg(w.id ORDER BY w.start_at, w.id), '[]') FROM (
                        SELECT id, start_at FROM waiting ORDER BY start_at, id LIMIT p_listed) w),
        'waiting_count', (SELECT count(*) FROM waiting),
        'series', (SELECT coalesce(jsonb_agg(g.id ORDER BY g.id), '[]') FROM (SELECT id FROM going_on ORDER BY id LIMIT p_listed) g),
        'series_count', (SELECT count(*) FROM going_on))
$$;

-- What a new or changed service is decided on: the service as it is (for a change), the expert
-- named (for an expert's own service), and another service that has the name already (by
-- `ml_name_key`: whatever the case, the Unicode form and the spaces around it).
CREATE FUNCTION ml_service_context(p_community text, p_service text, p_expert text, p_name text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'service', (SELECT to_jsonb(s) FROM services s WHERE s.community_id = p_community AND s.id = p_service),
        'expert', CASE WHEN p_expert IS NOT NULL THEN ml_person_json(p_community, p_expert) END,
        'name_taken', CASE WHEN p_name IS NOT NULL THEN (
            SELECT jsonb_build_object('id', s.id, 'name', s.name) FROM services s
            WHERE s.community_id = p_community AND ml_name_key(s.name) = ml_name_key(p_name) AND s.id IS DISTINCT FROM p_service
            ORDER BY s.id LIMIT 1) END)
$$;

-- The service as decided: a new one ("insert": true), or the name, default length, price,
-- skills and agenda questions of one that exists (its kind, expert and whether it is offered stay).
CREATE FUNCTION ml_service_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH s AS (
        SELECT x.* FROM jsonb_to_record(p -> 'service') AS x(
            id text, name text, kind text, expert_id text, default_length_minutes integer, price_credits bigint, skills text[], agenda_questions text[])
    ), inserted AS (
        INSERT INTO services (community_id, id, name, kind, expert_id, default_length_minutes, price_credits, skills, agenda_questions)
        SELECT p ->> 'community_id', s.id, s.name, s.kind, s.expert_id, s.default_length_minutes, s.price_credits, s.skills, s.agenda_questions
        FROM s WHERE (p ->> 'insert')::boolean
        RETURNING 1
    ), updated AS (
        UPDATE services t SET name = s.name, default_length_minutes = s.default_length_minutes, price_credits = s.price_credits,
            skills = s.skills, agenda_questions = s.agenda_questions
        FROM s WHERE NOT (p ->> 'insert')::boolean AND t.community_id = p ->> 'community_id' AND t.id = s.id
        RETURNING 1
    )
    SELECT jsonb_build_object('written', (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated))
$$;

-- What removing an expert's certification is decided on: the service, whether the expert holds
-- the certification, and what the expert's side leaves open in the service.
CREATE FUNCTION ml_decertify_context(
    p_community text, p_test_clock boolean, p_service text, p_expert text, p_listed integer
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'service', (SELECT to_jsonb(s) FROM services s WHERE s.community_id = p_community AND s.id = p_service),
        'certified', EXISTS (
            SELECT 1 FROM certifications c WHERE c.community_id = p_community AND c.service_id = p_service AND c.expert_id = p_expert),
        'open_work', ml_open_work(p_community, ml_now(p_community, p_test_clock), p_service, NULL, p_expert, p_listed))
$$;

CREATE FUNCTION ml_decertify_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH removed AS (
        DELETE FROM certifications
        WHERE community_id = p ->> 'community_id' AND service_id = p ->> 'service_id' AND expert_id = p ->> 'expert_id'
        RETURNING 1)
    SELECT jsonb_build_object('removed', (SELECT count(*) FROM removed))
$$;
