-- expect: rules.SEC007.public.definer()
CREATE FUNCTION definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION definer() FROM PUBLIC;
-- not this one: search_path pinned
CREATE FUNCTION pinned() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION pinned() FROM PUBLIC;
