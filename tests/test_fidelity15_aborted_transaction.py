"""A statement PostgreSQL refuses inside BEGIN … COMMIT aborts the whole transaction.

PostgreSQL 15 (``psql -f``, ON_ERROR_STOP off, as by default): after the error every later
statement of the transaction is ignored ("current transaction is aborted, commands ignored
until end of transaction block") and its COMMIT rolls back, so nothing of the transaction
stays, what ran before the error included. The static reading dropped only the refused
statement and applied the rest: a spec requiring them PASSed without a database (false
PASS; rollback16's leftover). A refusal is sure when the text decides it (a syntax error,
a statement PostgreSQL never runs in a transaction block); one the reading makes while
applying may come from what it cannot see (review17: a DO guard on pg_roles, an extension's
table), so there the transaction is DEFERRED, not dropped. Compared with ``psql -f`` on a
real database, in this process and through the parsing child.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

FILES = {
    "001_syntax.sql": (
        "CREATE TABLE kept (id int);\n"
        "BEGIN;\n"
        "CREATE TABLE syn_before (id int);\n"
        "CREATE TABLEE oops (id int);\n"
        "CREATE TABLE syn_after (id int);\n"
        "COMMIT;\n"
        "CREATE TABLE after_tx (id int);\n"
    ),
    "002_refused.sql": (
        "BEGIN;\n"
        "CREATE TABLE before_err (id int);\n"
        "ALTER TABLE missing ADD COLUMN x int;\n"
        "CREATE TABLE after_err (id int);\n"
        "ALTER TABLE kept ADD COLUMN note text;\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "CREATE TABLE fine (id int);\n"
        "COMMIT;\n"
    ),
    # the next transaction of AND CHAIN starts, though the aborted one rolls back
    "003_chain.sql": (
        "BEGIN;\n"
        "ALTER TABLE missing ADD COLUMN x int;\n"
        "COMMIT AND CHAIN;\n"
        "CREATE TABLE chained (id int);\n"
        "COMMIT;\n"
    ),
    # refused inside a transaction block whatever the model holds (review17): a sure refusal
    "005_outside.sql": (
        "BEGIN;\n"
        "CREATE TABLE c_before (id int);\n"
        "CREATE INDEX CONCURRENTLY kept_id ON kept (id);\n"
        "CREATE TABLE c_after (id int);\n"
        "COMMIT;\n"
    ),
    # psql's ON_ERROR_ROLLBACK: a savepoint before each statement, only the refused one undone
    "004_on_error_rollback.sql": (
        "\\set ON_ERROR_ROLLBACK on\n"
        "BEGIN;\n"
        "CREATE TABLE r1 (id int);\n"
        "ALTER TABLE missing ADD COLUMN x int;\n"
        "CREATE TABLEE oops (id int);\n"
        "CREATE TABLE r2 (id int);\n"
        "COMMIT;\n"
    ),
}

SPEC = """
name: t
tables:
  kept: {columns: {note: {}}}
  syn_before: {}
  syn_after: {}
  before_err: {}
  after_err: {}
  fine: {}
  c_before: {}
  c_after: {}
