"""``to_regproc(name)`` when a function of that name is in each of two schemas of the path.

PostgreSQL 15 counts the candidates of a name across the search_path, and a function hidden
by one of the same arguments earlier in the path (pg_catalog first) is not a candidate: a
history's compatibility ``public.gen_random_uuid()`` beside the built-in leaves one, so
``to_regproc('gen_random_uuid')`` is found. Counting both made it NULL statically: the table
of the other branch was made (a false PASS for a spec requiring it, a false FAIL for the
table PostgreSQL made). Whether two functions take the same arguments is not compared, so
such a name is undecidable: the block is not applied, the reason said. Overloads in one
schema stay NULL. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import run_each

from schema_audit.sources.ddl import interpret


def _guard(condition: str, yes: str, no: str) -> str:
    return (
        f"DO $$ BEGIN IF {condition} THEN CREATE TABLE {yes} (id int); "
        f"ELSE CREATE TABLE {no} (id int); END IF; END $$"
    )


HIDDEN = [
    "CREATE FUNCTION public.gen_random_uuid() RETURNS uuid LANGUAGE sql"
    " AS 'SELECT md5(random()::text)::uuid'",
    _guard("to_regproc('gen_random_uuid') IS NOT NULL", "t_found", "t_null"),
]


def test_a_function_hidden_by_one_of_the_same_arguments_is_not_counted_twice(make_db) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    dsn, errors = run_each(make_db, "rev16_regproc", HIDDEN)
    assert errors == {}
    with psycopg.connect(dsn) as conn:
        made = conn.execute("SELECT to_regclass('t_found') IS NOT NULL").fetchone()
    assert made == (True,)  # PostgreSQL: one candidate, found
    static = interpret(";\n".join(HIDDEN) + ";\n")
    assert "public.t_null" not in static.tables
    assert [u.reason for u in static.unapplied if "to_regproc('gen_random_uuid')" in u.reason]


def test_overloads_in_one_schema_stay_null() -> None:
    statements = [
        "CREATE FUNCTION public.gen_random_uuid() RETURNS uuid LANGUAGE sql"
        " AS 'SELECT md5(random()::text)::uuid'",
        "CREATE FUNCTION public.h(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION public.h(text) RETURNS int LANGUAGE sql AS 'SELECT 1'",
        _guard("to_regproc('h') IS NULL", "t_h_null", "t_h_found"),
        _guard("to_regproc('lower') IS NULL", "t_lower_null", "t_lower_found"),
    ]
    static = interpret(";\n".join(statements) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert {"public.t_h_null", "public.t_lower_null"} <= set(static.tables)
