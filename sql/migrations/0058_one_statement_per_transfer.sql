-- A transfer is written by one statement: both accounts move in one UPDATE and the transfer row,
-- with the balances it left behind, is inserted by the same statement. Before, a transfer was
-- three statements (an UPDATE per account, then the INSERT), and PostgreSQL rebuilds a table's
-- CHECK constraints from their stored text for every statement that writes the table: the
-- accounts' guards were built twice per transfer, and each statement paid its own start-up.
--
-- The rules are unchanged: the debit account must hold what is needed (issuance excepted),
-- decided on its row as it stands once locked (READ COMMITTED re-checks a row another
-- transaction changed first); a missing account is ML004, too few credits ML020 with what is
-- available as DETAIL, never a figure that would have sufficed (migration 0006's promise). That
-- figure is now read after the refusal instead of under a second lock: when credits arrived in
-- between, the transfer is refused as transient (40001) and meetingd runs the request again.
-- accounts_no_overdraft and the transfers constraints stay the backstop.

CREATE FUNCTION ledger_post(
    p_community text, p_id text, p_debit text, p_credit text, p_amount bigint, p_kind text, p_phase text, p_pending text,
    p_meeting text, p_reference text, p_reason text, p_actor text, p_at timestamptz,
    p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_available bigint;
    v_debit_kind text;
BEGIN
    IF p_debit IS NULL OR p_credit IS NULL THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    WITH moved AS (
        -- Both rows in one UPDATE, locked in the primary key's order (by id); the debit moves only
        -- where it holds what is needed, re-checked on the newest row when another transaction
        -- changed it first.
        UPDATE accounts a SET
            debits_posted = a.debits_posted + CASE WHEN a.id = p_debit THEN p_debit_posted ELSE 0 END,
            debits_pending = a.debits_pending + CASE WHEN a.id = p_debit THEN p_debit_pending ELSE 0 END,
            credits_posted = a.credits_posted + CASE WHEN a.id = p_credit THEN p_credit_posted ELSE 0 END,
            credits_pending = a.credits_pending + CASE WHEN a.id = p_credit THEN p_credit_pending ELSE 0 END
        WHERE a.community_id = p_community AND a.id IN (p_debit, p_credit)
          AND (a.id <> p_debit OR a.kind = 'issuance' OR a.credits_posted - a.debits_posted - a.debits_pending >= p_needed)
        RETURNING a.*
    ), written AS (
        INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, pending_id,
                               meeting_id, reference, reason, actor_id, created_at,
                               debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                               credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
        SELECT p_community, p_id, d.id, c.id, p_amount, p_kind, p_phase, p_pending, p_meeting, p_reference, p_reason, p_actor,
               coalesce(p_at, clock_timestamp()),
               d.debits_posted, d.credits_posted, d.debits_pending, d.credits_pending,
               c.debits_posted, c.credits_posted, c.debits_pending, c.credits_pending
        FROM moved d, moved c WHERE d.id = p_debit AND c.id = p_credit
        RETURNING seq, created_at, debit_credits_posted - debit_debits_posted - debit_debits_pending AS debit_available,
                  credit_credits_posted - credit_debits_posted - credit_debits_pending AS credit_available
    )
    SELECT w.seq, w.created_at, w.debit_available, w.credit_available INTO r FROM written w;
    IF r.seq IS NOT NULL THEN
        RETURN ROW(p_id, r.seq, p_amount, r.created_at, p_debit, p_credit, r.debit_available, r.credit_available)::ledger_result;
    END IF;
    -- Nothing written, and this error undoes whatever the statement did to the credit account.
    -- A missing account is ML004. Otherwise the debit was short when its row was locked; the
    -- refusal reports what it holds now, which is short too unless credits arrived since: then
    -- the caller is told to try again (a transient refusal, retried by meetingd) rather than be
    -- refused with a figure that would have sufficed. (Waiting here for the debit's lock could
    -- deadlock: this statement may hold the credit account, whose id may be the higher.)
    SELECT kind, credits_posted - debits_posted - debits_pending INTO v_debit_kind, v_available
    FROM accounts WHERE community_id = p_community AND id = p_debit;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM accounts WHERE community_id = p_community AND id = p_credit) THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    IF v_debit_kind = 'issuance' OR v_available >= p_needed THEN
        RAISE EXCEPTION 'the balance of account % changed while transfer % was decided', p_debit, p_id
            USING ERRCODE = '40001', HINT = 'Try again: the credits are there now.';
    END IF;
    RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'ML020', DETAIL = v_available::text;
END $$;

CREATE OR REPLACE FUNCTION ledger_transfer(
    p_community text, p_id text, p_debit text, p_credit text, p_amount bigint, p_kind text, p_phase text,
    p_meeting text, p_reference text, p_reason text, p_actor text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_posted boolean := p_phase = 'posted';
BEGIN
    IF p_phase NOT IN ('posted', 'pending') THEN
        RAISE EXCEPTION 'ledger_transfer takes posted or pending, not %', p_phase USING ERRCODE = '22023';
    END IF;
    RETURN ledger_post(
        p_community, p_id, p_debit, p_credit, p_amount, p_kind, p_phase, NULL, p_meeting, p_reference, p_reason, p_actor, p_at,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END, p_amount);
END $$;

CREATE OR REPLACE FUNCTION ledger_resolve(
    p_community text, p_id text, p_pending text, p_post boolean, p_amount bigint, p_actor text, p_reason text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_pending transfers;
    v_amount bigint;
    v_posted bigint;
BEGIN
    -- Locking the pending transfer makes concurrent resolutions of it take turns; the check
    -- below then sees whether an earlier one committed.
    SELECT * INTO v_pending FROM transfers WHERE community_id = p_community AND id = p_pending FOR NO KEY UPDATE;
    IF NOT FOUND OR v_pending.phase <> 'pending' THEN
        RAISE EXCEPTION 'no pending transfer %', p_pending USING ERRCODE = 'ML002';
    END IF;
    IF EXISTS (SELECT 1 FROM transfers WHERE community_id = p_community AND pending_id = p_pending) THEN
        RAISE EXCEPTION 'pending transfer % is already resolved', p_pending USING ERRCODE = 'ML003';
    END IF;
    v_amount := CASE WHEN p_post THEN coalesce(p_amount, v_pending.amount) ELSE v_pending.amount END;
    IF v_amount <= 0 OR v_amount > v_pending.amount THEN
        RAISE EXCEPTION 'a post takes 1..% credits, not %', v_pending.amount, v_amount USING ERRCODE = '22023';
    END IF;
    v_posted := CASE WHEN p_post THEN v_amount ELSE 0 END;
    RETURN ledger_post(
        p_community, p_id, v_pending.debit_account_id, v_pending.credit_account_id, v_amount,
        CASE WHEN p_post THEN 'capture' ELSE 'release' END, CASE WHEN p_post THEN 'post_pending' ELSE 'void_pending' END,
        p_pending, v_pending.meeting_id, NULL, p_reason, p_actor, p_at,
        v_posted, -v_pending.amount, v_posted, -v_pending.amount, 0);
END $$;

-- ledger_post replaces it: one way to move balances.
DROP FUNCTION IF EXISTS ledger_apply(text, text, text, bigint, bigint, bigint, bigint, bigint);

-- A movement decided in Swift (credits.grant, credits.adjust, payout.create), with typed
-- arguments instead of one jsonb document: each side is an account id, or a kind and owner (NULL
-- for the community's own accounts).
DROP FUNCTION ml_apply_transfer(jsonb);
CREATE FUNCTION ml_apply_transfer(
    p_community text, p_id text, p_debit text, p_debit_kind text, p_debit_owner text, p_credit text, p_credit_kind text,
    p_credit_owner text, p_credits bigint, p_kind text, p_reference text, p_reason text, p_actor text, p_at timestamptz
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v ledger_result;
BEGIN
    IF p_debit IS NULL THEN p_debit := ledger_account(p_community, p_debit_kind, p_debit_owner); END IF;
    IF p_credit IS NULL THEN p_credit := ledger_account(p_community, p_credit_kind, p_credit_owner); END IF;
    v := ledger_transfer(p_community, p_id, p_debit, p_credit, p_credits, p_kind, 'posted', NULL, p_reference, p_reason, p_actor, p_at);
    RETURN jsonb_build_object(
        'seq', v.seq, 'created_at', ml_rfc3339(v.created_at), 'debit_account_id', v.debit_account_id, 'credit_account_id', v.credit_account_id);
END $$;
