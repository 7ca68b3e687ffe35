"""A column's SET STATISTICS / STORAGE / COMPRESSION / (options) come with the column query.

They were read by a query of their own (a second walk of every column and its type, 0.1-0.2 s
of the server's CPU at 5,000 tables, for a handful of rows); now the column query carries
them in one array when one differs from the default. The truth is the catalog itself: the
query the reader used before, kept here, run on a schema with every kind of setting, a
reset one, a plain view over a table that has them, on 1 and 4 connections.
"""

from __future__ import annotations

import psycopg
import pytest

from schema_audit.model import option_text
from schema_audit.sources import live

SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, a text, b int, c text, d numeric, e text, f int);
ALTER TABLE t ALTER COLUMN a SET STATISTICS 500;
ALTER TABLE t ALTER COLUMN a SET STORAGE EXTERNAL;
ALTER TABLE t ALTER COLUMN b SET (n_distinct = 5, n_distinct_inherited = -0.5);
ALTER TABLE t ALTER COLUMN c SET COMPRESSION pglz;
ALTER TABLE t ALTER COLUMN d SET STORAGE MAIN;
ALTER TABLE t ALTER COLUMN e SET (n_distinct = 7);
ALTER TABLE t ALTER COLUMN e RESET (n_distinct);
ALTER TABLE t ALTER COLUMN f SET STATISTICS 0;
ALTER TABLE t DROP COLUMN id;
CREATE TABLE p (k int, v text) PARTITION BY RANGE (k);
ALTER TABLE p ALTER COLUMN v SET STORAGE PLAIN;
CREATE MATERIALIZED VIEW mv AS SELECT a, b, c FROM t;
ALTER MATERIALIZED VIEW mv ALTER COLUMN b SET STATISTICS 42;
ALTER MATERIALIZED VIEW mv ALTER COLUMN a SET (n_distinct = 3);
CREATE VIEW v AS SELECT a, b, c, d FROM t;
"""

# what the reader ran before (Q_COLUMN_SETTINGS): the relations' kinds, the defaults
BEFORE = """
SELECT c.relname, a.attname, NULLIF(coalesce(a.attstattarget::int, -1), -1),
       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
       CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END, a.attoptions
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname = 'public'
  AND (coalesce(a.attstattarget::int, -1) <> -1 OR a.attstorage <> t.typstorage
       OR a.attcompression IS DISTINCT FROM '' OR a.attoptions IS NOT NULL)"""


def _catalog_settings(dsn: str) -> dict[tuple[str, str], dict[str, int | str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(BEFORE).fetchall()
    out = {}
    for relation, column, statistics, storage, compression, options in rows:
        settings: dict[str, int | str] = {}
        if statistics is not None:
            settings["statistics"] = statistics
        if storage is not None:
            settings["storage"] = live.STORAGE[storage]
        if compression is not None:
            settings["compression"] = compression
        if options:
            settings["options"] = option_text(options)
        out[(relation, column)] = settings
    return out


@pytest.mark.parametrize("jobs", [1, 4])
def test_column_settings_are_the_catalogs(make_db, jobs: int) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("colsettings", SCHEMA)
    model = live.introspect(dsn, jobs=jobs)
    read = {}
    for table in model.tables.values():
        for column in table.columns.values():
            if column.settings is not None:
                read[(table.name, column.name)] = column.settings
    for view in model.views.values():
        for view_column in view.columns:
            if view_column.settings is not None:
                read[(view.name, view_column.name)] = view_column.settings
    assert read == _catalog_settings(dsn)
    assert read[("t", "a")] == {"statistics": 500, "storage": "external"}
    assert read[("t", "b")] == {"options": "n_distinct=5, n_distinct_inherited=-0.5"}
    assert read[("mv", "b")] == {"statistics": 42}
    assert read[("p", "v")] == {"storage": "plain"}
    assert not any(name == "v" for name, _ in read)  # a plain view has none to read
    assert "column settings" not in " ".join(model.blind_spots)


def test_the_column_query_carries_them_no_query_of_their_own() -> None:
    """One walk of pg_attribute per read, not two (the read's round trips: one fewer)."""
    assert "attstattarget" in live.Q_COLUMNS.format(**live.version_fragments(150000), part="")
    readers = [q for q, _ in live._REST] + [p.query for p in live._plan(4)]
    assert not any("attstattarget" in q for q in readers)
