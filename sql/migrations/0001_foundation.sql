-- Communities (tenants), people, locations, idempotency records and the per-community test clock.
-- Every table carries community_id and every key starts with it, so a community's rows can
-- live together on one shard.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE communities (
    community_id text PRIMARY KEY CHECK (community_id ~ '^com_[0-9a-f]{32}$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    settings jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^per_[0-9a-f]{32}$'),
    email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 200 AND email LIKE '%_@_%'),
    first_name text NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 200),
    last_name text NOT NULL CHECK (char_length(last_name) BETWEEN 1 AND 200),
    roles text[] NOT NULL CHECK (
        cardinality(roles) > 0
        AND roles <@ ARRAY['user', 'expert', 'admin', 'finance', 'office']::text[]),
    time_zone text NOT NULL,
    suspended_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, id)
);
-- The actor of a call is named by id alone; ids are globally unique.
CREATE UNIQUE INDEX people_id ON people (id);
CREATE UNIQUE INDEX people_email ON people (community_id, lower(email));

CREATE TABLE locations (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^loc_[0-9a-f]{32}$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('in_person', 'virtual')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, id)
);
CREATE UNIQUE INDEX locations_name ON locations (community_id, lower(name));

-- A mutating call's key is stored in the same transaction as its effect, with a hash of its
-- method and params and the response it produced.
CREATE TABLE idempotency_keys (
    community_id text NOT NULL REFERENCES communities (community_id),
    actor_id text NOT NULL,
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 200),
    method text NOT NULL,
    request_hash text NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, actor_id, key),
    FOREIGN KEY (community_id, actor_id) REFERENCES people (community_id, id)
);

-- Only consulted by processes started with --test-clock.
CREATE TABLE test_clocks (
    community_id text PRIMARY KEY REFERENCES communities (community_id),
    now timestamptz NOT NULL
);
