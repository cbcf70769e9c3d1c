-- Retiring a service or a location takes turns with the bookings that read it: a step that books
-- at a location or for a service (a request, a proposal, a new series, a step on an existing
-- meeting) holds a shared advisory lock on each (class catalogEntry), and a retirement takes it
-- exclusively before it changes the row and lists what the retirement leaves waiting. A request
-- committed before the retirement's list is read is in it; one after sees the retirement and is
-- refused. Without them, two processes let a request slip past a retirement that listed no
-- request waiting (a black-box race audit: 13 of 40 rounds for a location, 14 of 40 for a
-- service). Shared locks conflict only with the retirement, never with each other.
CREATE FUNCTION ml_lock_shared(p_community text, p_subject text, p_class integer) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock_shared(hashtextextended(p_community || '/' || p_subject, p_class))
$$;

-- The shared locks of the service and location an existing meeting is for (none for a meeting
-- gone or without a location).
CREATE FUNCTION ml_lock_meeting_catalog(p_community text, p_meeting text, p_class integer) RETURNS void
LANGUAGE sql AS $$
    SELECT ml_lock_shared(p_community, x.id, p_class)
    FROM meetings m, LATERAL (VALUES (m.service_id), (m.location_id)) x(id)
    WHERE m.community_id = p_community AND m.id = p_meeting AND x.id IS NOT NULL
    ORDER BY x.id
$$;
