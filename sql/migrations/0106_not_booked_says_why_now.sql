-- A weekly date the scheduler could not book is tried again by each `jobs.run_due` while it is
-- ahead; when it still cannot be booked, the "not booked" entry now says why as it is then. It
-- kept the reason and detail of the first try: a user who had 50 of 100 credits, then 80, read
-- "50 available" (and, after a price change, the old price) while the date was refused for the
-- new figures. As the scheduler writes a "not booked" entry for a date that has one, the entry
-- takes the new reason and detail (the date it was first not booked, and a party's skip, which
-- 0072 lets replace it, stay as they are); the insert then finds the row and does nothing.
CREATE FUNCTION ml_not_booked_says_why_now() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE series_skips SET reason = NEW.reason, detail = NEW.detail
    WHERE community_id = NEW.community_id AND series_id = NEW.series_id AND skip_date = NEW.skip_date
      AND actor_id IS NULL AND reason LIKE 'not booked%'
      AND (reason, detail) IS DISTINCT FROM (NEW.reason, NEW.detail);
    RETURN NEW;
END $$;

CREATE TRIGGER series_skips_not_booked_says_why_now BEFORE INSERT ON series_skips
FOR EACH ROW WHEN (NEW.actor_id IS NULL AND NEW.reason LIKE 'not booked%') EXECUTE FUNCTION ml_not_booked_says_why_now();
