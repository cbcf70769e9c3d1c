-- Plans made once per session, not once per call.
--
-- PostgreSQL runs a LANGUAGE sql function that it cannot inline by parsing and planning its body
-- on every call (PL/pgSQL keeps each statement's plan for the session). The helpers a request
-- calls on every step become PL/pgSQL. The booking context read one large expression whose plan
-- depended on its arguments, so it was planned anew on every call (about a millisecond); it
-- now reads each part with a small statement whose generic plan is an index probe, and builds
-- the document from those values. Its output is unchanged, except that a step whose length is
-- not known yet (a request without `length_minutes`) reads the expert's calendar over the
-- service's default length instead of a whole day.

CREATE OR REPLACE FUNCTION ml_now(p_community text, p_test_clock boolean) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz;
BEGIN
    IF p_test_clock THEN
        SELECT t.now INTO v_now FROM test_clocks t WHERE t.community_id = p_community;
    END IF;
    RETURN coalesce(v_now, now());
END $$;

CREATE OR REPLACE FUNCTION ml_lock_wallet(p_community text, p_user text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id = p_user FOR UPDATE;
END $$;

CREATE OR REPLACE FUNCTION ml_person_json(p_community text, p_person text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT jsonb_build_object('id', p.id, 'email', p.email, 'first_name', p.first_name, 'last_name', p.last_name, 'roles', to_jsonb(p.roles),
                              'time_zone', p.time_zone, 'suspended_until', p.suspended_until)
    INTO v FROM people p WHERE p.community_id = p_community AND p.id = p_person;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION ml_meeting_json(p_community text, p_meeting text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT to_jsonb(m) - 'occupies' || jsonb_build_object(
        'user_name', (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id),
        'expert_name', (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id),
        'student_name', (SELECT s.first_name || ' ' || s.last_name FROM people s WHERE s.community_id = m.community_id AND s.id = m.student_id))
    INTO v FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION ml_account_json(p_community text, p_account text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT jsonb_build_object('id', a.id, 'kind', a.kind, 'owner_id', a.owner_id)
    INTO v FROM accounts a WHERE a.community_id = p_community AND a.id = p_account;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION ml_display_name(p_community text, p_person text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v text;
BEGIN
    SELECT coalesce(x.display_name, p.first_name || ' ' || p.last_name)
    INTO v FROM people p LEFT JOIN expert_profiles x ON x.community_id = p.community_id AND x.expert_id = p.id
    WHERE p.community_id = p_community AND p.id = p_person;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION ml_rfc3339(p_at timestamptz) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM p_at)::bigint % 1000000 <> 0
                THEN '.' || to_char(p_at AT TIME ZONE 'UTC', 'US') ELSE '' END
        || 'Z';
END $$;

CREATE OR REPLACE FUNCTION ml_remember(p_community text, p_actor text, p_key text, p_method text, p_request text, p_response jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO idempotency_keys (community_id, actor_id, key, method, request_hash, response)
    VALUES (p_community, p_actor, p_key, p_method, encode(sha256(convert_to(p_request, 'UTF8')), 'hex'), p_response);
    RETURN p_response;
END $$;

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
        (SELECT coalesce(jsonb_agg(to_jsonb(l)), '[]') FROM locations l WHERE l.community_id = p_community AND l.id = ANY (v_locations)) AS locations,
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
         WHERE m.community_id = p_community AND m.user_id = v_user AND m.attendance = 'no_show'
           AND m.logged_at > v_now - make_interval(days => coalesce((v_settings -> 'no_show_policy' ->> 'window_days')::integer, 30))) AS no_shows,
        ml_person_json(p_community, v_user) AS user_json,
        ml_person_json(p_community, v_expert) AS expert_json,
        CASE WHEN v_student IS NOT NULL THEN ml_person_json(p_community, v_student) END AS student_json
    INTO v_facts;

    -- Per range, through the (community, person, start) indexes: a meeting lasts at most a day,
    -- so it starts within a day before the range's end. A meeting met in two ranges is read once.
    FOREACH v_range IN ARRAY v_ranges LOOP
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at, 'status', m.status, 'occupies', m.occupies)), '[]'),
               coalesce(array_agg(m.id), '{}')
        INTO v_part, v_ids
        FROM meetings m
        WHERE m.community_id = p_community AND m.expert_id = v_expert
          AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)
          AND (m.occupies OR m.status = 'agreed') AND m.id <> ALL (v_seen);
        v_expert_meetings := v_expert_meetings || v_part;
        v_seen := v_seen || v_ids;
    END LOOP;
    IF cardinality(v_ranges) > 1 THEN
        SELECT coalesce(jsonb_agg(e ORDER BY e ->> 'id'), '[]') INTO v_expert_meetings FROM jsonb_array_elements(v_expert_meetings) e;
    END IF;
    -- Only the weekly usage limit counts them: without a limit, none are read. A week on any
    -- clock lies within 8 days of the times in it.
    IF jsonb_typeof(v_settings -> 'weekly_usage_limit') = 'number' THEN
        v_seen := '{}';
        FOREACH v_range IN ARRAY v_ranges LOOP
            v_range := tstzrange(lower(v_range) - interval '8 days', upper(v_range) + interval '8 days');
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at)), '[]'), coalesce(array_agg(m.id), '{}')
            INTO v_part, v_ids
            FROM meetings m
            WHERE m.community_id = p_community AND m.user_id = v_user
              AND m.start_at < upper(v_range) AND m.start_at > lower(v_range) - interval '1 day' AND m.end_at > lower(v_range)
              AND (m.status IN ('agreed', 'completed') OR (m.status = 'awaiting_approval' AND m.user_approved)) AND m.id <> ALL (v_seen);
            v_user_bookings := v_user_bookings || v_part;
            v_seen := v_seen || v_ids;
        END LOOP;
        IF cardinality(v_ranges) > 1 THEN
            SELECT coalesce(jsonb_agg(e ORDER BY e ->> 'id'), '[]') INTO v_user_bookings FROM jsonb_array_elements(v_user_bookings) e;
        END IF;
    END IF;

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
        'locations', v_facts.locations,
        'certified', v_facts.certified,
        'enrolled', v_facts.enrolled,
        'wallet_available', v_facts.wallet,
        'schedule', v_facts.schedule,
        'periods', v_facts.periods,
        'expert_meetings', v_expert_meetings,
        'user_bookings', v_user_bookings,
        'unlogged', v_facts.unlogged,
        'recent_no_shows', v_facts.no_shows
    );
