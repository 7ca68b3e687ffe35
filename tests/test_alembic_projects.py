"""Alembic projects laid out as real ones are: package:path scripts, several version
locations, revisions that rely on env.py's imports; SQL runners with their own search_path."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

from schema_audit.modeldiff import diff_models
from schema_audit.sources import alembic as alembic_source
from schema_audit.sources import live
from schema_audit.sources.sqlfile import load_sql

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETTINGS = FIXTURES / "alembic_settings"


def test_package_script_location_version_locations_and_env_imports(
    make_db, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in [m for m in list(sys.modules) if m.startswith("mypkg")]:
        monkeypatch.delitem(sys.modules, name)  # as in a fresh process: nothing imported yet
    history = alembic_source.render_history(SETTINGS)
    assert [(r.revision, r.error) for r in history.revisions] == [("0001", None), ("0002", None)]
    assert [r.file for r in history.revisions] == [
        "alembic_settings/src/mypkg/db/migrations/versions/0001_tenants.py",
        "alembic_settings/src/mypkg/db/extra_versions/0002_users.py",
    ]
    # env.py's settings import needs the app's environment: noted, never fatal
    notes = [i for i in history.findings if i.code == "env-import"]
    assert [(n.line, n.severity) for n in notes] == [(7, "info")]
    static = alembic_source.model_from_history(history)
    # PostgreSQL, given the SQL Alembic rendered, builds the same schema
    dsn = make_db("settings")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for rev in history.revisions:
            for stmt in rev.statements:
                conn.execute(stmt.sql)
    live_model = live.introspect(dsn)
    assert [str(d) for d in diff_models(live_model, static)] == []
    assert static.tables["public.users"].columns["tenant_id"].type == "uuid"


def test_without_env_imports_the_revisions_would_not_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alembic_source, "_env_imports", lambda project, issues: None)
    for name in [m for m in list(sys.modules) if m.startswith("mypkg")]:
        monkeypatch.delitem(sys.modules, name)
    history = alembic_source.render_history(SETTINGS)
    errors = [r.error for r in history.revisions]
    assert all(e and "AttributeError" in e for e in errors), errors


STORAGE = """-- supabase storage style: the runner sets search_path to storage, public
CREATE TABLE buckets (
    id text PRIMARY KEY,
    name text NOT NULL,
    owner uuid
);
CREATE TABLE objects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bucket_id text REFERENCES buckets (id),
    name text
);
CREATE INDEX bucketid_objname ON objects USING btree (bucket_id, name);
"""


def test_search_path_for_sql_sources_resolves_unqualified_names(tmp_path: Path, make_db) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "storage_migrations"
    folder.mkdir()
    (folder / "0001-initialmigration.sql").write_text(STORAGE)
    dsn = make_db("storage")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA storage")
        conn.execute("SET search_path TO storage, public")
        conn.execute(STORAGE)
    live_model = live.introspect(dsn)
    static = load_sql(folder, search_path=["storage", "public"])
    static.schemas.setdefault("storage", None)
    assert set(static.tables) == {"storage.buckets", "storage.objects"}
    differences = [str(d) for d in diff_models(live_model, static)]
    assert differences == []
    assert set(load_sql(folder).tables) == {"public.buckets", "public.objects"}  # the default


def test_an_alembic_ini_path_names_the_project_in_every_command() -> None:
    from typer.testing import CliRunner

    from schema_audit.cli import app

    runner = CliRunner()
    ini = str(SETTINGS / "alembic.ini")
    inspect = runner.invoke(app, ["inspect", "-m", ini])
    assert inspect.exit_code == 0 and '"public.users"' in inspect.output
    lint = runner.invoke(app, ["lint-migrations", ini])
    assert lint.exit_code == 0 and "(alembic, 2 revisions)" in lint.output, lint.output
    diff = runner.invoke(app, ["diff", ini, str(SETTINGS)])
    assert diff.exit_code == 0 and "0 difference(s) between alembic" in diff.output, diff.output
