-- Written as the role meetingd connects as, straight into transfers (around ledger_resolve and
-- ml_apply, as a bug in the service could), the database took, and only ledger.reconcile found
-- after:
--   - a capture larger than its hold, a release of part of one, a resolution between other
--     accounts than its hold's or of another meeting, and one "resolving" a transfer that was
--     never pending (a grant): credits paid that were never held, or held credits let go twice;
--   - a hold drawn from another person's wallet than its meeting's user, or paid to another
--     expert than its meeting's;
--   - a platform fee on a meeting nothing was captured for, larger than what was captured, or
--     taken from another expert's earnings;
--   - a movement naming as its actor someone who is not a person of the community (a person of
--     another community, or no one at all): transfers.actor_id has no foreign key.
-- Each is now a rule of the transfers table (same SQLSTATE 23514 as the others, each with its
-- constraint name), so no path writes around it. ledger_resolve keeps its own checks, which are
-- what a caller meets (ML002, 22023); these are the floor beneath them.

-- 0159's rules; a movement's actor, when it names one, is a person of the community; a resolution
-- agrees with the pending transfer it resolves: same accounts and meeting, a capture at most what
-- was held, a release exactly it.
CREATE OR REPLACE FUNCTION ml_transfer_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_debit accounts;
    v_credit accounts;
    v_pending transfers;
BEGIN
    SELECT * INTO v_debit FROM accounts WHERE community_id = NEW.community_id AND id = NEW.debit_account_id;
    SELECT * INTO v_credit FROM accounts WHERE community_id = NEW.community_id AND id = NEW.credit_account_id;
    -- Each kind moves credits between its own kinds of account; staff's movements name who made
    -- them, and the reference or reason their method requires; a hold is a meeting's.
    IF NOT coalesce(CASE NEW.kind
        WHEN 'grant' THEN v_debit.kind = 'issuance' AND v_credit.kind = 'user_wallet' AND NEW.actor_id IS NOT NULL AND NEW.reference IS NOT NULL
        WHEN 'adjustment' THEN (v_debit.kind = 'issuance') <> (v_credit.kind = 'issuance') AND NEW.actor_id IS NOT NULL AND NEW.reason IS NOT NULL
        WHEN 'payout' THEN v_debit.kind = 'expert_earnings' AND v_credit.kind = 'payouts' AND NEW.actor_id IS NOT NULL AND NEW.reference IS NOT NULL
        WHEN 'hold' THEN v_debit.kind = 'user_wallet' AND v_credit.kind = 'expert_earnings' AND NEW.meeting_id IS NOT NULL
        WHEN 'capture' THEN v_debit.kind = 'user_wallet' AND v_credit.kind = 'expert_earnings'
        WHEN 'release' THEN v_debit.kind = 'user_wallet' AND v_credit.kind = 'expert_earnings'
        WHEN 'fee' THEN v_debit.kind = 'expert_earnings' AND v_credit.kind = 'platform_revenue'
        ELSE false END, false) THEN
        RAISE EXCEPTION 'a % transfer may not move credits from % to % (actor %, reference %, reason %, meeting %)',
            NEW.kind, coalesce(v_debit.kind, 'no account'), coalesce(v_credit.kind, 'no account'), coalesce(NEW.actor_id, 'none'),
            coalesce(NEW.reference, 'none'), coalesce(NEW.reason, 'none'), coalesce(NEW.meeting_id, 'none')
            USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_kind_accounts';
    END IF;
    -- Staff's movements are made by finance staff of the community (a grant by an admin too).
    IF NEW.kind IN ('grant', 'adjustment', 'payout') AND NOT EXISTS (
        SELECT 1 FROM people p
        WHERE p.community_id = NEW.community_id AND p.id = NEW.actor_id
          AND p.roles && CASE NEW.kind WHEN 'grant' THEN ARRAY['finance', 'admin'] ELSE ARRAY['finance'] END) THEN
        RAISE EXCEPTION '% is made by % of the community, not by %', CASE NEW.kind WHEN 'adjustment' THEN 'an adjustment' ELSE 'a ' || NEW.kind END,
            CASE NEW.kind WHEN 'grant' THEN 'finance staff or an admin' ELSE 'finance staff' END, coalesce(NEW.actor_id, 'no one')
            USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_staff_actor';
    END IF;
    IF NEW.kind IN ('grant', 'adjustment', 'payout') AND NEW.actor_id IN (v_debit.owner_id, v_credit.owner_id) THEN
        RAISE EXCEPTION 'a % by % moves credits of their own account', NEW.kind, NEW.actor_id USING ERRCODE = 'ML005';
    END IF;
    -- Staff's actors were read above; a meeting's movements name the person whose step it was.
    IF NEW.actor_id IS NOT NULL AND NEW.kind NOT IN ('grant', 'adjustment', 'payout') AND NOT EXISTS (
        SELECT 1 FROM people p WHERE p.community_id = NEW.community_id AND p.id = NEW.actor_id) THEN
        RAISE EXCEPTION 'a % names % as its actor, who is not a person of community %', NEW.kind, NEW.actor_id, NEW.community_id
            USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_actor_of_the_community';
    END IF;
    -- A resolution moves what its pending transfer held, between the same accounts, for the
    -- same meeting: a capture 1 to all of it, a release all of it.
    IF NEW.pending_id IS NOT NULL THEN
        SELECT * INTO v_pending FROM transfers WHERE community_id = NEW.community_id AND id = NEW.pending_id;
        IF NOT coalesce(v_pending.phase = 'pending'
                        AND (v_pending.debit_account_id, v_pending.credit_account_id) = (NEW.debit_account_id, NEW.credit_account_id)
                        AND v_pending.meeting_id IS NOT DISTINCT FROM NEW.meeting_id
                        AND CASE NEW.phase WHEN 'void_pending' THEN NEW.amount = v_pending.amount ELSE NEW.amount <= v_pending.amount END, false) THEN
            RAISE EXCEPTION 'a % of % credits from % to % for meeting % does not resolve % (a % of % credits from % to % for meeting %)',
                NEW.kind, NEW.amount, NEW.debit_account_id, NEW.credit_account_id, coalesce(NEW.meeting_id, 'none'), NEW.pending_id,
                coalesce(v_pending.kind, 'no transfer'), coalesce(v_pending.amount::text, 'no'), coalesce(v_pending.debit_account_id, 'nowhere'),
                coalesce(v_pending.credit_account_id, 'nowhere'), coalesce(v_pending.meeting_id, 'none')
                USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_resolution_matches_its_hold';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- A hold moves credits from its meeting's user to its meeting's expert; a fee is taken from its
