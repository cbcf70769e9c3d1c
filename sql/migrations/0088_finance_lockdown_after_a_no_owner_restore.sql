-- After a restore with --no-owner, finance roles could run the functions later migrations make.
--
-- Migration 0010 took EXECUTE on the functions meetingd's role makes from then on away from
-- PUBLIC (ALTER DEFAULT PRIVILEGES). pg_dump carries that for the role that migrated the dumped
-- database; restored with --no-owner as another role, the statement fails (it names a role the
-- restoring one may not act for) and the new owner has no such default: every function a later
-- migration makes would be callable by finance roles, and nothing said so. finance_access_problems()
-- now lists it, and any of meetingd's functions that finance roles may run (so meetingd warns at
-- start and finance_role_create refuses, as for the other privileges); finance_lockdown(), which
-- README has a superuser run after such a restore, sets the default again for the role that owns
-- the ledger's tables and takes EXECUTE back from those functions. Both keep what they did under a
-- new name that the new one calls, so nothing of them is copied here. This migration does the same
-- for the role that runs it (its own default needs no superuser), so a database restored that way
-- before it is closed again by it.
--
-- finance_role_create's hint for a name that is taken sent the operator to finance_role_drop,
-- which refuses a role this database has no row for (one made after the backup it was restored
-- from): the hint now says how each is removed. The rest of finance_role_setup is that of 0011.

-- meetingd's own functions (in public, owned by the role that owns the ledger's tables, not an
-- extension's) that a finance role may run.
CREATE FUNCTION finance_open_service_functions() RETURNS TABLE (function regprocedure)
LANGUAGE sql STABLE AS $$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
      AND p.proowner = (SELECT c.relowner FROM pg_class c WHERE c.oid = 'public.accounts'::regclass)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'meetingledger_finance')
      AND has_function_privilege('meetingledger_finance', p.oid, 'EXECUTE')
$$;

ALTER FUNCTION finance_access_problems() RENAME TO finance_access_problems_of_grants;

CREATE FUNCTION finance_access_problems() RETURNS TABLE (privilege text, fix text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_service regrole := (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'public.accounts'::regclass);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meetingledger_finance') THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM finance_access_problems_of_grants();
    IF NOT EXISTS (
        SELECT 1 FROM pg_default_acl d
        WHERE d.defaclrole = v_service AND d.defaclobjtype = 'f' AND d.defaclnamespace = 0
          AND NOT EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
    ) THEN
        RETURN QUERY SELECT 'EXECUTE on the functions ' || v_service::text || ' makes from now on',
            format('ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC', v_service);
    END IF;
    RETURN QUERY
    SELECT 'EXECUTE on ' || f.function::text, format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, meetingledger_finance', f.function)
    FROM finance_open_service_functions() f;
END $$;

ALTER FUNCTION finance_lockdown() RENAME TO finance_lockdown_grants;

CREATE FUNCTION finance_lockdown() RETURNS TABLE (privilege text, fix text)
LANGUAGE plpgsql AS $$
DECLARE
    v_service regrole := (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'public.accounts'::regclass);
    v_function regprocedure;
BEGIN
    IF pg_has_role(current_user, v_service, 'MEMBER') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC', v_service);
        FOR v_function IN SELECT f.function FROM finance_open_service_functions() f LOOP
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, meetingledger_finance', v_function);
        END LOOP;
    END IF;
    RETURN QUERY SELECT * FROM finance_lockdown_grants();
END $$;

CREATE OR REPLACE FUNCTION finance_role_setup(p_role text, p_community text, p_connection_limit integer, p_statement_timeout interval)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_problems text;
BEGIN
    IF p_role IS NULL OR p_role !~ '^[a-z][a-z0-9_]{2,62}$' OR p_role LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'a finance role''s name is 3 to 63 lowercase letters, digits and underscores, starting with a letter (and not pg_), not %', quote_literal(p_role)
            USING ERRCODE = '22023';
    END IF;
    IF p_connection_limit IS NULL OR p_connection_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'a finance role may have 1 to 100 connections, not %', p_connection_limit USING ERRCODE = '22023';
    END IF;
    IF p_statement_timeout IS NULL OR p_statement_timeout NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'a finance role''s statement timeout is 1 second to 1 hour, not %', p_statement_timeout USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'the role % exists already', p_role USING ERRCODE = '42710',
            HINT = 'Finance roles are created new: choose another name, or remove the role: finance_role_drop removes a finance role of '
                 || 'this database; one it has no row for (made after the backup it was restored from) is listed by '
                 || 'finance_role_problems() with the DROP ROLE that removes it.';
    END IF;
    SELECT string_agg(privilege, '; ') INTO v_problems FROM finance_access_problems();
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'finance roles could still lock or write here: every role may use %', v_problems USING ERRCODE = '55000',
            HINT = 'A superuser must run SELECT * FROM finance_lockdown(); in this database first (README: Finance staff''s SQL access).';
    END IF;
    -- A row left by a role dropped behind these functions' back.
    DELETE FROM finance_roles WHERE role_name = p_role;
    EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %s IN ROLE meetingledger_finance',
                   p_role, p_connection_limit);
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', p_role);
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', p_role, (extract(epoch FROM p_statement_timeout) * 1000)::bigint || 'ms');
    EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', p_role, '60s');
    EXECUTE format('ALTER ROLE %I SET lock_timeout = %L', p_role, '5s');
    INSERT INTO finance_roles (role_name, role_oid, community_id, platform_wide)
    SELECT p_role, r.oid, p_community, p_community IS NULL FROM pg_roles r WHERE r.rolname = p_role;
    RETURN p_role;
END $$;

-- meetingd's functions are for meetingd, whatever default the database has now: the new ones, and
-- any a restore left open, with the default for what later migrations make.
REVOKE EXECUTE ON FUNCTION finance_access_problems(), finance_lockdown(), finance_role_setup(text, text, integer, interval),
    finance_open_service_functions() FROM PUBLIC;
SELECT count(*) AS still_open FROM finance_lockdown();
