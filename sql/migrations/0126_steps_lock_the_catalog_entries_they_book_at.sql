-- A step books only at a service and location it has share-locked after the meeting's or
-- series' own locks, so a retirement (service.set_active, location.update: an exclusive lock on
-- the entry, then the row) and a booking are serialized on every path:
--   * a step on a meeting read the meeting's service and location in the statement that waited
--     for the meeting's locks, with that statement's snapshot, taken before the wait: a location
--     changed by the step it waited for (a confirm at another location) was not the one locked;
--     the entries are now read by a statement of their own after the wait;
--   * a confirm naming another location (location_id) did not lock it: a confirm there and its
--     retirement both committed, the meeting agreed at a retired location;
--   * a series' steps (series.skip books the next occurrence) and the scheduler (jobs.run_due
--     books occurrences) took no catalog lock at all.
-- The older functions stay as they were, for a binary of the release before this one during an
-- upgrade; this release calls the new ones.

-- Shared locks on the catalog entries `p_ids` (NULLs skipped, each once, in id order), keyed as
-- ml_lock keys a retirement's exclusive one.
CREATE FUNCTION ml_lock_catalog(p_community text, p_ids text[], p_class integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id text;
BEGIN
    FOR v_id IN SELECT DISTINCT x FROM unnest(p_ids) AS x WHERE x IS NOT NULL ORDER BY x LOOP
        PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_community || '/' || v_id, p_class));
    END LOOP;
END $$;

-- A step on one meeting: its parties, row and wallet (as before), then, read afresh after
-- those waits, its service and location and the entries the step may move it to (`p_also`).
CREATE FUNCTION ml_lock_meeting(
    p_community text, p_meeting text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer,
    p_catalog_class integer, p_also text[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_meeting(p_community, p_meeting, p_key_subject, p_key_class, p_user_class, p_expert_class);
    -- A statement of its own: under READ COMMITTED its snapshot is taken now, after the waits.
    PERFORM ml_lock_catalog(
        p_community,
        ARRAY(SELECT x.id FROM meetings m, LATERAL (VALUES (m.service_id), (m.location_id)) AS x(id)
              WHERE m.community_id = p_community AND m.id = p_meeting) || coalesce(p_also, '{}'),
        p_catalog_class);
END $$;

-- The services and locations of the series `p_series`, shared (an occurrence is booked there).
CREATE FUNCTION ml_lock_series_catalog(p_community text, p_series text[], p_class integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_catalog(
        p_community,
        ARRAY(SELECT x.id FROM series s, LATERAL (VALUES (s.service_id), (s.location_id)) AS x(id)
              WHERE s.community_id = p_community AND s.id = ANY (p_series)),
        p_class);
END $$;

-- A step on one series: its parties, row, open meetings and wallet (as before), then its
-- service and location.
CREATE FUNCTION ml_lock_series(
    p_community text, p_series text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer,
    p_catalog_class integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_series(p_community, p_series, p_key_subject, p_key_class, p_user_class, p_expert_class);
    PERFORM ml_lock_series_catalog(p_community, ARRAY[p_series], p_catalog_class);
END $$;

-- The scheduler's run: the series it chose and everything it locked before (as before), then
-- those series' services and locations.
CREATE FUNCTION ml_lock_due_series(
    p_community text, p_test_clock boolean, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer,
    p_expire_limit integer, p_catalog_class integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_due_series(p_community, p_test_clock, p_limit, p_jobs_class, p_user_class, p_expert_class, p_expire_limit);
    PERFORM ml_lock_series_catalog(
        p_community, coalesce(nullif(current_setting('ml.due_series', true), ''), '{}')::text[], p_catalog_class);
END $$;
