"""A history function (or procedure) with its own ``SET search_path``, called by the history.

``CREATE FUNCTION mk() … SET search_path = x AS $$ … ALTER TABLE t ADD COLUMN b int; … $$``
then ``SELECT mk()``: PostgreSQL 15 runs the body with ``x`` as the search_path (``x.t``
gets ``b``, ``CREATE TABLE made`` makes ``x.made``) and puts the caller's path back when it
returns (a plain ``SET search_path`` in the body would outlast it: such a body is not
run). The static reading did not run such a
body and read what it may change through the caller's path: ``public.t`` was DEFERRED and
``x.t`` PASSed a spec without ``b`` (false PASS); ``x.made`` FAILed. Now a body whose only
setting is a known search_path runs with it; one that is not run (a call per row, other
settings) has its effects read through its own path; an empty path (``SET search_path =
''`` or ``FROM CURRENT``, kept alike) may change anything its body changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_own_path.sql": (
        "CREATE SCHEMA x;\n"
        "CREATE SCHEMA y;\n"
        "CREATE TABLE x.t (a int);\n"
        "CREATE TABLE t (a int);\n"
        "CREATE TABLE x.u (a int);\n"
        "CREATE TABLE u (a int);\n"
        "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql SET search_path = x AS $$\n"
        "BEGIN\n"
        "  ALTER TABLE t ADD COLUMN b int;\n"
        "  CREATE TABLE made (id int);\n"
        "END $$;\n"
        "SELECT mk();\n"
        # the caller's path again: the function's SET clause puts it back
        "CREATE TABLE after_call (id int);\n"
        "CREATE PROCEDURE pr(n text) LANGUAGE plpgsql SET search_path = x AS $$\n"
        "BEGIN EXECUTE format('ALTER TABLE t ADD COLUMN %I int', n); END $$;\n"
        "CALL pr('c');\n"
        # not run (once a row): what it may change is x.u, not public.u
        "CREATE FUNCTION mk2() RETURNS void LANGUAGE plpgsql SET search_path = x AS $$\n"
        "BEGIN ALTER TABLE u ADD COLUMN d int; END $$;\n"
        "SELECT mk2() FROM (VALUES (1)) v (n);\n"
    ),
}

SPEC = """
name: t
tables:
  x.t: {columns: {a: {type: integer}}, exactly: [columns]}
  t: {columns: {a: {type: integer}}, exactly: [columns]}
  x.u: {columns: {a: {type: integer}}, exactly: [columns]}
  x.made: {}
  made: {}
  after_call: {}
"""


@PATHS
def test_a_function_with_its_own_search_path_runs_its_body_with_it(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("own_path")
    assert "ERROR" not in psql_f(dsn, history, *FILES)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    wanted = [
        "public.after_call",
        "public.t",
        "public.u",
        "x.made",
        "x.t",
        "x.u",
    ]
    assert sorted(catalog.tables) == sorted(static.tables) == wanted
    assert list(static.tables["x.t"].columns) == ["a", "b", "c"]
    comparison = compare_models(catalog, static)
    assert [str(d) for d in comparison.differences] == []
    # what mk2 did is undecided: its call was not run
    assert [str(u.difference) for u in comparison.undecided] == [
        "column x.u.d: exists: present vs (absent)"
    ]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted_statuses = {
        "tables.x.t.exactly.columns": "FAIL",  # PostgreSQL: b and c (the reading: PASS)
        "tables.t.exactly.columns": "PASS",
        "tables.x.u.exactly.columns": "DEFERRED",  # PostgreSQL: FAIL (d); not run
        "tables.x.made": "PASS",
        "tables.made": "FAIL",
        "tables.after_call": "PASS",
    }
    assert {k: statuses[k] for k in wanted_statuses} == wanted_statuses


UNKNOWN_PATH = {
    "001_unknown_path.sql": (
        "CREATE SCHEMA x;\n"
        "CREATE SCHEMA y;\n"
        "CREATE TABLE x.t (a int);\n"
        "SET search_path = x;\n"
        "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"
        "BEGIN ALTER TABLE t ADD COLUMN b int; END $$;\n"
        "RESET search_path;\n"
        "CREATE TABLE t (a int);\n"
        "SELECT x.mk();\n"
        # a plain SET in the body outlasts the call (a SET LOCAL would not): not run
        "CREATE FUNCTION mk3() RETURNS void LANGUAGE plpgsql SET search_path = x AS $$\n"
        "BEGIN SET search_path = y; CREATE TABLE made_y (id int); END $$;\n"
        "SELECT mk3();\n"
        # a schema of its path the history never made: PostgreSQL skips it (x.made4)
        "CREATE FUNCTION mk4() RETURNS void LANGUAGE plpgsql SET search_path = nosuch, x AS $$\n"
        "BEGIN CREATE TABLE made4 (id int); END $$;\n"
        "SELECT mk4();\n"
    ),
}


def test_a_function_whose_own_path_is_not_followed_is_not_run(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``search_path=`` is both ``= ''`` and ``FROM CURRENT`` (the session's path when the
    function was made): such a body is not run, and what it changes may be anywhere
    (DEFERRED, never PASS). A body that SETs search_path itself is not run either, nor one
    whose path names a schema the history never made (PostgreSQL skips it)."""
    history = write_history(tmp_path, UNKNOWN_PATH)
    dsn = make_db("unknown_path")
    assert "ERROR" not in psql_f(dsn, history, *UNKNOWN_PATH)
    catalog = live.introspect(dsn)
    assert list(catalog.tables["x.t"].columns) == ["a", "b"]
    assert "y.made_y" in catalog.tables
    assert "x.made4" in catalog.tables
    static = read_history(history, monkeypatch, ahead=False)
    assert [(u.line, u.kind) for u in static.unapplied] == [
        (9, "dynamic"),
        (12, "dynamic"),
        (15, "dynamic"),
    ]
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ntables:\n  x.t: {columns: {a: {type: integer}}, exactly: [columns]}\n"
    )
    assert audit_statuses(spec, history)["tables.x.t.exactly.columns"] == "DEFERRED"
