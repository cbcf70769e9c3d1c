-- A review of migrations 0160 to 0162 found:
--   - ml_open_work (0162) named, among the agreed meetings whose new date a retired service (or
--     a removed certification) leaves unanswerable, meetings that had already started: their new
--     date can then be neither withdrawn nor rejected (4012) and is closed by the next run of the
--     jobs (at the earlier of its time and the meeting's start), where the answer says its
--     proposer can withdraw it. It names only meetings not started now, as it names waiting
--     requests.
--   - The rule that a completed meeting was logged once it had started and, when paid, captured
--     its price (0161) ran on every later update of a completed meeting, holding one completed
--     before the rule existed to it. A completed meeting's times, price and credits are kept
--     (0148), so it is checked as a meeting becomes completed (or is made completed), once.
--   - 0160's header says a movement naming "no one at all" as its actor is refused: it meant an
--     id that is nobody's. A movement the service makes on its own (a job's release) names no
--     actor, as before, and is accepted.

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
        WHERE m.community_id = p_community AND m.status = 'agreed' AND m.alternate_start_at > p_now AND m.start_at > p_now
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

-- (A database that applied the edited texts of 0160 to 0162, listed in earlier_versions.txt, has
-- these triggers already: they are made again.)
DROP TRIGGER IF EXISTS meetings_completed_paid_its_price ON meetings;
DROP TRIGGER IF EXISTS meetings_made_completed_paid_its_price ON meetings;
CREATE CONSTRAINT TRIGGER meetings_completed_paid_its_price AFTER UPDATE ON meetings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'completed' AND OLD.status <> 'completed') EXECUTE FUNCTION ml_completed_meeting_was_paid_its_price();
CREATE CONSTRAINT TRIGGER meetings_made_completed_paid_its_price AFTER INSERT ON meetings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'completed') EXECUTE FUNCTION ml_completed_meeting_was_paid_its_price();
