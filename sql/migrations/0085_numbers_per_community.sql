-- Sequence numbers per community.
--
-- Transfers, meeting events, outbox messages and chat messages were numbered by one counter each
-- for the whole database, and answers show the number (`seq`: statements, timelines, chats, the
-- outbox, finance's views; and list cursors carried the newest one). From the gaps between its
-- own numbers a community read how many transfers, events and messages the other communities
-- wrote meanwhile. Each community now has its own counter for each of the four: a sequence, so
-- taking a number never waits for another transaction (no community's writes queue behind
-- another's, nor behind each other). A BEFORE INSERT trigger takes it, so no writer can forget
-- it or choose its own. Numbers stay unique (per community: the unique constraints follow) and
-- increasing in the order rows are written.
--
-- An existing community's counters continue after the database's last number, so every number
-- written from now on is above every earlier one: cursors in flight compare with earlier numbers,
-- and so does the time-order check of 0081, which starts after the last transfer it found. A
-- community made later starts at 1 (its transfers after that number, 0 in a database made fresh).
-- `pg_dump` carries the counters with their values; the trigger is restored after the rows.

CREATE FUNCTION ml_number_sequence(p_table text, p_community text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%I', 'ml_seq_' || p_table || '_' || p_community)
$$;

-- The four counters of a community, starting after `p_after` (transfers: after the number the
-- time-order check starts from as well).
CREATE FUNCTION ml_community_numbers(p_community text, p_after bigint DEFAULT 0) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_start bigint;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['transfers', 'meeting_events', 'outbox', 'meeting_messages'] LOOP
        v_start := greatest(p_after, CASE v_table WHEN 'transfers' THEN (SELECT seq FROM transfer_times_in_order_after) ELSE 0 END) + 1;
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s AS bigint START WITH %s', ml_number_sequence(v_table, p_community), v_start);
    END LOOP;
END $$;

CREATE FUNCTION ml_community_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ml_community_numbers(NEW.community_id);
    RETURN NULL;
END $$;

CREATE FUNCTION ml_take_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := nextval(ml_number_sequence(TG_TABLE_NAME, NEW.community_id)::regclass);
    RETURN NEW;
END $$;

-- The communities there are: their counters after the last number of any community.
DO $$
DECLARE
    v_after bigint := greatest(
        (SELECT coalesce(max(seq), 0) FROM transfers), (SELECT coalesce(max(seq), 0) FROM meeting_events),
        (SELECT coalesce(max(seq), 0) FROM outbox), (SELECT coalesce(max(seq), 0) FROM meeting_messages));
    v_community text;
BEGIN
    FOR v_community IN SELECT community_id FROM communities LOOP
        PERFORM ml_community_numbers(v_community, v_after);
    END LOOP;
END $$;

CREATE TRIGGER communities_numbers AFTER INSERT ON communities FOR EACH ROW EXECUTE FUNCTION ml_community_made();

ALTER TABLE transfers ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE meeting_events ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE outbox ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE meeting_messages ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE transfers ALTER COLUMN seq SET NOT NULL;
ALTER TABLE meeting_events ALTER COLUMN seq SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN seq SET NOT NULL;
ALTER TABLE meeting_messages ALTER COLUMN seq SET NOT NULL;

CREATE TRIGGER transfers_number BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION ml_take_number();
CREATE TRIGGER meeting_events_number BEFORE INSERT ON meeting_events FOR EACH ROW EXECUTE FUNCTION ml_take_number();
CREATE TRIGGER outbox_number BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION ml_take_number();
CREATE TRIGGER meeting_messages_number BEFORE INSERT ON meeting_messages FOR EACH ROW EXECUTE FUNCTION ml_take_number();

-- Unique within a community (and the index a community's newest number is read from).
ALTER TABLE meeting_events DROP CONSTRAINT meeting_events_seq_key;
ALTER TABLE meeting_events ADD CONSTRAINT meeting_events_seq_key UNIQUE (community_id, seq);
ALTER TABLE outbox DROP CONSTRAINT outbox_seq_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_seq_key UNIQUE (community_id, seq);
ALTER TABLE meeting_messages DROP CONSTRAINT meeting_messages_seq_key;
ALTER TABLE meeting_messages ADD CONSTRAINT meeting_messages_seq_key UNIQUE (community_id, seq);
