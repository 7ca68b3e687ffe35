"""`init --dsn` writes a spec holding "exactly what the schema has": a change made after init
to a UNIQUE constraint's DEFERRABLE / INITIALLY DEFERRED / NULLS NOT DISTINCT, to any
overload of a function, to a sequence's options, to a comment, a replica identity, a
column's statistics target or storage, a partition key or bounds, or to a type's owner or
grants must FAIL the next `audit --dsn` (before, each of these passed). `init --sql` of the
same SQL writes a spec the database passes (the static reader agrees with the catalog).
Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from init_mutations import (
    audit_of_changed_copy,
    audit_report,
    change_failures,
    failing_ids,
    init_database,
    static_init_spec,
)

BASE = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x3_app') THEN CREATE ROLE x3_app; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x3_ro') THEN CREATE ROLE x3_ro; END IF;
END $$;
CREATE SCHEMA x3;
CREATE TABLE x3.items (
  id int PRIMARY KEY,
  code text,
  alt text,
  note text,
  CONSTRAINT items_code_key UNIQUE (code),
  CONSTRAINT items_alt_key UNIQUE NULLS NOT DISTINCT (alt),
  CONSTRAINT items_note_key UNIQUE (note) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE x3.tags (id int PRIMARY KEY, label text,
  CONSTRAINT tags_label_key UNIQUE (label) DEFERRABLE);
CREATE FUNCTION x3.f(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n + 1';
CREATE FUNCTION x3.f(t text) RETURNS text LANGUAGE sql AS 'SELECT t || ''!''';
GRANT EXECUTE ON FUNCTION x3.f(text) TO x3_ro;
CREATE FUNCTION x3.g(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n';
CREATE SEQUENCE x3.counter AS integer INCREMENT 2 MINVALUE 1 MAXVALUE 1000 START 5 CACHE 3;
CREATE SEQUENCE x3.plain;
CREATE SEQUENCE x3.looped CYCLE OWNED BY x3.items.id;
COMMENT ON TABLE x3.items IS 'the items';
COMMENT ON COLUMN x3.items.code IS 'a code';
ALTER TABLE x3.tags REPLICA IDENTITY FULL;
CREATE TABLE x3.kinds (id int PRIMARY KEY, label text NOT NULL);
CREATE UNIQUE INDEX kinds_label ON x3.kinds (label);
ALTER TABLE x3.kinds REPLICA IDENTITY USING INDEX kinds_pkey;
CREATE TABLE x3.events (id int, at date, region text) PARTITION BY RANGE (at, id);
CREATE TABLE x3.events_2024 PARTITION OF x3.events
  FOR VALUES FROM ('2024-01-01', 0) TO ('2025-01-01', 0);
CREATE TABLE x3.areas (id int, region text) PARTITION BY LIST (lower(region));
GRANT USAGE ON SCHEMA x3 TO x3_ro;
GRANT USAGE ON SEQUENCE x3.counter TO x3_ro WITH GRANT OPTION;
GRANT SELECT ON SEQUENCE x3.plain TO x3_app WITH GRANT OPTION;
REVOKE GRANT OPTION FOR SELECT ON SEQUENCE x3.plain FROM x3_app;
GRANT EXECUTE ON FUNCTION x3.f(text) TO x3_ro;
CREATE TYPE x3.mood AS ENUM ('a', 'b');
GRANT USAGE ON TYPE x3.mood TO x3_ro;
CREATE TYPE x3.level AS ENUM ('x');
REVOKE USAGE ON TYPE x3.level FROM PUBLIC;
"""

