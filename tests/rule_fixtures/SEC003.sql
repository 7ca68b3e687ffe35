-- expect: rules.SEC003.public.unforced
CREATE TABLE unforced (id int PRIMARY KEY);
ALTER TABLE unforced ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON unforced USING (id > 0);
-- not this one: forced
CREATE TABLE forced (id int PRIMARY KEY);
ALTER TABLE forced ENABLE ROW LEVEL SECURITY;
ALTER TABLE forced FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON forced USING (id > 0);
