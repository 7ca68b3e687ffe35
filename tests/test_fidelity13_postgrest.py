"""False FAILs PostgREST's fixtures showed (trial13), each in a small history of its own.

Static == live: the history is run with psql's rules (one statement at a time) on a fresh
database, read back, and compared with the static reading of the same text. Real PostgreSQL.
"""

from __future__ import annotations

import psycopg

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def _differences(make_db, statements: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    dsn = make_db("fid13_postgrest")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)
    static = interpret(";\n".join(statements) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    return [str(d) for d in diff_models(live.introspect(dsn), static)]


def test_a_type_written_in_pg_catalog_is_not_searched(make_db) -> None:  # type: ignore[no-untyped-def]
    """``pg_catalog.xml`` beside a view ``test.xml`` under ``SET search_path = test,
    pg_catalog`` is PostgreSQL's xml (it was typed ``test.xml``); a bare ``xml`` there is the
    view's row type."""
    statements = [
        "CREATE SCHEMA test",
        "SET search_path = test, pg_catalog",
        "CREATE VIEW xml AS SELECT 1 AS a",
        "CREATE TABLE docs (id int, body pg_catalog.xml, other xml)",
        "ALTER TABLE docs ADD COLUMN b2 pg_catalog.xml",
        "CREATE TABLE docs2 (id int, t text)",
        "ALTER TABLE docs2 ALTER COLUMN t TYPE pg_catalog.xml USING t::pg_catalog.xml",
        "CREATE DOMAIN dx AS pg_catalog.xml",
        "CREATE FUNCTION fx(x pg_catalog.xml) RETURNS pg_catalog.xml LANGUAGE sql AS 'SELECT x'",
        "CREATE FUNCTION fy(x xml) RETURNS SETOF xml LANGUAGE sql AS 'SELECT x'",
    ]
    assert _differences(make_db, statements) == []
