-- Meetings, their timelines and the outbox. A meeting's credit_status is kept in step with
-- its hold in the ledger in the same transaction; the database refuses double booking.

-- A time-ordered id (UUIDv7 layout) for rows created inside SQL statements.
CREATE FUNCTION ml_id(p_prefix text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_bytes bytea := uuid_send(gen_random_uuid());
    v_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
BEGIN
    v_bytes := overlay(v_bytes PLACING substring(int8send(v_ms) FROM 3) FROM 1 FOR 6);
    v_bytes := set_byte(v_bytes, 6, (get_byte(v_bytes, 6) & 15) | 112);
    RETURN p_prefix || '_' || encode(v_bytes, 'hex');
END $$;

CREATE TABLE meetings (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^mtg_[0-9a-f]{32}$'),
    service_id text NOT NULL,
    skill text CHECK (char_length(skill) <= 200),
    user_id text NOT NULL,
    expert_id text NOT NULL,
    location_id text,
    start_at timestamptz NOT NULL,
    length_minutes integer NOT NULL CHECK (length_minutes BETWEEN 5 AND 1440),
    end_at timestamptz NOT NULL,
    price_credits bigint NOT NULL CHECK (price_credits BETWEEN 0 AND 1000000000000),
    topic text CHECK (char_length(topic) <= 10000),
    agenda_answers jsonb NOT NULL DEFAULT '[]',
    session_type text,
    status text NOT NULL CHECK (status IN ('awaiting_approval', 'agreed', 'rejected', 'cancelled', 'completed', 'expired')),
    proposed_by text NOT NULL CHECK (proposed_by IN ('user', 'expert')),
    expert_approved boolean NOT NULL,
    user_approved boolean NOT NULL,
    credit_status text NOT NULL CHECK (credit_status IN ('none', 'blocked', 'returned', 'paid')),
    hold_transfer_id text,
    conflict_accepted boolean NOT NULL DEFAULT false,
    alternate_start_at timestamptz,
    alternate_length_minutes integer CHECK (alternate_length_minutes BETWEEN 5 AND 1440),
    alternate_proposed_by text CHECK (alternate_proposed_by IN ('user', 'expert')),
    alternate_expert_approved boolean,
    alternate_user_approved boolean,
    alternate_note text,
    note text CHECK (char_length(note) <= 10000),
    video_url text CHECK (char_length(video_url) <= 2000),
    series_id text,
    attendance text CHECK (attendance IN ('attended', 'no_show', 'expert_no_show')),
    duration_minutes integer CHECK (duration_minutes >= 0),
    feedback jsonb,
    logged_at timestamptz,
    calendar_sequence integer NOT NULL DEFAULT 0,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- Time this meeting takes from the expert: agreed, or requested with credits held,
    -- unless the expert explicitly accepted the overlap.
    occupies boolean GENERATED ALWAYS AS (
        (status = 'agreed' OR (status = 'awaiting_approval' AND credit_status = 'blocked')) AND NOT conflict_accepted
    ) STORED,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, service_id) REFERENCES services (community_id, id),
    FOREIGN KEY (community_id, user_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, location_id) REFERENCES locations (community_id, id),
    FOREIGN KEY (community_id, hold_transfer_id) REFERENCES transfers (community_id, id),
    CHECK (user_id <> expert_id),
    CHECK (end_at = start_at + make_interval(mins => length_minutes)),
    CONSTRAINT meetings_hold_matches_status CHECK ((credit_status = 'blocked') = (hold_transfer_id IS NOT NULL)),
    CHECK (status <> 'agreed' OR (expert_approved AND user_approved AND (credit_status = 'blocked' OR price_credits = 0))),
    CHECK ((alternate_start_at IS NULL) = (alternate_proposed_by IS NULL)),
    CONSTRAINT meetings_no_double_booking EXCLUDE USING gist (
        community_id WITH =, expert_id WITH =, tstzrange(start_at, end_at) WITH &&
    ) WHERE (occupies)
);
CREATE INDEX meetings_user ON meetings (community_id, user_id, start_at);
CREATE INDEX meetings_expert ON meetings (community_id, expert_id, start_at);
CREATE INDEX meetings_due ON meetings (community_id, status, start_at) WHERE status IN ('awaiting_approval', 'agreed');

