-- Row rules checked once per row, not rebuilt for every statement.
--
-- PostgreSQL rebuilds a table's CHECK constraints (reads each stored expression and plans it) in
-- every statement that writes the table, before the first row. The tables every request writes
-- carried 51 of them (meetings 26, transfers 11, accounts 8, outbox 4, meeting_events 2): a
-- profile of meeting.request showed a seventh of the database's time in that rebuild, and a
-- grant's transfer paid more for it than for its indexes.
--
-- Each of those tables now has one CHECK calling one IMMUTABLE function over the whole row,
-- compiled once per session. The function holds the same rules, word for word, and a row
-- breaking one is refused as before: SQLSTATE 23514 with the rule's old constraint name (so
-- accounts_no_overdraft still reads as insufficient credits). Like any CHECK, a rule holds for
-- every writer, and a NULL result passes. Changing a rule means replacing its function and
-- revalidating the table (ALTER TABLE … VALIDATE after NOT VALID), as changing a CHECK would.
-- An id's rule reads "36 bytes, the prefix, then hex digits" rather than "the prefix and 32 hex
-- digits": the same ids, and PostgreSQL's regular expressions take 6 µs for a counted
-- repetition against 1 µs for this.

CREATE FUNCTION ml_check_failed(p_table text, p_rule text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION 'new row for relation "%" violates check constraint "%"', p_table, p_rule
        USING ERRCODE = 'check_violation', TABLE = p_table, CONSTRAINT = p_rule;
END $$;

-- accounts: 8 rules
CREATE FUNCTION ml_accounts_row_rules(r accounts) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT ((r.credits_pending >= 0)) THEN PERFORM ml_check_failed('accounts', 'accounts_credits_pending_check'); END IF;
    IF NOT ((r.credits_posted >= 0)) THEN PERFORM ml_check_failed('accounts', 'accounts_credits_posted_check'); END IF;
    IF NOT ((r.debits_pending >= 0)) THEN PERFORM ml_check_failed('accounts', 'accounts_debits_pending_check'); END IF;
    IF NOT ((r.debits_posted >= 0)) THEN PERFORM ml_check_failed('accounts', 'accounts_debits_posted_check'); END IF;
    IF NOT ((octet_length(r.id) = 36 AND r.id ~ '^acc_[0-9a-f]*$'::text)) THEN PERFORM ml_check_failed('accounts', 'accounts_id_check'); END IF;
    IF NOT ((r.kind = ANY (ARRAY['user_wallet'::text, 'expert_earnings'::text, 'platform_revenue'::text, 'issuance'::text, 'payouts'::text]))) THEN PERFORM ml_check_failed('accounts', 'accounts_kind_check'); END IF;
    IF NOT (((r.kind = 'issuance'::text) OR ((r.debits_posted + r.debits_pending) <= r.credits_posted))) THEN PERFORM ml_check_failed('accounts', 'accounts_no_overdraft'); END IF;
    IF NOT (((r.kind = ANY (ARRAY['user_wallet'::text, 'expert_earnings'::text])) = (r.owner_id IS NOT NULL))) THEN PERFORM ml_check_failed('accounts', 'accounts_owner'); END IF;
    RETURN true;
END $$;
ALTER TABLE accounts
    DROP CONSTRAINT accounts_credits_pending_check, DROP CONSTRAINT accounts_credits_posted_check, DROP CONSTRAINT accounts_debits_pending_check,
    DROP CONSTRAINT accounts_debits_posted_check, DROP CONSTRAINT accounts_id_check, DROP CONSTRAINT accounts_kind_check,
    DROP CONSTRAINT accounts_no_overdraft, DROP CONSTRAINT accounts_owner,
    ADD CONSTRAINT accounts_row_rules CHECK (ml_accounts_row_rules(accounts));

-- transfers: 11 rules
CREATE FUNCTION ml_transfers_row_rules(r transfers) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
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
    RETURN true;
END $$;
ALTER TABLE transfers
    DROP CONSTRAINT transfers_amount_check, DROP CONSTRAINT transfers_check, DROP CONSTRAINT transfers_check1,
    DROP CONSTRAINT transfers_check2, DROP CONSTRAINT transfers_check3, DROP CONSTRAINT transfers_check4,
    DROP CONSTRAINT transfers_id_check, DROP CONSTRAINT transfers_kind_check, DROP CONSTRAINT transfers_phase_check,
    DROP CONSTRAINT transfers_reason_check, DROP CONSTRAINT transfers_reference_check,
    ADD CONSTRAINT transfers_row_rules CHECK (ml_transfers_row_rules(transfers));

-- meetings: 26 rules
CREATE FUNCTION ml_meetings_row_rules(r meetings) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
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
    RETURN true;
END $$;
ALTER TABLE meetings
    DROP CONSTRAINT meetings_alternate_accepted_overlaps, DROP CONSTRAINT meetings_alternate_length_minutes_check, DROP CONSTRAINT meetings_alternate_price,
    DROP CONSTRAINT meetings_alternate_price_credits_check, DROP CONSTRAINT meetings_alternate_proposed_by_check, DROP CONSTRAINT meetings_attendance_check,
    DROP CONSTRAINT meetings_check, DROP CONSTRAINT meetings_check1, DROP CONSTRAINT meetings_check2,
    DROP CONSTRAINT meetings_check3, DROP CONSTRAINT meetings_credit_status_check, DROP CONSTRAINT meetings_decline_reason_check,
    DROP CONSTRAINT meetings_duration_minutes_check, DROP CONSTRAINT meetings_hold_matches_status, DROP CONSTRAINT meetings_id_check,
    DROP CONSTRAINT meetings_length_minutes_check, DROP CONSTRAINT meetings_note_check, DROP CONSTRAINT meetings_occurrence,
    DROP CONSTRAINT meetings_price_credits_check, DROP CONSTRAINT meetings_price_source_check, DROP CONSTRAINT meetings_proposed_by_check,
    DROP CONSTRAINT meetings_skill_check, DROP CONSTRAINT meetings_status_check, DROP CONSTRAINT meetings_student_not_expert,
    DROP CONSTRAINT meetings_topic_check, DROP CONSTRAINT meetings_video_url_check,
    ADD CONSTRAINT meetings_row_rules CHECK (ml_meetings_row_rules(meetings));

-- meeting_events: 2 rules
CREATE FUNCTION ml_meeting_events_row_rules(r meeting_events) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT ((r.actor_role = ANY (ARRAY['user'::text, 'expert'::text, 'admin'::text, 'office'::text, 'system'::text]))) THEN PERFORM ml_check_failed('meeting_events', 'meeting_events_actor_role_check'); END IF;
    IF NOT ((octet_length(r.id) = 36 AND r.id ~ '^evt_[0-9a-f]*$'::text)) THEN PERFORM ml_check_failed('meeting_events', 'meeting_events_id_check'); END IF;
    RETURN true;
END $$;
ALTER TABLE meeting_events
    DROP CONSTRAINT meeting_events_actor_role_check, DROP CONSTRAINT meeting_events_id_check,
    ADD CONSTRAINT meeting_events_row_rules CHECK (ml_meeting_events_row_rules(meeting_events));

-- outbox: 4 rules
CREATE FUNCTION ml_outbox_row_rules(r outbox) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT ((r.attempts >= 0)) THEN PERFORM ml_check_failed('outbox', 'outbox_attempts_check'); END IF;
    IF NOT ((r.channel = ANY (ARRAY['notification'::text, 'video'::text, 'calendar'::text]))) THEN PERFORM ml_check_failed('outbox', 'outbox_channel_check'); END IF;
    IF NOT ((octet_length(r.id) = 36 AND r.id ~ '^out_[0-9a-f]*$'::text)) THEN PERFORM ml_check_failed('outbox', 'outbox_id_check'); END IF;
    IF NOT ((r.status = ANY (ARRAY['pending'::text, 'leased'::text, 'done'::text, 'dead'::text, 'cancelled'::text]))) THEN PERFORM ml_check_failed('outbox', 'outbox_status_check'); END IF;
    RETURN true;
END $$;
ALTER TABLE outbox
    DROP CONSTRAINT outbox_attempts_check, DROP CONSTRAINT outbox_channel_check, DROP CONSTRAINT outbox_id_check,
    DROP CONSTRAINT outbox_status_check,
    ADD CONSTRAINT outbox_row_rules CHECK (ml_outbox_row_rules(outbox));

