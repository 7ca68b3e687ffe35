"""A column's COMMENT comes with the object notes' query, not the column query.

Joined to the column query, pg_description made the planner sort every part's rows for a
merge join (spilling to disk at 5,000 tables) where the index on (attrelid, attnum) gives
them in order. The truth is the catalog (col_description), on tables, partitions, views,
materialized views, a dropped column, a composite type's attribute (no relation of the
model), on 1 and 4 connections.
"""

from __future__ import annotations

import psycopg
import pytest

from schema_audit.sources import live

SCHEMA = """
CREATE TABLE t (a int, b text, gone int, "Odd Name" int);
COMMENT ON COLUMN t.a IS 'the a';
COMMENT ON COLUMN t.gone IS 'dropped with it';
COMMENT ON COLUMN t."Odd Name" IS 'quoted';
ALTER TABLE t DROP COLUMN gone;
CREATE TABLE p (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
COMMENT ON COLUMN p.v IS 'parent v';
COMMENT ON COLUMN p1.k IS 'partition k';
CREATE VIEW v AS SELECT a, b FROM t;
COMMENT ON COLUMN v.b IS 'view b';
CREATE MATERIALIZED VIEW mv AS SELECT a FROM t;
COMMENT ON COLUMN mv.a IS 'matview a';
CREATE TYPE pair AS (x int, y int);
COMMENT ON COLUMN pair.x IS 'a type attribute';
"""

CATALOG = """
SELECT c.relname, a.attname, pg_catalog.col_description(c.oid, a.attnum)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL"""


@pytest.mark.parametrize("jobs", [1, 4])
def test_column_comments_are_the_catalogs(make_db, jobs: int) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("colcomments", SCHEMA)
    with psycopg.connect(dsn) as conn:
        expected = {(r, c): text for r, c, text in conn.execute(CATALOG).fetchall()}
    model = live.introspect(dsn, jobs=jobs)
    read = {
        (table.name, column.name): column.comment
        for table in model.tables.values()
        for column in table.columns.values()
        if column.comment is not None
    }
    read.update(
        {
            (view.name, column.name): column.comment
            for view in model.views.values()
            for column in view.columns
            if column.comment is not None
        }
    )
    assert read == expected
    assert len(expected) == 6


def test_the_column_query_joins_no_comments() -> None:
    """Its parts' rows come in the order of pg_attribute's index, with no sort of their own."""
    assert "pg_description" not in live.Q_COLUMNS
