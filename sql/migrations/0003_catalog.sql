-- What can be booked and when: services, experts' certifications, users' enrolments, and
-- experts' availability (weekly rules in their own zone, one-off free and blocked periods).

CREATE TABLE services (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^svc_[0-9a-f]{32}$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('generic', 'expert_specific')),
    expert_id text,
    default_length_minutes integer NOT NULL CHECK (default_length_minutes BETWEEN 5 AND 1440),
    price_credits bigint NOT NULL CHECK (price_credits BETWEEN 0 AND 1000000000000),
    skills text[] NOT NULL DEFAULT '{}',
    agenda_questions text[] NOT NULL DEFAULT '{}',
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    CHECK ((kind = 'expert_specific') = (expert_id IS NOT NULL))
);
CREATE UNIQUE INDEX services_name ON services (community_id, lower(name));

CREATE TABLE certifications (
    community_id text NOT NULL,
    service_id text NOT NULL,
    expert_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, service_id, expert_id),
    FOREIGN KEY (community_id, service_id) REFERENCES services (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id)
);
CREATE INDEX certifications_expert ON certifications (community_id, expert_id);

-- A user assigned to a service or to an expert (exactly one of the two).
CREATE TABLE enrollments (
    community_id text NOT NULL,
    user_id text NOT NULL,
    service_id text,
    expert_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (community_id, user_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, service_id) REFERENCES services (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    CHECK ((service_id IS NULL) <> (expert_id IS NULL))
);
CREATE UNIQUE INDEX enrollments_service ON enrollments (community_id, user_id, service_id) WHERE service_id IS NOT NULL;
CREATE UNIQUE INDEX enrollments_expert ON enrollments (community_id, user_id, expert_id) WHERE expert_id IS NOT NULL;

-- An expert's weekly rules, replaced as a whole by availability.set_weekly.
CREATE TABLE weekly_schedules (
    community_id text NOT NULL,
    expert_id text NOT NULL,
    time_zone text NOT NULL,
    rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, expert_id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id)
);

CREATE TABLE availability_periods (
    community_id text NOT NULL,
    id text NOT NULL CHECK (id ~ '^avl_[0-9a-f]{32}$'),
    expert_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('free', 'blocked')),
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL CHECK (end_at > start_at),
    location_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    CHECK (kind = 'blocked' OR cardinality(location_ids) > 0)
);
CREATE INDEX availability_periods_expert ON availability_periods (community_id, expert_id, start_at);
