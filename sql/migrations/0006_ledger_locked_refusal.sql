-- A refusal is decided on a locked balance and reports that balance.
--
-- ledger_apply debits with a conditional UPDATE. Under READ COMMITTED, when another transaction
-- changed the account first, PostgreSQL re-checks the condition on the newest row; if the check
-- fails the row is left unlocked, so a balance read afterwards could already include a later
-- release and report more than was asked for ("refused 30 with 35 available"). Now a failed
-- check locks the debit row and decides again on what it holds: the transfer goes through if
-- the credits are there by then, and otherwise the refusal's available balance is the one it
-- rests on (nobody can change it before this transaction ends). The fast path is unchanged.
CREATE OR REPLACE FUNCTION ledger_apply(
    p_community text, p_debit text, p_credit text,
    p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint,
    OUT o_debit accounts, OUT o_credit accounts
) LANGUAGE plpgsql AS $$
DECLARE
    v_available bigint;
BEGIN
    IF p_debit IS NULL OR p_credit IS NULL THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    IF p_credit < p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + p_debit_posted, debits_pending = debits_pending + p_debit_pending
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
        UPDATE accounts SET debits_posted = debits_posted + p_debit_posted, debits_pending = debits_pending + p_debit_pending
        WHERE community_id = p_community AND id = p_debit
        RETURNING * INTO o_debit;
    END IF;
    IF p_credit > p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
    END IF;
END $$;
