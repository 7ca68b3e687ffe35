"""A Supabase-style organisation schema, in the style of real CRM migrations seen in the wild:
``USING (organization_id = (SELECT auth.jwt() ->> 'organization_id')::uuid)`` on every tenant
table, one table reading ``auth.jwt()`` the other way round, one with an extra permissive
SELECT policy, one tenant table without RLS. The selector spec (fixtures/supabase_org) gives
the same findings live and statically, and ``init`` on it audits green."""

from __future__ import annotations

import os
from pathlib import Path

from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "supabase_org"
FAILING = {
    "match.org_tables.public.activity_log.columns.organization_id",  # nullable
    "match.org_tables.public.templates.rls",  # templates_public USING (kind = 'public')
    "match.org_tables.public.users.columns.organization_id",
    "match.org_tables.public.users.indexes.leading_organization_id",
    "match.org_tables.public.users.rls",  # no RLS at all
}


def _failing(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in result.findings if f.status == "FAIL"}


def test_org_selector_live_equals_static(make_db) -> None:  # type: ignore[no-untyped-def]
    sql = FIXTURE / "schema.sql"
    dsn = make_db("supaorg", sql.read_text())
    spec = load_spec(FIXTURE / "spec.yaml")
    live = audit(spec, dsn=dsn, rules="none")
    static = audit(spec, sql=sql, rules="none")
    assert _failing(live) == _failing(static) == FAILING
    templates = live.finding("match.org_tables.public.templates.rls")
    assert "templates_public" in templates.message and "templates_org" not in templates.message
    for table in ("activity_log", "alerts"):  # (SELECT auth.jwt() ->> …)::uuid is the predicate
        assert live.finding(f"match.org_tables.public.{table}.rls").status == "PASS"


def test_init_on_the_org_schema_audits_green(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("supainit", (FIXTURE / "schema.sql").read_text())
    env = {**os.environ, "SCHEMA_AUDIT_CACHE": "0"}
    out = tmp_path / "init.yaml"
    made = run_cli("init", "--dsn", dsn, "-o", out, base_env=env)
    assert made.returncode == 0, made.stderr
    assert (
        "# Tenancy: 4 of 6 tables carry organization_id; 1 has no RLS, 3 RLS not forced."
        in out.read_text()
    )
    audited = run_cli("audit", "-s", out, "--dsn", dsn, "-q", base_env=env)
    assert audited.returncode == 0, audited.stdout + audited.stderr
