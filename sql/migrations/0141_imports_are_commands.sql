-- catalog.import_csv becomes a command: the key's and the directory's locks, one read with the
-- actor's row, the file decided in Swift (ImportDecider), one write. With an idempotency key it
-- sent eight statements: the directory's lock and the read each a statement of their own after
-- the actor's.

-- What the file names, as ml_import_context reads it, from the names as written (their keys
-- worked out here, by NameRule.key's SQL twin).
CREATE FUNCTION ml_import_read(p_community text, p_emails text[], p_names text[]) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ml_import_context(p_community, p_emails, ARRAY(SELECT DISTINCT ml_name_key(n) FROM unnest(p_names) n))
$$;
