-- Finance staff's SQL roles read the finance views and can do nothing else: no writes of any
-- kind and no locks that could stall meetingd. No table was ever granted to them; what
-- PostgreSQL lets every role (PUBLIC) do by default is taken back here: the advisory-lock
-- functions (meetingd serializes bookings, users and idempotency keys with them: a reader
-- holding one stalls every request that needs it), large objects, NOTIFY's function, logical
-- WAL messages and transaction ids (writes outside any table), temporary tables, and creating
-- objects. meetingd's own role (the owner of the schema) keeps the advisory locks it uses.
--
-- The functions of pg_catalog belong to the bootstrap superuser. When meetingd's role is not a
-- superuser, those REVOKEs cannot be made here: finance_access_problems() lists what is still
-- open, every start of meetingd warns about it, and finance_role_create (migration 0011) refuses
-- to create a role until a superuser has run SELECT * FROM finance_lockdown(); in this database.

-- meetingd's functions are for meetingd: no other role needs to call them, now or later.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
DO $$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND pg_has_role(p.proowner, 'MEMBER')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_function);
    END LOOP;
END $$;

-- The functions of pg_catalog a finance role must not run, and whether meetingd uses them.
CREATE VIEW finance_forbidden_functions AS
SELECT p.oid::regprocedure AS function, p.proname LIKE '%advisory%' AS service_uses_it
FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%'
       OR p.proname LIKE 'lo\_%' OR p.proname IN ('loread', 'lowrite')
       OR p.proname IN ('pg_notify', 'pg_logical_emit_message', 'txid_current', 'pg_current_xact_id'));

-- What a finance role could still do that it must not, one row each with the statement that
-- closes it; no rows once the database is locked down.
CREATE FUNCTION finance_access_problems() RETURNS TABLE (privilege text, fix text)
LANGUAGE sql STABLE AS $$
    SELECT 'EXECUTE on ' || f.function::text, format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, meetingledger_finance', f.function)
    FROM finance_forbidden_functions f
    WHERE has_function_privilege('meetingledger_finance', f.function, 'EXECUTE')
    UNION ALL
    SELECT 'TEMPORARY on database ' || quote_ident(current_database()),
           format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, meetingledger_finance', current_database())
    WHERE has_database_privilege('meetingledger_finance', current_database(), 'TEMPORARY')
    UNION ALL
    SELECT 'CREATE on database ' || quote_ident(current_database()),
           format('REVOKE CREATE ON DATABASE %I FROM PUBLIC, meetingledger_finance', current_database())
    WHERE has_database_privilege('meetingledger_finance', current_database(), 'CREATE')
    UNION ALL
    SELECT 'CREATE on schema public', 'REVOKE CREATE ON SCHEMA public FROM PUBLIC, meetingledger_finance'
    WHERE has_schema_privilege('meetingledger_finance', 'public', 'CREATE')
$$;

-- Closes whatever the caller is allowed to close and returns what is still open. Run by the
-- migration as meetingd's role; run it again as a superuser when that role is not one. meetingd's
-- role (the owner of the ledger's tables) is granted what it uses before PUBLIC loses it.
CREATE FUNCTION finance_lockdown() RETURNS TABLE (privilege text, fix text)
LANGUAGE plpgsql AS $$
DECLARE
    v_service regrole := (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'public.accounts'::regclass);
    v_service_is_superuser boolean := (SELECT r.rolsuper FROM pg_roles r WHERE r.oid = v_service);
    v_forbidden record;
BEGIN
    FOR v_forbidden IN
        SELECT f.function, f.service_uses_it FROM finance_forbidden_functions f
        WHERE has_function_privilege(current_user, f.function, 'EXECUTE WITH GRANT OPTION')
    LOOP
        IF v_forbidden.service_uses_it AND NOT v_service_is_superuser THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_forbidden.function, v_service);
        END IF;
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, meetingledger_finance', v_forbidden.function);
    END LOOP;
    IF has_database_privilege(current_user, current_database(), 'TEMPORARY WITH GRANT OPTION') THEN
        IF NOT v_service_is_superuser THEN
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %s', current_database(), v_service);
        END IF;
        EXECUTE format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC, meetingledger_finance', current_database());
    END IF;
    IF has_schema_privilege(current_user, 'public', 'CREATE WITH GRANT OPTION') THEN
        IF NOT v_service_is_superuser THEN
            EXECUTE format('GRANT USAGE, CREATE ON SCHEMA public TO %s', v_service);
        END IF;
        REVOKE CREATE ON SCHEMA public FROM PUBLIC, meetingledger_finance;
    END IF;
    RETURN QUERY SELECT * FROM finance_access_problems();
END $$;

SELECT count(*) AS still_open FROM finance_lockdown();
