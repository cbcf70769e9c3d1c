-- A location can be retired (location.update with active false: a room closed, a video
-- platform given up): no new meeting is booked there and no meeting moves to it, its hours
-- offer no slots, and meetings already there stay. Restored, it is offered again. The booking
-- context reads a location's row whole (to_jsonb), so it carries the flag as it is.
ALTER TABLE locations ADD COLUMN active boolean NOT NULL DEFAULT true;
