-- A user's new date goes to the expert at any of their locations (the expert says where when
-- accepting it), and was checked against the expert's hours at every location, retired ones
-- too: a review had a new date taken on Monday, where the expert's hours were only at a
-- location retired since, while availability.search and availability.get (which leave retired
-- locations out) showed no time that day and a request then was refused.
-- The booking context's locations now carry every retired location of the community (few), so
-- the decision leaves their hours out as the search does (but the meeting's own location: a
-- meeting agreed there may still move to another time there). The rest of ml_booking_context is
-- as in 0153.

CREATE OR REPLACE FUNCTION ml_booking_context(p_community text, p_test_clock boolean, p_meeting text, p_service text, p_user text, p_expert text, p_locations text[], p_from timestamp with time zone, p_to timestamp with time zone, p_student text DEFAULT NULL::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
    v_range tstzrange;
    v_to timestamptz;
    v_settings jsonb;
    v_name text;
    v_series jsonb;
    v_service_json jsonb;
    v_service_length integer;
    v_service_kind text;
    v_service_owner text;
    v_facts record;
    v_seen text[] := '{}';
    v_expert_meetings jsonb := '[]';
    v_user_bookings jsonb := '[]';
    v_learner_expert jsonb := '[]';
    v_part jsonb;
    v_ids text[];
BEGIN
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

    SELECT c.settings, c.name, to_jsonb(s), s.default_length_minutes, s.kind, s.expert_id
    INTO v_settings, v_name, v_service_json, v_service_length, v_service_kind, v_service_owner
    FROM communities c LEFT JOIN services s ON s.community_id = c.community_id AND s.id = v_service
    WHERE c.community_id = p_community;
    -- A step whose length is not known yet takes the service's default length.
    v_to := coalesce(p_to, p_from + make_interval(mins => coalesce(v_service_length, 1440)));
    IF p_from IS NOT NULL AND v_to > p_from THEN
        v_ranges := v_ranges || tstzrange(p_from, v_to);
    END IF;

    -- The series of an occurrence with its open occurrences from this one on: what a cancel
    -- reaches (bounded by the booking horizon, as occurrences are made up to it).
    IF v_m.series_id IS NOT NULL THEN
        SELECT jsonb_build_object(
            'series', to_jsonb(s), 'skips', '[]'::jsonb,
            'occurrences', (
                SELECT coalesce(jsonb_agg(ml_meeting_json(o.community_id, o.id) ORDER BY o.start_at, o.id), '[]') FROM meetings o
                WHERE o.community_id = s.community_id AND o.series_id = s.id AND o.status IN ('awaiting_approval', 'agreed')
                  AND o.start_at >= v_m.start_at))
        INTO v_series FROM series s WHERE s.community_id = p_community AND s.id = v_m.series_id;
    END IF;

    -- Every one-row fact in one statement, each an index probe.
    SELECT
        v_student IS NOT NULL AND EXISTS (
            SELECT 1 FROM student_links k WHERE k.community_id = p_community AND k.customer_id = v_user AND k.student_id = v_student) AS student_linked,
        -- The locations named, and every retired one: hours kept there offer no time.
        (SELECT coalesce(jsonb_agg(to_jsonb(l)), '[]') FROM locations l
         WHERE l.community_id = p_community AND (l.id = ANY (v_locations) OR NOT l.active)) AS locations,
        CASE v_service_kind
            WHEN 'expert_specific' THEN coalesce(v_service_owner = v_expert, false)
            WHEN 'generic' THEN EXISTS (
                SELECT 1 FROM certifications c WHERE c.community_id = p_community AND c.service_id = v_service AND c.expert_id = v_expert)
            ELSE false END AS certified,
        EXISTS (SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = v_learner AND e.service_id = v_service)
            OR EXISTS (SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = v_learner AND e.expert_id = v_expert) AS enrolled,
        (SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM accounts a
         WHERE a.community_id = p_community AND a.kind = 'user_wallet' AND a.owner_id = v_user) AS wallet,
        (SELECT jsonb_build_object('time_zone', coalesce(w.time_zone, p.time_zone), 'rules', coalesce(w.rules, '[]'))
         FROM people p LEFT JOIN weekly_schedules w ON w.community_id = p.community_id AND w.expert_id = p.id
         WHERE p.community_id = p_community AND p.id = v_expert) AS schedule,
        (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', a.kind, 'start', a.start_at, 'end', a.end_at, 'location_ids', to_jsonb(a.location_ids))), '[]')
         FROM availability_periods a
         WHERE a.community_id = p_community AND a.expert_id = v_expert
           AND EXISTS (SELECT 1 FROM unnest(v_ranges) r WHERE a.start_at < upper(r) AND a.end_at > lower(r))) AS periods,
        (SELECT coalesce(jsonb_agg(x.id), '[]') FROM (
            SELECT m.id FROM meetings m
            WHERE m.community_id = p_community AND m.expert_id = v_expert AND m.status = 'agreed' AND m.end_at <= v_now
            ORDER BY m.start_at LIMIT 20) x) AS unlogged,
        (SELECT count(*) FROM meetings m
         WHERE m.community_id = p_community AND coalesce(m.student_id, m.user_id) = v_learner AND m.attendance = 'no_show'
           AND m.logged_at > v_now - make_interval(days => coalesce((v_settings -> 'no_show_policy' ->> 'window_days')::integer, 30))) AS no_shows,
        ml_person_json(p_community, v_user) AS user_json,
        ml_person_json(p_community, v_expert) AS expert_json,
        CASE WHEN v_student IS NOT NULL THEN ml_person_json(p_community, v_student) END AS student_json,
        CASE WHEN p_meeting IS NOT NULL THEN (
            SELECT coalesce(jsonb_agg(k.customer_id ORDER BY k.created_at, k.customer_id), '[]') FROM student_links k
            WHERE k.community_id = p_community AND k.student_id = v_learner) END AS learner_customers
    INTO v_facts;

    -- Per range, through the (community, person, start) indexes: a meeting lasts at most a day,
    -- so it starts within a day before the range's end. A meeting met in two ranges is read once.
    -- The expert's agreed meetings are all those they attend: as the expert, and as the one
    -- another expert's meeting is for (its student, else its user).
    FOREACH v_range IN ARRAY v_ranges LOOP
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at, 'status', m.status, 'occupies', m.occupies)), '[]'),
               coalesce(array_agg(m.id), '{}')
        INTO v_part, v_ids
        FROM (
            SELECT m.id, m.start_at, m.end_at, m.status, m.occupies FROM meetings m
            WHERE m.community_id = p_community AND m.expert_id = v_expert
              AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)
              AND (m.occupies OR m.status = 'agreed')
            UNION ALL
            -- The expert's own agreed meetings as the one they are for (a person with both roles):
            -- as their student, or as their user where no student is named (a customer who books
            -- for a student does not attend); agreed, never holding the expert's time for a request.
            SELECT m.id, m.start_at, m.end_at, m.status, false FROM meetings m
            WHERE m.community_id = p_community AND (m.student_id = v_expert OR (m.student_id IS NULL AND m.user_id = v_expert))
              AND m.status = 'agreed'
              AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)) m
        WHERE m.id <> ALL (v_seen);
        v_expert_meetings := v_expert_meetings || v_part;
        v_seen := v_seen || v_ids;
    END LOOP;
    IF cardinality(v_ranges) > 1 THEN
        SELECT coalesce(jsonb_agg(e ORDER BY e ->> 'id'), '[]') INTO v_expert_meetings FROM jsonb_array_elements(v_expert_meetings) e;
    END IF;
    -- Only the weekly usage limit counts them: without a limit, none are read. A week on any
    -- clock lies within 8 days of the times in it. They are the learner's: the meetings for the
    -- student a customer books for (whoever booked them), else the user's own. A request the
    -- expert answered with another time still holds the user's credits, and still counts: at the
    -- time the user approved (the counter-offer's previous_start) until they accept the new one,
    -- wherever the new one is (read by meetings_countered, whose rows are few).
    IF jsonb_typeof(v_settings -> 'weekly_usage_limit') = 'number' THEN
        v_seen := '{}';
        FOREACH v_range IN ARRAY v_ranges LOOP
            v_range := tstzrange(lower(v_range) - interval '8 days', upper(v_range) + interval '8 days');
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', b.id, 'start', b.counted_at, 'end', b.end_at)), '[]'), coalesce(array_agg(b.id), '{}')
            INTO v_part, v_ids
            FROM (
                SELECT c.id, c.end_at, CASE WHEN c.countered THEN coalesce((
                           SELECT (e.details ->> 'previous_start')::timestamptz FROM meeting_events e
                           WHERE e.community_id = p_community AND e.meeting_id = c.id AND e.kind = 'alternative_date_selected_by_expert'
                             AND e.details ? 'previous_start'
                           ORDER BY e.seq DESC LIMIT 1), c.start_at) ELSE c.start_at END AS counted_at
                FROM (
                    SELECT m.id, m.start_at, m.end_at, m.status = 'awaiting_approval' AND NOT m.user_approved AS countered FROM meetings m
                    WHERE m.community_id = p_community
                      AND (m.student_id = v_learner OR (m.student_id IS NULL AND m.user_id = v_learner))
                      AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)
                      AND (m.status IN ('agreed', 'completed') OR (m.status = 'awaiting_approval' AND (m.user_approved OR m.credit_status = 'blocked')))
                      AND m.attendance IS DISTINCT FROM 'expert_no_show'
                    UNION
                    -- The learner's requests waiting on the expert's other time, wherever it is.
                    SELECT m.id, m.start_at, m.end_at, true FROM meetings m
                    WHERE m.community_id = p_community AND coalesce(m.student_id, m.user_id) = v_learner
                      AND m.status = 'awaiting_approval' AND NOT m.user_approved AND m.credit_status = 'blocked') c) b
            WHERE b.counted_at < upper(v_range) AND b.counted_at > lower(v_range) - interval '1 day' AND b.id <> ALL (v_seen);
            v_user_bookings := v_user_bookings || v_part;
            v_seen := v_seen || v_ids;
        END LOOP;
        IF cardinality(v_ranges) > 1 THEN
            SELECT coalesce(jsonb_agg(e ORDER BY e ->> 'id'), '[]') INTO v_user_bookings FROM jsonb_array_elements(v_user_bookings) e;
        END IF;
    END IF;

    -- The learner's agreed meetings as the expert of other meetings (a person with both roles),
    -- per range as the expert's own: they attend those then.
    v_seen := '{}';
    FOREACH v_range IN ARRAY v_ranges LOOP
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at)), '[]'), coalesce(array_agg(m.id), '{}')
        INTO v_part, v_ids
        FROM meetings m
        WHERE m.community_id = p_community AND m.expert_id = v_learner AND m.status = 'agreed'
          AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)
          AND m.id <> ALL (v_seen);
        v_learner_expert := v_learner_expert || v_part;
        v_seen := v_seen || v_ids;
    END LOOP;

    RETURN jsonb_build_object(
        'now', v_now,
        'settings', v_settings,
        'community_name', v_name,
        'meeting', v_meeting,
        'series', v_series,
        'service', v_service_json,
        'user', v_facts.user_json,
        'expert', v_facts.expert_json,
        'student', v_facts.student_json,
        'student_linked', v_facts.student_linked,
        'learner_customers', v_facts.learner_customers,
        'locations', v_facts.locations,
        'certified', v_facts.certified,
        'enrolled', v_facts.enrolled,
        'wallet_available', v_facts.wallet,
        'schedule', v_facts.schedule,
        'periods', v_facts.periods,
        'expert_meetings', v_expert_meetings,
        'user_bookings', v_user_bookings,
        'learner_expert_meetings', v_learner_expert,
        'unlogged', v_facts.unlogged,
        'recent_no_shows', v_facts.no_shows
    );
END $function$;
