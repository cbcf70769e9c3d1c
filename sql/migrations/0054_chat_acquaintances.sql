-- Where a community requires assignments (require_enrollment: tutors and the students assigned to
-- them), an expert starts a conversation only with someone they know there: a person they have a
-- meeting with (its user or its student), or one assigned to them (or to a service they give).
-- conversation.start reads the chat context with that fact added (`acquainted`), still in one
-- statement; the rule itself is ChatRules.start's.
CREATE FUNCTION ml_chat_start_context(p_community text, p_test_clock boolean, p_actor text, p_person text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN ml_chat_context(p_community, p_test_clock, p_actor, NULL, NULL, p_person) || jsonb_build_object('acquainted',
        EXISTS (SELECT 1 FROM meetings m WHERE m.community_id = p_community AND m.user_id = p_person AND m.expert_id = p_actor)
        OR EXISTS (SELECT 1 FROM meetings m WHERE m.community_id = p_community AND m.student_id = p_person AND m.expert_id = p_actor)
        OR EXISTS (SELECT 1 FROM enrollments e WHERE e.community_id = p_community AND e.user_id = p_person AND e.expert_id = p_actor)
        OR EXISTS (
            SELECT 1 FROM enrollments e JOIN services s ON s.community_id = e.community_id AND s.id = e.service_id
            WHERE e.community_id = p_community AND e.user_id = p_person
              AND (s.expert_id = p_actor OR EXISTS (
                  SELECT 1 FROM certifications c WHERE c.community_id = s.community_id AND c.service_id = s.id AND c.expert_id = p_actor))));
END $$;
