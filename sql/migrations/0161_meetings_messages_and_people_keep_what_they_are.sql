-- Written as the role meetingd connects as (plain INSERT and UPDATE, as a bug in the service
-- could), the database took, and ledger.reconcile answered ok after:
--   - a meeting whose expert is not an expert (a finance person), or whose user or student does
--     not hold the user role: with a hold of its own, credits paid to someone who gives no
--     meetings;
--   - a session logged as attended that captured 1 credit of a 100-credit price, logged days
--     before the meeting started;
--   - an outbox message rewritten: sent to someone else, its payload changed, pointed at another
--     meeting or event, or a delivered (or withdrawn) message put back in the queue to be sent
--     again;
--   - a person moved to another community, taking their grants' and steps' actor with them.
-- Each is now a rule of its table. The service's decisions check all of them first (a caller
-- meets those errors); these are the floor beneath them.

-- A meeting's parties hold their roles when it is made: the expert the expert role, the user
-- and the student (on the user's side) the user role (BookingRules' roles rule). Afterwards
-- people_keep_the_roles_meetings_need (0159) keeps them while the meeting is open.
CREATE FUNCTION ml_meeting_parties_hold_their_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = NEW.community_id AND p.id = NEW.expert_id AND 'expert' = ANY (p.roles))
       OR NOT EXISTS (SELECT 1 FROM people p WHERE p.community_id = NEW.community_id AND p.id = NEW.user_id AND 'user' = ANY (p.roles))
       OR (NEW.student_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM people p WHERE p.community_id = NEW.community_id AND p.id = NEW.student_id AND 'user' = ANY (p.roles))) THEN
        RAISE EXCEPTION 'meeting % is between user % (student %) and expert %: its expert holds the expert role, its user and student the user role',
            NEW.id, NEW.user_id, coalesce(NEW.student_id, 'none'), NEW.expert_id
            USING ERRCODE = '23514', TABLE = 'meetings', CONSTRAINT = 'meetings_parties_hold_their_roles';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER meetings_parties_hold_their_roles BEFORE INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION ml_meeting_parties_hold_their_roles();

-- A completed meeting's session was logged once it had started, and a session that was paid
-- captured the meeting's price (ml_apply's rule, 0147). Its capture is written before the
-- meeting's row in the same step, so this is checked when the transaction commits.
CREATE FUNCTION ml_completed_meeting_was_paid_its_price() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_captured bigint;
BEGIN
    IF NOT coalesce(NEW.logged_at >= NEW.start_at, false) THEN
        RAISE EXCEPTION 'meeting % starting % is completed with a session logged at %', NEW.id, NEW.start_at, coalesce(NEW.logged_at::text, 'no time')
            USING ERRCODE = '23514', TABLE = 'meetings', CONSTRAINT = 'meetings_logged_once_started';
    END IF;
    IF NEW.credit_status = 'paid' THEN
        SELECT coalesce(sum(t.amount), 0) INTO v_captured
        FROM transfers t WHERE t.community_id = NEW.community_id AND t.meeting_id = NEW.id AND t.kind = 'capture';
        IF v_captured <> NEW.price_credits THEN
            RAISE EXCEPTION 'meeting % is completed and paid with % credits captured for a price of %', NEW.id, v_captured, NEW.price_credits
                USING ERRCODE = '23514', TABLE = 'meetings', CONSTRAINT = 'meetings_completed_paid_its_price';
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER meetings_completed_paid_its_price AFTER INSERT OR UPDATE ON meetings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'completed') EXECUTE FUNCTION ml_completed_meeting_was_paid_its_price();

-- An outbox message keeps what it says, to whom and about what; only its delivery changes
-- (leased, done, failed and due again, dead and put back, withdrawn), and a message delivered or
-- withdrawn stays so. Its dedupe key may be given up (a meeting moved back is reminded again),
-- never changed to another.
CREATE FUNCTION ml_refuse_outbox_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'outbox message % keeps its recipient, meeting, event, kind and payload, and a % message stays %: UPDATE refused',
        OLD.id, OLD.status, OLD.status USING ERRCODE = '55000';
END $$;
CREATE TRIGGER outbox_keeps_its_message BEFORE UPDATE ON outbox FOR EACH ROW
    WHEN ((OLD.community_id, OLD.id, OLD.seq, OLD.kind, OLD.channel, OLD.recipient_id, OLD.meeting_id, OLD.event_id, OLD.payload, OLD.created_at)
          IS DISTINCT FROM (NEW.community_id, NEW.id, NEW.seq, NEW.kind, NEW.channel, NEW.recipient_id, NEW.meeting_id, NEW.event_id, NEW.payload, NEW.created_at)
          OR (OLD.status IN ('done', 'cancelled') AND NEW.status IS DISTINCT FROM OLD.status)
          OR (NEW.dedupe_key IS NOT NULL AND NEW.dedupe_key IS DISTINCT FROM OLD.dedupe_key))
    EXECUTE FUNCTION ml_refuse_outbox_rewrite();

-- A person stays in their community, under their id.
CREATE FUNCTION ml_refuse_person_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'person % of community % stays there under that id: UPDATE refused', OLD.id, OLD.community_id USING ERRCODE = '55000';
END $$;
CREATE TRIGGER people_stay_in_their_community BEFORE UPDATE ON people FOR EACH ROW
    WHEN ((OLD.community_id, OLD.id) IS DISTINCT FROM (NEW.community_id, NEW.id)) EXECUTE FUNCTION ml_refuse_person_move();
