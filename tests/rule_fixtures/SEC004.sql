-- expect: rules.SEC004.public.wide_open.everyone
CREATE TABLE wide_open (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE wide_open ENABLE ROW LEVEL SECURITY;
ALTER TABLE wide_open FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON wide_open FOR SELECT USING (true);
-- not this one: RESTRICTIVE (true) restricts nothing and opens nothing
CREATE POLICY narrow ON wide_open AS RESTRICTIVE USING (true);
