"""A UNIQUE / PRIMARY KEY constraint whose name an index already has raises duplicate_table.

PostgreSQL 15: ``ALTER TABLE t ADD CONSTRAINT c UNIQUE (y)`` while the index ``c`` (of an
earlier ``UNIQUE`` named c) exists fails with 42P07 ``relation "c" already exists``: the new
index takes the name before the constraint does. The reading raised duplicate_object (the
constraint's 42710), so a DO block's ``EXCEPTION WHEN duplicate_object`` handler caught what
PostgreSQL does not (its action applied: false PASS) and ``WHEN duplicate_table`` missed what
PostgreSQL catches (false FAIL; s17's "Known, not done"). A CHECK of a taken constraint name
still raises duplicate_object, as PostgreSQL does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

# each case alone: a DO block the reading sees fail leaves what follows it undecided
CASES = {
    "unique_caught_as_object": (
        "DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT c UNIQUE (y);\n"
        "EXCEPTION WHEN duplicate_object THEN CREATE TABLE handled (id int); END $$;\n",
        ["public.t"],  # not caught: the block fails (the reading caught it: false PASS)
    ),
    "primary_key_caught_as_table": (
        "DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT c PRIMARY KEY (y);\n"
        "EXCEPTION WHEN duplicate_table THEN CREATE TABLE handled (id int); END $$;\n",
        ["public.handled", "public.t"],  # caught (the reading did not: false FAIL)
    ),
    "check_caught_as_object": (
        "DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT c CHECK (y > 0);\n"
        "EXCEPTION WHEN duplicate_object THEN CREATE TABLE handled (id int); END $$;\n",
        ["public.handled", "public.t"],
    ),
}


@PATHS
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_taken_index_name_raises_duplicate_table(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, case: str
) -> None:
    block, tables = CASES[case]
    files = {
        "001_unique.sql": "CREATE TABLE t (x int, y int);\n"
        "ALTER TABLE t ADD CONSTRAINT c UNIQUE (x);\n" + block
    }
    history = write_history(tmp_path, files)
    dsn = make_db("duplicate_unique")
    psql_f(dsn, history, *files, stop=False)
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == tables
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == tables
    assert [str(d) for d in compare_models(catalog, static).differences] == []
