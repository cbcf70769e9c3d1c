-- A write meetingd is told to make only where a synchronous standby confirms it
-- (MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY): its last statement calls this first, in the same
-- statement as the writes, so the transaction ends in an error (SQLSTATE ML091, retryable for the
-- caller) instead of a commit this primary alone would hold. A primary whose synchronous
-- replication was turned off (synchronous_standby_names empty: pg_auto_failover's wait_primary,
-- which its monitor can set on a primary it is failing over) acknowledges commits the promoted
-- standby never had; synchronous_commit local or off skips the standby too.
CREATE OR REPLACE FUNCTION ml_require_synchronous_standby() RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF current_setting('synchronous_standby_names') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'ML091',
            MESSAGE = 'this primary has no synchronous standby now (synchronous_standby_names is empty): a write it acknowledged could be lost in a failover';
    END IF;
    IF current_setting('synchronous_commit') NOT IN ('on', 'remote_write', 'remote_apply') THEN
        RAISE EXCEPTION USING ERRCODE = 'ML091',
            MESSAGE = format('synchronous_commit is %s: a commit would not wait for the synchronous standby', current_setting('synchronous_commit'));
    END IF;
    RETURN true;
END $$;

COMMENT ON FUNCTION ml_require_synchronous_standby() IS 'True where a commit waits for a synchronous standby; else SQLSTATE ML091 (MEETINGLEDGER_REQUIRE_SYNCHRONOUS_STANDBY).';
