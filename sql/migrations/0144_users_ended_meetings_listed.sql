-- meeting.list lists by default, beside the meetings still to end, the agreed meetings that have
-- ended unlogged on the user's side too (the expert's were listed already, by meetings_unlogged):
-- they hold the user's credits until the expert logs the session, and a user reading their
-- blocked credits found no meeting that held them. Their own index, agreed by end, bounds that
-- read to the meetings in question instead of the user's whole history.
CREATE INDEX meetings_unlogged_user ON meetings (community_id, user_id, end_at) WHERE status = 'agreed';
