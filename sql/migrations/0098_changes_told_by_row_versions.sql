-- Which transaction last wrote a meeting is told by the row version itself (its xmin), not by a
-- column a trigger sets: 0097's trigger called pg_current_xact_id(), which finance_lockdown()
-- takes from every role but a superuser (a finance role must not take transaction ids), so on a
-- locked-down database every write of a meeting failed. A list reads xmin beside its snapshot
-- (ChangePage in Sources/Store): nothing is written for it, and no path that writes a meeting
-- can leave it out.
DROP TRIGGER meetings_changed_by ON meetings;
DROP FUNCTION ml_meeting_changed_by();
ALTER TABLE meetings DROP COLUMN changed_by;
