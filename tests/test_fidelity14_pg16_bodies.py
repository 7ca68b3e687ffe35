"""A body written as a string in PostgreSQL 16's syntax: refused where PostgreSQL 15 parses it.

PostgreSQL 15 parses a DO block's body before running it (a branch never taken included),
and a SQL or PL/pgSQL function's or procedure's body written ``AS '…'``, while
``check_function_bodies`` is on (the default; pg_dump turns it off): a subquery in FROM
without an alias there is refused. Statically such a function was created, and the DO
block's table made: a spec requiring them PASSed (false PASS, left by fidelity13). The
catalog after running the same statements one by one, in one session, is the reference
(static == live). Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import differences, run_each

from schema_audit.sources.ddl import interpret

SUBQUERY = "SELECT count(*) FROM (SELECT a FROM src)"
STATEMENTS = [
    "CREATE TABLE src (a int)",
    f"CREATE FUNCTION f1() RETURNS bigint LANGUAGE sql AS '{SUBQUERY}'",
    "CREATE PROCEDURE p1() LANGUAGE sql AS 'INSERT INTO src SELECT 1 FROM (SELECT 1)'",
    f"CREATE FUNCTION f2() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN ({SUBQUERY}); END $$",
    "CREATE FUNCTION f3() RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN"
    " x := (SELECT 1 FROM (VALUES (1))); RETURN x; END $$",
    "DO $$ BEGIN IF false THEN PERFORM 1 FROM (SELECT 1); END IF;"
    " CREATE TABLE made_by_do (a int); END $$",
    # accepted: aliased; dynamic SQL (parsed when run); then with the bodies unchecked
    f"CREATE FUNCTION ok1() RETURNS bigint LANGUAGE sql AS '{SUBQUERY} s'",
    "CREATE FUNCTION ok2() RETURNS int LANGUAGE plpgsql AS $$ BEGIN"
    " EXECUTE 'SELECT 1 FROM (SELECT 1)'; RETURN 1; END $$",
    "SET check_function_bodies = false",
    f"CREATE FUNCTION off1() RETURNS bigint LANGUAGE sql AS '{SUBQUERY}'",
    f"CREATE FUNCTION off2() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN ({SUBQUERY}); END $$",
    "DO $$ BEGIN IF false THEN PERFORM 1 FROM (SELECT 1); END IF; CREATE TABLE do_off (a int); END $$",
    "RESET check_function_bodies",
    f"CREATE FUNCTION f4() RETURNS bigint LANGUAGE sql AS '{SUBQUERY}'",
]
REFUSED = [1, 2, 3, 4, 5, 13]


def test_a_string_body_in_pg16_syntax_is_refused_where_postgresql_parses_it(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid14_bodies", STATEMENTS)
    assert sorted(errors) == REFUSED, errors  # PostgreSQL 15 (this cluster's)
    assert differences(dsn, STATEMENTS) == []
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    refused = {u.line: u.reason for u in static.unapplied if u.kind == "error"}
    assert sorted(refused) == [n + 1 for n in REFUSED], refused
    assert all(refused[n + 1].startswith(errors[n]) for n in REFUSED), (refused, errors)
    assert sorted(static.functions) == [
        "public.off1()",
        "public.off2()",
        "public.ok1()",
        "public.ok2()",
    ]
    assert sorted(static.tables) == ["public.do_off", "public.src"]


def test_each_file_checks_bodies_again(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``SET check_function_bodies = false`` lasts for its file's session (``psql -f`` of
    the next file starts with it on)."""
    import psycopg

    from schema_audit.sources.sqlfile import load_sql

    files = {
        "001_off.sql": f"SET check_function_bodies = false;\nCREATE FUNCTION off1() RETURNS bigint LANGUAGE sql AS '{SUBQUERY}';\n",
        "002_on.sql": f"CREATE FUNCTION on1() RETURNS bigint LANGUAGE sql AS '{SUBQUERY}';\n",
    }
    dsn = make_db("fid14_bodyfiles", "CREATE TABLE src (a int)")
    for name, text in files.items():
        (tmp_path / name).write_text(
            ("CREATE TABLE src (a int);\n" if name == "001_off.sql" else "") + text
        )
        with psycopg.connect(dsn, autocommit=True) as conn:  # a session per file
            try:
                conn.execute(text)
            except psycopg.Error as exc:
                assert name == "002_on.sql" and "must have an alias" in str(exc)
    static = load_sql(tmp_path)
    assert sorted(static.functions) == ["public.off1()"]
    assert [u.reason.split(":")[0] for u in static.unapplied if u.kind == "error"] == [
        "subquery in FROM must have an alias"
    ]
    assert differences_of(dsn, static) == []


def differences_of(dsn: str, static) -> list[str]:  # type: ignore[no-untyped-def]
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live

    return [str(d) for d in diff_models(live.introspect(dsn), static)]
