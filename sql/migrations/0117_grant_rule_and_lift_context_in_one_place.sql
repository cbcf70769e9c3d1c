-- Two rules stated once, where no caller can leave them out.
--
-- A grant credits the wallet of a person who holds the user role now: ml_apply_transfer checks
-- it for every grant, however its accounts are named (0113 checked it only when meetingd asked,
-- with `credit_owner_role`, which it no longer sends). A grant to anyone else finds no account
-- (ML004), as one to a person without a wallet.
CREATE OR REPLACE FUNCTION ml_apply_transfer(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_community text := p ->> 'community_id';
    v_debit text := coalesce(p ->> 'debit_account_id', ledger_account(v_community, p ->> 'debit_kind', p ->> 'debit_owner'));
    v_credit text := coalesce(p ->> 'credit_account_id', ledger_account(v_community, p ->> 'credit_kind', p ->> 'credit_owner'));
    v ledger_result;
BEGIN
    IF p ->> 'kind' = 'grant' AND NOT EXISTS (
        SELECT 1 FROM accounts a JOIN people o ON o.community_id = a.community_id AND o.id = a.owner_id
        WHERE a.community_id = v_community AND a.id = v_credit AND 'user' = ANY (o.roles)) THEN
        v_credit := NULL;
    END IF;
    v := ledger_transfer(
        v_community, p ->> 'id', v_debit, v_credit, (p ->> 'credits')::bigint, p ->> 'kind', 'posted', NULL, p ->> 'reference', p ->> 'reason',
        p ->> 'actor_id', (p ->> 'at')::timestamptz);
    RETURN jsonb_build_object(
        'seq', v.seq, 'created_at', ml_rfc3339(v.created_at), 'debit_account_id', v.debit_account_id, 'credit_account_id', v.credit_account_id);
END $$;

DROP FUNCTION ml_account_of_holder(text, text, text, text);

-- What lifting a suspension decides on, in PL/pgSQL (its plans kept for the session, as every
-- context read's): the person, the customers who book for them now (`customers`), and the
-- notices of the suspensions still running since their last lift (`told`: 0116 also counted
-- those of a suspension that had run out by itself, whose people were not told of this one).
CREATE OR REPLACE FUNCTION ml_suspension_context(p_community text, p_test_clock boolean, p_person text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamptz := ml_now(p_community, p_test_clock);
BEGIN
    RETURN jsonb_build_object(
        'now', v_now,
        'person', ml_person_json(p_community, p_person),
        'customers', coalesce((SELECT jsonb_agg(k.customer_id ORDER BY k.customer_id) FROM student_links k
                               WHERE k.community_id = p_community AND k.student_id = p_person), '[]'),
        'told', coalesce((
            SELECT jsonb_agg(jsonb_build_object('recipient_id', t.recipient_id, 'recipient_role', t.role) ORDER BY t.recipient_id, t.role)
            FROM (SELECT DISTINCT o.recipient_id, o.payload ->> 'recipient_role' AS role
                  FROM outbox o
                  WHERE o.community_id = p_community AND o.kind = 'user_suspended' AND o.recipient_id IS NOT NULL
                    AND coalesce(o.payload ->> 'student_id', o.recipient_id) = p_person
                    AND (o.payload ->> 'until')::timestamptz > v_now
                    AND o.seq > coalesce((SELECT max(l.seq) FROM outbox l
                                          WHERE l.community_id = p_community AND l.kind = 'user_unsuspended'
                                            AND coalesce(l.payload ->> 'student_id', l.recipient_id) = p_person), 0)) t), '[]'));
END $$;
