-- availability.search read as it went: the settings, the service, the location, the expert
-- filtered by, the user searched for, the student and their link, the certified experts, the
-- learner's enrolments, their bookings and meetings as an expert, and the retired locations, each
-- a statement of its own in a transaction (12 statements a search, BEGIN and COMMIT included).
-- It now reads them in one statement, with the actor's row: the booking context a request for the
-- same learner reads (so the weekly limit and the learner's meetings as an expert are counted as a
-- request counts them), and the search's own facts beside it. Which experts the learner is shown
-- is decided in Swift (BookingRules.searchedExperts) from these facts; the experts' calendars and
-- the profiles of those a page names are two more statements.

CREATE FUNCTION ml_search_context(
    p_community text, p_test_clock boolean, p_service text, p_user text, p_student text, p_expert text, p_location text,
    p_from timestamptz, p_to timestamptz
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ml_booking_context(
               p_community, p_test_clock, NULL, p_service, p_user, NULL,
               CASE WHEN p_location IS NULL THEN '{}'::text[] ELSE ARRAY[p_location] END, p_from, p_to, p_student)
        || jsonb_build_object(
            'filter_expert', CASE WHEN p_expert IS NOT NULL THEN ml_person_json(p_community, p_expert) END,
            -- Certified in a generic service, or the owner of an expert-specific one, and an
            -- expert still.
            'certified_experts', (
                SELECT coalesce(jsonb_agg(x.id ORDER BY x.id), '[]') FROM (
                    SELECT c.expert_id AS id FROM certifications c WHERE c.community_id = p_community AND c.service_id = p_service
                    UNION SELECT s.expert_id FROM services s WHERE s.community_id = p_community AND s.id = p_service AND s.expert_id IS NOT NULL) x
                JOIN people p ON p.community_id = p_community AND p.id = x.id AND 'expert' = ANY (p.roles)),
            -- The learner's assignments to this service, and to experts (in any service).
            'enrolments', (
                SELECT coalesce(jsonb_agg(jsonb_build_object('service_id', e.service_id, 'expert_id', e.expert_id)), '[]')
                FROM enrollments e
                WHERE e.community_id = p_community AND e.user_id = coalesce(p_student, p_user)
                  AND (e.service_id = p_service OR e.expert_id IS NOT NULL)),
            'retired_locations', (
                SELECT coalesce(jsonb_agg(l.id ORDER BY l.id), '[]') FROM locations l WHERE l.community_id = p_community AND NOT l.active))
$$;

-- The calendars of the given experts over a range, one element per expert: their weekly rules in
-- their zone, their one-off periods, and the times their meetings take (an agreed meeting or a
-- held request as the expert, an agreed one they attend as a user or student), each read through
-- its person's index; a meeting lasts at most a day, so only those starting within a day before
-- the range are read.
CREATE FUNCTION ml_expert_calendars(p_community text, p_experts text[], p_from timestamptz, p_to timestamptz)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
        'expert_id', p.id,
        'time_zone', coalesce(w.time_zone, p.time_zone),
        'rules', coalesce(w.rules, '[]'),
        'periods', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('kind', a.kind, 'start', a.start_at, 'end', a.end_at, 'location_ids', to_jsonb(a.location_ids))), '[]')
            FROM availability_periods a
            WHERE a.community_id = p_community AND a.expert_id = p.id AND a.start_at < p_to AND a.end_at > p_from),
        'busy', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('start', b.start_at, 'end', b.end_at)), '[]') FROM (
                SELECT m.start_at, m.end_at FROM meetings m
                WHERE m.community_id = p_community AND m.expert_id = p.id AND (m.occupies OR m.status = 'agreed')
                  AND m.start_at < p_to AND m.end_at > p_from AND m.start_at > p_from - interval '1 day'
                UNION ALL
                SELECT m.start_at, m.end_at FROM meetings m
                WHERE m.community_id = p_community AND m.user_id = p.id AND m.status = 'agreed'
                  AND m.start_at < p_to AND m.end_at > p_from AND m.start_at > p_from - interval '1 day'
                UNION ALL
                SELECT m.start_at, m.end_at FROM meetings m
                WHERE m.community_id = p_community AND m.student_id = p.id AND m.status = 'agreed'
                  AND m.start_at < p_to AND m.end_at > p_from AND m.start_at > p_from - interval '1 day') b)
    ) ORDER BY p.id), '[]')
    FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
    WHERE p.community_id = p_community AND p.id = ANY (p_experts)
$$;
