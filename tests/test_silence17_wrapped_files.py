"""A refusal in a file its runner applies whole, and the files after it.

goose (dbmate, Flyway, sql-migrate, sqlx …) runs each migration in a transaction of its own
without a BEGIN in the file, golang-migrate sends it as one multi-statement query (one
implicit transaction): a statement PostgreSQL refuses rolls the whole file back, and the
runner stops there, applying no later file. The static reading kept the file's earlier
statements and applied the later files as sure (false PASS). Compared here with PostgreSQL
15 driven as the runner drives it: ``psql -1 -f`` per file (a transaction around the file)
or ``psql -c`` of the file's text (one query), stopping at the first file that fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir


def _runner(dsn: str, history: Path, names: list[str], how: str) -> list[str]:
    """Apply ``names`` as a runner does (``how``: "transaction" or "query"), stopping at the
    first that PostgreSQL refuses; the files applied."""
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    done = []
    for name in names:
        args = ["-1", "-f", name] if how == "transaction" else ["-c", (history / name).read_text()]
        run = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, *args],
            cwd=history,
            capture_output=True,
            text=True,
        )
        if run.returncode:
            break
        done.append(name)
    return done


def _check(
    make_db: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ahead: bool,
    files: dict[str, str],
    how: str,
    applied: list[str],
    wanted: dict[str, str],
) -> Any:
    """The history applied on PostgreSQL as its runner does, then read statically: the two
    agree (what the reading leaves open aside), and the spec's verdicts are ``wanted``."""
    history = write_history(tmp_path, files)
    dsn = make_db("wrapped17")
    assert _runner(dsn, history, sorted(files), how) == applied
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    spec = tmp_path / "spec.yaml"
    tables = "".join(f"  {k.split('.', 1)[1]}: {{}}\n" for k in wanted if k.startswith("tables."))
    spec.write_text(f"name: t\ntables:\n{tables}")
    statuses = audit_statuses(spec, history)
    assert {k: statuses[k] for k in wanted} == wanted
    return static


GOOSE_REFUSED = {
    "001_a.sql": "-- +goose Up\nCREATE TABLE a (id int);\nINSERT INTO missing VALUES (1);\n",
    "002_b.sql": "-- +goose Up\nCREATE TABLE b (id int);\n",
}


@PATHS
def test_a_refusal_in_a_goose_file_undoes_it_and_stops_the_history(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    static = _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        GOOSE_REFUSED,
        "transaction",
        [],
        # both PASSed: a kept as sure, b applied after the runner had stopped
        {"tables.a": "DEFERRED", "tables.b": "DEFERRED"},
    )
    kinds = [(u.file, u.line, u.kind) for u in static.statements_unapplied()]
    assert kinds == [
        ("history/001_a.sql", 3, "error"),
        ("history/001_a.sql", 2, "unsupported"),
        ("history/002_b.sql", 2, "unsupported"),
    ]
    assert any(s.startswith("goose stops at the migration") for s in static.blind_spots)


GOLANG_REFUSED = {
    "000001_a.up.sql": "CREATE TABLE a (id int);\nCREATE TABLE a (id int);\n",
    "000002_b.up.sql": "CREATE TABLE b (id int);\n",
}


@PATHS
def test_a_refusal_in_a_golang_migrate_file_undoes_it_and_stops_the_history(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        GOLANG_REFUSED,
        "query",
        [],
        {"tables.a": "DEFERRED", "tables.b": "DEFERRED"},  # both PASSed
    )


def _enum_history(use: str) -> dict[str, str]:
    return {
        "001_t.sql": "-- +goose Up\nCREATE TYPE mood AS ENUM ('a');\n",
        "002_v.sql": f"-- +goose Up\nALTER TYPE mood ADD VALUE 'c';\n{use}\n",
        "003_b.sql": "-- +goose Up\nCREATE TABLE b (id int);\n",
    }


@PATHS
@pytest.mark.parametrize(
    "use",
    ["CREATE TABLE t (m mood DEFAULT 'c');", "CREATE TABLE t (r mood[] DEFAULT '{a, \"c\"}');"],
    ids=["default", "array-default"],
)
def test_a_new_enum_value_used_in_the_same_goose_file(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, use: str
) -> None:
    static = _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        _enum_history(use),
        "transaction",
        ["001_t.sql"],
        {"tables.t": "FAIL", "tables.b": "DEFERRED"},  # both PASSed
    )
    assert static.enums["public.mood"].labels == ["a"]


@PATHS
def test_a_pl_pgsql_body_quoting_the_new_value_commits(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    body = (
        "CREATE FUNCTION f() RETURNS mood LANGUAGE plpgsql AS $$ BEGIN RETURN 'c'::mood; END $$;"
        "\nCREATE TABLE t (id int);"
    )
    static = _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        _enum_history(body),
        "transaction",
        ["001_t.sql", "002_v.sql", "003_b.sql"],
        {"tables.t": "PASS", "tables.b": "PASS"},  # (not DEFERRED as a possible use)
    )
    assert static.enums["public.mood"].labels == ["a", "c"]
    assert static.statements_unapplied() == []


