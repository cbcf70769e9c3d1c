-- The database refuses more of what a bug could write, and reconcile names what it finds
-- written before (a black-box audit wrote each of these by hand and reconcile stayed clean):
-- - a meeting whose story ended (rejected, cancelled, completed, expired) still holding credits,
--   credits paid for a meeting not cancelled or completed, or a completed meeting with no session
--   logged: three more row rules on meetings; rows written before are listed by meeting_problems
--   (`meeting_status`), and the rules hold on every row written from now on;
-- - a transfer between accounts its kind does not move credits between (a fee out of a wallet, a
--   hold into platform revenue, a payout from a wallet), or staff's movement with no actor, or a
--   grant or payout with no reference, or an adjustment with no reason: ledger_transfer refuses
--   it (23514, transfers_kind_accounts), from the account rows it already locks;
-- - a hold drawn from or paid to other people than its meeting's user and expert: meeting_problems
--   names it (`meeting_hold_parties`);
-- - an account changing hands (its community, kind or owner): refused, as a transfer is changed;
-- - TRUNCATE of the meetings' timelines: refused, as their rows' UPDATE and DELETE are;
-- - a meeting's version below 1 or going back (every step's expected_version rests on it).
-- The rest of each function is as before (ml_meetings_row_rules as in 0102, ledger_transfer as in
-- 0081, meeting_problems as in 0082).

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
    RETURN true;
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

CREATE OR REPLACE FUNCTION meeting_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH holds AS (
        SELECT h.meeting_id, h.id, h.seq, h.amount, r.kind AS resolution, d.owner_id AS payer, c.owner_id AS payee
        FROM transfers h
        LEFT JOIN transfers r ON r.community_id = h.community_id AND r.pending_id = h.id
        JOIN accounts d ON d.community_id = h.community_id AND d.id = h.debit_account_id
        JOIN accounts c ON c.community_id = h.community_id AND c.id = h.credit_account_id
        WHERE h.community_id = p_community AND h.kind = 'hold'
    ),
    per_meeting AS (
        SELECT m.id, m.credit_status, m.hold_transfer_id, m.price_credits,
               m.status = 'awaiting_approval' AND NOT m.user_approved AS waits_for_user,
               count(h.id) FILTER (WHERE h.resolution IS NULL) AS open_holds,
               (array_agg(h.id ORDER BY h.seq) FILTER (WHERE h.id IS NOT NULL AND h.resolution IS NULL))[1] AS open_hold,
               (array_agg(h.amount ORDER BY h.seq) FILTER (WHERE h.id IS NOT NULL AND h.resolution IS NULL))[1] AS open_amount,
               count(h.id) AS all_holds,
               bool_or(h.resolution = 'capture') AS captured,
               (array_agg(h.resolution ORDER BY h.seq DESC))[1] AS last_resolution,
               string_agg(DISTINCT h.payer || ' to ' || h.payee, ', ') FILTER (WHERE h.payer <> m.user_id OR h.payee <> m.expert_id) AS other_parties,
               m.status, m.attendance, m.logged_at
        FROM meetings m LEFT JOIN holds h ON h.meeting_id = m.id
        WHERE m.community_id = p_community
        GROUP BY m.id, m.credit_status, m.hold_transfer_id, m.price_credits, m.status, m.user_approved, m.attendance, m.logged_at
    )
    SELECT 'meeting_open_holds', id, open_holds || ' open holds' FROM per_meeting WHERE open_holds > 1
    UNION ALL
    SELECT 'meeting_hold_parties', id, 'held from and for other people than its user and expert: ' || other_parties
    FROM per_meeting WHERE other_parties IS NOT NULL
    UNION ALL
    SELECT 'meeting_status', id, format('status %s with credit_status %s%s', status, credit_status,
           CASE WHEN status = 'completed' AND (attendance IS NULL OR logged_at IS NULL) THEN ' and no session logged' ELSE '' END)
    FROM per_meeting
    WHERE (status IN ('rejected', 'cancelled', 'completed', 'expired') AND credit_status = 'blocked')
       OR (credit_status = 'paid' AND status NOT IN ('cancelled', 'completed'))
       OR (status = 'completed' AND (attendance IS NULL OR logged_at IS NULL))
    UNION ALL
    SELECT 'meeting_credit_status', id, format('credit_status %s but %s open hold(s) of %s for a price of %s, last resolution %s',
           credit_status, open_holds, coalesce(open_amount::text, 'nothing'), price_credits, coalesce(last_resolution, 'none'))
    FROM per_meeting
    WHERE NOT CASE credit_status
        WHEN 'none' THEN all_holds = 0
        WHEN 'blocked' THEN open_holds = 1 AND open_hold = hold_transfer_id AND (open_amount = price_credits OR waits_for_user)
        WHEN 'returned' THEN open_holds = 0 AND last_resolution = 'release'
        WHEN 'paid' THEN open_holds = 0 AND captured
    END
$$;

CREATE FUNCTION ledger_refuse_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account % keeps its community, kind and owner: % refused', OLD.id, TG_OP USING ERRCODE = '55000';
END $$;

CREATE TRIGGER accounts_keep_their_owner BEFORE UPDATE ON accounts FOR EACH ROW
    WHEN (OLD.community_id IS DISTINCT FROM NEW.community_id OR OLD.id IS DISTINCT FROM NEW.id
          OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.owner_id IS DISTINCT FROM NEW.owner_id)
    EXECUTE FUNCTION ledger_refuse_account_change();

CREATE TRIGGER meeting_events_no_truncate BEFORE TRUNCATE ON meeting_events FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ml_refuse_version_going_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meeting % is at version %: % would take it back', OLD.id, OLD.version, NEW.version USING ERRCODE = '55000';
END $$;

CREATE TRIGGER meetings_version_never_back BEFORE UPDATE ON meetings FOR EACH ROW
    WHEN (NEW.version < OLD.version) EXECUTE FUNCTION ml_refuse_version_going_back();
