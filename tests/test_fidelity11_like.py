"""`CREATE TABLE … (LIKE source INCLUDING INDEXES / COMMENTS / ALL)` read statically as
PostgreSQL 15 makes it (fidelity11): the source's primary key, UNIQUE and EXCLUDE
constraints and indexes, named anew from the new table's name, and with INCLUDING COMMENTS
their comments. The static model of the SQL must equal the catalog after running it."""

from __future__ import annotations

from init_mutations import history_audit_of_database_spec

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

LIKE = """
    CREATE TABLE t (
      id INTEGER PRIMARY KEY,
      name TEXT CHECK (name <> ''),
      v INTEGER,
      w INTEGER CONSTRAINT t_w_key UNIQUE,
      during INT4RANGE,
      EXCLUDE USING gist (during WITH &&)
    );
    CREATE INDEX t_name ON t (name);
    CREATE UNIQUE INDEX t_v ON t (v) INCLUDE (w) WHERE v > 0;
    CREATE INDEX ON t ((lower(name)));
    COMMENT ON COLUMN t.name IS 'the name';
    COMMENT ON CONSTRAINT t_name_check ON t IS 'nonempty';
    COMMENT ON CONSTRAINT t_w_key ON t IS 'one w';
    COMMENT ON CONSTRAINT t_pkey ON t IS 'the key';
    COMMENT ON INDEX t_name IS 'by name';
    CREATE TABLE c (LIKE t INCLUDING ALL);
    CREATE TABLE d (LIKE t INCLUDING INDEXES);
    CREATE TABLE e (LIKE t INCLUDING COMMENTS INCLUDING CONSTRAINTS);
    CREATE TABLE f (LIKE t INCLUDING CONSTRAINTS);
    CREATE TABLE g_name_idx (x INTEGER);  -- a name LIKE's index for g must not take
    CREATE TABLE g (LIKE t INCLUDING INDEXES, extra INTEGER);
    CREATE TABLE kid () INHERITS (t);
"""


def test_like_including_indexes_and_comments_equals_the_catalog(make_db) -> None:  # type: ignore[no-untyped-def]
    """Before, c, d and g had no key and no index (and g_name_idx's clash was not seen), and
    f and kid carried the source CHECK's comment, which PostgreSQL copies only with
    INCLUDING COMMENTS (an inherited CHECK never has it)."""
    static = interpret(LIKE)
    catalog = live.introspect(make_db("fid11_like", LIKE))
    assert [u.reason for u in static.unapplied] == []
    assert [str(d) for d in diff_models(catalog, static)] == []
    assert sorted(static.tables["public.c"].indexes) == sorted(catalog.tables["public.c"].indexes)
    assert static.tables["public.c"].primary_key is not None


def test_init_spec_of_the_database_passes_the_history(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """init --dsn's spec of the database audited against the history: nothing FAILs (the
    keys, indexes and comments above FAILed, and f's and kid's CHECK comment)."""
    report = history_audit_of_database_spec(make_db, tmp_path, "fid11_likes", {"001.sql": LIKE})
    failing = [f["message"] for f in report["findings"] if f["status"] == "FAIL"]
    assert failing == []
