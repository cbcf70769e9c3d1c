-- A booking's context read costs what the decision needs, not what the calendar holds: the user's
-- bookings of the surrounding weeks are read only where a weekly usage limit counts them, and the
-- expert's unlogged sessions and the user's recent no-shows are found through partial indexes
-- instead of the whole history of either person.

CREATE INDEX meetings_unlogged ON meetings (community_id, expert_id, end_at) WHERE status = 'agreed';
CREATE INDEX meetings_no_shows ON meetings (community_id, user_id, logged_at) WHERE attendance = 'no_show';

CREATE OR REPLACE FUNCTION ml_booking_context(
    p_community text, p_test_clock boolean, p_meeting text, p_service text, p_user text, p_expert text, p_locations text[],
    p_from timestamptz, p_to timestamptz, p_student text DEFAULT NULL
) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_meeting jsonb;
    v_m meetings;
    v_service text := p_service;
    v_user text := p_user;
    v_expert text := p_expert;
    v_student text := p_student;
    v_learner text;
    v_locations text[] := coalesce(p_locations, '{}');
    v_ranges tstzrange[] := '{}';
    v_week_ranges tstzrange[] := '{}';
    v_settings jsonb;
    v_name text;
    v_policy_days integer;
BEGIN
    SELECT settings, name INTO v_settings, v_name FROM communities WHERE community_id = p_community;
    IF p_meeting IS NOT NULL THEN
        SELECT * INTO v_m FROM meetings WHERE community_id = p_community AND id = p_meeting;
        IF FOUND THEN
            v_meeting := ml_meeting_json(p_community, p_meeting);
            v_service := coalesce(v_service, v_m.service_id);
            v_user := coalesce(v_user, v_m.user_id);
            v_expert := coalesce(v_expert, v_m.expert_id);
            v_student := coalesce(v_student, v_m.student_id);
            IF v_m.location_id IS NOT NULL THEN v_locations := v_locations || v_m.location_id; END IF;
            v_ranges := v_ranges || tstzrange(v_m.start_at, v_m.end_at);
            IF v_m.alternate_start_at IS NOT NULL THEN
                v_ranges := v_ranges || tstzrange(v_m.alternate_start_at, v_m.alternate_start_at + make_interval(mins => v_m.alternate_length_minutes));
            END IF;
        END IF;
    END IF;
    v_learner := coalesce(v_student, v_user);
    IF p_from IS NOT NULL AND p_to IS NOT NULL AND p_from < p_to THEN
        v_ranges := v_ranges || tstzrange(p_from, p_to);
    END IF;
    -- A week on any clock lies within 8 days of the times in it.
    SELECT coalesce(array_agg(tstzrange(lower(r) - interval '8 days', upper(r) + interval '8 days')), '{}') INTO v_week_ranges
    FROM unnest(v_ranges) r;
    v_policy_days := coalesce((v_settings -> 'no_show_policy' ->> 'window_days')::integer, 30);
    RETURN jsonb_build_object(
        'now', v_now,
        'settings', v_settings,
        'community_name', v_name,
        'meeting', v_meeting,
        -- The series of an occurrence with its open occurrences from this one on: what a
        -- cancel reaches (bounded by the booking horizon, as occurrences are made up to it).
        'series', CASE WHEN v_m.series_id IS NOT NULL THEN (
            SELECT jsonb_build_object(
                'series', to_jsonb(s), 'skips', '[]'::jsonb,
                'occurrences', (
                    SELECT coalesce(jsonb_agg(ml_meeting_json(o.community_id, o.id) ORDER BY o.start_at, o.id), '[]') FROM meetings o
                    WHERE o.community_id = s.community_id AND o.series_id = s.id AND o.status IN ('awaiting_approval', 'agreed')
                      AND o.start_at >= v_m.start_at))
            FROM series s WHERE s.community_id = p_community AND s.id = v_m.series_id) END,
        'service', (SELECT to_jsonb(s) FROM services s WHERE s.community_id = p_community AND s.id = v_service),
        'user', ml_person_json(p_community, v_user),
        'expert', ml_person_json(p_community, v_expert),
        'student', ml_person_json(p_community, v_student),
        'student_linked', v_student IS NOT NULL AND EXISTS (
            SELECT 1 FROM student_links k WHERE k.community_id = p_community AND k.customer_id = v_user AND k.student_id = v_student),
        'locations', (SELECT coalesce(jsonb_agg(to_jsonb(l)), '[]') FROM locations l WHERE l.community_id = p_community AND l.id = ANY (v_locations)),
        'certified', EXISTS (
            SELECT 1 FROM services s WHERE s.community_id = p_community AND s.id = v_service AND s.kind = 'expert_specific' AND s.expert_id = v_expert
            UNION ALL
            SELECT 1 FROM services s JOIN certifications c ON c.community_id = s.community_id AND c.service_id = s.id
            WHERE s.community_id = p_community AND s.id = v_service AND s.kind = 'generic' AND c.expert_id = v_expert),
        'enrolled', EXISTS (
            SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = v_learner AND (e.service_id = v_service OR e.expert_id = v_expert)),
        'wallet_available', (
            SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM accounts a
            WHERE a.community_id = p_community AND a.kind = 'user_wallet' AND a.owner_id = v_user),
        'schedule', (
            SELECT jsonb_build_object('time_zone', coalesce(w.time_zone, p.time_zone), 'rules', coalesce(w.rules, '[]'))
            FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
            WHERE p.community_id = p_community AND p.id = v_expert),
        'periods', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('kind', a.kind, 'start', a.start_at, 'end', a.end_at, 'location_ids', to_jsonb(a.location_ids))), '[]')
            FROM availability_periods a
            WHERE a.community_id = p_community AND a.expert_id = v_expert
              AND EXISTS (SELECT 1 FROM unnest(v_ranges) r WHERE a.start_at < upper(r) AND a.end_at > lower(r))),
        'expert_meetings', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at, 'status', m.status, 'occupies', m.occupies)), '[]')
            FROM ml_meetings_near(p_community, v_expert, NULL, v_ranges) m
            WHERE m.occupies OR m.status = 'agreed'),
        -- Only the weekly usage limit counts them: without a limit, none are read.
        'user_bookings', CASE WHEN jsonb_typeof(v_settings -> 'weekly_usage_limit') = 'number' THEN (
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at)), '[]')
            FROM ml_meetings_near(p_community, NULL, v_user, v_week_ranges) m
            WHERE m.status IN ('agreed', 'completed') OR (m.status = 'awaiting_approval' AND m.user_approved)) ELSE '[]'::jsonb END,
        'unlogged', (
            SELECT coalesce(jsonb_agg(x.id), '[]') FROM (
                SELECT m.id FROM meetings m
                WHERE m.community_id = p_community AND m.expert_id = v_expert AND m.status = 'agreed' AND m.end_at <= v_now
                ORDER BY m.start_at LIMIT 20) x),
        'recent_no_shows', (
            SELECT count(*) FROM meetings m
            WHERE m.community_id = p_community AND m.user_id = v_user AND m.attendance = 'no_show'
              AND m.logged_at > v_now - make_interval(days => v_policy_days))
    );
END $$;
