-- outbox.fail becomes a command: the message's row locked in a statement of its own, one read
-- with the actor's row, the rule decided in Swift (DeliveryRule), one write. With an
-- idempotency key it sent seven statements.

-- The message as a failure report finds it (null: no such message).
CREATE FUNCTION ml_outbox_message_context(p_community text, p_id text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('status', o.status, 'lease_owner', o.lease_owner, 'attempts', o.attempts)
    FROM outbox o WHERE o.community_id = p_community AND o.id = p_id
$$;

-- A failed delivery as decided: pending again from available_at, or dead from now.
CREATE FUNCTION ml_outbox_fail_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH failed AS (
        UPDATE outbox SET status = p ->> 'status', last_error = p ->> 'error', available_at = (p ->> 'available_at')::timestamptz,
            lease_expires_at = NULL, lease_owner = NULL,
            done_at = CASE WHEN p ->> 'status' = 'dead' THEN (p ->> 'now')::timestamptz END
        WHERE community_id = p ->> 'community_id' AND id = p ->> 'id'
        RETURNING 1)
    SELECT jsonb_build_object('written', (SELECT count(*) FROM failed))
$$;
