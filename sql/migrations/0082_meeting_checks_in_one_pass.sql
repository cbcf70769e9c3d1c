-- ledger.reconcile in time proportional to the community's size.
--
-- meeting_problems() found each meeting's open hold and its amount with two subqueries over all
-- of the community's holds, run once per meeting: its time grew with meetings × holds. With
-- 179,000 meetings it did not finish in 100 s (1,000 meetings took 17.5 s, 2,000 took 34.9 s),
-- so ledger.reconcile always ended at the statement timeout. The open hold and its amount are
-- now taken in the same pass that counts the meeting's holds, and each hold's resolution is
-- joined rather than looked up one by one. The checks are those of 0059; where a meeting has
-- several open holds (itself a problem, reported as such) the first one written is the one
-- compared.
CREATE OR REPLACE FUNCTION meeting_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH holds AS (
        SELECT h.meeting_id, h.id, h.seq, h.amount, r.kind AS resolution
        FROM transfers h
        LEFT JOIN transfers r ON r.community_id = h.community_id AND r.pending_id = h.id
        WHERE h.community_id = p_community AND h.kind = 'hold'
    ),
    per_meeting AS (
        SELECT m.id, m.credit_status, m.hold_transfer_id, m.price_credits,
               m.status = 'awaiting_approval' AND NOT m.user_approved AS waits_for_user,
               count(h.id) FILTER (WHERE h.resolution IS NULL) AS open_holds,
               (array_agg(h.id ORDER BY h.seq) FILTER (WHERE h.id IS NOT NULL AND h.resolution IS NULL))[1] AS open_hold,
               (array_agg(h.amount ORDER BY h.seq) FILTER (WHERE h.id IS NOT NULL AND h.resolution IS NULL))[1] AS open_amount,
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
