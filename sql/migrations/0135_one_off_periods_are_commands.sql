-- availability.add_free, availability.block and availability.remove read and wrote as they went
-- (the caller's calendar lock, the expert, their unlogged sessions, the locations named, the
-- write, then the meetings a block holds: 7 to 10 statements a call). Each is now a command, as
-- availability.set_weekly is (0133): the expert's calendar lock, one read (`ml_period_context`,
-- with the actor's row), the rules decided in Swift, and one write (`ml_period_apply`, with the
-- idempotency record).

-- What a one-off period is decided on: the weekly context of the expert and the locations named
-- (no services, no meetings still to come), and what the step asks besides: the expert's agreed
-- meetings and open requests in start…end, or whose open new date lies in it (the soonest
-- `p_listed`, and how many in all), for a block; whether the period `p_period` is the expert's,
-- for its removal.
CREATE FUNCTION ml_period_context(
    p_community text, p_test_clock boolean, p_expert text, p_locations text[], p_within_from timestamptz, p_within_to timestamptz,
    p_period text, p_listed integer
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ml_weekly_context(p_community, p_test_clock, p_expert, p_locations, '{}', 0) || jsonb_build_object(
        'meetings_within', CASE WHEN p_within_from IS NOT NULL THEN (
            SELECT jsonb_build_object(
                'ids', coalesce(jsonb_agg(m.id ORDER BY m.n) FILTER (WHERE m.n <= p_listed), '[]'),
                'count', count(*))
            FROM (
                SELECT m.id, row_number() OVER (ORDER BY m.start_at, m.id) AS n FROM meetings m
                WHERE m.community_id = p_community AND m.expert_id = p_expert AND m.status IN ('agreed', 'awaiting_approval')
                  AND ((m.start_at < p_within_to AND m.end_at > p_within_from)
                    OR (m.alternate_start_at < p_within_to
                        AND m.alternate_start_at + make_interval(mins => m.alternate_length_minutes) > p_within_from))) m) END,
        'period_is_theirs', CASE WHEN p_period IS NOT NULL THEN EXISTS (
            SELECT 1 FROM availability_periods a WHERE a.community_id = p_community AND a.expert_id = p_expert AND a.id = p_period) END)
$$;

-- The decided change of one expert's one-off periods: the period to add ("add"), and the one to
-- remove ("remove_id") or those lying within remove_from…remove_to. Answers how many it removed.
CREATE FUNCTION ml_period_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO availability_periods (community_id, id, expert_id, kind, start_at, end_at, location_ids)
        SELECT p ->> 'community_id', a.id, p ->> 'expert_id', a.kind, a.start_at, a.end_at, a.location_ids
        FROM jsonb_to_record(p -> 'add') AS a(id text, kind text, start_at timestamptz, end_at timestamptz, location_ids text[])
        WHERE p ? 'add'
        RETURNING 1),
    removed AS (
        DELETE FROM availability_periods a
        WHERE a.community_id = p ->> 'community_id' AND a.expert_id = p ->> 'expert_id'
          AND (a.id = p ->> 'remove_id'
            OR (a.start_at >= (p ->> 'remove_from')::timestamptz AND a.end_at <= (p ->> 'remove_to')::timestamptz))
        RETURNING 1)
    -- A data-modifying WITH runs whether or not the query reads it.
    SELECT jsonb_build_object('removed', (SELECT count(*) FROM removed))
$$;
