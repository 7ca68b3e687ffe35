"""A view's untyped literals and ``ROW(x.*)`` as PostgreSQL 15 stores them (pg_get_viewdef).

PostgreSQL keeps a view as its analysed query: an untyped literal meeting a column takes the
column's type (``WHERE r > '2'`` over a real column is ``m.r > '2'::real``, ``d < '1 hour'``
over an interval ``m.d < '01:00:00'::interval``, ``n IN ('1', '2')`` over an integer
``m.n = ANY (ARRAY[1, 2])``), and ``x.*`` inside a ROW is the columns of ``x`` when the view
is made (``ROW(t.*)::t`` is ``ROW(t.id, t.x)::t``; a column added later is not in it, though
a cast to the table's type then prints it as NULL: not tested here). The
static text kept both as written: a false FAIL of the view's query against the catalog's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, compared_with_catalog

FILES = {
    "001_views.sql": (
        "CREATE TABLE m (r real, d interval, n int, t timestamptz, dt date);\n"
        "CREATE VIEW lit AS SELECT r FROM m\n"
        "  WHERE r > '2' AND d < '1 hour' AND n > '3' AND '4' >= n AND n IN ('1', '2')\n"
        "  AND n NOT IN ('5', '6') AND r BETWEEN '1' AND '2.5'\n"
        "  AND t > '2024-01-01 02:00+02' AND dt <> '2024-2-3';\n"
        "CREATE TABLE tv (id int, x text);\n"
        "CREATE TABLE tu (id int, y int);\n"
        "CREATE VIEW rows1 AS SELECT ROW(tv.*)::tv AS rr, (tv.*)::tv AS ss FROM tv\n"
        "  WHERE ROW(tv.*) IS NOT NULL AND ROW(tv.*) <> ROW(1, 'a') AND (tv.*, 1) IS NOT NULL;\n"
        "CREATE VIEW rows2 AS SELECT q.* FROM tv AS q(a) WHERE ROW(q.*) = ROW(1, 'b');\n"
        "CREATE VIEW rows3 AS SELECT count(*) FROM tv JOIN tu USING (id)\n"
        "  WHERE ROW(tv.*, tu.*) IS NOT NULL;\n"
        "ALTER TABLE tu ADD COLUMN z int;\n"
    ),
}


@PATHS
def test_view_texts_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    dsn = make_db("literal22_views")
    catalog, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, FILES)
    assert [str(d) for d in compared.differences] == []
    assert compared.undecided == []
    assert "tu.z" not in str(catalog.views["public.rows3"].definition)


ZONELESS = {
    "001_zoneless.sql": (
        "CREATE TABLE m (t timestamptz);\n"
        "CREATE VIEW z AS SELECT t FROM m WHERE t > '2024-01-01 00:00';\n"
    ),
}


@PATHS
def test_a_zoneless_timestamptz_literal_in_a_view_is_never_equal(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """The instant a zoneless literal stands for is the session's: not read as UTC's."""
    dsn = make_db("literal22_zoneless_view")
    _, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, ZONELESS)
    assert [str(d) for d in compared.differences + [u.difference for u in compared.undecided]]
