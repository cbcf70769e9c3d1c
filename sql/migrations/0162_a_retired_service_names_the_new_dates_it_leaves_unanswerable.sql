-- A service retired, or an expert's certification in it removed, leaves an agreed meeting's new
-- date proposed (an alternate) that can no longer be accepted: the meeting stays at its time and
-- the proposal waits until its time closes it. The answer named the waiting requests and the
-- series, not these; it names them now (`alternates`, the soonest `p_listed`, and how many in
-- all). A retired location leaves alternates as they were (an agreed meeting may still move to
-- another time there), so for a location there are none to name.
CREATE OR REPLACE FUNCTION ml_open_work(
    p_community text, p_now timestamptz, p_service text, p_location text, p_expert text, p_listed integer
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH waiting AS (
        SELECT m.id, m.start_at FROM meetings m
        WHERE m.community_id = p_community AND m.status = 'awaiting_approval' AND m.start_at > p_now
          AND (m.service_id = p_service OR m.location_id = p_location) AND (p_expert IS NULL OR m.expert_id = p_expert)
    ), going_on AS (
        SELECT s.id FROM series s
        WHERE s.community_id = p_community AND s.status = 'active' AND (s.service_id = p_service OR s.location_id = p_location)
          AND (p_expert IS NULL OR s.expert_id = p_expert)
    ), moving AS (
        SELECT m.id, m.alternate_start_at AS start_at FROM meetings m
        WHERE m.community_id = p_community AND m.status = 'agreed' AND m.alternate_start_at > p_now
          AND m.service_id = p_service AND (p_expert IS NULL OR m.expert_id = p_expert)
    )
    SELECT jsonb_build_object(
        'waiting', (SELECT coalesce(jsonb_agg(w.id ORDER BY w.start_at, w.id), '[]') FROM (
                        SELECT id, start_at FROM waiting ORDER BY start_at, id LIMIT p_listed) w),
        'waiting_count', (SELECT count(*) FROM waiting),
        'series', (SELECT coalesce(jsonb_agg(g.id ORDER BY g.id), '[]') FROM (SELECT id FROM going_on ORDER BY id LIMIT p_listed) g),
        'series_count', (SELECT count(*) FROM going_on),
        'alternates', (SELECT coalesce(jsonb_agg(a.id ORDER BY a.start_at, a.id), '[]') FROM (
                           SELECT id, start_at FROM moving ORDER BY start_at, id LIMIT p_listed) a),
        'alternates_count', (SELECT count(*) FROM moving))
$$;
