-- A page of an account's statement read from its indexes, as far as the page and no further.
--
-- meetingd read a page from finance_transfer_sides (both sides of every transfer, each joined
-- to its account) with the page's bounds written as "no bound, or …": PostgreSQL read every
-- entry of the account, on both sides, and sorted them to keep the page. On an account with
-- 97,000 entries each page took 0.2–1 s, and paging to the end 46 s. The view cannot give its
-- rows in order (each side is a join), and a prepared statement's generic plan guessed a
-- bound's selectivity, so the page's transfers are now picked first, each side from its history
-- index in (created_at, seq) order from the page's start (the cursor, else `from`: the index
-- scan starts at the row bound), with the bounds as values (open ones as infinities) and planned
-- for this call's values (EXECUTE); then those transfers' rows of the view are read by their ids.
CREATE FUNCTION ledger_statement_entries(
    p_community text, p_account text, p_after_time timestamptz, p_after_seq bigint, p_from timestamptz, p_to timestamptz, p_limit bigint
) RETURNS SETOF finance_transfer_sides LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_ids text[];
BEGIN
    EXECUTE $q$
        SELECT coalesce(array_agg(k.id ORDER BY k.created_at, k.seq), '{}') FROM (
            SELECT s.id, s.created_at, s.seq FROM (
                (SELECT t.id, t.created_at, t.seq FROM transfers t
                 WHERE t.community_id = $1 AND t.debit_account_id = $2 AND (t.created_at, t.seq) > ($3, $4)
                   AND t.created_at >= $5 AND t.created_at < $6
                 ORDER BY t.created_at, t.seq LIMIT $7)
                UNION ALL
                (SELECT t.id, t.created_at, t.seq FROM transfers t
                 WHERE t.community_id = $1 AND t.credit_account_id = $2 AND (t.created_at, t.seq) > ($3, $4)
                   AND t.created_at >= $5 AND t.created_at < $6
                 ORDER BY t.created_at, t.seq LIMIT $7)
            ) s ORDER BY s.created_at, s.seq LIMIT $7
        ) k $q$
    INTO v_ids
    USING p_community, p_account, coalesce(p_after_time, p_from, '-infinity'), coalesce(p_after_seq, 0),
          coalesce(p_from, '-infinity'), coalesce(p_to, 'infinity'), p_limit;
    RETURN QUERY EXECUTE $q$
        SELECT x.* FROM finance_transfer_sides x
        WHERE x.community_id = $1 AND x.account_id = $2 AND x.transfer_id = ANY ($3)
        ORDER BY x.created_at, x.seq $q$
    USING p_community, p_account, v_ids;
END $$;
