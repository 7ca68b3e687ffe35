-- expect: rules.SEC001.public.no_policy
CREATE TABLE no_policy (id int PRIMARY KEY);
ALTER TABLE no_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE no_policy FORCE ROW LEVEL SECURITY;
-- not this one: a policy exists
CREATE TABLE guarded (id int PRIMARY KEY);
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON guarded USING (id > 0);
