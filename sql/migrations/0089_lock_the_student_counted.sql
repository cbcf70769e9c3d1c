-- A student's weekly limit and no-shows count for the student, whoever booked for them, but the
-- lock that serializes what is counted was taken on the meeting's user (the customer who pays):
-- two customers of one student, or a customer and the student, booking at the same moment each
-- read the student's week before the other wrote, and both were let through past the limit.
--
-- The steps that book for a user or act on a meeting or series now take the counted-bookings
-- lock of the student as well as of the user, in id order (so two steps never wait on each
-- other in a circle). The functions of 0007 without the student stay, as calls of the new ones,
-- for a meetingd of the previous version running beside this one during an upgrade.

CREATE FUNCTION ml_lock_people(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer,
    p_student text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_counted text;
BEGIN
    IF p_key_subject IS NOT NULL THEN PERFORM ml_lock(p_community, p_key_subject, p_key_class); END IF;
    FOR v_counted IN SELECT DISTINCT c FROM unnest(ARRAY[p_user, p_student]) AS c WHERE c IS NOT NULL ORDER BY c LOOP
        PERFORM ml_lock(p_community, v_counted, p_user_class);
    END LOOP;
    IF p_expert IS NOT NULL THEN PERFORM ml_lock(p_community, p_expert, p_expert_class); END IF;
END $$;

CREATE OR REPLACE FUNCTION ml_lock_people(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE sql AS $$
    SELECT ml_lock_people(p_community, p_key_subject, p_user, p_expert, p_key_class, p_user_class, p_expert_class, NULL)
$$;

-- A booking for a user (and the student it is for) with an expert: their locks, then the
-- user's wallet.
CREATE FUNCTION ml_lock_parties(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer,
    p_student text
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_people(p_community, p_key_subject, p_user, p_expert, p_key_class, p_user_class, p_expert_class, p_student);
    IF p_user IS NOT NULL THEN PERFORM ml_lock_wallet(p_community, p_user); END IF;
END $$;

CREATE OR REPLACE FUNCTION ml_lock_parties(
    p_community text, p_key_subject text, p_user text, p_expert text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE sql AS $$
    SELECT ml_lock_parties(p_community, p_key_subject, p_user, p_expert, p_key_class, p_user_class, p_expert_class, NULL)
$$;

-- A step on an existing meeting: its parties' locks (its student's too), the meeting's row,
-- then the wallet.
CREATE OR REPLACE FUNCTION ml_lock_meeting(
    p_community text, p_meeting text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_expert text;
    v_student text;
BEGIN
    SELECT user_id, expert_id, student_id INTO v_user, v_expert, v_student FROM meetings WHERE community_id = p_community AND id = p_meeting;
    PERFORM ml_lock_people(p_community, p_key_subject, v_user, v_expert, p_key_class, p_user_class, p_expert_class, v_student);
    IF v_user IS NULL THEN RETURN; END IF;
    PERFORM 1 FROM meetings WHERE community_id = p_community AND id = p_meeting FOR UPDATE;
    PERFORM ml_lock_wallet(p_community, v_user);
END $$;

-- A step on one series: its parties' locks (its student's too), its row, its open meetings in
-- id order, then the wallet.
CREATE OR REPLACE FUNCTION ml_lock_series(
    p_community text, p_series text, p_key_subject text, p_key_class integer, p_user_class integer, p_expert_class integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_expert text;
    v_student text;
BEGIN
    SELECT user_id, expert_id, student_id INTO v_user, v_expert, v_student FROM series WHERE community_id = p_community AND id = p_series;
    PERFORM ml_lock_people(p_community, p_key_subject, v_user, v_expert, p_key_class, p_user_class, p_expert_class, v_student);
    IF v_user IS NULL THEN RETURN; END IF;
    PERFORM 1 FROM series WHERE community_id = p_community AND id = p_series FOR UPDATE;
    PERFORM 1 FROM meetings WHERE community_id = p_community AND series_id = p_series AND status IN ('awaiting_approval', 'agreed')
    ORDER BY id FOR UPDATE;
    PERFORM ml_lock_wallet(p_community, v_user);
END $$;
