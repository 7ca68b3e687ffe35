-- expect: rules.SEC008.public.open_definer()
CREATE FUNCTION open_definer() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 1 $$;
-- not this one: EXECUTE revoked from PUBLIC
CREATE FUNCTION closed_definer() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION closed_definer() FROM PUBLIC;
