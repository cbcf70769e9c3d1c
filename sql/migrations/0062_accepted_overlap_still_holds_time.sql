-- A meeting whose overlap with another the expert accepted still takes its own time from
-- everything else: `occupies` (what the booking context and availability search read as the
-- expert's busy time) no longer leaves out a conflict-accepted meeting, so a request held that
-- way still keeps its time from other requests and proposals. Only the no-double-booking
-- constraint lets the accepted overlap stand: it covers `excludes_overlaps`, the meetings that
-- take their time and did not accept an overlap.
ALTER TABLE meetings DROP CONSTRAINT meetings_no_double_booking;
ALTER TABLE meetings DROP COLUMN occupies;
ALTER TABLE meetings ADD COLUMN occupies boolean GENERATED ALWAYS AS (
    status = 'agreed' OR (status = 'awaiting_approval' AND credit_status = 'blocked' AND pending_holds_slot)
) STORED;
ALTER TABLE meetings ADD COLUMN excludes_overlaps boolean GENERATED ALWAYS AS (
    (status = 'agreed' OR (status = 'awaiting_approval' AND credit_status = 'blocked' AND pending_holds_slot)) AND NOT conflict_accepted
) STORED;
ALTER TABLE meetings ADD CONSTRAINT meetings_no_double_booking EXCLUDE USING gist (
    community_id WITH =, expert_id WITH =, tstzrange(start_at, end_at) WITH &&
) WHERE (excludes_overlaps);
