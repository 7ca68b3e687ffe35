"""Silences and false FAILs of the command line around what it reads (real PostgreSQL).

- ``--schema NAME`` with a migration history was ignored without a word: ``diff`` of a
  history against the database it built, both read with ``--schema app``, listed every
  object outside ``app`` (the live side read only ``app``) and exited 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from schema_audit.cli import app

HISTORY = """
CREATE SCHEMA app;
CREATE TABLE app.invoices (id integer PRIMARY KEY, total numeric NOT NULL);
CREATE TABLE public.legacy (id integer PRIMARY KEY);
CREATE FUNCTION public.helper() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE SEQUENCE public.numbers;
"""


def _history(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(HISTORY)
    return folder


def test_schema_option_restricts_a_static_source_as_it_does_a_live_one(
    make_db, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    dsn = make_db("schemaopt")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(HISTORY)
    folder = _history(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["diff", str(folder), dsn, "--schema", "app", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["differences"] == []
    model = json.loads(
        runner.invoke(app, ["inspect", "--sql", str(folder), "--schema", "app"]).output
    )["model"]
    assert sorted(model["tables"]) == ["app.invoices"]
    assert not model["functions"] and not model["sequences"]


def test_inspect_names_the_migration_folders_it_did_not_read(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A Prisma folder holding only a migration.ts is not read: `audit` says so (a
    `migrations.not-read.…` finding), and `inspect` printed nothing at all."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    root = tmp_path / "prisma" / "migrations"
    (root / "20240101000000_init").mkdir(parents=True)
    (root / "20240101000000_init" / "migration.sql").write_text("CREATE TABLE a (id int);\n")
    (root / "20240102000000_backfill").mkdir()
    (root / "20240102000000_backfill" / "migration.ts").write_text("export default {}\n")
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    result = CliRunner().invoke(app, ["inspect", "--sql", str(tmp_path / "prisma")])
    assert result.exit_code == 0
    assert (
        "schema-audit: warning: not-read: "
        f"{root / '20240102000000_backfill'}: 20240102000000_backfill: no migration.sql; "
        "not read: migration.ts"
    ) in result.stderr
    assert '"public.a"' in result.stdout  # the model itself is unchanged
