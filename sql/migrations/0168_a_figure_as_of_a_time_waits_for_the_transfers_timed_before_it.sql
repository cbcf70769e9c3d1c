-- A figure as of a past time no longer changes after it was answered: a transfer is timed
-- just before it commits, so one timed before the time asked for could still be in flight
-- while the figure was read, and counted by the next read only. Every transfer now holds the
-- community's "transfers being timed" lock, shared, from before it takes its time to its
-- commit; a read as of a time first waits for the transfers holding it (ml_ledger_settle) and
-- then reads in a statement of its own (a snapshot taken after the wait). A transfer that
-- starts after the wait takes a later time than the read's "now", so the time asked for,
-- which is before that now, never gains one.

-- The lock's key: class 46 of meetingd's LockClass (ledgerTimes), keyed by the community as
-- the other advisory locks are.
CREATE FUNCTION ml_ledger_times_key(p_community text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended(p_community || '/ledger_times', 46) $$;

-- Waits until the community's transfers timed so far have committed (or rolled back), then
-- lets new ones go on at once: the lock is taken at session level and given back before the
-- function returns, so nothing waits behind the read that follows. A settle waiting longer than
-- the session's lock_timeout gives up as any lock wait does (the read's retryable 5032).
CREATE FUNCTION ml_ledger_settle(p_community text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_lock(ml_ledger_times_key(p_community));
    PERFORM pg_advisory_unlock(ml_ledger_times_key(p_community));
    RETURN clock_timestamp();
END $$;

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
    -- The community's transfers being timed, shared: a figure as of a past time waits for every
    -- transfer timed before its read to commit first (ml_ledger_settle). Taken before the
    -- accounts, so a transfer queued behind a settle holds none of them meanwhile.
    PERFORM pg_advisory_xact_lock_shared(ml_ledger_times_key(p_community));
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
