-- jobs.run_due expires the requests whose start has passed (and closes alternates no longer to
-- be taken), returning their holds: each return locks the user's wallet and the expert's
-- earnings. It took no lock of those users first, so a confirm of one of them (which holds the
-- user's counted-bookings lock, then the wallet row, then asks for an earnings row) and the run
-- (holding one pair of accounts, asking for the next) could wait on each other in a circle:
-- PostgreSQL broke each such deadlock after deadlock_timeout.
--
-- The run now takes the counted-bookings lock of every user it may expire a request or close an
-- alternate for, in the same id-ordered pass as the series' users and students (0090), before
-- any row: a confirm of such a user waits before it holds anything the run needs, and one of
-- another user holds nothing the run waits for that it does not release. The function takes
-- the expiry limit; the form without it (for a meetingd of the previous version during an
-- upgrade) calls it with the limit that version reads.

CREATE FUNCTION ml_lock_due_series(
    p_community text, p_test_clock boolean, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer,
    p_expire_limit integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz;
    v_ids text[];
    v_subject text;
BEGIN
    PERFORM ml_lock(p_community, 'jobs', p_jobs_class);
    v_now := ml_now(p_community, p_test_clock);
    -- Chosen under the scheduler's lock: the run before this one has committed what it booked.
    v_ids := ml_due_series(p_community, v_now, p_limit);
    PERFORM set_config('ml.due_series', v_ids::text, true);
    FOR v_subject IN
        SELECT DISTINCT c FROM (
            SELECT unnest(ARRAY[s.user_id, s.student_id]) AS c FROM series s WHERE s.community_id = p_community AND s.id = ANY (v_ids)
            UNION ALL
            -- The users whose requests it may expire and whose alternates it may close (as
            -- ml_jobs_context picks them, each set at most p_expire_limit).
            (SELECT m.user_id FROM meetings m
             WHERE m.community_id = p_community AND m.status = 'awaiting_approval' AND m.start_at <= v_now
             ORDER BY m.start_at LIMIT p_expire_limit)
            UNION ALL
            (SELECT m.user_id FROM meetings m
             WHERE m.community_id = p_community AND m.status = 'agreed' AND m.alternate_start_at IS NOT NULL
               AND least(m.alternate_start_at, m.start_at) <= v_now
             ORDER BY least(m.alternate_start_at, m.start_at) LIMIT p_expire_limit)) x
        WHERE c IS NOT NULL ORDER BY c
    LOOP
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

CREATE OR REPLACE FUNCTION ml_lock_due_series(
    p_community text, p_test_clock boolean, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer)
RETURNS void LANGUAGE sql AS $$
    SELECT ml_lock_due_series(p_community, p_test_clock, p_limit, p_jobs_class, p_user_class, p_expert_class, 500)
$$;
