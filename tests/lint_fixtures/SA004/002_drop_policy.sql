DROP POLICY tenant_isolation ON documents;
-- no such policy at this point of the history: not reported
DROP POLICY IF EXISTS never_created ON documents;
