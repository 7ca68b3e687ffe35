"""`init --dsn` writes a spec holding "exactly what the schema has", part 6: comments on
indexes, constraints, triggers, policies, schemas and types; an index's storage options and
CLUSTER ON; partition bounds and keys; composite types; domains; rule definitions; a
materialized view's column settings and storage options. Each change below, applied to a
copy of the database init read, must FAIL the audit of init's spec (before, each passed).
`init --sql` of the same SQL writes a spec the database passes (static == catalog).
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
CREATE SCHEMA x6;
COMMENT ON SCHEMA x6 IS 'sixth';
CREATE SCHEMA x6b;
CREATE TYPE x6.mood AS ENUM ('sad', 'ok');
CREATE TYPE x6.plain_mood AS ENUM ('a');
COMMENT ON TYPE x6.mood IS 'feelings';
CREATE TABLE x6.items (id int CONSTRAINT items_pk PRIMARY KEY, name text, qty int,
  CONSTRAINT qty_pos CHECK (qty > 0), CONSTRAINT name_uq UNIQUE (name));
CREATE TABLE x6.parts (id int, item_id int CONSTRAINT parts_item_fk REFERENCES x6.items,
  CONSTRAINT id_pos CHECK (id > 0));
COMMENT ON CONSTRAINT qty_pos ON x6.items IS 'positive';
CREATE INDEX items_qty ON x6.items (qty);
CREATE INDEX items_name_qty ON x6.items (name, qty) WITH (fillfactor = 70);
CREATE INDEX parts_item ON x6.parts (item_id);
COMMENT ON INDEX x6.items_qty IS 'by qty';
ALTER TABLE x6.items CLUSTER ON items_qty;
CREATE FUNCTION x6.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE FUNCTION x6.sealed(a int) RETURNS int LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT a';
CREATE TRIGGER t_one BEFORE UPDATE ON x6.parts FOR EACH ROW EXECUTE FUNCTION x6.touch();
CREATE TRIGGER t_two BEFORE INSERT ON x6.parts FOR EACH ROW EXECUTE FUNCTION x6.touch();
COMMENT ON TRIGGER t_one ON x6.parts IS 'first';
ALTER TABLE x6.parts ENABLE ROW LEVEL SECURITY;
CREATE POLICY p_one ON x6.parts USING (id > 0);
CREATE POLICY p_two ON x6.parts FOR SELECT USING (true);
COMMENT ON POLICY p_one ON x6.parts IS 'one';
CREATE TABLE x6.events (id int, at date NOT NULL, region text) PARTITION BY RANGE (at);
CREATE TABLE x6.events_2020 PARTITION OF x6.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE x6.events_rest PARTITION OF x6.events DEFAULT;
CREATE TABLE x6.byregion (id int, region text) PARTITION BY LIST (region);
CREATE TABLE x6.byregion_eu PARTITION OF x6.byregion FOR VALUES IN ('eu', 'uk');
CREATE TABLE x6.byregion_us (id int, region text);
ALTER TABLE x6.byregion ATTACH PARTITION x6.byregion_us FOR VALUES IN ('us');
CREATE TABLE x6.nums (n int, d date) PARTITION BY RANGE (n, d);
CREATE TABLE x6.nums_low PARTITION OF x6.nums FOR VALUES FROM (MINVALUE, MINVALUE) TO ('10', '2020-1-1');
CREATE TABLE x6.hashed (n int) PARTITION BY HASH (n);
CREATE TABLE x6.hashed_0 PARTITION OF x6.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TYPE x6.pair AS (a int, b text);
CREATE TYPE x6.other_pair AS (a int, b text COLLATE "C");
CREATE DOMAIN x6.posint AS int NOT NULL DEFAULT 1 CONSTRAINT posint_pos CHECK (VALUE > 0);
CREATE DOMAIN x6.label AS varchar(20);
CREATE TABLE x6.logged (id int, body text);
CREATE RULE no_delete AS ON DELETE TO x6.logged DO INSTEAD NOTHING;
CREATE MATERIALIZED VIEW x6.totals AS SELECT name, sum(qty) AS total FROM x6.items GROUP BY name;
ALTER MATERIALIZED VIEW x6.totals ALTER total SET STATISTICS 300;
CREATE UNIQUE INDEX totals_name ON x6.totals (name);
CREATE MATERIALIZED VIEW x6.stored WITH (fillfactor = 60) AS SELECT id FROM x6.items;
"""

