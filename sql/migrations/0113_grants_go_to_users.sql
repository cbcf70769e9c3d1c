-- A grant credits the wallet of a person who holds the user role now: someone who lost it
-- keeps their wallet (its credits are adjusted or refunded), but buys no more credits there.
-- meetingd names the role a side's owner must hold (`debit_owner_role`, `credit_owner_role`);
-- an owner without it has no such account for the call (ML004, as a missing account).

CREATE FUNCTION ml_account_of_holder(p_community text, p_kind text, p_owner text, p_role text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ledger_account(p_community, p_kind, p_owner)
    WHERE p_role IS NULL OR EXISTS (SELECT 1 FROM people WHERE community_id = p_community AND id = p_owner AND p_role = ANY (roles))
$$;

CREATE OR REPLACE FUNCTION ml_apply_transfer(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v ledger_result;
BEGIN
    v := ledger_transfer(
        v_community, p ->> 'id',
        coalesce(p ->> 'debit_account_id', ml_account_of_holder(v_community, p ->> 'debit_kind', p ->> 'debit_owner', p ->> 'debit_owner_role')),
        coalesce(p ->> 'credit_account_id', ml_account_of_holder(v_community, p ->> 'credit_kind', p ->> 'credit_owner', p ->> 'credit_owner_role')),
        (p ->> 'credits')::bigint, p ->> 'kind', 'posted', NULL, p ->> 'reference', p ->> 'reason', p ->> 'actor_id', (p ->> 'at')::timestamptz);
    RETURN jsonb_build_object(
        'seq', v.seq, 'created_at', ml_rfc3339(v.created_at), 'debit_account_id', v.debit_account_id, 'credit_account_id', v.credit_account_id);
END $$;
