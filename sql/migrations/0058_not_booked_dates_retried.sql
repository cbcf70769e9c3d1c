-- A series date the scheduler could not book (its skip's reason begins "not booked": the user's
-- credits, the expert's time) is tried again by jobs.run_due while it is ahead. Once a meeting
-- is made for that date, the date is no longer a skip date: the database drops that skip in the
-- same statement, so the series never lists a date as both booked and not booked. Dates a party
-- skipped (actor_id set) are never booked again and stay.
CREATE FUNCTION ml_booked_date_leaves_skips() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM series_skips
    WHERE community_id = NEW.community_id AND series_id = NEW.series_id AND skip_date = NEW.occurrence_date
      AND actor_id IS NULL AND reason LIKE 'not booked%';
    RETURN NULL;
END $$;

CREATE TRIGGER meetings_booked_date_leaves_skips AFTER INSERT ON meetings
FOR EACH ROW WHEN (NEW.series_id IS NOT NULL) EXECUTE FUNCTION ml_booked_date_leaves_skips();
