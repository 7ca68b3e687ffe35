"""check_function_bodies as PostgreSQL 15 sets it: a transaction's own setting ends with it.

``SET LOCAL check_function_bodies = off`` (or ``set_config(…, 'false', true)``) lasts until
the transaction ends; statically it lasted for the rest of the file, so a body in PostgreSQL
16's syntax written after the COMMIT was accepted though PostgreSQL 15 refuses it (a false
PASS for a spec requiring that function). ``SET check_function_bodies = 0`` (a number, which
PostgreSQL reads as false) was read as on: a body PostgreSQL accepted was refused. The catalog
after running the same statements in one session is the reference. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import differences, run_each

from schema_audit.sources.ddl import interpret

BODY = "RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM (SELECT a FROM src)'"
STATEMENTS = [
    "CREATE TABLE src (a int)",
    "SET check_function_bodies = 0",
    f"CREATE FUNCTION zero() {BODY}",
    "RESET check_function_bodies",
    "BEGIN",
    "SET LOCAL check_function_bodies = off",
    "COMMIT",
    f"CREATE FUNCTION after_local() {BODY}",
    "SELECT set_config('check_function_bodies', 'false', true)",
    f"CREATE FUNCTION after_config() {BODY}",
]
REFUSED = [7, 9]


def test_a_transactions_own_setting_does_not_outlive_it(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "rev16_bodies", STATEMENTS)
    assert sorted(errors) == REFUSED, errors  # PostgreSQL 15 (this cluster's)
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert sorted(static.functions) == ["public.zero()"]
    refused = sorted(u.line for u in static.unapplied if u.kind == "error")
    assert refused == [n + 1 for n in REFUSED]
    assert differences(dsn, STATEMENTS) == []
