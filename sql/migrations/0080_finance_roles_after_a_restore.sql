-- Finance roles after a backup is restored (README: Backups and restores). Roles are the
-- cluster's, not the database's: pg_dump carries the finance_roles rows and the grants, and
-- pg_dumpall --globals-only the roles themselves. Restored into another cluster, a role comes
-- back with another oid, so its row (which recognises it by oid and name) confined it to nothing
-- and it saw no rows, silently; restoring an older backup left roles made since without a row,
-- which finance_role_drop refused and finance_role_create could not make again, unnoticed; and a restore
-- without the group role lost the group's grants, and the start-up check of finance_access_problems()
-- failed on the missing group and said nothing. finance_role_problems() now lists each of
-- these with the statement that fixes it, and finance_role_reattach() attaches restored roles.

-- A row's role_oid may now be empty: a row whose oid names no role of its name is detached
-- (confined to nothing, as before) so that the oids of the roles restored can change places.
ALTER TABLE finance_roles ALTER COLUMN role_oid DROP NOT NULL;

-- Attaches each finance role's row to the role of its name in this cluster, where that role is a
-- member of the finance group (as finance_role_create made it) but has another oid: what a
-- restore into another cluster, with the cluster's roles restored first, leaves. Rows whose oid
-- is not their role's are detached first, so that one call attaches every such role whatever oids
-- the rows carried (a row may carry the oid another role has here). Returns the roles attached.
-- A role of that name outside the group is left confined to nothing.
CREATE FUNCTION finance_role_reattach() RETURNS TABLE (role_name text, community_id text)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE finance_roles r SET role_oid = NULL
    WHERE r.role_oid IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pg_roles g WHERE g.oid = r.role_oid AND g.rolname = r.role_name);
    RETURN QUERY
    UPDATE finance_roles r SET role_oid = g.oid
    FROM pg_roles g
    WHERE g.rolname = r.role_name AND r.role_oid IS NULL
      AND NOT g.rolsuper AND pg_has_role(g.oid, 'meetingledger_finance', 'MEMBER')
    RETURNING r.role_name, r.community_id;
END $$;

-- As in 0010; without the finance group (a restore without the cluster's roles) there is no
-- privilege of it to ask about: finance_role_problems() says the group is missing.
CREATE OR REPLACE FUNCTION finance_access_problems() RETURNS TABLE (privilege text, fix text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meetingledger_finance') THEN
        RETURN;
    END IF;
    RETURN QUERY
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
    WHERE has_schema_privilege('meetingledger_finance', 'public', 'CREATE');
END $$;

-- What a restore can leave between the finance roles and their rows, one row each with the
-- statement that fixes it; no rows when every finance role sees what it should: the finance
-- group missing (said alone: the rest asks about it) or without its grants on the views, a row
-- naming a role of another oid (restored into another cluster) or no role at all, a login role
-- of the group without a row (made after the backup that was restored). meetingd warns at start-up
-- while there is one.
CREATE FUNCTION finance_role_problems() RETURNS TABLE (problem text, fix text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_service oid := (SELECT c.relowner FROM pg_class c WHERE c.oid = 'public.accounts'::regclass);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meetingledger_finance') THEN
        RETURN QUERY SELECT 'the finance group role meetingledger_finance does not exist (roles are not in pg_dump)'::text,
            ('restore the cluster''s roles (pg_dumpall --globals-only) before the database; or CREATE ROLE meetingledger_finance NOLOGIN; '
             'GRANT USAGE ON SCHEMA public TO meetingledger_finance; '
             'GRANT SELECT ON finance_accounts, finance_transfers, finance_meeting_trail TO meetingledger_finance; '
             'then, as a superuser, SELECT * FROM finance_lockdown();')::text;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT 'the finance group cannot read ' || v.view,
           'GRANT USAGE ON SCHEMA public TO meetingledger_finance; GRANT SELECT ON finance_accounts, finance_transfers, finance_meeting_trail TO meetingledger_finance;'
    FROM unnest(ARRAY['finance_accounts', 'finance_transfers', 'finance_meeting_trail']) v(view)
    WHERE NOT has_table_privilege('meetingledger_finance', v.view, 'SELECT') OR NOT has_schema_privilege('meetingledger_finance', 'public', 'USAGE')
    UNION ALL
    SELECT format('finance role %s is recorded with another role of its name (restored from another cluster): it sees no row', r.role_name),
           'SELECT * FROM finance_role_reattach();'
    FROM finance_roles r JOIN pg_roles g ON g.rolname = r.role_name
    WHERE g.oid IS DISTINCT FROM r.role_oid AND NOT g.rolsuper AND pg_has_role(g.oid, 'meetingledger_finance', 'MEMBER')
    UNION ALL
    SELECT format('finance role %s names a role outside the finance group: that role is not the one the row was made for, and it sees no row', r.role_name),
           format('if it is, GRANT meetingledger_finance TO %I; then SELECT * FROM finance_role_reattach(); if not, SELECT finance_role_drop(%L); (the role is kept)',
                  r.role_name, r.role_name)
    FROM finance_roles r JOIN pg_roles g ON g.rolname = r.role_name
    WHERE g.oid IS DISTINCT FROM r.role_oid AND (g.rolsuper OR NOT pg_has_role(g.oid, 'meetingledger_finance', 'MEMBER'))
    UNION ALL
    SELECT format('finance role %s has no role in this cluster', r.role_name),
           format('restore the cluster''s roles (pg_dumpall --globals-only), then SELECT * FROM finance_role_reattach(); or SELECT finance_role_drop(%L);', r.role_name)
    FROM finance_roles r
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = r.role_name)
    UNION ALL
    SELECT format('login role %s is in the finance group without a finance role''s row here (made after the backup that was restored, '
                  'or by another MeetingLedger database of this cluster): it sees no row here', g.rolname),
           format('DROP ROLE %I; (unless another MeetingLedger database of this cluster made it) then make it again with finance_role_create', g.rolname)
    FROM pg_roles g
    WHERE g.rolcanlogin AND NOT g.rolsuper AND g.oid <> v_service AND g.rolname <> 'meetingledger_finance'
      AND pg_has_role(g.oid, 'meetingledger_finance', 'MEMBER')
      AND NOT EXISTS (SELECT 1 FROM finance_roles r WHERE r.role_name = g.rolname);
END $$;

COMMENT ON COLUMN finance_roles.role_oid IS 'The role''s oid: a role renamed or dropped behind the functions'' back is confined to nothing. Empty while a restored role of the name is not attached (finance_role_reattach()).';
COMMENT ON FUNCTION finance_role_reattach() IS 'Attaches finance roles restored into another cluster (members of meetingledger_finance of the rows'' names) to their rows; returns those attached.';
COMMENT ON FUNCTION finance_role_problems() IS 'What a restore left between the finance roles and their rows, one row each with the statement that fixes it; none when every finance role sees what it should.';
