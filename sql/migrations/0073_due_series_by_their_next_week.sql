-- The series jobs.run_due takes first are those whose next week to book comes soonest; a series
-- with no week left to book comes by the earliest date it could not book that is still ahead.
-- Migration 0071 ordered every series by the earlier of the two, so a date the scheduler could
-- not book (credits short) that stayed ahead put its series first in every run: 200 such series
-- took every run and healthy series were not booked ahead. Now a series served moves back (its
-- next week passes the horizon) and the others come in turn; a series with nothing to do within
-- the horizon is not taken at all.
CREATE OR REPLACE FUNCTION ml_due_series(p_community text, p_now timestamptz, p_limit integer)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.id ORDER BY d.due, d.id), '{}') FROM (
        SELECT x.id, coalesce(x.next_week, x.retry) AS due FROM (
            SELECT s.id,
                   CASE WHEN s.weeks IS NULL OR s.next_index < s.weeks THEN s.first_date + 7 * s.next_index END AS next_week,
                   (SELECT min(k.skip_date) FROM series_skips k
                    WHERE k.community_id = s.community_id AND k.series_id = s.id AND k.actor_id IS NULL AND k.reason LIKE 'not booked%'
                      AND k.skip_date >= (p_now AT TIME ZONE s.time_zone)::date) AS retry
            FROM series s
            WHERE s.community_id = p_community AND s.status = 'active') x
        -- Something to do within the horizon (and a week's margin for the series' own zone).
        WHERE least(x.next_week, x.retry) <= (p_now + make_interval(days => 7 + coalesce(
                  (SELECT (c.settings ->> 'horizon_days')::integer FROM communities c WHERE c.community_id = p_community), 90)))::date
        ORDER BY coalesce(x.next_week, x.retry), x.id
        LIMIT p_limit) d
$$;
