-- A claim took messages whose available_at had come, oldest available_at first. With the clock
-- set back (the test clock, or a server clock stepped back), messages written before it waited
-- until the clock reached their time again, and those written after came first: a review saw a
-- user told "cancelled" before "confirmed" (the confirmation written at 6 March, the clock then
-- set back to 5 March for the cancellation).
-- A message not tried yet is now ready whatever the clock says (nothing writes one for later; a
-- failed one waits out its back-off as before), and claims take messages in the order they were
-- written (seq): this index serves that order, in place of the one by available_at.

CREATE INDEX outbox_ready_in_order ON outbox (community_id, seq) WHERE status IN ('pending', 'leased');
DROP INDEX outbox_ready;
