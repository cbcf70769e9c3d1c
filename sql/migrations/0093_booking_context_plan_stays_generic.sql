-- 0092 redefined ml_booking_context with CREATE OR REPLACE, which resets a function's settings:
-- its plan is generic again, as 0052 set it and 0067 and 0069 kept it (otherwise PostgreSQL plans
-- the context read anew on every booking step, search and series date).
ALTER FUNCTION ml_booking_context(text, boolean, text, text, text, text, text[], timestamptz, timestamptz, text)
    SET plan_cache_mode = force_generic_plan;
