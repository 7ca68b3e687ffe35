CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
    USING (tenant_id = current_setting('app.current_tenant_id')::bigint);
