"""A DO block reading pg_proc sees PostgreSQL's built-in functions too.

``FOR r IN SELECT … FROM pg_proc WHERE proname = 'gen_random_uuid' LOOP EXECUTE 'CREATE
FUNCTION uuidv7() …'`` looped over no rows statically (pg_proc held the history's functions
only), so ``uuidv7()`` was not made and a later ``DEFAULT uuidv7()`` was refused: a false FAIL
of the table (fidelity12's notes). Static == live. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import differences, run_each

from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "DO $$ DECLARE r record; BEGIN FOR r IN SELECT proname FROM pg_proc"
    " WHERE proname = 'gen_random_uuid' LOOP EXECUTE 'CREATE FUNCTION uuidv7() RETURNS uuid"
    " LANGUAGE sql AS ''SELECT gen_random_uuid()'''; END LOOP; END $$",
    "CREATE TABLE t (id uuid DEFAULT uuidv7())",
    "DO $$ BEGIN IF to_regproc('lower') IS NOT NULL THEN CREATE TABLE seen (a int); END IF; END $$",
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.proname = 'lower' AND n.nspname = 'public') THEN CREATE TABLE own (a int); END IF;"
    " END $$",
    "DO $$ BEGIN IF EXISTS (SELECT FROM pg_proc WHERE proname = 'no_such_function_x') THEN"
    " CREATE TABLE never (a int); END IF; END $$",
]


def test_a_do_block_over_pg_proc_sees_built_in_functions(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid13_pgproc", STATEMENTS)
    assert errors == {}
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert differences(dsn, STATEMENTS) == []
    # to_regproc('lower') is NULL: lower is overloaded (and read as unknown statically)
    assert sorted(static.tables) == ["public.own", "public.t"]
