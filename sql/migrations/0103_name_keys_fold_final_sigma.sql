-- One rule for service names, kept by the database as NameRule.key keeps it in Swift.
--
-- ICU lower-cases a capital sigma by where it stands in a word ("ΟΔΟΣ" → "οδος", final "ς"),
-- Swift's full mapping always to "σ" ("οδοσ"), so an import (keyed in Swift) created "οδος"
-- beside "ΟΔΟΣ" where service.create (keyed here) refused it. Both keys now read the final
-- sigma as "σ".
--
-- And the database's guard was another rule again: a unique index on lower(name), lower-cased
-- by the database's own LC_CTYPE, to which "İstanbul" and "ISTANBUL" are one name (and to the
-- key two), so an import that planned to create one beside the other ended in an internal
-- error, and service.create said only "another service". The guard is now the key itself: a
-- unique index on ml_name_key(name). A database holding two services one key names already
-- (stored before these rules) keeps the old guards; service.create and the imports still
-- refuse a new one by the key under the community's directory lock.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        EXECUTE $f$
            CREATE OR REPLACE FUNCTION ml_name_key(p_name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
                SELECT replace(lower(normalize(btrim(p_name,
                    U&'\0009\000A\000B\000C\000D\0020\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'), NFC)
                    COLLATE "und-x-icu"), U&'\03C2', U&'\03C3')
            $b$
        $f$;
    ELSE
        EXECUTE $f$
            CREATE OR REPLACE FUNCTION ml_name_key(p_name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
                SELECT replace(lower(normalize(btrim(p_name,
                    U&'\0009\000A\000B\000C\000D\0020\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'), NFC)),
                    U&'\03C2', U&'\03C3')
            $b$
        $f$;
    END IF;
END $$;

-- The index holds keys worked out by the earlier definition.
REINDEX INDEX services_name_key;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM services GROUP BY community_id, ml_name_key(name) HAVING count(*) > 1) THEN
        DROP INDEX services_name_key;
        DROP INDEX services_name;
        CREATE UNIQUE INDEX services_name_key ON services (community_id, ml_name_key(name));
    END IF;
END $$;
