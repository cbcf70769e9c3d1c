-- jobs.run_due expires requests and closes alternates only of the users its lock step locked,
-- as of the time that step read. The context, a later statement, read the clock and the
-- meetings afresh: a request that fell due in between was expired without its user's lock, and
-- its release (the user's wallet, after the expert's earnings taken for an earlier meeting of
-- the batch) deadlocked with that user's own step, which held the wallet and waited for the
-- earnings (seen 7 times in 18 one-minute runs of four processes).

CREATE OR REPLACE FUNCTION ml_lock_due_series(
    p_community text, p_test_clock boolean, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer,
    p_expire_limit integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz;
    v_ids text[];
    v_subject text;
    v_users text[];
BEGIN
    PERFORM ml_lock(p_community, 'jobs', p_jobs_class);
    v_now := ml_now(p_community, p_test_clock);
    -- Chosen under the scheduler's lock: the run before this one has committed what it booked.
    v_ids := ml_due_series(p_community, v_now, p_limit);
    PERFORM set_config('ml.due_series', v_ids::text, true);
    -- The users whose requests it may expire and whose alternates it may close (as
    -- ml_jobs_context picks them, each set at most p_expire_limit). The context reads with this
    -- time and touches only these users' meetings: a request that fell due after this statement
    -- began (or whose clock moved since) waits for the next run, since its user is not locked.
    v_users := ARRAY(
        SELECT DISTINCT u FROM (
            (SELECT m.user_id FROM meetings m
             WHERE m.community_id = p_community AND m.status = 'awaiting_approval' AND m.start_at <= v_now
             ORDER BY m.start_at LIMIT p_expire_limit)
            UNION ALL
            (SELECT m.user_id FROM meetings m
             WHERE m.community_id = p_community AND m.status = 'agreed' AND m.alternate_start_at IS NOT NULL
               AND least(m.alternate_start_at, m.start_at) <= v_now
             ORDER BY least(m.alternate_start_at, m.start_at) LIMIT p_expire_limit)) x(u)
        WHERE u IS NOT NULL);
    PERFORM set_config('ml.jobs_now', v_now::text, true);
    PERFORM set_config('ml.jobs_users', v_users::text, true);
    FOR v_subject IN
        SELECT DISTINCT c FROM (
            SELECT unnest(ARRAY[s.user_id, s.student_id]) AS c FROM series s WHERE s.community_id = p_community AND s.id = ANY (v_ids)
            UNION ALL
            SELECT unnest(v_users)) x
        WHERE c IS NOT NULL ORDER BY c
    LOOP
        PERFORM ml_lock(p_community, v_subject, p_user_class);
    END LOOP;
    FOR v_subject IN SELECT DISTINCT expert_id FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY expert_id LOOP
        PERFORM ml_lock(p_community, v_subject, p_expert_class);
    END LOOP;
    PERFORM 1 FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id IN (
        SELECT user_id FROM series WHERE community_id = p_community AND id = ANY (v_ids)) ORDER BY id FOR NO KEY UPDATE;
    -- Their turn taken (the server's own time: only the order of turns matters).
    INSERT INTO series_turns (community_id, series_id, taken_at)
    SELECT p_community, x.id, clock_timestamp() FROM unnest(v_ids) AS x(id)
    ON CONFLICT (community_id, series_id) DO UPDATE SET taken_at = excluded.taken_at;
END $$;

CREATE OR REPLACE FUNCTION ml_jobs_context(p_community text, p_test_clock boolean, p_expire_limit integer, p_series_limit integer, p_upcoming_limit integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    -- The time and the users the lock step took (ml_lock_due_series); read afresh only when this
    -- is called without it.
    v_now timestamptz := coalesce(nullif(current_setting('ml.jobs_now', true), '')::timestamptz, ml_now(p_community, p_test_clock));
    v_users text[] := nullif(current_setting('ml.jobs_users', true), '')::text[];
    v_settings jsonb := (SELECT settings FROM communities WHERE community_id = p_community);
    v_lead interval := make_interval(mins => greatest(
        coalesce((v_settings ->> 'reminder_user_hours')::integer, 24) * 60, coalesce((v_settings ->> 'reminder_expert_minutes')::integer, 60)));
    -- The series the lock step chose and locked in this transaction; chosen here only when this
    -- is called without it.
    v_chosen text := nullif(current_setting('ml.due_series', true), '');
    v_series text[] := coalesce(v_chosen::text[], ml_due_series(p_community, v_now, p_series_limit));
    v_budget bigint := coalesce(nullif(current_setting('ml.jobs_series_bytes', true), '')::bigint, 33554432);
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
    FROM (SELECT * FROM meetings
          WHERE community_id = p_community AND status = 'agreed' AND start_at > v_now AND start_at <= v_now + v_lead
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
