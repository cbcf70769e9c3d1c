-- What the seeds' readers do with meetings (issue 13): customers booking for their students,
-- the tutor's processing, the office acting for experts, weekly cancels, declines without
-- details, and pending requests that leave the slot free. The rules are decided in Swift
-- (module Meetings); these tables and functions only store, lock, read and write.

-- A customer (a parent) acts for the students an admin or the office associated them with
-- (seed 003: "the customer associated with a student assigned to you").
CREATE TABLE student_links (
    community_id text NOT NULL,
    customer_id text NOT NULL,
    student_id text NOT NULL,
    created_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, customer_id, student_id),
    FOREIGN KEY (community_id, customer_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, student_id) REFERENCES people (community_id, id),
    CHECK (customer_id <> student_id)
);
CREATE INDEX student_links_student ON student_links (community_id, student_id);

-- A meeting names the student it is for (NULL: the user books for themself); `user_id` stays
-- the customer, whose wallet holds the credits.
ALTER TABLE meetings ADD COLUMN student_id text;
ALTER TABLE meetings ADD CONSTRAINT meetings_student_fk FOREIGN KEY (community_id, student_id) REFERENCES people (community_id, id);
ALTER TABLE meetings ADD CONSTRAINT meetings_student_not_expert CHECK (student_id IS NULL OR student_id <> expert_id);
CREATE INDEX meetings_student ON meetings (community_id, student_id, start_at) WHERE student_id IS NOT NULL;
ALTER TABLE series ADD COLUMN student_id text;
ALTER TABLE series ADD CONSTRAINT series_student_fk FOREIGN KEY (community_id, student_id) REFERENCES people (community_id, id);

-- The office acts for the community's experts, and the timeline says so (seed 003).
ALTER TABLE meeting_events DROP CONSTRAINT meeting_events_actor_role_check;
ALTER TABLE meeting_events ADD CONSTRAINT meeting_events_actor_role_check CHECK (actor_role IN ('user', 'expert', 'admin', 'office', 'system'));

-- The public reason of a decline (`{code, label}` from the community's rejection reasons when
-- it was declined), shown to the user in place of the declined meeting's details (seed 000).
ALTER TABLE meetings ADD COLUMN decline_reason jsonb CHECK (jsonb_typeof(decline_reason) = 'object');

-- Whether the meeting, while it is a request with credits held, takes the expert's time: the
-- community's `pending_holds_slot` when it was requested (seed 004: several users may ask for
-- the same time; only an agreed meeting takes it). `occupies` and the exclusion constraint are
-- rebuilt on it.
ALTER TABLE meetings ADD COLUMN pending_holds_slot boolean NOT NULL DEFAULT true;
ALTER TABLE meetings DROP CONSTRAINT meetings_no_double_booking;
ALTER TABLE meetings DROP COLUMN occupies;
ALTER TABLE meetings ADD COLUMN occupies boolean GENERATED ALWAYS AS (
    (status = 'agreed' OR (status = 'awaiting_approval' AND credit_status = 'blocked' AND pending_holds_slot)) AND NOT conflict_accepted
) STORED;
ALTER TABLE meetings ADD CONSTRAINT meetings_no_double_booking EXCLUDE USING gist (
    community_id WITH =, expert_id WITH =, tstzrange(start_at, end_at) WITH &&
) WHERE (occupies);

CREATE OR REPLACE FUNCTION ml_meeting_json(p_community text, p_meeting text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(m) - 'occupies' || jsonb_build_object(
        'user_name', (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id),
        'expert_name', (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id),
        'student_name', (SELECT s.first_name || ' ' || s.last_name FROM people s WHERE s.community_id = m.community_id AND s.id = m.student_id))
    FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting
$$;

-- The locks of cancelling a meeting that may be an occurrence of a weekly series: as for a
-- series step (its parties, the series row, its open meetings in id order, the wallet) when it
-- is one, as for any meeting step otherwise.
CREATE FUNCTION ml_lock_meeting_series(
    p_community text, p_meeting text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_series text;
BEGIN
    SELECT series_id INTO v_series FROM meetings WHERE community_id = p_community AND id = p_meeting;
    IF v_series IS NULL THEN
        PERFORM ml_lock_meeting(p_community, p_meeting, p_key_subject, p_key_class, p_user_class, p_expert_class);
    ELSE
        PERFORM ml_lock_series(p_community, v_series, p_key_subject, p_key_class, p_user_class, p_expert_class);
        PERFORM 1 FROM meetings WHERE community_id = p_community AND id = p_meeting FOR UPDATE;
    END IF;
END $$;

-- The booking context gains the student (given, or the meeting's), whether the user may act
-- for them, the enrolment of the person the meeting is for, and the series of a meeting that
-- is one of its occurrences (with its open occurrences from that one on).
DROP FUNCTION ml_booking_context(text, boolean, text, text, text, text, text[], timestamptz, timestamptz);
CREATE FUNCTION ml_booking_context(
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
        'user_bookings', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'start', m.start_at, 'end', m.end_at)), '[]')
            FROM ml_meetings_near(p_community, NULL, v_user, v_week_ranges) m
            WHERE m.status IN ('agreed', 'completed') OR (m.status = 'awaiting_approval' AND m.user_approved)),
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

