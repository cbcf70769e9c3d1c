-- location.create and location.update become commands, as the other catalog writes did (0136,
-- 0137): the lock that serializes them (the directory's for a new name, as a service's; the
-- location's for a change, as the bookings that read it take), one read with the actor's row,
-- the rules decided in Swift, one write.

-- What a new or changed location is decided on: the location as it is (for a change), another
-- location that has the name already (whatever its case, as the unique index compares them),
-- and, for a change, what the location leaves open.
CREATE FUNCTION ml_location_context(
    p_community text, p_test_clock boolean, p_location text, p_name text, p_listed integer
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'location', (SELECT to_jsonb(l) FROM locations l WHERE l.community_id = p_community AND l.id = p_location),
        'name_taken', CASE WHEN p_name IS NOT NULL THEN (
            SELECT jsonb_build_object('id', l.id, 'name', l.name) FROM locations l
            WHERE l.community_id = p_community AND lower(l.name) = lower(p_name) AND l.id IS DISTINCT FROM p_location
            ORDER BY l.id LIMIT 1) END,
        'open_work', CASE WHEN p_location IS NOT NULL THEN
            ml_open_work(p_community, ml_now(p_community, p_test_clock), NULL, p_location, NULL, p_listed) END)
$$;

-- The location as decided: a new one ("insert": true), or the name and whether it is offered of
-- one that exists.
CREATE FUNCTION ml_location_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH inserted AS (
        INSERT INTO locations (community_id, id, name, kind)
        SELECT p ->> 'community_id', p -> 'location' ->> 'id', p -> 'location' ->> 'name', p -> 'location' ->> 'kind'
        WHERE (p ->> 'insert')::boolean
        RETURNING 1
    ), updated AS (
        UPDATE locations SET name = p -> 'location' ->> 'name', active = (p -> 'location' ->> 'active')::boolean
        WHERE NOT (p ->> 'insert')::boolean AND community_id = p ->> 'community_id' AND id = p -> 'location' ->> 'id'
        RETURNING 1)
    SELECT jsonb_build_object('written', (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated))
$$;
