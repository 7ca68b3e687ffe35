"""``to_regproc()`` in a DO block answers as PostgreSQL 15 does, and pg_proc holds the
functions of an installed extension whose members are known.

``to_regproc(name)`` is the one function of that name the search_path finds, pg_catalog
first, NULL when none or several: statically it looked at the history's functions by the
whole text only, so ``to_regproc('now')`` (one built-in), ``to_regproc('public.f')`` (a
qualified name) were NULL and ``to_regproc('g')`` (two overloads in the history) was not: the
guarded tables came out the other way round (false FAIL, or false PASS for an ``IS NULL``
guard). A name an extension may overload cannot be answered: the block is not applied, the
reason said. Static == live. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import differences, run_each

from schema_audit.sources.ddl import interpret


def _guard(condition: str, table: str) -> str:
    return f"DO $$ BEGIN IF {condition} THEN CREATE TABLE {table} (id int); END IF; END $$"


STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pgcrypto",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION g(text) RETURNS int LANGUAGE sql AS 'SELECT 1'",
    _guard("to_regproc('now') IS NOT NULL", "t_now"),
    _guard("to_regproc('lower') IS NULL", "t_lower"),
    _guard("to_regproc('public.f') IS NOT NULL", "t_f"),
    _guard("to_regproc('\"f\"') IS NOT NULL", "t_quoted_f"),
    _guard("to_regproc('g') IS NULL", "t_g"),
    _guard("to_regproc('pg_catalog.f') IS NULL", "t_not_in_catalog"),
    _guard("EXISTS (SELECT FROM pg_proc WHERE proname = 'crypt')", "t_crypt"),
]


def test_to_regproc_finds_the_one_function_the_search_path_finds(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid14_regproc", STATEMENTS)
    assert errors == {}
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert differences(dsn, STATEMENTS) == []
    assert len([t for t in static.tables if t.startswith("public.t_")]) == 7


def test_to_regproc_of_a_name_an_extension_may_overload_is_not_guessed() -> None:
    statements = [STATEMENTS[0], _guard("to_regproc('gen_salt') IS NULL", "t_salt")]
    static = interpret(";\n".join(statements) + ";\n")
    assert "public.t_salt" not in static.tables
    assert [u.reason for u in static.unapplied if "gen_salt" in u.reason]
    assert "extension pgcrypto" in static.unapplied[0].reason


def test_the_overloaded_built_in_names_are_the_servers(make_db) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    from schema_audit.sources.pgeval import _builtin_overloaded

    with psycopg.connect(make_db("fid14_overloads")) as conn:
        if conn.info.server_version // 10000 != 15:
            return  # the list is PostgreSQL 15's
        rows = conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace"
            " GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
    assert {name for (name,) in rows} == _builtin_overloaded()
