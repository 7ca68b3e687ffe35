"""``SELECT … INTO t`` makes the table t, as CREATE TABLE AS does.

PostgreSQL reads ``SELECT id, name INTO dst FROM src`` as ``CREATE TABLE dst AS SELECT id,
name FROM src`` (``INTO UNLOGGED``, ``INTO TEMP`` alike). The static reading took it for a
query ("SELECT: does not alter the schema"): ``dst`` was missing from the model, a spec
requiring it FAILed and ``init --sql`` left it out without a word. It is now the table
CREATE TABLE AS makes: its columns by name, their types left open (DEFERRED) as for
CREATE TABLE AS, and a later statement on it applies. Over an existing table both are
refused, and so is a DO block's ``EXECUTE 'SELECT … INTO t'``, as PostgreSQL refuses them
(CREATE TABLE AS replaced the table). Compared with PostgreSQL 15.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_src.sql": "CREATE TABLE src (id int PRIMARY KEY, name text NOT NULL);\n",
    "002_copy.sql": (
        "SELECT id, name INTO dst FROM src;\n"
        "SELECT * INTO UNLOGGED dst2 FROM src WHERE false;\n"
        "SELECT 1 AS n INTO TEMP gone;\n"
        "ALTER TABLE dst ADD PRIMARY KEY (id);\n"
    ),
    # over an existing table both are refused (CREATE TABLE AS replaced it: a false PASS)
    "003_again.sql": (
        "SELECT 1 AS b INTO src;\nCREATE TABLE src AS SELECT 1 AS b;\n"
        "CREATE TABLE IF NOT EXISTS dst AS SELECT 2 AS z;\n"
    ),
    # PL/pgSQL's EXECUTE refuses it ("EXECUTE of SELECT ... INTO is not implemented")
    "004_do.sql": "DO $$ BEGIN EXECUTE 'SELECT 1 AS n INTO tx'; END $$;\n",
}


@PATHS
def test_select_into_makes_the_table(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("selectinto")
    errors = psql_f(dsn, history, *sorted(FILES), stop=False)
    assert errors.count('relation "src" already exists') == 2
    assert "EXECUTE of SELECT ... INTO is not implemented" in errors
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == ["public.dst", "public.dst2", "public.src"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.dst", "public.dst2", "public.src"]
    assert list(static.tables["public.dst"].columns) == ["id", "name"]
    assert static.tables["public.dst2"].unlogged
    assert list(static.tables["public.src"].columns) == ["id", "name"]
    refused = [(u.file, u.line, u.kind) for u in static.statements_unapplied()]
    assert refused == [
        ("history/003_again.sql", 1, "error"),
        ("history/003_again.sql", 2, "error"),
        ("history/004_do.sql", 1, "error"),
    ]
    # (the columns' types are the query's: undecided statically, as for CREATE TABLE AS)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ntables:\n  dst:\n    columns:\n      id: {nullable: false}\n"
        "      name: {nullable: true}\n  dst2: {}\n"
    )
    statuses = audit_statuses(spec, history)
    wanted = {"tables.dst": "PASS", "tables.dst2": "PASS", "tables.dst.columns.id": "PASS"}
    assert {k: statuses[k] for k in wanted} == wanted  # each FAILed: no such table
