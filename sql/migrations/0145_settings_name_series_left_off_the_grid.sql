-- community.update_settings reads, beside the community's name and settings, the weekly times
-- of its active series that have dates to come, where the change may move the grid (time_zone
-- or slot_minutes given): a series whose time a new grid leaves off it books no date again, and
-- the answer names it, so the admin learns what the change stops before the users do. At most
-- p_limit series are read (the answer says whether every one was). ml_community_context stays
-- for a meetingd of the release before.
CREATE FUNCTION ml_community_settings_context(p_community text, p_test_clock boolean, p_series boolean, p_limit integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'name', c.name, 'settings', c.settings,
        'series', CASE WHEN p_series THEN (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', s.id, 'time_zone', s.time_zone, 'first_date', s.first_date, 'local_minutes', s.local_minutes) ORDER BY s.id), '[]')
            FROM (SELECT s.* FROM series s
                  WHERE s.community_id = p_community AND s.status = 'active'
                    AND coalesce(ml_series_ends_at(s) > ml_now(p_community, p_test_clock), true)
                  ORDER BY s.id LIMIT p_limit) s)
            ELSE '[]'::jsonb END)
    FROM communities c WHERE c.community_id = p_community
$$;
