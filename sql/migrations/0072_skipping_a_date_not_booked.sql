-- A date the scheduler could not book may be skipped by the user or the expert: their skip
-- takes the place of the scheduler's "not booked" entry (which would otherwise be tried again,
-- and booked, perhaps inside the cancellation window, after the person had asked not to). The
-- database makes the swap as the skip is written, so a date is never both.
CREATE FUNCTION ml_party_skip_replaces_not_booked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM series_skips
    WHERE community_id = NEW.community_id AND series_id = NEW.series_id AND skip_date = NEW.skip_date
      AND actor_id IS NULL AND reason LIKE 'not booked%';
    RETURN NEW;
END $$;

CREATE TRIGGER series_skips_party_skip_replaces_not_booked BEFORE INSERT ON series_skips
FOR EACH ROW WHEN (NEW.actor_id IS NOT NULL) EXECUTE FUNCTION ml_party_skip_replaces_not_booked();
