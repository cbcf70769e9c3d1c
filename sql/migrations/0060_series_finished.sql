-- A series of a given number of weeks is finished once its last date has ended, and every
-- occurrence still to be answered or held (one moved past that date too): it is listed and read
-- as `finished`, not `active`, and has nothing left to skip or cancel. Its end is read by one
-- function, which the read (`ends_at` in ml_series_json) and the list's status filter share; the
-- stored status stays active or cancelled.
CREATE FUNCTION ml_series_ends_at(s series) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.weeks IS NULL THEN NULL
        ELSE GREATEST(
            ((s.first_date + 7 * (s.weeks - 1)) + make_interval(mins => s.local_minutes)) AT TIME ZONE s.time_zone
                + make_interval(mins => s.length_minutes),
            (SELECT max(m.end_at) FROM meetings m
             WHERE m.community_id = s.community_id AND m.series_id = s.id AND m.status IN ('awaiting_approval', 'agreed'))) END
$$;

CREATE OR REPLACE FUNCTION ml_series_json(p_community text, p_series text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'series', to_jsonb(s) || jsonb_build_object('ends_at', ml_series_ends_at(s)),
        'skips', (SELECT coalesce(jsonb_agg(jsonb_build_object('date', k.skip_date, 'reason', k.reason, 'detail', k.detail) ORDER BY k.skip_date), '[]')
                  FROM series_skips k WHERE k.community_id = s.community_id AND k.series_id = s.id),
        'occurrences', (SELECT coalesce(jsonb_agg(ml_meeting_json(m.community_id, m.id) ORDER BY m.occurrence_date), '[]')
                        FROM meetings m WHERE m.community_id = s.community_id AND m.series_id = s.id))
    FROM series s WHERE s.community_id = p_community AND s.id = p_series
$$;
