"""Real-world trial (twelfth session, trial11): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares the catalog with the static reading of the same SQL."""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

# Row-level security in a schema of the project's own (a Supabase-style app schema): policies
# calling the schema's functions unqualified under `SET search_path = app, public`, with and
# without a subquery (read from the parser's plain data and through the tree), and ALTER POLICY.
OWN_SCHEMA_POLICIES = """
    CREATE SCHEMA app;
    SET search_path = app, public;
    CREATE FUNCTION is_member(org_id INTEGER) RETURNS BOOLEAN AS $$ SELECT TRUE $$
      LANGUAGE SQL STABLE SECURITY DEFINER;
    CREATE FUNCTION current_org() RETURNS INTEGER AS $$ SELECT 1 $$ LANGUAGE SQL STABLE;
    CREATE TABLE organization (id INTEGER PRIMARY KEY, owner INTEGER);
    CREATE TABLE document (id INTEGER PRIMARY KEY, org_id INTEGER);
    ALTER TABLE document ENABLE ROW LEVEL SECURITY;
    CREATE POLICY document_read ON document FOR SELECT USING (is_member(org_id));
    CREATE POLICY document_insert ON document FOR INSERT
      WITH CHECK (is_member(org_id) AND org_id > 0);
    CREATE POLICY document_update ON document FOR UPDATE USING (org_id IN (
      SELECT id FROM organization WHERE is_member(id) AND owner = current_org()));
    CREATE POLICY document_delete ON document FOR DELETE USING (TRUE);
    ALTER POLICY document_delete ON document USING (org_id = current_org());
"""


def test_policies_call_own_schema_functions_as_the_catalog_prints_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """`USING (is_member(org_id))` written under `SET search_path = app, public` is printed
    `app.is_member(org_id)` by the catalog (read with an empty search_path), and a subquery's
    `FROM organization` is printed `FROM app.organization`; the static reading kept both bare,
    so each such policy FAILed a static audit against the database's spec (false FAIL) and
    differed in `diff`. CHECKs, index expressions, defaults and generated columns were
    qualified already (trial10); policies were left."""
    dsn = make_db("trial11_policies", OWN_SCHEMA_POLICIES)
    static = interpret(OWN_SCHEMA_POLICIES)
    policies = static.tables["app.document"].policies
    assert policies["document_read"].using == "app.is_member(org_id)"
    assert policies["document_delete"].using == "org_id = app.current_org()"
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
