"""Relations made temporary by where PostgreSQL 15 creates them, read as PostgreSQL reads them.

``SET search_path = pg_temp, public; CREATE TABLE t`` makes a TEMPORARY table: pg_temp named
first in an explicit search_path is the creation schema, and RangeVarAdjustRelationPersistence
makes a relation created there temporary (UNLOGGED there is refused); ``CREATE TEMP SEQUENCE``
goes to pg_temp as a TEMP TABLE does, and a temporary relation in a named other schema is
refused. All of them are gone when the session ends. The static reading kept ``pg_temp.t``,
``pg_temp.s`` and a temporary table's serial sequences after the session, made ``CREATE TEMP
SEQUENCE s`` a persistent ``public.s`` (a false PASS of ``sequences.s``), and applied ``CREATE
TEMP TABLE public.x`` as a temporary table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, run_and_read, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_temp.sql": (
        "SET search_path = pg_temp, public;\n"
        "CREATE TABLE t (id serial);\n"
        "CREATE TABLE t2 (id int, n text NOT NULL);\n"
        "CREATE SEQUENCE s;\n"
        "CREATE VIEW v AS SELECT id FROM t;\n"
        "CREATE TABLE pg_temp.q (id int);\n"
        "ALTER TABLE t ADD COLUMN w int;\n"  # the temporary t
        "RESET search_path;\n"
        "CREATE TEMP SEQUENCE ts;\n"
        "CREATE TEMPORARY SEQUENCE ts2;\n"
        "CREATE TABLE keep (id int);\n"
    ),
    # a new session: public has no t, no s, no ts (PostgreSQL refuses none of these)
    "002_again.sql": "CREATE TABLE t (id int);\nCREATE SEQUENCE ts;\n",
}

SPEC = """
name: t
tables:
  keep: {}
  q: {}
  t2: {}
views:
  v: {}
sequences:
  s: {}
  ts2: {}
"""


@PATHS
def test_relations_created_in_pg_temp_are_temporary_as_in_postgresql(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    run = run_and_read(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        {"001_temp.sql": FILES["001_temp.sql"]},
        "temp_creation",
    )
    assert "ERROR" not in run.errors, run.errors
    assert sorted(run.catalog.tables) == ["public.keep"]
    assert sorted(run.catalog.sequences) == sorted(run.catalog.views) == []
    assert sorted(run.static.tables) == ["public.keep"]
    assert sorted(run.static.sequences) == sorted(run.static.views) == []
    assert run.differences() == []
    assert run.static.unapplied == []
    wanted = {
        "tables.keep": "PASS",
        "tables.q": "FAIL",
        "tables.t2": "FAIL",
        "views.v": "FAIL",
        "sequences.s": "FAIL",
        "sequences.ts2": "FAIL",  # the reading said PASS: a persistent public.ts2
    }
    assert run.statuses(SPEC, wanted) == wanted


@PATHS
def test_a_later_session_makes_the_names_again_in_public(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("temp_again")
    psql_f(dsn, history, "001_temp.sql", stop=False)
    assert psql_f(dsn, history, "002_again.sql") == ""
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == sorted(catalog.tables) == ["public.keep", "public.t"]
    assert sorted(static.sequences) == sorted(catalog.sequences) == ["public.ts"]
    assert [str(d) for d in compare_models(catalog, static).differences] == []


REFUSED = {
    "001_refused.sql": (
        "SET search_path = pg_temp, public;\n"
        "CREATE UNLOGGED TABLE u (id int);\n"  # only temporary relations in pg_temp
        "CREATE UNLOGGED SEQUENCE us;\n"
        "RESET search_path;\n"
        "CREATE TEMP TABLE public.x (id int);\n"  # a temporary relation in public
        "CREATE TEMP SEQUENCE public.xs;\n"
        "CREATE TEMP VIEW public.xv AS SELECT 1 AS a;\n"
        "CREATE TABLE keep (id int);\n"
    ),
}


@PATHS
def test_temporary_relations_outside_pg_temp_are_refused_as_in_postgresql(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, REFUSED, "temp_refused")
    assert run.errors.count("ERROR") == 5, run.errors
    catalog, static = run.catalog, run.static
    assert sorted(static.tables) == sorted(catalog.tables) == ["public.keep"]
    assert sorted(static.sequences) == sorted(catalog.sequences) == []
    assert sorted(static.views) == sorted(catalog.views) == []
    assert [(u.line, u.kind) for u in static.unapplied] == [
        (2, "error"),
        (3, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
