-- jobs.run_due closes an agreed meeting's proposed new date once the meeting starts, too.
--
-- Every answer to a new date is refused once the meeting has started, yet the alternate stayed
-- open until its own date passed (days or weeks later): the meeting kept saying it waited for an
-- answer no one could give. The stale alternates the jobs read are now those whose date or whose
-- meeting's start has passed. The rest of the function is that of 0057.

CREATE OR REPLACE FUNCTION ml_jobs_context(p_community text, p_test_clock boolean, p_expire_limit integer, p_series_limit integer, p_upcoming_limit integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_settings jsonb := (SELECT settings FROM communities WHERE community_id = p_community);
    v_lead interval := make_interval(mins => greatest(
        coalesce((v_settings ->> 'reminder_user_hours')::integer, 24) * 60, coalesce((v_settings ->> 'reminder_expert_minutes')::integer, 60)));
    v_due jsonb;
    v_stale jsonb;
    v_upcoming jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(ml_meeting_json(p_community, d.id) ORDER BY d.start_at, d.id), '[]') INTO v_due FROM (
        SELECT id, start_at FROM meetings
        WHERE community_id = p_community AND status = 'awaiting_approval' AND start_at <= v_now
        ORDER BY start_at LIMIT p_expire_limit FOR UPDATE SKIP LOCKED) d;
    -- Agreed meetings whose proposed new date can no longer be taken (its date, or the meeting's
    -- start, has passed unanswered): the alternate is closed.
    SELECT coalesce(jsonb_agg(ml_meeting_json(p_community, a.id) ORDER BY a.due, a.id), '[]') INTO v_stale FROM (
        SELECT id, least(alternate_start_at, start_at) AS due FROM meetings
        WHERE community_id = p_community AND status = 'agreed' AND alternate_start_at IS NOT NULL
          AND least(alternate_start_at, start_at) <= v_now
        ORDER BY due LIMIT p_expire_limit FOR UPDATE SKIP LOCKED) a;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', m.id, 'user_id', m.user_id, 'expert_id', m.expert_id, 'start', m.start_at, 'video_url', m.video_url,
               'queued', (SELECT coalesce(jsonb_agg(o.dedupe_key), '[]') FROM outbox o
                          WHERE o.community_id = m.community_id AND o.meeting_id = m.id AND o.dedupe_key IS NOT NULL))), '[]')
    INTO v_upcoming
    FROM (SELECT * FROM meetings
          WHERE community_id = p_community AND status = 'agreed' AND start_at > v_now AND start_at <= v_now + v_lead
          ORDER BY start_at LIMIT p_upcoming_limit) m;
    RETURN jsonb_build_object(
        'now', v_now, 'settings', v_settings, 'due', v_due || v_stale, 'upcoming', v_upcoming,
        'series', (
            SELECT coalesce(jsonb_agg(ml_series_context(p_community, p_test_clock, s.id, NULL, NULL, NULL, NULL, v_now) ORDER BY s.id), '[]')
            FROM (SELECT id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_series_limit) s));
END $$;
