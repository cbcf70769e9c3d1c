-- Conversations between a user and an expert, with or without a meeting (seed 000: "You can
-- chat with providers at this step if you want to ask them questions first"; seed 004: the
-- expert can "start a chat with the user"). One conversation per user and expert: a meeting's
-- chat between the same two people continues it. Who may write, what and to whom it is
-- notified is decided in Swift (module People, ChatRules); these functions lock, read and write.
CREATE TABLE conversations (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^cnv_[0-9a-f]{32}$'),
    user_id text NOT NULL,
    expert_id text NOT NULL CHECK (expert_id <> user_id),
    started_by text NOT NULL,
    created_at timestamptz NOT NULL,
    last_message_at timestamptz,
    message_count integer NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    PRIMARY KEY (community_id, id),
    UNIQUE (community_id, user_id, expert_id),
    FOREIGN KEY (community_id, user_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, expert_id) REFERENCES people (community_id, id),
    FOREIGN KEY (community_id, started_by) REFERENCES people (community_id, id)
);
-- A person's conversations, latest activity first.
CREATE INDEX conversations_user_recent ON conversations (community_id, user_id, (coalesce(last_message_at, created_at)) DESC, id DESC);
CREATE INDEX conversations_expert_recent ON conversations (community_id, expert_id, (coalesce(last_message_at, created_at)) DESC, id DESC);

-- Every meeting's chat so far becomes the conversation of its user and expert (ids made here
-- are random rather than time-ordered; they are only ever compared for equality).
INSERT INTO conversations (community_id, id, user_id, expert_id, started_by, created_at, last_message_at, message_count)
SELECT m.community_id, 'cnv_' || replace(gen_random_uuid()::text, '-', ''), m.user_id, m.expert_id,
       (array_agg(x.author_id ORDER BY x.seq))[1], min(x.created_at), max(x.created_at), count(*)
FROM meeting_messages x JOIN meetings m ON m.community_id = x.community_id AND m.id = x.meeting_id
GROUP BY m.community_id, m.user_id, m.expert_id;

-- meeting_messages now holds every chat message: the conversation it belongs to, and the
-- meeting it was written from (none for a message before any meeting).
ALTER TABLE meeting_messages ADD COLUMN conversation_id text;
UPDATE meeting_messages x SET conversation_id = c.id
FROM meetings m JOIN conversations c ON c.community_id = m.community_id AND c.user_id = m.user_id AND c.expert_id = m.expert_id
WHERE m.community_id = x.community_id AND m.id = x.meeting_id;
ALTER TABLE meeting_messages ALTER COLUMN conversation_id SET NOT NULL;
ALTER TABLE meeting_messages ALTER COLUMN meeting_id DROP NOT NULL;
ALTER TABLE meeting_messages ADD CONSTRAINT meeting_messages_conversation_fk
    FOREIGN KEY (community_id, conversation_id) REFERENCES conversations (community_id, id);
CREATE INDEX meeting_messages_conversation ON meeting_messages (community_id, conversation_id, seq);
COMMENT ON TABLE meeting_messages IS 'Chat messages of conversations (conversation_id); meeting_id is the meeting a message was written from, if any.';

