-- Four more things a wrong step could write, found by auditing 0147 and 0148 again:
-- - a session logged as attended (or the user absent) that paid the expert nothing (its hold
--   released, the meeting completed and `returned`), and an expert's absence that was charged:
--   two more row rules on meetings (`meetings_logged_session_paid`, but for a meeting of price 0;
--   `meetings_expert_absence_unpaid`);
-- - an agreed meeting taken back to awaiting the user's approval, its price changed while its hold
--   stayed: ml_apply's exception for a counter-offer waiting for the user now asks that the
--   meeting was a request before as well as after;
-- - and 0147 refused a user's counter-offer back to the price held (an expert's counter of 90
--   minutes over a hold for 60, then the user's counter of 60: no move, the price back to the
--   hold's), answered -32603 (a review found it; the user could not get past it): a price changed
--   with no move is now taken when it is the hold's amount, read then;
-- - a platform fee with no meeting: a row rule on transfers (`transfers_fee_of_a_meeting`).
-- Reconcile names older rows: a logged session unpaid or an expert's absence charged
-- (`meeting_attendance`), and more fees than captures on a meeting (`meeting_fee`).
-- The rest of each function is as before: ml_apply as in 0147, ml_meetings_row_rules as in 0108,
-- ml_transfers_row_rules as in 0063, ledger_movement_problems as in 0147.

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
    -- This change's ledger step: the moves made, the hold opened, the hold resolved and how,
    -- and the credits captured.
    v_moves integer;
    v_held text;
    v_held_credits bigint;
    v_resolved text;
    v_settled text;
    v_captured bigint;
    v_result ledger_result;
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
        v_moves := 0;
        v_held := NULL;
        v_held_credits := NULL;
        v_resolved := NULL;
        v_settled := NULL;
        v_captured := NULL;
        FOR v_move IN SELECT value FROM jsonb_array_elements(coalesce(v_change -> 'ledger', '[]')) LOOP
            v_moves := v_moves + 1;
            IF v_held IS NOT NULL THEN
                PERFORM ml_ledger_step_refused(v_meeting, 'a move after the hold it opened');
            END IF;
            CASE v_move ->> 'op'
            WHEN 'hold' THEN
                v_held := v_move ->> 'id';
                v_held_credits := (v_move ->> 'credits')::bigint;
                PERFORM ledger_transfer(
                    v_community, v_move ->> 'id', ledger_account(v_community, 'user_wallet', v_row.user_id),
                    ledger_account(v_community, 'expert_earnings', v_row.expert_id), (v_move ->> 'credits')::bigint, 'hold', 'pending',
                    v_meeting, NULL, NULL, v_actor, v_ledger_at);
            WHEN 'release' THEN
                IF v_resolved IS NOT NULL THEN
                    PERFORM ml_ledger_step_refused(v_meeting, 'two holds resolved in one step');
                END IF;
                v_resolved := v_move ->> 'hold_id';
                v_settled := 'returned';
                PERFORM ledger_resolve(v_community, v_move ->> 'id', v_move ->> 'hold_id', false, NULL, v_actor, v_move ->> 'reason', v_ledger_at);
            WHEN 'capture' THEN
                IF v_resolved IS NOT NULL THEN
                    PERFORM ml_ledger_step_refused(v_meeting, 'two holds resolved in one step');
                END IF;
                v_resolved := v_move ->> 'hold_id';
                v_settled := 'paid';
                v_result := ledger_resolve(
                    v_community, v_move ->> 'id', v_move ->> 'hold_id', true, (v_move ->> 'credits')::bigint, v_actor, v_move ->> 'reason', v_ledger_at);
                v_captured := v_result.amount;
                -- The platform's fee is a part of what was captured, never more.
                IF NOT coalesce((v_move ->> 'fee_credits')::bigint BETWEEN 0 AND v_captured, false) THEN
                    PERFORM ml_ledger_step_refused(v_meeting, format('a fee of %s credits on a capture of %s', coalesce(v_move ->> 'fee_credits', 'no'), v_captured));
                END IF;
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
        -- The row says what the step did: a hold opened is its open hold, for its price; a hold
        -- resolved leaves it paid or returned; a session logged (attended, or the user absent)
        -- takes the whole price.
        IF v_held IS NOT NULL AND (v_row.hold_transfer_id IS DISTINCT FROM v_held OR v_held_credits IS DISTINCT FROM v_row.price_credits) THEN
            PERFORM ml_ledger_step_refused(v_meeting, format('hold %s of %s credits, but the row holds %s for a price of %s',
                v_held, v_held_credits, coalesce(v_row.hold_transfer_id, 'nothing'), v_row.price_credits));
        END IF;
        IF v_held IS NULL AND v_settled IS NOT NULL AND v_row.credit_status IS DISTINCT FROM v_settled THEN
            PERFORM ml_ledger_step_refused(v_meeting, format('its hold %s, but the row says %s', v_settled, v_row.credit_status));
        END IF;
        IF v_settled = 'paid' AND v_row.status = 'completed' AND v_row.attendance IN ('attended', 'no_show')
           AND v_captured IS DISTINCT FROM v_row.price_credits THEN
            PERFORM ml_ledger_step_refused(v_meeting, format('a session logged captures its price of %s, not %s', v_row.price_credits, v_captured));
        END IF;
        IF (v_change ->> 'expected_version') IS NULL THEN
            IF v_resolved IS NOT NULL OR (v_held IS NULL AND v_row.credit_status IS DISTINCT FROM 'none') THEN
                PERFORM ml_ledger_step_refused(v_meeting, format('a new meeting with credit_status %s resolving %s', v_row.credit_status, coalesce(v_resolved, 'nothing')));
            END IF;
            INSERT INTO meetings (
                community_id, id, service_id, skill, user_id, expert_id, location_id, start_at, length_minutes, end_at, price_credits, price_source,
                topic, agenda_answers, session_type, status, proposed_by, expert_approved, user_approved, credit_status, hold_transfer_id,
                conflict_accepted, alternate_start_at, alternate_length_minutes, alternate_price_credits, alternate_proposed_by, alternate_note,
                note, video_url, series_id, occurrence_date, attendance, duration_minutes, feedback, logged_at, calendar_sequence, version,
                created_at, updated_at, student_id, decline_reason, pending_holds_slot, accepted_overlaps, alternate_accepted_overlaps,
                follows_meeting_id, class_name, room, price_basis_credits, price_basis_minutes, agenda_questions)
            VALUES (
                v_community, v_row.id, v_row.service_id, v_row.skill, v_row.user_id, v_row.expert_id, v_row.location_id, v_row.start_at,
                v_row.length_minutes, v_row.start_at + make_interval(mins => v_row.length_minutes), v_row.price_credits, v_row.price_source,
                v_row.topic, coalesce(v_row.agenda_answers, '[]'), v_row.session_type, v_row.status, v_row.proposed_by, v_row.expert_approved,
                v_row.user_approved, v_row.credit_status, v_row.hold_transfer_id, v_row.conflict_accepted, v_row.alternate_start_at,
                v_row.alternate_length_minutes, v_row.alternate_price_credits, v_row.alternate_proposed_by, v_row.alternate_note, v_row.note,
                v_row.video_url, v_row.series_id, v_row.occurrence_date, v_row.attendance, v_row.duration_minutes, v_row.feedback, v_row.logged_at,
                v_row.calendar_sequence, v_row.version, v_row.created_at, v_row.updated_at, v_row.student_id, v_row.decline_reason,
                coalesce(v_row.pending_holds_slot, true), coalesce(v_row.accepted_overlaps, '{}'),
                coalesce(v_row.alternate_accepted_overlaps, '{}'), v_row.follows_meeting_id, v_row.class_name, v_row.room,
                v_row.price_basis_credits, v_row.price_basis_minutes, v_row.agenda_questions);
        ELSE
            IF v_row.version IS NULL OR v_row.version <= (v_change ->> 'expected_version')::integer THEN
                PERFORM ml_ledger_step_refused(v_meeting, format('version %s written over version %s', v_row.version, v_change ->> 'expected_version'));
            END IF;
            UPDATE meetings m SET
                location_id = v_row.location_id, start_at = v_row.start_at, length_minutes = v_row.length_minutes,
                end_at = v_row.start_at + make_interval(mins => v_row.length_minutes), price_credits = v_row.price_credits,
                session_type = v_row.session_type, status = v_row.status, proposed_by = v_row.proposed_by,
                expert_approved = v_row.expert_approved, user_approved = v_row.user_approved, credit_status = v_row.credit_status,
                -- Against the row as it was: a hold resolved is its own, a new hold replaces a resolved
                -- one, and without a move its credits stay and, while held, its price is its hold's
                -- (read only when the price changes with no move: a user's counter back to the price
                -- held), but for a request's counter-offer waiting for the user's approval, a request
                -- before and after, whose hold is replaced once approved.
                hold_transfer_id = CASE
                    WHEN v_resolved IS NOT NULL AND m.hold_transfer_id IS DISTINCT FROM v_resolved
                        THEN ml_ledger_step_refused(v_meeting, format('resolves hold %s, not its own %s', v_resolved, coalesce(m.hold_transfer_id, 'none')))
                    WHEN v_held IS NOT NULL AND v_resolved IS NULL AND m.hold_transfer_id IS NOT NULL
                        THEN ml_ledger_step_refused(v_meeting, format('opens hold %s beside its open hold %s', v_held, m.hold_transfer_id))
                    WHEN v_moves = 0 AND (m.credit_status IS DISTINCT FROM v_row.credit_status OR m.hold_transfer_id IS DISTINCT FROM v_row.hold_transfer_id)
                        THEN ml_ledger_step_refused(v_meeting, format('credit_status %s becomes %s with no movement', m.credit_status, v_row.credit_status))
                    WHEN v_moves = 0 AND m.credit_status = 'blocked' AND m.price_credits IS DISTINCT FROM v_row.price_credits
                         AND NOT (m.status = 'awaiting_approval' AND v_row.status = 'awaiting_approval' AND NOT v_row.user_approved)
                         AND v_row.price_credits IS DISTINCT FROM (
                             SELECT t.amount FROM transfers t WHERE t.community_id = v_community AND t.id = m.hold_transfer_id)
                        THEN ml_ledger_step_refused(v_meeting, format('price %s becomes %s while its hold stays', m.price_credits, v_row.price_credits))
                    ELSE v_row.hold_transfer_id END,
                conflict_accepted = v_row.conflict_accepted,
                alternate_start_at = v_row.alternate_start_at, alternate_length_minutes = v_row.alternate_length_minutes,
                alternate_price_credits = v_row.alternate_price_credits, alternate_proposed_by = v_row.alternate_proposed_by,
                alternate_note = v_row.alternate_note, note = v_row.note, video_url = v_row.video_url, attendance = v_row.attendance,
                duration_minutes = v_row.duration_minutes, feedback = v_row.feedback, logged_at = v_row.logged_at,
                calendar_sequence = v_row.calendar_sequence, version = v_row.version, updated_at = v_row.updated_at,
                decline_reason = v_row.decline_reason, accepted_overlaps = coalesce(v_row.accepted_overlaps, '{}'),
                alternate_accepted_overlaps = coalesce(v_row.alternate_accepted_overlaps, '{}'),
                class_name = v_row.class_name, room = v_row.room
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

