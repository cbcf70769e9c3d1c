-- One of two people acts for the other, guarded by a unique index on the unordered pair instead
-- of 0142's trigger: the trigger let an UPDATE turn a link into the reverse of another, and two
-- writers outside meetingd inserting both ways at once both committed. Pairs linked both ways
-- before 0142 stay as they are, marked, and outside the index.
-- student.link also reads whether the link itself exists: linking a pair linked already answers
-- as before (a pair linked both ways before 0142 was refused for its own reverse).

ALTER TABLE student_links ADD COLUMN linked_both_ways_before boolean NOT NULL DEFAULT false;

UPDATE student_links k SET linked_both_ways_before = true
WHERE EXISTS (SELECT 1 FROM student_links r WHERE r.community_id = k.community_id AND r.customer_id = k.student_id AND r.student_id = k.customer_id);

CREATE UNIQUE INDEX student_links_one_way ON student_links (community_id, least(customer_id, student_id), greatest(customer_id, student_id))
WHERE NOT linked_both_ways_before;

DROP TRIGGER student_links_one_way ON student_links;
DROP FUNCTION ml_refuse_reverse_student_link();

CREATE OR REPLACE FUNCTION ml_student_link_context(p_community text, p_customer text, p_student text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'customer', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_customer),
        'student', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_student),
        'linked', EXISTS (SELECT 1 FROM student_links k WHERE k.community_id = p_community AND k.customer_id = p_customer AND k.student_id = p_student),
        'reverse', EXISTS (SELECT 1 FROM student_links k WHERE k.community_id = p_community AND k.customer_id = p_student AND k.student_id = p_customer))
$$;

-- As 0139's, with the conflict named: the link made already stays as it was; a link the index
-- refuses (its reverse exists) is an error, not a link silently not made.
CREATE OR REPLACE FUNCTION ml_student_link_apply(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    WITH created AS (
        INSERT INTO student_links (community_id, customer_id, student_id, created_by, created_at)
        VALUES (p ->> 'community_id', p ->> 'customer_id', p ->> 'student_id', p ->> 'created_by', (p ->> 'now')::timestamptz)
        ON CONFLICT (community_id, customer_id, student_id) DO NOTHING
        RETURNING 1)
    SELECT jsonb_build_object('created', (SELECT count(*) FROM created))
$$;
