-- SPEC §5.2: a counter-offer keeps a hold already made. When the expert's counter-offer changes
-- the length (and so the price), the user's hold stays as the user made it until the user
-- answers: accepting replaces it with the new price, declining releases it. A meeting read back
-- therefore says what its open hold holds (`held_credits`, read from the ledger's hold: the
-- ledger is the record) and, once its credits are returned, what was returned
-- (`returned_credits`, its last release, which may differ from the price), and the meeting checks
-- accept a hold that differs from the price only while the meeting waits for the user's approval.
CREATE OR REPLACE FUNCTION ml_meeting_json(p_community text, p_meeting text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT to_jsonb(m) - 'occupies' - 'excludes_overlaps' || jsonb_build_object(
        'user_name', (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id),
        'expert_name', (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id),
        'student_name', (SELECT s.first_name || ' ' || s.last_name FROM people s WHERE s.community_id = m.community_id AND s.id = m.student_id),
        'held_credits', CASE WHEN m.credit_status = 'blocked' THEN (
            SELECT h.amount FROM transfers h WHERE h.community_id = m.community_id AND h.id = m.hold_transfer_id) ELSE 0 END,
        'returned_credits', CASE WHEN m.credit_status = 'returned' THEN (
            SELECT r.amount FROM transfers r WHERE r.community_id = m.community_id AND r.meeting_id = m.id AND r.kind = 'release'
            ORDER BY r.seq DESC LIMIT 1) END,
        'charged_credits', CASE WHEN m.credit_status = 'paid' THEN (
            SELECT sum(t.amount) FROM transfers t
            WHERE t.community_id = m.community_id AND t.meeting_id = m.id AND t.kind = 'capture') END)
    INTO v FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION meeting_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH holds AS (
        SELECT h.meeting_id, h.id, h.seq, h.amount,
               (SELECT r.kind FROM transfers r WHERE r.community_id = p_community AND r.pending_id = h.id) AS resolution
        FROM transfers h WHERE h.community_id = p_community AND h.kind = 'hold'
    ),
    per_meeting AS (
        SELECT m.id, m.credit_status, m.hold_transfer_id, m.price_credits,
               m.status = 'awaiting_approval' AND NOT m.user_approved AS waits_for_user,
               count(h.id) FILTER (WHERE h.resolution IS NULL) AS open_holds,
               (SELECT h2.id FROM holds h2 WHERE h2.meeting_id = m.id AND h2.resolution IS NULL LIMIT 1) AS open_hold,
               (SELECT h3.amount FROM holds h3 WHERE h3.meeting_id = m.id AND h3.resolution IS NULL LIMIT 1) AS open_amount,
               count(h.id) AS all_holds,
               bool_or(h.resolution = 'capture') AS captured,
               (array_agg(h.resolution ORDER BY h.seq DESC))[1] AS last_resolution
        FROM meetings m LEFT JOIN holds h ON h.meeting_id = m.id
        WHERE m.community_id = p_community
        GROUP BY m.id, m.credit_status, m.hold_transfer_id, m.price_credits, m.status, m.user_approved
    )
    SELECT 'meeting_open_holds', id, open_holds || ' open holds' FROM per_meeting WHERE open_holds > 1
    UNION ALL
    SELECT 'meeting_credit_status', id, format('credit_status %s but %s open hold(s) of %s for a price of %s, last resolution %s',
           credit_status, open_holds, coalesce(open_amount::text, 'nothing'), price_credits, coalesce(last_resolution, 'none'))
    FROM per_meeting
    WHERE NOT CASE credit_status
        WHEN 'none' THEN all_holds = 0
        WHEN 'blocked' THEN open_holds = 1 AND open_hold = hold_transfer_id AND (open_amount = price_credits OR waits_for_user)
        WHEN 'returned' THEN open_holds = 0 AND last_resolution = 'release'
        WHEN 'paid' THEN open_holds = 0 AND captured
    END
$$;
