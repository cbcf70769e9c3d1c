-- jobs.run_due takes the series with something to do in turns: first those it has not taken, or
-- took longest ago, then by their next week to book. Ordered by dates alone (0071, 0073), series
-- that can do nothing but retry a date they cannot pay for (their weeks all booked or passed)
-- kept a soon date, came first in every run and left a healthy series out for good once there
-- were 200 of them. A run records when it took each series; the record is for ordering only.
CREATE TABLE series_turns (
    community_id text NOT NULL,
    series_id text NOT NULL,
    taken_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, series_id),
    FOREIGN KEY (community_id, series_id) REFERENCES series (community_id, id)
);

CREATE OR REPLACE FUNCTION ml_due_series(p_community text, p_now timestamptz, p_limit integer)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.id ORDER BY d.n), '{}') FROM (
        SELECT x.id, row_number() OVER (ORDER BY x.taken_at NULLS FIRST, coalesce(x.next_week, x.retry), x.id) AS n FROM (
            SELECT s.id, t.taken_at,
                   CASE WHEN s.weeks IS NULL OR s.next_index < s.weeks THEN s.first_date + 7 * s.next_index END AS next_week,
                   -- A date not booked is tried again while its start is ahead (retryNotBooked).
                   (SELECT min(k.skip_date) FROM series_skips k
                    WHERE k.community_id = s.community_id AND k.series_id = s.id AND k.actor_id IS NULL AND k.reason LIKE 'not booked%'
                      AND (k.skip_date + make_interval(mins => s.local_minutes))::timestamp > (p_now AT TIME ZONE s.time_zone)) AS retry
            FROM series s
            LEFT JOIN series_turns t ON t.community_id = s.community_id AND t.series_id = s.id
            WHERE s.community_id = p_community AND s.status = 'active') x
        -- Something to do within the horizon (and a week's margin for the series' own zone).
        WHERE least(x.next_week, x.retry) <= (p_now + make_interval(days => 7 + coalesce(
                  (SELECT (c.settings ->> 'horizon_days')::integer FROM communities c WHERE c.community_id = p_community), 90)))::date
        ORDER BY x.taken_at NULLS FIRST, coalesce(x.next_week, x.retry), x.id
        LIMIT p_limit) d
$$;

CREATE OR REPLACE FUNCTION ml_lock_due_series(
    p_community text, p_test_clock boolean, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_ids text[];
    v_subject text;
BEGIN
    PERFORM ml_lock(p_community, 'jobs', p_jobs_class);
    -- Chosen under the scheduler's lock: the run before this one has committed what it booked.
    v_ids := ml_due_series(p_community, ml_now(p_community, p_test_clock), p_limit);
    PERFORM set_config('ml.due_series', v_ids::text, true);
    FOR v_subject IN SELECT DISTINCT user_id FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY user_id LOOP
        PERFORM ml_lock(p_community, v_subject, p_user_class);
    END LOOP;
    FOR v_subject IN SELECT DISTINCT expert_id FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY expert_id LOOP
        PERFORM ml_lock(p_community, v_subject, p_expert_class);
    END LOOP;
    PERFORM 1 FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id IN (
        SELECT user_id FROM series WHERE community_id = p_community AND id = ANY (v_ids)) ORDER BY id FOR UPDATE;
    -- Their turn taken (the server's own time: only the order of turns matters).
    INSERT INTO series_turns (community_id, series_id, taken_at)
    SELECT p_community, x.id, clock_timestamp() FROM unnest(v_ids) AS x(id)
    ON CONFLICT (community_id, series_id) DO UPDATE SET taken_at = excluded.taken_at;
END $$;
