"""`init --dsn` writes a spec holding "exactly what the schema has": a change made after init
to a table's storage options (fillfactor, autovacuum_*, UNLOGGED), a view's options, a CHECK
re-added NOT VALID (or validated, or made NO INHERIT), or a table privilege's WITH GRANT
OPTION must FAIL the next `audit --dsn` (before, each of these passed). `init --sql` of the
same SQL writes a spec the database passes (the static reader agrees with the catalog).
Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from init_mutations import (
    audit_of_changed_copy,
    audit_report,
    change_failures,
    changed_copy,
    failing_ids,
    init_database,
    static_init_spec,
)
from typer.testing import CliRunner

from schema_audit.cli import app

BASE = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x4_app') THEN CREATE ROLE x4_app; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x4_ro') THEN CREATE ROLE x4_ro; END IF;
END $$;
CREATE SCHEMA x4;
CREATE TABLE x4.items (
  id int PRIMARY KEY,
  qty int CONSTRAINT items_qty_check CHECK (qty > 0),
  code text,
  parent int CONSTRAINT items_parent_fkey REFERENCES x4.items (id)
);
CREATE TABLE x4.tuned (id int PRIMARY KEY, n int)
  WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05, autovacuum_enabled = off);
CREATE UNLOGGED TABLE x4.scratch (id int, n int);
ALTER TABLE x4.scratch ADD CONSTRAINT scratch_n_check CHECK (n > 0) NOT VALID;
ALTER TABLE x4.scratch ADD CONSTRAINT scratch_id_check CHECK (id > 0) NO INHERIT;
CREATE VIEW x4.plain_v AS SELECT id, qty FROM x4.items;
CREATE VIEW x4.guarded_v WITH (security_barrier) AS SELECT id FROM x4.items WHERE qty > 1;
GRANT USAGE ON SCHEMA x4 TO x4_ro, x4_app;
GRANT SELECT ON x4.items TO x4_ro;
GRANT SELECT, INSERT ON x4.tuned TO x4_app WITH GRANT OPTION;
GRANT UPDATE (code) ON x4.items TO x4_app;
GRANT SELECT (n) ON x4.scratch TO x4_ro WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES IN SCHEMA x4 GRANT SELECT ON TABLES TO x4_ro;
ALTER DEFAULT PRIVILEGES IN SCHEMA x4 GRANT USAGE, SELECT ON SEQUENCES TO x4_app WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES IN SCHEMA x4 REVOKE GRANT OPTION FOR SELECT ON SEQUENCES FROM x4_app;
CREATE TABLE x4.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE x4.legacy (id int) WITH (oids = false);
CREATE FUNCTION x4.total(n int) RETURNS int LANGUAGE sql AS 'SELECT n';
CREATE FUNCTION x4.total(t text) RETURNS text LANGUAGE sql AS 'SELECT t';
CREATE FUNCTION x4.plain() RETURNS int LANGUAGE sql AS 'SELECT 1';
COMMENT ON FUNCTION x4.total(text) IS 'the text total';
CREATE OR REPLACE FUNCTION x4.total(t text) RETURNS text LANGUAGE sql AS 'SELECT t || t';
CREATE SEQUENCE x4.counter;
CREATE TABLE x4.docs (id int, body text COMPRESSION lz4, blob bytea, n numeric, tags text[]);
ALTER TABLE x4.docs ALTER body SET STATISTICS 500, ALTER blob SET STORAGE EXTERNAL,
  ALTER n SET STORAGE EXTENDED, ALTER tags SET STORAGE MAIN;
CREATE TABLE x4.numbered (id int GENERATED ALWAYS AS IDENTITY, n serial);
CREATE PROCEDURE x4.tidy() LANGUAGE sql AS 'SELECT 1';
COMMENT ON PROCEDURE x4.tidy IS 'tidies';
COMMENT ON VIEW x4.guarded_v IS 'guarded';
CREATE OR REPLACE VIEW x4.guarded_v WITH (security_barrier) AS SELECT id FROM x4.items WHERE qty > 1;
CREATE MATERIALIZED VIEW x4.totals WITH (fillfactor = 70, autovacuum_enabled) AS
  SELECT count(*) AS n FROM x4.items;
"""