END $$;

-- Applying a decision runs only the statements it has rows for: a statement writing nothing
-- still opens its table and every index of it (0.1–0.2 ms of a request's apply, measured).
CREATE OR REPLACE FUNCTION ml_apply(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v_now timestamptz := (p ->> 'now')::timestamptz;
    v_ledger_at timestamptz := (p ->> 'ledger_at')::timestamptz;
    v_actor text := p ->> 'actor_id';
    v_change jsonb;
    v_move jsonb;
    v_row meetings;
    v_meeting text;
    v_seq bigint;
BEGIN
    IF jsonb_array_length(coalesce(p -> 'series_new', '[]')) > 0 THEN
        INSERT INTO series (community_id, id, user_id, expert_id, service_id, location_id, time_zone, first_date, local_minutes, length_minutes, weeks,
                            next_index, status, created_at, student_id)
        SELECT v_community, x.id, x.user_id, x.expert_id, x.service_id, x.location_id, x.time_zone, x.first_date, x.local_minutes, x.length_minutes,
               x.weeks, x.next_index, x.status, v_now, x.student_id
        FROM jsonb_populate_recordset(NULL::series, coalesce(p -> 'series_new', '[]')) x;
    END IF;
    FOR v_change IN SELECT value FROM jsonb_array_elements(coalesce(p -> 'meetings', '[]')) LOOP
        v_row := jsonb_populate_record(NULL::meetings, v_change -> 'row');
        v_meeting := v_row.id;
        FOR v_move IN SELECT value FROM jsonb_array_elements(coalesce(v_change -> 'ledger', '[]')) LOOP
            CASE v_move ->> 'op'
            WHEN 'hold' THEN
                PERFORM ledger_transfer(
                    v_community, v_move ->> 'id', ledger_account(v_community, 'user_wallet', v_row.user_id),
                    ledger_account(v_community, 'expert_earnings', v_row.expert_id), (v_move ->> 'credits')::bigint, 'hold', 'pending',
                    v_meeting, NULL, NULL, v_actor, v_ledger_at);
            WHEN 'release' THEN
                PERFORM ledger_resolve(v_community, v_move ->> 'id', v_move ->> 'hold_id', false, NULL, v_actor, v_move ->> 'reason', v_ledger_at);
            WHEN 'capture' THEN
                PERFORM ledger_resolve(
                    v_community, v_move ->> 'id', v_move ->> 'hold_id', true, (v_move ->> 'credits')::bigint, v_actor, v_move ->> 'reason', v_ledger_at);
                IF (v_move ->> 'fee_credits')::bigint > 0 THEN
                    PERFORM ledger_transfer(
                        v_community, v_move ->> 'fee_id', ledger_account(v_community, 'expert_earnings', v_row.expert_id),
                        ledger_account(v_community, 'platform_revenue', NULL), (v_move ->> 'fee_credits')::bigint, 'fee', 'posted',
                        v_meeting, NULL, v_move ->> 'fee_reason', v_actor, v_ledger_at);
                END IF;
            ELSE
                RAISE EXCEPTION 'unknown ledger move %', v_move ->> 'op' USING ERRCODE = '22023';
            END CASE;
        END LOOP;
        IF (v_change ->> 'expected_version') IS NULL THEN
            INSERT INTO meetings (
                community_id, id, service_id, skill, user_id, expert_id, location_id, start_at, length_minutes, end_at, price_credits, price_source,
                topic, agenda_answers, session_type, status, proposed_by, expert_approved, user_approved, credit_status, hold_transfer_id,
                conflict_accepted, alternate_start_at, alternate_length_minutes, alternate_price_credits, alternate_proposed_by, alternate_note,
                note, video_url, series_id, occurrence_date, attendance, duration_minutes, feedback, logged_at, calendar_sequence, version,
                created_at, updated_at, student_id, decline_reason, pending_holds_slot)
            VALUES (
                v_community, v_row.id, v_row.service_id, v_row.skill, v_row.user_id, v_row.expert_id, v_row.location_id, v_row.start_at,
                v_row.length_minutes, v_row.start_at + make_interval(mins => v_row.length_minutes), v_row.price_credits, v_row.price_source,
                v_row.topic, coalesce(v_row.agenda_answers, '[]'), v_row.session_type, v_row.status, v_row.proposed_by, v_row.expert_approved,
                v_row.user_approved, v_row.credit_status, v_row.hold_transfer_id, v_row.conflict_accepted, v_row.alternate_start_at,
                v_row.alternate_length_minutes, v_row.alternate_price_credits, v_row.alternate_proposed_by, v_row.alternate_note, v_row.note,
                v_row.video_url, v_row.series_id, v_row.occurrence_date, v_row.attendance, v_row.duration_minutes, v_row.feedback, v_row.logged_at,
                v_row.calendar_sequence, v_row.version, v_row.created_at, v_row.updated_at, v_row.student_id, v_row.decline_reason,
                coalesce(v_row.pending_holds_slot, true));
        ELSE
            UPDATE meetings m SET
                location_id = v_row.location_id, start_at = v_row.start_at, length_minutes = v_row.length_minutes,
                end_at = v_row.start_at + make_interval(mins => v_row.length_minutes), price_credits = v_row.price_credits,
                session_type = v_row.session_type, status = v_row.status, proposed_by = v_row.proposed_by,
                expert_approved = v_row.expert_approved, user_approved = v_row.user_approved, credit_status = v_row.credit_status,
                hold_transfer_id = v_row.hold_transfer_id, conflict_accepted = v_row.conflict_accepted,
                alternate_start_at = v_row.alternate_start_at, alternate_length_minutes = v_row.alternate_length_minutes,
                alternate_price_credits = v_row.alternate_price_credits, alternate_proposed_by = v_row.alternate_proposed_by,
                alternate_note = v_row.alternate_note, note = v_row.note, video_url = v_row.video_url, attendance = v_row.attendance,
                duration_minutes = v_row.duration_minutes, feedback = v_row.feedback, logged_at = v_row.logged_at,
                calendar_sequence = v_row.calendar_sequence, version = v_row.version, updated_at = v_row.updated_at,
                decline_reason = v_row.decline_reason
            WHERE m.community_id = v_community AND m.id = v_meeting AND m.version = (v_change ->> 'expected_version')::integer;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'meeting % changed since it was read', v_meeting USING ERRCODE = '40001';
            END IF;
        END IF;
        INSERT INTO meeting_events (community_id, id, meeting_id, kind, actor_id, actor_role, reason_code, note, details, created_at)
        SELECT v_community, e.id, v_meeting, e.kind, e.actor_id, e.actor_role, e.reason_code, e.note, coalesce(e.details, '{}'), v_now
        FROM jsonb_to_recordset(coalesce(v_change -> 'events', '[]'))
            AS e(id text, kind text, actor_id text, actor_role text, reason_code text, note text, details jsonb);
        IF (v_change ->> 'withdraw_reminders')::boolean THEN
            -- A withdrawn reminder gives up its dedupe key, so a meeting moved back to a time it
            -- had before is reminded again.
            UPDATE outbox SET status = 'cancelled', done_at = v_now, dedupe_key = NULL
            WHERE community_id = v_community AND meeting_id = v_meeting AND kind IN ('meeting_reminder', 'meeting_link')
              AND status IN ('pending', 'leased');
        END IF;
    END LOOP;
    IF jsonb_array_length(coalesce(p -> 'outbox', '[]')) > 0 THEN
        INSERT INTO outbox (community_id, id, kind, channel, recipient_id, meeting_id, event_id, payload, dedupe_key, available_at, created_at)
        SELECT v_community, o.id, o.kind, o.channel, o.recipient_id, o.meeting_id, o.event_id, o.payload, o.dedupe_key,
               coalesce(o.available_at, v_now), v_now
        FROM jsonb_to_recordset(coalesce(p -> 'outbox', '[]'))
            AS o(id text, kind text, channel text, recipient_id text, meeting_id text, event_id text, payload jsonb, dedupe_key text, available_at timestamptz)
        ON CONFLICT (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
    END IF;
    IF jsonb_array_length(coalesce(p -> 'suspensions', '[]')) > 0 THEN
        UPDATE people SET suspended_until = GREATEST(coalesce(suspended_until, s.until), s.until)
        FROM jsonb_to_recordset(coalesce(p -> 'suspensions', '[]')) AS s(person_id text, until timestamptz)
        WHERE people.community_id = v_community AND people.id = s.person_id;
    END IF;
    IF jsonb_array_length(coalesce(p -> 'series_changed', '[]')) > 0 THEN
        UPDATE series s SET next_index = x.next_index, status = x.status,
            cancelled_at = CASE WHEN x.status = 'cancelled' AND s.status <> 'cancelled' THEN v_now ELSE s.cancelled_at END
        FROM jsonb_populate_recordset(NULL::series, coalesce(p -> 'series_changed', '[]')) x
        WHERE s.community_id = v_community AND s.id = x.id;
    END IF;
    IF jsonb_array_length(coalesce(p -> 'series_skips', '[]')) > 0 THEN
        INSERT INTO series_skips (community_id, series_id, skip_date, reason, detail, actor_id, created_at)
        SELECT v_community, k.series_id, k.skip_date, k.reason, k.detail, k.actor_id, v_now
        FROM jsonb_to_recordset(coalesce(p -> 'series_skips', '[]')) AS k(series_id text, skip_date date, reason text, detail text, actor_id text)
        ON CONFLICT DO NOTHING;
    END IF;
    IF p ? 'message' THEN
        INSERT INTO meeting_messages (community_id, id, meeting_id, author_id, text, created_at)
        VALUES (v_community, p -> 'message' ->> 'id', p -> 'message' ->> 'meeting_id', p -> 'message' ->> 'author_id', p -> 'message' ->> 'text', v_now)
        RETURNING seq INTO v_seq;
        RETURN jsonb_build_object('seq', v_seq);
    END IF;
    RETURN '{}'::jsonb;
END $$;

-- A command decided from the actor alone (a grant, a payout) runs in one round trip when the
-- connection has read the actor before: it decides on the roles and zone it read then, and this
-- statement, run in the same transaction before the apply, refuses (ML090) if they are no longer
-- the person's, so the caller reads them afresh and decides again.
CREATE FUNCTION ml_expect_actor(p_community text, p_actor text, p_roles text[], p_time_zone text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM 1 FROM people p
    WHERE p.community_id = p_community AND p.id = p_actor AND p.roles @> p_roles AND p.roles <@ p_roles AND p.time_zone = p_time_zone;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'person % is not as this connection last read them', p_actor USING ERRCODE = 'ML090';
    END IF;
END $$;

-- Each statement of the context read is an index probe whatever its arguments, but its estimated
-- generic cost stays above the custom one, so PostgreSQL would plan it anew on every call.
ALTER FUNCTION ml_booking_context(text, boolean, text, text, text, text, text[], timestamptz, timestamptz, text)
    SET plan_cache_mode = force_generic_plan;
