-- Written as the role meetingd connects as (plain INSERT, UPDATE and DELETE, as a bug in the
-- service could), the database took:
--   - a series given to another user (who then paid for it), a cancelled series made active
--     again (a new occurrence booked and held), or its length changed (a longer, dearer meeting
--     booked);
--   - a finance role's row moved to another community or made platform-wide (the role then read
--     another community's ledger);
--   - a conversation handed to another user (who then read the first one's messages);
--   - a service of one expert given to another, or a shared service made someone's own (search
--     offered meetings the request then refused); a certification in another expert's own
--     service;
--   - weekly hours with a weekday 9 or a time 25:00, or in a zone no one knows (every search in
--     the community answered an internal error), and hours or free periods at a location of
--     another community or at a location deleted (search offered what the request refused);
--   - a student link marked as made both ways before the one-way rule, beside its reverse.
-- Each is now a rule of its table: a row's identity and terms stay (55000), and what is written
-- has the shape and the references the service's rules give it (23514 with the rule's name).
-- The service's decisions check all of them first (a caller meets those errors); these are the
-- floor beneath them. None is on a booking's or a grant's path but a series' creation.

-- A zone PostgreSQL can read a time in (a name of its list, or a form it reads as one): every
-- zone the service accepts (TimeZoneNames) is one.
CREATE FUNCTION ml_zone_is_readable(p_zone text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE p_zone;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END $$;

-- Every location id of `p_ids` is a location of the community.
CREATE FUNCTION ml_locations_of_the_community(p_community text, p_ids text[]) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM unnest(p_ids) AS i(id)
        WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE l.community_id = p_community AND l.id = i.id))
$$;

-- The refusal of a rule of the rows of a table: the row (its id, or its keys), what the rule
-- keeps (TG_ARGV[0]) and what was refused (TG_ARGV[1]).
CREATE FUNCTION ml_refuse_row_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_row jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN v_row := to_jsonb(NEW); ELSE v_row := to_jsonb(OLD); END IF;
    RAISE EXCEPTION '% % %: %', TG_TABLE_NAME,
        coalesce(v_row ->> 'id', v_row ->> 'role_name', (v_row ->> 'customer_id') || ' to ' || (v_row ->> 'student_id'), 'row'), TG_ARGV[0], TG_ARGV[1]
        USING ERRCODE = '55000', TABLE = TG_TABLE_NAME;
END $$;

-- A series keeps its people, service, place, zone, dates and length; it runs on (its next
-- occurrence only later) until it is cancelled, and a cancelled series stays cancelled.
CREATE TRIGGER series_keep_their_terms BEFORE UPDATE ON series FOR EACH ROW
    WHEN ((OLD.community_id, OLD.id, OLD.user_id, OLD.expert_id, OLD.student_id, OLD.service_id, OLD.location_id, OLD.time_zone,
           OLD.first_date, OLD.local_minutes, OLD.length_minutes, OLD.weeks, OLD.created_at)
          IS DISTINCT FROM (NEW.community_id, NEW.id, NEW.user_id, NEW.expert_id, NEW.student_id, NEW.service_id, NEW.location_id, NEW.time_zone,
           NEW.first_date, NEW.local_minutes, NEW.length_minutes, NEW.weeks, NEW.created_at)
          OR NEW.next_index < OLD.next_index
          OR (OLD.status = 'cancelled' AND (NEW.status, NEW.cancelled_at) IS DISTINCT FROM (OLD.status, OLD.cancelled_at)))
    EXECUTE FUNCTION ml_refuse_row_rewrite(
        'keeps its people, service, location, zone, dates and length, its next occurrence only moves on, and a cancelled series stays cancelled',
        'UPDATE refused');

CREATE FUNCTION ml_series_zone_is_readable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ml_zone_is_readable(NEW.time_zone) THEN
        RAISE EXCEPTION 'series % is in zone %, which is not a time zone', NEW.id, NEW.time_zone
            USING ERRCODE = '23514', TABLE = 'series', CONSTRAINT = 'series_zone_is_a_time_zone';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER series_zone_is_a_time_zone BEFORE INSERT ON series FOR EACH ROW EXECUTE FUNCTION ml_series_zone_is_readable();

-- A finance role reads the community it was made for (or every community, when made so); only
-- the role it names is found again after a restore (role_oid).
CREATE TRIGGER finance_roles_keep_their_scope BEFORE UPDATE ON finance_roles FOR EACH ROW
    WHEN ((OLD.role_name, OLD.community_id, OLD.platform_wide, OLD.created_at)
          IS DISTINCT FROM (NEW.role_name, NEW.community_id, NEW.platform_wide, NEW.created_at))
    EXECUTE FUNCTION ml_refuse_row_rewrite('keeps its name and the community it reads', 'UPDATE refused (drop the role and make another)');