MUTATIONS = {
    # table storage options and persistence
    "fillfactor set": "ALTER TABLE x4.items SET (fillfactor = 70)",
    "autovacuum option set": "ALTER TABLE x4.items SET (autovacuum_enabled = false)",
    "option changed": "ALTER TABLE x4.tuned SET (fillfactor = 90)",
    "boolean option flipped": "ALTER TABLE x4.tuned SET (autovacuum_enabled = on)",
    "option reset": "ALTER TABLE x4.tuned RESET (autovacuum_vacuum_scale_factor)",
    "set unlogged": "ALTER TABLE x4.items SET UNLOGGED",
    "set logged": "ALTER TABLE x4.scratch SET LOGGED",
    # view options
    "view security_invoker set": "ALTER VIEW x4.plain_v SET (security_invoker = true)",
    "view check option set": "ALTER VIEW x4.plain_v SET (check_option = local)",
    "view security_barrier reset": "ALTER VIEW x4.guarded_v RESET (security_barrier)",
    "materialized view option changed": "ALTER MATERIALIZED VIEW x4.totals SET (fillfactor = 50)",
    "materialized view option set": "ALTER MATERIALIZED VIEW x4.totals "
    "SET (autovacuum_vacuum_threshold = 100)",
    # comments on views and functions
    "view comment added": "COMMENT ON VIEW x4.plain_v IS 'plain'",
    "view comment changed": "COMMENT ON VIEW x4.guarded_v IS 'guarded!'",
    "view comment dropped": "COMMENT ON VIEW x4.guarded_v IS NULL",
    "materialized view comment added": "COMMENT ON MATERIALIZED VIEW x4.totals IS 'totals'",
    "function comment added": "COMMENT ON FUNCTION x4.plain() IS 'one'",
    "overload comment added": "COMMENT ON FUNCTION x4.total(int) IS 'the int total'",
    "overload comment changed": "COMMENT ON FUNCTION x4.total(text) IS 'text total'",
    "procedure comment dropped": "COMMENT ON PROCEDURE x4.tidy() IS NULL",
    # column statistics target, storage, compression
    "statistics set": "ALTER TABLE x4.docs ALTER id SET STATISTICS 1000",
    "statistics changed": "ALTER TABLE x4.docs ALTER body SET STATISTICS 100",
    "statistics reset": "ALTER TABLE x4.docs ALTER body SET STATISTICS -1",
    "storage set": "ALTER TABLE x4.docs ALTER body SET STORAGE EXTERNAL",
    "storage back to the type's": "ALTER TABLE x4.docs ALTER blob SET STORAGE EXTENDED",
    "storage changed": "ALTER TABLE x4.docs ALTER n SET STORAGE MAIN",
    "compression set": "ALTER TABLE x4.docs ALTER blob SET COMPRESSION lz4",
    "compression reset": "ALTER TABLE x4.docs ALTER body SET COMPRESSION default",
    "compression changed": "ALTER TABLE x4.docs ALTER body SET COMPRESSION pglz",
    # sequences
    "sequence added": "CREATE SEQUENCE x4.another",
    "sequence added in public": "CREATE SEQUENCE public.another",
    "serial sequence detached and kept": "ALTER SEQUENCE x4.numbered_n_seq OWNED BY NONE",
    # CHECK / FK validation
    "check re-added not valid": "ALTER TABLE x4.items DROP CONSTRAINT items_qty_check, "
    "ADD CONSTRAINT items_qty_check CHECK (qty > 0) NOT VALID",
    "check validated": "ALTER TABLE x4.scratch VALIDATE CONSTRAINT scratch_n_check",
    "check re-added inheritable": "ALTER TABLE x4.scratch DROP CONSTRAINT scratch_id_check, "
    "ADD CONSTRAINT scratch_id_check CHECK (id > 0)",
    "check re-added no inherit": "ALTER TABLE x4.items DROP CONSTRAINT items_qty_check, "
    "ADD CONSTRAINT items_qty_check CHECK (qty > 0) NO INHERIT",
    "fk re-added not valid": "ALTER TABLE x4.items DROP CONSTRAINT items_parent_fkey, "
    "ADD CONSTRAINT items_parent_fkey FOREIGN KEY (parent) REFERENCES x4.items (id) NOT VALID",
    # WITH GRANT OPTION on table privileges
    "table grant option added": "GRANT SELECT ON x4.items TO x4_ro WITH GRANT OPTION",
    "table grant option revoked": "REVOKE GRANT OPTION FOR INSERT ON x4.tuned FROM x4_app",
    "column grant option added": "GRANT UPDATE (code) ON x4.items TO x4_app WITH GRANT OPTION",
    "column grant option revoked": "REVOKE GRANT OPTION FOR SELECT (n) ON x4.scratch FROM x4_ro",
    "default privilege grant option added": "ALTER DEFAULT PRIVILEGES IN SCHEMA x4 "
    "GRANT SELECT ON TABLES TO x4_ro WITH GRANT OPTION",
    "default privilege grant option revoked": "ALTER DEFAULT PRIVILEGES IN SCHEMA x4 "
    "REVOKE GRANT OPTION FOR USAGE ON SEQUENCES FROM x4_app",
}


