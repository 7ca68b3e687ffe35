"""ALTER TABLE on a partitioned table reaches its partitions (PostgREST's ``car_models``).

``ALTER TABLE car_models ADD COLUMN car_brand_name …`` gives every partition the column;
statically only keys, indexes and foreign keys were cloned into partitions, so the
partitions lacked added columns and CHECKs, kept dropped and renamed-away ones, and missed
SET NOT NULL / SET DEFAULT / a new type: `init --dsn`'s spec FAILed the history (`exactly`
columns) and a spec requiring a dropped column PASSed (false PASS). Static == live, a
partition of a partition included. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import audit_statuses, differences, one_file_history, run_each

from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "CREATE TABLE brands (name varchar(64) PRIMARY KEY)",
    "CREATE TABLE p (a int, b text, c int, e int) PARTITION BY LIST (a)",
    "CREATE TABLE p_1 PARTITION OF p FOR VALUES IN (1)",
    "CREATE TABLE p_2 PARTITION OF p FOR VALUES IN (2) PARTITION BY LIST (c)",
    "CREATE TABLE p_2_1 PARTITION OF p_2 FOR VALUES IN (1)",
    "ALTER TABLE p ADD PRIMARY KEY (a, c)",
    "ALTER TABLE p ADD COLUMN brand varchar(64) REFERENCES brands (name)",
    "ALTER TABLE p ADD COLUMN n int NOT NULL DEFAULT 0",
    "ALTER TABLE p ADD COLUMN k int CHECK (k > 0), ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED",
    "ALTER TABLE p ADD CONSTRAINT p_b_check CHECK (b <> '')",
    "ALTER TABLE p ALTER COLUMN b TYPE varchar(10)",
    "ALTER TABLE p ALTER COLUMN e SET NOT NULL",
    "ALTER TABLE p ALTER COLUMN e SET DEFAULT 7",
    "ALTER TABLE p DROP COLUMN k",
    "ALTER TABLE p DROP CONSTRAINT p_b_check",
    "ALTER TABLE p RENAME COLUMN b TO bb",
    "ALTER TABLE p ALTER COLUMN n DROP DEFAULT",
    "ALTER TABLE p ALTER COLUMN e DROP NOT NULL",
]


def test_alter_table_on_a_partitioned_table_reaches_its_partitions(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid13_partalter", STATEMENTS)
    assert errors == {}
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert differences(dsn, STATEMENTS) == []
    assert list(static.tables["public.p_2_1"].columns) == ["a", "bb", "c", "e", "brand", "n", "g"]


def test_a_column_dropped_from_the_parent_is_not_passed_on_a_partition(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A spec requiring the partition's dropped column PASSed (false PASS); one requiring the
    added column FAILed."""
    history = one_file_history(tmp_path, STATEMENTS[1:3] + STATEMENTS[7:8])
    (history / "002.sql").write_text("ALTER TABLE p DROP COLUMN e;\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: parts\ntables:\n"
        "  p_1:\n    columns:\n      e: {type: integer}\n      n: {type: integer, nullable: false}\n"
    )
    findings = audit_statuses(spec, history)
    assert findings["tables.p_1.columns.e"] == "FAIL", findings
    assert findings["tables.p_1.columns.n"] == "PASS", findings
