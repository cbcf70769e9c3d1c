-- One rule for names (Swift: NameRule in Sources/Core/NameRule.swift): a name is stored without
-- the Unicode white space around it and in NFC, and two service names are one service when
-- their keys are equal. Names stored before the rule are not rewritten, so a name is matched
-- by the key of the stored text: "CHEM101 " and "Cafe" + U+0301 still find "chem101" and "café".

-- NameRule.key's twin: the 25 White_Space characters of Unicode trimmed, NFC, lower-cased.
CREATE FUNCTION ml_name_key(p_name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(normalize(btrim(p_name,
        U&'\0009\000A\000B\000C\000D\0020\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'), NFC))
$$;

-- Not unique: rows stored before the rule may share a key; service.create and the imports refuse
-- a new one under the community's directory lock.
CREATE INDEX services_name_key ON services (community_id, ml_name_key(name));

-- As in 0032, with services matched by their names' keys (p_names: NameRule.key of each name).
CREATE OR REPLACE FUNCTION ml_import_context(p_community text, p_emails text[], p_names text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH named_services AS (
        SELECT * FROM services WHERE community_id = p_community AND ml_name_key(name) = ANY (p_names)
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