ALTER TABLE transfers ADD CONSTRAINT transfers_meeting_fk
    FOREIGN KEY (community_id, meeting_id) REFERENCES meetings (community_id, id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE meeting_events (
    community_id text NOT NULL,
    id text NOT NULL CHECK (id ~ '^evt_[0-9a-f]{32}$'),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    meeting_id text NOT NULL,
    kind text NOT NULL,
    actor_id text,
    actor_role text NOT NULL CHECK (actor_role IN ('user', 'expert', 'admin', 'system')),
    reason_code text,
    note text,
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, meeting_id) REFERENCES meetings (community_id, id)
);
CREATE INDEX meeting_events_meeting ON meeting_events (community_id, meeting_id, seq);
CREATE TRIGGER meeting_events_append_only BEFORE UPDATE OR DELETE ON meeting_events FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- Messages for people and integrations, written in the transaction of the change they
-- report, and delivered by consumers through outbox.claim / ack / fail.
CREATE TABLE outbox (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^out_[0-9a-f]{32}$'),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    kind text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('notification', 'video', 'calendar')),
    recipient_id text,
    meeting_id text,
    event_id text,
    payload jsonb NOT NULL,
    dedupe_key text,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'leased', 'done', 'dead', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    available_at timestamptz NOT NULL,
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    done_at timestamptz,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, meeting_id) REFERENCES meetings (community_id, id)
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX outbox_ready ON outbox (community_id, available_at, seq) WHERE status IN ('pending', 'leased');
CREATE INDEX outbox_meeting ON outbox (community_id, meeting_id) WHERE meeting_id IS NOT NULL;

-- Meetings and holds must agree: extend the ledger's checks.
CREATE FUNCTION meeting_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH holds AS (
        SELECT h.meeting_id, h.id, h.seq, h.amount,
               (SELECT r.kind FROM transfers r WHERE r.community_id = p_community AND r.pending_id = h.id) AS resolution
        FROM transfers h WHERE h.community_id = p_community AND h.kind = 'hold'
    ),
    per_meeting AS (
        SELECT m.id, m.credit_status, m.hold_transfer_id, m.price_credits,
               count(h.id) FILTER (WHERE h.resolution IS NULL) AS open_holds,
               (SELECT h2.id FROM holds h2 WHERE h2.meeting_id = m.id AND h2.resolution IS NULL LIMIT 1) AS open_hold,
               (SELECT h3.amount FROM holds h3 WHERE h3.meeting_id = m.id AND h3.resolution IS NULL LIMIT 1) AS open_amount,
               count(h.id) AS all_holds,
               bool_or(h.resolution = 'capture') AS captured,
               (array_agg(h.resolution ORDER BY h.seq DESC))[1] AS last_resolution
        FROM meetings m LEFT JOIN holds h ON h.meeting_id = m.id
        WHERE m.community_id = p_community
        GROUP BY m.id, m.credit_status, m.hold_transfer_id, m.price_credits
    )
    SELECT 'meeting_open_holds', id, open_holds || ' open holds' FROM per_meeting WHERE open_holds > 1
    UNION ALL
    SELECT 'meeting_credit_status', id, format('credit_status %s but %s open hold(s), last resolution %s',
           credit_status, open_holds, coalesce(last_resolution, 'none'))
    FROM per_meeting
    WHERE NOT CASE credit_status
        WHEN 'none' THEN all_holds = 0
        WHEN 'blocked' THEN open_holds = 1 AND open_hold = hold_transfer_id AND open_amount = price_credits
        WHEN 'returned' THEN open_holds = 0 AND last_resolution = 'release'
        WHEN 'paid' THEN open_holds = 0 AND captured
    END
$$;
