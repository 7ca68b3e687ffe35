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
from test_time_checks import audited_in_kolkata

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


def _read_as_stored(make_db: Any, name: str, files: dict[str, str], *args: Any) -> Any:
    """The catalog after ``files``, checked to be what the static reading of them makes
    (``args``: tmp_path, monkeypatch, ahead)."""
    catalog, compared = compared_with_catalog(make_db(name), *args, files)
    assert [str(d) for d in compared.differences] == []
    assert compared.undecided == []
    return catalog


@PATHS
def test_view_texts_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    catalog = _read_as_stored(make_db, "literal22_views", FILES, tmp_path, monkeypatch, ahead)
    assert "tu.z" not in str(catalog.views["public.rows3"].definition)


# review22: a derived table's column is its target list's (text here), not the base table's
# behind it (the static reading cast '5' to integer: a false FAIL of each view)
DERIVED = (
    "CREATE TABLE t (n int, s text);\n"
    "CREATE VIEW v4 AS SELECT x.n FROM (SELECT n::text AS n FROM t) x WHERE x.n > '5';\n"
    "CREATE VIEW v4b AS SELECT n FROM (SELECT s AS n FROM t) x WHERE n = '7';\n"
    "CREATE VIEW v4c AS WITH w AS (SELECT n::text AS n FROM t) SELECT n FROM w WHERE n > '5';\n"
    "CREATE VIEW v4d AS SELECT t.n FROM t WHERE EXISTS\n"
    "  (SELECT 1 FROM (SELECT s AS n FROM t) q WHERE q.n = '3');\n"
    "CREATE VIEW v4e AS SELECT t.n FROM t JOIN (SELECT s AS n FROM t) x ON x.n = '1'\n"
    "  WHERE t.n = '2' AND x.n <> '2';\n"
    "CREATE VIEW v4f AS SELECT y.n FROM t, LATERAL (SELECT u.s AS n FROM t u\n"
    "  WHERE u.n > '4' AND u.s = t.s) y WHERE t.n < '9';\n"
    "CREATE VIEW v4g AS SELECT (SELECT z.n FROM (SELECT s AS n FROM t) z WHERE z.n = '8'\n"
    "  LIMIT 1) AS k FROM t WHERE t.n IN ('1', '2');\n"
    "CREATE VIEW v4h AS SELECT t.n FROM t WHERE EXISTS\n"
    "  (SELECT 1 FROM t u WHERE u.s = t.s AND t.n = '6' AND u.n > '0');\n"
    "CREATE VIEW v4i AS SELECT x.n FROM (SELECT n::text AS n FROM t) x\n"
    "  WHERE x.n BETWEEN '1' AND '3' AND x.n IN ('4', '5');\n"
)


@PATHS
def test_a_derived_tables_column_types_a_literal_by_its_own_type(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    files = {"001_views.sql": DERIVED}
    catalog = _read_as_stored(make_db, "fixview22_derived", files, tmp_path, monkeypatch, ahead)
    assert "'5'::text" in str(catalog.views["public.v4"].definition)


ZONELESS = """CREATE TABLE m (t timestamptz, u timestamptz);
CREATE VIEW soon AS SELECT t FROM m WHERE t > '2020-01-01 00:00';
CREATE VIEW other AS SELECT t FROM m WHERE t > '2020-01-01 00:00';
CREATE VIEW fixed AS SELECT t FROM m WHERE t > '2020-01-01 00:00+05:30';
"""

UTC = "'2019-12-31 18:30:00+00'::timestamp with time zone"
ZONELESS_SPEC = f"""
name: a view's date/time literal
views:
  soon:
    definition: "SELECT m.t FROM public.m WHERE m.t > {UTC}"
  other:
    definition: "SELECT m.t FROM public.m WHERE m.u > {UTC}"
  fixed:
    definition: "SELECT m.t FROM public.m WHERE m.t > {UTC}"
"""


def test_a_zoneless_timestamptz_literal_in_a_view_is_deferred(
    pg_server: Any, tmp_path: Path
) -> None:
    """The instant a zoneless literal stands for is the session's (here Asia/Kolkata's):
    statically undecided (DEFERRED, never a guessed PASS or FAIL); the live catalog decides."""
    live, static = audited_in_kolkata(
        pg_server, tmp_path, ZONELESS, ZONELESS_SPEC, "literal22_zoneless"
    )

    def statuses(result: Any) -> dict[str, str]:
        return {f.id: f.status for f in result.findings if f.kind == "view"}

    assert statuses(live) == {
        "views.soon": "PASS",
        "views.other": "FAIL",
        "views.fixed": "PASS",
    }
    assert statuses(static) == {
        "views.soon": "DEFERRED",
        "views.other": "FAIL",  # another column: a difference a file can tell
        "views.fixed": "PASS",
    }
    deferred = static.finding("views.soon")
    assert "the migration's date/time literal has no UTC offset" in deferred.message


@PATHS
def test_diff_keeps_a_zoneless_view_literal_undecided(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """``diff`` (compare_models) of the catalog and the static reading: undecided, not drift."""
    dsn = make_db("literal22_zoneless_diff")
    files = {"001_views.sql": ZONELESS}
    _, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, files)
    assert compared.differences == []
    assert [(u.difference.object, u.difference.session) for u in compared.undecided] == [
        ("view public.other", "right"),
        ("view public.soon", "right"),
    ]
