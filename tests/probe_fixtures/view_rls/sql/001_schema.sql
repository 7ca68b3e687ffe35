DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'probe_fixture_app') THEN CREATE ROLE probe_fixture_app NOLOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA public TO probe_fixture_app;
CREATE TABLE documents (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint NOT NULL, body text NOT NULL DEFAULT 'x');
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant ON documents
    USING (tenant_id = current_setting('app.current_tenant_id', true)::bigint);
GRANT SELECT, INSERT ON documents TO probe_fixture_app;
-- with its owner's rights (the migration runner, a superuser here): every tenant's rows
CREATE VIEW documents_overview AS SELECT id, tenant_id, body FROM documents;
GRANT SELECT ON documents_overview TO probe_fixture_app;
-- as the invoker: the table's policies apply to the reader
CREATE VIEW documents_mine WITH (security_invoker = true) AS SELECT id, tenant_id, body FROM documents;
GRANT SELECT ON documents_mine TO probe_fixture_app;
