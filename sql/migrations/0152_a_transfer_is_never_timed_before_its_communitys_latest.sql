-- A transfer took the clock's time, or the later of its two accounts' latest times (0081): in
-- order within each account, not across the community. With the clock set back (the test
-- clock, or a server clock stepped back), a transfer between accounts that had not moved lately
-- was timed before transfers already made: a figure as of a past time already answered (a
-- month-end close, a trial balance, a month of a report) changed after the fact (a review: a
-- hold made after the clock went back from 12:00 to 10:30 appeared in the trial balance as of
-- 11:00, which had been answered without it).
-- A transfer now takes at least the community's latest transfer time (one probe of
-- transfers_time, no lock: transfers committing at once may still be timed out of seq order by
-- the clock's own step, which is why reconcile still checks the order per account). The rest of
-- ledger_apply is as in 0081.

CREATE OR REPLACE FUNCTION ledger_apply(p_community text, p_debit text, p_credit text, p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint, p_at timestamp with time zone, OUT o_debit accounts, OUT o_credit accounts)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE
    v_available bigint;
    -- Never before a transfer already made in the community (the clock set back, or stepped
    -- back): a figure as of a past time, once answered, stays as it was.
    v_at timestamptz := greatest(coalesce(p_at, clock_timestamp()),
                                 (SELECT max(t.created_at) FROM transfers t WHERE t.community_id = p_community));
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
END $function$;