"""

BOB = """DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fidelity15_bob')
THEN CREATE ROLE fidelity15_bob; END IF; END $$;"""


@PATHS
def test_a_refused_statement_aborts_its_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("aborted")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert errors.count("current transaction is aborted") == 4, errors
    assert "CREATE INDEX CONCURRENTLY cannot run inside a transaction block" in errors
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == [
        "public.after_tx",
        "public.chained",
        "public.fine",
        "public.kept",
        "public.r1",
        "public.r2",
    ]
    assert list(catalog.tables["public.kept"].indexes) == []
    assert list(catalog.tables["public.kept"].columns) == ["id"]
    static = read_history(history, monkeypatch, ahead)
    # a syntax error is known before anything runs: the transaction is left out whole
    assert "public.syn_before" not in static.tables and "public.syn_after" not in static.tables
    assert "public.c_before" not in static.tables and "public.c_after" not in static.tables
    assert list(static.tables["public.kept"].indexes) == []
    # a refusal found while applying may come from what the reading cannot see: what follows
    # is not applied, what came before (applied, not undone) is named: all DEFERRED
    assert "public.after_err" not in static.tables
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    kinds = [(u.file, u.line, u.kind) for u in static.unapplied]
    assert kinds == [
        ("history/001_syntax.sql", 3, "data"),
        ("history/001_syntax.sql", 4, "error"),
        ("history/001_syntax.sql", 5, "data"),
        ("history/002_refused.sql", 3, "error"),
        ("history/002_refused.sql", 2, "unsupported"),
        ("history/002_refused.sql", 4, "unsupported"),
        ("history/002_refused.sql", 5, "unsupported"),
        ("history/003_chain.sql", 2, "error"),
        ("history/004_on_error_rollback.sql", 4, "error"),
        ("history/004_on_error_rollback.sql", 5, "error"),
        ("history/005_outside.sql", 2, "data"),
        ("history/005_outside.sql", 3, "error"),
        ("history/005_outside.sql", 4, "data"),
    ], kinds
    assert "refuses the statement at history/002_refused.sql:3" in static.unapplied[4].reason
    assert "cannot run inside a transaction block" in static.unapplied[11].reason
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted = {
        "tables.syn_before": "FAIL",
        "tables.syn_after": "FAIL",
        "tables.c_before": "FAIL",
        "tables.c_after": "FAIL",
        "tables.after_err": "DEFERRED",
        "tables.before_err": "DEFERRED",
        "tables.fine": "PASS",
    }
    assert {k: statuses[k] for k in wanted} == wanted
    assert statuses["tables.kept.columns.note"] == "DEFERRED"


GUARD = {
    "001_guard.sql": (
        "CREATE TABLE kept (id int);\n"
        "BEGIN;\n"
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fidelity15_bob') "
        "THEN RAISE EXCEPTION 'no bob'; END IF; END $$;\n"
        "GRANT SELECT ON kept TO fidelity15_bob;\n"
        "CREATE TABLE guarded (id int);\n"
        "COMMIT;\n"
    )
}


@PATHS
def test_a_refusal_the_reading_is_not_sure_of_defers_its_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """review17: the guard "raises" statically (pg_roles holds the cluster's roles, which
    the reading cannot see), not in PostgreSQL: the GRANT and the table after it were
    dropped as certain, so ``deny: [SELECT]`` PASSed and ``guarded`` FAILed. They are
    DEFERRED now, neither a PASS nor a FAIL."""
    history = write_history(tmp_path, GUARD)
    dsn = make_db("guarded", BOB)
    assert psql_f(dsn, history, *GUARD) == ""
    assert sorted(live.introspect(dsn).tables) == ["public.guarded", "public.kept"]
    static = read_history(history, monkeypatch, ahead)
    kinds = [(u.line, u.kind) for u in static.unapplied]
    assert kinds == [(3, "error"), (4, "unsupported"), (5, "unsupported")], kinds
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ntables:\n  guarded: {}\n"
        "  kept: {privileges: [{roles: [fidelity15_bob], deny: [SELECT]}]}\n"
    )
    statuses = audit_statuses(spec, history)
    assert statuses["tables.guarded"] == "DEFERRED"
    assert statuses["tables.kept.privileges.deny_select_0"] == "DEFERRED"


@PATHS
def test_a_statement_ended_by_a_psql_meta_command_is_not_a_sure_refusal(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """``SELECT 1 \\g`` ends a statement in psql; the splitter reads it with the next one
    as a syntax error (review17, x10): not a refusal PostgreSQL makes (psql -f keeps
    g_before), so what ran before is DEFERRED, not dropped as surely rolled back."""
    files = {
        "001_g.sql": (
            "BEGIN;\nCREATE TABLE g_before (id int);\nSELECT 1 \\g\n"
            "CREATE TABLE g_after (id int);\nCOMMIT;\n"
        )
    }
    history = write_history(tmp_path, files)
    static = read_history(history, monkeypatch, ahead)
    # g_before is not dropped as surely rolled back (psql keeps it); the splitter's reading of
    # `\g` with the next statement is an older gap (g_after: one "syntax error")
    assert [(u.line, u.kind) for u in static.unapplied] == [(3, "error"), (2, "unsupported")]


def test_more_statements_postgresql_never_runs_in_a_transaction_block(make_db: Any) -> None:
    """ALTER DATABASE … SET TABLESPACE, and CREATE SUBSCRIPTION unless it creates no slot
    (review17; PostgreSQL 15: "cannot run inside a transaction block")."""
    dsn = make_db("outside")
    with psycopg.connect(dsn) as conn:  # (a transaction block: psycopg opens one)
        name = conn.execute("SELECT current_database()").fetchone()[0]
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute(f'ALTER DATABASE "{name}" SET TABLESPACE pg_default')
    sql = (
        "CREATE TABLE a (id int);\n"
        "BEGIN;\nCREATE TABLE b (id int);\nALTER DATABASE x SET TABLESPACE pg_default;\nCOMMIT;\n"
        "BEGIN;\nCREATE TABLE c (id int);\n"
        "CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p;\nCOMMIT;\n"
        "BEGIN;\nCREATE TABLE d (id int);\nALTER DATABASE x SET work_mem = '4MB';\n"
        "CREATE SUBSCRIPTION s2 CONNECTION 'dbname=x' PUBLICATION p WITH (connect = false);\n"
        "COMMIT;\n"
    )
    model = interpret(sql)
    assert sorted(model.tables) == ["public.a", "public.d"]


def test_a_call_of_a_history_function_named_as_perhaps_undone_defers_anything() -> None:
    """review17 (x17): ``SELECT mk('t')`` may run a body that creates a table; named as
    perhaps rolled back, its own statement's effects (a SELECT: none) left what the body
    made certain. It may now have changed anything; ``SELECT 1`` still nothing."""
    model = interpret(
        "CREATE FUNCTION mk(t text) RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN EXECUTE format('CREATE TABLE %I (id int)', t); END $$;\n"
        "BEGIN;\nSELECT mk('t_in_tx');\nSELECT 1;\n"
        "ALTER TABLE missing_table ADD COLUMN x int;\nCOMMIT;\n"
    )
    named = [(u.line, [(e.kind, e.target) for e in u.effects]) for u in model.unapplied]
    assert (4, [("*", "*")]) in named and (5, []) in named, named