# each passed the audit of init's spec before (a false PASS); now FAILs
MUTATIONS = {
    "index comment added": "COMMENT ON INDEX x6.parts_item IS 'new'",
    "index comment changed": "COMMENT ON INDEX x6.items_qty IS 'other'",
    "index comment dropped": "COMMENT ON INDEX x6.items_qty IS NULL",
    "check comment added": "COMMENT ON CONSTRAINT id_pos ON x6.parts IS 'new'",
    "check comment changed": "COMMENT ON CONSTRAINT qty_pos ON x6.items IS 'other'",
    "unique comment added": "COMMENT ON CONSTRAINT name_uq ON x6.items IS 'uq'",
    "foreign key comment added": "COMMENT ON CONSTRAINT parts_item_fk ON x6.parts IS 'fk'",
    "trigger comment added": "COMMENT ON TRIGGER t_two ON x6.parts IS 'new'",
    "trigger comment dropped": "COMMENT ON TRIGGER t_one ON x6.parts IS NULL",
    "policy comment added": "COMMENT ON POLICY p_two ON x6.parts IS 'new'",
    "policy comment changed": "COMMENT ON POLICY p_one ON x6.parts IS 'other'",
    "index fillfactor set": "ALTER INDEX x6.items_qty SET (fillfactor = 50)",
    "index fillfactor changed": "ALTER INDEX x6.items_name_qty SET (fillfactor = 80)",
    "index fillfactor reset": "ALTER INDEX x6.items_name_qty RESET (fillfactor)",
    "index deduplication off": "ALTER INDEX x6.parts_item SET (deduplicate_items = off)",
    "cluster on another index": "ALTER TABLE x6.items CLUSTER ON items_name_qty",
    "cluster on removed": "ALTER TABLE x6.items SET WITHOUT CLUSTER",
    "cluster on set": "ALTER TABLE x6.parts CLUSTER ON parts_item",
    "schema comment added": "COMMENT ON SCHEMA x6b IS 'new'",
    "schema comment dropped": "COMMENT ON SCHEMA x6 IS NULL",
    "enum comment added": "COMMENT ON TYPE x6.plain_mood IS 'new'",
    "enum comment changed": "COMMENT ON TYPE x6.mood IS 'other'",
    "range bound changed": "ALTER TABLE x6.events DETACH PARTITION x6.events_2020; ALTER TABLE x6.events ATTACH PARTITION x6.events_2020 FOR VALUES FROM ('2020-01-01') TO ('2022-01-01')",
    "list bound changed": "ALTER TABLE x6.byregion DETACH PARTITION x6.byregion_eu; ALTER TABLE x6.byregion ATTACH PARTITION x6.byregion_eu FOR VALUES IN ('eu')",
    "default partition made ranged": "ALTER TABLE x6.events DETACH PARTITION x6.events_rest; ALTER TABLE x6.events ATTACH PARTITION x6.events_rest FOR VALUES FROM ('2021-01-01') TO ('2030-01-01')",
    "matview clustered": "CREATE INDEX stored_id ON x6.stored (id); ALTER MATERIALIZED VIEW x6.stored CLUSTER ON stored_id",
    "matview index added": "CREATE INDEX totals_total ON x6.totals (total)",
    "matview index fillfactor set": "ALTER INDEX x6.totals_name SET (fillfactor = 50)",
    "matview clustered on its index": "ALTER MATERIALIZED VIEW x6.totals CLUSTER ON totals_name",
    "primary key comment added": "COMMENT ON CONSTRAINT items_pk ON x6.items IS 'pk'",
    "matview statistics changed": "ALTER MATERIALIZED VIEW x6.totals ALTER total SET STATISTICS 50",
    "matview statistics set": "ALTER MATERIALIZED VIEW x6.totals ALTER name SET STATISTICS 50",
    "matview storage set": "ALTER MATERIALIZED VIEW x6.totals ALTER name SET STORAGE external",
    "matview compression set": "ALTER MATERIALIZED VIEW x6.totals ALTER name SET COMPRESSION pglz",
    "matview column option set": "ALTER MATERIALIZED VIEW x6.totals ALTER name SET (n_distinct = 5)",
    "function made leakproof": "ALTER FUNCTION x6.touch() LEAKPROOF",
    "leakproof function made not leakproof": "ALTER FUNCTION x6.sealed(int) NOT LEAKPROOF",
}

# domains, rules and composite types: read from a catalog only (init --sql's spec does not state them: DEFERRED
# there)
LIVE_ONLY = {
    "composite attribute added": "ALTER TYPE x6.pair ADD ATTRIBUTE c date",
    "composite attribute dropped": "ALTER TYPE x6.pair DROP ATTRIBUTE b",
    "composite attribute type changed": "ALTER TYPE x6.pair ALTER ATTRIBUTE b TYPE varchar(5)",
    "composite attributes reordered": "DROP TYPE x6.pair; CREATE TYPE x6.pair AS (b text, a int)",
    "composite attribute collation changed": "DROP TYPE x6.other_pair; CREATE TYPE x6.other_pair AS (a int, b text)",
    "composite type added": "CREATE TYPE x6.triple AS (a int, b int, c int)",
    "composite type dropped": "DROP TYPE x6.other_pair",
    "composite type comment added": "COMMENT ON TYPE x6.pair IS 'new'",
    "rule action changed": "CREATE OR REPLACE RULE no_delete AS ON DELETE TO x6.logged DO INSTEAD SELECT 1",
    "rule made conditional": "CREATE OR REPLACE RULE no_delete AS ON DELETE TO x6.logged WHERE old.id > 0 DO INSTEAD NOTHING",
    "rule added": "CREATE RULE no_update AS ON UPDATE TO x6.logged DO INSTEAD NOTHING",
    "rule dropped": "DROP RULE no_delete ON x6.logged",
    "rule disabled": "ALTER TABLE x6.logged DISABLE RULE no_delete",
    "domain check dropped": "ALTER DOMAIN x6.posint DROP CONSTRAINT posint_pos",
    "domain check added": "ALTER DOMAIN x6.label ADD CONSTRAINT nonempty CHECK (VALUE <> '')",
    "domain not null dropped": "ALTER DOMAIN x6.posint DROP NOT NULL",
    "domain not null set": "ALTER DOMAIN x6.label SET NOT NULL",
    "domain default dropped": "ALTER DOMAIN x6.posint DROP DEFAULT",
    "domain default set": "ALTER DOMAIN x6.label SET DEFAULT 'x'",
    "domain base type changed": "DROP DOMAIN x6.label; CREATE DOMAIN x6.label AS varchar(30)",
    "domain added": "CREATE DOMAIN x6.email AS text",
    "domain dropped": "DROP DOMAIN x6.label",
    "domain comment added": "COMMENT ON DOMAIN x6.label IS 'new'",
}

