-- A review wrote, as the role meetingd connects as, what a bug in the service could write, and
-- the database took it without a word (ledger.reconcile answering ok after):
--   - a transfer row of any kind between any accounts, by anyone: which accounts a kind moves
--     credits between, that staff's movements are made by finance staff (a grant by an admin
--     too) and never on their own accounts, were checked inside ledger_transfer only;
--   - a hold of no meeting (ledger_transfer took a NULL meeting), credits held for nothing;
--   - a meeting's status taken back (agreed to awaiting_approval);
--   - the user or expert role taken from a person with meetings still open on that side (the
--     meetings then stuck, their credits held);
--   - retry records, chat messages and outbox messages rewritten or deleted (a rewritten retry
--     record books a meeting twice; nothing the service does changes or deletes them).
-- Each is now a rule of its table, so no path writes around it.

-- Transfers: the kind's accounts and actor, on every insert (ledger_transfer and ledger_resolve
-- alike); ledger_transfer no longer checks them itself. Same SQLSTATEs and constraint names.
CREATE FUNCTION ml_transfer_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_debit accounts;
    v_credit accounts;
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
    RETURN NEW;
END $$;

CREATE TRIGGER transfers_rules BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION ml_transfer_rules();

-- 0147's ledger_transfer without the checks the trigger above now makes.
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

-- Meetings: a status moves only forward. A request is agreed, declined, withdrawn or cancelled,
-- or expires; an agreed meeting is completed or cancelled (a new date for it is an alternate, the
-- meeting staying agreed); a declined one is asked again with a new date. An ended meeting is
-- kept as it was (0148).
CREATE FUNCTION ml_meeting_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (OLD.status, NEW.status) IN (
        ('awaiting_approval', 'agreed'), ('awaiting_approval', 'rejected'), ('awaiting_approval', 'cancelled'),
        ('awaiting_approval', 'expired'), ('agreed', 'completed'), ('agreed', 'cancelled'), ('rejected', 'awaiting_approval')) THEN
        RAISE EXCEPTION 'meeting % may not go from % to %: a status moves only forward; UPDATE refused', OLD.id, OLD.status, NEW.status
            USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER meetings_move_forward BEFORE UPDATE ON meetings FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION ml_meeting_moves_forward();

-- People: the user or expert role stays while meetings on that side are open (awaiting approval
-- or agreed; a student's meetings are their user side), as person.update says (4009).
CREATE FUNCTION ml_person_keeps_the_roles_meetings_need() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'expert' = ANY (OLD.roles) AND NOT 'expert' = ANY (NEW.roles) AND EXISTS (
        SELECT 1 FROM meetings m WHERE m.community_id = OLD.community_id AND m.expert_id = OLD.id AND m.status IN ('awaiting_approval', 'agreed')) THEN
        RAISE EXCEPTION 'person % keeps the expert role while meetings on the expert''s side are open; UPDATE refused', OLD.id USING ERRCODE = '55000';
    END IF;
    IF 'user' = ANY (OLD.roles) AND NOT 'user' = ANY (NEW.roles) AND EXISTS (
        SELECT 1 FROM meetings m WHERE m.community_id = OLD.community_id AND (m.user_id = OLD.id OR m.student_id = OLD.id)
                                   AND m.status IN ('awaiting_approval', 'agreed')) THEN
        RAISE EXCEPTION 'person % keeps the user role while meetings on the user''s side are open; UPDATE refused', OLD.id USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER people_keep_the_roles_meetings_need BEFORE UPDATE ON people FOR EACH ROW
    WHEN (OLD.roles IS DISTINCT FROM NEW.roles) EXECUTE FUNCTION ml_person_keeps_the_roles_meetings_need();

-- Retry records and chat messages are written once; outbox messages change state but stay.
CREATE TRIGGER idempotency_keys_append_only BEFORE UPDATE OR DELETE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER idempotency_keys_no_truncate BEFORE TRUNCATE ON idempotency_keys FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER meeting_messages_append_only BEFORE UPDATE OR DELETE ON meeting_messages FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER meeting_messages_no_truncate BEFORE TRUNCATE ON meeting_messages FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE FUNCTION ml_refuse_outbox_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'outbox messages are kept (delivered, failed or dead): % refused', TG_OP USING ERRCODE = '55000';
END $$;
CREATE TRIGGER outbox_kept BEFORE DELETE ON outbox FOR EACH ROW EXECUTE FUNCTION ml_refuse_outbox_delete();
CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON outbox FOR EACH STATEMENT EXECUTE FUNCTION ml_refuse_outbox_delete();
