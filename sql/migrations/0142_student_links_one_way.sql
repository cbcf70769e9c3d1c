-- A customer acts for a student, and not the other way round as well: a link whose reverse
-- exists (the student already acts for the customer) is refused. student.link decides it under
-- the directory's lock, reading the reverse with the two people; the trigger guards every other
-- writer. Pairs linked both ways before this stay as they are.

CREATE OR REPLACE FUNCTION ml_student_link_context(p_community text, p_customer text, p_student text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'customer', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_customer),
        'student', (SELECT to_jsonb(p) FROM people p WHERE p.community_id = p_community AND p.id = p_student),
        'reverse', EXISTS (SELECT 1 FROM student_links k WHERE k.community_id = p_community AND k.customer_id = p_student AND k.student_id = p_customer))
$$;

CREATE FUNCTION ml_refuse_reverse_student_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM student_links k WHERE k.community_id = NEW.community_id AND k.customer_id = NEW.student_id AND k.student_id = NEW.customer_id) THEN
        RAISE EXCEPTION 'student link % → % refused: % acts for % already', NEW.customer_id, NEW.student_id, NEW.student_id, NEW.customer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER student_links_one_way BEFORE INSERT ON student_links FOR EACH ROW EXECUTE FUNCTION ml_refuse_reverse_student_link();