# held already before this part (view options, partition_key): kept as guards
HELD = {
    "partition key changed": "DROP TABLE x6.byregion; CREATE TABLE x6.byregion (id int, region text) PARTITION BY LIST (lower(region)); CREATE TABLE x6.byregion_eu PARTITION OF x6.byregion FOR VALUES IN ('eu', 'uk')",
    "partition strategy changed": "DROP TABLE x6.byregion; CREATE TABLE x6.byregion (id int, region text) PARTITION BY HASH (region); CREATE TABLE x6.byregion_eu PARTITION OF x6.byregion FOR VALUES WITH (MODULUS 1, REMAINDER 0)",
    "matview fillfactor changed": "ALTER MATERIALIZED VIEW x6.stored SET (fillfactor = 90)",
    "matview fillfactor set": "ALTER MATERIALIZED VIEW x6.totals SET (fillfactor = 90)",
    "matview fillfactor reset": "ALTER MATERIALIZED VIEW x6.stored RESET (fillfactor)",
}


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact6", BASE)


@pytest.fixture(scope="module")
def static_spec(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The spec `init --sql` writes for a history holding BASE."""
    return static_init_spec(tmp_path_factory.mktemp("exact6s"), BASE)


def _spec(source: str, initialised: Any, static_spec: Path) -> Path:
    return initialised[2] if source == "dsn" else static_spec


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []
    text = spec.read_text()
    for line in (
        "comment: by qty",  # COMMENT ON INDEX
        "clustered: true",
        "options: {fillfactor: '70'}",  # the index's WITH (…)
        "{name: qty_pos, expression: (qty > 0), comment: positive}",
        "comment: first",  # COMMENT ON TRIGGER
        "comment: one",  # COMMENT ON POLICY
        "grants: {}\n    comment: sixth",  # COMMENT ON SCHEMA
        "comment: feelings",  # COMMENT ON TYPE (an enum)
        "partition_bound: FOR VALUES IN ('eu', 'uk')",
        "partition_bound: DEFAULT",
        "checks: {posint_pos: CHECK ((VALUE > 0))}",  # domains:
        'attributes: [a integer, b text COLLATE "C"]',  # composite_types:
        'rules: {no_delete: "CREATE RULE no_delete AS\\n    ON DELETE TO x6.logged DO INSTEAD NOTHING;"}',
    ):
        assert line in text, line


@pytest.mark.parametrize("source", ["dsn", "sql"])
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_after_init_fails(
    initialised, static_spec, pg_server, mutation: str, source: str
) -> None:  # type: ignore[no-untyped-def]
    """The change FAILs the audit of `init --dsn`'s spec and of `init --sql`'s spec of the
    history that built the database."""
    template = initialised[0]
    spec = _spec(source, initialised, static_spec)
    report = audit_of_changed_copy(pg_server, template, "exact6m", MUTATIONS[mutation], spec)
    failing = change_failures(report)
    assert failing, f"{mutation}: no FAIL"
    assert all(f["message"] for f in failing)


@pytest.mark.parametrize("mutation", sorted(LIVE_ONLY))
def test_a_change_after_init_dsn_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = audit_of_changed_copy(pg_server, template, "exact6d", LIVE_ONLY[mutation], spec)
    failing = change_failures(report)
    assert failing, f"{mutation}: no FAIL"
    assert all(f["message"] for f in failing)


@pytest.mark.parametrize("mutation", sorted(HELD))
def test_a_change_held_before_still_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = audit_of_changed_copy(pg_server, template, "exact6h", HELD[mutation], spec)
    assert change_failures(report), f"{mutation}: no FAIL"


def test_static_init_agrees_with_the_live_catalog(initialised, static_spec: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL, audited against the database it built: 0 FAIL, with the
    same comments, index options and CLUSTER ON stated (exactly FAILs an unstated one)."""
    _, dsn, _ = initialised
    text = static_spec.read_text()
    for line in (
        "comment: by qty",
        "clustered: true",
        "options: {fillfactor: '70'}",
        "comment: one",
    ):
        assert line in text, line
    assert failing_ids(audit_report(static_spec, dsn)) == []
