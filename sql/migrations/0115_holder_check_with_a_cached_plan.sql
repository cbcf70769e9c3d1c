-- 0113's ml_account_of_holder was a SQL function PostgreSQL 15 does not inline (its WHERE
-- holds a subquery): it planned its query again on every call, twice a grant. Measured with
-- scripts/bench, a grant through meetingd ran at 1.25× the ledger_transfer pgbench script with
-- it and at 1.43× with this one, as before 0113. In PL/pgSQL its statements keep their plans
-- for the session; what it answers is the same.
CREATE OR REPLACE FUNCTION ml_account_of_holder(p_community text, p_kind text, p_owner text, p_role text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_role IS NOT NULL AND NOT EXISTS (SELECT 1 FROM people WHERE community_id = p_community AND id = p_owner AND p_role = ANY (roles)) THEN
        RETURN NULL;
    END IF;
    RETURN ledger_account(p_community, p_kind, p_owner);
END $$;