-- meeting's expert, out of what was captured for that meeting. A request writes its hold before
-- its meeting row (one statement), so this is checked when the transaction commits.
CREATE FUNCTION ml_transfer_belongs_to_its_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_meeting meetings;
    v_debit_owner text;
    v_credit_owner text;
    v_captured bigint;
    v_fees bigint;
BEGIN
    SELECT * INTO v_meeting FROM meetings WHERE community_id = NEW.community_id AND id = NEW.meeting_id;
    SELECT owner_id INTO v_debit_owner FROM accounts WHERE community_id = NEW.community_id AND id = NEW.debit_account_id;
    SELECT owner_id INTO v_credit_owner FROM accounts WHERE community_id = NEW.community_id AND id = NEW.credit_account_id;
    IF NEW.kind = 'hold' AND NOT coalesce(v_debit_owner = v_meeting.user_id AND v_credit_owner = v_meeting.expert_id, false) THEN
        RAISE EXCEPTION 'hold % moves credits from % to %, not from meeting %''s user % to its expert %', NEW.id,
            coalesce(v_debit_owner, 'no one'), coalesce(v_credit_owner, 'no one'), NEW.meeting_id,
            coalesce(v_meeting.user_id, 'none'), coalesce(v_meeting.expert_id, 'none')
            USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_hold_of_its_meeting';
    END IF;
    IF NEW.kind = 'fee' THEN
        SELECT coalesce(sum(amount) FILTER (WHERE kind = 'capture'), 0), coalesce(sum(amount) FILTER (WHERE kind = 'fee'), 0)
        INTO v_captured, v_fees
        FROM transfers WHERE community_id = NEW.community_id AND meeting_id = NEW.meeting_id;
        IF NOT coalesce(v_debit_owner = v_meeting.expert_id AND v_fees <= v_captured, false) THEN
            RAISE EXCEPTION 'fee % takes % credits from %''s earnings, where meeting % captured % for its expert % (fees % in all)', NEW.id,
                NEW.amount, coalesce(v_debit_owner, 'no one'), NEW.meeting_id, v_captured, coalesce(v_meeting.expert_id, 'none'), v_fees
                USING ERRCODE = '23514', TABLE = 'transfers', CONSTRAINT = 'transfers_fee_of_its_capture';
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER transfers_belong_to_their_meeting AFTER INSERT ON transfers DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.kind IN ('hold', 'fee')) EXECUTE FUNCTION ml_transfer_belongs_to_its_meeting();
