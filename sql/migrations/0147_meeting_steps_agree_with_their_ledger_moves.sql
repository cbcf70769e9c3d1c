-- The database refuses a meeting step whose row and ledger moves disagree (an audit wrote each
-- of these through ml_apply, as a bug in the decision could, and the database took them; two
-- were not even named by reconcile):
-- - a hold resolved that is not the meeting's own open hold (another meeting's), a second hold
--   opened beside an open one, two holds resolved in one step, a move after the hold a step
--   opened, or a resolution written on a new meeting;
-- - a row that does not say what its moves did: a hold opened that is not its hold or not for its
--   price, a hold released or captured while the row says otherwise, a new meeting with credits
--   in any state but none without a hold;
-- - credits changed with no movement (credit_status or the hold id), or the price of a held
--   meeting changed while its hold stays (but for a counter-offer waiting for the user, whose
--   hold is replaced when approved);
-- - a session logged (attended, or the user absent) capturing less than its price;
-- - a platform fee more than the credits captured, or below 0;
-- - a meeting written without raising its version (each step's expected_version rests on it).
-- Each is 23514 on `meetings_ledger_step`, the step and the row named: the decision already holds
-- each rule, so only a bug meets it.
--
-- Grants, adjustments and payouts are made by finance staff (a grant by an admin too), persons of
-- the community that holds the accounts: ledger_transfer refuses any other actor (23514,
-- `transfers_staff_actor`). It was enough to name someone, of any role or community, or no one.
--
-- A message's recipient and a timeline event's actor are persons of the meeting's community
-- (foreign keys, checked for rows written from now on: `ledger.reconcile` lists the older rows
-- that break them, with `ledger_movement_problems`, which also names a fee over its capture, a
-- session logged that captured less than its price, and a staff movement by no person of the
-- community, rows written before these rules).
--
-- The rest of ml_apply is as in 0107; the rest of ledger_transfer as in 0108.

CREATE FUNCTION ml_ledger_step_refused(p_meeting text, p_why text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meeting % written with a ledger step that disagrees with it: %', p_meeting, p_why
        USING ERRCODE = 'check_violation', TABLE = 'meetings', CONSTRAINT = 'meetings_ledger_step';
END $$;

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
                -- one, and without a move its credits and, while held, its price stay (but for a
                -- price waiting for the user's approval, whose hold is replaced once approved).
                hold_transfer_id = CASE
                    WHEN v_resolved IS NOT NULL AND m.hold_transfer_id IS DISTINCT FROM v_resolved
                        THEN ml_ledger_step_refused(v_meeting, format('resolves hold %s, not its own %s', v_resolved, coalesce(m.hold_transfer_id, 'none')))
                    WHEN v_held IS NOT NULL AND v_resolved IS NULL AND m.hold_transfer_id IS NOT NULL
                        THEN ml_ledger_step_refused(v_meeting, format('opens hold %s beside its open hold %s', v_held, m.hold_transfer_id))
                    WHEN v_moves = 0 AND (m.credit_status IS DISTINCT FROM v_row.credit_status OR m.hold_transfer_id IS DISTINCT FROM v_row.hold_transfer_id)
                        THEN ml_ledger_step_refused(v_meeting, format('credit_status %s becomes %s with no movement', m.credit_status, v_row.credit_status))
                    WHEN v_moves = 0 AND m.credit_status = 'blocked' AND m.price_credits IS DISTINCT FROM v_row.price_credits
                         AND NOT (v_row.status = 'awaiting_approval' AND NOT v_row.user_approved)
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

CREATE OR REPLACE FUNCTION ledger_transfer(
    p_community text, p_id text, p_debit text, p_credit text, p_amount bigint, p_kind text, p_phase text,
    p_meeting text, p_reference text, p_reason text, p_actor text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_debit accounts;
    v_credit accounts;
    v_seq bigint;
    v_at timestamptz;
    v_posted boolean := p_phase = 'posted';
    v_applied record;
BEGIN
    IF p_phase NOT IN ('posted', 'pending') THEN
        RAISE EXCEPTION 'ledger_transfer takes posted or pending, not %', p_phase USING ERRCODE = '22023';
    END IF;
    v_applied := ledger_apply(
        p_community, p_debit, p_credit,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END, p_amount, p_at);
    v_debit := v_applied.o_debit;
    v_credit := v_applied.o_credit;
    -- Each kind moves credits between its own kinds of account; staff's movements name who made
    -- them, and the reference or reason their method requires.
    IF NOT coalesce(CASE p_kind
        WHEN 'grant' THEN v_debit.kind = 'issuance' AND v_credit.kind = 'user_wallet' AND p_actor IS NOT NULL AND p_reference IS NOT NULL
        WHEN 'adjustment' THEN (v_debit.kind = 'issuance') <> (v_credit.kind = 'issuance') AND p_actor IS NOT NULL AND p_reason IS NOT NULL
        WHEN 'payout' THEN v_debit.kind = 'expert_earnings' AND v_credit.kind = 'payouts' AND p_actor IS NOT NULL AND p_reference IS NOT NULL
        WHEN 'hold' THEN v_debit.kind = 'user_wallet' AND v_credit.kind = 'expert_earnings'
        WHEN 'fee' THEN v_debit.kind = 'expert_earnings' AND v_credit.kind = 'platform_revenue'
        ELSE false END, false) THEN
        RAISE EXCEPTION 'a % transfer may not move credits from % to % (actor %, reference %, reason %)',
            p_kind, v_debit.kind, v_credit.kind, coalesce(p_actor, 'none'), coalesce(p_reference, 'none'), coalesce(p_reason, 'none')
            USING ERRCODE = '23514', CONSTRAINT = 'transfers_kind_accounts';
    END IF;
    -- Staff's movements are made by finance staff of the community (a grant by an admin too).
    IF p_kind IN ('grant', 'adjustment', 'payout') AND NOT EXISTS (
        SELECT 1 FROM people p
        WHERE p.community_id = p_community AND p.id = p_actor
          AND p.roles && CASE p_kind WHEN 'grant' THEN ARRAY['finance', 'admin'] ELSE ARRAY['finance'] END) THEN
        RAISE EXCEPTION '% is made by % of the community, not by %', CASE p_kind WHEN 'adjustment' THEN 'an adjustment' ELSE 'a ' || p_kind END,
            CASE p_kind WHEN 'grant' THEN 'finance staff or an admin' ELSE 'finance staff' END, coalesce(p_actor, 'no one')
            USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_staff_actor';
    END IF;
    IF p_kind IN ('grant', 'adjustment', 'payout') AND p_actor IN (v_debit.owner_id, v_credit.owner_id) THEN
        RAISE EXCEPTION 'a % by % moves credits of their own account', p_kind, p_actor USING ERRCODE = 'ML005';
    END IF;
    v_at := v_debit.last_transfer_at;
    INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase,
                           meeting_id, reference, reason, actor_id, created_at,
                           debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                           credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
    VALUES (p_community, p_id, p_debit, p_credit, p_amount, p_kind, p_phase, p_meeting, normalize(p_reference, NFKC), p_reason, p_actor, v_at,
            v_debit.debits_posted, v_debit.credits_posted, v_debit.debits_pending, v_debit.credits_pending,
            v_credit.debits_posted, v_credit.credits_posted, v_credit.debits_pending, v_credit.credits_pending)
    RETURNING seq INTO v_seq;
    RETURN ROW(p_id, v_seq, p_amount, v_at, p_debit, p_credit,
               v_debit.credits_posted - v_debit.debits_posted - v_debit.debits_pending,
               v_credit.credits_posted - v_credit.debits_posted - v_credit.debits_pending)::ledger_result;
END $$;

ALTER TABLE outbox ADD CONSTRAINT outbox_recipient_fk
    FOREIGN KEY (community_id, recipient_id) REFERENCES people (community_id, id) NOT VALID;
ALTER TABLE meeting_events ADD CONSTRAINT meeting_events_actor_fk
    FOREIGN KEY (community_id, actor_id) REFERENCES people (community_id, id) NOT VALID;

-- What the rules above refuse from now on, named in rows written before them.
CREATE FUNCTION ledger_movement_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH per_meeting AS (
        SELECT t.meeting_id,
               sum(t.amount) FILTER (WHERE t.kind = 'capture') AS captured,
               sum(t.amount) FILTER (WHERE t.kind = 'fee') AS fees
        FROM transfers t
        WHERE t.community_id = p_community AND t.meeting_id IS NOT NULL AND t.kind IN ('capture', 'fee')
        GROUP BY t.meeting_id
    )
    SELECT 'meeting_fee', p.meeting_id, format('fees of %s credits on captures of %s', p.fees, coalesce(p.captured, 0))
    FROM per_meeting p WHERE p.fees > coalesce(p.captured, 0)
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
