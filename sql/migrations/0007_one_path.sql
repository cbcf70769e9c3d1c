-- One path per request: the locks that serialize a step, one read of everything its decision
-- needs, and one statement applying the whole decision. The decisions themselves are made in
-- Swift (module Meetings); these functions only lock, read and write.

-- A meeting's price comes from the service (pro rata to its length) or from the expert's
-- proposal; an alternate date carries the price it would take.
ALTER TABLE meetings ADD COLUMN price_source text NOT NULL DEFAULT 'service' CHECK (price_source IN ('service', 'expert'));
UPDATE meetings SET price_source = 'expert' WHERE proposed_by = 'expert';
ALTER TABLE meetings ADD COLUMN alternate_price_credits bigint CHECK (alternate_price_credits BETWEEN 0 AND 1000000000000);
UPDATE meetings SET alternate_price_credits = price_credits WHERE alternate_start_at IS NOT NULL;
ALTER TABLE meetings ADD CONSTRAINT meetings_alternate_price CHECK ((alternate_start_at IS NULL) = (alternate_price_credits IS NULL));

-- Why a series date was not booked, in words for both parties (`reason`) and with the figures
-- only its user may see (`detail`, e.g. their balance).
ALTER TABLE series_skips ADD COLUMN detail text;

-- A transaction-scoped advisory lock on one subject of one community. The class tells apart
-- what is locked (Swift's LockClass is the one list of them).
CREATE FUNCTION ml_lock(p_community text, p_subject text, p_class integer) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended(p_community || '/' || p_subject, p_class))
$$;

