-- expect: rules.SEC009.public.recent_notes.notes
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notes USING (tenant_id = current_setting('app.tenant')::uuid);
CREATE VIEW recent_notes AS SELECT id, body FROM notes;
-- not these: the caller's rights (created so, or switched later), or a table without RLS
CREATE VIEW invoker_notes WITH (security_invoker = true) AS SELECT id, body FROM notes;
CREATE VIEW switched_notes AS SELECT id FROM notes;
ALTER VIEW switched_notes SET (security_invoker = on);
CREATE TABLE plain (id int PRIMARY KEY);
CREATE VIEW plain_view AS SELECT id FROM plain;
