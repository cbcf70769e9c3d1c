-- A meeting moved away from a time and back after its reminder of that time was sent was not
-- reminded again: a sent reminder kept its dedupe key (only those not sent yet gave theirs up),
-- so the scheduler took the time as reminded, while the last reminder the user had named the
-- other time (a review found it; the README said a meeting moved back is reminded again).
-- A move, a new place or a new video link now takes the dedupe key of every reminder of the
-- meeting, sent ones too (they stay as they were otherwise): the next run reminds of the meeting
-- as it is then. The rest of ml_apply is as in 0150.

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
            -- A reminder not sent yet is withdrawn; every reminder of the meeting, sent ones too,
            -- gives up its dedupe key, so the next run reminds of the meeting as it is now: a
            -- meeting moved back to a time it had is reminded of it again.
            UPDATE outbox SET status = CASE WHEN status IN ('pending', 'leased') THEN 'cancelled' ELSE status END,
                done_at = CASE WHEN status IN ('pending', 'leased') THEN v_now ELSE done_at END, dedupe_key = NULL
            WHERE community_id = v_community AND meeting_id = v_meeting AND kind IN ('meeting_reminder', 'meeting_link')
              AND (status IN ('pending', 'leased') OR dedupe_key IS NOT NULL);
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
