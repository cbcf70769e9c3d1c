-- Imports decided over the whole file (seed 002: "download, fill in, upload"): one read of
-- what the file names, a decision in Swift (module Catalog, ImportDecider), one statement
-- writing it. Imports, person.create and service.create take the community's directory lock
-- first, so each reads what the one before it wrote.

-- What an import of people, services, certifications or enrolments reads: the people with the
-- given e-mails and the owners of the named services, the services with the given names, and
-- the certifications of those services and the enrolments of those people (all lower-cased).
CREATE FUNCTION ml_import_context(p_community text, p_emails text[], p_names text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH named_services AS (
        SELECT * FROM services WHERE community_id = p_community AND lower(name) = ANY (p_names)
    ), named_people AS (
        SELECT id FROM people WHERE community_id = p_community AND lower(email) = ANY (p_emails)
        UNION SELECT expert_id FROM named_services WHERE expert_id IS NOT NULL
    )
    SELECT jsonb_build_object(
        'people', (SELECT coalesce(jsonb_agg(ml_person_json(p_community, n.id)), '[]') FROM named_people n),
        'services', (SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') FROM named_services s),
        'certifications', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('service_id', c.service_id, 'expert_id', c.expert_id)), '[]')
            FROM certifications c WHERE c.community_id = p_community AND c.service_id IN (SELECT id FROM named_services)),
        'enrollments', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('user_id', e.user_id, 'service_id', e.service_id, 'expert_id', e.expert_id)), '[]')
            FROM enrollments e WHERE e.community_id = p_community AND e.user_id IN (SELECT id FROM named_people)))
$$;

-- Applies an import's writes: new and changed people and the accounts their roles open, new
-- and changed services, new certifications and enrolments.
CREATE FUNCTION ml_import_apply(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
BEGIN
    INSERT INTO people (community_id, id, email, first_name, last_name, roles, time_zone)
    SELECT v_community, x.id, x.email, x.first_name, x.last_name, x.roles, x.time_zone
    FROM jsonb_populate_recordset(NULL::people, coalesce(p -> 'people_new', '[]')) x;
    UPDATE people SET first_name = x.first_name, last_name = x.last_name, roles = x.roles, time_zone = x.time_zone
    FROM jsonb_populate_recordset(NULL::people, coalesce(p -> 'people_changed', '[]')) x
    WHERE people.community_id = v_community AND people.id = x.id;
    INSERT INTO accounts (community_id, id, kind, owner_id)
    SELECT v_community, a.id, a.kind, a.owner_id FROM jsonb_to_recordset(coalesce(p -> 'accounts', '[]')) AS a(id text, kind text, owner_id text)
    ON CONFLICT DO NOTHING;
    INSERT INTO services (community_id, id, name, kind, expert_id, default_length_minutes, price_credits, skills, agenda_questions)
    SELECT v_community, x.id, x.name, x.kind, x.expert_id, x.default_length_minutes, x.price_credits, x.skills, x.agenda_questions
    FROM jsonb_populate_recordset(NULL::services, coalesce(p -> 'services_new', '[]')) x;
    UPDATE services SET kind = x.kind, expert_id = x.expert_id, default_length_minutes = x.default_length_minutes,
        price_credits = x.price_credits, skills = x.skills, agenda_questions = x.agenda_questions
    FROM jsonb_populate_recordset(NULL::services, coalesce(p -> 'services_changed', '[]')) x
    WHERE services.community_id = v_community AND services.id = x.id;
    INSERT INTO certifications (community_id, service_id, expert_id)
    SELECT v_community, c.service_id, c.expert_id FROM jsonb_to_recordset(coalesce(p -> 'certifications', '[]')) AS c(service_id text, expert_id text)
    ON CONFLICT DO NOTHING;
    INSERT INTO enrollments (community_id, user_id, service_id, expert_id)
    SELECT v_community, e.user_id, e.service_id, e.expert_id
    FROM jsonb_to_recordset(coalesce(p -> 'enrollments', '[]')) AS e(user_id text, service_id text, expert_id text)
    ON CONFLICT DO NOTHING;
END $$;
