DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'probe_fixture_app') THEN CREATE ROLE probe_fixture_app NOLOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA public TO probe_fixture_app;
CREATE FUNCTION forbid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;
CREATE TABLE ledger (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL DEFAULT 'x');
GRANT SELECT, INSERT ON ledger TO probe_fixture_app;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION forbid();
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION forbid();

-- no trigger: the application role is held by its grants, the owner is not
CREATE TABLE drafts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL DEFAULT 'x');
GRANT SELECT, INSERT ON drafts TO probe_fixture_app;
