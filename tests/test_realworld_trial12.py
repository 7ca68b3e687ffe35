"""Real-world trial (thirteenth session, trial12): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from schema_audit.cli import app


def _runner(pg_server: Any) -> str:
    """The role the tests' databases are built as (it owns what their SQL creates)."""
    with psycopg.connect(pg_server.admin_dsn) as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


def _auth_schema(runner: str) -> str:
    """Supabase Auth's (GoTrue's) form: its own schema and tables, RLS on, and SELECT granted
    WITH GRANT OPTION to the role that runs the migrations (`postgres` there), so that role may
    grant reads on to others."""
    return f"""
        CREATE SCHEMA auth;
        CREATE TABLE auth.users (id uuid NOT NULL PRIMARY KEY, email varchar(255));
        ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON auth.users TO {runner} WITH GRANT OPTION;
    """


def test_a_grant_to_a_role_that_may_own_the_table_is_not_extra(
    make_db: Any, pg_server: Any, tmp_path: Path
) -> None:
    """PostgreSQL folds the owner's GRANT to itself into the owner's own ACL entry, which no
    spec lists; a static reading does not know who runs the history (who owns its tables), so
    `exactly: [privileges]` of `init --dsn`'s spec FAILed the history's grant to the owner the
    spec names as extra (false FAIL, supabase/auth: 11 tables), while the owner itself was
    DEFERRED. It is DEFERRED now, as the owner is; a grant to another role still FAILs."""
    sql = _auth_schema(_runner(pg_server))
    dsn = make_db("trial12_auth_extra", sql)
    spec = tmp_path / "spec.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--dsn", dsn, "-o", str(spec)]).exit_code == 0
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_auth.sql").write_text(sql)
    result = runner.invoke(app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"])
    statuses = {f["id"]: f["status"] for f in json.loads(result.output)["findings"]}
    assert statuses["tables.auth.users.exactly.privileges"] == "DEFERRED"
    assert "FAIL" not in {s for i, s in statuses.items() if not i.startswith("rules.")}
    (history / "002_public.sql").write_text("GRANT SELECT ON auth.users TO PUBLIC;\n")
    result = runner.invoke(app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"])
    findings = {f["id"]: f for f in json.loads(result.output)["findings"]}
    strict = findings["tables.auth.users.exactly.privileges"]
    assert strict["status"] == "FAIL"
    assert "public SELECT" in strict["message"]
