-- NameRule.key's twin lower-cases names as NameRule.key does in Swift: Unicode's full lower-case
-- mapping, as ICU's root locale gives it, whatever the database's LC_CTYPE. With the database's
-- own mapping the two sides disagreed: PostgreSQL lowers U+0130 (İ) to "i", Swift to "i" and
-- U+0307, so "İzmir" and "i̇zmir" were one service in an import and two for service.create, and an
-- import could update the wrong one. A PostgreSQL built without ICU keeps its own mapping.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        EXECUTE $f$
            CREATE OR REPLACE FUNCTION ml_name_key(p_name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
                SELECT lower(normalize(btrim(p_name,
                    U&'\0009\000A\000B\000C\000D\0020\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'), NFC)
                    COLLATE "und-x-icu")
            $b$
        $f$;
    END IF;
END $$;

-- The index holds keys worked out by the earlier definition.
REINDEX INDEX services_name_key;
