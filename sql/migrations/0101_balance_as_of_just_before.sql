-- An account's four sums as of p_at are its sums just before p_at: after its last transfer
-- before p_at (zeros before any). A transfer made at exactly p_at belongs to the period that
-- starts then, as months in the reports and a statement's `to` take it, so a month-end close as
-- of 1 May 00:00 is the end of April. It counted transfers at p_at too. Two index probes,
-- whatever the size of the ledger.
CREATE OR REPLACE FUNCTION ledger_balance_as_of(p_community text, p_account text, p_at timestamptz,
    OUT debits_posted bigint, OUT credits_posted bigint, OUT debits_pending bigint, OUT credits_pending bigint)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(x.dp), 0), coalesce(max(x.cp), 0), coalesce(max(x.dpe), 0), coalesce(max(x.cpe), 0) FROM (
        SELECT * FROM (
            (SELECT created_at, seq, debit_debits_posted AS dp, debit_credits_posted AS cp, debit_debits_pending AS dpe,
                    debit_credits_pending AS cpe
             FROM transfers WHERE community_id = p_community AND debit_account_id = p_account AND created_at < p_at
             ORDER BY created_at DESC, seq DESC LIMIT 1)
            UNION ALL
            (SELECT created_at, seq, credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending
             FROM transfers WHERE community_id = p_community AND credit_account_id = p_account AND created_at < p_at
             ORDER BY created_at DESC, seq DESC LIMIT 1)
        ) both_sides ORDER BY created_at DESC, seq DESC LIMIT 1
    ) x
$$;