# `diff` between the database at init and after the change names the change too (before,
# it compared none of these: storage options, persistence, view options, a CHECK's or FK's
# NOT VALID / NO INHERIT, a partition key)
DIFFERENCES = {
    "fillfactor set": "storage options",
    "option changed": "storage options",
    "boolean option flipped": "storage options",
    "set unlogged": "persistence",
    "set logged": "persistence",
    "view security_invoker set": "options",
    "view security_barrier reset": "options",
    "check re-added not valid": "CHECK options",
    "check validated": "CHECK options",
    "check re-added inheritable": "CHECK options",
    "fk re-added not valid": "FOREIGN KEY",
    "partition key changed": "partition key",
    "view comment added": "comment",
    "default privilege grant option added": "IN SCHEMA x4 ON TABLES TO x4_ro",
    "statistics set": "statistics",
    "storage set": "storage",
    "compression reset": "compression",
    "overload comment changed": "comment",
}
MUTATIONS["partition key changed"] = (
    "DROP TABLE x4.events; CREATE TABLE x4.events (id int, at date) PARTITION BY RANGE (at, id)"
)


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact4", BASE)


def _copy(pg_server, template: str, sql: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return changed_copy(pg_server, template, "exact4m", sql)


def _audited_copy(pg_server, template: str, spec: Path, sql: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return audit_of_changed_copy(pg_server, template, "exact4m", sql, spec)


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_after_init_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = _audited_copy(pg_server, template, spec, MUTATIONS[mutation])
    failing = change_failures(report)
    assert failing, f"{mutation}: no FAIL"
    assert all(f["message"] for f in failing)


def test_static_init_agrees_with_the_live_catalog(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL, audited against the database it built: 0 FAIL."""
    _, dsn, _ = initialised
    spec = static_init_spec(tmp_path, BASE)
    assert failing_ids(audit_report(spec, dsn)) == []


def _diff(left: str, right: str) -> list[dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["diff", left, right, "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)["differences"]


@pytest.mark.parametrize("mutation", sorted(DIFFERENCES))
def test_diff_names_the_change(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, before, _ = initialised
    name, dsn = _copy(pg_server, template, MUTATIONS[mutation])
    try:
        differences = _diff(before, dsn)
    finally:
        pg_server.drop_database(name)
    assert DIFFERENCES[mutation] in {d["property"] for d in differences}, differences


def test_diff_of_the_history_and_the_database_is_empty(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The static reading of every shape above is the catalog's, for `diff` too."""
    _, dsn, _ = initialised
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE)
    assert _diff(str(tmp_path / "history"), dsn) == []  # the history static_init_spec wrote


# Column settings as PostgreSQL keeps them (checked on PostgreSQL 15): a partition and an
# inheritance child take the parent's storage and compression (not its statistics target);
# SET STATISTICS / STORAGE reach existing partitions, SET COMPRESSION does not; ALTER TYPE
# gives back the new type's storage and the default compression; SET STORAGE to the type's
# own is no setting; LIKE copies storage / compression only when asked.
COLUMN_SHAPES = """
CREATE SCHEMA cs;
CREATE TYPE cs.mood AS ENUM ('a');
CREATE TABLE cs.p (a text, b int, c bytea, m cs.mood) PARTITION BY LIST (b);
CREATE TABLE cs.p1 PARTITION OF cs.p FOR VALUES IN (1);
ALTER TABLE cs.p ALTER a SET STORAGE EXTERNAL, ALTER a SET STATISTICS 300,
  ALTER a SET COMPRESSION lz4, ALTER m SET STORAGE PLAIN;
CREATE TABLE cs.p2 PARTITION OF cs.p FOR VALUES IN (2);
CREATE TABLE cs.base (a text, c bytea);
ALTER TABLE cs.base ALTER a SET STORAGE MAIN, ALTER a SET COMPRESSION lz4,
  ALTER c SET STORAGE EXTERNAL, ALTER c SET STATISTICS 50;
CREATE TABLE cs.kid () INHERITS (cs.base);
CREATE TABLE cs.like_all (LIKE cs.base INCLUDING ALL);
CREATE TABLE cs.like_none (LIKE cs.base);
CREATE TABLE cs.like_storage (LIKE cs.base INCLUDING STORAGE);
CREATE TABLE cs.retyped (a text, n int);
ALTER TABLE cs.retyped ALTER a SET STORAGE EXTERNAL, ALTER a SET COMPRESSION lz4,
  ALTER a SET STATISTICS 10;
ALTER TABLE cs.retyped ALTER a TYPE varchar(20);
ALTER TABLE cs.retyped ALTER n SET STORAGE PLAIN;
"""


def test_static_column_settings_agree_with_the_catalog(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("exact4cols", COLUMN_SHAPES)
    spec = static_init_spec(tmp_path, COLUMN_SHAPES, file="001_columns.sql")
    text = spec.read_text()
    for shape in (
        "a: {type: text, nullable: true, statistics: 300, storage: external, compression: lz4}",
        "a: {type: text, nullable: true, statistics: 300, storage: external}",  # p1
        "a: {type: text, nullable: true, storage: external, compression: lz4}",  # p2
        "a: {type: character varying(20), nullable: true, statistics: 10}",
    ):
        assert shape in text, shape
    assert failing_ids(audit_report(spec, dsn)) == []
    assert _diff(str(tmp_path / "history"), dsn) == []  # the history static_init_spec wrote
