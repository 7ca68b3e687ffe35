DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'probe_fixture_app') THEN CREATE ROLE probe_fixture_app NOLOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA public TO probe_fixture_app;
CREATE TABLE documents (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint NOT NULL, body text NOT NULL);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant ON documents
    USING (tenant_id = current_setting('app.current_tenant_id', true)::bigint);
GRANT SELECT, INSERT ON documents TO probe_fixture_app;

-- a second permissive policy is OR-ed with the first: every row is visible
CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint NOT NULL, body text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes
    USING (tenant_id = current_setting('app.current_tenant_id', true)::bigint);
CREATE POLICY notes_debug ON notes USING (true);
GRANT SELECT, INSERT ON notes TO probe_fixture_app;