# 2. every overload of a function (by argument types)
OVERLOADS = {
    "second overload body": "CREATE OR REPLACE FUNCTION x3.f(t text) RETURNS text LANGUAGE sql "
    "AS 'SELECT t || ''?'''",
    "second overload grant revoked": "REVOKE EXECUTE ON FUNCTION x3.f(text) FROM x3_ro",
    "second overload dropped": "DROP FUNCTION x3.f(text)",
    "first overload dropped": "DROP FUNCTION x3.f(integer)",
    "overload added": "CREATE FUNCTION x3.f(b bigint) RETURNS bigint LANGUAGE sql AS 'SELECT b'",
    "overload added to a single function": "CREATE FUNCTION x3.g(b bigint) RETURNS bigint "
    "LANGUAGE sql AS 'SELECT b'",
    "function added": "CREATE FUNCTION x3.h() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "function added in another schema": "CREATE FUNCTION public.h() RETURNS int LANGUAGE sql "
    "AS 'SELECT 1'",
}

UNIQUE = "ALTER TABLE x3.items DROP CONSTRAINT {0}, ADD CONSTRAINT {0} UNIQUE {1}"

MUTATIONS = {
    # 1. UNIQUE constraints
    "unique deferrable added": UNIQUE.format("items_code_key", "(code) DEFERRABLE"),
    "unique initially deferred added": UNIQUE.format(
        "items_code_key", "(code) DEFERRABLE INITIALLY DEFERRED"
    ),
    "unique nulls not distinct added": UNIQUE.format("items_code_key", "NULLS NOT DISTINCT (code)"),
    "unique nulls not distinct dropped": UNIQUE.format("items_alt_key", "(alt)"),
    "unique deferrable dropped": UNIQUE.format("items_note_key", "(note)"),
    "unique initially immediate": UNIQUE.format("items_note_key", "(note) DEFERRABLE"),
    "unique becomes initially deferred": "ALTER TABLE x3.tags DROP CONSTRAINT tags_label_key, "
    "ADD CONSTRAINT tags_label_key UNIQUE (label) DEFERRABLE INITIALLY DEFERRED",
    # 4. comments, replica identity, partition key
    "table comment changed": "COMMENT ON TABLE x3.items IS 'the items!'",
    "table comment dropped": "COMMENT ON TABLE x3.items IS NULL",
    "table comment added": "COMMENT ON TABLE x3.tags IS 'tags'",
    "column comment changed": "COMMENT ON COLUMN x3.items.code IS 'a code!'",
    "column comment added": "COMMENT ON COLUMN x3.items.alt IS 'alt'",
    "column comment dropped": "COMMENT ON COLUMN x3.items.code IS NULL",
    "replica identity full dropped": "ALTER TABLE x3.tags REPLICA IDENTITY DEFAULT",
    "replica identity full added": "ALTER TABLE x3.items REPLICA IDENTITY FULL",
    "replica identity nothing": "ALTER TABLE x3.items REPLICA IDENTITY NOTHING",
    "replica identity other index": "ALTER TABLE x3.kinds REPLICA IDENTITY USING INDEX kinds_label",
    "replica identity index dropped": "ALTER TABLE x3.kinds REPLICA IDENTITY DEFAULT",
    "partition key changed": "DROP TABLE x3.areas; CREATE TABLE x3.areas (id int, region text) "
    "PARTITION BY LIST (region)",
    "partition key strategy changed": "DROP TABLE x3.areas; CREATE TABLE x3.areas (id int, "
    "region text) PARTITION BY HASH (lower(region))",
    # 6. WITH GRANT OPTION
    "function grant option added": "GRANT EXECUTE ON FUNCTION x3.f(text) TO x3_ro WITH GRANT OPTION",
    "sequence grant option revoked": "REVOKE GRANT OPTION FOR USAGE ON SEQUENCE x3.counter "
    "FROM x3_ro",
    "sequence grant option added": "GRANT SELECT ON SEQUENCE x3.plain TO x3_app WITH GRANT OPTION",
    "schema grant option added": "GRANT USAGE ON SCHEMA x3 TO x3_ro WITH GRANT OPTION",
    "type grant revoked": "REVOKE USAGE ON TYPE x3.mood FROM x3_ro",
    "type grant added": "GRANT USAGE ON TYPE x3.level TO x3_app",
    "type public grant back": "GRANT USAGE ON TYPE x3.level TO PUBLIC",
    "type grant option added": "GRANT USAGE ON TYPE x3.mood TO x3_ro WITH GRANT OPTION",
    "type owner": "ALTER TYPE x3.mood OWNER TO x3_app",
    # 3. sequence options
    "sequence increment": "ALTER SEQUENCE x3.counter INCREMENT 3",
    "sequence minvalue": "ALTER SEQUENCE x3.counter MINVALUE 2",
    "sequence maxvalue": "ALTER SEQUENCE x3.counter MAXVALUE 2000",
    "sequence start": "ALTER SEQUENCE x3.counter START 7",
    "sequence cache": "ALTER SEQUENCE x3.counter CACHE 1",
    "sequence cycle": "ALTER SEQUENCE x3.counter CYCLE",
    "sequence no cycle": "ALTER SEQUENCE x3.looped NO CYCLE",
    "sequence type": "ALTER SEQUENCE x3.plain AS integer",
    "sequence owned by": "ALTER SEQUENCE x3.plain OWNED BY x3.items.id",
    "sequence owned by none": "ALTER SEQUENCE x3.looped OWNED BY NONE",
    "sequence plain increment": "ALTER SEQUENCE x3.plain INCREMENT 10",
}


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact3", BASE)


