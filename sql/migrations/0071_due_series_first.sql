-- jobs.run_due looks at the series that have something due, soonest first, not at the first
-- series by id: a series whose weeks had all passed still reads 'active' in its row (finished is
-- worked out when it is read), so once a community had made 200 series, those 200 took every
-- run for ever and no newer series was booked ahead again.
--
-- Due: the date of the series' next week still to book (an open-ended series always has one),
-- or a date the scheduler could not book that is still ahead in the series' time zone (it is
-- tried again). The run takes the soonest p_limit of them; the lock step chooses them and the
-- context reads exactly those (the ids are handed over in the transaction's own setting
-- ml.due_series), so a series made between the two statements is never read unlocked.

CREATE FUNCTION ml_due_series(p_community text, p_now timestamptz, p_limit integer)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.id ORDER BY d.due, d.id), '{}') FROM (
        SELECT x.id, x.due FROM (
            SELECT s.id, least(
                       CASE WHEN s.weeks IS NULL OR s.next_index < s.weeks THEN s.first_date + 7 * s.next_index END,
                       (SELECT min(k.skip_date) FROM series_skips k
                        WHERE k.community_id = s.community_id AND k.series_id = s.id AND k.actor_id IS NULL AND k.reason LIKE 'not booked%'
                          AND k.skip_date >= (p_now AT TIME ZONE s.time_zone)::date)) AS due
            FROM series s
            WHERE s.community_id = p_community AND s.status = 'active') x
        WHERE x.due IS NOT NULL
        ORDER BY x.due, x.id
        LIMIT p_limit) d
$$;

DROP FUNCTION ml_lock_due_series(text, integer, integer, integer, integer);

CREATE FUNCTION ml_lock_due_series(
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
    FOR v_subject IN SELECT DISTINCT user_id FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY user_id LOOP
        PERFORM ml_lock(p_community, v_subject, p_user_class);
    END LOOP;
    FOR v_subject IN SELECT DISTINCT expert_id FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY expert_id LOOP
        PERFORM ml_lock(p_community, v_subject, p_expert_class);
    END LOOP;
    PERFORM 1 FROM series WHERE community_id = p_community AND id = ANY (v_ids) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM accounts WHERE community_id = p_community AND kind = 'user_wallet' AND owner_id IN (
        SELECT user_id FROM series WHERE community_id = p_community AND id = ANY (v_ids)) ORDER BY id FOR UPDATE;
END $$;

CREATE OR REPLACE FUNCTION ml_jobs_context(p_community text, p_test_clock boolean, p_expire_limit integer, p_series_limit integer, p_upcoming_limit integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_settings jsonb := (SELECT settings FROM communities WHERE community_id = p_community);
    v_lead interval := make_interval(mins => greatest(
        coalesce((v_settings ->> 'reminder_user_hours')::integer, 24) * 60, coalesce((v_settings ->> 'reminder_expert_minutes')::integer, 60)));
    -- The series the lock step chose and locked in this transaction; chosen here only when this
    -- is called without it.
    v_chosen text := nullif(current_setting('ml.due_series', true), '');
    v_series text[] := coalesce(v_chosen::text[], ml_due_series(p_community, v_now, p_series_limit));
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
            SELECT coalesce(jsonb_agg(ml_series_context(p_community, p_test_clock, x.id, NULL, NULL, NULL, NULL, v_now) ORDER BY x.n), '[]')
            FROM unnest(v_series) WITH ORDINALITY AS x(id, n)
            WHERE EXISTS (SELECT 1 FROM series s WHERE s.community_id = p_community AND s.id = x.id AND s.status = 'active')));
END $$;