CREATE OR REPLACE FUNCTION ml_meetings_row_rules(r meetings) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT (((r.alternate_start_at IS NOT NULL) OR (cardinality(r.alternate_accepted_overlaps) = 0))) THEN PERFORM ml_check_failed('meetings', 'meetings_alternate_accepted_overlaps'); END IF;
    IF NOT (((r.alternate_length_minutes >= 5) AND (r.alternate_length_minutes <= 1440))) THEN PERFORM ml_check_failed('meetings', 'meetings_alternate_length_minutes_check'); END IF;
    IF NOT (((r.alternate_start_at IS NULL) = (r.alternate_price_credits IS NULL))) THEN PERFORM ml_check_failed('meetings', 'meetings_alternate_price'); END IF;
    IF NOT (((r.alternate_price_credits >= 0) AND (r.alternate_price_credits <= '1000000000000'::bigint))) THEN PERFORM ml_check_failed('meetings', 'meetings_alternate_price_credits_check'); END IF;
    IF NOT ((r.alternate_proposed_by = ANY (ARRAY['user'::text, 'expert'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_alternate_proposed_by_check'); END IF;
    IF NOT ((r.attendance = ANY (ARRAY['attended'::text, 'no_show'::text, 'expert_no_show'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_attendance_check'); END IF;
    IF NOT ((r.user_id <> r.expert_id)) THEN PERFORM ml_check_failed('meetings', 'meetings_check'); END IF;
    IF NOT ((r.end_at = (r.start_at + make_interval(mins => r.length_minutes)))) THEN PERFORM ml_check_failed('meetings', 'meetings_check1'); END IF;
    IF NOT (((r.status <> 'agreed'::text) OR (r.expert_approved AND r.user_approved AND ((r.credit_status = 'blocked'::text) OR (r.price_credits = 0))))) THEN PERFORM ml_check_failed('meetings', 'meetings_check2'); END IF;
    IF NOT (((r.alternate_start_at IS NULL) = (r.alternate_proposed_by IS NULL))) THEN PERFORM ml_check_failed('meetings', 'meetings_check3'); END IF;
    IF NOT ((r.credit_status = ANY (ARRAY['none'::text, 'blocked'::text, 'returned'::text, 'paid'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_credit_status_check'); END IF;
    IF NOT ((jsonb_typeof(r.decline_reason) = 'object'::text)) THEN PERFORM ml_check_failed('meetings', 'meetings_decline_reason_check'); END IF;
    IF NOT ((r.duration_minutes >= 0)) THEN PERFORM ml_check_failed('meetings', 'meetings_duration_minutes_check'); END IF;
    IF NOT (((r.credit_status = 'blocked'::text) = (r.hold_transfer_id IS NOT NULL))) THEN PERFORM ml_check_failed('meetings', 'meetings_hold_matches_status'); END IF;
    IF NOT ((octet_length(r.id) = 36 AND r.id ~ '^mtg_[0-9a-f]*$'::text)) THEN PERFORM ml_check_failed('meetings', 'meetings_id_check'); END IF;
    IF NOT (((r.length_minutes >= 5) AND (r.length_minutes <= 1440))) THEN PERFORM ml_check_failed('meetings', 'meetings_length_minutes_check'); END IF;
    IF NOT ((char_length(r.note) <= 10000)) THEN PERFORM ml_check_failed('meetings', 'meetings_note_check'); END IF;
    IF NOT (((r.series_id IS NULL) = (r.occurrence_date IS NULL))) THEN PERFORM ml_check_failed('meetings', 'meetings_occurrence'); END IF;
    IF NOT (((r.price_credits >= 0) AND (r.price_credits <= '1000000000000'::bigint))) THEN PERFORM ml_check_failed('meetings', 'meetings_price_credits_check'); END IF;
    IF NOT ((r.price_source = ANY (ARRAY['service'::text, 'expert'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_price_source_check'); END IF;
    IF NOT ((r.proposed_by = ANY (ARRAY['user'::text, 'expert'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_proposed_by_check'); END IF;
    IF NOT ((char_length(r.skill) <= 200)) THEN PERFORM ml_check_failed('meetings', 'meetings_skill_check'); END IF;
    IF NOT ((r.status = ANY (ARRAY['awaiting_approval'::text, 'agreed'::text, 'rejected'::text, 'cancelled'::text, 'completed'::text, 'expired'::text]))) THEN PERFORM ml_check_failed('meetings', 'meetings_status_check'); END IF;
    IF NOT (((r.student_id IS NULL) OR (r.student_id <> r.expert_id))) THEN PERFORM ml_check_failed('meetings', 'meetings_student_not_expert'); END IF;
    IF NOT ((char_length(r.topic) <= 10000)) THEN PERFORM ml_check_failed('meetings', 'meetings_topic_check'); END IF;
    IF NOT ((char_length(r.video_url) <= 2000)) THEN PERFORM ml_check_failed('meetings', 'meetings_video_url_check'); END IF;
    IF NOT ((char_length(r.class_name) BETWEEN 1 AND 100)) THEN PERFORM ml_check_failed('meetings', 'meetings_class_name_check'); END IF;
    IF NOT ((char_length(r.room) BETWEEN 1 AND 100)) THEN PERFORM ml_check_failed('meetings', 'meetings_room_check'); END IF;
    IF NOT ((r.status NOT IN ('rejected', 'cancelled', 'completed', 'expired')) OR (r.credit_status <> 'blocked')) THEN PERFORM ml_check_failed('meetings', 'meetings_ended_holds_nothing'); END IF;
    IF NOT ((r.credit_status <> 'paid') OR (r.status IN ('cancelled', 'completed'))) THEN PERFORM ml_check_failed('meetings', 'meetings_paid_once_ended'); END IF;
    IF NOT ((r.status <> 'completed') OR (r.attendance IS NOT NULL AND r.logged_at IS NOT NULL)) THEN PERFORM ml_check_failed('meetings', 'meetings_completed_logged'); END IF;
    IF NOT (r.version >= 1) THEN PERFORM ml_check_failed('meetings', 'meetings_version_check'); END IF;
    IF NOT ((r.status <> 'completed') OR (r.attendance NOT IN ('attended', 'no_show')) OR (r.credit_status = 'paid') OR (r.price_credits = 0)) THEN PERFORM ml_check_failed('meetings', 'meetings_logged_session_paid'); END IF;
    IF NOT ((r.attendance IS DISTINCT FROM 'expert_no_show') OR (r.credit_status <> 'paid')) THEN PERFORM ml_check_failed('meetings', 'meetings_expert_absence_unpaid'); END IF;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION ml_transfers_row_rules(r transfers) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT (((r.amount > 0) AND (r.amount <= '1000000000000'::bigint))) THEN PERFORM ml_check_failed('transfers', 'transfers_amount_check'); END IF;
    IF NOT ((r.debit_account_id <> r.credit_account_id)) THEN PERFORM ml_check_failed('transfers', 'transfers_check'); END IF;
    IF NOT (((r.phase = ANY (ARRAY['post_pending'::text, 'void_pending'::text])) = (r.pending_id IS NOT NULL))) THEN PERFORM ml_check_failed('transfers', 'transfers_check1'); END IF;
    IF NOT (((r.kind = 'hold'::text) = (r.phase = 'pending'::text))) THEN PERFORM ml_check_failed('transfers', 'transfers_check2'); END IF;
    IF NOT (((r.kind = 'capture'::text) = (r.phase = 'post_pending'::text))) THEN PERFORM ml_check_failed('transfers', 'transfers_check3'); END IF;
    IF NOT (((r.kind = 'release'::text) = (r.phase = 'void_pending'::text))) THEN PERFORM ml_check_failed('transfers', 'transfers_check4'); END IF;
    IF NOT ((octet_length(r.id) = 36 AND r.id ~ '^trf_[0-9a-f]*$'::text)) THEN PERFORM ml_check_failed('transfers', 'transfers_id_check'); END IF;
    IF NOT ((r.kind = ANY (ARRAY['grant'::text, 'adjustment'::text, 'payout'::text, 'hold'::text, 'capture'::text, 'release'::text, 'fee'::text]))) THEN PERFORM ml_check_failed('transfers', 'transfers_kind_check'); END IF;
    IF NOT ((r.phase = ANY (ARRAY['posted'::text, 'pending'::text, 'post_pending'::text, 'void_pending'::text]))) THEN PERFORM ml_check_failed('transfers', 'transfers_phase_check'); END IF;
    IF NOT ((char_length(r.reason) <= 10000)) THEN PERFORM ml_check_failed('transfers', 'transfers_reason_check'); END IF;
    IF NOT ((char_length(r.reference) <= 200)) THEN PERFORM ml_check_failed('transfers', 'transfers_reference_check'); END IF;
    IF NOT ((r.kind <> 'fee') OR (r.meeting_id IS NOT NULL)) THEN PERFORM ml_check_failed('transfers', 'transfers_fee_of_a_meeting'); END IF;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION ledger_movement_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH per_meeting AS (
        SELECT t.meeting_id,
               sum(t.amount) FILTER (WHERE t.kind = 'capture') AS captured,
               sum(t.amount) FILTER (WHERE t.kind = 'fee') AS fees,
               count(*) FILTER (WHERE t.kind = 'capture') AS captures,
               count(*) FILTER (WHERE t.kind = 'fee') AS fee_count
        FROM transfers t
        WHERE t.community_id = p_community AND t.meeting_id IS NOT NULL AND t.kind IN ('capture', 'fee')
        GROUP BY t.meeting_id
    )
    SELECT 'meeting_fee', p.meeting_id, format('%s fee(s) of %s credits on %s capture(s) of %s', p.fee_count, p.fees, p.captures, coalesce(p.captured, 0))
    FROM per_meeting p WHERE p.fees > coalesce(p.captured, 0) OR p.fee_count > p.captures
    UNION ALL
    SELECT 'meeting_attendance', m.id, format('attendance %s with credit_status %s for a price of %s', m.attendance, m.credit_status, m.price_credits)
    FROM meetings m
    WHERE m.community_id = p_community
      AND ((m.status = 'completed' AND m.attendance IN ('attended', 'no_show') AND m.credit_status <> 'paid' AND m.price_credits <> 0)
           OR (m.attendance = 'expert_no_show' AND m.credit_status = 'paid'))
    UNION ALL
    SELECT 'meeting_capture', m.id, format('a session logged (%s) captured %s of its price of %s', m.attendance, p.captured, m.price_credits)
    FROM meetings m JOIN per_meeting p ON p.meeting_id = m.id
    WHERE m.community_id = p_community AND m.status = 'completed' AND m.attendance IN ('attended', 'no_show')
      AND p.captured IS DISTINCT FROM m.price_credits
    UNION ALL
    SELECT 'transfer_actor', t.id, format('a %s by %s, no person of the community', t.kind, coalesce(t.actor_id, 'no one'))
    FROM transfers t
    WHERE t.community_id = p_community AND t.kind IN ('grant', 'adjustment', 'payout')
      AND NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = t.community_id AND p.id = t.actor_id)
    UNION ALL
    SELECT 'outbox_recipient', o.id, format('a message to %s, no person of the community', o.recipient_id)
    FROM outbox o
    WHERE o.community_id = p_community AND o.recipient_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = o.community_id AND p.id = o.recipient_id)
    UNION ALL
    SELECT 'event_actor', e.id, format('an event by %s, no person of the community', e.actor_id)
    FROM meeting_events e
    WHERE e.community_id = p_community AND e.actor_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = e.community_id AND p.id = e.actor_id)
$$;
