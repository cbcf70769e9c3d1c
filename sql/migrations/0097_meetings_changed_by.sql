-- Which transaction last wrote a meeting: how a list paged while meetings change (meeting.list,
-- meeting.waiting) tells the meetings changed since its first page.
--
-- Lists told them by their timeline events' numbers: a meeting with an event numbered after the
-- newest one the first page saw came after the others. A number is taken when the event is
-- written, not when it commits: a step that took its number and committed after a later one
-- was read (a fraction of a millisecond, or longer behind a lock) was taken as seen by the
-- first page, and a meeting it moved to a place the pages had passed was skipped. A list now
-- keeps the snapshot its first page read and asks of each meeting whether the transaction that
-- last wrote it is visible in that snapshot (pg_visible_in_snapshot), which is exact whatever
-- order transactions commit in.
--
-- Set by a trigger on every insert and update, so that no path that writes a meeting can leave
-- it out. Rows written before this migration have none (NULL): seen by every snapshot.
ALTER TABLE meetings ADD COLUMN changed_by xid8;

CREATE FUNCTION ml_meeting_changed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_by := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TRIGGER meetings_changed_by BEFORE INSERT OR UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION ml_meeting_changed_by();
