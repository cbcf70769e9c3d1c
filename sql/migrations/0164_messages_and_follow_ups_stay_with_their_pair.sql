-- Written as the role meetingd connects as (plain INSERT and UPDATE, as a bug in the service
-- could), the database took:
--   - a chat message written into a conversation by someone who is neither of its two people
--     nor an admin, or tied to a meeting of another user and expert (the meeting's page then
--     shows a message its parties never exchanged, and the conversation's a meeting not theirs);
--   - a meeting following itself, or following a meeting of another user or expert (the
--     proposal then shows someone else's meeting as the one it follows).
-- Each is now a rule of its table (23514 with its constraint name). The service's decisions
-- check both first (ChatRules, MeetingDecider.propose: a caller meets those errors); these are
-- the floor beneath them. Neither is on a booking's or a grant's path.

-- A message is written by one of its conversation's two people or an admin (ChatRules), and a
-- message written from a meeting is in the conversation of that meeting's user and expert.
CREATE FUNCTION ml_message_stays_with_its_pair() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_expert text;
BEGIN
    SELECT c.user_id, c.expert_id INTO v_user, v_expert
    FROM conversations c WHERE c.community_id = NEW.community_id AND c.id = NEW.conversation_id;
    IF NEW.author_id NOT IN (v_user, v_expert) AND NOT EXISTS (
        SELECT 1 FROM people p WHERE p.community_id = NEW.community_id AND p.id = NEW.author_id AND 'admin' = ANY (p.roles)) THEN
        RAISE EXCEPTION 'message % in conversation % of % and % is written by %, who is neither of them nor an admin',
            NEW.id, NEW.conversation_id, coalesce(v_user, 'no one'), coalesce(v_expert, 'no one'), NEW.author_id
            USING ERRCODE = '23514', TABLE = 'meeting_messages', CONSTRAINT = 'meeting_messages_author_of_the_conversation';
    END IF;
    IF NEW.meeting_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM meetings m
        WHERE m.community_id = NEW.community_id AND m.id = NEW.meeting_id AND m.user_id = v_user AND m.expert_id = v_expert) THEN
        RAISE EXCEPTION 'message % is written from meeting %, which is not between % and % (conversation %)',
            NEW.id, NEW.meeting_id, coalesce(v_user, 'no one'), coalesce(v_expert, 'no one'), NEW.conversation_id
            USING ERRCODE = '23514', TABLE = 'meeting_messages', CONSTRAINT = 'meeting_messages_meeting_of_the_conversation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER meeting_messages_stay_with_their_pair BEFORE INSERT ON meeting_messages FOR EACH ROW
    EXECUTE FUNCTION ml_message_stays_with_its_pair();

-- A meeting proposed to follow another follows an earlier meeting of the same user and expert
-- (meeting.propose's from_meeting_id), never itself.
CREATE FUNCTION ml_meeting_follows_its_pairs_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.follows_meeting_id = NEW.id OR NOT EXISTS (
        SELECT 1 FROM meetings m
        WHERE m.community_id = NEW.community_id AND m.id = NEW.follows_meeting_id AND m.user_id = NEW.user_id AND m.expert_id = NEW.expert_id) THEN
        RAISE EXCEPTION 'meeting % of user % and expert % follows meeting %, which is not another meeting of theirs',
            NEW.id, NEW.user_id, NEW.expert_id, NEW.follows_meeting_id
            USING ERRCODE = '23514', TABLE = 'meetings', CONSTRAINT = 'meetings_follow_their_pairs_meeting';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER meetings_follow_their_pairs_meeting BEFORE INSERT OR UPDATE OF follows_meeting_id ON meetings FOR EACH ROW
    WHEN (NEW.follows_meeting_id IS NOT NULL) EXECUTE FUNCTION ml_meeting_follows_its_pairs_meeting();
