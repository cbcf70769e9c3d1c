-- As in 0074, with a service's active state written too: the optional active column of a file
-- of services retires a service or offers it again, as service.set_active does.
CREATE OR REPLACE FUNCTION ml_import_apply(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v_now timestamptz := coalesce((p ->> 'now')::timestamptz, now());
BEGIN
    INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone)
    SELECT v_community, x.id, x.email, x.first_name, x.last_name, x.roles, x.time_zone
    FROM jsonb_populate_recordset(NULL::people, coalesce(p -> 'people_new', '[]')) x;
    UPDATE people SET first_name = x.first_name, last_name = x.last_name, roles = x.roles, time_zone = x.time_zone
    FROM jsonb_populate_recordset(NULL::people, coalesce(p -> 'people_changed', '[]')) x
    WHERE people.community_id = v_community AND people.id = x.id;
    INSERT INTO accounts (community_id, id, kind, owner_id, created_at)
    SELECT v_community, a.id, a.kind, a.owner_id, v_now FROM jsonb_to_recordset(coalesce(p -> 'accounts', '[]')) AS a(id text, kind text, owner_id text)
    ON CONFLICT DO NOTHING;
    INSERT INTO services (community_id, id, name, kind, expert_id, default_length_minutes, price_credits, skills, agenda_questions, active)
    SELECT v_community, x.id, x.name, x.kind, x.expert_id, x.default_length_minutes, x.price_credits, x.skills, x.agenda_questions, x.active
    FROM jsonb_populate_recordset(NULL::services, coalesce(p -> 'services_new', '[]')) x;
    UPDATE services SET kind = x.kind, expert_id = x.expert_id, default_length_minutes = x.default_length_minutes,
        price_credits = x.price_credits, skills = x.skills, agenda_questions = x.agenda_questions, active = x.active
    FROM jsonb_populate_recordset(NULL::services, coalesce(p -> 'services_changed', '[]')) x
    WHERE services.community_id = v_community AND services.id = x.id;
    INSERT INTO certifications (community_id, service_id, expert_id)
    SELECT v_community, c.service_id, c.expert_id FROM jsonb_to_recordset(coalesce(p -> 'certifications', '[]')) AS c(service_id text, expert_id text)
    ON CONFLICT DO NOTHING;
    INSERT INTO enrollments (community_id, user_id, service_id, expert_id, created_at)
    SELECT v_community, e.user_id, e.service_id, e.expert_id, v_now
    FROM jsonb_to_recordset(coalesce(p -> 'enrollments', '[]')) AS e(user_id text, service_id text, expert_id text)
    ON CONFLICT DO NOTHING;
END $$;
