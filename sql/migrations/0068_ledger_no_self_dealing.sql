-- Finance staff do not move credits to or from their own accounts, and an external reference is
-- compared in one canonical form.
--
-- A person with the finance role and a wallet or earnings of their own could grant credits to
-- themself, adjust their own account up and pay the result out to themself: issuance fell and
-- credits left as a payout with no second person involved, and reconciliation stayed clean. A
-- grant, adjustment or payout whose actor owns either side is now refused here (SQLSTATE ML005),
-- whatever the service above decides.
--
-- "order-2", "order-2" followed by a no-break space, and "order-２" (a fullwidth digit) are one
-- purchase to a reader of a statement, but were three references, each granted once. A
-- reference is now stored in Unicode normalization form NFKC (compatibility characters become
-- their plain form: a no-break space a space, a fullwidth digit a digit), so the unique indexes on
-- grant and payout references compare what a reader sees. The service trims whitespace around a
-- reference and refuses control, reordering and invisible formatting characters in it before it
-- gets here. The rest of ledger_transfer is that of 0064.

DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'MeetingLedger needs a database with UTF8 encoding (this one is %): create it with ENCODING ''UTF8''',
            current_setting('server_encoding');
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
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END, p_amount);
    v_debit := v_applied.o_debit;
    v_credit := v_applied.o_credit;
    IF p_kind IN ('grant', 'adjustment', 'payout') AND p_actor IN (v_debit.owner_id, v_credit.owner_id) THEN
        RAISE EXCEPTION 'a % by % moves credits of their own account', p_kind, p_actor USING ERRCODE = 'ML005';
    END IF;
    v_at := coalesce(p_at, clock_timestamp());
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
