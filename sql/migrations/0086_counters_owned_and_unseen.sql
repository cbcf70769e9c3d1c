-- A community's counters (0085) belong to meetingd's role, and finance roles cannot watch them.
--
-- The counters were made by whoever inserted the community: a community bootstrapped by another
-- role (a superuser, say) had counters meetingd's role could not take a number from, and every
-- transfer and message of that community failed. The function that makes them now runs as its
-- owner, meetingd's role (the one that migrates, and owns the tables); counters already made by
-- another role are given to it where this migration may.
--
-- PostgreSQL's statistics functions show any role how often each table and sequence was read
-- and written (pg_stat_user_tables, pg_statio_all_sequences, pg_stat_database): with a counter
-- per community, a finance role could watch every other community's activity, one number taken
-- at a time, and read how many rows every table holds. They join the functions a finance role
-- must not run (finance_forbidden_functions): those of one relation, function or database (an
-- oid), taken from PUBLIC by finance_lockdown() and given back to pg_monitor, the role for
-- monitoring. meetingd uses none of them. The others (pg_stat_activity's, pg_stat_replication's)
-- say nothing of a community's activity and stay.

ALTER FUNCTION ml_community_made() SECURITY DEFINER SET search_path = public, pg_temp;

DO $$
DECLARE
    v_service regrole := (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'public.transfers'::regclass);
    v_counter record;
BEGIN
    FOR v_counter IN
        SELECT c.oid::regclass AS counter, c.relowner::regrole AS owner FROM pg_class c
        WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'ml\_seq\_%' AND c.relowner <> v_service
    LOOP
        IF pg_has_role(current_user, v_counter.owner, 'MEMBER') AND pg_has_role(current_user, v_service, 'MEMBER') THEN
            EXECUTE format('ALTER SEQUENCE %s OWNER TO %s', v_counter.counter, v_service);
        ELSE
            RAISE WARNING 'the counter % belongs to %, not to %: as a superuser, run ALTER SEQUENCE % OWNER TO %',
                v_counter.counter, v_counter.owner, v_service, v_counter.counter, v_service;
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE VIEW finance_forbidden_functions AS
SELECT p.oid::regprocedure AS function, p.proname LIKE '%advisory%' AS service_uses_it
FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%'
       OR p.proname LIKE 'lo\_%' OR p.proname IN ('loread', 'lowrite')
       OR p.proname IN ('pg_notify', 'pg_logical_emit_message', 'txid_current', 'pg_current_xact_id')
       OR (p.proname LIKE 'pg\_stat\_get\_%' AND p.pronargs = 1 AND p.proargtypes[0] = 'oid'::regtype));

COMMENT ON VIEW finance_forbidden_functions IS 'Not granted to finance roles: the functions of pg_catalog a finance role must not run (advisory locks, large objects, pg_notify, WAL messages, transaction ids, the statistics of one relation, function or database); finance_access_problems() lists those still open.';

-- Closes what this role may close now (run as a superuser, all of it), as 0010 did, and gives
-- monitoring back the statistics.
SELECT count(*) AS still_open FROM finance_lockdown();
DO $$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT f.function FROM finance_forbidden_functions f
        WHERE f.function::text LIKE 'pg\_stat\_get\_%' AND has_function_privilege(current_user, f.function, 'EXECUTE WITH GRANT OPTION')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_monitor', v_function);
    END LOOP;
END $$;

-- A movement's number is its community's own (0085): a role that reads several communities sees
-- the same numbers in each.
COMMENT ON COLUMN finance_transfers.seq IS 'The movement''s number in its community: increasing in the order the community''s ledger recorded its movements (each community counts its own).';
COMMENT ON COLUMN finance_meeting_trail.seq IS 'The movement''s number in its community: increasing in the order the community''s ledger recorded its movements (each community counts its own).';
COMMENT ON COLUMN finance_transfer_sides.seq IS 'The movement''s number in its community: increasing in the order the community''s ledger recorded its movements (each community counts its own).';
