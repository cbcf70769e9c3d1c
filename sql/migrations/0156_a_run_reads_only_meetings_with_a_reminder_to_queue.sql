-- A run read at most 5,000 agreed meetings within the reminder lead, by start, whether their
-- reminders were queued or not: past 5,000 in one community's lead, later meetings were
-- reminded only as earlier ones started (a review booked 5,050 within a 720-hour lead: the first
-- run queued 5,000, the next ones none, and the last meetings' reminders came hours late).
-- The run now reads only meetings with a reminder due and not queued yet (the user's, their
-- student's, the expert's link), so its limit counts those. The rest of ml_jobs_context is as in
-- 0149.

CREATE OR REPLACE FUNCTION ml_jobs_context(p_community text, p_test_clock boolean, p_expire_limit integer, p_series_limit integer, p_upcoming_limit integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    -- The time and the users the lock step took (ml_lock_due_series); read afresh only when this
    -- is called without it.
    v_now timestamptz := coalesce(nullif(current_setting('ml.jobs_now', true), '')::timestamptz, ml_now(p_community, p_test_clock));
    v_users text[] := nullif(current_setting('ml.jobs_users', true), '')::text[];
    v_settings jsonb := (SELECT settings FROM communities WHERE community_id = p_community);
    v_user_lead interval := make_interval(mins => coalesce((v_settings ->> 'reminder_user_hours')::integer, 24) * 60);
    v_expert_lead interval := make_interval(mins => coalesce((v_settings ->> 'reminder_expert_minutes')::integer, 60));
    v_lead interval := greatest(v_user_lead, v_expert_lead);
    -- The series the lock step chose and locked in this transaction; chosen here only when this
    -- is called without it.
    v_chosen text := nullif(current_setting('ml.due_series', true), '');
    v_series text[] := coalesce(v_chosen::text[], ml_due_series(p_community, v_now, p_series_limit));
    v_budget bigint := coalesce(nullif(current_setting('ml.jobs_series_bytes', true), '')::bigint, 4194304);
    v_due jsonb;
    v_stale jsonb;
    v_upcoming jsonb;
    v_id text;
    v_context jsonb;
    v_contexts jsonb[] := '{}';
    v_bytes bigint := 0;
    v_left text[] := '{}';
BEGIN
    SELECT coalesce(jsonb_agg(ml_meeting_json(p_community, d.id) ORDER BY d.start_at, d.id), '[]') INTO v_due FROM (
        SELECT id, start_at FROM meetings
        WHERE community_id = p_community AND status = 'awaiting_approval' AND start_at <= v_now AND (v_users IS NULL OR user_id = ANY (v_users))
        ORDER BY start_at LIMIT p_expire_limit FOR NO KEY UPDATE SKIP LOCKED) d;
    -- Agreed meetings whose proposed new date can no longer be taken (its date, or the meeting's
    -- start, has passed unanswered): the alternate is closed.
    SELECT coalesce(jsonb_agg(ml_meeting_json(p_community, a.id) ORDER BY a.due, a.id), '[]') INTO v_stale FROM (
        SELECT id, least(alternate_start_at, start_at) AS due FROM meetings
        WHERE community_id = p_community AND status = 'agreed' AND alternate_start_at IS NOT NULL
          AND least(alternate_start_at, start_at) <= v_now AND (v_users IS NULL OR user_id = ANY (v_users))
        ORDER BY due LIMIT p_expire_limit FOR NO KEY UPDATE SKIP LOCKED) a;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', m.id, 'user_id', m.user_id, 'student_id', m.student_id, 'expert_id', m.expert_id, 'start', m.start_at, 'video_url', m.video_url,
               'queued', (SELECT coalesce(jsonb_agg(o.dedupe_key), '[]') FROM outbox o
                          WHERE o.community_id = m.community_id AND o.meeting_id = m.id AND o.dedupe_key IS NOT NULL))), '[]')
    INTO v_upcoming
    -- Only meetings with a reminder due and not queued yet (the user's, their student's, the
    -- expert's link; each key as JobsUseCases.queueReminders makes it, one index probe): the
    -- limit counts those, not meetings reminded already.
    FROM (SELECT * FROM meetings u
          WHERE community_id = p_community AND status = 'agreed' AND start_at > v_now AND start_at <= v_now + v_lead
            AND ((start_at <= v_now + v_user_lead
                  AND (NOT EXISTS (SELECT 1 FROM outbox o WHERE o.community_id = p_community
                                     AND o.dedupe_key = 'meeting_reminder:' || u.id || ':' || ml_rfc3339(u.start_at))
                       OR (u.student_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.community_id = p_community
                                     AND o.dedupe_key = 'meeting_reminder:' || u.id || ':' || ml_rfc3339(u.start_at) || ':student'))))
              OR (start_at <= v_now + v_expert_lead
                  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.community_id = p_community
                                    AND o.dedupe_key = 'meeting_link:' || u.id || ':' || ml_rfc3339(u.start_at))))
          ORDER BY start_at LIMIT p_upcoming_limit) m;
    FOR v_id IN
        SELECT x.id FROM unnest(v_series) WITH ORDINALITY AS x(id, n)
        WHERE EXISTS (SELECT 1 FROM series s WHERE s.community_id = p_community AND s.id = x.id AND s.status = 'active')
        ORDER BY x.n
    LOOP
        IF v_bytes > v_budget THEN
            v_left := v_left || v_id;
            CONTINUE;
        END IF;
        v_context := ml_series_context(p_community, p_test_clock, v_id, NULL, NULL, NULL, NULL, v_now);
        v_bytes := v_bytes + octet_length(v_context::text);
        IF v_bytes > v_budget AND cardinality(v_contexts) > 0 THEN
            v_left := v_left || v_id;
            CONTINUE;
        END IF;
        v_contexts := v_contexts || v_context;
    END LOOP;
    DELETE FROM series_turns WHERE community_id = p_community AND series_id = ANY (v_left);
    RETURN jsonb_build_object(
        'now', v_now, 'settings', v_settings, 'due', v_due || v_stale, 'upcoming', v_upcoming, 'series', to_jsonb(v_contexts));
END $$;
