-- A meeting read back says what its user paid once its hold was captured (`charged_credits`):
-- the ledger's capture is the record, so it is read from there, for paid meetings only (an
-- index probe on transfers_meeting), and never stored twice.
CREATE OR REPLACE FUNCTION ml_meeting_json(p_community text, p_meeting text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT to_jsonb(m) - 'occupies' || jsonb_build_object(
        'user_name', (SELECT u.first_name || ' ' || u.last_name FROM people u WHERE u.community_id = m.community_id AND u.id = m.user_id),
        'expert_name', (SELECT e.first_name || ' ' || e.last_name FROM people e WHERE e.community_id = m.community_id AND e.id = m.expert_id),
        'student_name', (SELECT s.first_name || ' ' || s.last_name FROM people s WHERE s.community_id = m.community_id AND s.id = m.student_id),
        'charged_credits', CASE WHEN m.credit_status = 'paid' THEN (
            SELECT sum(t.amount) FROM transfers t
            WHERE t.community_id = m.community_id AND t.meeting_id = m.id AND t.kind = 'capture') END)
    INTO v FROM meetings m WHERE m.community_id = p_community AND m.id = p_meeting;
    RETURN v;
END $$;
