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
