"""A data statement calling a function PostgreSQL 15 does not have is refused, and said.

memos's upgrade files call ``pg_input_is_valid`` (PostgreSQL 16) in an UPDATE: PostgreSQL 15
refuses it (undefined_function) and a runner stops there, yet the static reading took it as
data and applied the later files without a word (``tests/data/sql_pg16_data_call``, in
memos's style). It is now refused with its file:line, a blind spot says what a stopping
runner does, ``init`` warns, and in a transaction what ran before it is perhaps rolled back
(a table made there PASSed: PostgreSQL 15 rolled it back).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli
from history_paths import audit_statuses, psql_f, write_history

from schema_audit.sources.sqlfile import load_sql

FIXTURE = Path(__file__).parent / "data" / "sql_pg16_data_call"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def test_postgresql_15_refuses_the_upgrade_file(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("pg16call")
    psql_f(dsn, FIXTURE, "00__inbox.sql")
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.UndefinedFunction):
        conn.execute((FIXTURE / "01__inbox_payload.sql").read_text())


def test_the_refused_statement_is_named_and_the_stop_said(tmp_path: Path) -> None:
    model = load_sql(FIXTURE)
    refused = [(u.file, u.line, u.kind) for u in model.unapplied]
    assert refused == [("sql_pg16_data_call/01__inbox_payload.sql", 4, "error")]
    assert "function pg_input_is_valid(…) does not exist" in model.unapplied[0].reason
    spots = [s for s in model.blind_spots if "01__inbox_payload.sql:4" in s]
    assert len(spots) == 1 and "runner stops at it" in spots[0], model.blind_spots
    proc = _cli("init", "--sql", str(FIXTURE), "-o", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "01__inbox_payload.sql:4: function pg_input_is_valid does not exist" in proc.stderr


def test_a_refusal_in_a_transaction_undoes_what_it_made(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = write_history(
        tmp_path,
        {
            "001_init.sql": "CREATE TABLE memo (id int PRIMARY KEY, payload text);\n",
            "002_tags.sql": "BEGIN;\nCREATE TABLE memo_tag (memo_id int, tag text);\n"
            "INSERT INTO memo_tag SELECT id, payload FROM memo\n"
            "  WHERE pg_input_is_valid(payload, 'jsonb');\nCOMMIT;\n",
        },
    )
    dsn = make_db("pg16calltx")
    psql_f(dsn, history, "001_init.sql")
    psql_f(dsn, history, "002_tags.sql", stop=False)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('memo_tag')").fetchone() == (None,)
    spec = tmp_path / "spec.yaml"
    spec.write_text("spec_version: 1\nname: t\ntables:\n  memo_tag: {}\n")
    assert audit_statuses(spec, history)["tables.memo_tag"] == "DEFERRED"  # was PASS


def _runs_as_data(make_db, tmp_path: Path, sql: str) -> list[str]:  # type: ignore[no-untyped-def]
    """PostgreSQL 15 runs ``sql`` whole (ON_ERROR_STOP); the kinds the reading gives its
    unapplied statements, with no blind spot."""
    history = write_history(tmp_path, {"001_init.sql": sql})
    assert psql_f(make_db("pg16ok"), history, "001_init.sql") == ""
    model = load_sql(history)
    assert model.blind_spots == []
    return [u.kind for u in model.unapplied]


def test_built_ins_and_the_historys_functions_are_not_refused(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sql = (
        "CREATE TABLE t (id int, v text);\n"
        "CREATE FUNCTION valid_json(s text) RETURNS boolean LANGUAGE sql\n"
        "  AS $$ SELECT length(s) > 0 $$;\n"
        "INSERT INTO t(id, v) VALUES (1, upper('a')), (2, coalesce(NULL, 'b'));\n"
        "UPDATE t SET v = trim(v) WHERE valid_json(v) AND position('x' in v) = 0;\n"
        "SELECT count(*) FROM t;\n"
    )
    assert _runs_as_data(make_db, tmp_path, sql) == ["data"] * 3


def test_function_style_casts_are_not_refused(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # review18: PostgreSQL takes name(x) as a cast when name is a type and no function
    sql = (
        "CREATE TYPE mood AS ENUM ('a', 'b');\n"
        "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');\n"
        "CREATE TABLE t (id int, m mood, e email, u uuid, j jsonb);\n"
        "INSERT INTO t VALUES (1, mood('a'), email('x@y'),\n"
        "  uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), jsonb('{}'));\n"
        "CREATE TYPE floatrange AS RANGE (subtype = float8);\n"
        "SELECT floatmultirange(floatrange(1, 2));\n"
    )
    assert _runs_as_data(make_db, tmp_path, sql)[-1] == "data"
