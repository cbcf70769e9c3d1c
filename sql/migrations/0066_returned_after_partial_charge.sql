-- What went back to the user after a partial charge. A late cancellation charged at less than
-- 100% captures part of the hold and returns the rest; the meeting read back said what was
-- charged (`charged_credits`) but not what was returned. `returned_credits` now also gives the
-- part of the captured hold that was not charged (null when it was charged whole). The rest of
-- the function is that of 0059.
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
        'returned_credits', CASE
            WHEN m.credit_status = 'returned' THEN (
                SELECT r.amount FROM transfers r WHERE r.community_id = m.community_id AND r.meeting_id = m.id AND r.kind = 'release'
                ORDER BY r.seq DESC LIMIT 1)
            WHEN m.credit_status = 'paid' THEN (
                SELECT nullif(h.amount - c.amount, 0) FROM transfers c
                JOIN transfers h ON h.community_id = c.community_id AND h.id = c.pending_id
                WHERE c.community_id = m.community_id AND c.meeting_id = m.id AND c.kind = 'capture'
                ORDER BY c.seq DESC LIMIT 1) END,
        'charged_credits', CASE WHEN m.credit_status = 'paid' THEN (
            SELECT sum(t.amount) FROM transfers t
            WHERE t.community_id = m.community_id AND t.meeting_id = m.id AND t.kind = 'capture') END)
    INTO v FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting;
    RETURN v;
END $$;
