"""Statements PostgreSQL 15 refuses and PostgreSQL 16 accepts: a subquery in FROM without alias.

pglast parses with PostgreSQL 18's grammar, so ``FROM (SELECT …)`` without an alias (Lemmy's
migrations, trial13) was read: views and CREATE TABLE AS tables PostgreSQL 15 never makes
were in the model, and a spec requiring them PASSed. Each such statement is now refused as
PostgreSQL 15 refuses it (not applied, reason said, what it touches DEFERRED). The catalog
after running the same statements one by one is the reference (static == live). Real
PostgreSQL.
"""

from __future__ import annotations

from statement_runs import audit_statuses, differences, one_file_history, run_each

from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "CREATE TABLE src (a int, b int)",
    "CREATE VIEW v1 AS SELECT a FROM (SELECT a FROM src)",
    "CREATE TABLE t2 AS SELECT a, count(*) AS n FROM (SELECT a FROM src UNION ALL "
    "SELECT b FROM src) GROUP BY a",
    "INSERT INTO src SELECT * FROM (SELECT 1, 2)",
    "CREATE VIEW v2 AS SELECT * FROM (VALUES (1))",
    "CREATE VIEW v3 AS SELECT * FROM src JOIN (SELECT a AS x FROM src) ON true",
    "CREATE VIEW v4 AS SELECT * FROM src, LATERAL (SELECT src.a AS one)",
    "CREATE FUNCTION fg() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a FROM (SELECT 1 AS a); END",
    "CREATE MATERIALIZED VIEW m1 AS SELECT * FROM (SELECT 1 AS one)",
    # accepted: aliased, a function in FROM, a parenthesised join
    "CREATE VIEW ok1 AS SELECT s.a FROM (SELECT a FROM src) s",
    "CREATE VIEW ok2 AS SELECT * FROM generate_series(1, 2)",
    "CREATE VIEW ok3 AS SELECT src.a FROM (src JOIN src s2 USING (a))",
    "CREATE VIEW ok4 AS SELECT x.a FROM (VALUES (1)) AS x (a)",
]
REFUSED = [1, 2, 3, 4, 5, 6, 7, 8]


def test_static_refuses_a_subquery_in_from_without_alias(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid13_pg16", STATEMENTS)
    assert sorted(errors) == REFUSED, errors  # PostgreSQL 15 (this cluster's)
    assert errors[4] == "VALUES in FROM must have an alias"
    assert differences(dsn, STATEMENTS) == []
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    refused = {u.line: u.reason for u in static.unapplied if u.kind == "error"}
    assert sorted(refused) == [n + 1 for n in REFUSED], refused
    assert all(refused[n + 1].startswith(errors[n]) for n in REFUSED), refused


def test_a_refused_subquery_statement_is_deferred_not_passed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    history = one_file_history(tmp_path, STATEMENTS[:3])
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: pg16\ntables:\n"
        "  src:\n    columns:\n      a: {type: integer}\n"
        "  t2:\n    columns:\n      n: {type: bigint}\n"
    )
    findings = audit_statuses(spec, history)
    assert findings["tables.t2"] == "DEFERRED", findings
    assert findings["tables.src"] == "PASS", findings
