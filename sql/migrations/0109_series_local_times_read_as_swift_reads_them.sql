-- A series' local time is read as an instant the way meetingd's ZoneClock reads it: the earliest
-- instant the zone's clocks show it (the first of the two in a repeated hour); in a skipped hour,
-- the wall time read with the offset of the day before. `AT TIME ZONE` takes the later of the two,
-- so a series whose last date fell in a repeated hour read `active` for an hour after that date
-- had ended (ml_series_ends_at), and the scheduler took a turn for a date not booked whose start
-- had passed (ml_due_series). Both read local times through ml_local_instant now. The rest of
-- each function is as before (ml_series_ends_at as in 0060, ml_due_series as in 0075).

-- The offset of p_zone at the instant whose UTC reading is p_local shifted by p_shift (the same
-- probe ZoneClock makes a day either side of the wall time).
CREATE FUNCTION ml_local_instant(p_local timestamp, p_zone text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    WITH offsets AS (
        SELECT DISTINCT ((p_local + shift) AT TIME ZONE 'UTC' AT TIME ZONE p_zone) - (p_local + shift) AS utc_offset, shift
        FROM (VALUES (interval '-1 day'), (interval '1 day')) v(shift)
    )
    SELECT coalesce(
        (SELECT min((p_local - o.utc_offset) AT TIME ZONE 'UTC') FROM offsets o
         WHERE (((p_local - o.utc_offset) AT TIME ZONE 'UTC') AT TIME ZONE p_zone) = p_local),
        (SELECT (p_local - o.utc_offset) AT TIME ZONE 'UTC' FROM offsets o WHERE o.shift = interval '-1 day' LIMIT 1))
$$;

CREATE OR REPLACE FUNCTION ml_series_ends_at(s series) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.weeks IS NULL THEN NULL
        ELSE GREATEST(
            ml_local_instant((s.first_date + 7 * (s.weeks - 1)) + make_interval(mins => s.local_minutes), s.time_zone)
                + make_interval(mins => s.length_minutes),
            (SELECT max(m.end_at) FROM meetings m
             WHERE m.community_id = s.community_id AND m.series_id = s.id AND m.status IN ('awaiting_approval', 'agreed'))) END
$$;

CREATE OR REPLACE FUNCTION ml_due_series(p_community text, p_now timestamptz, p_limit integer)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.id ORDER BY d.n), '{}') FROM (
        SELECT x.id, row_number() OVER (ORDER BY x.taken_at NULLS FIRST, coalesce(x.next_week, x.retry), x.id) AS n FROM (
            SELECT s.id, t.taken_at,
                   CASE WHEN s.weeks IS NULL OR s.next_index < s.weeks THEN s.first_date + 7 * s.next_index END AS next_week,
                   -- A date not booked is tried again while its start is ahead (retryNotBooked).
                   (SELECT min(k.skip_date) FROM series_skips k
                    WHERE k.community_id = s.community_id AND k.series_id = s.id AND k.actor_id IS NULL AND k.reason LIKE 'not booked%'
                      AND ml_local_instant(k.skip_date + make_interval(mins => s.local_minutes), s.time_zone) > p_now) AS retry
            FROM series s
            LEFT JOIN series_turns t ON t.community_id = s.community_id AND t.series_id = s.id
            WHERE s.community_id = p_community AND s.status = 'active') x
        -- Something to do within the horizon (and a week's margin for the series' own zone).
        WHERE least(x.next_week, x.retry) <= (p_now + make_interval(days => 7 + coalesce(
                  (SELECT (c.settings ->> 'horizon_days')::integer FROM communities c WHERE c.community_id = p_community), 90)))::date
        ORDER BY x.taken_at NULLS FIRST, coalesce(x.next_week, x.retry), x.id
        LIMIT p_limit) d
$$;
