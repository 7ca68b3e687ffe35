-- one statement, two findings, in the statement's order
ALTER TABLE documents NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- turning it on is not reported
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
