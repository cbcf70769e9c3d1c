-- ml_number_sequence names a community's counter with format(), which PostgreSQL declares
-- STABLE; a function declared IMMUTABLE around a STABLE body is never inlined, so every row that
-- takes a number (a transfer, a meeting event, an outbox message, a chat message: four or more
-- per booking step) called it as a function of its own (about 10 µs each). Declared STABLE, as
-- its body is, the planner writes its expression into ml_take_number's and the call is gone.
ALTER FUNCTION ml_number_sequence(text, text) STABLE;
