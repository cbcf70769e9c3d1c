-- Experts' public profiles (seed 000/001: students "view provider profiles" and "see their
-- bio" before picking one): what users of the community may read about an expert, set by the
-- expert or an admin. E-mails, roles and the rest of `people` stay private. An expert without
-- a row shows their first and last name and nothing else. The rules on each field are Swift's
-- (module People, ProfileRules); these checks only keep the table sane if a bug slips through.
CREATE TABLE expert_profiles (
    community_id text NOT NULL,
    expert_id text NOT NULL,
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    bio text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 2000),
    photo_url text CHECK (photo_url LIKE 'https://%' AND char_length(photo_url) <= 500),
    languages text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, expert_id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id)
);

-- The name a person shows others: an expert's profile name, otherwise first and last name.
CREATE FUNCTION ml_display_name(p_community text, p_person text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(x.display_name, p.first_name || ' ' || p.last_name)
    FROM people p LEFT JOIN expert_profiles x ON x.community_id = p.community_id AND x.expert_id = p.id
    WHERE p.community_id = p_community AND p.id = p_person
$$;

-- Listing a service's or an expert's enrolments (enrollment.list) reads these instead of the
-- whole community's.
CREATE INDEX enrollments_by_service ON enrollments (community_id, service_id, user_id) WHERE service_id IS NOT NULL;
CREATE INDEX enrollments_by_expert ON enrollments (community_id, expert_id, user_id) WHERE expert_id IS NOT NULL;
