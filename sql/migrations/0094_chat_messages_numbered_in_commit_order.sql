-- A community's chat messages are numbered in the order they commit.
--
-- A message's number (seq) is taken from the community's counter as it is inserted, and lists
-- page by it: conversation.messages after the last number read, conversation.list putting the
-- conversations with messages past the first page's newest number after the others. Two posts
-- in different conversations took no lock in common, so one could take a number, wait (on its
-- conversation's row), and commit after a later number had been read: a page skipped it, and a
-- conversation with a new message went unlisted. A post now takes the community's chat lock
-- after its own locks and holds it to its commit, so the numbers a reader sees have no gap that
-- a commit can fill later. ml_lock_chat stays for a meetingd of the previous version.
CREATE FUNCTION ml_lock_chat_post(
    p_community text, p_key_subject text, p_key_class integer, p_pair_class integer, p_conversation text, p_meeting text, p_a text, p_b text,
    p_messages_class integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_lock_chat(p_community, p_key_subject, p_key_class, p_pair_class, p_conversation, p_meeting, p_a, p_b);
    PERFORM ml_lock(p_community, 'chat messages', p_messages_class);
END $$;
