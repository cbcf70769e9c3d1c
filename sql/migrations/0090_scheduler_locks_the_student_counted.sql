-- The scheduler's run takes the counted-bookings lock of each due series' student as well as of
-- its user (0089 made every other step that books for a student take it): a date it books for
-- a student and a customer's request for the same student at the same moment each read the
-- student's week before the other wrote. The locks keep the order of 0089: users and students
-- in id order, then the experts. The rest of the function is that of 0075.

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
    FOR v_subject IN
        SELECT DISTINCT c FROM series s, unnest(ARRAY[s.user_id, s.student_id]) AS c
        WHERE s.community_id = p_community AND s.id = ANY (v_ids) AND c IS NOT NULL ORDER BY c
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
