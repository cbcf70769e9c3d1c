-- community.update_settings, person.set_profile and student.link become commands, as the
-- catalog's writes did (0136–0138): the lock that serializes them (the community's row, the
-- person's row; a link needs none beyond the key's), one read with the actor's row, the rules
-- decided in Swift, one write. With an idempotency key each sent seven or eight statements.

-- The community's name and settings as stored, for a change to them.
CREATE FUNCTION ml_community_context(p_community text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('name', c.name, 'settings', c.settings) FROM communities c WHERE c.community_id = p_community
$$;

-- The settings as decided, the whole document.
CREATE FUNCTION ml_community_settings_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH updated AS (
        UPDATE communities SET settings = p -> 'settings' WHERE community_id = p ->> 'community_id' RETURNING 1)
    SELECT jsonb_build_object('written', (SELECT count(*) FROM updated))
$$;

-- A person and the profile they have written (null: none yet), for a change to it.
CREATE FUNCTION ml_profile_context(p_community text, p_person text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'person', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_person),
        'profile', (SELECT to_jsonb(x) FROM expert_profiles x WHERE x.community_id = p_community AND x.expert_id = p_person))
$$;

-- The profile as decided, written whole (new or replacing the one written before).
CREATE FUNCTION ml_profile_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH written AS (
        INSERT INTO expert_profiles (community_id, expert_id, display_name, bio, photo_url, languages, updated_at)
        SELECT p ->> 'community_id', p -> 'profile' ->> 'person_id', p -> 'profile' ->> 'display_name', p -> 'profile' ->> 'bio',
               p -> 'profile' ->> 'photo_url', ARRAY(SELECT jsonb_array_elements_text(p -> 'profile' -> 'languages')), (p ->> 'now')::timestamptz
        ON CONFLICT (community_id, expert_id) DO UPDATE
        SET display_name = EXCLUDED.display_name, bio = EXCLUDED.bio, photo_url = EXCLUDED.photo_url, languages = EXCLUDED.languages,
            updated_at = EXCLUDED.updated_at
        RETURNING 1)
    SELECT jsonb_build_object('written', (SELECT count(*) FROM written))
$$;

-- The two people a link would join (null: no such person).
CREATE FUNCTION ml_student_link_context(p_community text, p_customer text, p_student text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'customer', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_customer),
        'student', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_student))
$$;

-- The link as decided; one made already stays as it was (its time and maker).
CREATE FUNCTION ml_student_link_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH created AS (
        INSERT INTO student_links (community_id, customer_id, student_id, created_by, created_at)
        VALUES (p ->> 'community_id', p ->> 'customer_id', p ->> 'student_id', p ->> 'created_by', (p ->> 'now')::timestamptz)
        ON CONFLICT DO NOTHING
        RETURNING 1)
    SELECT jsonb_build_object('created', (SELECT count(*) FROM created))
$$;