-- A conversation stays its user's and expert's; its count of messages only grows. (The time of
-- its latest message follows the community's clock, which a test clock may set back.)
CREATE TRIGGER conversations_keep_their_pair BEFORE UPDATE ON conversations FOR EACH ROW
    WHEN ((OLD.community_id, OLD.id, OLD.user_id, OLD.expert_id, OLD.started_by, OLD.created_at)
          IS DISTINCT FROM (NEW.community_id, NEW.id, NEW.user_id, NEW.expert_id, NEW.started_by, NEW.created_at)
          OR NEW.message_count < OLD.message_count)
    EXECUTE FUNCTION ml_refuse_row_rewrite('keeps its two people, and its count of messages only grows', 'UPDATE refused');

-- A service keeps its kind and its expert (imports refuse the change too: its certifications and
-- meetings rest on them).
CREATE TRIGGER services_keep_their_kind_and_expert BEFORE UPDATE ON services FOR EACH ROW
    WHEN ((OLD.community_id, OLD.id, OLD.kind, OLD.expert_id) IS DISTINCT FROM (NEW.community_id, NEW.id, NEW.kind, NEW.expert_id))
    EXECUTE FUNCTION ml_refuse_row_rewrite('keeps its kind and its expert', 'UPDATE refused (give the new kind a service of another name)');

-- An expert's own service is theirs alone: certifications are in shared services, or in one's own.
CREATE FUNCTION ml_certification_in_an_offered_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM services s
        WHERE s.community_id = NEW.community_id AND s.id = NEW.service_id AND s.kind = 'expert_specific' AND s.expert_id <> NEW.expert_id) THEN
        RAISE EXCEPTION 'service % is another expert''s own service: % is not certified in it', NEW.service_id, NEW.expert_id
            USING ERRCODE = '23514', TABLE = 'certifications', CONSTRAINT = 'certifications_not_in_another_experts_service';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER certifications_not_in_another_experts_service BEFORE INSERT OR UPDATE ON certifications FOR EACH ROW
    EXECUTE FUNCTION ml_certification_in_an_offered_service();

-- A location is retired (active false), never deleted: meetings, series and hours name it.
CREATE TRIGGER locations_are_retired_not_deleted BEFORE DELETE ON locations FOR EACH ROW
    EXECUTE FUNCTION ml_refuse_row_rewrite('is retired (location.update active false), never deleted', 'DELETE refused');

-- Free periods name locations of their community.
CREATE FUNCTION ml_period_at_its_communitys_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ml_locations_of_the_community(NEW.community_id, NEW.location_ids) THEN
        RAISE EXCEPTION 'availability period % names locations % of which some are not locations of community %', NEW.id, NEW.location_ids, NEW.community_id
            USING ERRCODE = '23514', TABLE = 'availability_periods', CONSTRAINT = 'availability_periods_at_the_communitys_locations';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER availability_periods_at_the_communitys_locations BEFORE INSERT OR UPDATE ON availability_periods FOR EACH ROW
    EXECUTE FUNCTION ml_period_at_its_communitys_locations();

-- Weekly hours are windows of a weekday 1 (Monday) to 7, from HH:MM to a later HH:MM (24:00
-- ends a day), at locations of the community, in a zone (WeeklyRule, WeeklyHoursRules).
CREATE FUNCTION ml_weekly_hours_hold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_rule jsonb;
    v_time text := '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
BEGIN
    FOR v_rule IN SELECT r FROM jsonb_array_elements(NEW.rules) AS r LOOP
        IF NOT coalesce(
            jsonb_typeof(v_rule) = 'object'
            AND jsonb_typeof(v_rule -> 'weekday') = 'number' AND (v_rule ->> 'weekday')::numeric IN (1, 2, 3, 4, 5, 6, 7)
            AND jsonb_typeof(v_rule -> 'start') = 'string' AND v_rule ->> 'start' ~ v_time
            AND jsonb_typeof(v_rule -> 'end') = 'string' AND v_rule ->> 'end' ~ v_time
            AND v_rule ->> 'start' < v_rule ->> 'end'
            AND coalesce(jsonb_typeof(v_rule -> 'location_ids'), 'array') = 'array'
            AND ml_locations_of_the_community(
                NEW.community_id, ARRAY(SELECT jsonb_array_elements_text(coalesce(v_rule -> 'location_ids', '[]')))), false) THEN
            RAISE EXCEPTION 'weekly hours of % hold a window % that is not a weekday 1 to 7 from HH:MM to a later HH:MM at locations of the community',
                NEW.expert_id, v_rule USING ERRCODE = '23514', TABLE = 'weekly_schedules', CONSTRAINT = 'weekly_schedules_windows_hold';
        END IF;
    END LOOP;
    IF NOT ml_zone_is_readable(NEW.time_zone) THEN
        RAISE EXCEPTION 'weekly hours of % are in zone %, which is not a time zone', NEW.expert_id, NEW.time_zone
            USING ERRCODE = '23514', TABLE = 'weekly_schedules', CONSTRAINT = 'weekly_schedules_zone_is_a_time_zone';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER weekly_schedules_hold BEFORE INSERT OR UPDATE ON weekly_schedules FOR EACH ROW EXECUTE FUNCTION ml_weekly_hours_hold();

-- A link is made one way (0143); only the links made both ways before that rule carry the mark,
-- and a link is made and removed, never rewritten.
CREATE TRIGGER student_links_made_one_way BEFORE INSERT ON student_links FOR EACH ROW WHEN (NEW.linked_both_ways_before)
    EXECUTE FUNCTION ml_refuse_row_rewrite('are made one way: only links made both ways before that rule carry linked_both_ways_before', 'INSERT refused');
CREATE TRIGGER student_links_not_rewritten BEFORE UPDATE ON student_links FOR EACH ROW
    EXECUTE FUNCTION ml_refuse_row_rewrite('are made and removed, never rewritten', 'UPDATE refused');
