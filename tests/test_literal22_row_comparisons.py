"""Rows compared with ``=``, ``<>`` and IS [NOT] DISTINCT FROM, and ``ROW(old.*)`` in a
trigger's WHEN, read as PostgreSQL 15 stores them.

PostgreSQL's parser compares two rows column by column (make_row_comparison_op,
make_row_distinct_op) and expands ``old.*`` inside a ROW to the table's columns when the
trigger is made: ``WHEN (ROW(old.*) IS DISTINCT FROM ROW(new.*))`` is stored
``(((old.id IS DISTINCT FROM new.id) OR (old.x IS DISTINCT FROM new.x)) OR …)`` (a column
added later is not in it), ``ROW(a, b) = ROW(1, 2)`` in a CHECK ``((a = 1) AND (b = 2))``.
The static reading kept the rows as written: a false FAIL of each against the catalog's spec.
``<`` stays a row comparison (``ROW(old.id, old.x) < ROW(new.id, new.x)``), as stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, compared_with_catalog

from schema_audit import sqlnorm

_TRIGGER = "CREATE TRIGGER {} BEFORE UPDATE ON tw FOR EACH ROW WHEN ({}) EXECUTE FUNCTION f();\n"
WHENS = {
    "t1": "ROW(old.*) IS DISTINCT FROM ROW(new.*)",
    "t2": "ROW(old.*) IS NOT DISTINCT FROM ROW(new.*)",
    "t3": "ROW(old.*) = ROW(new.*)",
    "t4": "ROW(old.*) <> ROW(new.*)",
    "t5": "ROW(old.id, old.x) IS DISTINCT FROM ROW(new.id, new.x)",
    "t6": "(old.id, old.x) IS DISTINCT FROM (new.id, new.x)",
    "t7": "ROW(old.*) < ROW(new.*)",
    "t8": "ROW(old.*)::text <> ROW(new.*)::text",
    "t9": "ROW(old.*) IS DISTINCT FROM ROW(new.id, new.x, new.y)",
    "t10": "ROW(old.id) IS DISTINCT FROM ROW(new.id)",
    "t11": "ROW(old.*, 1) IS DISTINCT FROM ROW(new.*, 2)",
}
FILES = {
    "001_rows.sql": (
        "CREATE TABLE tw (id int, x text, y int,\n"
        "  CHECK (ROW(id, y) = ROW(1, 2) OR (id, y) <> (3, 4)),\n"
        "  CHECK ((id, x) IS NOT DISTINCT FROM (5, 'a')));\n"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        + "".join(_TRIGGER.format(name, when) for name, when in WHENS.items())
        + "ALTER TABLE tw ADD COLUMN z int;\n"
        "CREATE INDEX twi ON tw (id) WHERE (id, y) <> (0, 0);\n"
    ),
}


@PATHS
def test_row_comparisons_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    dsn = make_db("literal22_rows")
    catalog, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, FILES)
    assert [str(d) for d in compared.differences] == []
    assert compared.undecided == []
    assert "old.z" not in str(catalog.tables["public.tw"].triggers["t1"].when)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ROW(a, b) = ROW(c, d)", "ROW(a, b) <> ROW(c, d)"),
        ("ROW(a, b) = ROW(c, d)", "ROW(a, b) IS NOT DISTINCT FROM ROW(c, d)"),
        ("ROW(a, b) IS DISTINCT FROM ROW(c, d)", "ROW(a, b) <> ROW(c, d)"),
        ("ROW(a, b) = ROW(c, d)", "ROW(a, b) = ROW(d, c)"),
        ("ROW(a, b) < ROW(c, d)", "a < c OR b < d"),
    ],
)
def test_different_row_comparisons_stay_different(one: str, other: str) -> None:
    """Each is another condition in PostgreSQL (NULLs, order): never made equal."""
    assert sqlnorm.canonical_expr(one) != sqlnorm.canonical_expr(other)
