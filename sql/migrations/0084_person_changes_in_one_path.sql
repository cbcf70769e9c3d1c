-- person.create and person.update in the shape of every other command: their locks in one
-- statement, one read of what the decision needs (with the actor's), and one write.
--
-- The locks of a step on a person, in this order: the caller's idempotency key, the community's
-- directory (e-mails, and the admins that remain), then the person's counted bookings and
-- calendar (and wallet), which every booking for them holds while it reads their roles. A new
-- person (p_person NULL) takes the first two.
CREATE FUNCTION ml_lock_person(
    p_community text, p_key_subject text, p_person text, p_key_class integer, p_directory_class integer, p_user_class integer,
    p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_key_subject IS NOT NULL THEN PERFORM ml_lock(p_community, p_key_subject, p_key_class); END IF;
    PERFORM ml_lock(p_community, 'directory', p_directory_class);
    IF p_person IS NOT NULL THEN
        PERFORM ml_lock_parties(p_community, NULL, p_person, p_person, p_key_class, p_user_class, p_expert_class);
    END IF;
END $$;

-- A person and what they are still part of at the service's time: meetings awaiting an answer
-- or agreed on each side (a student's on the user's), weekly series neither cancelled nor
-- finished (as series.list reads them), and the community's other admins.
CREATE FUNCTION ml_person_context(p_community text, p_test_clock boolean, p_person text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
BEGIN
    RETURN jsonb_build_object(
        'now', v_now,
        'person', ml_person_json(p_community, p_person),
        'open_as_expert', (SELECT count(*) FROM meetings m WHERE m.community_id = p_community AND m.expert_id = p_person
                           AND m.status IN ('awaiting_approval', 'agreed')),
        'open_as_user', (SELECT count(*) FROM meetings m WHERE m.community_id = p_community AND (m.user_id = p_person OR m.student_id = p_person)
                         AND m.status IN ('awaiting_approval', 'agreed')),
        'series_as_expert', (SELECT count(*) FROM series s WHERE s.community_id = p_community AND s.expert_id = p_person
                             AND s.status = 'active' AND NOT coalesce(ml_series_ends_at(s) <= v_now, false)),
        'series_as_user', (SELECT count(*) FROM series s WHERE s.community_id = p_community AND (s.user_id = p_person OR s.student_id = p_person)
                           AND s.status = 'active' AND NOT coalesce(ml_series_ends_at(s) <= v_now, false)),
        'other_admins', (SELECT count(*) FROM people a WHERE a.community_id = p_community AND a.id IS DISTINCT FROM p_person
                         AND 'admin' = ANY (a.roles)));
END $$;

-- Writes a person as decided (`new`: insert, else update) and opens the accounts listed in
-- `open` (kinds with their new ids: a wallet for a new user role, earnings for a new expert
-- role); the person as stored. An e-mail another person has fails on people_email (23505).
CREATE FUNCTION ml_person_apply(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v_person text := p ->> 'id';
    v_roles text[] := ARRAY(SELECT jsonb_array_elements_text(p -> 'roles'));
BEGIN
    IF (p ->> 'new')::boolean THEN
        INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone)
        VALUES (v_community, v_person, p ->> 'email', p ->> 'first_name', p ->> 'last_name', v_roles, p ->> 'time_zone');
    ELSE
        UPDATE people SET email = p ->> 'email', first_name = p ->> 'first_name', last_name = p ->> 'last_name', roles = v_roles,
                          time_zone = p ->> 'time_zone'
        WHERE community_id = v_community AND id = v_person;
        IF NOT FOUND THEN RAISE EXCEPTION 'no person % in community %', v_person, v_community USING ERRCODE = 'P0002'; END IF;
    END IF;
    INSERT INTO accounts (community_id, id, kind, owner_id, created_at)
    SELECT v_community, a ->> 'id', a ->> 'kind', v_person, (p ->> 'now')::timestamptz FROM jsonb_array_elements(coalesce(p -> 'open', '[]')) a
    ON CONFLICT DO NOTHING;
    RETURN ml_person_json(v_community, v_person);
END $$;
