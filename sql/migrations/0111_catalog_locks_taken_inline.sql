-- The catalog entries' shared locks (0110) are taken by PostgreSQL's own
-- pg_advisory_xact_lock_shared, inline in meetingd's lock statements, keyed as ml_lock keys the
-- retirement's exclusive one: a statement every schema serves, as the upgrade tests run meetingd
-- on older ones. The two functions 0110 made for them are called by nothing, and go.
DROP FUNCTION ml_lock_meeting_catalog(text, text, integer);
DROP FUNCTION ml_lock_shared(text, text, integer);
