-- A transfer is never timed earlier than an earlier transfer of either of its accounts.
--
-- A transfer's time was the clock's when it was written (or the test clock's). Its sequence is the
-- order it was written in. The two agreed as long as the clock never went back, but a system
-- clock can be stepped back (an NTP correction, a virtual machine resumed), and the test clock
-- can be set back at will. A transfer then came after another in sequence but before it in time:
-- the balance "as of" a time between the two (one indexed lookup by time) showed the later
-- transfer and not the earlier one, while the statement (in sequence) showed the opposite, and
-- its running balances no longer matched the balance at their own times.
--
-- Each account now keeps the time of its latest transfer (`last_transfer_at`, set in the same
-- UPDATE that moves its balances). A new transfer takes the clock's time, or the latest time of
-- either account when that is later, so on every account the times follow the sequence.
-- ledger_time_problems() lists every account whose transfers written from now on break that
-- order (kind `time_order`; transfers already written keep their times, which are history and
-- cannot be changed) or whose stored latest time is not its transfers' (kind `latest_time`), and
-- ledger.reconcile reports them. ledger_transfer and ledger_resolve are those of 0068 and 0064
-- apart from where the time comes from.

ALTER TABLE accounts ADD COLUMN last_transfer_at timestamptz;

UPDATE accounts a SET last_transfer_at = t.latest
FROM (
    SELECT community_id, account_id, max(created_at) AS latest FROM (
        SELECT community_id, debit_account_id AS account_id, created_at FROM transfers
        UNION ALL
        SELECT community_id, credit_account_id, created_at FROM transfers
    ) sides GROUP BY community_id, account_id
) t
WHERE a.community_id = t.community_id AND a.id = t.account_id;

-- Transfers up to this one were written before times were kept in order.
CREATE TABLE transfer_times_in_order_after (seq bigint NOT NULL);
INSERT INTO transfer_times_in_order_after SELECT coalesce(max(seq), 0) FROM transfers;

DROP FUNCTION ledger_apply(text, text, text, bigint, bigint, bigint, bigint, bigint);

-- Moves the balances of both accounts (the lower id first, so concurrent transfers lock in one
-- order) and gives each the transfer's time: p_at (the clock's when NULL), or the latest time
-- of either account when that is later. Both accounts come back with that time in
-- last_transfer_at. A debit that would overdraw (other than issuance) is refused as before.
CREATE FUNCTION ledger_apply(
    p_community text, p_debit text, p_credit text,
    p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint,
    p_at timestamptz,
    OUT o_debit accounts, OUT o_credit accounts
) LANGUAGE plpgsql AS $$
DECLARE
    v_available bigint;
    v_at timestamptz := coalesce(p_at, clock_timestamp());
BEGIN
    IF p_debit IS NULL OR p_credit IS NULL THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    IF p_credit < p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending,
                            last_transfer_at = GREATEST(last_transfer_at, v_at)
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
        v_at := o_credit.last_transfer_at;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + p_debit_posted, debits_pending = debits_pending + p_debit_pending,
                        last_transfer_at = GREATEST(last_transfer_at, v_at)
    WHERE community_id = p_community AND id = p_debit
      AND (kind = 'issuance' OR credits_posted - debits_posted - debits_pending >= p_needed)
    RETURNING * INTO o_debit;
    IF NOT FOUND THEN
        -- Locked from here to the end of the transaction: the decision and the figure agree.
        SELECT credits_posted - debits_posted - debits_pending INTO v_available
        FROM accounts WHERE community_id = p_community AND id = p_debit
        FOR UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
        IF v_available < p_needed THEN
            RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'ML020', DETAIL = v_available::text;
        END IF;
        UPDATE accounts SET debits_posted = debits_posted + p_debit_posted, debits_pending = debits_pending + p_debit_pending,
                            last_transfer_at = GREATEST(last_transfer_at, v_at)
        WHERE community_id = p_community AND id = p_debit
        RETURNING * INTO o_debit;
    END IF;
    v_at := o_debit.last_transfer_at;
    IF p_credit > p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending,
                            last_transfer_at = GREATEST(last_transfer_at, v_at)
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
        -- The credit account's latest transfer was later than the debit's time: both take it.
        IF o_credit.last_transfer_at > v_at THEN
            UPDATE accounts SET last_transfer_at = o_credit.last_transfer_at
            WHERE community_id = p_community AND id = p_debit RETURNING * INTO o_debit;
        END IF;
    ELSIF o_credit.last_transfer_at < v_at THEN
        -- The debit account's latest transfer was later than the credit's time: both take it.
        UPDATE accounts SET last_transfer_at = v_at
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
    END IF;
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