-- A chat step's locks: the caller's idempotency key, then — when the step may start the
-- conversation of a user and an expert (named, or a meeting's parties) — that pair, so two
-- steps never both start it. A step on an existing conversation (p_conversation) needs no more.
CREATE FUNCTION ml_lock_chat(
    p_community text, p_key_subject text, p_key_class integer, p_pair_class integer, p_conversation text, p_meeting text, p_a text, p_b text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_a text := p_a;
    v_b text := p_b;
BEGIN
    IF p_key_subject IS NOT NULL THEN PERFORM ml_lock(p_community, p_key_subject, p_key_class); END IF;
    IF p_conversation IS NOT NULL THEN RETURN; END IF;
    IF p_meeting IS NOT NULL THEN
        SELECT user_id, expert_id INTO v_a, v_b FROM meetings WHERE community_id = p_community AND id = p_meeting;
    END IF;
    IF v_a IS NOT NULL AND v_b IS NOT NULL THEN
        PERFORM ml_lock(p_community, least(v_a, v_b) || '/' || greatest(v_a, v_b), p_pair_class);
    END IF;
END $$;

CREATE FUNCTION ml_conversation_json(c conversations) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'user_id', c.user_id, 'expert_id', c.expert_id, 'started_by', c.started_by, 'created_at', ml_rfc3339(c.created_at),
        'last_message_at', CASE WHEN c.last_message_at IS NOT NULL THEN ml_rfc3339(c.last_message_at) END, 'message_count', c.message_count,
        'user_name', ml_display_name(c.community_id, c.user_id), 'expert_name', ml_display_name(c.community_id, c.expert_id))
$$;

-- Everything a chat decision reads, in one statement after the locks: the service's time and
-- settings, the meeting's parties (p_meeting), the conversation (p_conversation), the other
-- person (p_person) and every conversation between the pair (the meeting's parties, or the
-- actor and p_person, either way round), and the actor's past agreed meetings not yet logged
-- (an expert who must log them first may do nothing else).
CREATE FUNCTION ml_chat_context(
    p_community text, p_test_clock boolean, p_actor text, p_conversation text, p_meeting text, p_person text
) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
    v_a text := p_actor;
    v_b text := p_person;
    v_meeting jsonb;
BEGIN
    IF p_meeting IS NOT NULL THEN
        SELECT jsonb_build_object('id', m.id, 'user_id', m.user_id, 'expert_id', m.expert_id), m.user_id, m.expert_id
        INTO v_meeting, v_a, v_b
        FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting;
    END IF;
    RETURN jsonb_build_object(
        'now', v_now,
        'settings', (SELECT settings FROM communities WHERE community_id = p_community),
        'meeting', v_meeting,
        'conversation', (SELECT ml_conversation_json(c) FROM conversations c WHERE c.community_id = p_community AND c.id = p_conversation),
        'person', ml_person_json(p_community, p_person),
        'pair', (
            SELECT coalesce(jsonb_agg(ml_conversation_json(c)), '[]') FROM conversations c
            WHERE c.community_id = p_community AND ((c.user_id = v_a AND c.expert_id = v_b) OR (c.user_id = v_b AND c.expert_id = v_a))),
        'unlogged', (
            SELECT coalesce(jsonb_agg(x.id), '[]') FROM (
                SELECT m.id FROM meetings m
                WHERE m.community_id = p_community AND m.expert_id = p_actor AND m.status = 'agreed' AND m.end_at <= v_now
                ORDER BY m.start_at LIMIT 20) x)
    );
END $$;

-- Outbox messages as a decision lists them (the same columns ml_apply writes).
CREATE FUNCTION ml_outbox_insert(p_community text, p_now timestamptz, p_messages jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO outbox (community_id, id, kind, channel, recipient_id, meeting_id, event_id, payload, dedupe_key, available_at, created_at)
    SELECT p_community, o.id, o.kind, o.channel, o.recipient_id, o.meeting_id, o.event_id, o.payload, o.dedupe_key,
           coalesce(o.available_at, p_now), p_now
    FROM jsonb_to_recordset(coalesce(p_messages, '[]'))
        AS o(id text, kind text, channel text, recipient_id text, meeting_id text, event_id text, payload jsonb, dedupe_key text, available_at timestamptz)
    ON CONFLICT (community_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
$$;

-- Applies a chat decision in one statement: the new conversation, the message (counted on its
-- conversation) and the notifications. Returns the message as stored (with its sequence number
-- and time) as the answer (`answer: message`), or the message and the conversation as they now
-- are under `message` and `conversation` (`answer: nested`).
CREATE FUNCTION ml_chat_apply(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v_now timestamptz := (p ->> 'now')::timestamptz;
    v_message jsonb;
    v_seq bigint;
BEGIN
    IF p ? 'conversation_new' THEN
        INSERT INTO conversations (community_id, id, user_id, expert_id, started_by, created_at)
        VALUES (v_community, p -> 'conversation_new' ->> 'id', p -> 'conversation_new' ->> 'user_id', p -> 'conversation_new' ->> 'expert_id',
                p -> 'conversation_new' ->> 'started_by', v_now);
    END IF;
    IF p ? 'message' THEN
        INSERT INTO meeting_messages (community_id, id, conversation_id, meeting_id, author_id, text, created_at)
        VALUES (v_community, p -> 'message' ->> 'id', p -> 'message' ->> 'conversation_id', p -> 'message' ->> 'meeting_id',
                p -> 'message' ->> 'author_id', p -> 'message' ->> 'text', v_now)
        RETURNING seq INTO v_seq;
        UPDATE conversations SET last_message_at = v_now, message_count = message_count + 1
        WHERE community_id = v_community AND id = p -> 'message' ->> 'conversation_id';
        v_message := (p -> 'message') || jsonb_build_object(
            'seq', v_seq, 'created_at', ml_rfc3339(v_now), 'author_name', ml_display_name(v_community, p -> 'message' ->> 'author_id'));
    END IF;
    PERFORM ml_outbox_insert(v_community, v_now, p -> 'outbox');
    IF p ->> 'answer' = 'message' THEN RETURN v_message; END IF;
    RETURN jsonb_build_object(
        'message', v_message,
        'conversation', (SELECT ml_conversation_json(c) FROM conversations c WHERE c.community_id = v_community AND c.id = p ->> 'conversation_id'));
END $$;
