"""Partition keys PostgreSQL 15 refuses: an expression calling a function not IMMUTABLE.

``PARTITION BY RANGE ((date_trunc('day', at)))`` over a timestamptz is refused ("functions in
partition key expression must be marked IMMUTABLE": that overload is STABLE), over a timestamp
accepted; the static reading created both, so a spec requiring the first PASSed a history no
PostgreSQL 15 database is built from. The catalog after running each statement alone is the
reference (static == live). Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import audit_statuses, differences, one_file_history, run_each

from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "CREATE TABLE day_tz (at timestamptz, n int) PARTITION BY RANGE ((date_trunc('day', at)))",
    "CREATE TABLE day_plain (at timestamp, n int) PARTITION BY RANGE ((date_trunc('day', at)))",
    "CREATE TABLE day_typmod (at timestamp(3) with time zone) PARTITION BY RANGE "
    "((date_trunc('day', at)))",
    "CREATE TABLE cast_date (at timestamptz) PARTITION BY RANGE ((at::date))",
    "CREATE TABLE cast_plain (at date) PARTITION BY RANGE ((at::timestamp))",
    "CREATE TABLE as_text (at timestamptz) PARTITION BY LIST ((at::text))",
    "CREATE TABLE int_text (n int) PARTITION BY LIST ((n::text))",
    "CREATE TABLE plus_day (at timestamptz) PARTITION BY RANGE ((at + interval '1 day'))",
    "CREATE TABLE utc_day (at timestamptz) PARTITION BY RANGE "
    "((date_trunc('day', at AT TIME ZONE 'UTC')))",
    "CREATE TABLE rnd (n int) PARTITION BY RANGE ((random()))",
    "CREATE TABLE today (n int) PARTITION BY LIST ((CURRENT_DATE))",
    "CREATE TABLE low (s text) PARTITION BY LIST (lower(s))",
    "CREATE TABLE year_of (at date) PARTITION BY LIST ((extract(year from at)))",
    "CREATE TABLE year_tz (at timestamptz) PARTITION BY LIST ((extract(year from at)))",
    "CREATE FUNCTION ident_sql(int) RETURNS int LANGUAGE sql AS 'SELECT $1'",
    "CREATE FUNCTION ident_pl(int) RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN $1; END'",
    # a volatile SQL function PostgreSQL inlines before it checks: accepted
    "CREATE TABLE by_sql (n int) PARTITION BY LIST (ident_sql(n))",
    "CREATE TABLE by_pl (n int) PARTITION BY LIST (ident_pl(n))",
    "CREATE TABLE parent (at timestamptz, n int) PARTITION BY LIST (n)",
    "CREATE TABLE child PARTITION OF parent FOR VALUES IN (1) PARTITION BY RANGE "
    "((date_trunc('day', at)))",
]
REFUSED = [0, 2, 3, 5, 7, 9, 10, 13, 17, 19]


def test_static_refuses_the_partition_keys_postgresql_refuses(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid13_pkey", STATEMENTS)
    assert sorted(errors) == REFUSED, errors  # PostgreSQL 15 (this cluster's)
    assert set(errors.values()) == {
        "functions in partition key expression must be marked IMMUTABLE"
    }
    assert differences(dsn, STATEMENTS) == []
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    refused = {u.line: u.reason for u in static.unapplied if u.kind == "error"}
    assert sorted(refused) == [n + 1 for n in REFUSED], refused
    assert set(refused.values()) == {errors[0]}


def test_a_refused_partition_key_is_deferred_not_passed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    history = one_file_history(tmp_path, STATEMENTS[:2])
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: pkey\ntables:\n"
        "  day_tz:\n    columns:\n      at: {type: timestamp with time zone}\n"
        "  day_plain:\n    columns:\n      at: {type: timestamp without time zone}\n"
    )
    findings = audit_statuses(spec, history)
    assert findings["tables.day_tz"] == "DEFERRED", findings
    assert findings["tables.day_plain"] == "PASS", findings
