-- Two jobs.run_due calls of one community take turns: each takes the community's scheduler lock
-- before the series' parties, so a reminder or link queued by one is read by the next, and each
-- answer counts only what it queued (the outbox's dedupe key already kept the rows single).
DROP FUNCTION ml_lock_due_series(text, integer, integer, integer);

CREATE FUNCTION ml_lock_due_series(p_community text, p_limit integer, p_jobs_class integer, p_user_class integer, p_expert_class integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_subject text;
BEGIN
    PERFORM ml_lock(p_community, 'jobs', p_jobs_class);
    FOR v_subject IN SELECT DISTINCT user_id FROM (
        SELECT user_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) x ORDER BY user_id
    LOOP
        PERFORM ml_lock(p_community, v_subject, p_user_class);
    END LOOP;
    FOR v_subject IN SELECT DISTINCT expert_id FROM (
        SELECT expert_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) x ORDER BY expert_id
    LOOP
        PERFORM ml_lock(p_community, v_subject, p_expert_class);
    END LOOP;
    PERFORM 1 FROM series WHERE community_id = p_community AND status = 'active' AND id IN (
        SELECT id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id IN (
        SELECT user_id FROM series WHERE community_id = p_community AND status = 'active' ORDER BY id LIMIT p_limit) ORDER BY id FOR UPDATE;
END $$;
