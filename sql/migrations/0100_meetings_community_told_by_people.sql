-- A meeting's community is already guarded by its user's foreign key (community_id, user_id)
-- to people, whose rows each belong to a community that exists. Its own foreign key to
-- communities checked the same thing again on every meeting written, and share-locked the
-- community's one row from every booking of the community at once (PostgreSQL makes a
-- multixact of each two such locks held together).
ALTER TABLE meetings DROP CONSTRAINT meetings_community_id_fkey;
