-- The scheduler books a series' dates with its expert, whose agreed meetings as a user count as
-- their conflicts since 0127, and change under the expert's lock as a user: it took the experts'
-- calendar locks only, so a request the expert made as a user, agreed at once (auto-accept) while
-- the scheduler booked a date at that time, left the expert in two agreed meetings at once. The
-- scheduler's lock step now takes the series' experts' locks as users too, with the users' and
-- students' (one sorted loop, before the calendar locks, as every step takes them). The rest of
-- ml_lock_due_series is that of 0121.

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
    -- The series' experts among them: their meetings as a user count as their conflicts (0127).
    FOR v_subject IN
        SELECT DISTINCT c FROM (
            SELECT unnest(ARRAY[s.user_id, s.student_id, s.expert_id]) AS c FROM series s WHERE s.community_id = p_community AND s.id = ANY (v_ids)
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