-- The locks of the people a step books for, always in this order: the caller's idempotency
-- key, the user's counted bookings, then the expert's calendar. Subjects that are NULL are
-- skipped. Row locks (the meeting's or series', then the user's wallet) follow in the callers,
-- so the credits a decision reads stay true until it is applied.
CREATE FUNCTION ml_lock_people(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_key_subject IS NOT NULL THEN PERFORM ml_lock(p_community, p_key_subject, p_key_class); END IF;
    IF p_user IS NOT NULL THEN PERFORM ml_lock(p_community, p_user, p_user_class); END IF;
    IF p_expert IS NOT NULL THEN PERFORM ml_lock(p_community, p_expert, p_expert_class); END IF;
END $$;

CREATE FUNCTION ml_lock_wallet(p_community text, p_user text) RETURNS void
LANGUAGE sql AS $$
    SELECT 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id = p_user FOR UPDATE
$$;

-- A booking for a user with an expert: their locks, then the user's wallet.
CREATE FUNCTION ml_lock_parties(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_people(p_community, p_key_subject, p_user, p_expert, p_key_class, p_user_class, p_expert_class);
    IF p_user IS NOT NULL THEN PERFORM ml_lock_wallet(p_community, p_user); END IF;
END $$;

-- A step on an existing meeting (whose parties never change): their locks, the meeting's row,
-- then the wallet.
CREATE FUNCTION ml_lock_meeting(
    p_community text, p_meeting text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_expert text;
BEGIN
    SELECT user_id, expert_id INTO v_user, v_expert FROM meetings WHERE community_id = p_community AND id = p_meeting;
    PERFORM ml_lock_people(p_community, p_key_subject, v_user, v_expert, p_key_class, p_user_class, p_expert_class);
    IF v_user IS NULL THEN RETURN; END IF;
    PERFORM 1 FROM meetings WHERE community_id = p_community AND id = p_meeting FOR UPDATE;
    PERFORM ml_lock_wallet(p_community, v_user);
END $$;

-- The service's time: the transaction's, or the community's pinned test clock when the
-- process runs with --test-clock.
CREATE FUNCTION ml_now(p_community text, p_test_clock boolean) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_test_clock THEN coalesce((SELECT t.now FROM test_clocks t WHERE t.community_id = p_community), now()) ELSE now() END
$$;

CREATE FUNCTION ml_person_json(p_community text, p_person text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', p.id, 'email', p.email, 'first_name', p.first_name, 'last_name', p.last_name, 'roles', to_jsonb(p.roles),
                              'time_zone', p.time_zone, 'suspended_until', p.suspended_until)
    FROM people p WHERE p.community_id = p_community AND p.id = p_person
$$;

CREATE FUNCTION ml_meeting_json(p_community text, p_meeting text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(m) - 'occupies' || jsonb_build_object(
        'user_name', (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id),
        'expert_name', (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id))
    FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting
$$;

-- Meetings of one expert (or user) overlapping any of the ranges, each range read through the
-- (community, person, start) index: a meeting lasts at most a day, so it starts within a day
-- before the range's end.
CREATE FUNCTION ml_meetings_near(p_community text, p_expert text, p_user text, p_ranges tstzrange[])
RETURNS SETOF meetings LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (m.id) m.*
    FROM unnest(p_ranges) r
    JOIN LATERAL (
        SELECT * FROM meetings x
        WHERE x.community_id = p_community
          AND (p_expert IS NULL OR x.expert_id = p_expert) AND (p_user IS NULL OR x.user_id = p_user)
          AND x.start_at < upper(r) AND x.start_at > lower(r) - interval '1 day' AND x.end_at > lower(r)
    ) m ON true
    ORDER BY m.id
$$;

-- Everything a meeting decision reads, in one statement (after the step's locks): the
-- meeting, the people, the service, the locations, the community's settings, the expert's
-- calendar and the user's counted bookings around every time the step may involve (the given
-- range and the meeting's own and alternate times), the user's wallet, the expert's unlogged
-- sessions and the user's recent no-shows. Ids left NULL are taken from the meeting.
CREATE FUNCTION ml_booking_context(
    p_community text, p_test_clock boolean, p_meeting text, p_service text, p_user text, p_expert text, p_locations text[],
    p_from timestamptz, p_to timestamptz
) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_meeting jsonb;
    v_m meetings;
    v_service text := p_service;
    v_user text := p_user;
    v_expert text := p_expert;
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
            IF v_m.location_id IS NOT NULL THEN v_locations := v_locations || v_m.location_id; END IF;
            v_ranges := v_ranges || tstzrange(v_m.start_at, v_m.end_at);
            IF v_m.alternate_start_at IS NOT NULL THEN
                v_ranges := v_ranges || tstzrange(v_m.alternate_start_at, v_m.alternate_start_at + make_interval(mins => v_m.alternate_length_minutes));
            END IF;
        END IF;
    END IF;
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
        'service', (SELECT to_jsonb(s) FROM services s WHERE s.community_id = p_community AND s.id = v_service),
        'user', ml_person_json(p_community, v_user),
        'expert', ml_person_json(p_community, v_expert),
        'locations', (SELECT coalesce(jsonb_agg(to_jsonb(l)), '[]') FROM locations l WHERE l.community_id = p_community AND l.id = ANY (v_locations)),
        'certified', EXISTS (
            SELECT 1 FROM services s WHERE s.community_id = p_community AND s.id = v_service AND s.kind = 'expert_specific' AND s.expert_id = v_expert
            UNION ALL
            SELECT 1 FROM services s JOIN certifications c ON c.community_id = s.community_id AND c.service_id = s.id
            WHERE s.community_id = p_community AND s.id = v_service AND s.kind = 'generic' AND c.expert_id = v_expert),
        'enrolled', EXISTS (
            SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = v_user AND (e.service_id = v_service OR e.expert_id = v_expert)),
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

-- Applies one decision: for each meeting, its credit movements (holds first reference the
-- meeting through the deferred foreign key), its row (inserted, or updated only if its version
-- is still the one the decision read), its timeline events and outbox messages, and the
-- withdrawal of reminders for a time it no longer has; then suspensions, other messages and
-- series changes. Any failure undoes all of it.
CREATE FUNCTION ml_apply(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
                        next_index, status, created_at)
    SELECT v_community, x.id, x.user_id, x.expert_id, x.service_id, x.location_id, x.time_zone, x.first_date, x.local_minutes, x.length_minutes,
           x.weeks, x.next_index, x.status, v_now
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
                created_at, updated_at)
            VALUES (
                v_community, v_row.id, v_row.service_id, v_row.skill, v_row.user_id, v_row.expert_id, v_row.location_id, v_row.start_at,
                v_row.length_minutes, v_row.start_at + make_interval(mins => v_row.length_minutes), v_row.price_credits, v_row.price_source,
                v_row.topic, coalesce(v_row.agenda_answers, '[]'), v_row.session_type, v_row.status, v_row.proposed_by, v_row.expert_approved,
                v_row.user_approved, v_row.credit_status, v_row.hold_transfer_id, v_row.conflict_accepted, v_row.alternate_start_at,
                v_row.alternate_length_minutes, v_row.alternate_price_credits, v_row.alternate_proposed_by, v_row.alternate_note, v_row.note,
                v_row.video_url, v_row.series_id, v_row.occurrence_date, v_row.attendance, v_row.duration_minutes, v_row.feedback, v_row.logged_at,
                v_row.calendar_sequence, v_row.version, v_row.created_at, v_row.updated_at);
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
                calendar_sequence = v_row.calendar_sequence, version = v_row.version, updated_at = v_row.updated_at
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

-- The response of a mutating call with an idempotency key, stored in the call's transaction.
CREATE FUNCTION ml_remember(p_community text, p_actor text, p_key text, p_method text, p_request text, p_response jsonb) RETURNS jsonb
LANGUAGE sql AS $$
    INSERT INTO idempotency_keys (community_id, actor_id, key, method, request_hash, response)
    VALUES (p_community, p_actor, p_key, p_method, encode(sha256(convert_to(p_request, 'UTF8')), 'hex'), p_response)
    RETURNING response
$$;

-- A time as the service writes it in answers: RFC 3339 in UTC with Z, fractional seconds only
-- when there are any (as Swift's `Instant.rfc3339`), so an answer completed here reads the same.
CREATE FUNCTION ml_rfc3339(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM p_at)::bigint % 1000000 <> 0
                THEN '.' || to_char(p_at AT TIME ZONE 'UTC', 'US') ELSE '' END
        || 'Z'
$$;

-- One posted transfer decided by the caller (a grant, an adjustment, a payout). Each side is an
-- account id, or a kind and owner found in the same statement. Returns what only the ledger
-- knows once it is written: the sequence number, the time and the two accounts.
CREATE FUNCTION ml_apply_transfer(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v ledger_result;
BEGIN
    SELECT * INTO v FROM ledger_transfer(
        v_community, p ->> 'id',
        coalesce(p ->> 'debit_account_id', ledger_account(v_community, p ->> 'debit_kind', p ->> 'debit_owner')),
        coalesce(p ->> 'credit_account_id', ledger_account(v_community, p ->> 'credit_kind', p ->> 'credit_owner')),
        (p ->> 'credits')::bigint, p ->> 'kind', 'posted', NULL, p ->> 'reference', p ->> 'reason', p ->> 'actor_id', (p ->> 'at')::timestamptz);
    RETURN jsonb_build_object(
        'seq', v.seq, 'created_at', ml_rfc3339(v.created_at), 'debit_account_id', v.debit_account_id, 'credit_account_id', v.credit_account_id);
END $$;

-- An account's kind and owner, for decisions about it (NULL: no such account).
CREATE FUNCTION ml_account_json(p_community text, p_account text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'kind', a.kind, 'owner_id', a.owner_id)
    FROM accounts a WHERE a.community_id = p_community AND a.id = p_account
$$;

-- Weekly series: the locks of a step on one series (its parties as for a booking, its row and
-- its meetings from today on), and its context (the series, its skips and occurrences, and the
-- booking context of its parties over the window its bookings may fall in).
CREATE FUNCTION ml_lock_series(
    p_community text, p_series text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_expert text;
BEGIN
    SELECT user_id, expert_id INTO v_user, v_expert FROM series WHERE community_id = p_community AND id = p_series;
    PERFORM ml_lock_people(p_community, p_key_subject, v_user, v_expert, p_key_class, p_user_class, p_expert_class);
    IF v_user IS NULL THEN RETURN; END IF;
    PERFORM 1 FROM series WHERE community_id = p_community AND id = p_series FOR UPDATE;
    PERFORM 1 FROM meetings WHERE community_id = p_community AND series_id = p_series AND status IN ('awaiting_approval', 'agreed')
    ORDER BY id FOR UPDATE;
    PERFORM ml_lock_wallet(p_community, v_user);
END $$;

CREATE FUNCTION ml_series_json(p_community text, p_series text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'series', to_jsonb(s),
        'skips', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', k.skip_date, 'reason', k.reason, 'detail', k.detail) ORDER BY k.skip_date), '[]')
                  FROM series_skips k WHERE k.community_id = s.community_id AND k.series_id = s.id),
        'occurrences', (SELECT coalesce(jsonb_agg(ml_meeting_json(m.community_id, m.id) ORDER BY m.occurrence_date), '[]')
                        FROM meetings m WHERE m.community_id = s.community_id AND m.series_id = s.id))
    FROM series s WHERE s.community_id = p_community AND s.id = p_series
$$;

-- A series' context: the series (NULL for a new one), and the booking context of its parties
-- from `p_from` over the next 800 days (the longest horizon and then some).
CREATE FUNCTION ml_series_context(
    p_community text, p_test_clock boolean, p_series text, p_service text, p_user text, p_expert text, p_location text, p_from timestamptz
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
            ARRAY[coalesce(p_location, v_series -> 'series' ->> 'location_id')], v_from - interval '1 day', v_from + interval '800 days'));
END $$;

-- What jobs.run_due locks: at most `p_limit` active series with their parties (every user's
-- lock, then every expert's, each in id order, then the rows), so occurrences can be booked.
CREATE FUNCTION ml_lock_due_series(p_community text, p_limit integer, p_user_class integer, p_expert_class integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_subject text;
BEGIN
    FOR v_subject IN SELECT DISTINCT user_id FROM (
        SELECT user_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) x ORDER BY user_id
    LOOP
        PERFORM ml_lock(p_community, v_subject, p_user_class);
    END LOOP;
    FOR v_subject IN SELECT DISTINCT expert_id FROM (
        SELECT expert_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) x ORDER BY expert_id
    LOOP
        PERFORM ml_lock(p_community, v_subject, p_expert_class);
    END LOOP;
    PERFORM 1 FROM series WHERE community_id = p_community AND status = 'active' AND id IN (
        SELECT id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id IN (
        SELECT user_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) ORDER BY id FOR UPDATE;
END $$;

-- What jobs.run_due reads: requests whose start passed (locked here, skipping those another
-- run holds), agreed meetings starting within the longer reminder lead with the reminders
-- already queued for them, and the locked series with their contexts.
CREATE FUNCTION ml_jobs_context(p_community text, p_test_clock boolean, p_expire_limit integer, p_series_limit integer, p_upcoming_limit integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_settings jsonb := (SELECT settings FROM communities WHERE community_id = p_community);
    v_lead interval := make_interval(mins => greatest(
        coalesce((v_settings ->> 'reminder_user_hours')::integer, 24) * 60, coalesce((v_settings ->> 'reminder_expert_minutes')::integer, 60)));
    v_due jsonb;
    v_upcoming jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(ml_meeting_json(p_community, d.id) ORDER BY d.start_at, d.id), '[]') INTO v_due FROM (
        SELECT id, start_at FROM meetings
        WHERE community_id = p_community AND status = 'awaiting_approval' AND start_at <= v_now
        ORDER BY start_at LIMIT p_expire_limit FOR UPDATE SKIP LOCKED) d;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', m.id, 'user_id', m.user_id, 'expert_id', m.expert_id, 'start', m.start_at, 'video_url', m.video_url,
               'queued', (SELECT coalesce(jsonb_agg(o.dedupe_key), '[]') FROM outbox o
                          WHERE o.community_id = m.community_id AND o.meeting_id = m.id AND o.dedupe_key IS NOT NULL))), '[]')
    INTO v_upcoming
    FROM (SELECT * FROM meetings
          WHERE community_id = p_community AND status = 'agreed' AND start_at > v_now AND start_at <= v_now + v_lead
          ORDER BY start_at LIMIT p_upcoming_limit) m;
    RETURN jsonb_build_object(
        'now', v_now, 'settings', v_settings, 'due', v_due, 'upcoming', v_upcoming,
        'series', (
            SELECT coalesce(jsonb_agg(ml_series_context(p_community, p_test_clock, s.id, NULL, NULL, NULL, NULL, v_now) ORDER BY s.id), '[]')
            FROM (SELECT id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_series_limit) s));
END $$;