CREATE OR REPLACE FUNCTION ledger_resolve(
    p_community text, p_id text, p_pending text, p_post boolean, p_amount bigint, p_actor text, p_reason text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_pending transfers;
    v_debit accounts;
    v_credit accounts;
    v_amount bigint;
    v_posted bigint;
    v_seq bigint;
    v_at timestamptz;
    v_applied record;
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
    v_applied := ledger_apply(
        p_community, v_pending.debit_account_id, v_pending.credit_account_id,
        v_posted, -v_pending.amount, v_posted, -v_pending.amount, 0, p_at);
    v_debit := v_applied.o_debit;
    v_credit := v_applied.o_credit;
    v_at := v_debit.last_transfer_at;
    INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, pending_id,
                           meeting_id, reference, reason, actor_id, created_at,
                           debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                           credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
    VALUES (p_community, p_id, v_pending.debit_account_id, v_pending.credit_account_id, v_amount,
            CASE WHEN p_post THEN 'capture' ELSE 'release' END,
            CASE WHEN p_post THEN 'post_pending' ELSE 'void_pending' END,
            p_pending, v_pending.meeting_id, NULL, p_reason, p_actor, v_at,
            v_debit.debits_posted, v_debit.credits_posted, v_debit.debits_pending, v_debit.credits_pending,
            v_credit.debits_posted, v_credit.credits_posted, v_credit.debits_pending, v_credit.credits_pending)
    RETURNING seq INTO v_seq;
    RETURN ROW(p_id, v_seq, v_amount, v_at, v_debit.id, v_credit.id,
               v_debit.credits_posted - v_debit.debits_posted - v_debit.debits_pending,
               v_credit.credits_posted - v_credit.debits_posted - v_credit.debits_pending)::ledger_result;
END $$;

-- Every account of the community whose transfers (written since this migration) are not in time
-- order, one row per account naming the first transfer timed earlier than the one before it in
-- sequence; and every account whose stored latest time is not its latest transfer's.
CREATE FUNCTION ledger_time_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH sides AS (
        SELECT debit_account_id AS account_id, seq, id, created_at FROM transfers WHERE community_id = p_community
        UNION ALL
        SELECT credit_account_id, seq, id, created_at FROM transfers WHERE community_id = p_community
    ),
    ordered AS (
        SELECT account_id, seq, id, created_at, lag(created_at) OVER (PARTITION BY account_id ORDER BY seq) AS before,
               max(created_at) OVER (PARTITION BY account_id) AS latest
        FROM sides
    ),
    backwards AS (
        SELECT DISTINCT ON (account_id) account_id, id, created_at, before FROM ordered
        WHERE created_at < before AND seq > (SELECT seq FROM transfer_times_in_order_after)
        ORDER BY account_id, seq
    )
    SELECT 'time_order', account_id, format('transfer %s is timed %s, before the transfer ahead of it in sequence (%s)', id, created_at, before)
    FROM backwards
    UNION ALL
    SELECT 'latest_time', a.id, format('the latest transfer time stored is %s, its latest transfer is timed %s', a.last_transfer_at, o.latest)
    FROM accounts a
    LEFT JOIN (SELECT DISTINCT account_id, latest FROM ordered) o ON o.account_id = a.id
    WHERE a.community_id = p_community AND a.last_transfer_at IS DISTINCT FROM o.latest
$$;
