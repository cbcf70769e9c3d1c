-- availability.set_weekly read and wrote as it went (the expert, their unlogged sessions, each
-- location and each service its rules name and whether the expert offers it, the write, the
-- meetings still to come and the free periods over them: about nine statements a call). It is
-- now a command: the expert's calendar lock, one read (`ml_weekly_context`, with the actor's
-- row), the rules decided in Swift, and one write (`ml_weekly_apply`, with the idempotency
-- record).
--
-- Who offers a service is one function, `ml_certified_experts`, which search's context now reads
-- too; ml_search_context is otherwise that of 0132.

-- The experts who offer a service: certified in it (a generic service) or its owner (an
-- expert-specific one), and experts still, in id order.
CREATE FUNCTION ml_certified_experts(p_community text, p_service text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(x.id ORDER BY x.id), '{}') FROM (
        SELECT c.expert_id AS id FROM certifications c WHERE c.community_id = p_community AND c.service_id = p_service
        UNION SELECT s.expert_id FROM services s WHERE s.community_id = p_community AND s.id = p_service AND s.expert_id IS NOT NULL) x
    JOIN people p ON p.community_id = p_community AND p.id = x.id AND 'expert' = ANY (p.roles)
$$;

CREATE OR REPLACE FUNCTION ml_search_context(
    p_community text, p_test_clock boolean, p_service text, p_user text, p_student text, p_expert text, p_location text,
    p_from timestamptz, p_to timestamptz
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ml_booking_context(
               p_community, p_test_clock, NULL, p_service, p_user, NULL,
               CASE WHEN p_location IS NULL THEN '{}'::text[] ELSE ARRAY[p_location] END, p_from, p_to, p_student)
        || jsonb_build_object(
            'filter_expert', CASE WHEN p_expert IS NOT NULL THEN ml_person_json(p_community, p_expert) END,
            'certified_experts', to_jsonb(ml_certified_experts(p_community, p_service)),
            -- The learner's assignments to this service, and to experts (in any service).
            'enrolments', (
                SELECT coalesce(jsonb_agg(jsonb_build_object('service_id', e.service_id, 'expert_id', e.expert_id)), '[]')
                FROM enrollments e
                WHERE e.community_id = p_community AND e.user_id = coalesce(p_student, p_user)
                  AND (e.service_id = p_service OR e.expert_id IS NOT NULL)),
            'retired_locations', (
                SELECT coalesce(jsonb_agg(l.id ORDER BY l.id), '[]') FROM locations l WHERE l.community_id = p_community AND NOT l.active))
$$;

-- What new weekly hours are decided on: the booking context of the expert alone (the time, the
-- settings, the expert, their unlogged sessions, the locations named), the services named with
-- whether the expert offers each, and the expert's meetings still to come (agreed and not ended,
-- or requests not started; the soonest `p_upcoming`) with the one-off free periods over them.
CREATE FUNCTION ml_weekly_context(
    p_community text, p_test_clock boolean, p_expert text, p_locations text[], p_services text[], p_upcoming integer
) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_context jsonb := ml_booking_context(p_community, p_test_clock, NULL, NULL, NULL, p_expert, p_locations, NULL, NULL);
    v_now timestamptz := (v_context ->> 'now')::timestamptz;
    v_upcoming jsonb;
    v_first timestamptz;
    v_last timestamptz;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', m.id, 'start', m.start_at, 'end', m.end_at, 'service_id', m.service_id, 'location_id', m.location_id) ORDER BY m.start_at, m.id), '[]'),
           min(m.start_at), max(m.end_at)
    INTO v_upcoming, v_first, v_last
    FROM (
        SELECT m.id, m.start_at, m.end_at, m.service_id, m.location_id FROM meetings m
        WHERE m.community_id = p_community AND m.expert_id = p_expert
          AND ((m.status = 'agreed' AND m.end_at > v_now) OR (m.status = 'awaiting_approval' AND m.start_at > v_now))
        ORDER BY m.start_at, m.id LIMIT p_upcoming) m;
    RETURN v_context || jsonb_build_object(
        'services', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', s.id, 'name', s.name, 'kind', s.kind, 'offered', p_expert = ANY (ml_certified_experts(p_community, s.id)))), '[]')
            FROM services s WHERE s.community_id = p_community AND s.id = ANY (p_services)),
        'upcoming', v_upcoming,
        'upcoming_free', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('kind', a.kind, 'start', a.start_at, 'end', a.end_at, 'location_ids', to_jsonb(a.location_ids))), '[]')
            FROM availability_periods a
            WHERE a.community_id = p_community AND a.expert_id = p_expert AND a.kind = 'free' AND a.start_at < v_last AND a.end_at > v_first));
END $$;

-- The expert's weekly hours and zone, as decided.
CREATE FUNCTION ml_weekly_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO weekly_schedules (community_id, expert_id, time_zone, rules, updated_at)
    VALUES (p ->> 'community_id', p ->> 'expert_id', p ->> 'time_zone', p -> 'rules', (p ->> 'now')::timestamptz)
    ON CONFLICT (community_id, expert_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, rules = EXCLUDED.rules, updated_at = EXCLUDED.updated_at
    RETURNING NULL::jsonb
$$;
