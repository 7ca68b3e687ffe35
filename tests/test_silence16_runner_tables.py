"""Runners' bookkeeping tables under the names a project gives them, and sqlx's folders told
apart from golang-migrate's (``tests/data/runner_named_tables``, in each project's style).

nakama runs sql-migrate with ``migrate.SetTable("migration_info")`` and openmeter golang-migrate
with ``x-migrations-table=schema_om``: a database they migrated has that table, so ``init
--dsn`` requires it and the static reading FAILed it as missing, and ``init --sql``'s strict
block did not allow it, so the migrated database FAILed strict.tables. sqlx applies every
``<version>_<description>.sql`` but ``.down.sql`` (``0003_shut_down.sql`` too, which a
golang-migrate folder ignores) and keeps ``_sqlx_migrations``; its folder was read as
golang-migrate's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli
from history_paths import psql_f

from schema_audit.sources.sqlfile import discover, load_sql

FIXTURES = Path(__file__).parent / "data" / "runner_named_tables"
NAKAMA = FIXTURES / "nakama_style" / "migrate" / "sql"
OPENMETER = FIXTURES / "openmeter_style" / "migrate" / "migrations"
SQLX = FIXTURES / "sqlx_style" / "migrations"
# what each runner creates before the first migration (sql-migrate's gorp table, golang-migrate's)
RUNNER_DDL = {
    NAKAMA: "CREATE TABLE migration_info (id text PRIMARY KEY, applied_at timestamptz);",
    OPENMETER: "CREATE TABLE schema_om (version bigint PRIMARY KEY, dirty boolean NOT NULL);",
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def _statuses(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}


def _migrated(make_db, folder: Path, files: list[str]) -> str:  # type: ignore[no-untyped-def]
    dsn = make_db("runnertable", RUNNER_DDL[folder])
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in files:  # the up sections, as the runner sends them
            conn.execute((folder / name).read_text().split("-- +migrate Down")[0])
    return dsn


@pytest.mark.parametrize(
    ("folder", "table", "files"),
    [
        (NAKAMA, "migration_info", ["20180103142001_initial_schema.sql"]),
        (OPENMETER, "schema_om", ["20240826120919_init.up.sql"]),
    ],
    ids=["sql-migrate SetTable", "golang-migrate MigrationsTable"],
)
def test_a_named_runner_table_is_the_runners_both_ways(  # type: ignore[no-untyped-def]
    make_db, tmp_path: Path, folder: Path, table: str, files: list[str]
) -> None:
    dsn = _migrated(make_db, folder, files)
    live_spec = tmp_path / "live.yaml"
    assert _cli("init", "--dsn", dsn, "-o", str(live_spec)).returncode == 0
    static = _statuses(_cli("audit", "-f", "json", "-s", str(live_spec), "--sql", str(folder)))
    assert static[f"tables.{table}"] == "DEFERRED"  # was FAIL: "does not exist"
    assert "FAIL" not in static.values(), static
    static_spec = tmp_path / "static.yaml"
    assert _cli("init", "--sql", str(folder), "-o", str(static_spec)).returncode == 0
    live = _statuses(_cli("audit", "-f", "json", "-s", str(static_spec), "--dsn", dsn))
    assert live["strict.tables"] == "PASS"  # was FAIL: an unexpected table


def test_the_named_table_is_said_with_where_it_is_named() -> None:
    model = load_sql(NAKAMA)
    (runner,) = [u for u in model.unapplied if u.kind == "runner"]
    assert runner.may_affect == ["public.migration_info"]
    assert "named in migrate/migrate.go" in runner.reason


def test_sqlx_runs_what_golang_migrate_would_skip(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    layout = discover(SQLX)
    assert layout.name == "sqlx"
    applied = ["0001_accounts.sql", "0002_notes.up.sql", "0003_shut_down.sql"]
    assert [f.name for f in layout.files] == applied
    dsn = make_db("sqlxstyle", "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY);")
    psql_f(dsn, SQLX, *applied)
    spec = tmp_path / "live.yaml"
    assert _cli("init", "--dsn", dsn, "-o", str(spec)).returncode == 0
    static = _statuses(_cli("audit", "-f", "json", "-s", str(spec), "--sql", str(SQLX)))
    # was FAIL: read as a golang-migrate downgrade (the table's owner: DEFERRED, any history)
    assert static["tables.shutdown_log"] == "DEFERRED"
    assert static["tables.shutdown_log.columns.at"] == "PASS"
    assert static["tables._sqlx_migrations"] == "DEFERRED"


def test_without_its_crate_the_folder_reads_as_golang_migrate(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for file in SQLX.iterdir():
        (folder / file.name).write_text(file.read_text())
    layout = discover(folder)
    assert layout.name == "golang-migrate"
    assert "0003_shut_down.sql" not in [f.name for f in layout.files]


def test_another_runners_markers_win_over_the_crates_sqlx(tmp_path: Path) -> None:
    # review18: a Rust service using sqlx for queries and dbmate for its migrations
    (tmp_path / "Cargo.toml").write_text((SQLX.parent / "Cargo.toml").read_text())
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20200101000000_init.sql").write_text(
        "-- migrate:up\nCREATE TABLE accounts (id int);\n-- migrate:down\nDROP TABLE accounts;\n"
    )
    assert discover(folder).name == "dbmate"
    (runner,) = [u for u in load_sql(folder).unapplied if u.kind == "runner"]
    assert runner.may_affect == ["public.schema_migrations"]
