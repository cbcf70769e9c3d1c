-- Weekly series of meetings, their skip dates, and chat messages between a meeting's parties.

CREATE TABLE series (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^ser_[0-9a-f]{32}$'),
    user_id text NOT NULL,
    expert_id text NOT NULL,
    service_id text NOT NULL,
    location_id text NOT NULL,
    time_zone text NOT NULL,
    first_date date NOT NULL,
    local_minutes integer NOT NULL CHECK (local_minutes BETWEEN 0 AND 1439),
    length_minutes integer NOT NULL CHECK (length_minutes BETWEEN 5 AND 1440),
    weeks integer CHECK (weeks BETWEEN 1 AND 520),
    next_index integer NOT NULL DEFAULT 0 CHECK (next_index >= 0),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_at timestamptz NOT NULL,
    cancelled_at timestamptz,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, user_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, service_id) REFERENCES services (community_id, id),
    FOREIGN KEY (community_id, location_id) REFERENCES locations (community_id, id)
);
CREATE INDEX series_active ON series (community_id, status) WHERE status = 'active';

CREATE TABLE series_skips (
    community_id text NOT NULL,
    series_id text NOT NULL,
    skip_date date NOT NULL,
    reason text NOT NULL,
    actor_id text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, series_id, skip_date),
    FOREIGN KEY (community_id, series_id) REFERENCES series (community_id, id)
);

ALTER TABLE meetings ADD COLUMN occurrence_date date;
ALTER TABLE meetings ADD CONSTRAINT meetings_series_fk FOREIGN KEY (community_id, series_id) REFERENCES series (community_id, id);
ALTER TABLE meetings ADD CONSTRAINT meetings_occurrence CHECK ((series_id IS NULL) = (occurrence_date IS NULL));
CREATE UNIQUE INDEX meetings_one_per_occurrence ON meetings (community_id, series_id, occurrence_date) WHERE series_id IS NOT NULL;

CREATE TABLE meeting_messages (
    community_id text NOT NULL,
    id text NOT NULL CHECK (id ~ '^msg_[0-9a-f]{32}$'),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    meeting_id text NOT NULL,
    author_id text NOT NULL,
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, meeting_id) REFERENCES meetings (community_id, id),
    FOREIGN KEY (community_id, author_id) REFERENCES people (community_id, id)
);
CREATE INDEX meeting_messages_meeting ON meeting_messages (community_id, meeting_id, seq);