def _audited_copy(pg_server, template: str, spec: Path, sql: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return audit_of_changed_copy(pg_server, template, "exact3m", sql, spec)


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []


@pytest.mark.parametrize("mutation", sorted(MUTATIONS) + sorted(OVERLOADS))
def test_a_change_after_init_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = _audited_copy(pg_server, template, spec, {**MUTATIONS, **OVERLOADS}[mutation])
    failing = change_failures(report)
    assert failing, f"{mutation}: no FAIL"
    assert all(f["message"] for f in failing)


def test_static_init_agrees_with_the_live_catalog(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL, audited against the database it built: 0 FAIL."""
    _, dsn, _ = initialised
    spec = static_init_spec(tmp_path, BASE)
    assert failing_ids(audit_report(spec, dsn)) == []


# Options as PostgreSQL's init_params defaults and moves them: each must read statically as
# the catalog has it (a descending sequence's bounds, AS moving a default bound, NO MAXVALUE,
# serials of each width, pg_dump's spelling, a 64-bit bound).
SEQUENCE_SHAPES = """
CREATE SCHEMA sq;
CREATE SEQUENCE sq.down INCREMENT -1;
CREATE SEQUENCE sq.down_small AS smallint INCREMENT BY -5 CACHE 10;
CREATE SEQUENCE sq.widened AS smallint;
ALTER SEQUENCE sq.widened AS bigint;
CREATE SEQUENCE sq.narrowed MAXVALUE 100;
ALTER SEQUENCE sq.narrowed AS integer;
CREATE SEQUENCE sq.unbounded MAXVALUE 50 MINVALUE 10 START 20;
ALTER SEQUENCE sq.unbounded NO MAXVALUE;
ALTER SEQUENCE sq.unbounded INCREMENT -2 NO MINVALUE;
CREATE SEQUENCE sq.dumped AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
CREATE SEQUENCE sq.huge MINVALUE -9223372036854775808 MAXVALUE 9223372036854775806 START 0;
ALTER SEQUENCE sq.huge RESTART WITH 7 START WITH 3 CYCLE;
CREATE TABLE sq.serials (a smallserial, b serial, c bigserial, d int);
ALTER SEQUENCE sq.serials_b_seq OWNED BY sq.serials.d;
"""


def test_static_sequence_options_agree_with_the_catalog(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("exact3seq", SEQUENCE_SHAPES)
    spec = static_init_spec(tmp_path, SEQUENCE_SHAPES, file="001_sequences.sql")
    text = spec.read_text()
    for key in ("increment: -5", "type: smallint", "maxvalue: 9223372036854775806", "cycle: true"):
        assert key in text, key
    report = audit_report(spec, dsn)
    assert failing_ids(report) == []
    assert sum(f["id"].startswith("sequences.") for f in report["findings"]) == 10
