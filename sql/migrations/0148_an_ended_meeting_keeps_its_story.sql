-- A meeting whose story ended (completed, cancelled, expired) keeps it: its status, parties,
-- service, times, price, credits and attendance no longer change, and no meeting changes hands
-- (its user, expert or student). No step of the service writes either (an ended meeting takes no
-- action; a declined one may still get a new date, so `rejected` is not ended), so only a bug or a
-- hand-written UPDATE meets the trigger (55000, as an account changing hands does). An audit
-- rewrote a paid meeting's price, moved it back to awaiting approval, changed its times and its
-- attendance, and gave a meeting another expert, each accepted.
CREATE FUNCTION ml_refuse_meeting_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.user_id, OLD.expert_id, OLD.student_id) IS DISTINCT FROM (NEW.user_id, NEW.expert_id, NEW.student_id) THEN
        RAISE EXCEPTION 'meeting % keeps its user, expert and student: UPDATE refused', OLD.id USING ERRCODE = '55000';
    END IF;
    RAISE EXCEPTION 'meeting % is %: its story ended and is kept as it was; UPDATE refused', OLD.id, OLD.status USING ERRCODE = '55000';
END $$;

CREATE TRIGGER meetings_keep_their_story BEFORE UPDATE ON meetings FOR EACH ROW
    WHEN ((OLD.user_id, OLD.expert_id, OLD.student_id) IS DISTINCT FROM (NEW.user_id, NEW.expert_id, NEW.student_id)
          OR (OLD.status IN ('completed', 'cancelled', 'expired')
              AND (OLD.status, OLD.service_id, OLD.start_at, OLD.length_minutes, OLD.price_credits, OLD.credit_status, OLD.hold_transfer_id,
                   OLD.attendance, OLD.duration_minutes, OLD.logged_at)
                  IS DISTINCT FROM
                  (NEW.status, NEW.service_id, NEW.start_at, NEW.length_minutes, NEW.price_credits, NEW.credit_status, NEW.hold_transfer_id,
                   NEW.attendance, NEW.duration_minutes, NEW.logged_at)))
    EXECUTE FUNCTION ml_refuse_meeting_rewrite();
