-- A transfer took its time as ledger_apply began (0152), before it waited for its accounts'
-- rows: a transfer that waited for another writer of them (a concurrent grant on the
-- community's issuance account, or any session holding the row) committed with a time seconds
-- before its commit, and a figure as of a time in between, answered before the commit, changed
-- after it (a review: a grant waited 2.5 s behind a row lock and a balance as of a second
-- before its commit, answered as 786,726, became 787,503). ledger_apply now locks both
-- accounts first, then takes its time, so the time is taken once nothing stands between the
-- transfer and its commit but the rest of its own statement. The rest is as in 0152.

CREATE OR REPLACE FUNCTION ledger_apply(p_community text, p_debit text, p_credit text, p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint, p_at timestamp with time zone, OUT o_debit accounts, OUT o_credit accounts)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE
    v_available bigint;
    v_at timestamptz;
BEGIN
    IF p_debit IS NULL OR p_credit IS NULL THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    -- Both accounts are this transfer's before it takes its time (in id order, as the updates
    -- below): a wait for another writer of them comes first, so the time is taken just before
    -- the transfer is written and committed, not before the wait.
    PERFORM 1 FROM accounts WHERE community_id = p_community AND id IN (p_debit, p_credit) ORDER BY id FOR NO KEY UPDATE;
    -- Never before a transfer already made in the community (the clock set back, or stepped
    -- back): a figure as of a past time, once answered, stays as it was.
    v_at := greatest(coalesce(p_at, clock_timestamp()), (SELECT max(t.created_at) FROM transfers t WHERE t.community_id = p_community));
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
END $function$;