PG16_CALL = {
    "001_a.sql": "-- +goose Up\nCREATE TABLE a (x text);\n",
    "002_u.sql": ("-- +goose Up\nUPDATE a SET x = NULL WHERE NOT pg_input_is_valid(x, 'jsonb');\n"),
    "003_c.sql": "-- +goose Up\nCREATE TABLE c (id int);\n",
}


@PATHS
def test_a_pg16_call_stops_a_runner_s_history(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        PG16_CALL,
        "transaction",
        ["001_a.sql"],
        {"tables.a": "PASS", "tables.c": "DEFERRED"},  # c PASSed
    )


@PATHS
def test_psql_f_goes_on_after_a_refused_file(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """A plain numbered folder (psql -f, no ON_ERROR_STOP): the later file is applied."""
    files = {
        k.replace("-- +goose Up\n", ""): v.replace("-- +goose Up\n", "")
        for k, v in PG16_CALL.items()
    }
    history = write_history(tmp_path, files)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.a", "public.c"]
    assert not any("stops at the migration" in s for s in static.blind_spots)


def _sqlx_history(tmp_path: Path, third: str) -> dict[str, str]:
    (tmp_path / "Cargo.toml").write_text('[dependencies]\nsqlx = "0.8"\n')
    return {
        "0001_a.sql": "CREATE TABLE a (id int);\n",
        # first bytes "-- no-transaction": sent alone, outside a transaction block
        "0002_i.sql": "-- no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
        "0003_c.sql": third + "CREATE TABLE c (id int);\nINSERT INTO missing VALUES (1);\n",
        "0004_d.sql": "CREATE TABLE d (id int);\n",
    }


@PATHS
@pytest.mark.parametrize("no_tx", [False, True], ids=["transaction", "no-transaction"])
def test_sqlx_runs_each_file_in_a_transaction_or_as_one_query(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, no_tx: bool
) -> None:
    """sqlx wraps each migration in a transaction unless its first bytes are
    ``-- no-transaction``; such a file is still one multi-statement query (one implicit
    transaction): either way the refusal undoes the file, and sqlx stops there."""
    files = _sqlx_history(tmp_path, "-- no-transaction\n" if no_tx else "")
    history = write_history(tmp_path, files)
    dsn = make_db("sqlx17")
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    done = []
    for name in sorted(files):
        text = (history / name).read_text()
        args = ["-c", text] if text.startswith("-- no-transaction") else ["-1", "-f", name]
        run = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, *args],
            cwd=history,
            capture_output=True,
        )
        if run.returncode:
            break
        done.append(name)
    assert done == ["0001_a.sql", "0002_i.sql"]
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    assert list(static.tables["public.a"].indexes) == ["a_id"]
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  a: {}\n  c: {}\n  d: {}\n")
    statuses = audit_statuses(spec, history)
    wanted = {"tables.a": "PASS", "tables.c": "DEFERRED", "tables.d": "DEFERRED"}  # c PASSed
    assert {k: statuses[k] for k in wanted} == wanted


@PATHS
def test_sqlx_s_transaction_refuses_a_concurrent_index(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """Without ``-- no-transaction`` first, sqlx's transaction makes PostgreSQL refuse
    CREATE INDEX CONCURRENTLY even alone in its file: the index PASSed, read as psql -f."""
    (tmp_path / "Cargo.toml").write_text('[dependencies]\nsqlx = "0.8"\n')
    files = {
        "0001_a.sql": "CREATE TABLE a (id int);\n",
        "0002_i.sql": "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
        "0003_d.sql": "CREATE TABLE d (id int);\n",
    }
    static = _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        files,
        "transaction",
        ["0001_a.sql"],
        {"tables.a": "PASS", "tables.d": "DEFERRED"},
    )
    assert list(static.tables["public.a"].indexes) == []


POSTGRATOR_REFUSED = {
    "0001.do.init.sql": "CREATE TABLE a (x int PRIMARY KEY);\n",
    "0002.do.idx.sql": "CREATE TABLE z (x int PRIMARY KEY);\nCREATE INDEX CONCURRENTLY zi ON z (x);\n",
    "0003.do.c.sql": "CREATE TABLE c (id int);\n",
}


@PATHS
def test_a_refusal_in_a_postgrator_file_undoes_it_and_stops_the_history(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """postgrator sends each file as one query (node-postgres ``client.query(sql)``): CREATE
    INDEX CONCURRENTLY beside another statement is refused inside that implicit transaction,
    the file's table with it, and postgrator stops (review19's case on 1c34f2f: z PASSed)."""
    _check(
        make_db,
        tmp_path,
        monkeypatch,
        ahead,
        POSTGRATOR_REFUSED,
        "query",
        ["0001.do.init.sql"],
        {"tables.a": "PASS", "tables.z": "FAIL", "tables.c": "DEFERRED"},
    )
