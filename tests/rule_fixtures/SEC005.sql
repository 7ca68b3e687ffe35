-- expect: rules.SEC005.public.t.reporting+tenant
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, region text);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON t USING (tenant_id = current_setting('app.t')::uuid);
CREATE POLICY reporting ON t FOR SELECT USING (region = 'eu');
