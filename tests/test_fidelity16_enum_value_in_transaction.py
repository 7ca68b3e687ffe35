"""A new enum value used before the COMMIT of the transaction that added it.

PostgreSQL 15 (``psql -f``): ``BEGIN; ALTER TYPE mood ADD VALUE 'c'; CREATE TABLE n (x mood
DEFAULT 'c'); COMMIT;`` refuses the CREATE ("unsafe use of new value "c" of enum type
mood"), the transaction aborts and neither the label nor the table stays. The static
reading applied both (false PASS of ``tables.n`` and of the labels; s17's "Known, not
done"). What the text decides (a cast to the type, a DEFAULT of a column of the type) now
leaves the transaction out; a quoted label used where only the column's type decides
(``SET DEFAULT 'd'``) defers it; a label named by a later ADD VALUE or RENAME VALUE, or
a text column's default, is no use and the transaction stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_enum.sql": (
        "CREATE TYPE mood AS ENUM ('a', 'b');\n"
        "CREATE TABLE m (x mood);\n"
        "BEGIN;\n"
        "ALTER TYPE mood ADD VALUE 'c';\n"
        "CREATE TABLE n (x mood DEFAULT 'c');\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "ALTER TYPE mood ADD VALUE 'd';\n"
        "ALTER TABLE m ALTER COLUMN x SET DEFAULT 'd';\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "CREATE TYPE tone AS ENUM ('x');\n"
        "ALTER TYPE tone ADD VALUE 'y';\n"
        "CREATE TABLE o (t tone CHECK (t <> 'y'::tone));\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "ALTER TYPE mood ADD VALUE 'g';\n"
        "ALTER TYPE mood ADD VALUE 'h' AFTER 'g';\n"
        "ALTER TYPE mood RENAME VALUE 'g' TO 'gg';\n"
        "CREATE TABLE q (x text DEFAULT 'h', y mood DEFAULT 'a');\n"
        "COMMIT;\n"
    ),
}

SPEC = """
name: t
enums:
  mood: {values: [a, b, gg, h]}
tables:
  n: {}
  o: {}
  q: {}
  m: {columns: {x: {default: null}}}
"""


@PATHS
def test_a_new_enum_value_used_before_its_commit_aborts_the_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("enum_commit")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert errors.count("unsafe use of new value") == 3, errors
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == ["public.m", "public.q"]
    assert catalog.enums["public.mood"].labels == ["a", "b", "gg", "h"]
    assert "public.tone" not in catalog.enums
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.m", "public.q"]
    assert static.enums["public.mood"].labels == ["a", "b", "gg", "h"]
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    kinds = [(u.line, u.kind) for u in static.unapplied]
    assert kinds == [
        (4, "data"),
        (5, "error"),
        (8, "unsupported"),
        (9, "unsupported"),
        (12, "data"),
        (13, "data"),
        (14, "error"),
    ], kinds
    assert "unsafe use of new value" in static.unapplied[1].reason
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted = {
        "tables.n": "FAIL",
        "tables.o": "FAIL",
        "tables.q": "PASS",
        "tables.m.columns.x": "DEFERRED",  # PostgreSQL: PASS (no default); the text: undecided
        "enums.mood": "DEFERRED",  # (the 'd' of the deferred transaction)
    }
    assert {k: statuses[k] for k in wanted} == wanted
