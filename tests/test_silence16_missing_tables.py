"""A data statement into a table the history never made is refused, as PostgreSQL refuses it.

A folder of seed rows (``tests/fixtures/sql_seed_only``: the service's ORM makes the tables,
the folder only INSERTs and UPDATEs) was read as "data change: does not alter the schema":
a model with no table, an ``init`` spec with no table and no word, and a spec stating
``plans`` FAILed against the static reading, though every database the folder was applied
to has the table (PostgreSQL 15 refuses the INSERT otherwise: undefined_table). Now each
such statement is refused with its file:line and table, ``init`` says so, and what a spec
says of the table is DEFERRED. In a transaction the refusal aborts it: a table made before
it in the same transaction was kept (a false PASS); it is now named as perhaps rolled back.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli
from history_paths import audit_statuses, psql_f, write_history

from schema_audit.sources.sqlfile import discover, load_sql

FIXTURE = Path(__file__).parent / "fixtures" / "sql_seed_only"
SPEC = Path(__file__).parent / "fixtures" / "sql_seed_only_spec.yaml"
ORM_TABLES = (
    "CREATE TABLE plans (id integer PRIMARY KEY, name text, seats integer);"
    "CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean);"
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def _statuses(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}


def test_postgresql_refuses_the_seed_file_without_the_tables(make_db) -> None:  # type: ignore[no-untyped-def]
    up = (FIXTURE / "000001_seed_plans.up.sql").read_text()
    with (
        psycopg.connect(make_db("seedbare"), autocommit=True) as conn,
        pytest.raises(psycopg.errors.UndefinedTable),
    ):
        conn.execute(up)
    with psycopg.connect(make_db("seedorm", ORM_TABLES), autocommit=True) as conn:
        conn.execute(up)  # where the ORM made them first, it runs


def test_each_refused_statement_names_its_file_line_and_table() -> None:
    model = load_sql(FIXTURE)
    assert discover(FIXTURE).name == "golang-migrate"
    refused = [u for u in model.unapplied if u.kind != "runner"]  # (schema_migrations)
    # golang-migrate sends the file as one query: PostgreSQL stops at its first refusal, and
    # the UPDATE is perhaps not run (its table open all the same: test_silence17_wrapped_files)
    assert [(u.line, u.kind, u.may_affect) for u in refused] == [
        (3, "error", ["public.plans"]),
        (7, "unsupported", ["public.feature_flags"]),
    ]
    assert "does not exist at this point of the history" in refused[0].reason
    assert refused[1].reason.startswith("perhaps not run: ")


def test_init_warns_with_the_file_line_and_the_tables(tmp_path: Path) -> None:
    proc = _cli("init", "--sql", str(FIXTURE), "-o", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2, proc.stderr  # (and the UPDATE perhaps not run, below)
    assert "1 data statement writes rows into tables this source never creates" in warnings[1]
    assert "000001_seed_plans.up.sql:3: public.plans" in warnings[1]
    assert "(first at sql_seed_only/000001_seed_plans.up.sql:7)" in warnings[0]
    assert "(public.feature_flags) may not hold" in warnings[0]


def test_requirements_on_the_table_are_deferred_not_failed(make_db) -> None:  # type: ignore[no-untyped-def]
    static = _statuses(_cli("audit", "-f", "json", "-s", str(SPEC), "--sql", str(FIXTURE)))
    assert static["tables.plans"] == "DEFERRED"
    assert {s for i, s in static.items() if i.startswith("tables.plans.")} == {"DEFERRED"}
    # the database the folder was applied to (its ORM made the tables first) has them
    dsn = make_db("seedlive", ORM_TABLES)
    psql_f(dsn, FIXTURE, "000001_seed_plans.up.sql")
    live = _statuses(_cli("audit", "-f", "json", "-s", str(SPEC), "--dsn", dsn))
    assert live["tables.plans"] == "PASS"


def test_a_refusal_in_a_transaction_undoes_what_it_made(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = write_history(
        tmp_path,
        {
            "001_init.sql": "BEGIN;\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n"
            "INSERT INTO plans (id) VALUES (1);\nCOMMIT;\n"
        },
    )
    dsn = make_db("seedtx")
    psql_f(dsn, history, "001_init.sql", stop=False)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('accounts')").fetchone() == (None,)
    spec = tmp_path / "spec.yaml"
    spec.write_text("spec_version: 1\nname: t\ntables:\n  accounts: {}\n")
    assert (
        audit_statuses(spec, history)["tables.accounts"] == "DEFERRED"
    )  # was PASS: PostgreSQL rolled it back


def test_what_postgresql_accepts_is_not_refused(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = write_history(
        tmp_path,
        {
            "001_init.sql": "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n"
            "CREATE TABLE plans (id int);\nCREATE VIEW v AS SELECT id FROM plans;\n"
            "INSERT INTO v VALUES (1);\n"
            "UPDATE pg_settings SET setting = 'off' WHERE name = 'check_function_bodies';\n"
            "CREATE TEMP TABLE scratch (x int);\nINSERT INTO scratch VALUES (1);\n"
            "CREATE SCHEMA app;\nSET search_path = app, public;\n"
            "INSERT INTO plans VALUES (2);\nDELETE FROM public.plans;\n"
        },
    )
    assert psql_f(make_db("seedok"), history, "001_init.sql") == ""  # ON_ERROR_STOP: all ran
    assert [u.kind for u in load_sql(history).unapplied] == ["data"] * 5
    # an extension that may bring tables (postgis's spatial_ref_sys): not knowable, not refused
    (history / "001_init.sql").write_text(
        "CREATE EXTENSION postgis;\nINSERT INTO spatial_ref_sys (srid) VALUES (900914);\n"
    )
    assert [u.kind for u in load_sql(history).unapplied] == ["data"]


def test_a_table_a_statement_not_applied_may_have_made_is_not_refused(tmp_path: Path) -> None:
    history = write_history(
        tmp_path,
        {
            "001_init.sql": "DO $$ BEGIN IF current_setting('app.make', true) = 'yes' THEN\n"
            "  CREATE TABLE late (id int); END IF; END $$;\nINSERT INTO late VALUES (1);\n"
        },
    )
    kinds = [(u.line, u.kind) for u in load_sql(history).unapplied]
    assert kinds[-1] == (3, "data"), kinds  # the DO block's effects keep late open instead