-- A series books for its student, if it has one.
CREATE OR REPLACE FUNCTION ml_series_context(
    p_community text, p_test_clock boolean, p_series text, p_service text, p_user text, p_expert text, p_location text, p_from timestamptz,
    p_student text
) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_series jsonb := ml_series_json(p_community, p_series);
    v_from timestamptz := coalesce(p_from, ml_now(p_community, p_test_clock));
BEGIN
    RETURN jsonb_build_object(
        'series', v_series,
        'booking', ml_booking_context(
            p_community, p_test_clock, NULL, coalesce(p_service, v_series -> 'series' ->> 'service_id'),
            coalesce(p_user, v_series -> 'series' ->> 'user_id'), coalesce(p_expert, v_series -> 'series' ->> 'expert_id'),
            ARRAY[coalesce(p_location, v_series -> 'series' ->> 'location_id')], v_from - interval '1 day', v_from + interval '800 days',
            coalesce(p_student, v_series -> 'series' ->> 'student_id')));
END $$;

-- The scheduler reads each due series with its student.
CREATE OR REPLACE FUNCTION ml_series_context(
    p_community text, p_test_clock boolean, p_series text, p_service text, p_user text, p_expert text, p_location text, p_from timestamptz
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ml_series_context(p_community, p_test_clock, p_series, p_service, p_user, p_expert, p_location, p_from, NULL)
$$;

-- ml_apply as in 0007, writing the new columns: a meeting's student, its decline reason and
-- whether its request holds the slot; a series' student.
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
    INSERT INTO series (community_id, id, user_id, expert_id, service_id, location_id, time_zone, first_date, local_minutes, length_minutes, weeks,
                        next_index, status, created_at, student_id)
    SELECT v_community, x.id, x.user_id, x.expert_id, x.service_id, x.location_id, x.time_zone, x.first_date, x.local_minutes, x.length_minutes,
           x.weeks, x.next_index, x.status, v_now, x.student_id
    FROM jsonb_populate_recordset(NULL::series, coalesce(p -> 'series_new', '[]')) x;
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
    INSERT INTO outbox (community_id, id, kind, channel, recipient_id, meeting_id, event_id, payload, dedupe_key, available_at, created_at)
    SELECT v_community, o.id, o.kind, o.channel, o.recipient_id, o.meeting_id, o.event_id, o.payload, o.dedupe_key,
           coalesce(o.available_at, v_now), v_now
    FROM jsonb_to_recordset(coalesce(p -> 'outbox', '[]'))
        AS o(id text, kind text, channel text, recipient_id text, meeting_id text, event_id text, payload jsonb, dedupe_key text, available_at timestamptz)
    ON CONFLICT (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
    UPDATE people SET suspended_until = GREATEST(coalesce(suspended_until, s.until), s.until)
    FROM jsonb_to_recordset(coalesce(p -> 'suspensions', '[]')) AS s(person_id text, until timestamptz)
    WHERE people.community_id = v_community AND people.id = s.person_id;
    UPDATE series s SET next_index = x.next_index, status = x.status,
        cancelled_at = CASE WHEN x.status = 'cancelled' AND s.status <> 'cancelled' THEN v_now ELSE s.cancelled_at END
    FROM jsonb_populate_recordset(NULL::series, coalesce(p -> 'series_changed', '[]')) x
    WHERE s.community_id = v_community AND s.id = x.id;
    INSERT INTO series_skips (community_id, series_id, skip_date, reason, detail, actor_id, created_at)
    SELECT v_community, k.series_id, k.skip_date, k.reason, k.detail, k.actor_id, v_now
    FROM jsonb_to_recordset(coalesce(p -> 'series_skips', '[]')) AS k(series_id text, skip_date date, reason text, detail text, actor_id text)
    ON CONFLICT DO NOTHING;
    IF p ? 'message' THEN
        INSERT INTO meeting_messages (community_id, id, meeting_id, author_id, text, created_at)
        VALUES (v_community, p -> 'message' ->> 'id', p -> 'message' ->> 'meeting_id', p -> 'message' ->> 'author_id', p -> 'message' ->> 'text', v_now)
        RETURNING seq INTO v_seq;
        RETURN jsonb_build_object('seq', v_seq);
    END IF;
    RETURN '{}'::jsonb;
END $$;
