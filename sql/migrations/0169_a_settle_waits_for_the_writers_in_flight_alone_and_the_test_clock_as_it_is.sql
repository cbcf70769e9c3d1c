-- 0168's wait, mended after a review under load (two things it did not do):
-- - A read as of a past time waited for the community's transfers on one shared lock, and while
--   it waited for a transfer held open, every new transfer of the community queued behind it (a
--   transfer held 13 s stalled unrelated bookings 8.7 s). Each transfer now holds a lock of its
--   own (the two-key form: the community's hash, the writer's backend pid) to its commit, and the
--   settle waits for the writers holding one when it starts, each in turn, taking none that
--   others wait for: new transfers go on beside it.
-- - Under the test clock a transfer took the pinned time its request read at its start; a clock
--   moved on before the transfer, and a figure read as of a time in between, could still be
--   given the transfer afterwards. The pinned time is now read again as the transfer is timed.

-- The first key of a community's writer locks (the second is the writer's backend pid).
CREATE FUNCTION ml_ledger_writers_class(p_community text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtext(p_community || '/ledger_writers') $$;

-- Waits until each writer of the community's transfers in flight when it starts has committed
-- (or rolled back), then returns: each writer's lock is taken at session level and given back
-- at once, so a writer that starts meanwhile is not held behind it (but for a later transaction
-- of a backend waited for, a moment). A wait longer than the session's lock_timeout gives up as
-- any lock wait does (the read's retryable 5032).
CREATE OR REPLACE FUNCTION ml_ledger_settle(p_community text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_class integer := ml_ledger_writers_class(p_community);
    v_pid integer;
BEGIN
    FOR v_pid IN
        SELECT l.objid::text::integer FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
          AND l.classid = ((v_class::bigint + 4294967296) % 4294967296)::text::oid
    LOOP
        PERFORM pg_advisory_lock(v_class, v_pid);
        PERFORM pg_advisory_unlock(v_class, v_pid);
    END LOOP;
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
    -- This writer of the community's transfers, to its commit: a figure as of a past time waits
    -- for the writers holding theirs when it is read (ml_ledger_settle), and no other.
    PERFORM pg_advisory_xact_lock(ml_ledger_writers_class(p_community), pg_backend_pid());
    -- Both accounts are this transfer's before it takes its time (in id order, as the updates
    -- below): a wait for another writer of them comes first, so the time is taken just before
    -- the transfer is written and committed, not before the wait.
    PERFORM 1 FROM accounts WHERE community_id = p_community AND id IN (p_debit, p_credit) ORDER BY id FOR NO KEY UPDATE;
    -- Never before a transfer already made in the community (the clock set back, or stepped
    -- back): a figure as of a past time, once answered, stays as it was.
    -- Under the test clock (p_at given), the pinned time as it is now, not only as the request
    -- read it: a clock moved on meanwhile, and a figure read as of a time before the new one, is
    -- not given a transfer timed before it afterwards.
    v_at := greatest(
        coalesce(p_at, clock_timestamp()),
        CASE WHEN p_at IS NOT NULL THEN coalesce((SELECT t.now FROM test_clocks t WHERE t.community_id = p_community), clock_timestamp()) END,
        (SELECT max(t.created_at) FROM transfers t WHERE t.community_id = p_community));
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

DROP FUNCTION ml_ledger_times_key(text);
